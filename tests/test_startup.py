"""Start-up discipline: what a command imports is part of how fast it answers.

Checked by what modules a real process loaded (``python -X importtime``), never by timing.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import API_KEY
from tests.fake_daytona import FakeDaytona


def imported_modules(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Run ``python -m daytona_cli ARGS`` piped, and return its exit code and every module it loaded."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DAYTONA_")}
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "daytona_cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    modules = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc.returncode, modules


@pytest.mark.parametrize(
    "args",
    [("--version",), ("--help",), ("sandbox", "--help"), ("sandbox", "list", "--help")],
)
def test_version_and_help_never_import_httpx_or_rich(args: tuple[str, ...]) -> None:
    code, modules = imported_modules(*args)
    assert code == 0
    assert "daytona_cli.app" in modules  # the measurement itself works
    assert "httpx" not in modules
    assert not {m for m in modules if m == "rich" or m.startswith("rich.")}


# The SDK and what it brings (not anyio: httpx itself imports it).
MCP_SDK = ("mcp", "mcp_types", "pydantic", "starlette", "uvicorn", "httpx2")


@pytest.mark.parametrize("args", [("--help",), ("mcp", "--help"), ("mcp", "config", "claude")])
def test_nothing_of_the_mcp_sdk_is_imported_outside_the_server(args: tuple[str, ...]) -> None:
    code, modules = imported_modules(*args)
    assert code == 0
    assert "daytona_cli.commands.mcp" in modules
    assert not {m for m in modules if m.split(".")[0] in MCP_SDK}
    assert "daytona_cli.mcp_server.server" not in modules


def test_a_usage_error_is_reported_without_importing_httpx() -> None:
    code, modules = imported_modules("sandbox", "list", "--state", "bogus")
    assert code == 2
    assert "httpx" not in modules


def test_a_piped_listing_talks_http_but_never_loads_rich_tables(
    fake: FakeDaytona, served: str
) -> None:
    fake.add_sandbox("one")
    fake.add_sandbox("two")
    code, modules = imported_modules(
        "sandbox", "list", env={"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served}
    )
    assert code == 0
    assert "httpx" in modules
    # No validation framework on the hot path (Typer 0.29 coerces every option with pydantic).
    assert "pydantic" not in modules
    assert "rich.table" not in modules
    assert "rich.console" not in modules


def test_json_listing_does_not_load_rich_either(fake: FakeDaytona, served: str) -> None:
    fake.add_sandbox("one")
    code, modules = imported_modules(
        "sandbox", "list", "--json", env={"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served}
    )
    assert code == 0
    assert not {m for m in modules if m.startswith("rich")}
    assert not {m for m in modules if m.split(".")[0] in MCP_SDK}


def test_with_click_installed_a_listing_still_loads_none_of_httpxs_command_line(
    fake: FakeDaytona, served: str
) -> None:
    """``import httpx`` loads its command line (click, rich, pygments) whenever click can be
    imported, and the mcp extra installs click: the client keeps that out (client/httpx_cli.py)."""
    pytest.importorskip("click")
    fake.add_sandbox("one")
    code, modules = imported_modules(
        "sandbox", "list", "--json", env={"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served}
    )
    assert code == 0
    assert "httpx" in modules
    assert not {m for m in modules if m.split(".")[0] in ("click", "pygments", "rich")}
    assert "httpx._main" not in modules  # the stand-in is registered, never imported from disk


def test_the_stand_in_for_httpxs_command_line_says_it_is_not_there() -> None:
    code = "from daytona_cli.client import DaytonaClient\nimport httpx\nhttpx.main()\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 1
    assert "httpx's command line is not available" in proc.stderr
