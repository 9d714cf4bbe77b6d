"""The root command: global options, the per-run context, and the one place errors become exits."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from daytona_cli import __version__
from daytona_cli.errors import (
    EXEC_OWN_FAILURE,
    EXIT_CODES_HELP,
    Category,
    CliError,
)
from daytona_cli.output import Output
from daytona_cli.waiting import Clock

if TYPE_CHECKING:
    import httpx

    from daytona_cli.client import DaytonaClient
    from daytona_cli.config import Settings


@dataclass
class Runtime:
    """What the outside world gives a run: environment, directory, terminals, network, time.

    Tests build their own (a fake transport, pretend terminals); :meth:`from_process` is the real one.
    """

    environ: Mapping[str, str]
    cwd: Path
    stdout_tty: bool
    stderr_tty: bool
    stdin_tty: bool
    transport: httpx.BaseTransport | None = None
    clock: Clock = field(default_factory=Clock)
    width: int | None = None

    @classmethod
    def from_process(cls) -> Runtime:
        return cls(
            environ=os.environ,
            cwd=Path.cwd(),
            stdout_tty=_isatty(sys.stdout),
            stderr_tty=_isatty(sys.stderr),
            stdin_tty=_isatty(sys.stdin),
        )


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class AppContext:
    """The object every command finds in ``ctx.obj``: output, settings and one shared client."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.debug = False
        self.env_file: Path | None = None
        self.request_timeout: float | None = None
        # `sandbox exec` reports its own failures as 125 so they never pass for remote exit codes.
        self.own_failure_exit: int | None = None
        self.output = Output(
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdout_tty=runtime.stdout_tty,
            stderr_tty=runtime.stderr_tty,
            stdin_tty=runtime.stdin_tty,
            no_color=bool(runtime.environ.get("NO_COLOR")),
            width=runtime.width,
        )
        self._settings: Settings | None = None
        self._client: DaytonaClient | None = None

    @property
    def no_input(self) -> bool:
        """Never prompt in CI or when asked not to, even if a terminal seems attached."""
        env = self.runtime.environ
        return bool(env.get("CI") or env.get("DAYTONA_NO_INPUT"))

    def settings(self) -> Settings:
        if self._settings is None:
            from daytona_cli.config import load_settings

            self._settings = load_settings(self.runtime.environ, self.runtime.cwd, self.env_file)
            self.output.secret = self._settings.api_key
            if self._settings.url_file_warning:
                self.output.warn(self._settings.url_file_warning)
        return self._settings

    def client(self) -> DaytonaClient:
        if self._client is None:
            from daytona_cli.client import DaytonaClient

            settings = self.settings()
            self._client = DaytonaClient(
                api_url=settings.api_url,
                api_key=settings.api_key,
                organization_id=settings.organization_id,
                transport=self.runtime.transport,
                debug=self.output.debug if self.debug else None,
                max_attempts=settings.max_attempts,
                monotonic=self.runtime.clock.monotonic,
                sleep=self.runtime.clock.sleep,
                **({"request_timeout": self.request_timeout} if self.request_timeout else {}),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class RootGroup(TyperGroup):
    """Turns every failure raised by a command into one message and its documented exit code."""

    def invoke(self, ctx: Any) -> Any:
        state: AppContext = ctx.obj
        try:
            return super().invoke(ctx)
        except CliError as err:
            if err.category is Category.INTERRUPTED:
                _exit_on_next_interrupt()
                state.output.error(err)
                raise typer.Exit(err.exit_code) from None
            state.output.error(err)
            raise typer.Exit(state.own_failure_exit or err.exit_code) from None
        except KeyboardInterrupt:
            _exit_on_next_interrupt()
            state.output.error(CliError(Category.INTERRUPTED, "interrupted"))
            raise typer.Exit(130) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if _is_usage_exception(exc):
                raise
            if state.debug:
                import traceback  # only here: it costs start-up time on every command

                text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                state.output.stderr.write(state.output.redact(text))
            state.output.error(
                CliError(
                    Category.OTHER,
                    f"internal error: {type(exc).__name__}: {exc}",
                    hint="run again with --debug for details, and please report it",
                )
            )
            raise typer.Exit(state.own_failure_exit or 1) from None


def _exit_on_next_interrupt() -> None:
    """After the first Ctrl-C the CLI is only tidying up; a second one ends it at once."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda _signum, _frame: os._exit(130))


def _silence_stdout() -> None:
    """The reader went away (``| head``): point stdout at /dev/null so the final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _is_usage_exception(exc: BaseException) -> bool:
    from typer._click.exceptions import ClickException

    return isinstance(exc, ClickException)


app = typer.Typer(
    cls=RootGroup,
    name="daytona-cli",
    help=(
        "Manage Daytona sandboxes from a terminal, a shell script or a CI job.\n\n"
        "Configuration: DAYTONA_API_KEY (required), DAYTONA_API_URL, DAYTONA_ORGANIZATION_ID, "
        "DAYTONA_TARGET, read from the environment, then ./.env (or --env-file).\n\n"
        + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain Click help: rendering it with rich doubles the time `--help` takes.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"daytona-cli {__version__}")
        raise typer.Exit()


@app.callback()
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
            min=0.1,
            metavar="SECONDS",
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
    state: AppContext = ctx.obj
    state.debug = debug
    state.env_file = env_file
    state.request_timeout = request_timeout


def _register() -> None:
    from daytona_cli.commands import completion, sandbox, snapshot

    app.add_typer(sandbox.app, name="sandbox")
    app.add_typer(snapshot.app, name="snapshot")
    app.command("completion")(completion.completion)


_register()


def _looks_like_exec(argv: Sequence[str]) -> bool:
    words = []
    skip = False
    for arg in argv:
        if arg == "--":
            break
        if skip:
            skip = False
            continue
        if arg in ("--env-file", "--request-timeout"):
            skip = True
            continue
        if not arg.startswith("-"):
            words.append(arg)
        if len(words) == 2:
            break
    return words == ["sandbox", "exec"]


def run(argv: Sequence[str], runtime: Runtime | None = None) -> int:
    """Run one command line and return its exit code; the real entry point and the tests' one."""
    import signal

    from typer._click.exceptions import ClickException

    from daytona_cli.completion import COMPLETE_VAR, respond

    state = AppContext(runtime or Runtime.from_process())
    # Known before parsing, so that even a usage error comes out as JSON under --json.
    options = argv[: list(argv).index("--")] if "--" in argv else argv
    state.output.json_mode = "--json" in options or "--jsonl" in options
    command = typer.main.get_command(app)
    if state.runtime.environ.get(COMPLETE_VAR):  # the shell asks for completions (TAB)
        return respond(command, state)
    previous_sigint = signal.getsignal(signal.SIGINT)
    try:
        result = command.main(
            args=list(argv), prog_name="daytona-cli", standalone_mode=False, obj=state
        )
    except ClickException as exc:
        hint = None
        usage_ctx = getattr(exc, "ctx", None)
        if usage_ctx is not None:
            hint = f"see `{usage_ctx.command_path} --help`"
        err = CliError(Category.USAGE, exc.format_message().rstrip("."), hint=hint)
        state.output.error(err)
        if _looks_like_exec(argv):
            return EXEC_OWN_FAILURE
        return 2 if exc.exit_code == 2 else 1
    except typer.Abort:
        state.output.error(CliError(Category.INTERRUPTED, "interrupted"))
        return 130
    finally:
        state.close()
        if signal.getsignal(signal.SIGINT) is not previous_sigint:
            signal.signal(signal.SIGINT, previous_sigint)
    return result if isinstance(result, int) else 0


def main() -> None:
    code = run(sys.argv[1:])
    if code == 130:
        # Interpreter shutdown may still join in-flight bulk workers: Ctrl-C again ends it at once.
        _exit_on_next_interrupt()
    sys.exit(code)
