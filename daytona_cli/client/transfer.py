"""Request and answer bodies that are streamed, never held whole: file down- and uploads.

:class:`~daytona_cli.client.http.HttpClient` reads every answer whole against one deadline,
which suits JSON but not a 1 GiB file. Here the deadline bounds only getting the answer's
head; after that each read or write gets the usual per-operation timeout, so a long transfer
that keeps moving is never cut, and one that stalls fails. Errors are the client's own data.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from daytona_cli.client.errors import error_from_response, retry_after_seconds
from daytona_cli.client.http import CONNECT_TIMEOUT, READ_TIMEOUT, RETRY_STATUSES
from daytona_cli.client.redact import redact_headers, redact_url
from daytona_cli.errors import Category, CliError, Reason

if TYPE_CHECKING:
    import httpx

    from daytona_cli.client.http import HttpClient

CHUNK = 256 * 1024


@dataclass
class Download:
    """A download under way: ``chunks`` yields the body; ``size`` from Content-Length."""

    chunks: Iterator[bytes]
    size: int | None


@contextlib.contextmanager
def download(
    http: HttpClient, url: str, params: Sequence[tuple[str, str]], subject: str | None = None
) -> Iterator[Download]:
    """GET ``url`` and stream its body; retried like any idempotent call until the body
    starts. A connection lost mid-body raises a network error (the caller discards the part)."""
    response = _open(http, lambda: http.http.build_request("GET", url, params=list(params),
                                                           timeout=_timeout()),
                     idempotent=True, subject=subject)  # fmt: skip
    try:
        length = response.headers.get("content-length")
        size = int(length) if length and length.isdigit() else None
        yield Download(_body(http, response), size)
    finally:
        response.close()


def upload(
    http: HttpClient,
    url: str,
    params: Sequence[tuple[str, str]],
    chunks: Iterable[bytes],
    size: int | None,
    subject: str | None = None,
) -> None:
    """POST ``chunks`` as a raw body (``application/octet-stream``; Content-Length when
    ``size`` is known, chunked otherwise). Sent once: only a connection that was never made
    is tried again, since the body cannot be read twice."""
    headers = {"Content-Type": "application/octet-stream"}
    if size is not None:
        headers["Content-Length"] = str(size)
    response = _open(
        http,
        lambda: http.http.build_request(
            "POST", url, params=list(params), content=chunks, headers=headers, timeout=_timeout()
        ),
        idempotent=False,
        subject=subject,
    )
    try:
        response.read()
    finally:
        response.close()


def _timeout() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)


def _open(
    http: HttpClient, build: Callable[[], httpx.Request], *, idempotent: bool, subject: str | None
) -> httpx.Response:
    """Send until an answer's head arrives: a 2xx is returned unread; errors raise."""
    import httpx

    deadline = http.monotonic() + http.request_timeout
    attempt = 0
    while True:
        attempt += 1
        request = build()
        _log_request(http, request, attempt)
        started = time.monotonic()
        try:
            response = http.http.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            if http.backoff(attempt, None, deadline):
                continue
            raise http._network_error(request, _describe(exc)) from None
        except httpx.TimeoutException:
            raise _stalled(request) from None
        except httpx.TransportError as exc:
            raise http._network_error(request, "connection lost: " + _describe(exc)) from None
        if http.debug is not None:
            http.debug(f"< {response.status_code} {response.reason_phrase} in "
                       f"{time.monotonic() - started:.3f} s (body streamed)")  # fmt: skip
        if response.is_success:
            return response
        response.read()
        response.close()
        if idempotent and response.status_code in RETRY_STATUSES:
            wait = retry_after_seconds(response.headers)
            if http.backoff(attempt, wait, deadline):
                continue
        raise error_from_response(response, subject)


def _body(http: HttpClient, response: httpx.Response) -> Iterator[bytes]:
    import httpx

    try:
        yield from response.iter_bytes()
    except httpx.TimeoutException:
        raise _stalled(response.request) from None
    except httpx.TransportError as exc:
        raise http._network_error(response.request, "connection lost: " + _describe(exc)) from None


def _log_request(http: HttpClient, request: httpx.Request, attempt: int) -> None:
    if http.debug is None:
        return
    http.debug(f"> {request.method} {redact_url(str(request.url))} (attempt {attempt})")
    for name, value in redact_headers(request.headers).items():
        http.debug(f"> {name}: {value}")
    if request.method == "POST":
        http.debug("> (body streamed)")


def _stalled(request: httpx.Request) -> CliError:
    host = request.url.host
    return CliError(
        Category.TIMEOUT,
        f"the transfer with {host} stalled: nothing moved for {READ_TIMEOUT:g} s",
        reason=Reason.DEADLINE,
        host=host,
    )


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
