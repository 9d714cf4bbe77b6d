"""The loopback fake of the Daytona API, for the benchmark, in its own process.

``python bench/fake_server.py --latency 0.05`` serves ``tests.fake_daytona.FakeDaytona`` on a free
loopback port and prints one line, ``READY <base url>``, once it answers. It then reads commands,
one per line, on standard input and answers each with one line on standard output, so the
benchmark can reseed it between measurements without restarting it:

- ``reset`` removes every sandbox;
- ``seed N [KEY=VALUE]`` adds N started sandboxes (with that label, if given);
- ``latency SECONDS`` changes the delay held before every answer;
- ``bandwidth BYTES_PER_SECOND`` caps each file down- and upload at that rate (0: no cap);
- ``cpu`` prints the CPU seconds this process has used (all threads);
- ``count [KEY=VALUE]`` prints the number of sandboxes (with that label) not being deleted;
- ``quit`` (or end of input) stops the server.

Each answer is ``OK ...`` or ``ERR message``. Seeding happens in this process, without HTTP.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tests.fake.records as fake_records  # noqa: E402
from tests.fake_daytona import FakeDaytona  # noqa: E402

# Timestamps are parsed again for every comparison of every sort of every page; cache them.
fake_records.timestamp = functools.lru_cache(maxsize=None)(fake_records.timestamp)


def _copy(value: Any) -> Any:
    """``copy.deepcopy`` for JSON-like data, without its memo (the fake's main cost per page)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


class Paced(httpx.SyncByteStream):
    """Chunks passed on no faster than ``rate`` bytes a second (a link of that speed)."""

    def __init__(self, chunks: Any, rate: float) -> None:
        self.chunks = chunks
        self.rate = rate

    def __iter__(self) -> Any:
        started, sent = time.monotonic(), 0
        for chunk in self.chunks:
            sent += len(chunk)
            ahead = sent / self.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
            yield chunk

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


class BenchFake(FakeDaytona):
    """The test fake with a cheaper copy of each sandbox per answer: same answers, faster.

    A 10,000-sandbox list costs the fake a view of every sandbox per page; with ``deepcopy`` that
    is about 0.3 s a page on this machine, which would drown what the benchmark measures.
    """

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        view = {
            key: _copy(value)
            for key, value in record.items()
            if value is not None and not key.startswith("_")
        }
        view["toolboxProxyUrl"] = self.proxy_url
        # A newer field of the real API that the SDK requires and the fake does not model.
        view.setdefault("kvm", False)
        return view

    # The fake keeps every request, answer and timing for the tests to inspect; over thousands of
    # list pages that is hundreds of megabytes nobody reads here.
    def _arrive(self, request: httpx.Request) -> float:
        return time.monotonic()

    def _record(self, request: httpx.Request, response: httpx.Response) -> None:
        response.request = request

    def _depart(self, started: float) -> None:
        pass

    bandwidth = 0.0

    def _download(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        response = super()._download(request, sandbox_id)
        if self.bandwidth > 0:
            response.stream = Paced(response.stream, self.bandwidth)  # type: ignore[assignment]
        return response

    def _upload(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        if self.bandwidth > 0:
            request.stream = Paced(request.stream, self.bandwidth)  # type: ignore[assignment]
        return super()._upload(request, sandbox_id)

    def _create_sandbox(self, request: httpx.Request) -> httpx.Response:
        # The SDK always sends `"volumes": []`; the fake refuses any volumes as unmodelled.
        with contextlib.suppress(ValueError):
            body = json.loads(request.content or b"{}")
            if isinstance(body, dict) and body.get("volumes") == []:
                del body["volumes"]
                headers = [
                    (key, value)
                    for key, value in request.headers.multi_items()
                    if key.lower() != "content-length"
                ]
                request = httpx.Request(request.method, request.url, headers=headers, json=body)
        return super()._create_sandbox(request)


def seed(fake: FakeDaytona, count: int, label: str | None) -> None:
    """Add ``count`` started sandboxes that look like real ones (labels, times, resources)."""
    labels = {"bench": "list"}
    if label:
        key, _, value = label.partition("=")
        labels = {key: value}
    now = time.time()
    tag = uuid.uuid4().hex[:6]
    with fake._lock:
        for index in range(count):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 60 * index))
            fake.add_sandbox(
                f"bench-{tag}-{index:05d}",
                state="started",
                cpu=1 + index % 4,
                memory=2,
                disk=10,
                labels={**labels, "team": "ab"[index % 2]},
                createdAt=stamp,
                updatedAt=stamp,
                lastActivityAt=stamp,
            )


def handle(fake: FakeDaytona, line: str) -> str:
    words = line.split()
    if not words:
        return "ERR empty command"
    match words:
        case ["reset"]:
            with fake._lock:
                fake.sandboxes.clear()
            return "OK"
        case ["seed", count, *label]:
            seed(fake, int(count), label[0] if label else None)
            return f"OK {len(fake.sandboxes)}"
        case ["cpu"]:
            return f"OK {time.process_time():.6f}"
        case ["latency", seconds]:
            fake.latency = float(seconds)
            return "OK"
        case ["bandwidth", rate] if isinstance(fake, BenchFake):
            fake.bandwidth = float(rate)
            return "OK"
        case ["count", *label]:
            key, _, value = (label[0] if label else "").partition("=")
            with fake._lock:
                fake._settle_all()
                alive = [
                    record
                    for record in fake.sandboxes.values()
                    if record.get("desiredState") != "destroyed"
                    and (not key or record.get("labels", {}).get(key) == value)
                ]
            return f"OK {len(alive)}"
    return f"ERR unknown command {line.strip()!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-key", default="bench-key")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--transition-seconds", type=float, default=0.2)
    args = parser.parse_args(argv)
    fake = BenchFake(
        api_key=args.api_key, latency=args.latency, transition_seconds=args.transition_seconds
    )
    with fake, fake.serve("127.0.0.1", 0) as url:
        print(f"READY {url}", flush=True)
        for line in sys.stdin:
            if line.strip() == "quit":
                break
            try:
                answer = handle(fake, line)
            except Exception as error:  # report, keep serving
                answer = f"ERR {type(error).__name__}: {error}"
            print(answer, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
