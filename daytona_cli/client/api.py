"""The Daytona API (openapi.yaml): sandboxes and snapshots, one method per call.

Methods return the API's JSON objects unchanged (the CLI's ``--json`` output is the API's own
objects) and raise :class:`~daytona_cli.errors.CliError` carrying data, never CLI wording.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from daytona_cli.client.errors import malformed
from daytona_cli.client.filters import SandboxFilter
from daytona_cli.client.http import HttpClient, path_segment
from daytona_cli.client.toolbox import Toolbox
from daytona_cli.errors import Category, CliError, Reason
from daytona_cli.provenance import REQUEST_ID_LABEL
from daytona_cli.types import JSONObject

MAX_PAGE_SIZE = 200


class DaytonaClient:
    """A thin typed wrapper over the Daytona REST API; keyword arguments as :class:`HttpClient`.

    ``toolbox`` runs commands in sandboxes (toolbox.yaml, or the legacy route).
    """

    def __init__(self, **http_options: Any) -> None:
        self.http = HttpClient(**http_options)
        self.toolbox = Toolbox(self.http, self.toolbox_proxy_url)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DaytonaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- sandboxes (list, get, create, delete, start, stop, pause, archive) ---------------------

    def list_sandboxes(
        self,
        filters: SandboxFilter | None = None,
        *,
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
    ) -> Iterator[list[JSONObject]]:
        """Yield pages of sandboxes (``listSandboxes``), following ``nextCursor`` to the end.

        Every item is checked against ``filters`` (servers lag and some ignore filters), each
        sandbox is yielded once, and at most ``limit`` in all. Older servers answer a bare array:
        one page. A list that does not end (a cursor or a whole page seen before) or an item
        without an ``id`` is a malformed answer (exit 1), never an endless loop or a request
        to a collection URL.
        """
        filters = filters or SandboxFilter()
        base = filters.params()
        if sort:
            base.append(("sort", sort))
        if order:
            base.append(("order", order))
        remaining = limit
        cursor: str | None = None
        cursors: set[str] = set()
        seen: set[str] = set()
        while True:
            page_size = MAX_PAGE_SIZE if remaining is None else min(MAX_PAGE_SIZE, remaining)
            params = [*base, ("limit", str(page_size))]
            if cursor:
                params.append(("cursor", cursor))
            items, cursor = self._sandbox_page(params)
            fresh = [item for item in items if item["id"] not in seen]
            if items and not fresh:
                raise malformed("GET /sandbox", "the list repeated a page it had already sent")
            seen.update(item["id"] for item in fresh)
            wanted = [item for item in fresh if filters.matches(item)]
            if remaining is not None:
                wanted = wanted[:remaining]
                remaining -= len(wanted)
            yield wanted
            if not cursor or not items or remaining == 0:
                return
            if cursor in cursors:
                raise malformed("GET /sandbox", "the list repeated a page cursor")
            cursors.add(cursor)

    def _sandbox_page(self, params: list[tuple[str, str]]) -> tuple[list[JSONObject], str | None]:
        body = _collection(self.http, "sandbox", params)
        if isinstance(body, list):  # older API versions answered a bare array
            items, cursor = body, None
        elif isinstance(body, dict) and isinstance(body.get("items"), list):
            items, cursor = body["items"], body.get("nextCursor")
        else:
            raise malformed("GET /sandbox", "expected a list of sandboxes")
        _require_objects(items, "GET /sandbox")
        if not all(isinstance(item.get("id"), str) and item["id"] for item in items):
            raise malformed("GET /sandbox", "a listed sandbox has no id")
        return items, cursor if isinstance(cursor, str) and cursor else None

    def get_sandbox(self, id_or_name: str) -> JSONObject:
        """``GET /sandbox/{sandboxIdOrName}``: the ID is tried first, then the name."""
        return self._sandbox("GET", f"sandbox/{path_segment(id_or_name)}", subject=id_or_name)

    def create_sandbox(self, body: JSONObject) -> JSONObject:
        """Create once, even across retries.

        Create is not idempotent, so it is retried only when the server surely did not act.
        After an ambiguous failure (answer lost, 5xx) the sandbox is looked up first: by name
        when it has one (a GET is consistent: not found means not made, so another attempt is
        safe), else by a request-ID label sent with it. The list that label lookup uses lags
        behind creates (NOTES.md), so not finding it there proves nothing: no second attempt is
        made. When the outcome cannot be known the error has reason ``CREATE_UNKNOWN`` and the
        ``request_id``.
        """
        import uuid

        request_id = str(uuid.uuid4())
        body = {**body, "labels": {**(body.get("labels") or {}), REQUEST_ID_LABEL: request_id}}
        name = body.get("name")
        deadline = self.http.monotonic() + self.http.request_timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._sandbox("POST", "sandbox", json_body=body, idempotent=False)
            except KeyboardInterrupt:
                raise CliError(
                    Category.INTERRUPTED,
                    "interrupted while creating the sandbox; it may have been created",
                    reason=Reason.CREATE_UNKNOWN,
                    request_id=request_id,
                ) from None
            except CliError as err:
                if attempt > 1 and err.status == 409 and name:
                    # The name is taken: by our own earlier attempt, or by someone else.
                    mine = self._find_created(request_id, name)
                    if mine is not None:
                        return mine
                if not err.ambiguous:
                    raise
                if not self.http.backoff(attempt, None, deadline):
                    err.reason, err.request_id = Reason.CREATE_UNKNOWN, request_id
                    raise
                mine = self._find_created(request_id, name)
                if mine is not None:
                    return mine
                if not name:  # a lagging list may simply not show it yet
                    err.reason, err.request_id = Reason.CREATE_UNKNOWN, request_id
                    raise

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
        for page in self.list_sandboxes(
            SandboxFilter(labels={REQUEST_ID_LABEL: request_id}), limit=1
        ):
            for item in page:
                return self.get_sandbox(str(item["id"]))
        return None

    def delete_sandbox(self, id_or_name: str) -> JSONObject:
        """Delete; a retry that finds the sandbox gone, or being destroyed, means an earlier
        attempt whose answer was lost did the work."""
        try:
            answer = self.http.request(
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
        """``POST /sandbox/{id}/start``: may answer before ``started`` (NOTES.md)."""
        return self.http.object(
            "POST", f"sandbox/{path_segment(id_or_name)}/start", subject=id_or_name
        )

    def stop_sandbox(self, id_or_name: str) -> JSONObject:
        """``POST /sandbox/{id}/stop``: a 400 when the sandbox is not started (NOTES.md)."""
        return self.http.object(
            "POST", f"sandbox/{path_segment(id_or_name)}/stop", subject=id_or_name
        )

    def pause_sandbox(self, id_or_name: str) -> JSONObject:
        """``POST /sandbox/{id}/pause`` (``pauseSandbox``): started → pausing → paused.

        Only VM sandbox classes can pause (NOTES.md, "SSH, previews, pause and archive"): the
        API's 422 for the others becomes a conflict (exit 5) with reason ``NOT_PAUSABLE``. A
        sandbox that is not started gets a 400.
        """
        try:
            return self.http.object(
                "POST", f"sandbox/{path_segment(id_or_name)}/pause", subject=id_or_name
            )
        except CliError as err:
            if err.status == 422:
                err.category, err.reason = Category.CONFLICT, Reason.NOT_PAUSABLE
            raise

    def archive_sandbox(self, id_or_name: str) -> JSONObject:
        """``POST /sandbox/{id}/archive`` (``archiveSandbox``): stopped → archiving → archived;
        a 400 for a sandbox that is not stopped."""
        return self.http.object(
            "POST", f"sandbox/{path_segment(id_or_name)}/archive", subject=id_or_name
        )

    # --- SSH access and preview URLs (NOTES.md, "SSH, previews, pause and archive") ------------

    def create_ssh_access(self, id_or_name: str, expires_minutes: int) -> JSONObject:
        """``createSshAccess``: an ``SshAccessDto`` whose ``token`` (a secret) is valid for
        ``expires_minutes``; ``sshCommand`` is ``ssh -p <port> <token>@<host>``.

        Not retried once sent: a lost answer would leave a token nobody knows to revoke.
        """
        answer = self.http.object(
            "POST",
            f"sandbox/{path_segment(id_or_name)}/ssh-access",
            params=[("expiresInMinutes", str(expires_minutes))],
            subject=id_or_name,
            idempotent=False,
        )
        for key in ("token", "sshCommand", "expiresAt"):
            if not isinstance(answer.get(key), str) or not answer[key]:
                raise malformed("POST ssh-access", f"no {key} in the answer")
        return answer

    def revoke_ssh_access(self, id_or_name: str, token: str) -> None:
        """``revokeSshAccess`` of one token. Never sent without one: the API would then revoke
        every token of the sandbox, other people's included."""
        if not token:
            raise ValueError("revoke_ssh_access needs the token to revoke")
        self.http.request(
            "DELETE",
            f"sandbox/{path_segment(id_or_name)}/ssh-access",
            params=[("token", token)],
            subject=id_or_name,
        )

    def preview_url(self, id_or_name: str, port: int) -> JSONObject:
        """``getPortPreviewUrl``: ``{"sandboxId", "url", "token"}``; a private sandbox wants the
        token in the ``X-Daytona-Preview-Token`` header of each request to the URL."""
        answer = self.http.object(
            "GET",
            f"sandbox/{path_segment(id_or_name)}/ports/{port}/preview-url",
            subject=id_or_name,
        )
        return _checked_preview(answer, "GET preview-url")

    def signed_preview_url(
        self, id_or_name: str, port: int, expires_seconds: int | None = None
    ) -> JSONObject:
        """``getSignedPortPreviewUrl``: ``{"sandboxId", "port", "token", "url"}``, the token in
        the URL (no header needed), valid ``expires_seconds`` (the API's default: 60)."""
        params = [] if expires_seconds is None else [("expiresInSeconds", str(expires_seconds))]
        answer = self.http.object(
            "GET",
            f"sandbox/{path_segment(id_or_name)}/ports/{port}/signed-preview-url",
            params=params,
            subject=id_or_name,
        )
        return _checked_preview(answer, "GET signed-preview-url")

    def toolbox_proxy_url(self, sandbox_id: str) -> str:
        """``GET /sandbox/{id}/toolbox-proxy-url`` → its ``url``."""
        body = self.http.object("GET", f"sandbox/{path_segment(sandbox_id)}/toolbox-proxy-url")
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise malformed("GET toolbox-proxy-url", "no url in the answer")
        return url

    # --- snapshots (getAllSnapshots) -----------------------------------------------------------

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
            body = _collection(self.http, "snapshots", params)
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise malformed("GET /snapshots", "expected a page of snapshots")
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

    def _sandbox(self, method: str, url: str, **kwargs: Any) -> JSONObject:
        return _checked_sandbox(self.http.object(method, url, **kwargs), f"{method} {url}")


def _checked_sandbox(answer: Any, what: str) -> JSONObject:
    """A sandbox must at least say which one it is; anything else is a malformed answer."""
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), str) or not answer["id"]:
        raise malformed(what, "expected a sandbox with an id")
    return answer


def _checked_preview(answer: JSONObject, what: str) -> JSONObject:
    if not isinstance(answer.get("url"), str) or not answer["url"]:
        raise malformed(what, "no url in the answer")
    return answer


def _require_objects(items: list[Any], what: str) -> None:
    if not all(isinstance(item, dict) for item in items):
        raise malformed(what, "expected a list of objects")


def _collection(http: HttpClient, route: str, params: Any) -> Any:
    """``GET`` a list route. Every Daytona API has these, so a 404 means the URL is not the
    API's base, whatever the body says (reason NOT_DAYTONA), not that something is missing."""
    try:
        return http.request("GET", route, params=params)
    except CliError as err:
        if err.status == 404 and err.reason is not Reason.NOT_DAYTONA:
            raise CliError(
                Category.OTHER,
                f"the server has no list of {route} here ({err.message})",
                status=404,
                reason=Reason.NOT_DAYTONA,
                host=err.host,
            ) from None
        raise
