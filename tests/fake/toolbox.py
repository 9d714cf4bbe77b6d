"""The Toolbox API (toolbox.yaml) under ``{toolboxProxyUrl}/{sandboxId}``, and the legacy
execute route (legacy-execute.yaml): commands run as real processes in the sandbox's tree.

A mixin of :class:`tests.fake.core.FakeDaytona`; it reads the fake's lock, records, clock and
settings, and keeps each sandbox's filesystem and sessions.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from tests.fake.common import (
    ApiError,
    check_types,
    daemon_json_body,
    empty_response,
    int_param,
    json_body,
    json_response,
    text_response,
)
from tests.fake.files import (
    SandboxFs,
    open_regular,
    read_chunks,
    save_multipart_file,
    save_raw,
    would_wait,
)
from tests.fake.records import visible
from tests.fake.sessions import ShellSession, demux, merged

if TYPE_CHECKING:
    from tests.fake.core import FakeDaytona

    _Base = FakeDaytona
else:
    _Base = object

Action = Callable[[httpx.Request], httpx.Response]
EXECUTE_FIELDS = {"command": "string", "cwd": "string", "timeout": "number"}
SESSION_EXEC_FIELDS = {
    "command": "string",
    "runAsync": "boolean",
    "async": "boolean",
    "suppressInputEcho": "boolean",
}
JSON_LOGS_FROM = (0, 167, 0)
"""SDK versions from which the daemon answers logs as JSON (daemon ``IsCombinedOutput``)."""
RECORD_LIMIT = 1024 * 1024
"""Upload bodies up to this size are kept on the recorded request; larger ones are elided."""
SHELLS = ("zsh", "bash", "sh")


@functools.cache
def first_shell() -> str:
    """The daemon's shell: the first of zsh, bash, sh on PATH (NOTES.md "Running commands")."""
    for name in SHELLS:
        found = shutil.which(name)
        if found:
            return found
    return "/bin/sh"


class ToolboxRoutes(_Base):
    """Execute, sessions and files of every sandbox; see the module docstring."""

    def _toolbox_route(self, request: httpx.Request, sandbox_id: str, rest: list[str]) -> Action:
        """The action for a toolbox request, or a 404 as the daemon's router answers."""
        method = request.method
        action: Action | None = None
        match method, rest:
            case "POST", ["process", "execute"]:
                action = partial(self._execute, sandbox_id=sandbox_id, legacy=False)
            case "GET", ["process", "session"]:
                action = partial(self._list_sessions, sandbox_id=sandbox_id)
            case "POST", ["process", "session"]:
                action = partial(self._create_session, sandbox_id=sandbox_id)
            case "GET", ["process", "session", session_id]:
                action = partial(self._get_session, sandbox_id=sandbox_id, session_id=session_id)
            case "DELETE", ["process", "session", session_id]:
                action = partial(self._delete_session, sandbox_id=sandbox_id, session_id=session_id)
            case "POST", ["process", "session", session_id, "exec"]:
                action = partial(self._session_exec, sandbox_id=sandbox_id, session_id=session_id)
            case "GET", ["process", "session", session_id, "command", command_id]:
                action = partial(
                    self._get_command, sandbox_id=sandbox_id, ids=(session_id, command_id)
                )
            case "GET", ["process", "session", session_id, "command", command_id, "logs"]:
                action = partial(
                    self._command_logs, sandbox_id=sandbox_id, ids=(session_id, command_id)
                )
            case "POST", ["process", "session", session_id, "command", command_id, "input"]:
                action = partial(
                    self._command_input, sandbox_id=sandbox_id, ids=(session_id, command_id)
                )
            case (("GET" | "DELETE"), ["files"]):
                action = partial(
                    self._list_files if method == "GET" else self._delete_file,
                    sandbox_id=sandbox_id,
                )
            case "GET", ["files", "info"]:
                action = partial(self._file_info, sandbox_id=sandbox_id)
            case "POST", ["files", "folder"]:
                action = partial(self._create_folder, sandbox_id=sandbox_id)
            case "GET", ["files", "download"]:
                action = partial(self._download, sandbox_id=sandbox_id)
            case "POST", ["files", "upload-v2"]:
                action = partial(self._upload, sandbox_id=sandbox_id)
            case "GET", ["work-dir" | "user-home-dir" as which]:
                action = partial(self._directory, sandbox_id=sandbox_id, which=which)
        if action is None:
            raise ApiError(404, "404 page not found", code="NOT_FOUND")
        return action

    # -- the sandbox behind a toolbox call ---------------------------------------------------

    def _toolbox_sandbox(self, sandbox_id: str, *, source: str) -> dict[str, Any]:
        """A started sandbox by ID (never by name), its activity noted; else 404 / 400."""
        with self._lock:
            self._settle_all()
            record = self.sandboxes.get(sandbox_id)
            if record is None or not visible(record) or record["state"] == "destroyed":
                raise ApiError(404, "Sandbox not found", code="NOT_FOUND", source=source)
            if record["state"] != "started":
                raise ApiError(400, "Sandbox is not running", code="BAD_REQUEST", source=source)
            record["lastActivityAt"] = self._iso(None)
            return record

    def _filesystem(self, sandbox_id: str) -> SandboxFs:
        """The sandbox's tree, made on first use; home and work dir follow its user."""
        with self._lock:
            found = self._filesystems.get(sandbox_id)
            if found is None:
                record = self.sandboxes[sandbox_id]
                user = record.get("user") or "daytona"
                home = "/root" if user == "root" else f"/home/{user}"
                root = self._workspace() / "sandboxes" / sandbox_id
                found = SandboxFs(root, home=home, work=self.work_dir or home, user=user)
                self._filesystems[sandbox_id] = found
            return found

    def _process_env(self, record: dict[str, Any], fs: SandboxFs) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(fs.host(fs.home))}
        env.update(record["env"])
        env.update(record.get("_secrets") or {})
        return env

    # -- execute -----------------------------------------------------------------------------

    def _execute(self, request: httpx.Request, sandbox_id: str, legacy: bool) -> httpx.Response:
        """Run the command for real in the sandbox's tree (its work dir, or ``cwd``)."""
        body = json_body(request) if legacy else daemon_json_body(request)
        check_types(body, EXECUTE_FIELDS if legacy else {**EXECUTE_FIELDS, "envs": "string map"})
        if not isinstance(body.get("command"), str):
            raise ApiError(400, "command must be a string", code="INVALID_REQUEST_BODY")
        record = self._toolbox_sandbox(sandbox_id, source="DAYTONA_PROXY")
        fs = self._filesystem(sandbox_id)
        env = self._process_env(record, fs)
        if not legacy:
            env.update(body.get("envs") or {})
        timeout = body.get("timeout") or 0
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
            # The daemon decodes `timeout` into a Go *uint32: 30.0, 1.5 or -1 do not decode.
            raise ApiError(
                400,
                "json: cannot unmarshal number into Go struct field of type uint32",
                code="INVALID_REQUEST_BODY",
            )
        cwd = fs.sandbox_path(body["cwd"]) if body.get("cwd") else fs.work
        place = fs.host(cwd)
        if not place.is_dir():
            return json_response(
                200, {"exitCode": -1, "result": f"chdir {cwd}: no such file or directory"}
            )
        result = run_command(self.shell, body["command"], place, timeout or None, env)
        return json_response(200, result)

    # -- sessions ----------------------------------------------------------------------------

    def _session(self, sandbox_id: str, session_id: str) -> ShellSession:
        self._toolbox_sandbox(sandbox_id, source="DAYTONA_PROXY")
        with self._lock:
            session = self._sessions.get(sandbox_id, {}).get(session_id)
        if session is None:
            raise ApiError(404, "session not found", code="NOT_FOUND")
        return session

    def _list_sessions(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        self._toolbox_sandbox(sandbox_id, source="DAYTONA_PROXY")
        with self._lock:
            sessions = list(self._sessions.get(sandbox_id, {}).values())
        return json_response(200, [session.view() for session in sessions])

    def _create_session(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        body = daemon_json_body(request)
        session_id = body.get("sessionId")
        if not isinstance(session_id, str) or not session_id:
            raise ApiError(
                400,
                "invalid request body: Key: 'CreateSessionRequest.SessionId' Error:Field "
                "validation for 'SessionId' failed on the 'required' tag",
                code="INVALID_REQUEST_BODY",
            )
        record = self._toolbox_sandbox(sandbox_id, source="DAYTONA_PROXY")
        fs = self._filesystem(sandbox_id)
        with self._lock:
            sessions = self._sessions.setdefault(sandbox_id, {})
            if session_id in sessions:
                raise ApiError(409, "session already exists", code="CONFLICT")
            number = self._session_numbers.setdefault(sandbox_id, 0) + 1
            self._session_numbers[sandbox_id] = number
            directory = self._workspace() / "sessions" / sandbox_id / str(number)
            sessions[session_id] = ShellSession(
                session_id, self.shell, fs.host(fs.work), self._process_env(record, fs), directory
            )
        return empty_response(201)

    def _get_session(
        self, request: httpx.Request, sandbox_id: str, session_id: str
    ) -> httpx.Response:
        return json_response(200, self._session(sandbox_id, session_id).view())

    def _delete_session(
        self, request: httpx.Request, sandbox_id: str, session_id: str
    ) -> httpx.Response:
        session = self._session(sandbox_id, session_id)
        with self._lock:
            self._sessions[sandbox_id].pop(session_id, None)
        session.delete()
        return empty_response(204)

    def _session_exec(
        self, request: httpx.Request, sandbox_id: str, session_id: str
    ) -> httpx.Response:
        body = daemon_json_body(request)
        check_types(body, SESSION_EXEC_FIELDS)
        command = body.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ApiError(400, "command cannot be empty", code="BAD_REQUEST")
        session = self._session(sandbox_id, session_id)
        try:
            started = session.execute(command, suppress_echo=bool(body.get("suppressInputEcho")))
        except OSError:
            raise ApiError(400, "session ended", code="SESSION_ENDED") from None
        if body.get("runAsync") or body.get("async"):
            return json_response(202, {"cmdId": started.id})
        started.wait()
        answer: dict[str, Any] = {"cmdId": started.id, "exitCode": started.exit_code}
        answer.update(_log_fields(started.raw_log(), _log_form(request.headers)))
        return json_response(200, answer)

    def _get_command(
        self, request: httpx.Request, sandbox_id: str, ids: tuple[str, str]
    ) -> httpx.Response:
        return json_response(200, self._command(sandbox_id, ids)[1].view())

    def _command(self, sandbox_id: str, ids: tuple[str, str]) -> tuple[ShellSession, Any]:
        session = self._session(sandbox_id, ids[0])
        command = session.commands.get(ids[1])
        if command is None:
            raise ApiError(404, "command not found", code="NOT_FOUND")
        return session, command

    def _command_logs(
        self, request: httpx.Request, sandbox_id: str, ids: tuple[str, str]
    ) -> httpx.Response:
        """``GetSessionCommandLogs`` in the three forms NOTES.md describes, or a WebSocket."""
        session, command = self._command(sandbox_id, ids)
        if request.headers.get("upgrade", "").lower() == "websocket":
            follow = request.url.params.get("follow") == "true"
            frames = self._follow(session, command) if follow else iter([command.raw_log()])
            return httpx.Response(101, extensions={"fake_websocket": frames})
        raw = command.raw_log()
        form = _log_form(request.headers)
        if form == "json":
            return json_response(200, _log_fields(raw, form))
        return text_response(200, raw if form == "raw" else merged(raw))

    def _follow(self, session: ShellSession, command: Any) -> Iterator[bytes]:
        """The raw log as it grows; ends once the command has ended and the log has been
        idle for ``follow_close_delay`` seconds (the daemon looks for the exit code after 50
        idle reads of 20 ms, so a background process that keeps writing keeps it open), or
        at once when the session is deleted. Empty chunks are heartbeats for the server
        loop."""
        offset = 0
        idle_since = self.wait_clock()
        while not session.deleted:
            data, done = command.read_from(offset, 0.02)
            offset += len(data)
            yield data
            if data:
                idle_since = self.wait_clock()
            elif done and self.wait_clock() - idle_since >= self.follow_close_delay:
                return

    def _command_input(
        self, request: httpx.Request, sandbox_id: str, ids: tuple[str, str]
    ) -> httpx.Response:
        body = daemon_json_body(request)
        if not isinstance(body.get("data"), str):
            raise ApiError(
                400, "invalid request body: data must be a string", code="INVALID_REQUEST_BODY"
            )
        session, command = self._command(sandbox_id, ids)
        if session.ended.is_set():
            raise ApiError(410, "session process has exited", code="SESSION_ENDED")
        if command.exit_code is not None:
            raise ApiError(
                410,
                f"command has already completed with exit code {command.exit_code}",
                code="COMMAND_ALREADY_COMPLETED",
            )
        try:
            command.send_input(body["data"])
        except OSError as error:
            raise ApiError(500, f"failed to write to input pipe: {error}") from None
        return empty_response(204)

    # -- files -------------------------------------------------------------------------------

    def _files_for(self, sandbox_id: str) -> SandboxFs:
        self._toolbox_sandbox(sandbox_id, source="DAYTONA_PROXY")
        return self._filesystem(sandbox_id)

    def _list_files(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        fs = self._files_for(sandbox_id)
        depth = int_param(request.url.params, "depth", default=1, low=1, high=None)
        path = request.url.params.get("path") or "."
        return json_response(200, fs.listing(path, depth))

    def _file_info(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        fs = self._files_for(sandbox_id)
        return json_response(200, fs.info(_required_path(request)))

    def _create_folder(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        fs = self._files_for(sandbox_id)
        path = _required_path(request)
        mode = request.url.params.get("mode") or "755"
        if not re.fullmatch(r"[0-7]{1,4}", mode):
            raise ApiError(400, "invalid mode format", code="BAD_REQUEST")
        place = fs.host(path)
        try:
            place.mkdir(mode=int(mode, 8), parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise ApiError(400, f"mkdir {fs.sandbox_path(path)}: not a directory") from None
        with contextlib.suppress(OSError):
            place.chmod(int(mode, 8))
        return empty_response(201)

    def _delete_file(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        fs = self._files_for(sandbox_id)
        path = _required_path(request)
        recursive = request.url.params.get("recursive") == "true"
        fs.stat(path)
        place = fs.host(path)
        if place.is_dir() and not place.is_symlink():
            if not recursive:
                raise ApiError(400, "cannot delete directory without recursive flag")
            if fs.sandbox_path(path) == "/":
                raise ApiError(400, "fake: refusing to delete the sandbox's root")
            shutil.rmtree(place)
        else:
            place.unlink()
        return empty_response(204)

    def _download(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        """``DownloadFile``: the file streamed in chunks, never held whole."""
        fs = self._files_for(sandbox_id)
        path = _required_path(request)
        fs.stat(path)
        place = fs.host(path)
        stream = open_regular(place, fs.sandbox_path(path))
        return httpx.Response(
            200,
            headers={
                "content-type": "application/octet-stream",
                "content-length": str(os.fstat(stream.fileno()).st_size),
                "content-disposition": f"attachment; filename={place.name}",
                "content-transfer-encoding": "binary",
            },
            stream=_FileChunks(stream),
        )

    def _upload(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        """``UploadFile``: a raw body or the multipart field ``file``, streamed to disk;
        parents made, an existing file overwritten (the daemon's ``uploadFile``)."""
        path = request.url.params.get("path") or ""
        tee = _Tee(request)
        try:
            if not path:
                raise ApiError(400, "path is required")
            fs = self._files_for(sandbox_id)
            place = fs.host(path)
            try:
                place.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise ApiError(400, f"mkdir {fs.sandbox_path(path)}: not a directory") from None
            if place.is_dir():
                raise ApiError(400, f"open {fs.sandbox_path(path)}: is a directory")
            if place.exists() and not place.is_file():  # never opened: a pipe would wait
                raise would_wait(fs.sandbox_path(path), place.stat().st_mode)
            content_type = request.headers.get("content-type", "")
            if content_type.lower().startswith("multipart/form-data"):
                boundary = re.search(r'boundary="?([^";]+)"?', content_type)
                if boundary is None:
                    raise ApiError(400, "no multipart boundary param in Content-Type")
                if not save_multipart_file(
                    tee, boundary.group(1).encode(), partial(place.open, "wb")
                ):
                    raise ApiError(400, "http: no such file")
            else:
                with place.open("wb") as sink:
                    save_raw(tee, sink)
        finally:
            tee.finish()
        return json_response(200, {"name": place.name, "path": path, "type": "file"})

    def _directory(self, request: httpx.Request, sandbox_id: str, which: str) -> httpx.Response:
        fs = self._files_for(sandbox_id)
        return json_response(200, {"dir": fs.work if which == "work-dir" else fs.home})

    # -- clean-up ----------------------------------------------------------------------------

    def _end_sessions(self, sandbox_id: str | None = None) -> None:
        """Kill the shells of one sandbox (stopped, deleted) or of all (the fake closes)."""
        with self._lock:
            keys = [sandbox_id] if sandbox_id is not None else list(self._sessions)
            doomed = [s for key in keys for s in self._sessions.pop(key, {}).values()]
        for session in doomed:
            session.delete()


def _required_path(request: httpx.Request) -> str:
    path = request.url.params.get("path")
    if not path:
        raise ApiError(400, "path is required")
    return path


def _log_form(headers: httpx.Headers) -> str:
    """``json``, ``raw`` or ``merged``: how the daemon answers logs (``IsCombinedOutput``)."""
    version = headers.get("x-daytona-sdk-version", "")
    if version:
        if "dev" in version:
            return "json"
        numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
        return "json" if numbers >= JSON_LOGS_FROM else "merged"
    return "raw" if headers.get("x-daytona-split-output") == "true" else "merged"


def _log_fields(raw: bytes, form: str) -> dict[str, str]:
    if form == "json":
        stdout, stderr = demux(raw)
        return {
            "output": merged(raw).decode(errors="replace"),
            "stdout": stdout.decode(errors="replace"),
            "stderr": stderr.decode(errors="replace"),
        }
    return {"output": (raw if form == "raw" else merged(raw)).decode(errors="replace")}


class _FileChunks(httpx.SyncByteStream):
    def __init__(self, stream: IO[bytes]) -> None:
        self.chunks = read_chunks(stream)

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    def close(self) -> None:
        self.chunks.close()


class _Tee:
    """An upload body read once, in chunks, with its first ``RECORD_LIMIT`` bytes kept for the
    request record (and the whole body read to the end, so a connection stays usable)."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.kept = bytearray()
        self.size = 0
        self.source = iter(request.stream)  # type: ignore[call-overload]

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.source:
            self.size += len(chunk)
            if len(self.kept) <= RECORD_LIMIT:
                self.kept += chunk
            yield chunk

    def finish(self) -> None:
        for _ in self:
            pass
        if self.size > RECORD_LIMIT:
            self.request.extensions["fake_body_elided"] = self.size
            content = b""
        else:
            content = bytes(self.kept)
        # The record keeps what was read, as if the request had been read whole.
        self.request._content = content
        self.request.stream = httpx.ByteStream(content)


POLL_LIMIT_SECONDS = 2_000_000


def run_command(
    shell: str, command: str, cwd: Path, timeout: float | None, env: dict[str, str]
) -> dict[str, Any]:
    """Pipe ``command`` into the shell, as the daemon does; kill its process group on timeout
    (408, output discarded). Go reports a process killed by a signal as exit code -1."""
    with subprocess.Popen(
        [shell],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env=env,
        start_new_session=True,
    ) as process:
        try:
            # poll() counts milliseconds in 32 bits (24.8 days); the daemon has no such limit.
            wait = None if timeout is None else min(timeout, POLL_LIMIT_SECONDS)
            output, _ = process.communicate(command.encode(), timeout=wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ApiError(
                408, "command execution timeout", code="PROCESS_EXECUTION_TIMEOUT"
            ) from None
    code = process.returncode if process.returncode >= 0 else -1
    return {"exitCode": code, "result": output.decode("utf-8", errors="replace")}
