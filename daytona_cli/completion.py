"""Shell completion: the scripts, the answer to a completion request, and what to complete.

The scripts are Typer's own (bash, zsh, fish). A shell asks for candidates by running
``daytona-cli`` with ``_DAYTONA_CLI_COMPLETE=complete_<shell>`` and the words typed so far
(bash: ``COMP_WORDS`` and ``COMP_CWORD``; zsh and fish: ``_TYPER_COMPLETE_ARGS``, fish also
``_TYPER_COMPLETE_FISH_ACTION``); :func:`respond` answers through Typer's completion classes.

Sandbox and snapshot names come from the API (``completion_names.py``). Nothing heavy (httpx,
rich) is imported at module level: this module is loaded by every command.

Regenerate ``completions/`` with ``python -m daytona_cli.completion --write completions``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daytona_cli.context import AppContext

PROG_NAME = "daytona-cli"
COMPLETE_VAR = "_DAYTONA_CLI_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
# The files in completions/ (zsh autoloads `_daytona-cli` from $fpath by its #compdef line).
SCRIPT_FILES = {"bash": "daytona-cli.bash", "zsh": "_daytona-cli", "fish": "daytona-cli.fish"}

# What Typer's completion classes read besides COMPLETE_VAR.
PROTOCOL_VARS = ("COMP_WORDS", "COMP_CWORD", "_TYPER_COMPLETE_ARGS", "_TYPER_COMPLETE_FISH_ACTION")


# --- scripts -----------------------------------------------------------------------------------


def script(shell: str) -> str:
    """The completion script for ``shell`` (one of :data:`SHELLS`), ending in a newline."""
    from daytona_cli.typer_compat import completion_script

    if shell not in SHELLS:
        raise ValueError(f"unsupported shell {shell!r}")
    text = completion_script(PROG_NAME, COMPLETE_VAR, shell)
    if shell == "bash":
        text = _bash_without_file_fallback(text)
    return text + "\n" + (_ZSH_FIRST_TAB if shell == "zsh" else "")


FILE_OPTIONS = ("--env-file", "--dockerfile")
"""Options whose value is a file: the only place a completion falls back to file names."""


def _bash_without_file_fallback(text: str) -> str:
    """Typer registers bash's function with ``-o default``: when the answer is empty (the API
    cannot be reached, nothing matches), bash then offers the files in the current directory.
    Here file names are offered only after an option that takes a file."""
    registered = f"complete -o default -F _daytona_cli_completion {PROG_NAME}"
    ending = "    return 0\n}"
    if registered not in text or ending not in text:  # Typer's template changed: look again
        raise RuntimeError("Typer's bash completion script is not the one this code expects")
    files = " || ".join(f'[ "$previous" = "{option}" ]' for option in FILE_OPTIONS)
    return text.replace(
        ending,
        "    # File names only after an option that takes a file; elsewhere nothing is nothing.\n"
        '    local previous="${COMP_WORDS[COMP_CWORD-1]}"\n'
        f"    if [ ${{#COMPREPLY[@]}} -eq 0 ] && {{ {files}; }}; then\n"
        "        compopt -o default\n"
        "    fi\n" + ending,
    ).replace(registered, f"complete -F _daytona_cli_completion {PROG_NAME}")


# Typer's zsh script only registers its function, so loaded from $fpath (where the file is the
# body of _daytona-cli, run at the first TAB) the first TAB of every shell would offer nothing.
_ZSH_FIRST_TAB = """
# Loaded from $fpath, this file runs at the first TAB: complete that TAB too.
if [ "$funcstack[1]" = "_daytona-cli" ]; then
  _daytona_cli_completion "$@"
fi
"""


def write_scripts(directory: Path) -> list[Path]:
    """Write every shell's script into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell in SHELLS:
        path = directory / SCRIPT_FILES[shell]
        path.write_text(script(shell), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def stale_scripts(directory: Path) -> list[Path]:
    """The files in ``directory`` that are missing or differ from what the app generates now."""
    stale = []
    for shell in SHELLS:
        path = directory / SCRIPT_FILES[shell]
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != script(shell):
            stale.append(path)
    return stale


# --- answering a completion request ------------------------------------------------------------


def respond(command: Any, state: AppContext) -> int:
    """Answer the shell's completion request (``_DAYTONA_CLI_COMPLETE`` is set); the exit code.

    Typer's classes print the candidates in each shell's format. Any failure is silent: a
    traceback would land in the middle of the user's command line.
    """
    import io
    from contextlib import redirect_stdout

    from daytona_cli.typer_compat import answer_completion

    environ = state.runtime.environ
    instruction = environ.get(COMPLETE_VAR, "")
    answer = io.StringIO()
    try:
        with _protocol_environ(environ), redirect_stdout(answer):
            code = answer_completion(command, {"obj": state}, PROG_NAME, COMPLETE_VAR, instruction)
    except SystemExit as exc:  # fish asks "are these arguments?" and hears an exit status
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception:
        return 1
    text = answer.getvalue()
    # No candidates is Typer's cue for zsh (`_files`) and fish (exit 1) to offer file names;
    # only an option that takes a file should get them.
    if _previous_word(environ) not in FILE_OPTIONS:
        if instruction == "complete_zsh" and text.strip() == "_files":
            text = ""
        if instruction == "complete_fish" and code == 1:
            code = 0
    state.runtime.streams.stdout.write(text)
    return code


def _previous_word(environ: Mapping[str, str]) -> str:
    """The word before the one being completed, from the shell's protocol variables."""
    typed = environ.get("_TYPER_COMPLETE_ARGS", "")  # zsh and fish; bash decides in its script
    words = typed.split() if typed.endswith(" ") else typed.split()[:-1]
    return words[-1] if words else ""


@contextmanager
def _protocol_environ(environ: Mapping[str, str]) -> Iterator[None]:
    """Typer's classes read the words typed from ``os.environ``; a run's environment may differ."""
    if environ is os.environ:
        yield
        return
    saved = {name: os.environ.get(name) for name in PROTOCOL_VARS}
    try:
        for name in PROTOCOL_VARS:
            if name in environ:
                os.environ[name] = environ[name]
            else:
                os.environ.pop(name, None)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- static candidates -------------------------------------------------------------------------


def choices(values: Sequence[str]) -> Callable[[str], list[str]]:
    """An ``autocompletion=`` callback offering fixed values (Typer keeps those that match)."""

    def complete(incomplete: str) -> list[str]:
        return [value for value in values if value.lower().startswith(incomplete.lower())]

    return complete


# --- regenerating completions/ -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m daytona_cli.completion --write DIR`` (or ``--check DIR``, exit 1 when stale)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m daytona_cli.completion",
        description="Write or check the generated shell completion scripts.",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="DIR", type=Path, help="write the scripts into DIR")
    group.add_argument("--check", metavar="DIR", type=Path, help="exit 1 if DIR's are stale")
    args = parser.parse_args(argv)
    if args.write is not None:
        for path in write_scripts(args.write):
            print(f"wrote {path}")
        return 0
    stale = stale_scripts(args.check)
    for path in stale:
        print(
            f"stale: {path}; regenerate with python -m daytona_cli.completion --write {args.check}"
        )
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
