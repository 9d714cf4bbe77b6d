"""One HTTP connection pool, and the one request path: bounded retries under one deadline.

Every HTTP or transport failure becomes a :class:`~daytona_cli.errors.CliError` here, carrying
data (status, the server's message and code, a :class:`~daytona_cli.errors.Reason`), never CLI
wording. Nothing here prints: ``--debug`` output goes through the ``debug`` callback.
"""

from __future__ import annotations

import os
import platform
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from daytona_cli import __version__
from daytona_cli.client.errors import error_from_response, malformed, retry_after_seconds
from daytona_cli.client.proxies import proxy_for, unusable_proxy
from daytona_cli.client.redact import redact_body, redact_headers, redact_url
from daytona_cli.errors import Category, CliError, Reason
from daytona_cli.types import JSONObject

if TYPE_CHECKING:
    import httpx

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
# Bounds every attempt and backoff sleep of one API call, so a server that trickles bytes or keeps
# answering 503 cannot hang a CI job. `--request-timeout` overrides it.
DEFAULT_REQUEST_TIMEOUT = 120.0
DEFAULT_MAX_ATTEMPTS = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
NOTICE_WAIT = 2.0
"""A wait the API asks for (Retry-After) at least this long is said on stderr."""


def path_segment(value: str) -> str:
    """Encode one path segment, so a name like ``../x`` or ``a/b`` cannot change the route."""
    segment = quote(value, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return segment


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: the one place plain http may carry the key."""
    if host == "localhost":
        return True
    try:
        import ipaddress  # only for http:// URLs, which are rare

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Failed(Exception):
    """One attempt failed before an HTTP answer; ``sent`` says whether the server may have acted."""

    def __init__(self, error: CliError, *, sent: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.sent = sent


class HttpClient:
    """One reused httpx connection pool with the key attached, and :meth:`request`.

    ``monotonic`` and ``sleep`` are the injected clock: every deadline and backoff uses them.
    """

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        organization_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
        debug: Callable[[str], None] | None = None,
        notice: Callable[[str], None] | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        import httpx

        self.environ = os.environ if environ is None else environ
        self.authenticated = threading.Event()
        """Set by the first answer that was not a refusal of the key (401/403)."""
        self.debug = debug
        self.notice = notice
        """Hears about a long wait the API asked for, so that a person knows why nothing moves."""
        self.request_timeout = request_timeout
        self.max_attempts = max(1, max_attempts)
        self.monotonic = monotonic
        self.sleep = sleep
        headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"daytona-cli/{__version__} (python {platform.python_version()})",
            "Accept": "application/json",
        }
        if organization_id:
            headers["X-Daytona-Organization-ID"] = organization_id
        try:
            self.http = httpx.Client(
                base_url=api_url.rstrip("/") + "/",
                headers=headers,
                transport=transport,
                timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
                follow_redirects=False,
                # Proxies from the environment, except for a plain-http (loopback) API URL:
                # the key must never travel in clear text to a proxy.
                trust_env=urlsplit(api_url).scheme != "http",
            )
        except (ImportError, ValueError, httpx.InvalidURL) as exc:
            raise unusable_proxy(exc, self.environ) from None

    def close(self) -> None:
        self.http.close()

    # --- debug logging (key redacted) ----------------------------------------------------------

    def _log_request(self, request: httpx.Request, attempt: int) -> None:
        if self.debug is None:
            return
        self.debug(f"> {request.method} {redact_url(str(request.url))} (attempt {attempt})")
        for name, value in redact_headers(request.headers).items():
            self.debug(f"> {name}: {value}")
        if request.content:
            self.debug(f"> {redact_body(request.content.decode('utf-8', 'replace'))[:2000]}")

    def _log_response(self, response: httpx.Response, elapsed: float) -> None:
        if self.debug is None:
            return
        self.debug(f"< {response.status_code} {response.reason_phrase} in {elapsed:.3f} s")
        for name, value in response.headers.items():
            self.debug(f"< {name}: {value}")
        if response.content:
            self.debug(f"< {redact_body(response.text)[:2000]}")

    # --- the one request path ------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json_body: JSONObject | None = None,
        timeout: float | None = None,
        subject: str | None = None,
        idempotent: bool = True,
        done_after_ambiguous: Collection[int] = (),
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one API call, retrying what is safe to retry, and return its decoded JSON (the
        body's bytes with ``raw``); ``headers`` are sent besides the client's own.

        Idempotent calls are retried on transport failures and on 429/5xx. Others (create, exec)
        only when the request surely did not act: it was never sent, or the answer was 429. All
        attempts and sleeps share one deadline. A status in ``done_after_ambiguous`` answered
        after an ambiguous attempt means the earlier attempt did the work (a retried delete that
        finds the sandbox gone): the call returns None.
        """
        read_timeout = timeout if timeout is not None else READ_TIMEOUT
        budget = max(self.request_timeout, read_timeout) if timeout else self.request_timeout
        deadline = self.monotonic() + budget
        ambiguous = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send_once(method, url, params, json_body, read_timeout, deadline,
                                           attempt, headers)  # fmt: skip
            except _Failed as failed:
                ambiguous = ambiguous or failed.sent
                if (idempotent or not failed.sent) and self.backoff(attempt, None, deadline):
                    continue
                failed.error.ambiguous = ambiguous
                raise failed.error from None
            status = response.status_code
            if status not in (401, 403):
                self.authenticated.set()
            if ambiguous and status in done_after_ambiguous:
                return None
            if status in RETRY_STATUSES:
                # A 5xx may have acted before failing; a 429 surely did not.
                ambiguous = ambiguous or status != 429
                wait = retry_after_seconds(response.headers)
                if (idempotent or status == 429) and self.backoff(attempt, wait, deadline):
                    continue
            if status >= 400:
                error = error_from_response(response, subject)
                # Set when this or an earlier attempt may have acted (answer lost, or a 5xx).
                error.ambiguous = ambiguous
                raise error
            if 300 <= status < 400:
                raise CliError(
                    Category.OTHER,
                    f"the API answered with a redirect ({status}) to "
                    f"{response.headers.get('location', '?')}; not following it with the key attached",
                    status=status,
                    reason=Reason.REDIRECT,
                )
            return response.content if raw else _decode_json(response)

    def object(self, method: str, url: str, **kwargs: Any) -> JSONObject:
        """:meth:`request` for a call whose answer must be a JSON object."""
        body = self.request(method, url, **kwargs)
        if not isinstance(body, dict):
            raise malformed(f"{method} {url.split('?')[0]}", "expected a JSON object")
        return body

    def backoff(self, attempt: int, wait: float | None, deadline: float) -> bool:
        """Sleep before another attempt; False when out of attempts or the sleep would pass the deadline."""
        if attempt >= self.max_attempts:
            return False
        asked = wait is not None
        if wait is None:
            wait = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))  # noqa: S311
        if self.monotonic() + wait >= deadline:
            return False
        if asked and wait >= NOTICE_WAIT and self.notice is not None:
            self.notice(f"rate limited: waiting {wait:g} s, as the API asks, before trying again")
        if self.debug is not None:
            self.debug(f"* retrying in {wait:.2f} s")
        self.sleep(wait)
        return True

    def _send_once(
        self,
        method: str,
        url: str,
        params: Sequence[tuple[str, str]] | None,
        json_body: JSONObject | None,
        read_timeout: float,
        deadline: float,
        attempt: int,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One attempt. The body is read chunk by chunk against the deadline (httpx's read
        timeout is per chunk, so a server trickling one byte a second would never trip it)."""
        import httpx

        host = _host(self.full_url(url))
        remaining = deadline - self.monotonic()
        if remaining <= 0:
            raise _Failed(_deadline_error(host), sent=False)
        request = self.http.build_request(
            method,
            url,
            params=list(params) if params else None,
            json=json_body,
            headers=headers,
            timeout=httpx.Timeout(
                min(read_timeout, remaining), connect=min(CONNECT_TIMEOUT, remaining)
            ),
        )
        self._log_request(request, attempt)
        started = self.monotonic()
        try:
            response = self.http.send(request, stream=True)
            try:
                chunks = []
                for chunk in response.iter_raw():
                    chunks.append(chunk)
                    if self.monotonic() > deadline:
                        raise _Failed(_deadline_error(host), sent=True)
            finally:
                response.close()
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ProxyError,
        ) as exc:
            raise _Failed(self._network_error(request, _describe(exc)), sent=False) from None
        except httpx.TimeoutException:
            raise _Failed(_deadline_error(host), sent=True) from None
        except httpx.TransportError as exc:
            error = self._network_error(request, "connection lost: " + _describe(exc))
            raise _Failed(error, sent=True) from None
        whole = httpx.Response(
            response.status_code,
            headers=response.headers,
            content=b"".join(chunks),
            request=request,
        )
        self._log_response(whole, self.monotonic() - started)
        return whole

    def full_url(self, url: str) -> str:
        return str(self.http.base_url.join(url))

    def _network_error(self, request: httpx.Request, detail: str) -> CliError:
        host = _host(str(request.url))
        proxy = proxy_for(str(request.url), self.environ) if self.http.trust_env else None
        if proxy is None:
            return CliError(
                Category.NETWORK, f"cannot reach {host}: {detail}", reason=Reason.NETWORK, host=host
            )
        return CliError(
            Category.NETWORK,
            f"cannot reach {host} through the proxy {proxy}: {detail}",
            reason=Reason.PROXY,
            host=host,
        )


def _deadline_error(host: str) -> CliError:
    return CliError(
        Category.TIMEOUT,
        f"no complete answer from {host} in time",
        reason=Reason.DEADLINE,
        host=host,
    )


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _decode_json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    what = (
        f"(HTTP {response.status_code}) for {response.request.method} {response.request.url.path}"
    )
    if content_type and "json" not in content_type.lower():
        raise CliError(
            Category.OTHER,
            f"the API answered with {content_type.split(';')[0]}, not JSON {what}",
            status=response.status_code,
            reason=Reason.NOT_JSON,
        )
    try:
        return response.json()
    except ValueError:
        content_type = content_type or "no content type"
        raise CliError(
            Category.OTHER,
            f"the API sent an answer that is not JSON (HTTP {response.status_code}, "
            f"{content_type}) for {response.request.method} {response.request.url.path}",
            status=response.status_code,
            reason=Reason.NOT_JSON,
        ) from None
