"""The way up for ``sandbox cp``: a local file, folder or stdin into a sandbox.

A local source is opened (stdin: its first bytes read) before anything is sent, so one that
cannot be read never touches the sandbox. Each file is written straight to its destination:
toolbox.yaml has no move or rename route to put a finished upload into place, so an upload cut
short can leave that one file partly written, and cp says so.
"""

from __future__ import annotations

import itertools
import os
import posixpath
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from daytona_cli.client.files import SandboxFiles
from daytona_cli.commands.sandbox.cp_transfer import (
    Advance,
    Done,
    local_error,
    not_copied,
    said_when_cut,
    shown_path,
)
from daytona_cli.context import AppContext
from daytona_cli.errors import CliError

CHUNK = 1024 * 1024


def open_source(path: Path, shown: Path | str) -> BinaryIO:
    """``path`` open for reading, or exit 1 with the system's reason (nothing sent yet)."""
    try:
        return path.open("rb")
    except OSError as exc:
        raise local_error("read", shown, exc) from None


def size_of(source: BinaryIO) -> int | None:
    """The byte count to announce (Content-Length): None for a pipe or a device."""
    found = os.fstat(source.fileno())
    return found.st_size if stat.S_ISREG(found.st_mode) else None


def chunks_of(source: BinaryIO, shown: Path | str, advance: Advance) -> Iterator[bytes]:
    try:
        while chunk := source.read(CHUNK):
            advance(len(chunk))
            yield chunk
    except OSError as exc:
        raise local_error("read", shown, exc) from None


def stdin_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """stdin's chunks with the first one already read, so that a stdin that cannot be read
    (a write-only descriptor, say) fails before any request; read errors are exit 1."""
    try:
        first = next(chunks, b"")
    except OSError as exc:
        raise local_error("read", "stdin", exc) from None
    return _reading("stdin", itertools.chain([first], chunks))


def _reading(shown: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except OSError as exc:
        raise local_error("read", shown, exc) from None


def counted(chunks: Iterable[bytes], advance: Advance) -> Iterator[bytes]:
    for chunk in chunks:
        advance(len(chunk))
        yield chunk


def upload_one(app: AppContext, files: SandboxFiles, chunks: Iterable[bytes], size: int | None,
               target: str, sandbox: str) -> None:  # fmt: skip
    """One file's bytes (an open local file's, or stdin's) to the sandbox path ``target``; cut
    short, the error says that file may be partly written."""
    partly = f"{sandbox}:{target} may be partly written"
    with said_when_cut(app, lambda cut: partly if cut else ""):
        files.upload(target, chunks, size)


# -- folders --------------------------------------------------------------------------------------


@dataclass
class LocalTree:
    """A local folder landing at a sandbox path: folders (with modes) to make, files to send,
    entries left out on purpose (links to folders, special files) and ones that cannot be
    copied (unreadable, or named in bytes that are not UTF-8), found before any byte moves."""

    folders: list[tuple[str, int]] = field(default_factory=list)
    files: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    size: int = 0


def local_tree(source: Path, target: str) -> LocalTree:
    """The local folder ``source`` as a :class:`LocalTree` landing at ``target``; every file is
    opened once here, so an unreadable one is known before anything is sent."""
    tree = LocalTree()
    for root, dirs, names in os.walk(source, onerror=_raise):
        dirs.sort()
        here = Path(root)
        remote = posixpath.join(target, *here.relative_to(source).parts)
        tree.folders.append((remote, stat.S_IMODE(here.stat().st_mode)))
        for name in list(dirs):
            if (here / name).is_symlink():
                dirs.remove(name)
                tree.skipped.append(str(here / name))
            elif not _utf8(name):
                dirs.remove(name)
                tree.failed.append(f"{shown_path(here / name)}: the name is not UTF-8")
        for name in sorted(names):
            _add_file(tree, here / name, posixpath.join(remote, name))
    return tree


def _utf8(name: str) -> bool:
    """False for a name whose bytes are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _add_file(tree: LocalTree, path: Path, remote: str) -> None:
    try:
        info = path.stat()
    except OSError:
        tree.skipped.append(str(path))  # a dangling link
        return
    if not stat.S_ISREG(info.st_mode):
        tree.skipped.append(str(path))
        return
    if not _utf8(path.name):  # the sandbox path would not go into a URL
        tree.failed.append(f"{shown_path(path)}: the name is not UTF-8")
        return
    try:
        open_source(path, path).close()
    except CliError as err:
        tree.failed.append(err.message)
        return
    tree.files.append((path, remote))
    tree.size += info.st_size


def _raise(exc: OSError) -> None:
    raise local_error("read", exc.filename or "?", exc)


def upload_tree(app: AppContext, files: SandboxFiles, tree: LocalTree, name: str,
                sandbox: str) -> None:  # fmt: skip
    """Send ``tree``; each file that cannot be copied is a warning and the rest go on (as
    cp(1) and rsync do), then exit 1 saying how many were left out."""
    out = app.output
    for left_out in tree.skipped:
        out.warn(f"{shown_path(left_out)} is a link to a folder or not a regular file: not copied")
    for problem in tree.failed:
        out.warn(f"{problem}: not copied")
    root = tree.folders[0][0]
    done = Done()

    def state(cut: bool) -> str:
        whole = done.incomplete(f"{sandbox}:{root}")
        if cut and done.current:
            return f"{whole} ({sandbox}:{done.current} may be partly written)"
        return whole

    with out.transfer(name, tree.size) as advance, said_when_cut(app, state):
        done.expect(posixpath.relpath(remote, root) for _path, remote in tree.files)
        for folder, mode in tree.folders:
            files.make_folder(folder, f"{mode:o}")
        for path, remote in tree.files:
            try:
                source = open_source(path, path)
            except CliError as err:  # made unreadable since it was checked
                out.warn(f"{err.message}: not copied")
                tree.failed.append(err.message)
                continue
            with source:
                done.current = remote
                files.upload(remote, chunks_of(source, path, advance), size_of(source))
            done.copied(posixpath.relpath(remote, root))
    if tree.failed:
        raise not_copied(len(tree.failed), done.count, f"{sandbox}:{root}")
