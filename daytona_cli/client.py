"""DaytonaClient: the only module that speaks HTTP.

One method per API call, returning the API's JSON objects unchanged (the CLI's ``--json`` output is
the API's own objects). Every HTTP or transport failure becomes a :class:`CliError` with a category
here, so commands never see httpx. The client never prints; ``--debug`` output goes through the
``debug`` callback the caller passes in.
"""

from __future__ import annotations

import json
import platform
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from daytona_cli import __version__
from daytona_cli.errors import Category, CliError

if TYPE_CHECKING:
    import httpx

JSONObject = dict[str, Any]

MAX_PAGE_SIZE = 200
# The API forwards execute calls to the runner with a 360 s limit; wait a little longer than that.
EXEC_API_LIMIT_SECONDS = 360.0
EXEC_READ_MARGIN_SECONDS = 30.0
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
# Bounds every attempt and backoff sleep of one API call, so a server that trickles bytes or keeps
# answering 503 cannot hang a CI job. `--request-timeout` overrides it.
DEFAULT_REQUEST_TIMEOUT = 120.0
DEFAULT_MAX_ATTEMPTS = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
# Every create carries this label, so after an ambiguous failure the CLI can find what it made.
REQUEST_ID_LABEL = "daytona-cli/request-id"

# Server messages that mean "the sandbox is in the wrong state for this", not "your input is wrong".
_STATE_MESSAGES = (
    "state",
    "not running",
    "failed to start",
)


def path_segment(value: str) -> str:
    """Encode one path segment, so a name like ``../x`` or ``a/b`` cannot change the route."""
    segment = quote(value, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return segment


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    shown = dict(headers)
    for name in list(shown):
        if name.lower() == "authorization":
            shown[name] = "Bearer ***"
    return shown


def _error_message(response: httpx.Response) -> str:
    """The server's one-line message, from the documented error body or whatever came instead."""
    try:
        body = response.json()
    except ValueError:
        # An HTML page from a proxy or load balancer: its text says nothing useful.
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return f"HTTP {response.status_code} {response.reason_phrase} (a {kind} answer, not JSON)"
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, list):  # older servers sent validation messages as a list
            return ", ".join(str(part) for part in message)
        if isinstance(message, str) and message:
            return message
        error = body.get("error")
        if isinstance(error, str) and error:
            return error
    return response.reason_phrase


def error_from_response(response: httpx.Response, subject: str | None = None) -> CliError:
    """Map an HTTP error answer to a category; the message is the server's own, kept whole."""
    status = response.status_code
    message = _error_message(response)
    lowered = message.lower()
    hint: str | None = None
    if status == 401:
        category = Category.AUTH
        hint = "check DAYTONA_API_KEY; create a new key in the Daytona Dashboard (API Keys)"
    elif status == 403:
        category = Category.AUTH
        hint = "the key is valid but not allowed to do this; check its permissions and organization"
    elif status == 404:
        category = Category.NOT_FOUND
        if subject is not None:
            hint = "list sandboxes with `daytona-cli sandbox list`"
    elif status == 408:
        category = Category.TIMEOUT
    elif status == 409:
        category = Category.CONFLICT
    elif status == 429:
        category = Category.RATE_LIMIT
        wait = retry_after_seconds(response.headers)
        hint = (
            f"rate limited by the API; try again in {wait:g} s"
            if wait is not None
            else "rate limited by the API; try again shortly"
        )
    elif status == 400 and "not found" in lowered:
        category = Category.NOT_FOUND
    elif status == 400 and any(word in lowered for word in _STATE_MESSAGES):
        category = Category.CONFLICT
    elif status >= 500:
        category = Category.SERVER
        hint = (
            "the Daytona API failed; try again, and check https://status.daytona.io if it persists"
        )
    else:
        category = Category.OTHER
    return CliError(category, message, hint=hint, status=status)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait the API asks for: ``Retry-After`` or a per-bucket ``Retry-After-<bucket>`` header.

    Values are seconds or an HTTP date; the longest wait named wins.
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


class _Failed(Exception):
    """One attempt failed before an HTTP answer; ``sent`` says whether the server may have acted."""

    def __init__(self, error: CliError, *, sent: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.sent = sent


class DaytonaClient:
    """A thin typed wrapper over the Daytona REST API, one reused httpx connection pool."""

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        organization_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
        debug: Callable[[str], None] | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self._debug = debug
        self._request_timeout = request_timeout
        self._max_attempts = max(1, max_attempts)
        self._monotonic = monotonic
        self._sleep = sleep
        headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"daytona-cli/{__version__} (python {platform.python_version()})",
            "Accept": "application/json",
        }
        if organization_id:
            headers["X-Daytona-Organization-ID"] = organization_id
        self._http = httpx.Client(
            base_url=api_url.rstrip("/") + "/",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DaytonaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- debug logging (key redacted) ----------------------------------------------------------

    def _log_request(self, request: httpx.Request, attempt: int) -> None:
        if self._debug is None:
            return
        self._debug(f"> {request.method} {request.url} (attempt {attempt})")
        for name, value in redact_headers(request.headers).items():
            self._debug(f"> {name}: {value}")
        if request.content:
            self._debug(f"> {request.content.decode('utf-8', 'replace')[:2000]}")

    def _log_response(self, response: httpx.Response, elapsed: float) -> None:
        if self._debug is None:
            return
        self._debug(f"< {response.status_code} {response.reason_phrase} in {elapsed:.3f} s")
        for name, value in response.headers.items():
            self._debug(f"< {name}: {value}")
        if response.content:
            self._debug(f"< {response.text[:2000]}")

    # --- the one request path: bounded retries under one deadline ------------------------------

    def _request(
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
    ) -> Any:
        """Send one API call, retrying what is safe to retry, and return its decoded JSON.

        Idempotent calls are retried on transport failures and on 429/5xx. Others (create, exec)
        only when the request surely did not act: it was never sent, or the answer was 429. All
        attempts and sleeps share one deadline. A status in ``done_after_ambiguous`` answered
        after an ambiguous attempt means the earlier attempt did the work (a retried delete that
        finds the sandbox gone): the call returns None.
        """
        read_timeout = timeout if timeout is not None else READ_TIMEOUT
        budget = max(self._request_timeout, read_timeout) if timeout else self._request_timeout
        deadline = self._monotonic() + budget
        ambiguous = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send_once(method, url, params, json_body, read_timeout, deadline,
                                           attempt)  # fmt: skip
            except _Failed as failed:
                ambiguous = ambiguous or failed.sent
                if (idempotent or not failed.sent) and self._backoff(attempt, None, deadline):
                    continue
                failed.error.ambiguous = ambiguous
                raise failed.error from None
            status = response.status_code
            if ambiguous and status in done_after_ambiguous:
                return None
            if status in RETRY_STATUSES:
                # A 5xx may have acted before failing; a 429 surely did not.
                ambiguous = ambiguous or status != 429
                wait = retry_after_seconds(response.headers)
                if (idempotent or status == 429) and self._backoff(attempt, wait, deadline):
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
                    hint="check DAYTONA_API_URL",
                    status=status,
                )
            return _decode_json(response)

    def _backoff(self, attempt: int, wait: float | None, deadline: float) -> bool:
        """Sleep before another attempt; False when out of attempts or the sleep would pass the deadline."""
        if attempt >= self._max_attempts:
            return False
        if wait is None:
            wait = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))  # noqa: S311
        if self._monotonic() + wait >= deadline:
            return False
        if self._debug is not None:
            self._debug(f"* retrying in {wait:.2f} s")
        self._sleep(wait)
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
    ) -> httpx.Response:
        """One attempt. The body is read chunk by chunk against the deadline (httpx's read
        timeout is per chunk, so a server trickling one byte a second would never trip it)."""
        import httpx

        host = _host(self._full_url(url))
        remaining = deadline - self._monotonic()
        if remaining <= 0:
            raise _Failed(self._deadline_error(host), sent=False)
        request = self._http.build_request(
            method,
            url,
            params=list(params) if params else None,
            json=json_body,
            timeout=httpx.Timeout(
                min(read_timeout, remaining), connect=min(CONNECT_TIMEOUT, remaining)
            ),
        )
        self._log_request(request, attempt)
        started = self._monotonic()
        try:
            response = self._http.send(request, stream=True)
            try:
                chunks = []
                for chunk in response.iter_raw():
                    chunks.append(chunk)
                    if self._monotonic() > deadline:
                        raise _Failed(self._deadline_error(host), sent=True)
            finally:
                response.close()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Failed(self._network_error(url, _describe(exc)), sent=False) from None
        except httpx.TimeoutException:
            raise _Failed(self._deadline_error(host), sent=True) from None
        except httpx.TransportError as exc:
            error = self._network_error(url, "connection lost: " + _describe(exc))
            raise _Failed(error, sent=True) from None
        whole = httpx.Response(
            response.status_code,
            headers=response.headers,
            content=b"".join(chunks),
            request=request,
        )
        self._log_response(whole, self._monotonic() - started)
        return whole

    def _deadline_error(self, host: str) -> CliError:
        return CliError(
            Category.TIMEOUT,
            f"no complete answer from {host} in time",
            hint="the API is slow or unreachable; try again, or raise --request-timeout",
        )

    def _full_url(self, url: str) -> str:
        return str(self._http.base_url.join(url))

    def _network_error(self, url: str, detail: str) -> CliError:
        return CliError(
            Category.NETWORK,
            f"cannot reach {_host(self._full_url(url))}: {detail}",
            hint="check your network connection and DAYTONA_API_URL",
        )

    # --- sandboxes -----------------------------------------------------------------------------

    def list_sandboxes(
        self,
        *,
        name: str | None = None,
        labels: Mapping[str, str] | None = None,
        states: Sequence[str] = (),
        snapshots: Sequence[str] = (),
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
        extra: Sequence[tuple[str, str]] = (),
    ) -> Iterator[list[JSONObject]]:
        """Yield pages of sandboxes, following ``nextCursor`` until done or ``limit`` items."""
        base: list[tuple[str, str]] = []
        if name:
            base.append(("name", name))
        if labels:
            base.append(("labels", json.dumps(dict(labels), separators=(",", ":"))))
        base += [("states", state) for state in states]
        base += [("snapshots", snapshot) for snapshot in snapshots]
        if sort:
            base.append(("sort", sort))
        if order:
            base.append(("order", order))
        base += list(extra)
        remaining = limit
        cursor: str | None = None
        while True:
            page_size = MAX_PAGE_SIZE if remaining is None else min(MAX_PAGE_SIZE, remaining)
            params = [*base, ("limit", str(page_size))]
            if cursor:
                params.append(("cursor", cursor))
            body = self._request("GET", "sandbox", params=params)
            if isinstance(body, list):  # older API versions answered a bare array
                items, cursor = body, None
            elif isinstance(body, dict) and isinstance(body.get("items"), list):
                items, cursor = body["items"], body.get("nextCursor")
            else:
                raise _malformed("GET /sandbox", "expected a list of sandboxes")
            _require_objects(items, "GET /sandbox")
            fetched = len(items)
            if name:
                # The API matches names with SQL ILIKE, where `_` and `%` are wildcards: keep
                # only true prefixes, so `--name a_b` can never select `axb`.
                prefix = name.lower()
                items = [i for i in items if str(i.get("name", "")).lower().startswith(prefix)]
            if remaining is not None:
                items = items[:remaining]
                remaining -= len(items)
            yield items
            if not cursor or not fetched or remaining == 0:
                return

    def get_sandbox(self, id_or_name: str) -> JSONObject:
        return self._sandbox("GET", f"sandbox/{path_segment(id_or_name)}", subject=id_or_name)

    def create_sandbox(self, body: JSONObject) -> JSONObject:
        """Create once, even across retries.

        Create is not idempotent, so ``_request`` retries it only when the server surely did not
        act. After an ambiguous failure (answer lost, 5xx) the sandbox is looked up by a
        request-ID label sent with it before another attempt, so one call never makes two.
        """
        import uuid

        request_id = str(uuid.uuid4())
        body = {**body, "labels": {**(body.get("labels") or {}), REQUEST_ID_LABEL: request_id}}
        name = body.get("name")
        deadline = self._monotonic() + self._request_timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._sandbox("POST", "sandbox", json_body=body, idempotent=False)
            except KeyboardInterrupt:
                raise CliError(
                    Category.INTERRUPTED,
                    "interrupted while creating the sandbox; it may have been created",
                    hint=(
                        "look for it with "
                        f"`daytona-cli sandbox list -l {REQUEST_ID_LABEL}={request_id}`"
                    ),
                ) from None
            except CliError as err:
                if attempt > 1 and err.status == 409 and name:
                    # The name is taken: by our own earlier attempt, or by someone else.
                    mine = self._find_created(request_id, name)
                    if mine is not None:
                        return mine
                if not err.ambiguous:
                    raise
                if not self._backoff(attempt, None, deadline):
                    err.hint = (
                        "the sandbox may have been created; look for it with "
                        f"`daytona-cli sandbox list -l {REQUEST_ID_LABEL}={request_id}`"
                    )
                    raise
                mine = self._find_created(request_id, name)
                if mine is not None:
                    return mine

    def _find_created(self, request_id: str, name: str | None) -> JSONObject | None:
        """The sandbox an earlier attempt made, if any: by name when there is one (a GET is
        consistent), else by the request-ID label (the list is only eventually consistent)."""
        if name:
            try:
                sandbox = self.get_sandbox(name)
            except CliError as err:
                if err.category is Category.NOT_FOUND:
                    return None
                raise
            labels = sandbox.get("labels") or {}
            return sandbox if labels.get(REQUEST_ID_LABEL) == request_id else None
        for page in self.list_sandboxes(labels={REQUEST_ID_LABEL: request_id}, limit=1):
            for item in page:
                return self.get_sandbox(str(item["id"]))
        return None

    def delete_sandbox(self, id_or_name: str) -> JSONObject:
        """Delete; a retry that finds the sandbox gone, or being destroyed, means an earlier
        attempt whose answer was lost did the work."""
        try:
            answer = self._request(
                "DELETE",
                f"sandbox/{path_segment(id_or_name)}",
                subject=id_or_name,
                done_after_ambiguous=(404,),
            )
        except CliError as err:
            if not (err.ambiguous and err.status == 409):
                raise
            try:
                current = self.get_sandbox(id_or_name)
            except CliError as lookup:
                if lookup.category is Category.NOT_FOUND:
                    return {"id": id_or_name, "state": "destroyed"}
                raise err from None
            if current.get("state") in ("destroying", "destroyed"):
                return current
            raise
        if answer is None:
            return {"id": id_or_name, "state": "destroyed"}
        return _checked_sandbox(answer, "DELETE /sandbox")

    def start_sandbox(self, id_or_name: str) -> JSONObject:
        return self._object("POST", f"sandbox/{path_segment(id_or_name)}/start", subject=id_or_name)

    def stop_sandbox(self, id_or_name: str) -> JSONObject:
        return self._object("POST", f"sandbox/{path_segment(id_or_name)}/stop", subject=id_or_name)

    def toolbox_proxy_url(self, sandbox_id: str) -> str:
        body = self._object("GET", f"sandbox/{path_segment(sandbox_id)}/toolbox-proxy-url")
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise _malformed("GET toolbox-proxy-url", "no url in the answer")
        return url

    def execute(
        self,
        sandbox_id: str,
        body: JSONObject,
        *,
        proxy_url: str | None = None,
    ) -> JSONObject:
        """Run a command: the legacy API route, or the toolbox proxy when ``proxy_url`` is given.

        The read timeout outlasts the command's own timeout so the server, not the client,
        decides when the command ran too long.
        """
        command_timeout = float(body.get("timeout") or EXEC_API_LIMIT_SECONDS)
        if proxy_url is None:
            url = f"toolbox/{path_segment(sandbox_id)}/toolbox/process/execute"
        else:
            _check_proxy_url(proxy_url)
            url = f"{proxy_url.rstrip('/')}/{path_segment(sandbox_id)}/process/execute"
        answer = self._object(
            "POST",
            url,
            json_body=body,
            timeout=command_timeout + EXEC_READ_MARGIN_SECONDS,
            subject=sandbox_id,
            idempotent=False,
        )
        if not isinstance(answer.get("exitCode"), (int, float)) or not isinstance(
            answer.get("result"), str
        ):
            raise _malformed("execute", "expected exitCode and result")
        return answer

    # --- snapshots -----------------------------------------------------------------------------

    def list_snapshots(
        self, *, name: str | None = None, limit: int | None = None
    ) -> Iterator[list[JSONObject]]:
        """Yield pages of snapshots (page-numbered), until the last page or ``limit`` items."""
        remaining = limit
        page = 1
        # One page size throughout: page numbers count in units of it.
        page_size = MAX_PAGE_SIZE if limit is None else min(MAX_PAGE_SIZE, limit)
        while True:
            params = [("page", str(page)), ("limit", str(page_size))]
            if name:
                params.append(("name", name))
            body = self._request("GET", "snapshots", params=params)
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise _malformed("GET /snapshots", "expected a page of snapshots")
            items: list[JSONObject] = body["items"]
            _require_objects(items, "GET /snapshots")
            if remaining is not None:
                items = items[:remaining]
                remaining -= len(items)
            yield items
            total_pages = body.get("totalPages")
            if (
                not items
                or remaining == 0
                or not isinstance(total_pages, (int, float))
                or page >= total_pages
            ):
                return
            page += 1

    # --- helpers -------------------------------------------------------------------------------

    def _object(
        self,
        method: str,
        url: str,
        *,
        json_body: JSONObject | None = None,
        timeout: float | None = None,
        subject: str | None = None,
        idempotent: bool = True,
    ) -> JSONObject:
        body = self._request(
            method,
            url,
            json_body=json_body,
            timeout=timeout,
            subject=subject,
            idempotent=idempotent,
        )
        if not isinstance(body, dict):
            raise _malformed(f"{method} {url.split('?')[0]}", "expected a JSON object")
        return body

    def _sandbox(
        self,
        method: str,
        url: str,
        *,
        json_body: JSONObject | None = None,
        subject: str | None = None,
        idempotent: bool = True,
    ) -> JSONObject:
        answer = self._object(
            method, url, json_body=json_body, subject=subject, idempotent=idempotent
        )
        return _checked_sandbox(answer, f"{method} {url}")


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _decode_json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    if content_type and "json" not in content_type.lower():
        raise CliError(
            Category.OTHER,
            f"the API answered with {content_type.split(';')[0]}, not JSON "
            f"(HTTP {response.status_code}) for {response.request.method} "
            f"{response.request.url.path}",
            hint="check DAYTONA_API_URL points at the Daytona API; run with --debug to see it",
            status=response.status_code,
        )
    try:
        return response.json()
    except ValueError:
        content_type = response.headers.get("content-type", "no content type")
        raise CliError(
            Category.OTHER,
            f"the API sent an answer that is not JSON (HTTP {response.status_code}, "
            f"{content_type}) for {response.request.method} {response.request.url.path}",
            hint="check DAYTONA_API_URL points at the Daytona API; run with --debug to see it",
            status=response.status_code,
        ) from None


def _checked_sandbox(answer: Any, what: str) -> JSONObject:
    """A sandbox must at least say which one it is; anything else is a malformed answer."""
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), str) or not answer["id"]:
        raise _malformed(what, "expected a sandbox with an id")
    return answer


def _check_proxy_url(url: str) -> None:
    """The key goes to the toolbox proxy too, so the same rule as for the API URL applies."""
    from daytona_cli.config import is_loopback

    parts = urlsplit(url)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and is_loopback(parts.hostname or "")
    )
    if not secure or not parts.hostname:
        raise CliError(
            Category.OTHER,
            f"refusing to send the API key to the toolbox proxy URL {url!r} the API returned",
            hint="only https (or loopback http) proxy URLs are used",
        )


def _require_objects(items: list[Any], what: str) -> None:
    if not all(isinstance(item, dict) for item in items):
        raise _malformed(what, "expected a list of objects")


def _malformed(what: str, detail: str) -> CliError:
    return CliError(
        Category.OTHER,
        f"unexpected answer from the API for {what}: {detail}",
        hint="run with --debug to see the exchange; the API may have changed",
    )
