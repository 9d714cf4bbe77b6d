"""The fake Daytona API: as strict as the real server (NOTES.md), keeping the contract, and
unkind in exactly the ways a test asks for. The toolbox half is ``test_fake_toolbox.py``.

Every fake made through ``make_fake`` has each exchange checked against the specs when the test
ends (``tests/fake_fixtures.py``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Contract
from tests.contract import fake_problems, operation_id, request_problems
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona
from tests.fake_fixtures import (  # noqa: F401 (fixtures)
    AUTH,
    KEY,
    ManualClock,
    api,
    client_for,
    clock,
    current,
    fake,
    make_fake,
    names,
)

ROOT = Path(__file__).resolve().parent.parent


def page_ids(api: httpx.Client, **params: Any) -> tuple[list[str], str | None]:
    body = api.get("/sandbox", params=params).json()
    return [item["id"] for item in body["items"]], body["nextCursor"]


# -- auth, routing, error bodies ---------------------------------------------------------------


def test_requests_without_the_right_bearer_key_get_401_invalid_credentials(
    fake: FakeDaytona, contract: Contract
) -> None:
    contract.spare_requests("requests without the bearer key break the spec's security")
    box = fake.add_sandbox("box")
    with httpx.Client(transport=httpx.MockTransport(fake.handler), base_url=fake.base_url) as bare:
        answers = [
            bare.get("/sandbox"),
            bare.get("/sandbox", headers={"Authorization": "Bearer wrong"}),
            bare.get("/sandbox", headers={"Authorization": f"Token {KEY}"}),
            bare.post(f"{fake.proxy_url}/{box['id']}/process/execute", json={"command": "true"}),
        ]
    assert [answer.status_code for answer in answers] == [401] * 4
    assert {answer.json()["message"] for answer in answers} == {"Invalid credentials"}
    assert (answers[-1].json()["source"], answers[-1].json()["code"]) == (
        "DAYTONA_PROXY",
        "UNAUTHORIZED",
    )
    assert any("Security" in p for p in request_problems(fake.requests[0]))


def test_unknown_routes_and_methods_answer_501_loudly(
    api: httpx.Client, contract: Contract
) -> None:
    contract.spare_requests("the routes and methods are not in the spec")
    nowhere = api.post("/nowhere")
    wrong_method = api.put("/sandbox")
    assert (nowhere.status_code, wrong_method.status_code) == (501, 501)
    assert nowhere.json()["message"] == "fake: no route for POST /api/nowhere"
    assert wrong_method.json()["message"] == "fake: no route for PUT /api/sandbox"


def test_api_error_bodies_carry_path_timestamp_status_reason_and_one_message(
    api: httpx.Client,
) -> None:
    answer = api.get("/sandbox/missing", params={"verbose": "true"})
    body = answer.json()
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert list(body) == ["path", "timestamp", "statusCode", "error", "message"]
    assert body["path"] == "/api/sandbox/missing?verbose=true"
    assert body["timestamp"].endswith("Z")
    assert (body["statusCode"], body["error"]) == (404, "Not Found")
    assert body["message"] == "Sandbox with ID or name missing not found"


def test_the_base_path_may_be_api_or_nothing(fake: FakeDaytona) -> None:
    fake.add_sandbox("one")
    with client_for(fake, "http://fake.daytona.test") as bare:
        assert names(bare.get("/sandbox")) == ["one"]
        assert bare.get("/sandbox/one").json()["name"] == "one"


# -- records -----------------------------------------------------------------------------------


def test_a_sandbox_record_carries_the_current_specs_fields(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    box = fake.add_sandbox("box", sandboxClass="linux-vm", spot=True, gpu=1)
    view = api.get("/sandbox/box").json()
    assert view == box
    assert {
        key: view[key]
        for key in (
            "toolboxProxyUrl",
            "sandboxClass",
            "spot",
            "autoPauseInterval",
            "networkBlockAll",
            "volumes",
            "daemonVersion",
        )
        if key in view
    } == {
        "toolboxProxyUrl": fake.proxy_url,
        "sandboxClass": "linux-vm",
        "spot": True,
        "autoPauseInterval": 0,
        "networkBlockAll": False,
        "volumes": [],
    }
    with pytest.raises(ValueError, match="unknown sandbox class"):
        fake.add_sandbox("odd", sandboxClass="vm")


# -- listing sandboxes -------------------------------------------------------------------------


def test_listing_follows_next_cursor_through_every_sandbox_once(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    expected = {fake.add_sandbox(f"box-{n}")["id"] for n in range(7)}
    seen: list[str] = []
    sizes = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, "sort": "name", "order": "asc"}
        if cursor:
            params["cursor"] = cursor
        ids, cursor = page_ids(api, **params)
        sizes.append(len(ids))
        seen += ids
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_list_limit_outside_1_to_200_and_foreign_cursors_are_400(
    fake: FakeDaytona, api: httpx.Client, contract: Contract
) -> None:
    contract.spare_requests("limits outside 1..200 and a non-integer limit break the spec")
    fake.add_sandbox("a")
    fake.add_sandbox("b")
    by_name = api.get("/sandbox", params={"limit": 1, "sort": "name"}).json()["nextCursor"]
    answers = {
        "limit=0": api.get("/sandbox", params={"limit": 0}),
        "limit=201": api.get("/sandbox", params={"limit": 201}),
        "limit=abc": api.get("/sandbox", params={"limit": "abc"}),
        "garbage cursor": api.get("/sandbox", params={"cursor": "garbage"}),
        "cursor of another order": api.get("/sandbox", params={"cursor": by_name}),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 400
    )
    assert answers["limit=201"].json()["message"] == "limit must not be greater than 200"
    assert answers["garbage cursor"].json()["message"] == "Invalid cursor"
    assert api.get("/sandbox", params={"limit": 200}).status_code == 200


def test_list_sorts_by_last_activity_newest_first_unless_told_otherwise(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_sandbox("old", cpu=4, lastActivityAt="2024-01-01T00:00:00.000Z")
    fake.add_sandbox("new", cpu=1, lastActivityAt="2024-03-01T00:00:00.000Z")
    fake.add_sandbox("mid", cpu=2, lastActivityAt="2024-02-01T00:00:00Z")
    assert names(api.get("/sandbox")) == ["new", "mid", "old"]
    assert names(api.get("/sandbox", params={"order": "asc"})) == ["old", "mid", "new"]
    assert names(api.get("/sandbox", params={"sort": "name", "order": "asc"})) == [
        "mid",
        "new",
        "old",
    ]
    assert names(api.get("/sandbox", params={"sort": "cpu"})) == ["old", "mid", "new"]


def test_name_and_id_filters_are_case_insensitive_prefixes_with_sql_wildcards(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    for name in ("Alpha", "alpine", "beta", "a_b", "axb"):
        fake.add_sandbox(name)
    beta = current(fake, "beta")
    assert sorted(names(api.get("/sandbox", params={"name": "AL"}))) == ["Alpha", "alpine"]
    # ILIKE: the underscore the user typed matches any character.
    assert sorted(names(api.get("/sandbox", params={"name": "a_b"}))) == ["a_b", "axb"]
    assert names(api.get("/sandbox", params={"id": beta["id"][:8].upper()})) == ["beta"]


def test_labels_filter_needs_every_label_and_rejects_bad_json(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_sandbox("both", labels={"team": "a", "env": "prod"})
    fake.add_sandbox("team-only", labels={"team": "a"})
    assert names(api.get("/sandbox", params={"labels": '{"team": "a", "env": "prod"}'})) == ["both"]
    assert len(api.get("/sandbox", params={"labels": '{"team": "a"}'}).json()["items"]) == 2
    bad = api.get("/sandbox", params={"labels": "team=a"})
    assert (bad.status_code, bad.json()["message"]) == (400, "Invalid labels JSON format")


def test_states_filter_repeats_and_refuses_destroyed_or_unknown_states(
    fake: FakeDaytona, api: httpx.Client, contract: Contract
) -> None:
    contract.spare_requests("`destroyed` and `running` are not states the spec's filter takes")
    fake.add_sandbox("up", state="started")
    fake.add_sandbox("down", state="stopped")
    fake.add_sandbox("frozen", state="paused", sandboxClass="linux-vm")
    both = api.get("/sandbox", params={"states": ["started", "paused"]})
    assert sorted(names(both)) == ["frozen", "up"]
    assert api.get("/sandbox", params={"states": "destroyed"}).status_code == 400
    assert api.get("/sandbox", params={"states": "running"}).status_code == 400


def test_snapshot_class_and_date_filters_compare_what_they_name(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_snapshot("custom")
    fake.add_sandbox(
        "early", createdAt="2024-01-01T00:00:00.000Z", snapshot="custom", sandboxClass="windows"
    )
    fake.add_sandbox(
        "late",
        createdAt="2024-06-01T00:00:00.000Z",
        lastActivityAt="2024-06-02T00:00:00.000Z",
        autoDestroyAt="2024-07-01T00:00:00.000Z",
    )
    assert names(api.get("/sandbox", params={"snapshots": ["custom"]})) == ["early"]
    assert names(api.get("/sandbox", params={"sandboxClasses": ["windows"]})) == ["early"]
    after = api.get("/sandbox", params={"createdAtAfter": "2024-03-01T00:00:00Z"})
    assert names(after) == ["late"]
    before = api.get("/sandbox", params={"createdAtBefore": "2024-03-01T00:00:00Z"})
    assert names(before) == ["early"]
    active = api.get("/sandbox", params={"lastEventBefore": "2024-07-01T00:00:00Z"})
    assert names(active) == ["late"]
    doomed = api.get("/sandbox", params={"autoDestroyAtBefore": "2024-08-01T00:00:00Z"})
    assert names(doomed) == ["late"]


def test_list_items_leave_out_sandbox_only_fields_and_gone_sandboxes(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    fake.add_sandbox("kept", env={"SECRET": "x"}, volumes=[{"volumeId": "v", "mountPath": "/v"}])
    gone = fake.add_sandbox("gone")
    api.delete(f"/sandbox/{gone['id']}")
    assert sorted(names(api.get("/sandbox"))) == ["DESTROYED_gone_" + _ms(fake, clock), "kept"]
    clock.advance(1.0)
    items = api.get("/sandbox").json()["items"]
    assert [item["name"] for item in items] == ["kept"]
    assert "env" not in items[0] and "volumes" not in items[0]
    assert items[0]["toolboxProxyUrl"] == fake.proxy_url


def _ms(fake: FakeDaytona, clock: ManualClock) -> str:
    return str(int(fake._epoch_seconds(clock.now) * 1000))


def test_a_bare_array_list_answers_every_match_in_one_array(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake(bare_array_list=True)
    fake.seed(sandboxes=4)
    with client_for(fake) as api:
        answer = api.get("/sandbox", params={"limit": 2}).json()
    assert isinstance(answer, list)
    assert len(answer) == 4


# -- an unkind list ----------------------------------------------------------------------------


@pytest.mark.parametrize("lag", [{"seconds": 5.0}, {"calls": 2}])
def test_a_lagging_list_shows_a_created_sandbox_only_after_the_lag(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock, lag: dict[str, Any]
) -> None:
    fake.lag_list(**lag)
    created = api.post("/sandbox", json={"name": "new"}).json()
    clock.advance(1.0)
    assert api.get("/sandbox/new").json()["id"] == created["id"]  # a GET is exact
    seen = [names(api.get("/sandbox")) for _ in range(2)]
    clock.advance(4.0)
    seen.append(names(api.get("/sandbox")))
    assert seen == [[], [], ["new"]]


@pytest.mark.parametrize("lag", [{"seconds": 5.0}, {"calls": 2}])
def test_a_lagging_list_keeps_listing_a_deleted_sandbox_as_it_was(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock, lag: dict[str, Any]
) -> None:
    fake.add_sandbox("old")
    fake.lag_list(**lag)
    assert api.delete("/sandbox/old").status_code == 200
    clock.advance(2.0)
    assert api.get("/sandbox/old").status_code == 404  # gone, and renamed before that
    listed = [api.get("/sandbox").json()["items"] for _ in range(2)]
    assert [[(i["name"], i["state"]) for i in items] for items in listed] == [
        [("old", "started")]
    ] * 2
    clock.advance(4.0)
    assert names(api.get("/sandbox")) == []


def test_without_a_lag_setting_the_list_is_consistent_again(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.lag_list(seconds=60)
    fake.lag_list()
    api.post("/sandbox", json={"name": "seen"})
    assert names(api.get("/sandbox")) == ["seen"]


@pytest.mark.parametrize(
    "params",
    [
        {"labels": '{"team": "a"}'},
        {"states": ["stopped"]},
        {"name": "wanted"},
        {"createdAtBefore": "2024-03-01T00:00:00Z"},
        {"lastEventBefore": "2024-03-01T00:00:00Z"},
    ],
    ids=lambda params: next(iter(params)),
)
def test_a_server_ignoring_a_filter_lists_everything_for_it(
    fake: FakeDaytona, api: httpx.Client, params: dict[str, Any]
) -> None:
    old = "2024-01-01T00:00:00.000Z"
    fake.add_sandbox(
        "wanted", state="stopped", labels={"team": "a"}, createdAt=old, lastActivityAt=old
    )
    fake.add_sandbox("other")
    assert names(api.get("/sandbox", params=params)) == ["wanted"]
    fake.ignore_filters(next(iter(params)))
    assert sorted(names(api.get("/sandbox", params=params))) == ["other", "wanted"]
    fake.ignore_filters(on=False)
    assert names(api.get("/sandbox", params=params)) == ["wanted"]


def test_a_server_ignoring_all_filters_neither_checks_nor_applies_them(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_sandbox("a", labels={"team": "a"})
    fake.add_sandbox("b")
    fake.ignore_filters()
    answer = api.get("/sandbox", params={"labels": '{"team": "a"}', "name": "a", "states": "error"})
    assert sorted(names(answer)) == ["a", "b"]
    with pytest.raises(ValueError, match="not list filters"):
        fake.ignore_filters("limit")


def test_a_repeating_cursor_answers_the_cursor_it_was_given(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    for n in range(5):
        fake.add_sandbox(f"box-{n}")
    fake.repeat_cursor()
    first, cursor = page_ids(api, limit=2, sort="name", order="asc")
    second, again = page_ids(api, limit=2, sort="name", order="asc", cursor=cursor)
    third, _ = page_ids(api, limit=2, sort="name", order="asc", cursor=again)
    assert (again, second == third, set(first) & set(second)) == (cursor, True, set())


def test_a_repeating_page_answers_the_previous_pages_items_again(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    for n in range(5):
        fake.add_sandbox(f"box-{n}")
    fake.repeat_page()
    first, cursor = page_ids(api, limit=2, sort="name", order="asc")
    second, following = page_ids(api, limit=2, sort="name", order="asc", cursor=cursor)
    assert second == first
    assert following is not None and following != cursor


def test_list_items_can_come_without_an_id_and_only_that_is_spared_by_the_contract(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_sandbox("plain")
    fake.add_sandbox("anonymous")
    fake.omit_ids("anonymous")
    answer = api.get("/sandbox")
    items = {item["name"]: item for item in answer.json()["items"]}
    assert ("id" in items["plain"], "id" in items["anonymous"]) == (True, False)
    assert answer.status_code == 200
    fake.omit_ids(on=False)
    assert all("id" in item for item in api.get("/sandbox").json()["items"])


# -- creating sandboxes ------------------------------------------------------------------------


def test_create_with_defaults_is_creating_then_started_after_the_transition(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    created = api.post("/sandbox", json={}).json()
    expected = {
        "name": created["id"],
        "snapshot": DEFAULT_SNAPSHOT,
        "state": "creating",
        "desiredState": "started",
        "cpu": 1,
        "memory": 1,
        "disk": 3,
        "gpu": 0,
        "spot": False,
        "sandboxClass": "container",
        "autoStopInterval": 15,
        "autoPauseInterval": 0,
        "autoArchiveInterval": 10080,
        "autoDeleteInterval": -1,
        "user": "daytona",
        "target": "us",
        "public": False,
        "networkBlockAll": False,
        "env": {},
        "labels": {},
        "volumes": [],
        "toolboxProxyUrl": fake.proxy_url,
    }
    assert {key: created[key] for key in expected} == expected
    assert "autoDestroyAt" not in created
    assert created["createdAt"].endswith("Z")
    clock.advance(0.99)
    assert api.get(f"/sandbox/{created['id']}").json()["state"] == "creating"
    clock.advance(0.01)
    started = api.get(f"/sandbox/{created['id']}").json()
    assert started["state"] == "started"
    assert started["updatedAt"] > created["updatedAt"]


def test_create_keeps_the_requested_settings(fake: FakeDaytona, api: httpx.Client) -> None:
    data = fake.add_volume("data")
    fake.add_secret("anthropic-prod", "sk-secret")
    body = {
        "name": "configured",
        "labels": {"team": "a"},
        "env": {"GREETING": "hi"},
        "autoStopInterval": 0,
        "autoArchiveInterval": 0,
        "autoDeleteInterval": 60,
        "public": True,
        "user": "root",
        "networkBlockAll": True,
        "networkAllowList": "10.0.0.0/8,192.168.1.0/24",
        "volumes": [{"volumeId": "data", "mountPath": "/data", "subpath": "users/alice"}],
        "secrets": [{"ANTHROPIC_API_KEY": "anthropic-prod"}],
    }
    created = api.post("/sandbox", json=body).json()
    shown = {key: value for key, value in body.items() if key != "secrets"}
    assert {key: created[key] for key in shown} == {
        **shown,
        "autoArchiveInterval": 43200,
        "volumes": [{"volumeId": data, "mountPath": "/data", "subpath": "users/alice"}],
    }
    assert "secrets" not in created  # not part of Sandbox; commands see them as env
    assert fake.sandboxes[created["id"]]["_secrets"] == {"ANTHROPIC_API_KEY": "sk-secret"}


def test_ttl_minutes_set_auto_destroy_at_and_the_sandbox_is_gone_then(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    created = api.post("/sandbox", json={"name": "brief", "ttlMinutes": 10}).json()
    assert created["autoDestroyAt"] == fake._iso(clock.now + 600)
    clock.advance(599)
    assert api.get("/sandbox/brief").status_code == 200
    clock.advance(1)
    assert api.get("/sandbox/brief").status_code == 404


def test_a_pausable_class_defaults_to_auto_pause_instead_of_auto_stop(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_snapshot("vm", sandboxClass="linux-vm")
    by_default = api.post("/sandbox", json={"snapshot": "vm"}).json()
    chosen = api.post("/sandbox", json={"snapshot": "vm", "autoPauseInterval": 5}).json()
    stopping = api.post("/sandbox", json={"snapshot": "vm", "autoStopInterval": 30}).json()
    assert [
        (s["sandboxClass"], s["autoPauseInterval"], s["autoStopInterval"])
        for s in (by_default, chosen, stopping)
    ] == [("linux-vm", 60, 0), ("linux-vm", 5, 0), ("linux-vm", 0, 30)]


def test_create_refuses_what_the_server_refuses(
    fake: FakeDaytona, api: httpx.Client, contract: Contract
) -> None:
    contract.spare_requests("the mistyped cpu breaks the spec's integer")
    fake.add_snapshot("warming", state="building")
    fake.add_sandbox("taken")
    cases = {
        "unknown": ({"snapshot": "nope"}, 400),
        "inactive": ({"snapshot": "warming"}, 400),
        "resources": ({"snapshot": DEFAULT_SNAPSHOT, "cpu": 2}, 400),
        "taken": ({"name": "taken"}, 409),
        "wrong type": ({"cpu": "2"}, 400),
        "stop and pause": ({"autoStopInterval": 15, "autoPauseInterval": 60}, 400),
        "pause a container": ({"autoPauseInterval": 60}, 400),
        "bad CIDR": ({"networkAllowList": "10.0.0.0/8,nowhere"}, 400),
        "unknown volume": ({"volumes": [{"volumeId": "ghost", "mountPath": "/g"}]}, 400),
        "unknown secret": ({"secrets": [{"KEY": "ghost"}]}, 400),
        "spot without GPU": ({"spot": True}, 400),
    }
    messages = {}
    for case, (body, status) in cases.items():
        answer = api.post("/sandbox", json=body)
        assert answer.status_code == status, case
        messages[case] = answer.json()["message"]
    assert messages == {
        "unknown": "Snapshot nope not found. Did you add it through the Daytona Dashboard?",
        "inactive": "Snapshot warming is building",
        "resources": "Cannot specify Sandbox resources when using a snapshot",
        "taken": "Sandbox with name taken already exists",
        "wrong type": "cpu must be an integer number",
        "stop and pause": "At most one of autoStopInterval and autoPauseInterval may be non-zero",
        "pause a container": "Auto-pause is not supported for this sandbox class",
        "bad CIDR": "Invalid CIDR in network allow list: nowhere",
        "unknown volume": "Volume ghost not found",
        "unknown secret": "Secret ghost not found",
        "spot without GPU": "Spot is only supported for GPU sandboxes",
    }
    assert [record["name"] for record in fake.sandboxes.values()] == ["taken"]


def test_create_from_a_snapshot_id_takes_the_snapshots_resources(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    big = fake.add_snapshot("big", cpu=4, mem=8, disk=20)
    created = api.post("/sandbox", json={"snapshot": big["id"]}).json()
    assert (created["snapshot"], created["cpu"], created["memory"], created["disk"]) == (
        "big",
        4,
        8,
        20,
    )


def test_create_from_a_dockerfile_passes_through_pending_build_and_building_snapshot(
    api: httpx.Client, clock: ManualClock
) -> None:
    body = {"buildInfo": {"dockerfileContent": "FROM python:3.12\n"}, "cpu": 2, "memory": 4}
    created = api.post("/sandbox", json=body).json()
    assert (created["state"], created["cpu"], created["memory"]) == ("pending_build", 2, 4)
    assert "snapshot" not in created
    assert created["buildInfo"]["dockerfileContent"] == "FROM python:3.12\n"
    assert created["buildInfo"]["snapshotRef"].startswith("daytona-")
    states = []
    for _ in range(2):
        clock.advance(1.0)
        states.append(api.get(f"/sandbox/{created['id']}").json()["state"])
    assert states == ["building_snapshot", "started"]


@pytest.mark.parametrize(
    ("transition", "answered", "waited"),
    [(0.25, "started", 0.25), (5.0, "creating", 2.0)],
    ids=["started-in-time", "still-creating"],
)
def test_create_waits_up_to_create_wait_seconds_for_the_sandbox_to_start(
    make_fake: Callable[..., FakeDaytona],
    clock: ManualClock,
    transition: float,
    answered: str,
    waited: float,
) -> None:
    # The fake waits on the test's clock, so its waits are counted, never spent.
    fake = make_fake(
        transition_seconds=transition,
        create_wait_seconds=2.0,
        wait_clock=clock,
        wait_sleep=clock.sleep,
    )
    with client_for(fake) as api:
        created = api.post("/sandbox", json={"name": "patient"}).json()
    assert created["state"] == answered
    # It answers as soon as the sandbox has started, and at the latest after 2 s.
    assert sum(clock.sleeps) == pytest.approx(waited, abs=0.011)
    assert all(0 < pause <= 0.01 for pause in clock.sleeps)


def test_fail_next_create_ends_only_the_next_sandbox_in_error_with_its_reason(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    fake.fail_next_create(reason="no runners available")
    failed = api.post("/sandbox", json={"name": "doomed"}).json()
    healthy = api.post("/sandbox", json={"name": "fine"}).json()
    clock.advance(1.0)
    doomed = api.get(f"/sandbox/{failed['id']}").json()
    assert (doomed["state"], doomed["errorReason"]) == ("error", "no runners available")
    assert api.get(f"/sandbox/{healthy['id']}").json()["state"] == "started"
    start = api.post(f"/sandbox/{failed['id']}/start")
    assert (start.status_code, start.json()["message"]) == (400, "Sandbox is in an errored state")


# -- lifecycle ---------------------------------------------------------------------------------


def test_stop_and_start_answer_the_old_state_take_time_and_refuse_to_overlap(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    box = fake.add_sandbox("box")["id"]

    def act(verb: str) -> tuple[int, str]:
        answer = (
            api.delete(f"/sandbox/{box}")
            if verb == "delete"
            else api.post(f"/sandbox/{box}/{verb}")
        )
        body = answer.json()
        return answer.status_code, body.get("state") or body["message"]

    # Like the real server, the answer still shows the old state; the transition follows.
    assert act("stop") == (200, "started")
    assert (current(fake, box)["state"], current(fake, box)["desiredState"]) == (
        "stopping",
        "stopped",
    )
    assert act("start") == (409, "Sandbox state change in progress")
    assert act("delete") == (409, "Sandbox state change in progress")
    clock.advance(1.0)
    assert act("stop") == (400, "Sandbox is not in a stoppable state")
    assert act("start") == (200, "stopped")
    assert current(fake, box)["state"] == "starting"
    clock.advance(1.0)
    assert act("start") == (200, "started")  # already started: a no-op


@pytest.mark.parametrize(
    ("state", "passing", "seconds"),
    [("stopped", "starting", 1.0), ("paused", "resuming", 1.0), ("archived", "restoring", 3.0)],
)
def test_start_starts_resumes_or_restores_and_a_restore_takes_longer(
    fake: FakeDaytona,
    api: httpx.Client,
    clock: ManualClock,
    state: str,
    passing: str,
    seconds: float,
) -> None:
    fake.add_sandbox("box", state=state, sandboxClass="linux-vm")
    answer = api.post("/sandbox/box/start").json()
    assert (answer["state"], answer["desiredState"]) == (state, "started")
    assert current(fake, "box")["state"] == passing
    clock.advance(seconds - 0.01)
    assert current(fake, "box")["state"] == passing
    clock.advance(0.01)
    assert current(fake, "box")["state"] == "started"


@pytest.mark.parametrize("sandbox_class", ["linux-vm", "windows"])
def test_a_vm_sandbox_pauses_through_pausing(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock, sandbox_class: str
) -> None:
    fake.add_sandbox("vm", sandboxClass=sandbox_class)
    answer = api.post("/sandbox/vm/pause").json()
    assert (answer["state"], answer["desiredState"]) == ("started", "paused")
    assert current(fake, "vm")["state"] == "pausing"
    assert api.post("/sandbox/vm/pause").status_code == 409
    clock.advance(1.0)
    assert current(fake, "vm")["state"] == "paused"


@pytest.mark.parametrize(
    ("sandbox_class", "state", "status", "message"),
    [
        ("container", "started", 422, "Pausing is not supported for this sandbox"),
        ("android", "started", 422, "Pausing is not supported for this sandbox"),
        ("linux-vm", "stopped", 400, "Sandbox must be in started state to pause"),
        ("linux-vm", "paused", 400, "Sandbox must be in started state to pause"),
    ],
)
def test_pause_refuses_other_classes_and_states(
    fake: FakeDaytona,
    api: httpx.Client,
    sandbox_class: str,
    state: str,
    status: int,
    message: str,
) -> None:
    fake.add_sandbox("box", sandboxClass=sandbox_class, state=state)
    answer = api.post("/sandbox/box/pause")
    assert (answer.status_code, answer.json()["message"]) == (status, message)


@pytest.mark.parametrize(
    ("state", "status"), [("stopped", 200), ("started", 400), ("archived", 400)]
)
def test_only_a_stopped_sandbox_archives(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock, state: str, status: int
) -> None:
    fake.add_sandbox("box", state=state)
    answer = api.post("/sandbox/box/archive")
    assert answer.status_code == status
    if status == 200:
        assert (answer.json()["state"], current(fake, "box")["state"]) == ("stopped", "archiving")
        clock.advance(1.0)
        assert current(fake, "box")["state"] == "archived"
    else:
        assert answer.json()["message"] == "Sandbox is not stopped"


def test_delete_renames_at_once_frees_the_name_and_passes_through_destroying(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    box = fake.add_sandbox("box")["id"]
    answer = api.delete("/sandbox/box").json()
    new_name = f"DESTROYED_box_{_ms(fake, clock)}"
    assert (answer["name"], answer["state"], answer["desiredState"]) == (
        new_name,
        "destroying",
        "destroyed",
    )
    assert api.get("/sandbox/box").status_code == 404
    assert api.get(f"/sandbox/{new_name}").json()["id"] == box
    again = [api.delete(f"/sandbox/{box}"), api.delete("/sandbox/box")]
    assert [(a.status_code, a.json()["message"]) for a in again] == [
        (409, "Sandbox state change in progress"),
        (404, "Sandbox with ID or name box not found"),
    ]
    assert api.post("/sandbox", json={"name": "box"}).status_code == 200  # the name is free
    clock.advance(1.0)
    assert api.get(f"/sandbox/{box}").status_code == 404
    assert box not in fake.sandboxes


def test_without_rename_on_delete_the_name_stays_until_the_sandbox_is_gone(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake(rename_on_delete=False)
    fake.add_sandbox("box")
    with client_for(fake) as api:
        assert api.delete("/sandbox/box").json()["name"] == "box"
        assert api.get("/sandbox/box").json()["state"] == "destroying"


@pytest.mark.parametrize(
    ("reason", "field"), [("spot", "spotEvictedAt"), ("queue", "queueTimedOutAt")]
)
def test_a_sandbox_destroyed_by_the_platform_stays_readable_for_24_hours(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock, reason: str, field: str
) -> None:
    box = fake.add_sandbox("box")["id"]
    fake.destroy_by_platform("box", reason=reason)
    seen = api.get(f"/sandbox/{box}").json()
    assert (seen["state"], seen["desiredState"], seen[field]) == (
        "destroyed",
        "destroyed",
        fake._iso(clock.now),
    )
    assert api.get("/sandbox/box").json()["id"] == box
    assert names(api.get("/sandbox")) == []
    assert api.delete("/sandbox/box").json()["state"] == "destroyed"
    assert [api.post(f"/sandbox/box/{verb}").status_code for verb in ("start", "stop")] == [400] * 2
    clock.advance(24 * 3600 - 1)
    assert api.get(f"/sandbox/{box}").status_code == 200
    clock.advance(1)
    assert api.get(f"/sandbox/{box}").status_code == 404


def test_stopping_an_ephemeral_sandbox_deletes_it(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    fake.add_sandbox("ephemeral", autoDeleteInterval=0)
    stopping = api.post("/sandbox/ephemeral/stop", params={"force": "true"}).json()
    assert (stopping["state"], stopping["desiredState"]) == ("started", "destroyed")
    clock.advance(1.0)
    assert api.get("/sandbox/ephemeral").json()["state"] == "destroying"
    clock.advance(1.0)
    assert api.get("/sandbox/ephemeral").status_code == 404


def test_lookup_tries_the_id_before_the_name_and_decodes_the_path(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    target = fake.add_sandbox("target")
    fake.add_sandbox(target["id"])  # a sandbox named like the other one's ID
    assert api.get(f"/sandbox/{target['id']}").json()["name"] == "target"
    for name in ("with space", "ünïcødé ✓", "slash/in-name", "100%"):
        fake.add_sandbox(name)
        assert api.get(f"/sandbox/{quote(name, safe='')}").json()["name"] == name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
        lambda name: name not in (".", "..")
    )
)
def test_any_name_round_trips_through_create_and_get(name: str) -> None:
    with FakeDaytona() as fake, client_for(fake) as api:
        created = api.post("/sandbox", json={"name": name})
        fetched = api.get(f"/sandbox/{quote(name, safe='')}")
        assert (created.status_code, fetched.json()["id"]) == (200, created.json()["id"])
        assert fake_problems(fake) == []


def test_the_toolbox_proxy_url_is_found_by_id_only(fake: FakeDaytona, api: httpx.Client) -> None:
    box = fake.add_sandbox("box")
    assert api.get(f"/sandbox/{box['id']}/toolbox-proxy-url").json() == {"url": fake.proxy_url}
    by_name = api.get("/sandbox/box/toolbox-proxy-url")
    assert (by_name.status_code, by_name.json()["message"]) == (
        404,
        "Sandbox with ID box not found",
    )


def test_the_build_logs_url_is_given_by_id_or_name(fake: FakeDaytona, api: httpx.Client) -> None:
    box = fake.add_sandbox("box")
    assert api.get("/sandbox/box/build-logs-url").json()["url"].endswith(f"/{box['id']}/build-logs")


# -- servers of other ages ---------------------------------------------------------------------


def test_an_old_server_has_the_legacy_route_and_no_toolbox_proxy(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake(server_version="old")
    box = fake.add_sandbox("box")
    assert "toolboxProxyUrl" not in box
    with client_for(fake) as api:
        listed = api.get("/sandbox").json()["items"]
        proxy = api.get(f"/sandbox/{box['id']}/toolbox-proxy-url")
        legacy = api.post(f"/toolbox/{box['id']}/toolbox/process/execute", json={"command": "true"})
        toolbox = api.post(
            f"{fake.proxy_url}/{box['id']}/process/execute", json={"command": "true"}
        )
    assert "toolboxProxyUrl" not in listed[0]
    assert (proxy.status_code, proxy.json()["message"]) == (
        404,
        f"Cannot GET /api/sandbox/{box['id']}/toolbox-proxy-url",
    )
    assert legacy.json() == {"exitCode": 0, "result": ""}
    assert toolbox.status_code == 404


def test_a_current_server_answers_the_legacy_route_with_nests_404_even_without_a_key(
    fake: FakeDaytona, contract: Contract
) -> None:
    contract.spare_requests("one request goes without the key, which the route requires")
    box = fake.add_sandbox("box")["id"]
    with client_for(fake) as api:
        answer = api.post(f"/toolbox/{box}/toolbox/process/execute", json={"command": "true"})
        keyless = api.post(
            f"/toolbox/{box}/toolbox/process/execute",
            json={"command": "true"},
            headers={"Authorization": ""},
        )
    assert (answer.status_code, keyless.status_code) == (404, 404)
    assert answer.json()["message"] == f"Cannot POST /api/toolbox/{box}/toolbox/process/execute"


def test_a_transitional_server_has_both_the_legacy_route_and_the_proxy(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake(legacy_execute=True)
    box = fake.add_sandbox("box")
    with client_for(fake) as api:
        legacy = api.post(
            f"/toolbox/{box['id']}/toolbox/process/execute", json={"command": "echo a"}
        )
        proxied = api.post(
            f"{box['toolboxProxyUrl']}/{box['id']}/process/execute", json={"command": "echo b"}
        )
    assert (legacy.json()["result"], proxied.json()["result"]) == ("a\n", "b\n")


# -- SSH access and preview URLs ---------------------------------------------------------------


def test_ssh_access_is_a_token_with_an_expiry_and_a_command_to_run(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    box = fake.add_sandbox("box")
    access = api.post("/sandbox/box/ssh-access", params={"expiresInMinutes": 30}).json()
    default = api.post("/sandbox/box/ssh-access").json()
    assert access["sandboxId"] == box["id"]
    assert access["sshCommand"] == f"ssh -p 2222 {access['token']}@ssh.fake.daytona.test"
    assert access["expiresAt"] == fake._iso(clock.now + 30 * 60)
    assert default["expiresAt"] == fake._iso(clock.now + 60 * 60)
    assert fake.live_ssh_tokens("box") == [access["token"], default["token"]]
    clock.advance(30 * 60)
    assert fake.live_ssh_tokens() == [default["token"]]


def test_revoking_ssh_access_ends_one_token_or_all_of_a_sandboxs(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_sandbox("box")
    fake.add_sandbox("other")
    one, two = (api.post("/sandbox/box/ssh-access").json()["token"] for _ in range(2))
    elsewhere = api.post("/sandbox/other/ssh-access").json()["token"]
    assert api.delete("/sandbox/box/ssh-access", params={"token": one}).json()["name"] == "box"
    assert fake.live_ssh_tokens() == [two, elsewhere]
    assert api.delete("/sandbox/box/ssh-access", params={"token": "unknown"}).status_code == 200
    api.delete("/sandbox/box/ssh-access")
    assert fake.live_ssh_tokens() == [elsewhere]
    assert [(a["token"], a["revoked"]) for a in fake.ssh_access] == [
        (one, True),
        (two, True),
        (elsewhere, False),
    ]


def test_a_preview_url_has_the_port_and_sandbox_in_it_and_a_token_for_the_header(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    box = fake.add_sandbox("box")
    first = api.get("/sandbox/box/ports/3000/preview-url").json()
    assert first == {
        "sandboxId": box["id"],
        "url": f"https://3000-{box['id']}.preview.fake.daytona.test",
        "token": first["token"],
    }
    assert api.get("/sandbox/box/ports/8080/preview-url").json()["token"] == first["token"]


def test_a_signed_preview_url_carries_its_token_and_expires(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    box = fake.add_sandbox("box")
    signed = api.get("/sandbox/box/ports/3000/signed-preview-url").json()
    longer = api.get(
        "/sandbox/box/ports/3000/signed-preview-url", params={"expiresInSeconds": 600}
    ).json()
    assert signed == {
        "sandboxId": box["id"],
        "port": 3000,
        "token": signed["token"],
        "url": f"https://3000-{signed['token']}.preview.fake.daytona.test",
    }
    assert [p["_expires"] - clock.now for p in fake.signed_previews] == [60, 600]
    assert longer["token"] != signed["token"]


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_preview_port_outside_1_to_65535_is_400(
    fake: FakeDaytona, api: httpx.Client, contract: Contract, port: str
) -> None:
    if port == "http":
        contract.spare_requests("a port that is not a number breaks the spec's integer")
    fake.add_sandbox("box")
    assert api.get(f"/sandbox/box/ports/{port}/preview-url").status_code == 400


# -- snapshots ---------------------------------------------------------------------------------


def test_snapshots_are_paged_and_filtered_by_partial_name(
    fake: FakeDaytona, api: httpx.Client, contract: Contract
) -> None:
    contract.spare_requests("a limit of 0 breaks the spec's minimum")
    fake.seed(sandboxes=0, snapshots=5)
    page = api.get("/snapshots", params={"page": 3, "limit": 2}).json()
    assert (page["total"], page["page"], page["totalPages"], len(page["items"])) == (6, 3, 3, 2)
    # Partial, case-insensitive names; the most recently used first by default.
    node = api.get("/snapshots", params={"name": "NODE"}).json()
    assert [item["name"] for item in node["items"]] == ["fake/node:22-1", "fake/node:22-4"]
    assert api.get("/snapshots", params={"limit": 0}).status_code == 400
    ordered = api.get("/snapshots", params={"sort": "name", "order": "asc"}).json()["items"]
    assert [item["name"] for item in ordered] == sorted(item["name"] for item in ordered)


# -- faults and records ------------------------------------------------------------------------


def test_an_injected_429_carries_the_retry_header_and_the_throttler_message(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.inject(
        "POST", "/sandbox", status=429, headers={"Retry-After-sandbox-create": "1"}, times=2
    )
    answers = [api.post("/sandbox", json={}) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After-sandbox-create"] == "1"
    assert answers[0].json()["message"] == "ThrottlerException: Too Many Requests"
    assert len(fake.sandboxes) == 1
    assert fake.pending_faults() == []


def test_injected_faults_match_wildcards_and_can_answer_with_any_body(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_sandbox("box")
    fake.inject("POST", "/sandbox/*/stop", status=503)
    fake.inject("GET", "/sandbox", status=200, json={"items": [], "nextCursor": None})
    assert api.post("/sandbox/box/stop").status_code == 503
    assert api.get("/sandbox").json()["items"] == []
    assert api.post("/sandbox/box/stop").json()["desiredState"] == "stopped"


@pytest.mark.parametrize("status", [None, 503])
def test_a_lost_answer_comes_after_the_server_did_the_work(
    fake: FakeDaytona, api: httpx.Client, status: int | None
) -> None:
    fake.lose_answer("POST", "/sandbox", status=status)
    if status is None:
        with pytest.raises(httpx.RemoteProtocolError):
            api.post("/sandbox", json={"name": "made"})
    else:
        answer = api.post("/sandbox", json={"name": "made"})
        assert (answer.status_code, answer.json()["message"]) == (503, "Service Unavailable")
    assert current(fake, "made")["state"] == "creating"
    assert fake.scripted_left() == 0


def test_a_raw_answer_is_sent_byte_for_byte_and_spared_by_the_contract(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.inject_raw(
        "GET", "/sandbox", body=b"<html>502</html>", status=502, content_type="text/html"
    )
    answer = api.get("/sandbox")
    assert (answer.status_code, answer.content, answer.headers["content-type"]) == (
        502,
        b"<html>502</html>",
        "text/html",
    )
    assert fake.raw_answers == 1


def test_a_dropped_request_raises_remote_protocol_error_in_process(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.inject("GET", "/sandbox", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/sandbox")
    assert api.get("/sandbox").status_code == 200
    assert len(fake.requests) == 2
    assert len(fake.exchanges) == 1


def test_an_injected_delay_holds_the_answer_back(
    make_fake: Callable[..., FakeDaytona], clock: ManualClock
) -> None:
    fake = make_fake()
    answered_while_waiting: list[int] = []

    def wait(seconds: float) -> None:
        answered_while_waiting.append(len(fake.exchanges))
        clock.sleep(seconds)

    fake.wait_sleep = wait
    fake.inject("GET", "/snapshots", delay=0.1, status=502)
    with client_for(fake) as api:
        assert api.get("/snapshots").status_code == 502
        assert api.get("/snapshots").status_code == 200  # only the injected answer waits
    assert clock.sleeps == [0.1]
    assert answered_while_waiting == [0]  # the wait came before the answer
    assert len(fake.exchanges) == 2


def test_answers_arrive_unread_so_clients_can_stream_them_even_a_byte_at_a_time(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    with api.stream("GET", "/sandbox") as answer:
        assert json.loads(b"".join(answer.iter_raw())) == {"items": [], "nextCursor": None}
    fake.inject("GET", "/sandbox", status=200, json={"items": [], "nextCursor": None}, trickle=0.01)
    with api.stream("GET", "/sandbox") as answer:
        chunks = list(answer.iter_raw())
    assert len(chunks) == len(b'{"items": [], "nextCursor": null}')


def test_every_request_is_recorded_in_order_with_its_body(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    api.post("/sandbox", json={"name": "one"})
    api.get("/sandbox/one")
    api.post("/sandbox/one/stop")
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("POST", "/api/sandbox"),
        ("GET", "/api/sandbox/one"),
        ("POST", "/api/sandbox/one/stop"),
    ]
    created = fake.requests_to("post", "/sandbox")
    assert [json.loads(request.content) for request in created] == [{"name": "one"}]
    assert len(fake.requests_to("*", "/sandbox/one*")) == 2


# -- loopback ----------------------------------------------------------------------------------


def test_the_loopback_server_serves_the_api_and_the_toolbox_end_to_end(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake(clock=time.monotonic, transition_seconds=0.01, create_wait_seconds=1.0)
    in_process_proxy = fake.proxy_url
    with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH) as api:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        created = api.post("/sandbox", json={"name": "over the wire"}).json()
        assert created["state"] == "started"
        assert created["toolboxProxyUrl"] == url.removesuffix("/api") + "/toolbox-proxy"
        proxy = api.get(f"/sandbox/{created['id']}/toolbox-proxy-url").json()["url"]
        answer = api.post(f"{proxy}/{created['id']}/process/execute", json={"command": "echo hi"})
        assert answer.json() == {"exitCode": 0, "result": "hi\n"}
        assert api.get("/sandbox/over%20the%20wire").json()["id"] == created["id"]
    assert fake.proxy_url == in_process_proxy
    assert len(fake.exchanges) == 4


def test_the_loopback_server_can_drop_and_trickle(make_fake: Callable[..., FakeDaytona]) -> None:
    fake = make_fake()
    fake.inject("GET", "/sandbox", drop=True)
    empty = {"items": [], "total": 0, "page": 1, "totalPages": 0}
    fake.inject("GET", "/snapshots", status=200, json=empty, trickle=0.2)
    with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH) as api:
        with pytest.raises(httpx.RemoteProtocolError):
            api.get("/sandbox")
        with pytest.raises(httpx.ReadTimeout):
            api.get("/snapshots", timeout=httpx.Timeout(5.0, read=0.1))
        assert api.get("/sandbox").status_code == 200


def test_the_loopback_server_loses_an_answer_by_closing_the_connection(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake()
    box = fake.add_sandbox("box")["id"]
    fake.lose_answer("DELETE", "/sandbox/box")
    with (
        fake.serve() as url,
        httpx.Client(base_url=url, headers=AUTH) as api,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        api.delete("/sandbox/box")
    assert current(fake, box)["state"] == "destroying"


def test_concurrent_requests_overlap_on_the_loopback_server(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake()
    fake.inject(
        "GET", "/sandbox", delay=0.3, status=200, json={"items": [], "nextCursor": None}, times=4
    )
    with (
        fake.serve() as url,
        httpx.Client(base_url=url, headers=AUTH) as api,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        statuses = list(pool.map(lambda _: api.get("/sandbox").status_code, range(4)))
    assert statuses == [200] * 4
    assert fake.max_concurrency() == 4


def test_running_the_module_serves_the_api_and_toolbox_until_ctrl_c() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "tests.fake_daytona", "--port", "0", "--seed"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdout is not None
        line = server.stdout.readline()
        url = line.split("DAYTONA_API_URL=")[1].split()[0]
        assert "DAYTONA_API_KEY=fake-key" in line
        auth = {"Authorization": "Bearer fake-key"}
        listed = httpx.get(f"{url}/sandbox", headers=auth).json()["items"]
        started = next(item for item in listed if item["state"] == "started")
        ran = httpx.post(
            f"{started['toolboxProxyUrl']}/{started['id']}/process/execute",
            json={"command": "echo via the proxy"},
            headers=auth,
        )
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=10)
    assert len(listed) == 3
    assert ran.json() == {"exitCode": 0, "result": "via the proxy\n"}
    assert (server.returncode, errors) == (0, "")


# -- every operation -----------------------------------------------------------------------------


def test_the_fakes_tests_answer_every_operation_of_the_three_specs(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    """One tour: each operation of openapi.yaml, toolbox.yaml and legacy-execute.yaml answered
    with a success (the rest of this module and test_fake_toolbox.py test each in depth)."""
    from tests.contract import _document

    fake = make_fake(legacy_execute=True, transition_seconds=0.0)
    box = fake.add_sandbox("box", sandboxClass="linux-vm")
    down = fake.add_sandbox("down", state="stopped")
    with client_for(fake) as api:
        tb = f"{box['toolboxProxyUrl']}/{box['id']}"
        calls: list[tuple[str, str, dict[str, Any]]] = [
            ("GET", "/sandbox", {}),
            ("POST", "/sandbox", {"json": {"name": "new"}}),
            ("GET", "/sandbox/box", {}),
            ("POST", "/sandbox/box/ssh-access", {}),
            ("DELETE", "/sandbox/box/ssh-access", {}),
            ("GET", "/sandbox/box/ports/3000/preview-url", {}),
            ("GET", "/sandbox/box/ports/3000/signed-preview-url", {}),
            ("GET", "/sandbox/box/build-logs-url", {}),
            ("GET", f"/sandbox/{box['id']}/toolbox-proxy-url", {}),
            ("GET", "/snapshots", {}),
            (
                "POST",
                f"/toolbox/{box['id']}/toolbox/process/execute",
                {"json": {"command": "true"}},
            ),
            ("POST", f"{tb}/process/execute", {"json": {"command": "true"}}),
            ("POST", f"{tb}/process/session", {"json": {"sessionId": "s"}}),
            ("GET", f"{tb}/process/session", {}),
            ("GET", f"{tb}/process/session/s", {}),
            ("POST", f"{tb}/files/upload-v2?path=f", {"files": {"file": ("f", b"x")}}),
            ("GET", f"{tb}/files?path=.", {}),
            ("GET", f"{tb}/files/info?path=f", {}),
            ("GET", f"{tb}/files/download?path=f", {}),
            ("POST", f"{tb}/files/folder?path=d&mode=755", {}),
            ("DELETE", f"{tb}/files", {"params": {"path": "d", "recursive": "true"}}),
            ("GET", f"{tb}/work-dir", {}),
            ("GET", f"{tb}/user-home-dir", {}),
        ]
        answers = [api.request(method, path, **options) for method, path, options in calls]
        command = api.post(
            f"{tb}/process/session/s/exec", json={"command": "read line", "runAsync": True}
        ).json()["cmdId"]
        answers += [
            api.get(f"{tb}/process/session/s/command/{command}"),
            api.post(f"{tb}/process/session/s/command/{command}/input", json={"data": "x"}),
            api.get(f"{tb}/process/session/s/command/{command}/logs"),
            api.post(f"{tb}/process/session/s/exec", json={"command": "true"}),
            api.delete(f"{tb}/process/session/s"),
            api.post("/sandbox/box/pause"),
            api.post(f"/sandbox/{down['id']}/archive"),
            api.post("/sandbox/new/stop"),
            api.post(f"/sandbox/{down['id']}/start"),
            api.delete("/sandbox/new"),
        ]
    assert [a.status_code for a in answers if not a.is_success] == []
    answered = {
        operation_id(request) for request, response in fake.exchanges if response.is_success
    }
    every = {
        operation["operationId"]
        for spec in ("api", "toolbox", "legacy")
        for item in _document(spec)["paths"].values()
        for operation in item.values()
    }
    assert every - answered == set()
