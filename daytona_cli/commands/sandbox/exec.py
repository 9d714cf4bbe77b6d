"""``daytona-cli sandbox exec``: run a command in a sandbox and exit with its exit code.

Two routes: a toolbox session whose output streams (exec_stream.py, the default), and the
one-shot execute request (``--merged``, and the fallback where sessions are missing).
"""

from __future__ import annotations

import contextlib
import shlex
from typing import Annotated, Any

import typer

from daytona_cli.client.redact import MIN_SECRET_LENGTH
from daytona_cli.client.stream import preload
from daytona_cli.client.toolbox import EXEC_API_LIMIT_SECONDS
from daytona_cli.commands.base import TargetThenCommand, seconds
from daytona_cli.commands.options import TargetArgument
from daytona_cli.commands.sandbox.common import require_started
from daytona_cli.commands.sandbox.exec_common import (
    CANNOT_START_OR_KILLED,
    ExecOptions,
    exit_status,
)
from daytona_cli.commands.sandbox.exec_input import uploaded_stdin, wrapped
from daytona_cli.commands.sandbox.exec_stream import run_streaming, session_id
from daytona_cli.context import AppContext
from daytona_cli.errors import EXEC_OWN_FAILURE, EXEC_TIMEOUT, Category, CliError, Reason, usage
from daytona_cli.interrupts import REMOTE_LEFT_RUNNING
from daytona_cli.params import check_identifier, parse_env
from daytona_cli.types import JSONObject


class ExecCommand(TargetThenCommand):
    """exec's own failures, usage errors included, exit 125, apart from the codes the remote
    command has for itself (which may be 125 too: the error line on stderr tells them apart).

    ``app.py`` reads ``own_failure_exit`` from the command a usage error names, and from the
    run's context for failures once the command runs.
    """

    own_failure_exit = EXEC_OWN_FAILURE

    def invoke(self, ctx: Any) -> Any:
        ctx.obj.own_failure_exit = self.own_failure_exit
        return super().invoke(ctx)


def command_line(argv: list[str]) -> str:
    """One argument is a shell command line as-is; several are quoted and joined (NOTES.md)."""
    line = argv[0] if len(argv) == 1 else shlex.join(argv)
    if not line.strip():
        raise usage("empty command", hint="give the command after --, e.g. -- echo hello")
    return line


def run_exec(app: AppContext, opts: ExecOptions) -> int:
    """Run the command once (never retried once sent); returns the exit code to leave with.

    Streams through a toolbox session unless ``--merged``; falls back to the one-shot route,
    saying so once, when the daemon has no session API or the server no toolbox proxy.
    """
    if not opts.merged:
        app.client()  # httpx first: importing both at once would delay the first request
        preload()  # the WebSocket library loads while the requests before the stream wait
    for value in opts.env.values():  # a session carries them in its command line
        if len(value) >= MIN_SECRET_LENGTH:
            app.output.hide(shlex.quote(value))
            app.output.hide(value)
    hint = (
        f"start it with `daytona-cli sandbox start {opts.target}` or pass --start to start it first"
    )
    sandbox = require_started(app, opts.target, start=opts.start, start_hint=hint)
    if not opts.merged:
        session = app.client().toolbox.session(sandbox, session_id())
        if session is None:
            app.output.warn(
                "this server has no toolbox proxy, only the legacy one-shot route: "
                "stdout and stderr arrive merged, at the end"
            )
        else:
            code = run_streaming(app, sandbox, session, opts)
            if code is not None:
                return code
            app.output.warn(
                "the sandbox's daemon has no session API: running the command with the "
                "one-shot route (stdout and stderr merged, at the end)"
            )
    return run_one_shot(app, sandbox, opts)


def run_one_shot(app: AppContext, sandbox: JSONObject, opts: ExecOptions) -> int:
    """One execute request: stdout and stderr merged in ``result``; 124 timed out (the API
    discards the output), 126 could not start (the daemon's -1)."""
    toolbox = app.client().toolbox
    with contextlib.ExitStack() as stack:
        body = _one_shot_body(opts, toolbox.base_url(sandbox) is None)
        if opts.interactive:
            files = toolbox.files(sandbox)
            if files is None:
                raise CliError(
                    Category.OTHER,
                    "-i needs the sandbox's toolbox proxy, which this server does not have",
                )
            word = stack.enter_context(uploaded_stdin(files, app.runtime.streams))
            body["command"] = wrapped(body["command"], cwd=None, env={}, stdin=word)
        sent = app.clock.monotonic()
        try:
            answer = toolbox.execute(sandbox, body)
        except KeyboardInterrupt:
            _json_without_exit_code(app, opts)
            raise one_shot_interrupted(app, opts) from None
        except CliError as err:
            if err.status != 408:
                if _outlived_the_api(app, opts, err, sent):
                    err.hint = OUTLIVED_THE_API
                raise
            _json_without_exit_code(app, opts)
            app.output.error(timed_out(err, opts.timeout))
            return EXEC_TIMEOUT
    exit_code = int(answer["exitCode"])
    out = app.output
    if opts.json_output:
        result = answer["result"]
        out.json({"exitCode": exit_code, "stdout": result, "stderr": "", "result": result})
    else:
        app.runtime.streams.write_bytes(answer["result"].encode("utf-8", "surrogateescape"))
    if exit_code == -1:  # under --json too: the JSON's -1 needs saying what it means
        out.error(CANNOT_START_OR_KILLED)
    return exit_status(exit_code)


OUTLIVED_THE_API = (
    "the API gives a one-shot (--merged) command about 6 minutes; it may still be running: "
    "run long commands without --merged, which streams them with no time limit"
)


def _outlived_the_api(app: AppContext, opts: ExecOptions, err: CliError, sent: float) -> bool:
    """Whether a lost answer came after the API's own limit for a --merged command without
    --timeout: the likely reason, and one with a better way (NOTES.md, One-shot)."""
    elapsed = app.clock.monotonic() - sent
    return (
        err.reason is Reason.EXEC_UNKNOWN
        and opts.merged
        and not opts.timeout
        and elapsed >= EXEC_API_LIMIT_SECONDS
    )


def _json_without_exit_code(app: AppContext, opts: ExecOptions) -> None:
    """Under --json after a timeout (whose output the API discards) or Ctrl-C: the README's
    object all the same, with ``exitCode`` null and no output, so stdout is always JSON."""
    if opts.json_output:
        app.output.json({"exitCode": None, "stdout": "", "stderr": "", "result": ""})


def one_shot_interrupted(app: AppContext, opts: ExecOptions) -> CliError:
    """Ctrl-C or SIGTERM once the execute request is sent: the one-shot route has no way to
    stop the command (NOTES.md, One-shot), so the line says what ends it: the command itself,
    its timeout (the daemon kills it then) or the sandbox stopping."""
    word = "terminated" if app.terminated else "interrupted"
    limit = f", its --timeout of {opts.timeout} s runs out" if opts.timeout else ""
    return CliError(
        Category.INTERRUPTED,
        f"{word}; {REMOTE_LEFT_RUNNING}: the one-shot route cannot stop it "
        f"(it runs until it ends{limit} or the sandbox stops)",
        hint="without --merged, Ctrl-C kills the remote command" if opts.merged else None,
    )


def _one_shot_body(opts: ExecOptions, legacy: bool) -> JSONObject:
    """``ExecuteRequest``: ``cwd`` and ``envs`` as fields (the legacy route has no ``envs``:
    they go into the command line there)."""
    command = opts.command
    if opts.env and legacy:
        command = wrapped(command, cwd=None, env=opts.env, stdin=None)
    body = execute_body(command, opts.cwd, opts.timeout)
    if opts.env and not legacy:
        body["envs"] = dict(opts.env)
    return body


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
            callback=seconds(0),
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
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            metavar="KEY=VALUE",
            help="Set an environment variable for the command (repeatable).",
        ),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Pass stdin to the command: piped input whole, typed lines as they come.",
        ),
    ] = False,
    merged: Annotated[
        bool,
        typer.Option(
            "--merged",
            help="One request, stdout and stderr merged, output at the end (fastest for short "
            "commands); Ctrl-C cannot stop the remote command then.",
        ),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print exitCode, stdout and stderr as one JSON object once the command has "
            "ended, instead of streaming its output.",
        ),
    ] = False,
) -> None:
    """Run a command in a sandbox and exit with its exit code.

    The first word after the sandbox begins the command (-- before it is optional), so its
    own options are never taken for exec's: exec's options go before it.
    The command's stdout and stderr stream to ours as they are produced, byte for byte.
    There is no time limit unless --timeout. Ctrl-C kills the remote command (exit 130),
    except with --merged: the one-shot route cannot stop it.
    Exit: the command's own code; 124 if it timed out; 126 if it could not be started;
    125 if daytona-cli itself failed (an answer lost after sending included: the command may
    have run). The command may exit with these codes too: stderr's error line, or --json's
    exitCode, tells them apart.

    \b
    Examples:
      daytona-cli sandbox exec demo -- ls -la /tmp
      printf 'a\\nb\\n' | daytona-cli sandbox exec -i demo -- wc -l
    """
    app = AppContext.of(ctx, json_mode=json_output)
    line = command_line(command)
    opts = ExecOptions(
        check_identifier(target),
        line,
        cwd=cwd,
        timeout=timeout,
        start=start_first,
        json_output=json_output,
        env=parse_env(env or []),
        interactive=interactive,
        merged=merged,
    )
    raise typer.Exit(run_exec(app, opts))
