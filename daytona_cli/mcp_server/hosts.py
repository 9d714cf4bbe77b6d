"""How each agent host registers an MCP server: the JSON it wants, where it goes, and how the
API key reaches the server without ever being written into the host's file.

- Claude Code reads ``.mcp.json`` (``mcpServers``) and expands ``${VAR}`` from its environment.
- Claude Desktop reads ``claude_desktop_config.json`` (``mcpServers``); it expands nothing and
  gives servers little of the shell's environment, so the key comes from a file named with
  ``--env-file``.
- Cursor reads ``~/.cursor/mcp.json`` or ``.cursor/mcp.json`` (``mcpServers``) and expands
  ``${env:VAR}``.
- VS Code reads ``.vscode/mcp.json`` or the user ``mcp.json`` (``servers``, plus ``inputs``):
  a ``promptString`` input with ``password`` asks once and keeps the key in its secret storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from daytona_cli.types import JSONObject

HOSTS = ("claude", "claude-desktop", "cursor", "vscode")
SERVER_NAME = "daytona"
KEY = "DAYTONA_API_KEY"


@dataclass
class Snippet:
    """``config`` goes in the host's file (printed on stdout); ``notes`` say where, and how the
    key gets to the server (printed on stderr)."""

    config: JSONObject
    notes: list[str]


def default_env_file() -> Path:
    """Where Claude Desktop's server reads its key from unless ``--env-file`` names a file."""
    return Path.home() / ".config" / "daytona-cli" / "mcp.env"


def snippet(host: str, launcher: Sequence[str], env_file: Path | None) -> Snippet:
    """The registration for ``host`` (one of :data:`HOSTS`) of the server run as
    ``launcher`` (the executable and any arguments before the global options) with the
    settings of ``env_file`` if given."""
    command, *before = launcher
    if host == "claude-desktop":
        return _claude_desktop(command, before, env_file)
    options = ["--env-file", str(env_file)] if env_file is not None else []
    entry: JSONObject = {"type": "stdio", "command": command, "args": [*before, *options, "mcp"]}
    if env_file is not None:  # the key comes from that file: an env entry would override it
        return Snippet(
            {"mcpServers": {SERVER_NAME: entry}},
            [
                f"Add the daytona entry to the host's MCP configuration; the server reads {KEY} "
                f"from {env_file} (keep it readable only by you: chmod 600).",
            ],
        )
    return {"vscode": _vscode, "cursor": _cursor}.get(host, _claude_code)(entry)


def _claude_desktop(command: str, before: Sequence[str], env_file: Path | None) -> Snippet:
    key_file = env_file or default_env_file()
    entry: JSONObject = {"command": command, "args": [*before, "--env-file", str(key_file), "mcp"]}
    return Snippet(
        {"mcpServers": {SERVER_NAME: entry}},
        [
            "Add the daytona entry to mcpServers in claude_desktop_config.json (Claude "
            "Desktop: Settings > Developer > Edit Config; on macOS in ~/Library/Application "
            "Support/Claude/, on Windows in %APPDATA%\\Claude\\), then restart Claude Desktop.",
            f"Claude Desktop expands no variables: put {KEY}=... in {key_file}, "
            "readable only by you (chmod 600).",
        ],
    )


def _vscode(entry: JSONObject) -> Snippet:
    entry["env"] = {KEY: "${input:daytona-api-key}"}
    prompt = {
        "type": "promptString",
        "id": "daytona-api-key",
        "description": "Daytona API key",
        "password": True,
    }
    return Snippet(
        {"inputs": [prompt], "servers": {SERVER_NAME: entry}},
        [
            "Put this in .vscode/mcp.json in your workspace, or in your user mcp.json "
            "(command MCP: Open User Configuration), merging inputs and servers.",
            "VS Code asks for the key once and keeps it in its secret storage.",
        ],
    )


def _cursor(entry: JSONObject) -> Snippet:
    entry["env"] = {KEY: f"${{env:{KEY}}}"}
    return Snippet(
        {"mcpServers": {SERVER_NAME: entry}},
        [
            "Add the daytona entry to mcpServers in ~/.cursor/mcp.json (every project) or "
            ".cursor/mcp.json (one project).",
            f"Cursor fills in {KEY} from its environment: export it before starting Cursor.",
        ],
    )


def _claude_code(entry: JSONObject) -> Snippet:
    entry["env"] = {KEY: f"${{{KEY}}}"}
    return Snippet(
        {"mcpServers": {SERVER_NAME: entry}},
        [
            "Add the daytona entry to mcpServers in .mcp.json at the root of your project "
            "(Claude Code), or for every project: claude mcp add-json --scope user daytona "
            "'<the daytona entry>'.",
            f"Claude Code fills in {KEY} from its environment: export it before starting it.",
        ],
    )
