"""`daytona-cli mcp` stops when its host stops it (SIGTERM), closes stdin, or a person presses
Ctrl-C: at once, idle or in the middle of a command, and a running command's session is deleted
first; a call the host cancels kills its command too. Real processes over stdio, spoken to in
raw JSON-RPC lines.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.types import LATEST_PROTOCOL_VERSION

from daytona_cli.interrupts import REPEAT_WINDOW
from daytona_cli.mcp_server.execute import POLL_CAP
from tests.conftest import API_KEY, CLI
from tests.fake_daytona import FakeDaytona
from tests.fake_fixtures import is_running, wait_until
from tests.faults_helpers import FaultyFake


@contextlib.contextmanager
def running(url: str, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``daytona-cli mcp`` against the fake at ``url``, its three streams piped; killed if it
    is still running at the end, and its pipes closed."""
    env = {"PATH": "/usr/bin:/bin", "DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url}
    with subprocess.Popen(
        [str(CLI), "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env, cwd=workdir,
    ) as server:  # fmt: skip
        try:
            yield server
        finally:
            if server.poll() is None:
                server.kill()


def send(server: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert server.stdin is not None
    server.stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
    server.stdin.flush()


def initialize(server: subprocess.Popen[bytes]) -> None:
    send(server, {"id": 1, "method": "initialize", "params": {
        "protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    }})  # fmt: skip
    assert server.stdout is not None
    assert json.loads(server.stdout.readline())["id"] == 1
    send(server, {"method": "notifications/initialized"})


def stopped_within(server: subprocess.Popen[bytes], seconds: float) -> int | None:
    try:
        return server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        return None


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_idle_server_stops_at_once(
    fake: FakeDaytona, served: str, isolated: Path, signum: int, code: int
) -> None:
    with running(served, isolated) as server:
        initialize(server)
        server.send_signal(signum)
        # stdin stays open: the server must not wait for the host's next line.
        assert stopped_within(server, 10) == code


def test_a_server_stopped_in_a_command_deletes_its_session_first(
    fake: FakeDaytona, served: str, isolated: Path
) -> None:
    box = fake.add_sandbox("busy")
    with running(served, isolated) as server:
        initialize(server)
        send(server, {"id": 2, "method": "tools/call", "params": {
            "name": "execute_command", "arguments": {"sandbox": "busy", "command": "sleep 30"},
        }})  # fmt: skip
        wait_until(lambda: bool(fake.sessions_of(box["id"])))
        server.send_signal(signal.SIGTERM)
        assert stopped_within(server, 10) == 143
        assert server.stderr is not None
        log = server.stderr.read().decode()
        assert fake.sessions_of(box["id"]) == [], log
        assert fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*")


def test_a_second_sigterm_does_not_cut_the_tidy_up_short(isolated: Path) -> None:
    # `timeout` sends SIGTERM twice: to the server, then to its process group. The session's
    # deletion is held until the second one has come; the server still finishes its tidy-up.
    fake = FaultyFake(api_key=API_KEY, transition_seconds=0.05)
    box = fake.add_sandbox("busy")
    fake.hold_answers("DELETE", "/toolbox-proxy/*/process/session/*")
    try:
        with fake.serve() as url, running(url, isolated) as server:
            initialize(server)
            send(server, {"id": 2, "method": "tools/call", "params": {
                "name": "execute_command",
                "arguments": {"sandbox": "busy", "command": "sleep 30"},
            }})  # fmt: skip
            wait_until(lambda: bool(fake.sessions_of(box["id"])))
            server.send_signal(signal.SIGTERM)
            wait_until(lambda: bool(fake.requests_to("DELETE", "/toolbox-proxy/*")))
            server.send_signal(signal.SIGTERM)
            fake.release()
            assert stopped_within(server, 10) == 143
            assert server.stderr is not None
            log = server.stderr.read().decode()
    finally:
        fake.release()
        fake.close()
    assert log.endswith("daytona-cli mcp: stopped\n"), log
    assert fake.sessions_of(box["id"]) == []


def test_a_later_ctrl_c_during_the_tidy_up_exits_at_once_and_says_what_may_still_run(
    isolated: Path,
) -> None:
    fake = FaultyFake(api_key=API_KEY, transition_seconds=0.05)
    box = fake.add_sandbox("busy")
    fake.hold_answers("DELETE", "/toolbox-proxy/*/process/session/*")
    try:
        with fake.serve() as url:
            try:
                with running(url, isolated) as server:
                    initialize(server)
                    send(server, {"id": 2, "method": "tools/call", "params": {
                        "name": "execute_command",
                        "arguments": {"sandbox": "busy", "command": "sleep 30"},
                    }})  # fmt: skip
                    wait_until(lambda: bool(fake.sessions_of(box["id"])))
                    server.send_signal(signal.SIGINT)
                    wait_until(lambda: bool(fake.requests_to("DELETE", "/toolbox-proxy/*")))
                    # A person pressing again, not a program repeating itself: after the window.
                    time.sleep(REPEAT_WINDOW + 0.2)
                    server.send_signal(signal.SIGINT)
                    assert stopped_within(server, 10) == 130
                    assert server.stderr is not None
                    log = server.stderr.read().decode()
            finally:
                fake.release()  # the held deletion, answered to no one
    finally:
        fake.release()
        fake.close()
    assert log.endswith(
        "error: interrupted again: exiting at once; commands still running in sandboxes may "
        "not have been stopped\n"
    ), log
    assert "daytona-cli mcp: stopped" not in log


# The command's own process: its ID written where the test can find it, then the long wait.
LONG_COMMAND = "sh -c 'echo $$ > pid; exec sleep 100'; echo late > file"


def call_long_command(server: subprocess.Popen[bytes], fake: FakeDaytona) -> tuple[int, Path]:
    """Start :data:`LONG_COMMAND` in a new sandbox as request 2: the remote sleep's process ID,
    and where its ``file`` would be written were it not stopped."""
    box = fake.add_sandbox("busy")
    send(server, {"id": 2, "method": "tools/call", "params": {
        "name": "execute_command", "arguments": {"sandbox": "busy", "command": LONG_COMMAND},
    }})  # fmt: skip
    pid_file = fake.host_path(box["id"], "pid")
    wait_until(lambda: pid_file.is_file() and pid_file.read_text().strip().isdigit())
    pid = int(pid_file.read_text())
    assert is_running(pid)
    return pid, fake.host_path(box["id"], "file")


def test_closing_stdin_in_a_command_kills_it_and_the_server_ends(
    fake: FakeDaytona, served: str, isolated: Path
) -> None:
    with running(served, isolated) as server:
        initialize(server)
        pid, late = call_long_command(server, fake)
        assert server.stdin is not None
        server.stdin.close()  # the host goes away
        began = time.monotonic()
        assert stopped_within(server, 10) == 0
        assert time.monotonic() - began < 5
        assert server.stderr is not None
        log = server.stderr.read().decode()
        assert not is_running(pid), log
        # The call's own thread then meets a closed client: the cancellation's doing, not an
        # internal error to report.
        assert "internal error" not in log and "execute_command: error" not in log, log
        assert fake.sessions_of("busy") == [], log
        assert fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*"), log
        time.sleep(0.2)
        assert not late.exists()


def test_a_cancelled_call_kills_its_command_and_the_server_goes_on(
    fake: FakeDaytona, served: str, isolated: Path
) -> None:
    with running(served, isolated) as server:
        initialize(server)
        pid, late = call_long_command(server, fake)
        send(server, {"method": "notifications/cancelled", "params": {"requestId": 2}})
        wait_until(lambda: not is_running(pid), timeout=5)
        wait_until(lambda: fake.sessions_of("busy") == [], timeout=5)
        assert fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*")
        # The cancelled request is never answered; the next one is.
        send(server, {"id": 3, "method": "tools/list"})
        assert server.stdout is not None
        assert json.loads(server.stdout.readline())["id"] == 3
        time.sleep(POLL_CAP + 0.5)  # the abandoned thread polls again, and finds no session
        assert server.stdin is not None
        server.stdin.close()
        assert stopped_within(server, 10) == 0
        assert not late.exists()
        assert server.stderr is not None
        log = server.stderr.read().decode()
        assert "execute_command: error" not in log and "internal error" not in log, log
