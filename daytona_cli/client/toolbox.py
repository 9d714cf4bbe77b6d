"""Running commands in a sandbox: which route to use, and the execute call itself.

Two routes answer ``POST .../process/execute`` with ``{"exitCode", "result"}`` (NOTES.md,
Running commands): the legacy ``/toolbox/{id}/toolbox/process/execute`` on the API base
(legacy-execute.yaml) and the sandbox's toolbox proxy (toolbox.yaml, ``ExecuteCommand``). The
choice is made here, not by commands.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from daytona_cli.client.errors import malformed
from daytona_cli.client.files import SandboxFiles
from daytona_cli.client.http import HttpClient, is_loopback, path_segment
from daytona_cli.client.sessions import ToolboxSession
from daytona_cli.errors import Category, CliError, Reason
from daytona_cli.types import JSONObject

# The API forwards execute calls to the runner with a 360 s limit; wait a little longer than that.
EXEC_API_LIMIT_SECONDS = 360.0
EXEC_READ_MARGIN_SECONDS = 30.0
# Statuses that mean "this server has no such route" (the sandbox itself was just found).
ROUTE_GONE = frozenset({404, 405, 410})


class Toolbox:
    """Commands in sandboxes, over one :class:`HttpClient`.

    The sandbox's toolbox proxy comes first: ``toolboxProxyUrl`` from its record, or
    ``proxy_url_of(id)`` (``getToolboxProxyUrl``) when the record lacks it. Only a server with
    no proxy at all (that route is missing: an older or self-hosted server) gets the legacy
    route, and that is remembered for the rest of the run.
    """

    def __init__(self, http: HttpClient, proxy_url_of: Callable[[str], str]) -> None:
        self.http = http
        self.proxy_url_of = proxy_url_of
        self.legacy = False
        """True once the server turned out to have no toolbox proxy."""
        self._asked: dict[str, str] = {}
        """Proxy URLs asked of the API, by sandbox ID: asked once per run."""

    def base_url(self, sandbox: JSONObject) -> str | None:
        """``{toolboxProxyUrl}/{sandboxId}`` for a started sandbox, or None on a server
        without a proxy. The URL is checked before the key is sent to it."""
        sandbox_id = str(sandbox["id"])
        if self.legacy:
            return None
        proxy = sandbox.get("toolboxProxyUrl") or self._asked.get(sandbox_id)
        if not isinstance(proxy, str) or not proxy:
            try:
                proxy = self._asked[sandbox_id] = self.proxy_url_of(sandbox_id)
            except CliError as err:
                if err.status not in ROUTE_GONE:
                    raise
                self.legacy = True
                return None
        check_proxy_url(proxy)
        return f"{proxy.rstrip('/')}/{path_segment(sandbox_id)}"

    def session(self, sandbox: JSONObject, session_id: str) -> ToolboxSession | None:
        """A session named ``session_id`` in a started sandbox (not yet created), or None on a
        server without a toolbox proxy (only the legacy one-shot route exists there)."""
        base = self.base_url(sandbox)
        if base is None:
            return None
        return ToolboxSession(self.http, base, session_id, str(sandbox["id"]))

    def files(self, sandbox: JSONObject) -> SandboxFiles | None:
        """The file routes of a started sandbox, or None on a server without a toolbox proxy."""
        base = self.base_url(sandbox)
        return None if base is None else SandboxFiles(self.http, base, str(sandbox["id"]))

    def execute(self, sandbox: JSONObject, body: JSONObject) -> JSONObject:
        """Run ``body`` (``{"command", "cwd"?, "timeout"?}``) in a started sandbox.

        ``ExecuteCommand`` in toolbox.yaml (or legacy-execute.yaml). Returns
        ``{"exitCode", "result"}``; -1 means the process could not start or was killed by a
        signal, with the output so far in ``result`` (NOTES.md). Errors: status 408 when the
        command outran its timeout (the API discards its output); reason ``EXEC_UNKNOWN`` when
        the answer was lost after sending (the command may have run); never retried once sent.
        """
        base = self.base_url(sandbox)
        if base is None:
            url = f"toolbox/{path_segment(str(sandbox['id']))}/toolbox/process/execute"
        else:
            url = f"{base}/process/execute"
        try:
            return self._post(url, body, str(sandbox["id"]))
        except CliError as err:
            if err.ambiguous and err.status != 408:
                err.message = f"lost the answer ({err.message}): the command may have run"
                err.reason = Reason.EXEC_UNKNOWN
            raise

    def _post(self, url: str, body: JSONObject, sandbox_id: str) -> JSONObject:
        """One execute call; the read timeout outlasts the command's own, so that the server,
        not the client, decides when the command ran too long."""
        command_timeout = float(body.get("timeout") or EXEC_API_LIMIT_SECONDS)
        answer = self.http.object(
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
            raise malformed("execute", "expected exitCode and result")
        return answer


def check_proxy_url(url: str) -> None:
    """The key goes to the toolbox proxy too, so the same rule as for the API URL applies."""
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and is_loopback(parts.hostname or "")
    )
    if not secure or not parts.hostname:
        raise CliError(
            Category.OTHER,
            f"refusing to send the API key to the toolbox proxy URL {url!r} the API returned",
            reason=Reason.UNSAFE_PROXY,
        )
