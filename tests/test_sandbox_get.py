"""`daytona-cli sandbox get NAME_OR_ID`: what a person sees, what a script reads, what is sent.

Environment variable values are secrets as far as the human and piped views go: they appear
only under `--json`, which is the API's object unchanged. Any name is sent as exactly one
percent-encoded path segment, and identifiers that cannot exist are refused before a request.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import Cli, Result
from tests.fake_daytona import FakeDaytona

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SECRETS = {"DB_PASSWORD": "pa55-w0rd-9f3e", "API_TOKEN": "tok-7c1d-0a2b"}


def plain(text: str) -> str:
    return ANSI.sub("", text)


def raw_paths(fake: FakeDaytona) -> list[tuple[str, bytes]]:
    return [(request.method, request.url.raw_path) for request in fake.requests]


def rows(stdout: str) -> dict[str, str]:
    """The piped view as a dict; every line must be exactly one `key<TAB>value`."""
    pairs = [line.split("\t") for line in stdout.splitlines()]
    assert all(len(pair) == 2 for pair in pairs), stdout
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), stdout
    return dict(pairs)  # type: ignore[arg-type]


def last_answer(fake: FakeDaytona) -> Any:
    return fake.exchanges[-1][1].json()


def one_line_error(result: Result) -> str:
    assert "Traceback" not in result.stderr, result
    # A usage error found by the parser shows the usage line first (issue 10).
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Usage: ")]
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    return lines[0]


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def rich_box(fake: FakeDaytona) -> dict[str, Any]:
    """A sandbox with something in every field the view shows."""
    # Milliseconds that are never .000 (shown as whole seconds), so the times print as given.
    now = datetime.now(timezone.utc).replace(microsecond=123000)
    return fake.add_sandbox(
        "analytics",
        state="error",
        errorReason="container exited: out of memory",
        snapshot="python:3.12",
        cpu=2,
        memory=4,
        disk=10,
        gpu=0,
        target="eu",
        user="runner",
        labels={"team": "data", "env": "ci"},
        env=dict(SECRETS),
        autoStopInterval=30,
        autoArchiveInterval=60,
        autoDeleteInterval=-1,
        createdAt=stamp(now - timedelta(hours=3, minutes=1)),
        lastActivityAt=stamp(now - timedelta(minutes=10, seconds=5)),
    )


# -- finding it --------------------------------------------------------------------------------


def test_get_by_name_sends_one_get_for_that_name(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("demo")
    result = cli("sandbox", "get", "demo")
    assert (result.exit_code, result.stderr) == (0, "")
    assert rows(result.stdout)["ID"] == box["id"]
    assert raw_paths(fake) == [("GET", b"/api/sandbox/demo")]


def test_get_by_id_sends_one_get_for_that_id(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("demo")
    result = cli("sandbox", "get", box["id"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert rows(result.stdout)["Name"] == "demo"
    assert raw_paths(fake) == [("GET", f"/api/sandbox/{box['id']}".encode())]


ENCODED = [
    pytest.param("with space", b"with%20space", id="space"),
    pytest.param("a/b", b"a%2Fb", id="slash"),
    pytest.param("../x", b"..%2Fx", id="dot-dot-slash"),
    pytest.param("..", b"%2E%2E", id="dot-dot"),
    pytest.param("#tag", b"%23tag", id="hash"),
    pytest.param("what?yes=1", b"what%3Fyes%3D1", id="question-mark"),
    pytest.param("100%", b"100%25", id="percent"),
    pytest.param("ünïcødé-箱", b"%C3%BCn%C3%AFc%C3%B8d%C3%A9-%E7%AE%B1", id="unicode"),
]


@pytest.mark.parametrize(("name", "segment"), ENCODED)
def test_a_name_needing_encoding_is_sent_as_one_encoded_segment_and_found(
    cli: Cli, fake: FakeDaytona, name: str, segment: bytes
) -> None:
    fake.add_sandbox("x")  # what `../x` would reach if it escaped its segment
    box = fake.add_sandbox(name)
    result = cli("sandbox", "get", name, "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json()["id"] == box["id"]
    assert raw_paths(fake) == [("GET", b"/api/sandbox/" + segment)]


def test_a_name_at_the_255_character_limit_is_still_looked_up(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "get", "n" * 255)
    assert (result.exit_code, result.stdout) == (3, "")
    assert raw_paths(fake) == [("GET", b"/api/sandbox/" + b"n" * 255)]


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "new\nline", "esc\x1b[31m", "n" * 256],
    ids=["empty", "blank", "newline", "escape", "256-chars"],
)
def test_an_identifier_that_cannot_exist_is_a_usage_error_with_no_request(
    cli: Cli, fake: FakeDaytona, bad: str
) -> None:
    result = cli("sandbox", "get", bad)
    assert (result.exit_code, result.stdout) == (2, "")
    line = one_line_error(result)
    assert "\x1b" not in line
    assert fake.requests == []


def test_an_invalid_identifier_under_json_is_a_json_usage_error(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "get", "bad\x00name", "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["status"]) == ("usage", None)
    assert fake.requests == []


def test_a_missing_argument_is_a_usage_error_with_no_request(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "get")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "NAME_OR_ID" in one_line_error(result)
    assert fake.requests == []


# -- not found ---------------------------------------------------------------------------------


def test_not_found_exits_3_with_one_line_and_a_hint(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("present")
    result = cli("sandbox", "get", "absent")
    assert (result.exit_code, result.stdout) == (3, "")
    line = one_line_error(result)
    assert "absent" in line
    assert "not found" in line
    assert "daytona-cli sandbox list" in line  # what to do next
    assert raw_paths(fake) == [("GET", b"/api/sandbox/absent")]


def test_not_found_under_json_is_a_json_not_found_error(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "get", "absent", "--json")
    assert (result.exit_code, result.stdout) == (3, "")
    body = json.loads(result.stderr)
    assert set(body) == {"error"}
    error = body["error"]
    assert (error["code"], error["status"]) == ("not_found", 404)
    assert "absent" in error["message"]
    assert isinstance(error["hint"], str)
    assert error["hint"]


def test_a_refused_key_is_exit_4_and_not_mistaken_for_not_found(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "get", "demo", env={"DAYTONA_API_KEY": "wrong-key"})
    assert (result.exit_code, result.stdout) == (4, "")
    assert "Invalid credentials" in one_line_error(result)
    assert len(fake.requests) == 1


# -- piped view --------------------------------------------------------------------------------


def test_piped_view_is_one_key_tab_value_line_per_field_with_iso_times(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", "analytics")
    assert (result.exit_code, result.stderr) == (0, "")
    assert "\x1b" not in result.stdout
    view = rows(result.stdout)
    assert view["ID"] == rich_box["id"]
    assert view["Name"] == "analytics"
    assert view["State"] == "error"
    assert view["Desired state"] == "started"
    assert view["Error"] == "container exited: out of memory"
    assert view["Snapshot"] == "python:3.12"
    assert view["Region"] == "eu"
    assert view["User"] == "runner"
    assert view["CPU"] == "2"
    # Quantities are bare numbers, for scripts: GiB and minutes, as the README says.
    assert (view["Memory"], view["Disk"], view["GPU"]) == ("4", "10", "0")
    assert view["Labels"] == "env=ci, team=data"
    assert (view["Auto-stop"], view["Auto-archive"], view["Auto-delete"]) == (
        "30",
        "60",
        "disabled",
    )
    assert view["Created"] == rich_box["createdAt"]
    assert view["Last activity"] == rich_box["lastActivityAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", view["Created"])


def test_piped_times_from_another_offset_are_shown_in_utc(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("tz", createdAt="2024-10-01T14:00:00.000+02:00")
    result = cli("sandbox", "get", "tz")
    assert (result.exit_code, result.stderr) == (0, "")
    assert rows(result.stdout)["Created"] == "2024-10-01T12:00:00Z"


def test_desired_state_is_shown_only_when_it_differs(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("steady", state="started")
    fake.add_sandbox("going", state="stopping")
    steady = cli("sandbox", "get", "steady")
    going = cli("sandbox", "get", "going")
    assert (steady.exit_code, steady.stderr, going.exit_code, going.stderr) == (0, "", 0, "")
    assert "Desired state" not in steady.stdout
    assert "started" in rows(steady.stdout)["State"]
    assert rows(going.stdout)["State"] == "stopping"
    assert rows(going.stdout)["Desired state"] == "stopped"


def test_no_error_row_when_the_sandbox_has_no_error_reason(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("fine")
    result = cli("sandbox", "get", "fine")
    assert (result.exit_code, result.stderr) == (0, "")
    assert "Error" not in rows(result.stdout)


def test_values_from_the_server_stay_on_their_line_with_control_characters_escaped(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("odd", errorReason="line one\nline\ttwo\x1b[2J", state="error")
    result = cli("sandbox", "get", "odd")
    assert (result.exit_code, result.stderr) == (0, "")
    assert rows(result.stdout)["Error"] == "line one\\x0aline\\x09two\\x1b[2J"


# -- environment variables: names shown, values never -------------------------------------------


def test_env_var_names_are_shown_but_values_are_not_in_the_piped_view(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", "analytics")
    assert (result.exit_code, result.stderr) == (0, "")
    for name, value in SECRETS.items():
        assert name in result.stdout
        assert value not in result.stdout
        assert value not in result.stderr


def test_env_var_names_are_shown_but_values_are_not_on_a_terminal(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", "analytics", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    text = plain(result.stdout)
    for name, value in SECRETS.items():
        assert name in text
        assert value not in result.stdout
    # Not even split across a wrapped line.
    assert "pa55" not in text.replace(" ", "").replace("│", "").replace("\n", "")


def test_debug_changes_only_stderr_so_env_values_stay_off_stdout(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", "analytics")
    debug = cli("--debug", "sandbox", "get", "analytics")
    assert (result.exit_code, result.stderr, debug.exit_code) == (0, "", 0)
    assert debug.stdout == result.stdout
    assert "GET https://fake.daytona.test/api/sandbox/analytics" in debug.stderr
    for value in SECRETS.values():
        assert value not in debug.stdout


def test_json_prints_the_apis_object_unchanged_env_values_included(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", "analytics", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == last_answer(fake)
    assert result.json()["env"] == SECRETS
    assert result.json()["labels"] == {"team": "data", "env": "ci"}


def test_json_on_a_terminal_is_still_the_plain_object(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", rich_box["id"], "--json", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    assert "\x1b" not in result.stdout
    assert result.json() == last_answer(fake)


# -- terminal view -----------------------------------------------------------------------------


def test_terminal_view_shows_every_field_with_relative_times(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", "analytics", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    lines = plain(result.stdout).splitlines()
    text = "\n".join(lines)

    def row(label: str) -> str:
        return next(line for line in lines if re.search(rf"\b{label}\b", line))

    assert rich_box["id"] in text
    assert "analytics" in text
    assert "error" in row("State")
    assert "started" in row("Desired state")
    assert "container exited: out of memory" in text
    assert "python:3.12" in row("Snapshot")
    assert "2" in row("CPU")
    assert "4 GiB" in row("Memory")
    assert "10 GiB" in row("Disk")
    assert "eu" in row("Region")
    assert "runner" in row("User")
    assert "team=data" in text
    assert "env=ci" in text
    assert "30" in row("Auto-stop")
    assert "60" in row("Auto-archive")
    assert "Auto-delete" in text
    assert "3 hours ago" in row("Created")
    assert "10 minutes ago" in row("Last activity")


def test_a_ttl_shows_when_it_destroys_the_sandbox_in_iso_piped_and_relative_on_a_terminal(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    doom = stamp(datetime.now(timezone.utc).replace(microsecond=250000) + timedelta(hours=2))
    fake.add_sandbox("doomed", autoDestroyAt=doom)
    piped = cli("sandbox", "get", "doomed")
    shown = cli("sandbox", "get", "doomed", tty=True)
    assert (piped.exit_code, piped.stderr, shown.exit_code, shown.stderr) == (0, "", 0, "")
    assert rows(piped.stdout)["Destroyed at (TTL)"] == doom
    (line,) = [line for line in plain(shown.stdout).splitlines() if "Destroyed at (TTL)" in line]
    assert f"in 2 hours ({doom})" in line
    assert raw_paths(fake) == [("GET", b"/api/sandbox/doomed")] * 2
    without = cli("sandbox", "get", "analytics")
    assert (without.exit_code, without.stderr) == (0, "")
    assert "Destroyed at (TTL)" not in rows(without.stdout)


def test_terminal_view_shows_server_text_inert(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox(
        "sneaky",
        state="error",
        errorReason="\x1b]0;owned\x07[bold red]boom[/]",
        labels={"k": "[link=https://evil.example]x[/link]"},
    )
    result = cli("sandbox", "get", "sneaky", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    assert "\x1b]0;owned" not in result.stdout
    assert "\x07" not in result.stdout
    text = plain(result.stdout)
    assert "[bold red]boom[/]" in text
    assert "[link=https://evil.example]x[/link]" in text


# -- end to end --------------------------------------------------------------------------------


def test_an_awkward_name_is_got_over_real_http(fake: FakeDaytona, served: str, cli: Cli) -> None:
    name = "../a b?#ünï"
    box = fake.add_sandbox(name, env=dict(SECRETS))
    fake.add_sandbox("a b")  # where the name would land if `../` escaped its segment
    cli.transport = lambda: None  # real sockets, to the fake on loopback
    cli.env["DAYTONA_API_URL"] = served
    result = cli("sandbox", "get", name)
    assert (result.exit_code, result.stderr) == (0, "")
    view = rows(result.stdout)
    assert (view["ID"], view["Name"]) == (box["id"], name)
    assert not any(value in result.stdout for value in SECRETS.values())
    assert [request.url.raw_path for request in fake.requests] == [
        b"/api/sandbox/..%2Fa%20b%3F%23%C3%BCn%C3%AF"
    ]


def test_debug_hides_env_values_in_the_answer_it_shows(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any]
) -> None:
    debug = cli("--debug", "sandbox", "get", "analytics")
    assert debug.exit_code == 0, debug
    for name, value in SECRETS.items():
        assert value not in debug.stderr
        assert f'"{name}": "***"' in debug.stderr


def test_a_servers_own_error_code_and_source_are_kept_in_json_errors(
    cli: Cli, fake: FakeDaytona
) -> None:
    body = {
        "path": "/api/sandbox/x",
        "timestamp": "2026-11-30T12:00:00.000Z",
        "statusCode": 404,
        "error": "Not Found",
        "message": "Sandbox with ID or name x not found",
        "code": "SANDBOX_NOT_FOUND",
        "source": "DAYTONA_API",
    }
    fake.inject("GET", "/sandbox/x", status=404, json=body)
    result = cli("sandbox", "get", "x", "--json")
    assert (result.exit_code, result.stdout) == (3, "")
    error = json.loads(result.stderr)["error"]
    assert error["message"] == "Sandbox with ID or name x not found"
    assert (error["apiCode"], error["source"]) == ("SANDBOX_NOT_FOUND", "DAYTONA_API")
    plain = cli("sandbox", "get", "x")
    assert plain.stderr.startswith("error: Sandbox with ID or name x not found")


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
def test_fields_env_shows_the_names_but_never_the_values(
    cli: Cli, fake: FakeDaytona, rich_box: dict[str, Any], tty: bool
) -> None:
    result = cli("sandbox", "get", "analytics", "--fields", "name,env", tty=tty)
    assert result.exit_code == 0, result
    for name, value in SECRETS.items():
        assert name in result.stdout
        assert value not in result.stdout
    assert "(values hidden)" in result.stdout
