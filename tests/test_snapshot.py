"""`daytona-cli snapshot list`: columns, page-numbered paging, filters and output modes.

Snapshots are paged by number (`page`, `limit`, answered with `totalPages`), unlike sandboxes:
the CLI must walk `page=1, 2, ...` with one page size and stop at the last page.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from daytona_cli.clock import Clock
from tests.conftest import BASE_URL, Cli, Result
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona

SNAPSHOTS_URL = f"{BASE_URL}/snapshots"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NO_SLEEP = Clock(sleep=lambda _seconds: None)


def plain(text: str) -> str:
    return ANSI.sub("", text)


def sent(fake: FakeDaytona) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            request.method,
            str(request.url.copy_with(query=None)),
            sorted(request.url.params.multi_items()),
        )
        for request in fake.requests
    ]


def pages_asked(fake: FakeDaytona) -> list[tuple[str | None, str | None]]:
    return [(r.url.params.get("page"), r.url.params.get("limit")) for r in fake.requests]


def answered_items(fake: FakeDaytona) -> list[dict[str, Any]]:
    return [item for _, response in fake.exchanges for item in response.json()["items"]]


def names(stdout: str) -> list[str]:
    return [line.split("\t")[0] for line in stdout.splitlines()]


def one_line_error(result: Result) -> str:
    assert "Traceback" not in result.stderr, result
    # A usage error found by the parser shows the usage line first (issue 10).
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Usage: ")]
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    return lines[0]


def add_many(fake: FakeDaytona, count: int) -> list[str]:
    """Snapshots in a known order: the API lists the most recently used first."""
    now = datetime.now(timezone.utc)
    added = []
    for index in range(count):
        used = (now - timedelta(seconds=index)).isoformat(timespec="milliseconds")
        name = f"img-{index:03d}"
        fake.add_snapshot(name, lastUsedAt=used.replace("+00:00", "Z"))
        added.append(name)
    return added


@pytest.fixture
def only_mine(fake: FakeDaytona) -> FakeDaytona:
    """The fake without its default snapshot, so each test knows every snapshot there is."""
    fake.snapshots.clear()
    return fake


# -- columns -----------------------------------------------------------------------------------


def test_piped_columns_are_name_state_size_cpu_memory_disk_created(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    only_mine.add_snapshot(
        "python:3.12",
        size=1.5,
        cpu=2,
        mem=4,
        disk=10,
        createdAt="2024-10-01T12:00:00.000Z",
        lastUsedAt="2024-10-03T00:00:00.000Z",
    )
    only_mine.add_snapshot(
        "node:22",
        state="building",
        size=None,
        createdAt="2024-10-02T14:30:00.000+02:00",
        lastUsedAt="2024-10-02T00:00:00.000Z",
    )
    result = cli("snapshot", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "python:3.12\tactive\t1.5\t2\t4\t10\t2024-10-01T12:00:00Z\n"
        "node:22\tbuilding\t\t1\t1\t3\t2024-10-02T12:30:00Z\n"
    )
    assert sent(only_mine) == [("GET", SNAPSHOTS_URL, [("limit", "200"), ("page", "1")])]


def test_on_a_terminal_snapshots_are_a_table_with_headers_units_and_relative_times(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    created = datetime.now(timezone.utc) - timedelta(days=2, minutes=5)
    only_mine.add_snapshot(
        "python:3.12",
        size=1.5,
        cpu=2,
        mem=4,
        disk=10,
        createdAt=created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    result = cli("snapshot", "list", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    lines = plain(result.stdout).splitlines()
    header = next(line for line in lines if "NAME" in line)
    assert header.split() == [
        "NAME", "STATE", "SIZE", "(GB)", "CPU", "MEMORY", "(GiB)", "DISK", "(GiB)", "CREATED",
    ]  # fmt: skip
    row = next(line for line in lines if "python:3.12" in line)
    assert "active" in row
    assert row.split()[2:6] == ["1.5", "2", "4", "10"]  # units in the headings (issue 10)
    assert "2 days ago" in row
    assert created.strftime("%Y-%m-%d") not in row


def test_no_color_on_a_terminal_keeps_the_table_without_colour(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    only_mine.add_snapshot("python:3.12")
    result = cli("snapshot", "list", tty=True, env={"NO_COLOR": "1"})
    assert (result.exit_code, result.stderr) == (0, "")
    assert not re.search(r"\x1b\[(3\d|4\d|9\d|10\d)(;[0-9;]*)?m", result.stdout)
    assert "NAME" in plain(result.stdout)


# -- paging ------------------------------------------------------------------------------------


def test_list_walks_the_pages_in_order_and_stops_at_total_pages(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    added = add_many(only_mine, 401)
    result = cli("snapshot", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert names(result.stdout) == added
    assert pages_asked(only_mine) == [("1", "200"), ("2", "200"), ("3", "200")]
    assert [response.json()["totalPages"] for _, response in only_mine.exchanges] == [3, 3, 3]


def test_an_exact_number_of_pages_asks_for_no_empty_page_after_the_last(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    added = add_many(only_mine, 400)
    result = cli("snapshot", "list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert names(result.stdout) == added
    assert pages_asked(only_mine) == [("1", "200"), ("2", "200")]


def test_limit_within_the_first_page_asks_for_one_page_only(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    added = add_many(only_mine, 30)
    result = cli("snapshot", "list", "--limit", "5")
    assert (result.exit_code, result.stderr) == (0, "")
    assert names(result.stdout) == added[:5]
    assert len(only_mine.requests) == 1
    assert only_mine.requests[0].url.params["page"] == "1"
    assert int(only_mine.requests[0].url.params["limit"]) >= 5


def test_limit_across_pages_prints_the_first_n_snapshots_each_once(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    added = add_many(only_mine, 300)
    result = cli("snapshot", "list", "--limit", "250")
    assert (result.exit_code, result.stderr) == (0, "")
    assert names(result.stdout) == added[:250]
    asked = pages_asked(only_mine)
    assert [page for page, _ in asked] == [str(n) for n in range(1, len(asked) + 1)]
    # Page numbers count in units of one page size: it must not change between pages.
    assert len({limit for _, limit in asked}) == 1


def test_name_filter_is_sent_on_every_page_and_selects_by_part_of_the_name(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    for index in range(205):
        only_mine.add_snapshot(f"team/python-{index:03d}")
    only_mine.add_snapshot("node:22")
    result = cli("snapshot", "list", "--name", "python")
    assert (result.exit_code, result.stderr) == (0, "")
    assert len(result.stdout.splitlines()) == 205
    assert all("python" in name for name in names(result.stdout))
    assert sent(only_mine) == [
        ("GET", SNAPSHOTS_URL, [("limit", "200"), ("name", "python"), ("page", "1")]),
        ("GET", SNAPSHOTS_URL, [("limit", "200"), ("name", "python"), ("page", "2")]),
    ]


def test_bad_limit_is_a_usage_error_with_no_request(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("snapshot", "list", "--limit", "0")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--limit" in one_line_error(result)
    assert fake.requests == []


# -- --json and empty lists --------------------------------------------------------------------


def test_json_is_one_array_of_the_apis_objects_across_pages(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    added = add_many(only_mine, 201)
    result = cli("snapshot", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == answered_items(only_mine)
    assert [item["name"] for item in result.json()] == added
    assert pages_asked(only_mine) == [("1", "200"), ("2", "200")]


def test_json_keeps_null_sizes_and_every_field(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_snapshot("sizeless", size=None, entrypoint=["sleep", "infinity"])
    result = cli("snapshot", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    [default] = [item for item in result.json() if item["name"] == DEFAULT_SNAPSHOT]
    [sizeless] = [item for item in result.json() if item["name"] == "sizeless"]
    assert sizeless["size"] is None
    assert sizeless["entrypoint"] == ["sleep", "infinity"]
    assert result.json() == answered_items(fake)
    assert default["general"] is True


def test_an_empty_list_exits_0_with_empty_stdout_and_a_note(
    cli: Cli, only_mine: FakeDaytona
) -> None:
    for tty in (False, True):
        result = cli("snapshot", "list", tty=tty)
        assert (result.exit_code, result.stdout) == (0, "")
        assert "no snapshots" in plain(result.stderr).lower()
    assert pages_asked(only_mine) == [("1", "200"), ("1", "200")]


def test_no_match_for_a_name_is_an_empty_list_not_an_error(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("snapshot", "list", "--name", "nothing-like-it")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no snapshots" in result.stderr.lower()


def test_an_empty_list_under_json_is_an_empty_array(cli: Cli, only_mine: FakeDaytona) -> None:
    result = cli("snapshot", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == []


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "category"),
    [(403, 4, "auth"), (429, 6, "rate_limit")],
)
def test_api_errors_map_to_their_exit_codes(
    cli: Cli, fake: FakeDaytona, status: int, code: int, category: str
) -> None:
    fake.inject("GET", "/snapshots", status=status, times=10)
    result = cli("snapshot", "list", clock=NO_SLEEP)
    assert (result.exit_code, result.stdout) == (code, "")
    one_line_error(result)
    as_json = cli("snapshot", "list", "--json", clock=NO_SLEEP)
    assert as_json.exit_code == code
    error = json.loads(as_json.stderr)["error"]
    assert (error["code"], error["status"]) == (category, status)


@pytest.mark.parametrize(("status", "code"), [(401, 4), (500, 1)])
def test_an_api_error_under_json_leaves_stdout_empty(
    cli: Cli, fake: FakeDaytona, status: int, code: int
) -> None:
    fake.inject("GET", "/snapshots", status=status, times=10)
    result = cli("snapshot", "list", "--json", clock=NO_SLEEP)
    assert result.exit_code == code
    assert json.loads(result.stderr)["error"]["status"] == status
    assert result.stdout == ""


def test_a_dropped_connection_is_exit_7(cli: Cli, fake: FakeDaytona) -> None:
    fake.inject("GET", "/snapshots", drop=True, times=10)
    result = cli("snapshot", "list", clock=NO_SLEEP)
    assert (result.exit_code, result.stdout) == (7, "")
    assert "fake.daytona.test" in one_line_error(result)


# -- end to end --------------------------------------------------------------------------------


def test_snapshots_are_listed_as_json_over_real_http(
    only_mine: FakeDaytona, served: str, cli: Cli
) -> None:
    added = add_many(only_mine, 203)
    cli.transport = lambda: None  # real sockets, to the fake on loopback
    cli.env["DAYTONA_API_URL"] = served
    result = cli("snapshot", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [item["name"] for item in result.json()] == added
    assert result.json() == answered_items(only_mine)
    assert [str(request.url) for request in only_mine.requests] == [
        f"{served}/snapshots?page=1&limit=200",
        f"{served}/snapshots?page=2&limit=200",
    ]
