"""A fake's traffic across a process boundary: a fake served by ``python -m tests.fake_daytona``
in a test's subprocess writes what it was sent and answered (``dump``) to the folder named by
``RECORD_ENV``, and the test's contract check reads it back (``load``) to validate it as it
validates the fakes of its own process (``tests/conftest.py``)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

RECORD_ENV = "FAKE_DAYTONA_RECORD"
"""A folder: a fake run as a module writes its traffic there when it stops."""
KEPT_EXTENSIONS = ("fake_body_elided", "fake_tolerated")
"""What the contract check reads of a message besides its bytes."""


@dataclass
class Traffic:
    """Requests received and exchanges answered, as ``FakeDaytona`` keeps them."""

    source: str
    requests: list[httpx.Request] = field(default_factory=list)
    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)


def dump(fake: Any, path: Path) -> None:
    """Write a fake's ``requests`` and ``exchanges`` to ``path`` (JSON)."""
    requests = list(fake.requests)
    index = {id(request): number for number, request in enumerate(requests)}
    record = {
        "requests": [_message(request) for request in requests],
        "exchanges": [
            {"request": index[id(request)], "response": _message(response)}
            for request, response in list(fake.exchanges)
        ],
    }
    path.write_text(json.dumps(record))


def load(path: Path) -> Traffic:
    """What ``dump`` wrote, as httpx messages again."""
    record = json.loads(path.read_text())
    requests = [_request(message) for message in record["requests"]]
    traffic = Traffic(str(path), requests)
    traffic.exchanges = [
        (requests[exchange["request"]], _response(exchange["response"]))
        for exchange in record["exchanges"]
    ]
    return traffic


def _message(message: httpx.Request | httpx.Response) -> dict[str, Any]:
    extensions = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in message.extensions.items()
        if key in KEPT_EXTENSIONS
    }
    elided = "fake_body_elided" in extensions
    described: dict[str, Any] = {
        "headers": [
            [name.decode("latin-1"), value.decode("latin-1")] for name, value in message.headers.raw
        ],
        "content": None if elided else base64.b64encode(message.read()).decode("ascii"),
        "extensions": extensions,
    }
    if isinstance(message, httpx.Request):
        described.update(method=message.method, url=str(message.url))
    else:
        described.update(status=message.status_code)
    return described


def _parts(described: dict[str, Any]) -> dict[str, Any]:
    content = described["content"]
    extensions = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in described["extensions"].items()
    }
    return {
        "headers": [tuple(pair) for pair in described["headers"]],
        "content": b"" if content is None else base64.b64decode(content),
        "extensions": extensions,
    }


def _request(described: dict[str, Any]) -> httpx.Request:
    return httpx.Request(described["method"], described["url"], **_parts(described))


def _response(described: dict[str, Any]) -> httpx.Response:
    return httpx.Response(described["status"], **_parts(described))
