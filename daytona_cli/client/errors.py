"""HTTP answers that are failures, as :class:`~daytona_cli.errors.CliError` carrying data.

The server's message is kept whole; the category decides the exit code (errors.py); the wait a
429 asks for is kept as ``retry_after`` (NOTES.md, Error bodies and status codes).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from daytona_cli.errors import Category, CliError, Reason
from daytona_cli.types import JSONObject

if TYPE_CHECKING:
    import httpx

# Server messages that mean "the sandbox is in the wrong state for this", not "your input is wrong".
_STATE_MESSAGES = ("state", "not running", "failed to start")


def _error_body(response: httpx.Response) -> JSONObject | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else {}


def _error_message(response: httpx.Response, body: JSONObject | None) -> str:
    """The server's one-line message, from the documented error body or whatever came instead."""
    if body is None:
        # An HTML page from a proxy or load balancer: its text says nothing useful.
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return f"HTTP {response.status_code} {response.reason_phrase} (a {kind} answer, not JSON)"
    message = body.get("message")
    if isinstance(message, list):  # older servers sent validation messages as a list
        return ", ".join(str(part) for part in message)
    if isinstance(message, str) and message:
        return message
    error = body.get("error")
    if isinstance(error, str) and error:
        return error
    return response.reason_phrase


def _category(status: int, message: str) -> Category:
    lowered = message.lower()
    if status in (401, 403):
        return Category.AUTH
    if status == 404 or (status == 400 and "not found" in lowered):
        return Category.NOT_FOUND
    if status == 408:
        return Category.TIMEOUT
    if status == 409 or (status == 400 and any(word in lowered for word in _STATE_MESSAGES)):
        return Category.CONFLICT
    if status == 429:
        return Category.RATE_LIMIT
    if status >= 500:
        return Category.SERVER
    return Category.OTHER


# Nest (Daytona's server) answers a route it does not have with "Cannot GET /path".
_NO_ROUTE = re.compile(r"^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /")


def _not_daytona(response: httpx.Response, body: JSONObject | None) -> CliError | None:
    """A 404/405 that is not about a sandbox (a web page, another server's JSON, or a route the
    API does not have), or a 501 (an HTTP server that does not know the method: the Daytona API
    never answers it). Whatever the command asked for, the URL is wrong (reason NOT_DAYTONA)."""
    status = response.status_code
    if status not in (404, 405, 501):
        return None
    try:
        request = response.request
    except RuntimeError:  # a response built by hand, in a test
        request = None
    host = request.url.host if request is not None else None
    where = f"the server at {host}" if host else "the server"
    if body is None:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        message = f"{where} answered {status} with a {kind} page, not the Daytona API's JSON"
    elif not ("statusCode" in body and "message" in body):
        message = f"{where} answered {status} with JSON that is not the Daytona API's"
    elif isinstance(body.get("message"), str) and _NO_ROUTE.match(body["message"]):
        route = f"{request.method} {request.url.path}" if request is not None else "it"
        message = f"{where} has no API route {route} ({status})"
    else:
        return None
    return CliError(Category.OTHER, message, status=status, reason=Reason.NOT_DAYTONA, host=host)


DAEMON = "DAYTONA_DAEMON"
"""The ``source`` of an error the sandbox's daemon answered (NOTES.md, Errors), not the API."""


def error_from_response(response: httpx.Response, subject: str | None = None) -> CliError:
    """Map an HTTP error answer to a category; the message is the server's own, kept whole."""
    body = _error_body(response)
    wrong_url = _not_daytona(response, body)
    if wrong_url is not None:
        return wrong_url
    message = _error_message(response, body)
    status = response.status_code
    text = (body or {}).get("code"), (body or {}).get("source")
    category = _category(status, message)
    if status == 403 and text[1] == DAEMON:
        category = Category.OTHER  # the sandbox refused a path to its user, not the key
    return CliError(
        category,
        message,
        status=status,
        # A web page instead of the API's JSON error: a gateway's, or not the API at all.
        reason=Reason.WEB_PAGE if body is None and status >= 500 else Reason.HTTP,
        subject=subject,
        retry_after=retry_after_seconds(response.headers) if status == 429 else None,
        api_code=text[0] if isinstance(text[0], str) else None,
        source=text[1] if isinstance(text[1], str) else None,
    )


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait the API asks for: ``Retry-After`` or a per-bucket ``Retry-After-<bucket>`` header.

    Values are seconds or an HTTP date; the longest wait named wins (NOTES.md, rate limiting).
    """
    waits = []
    for name, value in headers.items():
        if name.lower() == "retry-after" or name.lower().startswith("retry-after-"):
            wait = _parse_retry_after(value, time.time() if now is None else now)
            if wait is not None:
                waits.append(wait)
    return max(waits) if waits else None


def _parse_retry_after(value: str, now: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime  # rare: an HTTP-date Retry-After

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def malformed(what: str, detail: str) -> CliError:
    """An answer of the wrong shape (exit 1)."""
    return CliError(
        Category.OTHER,
        f"unexpected answer from the API for {what}: {detail}",
        reason=Reason.MALFORMED,
    )
