"""`daytona-cli sandbox exec --merged`, the one-shot route: resolution, quoting, byte-exact
output and the exit-code contract.

The fake really runs each command with the sandbox's shell, so outputs and exit codes are the
genuine article; every test also checks which requests reached the API. Commands go through
the sandbox's toolbox proxy; an older server without one gets the legacy route. Every `exec`
here is given `--merged` (the `cli` fixture below adds it); the default, streaming route is
tested in test_sandbox_exec_stream.py.
"""

from __future__ import annotations

import json
import shlex
import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    API_KEY,
    BASE_URL,
    PROXY_URL,
    Cli,
    Result,
    VirtualClock,
    on_real_clock,
)
from tests.fake_daytona import FakeDaytona
from tests.test_readme import says

LEGACY = "/toolbox/*/toolbox/process/execute"
PROXY = "/toolbox-proxy/*/process/execute"


class MergedCli(Cli):
    """The runner, with `--merged` added to every `sandbox exec`."""

    def __call__(self, *args: str, **kwargs: Any) -> Result:
        if args[args.index("sandbox") + 1 : args.index("sandbox") + 2] == ("exec",):
            at = args.index("sandbox") + 2
            args = (*args[:at], "--merged", *args[at:])
        return super().__call__(*args, **kwargs)


@pytest.fixture
def cli(
    fake: FakeDaytona, isolated: Path, clock: VirtualClock, request: pytest.FixtureRequest
) -> Cli:
    return MergedCli(fake, isolated, None if on_real_clock(request) else clock.as_clock())


@pytest.fixture
def demo(fake: FakeDaytona) -> dict[str, Any]:
    return fake.add_sandbox("demo")


def bodies(requests: list[httpx.Request]) -> list[dict[str, Any]]:
    return [json.loads(request.content) for request in requests]


def executed(fake: FakeDaytona) -> list[dict[str, Any]]:
    """Bodies of the execute requests that reached the toolbox proxy."""
    return bodies(fake.requests_to("POST", PROXY))


def paths(fake: FakeDaytona) -> list[tuple[str, str]]:
    return [(request.method, request.url.path) for request in fake.requests]


# -- resolving the sandbox -------------------------------------------------------------------


def test_a_name_is_resolved_to_the_id_before_the_command_is_posted_with_the_id(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", "echo", "hello")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hello\n", "")
    assert paths(fake) == [
        ("GET", "/api/sandbox/demo"),
        ("POST", f"/toolbox/{demo['id']}/process/execute"),
    ]
    assert executed(fake) == [{"command": "echo hello"}]


def test_an_id_works_as_well_as_a_name(cli: Cli, fake: FakeDaytona, demo: dict[str, Any]) -> None:
    result = cli("sandbox", "exec", demo["id"], "--", "echo", "by id")
    assert (result.exit_code, result.stdout) == (0, "by id\n")
    assert paths(fake)[-1] == ("POST", f"/toolbox/{demo['id']}/process/execute")


# -- what is sent ----------------------------------------------------------------------------


def test_a_single_argument_is_sent_as_a_shell_line_unchanged(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    line = "echo a && echo b | tr a-z A-Z"
    result = cli("sandbox", "exec", "demo", "--", line)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "a\nB\n", "")
    assert executed(fake) == [{"command": line}]


def test_several_arguments_are_joined_with_shlex_so_python_c_quoting_survives(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    argv = ["python3", "-c", 'print("x y")']
    result = cli("sandbox", "exec", "demo", "--", *argv)
    assert executed(fake) == [{"command": shlex.join(argv)}]
    assert (result.exit_code, result.stdout, result.stderr) == (0, "x y\n", "")


def test_an_argument_with_spaces_quotes_and_a_dollar_stays_one_literal_argument(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    argv = ["printf", "%s|", "two  spaces", 'it\'s "quoted"', "$HOME", "*", "a;b"]
    result = cli("sandbox", "exec", "demo", "--", *argv)
    assert executed(fake) == [{"command": shlex.join(argv)}]
    assert result.stdout == 'two  spaces|it\'s "quoted"|$HOME|*|a;b|'
    assert (result.exit_code, result.stderr) == (0, "")


def test_options_after_the_double_dash_belong_to_the_command(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", "echo", "--json", "--cwd", "/")
    assert (result.exit_code, result.stdout) == (0, "--json --cwd /\n")
    assert executed(fake) == [{"command": "echo --json --cwd /"}]


# -- output and exit codes -------------------------------------------------------------------


def test_output_is_written_exactly_as_returned_without_an_added_newline(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", "printf", "abc")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "abc", "")


def test_stderr_of_the_command_arrives_merged_on_stdout(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", "echo out; echo err >&2")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "out\nerr\n", "")


@pytest.mark.parametrize("code", [0, 1, 3, 42])
def test_the_remote_exit_code_is_passed_through(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any], code: int
) -> None:
    result = cli("sandbox", "exec", "demo", "--", f"echo before; exit {code}")
    assert (result.exit_code, result.stdout, result.stderr) == (code, "before\n", "")


def test_output_with_terminal_escapes_is_passed_through_byte_for_byte(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", r"printf '\033[31mred\033[0m\t\r\n'")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "\x1b[31mred\x1b[0m\t\r\n", "")


def test_output_with_terminal_escapes_is_passed_through_on_a_terminal_too(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", r"printf '\033[1mbold\033[0m'", tty=True)
    assert (result.exit_code, result.stdout) == (0, "\x1b[1mbold\x1b[0m")


def test_json_prints_the_exit_code_and_result_and_exits_with_the_remote_code(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--json", "--", "echo hi; exit 7")
    assert result.exit_code == 7
    assert result.json() == {"exitCode": 7, "stdout": "hi\n", "stderr": "", "result": "hi\n"}
    assert result.stderr == ""


def test_json_success_prints_exit_code_zero(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--json", "--", "printf", "x")
    assert (result.exit_code, result.json(), result.stderr) == (
        0,
        {"exitCode": 0, "stdout": "x", "stderr": "", "result": "x"},
        "",
    )


# -- --cwd and --timeout ---------------------------------------------------------------------


def test_cwd_is_sent_and_honoured(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any], tmp_path: Path
) -> None:
    place = fake.host_path("demo", "/some dir")  # commands run on the host, in the sandbox's tree
    place.mkdir()
    (place / "marker.txt").write_text("")
    result = cli("sandbox", "exec", "demo", "--cwd", "/some dir", "--", "pwd; ls")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{place}\nmarker.txt\n", "")
    assert executed(fake) == [{"command": "pwd; ls", "cwd": "/some dir"}]


def test_a_cwd_that_does_not_exist_exits_126_with_a_message_on_stderr(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    result = cli("sandbox", "exec", "demo", "--cwd", str(missing), "--", "true")
    assert result.exit_code == 126
    # What the daemon said goes to stdout unchanged; one stderr line says what -1 means.
    assert str(missing) in result.stdout
    (line,) = result.stderr.splitlines()
    assert "could not be started" in line and "killed by a signal" in line
    assert executed(fake) == [{"command": "true", "cwd": str(missing)}]


def test_a_command_killed_by_a_signal_keeps_its_output_and_exits_126(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", "echo partial; kill -9 $$")
    assert (result.exit_code, result.stdout) == (126, "partial\n")
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: the sandbox reported exit code -1")
    assert "killed by a signal" in line


def test_a_cwd_that_does_not_exist_under_json_still_exits_126(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    result = cli("sandbox", "exec", "demo", "--json", "--cwd", str(missing), "--", "true")
    assert result.exit_code == 126
    assert result.json()["exitCode"] == -1


def test_timeout_is_sent_as_the_body_timeout_in_whole_seconds(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--timeout", "30", "--", "echo", "quick")
    assert (result.exit_code, result.stdout) == (0, "quick\n")
    [request] = fake.requests_to("POST", PROXY)
    assert json.loads(request.content) == {"command": "echo quick", "timeout": 30}
    # The daemon decodes `timeout` into a Go *uint32: `30.0` would be rejected there.
    assert isinstance(json.loads(request.content)["timeout"], int), request.content


def test_a_fractional_timeout_is_refused_or_rounded_up_to_whole_seconds(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--timeout", "1.5", "--", "echo", "quick")
    if result.exit_code == 125:
        assert fake.requests_to("POST", PROXY) == []
        return
    assert (result.exit_code, result.stdout) == (0, "quick\n")
    [body] = executed(fake)
    assert isinstance(body["timeout"], int), body
    assert body["timeout"] >= 2


def test_a_zero_timeout_means_no_limit_and_sends_none(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--timeout", "0", "--", "echo", "quick")
    assert (result.exit_code, result.stdout) == (0, "quick\n")
    assert executed(fake) == [{"command": "echo quick"}]


def test_a_command_that_outlives_its_timeout_exits_124_and_says_it_timed_out(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--timeout", "1", "--", "echo partial; sleep 5")
    assert result.exit_code == 124
    assert result.stdout == ""
    assert "timed out" in result.stderr
    [body] = executed(fake)
    assert body["timeout"] == 1
    [(_, response)] = [x for x in fake.exchanges if x[0].url.path.endswith("/process/execute")]
    assert response.status_code == 408


def test_a_timed_out_command_under_json_reports_a_json_error_and_exits_124(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    fake.inject("POST", LEGACY, status=408)
    result = cli("sandbox", "exec", "demo", "--json", "--timeout", "1", "--", "sleep 5")
    assert result.exit_code == 124
    assert result.json() == {"exitCode": None, "stdout": "", "stderr": "", "result": ""}
    assert json.loads(result.stderr)["error"]["code"] == "timeout"


def signal_after_execute(fake: FakeDaytona, signum: int) -> None:
    """The command is sent and runs; ``signum`` arrives before its answer does (the run's own
    handler is called, as Python would when the signal came)."""
    real = fake.handler

    def handler(request: httpx.Request) -> httpx.Response:
        response = real(request)
        if request.method == "POST" and request.url.path.endswith("/process/execute"):
            response.close()
            deliver = signal.getsignal(signum)
            assert callable(deliver), deliver
            deliver(signum, None)
        return response

    fake.handler = handler  # type: ignore[method-assign]


@pytest.fixture
def main_thread() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the run sets signal handlers only in the main thread")


@pytest.mark.usefixtures("main_thread")
@pytest.mark.parametrize(
    ("signum", "code", "word", "timeout", "until"),
    [
        (signal.SIGINT, 130, "interrupted", [], "until it ends or"),
        (
            signal.SIGTERM,
            143,
            "terminated",
            ["--timeout", "60"],
            "until it ends, its --timeout of 60 s runs out or",
        ),
    ],
    ids=["ctrl-c", "sigterm-with-timeout"],
)
def test_ctrl_c_or_sigterm_says_the_one_shot_route_cannot_stop_the_remote_command(
    cli: Cli,
    fake: FakeDaytona,
    demo: dict[str, Any],
    signum: int,
    code: int,
    word: str,
    timeout: list[str],
    until: str,
) -> None:
    signal_after_execute(fake, signum)
    result = cli("sandbox", "exec", "demo", *timeout, "--", "touch ran")
    assert (result.exit_code, result.stdout) == (code, "")
    assert result.stderr == (
        f"error: {word}; the remote command may still be running: the one-shot route "
        f"cannot stop it (it runs {until} the sandbox stops); without --merged, Ctrl-C kills "
        "the remote command\n"
    )
    # Sent once, never again, and nothing else to ask the API: it has no way to stop it.
    assert paths(fake) == [
        ("GET", "/api/sandbox/demo"),
        ("POST", f"/toolbox/{demo['id']}/process/execute"),
    ]
    assert fake.host_path("demo", "ran").exists()


@pytest.mark.usefixtures("main_thread")
def test_ctrl_c_says_so_under_json_too_with_no_exit_code_on_stdout(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    signal_after_execute(fake, signal.SIGINT)
    result = cli("sandbox", "exec", "demo", "--json", "--", "true")
    assert result.exit_code == 130
    assert result.json() == {"exitCode": None, "stdout": "", "stderr": "", "result": ""}
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "interrupted"
    assert "the remote command may still be running" in error["message"]


def test_the_readme_and_help_say_ctrl_c_cannot_stop_a_merged_command(cli: Cli) -> None:
    says(
        "The one-shot route has no way to stop a command: Ctrl-C (or SIGTERM) ends only the CLI "
        "(exit 130 or 143), and its error line says the command may still be running"
    )
    result = cli("sandbox", "exec", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Ctrl-C cannot stop the remote command then" in text
    assert "except with --merged: the one-shot route cannot stop it" in text


def test_ctrl_c_before_the_command_was_sent_says_nothing_of_it(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    real = fake.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            raise KeyboardInterrupt
        return real(request)

    fake.handler = handler  # type: ignore[method-assign]
    result = cli("sandbox", "exec", "demo", "--", "echo", "hi")
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "error: interrupted\n")


# -- state of the sandbox --------------------------------------------------------------------


def test_a_stopped_sandbox_exits_125_with_a_hint_and_sends_no_execute(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("sleepy", state="stopped")
    result = cli("sandbox", "exec", "sleepy", "--", "echo", "hi")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert "sandbox start" in result.stderr
    assert "--start" in result.stderr
    assert "stopped" in result.stderr
    assert fake.requests_to("POST", LEGACY) == []
    assert fake.requests_to("POST", PROXY) == []
    assert fake.requests_to("POST", "/sandbox/*/start") == []


def test_start_starts_a_stopped_sandbox_waits_then_runs_and_exits_with_the_remote_code(
    cli: Cli, fake: FakeDaytona
) -> None:
    sandbox = fake.add_sandbox("sleepy", state="stopped")
    result = cli("sandbox", "exec", "sleepy", "--start", "--", "echo up; exit 4")
    assert (result.exit_code, result.stdout) == (4, "up\n")
    assert len(fake.requests_to("POST", f"/sandbox/{sandbox['id']}/start")) == 1
    assert executed(fake) == [{"command": "echo up; exit 4"}]
    state = fake.sandbox("sleepy")
    assert state is not None
    assert state["state"] == "started"
    methods = [method for method, _ in paths(fake)]
    assert methods[-1] == "POST"
    assert paths(fake)[-1][1].endswith("/process/execute")


def test_start_restores_an_archived_sandbox_then_runs(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("cold", state="archived")
    result = cli("sandbox", "exec", "cold", "--start", "--", "echo", "warm")
    assert (result.exit_code, result.stdout) == (0, "warm\n")
    assert executed(fake) == [{"command": "echo warm"}]


def test_start_on_a_sandbox_that_is_already_starting_waits_for_it_then_runs(
    cli: Cli, fake: FakeDaytona
) -> None:
    sandbox = fake.add_sandbox("sleepy", state="stopped")
    assert cli("sandbox", "start", "sleepy", "--no-wait").exit_code == 0
    assert (fake.sandbox("sleepy") or {}).get("state") == "starting"
    result = cli("sandbox", "exec", "sleepy", "--start", "--", "echo", "up")
    assert (result.exit_code, result.stdout) == (0, "up\n"), result
    assert executed(fake) == [{"command": "echo up"}]
    assert (fake.sandbox(sandbox["id"]) or {}).get("state") == "started"


def test_a_sandbox_that_is_still_starting_without_start_exits_125_and_sends_no_execute(
    cli: Cli, fake: FakeDaytona
) -> None:
    # Added mid-transition, it stays `starting` however loaded the machine is.
    fake.add_sandbox("sleepy", state="starting")
    result = cli("sandbox", "exec", "sleepy", "--", "echo", "up")
    assert result.exit_code == 125
    assert "starting" in result.stderr
    assert fake.requests_to("POST", LEGACY) == []


def test_start_on_a_started_sandbox_just_runs_the_command(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--start", "--", "echo", "ok")
    assert (result.exit_code, result.stdout) == (0, "ok\n")
    assert executed(fake) == [{"command": "echo ok"}]


# -- failures of the CLI itself are 125 ------------------------------------------------------


def test_a_missing_sandbox_exits_125_not_3(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "exec", "ghost", "--", "echo", "hi")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert "ghost" in result.stderr
    assert "not found" in result.stderr.lower()
    assert paths(fake) == [("GET", "/api/sandbox/ghost")]


def test_a_missing_sandbox_under_json_is_a_not_found_json_error_exiting_125(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "exec", "ghost", "--json", "--", "echo", "hi")
    assert result.exit_code == 125
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["status"]) == ("not_found", 404)


def test_no_command_is_a_usage_error_exiting_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert result.stderr.strip()
    assert fake.requests == []


def test_nothing_after_the_double_dash_is_a_usage_error_exiting_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert fake.requests == []


def test_an_empty_command_line_is_a_usage_error_exiting_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--", "  ")
    assert result.exit_code == 125
    assert "empty command" in result.stderr
    assert fake.requests == []


def test_no_command_under_json_is_a_json_usage_error_exiting_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--json")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["code"] == "usage"
    assert fake.requests == []


def test_no_sandbox_at_all_is_a_usage_error_exiting_125(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "exec")
    assert result.exit_code == 125
    assert fake.requests == []


def test_an_unknown_option_after_a_global_option_is_still_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("--debug", "sandbox", "exec", "demo", "--bogus", "--", "true")
    assert result.exit_code == 125
    assert fake.requests == []


def test_an_unknown_option_is_a_usage_error_exiting_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--bogus", "--", "echo", "hi")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert "--bogus" in result.stderr
    assert fake.requests == []


def test_a_negative_timeout_is_a_usage_error_exiting_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--timeout", "-1", "--", "true")
    assert result.exit_code == 125
    assert fake.requests == []


def test_a_missing_api_key_exits_125(cli: Cli, fake: FakeDaytona, demo: dict[str, Any]) -> None:
    result = cli("sandbox", "exec", "demo", "--", "true", env={"DAYTONA_API_KEY": None})
    assert result.exit_code == 125
    assert "DAYTONA_API_KEY" in result.stderr
    assert fake.requests == []


def test_a_network_failure_exits_125(cli: Cli, fake: FakeDaytona, demo: dict[str, Any]) -> None:
    fake.inject("GET", "/sandbox/demo", drop=True, times=10)  # lookups are retried
    result = cli("sandbox", "exec", "demo", "--", "echo", "hi")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert "cannot reach" in result.stderr
    assert fake.requests_to("POST", LEGACY) == []


def test_a_network_failure_during_execute_exits_125(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    fake.inject("POST", PROXY, drop=True)
    result = cli("sandbox", "exec", "demo", "--", "echo", "hi")
    assert result.exit_code == 125
    assert result.stdout == ""
    # Never sent again once sent, and never by another route.
    assert len(fake.requests_to("POST", PROXY)) == 1
    assert fake.requests_to("POST", LEGACY) == []
    assert "may have run" in result.stderr


def test_a_server_error_on_execute_exits_125_not_1(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    fake.inject("POST", PROXY, status=500)
    result = cli("sandbox", "exec", "demo", "--", "echo", "hi")
    assert result.exit_code == 125
    assert result.stdout == ""
    assert len(fake.requests_to("POST", PROXY)) == 1
    assert fake.requests_to("POST", LEGACY) == []


def test_a_rejected_key_exits_125_not_4(cli: Cli, fake: FakeDaytona, demo: dict[str, Any]) -> None:
    result = cli("sandbox", "exec", "demo", "--", "true", env={"DAYTONA_API_KEY": "wrong"})
    assert result.exit_code == 125
    assert "DAYTONA_API_KEY" in result.stderr


# -- the toolbox proxy first, the legacy route only without one ------------------------------


def test_a_started_sandbox_costs_the_lookup_plus_one_request_through_its_proxy(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--timeout", "30", "--", "echo", "via proxy")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "via proxy\n", "")
    assert [str(r.url) for r in fake.requests] == [
        f"{BASE_URL}/sandbox/demo",
        f"{PROXY_URL}/{demo['id']}/process/execute",
    ]
    [proxied] = fake.requests_to("POST", PROXY)
    assert json.loads(proxied.content) == {"command": "echo 'via proxy'", "timeout": 30}
    assert proxied.headers["authorization"] == fake.requests[0].headers["authorization"]


def test_a_record_without_a_proxy_url_asks_the_api_for_it(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    older = {key: value for key, value in demo.items() if key != "toolboxProxyUrl"}
    fake.inject_raw("GET", "/sandbox/demo", body=json.dumps(older).encode())
    result = cli("sandbox", "exec", "demo", "--", "echo", "hi")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hi\n", "")
    assert paths(fake) == [
        ("GET", "/api/sandbox/demo"),
        ("GET", f"/api/sandbox/{demo['id']}/toolbox-proxy-url"),
        ("POST", f"/toolbox/{demo['id']}/process/execute"),
    ]


def test_a_server_without_a_toolbox_proxy_gets_the_legacy_route(
    cli: Cli, old_fake: FakeDaytona
) -> None:
    box = old_fake.add_sandbox("box")
    result = Cli(old_fake, cli.workdir)("sandbox", "exec", "box", "--", "echo a; exit 2")
    assert (result.exit_code, result.stdout) == (2, "a\n")
    # Without --merged it says once that it cannot stream there.
    (line,) = result.stderr.splitlines()
    assert line.startswith("warning: this server has no toolbox proxy")
    assert [(r.method, r.url.path) for r in old_fake.requests] == [
        ("GET", "/api/sandbox/box"),
        ("GET", f"/api/sandbox/{box['id']}/toolbox-proxy-url"),
        ("POST", f"/api/toolbox/{box['id']}/toolbox/process/execute"),
    ]


def test_the_client_remembers_a_server_without_a_proxy_for_the_rest_of_the_run(
    old_fake: FakeDaytona,
) -> None:
    from daytona_cli.client import DaytonaClient

    first, second = old_fake.add_sandbox("one"), old_fake.add_sandbox("two")
    transport = httpx.MockTransport(old_fake.handler)
    with DaytonaClient(api_url=BASE_URL, api_key=API_KEY, transport=transport) as client:
        for sandbox in (first, second):
            answer = client.toolbox.execute(sandbox, {"command": "echo ok"})
            assert answer == {"exitCode": 0, "result": "ok\n"}
    assert len(old_fake.requests_to("GET", "/sandbox/*/toolbox-proxy-url")) == 1
    assert len(old_fake.requests_to("POST", LEGACY)) == 2


def test_a_proxy_url_the_key_must_not_go_to_is_refused_before_any_request(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    plain = {**demo, "toolboxProxyUrl": "http://proxy.example.com/toolbox"}
    fake.inject_raw("GET", "/sandbox/demo", body=json.dumps(plain).encode())
    result = cli("sandbox", "exec", "demo", "--", "echo", "hi")
    assert (result.exit_code, result.stdout) == (125, "")
    assert "refusing to send the API key" in result.stderr
    assert paths(fake) == [("GET", "/api/sandbox/demo")]


def test_the_proxy_fallback_passes_quoting_cwd_and_json_through(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any], tmp_path: Path
) -> None:
    fake.legacy_execute = False
    argv = ["printf", "%s", "a 'b' $HOME"]
    result = cli("sandbox", "exec", "demo", "--json", "--cwd", "/tmp", "--", *argv)
    assert (result.exit_code, result.json()["result"]) == (0, "a 'b' $HOME")
    assert bodies(fake.requests_to("POST", PROXY)) == [{"command": shlex.join(argv), "cwd": "/tmp"}]


def test_the_proxy_fallback_reports_a_timeout_as_124(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    fake.legacy_execute = False
    fake.inject("POST", PROXY, status=408)
    result = cli("sandbox", "exec", "demo", "--timeout", "1", "--", "sleep", "5")
    assert result.exit_code == 124
    assert "timed out" in result.stderr


def test_a_404_for_the_sandbox_itself_does_not_trigger_the_fallback(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.legacy_execute = False
    result = cli("sandbox", "exec", "ghost", "--", "echo", "hi")
    assert result.exit_code == 125
    assert paths(fake) == [("GET", "/api/sandbox/ghost")]
    assert fake.requests_to("POST", PROXY) == []
    assert fake.requests_to("GET", "/sandbox/*/toolbox-proxy-url") == []


def test_a_sandbox_without_a_proxy_url_gets_it_from_the_api_for_the_fallback(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    fake.legacy_execute = False
    view = fake.sandbox("demo")
    assert view is not None
    fake.inject("GET", "/sandbox/demo", status=200, json={**view, "toolboxProxyUrl": ""})
    result = cli("sandbox", "exec", "demo", "--", "echo", "found it")
    assert (result.exit_code, result.stdout) == (0, "found it\n")
    assert len(fake.requests_to("GET", f"/sandbox/{demo['id']}/toolbox-proxy-url")) == 1
    assert len(fake.requests_to("POST", PROXY)) == 1


# -- help ------------------------------------------------------------------------------------


def test_exec_help_documents_the_exit_codes(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "exec", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for fragment in ("124", "126", "125", "--cwd", "--timeout", "--start"):
        assert fragment in text
    assert fake.requests == []


def test_a_toolbox_timeout_under_json_keeps_the_daemons_code_and_source(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--json", "--timeout", "1", "--", "sleep 5")
    # stdout is JSON all the same (the README's object): no exit code, and the API kept no output.
    assert result.exit_code == 124
    assert result.json() == {"exitCode": None, "stdout": "", "stderr": "", "result": ""}
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["status"]) == ("timeout", 408)
    assert (error["apiCode"], error["source"]) == ("PROCESS_EXECUTION_TIMEOUT", "DAYTONA_DAEMON")


def test_debug_shows_the_toolbox_error_body_with_its_code(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("--debug", "sandbox", "exec", "demo", "--timeout", "1", "--", "sleep 5")
    assert result.exit_code == 124
    assert '"code": "PROCESS_EXECUTION_TIMEOUT"' in result.stderr


def test_a_merged_command_whose_answer_is_lost_after_the_apis_limit_is_told_to_stream(
    cli: Cli, fake: FakeDaytona, clock: VirtualClock, demo: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    answer = fake.handler

    def six_and_a_half_minutes_later(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/process/execute"):
            clock.advance(391)  # the API gives up after about 360 s (NOTES.md, One-shot)
        return answer(request)

    monkeypatch.setattr(fake, "handler", six_and_a_half_minutes_later)
    fake.lose_answer("POST", PROXY)
    result = cli("sandbox", "exec", "demo", "--", "true")  # it took 391 s, on the test clock
    assert (result.exit_code, result.stdout) == (125, "")
    assert "may have run" in result.stderr
    assert "run long commands without --merged" in result.stderr
    assert len(fake.requests_to("POST", PROXY)) == 1


def test_a_merged_answer_lost_early_is_not_blamed_on_the_apis_limit(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    fake.lose_answer("POST", PROXY)
    result = cli("sandbox", "exec", "demo", "--", "echo hi")
    assert result.exit_code == 125
    assert "may have run" in result.stderr
    assert "without --merged" not in result.stderr


@pytest.mark.parametrize(
    ("args", "body"),
    [
        (["echo", "--json", "hi"], {"command": "echo --json hi"}),
        (["ls", "-la", "/"], {"command": "ls -la /"}),
        (["--cwd", "/tmp", "echo", "a", "--cwd", "b"], {"command": "echo a --cwd b", "cwd": "/tmp"}),
        (["-e", "X=1", "echo", "-e", "x"], {"command": "echo -e x", "envs": {"X": "1"}}),
        (["echo", "--", "x"], {"command": "echo -- x"}),
        (["--", "echo", "--help"], {"command": "echo --help"}),
    ],
    ids=["--json", "-la", "--cwd both sides", "-e both sides", "-- in the command", "with --"],
)  # fmt: skip
def test_the_first_word_after_the_sandbox_begins_the_command_even_without_the_separator(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any], args: list[str], body: dict[str, Any]
) -> None:
    """As ``docker exec``: a command's own options are never taken for exec's."""
    result = cli("sandbox", "exec", "demo", *args)
    assert result.exit_code == 0, result
    assert bodies(fake.requests_to("POST", PROXY)) == [body]


def test_a_minus_one_under_json_is_explained_on_stderr_too(
    cli: Cli, fake: FakeDaytona, demo: dict[str, Any]
) -> None:
    result = cli("sandbox", "exec", "demo", "--json", "--", "kill -9 $$")
    assert result.exit_code == 126
    assert result.json()["exitCode"] == -1
    error = json.loads(result.stderr)["error"]
    assert error["message"].startswith("the sandbox reported exit code -1:")
