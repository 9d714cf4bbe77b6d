"""Scripting and fleet operations (issue 4): selectors on start/stop/delete, bulk actions with
bounded concurrency, the guards before a bulk change, `sandbox wait`, and provenance labels.

Every test checks the exit code, what went to stdout and stderr, and the requests the fake got.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, VirtualClock, on_real_clock
from tests.fake_daytona import FakeDaytona

REQUEST_ID_LABEL = "daytona-cli/request-id"
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|\+00:00)")
MUTATING = ("POST", "PUT", "PATCH", "DELETE")

# -- helpers -----------------------------------------------------------------------------------


def ago(**delta: float) -> str:
    """An API timestamp (ISO-8601 UTC, milliseconds, Z) that long before now."""
    moment = datetime.now(timezone.utc) - timedelta(**delta)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mutations(fake: FakeDaytona) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in fake.requests if r.method in MUTATING]


def deleted(fake: FakeDaytona) -> list[str]:
    """The last path segment of every DELETE /sandbox/<x>, sorted."""
    return sorted(r.url.path.rsplit("/", 1)[1] for r in fake.requests_to("DELETE", "/sandbox/*"))


def posted(fake: FakeDaytona, action: str) -> list[str]:
    return sorted(
        r.url.path.split("/")[-2] for r in fake.requests_to("POST", f"/sandbox/*/{action}")
    )


def listings(fake: FakeDaytona) -> list[httpx.QueryParams]:
    return [r.url.params for r in fake.requests_to("GET", "/sandbox")]


def only_listings(fake: FakeDaytona) -> None:
    """Nothing but GET /sandbox (the selection) reached the fake."""
    others = [(r.method, r.url.path) for r in fake.requests if r.url.path != "/api/sandbox"]
    assert others == [], others
    assert all(r.method == "GET" for r in fake.requests)


def gone_or_going(fake: FakeDaytona, ident: str) -> bool:
    return (fake.sandbox(ident) or {}).get("state") in (None, "destroying")


def rows(text: str) -> list[str]:
    return sorted(text.splitlines())


def outcome(sandbox: dict[str, Any], ok: bool = True, error: str | None = None) -> dict[str, Any]:
    return {"id": sandbox["id"], "name": sandbox["name"], "ok": ok, "error": error}


def by_name(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda record: str(record.get("name")))


def check_moment(value: str | None, seconds: float, before: datetime, after: datetime) -> None:
    """``value`` is ISO-8601 UTC and lies between ``before`` and ``after`` minus ``seconds``."""
    assert value is not None
    assert ISO_UTC.fullmatch(value), value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    low = before - timedelta(seconds=seconds) - timedelta(seconds=1.5)
    high = after - timedelta(seconds=seconds) + timedelta(seconds=1.5)
    assert low <= moment <= high, (value, low, high)


# -- a fake that records how long each request was being answered --------------------------------


class Spans:
    """(method, start, end) of every request answered by a fake, to measure overlap per method."""

    def __init__(self, fake: FakeDaytona) -> None:
        self.spans: list[tuple[str, float, float]] = []
        self._lock = threading.Lock()
        handler = fake.handler

        def timed(request: httpx.Request) -> httpx.Response:
            started = time.monotonic()
            try:
                return handler(request)
            finally:
                with self._lock:
                    self.spans.append((request.method, started, time.monotonic()))

        fake.handler = timed  # type: ignore[method-assign]

    def peak(self, method: str) -> int:
        with self._lock:
            events = sorted(
                [(start, 1) for m, start, _ in self.spans if m == method]
                + [(end, -1) for m, _, end in self.spans if m == method]
            )
        running = peak = 0
        for _, change in events:
            running += change
            peak = max(peak, running)
        return peak


@pytest.fixture
def slow_network(
    fake: FakeDaytona, cli: Cli, request: pytest.FixtureRequest
) -> tuple[FakeDaytona, Cli, Spans]:
    """The default fake, holding every answer back 50 ms, the CLI on it, and the spans of its
    requests. Overlap is measured in real time: a test using it is marked ``real_clock``."""
    assert on_real_clock(request), "a test on slow_network must be marked real_clock"
    fake.latency = 0.05
    return fake, cli, Spans(fake)


# == selectors ==================================================================================


def test_repeated_labels_select_by_a_json_labels_filter_and_delete_only_the_matches(
    cli: Cli, fake: FakeDaytona
) -> None:
    both = fake.add_sandbox("both", labels={"team": "ci", "env": "test"})
    fake.add_sandbox("team-only", labels={"team": "ci"})
    fake.add_sandbox("env-only", labels={"env": "test"})
    result = cli("sandbox", "delete", "-l", "team=ci", "--label", "env=test", "--yes")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"both\t{both['id']}\tdeletion started\n",
        "1 of 1 deletion started.\n",
    )
    [params] = listings(fake)
    assert json.loads(params["labels"]) == {"team": "ci", "env": "test"}
    assert deleted(fake) == [both["id"]]
    assert gone_or_going(fake, both["id"])
    assert fake.sandbox("team-only") is not None and fake.sandbox("env-only") is not None


def test_state_selector_stops_only_the_started_sandboxes(cli: Cli, fake: FakeDaytona) -> None:
    a = fake.add_sandbox("a", labels={"pool": "x"})
    b = fake.add_sandbox("b", labels={"pool": "x"})
    fake.add_sandbox("c", state="stopped", labels={"pool": "x"})
    result = cli("sandbox", "stop", "--state", "started", "--yes")
    assert result.exit_code == 0, result
    assert rows(result.stdout) == [f"a\t{a['id']}\tstopped", f"b\t{b['id']}\tstopped"]
    assert result.stderr == "2 of 2 stopped.\n"
    [params] = listings(fake)
    assert params.get_list("states") == ["started"]
    assert posted(fake, "stop") == sorted([a["id"], b["id"]])
    assert [fake.sandbox(n)["state"] for n in ("a", "b", "c")] == ["stopped"] * 3  # type: ignore[index]


def test_state_selector_starts_only_the_stopped_sandboxes(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("up")
    down = fake.add_sandbox("down", state="stopped")
    result = cli("sandbox", "start", "--state", "stopped")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"down\t{down['id']}\tstarted\n",
        "1 of 1 started.\n",
    )
    assert posted(fake, "start") == [down["id"]]
    assert fake.sandbox("down")["state"] == "started"  # type: ignore[index]


def test_an_unknown_state_selector_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("a")
    result = cli("sandbox", "stop", "--state", "runing", "--yes")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "runing" in result.stderr
    assert fake.requests == []


def test_name_prefix_selects_by_prefix_and_an_underscore_is_not_a_wildcard(
    cli: Cli, fake: FakeDaytona
) -> None:
    a_b = fake.add_sandbox("a_b-1")
    axb = fake.add_sandbox("axb")
    a_bc = fake.add_sandbox("a_bc")
    other = fake.add_sandbox("zzz")
    result = cli("sandbox", "delete", "--name", "a_b", "--yes", "--json")
    assert result.exit_code == 0, result
    assert by_name(result.json()) == [outcome(a_b), outcome(a_bc)]
    assert result.stderr == ""
    assert deleted(fake) == sorted([a_b["id"], a_bc["id"]])
    assert fake.sandbox(axb["id"]) == axb
    assert fake.sandbox(other["id"]) == other


def test_name_prefix_with_a_percent_sign_matches_it_literally(cli: Cli, fake: FakeDaytona) -> None:
    pct = fake.add_sandbox("a%c")
    fake.add_sandbox("abc")
    fake.add_sandbox("a-long-name")
    result = cli("sandbox", "stop", "--name", "a%", "--yes", "--no-wait")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"a%c\t{pct['id']}\tstopped\n",
        "1 of 1 stopped.\n",
    )
    assert posted(fake, "stop") == [pct["id"]]


def test_older_than_sends_created_at_before_now_minus_the_duration_and_deletes_only_old_ones(
    cli: Cli, fake: FakeDaytona
) -> None:
    old = fake.add_sandbox("old", createdAt=ago(hours=3), lastActivityAt=ago(minutes=1))
    older = fake.add_sandbox("older", createdAt=ago(days=9), lastActivityAt=ago(minutes=1))
    fake.add_sandbox("young", createdAt=ago(minutes=30))
    before = datetime.now(timezone.utc)
    result = cli("sandbox", "delete", "--older-than", "2h", "--yes")
    after = datetime.now(timezone.utc)
    assert result.exit_code == 0, result
    assert rows(result.stdout) == sorted(
        [f"old\t{old['id']}\tdeletion started", f"older\t{older['id']}\tdeletion started"]
    )
    assert result.stderr == "2 of 2 deletion started.\n"
    [params] = listings(fake)
    check_moment(params.get("createdAtBefore"), 7200, before, after)
    assert "lastEventBefore" not in params
    assert deleted(fake) == sorted([old["id"], older["id"]])
    assert fake.sandbox("young") is not None


def test_idle_for_sends_last_event_before_now_minus_the_duration_and_stops_only_idle_ones(
    cli: Cli, fake: FakeDaytona
) -> None:
    idle = fake.add_sandbox("idle", createdAt=ago(days=1), lastActivityAt=ago(hours=3))
    fake.add_sandbox("busy", createdAt=ago(days=1), lastActivityAt=ago(minutes=5))
    before = datetime.now(timezone.utc)
    result = cli("sandbox", "stop", "--idle-for", "90m", "--yes")
    after = datetime.now(timezone.utc)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"idle\t{idle['id']}\tstopped\n",
        "1 of 1 stopped.\n",
    )
    [params] = listings(fake)
    check_moment(params.get("lastEventBefore"), 5400, before, after)
    assert "createdAtBefore" not in params
    assert posted(fake, "stop") == [idle["id"]]
    assert fake.sandbox("busy")["state"] == "started"  # type: ignore[index]


def test_older_than_and_idle_for_together_must_both_match(cli: Cli, fake: FakeDaytona) -> None:
    both = fake.add_sandbox("both", createdAt=ago(days=3), lastActivityAt=ago(days=2))
    fake.add_sandbox("old-busy", createdAt=ago(days=3), lastActivityAt=ago(minutes=1))
    fake.add_sandbox("new-idle", createdAt=ago(hours=1), lastActivityAt=ago(hours=1))
    before = datetime.now(timezone.utc)
    result = cli("sandbox", "delete", "--older-than", "1d", "--idle-for", "30m", "--yes", "--json")
    after = datetime.now(timezone.utc)
    assert (result.exit_code, result.json(), result.stderr) == (0, [outcome(both)], "")
    [params] = listings(fake)
    check_moment(params.get("createdAtBefore"), 86400, before, after)
    check_moment(params.get("lastEventBefore"), 1800, before, after)
    assert deleted(fake) == [both["id"]]


def test_all_deletes_every_sandbox_with_an_unfiltered_listing(cli: Cli, fake: FakeDaytona) -> None:
    boxes = [fake.add_sandbox(f"s{i}", state=("started", "stopped")[i % 2]) for i in range(4)]
    result = cli("sandbox", "delete", "--all", "--yes")
    assert result.exit_code == 0, result
    assert rows(result.stdout) == sorted(f"{b['name']}\t{b['id']}\tdeletion started" for b in boxes)
    assert result.stderr == "4 of 4 deletion started.\n"
    [params] = listings(fake)
    filters = set(params) - {"limit", "cursor", "sort", "order"}
    assert filters == set(), params
    assert deleted(fake) == sorted(b["id"] for b in boxes)


@pytest.mark.parametrize("named_by", ["name", "id"])
def test_names_and_selectors_together_act_on_the_union_once_each(
    cli: Cli, fake: FakeDaytona, named_by: str
) -> None:
    alpha = fake.add_sandbox("alpha", labels={"team": "ci"})
    beta = fake.add_sandbox("beta", labels={"team": "ci"})
    gamma = fake.add_sandbox("gamma", labels={"team": "other"})
    delta = fake.add_sandbox("delta", labels={"team": "other"})
    args = [alpha[named_by], gamma[named_by]]
    result = cli("sandbox", "delete", *args, "-l", "team=ci", "--yes", "--json")
    assert result.exit_code == 0, result
    assert by_name(result.json()) == [outcome(alpha), outcome(beta), outcome(gamma)]
    assert result.stderr == ""
    requests = fake.requests_to("DELETE", "/sandbox/*")
    assert len(requests) == 3, [r.url.path for r in requests]
    assert deleted(fake) == sorted([alpha[named_by], gamma[named_by], beta["id"]])
    assert fake.sandbox("delta") == delta


# What each verb acts on, what it needs to go ahead without asking, and the word it reports.
VERBS = {
    "start": ("stopped", [], "started"),
    "stop": ("started", ["--yes", "--no-wait"], "stopped"),
    "delete": ("started", ["--yes"], "deletion started"),
}
# selector -> (its arguments, fields of a sandbox it matches, fields of one it does not)
SELECTORS: dict[str, tuple[list[str], dict[str, Any], dict[str, Any]]] = {
    "label": (["-l", "team=a"], {"labels": {"team": "a"}}, {"labels": {"team": "b"}}),
    "name": (["--name", "web"], {}, {}),
    "older-than": (
        ["--older-than", "2d"],
        {"createdAt": ago(days=3)},
        {"createdAt": ago(hours=1)},
    ),
    "idle-for": (
        ["--idle-for", "2h"],
        {"lastActivityAt": ago(hours=3)},
        {"lastActivityAt": ago(minutes=3)},
    ),
}


@pytest.mark.parametrize("selector", sorted(SELECTORS))
@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_selector_picks_only_matching_sandboxes_for_every_verb(
    cli: Cli, fake: FakeDaytona, verb: str, selector: str
) -> None:
    state, confirm, done = VERBS[verb]
    args, hit_fields, miss_fields = SELECTORS[selector]
    hit = fake.add_sandbox("web-1", state=state, **hit_fields)
    miss = fake.add_sandbox("db-1", state=state, **miss_fields)
    result = cli("sandbox", verb, *args, *confirm)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"web-1\t{hit['id']}\t{done}\n",
        f"1 of 1 {done}.\n",
    )
    assert mutations(fake) == [
        ("DELETE", f"/api/sandbox/{hit['id']}")
        if verb == "delete"
        else ("POST", f"/api/sandbox/{hit['id']}/{verb}")
    ]
    assert fake.sandbox(miss["id"]) == miss


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_the_state_selector_picks_only_sandboxes_in_that_state_for_every_verb(
    cli: Cli, fake: FakeDaytona, verb: str
) -> None:
    state, confirm, done = VERBS[verb]
    other = "archived" if verb == "start" else "stopped" if state == "started" else "started"
    hit = fake.add_sandbox("hit", state=state)
    miss = fake.add_sandbox("miss", state=other)
    result = cli("sandbox", verb, "--state", state, *confirm)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"hit\t{hit['id']}\t{done}\n",
        f"1 of 1 {done}.\n",
    )
    [params] = listings(fake)
    assert params.get_list("states") == [state]
    assert [path for _, path in mutations(fake)] == [
        f"/api/sandbox/{hit['id']}" + ("" if verb == "delete" else f"/{verb}")
    ]
    assert fake.sandbox(miss["id"]) == miss


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_all_acts_on_every_sandbox_for_every_verb(cli: Cli, fake: FakeDaytona, verb: str) -> None:
    state, confirm, done = VERBS[verb]
    boxes = [fake.add_sandbox(f"s{i}", state=state) for i in range(3)]
    result = cli("sandbox", verb, "--all", *confirm)
    assert result.exit_code == 0, result
    assert rows(result.stdout) == sorted(f"{b['name']}\t{b['id']}\t{done}" for b in boxes)
    assert result.stderr == f"3 of 3 {done}.\n"
    assert len(mutations(fake)) == 3


@pytest.mark.parametrize("verb", ["start", "stop", "delete"])
@pytest.mark.parametrize("extra", [[], ["--yes"], ["--dry-run"], ["--json"]], ids=str)
def test_no_names_no_selectors_and_no_all_is_a_usage_error_with_no_request_at_all(
    cli: Cli, fake: FakeDaytona, verb: str, extra: list[str]
) -> None:
    fake.add_sandbox("a")
    if verb == "start" and "--yes" in extra:
        extra = []
    result = cli("sandbox", verb, *extra)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--all" in result.stderr
    assert fake.requests == []
    assert fake.sandbox("a")["state"] == "started"  # type: ignore[index]


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("90m", 5400), ("2h", 7200), ("7d", 604800), ("1h30m", 5400), ("45s", 45)],
)
def test_list_older_than_filters_on_the_server_by_created_at_before(
    cli: Cli, fake: FakeDaytona, duration: str, seconds: int
) -> None:
    old = fake.add_sandbox("old", createdAt=ago(seconds=seconds * 2 + 60))
    fake.add_sandbox("new", createdAt=ago(seconds=seconds / 2))
    before = datetime.now(timezone.utc)
    result = cli("sandbox", "list", "--older-than", duration, "-q")
    after = datetime.now(timezone.utc)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{old['id']}\n", "")
    [params] = listings(fake)
    check_moment(params.get("createdAtBefore"), seconds, before, after)


def test_list_idle_for_filters_on_the_server_by_last_event_before(
    cli: Cli, fake: FakeDaytona
) -> None:
    idle = fake.add_sandbox("idle", lastActivityAt=ago(hours=5))
    fake.add_sandbox("busy", lastActivityAt=ago(minutes=2))
    before = datetime.now(timezone.utc)
    result = cli("sandbox", "list", "--idle-for", "2h", "--json")
    after = datetime.now(timezone.utc)
    assert (result.exit_code, result.stderr) == (0, "")
    assert [item["id"] for item in result.json()] == [idle["id"]]
    [params] = listings(fake)
    check_moment(params.get("lastEventBefore"), 7200, before, after)


BAD_DURATIONS = ["", "2", "2x", "0h", "-1h", "soon", "2 h", "h2", "1h-30m"]


@pytest.mark.parametrize("duration", BAD_DURATIONS, ids=repr)
@pytest.mark.parametrize("option", ["--older-than", "--idle-for"])
def test_list_with_a_bad_duration_exits_2_before_any_request(
    cli: Cli, fake: FakeDaytona, option: str, duration: str
) -> None:
    fake.add_sandbox("a")
    result = cli("sandbox", "list", option, duration)
    assert (result.exit_code, result.stdout) == (2, "")
    assert option in result.stderr
    assert fake.requests == []


@pytest.mark.parametrize("duration", BAD_DURATIONS, ids=repr)
@pytest.mark.parametrize("option", ["--older-than", "--idle-for"])
def test_delete_with_a_bad_duration_exits_2_and_touches_nothing(
    cli: Cli, fake: FakeDaytona, option: str, duration: str
) -> None:
    fake.add_sandbox("a", labels={"team": "ci"}, createdAt=ago(days=30))
    result = cli("sandbox", "delete", "-l", "team=ci", option, duration, "--yes")
    assert (result.exit_code, result.stdout) == (2, "")
    assert option in result.stderr
    assert fake.requests == []
    assert fake.sandbox("a") is not None


# == bulk behaviour =============================================================================


@pytest.mark.real_clock
def test_parallel_bounds_how_many_deletes_are_in_flight_at_once(
    slow_network: tuple[FakeDaytona, Cli, Spans],
) -> None:
    fake, cli, spans = slow_network
    boxes = [fake.add_sandbox(f"job-{i:02d}", labels={"run": "7"}) for i in range(20)]
    result = cli("sandbox", "delete", "-l", "run=7", "--parallel", "4", "--yes")
    assert result.exit_code == 0, result
    assert rows(result.stdout) == sorted(f"{b['name']}\t{b['id']}\tdeletion started" for b in boxes)
    assert result.stderr == "20 of 20 deletion started.\n"
    assert deleted(fake) == sorted(b["id"] for b in boxes)
    assert 1 < spans.peak("DELETE") <= 4, spans.peak("DELETE")
    assert fake.max_concurrency() <= 4


@pytest.mark.real_clock
def test_the_default_parallelism_runs_several_deletes_at_once(
    slow_network: tuple[FakeDaytona, Cli, Spans],
) -> None:
    fake, cli, spans = slow_network
    boxes = [fake.add_sandbox(f"job-{i:02d}", labels={"run": "8"}) for i in range(20)]
    result = cli("sandbox", "delete", "-l", "run=8", "--yes", "--json")
    assert result.exit_code == 0, result
    assert by_name(result.json()) == [outcome(b) for b in boxes]
    assert deleted(fake) == sorted(b["id"] for b in boxes)
    assert 1 < spans.peak("DELETE") <= 8, spans.peak("DELETE")


@pytest.mark.real_clock
def test_parallel_1_deletes_one_at_a_time(slow_network: tuple[FakeDaytona, Cli, Spans]) -> None:
    fake, cli, spans = slow_network
    boxes = [fake.add_sandbox(f"job-{i}", labels={"run": "9"}) for i in range(5)]
    result = cli("sandbox", "delete", "-l", "run=9", "--parallel", "1", "--yes")
    assert result.exit_code == 0, result
    assert deleted(fake) == sorted(b["id"] for b in boxes)
    assert spans.peak("DELETE") == 1


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_parallel_value_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, value: str
) -> None:
    fake.add_sandbox("a", labels={"team": "ci"})
    result = cli("sandbox", "delete", "-l", "team=ci", "--parallel", value, "--yes")
    assert (result.exit_code, result.stdout) == (2, "")
    assert fake.requests == []


def test_each_targets_outcome_is_a_json_record_of_id_name_ok_and_error(
    cli: Cli, fake: FakeDaytona
) -> None:
    a = fake.add_sandbox("a", labels={"team": "ci"})
    b = fake.add_sandbox("b", state="stopped", labels={"team": "ci"})
    result = cli("sandbox", "delete", "-l", "team=ci", "--yes", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    records = result.json()
    assert isinstance(records, list)
    assert all(list(record) == ["id", "name", "ok", "error"] for record in records), records
    assert by_name(records) == [outcome(a), outcome(b)]


def test_a_delete_that_keeps_failing_is_reported_while_all_the_others_are_deleted(
    cli: Cli, fake: FakeDaytona
) -> None:
    boxes = [fake.add_sandbox(f"s{i}", labels={"team": "ci"}) for i in range(5)]
    bad = boxes[2]
    fake.inject("DELETE", f"/sandbox/{bad['id']}", status=500, times=20)
    result = cli("sandbox", "delete", "-l", "team=ci", "--yes", "--json")
    assert result.exit_code == 1, result
    records = by_name(result.json())
    assert [r for r in records if r["name"] != "s2"] == [outcome(b) for b in boxes if b is not bad]
    [failed] = [r for r in records if r["name"] == "s2"]
    assert (failed["id"], failed["ok"]) == (bad["id"], False)
    assert isinstance(failed["error"], str) and failed["error"], failed
    attempts = fake.requests_to("DELETE", f"/sandbox/{bad['id']}")
    assert len(attempts) == 3  # the default retry budget, used up
    assert deleted(fake).count(bad["id"]) == 3
    assert sorted(set(deleted(fake))) == sorted(b["id"] for b in boxes)
    assert fake.sandbox(bad["id"])["state"] == "started"  # type: ignore[index]
    assert all(gone_or_going(fake, b["id"]) for b in boxes if b is not bad)


def test_a_partial_failure_in_plain_output_is_a_failed_row_and_a_count(
    cli: Cli, fake: FakeDaytona
) -> None:
    good = fake.add_sandbox("good", labels={"team": "ci"})
    bad = fake.add_sandbox("bad", labels={"team": "ci"})
    fake.inject("DELETE", f"/sandbox/{bad['id']}", status=500, times=20)
    result = cli("sandbox", "delete", "-l", "team=ci", "--yes")
    assert result.exit_code == 1, result
    lines = dict(row.split("\t", 1) for row in result.stdout.splitlines())
    assert set(lines) == {"good", "bad"}, result.stdout
    assert lines["good"] == f"{good['id']}\tdeletion started"
    assert lines["bad"].startswith(f"{bad['id']}\tfailed: "), lines
    assert result.stderr.endswith("1 of 2 deletion started.\n"), result.stderr
    assert gone_or_going(fake, good["id"])
    assert fake.sandbox("bad") is not None


def test_a_stop_that_fails_on_one_sandbox_still_stops_the_others_and_exits_non_zero(
    cli: Cli, fake: FakeDaytona
) -> None:
    boxes = [fake.add_sandbox(f"s{i}", labels={"pool": "p"}) for i in range(4)]
    bad = boxes[1]
    fake.inject("POST", f"/sandbox/{bad['id']}/stop", status=500, times=20)
    result = cli("sandbox", "stop", "-l", "pool=p", "--yes", "--json")
    assert result.exit_code == 1, result
    records = by_name(result.json())
    assert [r for r in records if r["id"] != bad["id"]] == [
        outcome(b) for b in boxes if b is not bad
    ]
    [failed] = [r for r in records if r["id"] == bad["id"]]
    assert (failed["name"], failed["ok"], bool(failed["error"])) == ("s1", False, True)
    assert sorted(set(posted(fake, "stop"))) == sorted(b["id"] for b in boxes)
    states = {b["name"]: fake.sandbox(b["id"])["state"] for b in boxes}  # type: ignore[index]
    assert states == {"s0": "stopped", "s1": "started", "s2": "stopped", "s3": "stopped"}


def test_a_failure_among_named_targets_is_an_error_line_and_the_others_are_still_done(
    cli: Cli, fake: FakeDaytona
) -> None:
    a = fake.add_sandbox("a")
    b = fake.add_sandbox("b")
    result = cli("sandbox", "delete", "a", "ghost", "b", "--yes")
    assert (result.exit_code, result.stdout) == (3, "")
    assert "ghost" in result.stderr and "not found" in result.stderr
    assert deleted(fake) == ["a", "b", "ghost"]
    assert gone_or_going(fake, a["id"]) and gone_or_going(fake, b["id"])


def test_progress_on_a_terminal_goes_to_stderr_and_never_to_stdout(
    cli: Cli, fake: FakeDaytona
) -> None:
    boxes = [fake.add_sandbox(f"s{i}", labels={"team": "ci"}) for i in range(3)]
    result = cli("sandbox", "delete", "-l", "team=ci", "--yes", tty=True)
    assert result.exit_code == 0, result
    assert "Delete: " in result.stderr and "/3 done" in result.stderr
    assert "done" not in result.stdout
    for box in boxes:
        assert box["name"] in result.stdout and box["id"] in result.stdout
    assert deleted(fake) == sorted(b["id"] for b in boxes)


def test_without_a_terminal_there_is_no_progress_only_the_summary(
    cli: Cli, fake: FakeDaytona
) -> None:
    for i in range(3):
        fake.add_sandbox(f"s{i}", labels={"team": "ci"})
    result = cli("sandbox", "delete", "-l", "team=ci", "--yes")
    assert (result.exit_code, result.stderr) == (0, "3 of 3 deletion started.\n")
    assert len(result.stdout.splitlines()) == 3


# == guards =====================================================================================


@pytest.mark.parametrize("verb", ["delete", "stop"])
def test_a_bulk_action_on_a_terminal_shows_the_count_and_targets_and_asks_once(
    cli: Cli, fake: FakeDaytona, verb: str
) -> None:
    a = fake.add_sandbox("a", labels={"team": "ci"})
    b = fake.add_sandbox("b", labels={"team": "ci"})
    fake.add_sandbox("c", labels={"team": "other"})
    result = cli("sandbox", verb, "-l", "team=ci", tty=True, stdin="y\n")
    assert result.exit_code == 0, result
    assert result.stderr.count("[y/N]") == 1
    # One target per line: name, ID, state (issue 10).
    assert f"{verb.capitalize()} 2 sandboxes:\n" in result.stderr
    assert f"\n  a  {a['id']}  started\n" in result.stderr
    assert f"\n  b  {b['id']}  started\n" in result.stderr
    assert "  c  " not in result.stderr.split("[y/N]")[0]
    done = deleted(fake) if verb == "delete" else posted(fake, "stop")
    assert done == sorted([a["id"], b["id"]])
    assert fake.sandbox("c")["state"] == "started"  # type: ignore[index]


@pytest.mark.parametrize("verb", ["delete", "stop"])
def test_answering_no_on_a_terminal_changes_nothing(cli: Cli, fake: FakeDaytona, verb: str) -> None:
    a = fake.add_sandbox("a", labels={"team": "ci"})
    b = fake.add_sandbox("b", labels={"team": "ci"})
    result = cli("sandbox", verb, "-l", "team=ci", tty=True, stdin="n\n")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.count("[y/N]") == 1
    assert "cancelled" in result.stderr
    assert mutations(fake) == []
    only_listings(fake)
    assert (fake.sandbox("a"), fake.sandbox("b")) == (a, b)


@pytest.mark.parametrize("verb", ["delete", "stop"])
def test_a_bulk_action_without_a_terminal_and_without_yes_exits_2_and_changes_nothing(
    cli: Cli, fake: FakeDaytona, verb: str
) -> None:
    a = fake.add_sandbox("a", labels={"team": "ci"})
    result = cli("sandbox", verb, "-l", "team=ci", stdin="y\n")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "[y/N]" not in result.stderr
    assert f"refusing to {verb}" in result.stderr and "--yes" in result.stderr
    assert mutations(fake) == []
    assert fake.sandbox("a") == a


@pytest.mark.parametrize("variable", ["CI", "DAYTONA_NO_INPUT"])
@pytest.mark.parametrize("verb", ["delete", "stop"])
def test_with_ci_or_no_input_set_a_terminal_is_never_prompted_and_yes_is_required(
    cli: Cli, fake: FakeDaytona, verb: str, variable: str
) -> None:
    a = fake.add_sandbox("a", labels={"team": "ci"})
    refused = cli("sandbox", verb, "-l", "team=ci", tty=True, stdin="y\n", env={variable: "1"})
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert "[y/N]" not in refused.stderr
    assert "--yes" in refused.stderr
    assert mutations(fake) == []
    assert fake.sandbox("a") == a
    env = {variable: "1"}
    done = cli("sandbox", verb, "-l", "team=ci", "--yes", "--json", tty=True, stdin="n\n", env=env)
    assert done.exit_code == 0, done
    assert "[y/N]" not in done.stderr
    assert [r["ok"] for r in done.json()] == [True]
    path = f"/api/sandbox/{a['id']}"
    expected = ("DELETE", path) if verb == "delete" else ("POST", path + "/stop")
    assert mutations(fake) == [expected]


def test_stop_of_named_sandboxes_on_a_terminal_does_not_ask(cli: Cli, fake: FakeDaytona) -> None:
    a = fake.add_sandbox("a")
    result = cli("sandbox", "stop", "a", "--no-wait", tty=True, stdin="n\n")
    assert result.exit_code == 0, result
    assert "[y/N]" not in result.stderr
    assert mutations(fake) == [("POST", "/api/sandbox/a/stop")]
    assert fake.sandbox(a["id"])["desiredState"] == "stopped"  # type: ignore[index]


@pytest.mark.parametrize(
    ("verb", "state"), [("delete", "started"), ("stop", "started"), ("start", "stopped")]
)
def test_dry_run_prints_what_would_be_done_and_sends_no_mutating_request(
    cli: Cli, fake: FakeDaytona, verb: str, state: str
) -> None:
    a = fake.add_sandbox("a", state=state, labels={"team": "ci"})
    b = fake.add_sandbox("b", state=state, labels={"team": "ci"})
    fake.add_sandbox("c", state=state, labels={"team": "other"})
    result = cli("sandbox", verb, "-l", "team=ci", "--dry-run")
    assert result.exit_code == 0, result
    assert rows(result.stdout) == [f"a\t{a['id']}\twould {verb}", f"b\t{b['id']}\twould {verb}"]
    assert result.stderr == f"Dry run: would {verb} 2 sandboxes; nothing was changed.\n"
    assert mutations(fake) == []
    only_listings(fake)
    assert (fake.sandbox("a"), fake.sandbox("b")) == (a, b)


def test_dry_run_under_json_prints_the_targets_and_sends_no_mutating_request(
    cli: Cli, fake: FakeDaytona
) -> None:
    a = fake.add_sandbox("a", labels={"team": "ci"})
    b = fake.add_sandbox("b", labels={"team": "ci"})
    result = cli("sandbox", "delete", "x-named", "-l", "team=ci", "--dry-run", "--json")
    # A dry run looks named targets up: a missing one is not found (issue 10).
    assert result.exit_code == 3, result
    assert json.loads(result.stderr)["error"]["code"] == "not_found"
    records = sorted(result.json(), key=lambda r: r["id"])
    expected = [{"id": a["id"], "name": "a"}, {"id": b["id"], "name": "b"}]
    assert records == sorted(expected, key=lambda r: r["id"])
    assert mutations(fake) == []


def test_dry_run_on_a_terminal_does_not_ask_and_changes_nothing(
    cli: Cli, fake: FakeDaytona
) -> None:
    a = fake.add_sandbox("a", labels={"team": "ci"})
    result = cli("sandbox", "delete", "-l", "team=ci", "--dry-run", tty=True, stdin="y\n")
    assert result.exit_code == 0, result
    assert "[y/N]" not in result.stderr
    assert "would delete" in result.stdout and a["id"] in result.stdout
    assert mutations(fake) == []
    assert fake.sandbox("a") == a


@pytest.mark.parametrize("verb", ["delete", "stop", "start"])
def test_max_refuses_with_exit_2_and_does_nothing_when_the_selection_is_larger(
    cli: Cli, fake: FakeDaytona, verb: str
) -> None:
    state = "stopped" if verb == "start" else "started"
    boxes = [fake.add_sandbox(f"s{i}", state=state, labels={"team": "ci"}) for i in range(5)]
    confirm = [] if verb == "start" else ["--yes"]  # start never asks
    result = cli("sandbox", verb, "-l", "team=ci", "--max", "3", *confirm)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "5" in result.stderr and "--max 3" in result.stderr
    assert mutations(fake) == []
    only_listings(fake)
    assert [fake.sandbox(b["id"]) for b in boxes] == boxes


def test_max_also_guards_a_dry_run(cli: Cli, fake: FakeDaytona) -> None:
    for i in range(4):
        fake.add_sandbox(f"s{i}", labels={"team": "ci"})
    result = cli("sandbox", "delete", "-l", "team=ci", "--max", "2", "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert mutations(fake) == []


@pytest.mark.parametrize("limit", ["5", "50"])
def test_max_lets_a_selection_within_the_limit_through(
    cli: Cli, fake: FakeDaytona, limit: str
) -> None:
    boxes = [fake.add_sandbox(f"s{i}", labels={"team": "ci"}) for i in range(5)]
    result = cli("sandbox", "delete", "-l", "team=ci", "--max", limit, "--yes")
    assert (result.exit_code, result.stderr) == (0, "5 of 5 deletion started.\n")
    assert deleted(fake) == sorted(b["id"] for b in boxes)


def test_delete_ignore_not_found_of_a_missing_sandbox_succeeds(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "delete", "ghost", "--ignore-not-found", "--yes")
    assert (result.exit_code, result.stdout) == (0, "")
    # It says what happened: nothing was deleted, and that is fine.
    assert result.stderr == "Sandbox ghost not found; nothing to delete\n"
    assert deleted(fake) == ["ghost"]


def test_delete_ignore_not_found_still_deletes_the_ones_that_exist(
    cli: Cli, fake: FakeDaytona
) -> None:
    real = fake.add_sandbox("real")
    result = cli("sandbox", "delete", "ghost", "real", "--ignore-not-found", "--yes")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "error" not in result.stderr
    assert deleted(fake) == ["ghost", "real"]
    assert gone_or_going(fake, real["id"])


def test_delete_of_a_missing_sandbox_without_ignore_not_found_exits_3(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "delete", "ghost", "--yes")
    assert (result.exit_code, result.stdout) == (3, "")
    assert "ghost" in result.stderr and "not found" in result.stderr
    assert deleted(fake) == ["ghost"]


# == wait =======================================================================================


@pytest.mark.parametrize("state", ["started", "stopped", "archived"])
def test_wait_for_a_state_the_sandbox_is_already_in_succeeds_after_one_get(
    cli: Cli, fake: FakeDaytona, state: str
) -> None:
    box = fake.add_sandbox("s", state=state)
    result = cli("sandbox", "wait", "s", "--for", state)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({box['id']}) is {state}\n",
    )
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/api/sandbox/s")]


def test_wait_for_started_returns_once_a_start_finishes(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("s", state="stopped")
    fake.transition_seconds = 0.4  # long enough to still be starting when the wait begins
    assert cli("sandbox", "start", "s", "--no-wait").exit_code == 0
    assert fake.sandbox("s")["state"] == "starting"  # type: ignore[index]
    begin = len(fake.requests)
    result = cli("sandbox", "wait", "s", "--for", "started", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    [final] = result.json()
    assert (final["id"], final["state"]) == (box["id"], "started")
    later = fake.requests[begin:]
    assert len(later) >= 2
    assert {r.method for r in later} == {"GET"}
    assert mutations(fake) == [("POST", "/api/sandbox/s/start")]


def test_wait_for_several_returns_when_every_one_is_there(cli: Cli, fake: FakeDaytona) -> None:
    a = fake.add_sandbox("a")
    b = fake.add_sandbox("b", state="stopped")
    assert cli("sandbox", "start", "b", "--no-wait").exit_code == 0
    result = cli("sandbox", "wait", "a", "b", "--for", "started")
    assert (result.exit_code, result.stdout) == (0, "")
    assert rows(result.stderr) == [
        f"Sandbox a ({a['id']}) is started",
        f"Sandbox b ({b['id']}) is started",
    ]
    assert fake.sandbox("b")["state"] == "started"  # type: ignore[index]


def test_wait_for_deleted_on_a_missing_sandbox_succeeds_at_once(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "wait", "ghost", "--for", "deleted")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "ghost" in result.stderr and "error" not in result.stderr
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/api/sandbox/ghost")]


def test_wait_for_deleted_after_a_delete_returns_once_the_sandbox_is_gone(
    cli: Cli, fake: FakeDaytona
) -> None:
    box = fake.add_sandbox("s")
    fake.transition_seconds = 0.4  # long enough to still be destroying when the wait begins
    assert cli("sandbox", "delete", "s", "--yes").exit_code == 0
    assert fake.sandbox(box["id"])["state"] == "destroying"  # type: ignore[index]
    result = cli("sandbox", "wait", box["id"], "--for", "deleted", "--timeout", "10")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "deleted" in result.stderr and "error" not in result.stderr
    assert fake.sandbox(box["id"]) is None
    gets = [r for r in fake.requests if r.method == "GET"]
    assert len(gets) >= 2
    last = fake.exchanges[-1]
    assert (last[0].method, last[1].status_code) == ("GET", 404)


def test_wait_that_runs_out_of_time_exits_124(
    cli: Cli, fake: FakeDaytona, clock: VirtualClock
) -> None:
    fake.add_sandbox("s")
    started = clock.now
    result = cli("sandbox", "wait", "s", "--for", "stopped", "--timeout", "0.3")
    elapsed = clock.now - started
    assert (result.exit_code, result.stdout) == (124, "")
    assert "still started" in result.stderr
    assert elapsed == pytest.approx(0.3), clock.sleeps  # waited out the whole timeout, no more
    assert {(r.method, r.url.path.rsplit("/", 1)[0]) for r in fake.requests} == {
        ("GET", "/api/sandbox")
    }
    assert mutations(fake) == []


def test_wait_timeout_under_json_is_a_timeout_error(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s", state="stopped")
    result = cli("sandbox", "wait", "s", "--for", "started", "--timeout", "0.2", "--json")
    assert (result.exit_code, result.stdout) == (124, "")
    assert json.loads(result.stderr)["error"]["code"] == "timeout"


def test_wait_on_a_sandbox_in_error_fails_at_once_with_exit_5_and_its_reason(
    cli: Cli, fake: FakeDaytona, clock: VirtualClock
) -> None:
    fake.add_sandbox("broken", state="error", errorReason="disk quota exceeded")
    result = cli("sandbox", "wait", "broken", "--for", "started", "--timeout", "30")
    assert clock.sleeps == []  # at once: not one poll waited for
    assert (result.exit_code, result.stdout) == (5, "")
    assert "disk quota exceeded" in result.stderr
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/api/sandbox/broken")]


@pytest.mark.parametrize("failure", ["error", "build_failed"])
def test_wait_on_a_sandbox_that_lands_in_a_failed_state_exits_5_with_its_reason(
    cli: Cli, fake: FakeDaytona, failure: str
) -> None:
    fake.fail_next_create(failure, "fake: base image not found")
    created = cli("sandbox", "create", "--name", "job", "--no-wait", "-q")
    assert created.exit_code == 0, created
    result = cli("sandbox", "wait", "job", "--for", "started", "--timeout", "30")
    assert (result.exit_code, result.stdout) == (5, "")
    assert "fake: base image not found" in result.stderr
    assert failure in result.stderr
    assert fake.sandbox("job")["state"] == failure  # type: ignore[index]


@pytest.mark.parametrize("goal", ["running", "destroyed", "", "start"])
def test_wait_for_an_unknown_state_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, goal: str
) -> None:
    fake.add_sandbox("s")
    result = cli("sandbox", "wait", "s", "--for", goal)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--for" in result.stderr
    assert fake.requests == []


def test_wait_without_for_is_a_usage_error(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s")
    result = cli("sandbox", "wait", "s")
    assert (result.exit_code, result.stdout) == (2, "")
    assert fake.requests == []


# == provenance =================================================================================
# (Which labels a create sends in and out of CI, and -l or --no-provenance over them, is in
# test_sandbox_create.py; here: each provider's run label, and cleaning up by it.)


def create_labels(cli: Cli, fake: FakeDaytona, *args: str, env: dict[str, str]) -> dict[str, str]:
    """Create a sandbox; the labels of the POST body, without the request-ID label."""
    begin = len(fake.requests_to("POST", "/sandbox"))
    result = cli("sandbox", "create", "--no-wait", "-q", *args, env=env)
    assert result.exit_code == 0, result
    assert result.stderr == ""
    posts = fake.requests_to("POST", "/sandbox")
    assert len(posts) == begin + 1
    body = json.loads(posts[-1].content)
    labels = dict(body.get("labels") or {})
    assert labels.pop(REQUEST_ID_LABEL, None), body
    created = fake.sandbox(result.stdout.strip())
    assert created is not None and created["labels"].get(REQUEST_ID_LABEL)
    return labels


GITHUB = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "123"}


@pytest.mark.parametrize(
    ("env", "provider", "run"),
    [
        (GITHUB, "github-actions", "123"),
        ({"CI": "true", "GITLAB_CI": "true", "CI_PIPELINE_ID": "4567"}, "gitlab", "4567"),
        (
            {"CI": "true", "BUILDKITE": "true", "BUILDKITE_BUILD_ID": "0190a5c2-bk"},
            "buildkite",
            "0190a5c2-bk",
        ),
        (
            {"CI": "true", "CIRCLECI": "true", "CIRCLE_WORKFLOW_ID": "wf-8899"},
            "circleci",
            "wf-8899",
        ),
        (
            {
                "CI": "true",
                "JENKINS_URL": "https://jenkins.example/",
                "BUILD_TAG": "jenkins-app-42",
            },
            "jenkins",
            "jenkins-app-42",
        ),
    ],
    ids=["github", "gitlab", "buildkite", "circleci", "jenkins"],
)
def test_create_under_ci_sends_the_provider_and_run_labels(
    cli: Cli, fake: FakeDaytona, env: dict[str, str], provider: str, run: str
) -> None:
    labels = create_labels(cli, fake, "--name", "job", env=env)
    assert labels == {"daytona-cli/ci": provider, "daytona-cli/run": run}
    assert fake.sandbox("job")["labels"]["daytona-cli/run"] == run  # type: ignore[index]


def test_create_under_plain_ci_with_no_known_provider_sends_a_ci_label_and_no_run(
    cli: Cli, fake: FakeDaytona
) -> None:
    labels = create_labels(cli, fake, env={"CI": "true"})
    assert set(labels) == {"daytona-cli/ci"}
    assert labels["daytona-cli/ci"].strip()


def test_deleting_by_the_run_label_removes_exactly_the_sandboxes_of_that_run(
    cli: Cli, fake: FakeDaytona
) -> None:
    ours = [
        cli("sandbox", "create", "--name", name, "-q", env=GITHUB).stdout.strip()
        for name in ("run-a", "run-b")
    ]
    other_run = {**GITHUB, "GITHUB_RUN_ID": "999"}
    theirs = cli("sandbox", "create", "--name", "other", "-q", env=other_run).stdout.strip()
    local = cli("sandbox", "create", "--name", "local", "-q").stdout.strip()
    manual = fake.add_sandbox("manual", labels={"daytona-cli/run": "1234"})
    assert all(ours) and theirs and local
    result = cli("sandbox", "delete", "-l", "daytona-cli/run=123", "--yes", env=GITHUB)
    assert result.exit_code == 0, result
    assert rows(result.stdout) == sorted(
        [f"run-a\t{ours[0]}\tdeletion started", f"run-b\t{ours[1]}\tdeletion started"]
    )
    assert result.stderr == "2 of 2 deletion started.\n"
    [params] = [p for p in listings(fake) if "daytona-cli/run" in p.get("labels", "")]
    assert json.loads(params["labels"]) == {"daytona-cli/run": "123"}
    assert deleted(fake) == sorted(ours)
    assert all(gone_or_going(fake, ident) for ident in ours)
    for ident in (theirs, local, manual["id"]):
        assert fake.sandbox(ident)["state"] == "started"  # type: ignore[index]


@pytest.mark.parametrize("verb", ["list", "delete"])
def test_a_label_selector_given_twice_with_two_values_selects_nothing_and_is_refused(
    cli: Cli, fake: FakeDaytona, verb: str
) -> None:
    fake.add_sandbox("b", labels={"team": "b"})
    extra = ["--dry-run"] if verb == "delete" else []
    result = cli("sandbox", verb, "-l", "team=a", "-l", "team=b", *extra)
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--label team is given twice" in result.stderr
    assert fake.requests == []


def test_a_repeated_selector_delete_counts_a_sandbox_gone_meanwhile_as_deleted(
    cli: Cli, fake: FakeDaytona, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retried CI clean-up: the list shows the first run's sandboxes still destroying (under
    Daytona's new names), and each is gone by the time its DELETE arrives (a 404)."""
    boxes = {fake.add_sandbox(f"t{i}", labels={"team": "race"})["id"]: f"t{i}" for i in range(3)}
    first = cli("sandbox", "delete", "-l", "team=race", "--yes")
    assert (first.exit_code, first.stderr) == (0, "3 of 3 deletion started.\n")
    records = list(fake.sandboxes.values())  # destroying, renamed: still listed
    assert all(r["name"].startswith("DESTROYED_t") for r in records), records
    assert {r["state"] for r in records} == {"destroying"}
    listed = fake.handler

    def gone_by_the_time_it_arrives(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            clock.advance(1)  # the deletion ends meanwhile
        return listed(request)

    monkeypatch.setattr(fake, "handler", gone_by_the_time_it_arrives)
    second = cli("sandbox", "delete", "-l", "team=race", "--yes")
    assert second.exit_code == 0, second
    assert rows(second.stdout) == sorted(f"{name}\t{ident}\talready deleted"
                                         for ident, name in boxes.items())  # fmt: skip
    assert second.stderr == "3 of 3 already deleted.\n"
    assert deleted(fake) == sorted([*boxes, *boxes])  # one DELETE each per run, none retried


def test_a_named_target_gone_is_still_not_found(cli: Cli, fake: FakeDaytona) -> None:
    """Only a target the list has just shown counts as gone: a name typed is not found."""
    result = cli("sandbox", "delete", "ghost", "--yes")
    assert result.exit_code == 3
    assert "ghost" in result.stderr and "not found" in result.stderr


def test_the_summary_counts_each_kind_of_outcome(cli: Cli, fake: FakeDaytona) -> None:
    first = fake.add_sandbox("a1", labels={"team": "mix"})
    fake.add_sandbox("a2", labels={"team": "mix"})
    assert cli("sandbox", "delete", first["id"], "--yes").exit_code == 0  # a1 is destroying
    result = cli("sandbox", "delete", "-l", "team=mix", "--yes")
    assert result.exit_code == 0, result
    assert sorted(row.split("\t")[2] for row in rows(result.stdout)) == [
        "already being deleted",
        "deletion started",
    ]
    assert re.fullmatch(
        r"2 of 2 done: (1 deletion started, 1 already being deleted"
        r"|1 already being deleted, 1 deletion started)\.\n",
        result.stderr,
    ), result.stderr
