"""`daytona-cli sandbox cp`: files and folders both ways, `-`, paths, errors, partial downloads.

The fake keeps each sandbox's files in a real directory tree (`fake.host_path` maps a sandbox
path to it), so what a copy wrote is read back from disk on both sides; every exchange is
checked against toolbox.yaml when the test ends.
"""

from __future__ import annotations

import io
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.app import run
from daytona_cli.context import Runtime
from daytona_cli.errors import Category, CliError
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, BASE_URL, Cli, VirtualClock
from tests.fake_daytona import FakeDaytona

UPLOAD = "/toolbox-proxy/*/files/upload-v2"
DOWNLOAD = "/toolbox-proxy/*/files/download"
HOME = "/home/daytona"


@pytest.fixture
def box(fake: FakeDaytona) -> dict[str, Any]:
    return fake.add_sandbox("box")


def remote(fake: FakeDaytona, path: str) -> Path:
    return fake.host_path("box", path)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def run_bytes(fake: FakeDaytona, workdir: Path, *args: str, stdin: bytes = b"") -> tuple:
    """In process with byte streams, as a real process has: (code, stdout bytes, stderr)."""
    out, err = io.TextIOWrapper(io.BytesIO()), io.StringIO()
    streams = Streams(stdout=out, stderr=err, stdin=io.TextIOWrapper(io.BytesIO(stdin)))
    environ = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": BASE_URL}
    code = run(list(args), Runtime(environ, workdir, streams, httpx.MockTransport(fake.handler)))
    out.flush()
    return code, out.buffer.getvalue(), err.getvalue()  # type: ignore[attr-defined]


# -- files, both ways -----------------------------------------------------------------------------


def test_a_file_goes_up_to_a_path_relative_to_the_work_dir_and_comes_back_the_same(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # binary, a few MiB, not a multiple of any chunk
    (isolated / "blob.bin").write_bytes(data)
    up = cli("sandbox", "cp", "blob.bin", "box:in/blob.bin")
    assert (up.exit_code, up.stdout, up.stderr) == (0, "", "")
    assert remote(fake, f"{HOME}/in/blob.bin").read_bytes() == data
    [request] = fake.requests_to("POST", UPLOAD)
    assert request.url.params["path"] == f"{HOME}/in/blob.bin"  # resolved against /work-dir
    assert request.headers["content-type"] == "application/octet-stream"
    assert request.headers["content-length"] == str(len(data))
    down = cli("sandbox", "cp", "box:in/blob.bin", "copy.bin")
    assert (down.exit_code, down.stdout, down.stderr) == (0, "", "")
    assert (isolated / "copy.bin").read_bytes() == data
    assert leftovers(isolated) == []


def test_a_download_keeps_the_files_mode_and_lands_inside_an_existing_folder(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    script = remote(fake, "/opt/run.sh")
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o750)
    (isolated / "bin").mkdir()
    result = cli("sandbox", "cp", "box:/opt/run.sh", "bin")
    assert result.exit_code == 0, result
    assert (isolated / "bin" / "run.sh").read_text() == "#!/bin/sh\necho hi\n"
    assert stat.S_IMODE((isolated / "bin" / "run.sh").stat().st_mode) == 0o750


def test_home_relative_and_into_a_folder_paths_resolve_as_in_the_sandbox(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    (isolated / "note.txt").write_text("n")
    remote(fake, "/srv/drop").mkdir(parents=True)
    for dest, landed in [
        ("box:~/notes/n1.txt", f"{HOME}/notes/n1.txt"),
        ("box:/srv/drop", "/srv/drop/note.txt"),  # an existing folder
        ("box:/srv/new/", "/srv/new/note.txt"),  # a trailing slash means a folder
        ("box:", f"{HOME}/note.txt"),  # the work directory itself
    ]:
        assert cli("sandbox", "cp", "note.txt", dest).exit_code == 0, dest
        assert remote(fake, landed).read_text() == "n", dest
    assert len(fake.requests_to("GET", "/toolbox-proxy/*/user-home-dir")) == 1


def test_stdin_goes_up_and_stdout_comes_down_as_bytes(
    fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    data = bytes(range(256)) * 1000
    code, out, err = run_bytes(fake, isolated, "sandbox", "cp", "-", "box:/tmp/raw", stdin=data)
    assert (code, out, err) == (0, b"", "")
    assert remote(fake, "/tmp/raw").read_bytes() == data
    code, out, err = run_bytes(fake, isolated, "sandbox", "cp", "box:/tmp/raw", "-")
    assert (code, out, err) == (0, data, "")


# -- folders --------------------------------------------------------------------------------------


def make_tree(root: Path) -> dict[str, bytes]:
    files = {"a.txt": b"alpha\n", "sub/b.bin": os.urandom(70_000), "sub/deeper/c": b""}
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "empty").mkdir()
    (root / "sub").chmod(0o750)
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_a_folder_goes_up_and_down_with_r_keeping_folder_modes(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    expected = make_tree(isolated / "proj")
    assert cli("sandbox", "cp", "-r", "proj", "box:/srv/proj").exit_code == 0
    assert read_tree(remote(fake, "/srv/proj")) == expected
    assert remote(fake, "/srv/proj/empty").is_dir()
    folders = fake.requests_to("POST", "/toolbox-proxy/*/files/folder")
    modes = {r.url.params["path"]: r.url.params["mode"] for r in folders}
    assert modes["/srv/proj/sub"] == "750"
    result = cli("sandbox", "cp", "-r", "box:/srv/proj", "back")
    assert result.exit_code == 0, result
    assert read_tree(isolated / "back") == expected
    assert (isolated / "back" / "empty").is_dir()
    assert stat.S_IMODE((isolated / "back" / "sub").stat().st_mode) == 0o750
    # Into an existing folder, a folder lands under its own name.
    assert cli("sandbox", "cp", "-r", "box:/srv/proj", "back").exit_code == 0
    assert read_tree(isolated / "back" / "proj") == expected


def test_a_folder_without_r_is_refused_with_a_hint(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/srv/logs").mkdir(parents=True)
    (isolated / "here").mkdir()
    down = cli("sandbox", "cp", "box:/srv/logs", "out")
    up = cli("sandbox", "cp", "here", "box:/srv/here")
    for result in (down, up):
        assert (result.exit_code, result.stdout) == (1, "")
        assert "is a folder; copy it with -r" in result.stderr
    assert not (isolated / "out").exists()
    assert fake.requests_to("POST", UPLOAD) == []


def test_links_to_folders_are_left_out_with_a_warning(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    make_tree(isolated / "proj")
    (isolated / "proj" / "loop").symlink_to(isolated / "proj")
    result = cli("sandbox", "cp", "-r", "proj", "box:/srv/proj")
    assert result.exit_code == 0, result
    assert result.stderr.startswith("warning: ") and "loop" in result.stderr
    assert not remote(fake, "/srv/proj/loop").exists()


# -- errors ---------------------------------------------------------------------------------------


def test_a_missing_remote_path_exits_3_naming_it_and_writes_nothing(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    result = cli("sandbox", "cp", "box:/nope/file", "here")
    assert (result.exit_code, result.stdout) == (3, "")
    assert "box:/nope/file" in result.stderr and "no such file" in result.stderr
    assert list(isolated.iterdir()) == []


def test_a_local_path_that_cannot_be_written_exits_1_with_the_os_reason(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/f").write_text("x")
    (isolated / "file.txt").write_text("in the way")
    result = cli("sandbox", "cp", "box:/f", "file.txt/inside")
    assert (result.exit_code, result.stdout) == (1, "")
    assert (
        result.stderr.strip() == f"error: cannot write {isolated}/file.txt/inside: Not a directory"
    )


def test_a_missing_local_source_exits_1_with_the_os_reason(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = cli("sandbox", "cp", "ghost.txt", "box:/x")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: cannot read ghost.txt: No such file or directory"
    assert fake.requests_to("POST", UPLOAD) == []


@pytest.mark.parametrize("interruption", ["network", "ctrl-c"])
def test_an_interrupted_download_leaves_the_old_file_and_no_partial_one(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path,
    monkeypatch: pytest.MonkeyPatch, interruption: str,
) -> None:  # fmt: skip
    from daytona_cli.client import transfer

    remote(fake, "/big").write_bytes(os.urandom(2 * 1024 * 1024))
    (isolated / "big").write_bytes(b"the old content")
    real_body = transfer._body

    def cut_after_the_first_chunk(http: Any, response: Any) -> Any:
        chunks = real_body(http, response)
        yield next(chunks)
        if interruption == "ctrl-c":
            raise KeyboardInterrupt
        raise CliError(Category.NETWORK, "cannot reach the proxy: connection lost")

    monkeypatch.setattr(transfer, "_body", cut_after_the_first_chunk)
    result = cli("sandbox", "cp", "box:/big", "big")
    assert result.exit_code == (130 if interruption == "ctrl-c" else 7), result
    assert (isolated / "big").read_bytes() == b"the old content"
    assert sorted(p.name for p in isolated.iterdir()) == ["big"]


def test_a_stopped_sandbox_is_a_conflict_with_a_hint(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("cold", state="stopped")
    result = cli("sandbox", "cp", "cold:/x", "x")
    assert result.exit_code == 5
    assert "sandbox start cold" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("a:/x", "b:/y"), "both paths are in sandboxes"),
        (("here", "there"), "neither path is in a sandbox"),
        (("./box:x", "y"), "neither path is in a sandbox"),  # ./ makes it local
        (("dir/box:x", "y"), "neither path is in a sandbox"),  # so does a / before the :
        (("", "box:/y"), "an empty path"),
    ],
)
def test_which_side_is_which_is_decided_before_any_request(
    cli: Cli, fake: FakeDaytona, args: tuple[str, str], message: str
) -> None:
    result = cli("sandbox", "cp", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert fake.requests == []


def test_a_local_file_named_with_a_colon_is_copied_when_written_dot_slash(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    (isolated / "a:b").write_text("colon")
    assert cli("sandbox", "cp", "./a:b", "box:/tmp/").exit_code == 0
    assert remote(fake, "/tmp/a:b").read_text() == "colon"
    result = cli("sandbox", "cp", "a:b", "box:/tmp/")  # `a` is taken as a sandbox
    assert result.exit_code == 2
    assert "both paths are in sandboxes" in result.stderr


def test_stdin_to_a_remote_folder_needs_a_file_name(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = cli("sandbox", "cp", "-", "box:/tmp", stdin="x")
    assert result.exit_code == 1
    assert "name the file" in result.stderr
    assert fake.requests_to("POST", UPLOAD) == []


# -- progress ----------------------------------------------------------------------------------


def test_progress_shows_on_a_terminal_only_and_never_on_stdout(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/data.bin").write_bytes(os.urandom(300_000))
    piped = cli("sandbox", "cp", "box:/data.bin", "piped.bin")
    shown = cli("sandbox", "cp", "box:/data.bin", "shown.bin", tty=True)
    assert (piped.exit_code, piped.stdout, piped.stderr) == (0, "", "")
    assert (shown.exit_code, shown.stdout) == (0, "")
    assert "data.bin" in shown.stderr and "kB" in shown.stderr
    assert (isolated / "shown.bin").read_bytes() == (isolated / "piped.bin").read_bytes()


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def frames(painted: str, name: str) -> list[str]:
    """Each drawing of the progress bar for ``name`` on a terminal, without colours."""
    lines = re.split(r"[\r\n]", ANSI.sub("", painted))
    return [" ".join(line.split()) for line in lines if line.startswith(name)]


def test_progress_shows_bytes_rate_and_time_left_measured_on_the_runs_clock(
    fake: FakeDaytona, box: dict[str, Any], isolated: Path, clock: VirtualClock
) -> None:
    chunk = 256 * 1024
    remote(fake, "/data.bin").write_bytes(data := os.urandom(4 * chunk))
    err = io.StringIO()
    served = fake.handler

    def drawn(text: str) -> None:
        """Wait for the bar (redrawn by rich's own thread) to show ``text``."""
        deadline = time.monotonic() + 10
        while not any(text in frame for frame in frames(err.getvalue(), "data.bin")):
            assert time.monotonic() < deadline, err.getvalue()
            time.sleep(0.01)

    def one_chunk_a_second(request: httpx.Request) -> httpx.Response:
        """The download, a quarter of it per second of the run's (virtual) clock."""
        response = served(request)
        if not request.url.path.endswith("/files/download"):
            return response
        body = response.read()

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), chunk):
                if start == 2 * chunk:  # half of it came in 2 s: 2 s more to go
                    drawn("0.5/1.0 MB")
                clock.advance(1.0)
                yield body[start : start + chunk]

        return httpx.Response(200, headers=response.headers, content=chunks())

    out = io.StringIO()
    streams = Streams(stdout=out, stderr=err, stdin=io.StringIO(), stderr_tty=True, width=100)
    environ = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": BASE_URL}
    runtime = Runtime(environ, isolated, streams, httpx.MockTransport(one_chunk_a_second),
                      clock=clock.as_clock())  # fmt: skip
    code = run(["sandbox", "cp", "box:/data.bin", "out.bin"], runtime)
    assert (code, out.getvalue()) == (0, "")
    assert (isolated / "out.bin").read_bytes() == data
    shown = frames(err.getvalue(), "data.bin")
    assert shown[0].endswith(" 0.0/1.0 MB ? -:--:--")  # no rate yet, so no time left
    assert any(frame.endswith(" 0.5/1.0 MB 262.1 kB/s 0:00:02") for frame in shown), shown
    assert shown[-1].endswith(" 1.0/1.0 MB 262.1 kB/s 0:00:00")
    assert err.getvalue().endswith("\x1b[2K")  # the bar is wiped away at the end
    assert [request.url.path for request in fake.requests_to("GET", DOWNLOAD)] == [
        f"/toolbox/{box['id']}/files/download"
    ]


def test_cp_help_documents_both_forms(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "cp", "--help")
    text = " ".join(result.stdout.split())
    for fragment in ("SANDBOX:PATH", "-r, --recursive", "./a:b", "stdout", "stdin"):
        assert fragment in text
    assert fake.requests == []


def test_a_destination_that_is_not_a_regular_file_is_written_in_place(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any], isolated: Path
) -> None:
    remote(fake, "/f").write_bytes(b"x" * 100_000)
    result = cli("sandbox", "cp", "box:/f", os.devnull)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)  # never replaced by a regular file
