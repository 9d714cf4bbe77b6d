"""A repeated signal never cuts the tidy-up after the first one short (interrupts.py).

``timeout`` sends SIGTERM twice (to the CLI, then to its process group): the second must not
skip deleting the session that kills the remote command. Only a deliberate second Ctrl-C
forces the exit, and it says what may be left running.

The handlers are called directly here (no real signal reaches the test process), on a clock the
test moves; the end-to-end tests send real signals to the installed command, and hold the
session's deletion until the second signal has arrived, so the order of events is certain.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from daytona_cli import interrupts
from daytona_cli.interrupts import REPEAT_WINDOW, FirstInterrupt, interruptible
from tests.conftest import API_KEY, CLI
from tests.faults_helpers import FaultyFake, installed_env, wait_until

SESSION_DELETE = "/toolbox-proxy/*/process/session/*"


class Exited(Exception):
    """What ``os._exit`` raises here instead of ending the test process."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The module's clock and ``os._exit`` replaced; what was said is collected."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set from the main thread")
    state: dict[str, Any] = {"now": 100.0, "said": [], "terminated": False}
    monkeypatch.setattr(interrupts, "monotonic", lambda: state["now"])

    def exit_(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(interrupts.os, "_exit", exit_)
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield state
    for number, handler in saved.items():
        signal.signal(number, handler)


def deliver(signum: int) -> None:
    """Call the handler now in place for ``signum``, as Python would when the signal came."""
    handler = signal.getsignal(signum)
    assert callable(handler), handler
    handler(signum, None)


def run_interruptible(world: dict[str, Any], body: Callable[[], None]) -> None:
    def terminated() -> None:
        world["terminated"] = True

    with interruptible(terminated, world["said"].append):
        body()


def test_sigterm_twice_interrupts_once_and_the_tidy_up_goes_on(world: dict[str, Any]) -> None:
    steps: list[str] = []

    def body() -> None:
        try:
            deliver(signal.SIGTERM)
        except KeyboardInterrupt:
            steps.append("interrupted")
            deliver(signal.SIGTERM)  # `timeout`'s second one, to the process group
            steps.append("tidied up")

    run_interruptible(world, body)
    assert steps == ["interrupted", "tidied up"]
    assert world["terminated"] is True
    assert world["said"] == []


def test_a_ctrl_c_right_after_the_first_signal_is_a_repeat_and_ignored(
    world: dict[str, Any],
) -> None:
    steps: list[str] = []

    def body() -> None:
        with FirstInterrupt():
            try:
                deliver(signal.SIGINT)
            except KeyboardInterrupt:
                world["now"] += REPEAT_WINDOW / 2
                deliver(signal.SIGINT)
                steps.append("tidied up")

    run_interruptible(world, body)
    assert steps == ["tidied up"]
    assert world["said"] == []


def test_a_later_ctrl_c_exits_at_once_and_says_the_remote_command_may_still_run(
    world: dict[str, Any],
) -> None:
    def body() -> None:
        with FirstInterrupt():
            try:
                deliver(signal.SIGTERM)
            except KeyboardInterrupt:
                deliver(signal.SIGTERM)
                world["now"] += REPEAT_WINDOW + 1
                deliver(signal.SIGINT)

    with pytest.raises(Exited) as exited:
        run_interruptible(world, body)
    assert exited.value.code == 130
    assert world["said"] == [
        "interrupted again: exiting at once; the remote command may still be running"
    ]


def test_the_handlers_of_before_the_run_are_back_after_it(world: dict[str, Any]) -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    def body() -> None:
        with pytest.raises(KeyboardInterrupt):
            deliver(signal.SIGINT)

    run_interruptible(world, body)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# -- the installed command, real signals ---------------------------------------------------------


def still_running(pid_file: Path) -> bool:
    """Whether the process whose ID the command wrote is alive (a zombie counts as ended)."""
    try:
        stat = Path(f"/proc/{int(pid_file.read_text())}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def held() -> Iterator[FaultyFake]:
    """A served fake whose first session deletion waits until released."""
    fake = FaultyFake(api_key=API_KEY, transition_seconds=0.05)
    fake.follow_close_delay = 0.05
    fake.add_sandbox("box")
    fake.hold_answers("DELETE", SESSION_DELETE)
    try:
        yield fake
    finally:
        fake.release()
        fake.close()


def start_exec(url: str, fake: FaultyFake) -> subprocess.Popen[bytes]:
    line = "sleep 60 & echo $! > pid; echo started; wait"
    proc = subprocess.Popen(
        [str(CLI), "sandbox", "exec", "box", "--", line],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=installed_env(url),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"started\n"
    return proc


def test_sigterm_twice_as_timeout_sends_it_still_kills_the_remote_command_and_says_so(
    held: FaultyFake,
) -> None:
    with held.serve() as url:
        proc = start_exec(url, held)
        try:
            proc.send_signal(signal.SIGTERM)
            wait_until(lambda: len(held.requests_to("DELETE", SESSION_DELETE)) == 1)
            proc.send_signal(signal.SIGTERM)  # arrives while the session is being deleted
            held.release()
            _out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 143
    assert err.decode() == "error: terminated; the remote command was killed\n"
    assert held.sessions_of("box") == []
    assert not still_running(held.host_path("box", "pid"))


def test_a_second_ctrl_c_during_the_tidy_up_exits_at_once_and_says_what_may_still_run(
    held: FaultyFake,
) -> None:
    with held.serve() as url:
        proc = start_exec(url, held)
        try:
            proc.send_signal(signal.SIGINT)
            wait_until(lambda: len(held.requests_to("DELETE", SESSION_DELETE)) == 1)
            # A person pressing again, not a program repeating itself: after the window.
            time.sleep(REPEAT_WINDOW + 0.2)
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=30)
        finally:
            held.release()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            pid = held.host_path("box", "pid")
            if still_running(pid):
                os.kill(int(pid.read_text()), signal.SIGKILL)
    assert proc.returncode == 130
    assert err.decode() == (
        "error: interrupted again: exiting at once; the remote command may still be running\n"
    )
