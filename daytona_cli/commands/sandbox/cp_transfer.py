"""The way down for ``sandbox cp``, and what both ways share: files and trees from a sandbox
to this machine, streamed in constant memory through the toolbox's file routes
(client/files.py); the way up is cp_upload.py.

A download goes to a temporary name beside its destination (``.NAME.XXXX.part``) and is
renamed only once complete, so an interrupted one never leaves a truncated file under the
final name. A destination that is a link is written through, as cp(1) does: the temporary goes
beside the file the link leads to. Modes come from ``FileInfo.permissions`` on the way down.
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from daytona_cli.client.files import SandboxFiles
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.types import JSONObject

Advance = Callable[[int], None]
NAMED = 3
"""Files not copied that an incomplete copy names; the rest are counted."""


def shown_path(path: Path | str) -> str:
    """A local path as text, bytes that are not UTF-8 shown as ``\\xff``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def local_error(action: str, path: Path | str, exc: OSError) -> CliError:
    """A local file that cannot be read or written: exit 1 with the OS's reason."""
    return CliError(Category.OTHER, f"cannot {action} {shown_path(path)}: {exc.strerror or exc}")


@dataclass
class Done:
    """How far a copy got, for the message when it stops short: the files (relative to where
    the folder lands) not copied yet, how many were, and the sandbox path being written."""

    missing: dict[str, None] = field(default_factory=dict)
    count: int = 0
    current: str | None = None

    def expect(self, names: Iterable[str]) -> None:
        self.missing = dict.fromkeys(names)

    def copied(self, name: str) -> None:
        self.missing.pop(name, None)
        self.count += 1
        self.current = None

    def incomplete(self, where: str) -> str:
        """``WHERE is incomplete: copied 2 of 5 files; not copied: a, b, c and 1 more``."""
        total = self.count + len(self.missing)
        text = f"{where} is incomplete: copied {self.count} of {total} files"
        if self.missing:
            names = [shown_path(name) for name in list(self.missing)[:NAMED]]
            more = len(self.missing) - len(names)
            text += "; not copied: " + ", ".join(names) + (f" and {more} more" if more else "")
        return text


@contextlib.contextmanager
def said_when_cut(app: AppContext, state: Callable[[bool], str]) -> Iterator[None]:
    """Run a copy; when it fails or is interrupted, the error also says ``state(cut)``, what
    the destination holds now (``cut``: a body may have stopped short: no answer came, or
    Ctrl-C or SIGTERM)."""
    try:
        yield
    except KeyboardInterrupt:
        word = "terminated" if app.terminated else "interrupted"
        raise CliError(Category.INTERRUPTED, _joined(word, state(True))) from None
    except CliError as err:
        err.message = _joined(err.message, state(err.status is None))
        raise


def _joined(message: str, state: str) -> str:
    return f"{message}; {state}" if state else message


def mode_of(info: JSONObject) -> int | None:
    """The permission bits of a ``FileInfo`` (``permissions`` is octal, e.g. ``0755``)."""
    text = info.get("permissions")
    try:
        return int(str(text), 8) & 0o7777 if text else None
    except ValueError:
        return None


_KINDS = (("Ll", "a symbolic link"), ("p", "a named pipe"), ("Ss", "a socket"),
          ("Dcb", "a device"), ("?", "not a regular file"))  # fmt: skip


def special_kind(info: JSONObject) -> str | None:
    """What a ``FileInfo`` is when it is neither a regular file nor a folder (``a named
    pipe``...), else None. ``mode`` is Go's ``FileMode.String()``: type letters before the nine
    permission ones (``prw-r--r--``, ``Lrwxrwxrwx``, ``Dcrw-rw-rw-``; ``u``, ``g`` and ``t``
    there are setuid, setgid and sticky, not types)."""
    if info.get("isDir"):
        return None
    mode = str(info.get("mode", ""))
    letters = mode[:-9] if len(mode) > 9 else mode[:1]
    for marks, kind in _KINDS:
        if any(mark in letters for mark in marks):
            return kind
    return None


def refused_file(err: CliError) -> bool:
    """The toolbox refused one file (a bad request, no permission, gone since the listing):
    that file is left out and the copy goes on. Anything else (the network, the server, the
    key, a rate limit) would fail every file alike, and stops the copy."""
    return err.status in (400, 403, 404)


def not_copied(count: int, copied: int, where: str) -> CliError:
    """The error that ends a folder copy that left ``count`` files out, each already named in
    a warning: exit 1."""
    return CliError(
        Category.OTHER,
        f"{count} {'file was' if count == 1 else 'files were'} not copied (see the warnings "
        f"above), {copied} copied: {where} is incomplete",
        hint="fix what the warnings say and copy again",
    )


# -- down -----------------------------------------------------------------------------------------


STDOUT = 1
_DESCRIPTOR_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_NAMED_DESCRIPTORS = {"/dev/stdout": 1, "/dev/stderr": 2}


def descriptor_of(dest: str) -> int | None:
    """The open descriptor a local destination names (``/dev/stdout``, ``/dev/fd/N``,
    ``/proc/self/fd/N``), or None. Written to as it is, like ``-``: opening the path would open
    what is behind it afresh (a file truncated, or a rename over it losing what the shell
    wrote before and after)."""
    if dest in _NAMED_DESCRIPTORS:
        return _NAMED_DESCRIPTORS[dest]
    found = _DESCRIPTOR_PATH.match(dest)
    return int(found.group(1)) if found else None


def descriptor_sink(app: AppContext, descriptor: int) -> tuple[Callable[[bytes], None], bool]:
    """How to write to ``descriptor``, and whether it is a terminal (no progress bar then)."""
    streams = app.runtime.streams
    if descriptor == STDOUT:
        return streams.write_bytes, streams.stdout_tty
    if descriptor == 2:
        return functools.partial(streams.write_bytes, to_stderr=True), streams.stderr_tty
    try:
        terminal = os.isatty(descriptor)
        os.fstat(descriptor)
    except OSError as exc:
        raise local_error("write", f"/dev/fd/{descriptor}", exc) from None

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]

    return write, terminal


def is_terminal(target: Path) -> bool:
    """Whether writing ``target`` puts the bytes on a terminal (``/dev/tty``)."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(descriptor)
    finally:
        os.close(descriptor)


def download_file(files: SandboxFiles, source: str, target: Path, info: JSONObject,
                  advance: Advance) -> None:  # fmt: skip
    """``source`` to ``target``, through a temporary file renamed at the end (straight into
    a target that is not a regular file, such as ``/dev/null`` or a named pipe)."""
    target = _through_link(target)
    if _special(target):
        try:
            with target.open("wb") as sink:
                download_stdout(files, source, sink.write, advance)
        except OSError as exc:
            raise local_error("write", target, exc) from None
        return
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise local_error("write", target, exc) from None
    try:
        with os.fdopen(handle, "wb") as sink, files.download(source) as body:
            for chunk in body.chunks:
                sink.write(chunk)
                advance(len(chunk))
        mode = mode_of(info)
        os.chmod(temporary, _default_file_mode() if mode is None else mode)
        os.replace(temporary, target)
    except OSError as exc:
        raise local_error("write", target, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _through_link(target: Path) -> Path:
    """Where writing ``target`` lands. A link is written through to the file it leads to, and
    stays a link, as cp(1) does; one that leads nowhere is refused, as GNU cp refuses it."""
    if not target.is_symlink():
        return target
    real = Path(os.path.realpath(target))
    if not real.exists():
        raise CliError(
            Category.OTHER,
            f"cannot write {shown_path(target)}: it is a link to "
            f"{shown_path(os.readlink(target))}, which does not exist",
            hint="remove the link, or copy to the path it should lead to",
        )
    return real


def _special(target: Path) -> bool:
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _default_file_mode() -> int:
    """What a new file gets here: 0666 less the umask (mkstemp's own 0600 would hide it)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def download_stdout(files: SandboxFiles, source: str, write: Callable[[bytes], object],
                    advance: Advance) -> None:  # fmt: skip
    with files.download(source) as body:
        for chunk in body.chunks:
            write(chunk)
            advance(len(chunk))


@dataclass
class Tree:
    """What a recursive copy will do: folders to make (with modes), files to move, and
    entries left out (links, special files), found before any byte moves."""

    folders: list[tuple[str, Path, int | None]] = field(default_factory=list)
    files: list[tuple[str, Path, JSONObject]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(sandbox path, what it is) of each entry left out."""

    @property
    def size(self) -> int:
        return sum(int(info.get("size") or 0) for _, _, info in self.files)


MAX_DEPTH = 40
"""Folders below the one a download copies, at most: Linux follows at most 40 links in a path."""


def remote_tree(files: SandboxFiles, source: str, target: Path, info: JSONObject) -> Tree:
    """The sandbox folder ``source`` as a :class:`Tree` landing at ``target`` (one listing per
    folder). The daemon lists a link as what it leads to, so a link to a folder is a folder
    here; one leading back up the tree would never end, so more than :data:`MAX_DEPTH` folders
    deep is an error, before anything is copied."""
    tree = Tree()
    pending = [(source, target, info)]
    while pending:
        folder, place, folder_info = pending.pop()
        if len(place.relative_to(target).parts) > MAX_DEPTH:
            raise CliError(
                Category.OTHER,
                f"{folder} is more than {MAX_DEPTH} folders below {source}: a link in the "
                "sandbox that leads back up the tree? Nothing was copied",
                hint="copy a folder further down, or remove that link in the sandbox",
            )
        tree.folders.append((folder, place, mode_of(folder_info)))
        for entry in files.listing(folder):
            path = posixpath.join(folder, str(entry["name"]))
            kind = special_kind(entry)
            if kind is not None:
                tree.skipped.append((path, kind))
            elif entry.get("isDir"):
                pending.append((path, place / str(entry["name"]), entry))
            else:
                tree.files.append((path, place / str(entry["name"]), entry))
    return tree


def download_tree(files: SandboxFiles, tree: Tree, advance: Advance, done: Done, sandbox: str,
                  refused: Callable[[str, CliError], None]) -> None:  # fmt: skip
    """Make the folders, then copy the files one by one, recording each in ``done``. A file
    the toolbox refuses (:func:`refused_file`) goes to ``refused`` with its ``SANDBOX:PATH``
    and the rest go on, as a folder upload does with a file it cannot read; another error from
    the toolbox names the file it stopped at."""
    root = tree.folders[0][1]
    done.expect(str(place.relative_to(root)) for _, place, _ in tree.files)
    for _, place, _mode in tree.folders:
        try:
            place.mkdir(exist_ok=True)
        except OSError as exc:
            raise local_error("create", place, exc) from None
    for source, place, info in tree.files:
        try:
            download_file(files, source, place, info, advance)
        except CliError as err:
            if err.status is None:  # not the toolbox's answer: local, network, interrupted
                raise
            if not refused_file(err):
                err.message = f"{sandbox}:{source}: {err.message}"
                raise
            refused(f"{sandbox}:{source}", err)
            continue
        done.copied(str(place.relative_to(root)))
    for _, place, mode in reversed(tree.folders):  # last: a read-only folder stays writable
        if mode is not None:
            with contextlib.suppress(OSError):
                os.chmod(place, mode)
