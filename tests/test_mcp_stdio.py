"""`daytona-cli mcp` as an agent host runs it: a subprocess spoken to over stdio (issue 13).

The MCP SDK's own stdio client starts the command, does the `initialize` handshake, lists the
tools and calls every one of them against the fake served on loopback (a key in the
environment, none at all, a key in ./.env, a key in --env-file), and servers started without
stdin or stdout end as the README's Output section says; the tools' finer behaviour is in
`test_mcp_tools.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import LATEST_PROTOCOL_VERSION, CallToolResult

from tests.conftest import API_KEY, CLI
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona
from tests.faults_helpers import installed_env
from tests.mcp_helpers import TOOL_NAMES, error, text

Scenario = Callable[[Client], Awaitable[None]]


def drive(command: list[str], env: dict[str, str], workdir: Path, scenario: Scenario) -> str:
    """Start the server, run ``scenario`` with a connected client, close it; returns the
    server's stderr. Fails if anything but a protocol message came on its stdout."""
    unreadable: list[Exception] = []

    async def handler(message: Any) -> None:
        if isinstance(message, Exception):  # a stdout line that is not a JSON-RPC message
            unreadable.append(message)

    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=workdir)
    log = workdir / "server-stderr.log"

    async def session() -> None:
        with log.open("w") as errlog:
            transport = stdio_client(params, errlog=errlog)
            async with Client(
                transport, mode="legacy", message_handler=handler, read_timeout_seconds=30
            ) as client:
                await scenario(client)

    anyio.run(session)
    assert unreadable == []
    return log.read_text()


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result
    assert result.structured_content is not None
    return result.structured_content


async def every_tool(client: Client) -> None:
    """What a host does: initialize (done by Client), list, then call each of the eight."""
    assert client.server_info is not None
    assert client.server_info.name == "daytona-cli"
    listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(listed) == TOOL_NAMES
    assert listed["delete_sandbox"].annotations is not None
    assert listed["delete_sandbox"].annotations.destructive_hint is True
    assert listed["get_sandbox"].annotations is not None
    assert listed["get_sandbox"].annotations.read_only_hint is True
    assert "sandbox" in listed["execute_command"].input_schema["required"]

    made = structured(await client.call_tool("create_sandbox", {"name": "agent-box"}))
    assert made["state"] == "started"
    listed_boxes = structured(await client.call_tool("list_sandboxes", {"name_prefix": "agent"}))
    assert [box["id"] for box in listed_boxes["sandboxes"]] == [made["id"]]
    got = structured(await client.call_tool("get_sandbox", {"sandbox": made["id"]}))
    assert got["name"] == "agent-box"
    ran = await client.call_tool(
        "execute_command", {"sandbox": "agent-box", "command": "echo hello; echo oops >&2; exit 4"}
    )
    assert structured(ran) == {"exitCode": 4, "stdout": "hello\n", "stderr": "oops\n"}
    assert (
        structured(await client.call_tool("stop_sandbox", {"sandbox": "agent-box"}))["state"]
        == "stopped"
    )

    stopped = error(
        await client.call_tool("execute_command", {"sandbox": "agent-box", "command": "true"})
    )
    assert stopped["code"] == "conflict"
    assert "start_sandbox" in stopped["hint"]
    assert (
        structured(await client.call_tool("start_sandbox", {"sandbox": "agent-box"}))["state"]
        == "started"
    )
    snapshots = structured(await client.call_tool("list_snapshots", {}))
    assert DEFAULT_SNAPSHOT in [snapshot["name"] for snapshot in snapshots["snapshots"]]
    deleted = await client.call_tool("delete_sandbox", {"sandbox": "agent-box"})
    assert text(deleted).startswith("Deletion of sandbox agent-box")

    missing = error(await client.call_tool("get_sandbox", {"sandbox": "agent-box"}))
    assert (missing["code"], missing["status"]) == ("not_found", 404)
    bad = error(await client.call_tool("list_sandboxes", {"limit": "many"}))
    assert bad["code"] == "usage"
    assert "limit" in bad["message"]


def test_an_agent_host_drives_every_tool_over_stdio(
    fake: FakeDaytona, served: str, tmp_path: Path
) -> None:
    env = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served}
    log = drive([str(CLI), "mcp"], env, tmp_path, every_tool)
    # The log (stderr) has the failed calls, one line each, and never the key.
    assert "get_sandbox: error: " in log
    assert "execute_command: error: sandbox agent-box" in log
    assert API_KEY not in log
    methods = [(request.method, request.url.path) for request in fake.requests]
    assert ("POST", "/api/sandbox") in methods
    # A command runs in a toolbox session of its own, deleted afterwards.
    assert any(path.endswith("/exec") and "/process/session/" in path for _m, path in methods)
    assert any(method == "DELETE" and "/process/session/" in path for method, path in methods)


def test_without_a_key_the_server_starts_lists_its_tools_and_every_call_says_so(
    fake: FakeDaytona, served: str, tmp_path: Path
) -> None:
    async def without_key(client: Client) -> None:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOL_NAMES
        for name, arguments in (("list_sandboxes", {}), ("get_sandbox", {"sandbox": "x"})):
            body = error(await client.call_tool(name, arguments))
            assert body["code"] == "auth"
            assert body["message"] == "no API key: DAYTONA_API_KEY is not set"

    log = drive(
        [sys.executable, "-m", "daytona_cli", "mcp"],
        {"DAYTONA_API_URL": served},
        tmp_path,
        without_key,
    )
    assert log.splitlines()[0] == (
        "warning: no API key: DAYTONA_API_KEY is not set: every tool call will fail with "
        "this error until the setting is fixed and the server restarted"
    )
    assert fake.requests == []


@pytest.mark.parametrize("where", ["dot-env", "env-file"])
def test_the_server_reads_its_settings_from_dot_env_or_env_file_as_every_command_does(
    fake: FakeDaytona, served: str, tmp_path: Path, where: str
) -> None:
    box = fake.add_sandbox("from-the-file")
    settings = f"DAYTONA_API_KEY={API_KEY}\nDAYTONA_API_URL={served}\n"
    if where == "dot-env":
        (tmp_path / ".env").write_text(settings)
        command = [str(CLI), "mcp"]
    else:
        env_file = tmp_path / "elsewhere" / "mcp.env"  # not the server's working directory
        env_file.parent.mkdir()
        env_file.write_text(settings)
        command = [str(CLI), "--env-file", str(env_file), "mcp"]

    async def listing(client: Client) -> None:
        listed = structured(await client.call_tool("list_sandboxes", {}))
        assert [sandbox["id"] for sandbox in listed["sandboxes"]] == [box["id"]]

    log = drive(command, {}, tmp_path, listing)  # nothing in the environment: no key, no URL
    assert log == ""
    assert [(request.method, request.url.path) for request in fake.requests] == [
        ("GET", "/api/sandbox")
    ]
    assert fake.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


# -- streams the server was started without ------------------------------------------------------

INITIALIZE = json.dumps({
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {},
               "clientInfo": {"name": "test", "version": "1"}},
}).encode() + b"\n"  # fmt: skip


def run_mcp(
    shell: str, stdin: bytes, url: str, workdir: Path
) -> subprocess.CompletedProcess[bytes]:
    """``daytona-cli mcp`` with the shell's redirection ``shell`` (``<&-``) applied first."""
    return subprocess.run(
        ["/bin/sh", "-c", f'exec "$0" mcp {shell}', str(CLI)],
        input=stdin, capture_output=True, env=installed_env(url), cwd=workdir,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("shell", ["<&-", "< /dev/null", "<&- >&-"])
def test_a_server_started_without_stdin_ends_at_once_as_with_dev_null(
    fake: FakeDaytona, served: str, tmp_path: Path, shell: str
) -> None:
    ended = run_mcp(shell, b"", served, tmp_path)
    assert (ended.returncode, ended.stdout, ended.stderr) == (0, b"", b"")
    assert fake.requests == []


def test_a_server_started_without_stdout_serves_into_nothing_and_exits_0(
    fake: FakeDaytona, served: str, tmp_path: Path
) -> None:
    ended = run_mcp(">&-", INITIALIZE, served, tmp_path)
    assert (ended.returncode, ended.stdout, ended.stderr) == (0, b"", b"")
    assert fake.requests == []
