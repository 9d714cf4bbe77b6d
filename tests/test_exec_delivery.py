"""A streamed `exec` delivers all of the command's output, and never hangs on its reader.

Found by a new user (round 3): output lost with exit 0 when the stream lagged behind the exit
code; a run that never ended once its reader stopped reading or went away. The fake holds each
log message back (``ws_lag``) to stand for a slow network, and the installed command runs with
real pipes, so the readers here are real processes' pipes.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY, CLI, Cli
from tests.fake_daytona import FakeDaytona

SESSION_COMMAND = "/toolbox-proxy/*/process/session/*/command/*"


@pytest.fixture
def box(fake: FakeDaytona) -> dict[str, Any]:
    return fake.add_sandbox("box")


def installed(url: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(CLI), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url},
    )


def still_running(pid_file: Path) -> bool:
    """Whether the process whose ID the command wrote is alive (a zombie counts as ended)."""
    try:
        stat = Path(f"/proc/{int(pid_file.read_text())}/stat").read_text()
    except (FileNotFoundError, ValueError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize(
    ("line", "code"), [("echo one; echo two >&2; echo three", 0), ("echo one; kill -KILL $$", 126)],
    ids=["markers", "shell-ended"],
)  # fmt: skip
def test_output_that_arrives_long_after_the_exit_code_is_all_written(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any], line: str, code: int
) -> None:
    fake.ws_lag = 0.5  # the exit code is known at once; each message comes half a second later
    result = served_cli("sandbox", "exec", "box", "--", line)
    out = "one\nthree\n" if code == 0 else "one\n"
    assert (result.exit_code, result.stdout) == (code, out)
    if code == 0:
        assert result.stderr == "two\n"
    else:  # the shell itself was killed: the daemon reports -1, which exec explains
        assert result.stderr.startswith("error: the sandbox reported exit code -1:")
    # Ended by the markers, the exit code is never asked for; without them, once, at the end.
    asked = [
        r for r in fake.requests_to("GET", SESSION_COMMAND) if not r.url.path.endswith("/logs")
    ]
    assert len(asked) == (0 if code == 0 else 1)


def test_a_large_output_arrives_whole_and_in_order(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "box", "--", "seq 1 300000; echo done >&2")
    assert (result.exit_code, result.stderr) == (0, "done\n")
    assert result.stdout == "".join(f"{n}\n" for n in range(1, 300001))


def test_a_slow_reader_gets_everything_and_the_run_then_ends(
    fake: FakeDaytona, served: str, box: dict[str, Any]
) -> None:
    fake.follow_close_delay = 0.05
    fake.ws_chunk_size = 4096  # many messages: more than the client's queue holds
    proc = installed(served, "sandbox", "exec", "box", "--", "seq 1 400000; echo end")
    assert proc.stdout is not None and proc.stderr is not None
    # A reader slower than the stream (8 KiB every 10 ms): the output waits in the pipe and
    # the stream behind it, long after the command has ended; none of it may be dropped.
    out = bytearray()
    while piece := proc.stdout.read1(8192):
        out += piece
        time.sleep(0.01)
    assert proc.wait(timeout=30) == 0
    with proc.stdout, proc.stderr:
        assert proc.stderr.read() == b""
    assert out == b"".join(b"%d\n" % n for n in range(1, 400001)) + b"end\n"


def test_a_reader_that_goes_away_ends_the_run_and_the_remote_command(
    fake: FakeDaytona, served: str, box: dict[str, Any]
) -> None:
    fake.follow_close_delay = 0.05
    fake.ws_chunk_size = 1024
    pid = fake.host_path("box", "pid")
    proc = installed(
        served, "sandbox", "exec", "box", "--", "echo $$ > pid; while true; do echo y; done"
    )
    assert proc.stdout is not None and proc.stderr is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready and proc.stdout.read(2) == b"y\n"
    time.sleep(1)  # time to fill the pipe and the client's queue behind it
    proc.stdout.close()  # `| head -1`
    assert proc.wait(timeout=30) == 0  # ends quietly, as `sandbox list | head -1` does
    with proc.stderr:
        assert proc.stderr.read() == b""
    assert fake.sessions_of("box") == []
    assert not still_running(pid)


def test_the_readmes_way_to_leave_a_process_running_outlives_the_session(
    served_cli: Cli, fake: FakeDaytona
) -> None:
    from tests.test_readme import README

    [example] = re.findall(r"`(daytona-cli sandbox exec demo -- 'setsid -f [^`]+)`", README)
    fake.add_sandbox("demo")
    server = fake.host_path("demo", "server")
    server.write_text("#!/bin/sh\necho $$ > server.pid\nexec sleep 60\n")
    server.chmod(0o755)
    result = served_cli(*shlex.split(example)[1:])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "started\n", "")
    assert fake.sessions_of("demo") == []  # the session is gone; the server is not
    pid_file = fake.host_path("demo", "server.pid")
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert still_running(pid_file)
    finally:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_a_background_process_without_setsid_ends_with_the_session(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    pid_file = fake.host_path("box", "bg.pid")
    result = served_cli(
        "sandbox", "exec", "box", "--", "nohup sleep 60 >/dev/null 2>&1 & echo $! > bg.pid"
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    # The kill is sent before the run ends; the kernel may take a moment to carry it out.
    deadline = time.monotonic() + 10
    while still_running(pid_file) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not still_running(pid_file)


def test_an_exit_trap_runs_and_exit_ends_the_command_not_the_session(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    """As under ``sh -c``: the command runs in a subshell, so its EXIT trap runs when it ends,
    and ``exit 3`` ends it there, the end markers following at once (no wait for the
    stream to close, no exit code to ask for)."""
    line = 'trap "echo trapped" EXIT; echo x; exit 3'
    result = served_cli("sandbox", "exec", "box", "--", line)
    assert (result.exit_code, result.stdout, result.stderr) == (3, "x\ntrapped\n", "")
    asked = [
        r for r in fake.requests_to("GET", SESSION_COMMAND) if not r.url.path.endswith("/logs")
    ]
    assert asked == []
