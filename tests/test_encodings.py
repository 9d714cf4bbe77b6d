"""Any terminal encoding (issue 9, promise 7): with a stdout that cannot encode everything
(cp1252, as Windows' redirected output; ASCII, as under LANG=C), exec output is written as the
bytes received and other text degrades to backslash escapes; nothing ends in an internal error
and no output is lost. The same for what else a process may be started with: arguments that
are not UTF-8 (a usage error) and standard streams that are closed (taken for /dev/null).
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import httpx
import pytest

from daytona_cli.app import run
from daytona_cli.context import Runtime
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, BASE_URL, CLI, Cli
from tests.fake_daytona import FakeDaytona
from tests.faults_helpers import installed_env
from tests.test_readme import says

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


# -- arguments that are not UTF-8 ------------------------------------------------------------

# How Python hands over argv bytes that do not decode (b"x\xffy"): a surrogate escape.
NOT_UTF8 = "x\udcffy"


@pytest.mark.parametrize(
    ("argv", "code", "named"),
    [
        (["sandbox", "get", NOT_UTF8], 2, "'NAME_OR_ID'"),
        (["sandbox", "list", "--name", NOT_UTF8], 2, "'--name'"),
        (["sandbox", "create", "--label", f"a={NOT_UTF8}"], 2, "'--label' / '-l'"),
        (["sandbox", "exec", "box", "--merged", "--", "echo", NOT_UTF8], 125, "'-- COMMAND [ARG...]'"),
        (["sandbox", "exec", "box", "--", "echo", NOT_UTF8], 125, "'-- COMMAND [ARG...]'"),
    ],
    ids=["argument", "option", "label", "exec-merged", "exec"],
)  # fmt: skip
def test_an_argument_that_is_not_utf8_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, argv: list[str], code: int, named: str
) -> None:
    fake.add_sandbox("box")
    result = cli(*argv)
    assert (result.exit_code, result.stdout) == (code, "")
    usage, error = result.stderr.splitlines()
    assert usage.startswith(f"Usage: daytona-cli {argv[0]} {argv[1]} ")
    assert error == (
        f"error: Invalid value for {named}: '{'a=' if 'label' in named else ''}x\\xffy' is not "
        f"valid UTF-8 text, which the Daytona API needs; see `daytona-cli {argv[0]} {argv[1]} "
        "--help`"
    )
    assert fake.requests == []


def test_under_json_an_argument_that_is_not_utf8_is_a_json_usage_error(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "list", "--json", "--name", NOT_UTF8)
    assert (result.exit_code, result.stdout) == (2, "")
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["hint"]) == ("usage", "see `daytona-cli sandbox list --help`")
    assert "'x\\xffy' is not valid UTF-8 text" in error["message"]
    assert fake.requests == []


def test_the_installed_command_given_raw_bytes_says_so_in_one_line(
    fake: FakeDaytona, served: str
) -> None:
    fake.add_sandbox("box")
    proc = subprocess.run(
        [bytes(CLI), b"sandbox", b"get", b"x\xffy"],
        capture_output=True,
        env=installed_env(served),
        stdin=subprocess.DEVNULL,
        timeout=30,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr.splitlines()[-1] == (
        b"error: Invalid value for 'NAME_OR_ID': 'x\\xffy' is not valid UTF-8 text, which the "
        b"Daytona API needs; see `daytona-cli sandbox get --help`"
    )
    assert fake.requests == []


def test_the_readme_says_how_arguments_and_closed_streams_are_taken() -> None:
    says("one that is not (bytes that do not decode) is a usage error naming it, exit 2 (125")
    says("`cp` words its own error for a path that is not UTF-8 (see `sandbox cp`).")
    says("A stream the CLI is started without (`>&-`, `2>&-`, `<&-`) is taken for /dev/null")


# -- streams the process was started without -------------------------------------------------


def run_closing(redirect: str, *args: str, url: str) -> subprocess.CompletedProcess[bytes]:
    """The installed command with some of its standard streams closed by the shell (`>&-`);
    what it writes to the ones left open is captured."""
    return subprocess.run(
        ["/bin/sh", "-c", f'exec "$0" "$@" {redirect}', str(CLI), *args],
        capture_output=True,
        env=installed_env(url),
        stdin=subprocess.DEVNULL,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("redirect", [">&-", ">&- 2>&-"])
def test_a_closed_stdout_drops_the_output_and_keeps_the_exit_code(
    fake: FakeDaytona, served: str, redirect: str
) -> None:
    assert run_closing(redirect, "--version", url=served).returncode == 0
    fake.add_sandbox("box")
    listed = run_closing(redirect, "sandbox", "list", url=served)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, b"", b"")
    assert len(fake.requests_to("GET", "/sandbox")) == 1
    ran = run_closing(redirect, "sandbox", "exec", "box", "--", "echo hi; exit 3", url=served)
    assert (ran.returncode, ran.stdout, ran.stderr) == (3, b"", b"")


def test_a_closed_stderr_keeps_the_exit_code_of_a_failure(fake: FakeDaytona, served: str) -> None:
    missing = run_closing("2>&-", "sandbox", "get", "ghost", url=served)
    assert (missing.returncode, missing.stdout, missing.stderr) == (3, b"", b"")
    assert len(fake.requests_to("GET", "/sandbox/ghost")) == 1


def test_a_closed_stdin_reads_as_empty(fake: FakeDaytona, served: str) -> None:
    fake.add_sandbox("box")
    counted = run_closing("<&-", "sandbox", "exec", "-i", "box", "--", "wc", "-c", url=served)
    assert (counted.returncode, counted.stdout.split(), counted.stderr) == (0, [b"0"], b"")
