"""Configuration and the global options: where the key and URL come from, what is sent with them.

The key comes from the environment, else ./.env in the working directory (never a parent), or
the file named by --env-file; the environment always wins. It only ever travels over https (or
plain http to loopback), and it is never printed: not in errors, not in --debug output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from daytona_cli import __version__
from daytona_cli.clock import Clock
from tests.conftest import API_KEY, BASE_URL, Cli, Result, run_installed
from tests.fake_daytona import FakeDaytona

NO_SLEEP = Clock(sleep=lambda _seconds: None)
KEY_TAIL = API_KEY.rsplit("-", 1)[-1]
"""The secret-looking part of the key; it must not show up anywhere, even on its own."""
NO_KEY = {"DAYTONA_API_KEY": None}


def one_line_error(result: Result) -> str:
    assert "Traceback" not in result.stderr, result
    # A usage error found by the parser shows the usage line first (issue 10).
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Usage: ")]
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    return lines[0]


def urls(fake: FakeDaytona) -> list[str]:
    return [str(request.url) for request in fake.requests]


def header(fake: FakeDaytona, name: str) -> list[str | None]:
    return [request.headers.get(name) for request in fake.requests]


def assert_key_hidden(result: Result) -> None:
    for stream in (result.stdout, result.stderr):
        assert API_KEY not in stream
        assert KEY_TAIL not in stream


# -- the key -----------------------------------------------------------------------------------


def test_a_missing_key_exits_4_says_how_to_get_one_and_where_to_put_it_and_sends_nothing(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "list", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (4, "")
    line = one_line_error(result)
    assert "DAYTONA_API_KEY" in line
    assert "Dashboard" in line
    assert "API Keys" in line
    assert ".env" in line
    assert "export" in line or "environment" in line
    assert fake.requests == []


def test_a_missing_key_under_json_is_a_json_auth_error(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "get", "demo", "--json", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (4, "")
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["status"]) == ("auth", None)
    assert "DAYTONA_API_KEY" in error["message"]
    assert "Dashboard" in error["hint"]
    assert "API Keys" in error["hint"]
    assert fake.requests == []


def test_an_empty_key_left_in_a_copy_of_the_example_file_counts_as_missing(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text("# copied from .env.example\nDAYTONA_API_KEY=\n")
    result = cli("snapshot", "list", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (4, "")
    assert "DAYTONA_API_KEY" in one_line_error(result)
    assert fake.requests == []


def test_a_blank_key_counts_as_missing_and_sends_nothing(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "list", env={"DAYTONA_API_KEY": "   "})
    assert (result.exit_code, result.stdout) == (4, "")
    assert "DAYTONA_API_KEY" in one_line_error(result)
    assert fake.requests == []


def test_the_key_is_read_from_dot_env_in_the_working_directory(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    fake.add_sandbox("demo")
    (isolated / ".env").write_text(f"DAYTONA_API_KEY={API_KEY}\n")
    result = cli("sandbox", "list", "-q", env=NO_KEY)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"{fake.sandbox('demo')['id']}\n"  # type: ignore[index]
    assert header(fake, "authorization") == [f"Bearer {API_KEY}"]


def test_dot_env_values_may_be_quoted_exported_and_commented(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text(
        f'# settings\nexport DAYTONA_API_KEY="{API_KEY}"  # the key\n'
        "DAYTONA_ORGANIZATION_ID='org-from-file'\n"
    )
    result = cli("sandbox", "list", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no sandboxes" in result.stderr.lower()
    assert header(fake, "authorization") == [f"Bearer {API_KEY}"]
    assert header(fake, "x-daytona-organization-id") == ["org-from-file"]


def test_the_environment_wins_over_dot_env(cli: Cli, fake: FakeDaytona, isolated: Path) -> None:
    (isolated / ".env").write_text(
        "DAYTONA_API_KEY=key-from-file\n"
        "DAYTONA_API_URL=https://file.daytona.test/api\n"
        "DAYTONA_ORGANIZATION_ID=org-from-file\n"
    )
    result = cli("sandbox", "list", env={"DAYTONA_ORGANIZATION_ID": "org-from-env"})
    assert (result.exit_code, result.stdout) == (0, "")
    assert "warning" not in result.stderr
    assert urls(fake) == [f"{BASE_URL}/sandbox?limit=200"]
    assert header(fake, "authorization") == [f"Bearer {API_KEY}"]
    assert header(fake, "x-daytona-organization-id") == ["org-from-env"]


def test_a_dot_env_in_a_parent_directory_is_not_read(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated.parent / ".env").write_text(f"DAYTONA_API_KEY={API_KEY}\n")
    result = cli("sandbox", "list", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (4, "")
    assert "DAYTONA_API_KEY" in one_line_error(result)
    assert fake.requests == []


def test_env_file_is_read_instead_of_dot_env(
    cli: Cli, fake: FakeDaytona, isolated: Path, tmp_path: Path
) -> None:
    (isolated / ".env").write_text("DAYTONA_API_KEY=wrong\nDAYTONA_ORGANIZATION_ID=org-dot-env\n")
    other = tmp_path / "conf" / "daytona.env"
    other.parent.mkdir()
    other.write_text(f"DAYTONA_API_KEY={API_KEY}\n")
    result = cli("--env-file", str(other), "sandbox", "list", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (0, "")
    assert header(fake, "authorization") == [f"Bearer {API_KEY}"]
    assert header(fake, "x-daytona-organization-id") == [None]  # nothing from ./.env


def test_the_environment_wins_over_env_file_too(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    other = tmp_path / "daytona.env"
    other.write_text("DAYTONA_API_KEY=key-from-file\n")
    result = cli("--env-file", str(other), "sandbox", "list")
    assert (result.exit_code, result.stdout) == (0, "")
    assert header(fake, "authorization") == [f"Bearer {API_KEY}"]


@pytest.mark.parametrize("where", ["missing", "directory"])
def test_an_env_file_that_cannot_be_read_is_a_usage_error_with_no_request(
    cli: Cli, fake: FakeDaytona, tmp_path: Path, where: str
) -> None:
    path = tmp_path / "nope.env"
    if where == "directory":
        path.mkdir()
    result = cli("--env-file", str(path), "sandbox", "list")
    assert (result.exit_code, result.stdout) == (2, "")
    assert str(path) in one_line_error(result)
    assert fake.requests == []


@pytest.mark.parametrize("option", ["--api-key", "--key"])
def test_no_option_takes_the_key_on_the_command_line(
    cli: Cli, fake: FakeDaytona, option: str
) -> None:
    result = cli(option, API_KEY, "sandbox", "list", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (2, "")
    assert option in one_line_error(result)
    assert fake.requests == []
    assert API_KEY not in result.stderr


# -- the URL -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://fake.daytona.test/api", "https://fake.daytona.test/api/sandbox/demo"),
        ("https://fake.daytona.test/api/", "https://fake.daytona.test/api/sandbox/demo"),
        ("https://fake.daytona.test", "https://fake.daytona.test/sandbox/demo"),
        ("https://fake.daytona.test/", "https://fake.daytona.test/sandbox/demo"),
        ("http://127.0.0.1:8765/api", "http://127.0.0.1:8765/api/sandbox/demo"),
        ("http://localhost:8765", "http://localhost:8765/sandbox/demo"),
        ("http://[::1]:8765/api/", "http://[::1]:8765/api/sandbox/demo"),
    ],
)
def test_the_api_url_works_with_or_without_a_path_and_a_trailing_slash(
    cli: Cli, fake: FakeDaytona, api_url: str, expected: str
) -> None:
    box = fake.add_sandbox("demo")
    result = cli("sandbox", "get", "demo", "--json", env={"DAYTONA_API_URL": api_url})
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json()["id"] == box["id"]
    assert urls(fake) == [expected]


def test_the_default_api_url_is_daytonas_own(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("snapshot", "list", env={"DAYTONA_API_URL": None})
    assert (result.exit_code, result.stderr) == (0, "")
    assert urls(fake) == ["https://app.daytona.io/api/snapshots?page=1&limit=200"]


@pytest.mark.parametrize(
    "api_url",
    [
        "http://fake.daytona.test/api",
        "http://127.0.0.1.nip.io/api",
        "http://localhost.evil.example/api",
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused_with_exit_2_and_no_request(
    cli: Cli, fake: FakeDaytona, api_url: str
) -> None:
    result = cli("sandbox", "list", env={"DAYTONA_API_URL": api_url})
    assert (result.exit_code, result.stdout) == (2, "")
    line = one_line_error(result)
    assert "http" in line
    assert "https" in line  # says what to use instead
    assert fake.requests == []


def test_plain_http_from_dot_env_is_refused_too(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text(
        f"DAYTONA_API_KEY={API_KEY}\nDAYTONA_API_URL=http://fake.daytona.test/api\n"
    )
    result = cli("sandbox", "list", "--json", env={**NO_KEY, "DAYTONA_API_URL": None})
    assert (result.exit_code, result.stdout) == (2, "")
    assert json.loads(result.stderr)["error"]["code"] == "usage"
    assert fake.requests == []


@pytest.mark.parametrize(
    "api_url", ["ftp://fake.daytona.test/api", "fake.daytona.test/api", "https://"]
)
def test_an_api_url_that_is_not_http_is_a_usage_error_with_no_request(
    cli: Cli, fake: FakeDaytona, api_url: str
) -> None:
    result = cli("sandbox", "list", env={"DAYTONA_API_URL": api_url})
    assert (result.exit_code, result.stdout) == (2, "")
    assert "DAYTONA_API_URL" in one_line_error(result)
    assert fake.requests == []


def test_an_api_url_only_in_an_implicit_dot_env_is_refused_for_a_key_from_the_environment(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text("DAYTONA_API_URL=https://elsewhere.daytona.test/api\n")
    result = cli("sandbox", "list", env={"DAYTONA_API_URL": None})
    assert (result.exit_code, result.stdout) == (2, "")
    line = one_line_error(result)
    assert "elsewhere.daytona.test" in line
    assert ".env" in line
    assert "--env-file" in line
    assert fake.requests == []


def test_daytonas_own_url_in_an_implicit_dot_env_is_fine(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text("DAYTONA_API_URL=https://app.daytona.io/api\n")
    result = cli("sandbox", "list", env={"DAYTONA_API_URL": None})
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No sandboxes found.\n")
    assert urls(fake) == ["https://app.daytona.io/api/sandbox?limit=200"]


@pytest.mark.parametrize("consent", ["--env-file", "environment"])
def test_naming_the_file_or_setting_the_url_in_the_environment_is_consent(
    cli: Cli, fake: FakeDaytona, isolated: Path, consent: str
) -> None:
    (isolated / ".env").write_text("DAYTONA_API_URL=https://elsewhere.daytona.test/api\n")
    if consent == "--env-file":
        result = cli("--env-file", ".env", "sandbox", "list", env={"DAYTONA_API_URL": None})
    else:
        result = cli(
            "sandbox", "list", env={"DAYTONA_API_URL": "https://elsewhere.daytona.test/api"}
        )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No sandboxes found.\n")
    assert urls(fake) == ["https://elsewhere.daytona.test/api/sandbox?limit=200"]


def test_no_warning_when_the_key_and_the_url_come_from_the_same_file(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    fake.add_sandbox("demo")
    (isolated / ".env").write_text(
        f"DAYTONA_API_KEY={API_KEY}\nDAYTONA_API_URL=https://elsewhere.daytona.test/api\n"
    )
    result = cli("sandbox", "list", "-q", env={**NO_KEY, "DAYTONA_API_URL": None})
    assert (result.exit_code, result.stderr) == (0, "")
    assert len(result.stdout.splitlines()) == 1
    assert urls(fake) == ["https://elsewhere.daytona.test/api/sandbox?limit=200"]


# -- headers -----------------------------------------------------------------------------------


def test_the_organization_id_is_sent_as_its_header(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "list", env={"DAYTONA_ORGANIZATION_ID": "org-42"})
    assert (result.exit_code, result.stdout) == (0, "")
    assert header(fake, "X-Daytona-Organization-ID") == ["org-42"]


def test_no_organization_header_is_sent_when_it_is_unset(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "list")
    assert (result.exit_code, result.stdout) == (0, "")
    assert [
        name for name in fake.requests[0].headers if name.lower().startswith("x-daytona-org")
    ] == []


def test_every_request_carries_the_bearer_key_and_a_user_agent_naming_daytona_cli(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    for args in (["sandbox", "list"], ["sandbox", "get", "demo"], ["snapshot", "list"]):
        assert cli(*args).exit_code == 0
    assert header(fake, "authorization") == [f"Bearer {API_KEY}"] * 3
    agents = header(fake, "user-agent")
    assert all(agent and agent.startswith(f"daytona-cli/{__version__}") for agent in agents)


# -- --debug and the key -----------------------------------------------------------------------


def test_debug_shows_the_http_exchange_on_stderr_with_the_key_redacted(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    quiet = cli("sandbox", "list")
    result = cli("--debug", "sandbox", "list")
    assert result.exit_code == 0
    assert result.stdout == quiet.stdout
    assert f"GET {BASE_URL}/sandbox?limit=200" in result.stderr
    assert "Bearer ***" in result.stderr
    assert "200" in result.stderr
    assert '"items"' in result.stderr  # the answer, too
    assert_key_hidden(result)


KEY_SCENARIOS = [
    pytest.param(["--debug", "sandbox", "list"], None, 0, id="debug-list"),
    pytest.param(["--debug", "sandbox", "get", "nope"], None, 3, id="debug-not-found"),
    pytest.param(["--debug", "sandbox", "list"], 500, 1, id="debug-retried-500"),
    pytest.param(["--debug", "sandbox", "list", "--json"], 401, 4, id="debug-401-json"),
    pytest.param(["sandbox", "list"], 401, 4, id="401"),
]


@pytest.mark.parametrize(("args", "status", "code"), KEY_SCENARIOS)
def test_the_key_never_appears_on_stdout_or_stderr(
    cli: Cli, fake: FakeDaytona, args: list[str], status: int | None, code: int
) -> None:
    if status is not None:
        fake.inject("GET", "/*", status=status, times=10)
    result = cli(*args, clock=NO_SLEEP)
    assert result.exit_code == code
    assert result.stderr
    assert fake.requests
    assert_key_hidden(result)


def test_the_key_read_from_dot_env_is_redacted_in_debug_output(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text(f"DAYTONA_API_KEY={API_KEY}\n")
    result = cli("--debug", "sandbox", "list", env=NO_KEY)
    assert (result.exit_code, result.stdout) == (0, "")
    assert "Bearer ***" in result.stderr
    assert_key_hidden(result)


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_a_server_message_that_echoes_the_key_is_printed_redacted(
    cli: Cli, fake: FakeDaytona, debug: list[str]
) -> None:
    fake.inject(
        "GET",
        "/sandbox",
        status=401,
        json={
            "path": "/api/sandbox",
            "timestamp": "2024-10-01T12:00:00.000Z",
            "statusCode": 401,
            "error": "Unauthorized",
            "message": f"Invalid credentials: Bearer {API_KEY}",
        },
    )
    result = cli(*debug, "sandbox", "list")
    assert (result.exit_code, result.stdout) == (4, "")
    assert "Invalid credentials" in result.stderr
    assert_key_hidden(result)


# -- version and help --------------------------------------------------------------------------


def test_version_prints_the_version_and_needs_no_key(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("--version", env=NO_KEY)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"daytona-cli {__version__}\n",
        "",
    )
    assert fake.requests == []


def test_help_lists_the_commands_the_configuration_and_the_exit_codes(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("--help", env=NO_KEY)
    assert (result.exit_code, result.stderr) == (0, "")
    text = " ".join(result.stdout.split())
    for word in ("sandbox", "snapshot", "--debug", "--env-file", "--version", "DAYTONA_API_KEY"):
        assert word in text
    for code in ("0 ok", "1 other failure", "2 usage", "3 not found", "4 missing key",
                 "5 conflict", "6 rate limited", "7 network failure", "124 timed out",
                 "130 interrupted"):  # fmt: skip
        assert code in text
    assert fake.requests == []


def test_sandbox_help_lists_its_seven_commands(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "--help", env=NO_KEY)
    assert (result.exit_code, result.stderr) == (0, "")
    text = " ".join(result.stdout.split())
    for command in ("list", "create", "get", "delete", "start", "stop", "exec"):
        assert f" {command} " in text or f" {command}, " in text  # `list, ls` (issue 10)
    assert fake.requests == []


def test_python_dash_m_daytona_cli_prints_the_version(isolated: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "daytona_cli", "--version"],
        capture_output=True,
        text=True,
        cwd=isolated,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"daytona-cli {__version__}\n", "")


# -- end to end --------------------------------------------------------------------------------


def test_the_installed_command_reads_dot_env_from_its_working_directory(
    fake: FakeDaytona, served: str, isolated: Path
) -> None:
    box = fake.add_sandbox("demo")
    (isolated / ".env").write_text(f"DAYTONA_API_KEY={API_KEY}\nDAYTONA_ORGANIZATION_ID=org-7\n")
    result = run_installed("sandbox", "list", "-q", url=served, env={"DAYTONA_API_KEY": ""})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{box['id']}\n", "")
    [request] = fake.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["x-daytona-organization-id"] == "org-7"
    assert request.headers["user-agent"].startswith("daytona-cli/")


# -- values that cannot travel in a header, and URLs that cannot be used (found by a new user) --


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DAYTONA_API_KEY", "sk-SECRET123\n# my key", "contains a line break"),
        ("DAYTONA_API_KEY", "ключ-SECRET123", "a character an HTTP header cannot carry"),
        ("DAYTONA_ORGANIZATION_ID", "org\nSECRET123", "contains a line break"),
    ],
)
def test_a_value_an_http_header_cannot_carry_is_refused_without_showing_it(
    cli: Cli, fake: FakeDaytona, variable: str, value: str, says: str
) -> None:
    result = cli("sandbox", "list", "--json", env={variable: value})
    assert (result.exit_code, result.stdout) == (2, "")
    error = json.loads(result.stderr)["error"]
    assert says in error["message"] and variable in error["message"]
    assert "SECRET123" not in result.stderr
    assert fake.requests == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:bad/api", "is not an http(s) URL"),
        ("http://[::1", "is not an http(s) URL"),
        ("https://user:pw@app.daytona.io/api", "must not carry a user name or password"),
    ],
)
def test_an_unusable_api_url_is_a_usage_error(
    cli: Cli, fake: FakeDaytona, url: str, says: str
) -> None:
    result = cli("sandbox", "list", env={"DAYTONA_API_URL": url})
    assert (result.exit_code, result.stdout) == (2, "")
    assert says in one_line_error(result)
    assert "internal error" not in result.stderr
    assert fake.requests == []


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_request_timeout_that_is_not_a_number_of_seconds_is_refused(
    cli: Cli, fake: FakeDaytona, value: str
) -> None:
    result = cli("--request-timeout", value, "sandbox", "list")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--request-timeout" in one_line_error(result)
    assert fake.requests == []


def test_a_key_left_empty_in_the_env_file_is_named_as_empty(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text("DAYTONA_API_KEY\n")
    result = cli("sandbox", "list", env=NO_KEY)
    assert result.exit_code == 4
    assert "DAYTONA_API_KEY has no value in the env file" in one_line_error(result)


def test_an_unreadable_first_line_is_warned_about_before_the_error_it_causes(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text('DAYTONA_API_KEY="unterminated\n')
    result = cli("sandbox", "list", env=NO_KEY)
    assert result.exit_code == 4
    warning, error = result.stderr.splitlines()
    assert warning == "warning: .env, line 1: not KEY=VALUE, ignored"
    assert error.startswith("error: no API key")


@pytest.mark.parametrize("path", ["/dev/null"])
def test_an_env_file_that_is_not_a_regular_file_is_read_all_the_same(
    cli: Cli, fake: FakeDaytona, path: str
) -> None:
    result = cli("--env-file", path, "sandbox", "list")
    assert (result.exit_code, result.stderr) == (0, "No sandboxes found.\n")


@pytest.mark.parametrize(
    "value", ["${DAYTONA_API_KEY}", "${env:DAYTONA_API_KEY}", "$DAYTONA_API_KEY"]
)
def test_a_key_left_as_an_unexpanded_variable_says_so_and_is_never_sent(
    cli: Cli, fake: FakeDaytona, value: str
) -> None:
    result = cli("sandbox", "list", env={"DAYTONA_API_KEY": value})
    assert result.exit_code == 4
    assert "did not fill in the key" in one_line_error(result)
    assert fake.requests == []


@pytest.mark.parametrize("option", ["--debug", "--version"])
def test_a_global_option_after_the_command_says_where_it_goes(
    cli: Cli, fake: FakeDaytona, option: str
) -> None:
    result = cli("sandbox", "list", option)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        f"error: {option} is a global option: it goes before the command; "
        f"put it first: `daytona-cli {option} sandbox list ...`"
    )
    assert fake.requests == []


@pytest.mark.parametrize(
    ("args", "code", "usage", "hint"),
    [
        (["sandbox", "exec", "c1", "--cwd"], 125, "Usage: daytona-cli sandbox exec [OPTIONS]",
         "see `daytona-cli sandbox exec --help`"),
        (["sandbox", "list", "--name"], 2, "Usage: daytona-cli sandbox list [OPTIONS]",
         "see `daytona-cli sandbox list --help`"),
        (["--env-file"], 2, "Usage: daytona-cli [OPTIONS] COMMAND", "see `daytona-cli --help`"),
    ],
    ids=["exec --cwd", "list --name", "--env-file"],
)  # fmt: skip
def test_an_option_missing_its_value_is_a_usage_error_like_any_other(
    cli: Cli, fake: FakeDaytona, args: list[str], code: int, usage: str, hint: str
) -> None:
    """Click raises this one without the command's context: it still gets the usage line, a
    hint, and the command's own exit code (exec's usage errors are 125)."""
    result = cli(*args)
    assert (result.exit_code, result.stdout) == (code, "")
    lines = result.stderr.splitlines()
    assert lines[0].startswith(usage), lines
    assert lines[-1] == f"error: Option '{args[-1]}' requires an argument; {hint}"
    assert fake.requests == []
