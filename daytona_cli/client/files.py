"""A sandbox's filesystem through its toolbox (toolbox.yaml, file-system and info; NOTES.md
"Files"): information, listings, folders, deletion, and streamed down- and uploads.

Paths are the sandbox's; the daemon resolves relative ones against its work directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from daytona_cli.client.errors import malformed
from daytona_cli.client.transfer import Download, download, upload
from daytona_cli.types import JSONObject

if TYPE_CHECKING:
    from daytona_cli.client.http import HttpClient


class SandboxFiles:
    """The file routes of one sandbox whose toolbox is at ``base``. A missing path is a
    :class:`~daytona_cli.errors.CliError` with status 404 (``FILE_NOT_FOUND``)."""

    def __init__(self, http: HttpClient, base: str, sandbox_id: str) -> None:
        self.http = http
        self.base = base
        self.sandbox_id = sandbox_id

    def work_dir(self) -> str:
        """``GetWorkDir``: where relative paths and commands start."""
        return self._dir("work-dir")

    def home_dir(self) -> str:
        """``GetUserHomeDir``: the sandbox user's home (``~``)."""
        return self._dir("user-home-dir")

    def _dir(self, route: str) -> str:
        answer = self.http.object("GET", f"{self.base}/{route}")
        found = answer.get("dir")
        if not isinstance(found, str) or not found:
            raise malformed(f"GET /{route}", "no dir in the answer")
        return found

    def info(self, path: str) -> JSONObject:
        """``GetFileInfo``: ``FileInfo`` (``isDir``, ``size``, ``permissions``...)."""
        answer = self.http.object("GET", f"{self.base}/files/info", params=[("path", path)])
        if not isinstance(answer.get("isDir"), bool):
            raise malformed("GET /files/info", "no isDir in the answer")
        return answer

    def listing(self, path: str) -> list[JSONObject]:
        """``ListFiles``: the entries of one folder (one level)."""
        answer = self.http.request("GET", f"{self.base}/files", params=[("path", path)])
        if not isinstance(answer, list) or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) for item in answer
        ):
            raise malformed("GET /files", "expected a list of files")
        return answer

    def make_folder(self, path: str, mode: str = "755") -> None:
        """``CreateFolder`` with an octal ``mode``; parents are made, an existing one is kept."""
        self.http.request(
            "POST", f"{self.base}/files/folder", params=[("path", path), ("mode", mode)]
        )

    def delete(self, path: str, *, recursive: bool = False) -> None:
        """``DeleteFile``."""
        params = [("path", path)] + ([("recursive", "true")] if recursive else [])
        self.http.request("DELETE", f"{self.base}/files", params=params)

    def download(self, path: str) -> AbstractContextManager[Download]:
        """``DownloadFile``, streamed: read ``chunks`` of the :class:`Download` inside."""
        return download(self.http, f"{self.base}/files/download", [("path", path)])

    def upload(self, path: str, chunks: Iterable[bytes], size: int | None) -> None:
        """``UploadFile`` with a raw streamed body; parents are made, a file is overwritten."""
        upload(self.http, f"{self.base}/files/upload-v2", [("path", path)], chunks, size)
