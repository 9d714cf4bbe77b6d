"""Fixtures for the fake's own tests (``test_fake_daytona.py``, ``test_fake_toolbox.py``).

Every fake, as everywhere in the suite, has each exchange checked against the specs when the
test ends (the autouse ``contract`` fixture of ``tests/conftest.py``); a test that sends
deliberately invalid requests says so, and why, with ``contract.spare_requests(why)`` and has
the answers checked alone. Time is a ``ManualClock`` that moves only when a test says;
commands, sessions and WebSockets run on real processes and sockets, so those waits are real
(and short).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake_daytona import FakeDaytona

KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


class ManualClock:
    """A clock that moves only when told to, so transitions happen exactly when a test says.

    Given to the fake as ``wait_sleep`` too, its waits move it: ``sleeps`` lists them, and
    ``reads`` counts how often the time was looked at (a waiting loop that is still going).
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_fake(clock: ManualClock) -> Callable[..., FakeDaytona]:
    """Fakes on the test's manual clock (closed and checked, as every fake, by ``contract``)."""

    def make(**options: Any) -> FakeDaytona:
        options.setdefault("clock", clock)
        options.setdefault("transition_seconds", 1.0)
        return FakeDaytona(**options)

    return make


@pytest.fixture
def fake(make_fake: Callable[..., FakeDaytona]) -> FakeDaytona:
    return make_fake()


def client_for(fake: FakeDaytona, base_url: str | None = None, **options: Any) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(fake.handler),
        base_url=base_url or fake.base_url,
        headers=AUTH,
        **options,
    )


@pytest.fixture
def api(fake: FakeDaytona) -> Iterator[httpx.Client]:
    with client_for(fake) as client:
        yield client


@dataclass
class Box:
    """A sandbox and a client for its toolbox (``{toolboxProxyUrl}/{id}``)."""

    api: httpx.Client
    view: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.view["id"])

    @property
    def base(self) -> str:
        return f"{self.view['toolboxProxyUrl']}/{self.view['id']}"

    def get(self, route: str, **options: Any) -> httpx.Response:
        return self.api.get(self.base + route, **options)

    def post(self, route: str, **options: Any) -> httpx.Response:
        return self.api.post(self.base + route, **options)

    def delete(self, route: str, **options: Any) -> httpx.Response:
        return self.api.delete(self.base + route, **options)

    def run(self, session: str, command: str, **options: Any) -> dict[str, Any]:
        """Run a command in a session and wait for it (the synchronous exec)."""
        answer = self.post(f"/process/session/{session}/exec", json={"command": command, **options})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def start(self, session: str, command: str, **options: Any) -> str:
        """Start a command in a session (``runAsync``); returns its ID."""
        body = {"command": command, "runAsync": True, **options}
        answer = self.post(f"/process/session/{session}/exec", json=body)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["cmdId"])

    def exit_code(self, session: str, command_id: str, timeout: float = 10.0) -> int:
        """Poll ``GetSessionCommand`` until the command has an exit code."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.get(f"/process/session/{session}/command/{command_id}").json()
            if "exitCode" in view:
                return int(view["exitCode"])
            assert time.monotonic() < deadline, f"{command_id} still running"
            time.sleep(0.01)


@pytest.fixture
def box(fake: FakeDaytona, api: httpx.Client) -> Box:
    return Box(api, fake.add_sandbox("box"))


def current(fake: FakeDaytona, id_or_name: str) -> dict[str, Any]:
    view = fake.sandbox(id_or_name)
    assert view is not None, f"no sandbox {id_or_name}"
    return view


def names(response: httpx.Response) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


def is_running(pid: int) -> bool:
    """Whether a process lives; an orphan killed in a container may linger as a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for something a real process or thread does; fail the test if it never happens."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        time.sleep(0.01)
