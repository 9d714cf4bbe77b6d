"""`daytona-cli sandbox exec`'s default route: a toolbox session whose output streams.

The fake is served on loopback (a log WebSocket needs real sockets) and runs each command in a
real shell, so outputs, exit codes and kills are the genuine article. Liveness is shown by the
order of events (the command waits for a file the test makes only once the first output has
arrived), never by wall-clock time; the one timeout here runs on a clock that can only move
once the output has been seen. Ctrl-C and typed input need a real process (a signal, a pty).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.app import run
from daytona_cli.clock import Clock
from daytona_cli.commands.sandbox.exec_stream import INPUT_ENDED
from daytona_cli.context import Runtime
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, CLI, Cli
from tests.fake_daytona import FakeDaytona
from tests.test_readme import says

SESSION = "/toolbox-proxy/*/process/session"
SESSION_EXEC = "/toolbox-proxy/*/process/session/*/exec"
EXECUTE = "/toolbox-proxy/*/process/execute"
UPLOAD = "/toolbox-proxy/*/files/upload-v2"


@pytest.fixture
def box(fake: FakeDaytona) -> dict[str, Any]:
    return fake.add_sandbox("box")


def started_commands(fake: FakeDaytona) -> list[str]:
    """The command lines the session exec calls carried."""
    return [json.loads(r.content)["command"] for r in fake.requests_to("POST", SESSION_EXEC)]


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


# -- output: stdout and stderr apart, byte for byte, live ----------------------------------------


def test_stdout_and_stderr_arrive_apart_and_the_exit_code_passes_through(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli(
        "sandbox", "exec", "box", "--", "echo out; echo err >&2; printf tail; false"
    )
    assert (result.exit_code, result.stdout, result.stderr) == (1, "out\ntail", "err\n")
    assert fake.sessions_of("box") == []  # the session was deleted afterwards
    [created] = fake.requests_to("POST", SESSION)
    assert json.loads(created.content)["sessionId"].startswith("daytona-cli-")
    [logs] = fake.requests_to("GET", "/toolbox-proxy/*/process/session/*/command/*/logs")
    assert logs.url.params["follow"] == "true"
    assert logs.headers["x-daytona-split-output"] == "true"
    assert "x-daytona-sdk-version" not in logs.headers  # never pretending to be the SDK


@pytest.mark.parametrize("code", [0, 3, 42])
def test_the_remote_exit_code_is_passed_through(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any], code: int
) -> None:
    result = served_cli("sandbox", "exec", "box", "--", "sh", "-c", f"echo before; exit {code}")
    assert (result.exit_code, result.stdout, result.stderr) == (code, "before\n", "")


def test_a_command_that_ends_the_shell_itself_still_reports_its_exit_code(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "box", "--", "echo bye; exit 5")
    assert (result.exit_code, result.stdout, result.stderr) == (5, "bye\n", "")
    assert fake.requests_to("GET", "/toolbox-proxy/*/process/session/*/command/*") != []


def test_a_command_killed_by_a_signal_keeps_its_output_and_exits_126(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "box", "--", "echo partial; kill -9 $$")
    assert (result.exit_code, result.stdout) == (126, "partial\n")
    assert one_line(result.stderr).startswith("error: the sandbox reported exit code -1")


BINARY = "printf 'h\\303\\251llo\\000\\377\\001\\002\\r\\033[31m no newline'"
BINARY_OUT = "h\u00e9llo\x00\ufffd\x01\x02\r\x1b[31m no newline"


@pytest.mark.parametrize(
    "frames", [{}, {"ws_chunk_size": 1}, {"ws_chunk_size": 2}], ids=["whole", "bytes", "pairs"]
)
def test_output_is_byte_exact_however_the_stream_cuts_its_messages(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any], frames: dict[str, int]
) -> None:
    for name, value in frames.items():
        setattr(fake, name, value)
    result = served_cli("sandbox", "exec", "box", "--", BINARY + "; printf 'e\\001rr' >&2")
    # The in-process runner's streams are text: bytes that are not UTF-8 show as U+FFFD.
    assert (result.exit_code, result.stdout, result.stderr) == (0, BINARY_OUT, "e\x01rr")


def test_text_frames_are_taken_as_their_utf8_bytes(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    fake.ws_text_frames = True
    result = served_cli("sandbox", "exec", "box", "--", "printf 'h\\303\\251 \\360\\237\\221\\213'")
    assert (result.exit_code, result.stdout) == (0, "h\u00e9 \U0001f44b")


def test_output_through_the_installed_command_is_the_exact_bytes(
    fake: FakeDaytona, served: str, box: dict[str, Any]
) -> None:
    proc = subprocess.run(
        [str(CLI), "sandbox", "exec", "box", "--", BINARY + "; printf '\\377e' >&2"],
        capture_output=True,
        env={**os.environ, "DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served},
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"h\xc3\xa9llo\x00\xff\x01\x02\r\x1b[31m no newline"
    assert proc.stderr == b"\xffe"


class LiveStream:
    """A text stream with a byte ``buffer`` (as a real stdout), whose writes a test can wait for."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.changed = threading.Condition()
        self.buffer = self

    def write(self, data: str | bytes) -> int:
        with self.changed:
            self.data += data.encode() if isinstance(data, str) else data
            self.changed.notify_all()
        return len(data)

    def flush(self) -> None:
        pass

    def wait_for(self, text: bytes, timeout: float = 30) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: text in self.data, timeout)


def start_live(
    url: str, workdir: Path, *args: str, clock: Clock | None = None
) -> tuple[LiveStream, LiveStream, Callable[[], int]]:
    """Start the CLI in a thread against the served fake; returns its stdout, stderr and a
    function that waits for its exit code."""
    out, err = LiveStream(), LiveStream()
    environ = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url}
    streams = Streams(stdout=out, stderr=err, stdin=io.StringIO())  # type: ignore[arg-type]
    runtime = Runtime(environ, workdir, streams, clock=clock or Clock())
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(run(list(args), runtime)), daemon=True)
    thread.start()

    def finish() -> int:
        thread.join(60)
        assert codes, "the CLI did not finish"
        return codes[0]

    return out, err, finish


def test_output_arrives_while_the_command_still_runs_and_stderr_keeps_its_place(
    fake: FakeDaytona, served: str, isolated: Path, box: dict[str, Any]
) -> None:
    fake.follow_close_delay = 0.05
    go = fake.host_path("box", "go")
    line = "echo first; while [ ! -e go ]; do sleep 0.01; done; echo second >&2; echo third"
    out, err, finish = start_live(served, isolated, "sandbox", "exec", "box", "--", line)
    assert out.wait_for(b"first\n"), "the first line never arrived while the command ran"
    assert bytes(err.data) == b""  # the command is still waiting: nothing more has been written
    assert fake.sessions_of("box") != []
    go.touch()
    assert finish() == 0
    assert (bytes(out.data), bytes(err.data)) == (b"first\nthird\n", b"second\n")


# -- what the command is given: quoting, --cwd, --env ---------------------------------------------


def test_quoting_survives_and_the_line_is_sent_unchanged_inside_its_wrapper(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    argv = ["printf", "%s|", "two  spaces", 'it\'s "quoted"', "$HOME", "*", "a;b", "}", "fi"]
    result = served_cli("sandbox", "exec", "box", "--", *argv)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        'two  spaces|it\'s "quoted"|$HOME|*|a;b|}|fi|',
        "",
    )
    [command] = started_commands(fake)
    assert command.startswith("( eval " + shlex.quote(shlex.join(argv)) + "\n)")


@pytest.mark.parametrize(
    "line", ['echo "unterminated', "echo $((1+", "if true; then echo x", "echo ok; done", "true\n}"]
)
def test_a_syntax_error_in_the_line_is_reported_by_the_shell_and_does_not_hang(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any], line: str
) -> None:
    result = served_cli("sandbox", "exec", "box", "--", line)
    # The shell's own message, and its status (sh and bash say 2, zsh 1); not a CLI error.
    assert result.exit_code in (1, 2), result
    assert result.stdout == ""
    assert result.stderr.strip() and not result.stderr.startswith("error:"), result.stderr
    assert fake.sessions_of("box") == []


@pytest.mark.parametrize(
    ("cwd", "shown"), [("~", ""), ("~/sub dir", "/sub dir")], ids=["home", "under-home"]
)
def test_a_cwd_of_tilde_is_the_users_home(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any], cwd: str, shown: str
) -> None:
    home = fake.host_path("box", "/home/daytona")  # the default user's home
    (home / "sub dir").mkdir(parents=True, exist_ok=True)
    result = served_cli("sandbox", "exec", "box", "--cwd", cwd, "--", "pwd")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{home}{shown}\n", "")


def test_a_here_document_and_a_trailing_comment_keep_working(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    line = "cat <<EOF\nhere $((1 + 1))\nEOF\necho done # a comment"
    result = served_cli("sandbox", "exec", "box", "--", line)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "here 2\ndone\n", "")


def test_cwd_and_env_are_carried_in_the_command_line(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    place = fake.host_path("box", "sub dir")
    place.mkdir()
    value = 'it\'s $HOME; "x"'
    result = served_cli(
        "sandbox", "exec", "box", "--cwd", "sub dir", "-e", f"GREETING={value}", "-e", "N=2",
        "--", 'pwd; printf "%s|" "$GREETING" "$N"',
    )  # fmt: skip
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{place}\n{value}|2|", "")


def test_a_cwd_that_does_not_exist_exits_126_with_the_shells_reason(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "box", "--cwd", "no/such dir", "--", "echo", "never")
    assert (result.exit_code, result.stdout) == (126, "")
    assert "no/such dir" in one_line(result.stderr)


@pytest.mark.parametrize("pair", ["NOEQUALS", "1X=a", "A-B=c", "=v"])
def test_an_env_pair_the_shell_cannot_export_is_a_usage_error_before_any_request(
    served_cli: Cli, fake: FakeDaytona, pair: str
) -> None:
    result = served_cli("sandbox", "exec", "box", "-e", pair, "--", "true")
    assert result.exit_code == 125
    assert "KEY=VALUE" in result.stderr
    assert fake.requests == []


# -- stdin -----------------------------------------------------------------------------------------


def test_piped_stdin_reaches_a_command_that_reads_to_the_end(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "-i", "box", "--", "wc", "-l", stdin="a\nb\n")
    assert (result.exit_code, result.stdout.strip(), result.stderr) == (0, "2", "")
    [upload] = fake.requests_to("POST", UPLOAD)
    assert upload.url.params["path"].startswith("/home/daytona/.cache/daytona-cli/stdin-")
    assert upload.content == b"a\nb\n"
    # The file is gone again, and the command never echoed the input.
    assert list(fake.host_path("box", "/home/daytona/.cache/daytona-cli").iterdir()) == []
    assert json.loads(fake.requests_to("POST", SESSION_EXEC)[0].content)["suppressInputEcho"]


def test_without_i_the_command_reads_an_empty_stdin_and_does_not_hang(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "box", "--", "cat; echo done", stdin="ignored\n")
    assert (result.exit_code, result.stdout) == (0, "done\n")
    assert fake.requests_to("POST", UPLOAD) == []


@contextlib.contextmanager
def on_a_typing_terminal(served: str, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The installed command with stdin on a pseudo-terminal (stdout and stderr piped): the
    process and the terminal's other end, to type into; killed if still running at the end."""
    parent, child = os.openpty()
    with subprocess.Popen(
        [str(CLI), *args],
        stdin=child,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served},
    ) as proc:
        os.close(child)
        try:
            yield proc, parent
        finally:
            os.close(parent)
            if proc.poll() is None:
                proc.kill()


def test_typed_lines_are_forwarded_as_they_come(
    fake: FakeDaytona, served: str, box: dict[str, Any]
) -> None:
    line = 'read a; echo "got $a"; read b; echo "got $b"'
    with on_a_typing_terminal(served, "sandbox", "exec", "-i", "box", "--", line) as (proc, tty):
        assert proc.stdout is not None
        os.write(tty, b"one\n")
        assert proc.stdout.readline() == b"got one\n"  # answered before the next is typed
        os.write(tty, b"two\n")
        assert proc.stdout.readline() == b"got two\n"
        assert proc.wait(60) == 0
    inputs = fake.requests_to("POST", "/toolbox-proxy/*/process/session/*/command/*/input")
    assert [json.loads(r.content) for r in inputs] == [{"data": "one\n"}, {"data": "two\n"}]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sandbox", "exec", "-i", "--merged", "box", "--", "wc -l"], b"2\n"),
        (["sandbox", "cp", "-", "box:typed.txt"], b""),
    ],
    ids=["exec -i --merged", "cp -"],
)
def test_typed_input_read_to_its_end_ends_at_the_first_ctrl_d(
    fake: FakeDaytona, served: str, box: dict[str, Any], args: list[str], expected: bytes
) -> None:
    with on_a_typing_terminal(served, *args) as (proc, tty):
        os.write(tty, b"a\nb\n\x04")  # one Ctrl-D, at the start of a line
        out, err = proc.communicate(timeout=30)  # a second Ctrl-D was needed: times out
    assert (proc.returncode, out) == (0, expected), err
    if args[1] == "cp":
        assert fake.host_path("box", "typed.txt").read_bytes() == b"a\nb\n"


def test_ctrl_d_on_a_terminal_says_the_command_runs_on_and_how_to_end_it(
    fake: FakeDaytona, served: str, box: dict[str, Any]
) -> None:
    line = 'read a; echo "got $a"; read b'
    with on_a_typing_terminal(served, "sandbox", "exec", "-i", "box", "--", line) as (proc, tty):
        assert proc.stdout is not None and proc.stderr is not None
        os.write(tty, b"one\n")
        assert proc.stdout.readline() == b"got one\n"
        os.write(tty, b"\x04")  # Ctrl-D at the start of a line: end of input
        ready, _, _ = select.select([proc.stderr], [], [], 30)
        assert ready, "nothing said after Ctrl-D"
        said = proc.stderr.readline().decode()
        assert said == f"{INPUT_ENDED}\n"
        assert proc.poll() is None  # the command still waits for its second line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130


# -- timeout, Ctrl-C and failures: the session is always deleted ---------------------------------


def still_running(pid_file: Path) -> bool:
    """Whether the process whose ID the command wrote is alive (a zombie counts as ended)."""
    try:
        stat = Path(f"/proc/{int(pid_file.read_text())}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class ClockAfter:
    """A clock that stands still (really waiting) until ``ready`` is set, then races ahead:
    a timeout can only fire once the output the test is looking for has arrived."""

    def __init__(self, ready: Callable[[], bool]) -> None:
        self.ready = ready
        self.now = 1000.0

    def monotonic(self) -> float:
        if self.ready():
            self.now += 1.0  # every look at the clock, once ready, is a second later
        return self.now

    def sleep(self, seconds: float) -> None:
        if self.ready():
            self.now += seconds
        else:
            threading.Event().wait(min(seconds, 0.01))


def test_a_timeout_kills_the_command_keeps_what_it_printed_and_exits_124(
    fake: FakeDaytona, served: str, isolated: Path, box: dict[str, Any]
) -> None:
    seen: list[LiveStream] = []
    clock = ClockAfter(lambda: bool(seen) and b"before" in seen[0].data)
    pid = fake.host_path("box", "pid")
    line = "sleep 30 & echo $! > pid; echo before; wait; echo after"
    args = ("sandbox", "exec", "box", "--timeout", "5", "--", line)
    out, err, finish = start_live(
        served, isolated, *args, clock=Clock(clock.monotonic, clock.sleep)
    )
    seen.append(out)
    assert finish() == 124
    assert bytes(out.data) == b"before\n"
    line = one_line(err.data.decode())
    assert line.startswith("error: the command timed out after 5 s and was killed")
    assert fake.sessions_of("box") == []
    assert not still_running(pid)
    [deleted] = fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*")
    assert deleted.url.path.endswith(
        json.loads(fake.requests_to("POST", SESSION)[0].content)["sessionId"]
    )


def test_a_timeout_under_json_puts_the_output_so_far_in_the_json_and_says_so(
    fake: FakeDaytona, served: str, isolated: Path, box: dict[str, Any]
) -> None:
    started = fake.host_path("box", "started")
    clock = ClockAfter(started.exists)
    args = ("sandbox", "exec", "box", "--json", "--timeout", "5", "--", "touch started; sleep 30")
    out, err, finish = start_live(
        served, isolated, *args, clock=Clock(clock.monotonic, clock.sleep)
    )
    assert finish() == 124
    assert json.loads(bytes(out.data)) == {"exitCode": None, "stdout": "", "stderr": ""}
    error = json.loads(one_line(bytes(err.data).decode()))["error"]
    assert error["code"] == "timeout"
    assert error["message"] == (
        "the command timed out after 5 s and was killed; its output so far is in the JSON on stdout"
    )


@pytest.mark.parametrize(
    ("sent", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_or_sigterm_kills_the_remote_command_says_so_and_exits_130_or_143(
    fake: FakeDaytona, served: str, box: dict[str, Any], sent: int, code: int, word: str
) -> None:
    pid = fake.host_path("box", "pid")
    line = "sleep 30 & echo $! > pid; echo started; wait"
    with subprocess.Popen(
        [str(CLI), "sandbox", "exec", "box", "--", line],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served},
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline() == b"started\n"
        proc.send_signal(sent)
        assert proc.wait(30) == code
        message = proc.stderr.read().decode().strip()
    assert message == f"error: {word}; the remote command was killed"
    assert fake.sessions_of("box") == []
    assert len(fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*")) == 1
    # Killed, not just abandoned: the session's shell and its children are gone.
    assert not still_running(pid)


def test_a_lost_answer_to_the_session_exec_may_have_run_and_the_session_is_still_deleted(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    fake.inject("POST", SESSION_EXEC, drop=True)
    result = served_cli("sandbox", "exec", "box", "--", "echo", "once")
    assert (result.exit_code, result.stdout) == (125, "")
    assert "may have run" in one_line(result.stderr)
    assert len(fake.requests_to("POST", SESSION_EXEC)) == 1  # never sent again
    assert fake.sessions_of("box") == []


def test_a_remote_125_and_a_lost_answer_share_the_code_but_not_stdout_or_stderr(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    """The README's exact claim: 125 is also a code a command may use; stderr and --json's
    stdout tell the two apart."""
    remote = served_cli("sandbox", "exec", "box", "--json", "--", "echo ran; exit 125")
    assert (remote.exit_code, remote.stderr) == (125, "")
    assert remote.json() == {"exitCode": 125, "stdout": "ran\n", "stderr": ""}
    fake.lose_answer("POST", SESSION_EXEC)  # the command starts; its answer never arrives
    lost = served_cli("sandbox", "exec", "box", "--json", "--", "touch ran-once")
    assert (lost.exit_code, lost.stdout) == (125, "")
    error = json.loads(lost.stderr)["error"]
    assert error["message"].startswith("lost the answer (")
    assert error["message"].endswith("): the command may have run")
    assert len(fake.requests_to("POST", SESSION_EXEC)) == 2  # once per run: never sent again
    plain = served_cli("sandbox", "exec", "box", "--", "exit 125")
    assert (plain.exit_code, plain.stdout, plain.stderr) == (125, "", "")
    says("A command can exit with any of these codes itself (`exit 125`), so the code alone")
    says("while a failure of daytona-cli leaves stdout empty.")
    help_text = " ".join(served_cli("sandbox", "exec", "--help").stdout.split())
    assert "The command may exit with these codes too" in help_text


def test_exec_help_says_what_json_prints(cli: Cli) -> None:
    # Not the shared "the API's objects": exec prints its own object, at the end.
    text = " ".join(cli("sandbox", "exec", "--help").stdout.split())
    assert (
        "--json Print exitCode, stdout and stderr as one JSON object once the command has "
        "ended, instead of streaming its output."
    ) in text
    assert "API's objects" not in text


def test_json_gives_exit_code_stdout_and_stderr(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "box", "--json", "--", "echo o; echo e >&2; exit 4")
    assert (result.exit_code, result.stderr) == (4, "")
    assert result.json() == {"exitCode": 4, "stdout": "o\n", "stderr": "e\n"}


# -- the one-shot route, when there is no other -------------------------------------------------


@pytest.mark.parametrize("status", [404, 405])
def test_a_daemon_without_sessions_falls_back_to_the_one_shot_route_and_says_so(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any], status: int
) -> None:
    fake.inject("POST", SESSION, status=status)
    result = served_cli("sandbox", "exec", "box", "-e", "A=1", "--", "echo $A; echo e >&2")
    assert (result.exit_code, result.stdout) == (0, "1\ne\n")
    assert one_line(result.stderr).startswith("warning: the sandbox's daemon has no session API")
    [body] = [json.loads(r.content) for r in fake.requests_to("POST", EXECUTE)]
    assert body == {"command": "echo $A; echo e >&2", "envs": {"A": "1"}}


def test_ctrl_c_on_the_fallback_route_says_the_remote_command_may_still_be_running(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the run sets signal handlers only in the main thread")
    fake.inject("POST", SESSION, status=404)
    real = fake.handler

    def handler(request: httpx.Request) -> httpx.Response:
        response = real(request)
        if request.url.path.endswith("/process/execute"):
            response.close()
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # type: ignore[operator]
        return response

    fake.handler = handler  # type: ignore[method-assign]
    result = cli("sandbox", "exec", "box", "--", "true")
    assert (result.exit_code, result.stdout) == (130, "")
    warning, error = result.stderr.splitlines()
    assert warning.startswith("warning: the sandbox's daemon has no session API")
    # No hint to leave out --merged, which was not given.
    assert error == (
        "error: interrupted; the remote command may still be running: the one-shot route cannot "
        "stop it (it runs until it ends or the sandbox stops)"
    )
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("GET", "/api/sandbox/box"),
        ("POST", f"/toolbox/{box['id']}/process/session"),
        ("POST", f"/toolbox/{box['id']}/process/execute"),
    ]


def test_a_proxy_that_cannot_find_the_sandbox_is_an_error_not_a_fallback(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    fake.inject(
        "POST", SESSION, status=404,
        json={"statusCode": 404, "message": "Sandbox not found", "path": "/x",
              "timestamp": "2026-01-01T00:00:00Z", "source": "DAYTONA_PROXY"},
    )  # fmt: skip
    result = served_cli("sandbox", "exec", "box", "--", "echo", "hi")
    assert (result.exit_code, result.stdout) == (125, "")
    assert "Sandbox not found" in one_line(result.stderr)
    assert fake.requests_to("POST", EXECUTE) == []


def test_piped_stdin_works_on_the_one_shot_route_too(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("sandbox", "exec", "--merged", "-i", "box", "--", "wc -c", stdin="abc")
    assert (result.exit_code, result.stdout.strip()) == (0, "3")


def test_i_on_a_server_without_a_toolbox_proxy_is_a_clear_error(
    old_fake: FakeDaytona, isolated: Path
) -> None:
    old_fake.add_sandbox("vintage")
    result = Cli(old_fake, isolated)("sandbox", "exec", "-i", "vintage", "--", "cat", stdin="x")
    assert result.exit_code == 125
    assert "-i needs the sandbox's toolbox proxy" in result.stderr


# -- secrets -------------------------------------------------------------------------------------


def test_debug_shows_the_stream_but_never_the_key(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = served_cli("--debug", "sandbox", "exec", "box", "--", "echo", "hi")
    assert (result.exit_code, result.stdout) == (0, "hi\n")
    assert "(WebSocket)" in result.stderr
    assert "Bearer ***" in result.stderr
    assert API_KEY not in result.stderr + result.stdout


def test_in_process_without_sockets_the_refused_stream_is_a_clear_failure(
    cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "box", "--", "echo", "hi")
    assert (result.exit_code, result.stdout) == (125, "")
    assert "refused to stream" in one_line(result.stderr)
    assert fake.sessions_of("box") == []


# -- the README's examples --------------------------------------------------------------------


def test_the_readmes_exec_and_cp_examples_run(
    served_cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    from tests.test_readme import README

    fake.add_sandbox("demo")
    (isolated / "app.py").write_text("print('app')\n")
    (isolated / "src").mkdir()
    (isolated / "src" / "main.py").write_text("")
    home = fake.host_path("demo", "/home/daytona")
    (home / "results.csv").write_text("a,b\n")
    (home / "logs").mkdir()
    (home / "logs" / "run.log").write_text("ok\n")
    fake.host_path("demo", "/tmp/out.tgz").write_bytes(b"\x1f\x8b")
    found = []
    for line in README.splitlines():
        if line.startswith(("daytona-cli sandbox exec ", "daytona-cli sandbox cp ")):
            words = shlex.split(line.split("  #")[0])  # the command, without its comment
            found.append(words[1 : words.index("|")] if "|" in words else words[1:])
    # The fake runs commands on this machine, where /app is not the sandbox's.
    runnable = [
        argv for argv in found if not any(arg.startswith(("/app", "cd /app")) for arg in argv)
    ]
    assert len(runnable) >= 8
    for argv in runnable:
        result = served_cli(*argv)
        assert result.exit_code == 0, (argv, result)
    assert (fake.host_path("demo", "app.py")).read_text() == "print('app')\n"
    assert (isolated / "results.csv").read_text() == "a,b\n"
    assert (isolated / "logs" / "run.log").read_text() == "ok\n"


# -- start-up ----------------------------------------------------------------------------------


def test_only_a_streamed_exec_loads_the_websocket_library(
    fake: FakeDaytona, served: str, box: dict[str, Any]
) -> None:
    from tests.test_startup import imported_modules

    env = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": served}
    code, modules = imported_modules("sandbox", "exec", "--help")
    assert code == 0
    assert not {"httpx", "httpx_ws", "wsproto"} & modules
    code, modules = imported_modules("sandbox", "exec", "--merged", "box", "--", "true", env=env)
    assert code == 0
    assert "httpx" in modules and "httpx_ws" not in modules
    code, modules = imported_modules("sandbox", "exec", "box", "--", "true", env=env)
    assert code == 0
    assert "httpx_ws" in modules


# -- zsh, the shell of Daytona's default snapshots ----------------------------------------------

ZSH = os.environ.get("ZSH_FOR_TESTS") or shutil.which("zsh")


@pytest.mark.skipif(ZSH is None, reason="zsh is not installed (ZSH_FOR_TESTS names one)")
def test_quoting_cwd_env_stdin_and_exit_codes_hold_under_zsh(
    make_fake: Callable[..., FakeDaytona], isolated: Path
) -> None:
    zfake = make_fake(shell=ZSH, follow_close_delay=0.05)
    zfake.add_sandbox("z")
    zfake.host_path("z", "a dir").mkdir()
    argv = ["printf", "%s|", "two  spaces", 'it\'s "quoted"', "$HOME", "*", "a;b", "}", "fi"]
    value = 'it\'s $HOME; "x" *'
    with zfake.serve() as url:
        cli = Cli(zfake, isolated, url=url)
        shell = cli("sandbox", "exec", "z", "--", "echo $ZSH_VERSION")
        assert shell.exit_code == 0 and shell.stdout.strip(), shell  # really zsh
        quoted = cli("sandbox", "exec", "z", "--", *argv)
        assert (quoted.exit_code, quoted.stdout) == (
            0,
            'two  spaces|it\'s "quoted"|$HOME|*|a;b|}|fi|',
        )
        env = cli("sandbox", "exec", "z", "--cwd", "a dir", "-e", f"V={value}", "--",
                  'printf "%s|%s" "${PWD##*/}" "$V"')  # fmt: skip
        assert (env.exit_code, env.stdout) == (0, f"a dir|{value}")
        missing = cli("sandbox", "exec", "z", "--cwd", "nowhere", "--", "true")
        assert missing.exit_code == 126
        piped = cli("sandbox", "exec", "-i", "z", "--", "wc -l", stdin="1\n2\n3\n")
        assert (piped.exit_code, piped.stdout.strip()) == (0, "3")
        code = cli("sandbox", "exec", "z", "--", "echo o; echo e >&2; (exit 9)")
        assert (code.exit_code, code.stdout, code.stderr) == (9, "o\n", "e\n")
        ended = cli("sandbox", "exec", "z", "--", "exit 4")
        assert ended.exit_code == 4


def test_debug_never_shows_the_values_given_with_e(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any]
) -> None:
    secret = "s3cr3t-value-9f2c"
    result = served_cli("--debug", "sandbox", "exec", "box", "-e", f"TOKEN={secret}", "--",
                        'test "$TOKEN" = ' + secret + " && echo same")  # fmt: skip
    assert (result.exit_code, result.stdout) == (0, "same\n")
    assert "export TOKEN=" in result.stderr  # the command line is shown...
    assert secret not in result.stderr  # ...without the value


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipes"])
def test_an_error_after_output_left_mid_line_starts_on_a_fresh_line(
    served_cli: Cli, fake: FakeDaytona, box: dict[str, Any], tty: bool
) -> None:
    """On a terminal, stdout and stderr share the screen: the line must not start after
    ``partial`` (or ``y^C``). In pipes each stream is its own, and nothing is added."""
    result = served_cli("sandbox", "exec", "box", "--timeout", "1", "--",
                        "printf partial; sleep 5", tty=tty, env={"NO_COLOR": "1"})  # fmt: skip
    assert (result.exit_code, result.stdout) == (124, "partial")
    expected = "error: the command timed out after 1 s"
    assert result.stderr.startswith("\n" + expected if tty else expected), result
