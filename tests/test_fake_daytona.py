"""The fake Daytona API itself: it must be as strict as the real server, and keep the contract.

Every fake made through the ``make_fake`` fixture has each of its answers checked against
``tests/openapi.yaml`` when the test ends; tests that send deliberately invalid requests say so
with ``contract.check_requests = False`` and check the answers alone.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract import request_problems, response_problems, validate_exchange
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona

KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ROOT = Path(__file__).resolve().parent.parent


class ManualClock:
    """A clock that moves only when told to, so transitions happen exactly when a test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Contract:
    check_requests: bool = True


def contract_problems(fake: FakeDaytona, *, check_requests: bool = True) -> list[str]:
    problems = []
    for request, response in fake.exchanges:
        found = (
            validate_exchange(request, response)
            if check_requests
            else response_problems(request, response)
        )
        problems += [
            f"{request.method} {request.url} -> {response.status_code}: {p}" for p in found
        ]
    return problems


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def contract() -> Contract:
    return Contract()


@pytest.fixture
def make_fake(clock: ManualClock, contract: Contract) -> Iterator[Callable[..., FakeDaytona]]:
    fakes: list[FakeDaytona] = []

    def make(**options: Any) -> FakeDaytona:
        options.setdefault("clock", clock)
        options.setdefault("transition_seconds", 1.0)
        fake = FakeDaytona(**options)
        fakes.append(fake)
        return fake

    yield make
    for fake in fakes:
        fake.close()
    assert [
        p for f in fakes for p in contract_problems(f, check_requests=contract.check_requests)
    ] == []


@pytest.fixture
def fake(make_fake: Callable[..., FakeDaytona]) -> FakeDaytona:
    return make_fake()


def client_for(fake: FakeDaytona, base_url: str | None = None, **options: Any) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(fake.handler),
        base_url=base_url or fake.base_url,
        headers=AUTH,
        **options,
    )


@pytest.fixture
def api(fake: FakeDaytona) -> Iterator[httpx.Client]:
    with client_for(fake) as client:
        yield client


def current(fake: FakeDaytona, id_or_name: str) -> dict[str, Any]:
    view = fake.sandbox(id_or_name)
    assert view is not None, f"no sandbox {id_or_name}"
    return view


def names(response: httpx.Response) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


def is_running(pid: int) -> bool:
    """Whether a process lives; an orphan killed in a container may linger as a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def execute(api: httpx.Client, sandbox_id: str, **body: Any) -> httpx.Response:
    return api.post(f"/toolbox/{sandbox_id}/toolbox/process/execute", json=body)


# -- auth, routing, error bodies ---------------------------------------------------------------


def test_requests_without_the_right_bearer_key_get_401_invalid_credentials(
    fake: FakeDaytona, contract: Contract
) -> None:
    contract.check_requests = False
    with httpx.Client(transport=httpx.MockTransport(fake.handler), base_url=fake.base_url) as bare:
        answers = [
            bare.get("/sandbox"),
            bare.get("/sandbox", headers={"Authorization": "Bearer wrong"}),
            bare.get("/sandbox", headers={"Authorization": f"Token {KEY}"}),
            bare.post(f"{fake.proxy_url}/x/process/execute", json={"command": "true"}),
        ]
    assert [answer.status_code for answer in answers] == [401] * 4
    assert {answer.json()["message"] for answer in answers} == {"Invalid credentials"}
    assert any("Security" in p for p in request_problems(fake.requests[0]))


def test_unknown_routes_and_methods_answer_501_loudly(
    api: httpx.Client, contract: Contract
) -> None:
    contract.check_requests = False
    nowhere = api.post("/nowhere")
    wrong_method = api.put("/sandbox")
    assert (nowhere.status_code, wrong_method.status_code) == (501, 501)
    assert nowhere.json()["message"] == "fake: no route for POST /api/nowhere"
    assert wrong_method.json()["message"] == "fake: no route for PUT /api/sandbox"


def test_error_bodies_carry_path_timestamp_status_reason_and_one_message(
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
        page = api.get("/sandbox", params=params).json()
        sizes.append(len(page["items"]))
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_list_limit_outside_1_to_200_and_foreign_cursors_are_400(
    fake: FakeDaytona, api: httpx.Client, contract: Contract
) -> None:
    contract.check_requests = False
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
    contract.check_requests = False
    fake.add_sandbox("up", state="started")
    fake.add_sandbox("down", state="stopped")
    fake.add_sandbox("cold", state="archived")
    both = api.get("/sandbox", params={"states": ["started", "stopped"]})
    assert sorted(names(both)) == ["down", "up"]
    assert api.get("/sandbox", params={"states": "destroyed"}).status_code == 400
    assert api.get("/sandbox", params={"states": "running"}).status_code == 400


def test_snapshot_and_date_filters_compare_creation_and_last_activity(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_snapshot("custom")
    fake.add_sandbox("early", createdAt="2024-01-01T00:00:00.000Z", snapshot="custom")
    fake.add_sandbox(
        "late",
        createdAt="2024-06-01T00:00:00.000Z",
        lastActivityAt="2024-06-02T00:00:00.000Z",
    )
    assert names(api.get("/sandbox", params={"snapshots": ["custom"]})) == ["early"]
    after = api.get("/sandbox", params={"createdAtAfter": "2024-03-01T00:00:00Z"})
    assert names(after) == ["late"]
    before = api.get("/sandbox", params={"createdAtBefore": "2024-03-01T00:00:00Z"})
    assert names(before) == ["early"]
    active = api.get("/sandbox", params={"lastEventBefore": "2024-07-01T00:00:00Z"})
    assert names(active) == ["late"]


def test_list_items_leave_out_sandbox_only_fields_and_destroyed_sandboxes(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    fake.add_sandbox("kept", env={"SECRET": "x"})
    gone = fake.add_sandbox("gone")
    api.delete(f"/sandbox/{gone['id']}")
    assert sorted(names(api.get("/sandbox"))) == ["gone", "kept"]
    clock.advance(1.0)
    items = api.get("/sandbox").json()["items"]
    assert [item["name"] for item in items] == ["kept"]
    assert "env" not in items[0]
    assert items[0]["toolboxProxyUrl"] == fake.proxy_url


def test_a_bare_array_list_answers_every_match_in_one_array(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake(bare_array_list=True)
    fake.seed(sandboxes=4)
    with client_for(fake) as api:
        answer = api.get("/sandbox", params={"limit": 2}).json()
    assert isinstance(answer, list)
    assert len(answer) == 4


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
        "autoStopInterval": 15,
        "autoArchiveInterval": 10080,
        "autoDeleteInterval": -1,
        "user": "daytona",
        "target": "us",
        "public": False,
        "networkBlockAll": False,
        "env": {},
        "labels": {},
        "toolboxProxyUrl": fake.proxy_url,
    }
    assert {key: created[key] for key in expected} == expected
    assert created["createdAt"].endswith("Z")
    clock.advance(0.99)
    assert api.get(f"/sandbox/{created['id']}").json()["state"] == "creating"
    clock.advance(0.01)
    started = api.get(f"/sandbox/{created['id']}").json()
    assert started["state"] == "started"
    assert started["updatedAt"] > created["updatedAt"]


def test_create_keeps_the_requested_settings(api: httpx.Client) -> None:
    body = {
        "name": "configured",
        "labels": {"team": "a"},
        "env": {"GREETING": "hi"},
        "autoStopInterval": 0,
        "autoArchiveInterval": 0,
        "autoDeleteInterval": 60,
        "public": True,
        "user": "root",
    }
    created = api.post("/sandbox", json=body).json()
    assert {key: created[key] for key in body} == {**body, "autoArchiveInterval": 43200}


def test_create_refuses_unknown_snapshots_resources_with_a_snapshot_and_taken_names(
    fake: FakeDaytona, api: httpx.Client, contract: Contract
) -> None:
    contract.check_requests = False  # the mistyped cpu breaks the contract on purpose
    fake.add_snapshot("warming", state="building")
    fake.add_sandbox("taken")
    cases = {
        "unknown": ({"snapshot": "nope"}, 400),
        "inactive": ({"snapshot": "warming"}, 400),
        "resources": ({"snapshot": DEFAULT_SNAPSHOT, "cpu": 2}, 400),
        "taken": ({"name": "taken"}, 409),
        "wrong type": ({"cpu": "2"}, 400),
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


def test_create_from_a_build_passes_through_pending_build_and_building_snapshot(
    api: httpx.Client, clock: ManualClock
) -> None:
    body = {"buildInfo": {"dockerfileContent": "FROM python:3.12\n"}, "cpu": 2, "memory": 4}
    created = api.post("/sandbox", json=body).json()
    assert (created["state"], created["cpu"], created["memory"]) == ("pending_build", 2, 4)
    assert "snapshot" not in created
    assert created["buildInfo"]["snapshotRef"].startswith("daytona-")
    states = []
    for _ in range(2):
        clock.advance(1.0)
        states.append(api.get(f"/sandbox/{created['id']}").json()["state"])
    assert states == ["building_snapshot", "started"]


def test_create_waits_up_to_create_wait_seconds_for_the_sandbox_to_start(
    make_fake: Callable[..., FakeDaytona],
) -> None:
    fake = make_fake(clock=time.monotonic, transition_seconds=0.02, create_wait_seconds=2.0)
    with client_for(fake) as api:
        began = time.monotonic()
        created = api.post("/sandbox", json={"name": "patient"}).json()
    assert created["state"] == "started"
    assert time.monotonic() - began < 1.0


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


def test_stop_start_and_delete_take_time_and_refuse_to_overlap(
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
    assert current(fake, box)["state"] == "stopping"
    assert current(fake, box)["desiredState"] == "stopped"
    assert act("start") == (409, "Sandbox state change in progress")
    assert act("delete") == (409, "Sandbox state change in progress")
    clock.advance(1.0)
    assert act("stop") == (400, "Sandbox is not in a stoppable state")
    assert act("start") == (200, "stopped")
    assert current(fake, box)["state"] == "starting"
    clock.advance(1.0)
    assert act("start") == (200, "started")
    assert act("delete") == (200, "destroying")
    assert current(fake, "box")["desiredState"] == "destroyed"
    clock.advance(1.0)
    assert api.get(f"/sandbox/{box}").status_code == 404
    assert fake.sandbox(box) is None
    assert box not in fake.sandboxes


def test_starting_an_archived_sandbox_restores_it(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    fake.add_sandbox("cold", state="archived")
    assert api.post("/sandbox/cold/start").json()["state"] == "archived"
    assert current(fake, "cold")["state"] == "restoring"
    clock.advance(1.0)
    assert api.get("/sandbox/cold").json()["state"] == "started"


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
        assert contract_problems(fake) == []


def test_the_toolbox_proxy_url_is_found_by_id_only(fake: FakeDaytona, api: httpx.Client) -> None:
    box = fake.add_sandbox("box")
    assert api.get(f"/sandbox/{box['id']}/toolbox-proxy-url").json() == {"url": fake.proxy_url}
    by_name = api.get("/sandbox/box/toolbox-proxy-url")
    assert (by_name.status_code, by_name.json()["message"]) == (
        404,
        "Sandbox with ID box not found",
    )


# -- execute -----------------------------------------------------------------------------------


def test_execute_pipes_the_command_into_a_shell_and_merges_its_output(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    box = fake.add_sandbox("box", lastActivityAt="2024-01-01T00:00:00.000Z")
    command = "echo 'one  two' | tr a-z A-Z && echo oops >&2; exit 3"
    answer = execute(api, box["id"], command=command)
    assert answer.json() == {"exitCode": 3, "result": "ONE  TWO\noops\n"}
    assert current(fake, "box")["lastActivityAt"] > "2024"


def test_execute_honours_cwd_and_reports_a_missing_one_as_exit_code_minus_one(
    fake: FakeDaytona, api: httpx.Client, tmp_path: Path
) -> None:
    box = fake.add_sandbox("box")["id"]
    assert execute(api, box, command="pwd", cwd=str(tmp_path)).json()["result"] == f"{tmp_path}\n"
    missing = execute(api, box, command="pwd", cwd=str(tmp_path / "nope")).json()
    assert missing["exitCode"] == -1
    assert "nope" in missing["result"]


def test_each_sandbox_runs_commands_in_a_directory_of_its_own(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    first, second = fake.add_sandbox("first")["id"], fake.add_sandbox("second")["id"]
    execute(api, first, command="touch made-here")
    assert execute(api, first, command="ls").json()["result"] == "made-here\n"
    assert execute(api, second, command="ls").json()["result"] == ""


def test_execute_past_its_timeout_is_408_and_kills_the_process_group(
    fake: FakeDaytona, api: httpx.Client, tmp_path: Path
) -> None:
    box = fake.add_sandbox("box")["id"]
    pid_file = tmp_path / "pid"
    began = time.monotonic()
    answer = execute(
        api, box, command=f"sleep 30 & echo $! > {pid_file}; echo partial; wait", timeout=1
    )
    assert time.monotonic() - began < 5
    assert (answer.status_code, answer.json()["message"]) == (408, "command execution timeout")
    pid = int(pid_file.read_text())
    # SIGKILL is delivered asynchronously: on a busy machine the process may take a moment to die.
    deadline = time.monotonic() + 10
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not is_running(pid)


@pytest.mark.parametrize("timeout", [1.5, 30.0, -1])
def test_execute_timeout_must_be_whole_non_negative_seconds_as_the_daemon_decodes_it(
    fake: FakeDaytona, api: httpx.Client, timeout: float
) -> None:
    box = fake.add_sandbox("box")["id"]
    answer = execute(api, box, command="true", timeout=timeout)
    assert answer.status_code == 400


def test_legacy_execute_needs_the_id_of_a_started_sandbox(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.add_sandbox("named")
    stopped = fake.add_sandbox("down", state="stopped")["id"]
    by_name = execute(api, "named", command="true")
    not_running = execute(api, stopped, command="true")
    assert (by_name.status_code, by_name.json()["message"]) == (404, "Sandbox not found")
    assert (not_running.status_code, not_running.json()["message"]) == (
        400,
        "Sandbox is not running",
    )


def test_without_legacy_execute_the_old_route_is_a_nest_404_even_without_a_key(
    make_fake: Callable[..., FakeDaytona], contract: Contract
) -> None:
    contract.check_requests = False
    fake = make_fake(legacy_execute=False)
    box = fake.add_sandbox("box")["id"]
    with client_for(fake) as api:
        answer = execute(api, box, command="true")
        keyless = api.post(
            f"/toolbox/{box}/toolbox/process/execute",
            json={"command": "true"},
            headers={"Authorization": ""},
        )
    assert (answer.status_code, keyless.status_code) == (404, 404)
    assert answer.json()["message"] == f"Cannot POST /api/toolbox/{box}/toolbox/process/execute"


def test_the_toolbox_proxy_route_executes_with_envs(fake: FakeDaytona, api: httpx.Client) -> None:
    box = fake.add_sandbox("box", env={"FROM_SANDBOX": "s"})
    url = f"{box['toolboxProxyUrl']}/{box['id']}/process/execute"
    answer = api.post(url, json={"command": "echo $FROM_SANDBOX $EXTRA", "envs": {"EXTRA": "e"}})
    assert answer.json() == {"exitCode": 0, "result": "s e\n"}
    assert [r.url for r in fake.requests_to("POST", "/toolbox-proxy/*/process/execute")] == [
        httpx.URL(url)
    ]


# -- snapshots ---------------------------------------------------------------------------------


def test_snapshots_are_paged_and_filtered_by_partial_name(
    fake: FakeDaytona, api: httpx.Client, contract: Contract
) -> None:
    contract.check_requests = False
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


def test_a_dropped_request_raises_remote_protocol_error_in_process(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    fake.inject("GET", "/sandbox", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/sandbox")
    assert api.get("/sandbox").status_code == 200
    assert len(fake.requests) == 2
    assert len(fake.exchanges) == 1


def test_an_injected_delay_holds_the_answer_back(fake: FakeDaytona, api: httpx.Client) -> None:
    fake.inject("GET", "/snapshots", delay=0.1, status=502)
    began = time.monotonic()
    assert api.get("/snapshots").status_code == 502
    assert time.monotonic() - began >= 0.1


def test_answers_arrive_unread_so_clients_can_stream_them_even_a_byte_at_a_time(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    with api.stream("GET", "/sandbox") as answer:
        assert json.loads(b"".join(answer.iter_raw())) == {"items": [], "nextCursor": None}
    fake.inject("GET", "/sandbox", status=200, json={"items": [], "nextCursor": None}, trickle=0.01)
    began = time.monotonic()
    with api.stream("GET", "/sandbox") as answer:
        chunks = list(answer.iter_raw())
    assert len(chunks) == len(b'{"items": [], "nextCursor": null}')
    assert time.monotonic() - began >= 0.3


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


def test_the_loopback_server_serves_the_api_and_the_proxy_route_end_to_end(
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


def test_running_the_module_serves_until_ctrl_c_and_prints_the_exports() -> None:
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
        listed = httpx.get(f"{url}/sandbox", headers={"Authorization": "Bearer fake-key"})
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=10)
    assert len(listed.json()["items"]) == 3
    assert (server.returncode, errors) == (0, "")


# -- the contract checker ----------------------------------------------------------------------


def test_the_contract_catches_extra_missing_and_mistyped_fields() -> None:
    listing = httpx.Request("GET", "http://x/api/sandbox", headers=AUTH)
    leaky = httpx.Response(200, json={"items": [{"id": "x", "env": {}}], "nextCursor": None})
    assert any("'env' was unexpected" in p for p in response_problems(listing, leaky))
    assert any("'cpu' is a required" in p for p in response_problems(listing, leaky))
    typo = httpx.Request("POST", "http://x/api/sandbox", headers=AUTH, json={"lables": {}})
    assert any("'lables' was unexpected" in p for p in request_problems(typo))
    unknown_query = httpx.Request("GET", "http://x/sandbox?state=started", headers=AUTH)
    assert request_problems(unknown_query) == [
        "query parameter 'state' is not declared for listSandboxes"
    ]
    doubled = httpx.Request("GET", "http://x/api/api/sandbox", headers=AUTH)
    assert request_problems(doubled) == ["GET /api/api/sandbox: not a route of the API"]
    bare_error = httpx.Response(500, json={"message": ["a", "b"]})
    assert "error 500: message is not one string" in response_problems(listing, bare_error)
    proxy = httpx.Request(
        "POST", "http://p/toolbox/x/process/execute", headers=AUTH, json={"command": 1, "envs": []}
    )
    assert request_problems(proxy) == [
        "toolbox proxy: envs must be an object of strings",
        "ExecuteRequest['command']: 1 is not of type 'string'",
    ]
