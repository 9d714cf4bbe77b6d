"""``daytona-cli sandbox cp SRC DEST``: copy files and folders between here and a sandbox.

docker's and kubectl's form: one side is ``SANDBOX:PATH`` (a name or ID), the other a local
path or ``-`` (stdin or stdout). An argument is a sandbox path when it has a ``:`` and the part
before the first one is not empty, has no ``/`` and does not start with ``.``; anything else is
local, so a local file named ``a:b`` is written ``./a:b``. Relative sandbox paths start at the
sandbox's work directory and ``~`` at its home (``GetWorkDir``, ``GetUserHomeDir``).
"""

from __future__ import annotations

import os
import posixpath
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from daytona_cli.client.files import SandboxFiles
from daytona_cli.commands.base import Command
from daytona_cli.commands.sandbox.cp_transfer import (
    STDOUT,
    Done,
    descriptor_of,
    descriptor_sink,
    download_file,
    download_stdout,
    download_tree,
    is_terminal,
    local_error,
    not_copied,
    remote_tree,
    said_when_cut,
    shown_path,
    special_kind,
)
from daytona_cli.commands.sandbox.cp_upload import (
    chunks_of,
    counted,
    local_tree,
    open_source,
    size_of,
    stdin_chunks,
    upload_one,
    upload_tree,
)
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError, usage
from daytona_cli.params import check_identifier
from daytona_cli.render.sandbox import describe
from daytona_cli.types import JSONObject
from daytona_cli.waiting import destroyed_error

STDIO = "-"


@dataclass(frozen=True)
class Remote:
    sandbox: str
    path: str

    def __str__(self) -> str:
        return f"{self.sandbox}:{self.path}"


Endpoint = Remote | str


class CpCommand(Command):
    """cp words its own error for a path that is not UTF-8 (:func:`endpoint`), naming SRC or
    DEST, so the generic check of every argument leaves these two alone."""

    local_paths = ("source", "dest")


def endpoint(argument: str, which: str) -> Endpoint:
    """``SANDBOX:PATH`` as a :class:`Remote`; anything else is a local path (or ``-``).
    ``which`` (SRC, DEST) names the argument in a usage error."""
    try:
        argument.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by Python as lone surrogates
        raise usage(
            f"{which} is not valid UTF-8: {shown_path(argument)}",
            hint="give the path in UTF-8 (rename the file first if its name is not)",
        ) from None
    name, colon, path = argument.partition(":")
    if colon and name and "/" not in name and not name.startswith("."):
        return Remote(check_identifier(name), path)
    if not argument:
        raise usage("an empty path", hint="give a local path, - or SANDBOX:PATH")
    return argument


@dataclass
class CpOptions:
    source: Endpoint
    dest: Endpoint
    recursive: bool = False


def check_sides(source: Endpoint, dest: Endpoint) -> None:
    """Exactly one side in a sandbox (usage errors before any request)."""
    if isinstance(source, Remote) and isinstance(dest, Remote):
        raise usage("both paths are in sandboxes", hint="copy to a local path first, then from it")
    if not isinstance(source, Remote) and not isinstance(dest, Remote):
        raise usage(
            "neither path is in a sandbox",
            hint="write one side as SANDBOX:PATH (a local file named a:b is ./a:b)",
        )


class RemotePaths:
    """Sandbox paths made absolute: ``~`` against the home, relative ones against the work
    directory; each asked of the toolbox once, when first needed."""

    def __init__(self, files: SandboxFiles) -> None:
        self.files = files
        self._work: str | None = None
        self._home: str | None = None

    def absolute(self, path: str) -> str:
        if path == "~" or path.startswith("~/"):
            self._home = self._home or self.files.home_dir()
            path = self._home.rstrip("/") + path[1:]
        elif not path.startswith("/"):
            self._work = self._work or self.files.work_dir()
            path = posixpath.join(self._work, path)
        return posixpath.normpath(path) if path not in ("", "/") else "/"


@dataclass
class Source:
    """A local source, looked at before any request: its path as given, where it is, and
    what to read: a file open for reading, or stdin's chunks (a folder: neither)."""

    shown: str
    path: Path | None = None
    handle: BinaryIO | None = None
    chunks: Iterator[bytes] | None = None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def local_source(app: AppContext, source: str, recursive: bool) -> Source:
    """Open (a folder: look at; stdin: read the first bytes of) what is to go up, so that
    nothing is sent for a source that cannot be read."""
    if source == STDIO:
        if app.runtime.streams.stdin_closed:
            raise usage(
                "stdin is closed: there is nothing to copy from -",
                hint="pipe or redirect the data in (`... | daytona-cli sandbox cp - SANDBOX:PATH`)",
            )
        return Source(source, chunks=stdin_chunks(app.runtime.streams.stdin_chunks()))
    local = app.runtime.cwd / source
    if local.is_dir():
        if not recursive:
            raise CliError(Category.OTHER, f"{source} is a folder", hint="copy it with -r")
        try:
            os.scandir(local).close()  # a folder that cannot be listed is found here too
        except OSError as exc:
            raise local_error("read", source, exc) from None
        return Source(source, local)
    if local.is_fifo() and not source.startswith(("/dev/fd/", "/proc/")):
        # Opening a named pipe waits for a writer, maybe for ever; `<(...)` (/dev/fd/N) has one.
        raise CliError(
            Category.OTHER,
            f"{source} is a named pipe: only files and folders can be copied",
            hint=f"pipe it in instead: `daytona-cli sandbox cp - SANDBOX:PATH < {source}`",
        )
    return Source(source, local, open_source(local, source))


def run_cp(app: AppContext, opts: CpOptions) -> None:
    remote = opts.source if isinstance(opts.source, Remote) else opts.dest
    assert isinstance(remote, Remote)
    source = None
    if not isinstance(opts.source, Remote):
        source = local_source(app, opts.source, opts.recursive)
    try:
        sandbox = _started(app, remote.sandbox)
        files = app.client().toolbox.files(sandbox)
        if files is None:
            raise CliError(
                Category.OTHER,
                "copying files needs the sandbox's toolbox proxy, which this server does not have",
            )
        path = RemotePaths(files).absolute(remote.path)
        if source is None:
            assert isinstance(opts.dest, str)
            _download(app, files, Remote(remote.sandbox, path), opts.dest, opts.recursive)
        else:
            into = remote.path.endswith("/") or remote.path in ("", "~")
            _upload(app, files, source, Remote(remote.sandbox, path), into)
    finally:
        if source is not None:
            source.close()


def _started(app: AppContext, target: str) -> JSONObject:
    sandbox = app.client().get_sandbox(target)
    state = sandbox.get("state")
    if state == "destroyed":
        raise destroyed_error(sandbox)
    if state != "started":
        raise CliError(
            Category.CONFLICT,
            f"sandbox {describe(sandbox)} is {state}, not started",
            hint=f"start it with `daytona-cli sandbox start {target}`",
        )
    return sandbox


def _info(files: SandboxFiles, remote: Remote, *, missing_ok: bool = False) -> JSONObject | None:
    """``FileInfo`` of a sandbox path; a missing one is exit 3 naming it (or None)."""
    try:
        return files.info(remote.path)
    except CliError as err:
        if err.status != 404:
            raise
        if missing_ok:
            return None
        folder = posixpath.dirname(remote.path) or "."
        raise CliError(
            Category.NOT_FOUND,
            f"no such file or directory in the sandbox: {remote}",
            hint=f"see what is there with `daytona-cli sandbox exec {remote.sandbox} -- ls -la "
            f"{shlex.quote(folder)}`",
        ) from None


def local_target(cwd: Path, dest: str, name: str, folder: bool) -> tuple[Path, str]:
    """Where a download of ``name`` (a ``folder`` or a file) lands, and how to name it: inside
    an existing folder (or a link to one) under its own name. A ``dest`` ending in ``/`` must
    be such a folder, as with cp(1); only a folder makes one that does not exist yet (cp -r
    does)."""
    local = cwd / dest
    if local.is_dir():
        return local / name, os.path.join(dest, name)
    if dest.endswith(("/", os.sep)):
        if local.exists():
            raise CliError(Category.OTHER, f"cannot write {dest}: it is a file, not a folder")
        if not folder:
            raise CliError(
                Category.OTHER,
                f"cannot write {dest}: no such folder",
                hint=f"make it first (`mkdir -p {shlex.quote(dest)}`), or leave out the "
                "trailing / to name the file",
            )
    return local, dest


def _download(app: AppContext, files: SandboxFiles, source: Remote, dest: str,
              recursive: bool) -> None:  # fmt: skip
    info = _info(files, source)
    assert info is not None
    out = app.output
    name = posixpath.basename(source.path) or "/"
    kind = special_kind(info)
    if kind is not None and kind != "a symbolic link":  # a link is read through, as cp reads it
        # The daemon would open it and wait (a pipe for a writer): nothing would ever come.
        raise CliError(Category.OTHER, f"{source} is {kind}: only files and folders can be copied")
    descriptor = STDOUT if dest == STDIO else descriptor_of(dest)
    if descriptor is not None:
        if info["isDir"]:
            where = "stdout" if dest == STDIO else dest
            raise CliError(Category.OTHER, f"{source} is a folder: it cannot go to {where}")
        write, shown_here = descriptor_sink(app, descriptor)
        with out.transfer(name, info.get("size"), data_on_terminal=shown_here) as advance:
            download_stdout(files, source.path, write, advance)
        return
    target, shown = local_target(app.runtime.cwd, dest, name, bool(info["isDir"]))
    if not info["isDir"]:
        on_terminal = is_terminal(target)
        with out.transfer(name, info.get("size"), data_on_terminal=on_terminal) as advance:
            download_file(files, source.path, target, info, advance)
        return
    if not recursive:
        raise CliError(Category.OTHER, f"{source} is a folder", hint="copy it with -r")
    tree = remote_tree(files, source.path, target, info)
    for skipped, kind in tree.skipped:
        out.warn(f"{source.sandbox}:{skipped} is {kind}: not copied")
    done = Done()
    refused: list[str] = []

    def refuse(where: str, err: CliError) -> None:
        out.warn(f"{where}: {err.message}: not copied")
        refused.append(where)

    with (
        out.transfer(name, tree.size) as advance,
        said_when_cut(app, lambda _cut: done.incomplete(shown)),
    ):
        download_tree(files, tree, advance, done, source.sandbox, refuse)
    if refused:
        raise not_copied(len(refused), done.count, shown)


def _upload(app: AppContext, files: SandboxFiles, source: Source, dest: Remote,
            into: bool) -> None:  # fmt: skip
    out = app.output
    found = _info(files, dest, missing_ok=True)
    into = into or bool(found and found["isDir"])
    if source.chunks is not None:  # stdin
        if into:
            raise CliError(Category.OTHER, f"{dest} is a folder: name the file to write")
        typed_here = app.runtime.streams.stdin_tty
        with out.transfer("stdin", None, data_on_terminal=typed_here) as advance:
            chunks = counted(source.chunks, advance)
            upload_one(app, files, chunks, None, dest.path, dest.sandbox)
        return
    assert source.path is not None
    target = posixpath.join(dest.path, source.path.name) if into else dest.path
    if source.handle is not None:
        size = size_of(source.handle)
        with out.transfer(source.path.name, size) as advance:
            chunks = chunks_of(source.handle, source.shown, advance)
            upload_one(app, files, chunks, size, target, dest.sandbox)
        return
    if found is not None and not found["isDir"]:
        raise CliError(Category.OTHER, f"{dest} is a file, not a folder")
    tree = local_tree(source.path, target)
    upload_tree(app, files, tree, source.path.name, dest.sandbox)


def cp(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="SRC", help="SANDBOX:PATH, a local path, or - for stdin.")
    ],
    dest: Annotated[
        str, typer.Argument(metavar="DEST", help="SANDBOX:PATH, a local path, or - for stdout.")
    ],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Copy folders and everything in them.")
    ] = False,
) -> None:
    """Copy files between this machine and a sandbox.

    One side is SANDBOX:PATH (name or ID; relative paths start in the sandbox's work
    directory, ~ in its home), the other a local path or -. A local file named a:b is
    written ./a:b. A download is renamed into place only once complete; an upload is
    written in place (the toolbox has no rename), so one cut short may leave that file
    partly written, and cp says so. Progress shows on a terminal.

    \b
    Examples:
      daytona-cli sandbox cp ./app.py demo:/home/daytona/app.py
      daytona-cli sandbox cp -r demo:logs ./logs
      daytona-cli sandbox cp demo:~/out.tar.gz - | tar xz
    """
    app = AppContext.of(ctx)
    opts = CpOptions(endpoint(source, "SRC"), endpoint(dest, "DEST"), recursive)
    check_sides(opts.source, opts.dest)
    run_cp(app, opts)
