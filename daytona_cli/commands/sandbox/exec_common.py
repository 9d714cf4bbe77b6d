"""What both of ``exec``'s routes share: its options and the meaning of its exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field

from daytona_cli.errors import EXEC_CANNOT_START, Category, CliError

CANNOT_START_OR_KILLED = CliError(
    Category.OTHER,
    "the sandbox reported exit code -1: the command could not be started (a missing --cwd, "
    "say), or it was killed by a signal (out of memory, or killed); its output so far is above",
    hint="check the command and --cwd, and the sandbox's memory",
)
"""What the daemon's -1 means (NOTES.md, Running commands): either, with the output so far."""


@dataclass
class ExecOptions:
    target: str
    command: str  # one shell command line
    cwd: str | None = None
    timeout: int | None = None  # whole seconds; None or 0: no limit
    start: bool = False
    json_output: bool = False
    env: dict[str, str] = field(default_factory=dict)
    interactive: bool = False
    merged: bool = False


def exit_status(code: int) -> int:
    """The exit code to leave with for the remote ``code``: itself, or 126 for -1 (could not
    start, or killed) and anything else outside 0-255."""
    return code if 0 <= code <= 255 else EXEC_CANNOT_START


def stream_timed_out(timeout: int | None, detail: str) -> CliError:
    """The timeout as an error to report (the caller exits 124)."""
    after = f" after {timeout:g} s" if timeout else ""
    return CliError(
        Category.TIMEOUT,
        f"the command timed out{after} and was killed; {detail}",
        hint="raise --timeout, or write output to a file in the sandbox and read it after",
    )
