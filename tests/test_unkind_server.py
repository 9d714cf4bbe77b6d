"""The CLI's promises against a server that is not kind (issue 9): filters ignored, lists that
do not end or lag, items without an id, deletes repeated, sandboxes the platform destroyed.
Each test makes the fake unkind in one way and checks what the CLI sent and said.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import Cli
from tests.fake_daytona import FakeDaytona

REQUEST_ID = "daytona-cli/request-id"


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of two, so that a handful of sandboxes spans several pages."""
    monkeypatch.setattr("daytona_cli.client.api.MAX_PAGE_SIZE", 2)


def iso(**ago: float) -> str:
    moment = datetime.now(timezone.utc) - timedelta(**ago)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def deleted(fake: FakeDaytona) -> list[str]:
    return sorted(r.url.path.rsplit("/", 1)[1] for r in fake.requests_to("DELETE", "/sandbox/*"))


# -- 1. a bulk action touches only what was selected ---------------------------------------------


SELECTIONS = {
    "label": (["-l", "team=a"], {"labels": {"team": "a"}}, {"labels": {"team": "b"}}),
    "state": (["--state", "stopped"], {"state": "stopped"}, {"state": "started"}),
    "name": (["--name", "web-"], {}, {}),
    "older-than": (
        ["--older-than", "1h"],
        {"createdAt": iso(hours=2)},
        {"createdAt": iso(minutes=5)},
    ),
    "idle-for": (
        ["--idle-for", "1h"],
        {"lastActivityAt": iso(hours=3)},
        {"lastActivityAt": iso(minutes=1)},
    ),
}


@pytest.mark.parametrize("selection", SELECTIONS, ids=str)
def test_a_server_that_ignores_filters_never_gets_an_action_on_what_was_not_selected(
    cli: Cli, fake: FakeDaytona, small_pages: None, selection: str
) -> None:
    args, chosen, other = SELECTIONS[selection]
    wanted = [fake.add_sandbox(f"web-{i}", **chosen)["id"] for i in range(3)]
    for i in range(3):
        fake.add_sandbox(f"db-{i}", **other)
    fake.ignore_filters()
    result = cli("sandbox", "delete", *args, "--yes")
    assert result.exit_code == 0, result
    assert deleted(fake) == sorted(wanted)
    assert result.stdout.count("deletion started") == 3


def test_a_listing_is_checked_against_its_filters_too(cli: Cli, fake: FakeDaytona) -> None:
    mine = fake.add_sandbox("mine", labels={"team": "a"})
    fake.add_sandbox("theirs", labels={"team": "b"})
    fake.ignore_filters("labels")
    result = cli("sandbox", "list", "-l", "team=a", "-q")
    assert (result.exit_code, result.stdout) == (0, f"{mine['id']}\n")


def test_listed_items_without_an_id_stop_a_bulk_action_before_any_change(
    cli: Cli, fake: FakeDaytona
) -> None:
    for name in ("a", "b"):
        fake.add_sandbox(name, labels={"team": "a"})
    fake.omit_ids("b")
    result = cli("sandbox", "delete", "-l", "team=a", "--yes")
    assert (result.exit_code, result.stdout) == (1, "")
    assert "a listed sandbox has no id" in result.stderr
    assert [r.method for r in fake.requests] == ["GET"]  # never a DELETE, least of all /sandbox


# -- 2. a list ends ---------------------------------------------------------------------------


@pytest.mark.parametrize("unkind", ["repeat_cursor", "repeat_page"])
def test_a_list_that_would_never_end_stops_with_an_error(
    cli: Cli, fake: FakeDaytona, small_pages: None, unkind: str
) -> None:
    for i in range(7):
        fake.add_sandbox(f"s{i}")
    getattr(fake, unkind)()
    result = cli("sandbox", "list", "-q")
    assert result.exit_code == 1, result
    assert "repeated a page" in result.stderr
    assert len(fake.requests_to("GET", "/sandbox")) <= 4
    assert len(result.stdout.splitlines()) == len(set(result.stdout.splitlines()))


def test_a_bulk_action_on_a_list_that_would_never_end_changes_nothing(
    cli: Cli, fake: FakeDaytona, small_pages: None
) -> None:
    for i in range(7):
        fake.add_sandbox(f"s{i}", labels={"team": "a"})
    fake.repeat_cursor()
    result = cli("sandbox", "stop", "-l", "team=a", "--yes")
    assert result.exit_code == 1, result
    assert fake.requests_to("POST", "/sandbox/*/stop") == []


# -- 3. one create, one sandbox, even when the list lags ----------------------------------------


def test_an_unnamed_create_whose_answer_was_lost_is_not_sent_again_when_the_list_lags(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.lag_list(seconds=60)
    fake.lose_answer("POST", "/sandbox")
    result = cli("sandbox", "create", "-q")
    (post,) = fake.requests_to("POST", "/sandbox")
    assert len(fake.sandboxes) == 1  # made once, by the lost attempt
    assert result.exit_code == 7, result
    rid = json.loads(post.content)["labels"][REQUEST_ID]
    assert f"daytona-cli sandbox list -l {REQUEST_ID}={rid}" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_named_create_whose_answer_was_lost_is_found_by_name_whatever_the_list_says(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.lag_list(seconds=60)
    fake.lose_answer("POST", "/sandbox")
    result = cli("sandbox", "create", "--name", "once", "-q")
    assert result.exit_code == 0, result
    assert len(fake.requests_to("POST", "/sandbox")) == 1
    (made,) = fake.sandboxes.values()
    assert result.stdout == f"{made['id']}\n"


# -- 8. delete twice, both succeed --------------------------------------------------------------


def test_a_second_delete_by_id_while_destroying_is_success(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("twice")
    first = cli("sandbox", "delete", box["id"], "--yes")
    second = cli("sandbox", "delete", box["id"], "--yes")
    assert (first.exit_code, second.exit_code) == (0, 0), (first, second)
    assert first.stderr == f"Deletion of sandbox twice ({box['id']}) started\n"
    assert second.stderr == f"Sandbox twice ({box['id']}) is already being deleted\n"
    assert "DESTROYED_" not in first.stderr + second.stderr


def test_json_of_a_named_delete_shows_the_name_the_user_knew(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("twice")
    first = cli("sandbox", "delete", "twice", "--yes", "--json")
    second = cli("sandbox", "delete", box["id"], "--yes", "--json")
    assert (first.exit_code, second.exit_code) == (0, 0), (first, second)
    [started], [again] = first.json(), second.json()
    assert (started["id"], started["name"], started["state"]) == (box["id"], "twice", "destroying")
    assert (again["id"], again["name"]) == (box["id"], "twice")
    # The server did rename it: the CLI undid that only in what it reports.
    [record] = fake.sandboxes.values()
    assert record["name"].startswith("DESTROYED_twice_")


def test_a_second_delete_by_name_is_not_found_and_fine_with_ignore_not_found(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("twice")
    assert cli("sandbox", "delete", "twice", "--yes").exit_code == 0
    strict = cli("sandbox", "delete", "twice", "--yes")
    relaxed = cli("sandbox", "delete", "twice", "--yes", "--ignore-not-found")
    assert strict.exit_code == 3, strict
    assert (relaxed.exit_code, relaxed.stdout) == (0, "")
    assert "not found" in relaxed.stderr


def test_reports_name_a_deleted_sandbox_as_the_user_knew_it(cli: Cli, fake: FakeDaytona) -> None:
    boxes = [fake.add_sandbox(f"job-{i}", labels={"run": "7"}) for i in range(2)]
    result = cli("sandbox", "delete", "-l", "run=7", "--yes", "--json")
    assert result.exit_code == 0, result
    records = sorted(result.json(), key=lambda record: record["name"])
    assert [(r["name"], r["id"], r["ok"]) for r in records] == [
        (box["name"], box["id"], True) for box in boxes
    ]


def test_delete_wait_returns_once_the_sandbox_is_gone(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("gone")
    fake.transition_seconds = 5
    result = cli("sandbox", "delete", "gone", "--yes", "--wait")
    assert (result.exit_code, result.stderr) == (0, f"Sandbox gone ({box['id']}) deleted\n")
    assert fake.sandbox(box["id"]) is None
    assert fake.exchanges[-1][1].status_code == 404


def test_delete_wait_is_bounded_by_its_timeout(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("slow")
    fake.transition_seconds = 600
    result = cli("sandbox", "delete", "slow", "--yes", "--wait", "--timeout", "2")
    assert result.exit_code == 124, result
    assert f"sandbox {box['id']} is still destroying after 2 s; was waiting for deleted" in (
        result.stderr
    )


# -- destroyed by the platform ------------------------------------------------------------------


@pytest.fixture
def evicted(fake: FakeDaytona) -> dict[str, Any]:
    box = fake.add_sandbox("spotty", spot=True, gpu=1)
    return fake.destroy_by_platform(box["id"], reason="spot")


def test_get_shows_a_sandbox_the_platform_destroyed_and_why(
    cli: Cli, fake: FakeDaytona, evicted: dict[str, Any]
) -> None:
    result = cli("sandbox", "get", evicted["id"])
    assert result.exit_code == 0, result
    assert "State\tdestroyed" in result.stdout
    assert "Destroyed\tevicted from spot capacity at " in result.stdout


def test_wait_for_deleted_counts_destroyed_as_gone(
    cli: Cli, fake: FakeDaytona, evicted: dict[str, Any]
) -> None:
    result = cli("sandbox", "wait", evicted["id"], "--for", "deleted")
    assert (result.exit_code, result.stdout) == (0, "")


def test_deleting_a_destroyed_sandbox_succeeds_and_says_it_was_already_gone(
    cli: Cli, fake: FakeDaytona, evicted: dict[str, Any]
) -> None:
    result = cli("sandbox", "delete", evicted["id"], "--yes")
    assert result.exit_code == 0, result
    assert "was already evicted from spot capacity" in result.stderr


@pytest.mark.parametrize(
    ("command", "code"),
    [(["exec", "ID", "--", "true"], 125), (["exec", "ID", "--start", "--", "true"], 125),
     (["start", "ID"], 5), (["stop", "ID"], 5)],
    ids=["exec", "exec-start", "start", "stop"],
)  # fmt: skip
def test_running_or_starting_a_destroyed_sandbox_is_a_clear_error(
    cli: Cli, fake: FakeDaytona, evicted: dict[str, Any], command: list[str], code: int
) -> None:
    args = [evicted["id"] if word == "ID" else word for word in command]
    result = cli("sandbox", *args)
    assert (result.exit_code, result.stdout) == (code, "")
    (line,) = result.stderr.splitlines()
    assert "evicted from spot capacity" in line and "cannot be started" in line
    assert "sandbox create" in line
    assert fake.requests_to("POST", "/toolbox-proxy/*") == []


def test_a_sandbox_renamed_by_a_delete_is_described_by_the_name_the_user_knew() -> None:
    from daytona_cli.render.sandbox import describe

    renamed = {"id": "0c1d", "name": "DESTROYED_bulk-9_1796056664590", "state": "destroying"}
    assert describe(renamed) == "bulk-9 (0c1d)"
    assert describe({"id": "0c1d", "name": "DESTROYED_plain"}) == "DESTROYED_plain (0c1d)"


def test_delete_wait_on_a_sandbox_already_being_deleted_waits_until_it_is_gone(
    cli: Cli, fake: FakeDaytona
) -> None:
    box = fake.add_sandbox("twice")
    fake.transition_seconds = 5
    assert cli("sandbox", "delete", box["id"], "--yes").exit_code == 0
    result = cli("sandbox", "delete", box["id"], "--yes", "--wait")
    assert (result.exit_code, result.stderr) == (0, f"Sandbox twice ({box['id']}) deleted\n")
    assert fake.sandbox(box["id"]) is None


def test_waiting_for_a_sandbox_the_platform_destroyed_fails_at_once(
    cli: Cli, fake: FakeDaytona, evicted: dict[str, Any]
) -> None:
    result = cli("sandbox", "wait", evicted["id"], "--for", "started", "--timeout", "60")
    assert (result.exit_code, result.stdout) == (5, "")
    (line,) = result.stderr.splitlines()
    assert "evicted from spot capacity" in line and "background" not in line
