"""A sandbox's filesystem: a real directory tree on the host standing in for the sandbox's
``/``, and the Toolbox file routes' view of it (``FileInfo``, streamed up- and downloads).

Sandbox paths are mapped into the tree: absolute ones under its root, relative ones against
the work directory (the daemon's working directory, NOTES.md "Files"); ``..`` stops at the
root, and a symbolic link that leads out of the tree is refused, so nothing escapes it.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from tests.fake.common import ApiError

CHUNK = 64 * 1024


class SandboxFs:
    """One sandbox's tree: ``root`` on the host is the sandbox's ``/``."""

    def __init__(self, root: Path, *, home: str, work: str, user: str) -> None:
        self.root = root
        self.home = home
        self.work = work
        self.user = user
        for place in (home, work, "/tmp"):
            self.host(place).mkdir(parents=True, exist_ok=True)

    def sandbox_path(self, path: str) -> str:
        """The absolute, normalised sandbox path for ``path`` (relative: to the work dir)."""
        joined = path if path.startswith("/") else posixpath.join(self.work, path)
        normal = posixpath.normpath("/" + joined.lstrip("/"))
        return "/" + normal.lstrip("/")

    def host(self, path: str) -> Path:
        """Where ``path`` of the sandbox lives on the host; 403 if a link leads out of it."""
        sandbox = self.sandbox_path(path)
        place = self.root / sandbox.lstrip("/")
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(place)
        if real != real_root and not real.startswith(real_root + os.sep):
            raise ApiError(403, f"open {sandbox}: permission denied", code="FILE_ACCESS_DENIED")
        return place

    def info(self, path: str) -> dict[str, Any]:
        """``FileInfo`` for a sandbox path (toolbox.yaml; the daemon's ``getFileInfo``)."""
        sandbox = self.sandbox_path(path)
        found = self.stat(sandbox)
        modified = datetime.fromtimestamp(found.st_mtime, timezone.utc)
        return {
            "name": posixpath.basename(sandbox) or "/",
            "path": sandbox,
            "size": found.st_size,
            "mode": go_mode(found.st_mode),
            "modTime": modified.strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC"),
            "modifiedAt": modified.isoformat().replace("+00:00", "Z"),
            "isDir": stat.S_ISDIR(found.st_mode),
            "owner": self.user,
            "group": self.user,
            "permissions": f"{stat.S_IMODE(found.st_mode) & 0o777:04o}",
        }

    def stat(self, path: str) -> os.stat_result:
        """``os.Stat``: 404 ``FILE_NOT_FOUND`` for a missing path, as the daemon answers."""
        sandbox = self.sandbox_path(path)
        try:
            return os.stat(self.host(sandbox))
        except FileNotFoundError:
            raise ApiError(
                404, f"stat {sandbox}: no such file or directory", code="FILE_NOT_FOUND"
            ) from None
        except NotADirectoryError:
            raise ApiError(400, f"stat {sandbox}: not a directory") from None
        except OSError as exc:  # a link loop (ELOOP), a name too long: the daemon's error
            raise ApiError(400, f"stat {sandbox}: {(exc.strerror or str(exc)).lower()}") from None

    def listing(self, path: str, depth: int) -> list[dict[str, Any]]:
        """``ListFiles``: the entries of a folder, ``depth`` levels down."""
        sandbox = self.sandbox_path(path)
        if not stat.S_ISDIR(self.stat(sandbox).st_mode):
            raise ApiError(400, f"readdirent {sandbox}: not a directory")
        entries = []
        for name in sorted(os.listdir(self.host(sandbox))):
            child = posixpath.join(sandbox, name)
            try:
                entries.append(self.info(child))
            except ApiError:
                continue  # vanished or dangling: the daemon skips what it cannot stat
            if depth > 1 and entries[-1]["isDir"]:
                entries += self.listing(child, depth - 1)
        return entries


def go_mode(st_mode: int) -> str:
    """``FileInfo.mode`` as the daemon writes it, Go's ``FileMode.String()`` of ``os.Stat``:
    a letter per type and special bit, in Go's order, then ``rwx`` (``prw-r--r--`` for a named
    pipe, ``Dcrw-rw-rw-`` for a character device, ``dtrwxrwxrwx`` for ``/tmp``)."""
    kind = stat.S_IFMT(st_mode)
    letters = [
        ("d", kind == stat.S_IFDIR),
        ("L", kind == stat.S_IFLNK),
        ("D", kind in (stat.S_IFBLK, stat.S_IFCHR)),
        ("p", kind == stat.S_IFIFO),
        ("S", kind == stat.S_IFSOCK),
        ("u", bool(st_mode & stat.S_ISUID)),
        ("g", bool(st_mode & stat.S_ISGID)),
        ("c", kind == stat.S_IFCHR),
        ("t", bool(st_mode & stat.S_ISVTX)),
    ]
    prefix = "".join(letter for letter, on in letters if on) or "-"
    bits = "".join(c if st_mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return prefix + bits


def open_regular(place: Path, sandbox: str) -> IO[bytes]:
    """``place`` open for reading when it is a regular file. It is opened without waiting
    (``O_NONBLOCK``), so a named pipe never holds the fake up waiting for a writer: the daemon
    would wait (its ``DownloadFile`` refuses only folders, then opens the path), which a test
    cannot sit through, so the fake refuses such a file out loud instead."""
    try:
        handle = os.open(place, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ApiError(
            404, f"stat {sandbox}: no such file or directory", code="FILE_NOT_FOUND"
        ) from None
    except PermissionError:
        raise ApiError(403, f"open {sandbox}: permission denied") from None
    found = os.fstat(handle)
    if stat.S_ISREG(found.st_mode):
        os.set_blocking(handle, True)
        return os.fdopen(handle, "rb")
    os.close(handle)
    if stat.S_ISDIR(found.st_mode):
        raise ApiError(400, "path must be a file")
    raise would_wait(sandbox, found.st_mode)


def would_wait(sandbox: str, st_mode: int) -> ApiError:
    """The fake's answer where the daemon would open a special file and wait on it (a named
    pipe, for the other end) for as long as the request lasts."""
    return ApiError(
        400, f"fake: {sandbox} is not a regular file ({go_mode(st_mode)}): the daemon would "
        "open it and wait"
    )  # fmt: skip


def read_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """A file's content in chunks, never all at once; closes the file when done."""
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def save_raw(chunks: Iterable[bytes], sink: IO[bytes]) -> int:
    written = 0
    for chunk in chunks:
        sink.write(chunk)
        written += len(chunk)
    return written


def save_multipart_file(
    chunks: Iterable[bytes], boundary: bytes, open_sink: Callable[[], IO[bytes]]
) -> bool:
    """Stream the part named ``file`` of a ``multipart/form-data`` body into ``open_sink()``,
    holding at most a chunk and a boundary in memory; True when the part was there."""
    delimiter = b"--" + boundary
    reader = _Buffered(iter(chunks))
    if not reader.skip_past(delimiter):
        raise ApiError(400, "multipart: NextPart: EOF")
    found = False
    while True:
        ending = reader.take(2)
        if ending == b"--":
            return found
        if ending != b"\r\n":
            raise ApiError(400, "multipart: NextPart: bad boundary")
        headers = reader.take_until(b"\r\n\r\n", limit=16 * 1024)
        name = re.search(rb'(?i)content-disposition:[^\r\n]*\bname="([^"]*)"', headers)
        is_file = name is not None and name.group(1) == b"file" and not found
        sink = open_sink() if is_file else None
        try:
            reader.copy_until(b"\r\n" + delimiter, sink)
        finally:
            if sink is not None:
                sink.close()
        found = found or is_file


class _Buffered:
    """A byte reader over an iterator of chunks, for the multipart parser."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = bytearray()

    def _more(self) -> bool:
        for chunk in self.chunks:
            if chunk:
                self.buffer += chunk
                return True
        return False

    def take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._more():
                raise ApiError(400, "multipart: NextPart: unexpected EOF")
        taken = bytes(self.buffer[:size])
        del self.buffer[:size]
        return taken

    def skip_past(self, marker: bytes) -> bool:
        while (at := self.buffer.find(marker)) < 0:
            del self.buffer[: max(0, len(self.buffer) - len(marker))]
            if not self._more():
                return False
        del self.buffer[: at + len(marker)]
        return True

    def take_until(self, marker: bytes, *, limit: int) -> bytes:
        while (at := self.buffer.find(marker)) < 0:
            if len(self.buffer) > limit or not self._more():
                raise ApiError(400, "multipart: malformed part headers")
        taken = bytes(self.buffer[:at])
        del self.buffer[: at + len(marker)]
        return taken

    def copy_until(self, marker: bytes, sink: IO[bytes] | None) -> None:
        while (at := self.buffer.find(marker)) < 0:
            keep = len(marker) - 1
            if len(self.buffer) > keep:
                if sink is not None:
                    sink.write(self.buffer[: len(self.buffer) - keep])
                del self.buffer[: len(self.buffer) - keep]
            if not self._more():
                raise ApiError(400, "multipart: NextPart: unexpected EOF")
        if sink is not None:
            sink.write(self.buffer[:at])
        del self.buffer[: at + len(marker)]
