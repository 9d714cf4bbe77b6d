"""`daytona-cli mcp` as a command: without the extra, and `mcp config HOST` (issue 13).

The server itself is driven through the MCP SDK in `test_mcp_tools.py` and `test_mcp_stdio.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY, CLI, Cli
from tests.fake_daytona import FakeDaytona
from tests.test_completion import complete


def test_without_the_extra_mcp_says_in_one_line_how_to_install_it(
    cli: Cli, fake: FakeDaytona, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mcp.server.mcpserver", None)  # as if not installed
    for argv in (["mcp"], ["mcp", "serve"]):
        result = cli(*argv)
        assert result.exit_code == 1, result
        assert result.stdout == ""
        assert result.stderr == (
            "error: daytona-cli mcp needs the MCP Python SDK, which is not installed; "
            "install it with pip install 'daytona-cli[mcp]'\n"
        )
    assert fake.requests == []


@pytest.mark.parametrize("host", ["claude", "cursor", "vscode", "claude-desktop"])
def test_config_prints_json_that_refers_to_the_key_and_never_holds_it(
    cli: Cli, fake: FakeDaytona, host: str
) -> None:
    result = cli("mcp", "config", host)
    assert result.exit_code == 0, result
    assert API_KEY not in result.stdout + result.stderr  # the `cli` runs with the key set
    config = json.loads(result.stdout)
    servers = config["servers" if host == "vscode" else "mcpServers"]
    entry = servers["daytona"]
    assert entry["command"] == str(CLI)  # absolute: hosts start servers with a short PATH
    assert entry["args"][-1] == "mcp"
    key = entry.get("env", {}).get("DAYTONA_API_KEY")
    expected = {
        "claude": "${DAYTONA_API_KEY}",
        "cursor": "${env:DAYTONA_API_KEY}",
        "vscode": "${input:daytona-api-key}",
        "claude-desktop": None,
    }
    assert key == expected[host]
    assert len(result.stderr.splitlines()) == 2  # where it goes, and how the key gets there
    assert fake.requests == []


def test_claude_desktop_reads_the_key_from_a_file_as_it_expands_no_variables(cli: Cli) -> None:
    result = cli("mcp", "config", "claude-desktop")
    entry = json.loads(result.stdout)["mcpServers"]["daytona"]
    env_file = Path.home() / ".config" / "daytona-cli" / "mcp.env"
    assert entry["args"] == ["--env-file", str(env_file), "mcp"]
    assert f"put DAYTONA_API_KEY=... in {env_file}" in result.stderr
    assert "claude_desktop_config.json" in result.stderr


def test_vscode_asks_for_the_key_once_as_a_password(cli: Cli) -> None:
    config = json.loads(cli("mcp", "config", "vscode").stdout)
    assert config["inputs"] == [
        {
            "type": "promptString",
            "id": "daytona-api-key",
            "description": "Daytona API key",
            "password": True,
        }
    ]
    assert config["servers"]["daytona"]["type"] == "stdio"


def test_an_env_file_given_before_mcp_is_kept_in_the_snippet(cli: Cli, isolated: Path) -> None:
    (isolated / "ci.env").write_text("DAYTONA_API_KEY=from-file\n")
    result = cli("--env-file", "ci.env", "mcp", "config", "cursor")
    assert result.exit_code == 0, result
    entry = json.loads(result.stdout)["mcpServers"]["daytona"]
    assert entry["args"] == ["--env-file", str(isolated / "ci.env"), "mcp"]
    assert "from-file" not in result.stdout + result.stderr
    # The key comes from the file: an env entry would override it with the host's value.
    assert "env" not in entry


def test_an_unknown_host_is_a_usage_error_naming_the_hosts(cli: Cli) -> None:
    result = cli("mcp", "config", "emacs")
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert result.stderr == (
        "error: HOST must be one of claude, claude-desktop, cursor, vscode; got 'emacs'\n"
    )


def test_the_hosts_complete(cli: Cli) -> None:
    assert complete(cli, "daytona-cli mcp config c").stdout.split() == [
        "claude",
        "claude-desktop",
        "cursor",
    ]
    assert complete(cli, "daytona-cli mcp ").stdout.split() == ["serve", "config"]
