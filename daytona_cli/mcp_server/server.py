"""``daytona-cli mcp``'s server: the eight tools on the MCP Python SDK's ``MCPServer``, on stdio.

Imported only by ``daytona-cli mcp``: the SDK brings pydantic, starlette and uvicorn (most of a
second of imports). Each tool's input schema is its signature (every field described), its
annotations tell a host what it may run without asking, and its output schema is the model in
its return annotation. Every call ends in a result: the tool's structured content and text, or a
tool error (``isError``) with the CLI's JSON error (``code``, ``message``, ``status``, ``hint``)
as structured content and its one-line form as text. Nothing escapes to crash the server, and
nothing but protocol messages reaches stdout (the SDK owns it; ``commands/mcp.py`` points the
run's output at stderr).
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, InputRequiredResult, TextContent
from pydantic import ValidationError

from daytona_cli import __version__
from daytona_cli.errors import Category, CliError, usage
from daytona_cli.hints import hint_for
from daytona_cli.mcp_server.execute import STOP_GRACE, Cancelled
from daytona_cli.mcp_server.schema import TOOL_NAMES, register_tools
from daytona_cli.mcp_server.tools import Session, ToolResult, Unfinished
from daytona_cli.types import JSONObject

INSTRUCTIONS = (
    "Daytona sandboxes: isolated machines to run code in. List, create, inspect, start, stop "
    "and delete sandboxes, run shell commands in started ones, and list the snapshots they are "
    "made from. Sandboxes are named by name or ID. Errors carry a code (not_found, conflict, "
    "usage, auth, timeout...) and a hint saying what to do next."
)


class DaytonaServer(MCPServer[Any]):
    """``MCPServer`` whose refusals of a call (arguments that fail the input schema, an unknown
    tool) are tool errors in the same form as every other failure."""

    def __init__(self, session: Session) -> None:
        super().__init__(
            "daytona-cli",
            title="Daytona sandboxes (daytona-cli)",
            instructions=INSTRUCTIONS,
            version=__version__,
            log_level="WARNING",
        )
        self.session = session

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:  # the SDK's own step failed (say, an output check)
            cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            return failure(self.session, name, internal_error(self.session, cause))
        except ToolError as exc:
            return failure(self.session, name, refusal(name, exc))


def refusal(name: str, exc: ToolError) -> CliError:
    """A call the SDK refused before the tool ran, as a usage error naming what was wrong."""
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
            for error in cause.errors(include_url=False, include_input=False)
        )
        return usage(f"invalid input for {name}: {problems}", hint="see the tool's input schema")
    if name not in TOOL_NAMES:
        return usage(
            f"there is no tool named {name!r}", hint="the tools are " + ", ".join(TOOL_NAMES)
        )
    return usage(str(exc))


def answer(session: Session, name: str, work: Callable[[], ToolResult]) -> CallToolResult:
    """Run one tool call to its result, whatever happens: a failure is a tool error."""
    try:
        result = work()
    except Cancelled:  # nobody hears this answer: nothing to log either
        return CallToolResult(content=[TextContent(type="text", text="cancelled")], is_error=True)
    except Unfinished as exc:
        return failure(session, name, exc.error, exc.made, exc.text)
    except CliError as err:
        return failure(session, name, err)
    except Exception as exc:  # a bug: reported as the CLI reports one, and the server goes on
        return failure(session, name, internal_error(session, exc))
    return CallToolResult(
        content=[TextContent(type="text", text=result.text)],
        structured_content=result.structured,
    )


def failure(
    session: Session,
    name: str,
    err: CliError,
    made: JSONObject | None = None,
    more: str | None = None,
) -> CallToolResult:
    """A tool error: the CLI's JSON error (and what was made before it failed) as structured
    content, its ``error: message; hint`` line as text (then ``more``, what was made, on lines
    of its own), and that line on stderr (the log)."""
    out = session.app.output
    # No "run with --debug" advice: an agent cannot restart the server it is talking to.
    err.hint = hint_for(err, debug=True)
    err.message = for_agents(err.message)
    err.hint = for_agents(err.hint) if err.hint else err.hint
    body: JSONObject = json.loads(out.redact(json.dumps(err.to_json(), ensure_ascii=False)))
    line = f"error: {body['error']['message']}"
    if body["error"]["hint"]:
        line += f"; {body['error']['hint']}"
    out.info(f"{name}: {line}")
    told = line if more is None else f"{line}\n{more}"
    return CallToolResult(
        content=[TextContent(type="text", text=told)],
        structured_content={**body, **(made or {})},
        is_error=True,
    )


_TOOL_FOR = {
    "list": "list_sandboxes",
    "get": "get_sandbox",
    "delete": "delete_sandbox",
    "start": "start_sandbox",
    "stop": "stop_sandbox",
    "create": "create_sandbox",
}


SERVER_OPTIONS = ("env-file", "request-timeout", "debug")
"""Options of the server's own command line (``daytona-cli --env-file FILE mcp``): no tool
takes them, so they keep their CLI form."""

_PHRASES = (
    (" or --dockerfile", ""),  # create_sandbox builds from an image only
    (
        "drop the resource flags, or build from an image with --image IMAGE",
        "leave out cpu, memory and disk, or build from an image: pass `image`",
    ),
    (
        "(or a file named with --env-file)",
        "(or a file named by the server's command, `daytona-cli --env-file FILE mcp`), then "
        "restart the server",
    ),
    (
        "name a file holding it with --env-file",
        "name a file holding it in the server's command, `daytona-cli --env-file FILE mcp`",
    ),
    (
        "pass --env-file .env if you trust that file",
        "start the server with `daytona-cli --env-file .env mcp` if you trust that file",
    ),
    (
        "raise --request-timeout",
        "start the server with a larger `daytona-cli --request-timeout SECONDS mcp`",
    ),
)
"""CLI advice with no word-for-word counterpart in the tools, as a tool caller can act on it."""


def for_agents(text: str) -> str:
    """A CLI message in the words of the tools: ``daytona-cli sandbox get ID`` becomes the
    ``get_sandbox`` tool on ``ID``, an option ``--cpu`` (with its metavar, ``--image IMAGE``)
    the input `` `cpu` ``; the server's own options (:data:`SERVER_OPTIONS`) are said as its
    command line, and phrases without a counterpart are reworded (:data:`_PHRASES`)."""
    import re

    def tool(match: re.Match[str]) -> str:
        name = _TOOL_FOR.get(match.group(1))
        if name is None:
            return match.group(0)
        target = match.group(2)
        return f"the {name} tool" + (f" on {target}" if target else "")

    def option(match: re.Match[str]) -> str:
        if match.group(1) in SERVER_OPTIONS:
            return match.group(0)
        return f"`{match.group(1).replace('-', '_')}`"

    for cli, tools_words in _PHRASES:
        text = text.replace(cli, tools_words)
    text = re.sub(
        r"`daytona-cli sandbox list -l ([^=`\s]+)=([^`\s]*)`",
        lambda m: f'the list_sandboxes tool with labels {{"{m.group(1)}": "{m.group(2)}"}}',
        text,
    )
    text = re.sub(r"`daytona-cli sandbox (\w+)(?: ([^`\s-][^`\s]*))?[^`]*`", tool, text)
    return re.sub(r"(?<![\w`-])--([a-z][a-z-]*)(?: [A-Z]{2,}\b)?", option, text)


def internal_error(session: Session, exc: Exception) -> CliError:
    """A bug, worded as the CLI words one; its traceback goes to stderr under ``--debug``."""
    app = session.app
    if app.debug:
        import traceback

        app.output.traceback("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return CliError(
        Category.OTHER,
        f"internal error: {type(exc).__name__}: {exc}",
        hint="please report it, with the server's log"
        if app.debug
        else "start the server with `daytona-cli --debug mcp` for details, and please report it",
    )


def build_server(session: Session) -> DaytonaServer:
    """The server with its eight tools, each calling ``tools.py`` through :func:`answer`."""
    server = DaytonaServer(session)
    register_tools(server, lambda name, work: answer(session, name, work), session)
    return server


def serve(session: Session) -> None:
    """Serve MCP on stdin/stdout until the host closes stdin, or stops the server with SIGTERM
    or Ctrl-C (:func:`stop_on_signals`)."""
    stop_on_signals(session)
    with _standard_streams():
        build_server(session).run(transport="stdio")


@contextmanager
def _standard_streams() -> Iterator[None]:
    """``sys.stdin`` as the SDK's stdio transport wants it (it reads its ``buffer``): when the
    process was started without one (``<&-``: Python's is then None), /dev/null, as for every
    command (``streams.py``), so that the server ends at once, exit 0, as with ``< /dev/null``.
    (A closed stdout needs nothing here: the run points ``sys.stdout`` at its streams, where a
    closed one is /dev/null already.)"""
    import os
    import sys

    if sys.stdin is not None:
        yield
        return
    with open(os.devnull, encoding="utf-8") as null:
        sys.stdin = null
        try:
            yield
        finally:
            sys.stdin = None


MAY_STILL_RUN = "commands still running in sandboxes may not have been stopped"


def stop_on_signals(session: Session) -> None:
    """SIGTERM (how hosts stop a server) or Ctrl-C ends the server at once, whether idle or in
    a call: the sessions of commands still running are deleted first (which kills them; at most
    :data:`STOP_GRACE` seconds), then the process exits 143 or 130. Waiting for the SDK to wind
    down instead would wait for the next line on stdin, or for a running command to end."""
    import os
    import signal
    import threading

    from daytona_cli.interrupts import INTERRUPTED, TERMINATED, tidying
    from daytona_cli.mcp_server.execute import kill_running

    def stop(signum: int, _frame: object) -> None:
        code = TERMINATED if signum == signal.SIGTERM else INTERRUPTED
        # A repeat must not cut the tidy-up short (`timeout` sends two signals; a host that will
        # not wait sends SIGKILL): only a deliberate Ctrl-C again exits at once, and says what it
        # leaves (interrupts.py).
        tidying(MAY_STILL_RUN)
        tidy = threading.Thread(target=kill_running, args=(session.app,), daemon=True)
        tidy.start()
        tidy.join(STOP_GRACE)
        session.app.output.info("daytona-cli mcp: stopped")
        os._exit(code)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
