"""Any terminal encoding (issue 9, promise 7): with a stdout that cannot encode everything
(cp1252, as Windows' redirected output; ASCII, as under LANG=C), exec output is written as the
bytes received and other text degrades to backslash escapes; nothing ends in an internal error
and no output is lost.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from daytona_cli.app import run
from daytona_cli.context import Runtime
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, BASE_URL
from tests.fake_daytona import FakeDaytona

NAME = "naïve-名前"


def run_encoded(
    fake: FakeDaytona, workdir: Path, encoding: str, *args: str
) -> tuple[int, bytes, str]:
    """Run in process with stdout and stderr as strict ``encoding`` text over bytes, the way a
    real process's streams are; returns the exit code, stdout's bytes and stderr's text."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
    stderr = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
    environ = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": BASE_URL}
    streams = Streams.from_files(stdout, stderr, io.StringIO(), environ)
    runtime = Runtime(environ, workdir, streams, transport=httpx.MockTransport(fake.handler))
    code = run(list(args), runtime)
    stdout.flush()
    stderr.flush()
    out = stdout.buffer.getvalue()  # type: ignore[attr-defined]
    err = stderr.buffer.getvalue().decode(encoding)  # type: ignore[attr-defined]
    return code, out, err


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_list_with_names_the_terminal_cannot_encode_degrades_to_escapes(
    fake: FakeDaytona, isolated: Path, encoding: str
) -> None:
    fake.add_sandbox(NAME)
    code, out, err = run_encoded(fake, isolated, encoding, "sandbox", "list")
    assert (code, err) == (0, ""), err
    line = out.decode(encoding)
    assert "\\u540d\\u524d" in line  # 名前, escaped
    assert line.startswith("na\\xefve" if encoding == "ascii" else "naïve")


def test_json_under_cp1252_is_still_json_with_the_same_names(
    fake: FakeDaytona, isolated: Path
) -> None:
    fake.add_sandbox(NAME)
    code, out, err = run_encoded(fake, isolated, "cp1252", "sandbox", "list", "--json")
    assert (code, err) == (0, ""), err
    assert [item["name"] for item in json.loads(out.decode("cp1252"))] == [NAME]


def test_exec_output_is_written_as_the_bytes_received_whatever_the_encoding(
    fake: FakeDaytona, isolated: Path
) -> None:
    fake.add_sandbox("box")
    code, out, err = run_encoded(
        fake,
        isolated,
        "cp1252",
        "sandbox",
        "exec",
        "--merged",
        "box",
        "--",
        "printf",
        "h\u00e9llo \u540d\\n",
    )
    assert (code, err) == (0, ""), err
    assert out == "h\u00e9llo \u540d\n".encode()


def test_an_error_naming_what_the_terminal_cannot_encode_is_still_one_line(
    fake: FakeDaytona, isolated: Path
) -> None:
    code, out, err = run_encoded(fake, isolated, "ascii", "sandbox", "get", NAME)
    assert (code, out) == (3, b"")
    (line,) = err.splitlines()
    assert line.startswith("error: ") and "\\u540d" in line
