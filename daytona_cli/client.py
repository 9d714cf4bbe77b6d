"""DaytonaClient: the only module that speaks HTTP.

One method per API call, returning the API's JSON objects unchanged (the CLI's ``--json`` output is
the API's own objects). Every HTTP or transport failure becomes a :class:`CliError` with a category
here, so commands never see httpx. The client never prints; ``--debug`` output goes through the
``debug`` callback the caller passes in.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Iterator, Mapping, Sequence
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
        text = response.text.strip().splitlines()
        return text[0][:200] if text else response.reason_phrase
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


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait the API asks for: ``Retry-After`` or a per-bucket ``Retry-After-<bucket>`` header."""
    for name, value in headers.items():
        if name.lower() == "retry-after" or name.lower().startswith("retry-after-"):
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return None


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
    ) -> None:
        import httpx

        self._httpx = httpx
        self._debug = debug
        headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"daytona-cli/{__version__} (python {platform.python_version()})",
            "Accept": "application/json",
        }
        if organization_id:
            headers["X-Daytona-Organization-ID"] = organization_id
        hooks: dict[str, list[Callable[..., Any]]] = {}
        if debug is not None:
            hooks = {"request": [self._log_request], "response": [self._log_response]}
        self._http = httpx.Client(
            base_url=api_url.rstrip("/") + "/",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
            event_hooks=hooks,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DaytonaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- debug logging (key redacted) ----------------------------------------------------------

    def _log_request(self, request: httpx.Request) -> None:
        assert self._debug is not None
        self._debug(f"> {request.method} {request.url}")
        for name, value in redact_headers(request.headers).items():
            self._debug(f"> {name}: {value}")
        if request.content:
            self._debug(f"> {request.content.decode('utf-8', 'replace')[:2000]}")

    def _log_response(self, response: httpx.Response) -> None:
        assert self._debug is not None
        response.read()
        self._debug(f"< {response.status_code} {response.reason_phrase} ({response.request.url})")
        for name, value in response.headers.items():
            self._debug(f"< {name}: {value}")
        self._debug(f"< {response.text[:2000]}")

    # --- the one request path ------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json_body: JSONObject | None = None,
        timeout: float | None = None,
        subject: str | None = None,
    ) -> Any:
        httpx = self._httpx
        request_timeout = (
            httpx.Timeout(timeout, connect=CONNECT_TIMEOUT) if timeout is not None else None
        )
        try:
            response = self._http.request(
                method,
                url,
                params=list(params) if params else None,
                json=json_body,
                **({"timeout": request_timeout} if request_timeout is not None else {}),
            )
        except httpx.ConnectTimeout:
            raise self._network_error(url, "timed out connecting") from None
        except httpx.TimeoutException as exc:
            raise CliError(
                Category.TIMEOUT,
                f"no answer from {_host(self._full_url(url))} in time ({type(exc).__name__})",
                hint="the API is slow or unreachable; try again",
            ) from None
        except httpx.TransportError as exc:
            raise self._network_error(url, str(exc) or type(exc).__name__) from None
        if response.status_code >= 400:
            raise error_from_response(response, subject)
        if 300 <= response.status_code < 400:
            raise CliError(
                Category.OTHER,
                f"the API answered with a redirect ({response.status_code}) to "
                f"{response.headers.get('location', '?')}; not following it with the key attached",
                hint="check DAYTONA_API_URL",
                status=response.status_code,
            )
        return _decode_json(response)

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
            if remaining is not None:
                items = items[:remaining]
                remaining -= len(items)
            _require_objects(items, "GET /sandbox")
            yield items
            if not cursor or not items or remaining == 0:
                return

    def get_sandbox(self, id_or_name: str) -> JSONObject:
        return self._object("GET", f"sandbox/{path_segment(id_or_name)}", subject=id_or_name)

    def create_sandbox(self, body: JSONObject) -> JSONObject:
        return self._object("POST", "sandbox", json_body=body)

    def delete_sandbox(self, id_or_name: str) -> JSONObject:
        return self._object("DELETE", f"sandbox/{path_segment(id_or_name)}", subject=id_or_name)

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
            url = f"{proxy_url.rstrip('/')}/{path_segment(sandbox_id)}/process/execute"
        answer = self._object(
            "POST",
            url,
            json_body=body,
            timeout=command_timeout + EXEC_READ_MARGIN_SECONDS,
            subject=sandbox_id,
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
        while True:
            page_size = MAX_PAGE_SIZE if remaining is None else min(MAX_PAGE_SIZE, remaining)
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
    ) -> JSONObject:
        body = self._request(method, url, json_body=json_body, timeout=timeout, subject=subject)
        if not isinstance(body, dict):
            raise _malformed(f"{method} /{url}", "expected a JSON object")
        return body


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _decode_json(response: httpx.Response) -> Any:
    if not response.content:
        return None
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


def _require_objects(items: list[Any], what: str) -> None:
    if not all(isinstance(item, dict) for item in items):
        raise _malformed(what, "expected a list of objects")


def _malformed(what: str, detail: str) -> CliError:
    return CliError(
        Category.OTHER,
        f"unexpected answer from the API for {what}: {detail}",
        hint="run with --debug to see the exchange; the API may have changed",
    )
