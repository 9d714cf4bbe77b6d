"""Messages that say the right thing (issue 10, Messages).

A wrong DAYTONA_API_URL, timeouts and Ctrl-C while waiting, errors after a spinner or a prompt,
CI/DAYTONA_NO_INPUT, plurals, --debug, and malformed .env files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from daytona_cli.clock import Clock
from tests.conftest import Cli, Slow
from tests.fake_daytona import FakeDaytona

# == a wrong DAYTONA_API_URL ======================================================================


def answering(status: int, body: bytes, content_type: str) -> Cli:
    """A CLI whose every request gets this one answer: a server that is not the Daytona API."""

    def handler(_request: httpx.Request) -> httpx.Response:
        # Unread, as from a real connection (the client streams the body).
        return httpx.Response(
            status, headers={"content-type": content_type}, stream=httpx.ByteStream(body)
        )

    return Cli(SimpleNamespace(handler=handler), Path.cwd())  # type: ignore[arg-type]


NOT_DAYTONA = {
    "html-404": (404, b"<!doctype html><h1>404 Not Found</h1>", "text/html"),
    "other-json-404": (404, b'{"detail": "Not Found"}', "application/json"),
    "nest-no-route": (
        404,
        json.dumps(
            {"message": "Cannot GET /v1/sandbox/demo", "error": "Not Found", "statusCode": 404}
        ).encode(),
        "application/json",
    ),
}


@pytest.mark.parametrize("answer", NOT_DAYTONA, ids=list(NOT_DAYTONA))
@pytest.mark.parametrize("argv", [["sandbox", "get", "demo"], ["sandbox", "list"]])
def test_a_server_that_is_not_daytona_says_to_check_the_api_url(
    answer: str, argv: list[str]
) -> None:
    result = answering(*NOT_DAYTONA[answer])(*argv)
    assert result.exit_code == 1, result
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "check DAYTONA_API_URL" in line
    assert "fake.daytona.test" in line  # which server answered
    assert "not found" not in line.lower()
    assert "sandbox list" not in line


def test_a_real_404_still_says_the_sandbox_was_not_found(cli: Cli) -> None:
    result = cli("sandbox", "get", "nope")
    assert result.exit_code == 3, result
    assert "not found" in result.stderr and "DAYTONA_API_URL" not in result.stderr


def test_run_with_debug_is_not_said_when_debug_is_on() -> None:
    cli = answering(200, b"<html>sign in</html>", "text/html")
    plain = cli("sandbox", "list")
    assert plain.exit_code == 1
    assert "run with --debug" in plain.stderr.splitlines()[-1]
    debugging = cli("--debug", "sandbox", "list")
    assert debugging.exit_code == 1
    assert "DAYTONA_API_URL" in debugging.stderr.splitlines()[-1]
    assert "--debug" not in debugging.stderr.splitlines()[-1]


# == waiting =====================================================================================


def test_a_wait_timeout_speaks_of_waiting_with_a_rounded_duration(
    slow: Slow, fake: FakeDaytona
) -> None:
    sandbox = slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "wait", "s", "--for", "started", "--timeout", "2")
    assert (result.exit_code, result.stdout) == (124, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"error: sandbox {sandbox['id']} is still stopped after 2 s; was waiting for started;"
    )
    assert "delete" not in line
    assert f"daytona-cli sandbox get {sandbox['id']}" in line


def test_a_timeout_shows_a_duration_people_read(slow: Slow) -> None:
    slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "wait", "s", "--for", "started", "--timeout", "0.25")
    assert re.search(r"after 0\.[23] s;", result.stderr), result


def interrupting(slow: Slow) -> Clock:
    """The slow CLI's clock, except that the first sleep is a Ctrl-C."""

    def sleep(_seconds: float) -> None:
        raise KeyboardInterrupt

    return Clock(slow.clock.monotonic, sleep)


@pytest.mark.parametrize(
    ("argv", "state", "goal"),
    [
        (["sandbox", "stop", "s"], "started", "stopped"),
        (["sandbox", "start", "s"], "stopped", "started"),
        (["sandbox", "wait", "s", "--for", "archived"], "started", "archived"),
    ],
)
def test_ctrl_c_names_the_state_asked_for(
    slow: Slow, argv: list[str], state: str, goal: str
) -> None:
    sandbox = slow.fake.add_sandbox("s", state=state)
    result = slow.cli(*argv, clock=interrupting(slow))
    assert (result.exit_code, result.stdout) == (130, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: interrupted while waiting for {goal}: sandbox s ")
    assert sandbox["id"] in line
    for internal in ("destroying", "destroyed", "archived/", "/stopped"):
        assert internal not in line


# == a fresh line after a prompt or a spinner ======================================================


def screen(raw: str) -> list[str]:
    """What a terminal shows after ``raw``: carriage returns, newlines, erase-line and cursor-up
    obeyed; colours and cursor visibility ignored."""
    rows = [""]
    row = col = 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|.", raw, re.DOTALL):
        if token == "\n":
            row, col = row + 1, 0
            if row == len(rows):
                rows.append("")
        elif token == "\r":
            col = 0
        elif token.startswith("\x1b["):
            if token.endswith("K"):
                rows[row] = rows[row][:col]
            elif token.endswith("A"):
                row = max(0, row - int(token[2:-1] or 1))
        else:
            line = rows[row].ljust(col)
            rows[row] = line[:col] + token + line[col + 1 :]
            col += 1
    return [line.rstrip() for line in rows]


def test_an_error_after_an_unanswered_prompt_starts_on_a_fresh_line(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("s")
    # Ctrl-D: no answer, and no newline after the question.
    result = cli("sandbox", "delete", "s", tty=True, stdin="", env={"NO_COLOR": "1"})
    assert result.exit_code == 1, result
    assert "[y/N]: \nerror: cancelled; nothing was deleted" in result.stderr
    shown = [line for line in screen(result.stderr) if line]
    assert shown[-2].endswith("[y/N]:") and shown[-1].startswith("error: cancelled")


def test_an_error_while_a_spinner_shows_starts_on_a_fresh_line(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("a")
    result = cli("sandbox", "delete", "a", "missing", "--yes", tty=True, env={"NO_COLOR": "1"})
    assert result.exit_code == 3, result
    assert "Delete:" in result.stderr  # the progress line was shown
    shown = [line for line in screen(result.stderr) if line]
    errors = [line for line in shown if "not found" in line]
    assert len(errors) == 1
    assert errors[0].startswith("error: missing: Sandbox with ID or name missing not found")
    assert not any("Delete:" in line for line in shown), shown  # the spinner is gone


# == prompting under CI ===========================================================================


@pytest.mark.parametrize("variable", ["CI", "DAYTONA_NO_INPUT"])
def test_the_refusal_to_prompt_names_the_variable_that_turned_it_off(
    cli: Cli, fake: FakeDaytona, variable: str
) -> None:
    fake.add_sandbox("s")
    env = {variable: "true", "NO_COLOR": "1"}
    result = cli("sandbox", "delete", "s", tty=True, stdin="y\n", env=env)
    assert (result.exit_code, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"error: refusing to delete without confirmation: {variable} is set, so it never prompts;"
    )
    assert "terminal" not in line
    assert "pass --yes" in line


def test_without_a_terminal_the_refusal_says_so(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s")
    result = cli("sandbox", "delete", "s")
    assert "no terminal to ask on" in result.stderr


# == grammar ======================================================================================


def test_counts_have_their_plurals(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("one", labels={"team": "solo"})
    for name in ("a", "b", "c"):
        fake.add_sandbox(name, labels={"team": "trio"})
    single = cli("sandbox", "stop", "-l", "team=solo", "--dry-run")
    assert single.stderr == "Dry run: would stop 1 sandbox; nothing was changed.\n"
    triple = cli("sandbox", "stop", "-l", "team=trio", "--dry-run")
    assert triple.stderr == "Dry run: would stop 3 sandboxes; nothing was changed.\n"
    none = cli("sandbox", "delete", "-l", "team=nobody", "--yes")
    assert (none.exit_code, none.stdout, none.stderr) == (0, "", "No sandboxes matched.\n")
    fields = cli("sandbox", "list", "--fields", "nope")
    assert "unknown field for --fields: nope" in fields.stderr
    fields = cli("sandbox", "list", "--fields", "nope,nada")
    assert "unknown fields for --fields: nope, nada" in fields.stderr


# == .env files ===================================================================================


def test_a_malformed_env_file_gives_one_warning_naming_the_file_and_line(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    fake.add_sandbox("a")
    (isolated / ".env").write_text("DAYTONA_TARGET=eu\nthis is not a setting\n")
    result = cli("sandbox", "list")
    assert result.exit_code == 0, result
    assert result.stderr.splitlines() == ["warning: .env, line 2: not KEY=VALUE, ignored"]


def test_several_malformed_lines_are_still_one_warning(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    fake.add_sandbox("a")
    settings = tmp_path / "ci.env"
    settings.write_text("not one\nDAYTONA_TARGET=eu\n'unclosed\n")
    result = cli("--env-file", str(settings), "sandbox", "list")
    assert result.exit_code == 0, result
    assert result.stderr.splitlines() == [
        f"warning: {settings}, lines 1, 3: not KEY=VALUE, ignored"
    ]


def test_a_name_without_a_value_in_an_env_file_is_warned_of_and_ignored(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    fake.add_sandbox("a")
    (isolated / ".env").write_text("DAYTONA_TARGET\njunk here\nDAYTONA_MAX_ATTEMPTS\n")
    result = cli("sandbox", "list", "-q")
    assert result.exit_code == 0, result
    assert result.stderr.splitlines() == [
        "warning: .env, line 2: not KEY=VALUE, ignored; "
        ".env: DAYTONA_TARGET, DAYTONA_MAX_ATTEMPTS without =VALUE, read as empty"
    ]
    assert result.stdout.strip() == fake.sandbox("a")["id"]  # type: ignore[index]


def test_env_file_on_a_directory_says_it_is_a_directory(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    result = cli("--env-file", str(tmp_path), "sandbox", "list")
    assert (result.exit_code, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: --env-file {tmp_path} is a directory, not a file;")
    assert not fake.requests


# == output flags =================================================================================


@pytest.mark.parametrize(
    "argv",
    [
        ["sandbox", "list", "--json", "--jsonl"],
        ["sandbox", "list", "-q", "--json"],
        ["sandbox", "list", "-q", "--jsonl"],
        ["sandbox", "list", "-q", "--fields", "name"],
        ["snapshot", "list", "--json", "--jsonl"],
        ["sandbox", "create", "-q", "--json"],
    ],
)
def test_contradictory_output_flags_are_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, argv: list[str]
) -> None:
    fake.add_sandbox("a")
    result = cli(*argv)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "cannot be used together" in result.stderr
    assert not fake.requests


def sent_order(fake: FakeDaytona) -> list[tuple[str | None, str | None]]:
    return [(r.url.params.get("sort"), r.url.params.get("order")) for r in fake.requests]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (None, None)),
        (["--sort", "name"], ("name", "asc")),
        (["--sort", "createdAt"], ("createdAt", "desc")),
        (["--sort", "memoryGib"], ("memoryGib", "desc")),
        (["--sort", "name", "--order", "desc"], ("name", "desc")),
        (["--sort", "cpu", "--order", "asc"], ("cpu", "asc")),
    ],
)
def test_sort_defaults_to_the_natural_order_of_its_field(
    cli: Cli, fake: FakeDaytona, argv: list[str], expected: tuple[Any, Any]
) -> None:
    for name in ("beta", "alpha", "gamma"):
        fake.add_sandbox(name)
    result = cli("sandbox", "list", *argv, "--fields", "name")
    assert result.exit_code == 0, result
    assert sent_order(fake) == [expected]
    if argv == ["--sort", "name"]:
        assert result.stdout == "alpha\nbeta\ngamma\n"


PAGE = b"<html><body><h1>Error response</h1></body></html>"


@pytest.mark.parametrize(
    ("command", "method", "path"),
    [
        (["sandbox", "create", "--name", "x"], "POST", "/sandbox"),
        (["sandbox", "delete", "x", "--yes"], "DELETE", "/sandbox/x"),
    ],
    ids=["create", "delete"],
)
def test_a_plain_web_server_answering_501_to_a_change_says_to_check_the_url(
    cli: Cli, fake: FakeDaytona, command: list[str], method: str, path: str
) -> None:
    fake.inject_raw(method, path, body=PAGE, status=501, content_type="text/html", times=3)
    result = cli(*command)
    assert (result.exit_code, result.stdout) == (1, "")
    (line,) = result.stderr.splitlines()
    assert "DAYTONA_API_URL" in line
    assert "status.daytona.io" not in line and "Daytona API failed" not in line


def test_a_gateways_error_page_says_check_the_url_or_try_again(cli: Cli, fake: FakeDaytona) -> None:
    fake.inject_raw("GET", "/sandbox", body=PAGE, status=502, content_type="text/html", times=3)
    result = cli("sandbox", "list")
    assert (result.exit_code, result.stdout) == (1, "")
    (line,) = result.stderr.splitlines()
    assert "a web page, not the Daytona API's JSON" in line and "DAYTONA_API_URL" in line


# -- found by a new user ------------------------------------------------------------------------


def test_waiting_for_a_sandbox_named_twice_waits_and_reports_it_once(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("a")
    result = cli("sandbox", "wait", "a", "a", "--for", "started", "--json")
    assert result.exit_code == 0, result
    assert [item["name"] for item in result.json()] == ["a"]


def test_a_wait_that_times_out_on_a_settled_sandbox_does_not_say_it_carries_on(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("idle", state="stopped")
    result = cli("sandbox", "wait", "idle", "--for", "started", "--timeout", "2")
    assert result.exit_code == 124
    assert "still stopped after 2 s; was waiting for started" in result.stderr
    assert "background" not in result.stderr


def test_a_dry_run_not_found_error_has_a_hint(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("real")
    result = cli("sandbox", "delete", "real", "nope", "--dry-run", "--json")
    assert result.exit_code == 3
    error = json.loads(result.stderr.splitlines()[-1])["error"]
    assert (error["status"], error["hint"]) == (
        404,
        "list sandboxes with `daytona-cli sandbox list`",
    )


def test_start_accepts_yes_like_stop_and_delete(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s", state="stopped")
    result = cli("sandbox", "start", "s", "--yes")
    assert result.exit_code == 0, result


def test_an_output_the_disk_cannot_take_is_the_oss_reason_not_an_internal_error(
    cli: Cli, fake: FakeDaytona, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def full(self: object, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("daytona_cli.output.Output.write", full)
    result = cli("--version")
    assert (result.exit_code, result.stderr) == (1, "error: No space left on device\n")


@pytest.mark.parametrize(("args", "route"), [(["sandbox", "list"], "/sandbox"),
                                             (["snapshot", "list"], "/snapshots")])  # fmt: skip
def test_a_404_to_a_list_says_the_url_is_wrong_not_that_something_is_missing(
    cli: Cli, fake: FakeDaytona, args: list[str], route: str
) -> None:
    """A DAYTONA_API_URL with the wrong path can reach a server that answers 404 in Daytona's
    own error shape (a toolbox proxy): every Daytona API has the lists, so the URL is wrong."""
    fake.inject_raw("GET", route, status=404, body=b'{"statusCode": 404, "message": "Not Found"}')
    result = cli(*args)
    assert (result.exit_code, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: the server has no list of {route[1:]} here (Not Found); ")
    assert "check DAYTONA_API_URL: it should be the API's base URL" in line


def test_a_message_ending_in_a_full_stop_loses_it_before_the_hint(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.inject("GET", "/sandbox/*", drop=True, times=3)
    result = cli("sandbox", "get", "a")
    assert result.exit_code == 7, result
    [line] = result.stderr.splitlines()
    assert "Server disconnected without sending a response; " in line, line
    assert ".;" not in line


def test_a_name_already_taken_says_what_to_do(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("c1")
    result = cli("sandbox", "create", "--name", "c1")
    assert result.exit_code == 5, result
    [line] = result.stderr.splitlines()
    assert line.endswith(
        "; choose another name, or use that sandbox (`daytona-cli sandbox list` shows it)"
    ), line


def test_an_empty_sandbox_name_says_where_names_are(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "get", "")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        "error: empty sandbox name or ID; names and IDs are shown by `daytona-cli sandbox list`"
    )
    assert fake.requests == []
