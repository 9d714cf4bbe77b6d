"""`daytona-cli sandbox cp`: what a refused, failed or interrupted copy says and leaves behind.

A local source is opened (stdin: its first bytes read) before anything is sent; in a folder,
each file that cannot be read is left out with a warning. Every exchange is checked against
toolbox.yaml when the test ends.
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.app import run
from daytona_cli.context import Runtime
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, BASE_URL, CLI, Cli
from tests.fake_daytona import FakeDaytona

UPLOAD = "/toolbox-proxy/*/files/upload-v2"
HOME = "/home/daytona"


@pytest.fixture
def box(fake: FakeDaytona) -> dict[str, Any]:
    return fake.add_sandbox("box")


def remote(fake: FakeDaytona, path: str) -> Path:
    return fake.host_path("box", path)


def make_unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mode 000; as root, who reads anything, opening it is refused the way the OS would."""
    path.chmod(0)
    if os.geteuid() != 0:
        return
    real_open = Path.open

    def refusing(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)


def run_with(fake: FakeDaytona, workdir: Path, stdin: Any, *args: str, **flags: bool) -> tuple:
    """In process with this stdin and these terminal flags: (code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    streams = Streams(stdout=out, stderr=err, stdin=stdin, width=100, **flags)
    environ = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": BASE_URL}
    code = run(list(args), Runtime(environ, workdir, streams, httpx.MockTransport(fake.handler)))
    return code, out.getvalue(), err.getvalue()


def installed(served: str, *args: str | bytes, shell: str | None = None,
              **kwargs: Any) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """The installed command against the served fake; ``shell`` redirects (``<&-``) first."""
    env = {**os.environ, "DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served}
    argv: list[str | bytes] = [str(CLI), *args]
    if shell is not None:
        argv = ["sh", "-c", f'exec "$0" "$@" {shell}', *argv]
    kwargs.setdefault("capture_output", True)
    return subprocess.run(argv, text=True, env=env, timeout=60, check=False, **kwargs)


# -- 1. a local source that cannot be read --------------------------------------------------------


def test_an_unreadable_local_file_is_refused_before_anything_is_sent(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    remote(fake, f"{HOME}/keep.txt").write_text("precious")
    (isolated / "secret.txt").write_text("new")
    make_unreadable(isolated / "secret.txt", monkeypatch)
    result = cli("sandbox", "cp", "secret.txt", "box:keep.txt")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: cannot read secret.txt: Permission denied\n"
    assert remote(fake, f"{HOME}/keep.txt").read_text() == "precious"
    assert fake.requests == []  # not even the sandbox was looked up


def test_a_missing_local_file_is_refused_before_anything_is_sent(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = cli("sandbox", "cp", "ghost.txt", "box:/x")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: cannot read ghost.txt: No such file or directory\n"
    assert fake.requests == []


def test_a_folder_that_cannot_be_listed_is_refused_before_anything_is_sent(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    (isolated / "locked").mkdir()
    (isolated / "locked").chmod(0)
    real_scandir = os.scandir

    def refusing(path: Any = ".") -> Any:  # as root, who lists anything, refuse as the OS would
        if Path(path) == isolated / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    try:
        result = cli("sandbox", "cp", "-r", "locked", "box:/srv/locked")
    finally:
        (isolated / "locked").chmod(0o755)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: cannot read locked: Permission denied\n"
    assert fake.requests == []


# -- 2. stdin closed or unreadable ----------------------------------------------------------------


def test_a_closed_stdin_is_a_usage_error_and_nothing_is_sent(
    fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    streams = Streams.from_files(io.StringIO(), io.StringIO(), None, {})
    assert streams.stdin_closed and list(streams.stdin_chunks()) == []
    code, out, err = run_with(fake, isolated, io.StringIO(), "sandbox", "cp", "-", "box:x",
                              stdin_closed=True)  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        "error: stdin is closed: there is nothing to copy from -; pipe or redirect the data in "
        "(`... | daytona-cli sandbox cp - SANDBOX:PATH`)\n"
    )
    assert fake.requests == []
    assert not remote(fake, f"{HOME}/x").exists()


def test_the_installed_command_with_stdin_closed_says_so_and_writes_nothing(
    fake: FakeDaytona, served: str, box: dict[str, Any], isolated: Path
) -> None:
    proc = installed(served, "sandbox", "cp", "-", "box:x", shell="<&-", cwd=isolated)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("error: stdin is closed: there is nothing to copy from -;")
    assert len(proc.stderr.splitlines()) == 1
    assert fake.requests == []
    assert not remote(fake, f"{HOME}/x").exists()


def test_a_stdin_that_cannot_be_read_fails_before_anything_is_sent(
    fake: FakeDaytona, served: str, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, f"{HOME}/keep.txt").write_text("precious")
    # Open for writing only: reading it is EBADF.
    proc = installed(served, "sandbox", "cp", "-", "box:keep.txt", shell="0>/dev/null",
                     cwd=isolated)  # fmt: skip
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "error: cannot read stdin: Bad file descriptor\n"
    assert fake.requests == []
    assert remote(fake, f"{HOME}/keep.txt").read_text() == "precious"


# -- 3. a folder with files that cannot be copied -------------------------------------------------


def test_a_folder_with_an_unreadable_file_copies_the_rest_warns_and_exits_1(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    mixed = isolated / "mixed"
    (mixed / "sub").mkdir(parents=True)
    (mixed / "a.txt").write_text("a")
    (mixed / "sub" / "b.txt").write_text("b")
    (mixed / "locked.txt").write_text("secret")
    make_unreadable(mixed / "locked.txt", monkeypatch)
    result = cli("sandbox", "cp", "-r", "mixed", "box:/srv/mixed")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"warning: cannot read {mixed}/locked.txt: Permission denied: not copied",
        "error: 1 file was not copied (see the warnings above), 2 copied: box:/srv/mixed is "
        "incomplete; fix what the warnings say and copy again",
    ]
    landed = remote(fake, "/srv/mixed")
    assert sorted(str(p.relative_to(landed)) for p in landed.rglob("*")) == [
        "a.txt", "sub", "sub/b.txt",
    ]  # fmt: skip
    sent = [r.url.params["path"] for r in fake.requests_to("POST", UPLOAD)]
    assert sent == ["/srv/mixed/a.txt", "/srv/mixed/sub/b.txt"]
