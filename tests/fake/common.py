"""What every part of the fake shares: states and fields of the spec, error types, answers,
and the server's way of reading query parameters (class-validator's wording)."""

from __future__ import annotations

import http
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

import httpx

ORGANIZATION_ID = "0b6f3a5e-7c1d-4e2a-9f00-fa4ed0a7c0de"
DEFAULT_SNAPSHOT = "daytonaio/sandbox:0.4.3"
DAEMON_VERSION = "0.205.1"
PROXY_PATH = "/toolbox-proxy"
"""Where the loopback server answers toolbox calls; also how faults and ``requests_to`` name
toolbox calls in either transport (``/toolbox-proxy/<sandbox id>/process/execute``)."""

SANDBOX_STATES = (
    "creating",
    "restoring",
    "destroyed",
    "destroying",
    "started",
    "stopped",
    "starting",
    "stopping",
    "error",
    "build_failed",
    "pending_build",
    "building_snapshot",
    "unknown",
    "pulling_snapshot",
    "archived",
    "archiving",
    "resizing",
    "snapshotting",
    "forking",
    "pausing",
    "paused",
    "resuming",
)
"""``SandboxState`` in openapi.yaml."""
LISTABLE_STATES = tuple(state for state in SANDBOX_STATES if state != "destroyed")
STABLE_STATES = frozenset({"started", "stopped", "archived", "paused", "error", "build_failed"})
ERRORED_STATES = frozenset({"error", "build_failed"})
SANDBOX_CLASSES = ("linux-vm", "container", "android", "windows")
PAUSABLE_CLASSES = frozenset({"linux-vm", "windows"})
"""NOTES.md "SSH, previews, pause and archive": only VM classes can pause."""
DESIRED_STATE = {
    "stopped": "stopped",
    "stopping": "stopped",
    "archived": "archived",
    "archiving": "archived",
    "destroying": "destroyed",
    "paused": "paused",
    "pausing": "paused",
}
"""Desired state of a sandbox added in a given state; anything else wants to be started."""

LIST_ITEM_FIELDS = frozenset(
    {
        "id",
        "organizationId",
        "name",
        "target",
        "runnerId",
        "sandboxClass",
        "state",
        "desiredState",
        "snapshot",
        "user",
        "errorReason",
        "recoverable",
        "public",
        "networkBlockAll",
        "networkAllowList",
        "domainAllowList",
        "cpu",
        "gpu",
        "spot",
        "spotEvictedAt",
        "gpuType",
        "memory",
        "disk",
        "labels",
        "backupState",
        "autoStopInterval",
        "autoPauseInterval",
        "autoArchiveInterval",
        "autoDeleteInterval",
        "autoDestroyAt",
        "createdAt",
        "updatedAt",
        "lastActivityAt",
        "daemonVersion",
        "warmPoolId",
        "toolboxProxyUrl",
    }
)
"""The fields of ``SandboxListItem``: a list answer has no env, volumes or buildInfo."""
DATE_FIELDS = frozenset({"createdAt", "updatedAt", "lastActivityAt", "lastUsedAt"})
SECONDS_KEPT_AFTER_PLATFORM_DESTROY = 24 * 3600.0
"""NOTES.md: a sandbox the platform destroyed stays readable for 24 hours."""


class ApiError(Exception):
    """An answer with Daytona's error body, raised anywhere below the router.

    ``code`` is the toolbox's ``DaemonErrorCode`` and ``source`` its ``DAYTONA_DAEMON`` /
    ``DAYTONA_PROXY``; both are used only on toolbox routes (NOTES.md "Toolbox errors").
    """

    def __init__(
        self, status: int, message: str, *, code: str | None = None, source: str = "DAYTONA_DAEMON"
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.source = source


DAEMON_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    408: "REQUEST_TIMEOUT",
    409: "CONFLICT",
    410: "GONE",
    422: "UNPROCESSABLE_ENTITY",
    500: "INTERNAL_SERVER_ERROR",
}
"""The ``DaemonErrorCode`` a status gets when no more precise code applies."""


def default_message(status: int) -> str:
    messages = {
        401: "Invalid credentials",
        408: "command execution timeout",
        429: "ThrottlerException: Too Many Requests",
        500: "Internal server error",
    }
    return messages.get(status) or reason_phrase(status)


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def json_response(status: int, body: Any, **extensions: Any) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"content-type": "application/json; charset=utf-8"},
        content=json.dumps(body).encode(),
        extensions=extensions,
    )


def text_response(status: int, body: bytes) -> httpx.Response:
    """What gin's ``c.String`` sends."""
    return httpx.Response(
        status, headers={"content-type": "text/plain; charset=utf-8"}, content=body
    )


def empty_response(status: int) -> httpx.Response:
    return httpx.Response(status)


def iso_utc(moment: float) -> str:
    """ISO-8601 UTC with milliseconds and Z, as JavaScript writes it."""
    stamp = datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def timestamp(value: str) -> float:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def segments(raw_path: str) -> list[str]:
    """Percent-decoded path segments; a trailing slash is ignored, as Express ignores it."""
    parts = [unquote(segment) for segment in raw_path.split("/")[1:]]
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


def json_body(request: httpx.Request) -> dict[str, Any]:
    """The JSON object in the body; like Express, a body that is not JSON-typed reads as {}."""
    if "json" not in request.headers.get("content-type", "").lower():
        return {}
    try:
        body = json.loads(request.content or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(400, f"Unexpected token in JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "fake: the request body must be a JSON object")
    return body


def daemon_json_body(request: httpx.Request) -> dict[str, Any]:
    """The JSON object gin's ``ShouldBindJSON`` reads, or its 400."""
    try:
        body = json.loads(request.content or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(400, f"invalid request body: {error}", code="INVALID_REQUEST_BODY") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid request body: not an object", code="INVALID_REQUEST_BODY")
    return body


_TYPE_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda value: isinstance(value, str), "must be a string"),
    "boolean": (lambda value: isinstance(value, bool), "must be a boolean value"),
    "integer": (
        lambda value: isinstance(value, int) and not isinstance(value, bool),
        "must be an integer number",
    ),
    "number": (
        lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
        "must be a number conforming to the specified constraints",
    ),
    "object": (lambda value: isinstance(value, dict), "must be an object"),
    "string map": (
        lambda value: isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
        "must be an object of strings",
    ),
    "array": (lambda value: isinstance(value, list), "must be an array"),
}
"""class-validator's wording for each kind of field; a string map's values become process
environments and labels, so the fake insists on strings there."""


def check_types(body: dict[str, Any], fields: dict[str, str]) -> None:
    """class-validator's checks: optional fields (null counts as absent) of a given kind."""
    problems = []
    for name, kind in fields.items():
        value = body.get(name)
        check, message = _TYPE_CHECKS[kind]
        if value is not None and not check(value):
            problems.append(f"{name} {message}")
    if problems:
        raise ApiError(400, ", ".join(problems))


def int_param(
    params: httpx.QueryParams, name: str, *, default: int, low: int, high: int | None
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    value = number(name, raw)
    if not value.is_integer():
        raise ApiError(400, f"{name} must be an integer number")
    if value < low:
        raise ApiError(400, f"{name} must not be less than {low}")
    if high is not None and value > high:
        raise ApiError(400, f"{name} must not be greater than {high}")
    return int(value)


def number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ApiError(400, f"{name} must be a number conforming to the specified constraints")
    return value


def choice_param(
    params: httpx.QueryParams, name: str, choices: tuple[str, ...], default: str
) -> str:
    value = str(params.get(name, default))
    if value not in choices:
        raise ApiError(400, f"{name} must be one of the following values: {', '.join(choices)}")
    return value


def bool_param(params: httpx.QueryParams, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ApiError(400, f"{name} must be a boolean value")
    return bool(raw == "true")


def date_param(params: httpx.QueryParams, name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return timestamp(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a valid ISO 8601 date string") from None


class BodyStream(httpx.SyncByteStream):
    """A body that has not been read yet: bytes, optionally one byte per ``trickle`` seconds,
    or chunks from an iterator (a file being downloaded)."""

    def __init__(self, content: bytes | Iterable[bytes], trickle: float = 0.0) -> None:
        self.content = content
        self.trickle = trickle

    def __iter__(self) -> Iterator[bytes]:
        if not isinstance(self.content, bytes):
            yield from self.content
            return
        if self.trickle <= 0:
            yield self.content
            return
        for index in range(len(self.content)):
            time.sleep(self.trickle)
            yield self.content[index : index + 1]

    def close(self) -> None:
        close = getattr(self.content, "close", None)
        if close is not None:
            close()
