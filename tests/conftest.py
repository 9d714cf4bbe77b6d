"""Fixtures: an isolated environment and directory, the fake API, and a runner for the CLI.

The runner drives the real entry point (`daytona_cli.app.run`) with the real client code; only the
transport is swapped for the fake (`httpx.MockTransport`), and it can pretend to be a terminal.
Every fake a test makes, by these fixtures or any other way, has each exchange checked against
the specs (tests/contract.py) when the test ends: see `Contract`.

The default `fake` and `cli` share one virtual clock (`clock`): time moves only when the CLI
sleeps on it (or a test advances it), so nothing waits for real and tests assert on what was
slept. A test marked ``real_clock``, or one serving the fake on loopback (`served`), runs on
real time instead.

Streaming (the log WebSocket of `exec`) cannot run in-process: a MockTransport cannot upgrade a
connection. Such tests use `served_cli`: the same in-process runner with the default transport,
against the `fake` served on loopback. `old_fake` is a server from before the toolbox proxy.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.app import run
from daytona_cli.clock import Clock
from daytona_cli.context import Runtime
from daytona_cli.streams import Streams
from tests.contract import Recorded, fake_problems, request_problems
from tests.fake.traffic import RECORD_ENV, Traffic, load
from tests.fake_daytona import FakeDaytona

API_KEY = "test-key-5f0c2a7e"
BASE_URL = "https://fake.daytona.test/api"
PROXY_URL = "https://fake-proxy.daytona.test/toolbox"
CLI = Path(sys.executable).with_name("daytona-cli")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No DAYTONA_* or CI variables leak in from the machine, and ./.env is the test's own."""
    for name in list(os.environ):
        if name.startswith("DAYTONA_") or name in ("CI", "NO_COLOR", "FORCE_COLOR", "COLUMNS"):
            monkeypatch.delenv(name, raising=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@dataclass
class Contract:
    """The contract check of one test (the autouse `contract` fixture).

    Every FakeDaytona made while a test runs, however it is made (these fixtures, a test's
    own, by hand, in each hypothesis example, a subclass; in a child process run as
    ``python -m tests.fake_daytona``, through its traffic), is kept here; when the test ends
    each is closed and every request it received and every answer it gave is held to the specs
    (tests/contract.py), requests it never answered included. A test that sends off-contract
    requests on purpose (to see the fake refuse them) says so and why with `spare_requests`:
    its answers are still checked, and an opt-out that spared nothing fails the test.
    Off-contract answers a test asks for are marked by the fake itself (``inject_raw``,
    ``omit_ids``...; ``TOLERATED`` in tests/contract.py).
    """

    fakes: list[FakeDaytona] = field(default_factory=list)
    elsewhere: list[Traffic] = field(default_factory=list)
    """The traffic of fakes the test ran in other processes (``python -m tests.fake_daytona``)."""
    spared_requests: str | None = None
    """Why this test's requests may break the contract, when it says so."""

    def spare_requests(self, why: str) -> None:
        """This test sends requests that break the contract on purpose, because ``why``."""
        if not why.strip():
            raise ValueError("say why the test's requests break the contract")
        self.spared_requests = why

    def problems(self) -> list[str]:
        """Every break of the contract by this test's fakes, one line each."""
        checking = self.spared_requests is None
        seen: list[Recorded] = [*self.fakes, *self.elsewhere]
        problems = [
            problem for made in seen for problem in fake_problems(made, check_requests=checking)
        ]
        if not checking and not any(
            request_problems(request) for made in seen for request in list(made.requests)
        ):
            problems.append(
                f"spare_requests({self.spared_requests!r}) spared nothing: every request kept "
                "the contract, so drop the opt-out"
            )
        return problems


SHOWN_PROBLEMS = 40


@pytest.fixture(autouse=True)
def contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Contract]:
    """Watch for every fake made during the test, in this process or a child run as
    ``python -m tests.fake_daytona``; close and check them all when it ends."""
    checked = Contract()
    elsewhere = tmp_path / "fake-traffic"
    elsewhere.mkdir()
    monkeypatch.setenv(RECORD_ENV, str(elsewhere))
    previous, FakeDaytona.watcher = FakeDaytona.watcher, checked.fakes.append
    try:
        yield checked
    finally:
        FakeDaytona.watcher = previous
        for made in checked.fakes:
            made.close()
    checked.elsewhere = [load(path) for path in sorted(elsewhere.glob("*.json"))]
    problems = checked.problems()
    shown = problems[:SHOWN_PROBLEMS]
    if len(problems) > len(shown):
        shown.append(f"... and {len(problems) - len(shown)} more")
    assert not problems, "exchanges that break the API contract:\n" + "\n".join(shown)


@pytest.fixture
def make_fake() -> Callable[..., FakeDaytona]:
    """Build fakes with other settings (closed and checked, as every fake, by `contract`)."""

    def make(factory: Callable[..., FakeDaytona] = FakeDaytona, **kwargs: Any) -> FakeDaytona:
        return factory(
            **{"api_key": API_KEY, "base_url": BASE_URL, "proxy_url": PROXY_URL, **kwargs}
        )

    return make


def on_real_clock(request: pytest.FixtureRequest) -> bool:
    """Whether a test's `fake` and `cli` run on real time: marked ``real_clock`` (it needs real
    concurrency), or it serves the fake to a subprocess (which cannot share virtual time)."""
    return request.node.get_closest_marker("real_clock") is not None or (
        "served" in request.fixturenames
    )


@pytest.fixture
def clock() -> VirtualClock:
    """The virtual time of the default `fake` and `cli`: nothing waits for real."""
    return VirtualClock()


@pytest.fixture
def fake(
    make_fake: Callable[..., FakeDaytona], clock: VirtualClock, request: pytest.FixtureRequest
) -> FakeDaytona:
    """A fake whose transitions take 0.05 s, of virtual time unless the test is on real time."""
    if on_real_clock(request):
        return make_fake(transition_seconds=0.05)
    return make_fake(transition_seconds=0.05, clock=clock.monotonic)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Result(exit={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


class Cli:
    """Runs `daytona-cli ARGS` in-process against the fake."""

    def __init__(
        self, fake: FakeDaytona, workdir: Path, clock: Clock | None = None, url: str | None = None
    ) -> None:
        """``url``: the served fake's URL, reached with the default transport (real sockets)."""
        self.fake = fake
        self.workdir = workdir
        self.clock = clock or Clock()
        """The clock a run gets unless the call names another (the real one by default)."""
        self.transport: Callable[[], httpx.BaseTransport | None] = (
            (lambda: None) if url is not None else (lambda: httpx.MockTransport(fake.handler))
        )
        """The network of each run: the fake in-process by default; None is real sockets."""
        self.env: dict[str, str] = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url or BASE_URL}

    def __call__(
        self,
        *args: str,
        tty: bool = False,
        stdin: str = "",
        env: Mapping[str, str | None] | None = None,
        clock: Clock | None = None,
        width: int = 120,
    ) -> Result:
        environ = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        out, err = io.StringIO(), io.StringIO()
        streams = Streams(
            stdout=out,
            stderr=err,
            stdin=io.StringIO(stdin),
            stdout_tty=tty,
            stderr_tty=tty,
            stdin_tty=tty,
            width=width,
            color=not environ.get("NO_COLOR"),
        )
        runtime = Runtime(
            environ=environ,
            cwd=self.workdir,
            streams=streams,
            transport=self.transport(),
            clock=clock or self.clock,
        )
        code = run(list(args), runtime)
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(
    fake: FakeDaytona, isolated: Path, clock: VirtualClock, request: pytest.FixtureRequest
) -> Cli:
    """The CLI in-process on `fake`, on the same virtual clock (or real time, as `fake` is)."""
    return Cli(fake, isolated, None if on_real_clock(request) else clock.as_clock())


@pytest.fixture
def old_fake(make_fake: Callable[..., FakeDaytona]) -> FakeDaytona:
    """A server from before the toolbox proxy: the legacy execute route, no toolboxProxyUrl."""
    return make_fake(server_version="old", transition_seconds=0.05)


class VirtualClock:
    """Time that moves only when someone sleeps on it (or a test moves it on).

    Several targets may be acted on concurrently, so every worker's sleep moves the one clock.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """Let time pass without anyone sleeping (the network taking its time, or a test)."""
        with self._lock:
            self.now += seconds

    def as_clock(self) -> Clock:
        """This time as the product's injected :class:`Clock`."""
        return Clock(self.monotonic, self.sleep)


@dataclass
class Slow:
    """A fake whose transitions take ``transition_seconds`` of virtual time, and a CLI on it:
    polls are counted exactly and nothing really waits."""

    fake: FakeDaytona
    clock: VirtualClock
    cli: Cli

    def __call__(self, *args: str, **kwargs: Any) -> Result:
        return self.cli(*args, clock=self.clock.as_clock(), **kwargs)


@pytest.fixture
def make_slow(make_fake: Callable[..., FakeDaytona], isolated: Path) -> Callable[[float], Slow]:
    def make(transition_seconds: float) -> Slow:
        clock = VirtualClock()
        slow_fake = make_fake(transition_seconds=transition_seconds, clock=clock.monotonic)
        return Slow(slow_fake, clock, Cli(slow_fake, isolated))

    return make


@pytest.fixture
def slow(make_slow: Callable[[float], Slow]) -> Slow:
    return make_slow(1.0)


@pytest.fixture
def served(fake: FakeDaytona) -> Iterator[str]:
    """The same fake on 127.0.0.1, for running the installed command as a subprocess."""
    with fake.serve() as url:
        yield url


@pytest.fixture
def served_cli(fake: FakeDaytona, served: str, isolated: Path) -> Cli:
    """The in-process runner against the served fake over real sockets (WebSockets work);
    ``fake.follow_close_delay`` is short here, so a followed command ends promptly."""
    fake.follow_close_delay = 0.05
    return Cli(fake, isolated, url=served)


def run_installed(
    *args: str, url: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> Result:
    """Run the installed `daytona-cli` console script, with no terminal and no stdin."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DAYTONA_") and key not in ("CI", "NO_COLOR")
    }
    environ.update({"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url, **(env or {})})
    proc = subprocess.run(
        [str(CLI), *args],
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
