"""``daytona-cli sandbox exec``: run a command in a sandbox and exit with its exit code."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from daytona_cli.commands.base import Command, at_least
from daytona_cli.commands.options import JsonOption, TargetArgument
from daytona_cli.commands.sandbox.common import require_started
from daytona_cli.context import AppContext
from daytona_cli.errors import (
    EXEC_CANNOT_START,
    EXEC_OWN_FAILURE,
    EXEC_TIMEOUT,
    Category,
    CliError,
    usage,
)
from daytona_cli.params import check_identifier
from daytona_cli.types import JSONObject


class ExecCommand(Command):
    """exec's own failures, usage errors included, exit 125: never taken for a remote code.

    ``app.py`` reads ``own_failure_exit`` from the command a usage error names, and from the
    run's context for failures once the command runs.
    """

    own_failure_exit = EXEC_OWN_FAILURE

    def invoke(self, ctx: Any) -> Any:
        ctx.obj.own_failure_exit = self.own_failure_exit
        return super().invoke(ctx)


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
    timeout: int | None = None  # whole seconds; None or 0: no limit but the API's own
    start: bool = False
    json_output: bool = False


def command_line(argv: list[str]) -> str:
    """One argument is a shell command line as-is; several are quoted and joined (NOTES.md)."""
    line = argv[0] if len(argv) == 1 else shlex.join(argv)
    if not line.strip():
        raise usage("empty command", hint="give the command after --, e.g. -- echo hello")
    return line


def run_exec(app: AppContext, opts: ExecOptions) -> int:
    """Run the command once (never retried once sent); returns the exit code to leave with.

    The remote code passes through; 124 timed out, 126 could not start (the daemon's -1).
    """
    hint = (
        f"start it with `daytona-cli sandbox start {opts.target}` or pass --start to start it first"
    )
    sandbox = require_started(app, opts.target, start=opts.start, start_hint=hint)
    out = app.output
    try:
        answer = app.client().toolbox.execute(
            sandbox, execute_body(opts.command, opts.cwd, opts.timeout)
        )
    except CliError as err:
        if err.status != 408:
            raise
        out.error(timed_out(err, opts.timeout))
        return EXEC_TIMEOUT
    exit_code = int(answer["exitCode"])
    if opts.json_output:
        out.json(answer)
    else:
        app.runtime.streams.write_bytes(answer["result"].encode("utf-8", "surrogateescape"))
        if exit_code == -1:
            out.error(CANNOT_START_OR_KILLED)
    return exit_code if 0 <= exit_code <= 255 else EXEC_CANNOT_START


def execute_body(command: str, cwd: str | None, timeout: int | None) -> JSONObject:
    """The ``ExecuteRequest`` body (toolbox.yaml): ``{"command", "cwd"?, "timeout"?}``; a
    timeout of None or 0 sends none (the API's own limit applies)."""
    body: JSONObject = {"command": command}
    if cwd is not None:
        body["cwd"] = cwd
    if timeout:
        body["timeout"] = timeout
    return body


def timed_out(err: CliError, timeout: int | None, option: str = "--timeout") -> CliError:
    """The toolbox's 408 (the command outran ``timeout`` seconds and was killed) in words,
    keeping the daemon's code and source (NOTES.md, Running commands); ``option`` is how the
    caller names the timeout."""
    after = f" after {timeout:g} s" if timeout else ""
    return CliError(
        Category.TIMEOUT,
        f"the command timed out{after} and was killed; the API discards its output",
        hint=f"raise {option}, or write output to a file in the sandbox and read it after",
        status=err.status,
        api_code=err.api_code,
        source=err.source,
    )


def exec_(
    ctx: typer.Context,
    target: TargetArgument,
    command: Annotated[
        list[str],
        typer.Argument(
            metavar="-- COMMAND [ARG...]",
            help="One argument is a shell command line as-is; several are quoted and joined.",
        ),
    ],
    cwd: Annotated[
        str | None, typer.Option("--cwd", metavar="DIR", help="Working directory in the sandbox.")
    ] = None,
    timeout: Annotated[
        int | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            callback=at_least(0),
            help="Kill the command after SECONDS, whole seconds (exit 124); default: no limit.",
        ),
    ] = None,
    start_first: Annotated[
        bool,
        typer.Option(
            "--start",
            help="Start the sandbox first if it is stopped, paused or archived (waiting up to "
            "180 s, 600 s for a restore).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Run a command in a sandbox and exit with its exit code.

    Output is written to stdout exactly as the sandbox returns it (stdout and stderr merged).
    Exit: the command's own code; 124 if it timed out; 126 if it could not be started;
    125 if daytona-cli itself failed.

    \b
    Example:
      daytona-cli sandbox exec demo -- ls -la /tmp
    """
    app = AppContext.of(ctx, json_mode=json_output)
    line = command_line(command)
    opts = ExecOptions(check_identifier(target), line, cwd, timeout, start_first, json_output)
    raise typer.Exit(run_exec(app, opts))
