"""The API key never appears in anything the CLI prints, whatever happens.

A distinctive canary key is used for every command family, on success and failure paths, with
--debug, and with a server that echoes the key back in its answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BASE_URL, PROXY_URL, Cli, VirtualClock
from tests.fake_daytona import FakeDaytona

CANARY = "dtn_CANARY_7f3a9c1e5b2d4f6a8c0e"


@pytest.fixture
def canary_fake(clock: VirtualClock) -> FakeDaytona:
    fake = FakeDaytona(
        api_key=CANARY, base_url=BASE_URL, proxy_url=PROXY_URL, clock=clock.monotonic
    )
    fake.add_sandbox("demo")
    fake.add_sandbox("idle", state="stopped")
    return fake


@pytest.fixture
def canary_cli(canary_fake: FakeDaytona, isolated: Path, clock: VirtualClock) -> Cli:
    cli = Cli(canary_fake, isolated, clock.as_clock())
    cli.env["DAYTONA_API_KEY"] = CANARY
    return cli


COMMANDS = [
    ("sandbox", "list"),
    ("sandbox", "list", "--json"),
    ("sandbox", "list", "--jsonl", "--fields", "id,name"),
    ("sandbox", "get", "demo"),
    ("sandbox", "get", "missing"),
    ("sandbox", "create", "--name", "new", "--label", "a=b", "-e", "X=1"),
    ("sandbox", "create", "--name", "demo"),  # 409
    ("sandbox", "create", "--snapshot", "nope"),  # 400
    ("sandbox", "stop", "demo"),
    ("sandbox", "start", "idle"),
    ("sandbox", "delete", "demo", "--yes"),
    ("sandbox", "delete", "-l", "a=b", "--dry-run"),
    ("sandbox", "exec", "demo", "--", "echo", "hi"),
    ("sandbox", "exec", "idle", "--", "true"),
    ("sandbox", "wait", "demo", "--for", "started"),
    ("snapshot", "list"),
    ("sandbox", "list", "--state", "bogus"),
]


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("tty", [False, True], ids=["piped", "tty"])
def test_the_key_never_appears_in_any_output_of_any_command(
    canary_cli: Cli, debug: bool, tty: bool
) -> None:
    seen = 0
    for args in COMMANDS:
        argv = ("--debug", *args) if debug else args
        result = canary_cli(*argv, tty=tty)
        assert CANARY not in result.stdout, (argv, result)
        assert CANARY not in result.stderr, (argv, result)
        seen += len(result.stdout) + len(result.stderr)
    assert seen > 0
    if debug:
        # The exchange was shown, with the key redacted: the check above was not vacuous.
        assert "Bearer ***" in canary_cli("--debug", "sandbox", "get", "demo").stderr


@pytest.mark.parametrize(
    "status", [400, 401, 403, 404, 409, 500], ids=lambda status: f"HTTP {status}"
)
def test_a_server_that_echoes_the_key_in_its_error_never_gets_it_printed(
    canary_cli: Cli, canary_fake: FakeDaytona, status: int
) -> None:
    body = {
        "path": "/api/sandbox/demo",
        "timestamp": "2026-11-29T00:00:00Z",
        "statusCode": status,
        "error": "Echo",
        "message": f"bad token Bearer {CANARY} for {CANARY}",
    }
    for args in (("sandbox", "get", "demo"), ("--debug", "sandbox", "get", "demo", "--json")):
        canary_fake.inject("GET", "/sandbox/demo", status=status, json=body, times=5)
        result = canary_cli(*args)
        assert result.exit_code != 0
        assert CANARY not in result.stdout + result.stderr
        assert "***" in result.stderr


# The installed command's output is checked for the key in test_secrets.py.


SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colour codes on a terminal


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=40).filter(lambda t: t.strip()))
def test_any_server_supplied_name_renders_inert_in_every_view(isolated: Path, text: str) -> None:
    clock = VirtualClock()
    fake = FakeDaytona(
        api_key=CANARY, base_url=BASE_URL, proxy_url=PROXY_URL, clock=clock.monotonic
    )
    fake.add_sandbox(text, labels={"note": text}, state="error", errorReason=text)
    cli = Cli(fake, isolated, clock.as_clock())
    cli.env["DAYTONA_API_KEY"] = CANARY
    ident = next(iter(fake.sandboxes))
    for args, tty in (
        (("sandbox", "list"), False),
        (("sandbox", "list"), True),
        (("sandbox", "get", ident), False),
        (("sandbox", "get", ident), True),
    ):
        result = cli(*args, tty=tty)
        assert result.exit_code == 0, result
        shown = SGR.sub("", result.stdout) if tty else result.stdout
        # Nothing the server sent can move the cursor, clear the screen or retitle the terminal:
        # the only control characters left are line ends (and tabs between piped fields).
        assert all(ch.isprintable() or ch in " \n\t" for ch in shown), (args, tty, shown)
