"""``daytona-cli mcp``: the sandbox tools for AI agents over MCP, and how to register them.

Nothing of the MCP SDK is imported here: only running the server imports it (the optional
``mcp`` extra), so no other command pays for it, and without it ``mcp`` says how to install it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from daytona_cli.commands.base import Command, Group
from daytona_cli.completion import choices
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.mcp_server.hosts import HOSTS, snippet
from daytona_cli.params import check_choice

INSTALL_HINT = "install it with pip install 'daytona-cli[mcp]'"

app = typer.Typer(
    help=(
        "Serve the sandbox tools to AI agents over MCP.\n\n"
        "With no command, runs the server (as serve does). Tools: list_sandboxes, "
        "create_sandbox, get_sandbox, delete_sandbox, start_sandbox, stop_sandbox, "
        "execute_command and list_snapshots. Settings as for every command: the environment, "
        "then ./.env, or --env-file PATH given before mcp.\n\n"
        "Needs the mcp extra: pip install 'daytona-cli[mcp]'."
    ),
    cls=Group,
    rich_markup_mode=None,
    subcommand_metavar="[COMMAND]",
)


@app.callback(invoke_without_command=True)
def mcp_group(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        run_serve(AppContext.of(ctx))


@app.command("serve", cls=Command)
def serve(ctx: typer.Context) -> None:
    """Run the MCP server on stdin and stdout until the host closes stdin.

    Only protocol messages go to stdout; the log (failed calls, and HTTP exchanges under
    --debug) goes to stderr. A missing API key does not stop the server: every tool call
    reports it.

    \b
    Example:
      daytona-cli --env-file ~/.config/daytona-cli/mcp.env mcp
    """
    run_serve(AppContext.of(ctx))


@app.command("config", cls=Command)
def config(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Argument(
            metavar="HOST",
            help="claude (Claude Code), claude-desktop, cursor or vscode.",
            autocompletion=choices(HOSTS),
        ),
    ],
) -> None:
    """Print the JSON that registers the server with an agent host.

    The JSON goes to stdout; where it goes and how the host passes DAYTONA_API_KEY to the
    server go to stderr. The key is never written out: the snippet refers to it. --env-file,
    given before mcp, is kept in the snippet.

    \b
    Example:
      daytona-cli mcp config cursor
    """
    state = AppContext.of(ctx)
    chosen = check_choice(host, HOSTS, "HOST") or host
    env_file = state.env_file.resolve() if state.env_file is not None else None
    made = snippet(chosen, launcher(), env_file)
    state.output.write(json.dumps(made.config, indent=2) + "\n")
    for note in made.notes:
        state.output.info(note)
    import importlib.util

    if importlib.util.find_spec("mcp") is None:
        state.output.warn(
            f"the server needs the MCP Python SDK, not installed here: {INSTALL_HINT}"
        )


def launcher() -> list[str]:
    """How a host starts this daytona-cli: its console script beside this Python (hosts run
    servers with a short PATH, so the path is absolute), else ``python -m daytona_cli``."""
    here = Path(sys.executable)
    for name in ("daytona-cli", "daytona-cli.exe"):
        script = here.with_name(name)
        if script.is_file():
            return [str(script)]
    return [str(here), "-m", "daytona_cli"]


def run_serve(state: AppContext) -> None:
    """Serve until stdin closes (:class:`~daytona_cli.mcp_server.tools.Session`: settings read
    once, the run's messages on stderr, stdout left to the protocol)."""
    try:
        import mcp.server.mcpserver  # noqa: F401  (the optional extra)
    except ImportError:
        raise CliError(
            Category.OTHER,
            "daytona-cli mcp needs the MCP Python SDK, which is not installed",
            hint=INSTALL_HINT,
        ) from None
    from daytona_cli.mcp_server.server import serve as serve_stdio
    from daytona_cli.mcp_server.tools import Session

    at_terminal = state.runtime.streams.stdin_tty
    session = Session(state)
    if at_terminal:
        state.output.info(
            "daytona-cli mcp: serving MCP on stdin and stdout for an agent host, which starts "
            "it itself (see daytona-cli mcp config --help); Ctrl-C stops it"
        )
    if session.config_error is not None:
        state.output.warn(
            f"{session.config_error.message}: every tool call will fail with this error until "
            "the setting is fixed and the server restarted"
        )
    serve_stdio(session)
