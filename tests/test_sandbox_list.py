"""`daytona-cli sandbox list`: filters, paging, the three output modes and every error path.

Each test checks the exit code, stdout and stderr, and the exact requests the fake received:
filters are validated before any request, and `--limit` never asks for more than it prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.clock import Clock
from tests.conftest import API_KEY, BASE_URL, PROXY_URL, Cli, Result
from tests.fake_daytona import DEFAULT_SNAPSHOT, LISTABLE_STATES, FakeDaytona

LIST_URL = f"{BASE_URL}/sandbox"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SGR = re.compile(r"\x1b\[([0-9;]*)m")
NO_SLEEP = Clock(sleep=lambda _seconds: None)
"""Retries back off through the runtime's clock; tests skip the real sleeping."""


# -- helpers -------------------------------------------------------------------------------------


def sent(fake: FakeDaytona | Scripted) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(method, URL without query, sorted query pairs) of every request, repeated params kept."""
    return [
        (
            request.method,
            str(request.url.copy_with(query=None)),
            sorted(request.url.params.multi_items()),
        )
        for request in fake.requests
    ]


def page_answers(fake: FakeDaytona) -> list[Any]:
    """The bodies the fake answered GET /sandbox with, in order."""
    return [
        response.json()
        for request, response in fake.exchanges
        if request.method == "GET" and request.url.path == "/api/sandbox"
    ]


def listed_items(fake: FakeDaytona) -> list[dict[str, Any]]:
    return [item for body in page_answers(fake) for item in body["items"]]


def plain(text: str) -> str:
    return ANSI.sub("", text)


def colour_codes(text: str) -> list[str]:
    """SGR sequences that set a colour (what NO_COLOR forbids; bold and dim are not colours)."""
    found = []
    for match in SGR.finditer(text):
        params = [int(part) for part in match.group(1).split(";") if part] or [0]
        first = params[0]
        if first in (38, 48) or 30 <= first <= 37 or 40 <= first <= 47 or 90 <= first <= 107:
            found.append(match.group(0))
    return found


def one_line_error(result: Result) -> str:
    """The single `error: ...` line a failure prints; no traceback."""
    assert "Traceback" not in result.stderr, result
    # A usage error found by the parser shows the usage line first (issue 10).
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Usage: ")]
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    return lines[0]


def json_error(result: Result) -> dict[str, Any]:
    """The `{"error": {...}}` object under --json: the only thing on stderr."""
    assert "Traceback" not in result.stderr, result
    body = json.loads(result.stderr)
    assert set(body) == {"error"}, result
    assert set(body["error"]) == {"code", "message", "status", "hint"}, result
    return body["error"]  # type: ignore[no-any-return]


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def add_many(fake: FakeDaytona, count: int) -> list[str]:
    """Sandboxes with distinct, strictly older activity, so the default order is known."""
    now = datetime.now(timezone.utc)
    ids = []
    for index in range(count):
        box = fake.add_sandbox(
            f"box-{index:03d}", lastActivityAt=stamp(now - timedelta(seconds=index))
        )
        ids.append(box["id"])
    return ids


class Scripted:
    """Stands in for the fake inside `Cli`: every request is recorded and answered by `answer`."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answer(request)


def unread(status: int, content_type: str, body: bytes) -> httpx.Response:
    """An answer whose body has not been read yet, as from a real connection (the client streams)."""
    return httpx.Response(
        status, headers={"content-type": content_type}, stream=httpx.ByteStream(body)
    )


@pytest.fixture
def bare_fake() -> FakeDaytona:
    """An older API that answers the list with a bare JSON array."""
    fake = FakeDaytona(
        api_key=API_KEY,
        base_url=BASE_URL,
        proxy_url=PROXY_URL,
        transition_seconds=0.05,
        bare_array_list=True,
    )
    return fake


# -- what is sent ----------------------------------------------------------------------------


def test_a_plain_list_asks_for_pages_of_200_and_nothing_else(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("only")
    result = cli("sandbox", "list", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    assert sent(fake) == [("GET", LIST_URL, [("limit", "200")])]


def test_name_filter_is_sent_as_the_name_param_and_selects_by_prefix(
    cli: Cli, fake: FakeDaytona
) -> None:
    demo = fake.add_sandbox("demo-web")
    fake.add_sandbox("Demo-db")
    fake.add_sandbox("other")
    result = cli("sandbox", "list", "--name", "demo-w", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{demo['id']}\n", "")
    assert sent(fake) == [("GET", LIST_URL, [("limit", "200"), ("name", "demo-w")])]


def test_repeated_labels_become_one_json_encoded_labels_param_and_all_must_match(
    cli: Cli, fake: FakeDaytona
) -> None:
    both = fake.add_sandbox("both", labels={"team": "data", "env": "ci", "x": "y"})
    fake.add_sandbox("team-only", labels={"team": "data"})
    fake.add_sandbox("env-only", labels={"env": "ci"})
    result = cli("sandbox", "list", "-l", "team=data", "--label", "env=ci", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{both['id']}\n", "")
    [request] = fake.requests
    assert request.url.params.get_list("labels") == [request.url.params["labels"]]
    assert json.loads(request.url.params["labels"]) == {"team": "data", "env": "ci"}
    assert sorted(key for key, _ in request.url.params.multi_items()) == ["labels", "limit"]


def test_a_label_value_keeps_equals_signs_spaces_and_unicode(cli: Cli, fake: FakeDaytona) -> None:
    match = fake.add_sandbox("m", labels={"note": "a=b c", "ünï": "✓"})
    result = cli("sandbox", "list", "-l", "note=a=b c", "-l", "ünï=✓", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{match['id']}\n", "")
    [request] = fake.requests
    assert json.loads(request.url.params["labels"]) == {"note": "a=b c", "ünï": "✓"}


@pytest.mark.parametrize("bad", ["novalue", "=value"])
def test_a_label_that_is_not_key_equals_value_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, bad: str
) -> None:
    result = cli("sandbox", "list", "-l", bad)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--label" in one_line_error(result)
    assert fake.requests == []


def test_repeated_states_are_sent_as_repeated_states_params_in_order(
    cli: Cli, fake: FakeDaytona
) -> None:
    started = fake.add_sandbox("s1", state="started")
    stopped = fake.add_sandbox("s2", state="stopped")
    fake.add_sandbox("s3", state="archived")
    result = cli("sandbox", "list", "--state", "stopped", "--state", "started", "-q")
    assert result.exit_code == 0
    assert sorted(result.stdout.splitlines()) == sorted([started["id"], stopped["id"]])
    assert result.stderr == ""
    [request] = fake.requests
    assert request.url.params.get_list("states") == ["stopped", "started"]
    assert sent(fake) == [
        ("GET", LIST_URL, [("limit", "200"), ("states", "started"), ("states", "stopped")])
    ]


def test_every_listable_state_of_the_api_is_accepted(cli: Cli, fake: FakeDaytona) -> None:
    args = [arg for state in LISTABLE_STATES for arg in ("--state", state)]
    result = cli("sandbox", "list", *args, "-q")
    assert (result.exit_code, result.stdout) == (0, "")
    [request] = fake.requests
    assert request.url.params.get_list("states") == list(LISTABLE_STATES)


@pytest.mark.parametrize("bad", ["destroyed", "running"])
def test_an_unknown_or_unlistable_state_is_refused_with_exit_2_before_any_request(
    cli: Cli, fake: FakeDaytona, bad: str
) -> None:
    result = cli("sandbox", "list", "--state", "started", "--state", bad)
    assert (result.exit_code, result.stdout) == (2, "")
    line = one_line_error(result)
    assert repr(bad) in line or f'"{bad}"' in line
    assert "started, stopped" in line  # the valid states are listed...
    assert "destroyed" not in line.replace(repr(bad), "")  # ...and destroyed is not one of them
    assert fake.requests == []


def test_a_bad_state_under_json_is_a_json_usage_error_on_stderr(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "list", "--state", "destroyed", "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    error = json_error(result)
    assert error["code"] == "usage"
    assert error["status"] is None
    assert "destroyed" in error["message"]
    assert fake.requests == []


def test_repeated_snapshots_are_sent_as_repeated_snapshots_params(
    cli: Cli, fake: FakeDaytona
) -> None:
    a = fake.add_sandbox("a", snapshot="img:a")
    b = fake.add_sandbox("b", snapshot="img:b")
    fake.add_sandbox("c", snapshot=DEFAULT_SNAPSHOT)
    result = cli("sandbox", "list", "--snapshot", "img:a", "--snapshot", "img:b", "-q")
    assert result.exit_code == 0
    assert sorted(result.stdout.splitlines()) == sorted([a["id"], b["id"]])
    assert result.stderr == ""
    [request] = fake.requests
    assert request.url.params.get_list("snapshots") == ["img:a", "img:b"]


def test_sort_and_order_are_sent_as_given(cli: Cli, fake: FakeDaytona) -> None:
    fields = ["name", "cpu", "memoryGib", "diskGib", "lastActivityAt", "createdAt"]
    orders = ["asc", "desc"] * 3
    for field, order in zip(fields, orders):
        result = cli("sandbox", "list", "--sort", field, "--order", order)
        assert (result.exit_code, result.stdout) == (0, "")
    assert sent(fake) == [
        ("GET", LIST_URL, [("limit", "200"), ("order", order), ("sort", field)])
        for field, order in zip(fields, orders)
    ]


def test_the_list_keeps_the_order_the_api_sorted_it_in(cli: Cli, fake: FakeDaytona) -> None:
    for name, cpu in (("b", 4), ("c", 1), ("a", 2)):
        fake.add_sandbox(name, cpu=cpu)
    by_name = cli("sandbox", "list", "--sort", "name", "--order", "asc")
    by_cpu = cli("sandbox", "list", "--sort", "cpu", "--order", "desc")
    assert [line.split("\t")[0] for line in by_name.stdout.splitlines()] == ["a", "b", "c"]
    assert [line.split("\t")[0] for line in by_cpu.stdout.splitlines()] == ["b", "a", "c"]
    assert (by_name.exit_code, by_name.stderr, by_cpu.exit_code, by_cpu.stderr) == (0, "", 0, "")


@pytest.mark.parametrize(
    "args",
    [
        ["--sort", "memory"],
        ["--order", "up"],
        ["--limit", "0"],
        ["--limit", "many"],
    ],
    ids=["sort-memory", "order-up", "limit-0", "limit-word"],
)
def test_a_bad_sort_order_or_limit_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, args: list[str]
) -> None:
    result = cli("sandbox", "list", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert args[0] in one_line_error(result)
    assert fake.requests == []


# -- paging ----------------------------------------------------------------------------------


def test_list_follows_next_cursor_until_done(cli: Cli, fake: FakeDaytona) -> None:
    ids = add_many(fake, 401)
    result = cli("sandbox", "list", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == ids
    answers = page_answers(fake)
    assert [len(body["items"]) for body in answers] == [200, 200, 1]
    assert answers[-1]["nextCursor"] is None
    assert sent(fake) == [
        ("GET", LIST_URL, [("limit", "200")]),
        ("GET", LIST_URL, [("cursor", answers[0]["nextCursor"]), ("limit", "200")]),
        ("GET", LIST_URL, [("cursor", answers[1]["nextCursor"]), ("limit", "200")]),
    ]


def test_filters_are_repeated_on_every_page(cli: Cli, fake: FakeDaytona) -> None:
    for index in range(203):
        fake.add_sandbox(f"web-{index:03d}", labels={"team": "a"}, state="stopped")
    fake.add_sandbox("db", labels={"team": "a"}, state="stopped")
    result = cli(
        "sandbox", "list", "--name", "web", "-l", "team=a", "--state", "stopped", "--sort",
        "name", "--order", "asc", "-q",
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (0, "")
    assert len(result.stdout.splitlines()) == 203
    cursors = [None, page_answers(fake)[0]["nextCursor"]]
    assert len(fake.requests) == 2
    for request, cursor in zip(fake.requests, cursors):
        params = request.url.params
        assert json.loads(params["labels"]) == {"team": "a"}
        expected = [
            ("limit", "200"), ("name", "web"), ("order", "asc"), ("sort", "name"),
            ("states", "stopped"),
        ]  # fmt: skip
        if cursor is not None:
            expected = sorted([*expected, ("cursor", cursor)])
        assert sorted(pair for pair in params.multi_items() if pair[0] != "labels") == expected


def test_limit_smaller_than_a_page_asks_for_only_that_many(cli: Cli, fake: FakeDaytona) -> None:
    ids = add_many(fake, 10)
    result = cli("sandbox", "list", "--limit", "3", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "".join(f"{i}\n" for i in ids[:3]),
        "",
    )
    assert sent(fake) == [("GET", LIST_URL, [("limit", "3")])]


def test_limit_of_exactly_one_page_stops_without_asking_for_the_next(
    cli: Cli, fake: FakeDaytona
) -> None:
    ids = add_many(fake, 201)
    result = cli("sandbox", "list", "--limit", "200", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == ids[:200]
    assert sent(fake) == [("GET", LIST_URL, [("limit", "200")])]


def test_limit_over_several_pages_asks_the_last_page_for_only_the_rest(
    cli: Cli, fake: FakeDaytona
) -> None:
    ids = add_many(fake, 260)
    result = cli("sandbox", "list", "--limit", "230", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == ids[:230]
    first = page_answers(fake)[0]
    assert sent(fake) == [
        ("GET", LIST_URL, [("limit", "200")]),
        ("GET", LIST_URL, [("cursor", first["nextCursor"]), ("limit", "30")]),
    ]


def test_limit_larger_than_the_list_prints_everything_and_stops_at_the_last_page(
    cli: Cli, fake: FakeDaytona
) -> None:
    ids = add_many(fake, 5)
    result = cli("sandbox", "list", "--limit", "1000", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "".join(f"{i}\n" for i in ids),
        "",
    )
    assert sent(fake) == [("GET", LIST_URL, [("limit", "200")])]


def test_a_failure_on_a_later_page_keeps_the_lines_already_printed_and_exits_with_its_code(
    fake: FakeDaytona, isolated: Path
) -> None:
    ids = add_many(fake, 201)

    def answer(request: httpx.Request) -> httpx.Response:
        if "cursor" in request.url.params:
            return unread(403, "application/json", b'{"statusCode": 403, "message": "Forbidden"}')
        return fake.handler(request)

    scripted = Scripted(answer)
    result = Cli(scripted, isolated)("sandbox", "list", "-q")  # type: ignore[arg-type]
    assert result.exit_code == 4
    assert result.stdout.splitlines() == ids[:200]
    assert "Forbidden" in one_line_error(result)
    assert len(scripted.requests) == 2


# -- older API: a bare array ---------------------------------------------------------------


def test_a_bare_array_answer_is_listed_whole_from_one_request(
    bare_fake: FakeDaytona, isolated: Path
) -> None:
    ids = add_many(bare_fake, 5)
    result = Cli(bare_fake, isolated)("sandbox", "list", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "".join(f"{i}\n" for i in ids),
        "",
    )
    assert sent(bare_fake) == [("GET", LIST_URL, [("limit", "200")])]


def test_a_bare_array_answer_is_cut_to_the_limit(bare_fake: FakeDaytona, isolated: Path) -> None:
    ids = add_many(bare_fake, 5)
    result = Cli(bare_fake, isolated)("sandbox", "list", "--limit", "2", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{ids[0]}\n{ids[1]}\n", "")
    assert len(bare_fake.requests) == 1


def test_a_bare_array_answer_under_json_is_printed_unchanged(
    bare_fake: FakeDaytona, isolated: Path
) -> None:
    add_many(bare_fake, 3)
    result = Cli(bare_fake, isolated)("sandbox", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    [(_, response)] = bare_fake.exchanges
    assert result.json() == response.json()
    assert isinstance(response.json(), list)


def test_a_bare_array_answer_piped_gives_the_same_lines_as_a_paged_one(
    bare_fake: FakeDaytona, fake: FakeDaytona, isolated: Path
) -> None:
    for target in (bare_fake, fake):
        target.add_sandbox("same", id="0e3c5f4e-0000-4000-8000-000000000001", cpu=2)
    bare = Cli(bare_fake, isolated)("sandbox", "list")
    paged = Cli(fake, isolated)("sandbox", "list")
    assert (bare.exit_code, bare.stderr) == (0, "")
    assert bare.stdout.split("\t")[:-1] == paged.stdout.split("\t")[:-1]


# -- piped output ----------------------------------------------------------------------------


def test_piped_output_is_one_tab_separated_record_per_sandbox_with_iso_utc_times(
    cli: Cli, fake: FakeDaytona
) -> None:
    web = fake.add_sandbox(
        "web",
        snapshot="python:3.12",
        cpu=2,
        memory=4,
        disk=10,
        target="eu",
        lastActivityAt="2024-10-01T14:00:00.000+02:00",
    )
    db = fake.add_sandbox(
        "db", state="stopped", cpu=1, memory=1, disk=3, lastActivityAt="2024-09-30T08:30:15.250Z"
    )
    result = cli("sandbox", "list")
    assert result.exit_code == 0
    assert result.stdout == (
        f"web\t{web['id']}\tstarted\tpython:3.12\t2\t4\t10\teu\t2024-10-01T12:00:00Z\n"
        f"db\t{db['id']}\tstopped\t{DEFAULT_SNAPSHOT}\t1\t1\t3\tus\t2024-09-30T08:30:15.250Z\n"
    )
    assert result.stderr == ""


def test_piped_output_has_no_header_no_borders_and_no_escape_codes(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("a-rather-long-sandbox-name-" + "x" * 80, snapshot="s" * 120)
    fake.add_sandbox("broken", state="error")
    result = cli("sandbox", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(line.count("\t") == 8 for line in lines)
    assert "\x1b" not in result.stdout
    assert "NAME" not in result.stdout
    assert not any(char in result.stdout for char in "│─┃━╭╰")
    assert "s" * 120 in result.stdout  # no truncation


def test_tabs_newlines_and_escapes_in_server_values_are_shown_escaped_in_a_pipe(
    cli: Cli, fake: FakeDaytona
) -> None:
    box = fake.add_sandbox("tab\there\nand\x1b[31mred")
    result = cli("sandbox", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.count("\n") == 1
    name, ident = result.stdout.split("\t")[:2]
    assert name == "tab\\x09here\\x0aand\\x1b[31mred"
    assert ident == box["id"]


# -- terminal output -------------------------------------------------------------------------


def test_on_a_terminal_the_list_is_a_table_with_headers_units_and_relative_times(
    cli: Cli, fake: FakeDaytona
) -> None:
    when = stamp(datetime.now(timezone.utc) - timedelta(minutes=10, seconds=5))
    box = fake.add_sandbox("web", cpu=2, memory=4, disk=10, target="eu", lastActivityAt=when)
    result = cli("sandbox", "list", tty=True, width=200)  # wide enough for every column
    assert (result.exit_code, result.stderr) == (0, "")
    text = plain(result.stdout)
    header = next(line for line in text.splitlines() if "NAME" in line)
    assert header.split() == [
        "NAME", "ID", "STATE", "SNAPSHOT", "CPU", "MEMORY", "(GiB)", "DISK", "(GiB)", "REGION",
        "LAST", "ACTIVITY",
    ]  # fmt: skip
    row = next(line for line in text.splitlines() if box["id"] in line)
    assert row.split()[:3] == ["web", box["id"], "started"]
    assert row.split()[4:7] == ["2", "4", "10"]  # the unit is in the heading (issue 10)
    assert "10 minutes ago" in row
    assert when[:10] not in text  # no ISO timestamps for people
    assert colour_codes(result.stdout)  # states are coloured


def test_no_color_on_a_terminal_keeps_the_table_but_drops_every_colour(
    cli: Cli, fake: FakeDaytona
) -> None:
    for state in ("started", "stopped", "archived", "error", "build_failed"):
        fake.add_sandbox(state, state=state)
    result = cli("sandbox", "list", tty=True, env={"NO_COLOR": "1"})
    assert (result.exit_code, result.stderr) == (0, "")
    assert colour_codes(result.stdout) == []
    text = plain(result.stdout)
    assert "NAME" in text
    assert all(state in text for state in ("started", "stopped", "archived", "error"))


def test_no_color_on_a_terminal_also_keeps_error_messages_uncoloured(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.inject("GET", "/sandbox", status=401)
    result = cli("sandbox", "list", tty=True, env={"NO_COLOR": "1"})
    assert (result.exit_code, result.stdout) == (4, "")
    assert colour_codes(result.stderr) == []
    assert "Invalid credentials" in plain(result.stderr)


def test_an_empty_list_on_a_terminal_prints_no_table_and_a_note_on_stderr(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "list", tty=True)
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no sandboxes" in plain(result.stderr).lower()
    assert sent(fake) == [("GET", LIST_URL, [("limit", "200")])]


# -- --json and -q ---------------------------------------------------------------------------


def test_json_prints_the_apis_objects_unchanged_as_one_array_and_nothing_else(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.seed(sandboxes=3)
    fake.add_sandbox("errored", state="error", labels={"k": "v"})
    result = cli("sandbox", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == listed_items(fake)
    assert len(result.json()) == 4


def test_json_over_several_pages_is_still_one_valid_array(cli: Cli, fake: FakeDaytona) -> None:
    ids = add_many(fake, 201)
    result = cli("sandbox", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [item["id"] for item in result.json()] == ids
    assert result.json() == listed_items(fake)
    assert len(fake.requests) == 2


def test_json_on_a_terminal_is_still_plain_json(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("one")
    result = cli("sandbox", "list", "--json", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    assert "\x1b" not in result.stdout
    assert result.json() == listed_items(fake)


def test_quiet_prints_ids_one_per_line_in_the_apis_order(cli: Cli, fake: FakeDaytona) -> None:
    ids = add_many(fake, 4)
    for tty in (False, True):
        result = cli("sandbox", "list", "-q", tty=tty)
        assert (result.exit_code, result.stdout, result.stderr) == (
            0,
            "".join(f"{ident}\n" for ident in ids),
            "",
        )
    long = cli("sandbox", "list", "--quiet")
    assert long.stdout.splitlines() == ids


@pytest.mark.parametrize("args", [[], ["-q"]], ids=["table", "quiet"])
def test_an_empty_list_exits_0_with_empty_stdout_and_a_note_on_stderr(
    cli: Cli, fake: FakeDaytona, args: list[str]
) -> None:
    fake.add_sandbox("elsewhere", labels={"team": "b"})
    result = cli("sandbox", "list", "-l", "team=a", *args)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.strip() != ""
    assert "no sandboxes" in result.stderr.lower()
    assert len(fake.requests) == 1


def test_an_empty_list_under_json_is_an_empty_array_and_no_note(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == []
    assert result.stdout.strip() == "[]"


# -- errors ----------------------------------------------------------------------------------

API_ERRORS = [
    pytest.param(401, 4, "auth", "Invalid credentials", id="401"),
    pytest.param(403, 4, "auth", "Forbidden", id="403"),
    pytest.param(429, 6, "rate_limit", "ThrottlerException: Too Many Requests", id="429"),
    pytest.param(500, 1, "server", "Internal server error", id="500"),
]


@pytest.mark.parametrize(("status", "code", "category", "message"), API_ERRORS)
def test_an_api_error_maps_to_its_exit_code_with_one_line_on_stderr(
    cli: Cli, fake: FakeDaytona, status: int, code: int, category: str, message: str
) -> None:
    fake.add_sandbox("hidden")
    fake.inject("GET", "/sandbox", status=status, times=10)
    result = cli("sandbox", "list", clock=NO_SLEEP)
    assert (result.exit_code, result.stdout) == (code, "")
    assert message in one_line_error(result)
    assert API_KEY not in result.stderr
    requests = sent(fake)
    assert all(request == ("GET", LIST_URL, [("limit", "200")]) for request in requests)
    if status in (401, 403):
        assert len(requests) == 1  # never retry a refused key
    else:
        assert 1 <= len(requests) <= 3  # retries are bounded


@pytest.mark.parametrize(("status", "code", "category", "message"), API_ERRORS)
def test_an_api_error_under_json_is_a_json_object_on_stderr_and_nothing_on_stdout(
    cli: Cli, fake: FakeDaytona, status: int, code: int, category: str, message: str
) -> None:
    fake.inject("GET", "/sandbox", status=status, times=10)
    result = cli("sandbox", "list", "--json", clock=NO_SLEEP)
    assert result.exit_code == code
    error = json_error(result)
    assert (error["code"], error["status"], error["message"]) == (category, status, message)
    assert isinstance(error["hint"], str)
    assert result.stdout == ""


def test_a_429_hint_says_when_to_try_again_from_the_retry_after_header(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.inject("GET", "/sandbox", status=429, headers={"Retry-After": "7"}, times=10)
    result = cli("sandbox", "list", clock=NO_SLEEP)
    assert (result.exit_code, result.stdout) == (6, "")
    *waits, error = result.stderr.splitlines()
    # Each wait the API asked for is said; the last 429 ends it, saying when to try again.
    assert waits == ["rate limited: waiting 7 s, as the API asks, before trying again"] * 2
    assert "7" in error and error.startswith("error: ")


def test_a_dropped_connection_is_a_network_failure_exit_7(cli: Cli, fake: FakeDaytona) -> None:
    fake.inject("GET", "/sandbox", drop=True, times=10)
    result = cli("sandbox", "list", clock=NO_SLEEP)
    assert (result.exit_code, result.stdout) == (7, "")
    assert "fake.daytona.test" in one_line_error(result)
    assert 1 <= len(fake.requests) <= 3


def refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def test_an_unreachable_host_is_a_network_failure_exit_7(isolated: Path) -> None:
    scripted = Scripted(refuse_connection)
    result = Cli(scripted, isolated)("sandbox", "list", clock=NO_SLEEP)  # type: ignore[arg-type]
    assert (result.exit_code, result.stdout) == (7, "")
    line = one_line_error(result)
    assert "fake.daytona.test" in line
    assert "Connection refused" in line
    assert 1 <= len(scripted.requests) <= 3
    assert all(str(request.url) == f"{LIST_URL}?limit=200" for request in scripted.requests)


def test_an_unreachable_host_under_json_is_a_json_network_error_and_nothing_on_stdout(
    isolated: Path,
) -> None:
    cli = Cli(Scripted(refuse_connection), isolated)  # type: ignore[arg-type]
    result = cli("sandbox", "list", "--json", clock=NO_SLEEP)
    assert result.exit_code == 7
    error = json_error(result)
    assert (error["code"], error["status"]) == ("network", None)
    assert "fake.daytona.test" in error["message"]
    assert result.stdout == ""


MALFORMED = [
    pytest.param(
        200, "text/html", b"<!doctype html><html><body><h1>Sign in</h1></body></html>",
        id="html-page",
    ),
    pytest.param(
        200, "application/json", b'{"items": [{"id": "0e3c5f4e", "name": "cut', id="truncated"
    ),
    pytest.param(200, "application/json", b'{"data": []}', id="wrong-shape"),
    pytest.param(200, "application/json", b'{"items": [1, "two"], "nextCursor": null}',
                 id="items-not-objects"),
    pytest.param(200, "application/json", b"", id="empty-body"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "content_type", "body"), MALFORMED)
def test_a_malformed_answer_exits_1_with_a_clear_message_and_no_traceback(
    isolated: Path, status: int, content_type: str, body: bytes
) -> None:
    scripted = Scripted(lambda _request: unread(status, content_type, body))
    cli = Cli(scripted, isolated)  # type: ignore[arg-type]
    result = cli("sandbox", "list", clock=NO_SLEEP)
    assert (result.exit_code, result.stdout) == (1, "")
    line = one_line_error(result)
    assert "/sandbox" in line
    assert not re.search(r"internal error|Traceback|\w+(Error|Exception)\b", line), line
    assert len(scripted.requests) == 1


@pytest.mark.parametrize(("status", "content_type", "body"), MALFORMED[:3])
def test_a_malformed_answer_under_json_is_a_json_error_and_nothing_on_stdout(
    isolated: Path, status: int, content_type: str, body: bytes
) -> None:
    cli = Cli(Scripted(lambda _request: unread(status, content_type, body)), isolated)  # type: ignore[arg-type]
    result = cli("sandbox", "list", "--json", clock=NO_SLEEP)
    assert result.exit_code == 1
    error = json_error(result)
    assert error["code"] == "error"
    assert "/sandbox" in error["message"]
    assert result.stdout == ""


def test_an_html_error_page_from_a_proxy_exits_1_naming_the_status(isolated: Path) -> None:
    page = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>"
    scripted = Scripted(lambda _request: unread(502, "text/html", page))
    result = Cli(scripted, isolated)("sandbox", "list", clock=NO_SLEEP)  # type: ignore[arg-type]
    assert (result.exit_code, result.stdout) == (1, "")
    assert "502" in one_line_error(result)
    assert 1 <= len(scripted.requests) <= 3


def test_list_help_names_every_filter(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "list", "--help")
    assert (result.exit_code, result.stderr) == (0, "")
    text = " ".join(plain(result.stdout).split())
    for option in ("--name", "--label", "-l", "--state", "--snapshot", "--sort", "--order",
                   "--limit", "--json", "--quiet", "-q"):  # fmt: skip
        assert option in text
    assert fake.requests == []


# -- end to end ------------------------------------------------------------------------------


def test_filtered_pages_are_listed_as_json_over_real_http(
    fake: FakeDaytona, served: str, cli: Cli
) -> None:
    now = datetime.now(timezone.utc)
    ids = []
    for index in range(203):
        at = stamp(now - timedelta(seconds=index))
        ids.append(
            fake.add_sandbox(f"web-{index:03d}", labels={"team": "a"}, lastActivityAt=at)["id"]
        )
    fake.add_sandbox("other-team", labels={"team": "b"})
    cli.transport = lambda: None  # real sockets, to the fake on loopback
    cli.env["DAYTONA_API_URL"] = served
    result = cli("sandbox", "list", "-l", "team=a", "--state", "started", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [item["id"] for item in result.json()] == ids
    assert result.json() == listed_items(fake)
    first = page_answers(fake)[0]
    assert [sorted(request.url.params.multi_items()) for request in fake.requests] == [
        [("labels", '{"team":"a"}'), ("limit", "200"), ("states", "started")],
        [("cursor", first["nextCursor"]), ("labels", '{"team":"a"}'), ("limit", "200"),
         ("states", "started")],
    ]  # fmt: skip
    assert all(str(request.url).startswith(served + "/sandbox?") for request in fake.requests)
