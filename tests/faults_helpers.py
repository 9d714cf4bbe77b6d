"""Helpers for the fault-injection and security suites (``test_faults.py``, ``test_secrets.py``).

``FakeDaytona.inject`` replaces the real answer (the server never acts);
``FakeDaytona.lose_answer`` lets the server act, then loses the answer (dropped, or a 5xx
instead); ``FakeDaytona.inject_raw`` sends arbitrary bytes (truncated JSON, an HTML error page).
:class:`FaultyFake` adds time: in-process, on a virtual clock, ``slow_answer`` makes an answer
take its time (or trickle); on loopback, ``hold_answers`` keeps requests waiting until released.
The rest runs the installed console script the way a CI job would.
"""

from __future__ import annotations

import fnmatch
import http
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

import httpx

from tests.conftest import API_KEY, CLI, Result, VirtualClock
from tests.fake_daytona import FakeDaytona


@dataclass
class _Timed:
    """A slow or held answer for the next ``remaining`` requests matching method and pattern."""

    method: str
    pattern: str
    remaining: int
    trickle: float = 0.0
    after: float = 0.0


class FaultyFake(FakeDaytona):
    """FakeDaytona whose answers can also take their time on a virtual clock (in-process) or
    be held until released (on loopback)."""

    def __init__(self, *, virtual: VirtualClock | None = None, **kwargs: Any) -> None:
        if virtual is not None:
            kwargs.setdefault("clock", virtual.monotonic)
        super().__init__(**kwargs)
        self.virtual = virtual
        """The virtual time that transitions and slow answers take, when in-process."""
        self._slow: list[_Timed] = []
        self._held: list[_Timed] = []
        self._release = threading.Event()

    def slow_answer(
        self, method: str, path: str, *, after: float = 0.0, per_byte: float = 0.0, times: int = 1
    ) -> None:
        """In-process, on the virtual clock: the real handler acts on the next ``times``
        matching requests, then the answer starts ``after`` seconds later and arrives one byte
        every ``per_byte`` seconds. As on a real socket, a wait for the first byte longer than
        the request's read timeout ends in ``httpx.ReadTimeout`` when that timeout has passed."""
        assert self.virtual is not None, "slow answers take virtual time: pass virtual="
        with self._lock:
            self._slow.append(_Timed(method.upper(), path, times, trickle=per_byte, after=after))

    def hold_answers(self, method: str, path: str, *, times: int = 1) -> None:
        """On loopback: keep the next ``times`` matching requests waiting, unanswered, until
        :meth:`release` (a server that hangs, without anyone sleeping)."""
        with self._lock:
            self._held.append(_Timed(method.upper(), path, times))

    def release(self) -> None:
        """Let held requests be answered, as normal."""
        self._release.set()

    def handler(self, request: httpx.Request) -> httpx.Response:
        slow = self._take(self._slow, request)
        response = super().handler(request)
        if slow is None:
            return response
        assert self.virtual is not None
        read_timeout = (request.extensions.get("timeout") or {}).get("read")
        if read_timeout is not None and slow.after > read_timeout:
            self.virtual.advance(read_timeout)
            response.close()
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        self.virtual.advance(slow.after)
        if slow.trickle <= 0:
            return response
        body = response.read()
        stream = _VirtualTrickle(body, slow.trickle, self.virtual)
        return httpx.Response(response.status_code, headers=response.headers, stream=stream)

    def _take(self, queue: list[_Timed], request: httpx.Request) -> _Timed | None:
        path = route_path(request)
        with self._lock:
            for item in queue:
                if fnmatch.fnmatchcase(request.method, item.method) and fnmatch.fnmatchcase(
                    path, item.pattern
                ):
                    item.remaining -= 1
                    if item.remaining <= 0:
                        queue.remove(item)
                    return item
        return None

    def _respond(self, request: httpx.Request) -> tuple[httpx.Response, Any]:
        if self._take(self._held, request) is not None:
            self._release.wait(timeout=60)
        return super()._respond(request)


class _VirtualTrickle(httpx.SyncByteStream):
    """A body that arrives one byte every ``per_byte`` seconds of virtual time."""

    def __init__(self, body: bytes, per_byte: float, clock: VirtualClock) -> None:
        self.body = body
        self.per_byte = per_byte
        self.clock = clock

    def __iter__(self) -> Iterator[bytes]:
        for index in range(len(self.body)):
            self.clock.advance(self.per_byte)
            yield self.body[index : index + 1]


def by_host(*fakes: FakeDaytona) -> httpx.MockTransport:
    """One in-process network with several fakes, each answering for the host of its base URL."""
    hosts = {httpx.URL(fake.base_url).host: fake for fake in fakes}
    return httpx.MockTransport(lambda request: hosts[request.url.host].handler(request))


def route_path(request: httpx.Request) -> str:
    """The path after the ``/api`` base, percent-decoded per segment (as ``inject`` matches)."""
    raw = request.url.raw_path.decode("ascii").split("?", 1)[0]
    if raw == "/api" or raw.startswith("/api/"):
        raw = raw[len("/api") :] or "/"
    return "/" + "/".join(unquote(part) for part in raw.split("/")[1:])


def error_response(request: httpx.Request, status: int, message: str) -> httpx.Response:
    """Daytona's error body, as the real server sends it."""
    body = {
        "path": request.url.raw_path.decode("ascii"),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z",
        "statusCode": status,
        "error": http.HTTPStatus(status).phrase,
        "message": message,
    }
    return httpx.Response(
        status,
        headers={"content-type": "application/json; charset=utf-8"},
        content=json.dumps(body).encode(),
    )


def error_body(status: int, message: str, path: str = "/api/sandbox") -> dict[str, Any]:
    """A documented error body for ``inject(json=...)`` with a chosen message."""
    return {
        "path": path,
        "timestamp": "2025-01-01T00:00:00.000Z",
        "statusCode": status,
        "error": http.HTTPStatus(status).phrase,
        "message": message,
    }


def installed_env(url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment ``run_installed`` gives the installed command, plus ``extra``."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DAYTONA_") and key not in ("CI", "NO_COLOR", "FORCE_COLOR")
    }
    environ.update({"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url, **(extra or {})})
    return environ


class Running:
    """The installed command running in the background, with its output collected."""

    def __init__(self, *args: str, url: str, env: Mapping[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [str(CLI), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=installed_env(url, env),
        )
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(stream: Any, into: list[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            into.append(chunk)

    def stderr_so_far(self) -> str:
        return b"".join(list(self._err)).decode("utf-8", "replace")

    def interrupt(self, signum: int = signal.SIGINT) -> float:
        """Send SIGINT (as Ctrl-C does), or another signal, and return when it was sent."""
        self.proc.send_signal(signum)
        return time.monotonic()

    def exited_within(self, seconds: float) -> bool:
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def finish(self, timeout: float = 15) -> Result:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for reader in self._readers:
                reader.join(timeout=5)
            assert self.proc.stdout is not None and self.proc.stderr is not None
            self.proc.stdout.close()
            self.proc.stderr.close()
        return Result(
            code,
            b"".join(self._out).decode("utf-8", "replace"),
            b"".join(self._err).decode("utf-8", "replace"),
        )


def wait_until(condition: Any, timeout: float = 10.0, step: float = 0.02) -> None:
    """Poll ``condition()`` until true; fail the test if it never is."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


def named(fake: FakeDaytona, name: str) -> list[dict[str, Any]]:
    """Every sandbox record with this name (a duplicate would show as two)."""
    with fake._lock:
        return [dict(record) for record in fake.sandboxes.values() if record["name"] == name]


def labelled(fake: FakeDaytona, key: str, value: str | None = None) -> list[dict[str, Any]]:
    """Every sandbox record carrying label ``key`` (with ``value``, when given)."""
    with fake._lock:
        return [
            dict(record)
            for record in fake.sandboxes.values()
            if key in record["labels"] and (value is None or record["labels"][key] == value)
        ]


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Aborted!" not in result.stderr, result.stderr


def one_line(text: str) -> str:
    """The single line of ``text`` (a message must be exactly one)."""
    lines = text.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0], f"expected one line, got {text!r}"
    return lines[0]
