"""A toolbox session: a shell in the sandbox that runs commands while their output streams.

``CreateSession``, ``SessionExecuteCommand`` (``runAsync``), ``GetSessionCommand``,
``GetSessionCommandLogs`` (followed over a WebSocket), ``SendInput`` and ``DeleteSession`` in
toolbox.yaml; what the spec leaves out is in NOTES.md (Running commands: Sessions).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from daytona_cli.client.errors import malformed
from daytona_cli.client.http import path_segment
from daytona_cli.client.stream import SPLIT_OUTPUT, LogStream, follow
from daytona_cli.errors import CliError, Reason

if TYPE_CHECKING:
    from daytona_cli.client.http import HttpClient

NO_SESSION_API = frozenset({404, 405})
"""What an older daemon without sessions answers ``POST /process/session`` with."""


class ToolboxSession:
    """One session, named by the caller, in the sandbox whose toolbox is at ``base``."""

    def __init__(self, http: HttpClient, base: str, session_id: str, sandbox_id: str) -> None:
        self.http = http
        self.base = base
        self.id = session_id
        self.sandbox_id = sandbox_id
        self.url = f"{base}/process/session/{path_segment(session_id)}"
        self.deleted = False

    def create(self) -> None:
        """``CreateSession``. Retried only when safe: a 409 after a lost answer is this very
        session. :meth:`missing_api` tells an older daemon's refusal from other errors."""
        self.http.request(
            "POST",
            f"{self.base}/process/session",
            json_body={"sessionId": self.id},
            subject=self.sandbox_id,
            idempotent=False,
            done_after_ambiguous=(409,),
        )

    @staticmethod
    def missing_api(err: CliError) -> bool:
        """The daemon has no session routes: 405, or a 404 from the daemon (not the proxy's
        "sandbox not found")."""
        return err.status in NO_SESSION_API and err.source != "DAYTONA_PROXY"

    def start(self, command: str, *, suppress_echo: bool = False) -> str:
        """Start ``command`` without waiting (``runAsync``); returns its ``cmdId``. Never
        retried once sent: a lost answer means the command may be running."""
        body: dict[str, object] = {"command": command, "runAsync": True}
        if suppress_echo:
            body["suppressInputEcho"] = True
        try:
            answer = self.http.object(
                "POST", f"{self.url}/exec", json_body=body, subject=self.sandbox_id,
                idempotent=False,
            )  # fmt: skip
        except CliError as err:
            if err.ambiguous:
                err.message = f"lost the answer ({err.message}): the command may have run"
                err.reason = Reason.EXEC_UNKNOWN
            raise
        command_id = answer.get("cmdId")
        if not isinstance(command_id, str) or not command_id:
            raise malformed("session exec", "no cmdId in the answer")
        return command_id

    def exit_code(self, command_id: str) -> int | None:
        """``GetSessionCommand``: the exit code, or None while the command runs."""
        answer = self.http.object(
            "GET", f"{self.url}/command/{path_segment(command_id)}", subject=self.sandbox_id
        )
        code = answer.get("exitCode")
        if code is None:
            return None
        if not isinstance(code, (int, float)) or isinstance(code, bool):
            raise malformed("session command", "exitCode is not a number")
        return int(code)

    def send_input(self, command_id: str, data: str) -> None:
        """``SendInput``: ``data`` to the command's stdin (the daemon adds a missing newline;
        there is no end-of-file)."""
        self.http.request(
            "POST",
            f"{self.url}/command/{path_segment(command_id)}/input",
            json_body={"data": data},
            subject=self.sandbox_id,
            idempotent=False,
        )

    def logs(self, command_id: str) -> bytes:
        """``GetSessionCommandLogs`` once: the raw log so far, each chunk behind its stdout or
        stderr prefix (``X-Daytona-Split-Output: true``; split it with ``stream.Demux``)."""
        answer = self.http.request(
            "GET",
            f"{self.url}/command/{path_segment(command_id)}/logs",
            subject=self.sandbox_id,
            headers=SPLIT_OUTPUT,
            raw=True,
        )
        return bytes(answer or b"")

    def follow(self, command_id: str) -> AbstractContextManager[LogStream]:
        """The command's raw log as it grows (``GetSessionCommandLogs`` with ``follow``)."""
        url = f"{self.url}/command/{path_segment(command_id)}/logs?follow=true"
        return follow(self.http, url)

    def delete(self) -> None:
        """``DeleteSession``: ends the shell and kills whatever runs in it. Asked once; a
        session that is already gone (404) counts as deleted."""
        if self.deleted:
            return
        self.deleted = True
        try:
            self.http.request(
                "DELETE", self.url, subject=self.sandbox_id, done_after_ambiguous=(404,)
            )
        except CliError as err:
            if err.status != 404:
                raise
