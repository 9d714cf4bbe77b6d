"""The root command, its global options, and :func:`run`: the one place errors become exits."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Annotated, Any

import typer

from daytona_cli import __version__
from daytona_cli.commands.base import Group, help_when_no_command, seconds
from daytona_cli.context import AppContext, Runtime
from daytona_cli.errors import EXIT_CODES_HELP, Category, CliError
from daytona_cli.interrupts import (
    INTERRUPTED,
    TERMINATED,
    exit_on_next_interrupt,
    interruptible,
    tidying,
)

app = typer.Typer(
    name="daytona-cli",
    help=(
        "Manage Daytona sandboxes from a terminal, a shell script or a CI job.\n\n"
        "Configuration: DAYTONA_API_KEY (required), DAYTONA_API_URL, DAYTONA_ORGANIZATION_ID, "
        "DAYTONA_TARGET, read from the environment, then ./.env (or --env-file).\n\n"
        + EXIT_CODES_HELP
    ),
    cls=Group,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain Click help: rendering it with rich doubles the time `--help` takes.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        AppContext.of(ctx).output.write(f"daytona-cli {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show HTTP exchanges (key redacted) and tracebacks on stderr."
        ),
    ] = False,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            metavar="PATH",
            help="Read settings from this file instead of ./.env (the environment still wins).",
        ),
    ] = None,
    request_timeout: Annotated[
        float | None,
        typer.Option(
            "--request-timeout",
            metavar="SECONDS",
            callback=seconds(0.1),
            help="Give each API call, retries included, at most SECONDS (default 120).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state = AppContext.of(ctx)
    state.debug = state.output.debugging = debug
    state.env_file = env_file
    state.request_timeout = request_timeout
    help_when_no_command(ctx)


def _register() -> None:
    from daytona_cli.commands import completion, mcp, sandbox, snapshot
    from daytona_cli.commands.base import Command

    app.add_typer(sandbox.app, name="sandbox")
    app.add_typer(snapshot.app, name="snapshot")
    app.command("completion", cls=Command)(completion.completion)
    app.add_typer(mcp.app, name="mcp")


_register()


@functools.cache
def _root_command() -> Any:
    """The Click command built from ``app``: once per process, as building it costs ~30 ms
    (a run in production builds it once anyway; the in-process tests run thousands)."""
    return typer.main.get_command(app)


def run(argv: Sequence[str], runtime: Runtime | None = None) -> int:
    """Run one command line and return its exit code; the real entry point and the tests' one.

    Every failure is mapped to its exit code here, and only here (errors.py has the table).
    """
    from daytona_cli.completion import COMPLETE_VAR, respond

    state = AppContext(runtime or Runtime.from_process())
    # Known before parsing, so that even a usage error comes out as JSON under --json.
    options = argv[: list(argv).index("--")] if "--" in argv else argv
    state.output.json_mode = "--json" in options or "--jsonl" in options
    command = _root_command()
    streams = state.runtime.streams
    # Click writes help and usage text to sys.stdout/sys.stderr: point them at the run's streams.
    with (
        redirect_stdout(streams.stdout),
        redirect_stderr(streams.stderr),
        interruptible(functools.partial(setattr, state, "terminated", True), _say(state)),
    ):
        try:
            if state.runtime.environ.get(COMPLETE_VAR):  # the shell asks for completions (TAB)
                return respond(command, state)
            with command.make_context("daytona-cli", list(argv), obj=state) as ctx:
                command.invoke(ctx)
            return 0
        except BaseException as exc:
            return _exit_code(state, exc)
        finally:
            state.close()


def _exit_code(state: AppContext, exc: BaseException) -> int:
    """Report ``exc`` (one line, or JSON under --json) and return the exit code it maps to."""
    out = state.output
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)) or (
        isinstance(exc, CliError) and exc.category is Category.INTERRUPTED
    ):
        tidying()  # a repeat must not cut the line short (a SIGTERM from `timeout` comes twice)
        word = "terminated" if state.terminated else "interrupted"
        out.error(exc if isinstance(exc, CliError) else CliError(Category.INTERRUPTED, word))
        exit_on_next_interrupt()
        return TERMINATED if state.terminated else INTERRUPTED
    if isinstance(exc, typer.TyperException):  # a usage error found by Click (vendored by Typer)
        return _usage_exit(state, exc)
    if isinstance(exc, CliError):
        out.error(exc)
        return state.own_failure_exit or exc.exit_code
    if isinstance(exc, BrokenPipeError):  # the reader went away (`| head`)
        _silence(state.runtime.streams.stdout)
        return 0
    if not isinstance(exc, Exception):
        raise exc  # SystemExit and friends are not ours to map
    if isinstance(exc, OSError) and exc.strerror:  # a full disk, say: the OS's reason, not a bug
        where = f": {exc.filename}" if exc.filename else ""
        out.error(CliError(Category.OTHER, f"{exc.strerror}{where}"))
        return state.own_failure_exit or 1
    if state.debug:
        import traceback  # only here: it costs start-up time on every command

        out.traceback("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    out.error(
        CliError(
            Category.OTHER,
            f"internal error: {type(exc).__name__}: {exc}",
            hint="please report it, with the traceback above"
            if state.debug
            else "run again with --debug for details, and please report it",
        )
    )
    return state.own_failure_exit or 1


def _usage_exit(state: AppContext, exc: typer.TyperException) -> int:
    """The usage line(s), readable, then one ``error:`` line (only the error under --json)."""
    import re

    usage_ctx: Any = getattr(exc, "ctx", None)
    # Click appends "Did you mean 'list'?" to the message: make it the hint, punctuated once.
    text = exc.format_message()
    found = re.search(r"\.?\s+Did you mean (.+)$", text, re.DOTALL)
    message = text[: found.start()] if found else text
    hint = f"did you mean {found.group(1)}" if found else None
    misplaced = re.match(r"No such option: (--debug|--env-file|--request-timeout|--version)", text)
    if misplaced:  # Click's "Possible options" would list the command's, not where this one goes
        option = misplaced.group(1)
        message = f"{option} is a global option: it goes before the command"
        hint = f"put it first: `daytona-cli {option} {' '.join(_command_words(usage_ctx))} ...`"
    if usage_ctx is not None:
        hint = hint or f"see `{usage_ctx.command_path} --help`"
        state.output.lines_to_stderr(usage_ctx.get_usage().splitlines())
    state.output.error(CliError(Category.USAGE, message.strip().rstrip("."), hint=hint))
    own = getattr(getattr(usage_ctx, "command", None), "own_failure_exit", None)
    if own is not None:
        return int(own)
    return 2 if exc.exit_code == 2 else 1


def _command_words(ctx: Any) -> list[str]:
    """The sub-command words of a Click context (``["sandbox", "list"]``), without the program."""
    words = str(getattr(ctx, "command_path", "") or "").split()
    return words[1:]


def _say(state: AppContext) -> Callable[[str], None]:
    """How a forced exit (Ctrl-C again during the tidy-up, interrupts.py) says what it leaves:
    the run's own error line, JSON under --json. SIGTERM (``timeout``, ``docker stop``, a
    cancelled CI job) is handled as Ctrl-C is, with the same tidy-up and messages, then exit 143.
    """

    def say(text: str) -> None:
        state.output.error(CliError(Category.INTERRUPTED, text))

    return say


def _silence(stdout: Any) -> None:
    """Point stdout at /dev/null so that the final flush after a broken pipe is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main() -> None:
    code = run(sys.argv[1:])
    if code in (INTERRUPTED, TERMINATED):
        # Interpreter shutdown may still join in-flight bulk workers: Ctrl-C again ends it at once.
        exit_on_next_interrupt()
    sys.exit(code)
