"""Driving ``daytona-cli mcp``'s server through the MCP SDK's own client.

`Agent` talks to the server in-process (the SDK's in-memory transport, the `initialize`
handshake hosts use), with the run's streams, the fake's transport and the virtual clock
injected as for the `cli` fixture; the stdio tests start the real command instead.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp.client import Client
from mcp.types import CallToolResult, Tool

from daytona_cli.clock import Clock
from daytona_cli.context import AppContext, Runtime
from daytona_cli.mcp_server.server import build_server
from daytona_cli.mcp_server.tools import Session
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, BASE_URL
from tests.fake_daytona import FakeDaytona

TOOL_NAMES = {
    "list_sandboxes",
    "create_sandbox",
    "get_sandbox",
    "delete_sandbox",
    "start_sandbox",
    "stop_sandbox",
    "execute_command",
    "list_snapshots",
}


def text(result: CallToolResult) -> str:
    """The text content of a result (one block)."""
    [block] = result.content
    assert block.type == "text"
    return block.text


def error(result: CallToolResult) -> dict[str, Any]:
    """The CLI's JSON error a failed call carries; asserts the call failed as a tool error
    whose text is its one line (then, for a command cut short, its output: asserted by the
    test itself)."""
    assert result.is_error, result
    assert result.structured_content is not None
    body: dict[str, Any] = result.structured_content["error"]
    line = f"error: {body['message']}" + (f"; {body['hint']}" if body["hint"] else "")
    if "stdout" in result.structured_content:
        assert text(result).startswith(line + "\n")
    else:
        assert text(result) == line
    return body


class Agent:
    """An MCP host's view of the server, in-process: list the tools, call one."""

    def __init__(
        self,
        fake: FakeDaytona,
        workdir: Path,
        clock: Clock | None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``clock`` None: real time (a command runs as a real process in the fake)."""
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        streams = Streams(stdout=self.stdout, stderr=self.stderr, stdin=io.StringIO())
        environ = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": BASE_URL, **(env or {})}
        runtime = Runtime(
            environ={key: value for key, value in environ.items() if value},
            cwd=workdir,
            streams=streams,
            transport=httpx.MockTransport(fake.handler),
            clock=clock or Clock(),
        )
        self.app = AppContext(runtime)
        self.server = build_server(Session(self.app))

    def tools(self) -> dict[str, Tool]:
        async def listing() -> dict[str, Tool]:
            async with Client(self.server, mode="legacy") as client:
                return {tool.name: tool for tool in (await client.list_tools()).tools}

        return anyio.run(listing)

    def call(self, tool: str, /, **arguments: Any) -> CallToolResult:
        async def calling() -> CallToolResult:
            async with Client(self.server, mode="legacy") as client:
                return await client.call_tool(tool, arguments)

        return anyio.run(calling)

    def close(self) -> None:
        self.app.close()
