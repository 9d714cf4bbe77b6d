"""Choosing output (issue 4): `--fields a,b,c` on `sandbox list`, `sandbox get` and `snapshot list`,
and `--jsonl` on the list commands, streamed page by page.

Every test checks the exit code, stdout, stderr and the requests the fake received.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import httpx
import pytest

from tests.conftest import Cli
from tests.fake_daytona import FakeDaytona

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
PAGE = 200  # the API's largest page


def plain(text: str) -> str:
    return ANSI.sub("", text)


def table_lines(text: str) -> list[list[str]]:
    """A rich table's non-blank lines, split into cells (none of the test's values has spaces)."""
    out = []
    for line in plain(text).splitlines():
        cells = line.split()
        if cells and not set(line.strip()) <= set("─━-═"):
            out.append(cells)
    return out


def is_compact_object(line: str) -> bool:
    value = json.loads(line)
    return isinstance(value, dict) and line == json.dumps(
        value, separators=(",", ":"), ensure_ascii=False
    )


def paths(fake: FakeDaytona) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in fake.requests]


def lines_before_each(fake: FakeDaytona, route: str) -> list[int]:
    """Record how many lines stdout held when each GET of ``route`` arrived (in-process only)."""
    seen: list[int] = []
    handler = fake.handler

    def watching(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == route:
            getvalue = getattr(sys.stdout, "getvalue", None)
            seen.append(getvalue().count("\n") if getvalue else -1)
        return handler(request)

    fake.handler = watching  # type: ignore[method-assign]
    return seen


@pytest.fixture
def trio(fake: FakeDaytona) -> list[dict[str, Any]]:
    return [
        fake.add_sandbox("alpha", labels={"team": "data"}, cpu=2),
        fake.add_sandbox("beta", state="stopped", labels={"team": "web"}, cpu=4),
        fake.add_sandbox("gamma", state="archived", cpu=1),
    ]


# == --fields on sandbox list ====================================================================


def test_list_fields_choose_the_columns_of_piped_output(
    cli: Cli, fake: FakeDaytona, trio: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", "--fields", "name,state,cpu")
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(result.stdout.splitlines()) == [
        "alpha\tstarted\t2",
        "beta\tstopped\t4",
        "gamma\tarchived\t1",
    ]
    assert paths(fake) == [("GET", "/api/sandbox")]


def test_list_fields_are_shown_in_the_order_given(
    cli: Cli, fake: FakeDaytona, trio: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", "--fields", "cpu,id,name", "--sort", "name", "--order", "asc")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [f"{b['cpu']}\t{b['id']}\t{b['name']}" for b in trio]


def test_list_fields_show_times_as_iso_utc_and_objects_as_compact_json_when_piped(
    cli: Cli, fake: FakeDaytona, trio: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", "--fields", "name,createdAt,labels", "--name", "alpha")
    assert (result.exit_code, result.stderr) == (0, "")
    [row] = result.stdout.splitlines()
    name, created, labels = row.split("\t")
    assert (name, json.loads(labels)) == ("alpha", {"team": "data"})
    assert ISO_UTC.fullmatch(created), created


def test_list_fields_choose_the_columns_of_the_table_on_a_terminal(
    cli: Cli, fake: FakeDaytona, trio: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", "--fields", "name,state,cpu", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    header, *body = table_lines(result.stdout)
    assert header == ["NAME", "STATE", "CPU"]  # the default table's headings (issue 10)
    assert sorted(body) == [
        ["alpha", "started", "2"],
        ["beta", "stopped", "4"],
        ["gamma", "archived", "1"],
    ]
    for default_heading in ("ID", "SNAPSHOT", "REGION", "MEMORY"):
        assert default_heading not in plain(result.stdout)


def test_list_fields_choose_the_keys_under_json(
    cli: Cli, fake: FakeDaytona, trio: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", "--fields", "id,name,labels", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    items = result.json()
    assert all(list(item) == ["id", "name", "labels"] for item in items), items
    assert sorted(items, key=lambda item: item["name"]) == [
        {"id": b["id"], "name": b["name"], "labels": b["labels"]} for b in trio
    ]


def test_list_fields_choose_the_keys_under_jsonl(
    cli: Cli, fake: FakeDaytona, trio: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", "--fields", "name,state", "--jsonl")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert all(is_compact_object(line) for line in lines), lines
    assert sorted((json.loads(line) for line in lines), key=lambda item: item["name"]) == [
        {"name": "alpha", "state": "started"},
        {"name": "beta", "state": "stopped"},
        {"name": "gamma", "state": "archived"},
    ]
    assert all(list(json.loads(line)) == ["name", "state"] for line in lines)


def test_list_fields_with_an_empty_list_is_not_an_error(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "list", "--fields", "name,state")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "No sandboxes found" in result.stderr
    assert paths(fake) == [("GET", "/api/sandbox")]


# == --fields on sandbox get =====================================================================


def test_get_fields_choose_the_rows_of_piped_output(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("s", labels={"team": "data"})
    result = cli("sandbox", "get", "s", "--fields", "id,state,labels")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f'id\t{box["id"]}\nstate\tstarted\nlabels\t{{"team":"data"}}\n',
        "",
    )
    assert paths(fake) == [("GET", "/api/sandbox/s")]


def test_get_fields_choose_the_rows_on_a_terminal(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("s", state="stopped", cpu=3)
    result = cli("sandbox", "get", "s", "--fields", "state,cpu,id", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    shown = plain(result.stdout)
    # The detail view's own headings (issue 10: the same with and without --fields).
    for key, value in (("State", "stopped"), ("CPU", "3"), ("ID", box["id"])):
        assert re.search(rf"{key}\s+{re.escape(value)}", shown), shown
    for default_row in ("Snapshot", "Region", "Memory", "Auto-stop"):
        assert default_row not in shown


def test_get_fields_choose_the_keys_under_json(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("s", labels={"a": "1"}, env={"SECRET": "x"})
    result = cli("sandbox", "get", "s", "--fields", "name,labels,env,state", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert list(result.json()) == ["name", "labels", "env", "state"]
    assert result.json() == {
        "name": "s",
        "labels": {"a": "1"},
        "env": {"SECRET": "x"},
        "state": "started",
    }
    assert box["id"] not in result.stdout


# == --fields on snapshot list ===================================================================


@pytest.fixture
def snapshots(fake: FakeDaytona) -> list[dict[str, Any]]:
    return [
        fake.add_snapshot("py:3.12", size=1.5, cpu=2),
        fake.add_snapshot("node:22", state="inactive", size=0.75, cpu=1),
    ]


def test_snapshot_list_fields_choose_the_columns_of_piped_output(
    cli: Cli, fake: FakeDaytona, snapshots: list[dict[str, Any]]
) -> None:
    result = cli("snapshot", "list", "--fields", "name,state,cpu", "--name", ":")
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(result.stdout.splitlines()) == [
        "daytonaio/sandbox:0.4.3\tactive\t1",
        "node:22\tinactive\t1",
        "py:3.12\tactive\t2",
    ]
    assert paths(fake) == [("GET", "/api/snapshots")]


def test_snapshot_list_fields_choose_the_columns_on_a_terminal(
    cli: Cli, fake: FakeDaytona, snapshots: list[dict[str, Any]]
) -> None:
    result = cli("snapshot", "list", "--fields", "name,size", "--name", "py", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    assert table_lines(result.stdout) == [["NAME", "SIZE", "(GB)"], ["py:3.12", "1.5"]]


def test_snapshot_list_fields_choose_the_keys_under_json_and_jsonl(
    cli: Cli, fake: FakeDaytona, snapshots: list[dict[str, Any]]
) -> None:
    as_json = cli("snapshot", "list", "--fields", "id,name", "--name", "node", "--json")
    assert (as_json.exit_code, as_json.stderr) == (0, "")
    assert as_json.json() == [{"id": snapshots[1]["id"], "name": "node:22"}]
    as_jsonl = cli("snapshot", "list", "--fields", "name,mem", "--name", "node", "--jsonl")
    assert (as_jsonl.exit_code, as_jsonl.stdout, as_jsonl.stderr) == (
        0,
        '{"name":"node:22","mem":1}\n',
        "",
    )


# == unknown fields ==============================================================================


COMMANDS = {
    "sandbox list": (
        ["sandbox", "list"],
        ["lastActivityAt", "state", "labels", "autoStopInterval"],
    ),
    "sandbox get": (["sandbox", "get", "s"], ["env", "volumes", "state", "buildInfo"]),
    "snapshot list": (["snapshot", "list"], ["imageName", "mem", "size", "lastUsedAt"]),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("fields", ["name,bogus", "Name", "state,", "memoryGib"])
def test_an_unknown_field_is_a_usage_error_listing_the_valid_ones_with_no_request(
    cli: Cli, fake: FakeDaytona, command: str, fields: str
) -> None:
    fake.add_sandbox("s")
    args, valid = COMMANDS[command]
    if fields == "state,":
        fields = "state,nope"
    result = cli(*args, "--fields", fields)
    assert (result.exit_code, result.stdout) == (2, "")
    bad = [f for f in fields.split(",") if f not in ("name", "state")]
    for name in bad:
        assert name in result.stderr
    for name in valid:
        assert name in result.stderr, result.stderr
    assert fake.requests == []


@pytest.mark.parametrize("fields", ["", ",", " , "])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_field_at_all_is_a_usage_error_with_no_request(
    cli: Cli, fake: FakeDaytona, command: str, fields: str
) -> None:
    args, _valid = COMMANDS[command]
    result = cli(*args, "--fields", fields)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--fields" in result.stderr
    assert fake.requests == []


def test_a_field_only_a_full_sandbox_has_is_unknown_to_sandbox_list(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "list", "--fields", "name,env")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "env" in result.stderr
    assert fake.requests == []


def test_an_unknown_field_under_json_is_a_json_usage_error_naming_the_valid_ones(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "list", "--fields", "bogus", "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "usage"
    assert "bogus" in error["message"]
    assert "lastActivityAt" in error["message"] + (error.get("hint") or "")
    assert fake.requests == []


# == --jsonl =====================================================================================


def test_sandbox_list_jsonl_writes_one_compact_object_per_line_across_pages(
    cli: Cli, fake: FakeDaytona
) -> None:
    boxes = [fake.add_sandbox(f"box-{i:03d}", labels={"i": str(i)}) for i in range(2 * PAGE + 50)]
    seen = lines_before_each(fake, "/api/sandbox")
    result = cli("sandbox", "list", "--jsonl")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith("\n")
    lines = result.stdout.splitlines()
    assert len(lines) == len(boxes)
    assert all(is_compact_object(line) for line in lines)
    items = [json.loads(line) for line in lines]
    assert sorted(item["id"] for item in items) == sorted(b["id"] for b in boxes)
    by_id = {b["id"]: b for b in boxes}
    for item in items[:: PAGE // 4]:
        assert (item["name"], item["labels"]) == (
            by_id[item["id"]]["name"],
            by_id[item["id"]]["labels"],
        )
    assert len(fake.requests_to("GET", "/sandbox")) == 3
    assert [r.url.params.get("cursor") is None for r in fake.requests] == [True, False, False]
    # Written as each page arrives: the earlier pages were on stdout before the next was asked for.
    assert seen == [0, PAGE, 2 * PAGE]


def test_snapshot_list_jsonl_writes_one_compact_object_per_line_across_pages(
    cli: Cli, fake: FakeDaytona
) -> None:
    for i in range(2 * PAGE + 49):  # and the fake's default snapshot: 450
        fake.add_snapshot(f"img-{i:03d}")
    seen = lines_before_each(fake, "/api/snapshots")
    result = cli("snapshot", "list", "--jsonl")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * PAGE + 50
    assert all(is_compact_object(line) for line in lines)
    names = [json.loads(line)["name"] for line in lines]
    assert len(set(names)) == len(names)
    assert set(names) == {s["name"] for s in fake.snapshots}
    assert [r.url.params.get("page") for r in fake.requests] == ["1", "2", "3"]
    assert seen == [0, PAGE, 2 * PAGE]


@pytest.mark.parametrize(
    "args",
    [
        ["sandbox", "list"],
        ["sandbox", "list", "-l", "team=none"],
        ["snapshot", "list", "--name", "zz"],
    ],
    ids=["no-sandboxes", "no-match", "no-snapshots"],
)
def test_jsonl_of_an_empty_list_writes_nothing_and_exits_0(
    cli: Cli, fake: FakeDaytona, args: list[str]
) -> None:
    result = cli(*args, "--jsonl")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert len(fake.requests) == 1


def test_jsonl_on_a_terminal_is_still_one_object_per_line(cli: Cli, fake: FakeDaytona) -> None:
    a = fake.add_sandbox("a")
    result = cli("sandbox", "list", "--jsonl", tty=True)
    assert (result.exit_code, result.stderr) == (0, "")
    [line] = result.stdout.splitlines()
    assert is_compact_object(line)
    assert "\x1b" not in result.stdout
    assert json.loads(line)["id"] == a["id"]


def test_jsonl_objects_are_the_apis_list_items(cli: Cli, fake: FakeDaytona) -> None:
    a = fake.add_sandbox("a", labels={"k": "v"})
    result = cli("sandbox", "list", "--jsonl")
    [item] = [json.loads(line) for line in result.stdout.splitlines()]
    [answer] = fake.exchanges[-1][1].json()["items"]
    assert item == answer
    assert (item["id"], item["labels"]) == (a["id"], {"k": "v"})
