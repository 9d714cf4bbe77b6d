"""`daytona-cli sandbox cp`: what a refused, failed or interrupted copy says and leaves behind.

A local source is opened (stdin: its first bytes read) before anything is sent. toolbox.yaml has
no move or rename route, so an upload is written straight to its destination and one cut short
says that file may be partly written; a download goes through a temporary renamed into place.
Every exchange is checked against toolbox.yaml when the test ends.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.app import run
from daytona_cli.context import Runtime
from daytona_cli.errors import Category, CliError
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, BASE_URL, CLI, Cli
from tests.fake_daytona import FakeDaytona
from tests.faults_helpers import installed_env
from tests.test_readme import says
from tests.test_sandbox_cp import DOWNLOAD, HOME, UPLOAD, remote

EXECUTE = "/toolbox-proxy/*/process/execute"


@pytest.fixture
def box(fake: FakeDaytona) -> dict[str, Any]:
    return fake.add_sandbox("box")


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
    env = installed_env(served)
    argv: list[str | bytes] = [str(CLI), *args]
    if shell is not None:
        argv = ["sh", "-c", f'exec "$0" "$@" {shell}', *argv]
    kwargs.setdefault("capture_output", True)
    return subprocess.run(argv, text=True, env=env, timeout=60, check=False, **kwargs)


class _CutAfter(io.RawIOBase):
    """stdin that gives ``data``, then raises ``stop`` (Ctrl-C arriving while it is read)."""

    def __init__(self, data: bytes, stop: BaseException) -> None:
        self.data = data
        self.stop = stop

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            raise self.stop
        count = min(len(buffer), len(self.data))
        buffer[:count] = self.data[:count]
        self.data = self.data[count:]
        return count


def cut_stdin(data: bytes, stop: BaseException) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(_CutAfter(data, stop)))


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


def test_a_file_in_a_folder_named_in_bytes_that_are_not_utf8_is_left_out_with_a_warning(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    proj = isolated / "proj"
    proj.mkdir()
    (proj / "ok.txt").write_text("ok")
    try:
        with open(os.fsencode(proj) + b"/caf\xe9.txt", "wb") as latin:
            latin.write(b"latin-1 name")
    except OSError:
        pytest.skip("this filesystem refuses names that are not UTF-8")
    result = cli("sandbox", "cp", "-r", "proj", "box:/srv/proj")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"warning: {proj}/caf\\xe9.txt: the name is not UTF-8: not copied",
        "error: 1 file was not copied (see the warnings above), 1 copied: box:/srv/proj is "
        "incomplete; fix what the warnings say and copy again",
    ]
    assert [p.name for p in remote(fake, "/srv/proj").iterdir()] == ["ok.txt"]
    assert [r.url.params["path"] for r in fake.requests_to("POST", UPLOAD)] == ["/srv/proj/ok.txt"]


# -- 4. no move route: an upload cut short says what it may have left -----------------------------


def test_the_readme_says_an_interrupted_upload_can_leave_a_partial_file() -> None:
    says("toolbox.yaml has no move or rename route")
    says("an upload cut short (a read error, a lost connection, Ctrl-C, SIGTERM) can leave that one "
         "file partly written")  # fmt: skip


def test_an_upload_goes_straight_to_its_destination_and_nothing_is_run_in_the_sandbox(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    (isolated / "new.txt").write_text("new")
    result = cli("sandbox", "cp", "new.txt", "box:keep.txt")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert [r.url.params["path"] for r in fake.requests_to("POST", UPLOAD)] == [f"{HOME}/keep.txt"]
    assert fake.requests_to("POST", EXECUTE) == []


def test_ctrl_c_while_stdin_is_read_says_the_file_may_be_partly_written(
    fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    stdin = cut_stdin(os.urandom(700_000), KeyboardInterrupt())
    code, out, err = run_with(fake, isolated, stdin, "sandbox", "cp", "-", "box:keep.txt")
    assert (code, out) == (130, "")
    assert err == f"error: interrupted; box:{HOME}/keep.txt may be partly written\n"
    assert fake.requests_to("POST", EXECUTE) == []


def test_a_lost_upload_answer_says_the_file_may_be_partly_written(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    (isolated / "new.txt").write_text("new")
    fake.lose_answer("POST", UPLOAD)
    result = cli("sandbox", "cp", "new.txt", "box:keep.txt")
    assert (result.exit_code, result.stdout) == (7, "")
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: cannot reach ")
    assert f"; box:{HOME}/keep.txt may be partly written" in result.stderr
    assert len(fake.requests_to("POST", UPLOAD)) == 1  # an upload is never sent twice


def test_an_upload_the_server_refuses_says_nothing_about_a_partial_file(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    (isolated / "new.txt").write_text("new")
    fake.inject("POST", UPLOAD, status=400)
    result = cli("sandbox", "cp", "new.txt", "box:keep.txt")
    assert (result.exit_code, result.stdout) == (1, "")
    assert "partly written" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_interrupted_folder_upload_names_what_was_not_copied(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from daytona_cli.commands.sandbox import cp_upload

    for name in ("1", "2", "3", "4", "5", "6"):
        (isolated / "proj").mkdir(exist_ok=True)
        (isolated / "proj" / name).write_text(name)
    real_chunks = cp_upload.chunks_of

    def ctrl_c_in_the_third(source: Any, shown: Any, advance: Any) -> Any:
        for chunk in real_chunks(source, shown, advance):
            yield chunk
            if Path(shown).name == "3":
                raise KeyboardInterrupt

    monkeypatch.setattr(cp_upload, "chunks_of", ctrl_c_in_the_third)
    result = cli("sandbox", "cp", "-r", "proj", "box:/srv/proj")
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == (
        "error: interrupted; box:/srv/proj is incomplete: copied 2 of 6 files; not copied: 3, "
        "4, 5 and 1 more (box:/srv/proj/3 may be partly written)\n"
    )
    # In-process, a body cut short is never recorded: only the two whole ones are.
    sent = [r.url.params["path"] for r in fake.requests_to("POST", UPLOAD)]
    assert sent == ["/srv/proj/1", "/srv/proj/2"]


@pytest.mark.parametrize(
    ("sent", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_during_a_piped_upload_says_the_file_may_be_partly_written(
    fake: FakeDaytona, served: str, box: dict[str, Any], isolated: Path,
    sent: int, code: int, word: str,
) -> None:  # fmt: skip
    target = remote(fake, f"{HOME}/keep3.txt")
    target.write_text("precious")
    env = installed_env(served)
    with subprocess.Popen(
        [str(CLI), "sandbox", "cp", "-", "box:keep3.txt"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, cwd=isolated,
    ) as proc:  # fmt: skip
        assert proc.stdin is not None and proc.stderr is not None
        data = os.urandom(2 * 1024 * 1024)
        proc.stdin.write(data)
        proc.stdin.flush()
        # Wait (for an event, not a time) until the upload has replaced the old content.
        deadline = time.monotonic() + 60
        while target.read_bytes() == b"precious" or not target.stat().st_size:
            assert time.monotonic() < deadline, "the upload never reached the sandbox"
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.01)
        proc.send_signal(sent)
        assert proc.wait(30) == code
        proc.stdin.close()
        message = proc.stderr.read().decode()
    assert message == f"error: {word}; box:{HOME}/keep3.txt may be partly written\n"
    # What arrived before the signal is in place of the old content: the partial file README
    # warns of (stdin never ended, so however much arrived, it is not the whole).
    written = target.read_bytes()
    assert written and data.startswith(written)
    assert fake.requests_to("POST", EXECUTE) == []


# -- 5. a download destination ending in / is a folder -------------------------------------------


def test_a_file_downloaded_to_a_missing_folder_with_a_slash_is_refused_as_cp_refuses_it(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/f.txt").write_text("f")
    result = cli("sandbox", "cp", "box:/f.txt", "out/")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: cannot write out/: no such folder; make it first (`mkdir -p out/`), or leave out "
        "the trailing / to name the file\n"
    )
    assert list(isolated.iterdir()) == []
    assert fake.requests_to("GET", DOWNLOAD) == []


def test_a_download_to_a_file_written_with_a_slash_is_refused_and_leaves_it(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/f.txt").write_text("f")
    (isolated / "afile").write_text("mine")
    result = cli("sandbox", "cp", "box:/f.txt", "afile/")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: cannot write afile/: it is a file, not a folder\n"
    assert (isolated / "afile").read_text() == "mine"
    assert fake.requests_to("GET", DOWNLOAD) == []


def test_a_download_with_a_slash_lands_in_the_existing_folder_and_r_makes_a_missing_one(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/srv/logs").mkdir(parents=True)
    remote(fake, "/srv/logs/a.log").write_text("a")
    (isolated / "there").mkdir()
    into = cli("sandbox", "cp", "box:/srv/logs/a.log", "there/")
    assert (into.exit_code, into.stdout, into.stderr) == (0, "", "")
    assert (isolated / "there" / "a.log").read_text() == "a"
    made = cli("sandbox", "cp", "-r", "box:/srv/logs", "new/")  # as `cp -r logs new/` does
    assert (made.exit_code, made.stdout, made.stderr) == (0, "", "")
    assert (isolated / "new" / "a.log").read_text() == "a"


# -- 6. a download writes through a link at its destination, as cp does --------------------------


def test_a_download_writes_through_a_link_and_leaves_the_link(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/new.conf").write_text("new")
    (isolated / "real").mkdir()
    (isolated / "real" / "app.conf").write_text("old")
    (isolated / "app.conf").symlink_to("real/app.conf")
    result = cli("sandbox", "cp", "box:/new.conf", "app.conf")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert os.readlink(isolated / "app.conf") == "real/app.conf"
    assert (isolated / "real" / "app.conf").read_text() == "new"
    assert [p.name for p in (isolated / "real").iterdir()] == ["app.conf"]  # no temporary left


def test_a_folder_download_writes_through_links_already_in_the_destination(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/srv/etc").mkdir(parents=True)
    remote(fake, "/srv/etc/app.conf").write_text("new")
    (isolated / "etc").mkdir()
    (isolated / "shared.conf").write_text("old")
    (isolated / "etc" / "app.conf").symlink_to("../shared.conf")
    result = cli("sandbox", "cp", "-r", "box:/srv/etc", ".")  # lands on ./etc, which is there
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert os.readlink(isolated / "etc" / "app.conf") == "../shared.conf"
    assert (isolated / "shared.conf").read_text() == "new"
    assert sorted(p.name for p in isolated.iterdir()) == ["etc", "shared.conf"]


def test_a_download_onto_a_dangling_link_is_refused_as_gnu_cp_refuses_it(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/new.conf").write_text("new")
    (isolated / "app.conf").symlink_to("nowhere/app.conf")
    result = cli("sandbox", "cp", "box:/new.conf", "app.conf")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: cannot write {isolated}/app.conf: it is a link to nowhere/app.conf, which does "
        "not exist; remove the link, or copy to the path it should lead to\n"
    )
    assert os.readlink(isolated / "app.conf") == "nowhere/app.conf"
    assert not (isolated / "nowhere").exists()
    assert fake.requests_to("GET", DOWNLOAD) == []


# -- 7. an interrupted folder download says what is missing ---------------------------------------


@pytest.mark.parametrize("interruption", ["network", "ctrl-c"])
def test_an_interrupted_folder_download_names_the_files_not_copied(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    monkeypatch: pytest.MonkeyPatch, interruption: str,
) -> None:  # fmt: skip
    from daytona_cli.client import transfer

    for name in ("a.txt", "sub/b.bin", "sub/deeper/c"):
        remote(fake, f"/srv/proj/{name}").parent.mkdir(parents=True, exist_ok=True)
        remote(fake, f"/srv/proj/{name}").write_bytes(os.urandom(1000))
    real_body = transfer._body
    bodies = 0

    def cut_in_the_second(http: Any, response: Any) -> Any:
        nonlocal bodies
        bodies += 1
        yield from real_body(http, response)
        if bodies == 2:
            if interruption == "ctrl-c":
                raise KeyboardInterrupt
            raise CliError(Category.NETWORK, "cannot reach the proxy: connection lost")

    monkeypatch.setattr(transfer, "_body", cut_in_the_second)
    result = cli("sandbox", "cp", "-r", "box:/srv/proj", "back")
    state = "back is incomplete: copied 1 of 3 files; not copied: sub/b.bin, sub/deeper/c"
    if interruption == "ctrl-c":
        assert (result.exit_code, result.stdout) == (130, "")
        assert result.stderr == f"error: interrupted; {state}\n"
    else:
        assert (result.exit_code, result.stdout) == (7, "")
        assert result.stderr.startswith(f"error: cannot reach the proxy: connection lost; {state}")
        assert len(result.stderr.splitlines()) == 1
    assert len(fake.requests_to("GET", DOWNLOAD)) == 2
    landed = sorted(str(p.relative_to(isolated / "back")) for p in (isolated / "back").rglob("*"))
    assert landed == ["a.txt", "sub", "sub/deeper"]  # no partial file, no temporary


# -- 8. progress only on a terminal that does not carry the data ----------------------------------


@pytest.mark.parametrize(
    ("args", "flags", "shown"),
    [
        (("box:/data.bin", "out.bin"), {"stdin_tty": True, "stdout_tty": True}, False),
        (("box:/data.bin", "-"), {"stdout_tty": True, "stderr_tty": True}, False),
        (("-", "box:/up.bin"), {"stdin_tty": True, "stderr_tty": True}, False),
        (("box:/data.bin", "out.bin"), {"stderr_tty": True}, True),
        (("box:/data.bin", "-"), {"stderr_tty": True}, True),
    ],
    ids=["stderr-piped", "stdout-on-terminal", "stdin-from-terminal", "stderr-only", "piped-out"],
)
def test_progress_shows_only_on_a_terminal_stderr_that_does_not_carry_the_data(
    fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    args: tuple[str, str], flags: dict[str, bool], shown: bool,
) -> None:  # fmt: skip
    remote(fake, "/data.bin").write_bytes(b"d" * 300_000)
    code, out, err = run_with(fake, isolated, io.StringIO("typed"), "sandbox", "cp", *args,
                              **flags)  # fmt: skip
    assert code == 0, err
    assert out == ("d" * 300_000 if args[1] == "-" else "")
    assert ("kB" in err) is shown
    if not shown:
        assert err == ""


def test_the_installed_command_shows_no_progress_when_only_stdin_is_a_terminal(
    fake: FakeDaytona, served: str, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/data.bin").write_bytes(os.urandom(300_000))
    terminal, other_end = os.openpty()
    try:
        proc = installed(served, "sandbox", "cp", "box:/data.bin", "out.bin", stdin=terminal,
                         cwd=isolated)  # fmt: skip
    finally:
        os.close(terminal)
        os.close(other_end)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert (isolated / "out.bin").read_bytes() == remote(fake, "/data.bin").read_bytes()


# -- 9. a path argument that is not UTF-8 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("caf\udce9.txt", "box:/tmp/"), "SRC is not valid UTF-8: caf\\xe9.txt"),
        (("note.txt", "box:/tmp/caf\udce9"), "DEST is not valid UTF-8: box:/tmp/caf\\xe9"),
        (("box:/tmp/x", "caf\udce9"), "DEST is not valid UTF-8: caf\\xe9"),
        (("b\udcffx:/tmp/x", "y"), "SRC is not valid UTF-8: b\\xffx:/tmp/x"),
    ],
    ids=["local-src", "remote-dest", "local-dest", "sandbox-name"],
)
def test_a_path_that_is_not_utf8_is_a_one_line_usage_error(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    args: tuple[str, str], message: str,
) -> None:  # fmt: skip
    (isolated / "note.txt").write_text("n")
    result = cli("sandbox", "cp", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {message}; give the path in UTF-8 (rename the file first if its name is not)\n"
    )
    assert fake.requests == []


def test_the_installed_command_given_a_latin1_file_name_exits_2_with_one_line(
    fake: FakeDaytona, served: str, box: dict[str, Any], isolated: Path
) -> None:
    proc = installed(served, b"sandbox", b"cp", b"caf\xe9.txt", b"box:/tmp/", cwd=isolated)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        "error: SRC is not valid UTF-8: caf\\xe9.txt; give the path in UTF-8 (rename the file "
        "first if its name is not)\n"
    )
    assert fake.requests == []


# -- 9. a folder download with special files, or with a file the toolbox refuses -----------------


def a_folder_with_a_pipe(fake: FakeDaytona) -> Path:
    """``mkdir w2; printf x > w2/ok; mkfifo w2/ff`` in the sandbox's work directory."""
    folder = remote(fake, "w2")
    folder.mkdir()
    (folder / "ok").write_text("x")
    os.mkfifo(folder / "ff")
    return folder


def test_a_named_pipe_in_a_folder_download_is_left_out_with_a_warning_and_the_rest_copied(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    a_folder_with_a_pipe(fake)
    result = cli("sandbox", "cp", "-r", "box:w2", "./w2back")
    assert (result.exit_code, result.stdout) == (0, "")  # as an upload leaving a pipe out
    assert result.stderr == f"warning: box:{HOME}/w2/ff is a named pipe: not copied\n"
    assert [p.name for p in (isolated / "w2back").iterdir()] == ["ok"]
    assert (isolated / "w2back" / "ok").read_text() == "x"
    listed = [r.url.params["path"] for r in fake.requests_to("GET", "/toolbox-proxy/*/files")]
    downloaded = [r.url.params["path"] for r in fake.requests_to("GET", DOWNLOAD)]
    assert (listed, downloaded) == ([f"{HOME}/w2"], [f"{HOME}/w2/ok"])


def test_the_readme_says_special_files_are_left_out_both_ways_and_refused_alone() -> None:
    says("In a folder copy, special files (named pipes, sockets, devices) are left out either "
         "way, each with a warning naming it, and the rest are copied (exit 0)")  # fmt: skip
    says("A special file named alone is refused (exit 1) either way, and nothing is asked of "
         "the toolbox")  # fmt: skip
    says("on the way down the daemon lists a link as what it leads to, so it is copied as that "
         "folder, and a tree more than 40 folders deep (a link leading back up) is refused "
         "before anything is copied")  # fmt: skip


@pytest.mark.parametrize("dest", ["here", "-"])
def test_a_named_pipe_named_alone_is_refused_and_never_downloaded(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path, dest: str
) -> None:
    a_folder_with_a_pipe(fake)
    result = cli("sandbox", "cp", "box:w2/ff", dest)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: box:{HOME}/w2/ff is a named pipe: only files and folders can be copied\n"
    )
    assert fake.requests_to("GET", DOWNLOAD) == []
    assert list(isolated.iterdir()) == []


def test_a_file_the_toolbox_refuses_is_named_and_the_rest_of_the_folder_still_copied(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    for name in ("a.txt", "b.txt", "sub/c.txt"):
        remote(fake, f"/srv/proj/{name}").parent.mkdir(parents=True, exist_ok=True)
        remote(fake, f"/srv/proj/{name}").write_text(name)
    fake.inject("GET", DOWNLOAD, status=403)  # the first file: a.txt
    result = cli("sandbox", "cp", "-r", "box:/srv/proj", "back")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "warning: box:/srv/proj/a.txt: Forbidden: not copied",
        "error: 1 file was not copied (see the warnings above), 2 copied: back is incomplete; "
        "fix what the warnings say and copy again",
    ]
    landed = sorted(str(p.relative_to(isolated / "back")) for p in (isolated / "back").rglob("*"))
    assert landed == ["b.txt", "sub", "sub/c.txt"]  # no partial file, no temporary
    downloaded = [r.url.params["path"] for r in fake.requests_to("GET", DOWNLOAD)]
    assert downloaded == ["/srv/proj/a.txt", "/srv/proj/b.txt", "/srv/proj/sub/c.txt"]


def test_a_toolbox_error_that_is_not_about_one_file_stops_the_folder_download_naming_it(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    for name in ("a.txt", "b.txt"):
        remote(fake, f"/srv/proj/{name}").parent.mkdir(parents=True, exist_ok=True)
        remote(fake, f"/srv/proj/{name}").write_text(name)
    fake.inject("GET", DOWNLOAD, status=409)
    result = cli("sandbox", "cp", "-r", "box:/srv/proj", "back")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr.startswith(
        "error: box:/srv/proj/a.txt: Conflict; back is incomplete: copied 0 of 2 files; "
        "not copied: a.txt, b.txt"
    )
    assert len(fake.requests_to("GET", DOWNLOAD)) == 1
    assert [p.name for p in (isolated / "back").iterdir()] == []


# -- 10. a destination that names an open descriptor -----------------------------------------------


@pytest.mark.parametrize("dest", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_a_download_to_dev_stdout_writes_to_the_stream_and_keeps_what_is_around_it(
    fake: FakeDaytona, served: str, tmp_path: Path, dest: str
) -> None:
    """Opening /dev/stdout afresh would truncate the file the shell redirected to, and writing
    through the link (a temporary renamed over it) would replace it: both lost what the shell
    wrote before and after. The descriptor is written to as it is, like ``-``."""
    fake.add_sandbox("box")
    fake.host_path("box", "f.txt").write_text("hello\n")
    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "build.log"
    log.write_text("important log\n")
    env = installed_env(served)
    script = f'echo before; "$0" sandbox cp box:f.txt {dest}; echo "rc=$?"; echo after'
    ran = subprocess.run(["sh", "-c", f"{{ {script}; }} >> {log}", str(CLI)], env=env,
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", "")
    assert log.read_text() == "important log\nbefore\nhello\nrc=0\nafter\n"
    assert [p.name for p in log.parent.iterdir()] == ["build.log"]  # no temporary beside it


def test_a_download_to_dev_stdout_into_a_pipe_works_and_to_dev_stderr_goes_there(
    fake: FakeDaytona, served: str
) -> None:
    fake.add_sandbox("box")
    fake.host_path("box", "f.txt").write_text("hello\n")
    piped = installed(served, "sandbox", "cp", "box:f.txt", "/dev/stdout")
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "hello\n", "")
    to_stderr = installed(served, "sandbox", "cp", "box:f.txt", "/dev/stderr")
    assert (to_stderr.returncode, to_stderr.stdout, to_stderr.stderr) == (0, "", "hello\n")
    folder = installed(served, "sandbox", "cp", "-r", "box:.", "/dev/stdout")
    assert folder.returncode == 1
    assert folder.stderr.startswith("error: box:/home/daytona is a folder: it cannot go to /dev/")


def test_a_file_the_sandbox_refuses_is_exit_1_about_the_path_not_the_key(
    cli: Cli, fake: FakeDaytona
) -> None:
    """The daemon's 403 (``source`` DAYTONA_DAEMON) is about a path and the sandbox's user;
    the API's 403 is about the key (exit 4)."""
    fake.add_sandbox("box")
    fake.host_path("box", "abslink").symlink_to("/etc/passwd")  # leads out: refused
    result = cli("sandbox", "cp", "box:abslink", "copy")
    assert (result.exit_code, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line == (
        "error: open /home/daytona/abslink: permission denied; the sandbox's user may not read "
        "or write that path: check its permissions there"
    )
    assert not (cli.workdir / "copy").exists()


def test_a_local_named_pipe_is_refused_but_process_substitution_is_copied(
    fake: FakeDaytona, served: str, tmp_path: Path
) -> None:
    """Opening a named pipe waits for a writer, perhaps for ever; ``<(...)`` has one."""
    fake.add_sandbox("box")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    refused = installed(served, "sandbox", "cp", str(pipe), "box:p")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"error: {pipe} is a named pipe: only files and folders can be copied; pipe it in "
        f"instead: `daytona-cli sandbox cp - SANDBOX:PATH < {pipe}`\n"
    )
    env = installed_env(served)
    substituted = subprocess.run(["bash", "-c", f'"{CLI}" sandbox cp <(echo hi) box:ps'],
                                 env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (substituted.returncode, substituted.stderr) == (0, "")
    assert fake.host_path("box", "ps").read_text() == "hi\n"


def test_a_link_leading_back_up_the_tree_stops_a_folder_download_before_anything_is_copied(
    cli: Cli, fake: FakeDaytona
) -> None:
    """The daemon lists a link as what it leads to: ``lp/up -> ..`` makes ``lp/up/lp/up/...``
    a tree without end, until the kernel's 40 links (and the toolbox) give out."""
    fake.add_sandbox("box")
    (fake.host_path("box", "lp")).mkdir()
    fake.host_path("box", "lp/f").write_text("x")
    fake.host_path("box", "lp/up").symlink_to("..")
    result = cli("sandbox", "cp", "-r", "box:lp", "lpd")
    assert (result.exit_code, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("error: /home/daytona/lp/up/lp/up/")
    assert "is more than 40 folders below /home/daytona/lp: a link in the sandbox" in line
    assert not (cli.workdir / "lpd").exists()
    assert fake.requests_to("GET", "/toolbox-proxy/*/files/download") == []


def test_a_missing_sandbox_path_says_how_to_look(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("box")
    result = cli("sandbox", "cp", "box:logs/nope.txt", "here")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "error: no such file or directory in the sandbox: box:/home/daytona/logs/nope.txt; see "
        "what is there with `daytona-cli sandbox exec box -- ls -la /home/daytona/logs`\n"
    )
