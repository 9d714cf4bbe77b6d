"""``daytona-cli sandbox cp SRC DEST``: copy files and folders between here and a sandbox.

docker's and kubectl's form: one side is ``SANDBOX:PATH`` (a name or ID), the other a local
path or ``-`` (stdin or stdout). An argument is a sandbox path when it has a ``:`` and the part
before the first one is not empty, has no ``/`` and does not start with ``.``; anything else is
local, so a local file named ``a:b`` is written ``./a:b``. Relative sandbox paths start at the
sandbox's work directory and ``~`` at its home (``GetWorkDir``, ``GetUserHomeDir``).
"""

from __future__ import annotations

import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

import typer

from daytona_cli.client.files import SandboxFiles
from daytona_cli.commands.base import Command
from daytona_cli.commands.sandbox.cp_transfer import (
    Advance,
    download_file,
    download_stdout,
    download_tree,
    local_error,
    local_tree,
    remote_tree,
    upload_file,
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
    """A local path may be any bytes the OS allows: only the sandbox side must be UTF-8."""

    local_paths = ("source", "dest")


def endpoint(argument: str) -> Endpoint:
    """``SANDBOX:PATH`` as a :class:`Remote`; anything else is a local path (or ``-``)."""
    name, colon, path = argument.partition(":")
    if colon and name and "/" not in name and not name.startswith("."):
        return Remote(check_identifier(name), _utf8(path))
    if not argument:
        raise usage("an empty path", hint="give a local path, - or SANDBOX:PATH")
    return argument


def _utf8(path: str, hint: str | None = None) -> str:
    """A sandbox path goes to the API, which takes only UTF-8 text (a usage error if not)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise usage(
            f"the sandbox path '{shown}' is not valid UTF-8 text, which the Daytona API needs",
            hint=hint,
        ) from None
    return path


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


def run_cp(app: AppContext, opts: CpOptions) -> None:
    remote = opts.source if isinstance(opts.source, Remote) else opts.dest
    assert isinstance(remote, Remote)
    sandbox = _started(app, remote.sandbox)
    files = app.client().toolbox.files(sandbox)
    if files is None:
        raise CliError(
            Category.OTHER,
            "copying files needs the sandbox's toolbox proxy, which this server does not have",
        )
    path = RemotePaths(files).absolute(remote.path)
    if isinstance(opts.source, Remote):
        assert isinstance(opts.dest, str)
        _download(app, files, Remote(remote.sandbox, path), opts.dest, opts.recursive)
    else:
        into = remote.path.endswith("/") or remote.path in ("", "~")
        _upload(app, files, opts.source, Remote(remote.sandbox, path), into, opts.recursive)


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
        raise CliError(
            Category.NOT_FOUND, f"no such file or directory in the sandbox: {remote}"
        ) from None


def _download(app: AppContext, files: SandboxFiles, source: Remote, dest: str,
              recursive: bool) -> None:  # fmt: skip
    info = _info(files, source)
    assert info is not None
    out = app.output
    name = posixpath.basename(source.path) or "/"
    if dest == STDIO:
        if info["isDir"]:
            raise CliError(Category.OTHER, f"{source} is a folder: it cannot go to stdout")
        with out.transfer(name, info.get("size")) as advance:
            download_stdout(files, source.path, app.runtime.streams.write_bytes, advance)
        return
    local = app.runtime.cwd / dest
    target = local / name if local.is_dir() else local
    if not info["isDir"]:
        with out.transfer(name, info.get("size")) as advance:
            download_file(files, source.path, target, info, advance)
        return
    if not recursive:
        raise CliError(Category.OTHER, f"{source} is a folder", hint="copy it with -r")
    tree = remote_tree(files, source.path, target, info)
    for skipped in tree.skipped:
        out.warn(f"{source.sandbox}:{skipped} is a symbolic link: not copied")
    with out.transfer(name, tree.size) as advance:
        download_tree(files, tree, advance)


def _upload(app: AppContext, files: SandboxFiles, source: str, dest: Remote, into: bool,
            recursive: bool) -> None:  # fmt: skip
    out = app.output
    found = _info(files, dest, missing_ok=True)
    into = into or bool(found and found["isDir"])
    if source == STDIO:
        if into:
            raise CliError(Category.OTHER, f"{dest} is a folder: name the file to write")
        with out.transfer("stdin", None) as advance:
            files.upload(dest.path, _counted(app.runtime.streams.stdin_chunks(), advance), None)
        return
    local = app.runtime.cwd / source
    try:
        found_here = local.stat()
    except OSError as exc:
        raise local_error("read", source, exc) from None
    target = dest.path
    if into:
        named = "name the file in the sandbox: SANDBOX:FOLDER/NAME"
        target = _utf8(posixpath.join(dest.path, local.name), hint=named)
    if not stat.S_ISDIR(found_here.st_mode):
        with out.transfer(local.name, found_here.st_size) as advance:
            upload_file(files, local, target, advance)
        return
    if not recursive:
        raise CliError(Category.OTHER, f"{source} is a folder", hint="copy it with -r")
    if found is not None and not found["isDir"]:
        raise CliError(Category.OTHER, f"{dest} is a file, not a folder")
    folders, regular, skipped, size = local_tree(local, target)
    for left_out in skipped:
        out.warn(f"{left_out} is a link to a folder or not a regular file: not copied")
    with out.transfer(local.name, size) as advance:
        for folder, mode in folders:
            files.make_folder(folder, f"{mode:o}")
        for path, remote in regular:
            upload_file(files, path, remote, advance)


def _counted(chunks: Iterator[bytes], advance: Advance) -> Iterator[bytes]:
    for chunk in chunks:
        advance(len(chunk))
        yield chunk


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
    written ./a:b. A download is renamed into place only once complete. Progress shows on
    a terminal.

    \b
    Examples:
      daytona-cli sandbox cp ./app.py demo:/home/daytona/app.py
      daytona-cli sandbox cp -r demo:logs ./logs
      daytona-cli sandbox cp demo:~/out.tar.gz - | tar xz
    """
    app = AppContext.of(ctx)
    opts = CpOptions(endpoint(source), endpoint(dest), recursive)
    check_sides(opts.source, opts.dest)
    run_cp(app, opts)
