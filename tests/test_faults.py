"""Fault injection: the CLI against the fake on a bad network day.

The CLI runs in-process (``cli``: the real entry point, the fake as an ``httpx.MockTransport``)
on a virtual clock, with faults scripted per request (``fake.inject``: status, headers, dropped
connection; ``FaultyFake.lose_answer``: the server acts, then the answer is lost;
``FaultyFake.slow_answer``: an answer that takes its time, or trickles, in virtual seconds). Each
one checks the exit code, what was printed, how many requests the fake saw for the route, that no
sandbox was duplicated or lost, and how long the CLI slept on its clock.

A few run the installed ``daytona-cli`` console script as a real process against the fake served
on 127.0.0.1, where the process or the socket is the point: Ctrl-C (SIGINT), a body trickling
over a real socket, a dropped connection. (A reader that goes away early, a real pipe, is in
test_end_to_end.py.)
"""

from __future__ import annotations

import json
import math
import re
import signal
import socket
import time
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.client.http import BACKOFF_BASE, READ_TIMEOUT
from tests.conftest import (
    API_KEY,
    BASE_URL,
    PROXY_URL,
    Cli,
    VirtualClock,
    on_real_clock,
    run_installed,
)
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona
from tests.faults_helpers import (
    FaultyFake,
    Running,
    by_host,
    error_body,
    labelled,
    named,
    no_traceback,
    one_line,
    route_path,
    wait_until,
)

pytestmark = pytest.mark.timeout(60)

REQUEST_ID = "daytona-cli/request-id"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
EXECUTE = "/toolbox-proxy/*/process/execute"


def sequence(fake: FakeDaytona) -> list[tuple[str, str]]:
    """(method, path after /api) of every request the fake received, in order."""
    with fake._lock:
        return [(request.method, route_path(request)) for request in fake.requests]


def names(fake: FakeDaytona) -> list[str]:
    with fake._lock:
        return sorted(record["name"] for record in fake.sandboxes.values())


def request_id(request: httpx.Request) -> str:
    label = json.loads(request.content)["labels"][REQUEST_ID]
    assert UUID.fullmatch(label), label
    return str(label)


class RetryAfter:
    """A Retry-After value, and what the CLI must sleep to honour it.

    ``"http-date"`` is the next whole second but one (a wait of 1 to 2 s); the CLI reads it
    against the wall clock, so the wait it owes lies between the date less the time the run
    ended and the date less the time it began.
    """

    def __init__(self, value: str) -> None:
        self.moment: float | None = None
        if value == "http-date":
            self.moment = math.floor(time.time()) + 2
            value = format_datetime(datetime.fromtimestamp(self.moment, timezone.utc), usegmt=True)
        self.header = value
        self.began = time.time()

    def honoured_by(self, slept: float) -> bool:
        if self.moment is None:
            return slept == float(self.header)
        return self.moment - time.time() <= slept <= self.moment - self.began


@pytest.fixture
def fake(
    make_fake: Callable[..., FakeDaytona], clock: VirtualClock, request: pytest.FixtureRequest
) -> FaultyFake:
    """A FaultyFake, on the virtual clock unless the test serves it to a real process."""
    virtual = None if on_real_clock(request) else clock
    made = make_fake(factory=FaultyFake, virtual=virtual, transition_seconds=0.05)
    assert isinstance(made, FaultyFake)
    return made


@pytest.fixture
def fleet(fake: FakeDaytona) -> dict[str, dict[str, Any]]:
    """demo (started), idle (stopped), doomed (started, to delete)."""
    return {
        "demo": fake.add_sandbox("demo", labels={"team": "a"}),
        "idle": fake.add_sandbox("idle", state="stopped"),
        "doomed": fake.add_sandbox("doomed"),
    }


# -- idempotent calls are retried --------------------------------------------------------------

# command line, method and route of the call that meets the fault
IDEMPOTENT = {
    "list": (["sandbox", "list"], "GET", "/sandbox"),
    "get": (["sandbox", "get", "demo"], "GET", "/sandbox/demo"),
    "start": (["sandbox", "start", "idle"], "POST", "/sandbox/idle/start"),
    "stop": (["sandbox", "stop", "demo"], "POST", "/sandbox/demo/stop"),
    "delete": (["sandbox", "delete", "doomed", "--yes"], "DELETE", "/sandbox/doomed"),
    "snapshot-list": (["snapshot", "list"], "GET", "/snapshots"),
}

# Every idempotent command meets a dropped connection and at least one retryable status, and
# every retryable status is met by at least one command.
RETRIED = [
    ("list", "drop"),
    ("list", 429),
    ("list", 500),
    ("get", "drop"),
    ("get", 502),
    ("start", "drop"),
    ("start", 503),
    ("stop", "drop"),
    ("stop", 504),
    ("delete", "drop"),
    ("delete", 500),
    ("snapshot-list", "drop"),
    ("snapshot-list", 503),
]


def check_command_outcome(
    command: str,
    fake: FakeDaytona,
    fleet: dict[str, dict[str, Any]],
    result: Any,
    clock: VirtualClock | None = None,
) -> None:
    """What the command must have printed and done once it succeeded."""
    if command == "list":
        listed = [line.split("\t")[0] for line in result.stdout.splitlines()]
        assert sorted(listed) == ["demo", "doomed", "idle"]
    elif command == "get":
        assert f"ID\t{fleet['demo']['id']}\n" in result.stdout
        assert "State\tstarted\n" in result.stdout
    elif command == "start":
        assert "idle" in result.stderr
        assert fake.sandbox("idle")["state"] == "started"  # type: ignore[index]
    elif command == "stop":
        assert "demo" in result.stderr
        assert fake.sandbox("demo")["state"] == "stopped"  # type: ignore[index]
    elif command == "delete":
        assert "Deletion of sandbox doomed" in result.stderr
        if clock is not None:
            clock.advance(1.0)  # the fake's destroying → destroyed transition
        else:
            wait_until(lambda: fake.sandbox("doomed") is None, timeout=2)
        assert fake.sandbox("doomed") is None
    elif command == "snapshot-list":
        assert result.stdout.startswith(DEFAULT_SNAPSHOT + "\t")


@pytest.mark.parametrize(("command", "fault"), RETRIED, ids=[f"{c}-{f}" for c, f in RETRIED])
def test_an_idempotent_call_is_retried_once_after_a_transient_fault(
    fake: FakeDaytona,
    cli: Cli,
    clock: VirtualClock,
    fleet: dict[str, dict[str, Any]],
    command: str,
    fault: str | int,
) -> None:
    args, method, path = IDEMPOTENT[command]
    if fault == "drop":
        fake.inject(method, path, drop=True)  # backoff with jitter before the retry
    else:
        # Retry-After 0: the drops cover the jittered backoff.
        fake.inject(method, path, status=int(fault), headers={"Retry-After": "0"})
    result = cli(*args)
    assert result.exit_code == 0, result
    no_traceback(result)
    assert "error" not in result.stderr.lower(), result.stderr
    assert len(fake.requests_to(method, path)) == 2
    assert fake.pending_faults() == []
    # The first sleep is the wait before the retry: jittered, or the Retry-After asked for.
    if fault == "drop":
        assert 0 <= clock.sleeps[0] <= BACKOFF_BASE, clock.sleeps
    else:
        assert clock.sleeps[0] == 0, clock.sleeps
    check_command_outcome(command, fake, fleet, result, clock)
    expected = {"demo", "idle"} | (set() if command == "delete" else {"doomed"})
    assert set(names(fake)) == expected


def test_the_installed_command_retries_a_dropped_connection_over_a_real_socket(
    fake: FakeDaytona, served: str, fleet: dict[str, dict[str, Any]]
) -> None:
    args, method, path = IDEMPOTENT["list"]
    fake.inject(method, path, drop=True)
    result = run_installed(*args, url=served)
    assert result.exit_code == 0, result
    no_traceback(result)
    assert "error" not in result.stderr.lower(), result.stderr
    assert len(fake.requests_to(method, path)) == 2
    assert fake.pending_faults() == []
    check_command_outcome("list", fake, fleet, result)
    assert names(fake) == ["demo", "doomed", "idle"]


def test_a_read_timeout_is_retried_and_the_second_attempt_succeeds(
    fake: FaultyFake, cli: Cli, clock: VirtualClock, fleet: dict[str, dict[str, Any]]
) -> None:
    command = "get"
    args, method, path = IDEMPOTENT[command]
    # The first answer would come a second after the read timeout.
    fake.slow_answer(method, path, after=READ_TIMEOUT + 1)
    started = clock.now
    result = cli(*args)
    assert result.exit_code == 0, result
    no_traceback(result)
    assert result.stderr == ""
    assert len(fake.requests_to(method, path)) == 2
    # One read timeout waited out, then one jittered backoff, and nothing else.
    assert len(clock.sleeps) == 1 and 0 <= clock.sleeps[0] <= BACKOFF_BASE, clock.sleeps
    assert clock.now - started == pytest.approx(READ_TIMEOUT + clock.sleeps[0])
    check_command_outcome(command, fake, fleet, result)
    assert names(fake) == ["demo", "doomed", "idle"]


# -- how many attempts ---------------------------------------------------------------------------


def test_at_most_three_attempts_by_default(
    fake: FakeDaytona, cli: Cli, fleet: dict[str, dict[str, Any]]
) -> None:
    fake.inject("GET", "/sandbox/demo", status=503, headers={"Retry-After": "0"}, times=5)
    result = cli("sandbox", "get", "demo")
    assert result.exit_code == 1, result
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("error: Service Unavailable")
    assert len(fake.requests_to("GET", "/sandbox/demo")) == 3
    assert fake.pending_faults() == [("GET", "/sandbox/demo", 2)]
    assert names(fake) == ["demo", "doomed", "idle"]


def test_dropped_connections_every_time_end_as_a_network_failure_after_three_attempts(
    fake: FakeDaytona, cli: Cli, fleet: dict[str, dict[str, Any]]
) -> None:
    fake.inject("GET", "/sandbox/demo", drop=True, times=5)
    result = cli("sandbox", "get", "demo")
    assert result.exit_code == 7, result
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "cannot reach fake.daytona.test" in line and "connection lost" in line
    assert len(fake.requests_to("GET", "/sandbox/demo")) == 3
    assert names(fake) == ["demo", "doomed", "idle"]


@pytest.mark.parametrize(
    ("attempts", "args", "path", "status", "faults", "exit_code"),
    [
        ("1", ("sandbox", "list"), "/sandbox", 503, 1, 1),
        ("5", ("snapshot", "list"), "/snapshots", 500, 4, 0),
    ],
    ids=["1-turns-retries-off", "5-allows-four-retries"],
)
def test_daytona_max_attempts_sets_the_attempts_per_call(
    fake: FakeDaytona,
    cli: Cli,
    fleet: dict[str, dict[str, Any]],
    attempts: str,
    args: tuple[str, ...],
    path: str,
    status: int,
    faults: int,
    exit_code: int,
) -> None:
    fake.inject("GET", path, status=status, headers={"Retry-After": "0"}, times=faults)
    result = cli(*args, env={"DAYTONA_MAX_ATTEMPTS": attempts})
    assert result.exit_code == exit_code, result
    if exit_code:
        assert result.stdout == ""
        assert one_line(result.stderr).startswith("error: Service Unavailable")
    else:
        assert result.stdout.startswith(DEFAULT_SNAPSHOT + "\t")
        assert result.stderr == ""
    assert len(fake.requests_to("GET", path)) == int(attempts)
    assert names(fake) == ["demo", "doomed", "idle"]


@pytest.mark.parametrize("value", ["three"])
def test_an_invalid_daytona_max_attempts_is_a_usage_error_before_any_request(
    fake: FakeDaytona, cli: Cli, value: str
) -> None:
    result = cli("sandbox", "list", env={"DAYTONA_MAX_ATTEMPTS": value})
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert "DAYTONA_MAX_ATTEMPTS" in one_line(result.stderr)
    assert fake.requests == []


# -- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "status", "header", "value"),
    [
        ("list", 429, "Retry-After", "1"),
        ("get", 503, "Retry-After", "http-date"),
        ("stop", 429, "Retry-After-sandbox-lifecycle", "1"),
    ],
    ids=["seconds", "http-date", "lifecycle-bucket-seconds"],
)
def test_the_wait_the_api_asks_for_is_honoured(
    fake: FakeDaytona,
    cli: Cli,
    clock: VirtualClock,
    fleet: dict[str, dict[str, Any]],
    command: str,
    status: int,
    header: str,
    value: str,
) -> None:
    args, method, path = IDEMPOTENT[command]
    wait = RetryAfter(value)
    fake.inject(method, path, status=status, headers={header: wait.header})
    result = cli("--request-timeout", "20", *args)
    assert result.exit_code == 0, result
    no_traceback(result)
    assert wait.honoured_by(clock.sleeps[0]), (clock.sleeps, wait.header)
    assert len(fake.requests_to(method, path)) == 2
    check_command_outcome(command, fake, fleet, result)
    assert names(fake) == ["demo", "doomed", "idle"]


def test_a_rate_limited_create_waits_for_its_bucket_and_makes_one_sandbox(
    fake: FakeDaytona, cli: Cli, clock: VirtualClock
) -> None:
    wait = RetryAfter("http-date")
    fake.inject("POST", "/sandbox", status=429, headers={"Retry-After-sandbox-create": wait.header})
    result = cli("--request-timeout", "20", "sandbox", "create", "--name", "fresh")
    assert result.exit_code == 0, result
    no_traceback(result)
    assert wait.honoured_by(clock.sleeps[0]), (clock.sleeps, wait.header)
    posts = fake.requests_to("POST", "/sandbox")
    assert len(posts) == 2
    # The retry is the same create: the same request ID.
    assert request_id(posts[0]) == request_id(posts[1])
    assert len(named(fake, "fresh")) == 1
    assert "Name\tfresh\n" in result.stdout
    assert "created and started" in result.stderr


@pytest.mark.parametrize(
    ("args", "method", "path", "header", "value"),
    [
        (["sandbox", "list"], "GET", "/sandbox", "Retry-After", "30"),
        (
            ["sandbox", "delete", "doomed", "--yes"],
            "DELETE",
            "/sandbox/doomed",
            "Retry-After-sandbox-lifecycle",
            "60",
        ),
        (
            ["sandbox", "create", "--name", "fresh"],
            "POST",
            "/sandbox",
            "Retry-After-sandbox-create",
            "45",
        ),
    ],
    ids=["plain", "lifecycle-bucket", "create-bucket"],
)
def test_a_wait_beyond_the_deadline_gives_up_at_once_with_exit_6(
    fake: FakeDaytona,
    cli: Cli,
    clock: VirtualClock,
    fleet: dict[str, dict[str, Any]],
    args: list[str],
    method: str,
    path: str,
    header: str,
    value: str,
) -> None:
    fake.inject(method, path, status=429, headers={header: value})
    result = cli("--request-timeout", "5", *args)
    assert result.exit_code == 6, result
    no_traceback(result)
    assert clock.sleeps == []  # no sleeping towards a wait that cannot fit
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "Too Many Requests" in line
    assert f"try again in {value} s" in line
    assert len(fake.requests_to(method, path)) == 1
    assert names(fake) == ["demo", "doomed", "idle"]  # nothing deleted, nothing created


def test_the_deadline_bounds_every_attempt_and_sleep_of_a_call(
    fake: FakeDaytona, cli: Cli, clock: VirtualClock, fleet: dict[str, dict[str, Any]]
) -> None:
    # Attempts at 0, 0.5 and 1 s; a fourth would start after the 1.3 s deadline.
    fake.inject("GET", "/sandbox", status=503, headers={"Retry-After": "0.5"}, times=10)
    result = cli("--request-timeout", "1.3", "sandbox", "list", env={"DAYTONA_MAX_ATTEMPTS": "10"})
    assert result.exit_code == 1, result
    assert result.stdout == ""
    assert one_line(result.stderr).startswith("error: Service Unavailable")
    assert len(fake.requests_to("GET", "/sandbox")) == 3
    assert clock.sleeps == [0.5, 0.5]
    assert names(fake) == ["demo", "doomed", "idle"]


# -- never retried -------------------------------------------------------------------------------

# A 404 to the list is the wrong DAYTONA_API_URL (every Daytona API has one): exit 1, not 3.
NEVER_RETRIED = {400: 1, 401: 4, 403: 4, 404: 1, 409: 5, 422: 1}


@pytest.mark.parametrize(("status", "code"), NEVER_RETRIED.items(), ids=str)
def test_client_errors_are_never_retried(
    fake: FakeDaytona, cli: Cli, fleet: dict[str, dict[str, Any]], status: int, code: int
) -> None:
    # Retry-After 0 would make a retry instant: only the status can stop it.
    message = f"fault {status}: do not retry"
    fake.inject(
        "GET",
        "/sandbox",
        status=status,
        json=error_body(status, message),
        headers={"Retry-After": "0"},
        times=3,
    )
    result = cli("sandbox", "list", env={"DAYTONA_MAX_ATTEMPTS": "10"})
    assert result.exit_code == code, result
    no_traceback(result)
    assert result.stdout == ""
    assert message in one_line(result.stderr)
    assert len(fake.requests_to("GET", "/sandbox")) == 1
    assert names(fake) == ["demo", "doomed", "idle"]


def test_a_wrong_key_is_refused_once_and_never_tried_again(
    fake: FakeDaytona, cli: Cli, fleet: dict[str, dict[str, Any]]
) -> None:
    result = cli("sandbox", "stop", "demo", env={"DAYTONA_API_KEY": "wrong"})
    assert result.exit_code == 4, result
    no_traceback(result)
    assert "Invalid credentials" in one_line(result.stderr)
    assert "DAYTONA_API_KEY" in result.stderr
    assert len(fake.requests) == 1
    assert fake.sandbox("demo")["state"] == "started"  # type: ignore[index]


# -- create never makes two ----------------------------------------------------------------------


def test_create_after_a_500_looks_up_the_name_before_posting_again(
    fake: FakeDaytona, cli: Cli
) -> None:
    fake.inject("POST", "/sandbox", status=500)
    result = cli("sandbox", "create", "--name", "fresh")
    assert result.exit_code == 0, result
    no_traceback(result)
    assert sequence(fake)[:3] == [
        ("POST", "/sandbox"),
        ("GET", "/sandbox/fresh"),
        ("POST", "/sandbox"),
    ]
    posts = fake.requests_to("POST", "/sandbox")
    assert len(posts) == 2
    assert request_id(posts[0]) == request_id(posts[1])
    created = named(fake, "fresh")
    assert len(created) == 1
    assert created[0]["labels"][REQUEST_ID] == request_id(posts[0])
    assert f"ID\t{created[0]['id']}\n" in result.stdout


def test_an_unnamed_create_after_a_dropped_connection_is_not_sent_again_on_a_list_lookup(
    fake: FakeDaytona, cli: Cli
) -> None:
    # The list lags behind creates: not finding the label there proves nothing, so a second
    # POST could make a second sandbox. The CLI stops and names the label to look for.
    fake.inject("POST", "/sandbox", drop=True)
    result = cli("sandbox", "create", "-q")
    assert result.exit_code == 7, result
    no_traceback(result)
    (post,) = fake.requests_to("POST", "/sandbox")
    rid = request_id(post)
    assert sequence(fake) == [("POST", "/sandbox"), ("GET", "/sandbox")]
    lookup = fake.requests_to("GET", "/sandbox")[0]
    assert json.loads(lookup.url.params["labels"]) == {REQUEST_ID: rid}
    assert result.stdout == ""
    assert f"daytona-cli sandbox list -l {REQUEST_ID}={rid}" in one_line(result.stderr)


@pytest.mark.parametrize(
    ("lost", "with_name"),
    [("drop", True), ("drop", False), (503, True)],
    ids=["dropped-by-name", "dropped-by-label", "503-by-name"],
)
def test_create_whose_answer_was_lost_after_the_server_made_it_makes_no_second(
    fake: FaultyFake, cli: Cli, lost: str | int, with_name: bool
) -> None:
    fake.lose_answer("POST", "/sandbox", status=None if lost == "drop" else int(lost))
    args = ["sandbox", "create", "-q"] + (["--name", "fresh"] if with_name else [])
    result = cli(*args)
    assert result.exit_code == 0, result
    no_traceback(result)
    assert fake.scripted_left() == 0
    posts = fake.requests_to("POST", "/sandbox")
    assert len(posts) == 1  # found what the first attempt made: no second POST
    rid = request_id(posts[0])
    assert len(fake.sandboxes) == 1
    (created,) = labelled(fake, REQUEST_ID, rid)
    assert result.stdout == created["id"] + "\n"
    lookup = sequence(fake)[1]
    if with_name:
        assert lookup == ("GET", "/sandbox/fresh")
        assert len(named(fake, "fresh")) == 1
    else:
        assert lookup == ("GET", "/sandbox")
        label_filter = fake.requests_to("GET", "/sandbox")[0].url.params["labels"]
        assert json.loads(label_filter) == {REQUEST_ID: rid}
    assert fake.sandbox(created["id"])["state"] == "started"  # type: ignore[index]


def test_create_whose_answer_timed_out_after_the_server_made_it_finds_it(
    fake: FaultyFake, cli: Cli, clock: VirtualClock
) -> None:
    # The server makes the sandbox, which takes 100 s to start, and holds its answer past the
    # client's read timeout: the lookup finds it still starting and waits for it.
    fake.transition_seconds = 100.0
    fake.slow_answer("POST", "/sandbox", after=READ_TIMEOUT + 1)
    started = clock.now
    result = cli("sandbox", "create", "--name", "fresh")
    assert result.exit_code == 0, result
    no_traceback(result)
    posts = fake.requests_to("POST", "/sandbox")
    assert len(posts) == 1
    assert sequence(fake)[1] == ("GET", "/sandbox/fresh")
    (created,) = named(fake, "fresh")
    assert created["labels"][REQUEST_ID] == request_id(posts[0])
    assert len(fake.sandboxes) == 1
    assert f"ID\t{created['id']}\n" in result.stdout
    assert "State\tstarted\n" in result.stdout
    assert clock.now - started >= 100.0  # it waited for the start, on the clock


def test_create_whose_answer_never_came_within_the_deadline_says_how_to_find_it(
    fake: FaultyFake, cli: Cli, clock: VirtualClock
) -> None:
    # The server makes the sandbox but answers only after 1.2 s; the deadline is 0.8 s.
    fake.transition_seconds = 5.0
    fake.slow_answer("POST", "/sandbox", after=1.2)
    started = clock.now
    result = cli("--request-timeout", "0.8", "sandbox", "create", "--name", "fresh")
    assert result.exit_code == 124, result
    assert clock.now - started == pytest.approx(0.8)  # gave up at the deadline, no later
    posts = fake.requests_to("POST", "/sandbox")
    assert len(posts) == 1
    rid = request_id(posts[0])
    (created,) = named(fake, "fresh")
    assert created["labels"][REQUEST_ID] == rid
    no_traceback(result)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "in time" in line
    assert f"daytona-cli sandbox list -l {REQUEST_ID}={rid}" in line
    assert len(fake.sandboxes) == 1


def test_create_that_keeps_failing_with_5xx_stops_after_three_attempts_and_makes_nothing(
    fake: FakeDaytona, cli: Cli
) -> None:
    fake.inject("POST", "/sandbox", status=502, times=5)
    result = cli("sandbox", "create", "--name", "fresh")
    assert result.exit_code == 1, result
    no_traceback(result)
    assert result.stdout == ""
    posts = fake.requests_to("POST", "/sandbox")
    assert len(posts) == 3
    assert len({request_id(post) for post in posts}) == 1
    # A lookup by name before each new attempt.
    assert sequence(fake) == [
        ("POST", "/sandbox"),
        ("GET", "/sandbox/fresh"),
        ("POST", "/sandbox"),
        ("GET", "/sandbox/fresh"),
        ("POST", "/sandbox"),
    ]
    line = one_line(result.stderr)
    assert "Bad Gateway" in line
    assert f"{REQUEST_ID}={request_id(posts[0])}" in line
    assert fake.sandboxes == {}


def test_create_is_retried_when_the_connection_is_refused(fake: FakeDaytona, cli: Cli) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port: each attempt over a real socket is refused before anything
    # is sent (the backoff between them is on the virtual clock).
    cli.transport = lambda: None
    cli.env["DAYTONA_API_URL"] = f"http://127.0.0.1:{port}/api"
    result = cli("--debug", "sandbox", "create", "--name", "fresh")
    assert result.exit_code == 7, result
    no_traceback(result)
    assert result.stdout == ""
    attempts = re.findall(r"^> POST \S+/api/sandbox \(attempt (\d)\)$", result.stderr, re.M)
    assert attempts == ["1", "2", "3"]
    assert "GET" not in result.stderr  # no lookup: the request surely never arrived
    assert (
        result.stderr.rstrip("\n")
        .split("\n")[-1]
        .startswith(f"error: cannot reach 127.0.0.1:{port}")
    )
    assert fake.requests == []
    assert fake.sandboxes == {}


def test_create_of_a_name_someone_else_took_is_a_conflict_and_leaves_theirs_alone(
    fake: FakeDaytona, cli: Cli
) -> None:
    theirs = fake.add_sandbox("taken")
    result = cli("sandbox", "create", "--name", "taken")
    assert result.exit_code == 5, result
    no_traceback(result)
    assert "already exists" in one_line(result.stderr)
    assert len(fake.requests_to("POST", "/sandbox")) == 1
    assert named(fake, "taken") == [dict(fake.sandboxes[theirs["id"]])]
    assert len(fake.sandboxes) == 1


# -- exec is never retried once sent -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "attempts"),
    [(500, "3"), ("drop", "10")],
    ids=["500", "drop-with-10-attempts"],
)
def test_exec_whose_answer_was_lost_says_it_may_have_run_and_is_not_sent_again(
    fake: FakeDaytona, cli: Cli, fault: str | int, attempts: str
) -> None:
    fake.add_sandbox("demo")
    if fault == "drop":
        fake.inject("POST", EXECUTE, drop=True)
    else:
        fake.inject("POST", EXECUTE, status=int(fault))
    result = cli(
        "sandbox",
        "exec",
        "--merged",
        "demo",
        "--",
        "echo",
        "charged",
        env={"DAYTONA_MAX_ATTEMPTS": attempts},
    )
    assert result.exit_code == 125, result
    no_traceback(result)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "may have run" in line
    assert len(fake.requests_to("POST", EXECUTE)) == 1
    assert names(fake) == ["demo"]


def test_exec_answered_429_was_not_run_so_it_is_sent_again(fake: FakeDaytona, cli: Cli) -> None:
    fake.add_sandbox("demo")
    fake.inject("POST", EXECUTE, status=429, headers={"Retry-After": "0"})
    result = cli("sandbox", "exec", "--merged", "demo", "--", "echo", "once")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "once\n", "")
    assert len(fake.requests_to("POST", EXECUTE)) == 2
    assert names(fake) == ["demo"]


# -- retrying is safe: delete, stop, and transitions in progress --------------------------------


def test_delete_whose_answer_was_lost_is_done_when_the_retry_finds_it_gone(
    fake: FaultyFake, cli: Cli
) -> None:
    fake.transition_seconds = 0.0
    doomed = fake.add_sandbox("doomed")
    fake.add_sandbox("keep")
    fake.lose_answer("DELETE", "/sandbox/doomed")
    result = cli("sandbox", "delete", "doomed", "--yes")
    assert result.exit_code == 0, result
    no_traceback(result)
    assert result.stdout == ""
    assert one_line(result.stderr) == "Deletion of sandbox doomed started"
    assert len(fake.requests_to("DELETE", "/sandbox/doomed")) == 2
    assert fake.sandbox(doomed["id"]) is None
    assert names(fake) == ["keep"]


def test_delete_whose_answer_was_lost_waits_out_destroying_instead_of_failing(
    fake: FaultyFake, cli: Cli, clock: VirtualClock
) -> None:
    # The first DELETE really deletes; the retry meets the sandbox still destroying (409).
    fake.transition_seconds = 1.0
    doomed = fake.add_sandbox("doomed")
    fake.add_sandbox("keep")
    fake.lose_answer("DELETE", "/sandbox/doomed")
    started = clock.now
    result = cli("sandbox", "delete", "doomed", "--yes")
    assert result.exit_code == 0, result
    no_traceback(result)
    assert one_line(result.stderr).startswith("Deletion of sandbox doomed")
    assert clock.now - started < 8
    clock.advance(3.0)
    assert fake.sandbox(doomed["id"]) is None
    assert names(fake) == ["keep"]


@pytest.mark.parametrize("transition", [0.0, 0.6], ids=["already-stopped", "still-stopping"])
def test_stop_whose_answer_was_lost_is_done_once_get_shows_stopped(
    fake: FaultyFake, cli: Cli, transition: float
) -> None:
    fake.transition_seconds = transition
    demo = fake.add_sandbox("demo")
    fake.lose_answer("POST", "/sandbox/demo/stop")
    result = cli("sandbox", "stop", "demo")
    assert result.exit_code == 0, result
    no_traceback(result)
    assert result.stdout == ""
    assert "stopped" in one_line(result.stderr)
    stops = len(fake.requests_to("POST", "/sandbox/demo/stop"))
    # The lost one, then "not in a stoppable state" (after waiting out a 409 if still stopping).
    assert stops == (2 if transition == 0 else 3)
    assert fake.sandbox("demo")["state"] == "stopped"  # type: ignore[index]
    assert [record["id"] for record in named(fake, "demo")] == [demo["id"]]


@pytest.mark.parametrize("action", ["stop", "delete"])
def test_a_state_change_in_progress_is_waited_out_then_the_action_succeeds(
    fake: FakeDaytona, cli: Cli, clock: VirtualClock, action: str
) -> None:
    fake.transition_seconds = 1.0
    demo = fake.add_sandbox("demo", state="stopped")
    fake.add_sandbox("keep")
    # Someone else starts it: it stays `starting` until the CLI has waited a virtual second, so
    # the CLI's first attempt surely meets the transition.
    start = httpx.Request(
        "POST",
        fake.base_url + "/sandbox/demo/start",
        headers={"authorization": f"Bearer {API_KEY}"},
    )
    assert fake.handler(start).status_code == 200
    route = "/sandbox/demo" + ("/stop" if action == "stop" else "")
    method = "POST" if action == "stop" else "DELETE"

    def answers() -> list[int]:
        return [
            response.status_code
            for request, response in list(fake.exchanges)
            if request.method == method and route_path(request) == route
        ]

    args = ["sandbox", action, "demo"] + (["--yes"] if action == "delete" else [])
    result = cli(*args)
    assert result.exit_code == 0, result
    no_traceback(result)
    assert answers() == [409, 200]
    assert fake.requests_to("GET", "/sandbox/demo")  # it looked while waiting
    if action == "stop":
        assert "stopped" in one_line(result.stderr)
        assert fake.sandbox("demo")["state"] == "stopped"  # type: ignore[index]
        assert names(fake) == ["demo", "keep"]
    else:
        assert one_line(result.stderr).startswith("Deletion of sandbox demo")
        clock.advance(3.0)
        assert fake.sandbox(demo["id"]) is None
        assert names(fake) == ["keep"]


# -- time is bounded -----------------------------------------------------------------------------


def test_a_trickling_body_cannot_outlast_the_request_timeout(
    fake: FaultyFake, cli: Cli, clock: VirtualClock, fleet: dict[str, dict[str, Any]]
) -> None:
    # About 1 KB at one byte per 0.1 s would take minutes.
    fake.slow_answer("GET", "/sandbox/demo", per_byte=0.1)
    started = clock.now
    result = cli("--request-timeout", "1", "sandbox", "get", "demo")
    assert result.exit_code == 124, result
    no_traceback(result)
    # It gave up with the first byte past the deadline.
    assert 1 < clock.now - started <= 1.1 + 1e-9, clock.now - started
    assert result.stdout == ""
    assert "no complete answer from fake.daytona.test" in one_line(result.stderr)
    assert len(fake.requests_to("GET", "/sandbox/demo")) == 1
    assert names(fake) == ["demo", "doomed", "idle"]


def test_a_body_trickling_over_a_real_socket_cannot_outlast_the_request_timeout(
    fake: FakeDaytona, served: str, fleet: dict[str, dict[str, Any]]
) -> None:
    fake.inject("GET", "/sandbox/demo", status=200, json=fake.sandbox("demo"), trickle=0.1)
    result = run_installed("--request-timeout", "1", "sandbox", "get", "demo", url=served)
    assert result.exit_code == 124, result
    no_traceback(result)
    assert result.stdout == ""
    assert "no complete answer from 127.0.0.1" in one_line(result.stderr)
    assert len(fake.requests_to("GET", "/sandbox/demo")) == 1
    assert names(fake) == ["demo", "doomed", "idle"]


def test_a_server_that_never_answers_is_given_up_on_at_the_deadline(
    fake: FaultyFake, cli: Cli, clock: VirtualClock, fleet: dict[str, dict[str, Any]]
) -> None:
    fake.slow_answer("GET", "/sandbox", after=1.8)
    started = clock.now
    result = cli("--request-timeout", "1", "sandbox", "list")
    assert result.exit_code == 124, result
    no_traceback(result)
    assert clock.now - started == pytest.approx(1.0), clock.now - started
    assert result.stdout == ""
    assert "no complete answer" in one_line(result.stderr)
    assert len(fake.requests_to("GET", "/sandbox")) == 1
    assert names(fake) == ["demo", "doomed", "idle"]


# -- Ctrl-C (a real process, a real signal) ------------------------------------------------------


def test_ctrl_c_while_create_waits_says_what_carries_on_and_how_to_follow_up() -> None:
    fake = FakeDaytona(api_key=API_KEY, transition_seconds=30)
    with fake.serve() as url:
        running = Running("sandbox", "create", "--name", "slow", url=url)
        wait_until(lambda: len(fake.requests_to("GET", "/sandbox/*")) >= 1)
        running.interrupt()
        result = running.finish()
    assert result.exit_code == 130, result
    no_traceback(result)
    assert result.stdout == ""
    (created,) = named(fake, "slow")
    line = one_line(result.stderr)
    assert "interrupted" in line and "background" in line
    assert f"daytona-cli sandbox get {created['id']}" in line
    assert f"daytona-cli sandbox delete {created['id']} --yes" in line
    assert len(fake.requests_to("POST", "/sandbox")) == 1
    assert created["state"] == "creating"


def test_sigterm_while_create_waits_still_prints_the_new_id_and_exits_143() -> None:
    # `timeout`, `docker stop` and a cancelled CI job send SIGTERM, not Ctrl-C's SIGINT.
    fake = FakeDaytona(api_key=API_KEY, transition_seconds=30)
    with fake.serve() as url:
        running = Running("sandbox", "create", "--name", "slow", "-q", url=url)
        wait_until(lambda: len(fake.requests_to("GET", "/sandbox/*")) >= 1)
        running.interrupt(signal.SIGTERM)
        result = running.finish()
    assert result.exit_code == 143, result
    no_traceback(result)
    (created,) = named(fake, "slow")
    assert result.stdout == f"{created['id']}\n"
    line = one_line(result.stderr)
    assert "background" in line and f"daytona-cli sandbox delete {created['id']} --yes" in line


def test_ctrl_c_while_stop_waits_says_what_carries_on() -> None:
    fake = FakeDaytona(api_key=API_KEY, transition_seconds=30)
    demo = fake.add_sandbox("demo")
    with fake.serve() as url:
        running = Running("sandbox", "stop", "demo", url=url)
        wait_until(lambda: len(fake.requests_to("GET", f"/sandbox/{demo['id']}")) >= 1)
        running.interrupt()
        result = running.finish()
    assert result.exit_code == 130, result
    no_traceback(result)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "interrupted" in line and "background" in line
    assert f"daytona-cli sandbox get {demo['id']}" in line
    assert len(fake.requests_to("POST", "/sandbox/demo/stop")) == 1
    assert [record["state"] for record in named(fake, "demo")] == ["stopping"]


def test_ctrl_c_during_the_create_request_says_how_to_find_what_it_may_have_made() -> None:
    # The server is still working on the create (as the real one does, for up to 30 s): it
    # holds the answer until the test releases it, after the CLI has gone.
    fake = FaultyFake(api_key=API_KEY, transition_seconds=30)
    fake.hold_answers("POST", "/sandbox")
    try:
        with fake.serve() as url:
            running = Running("sandbox", "create", "--name", "slow", url=url)
            wait_until(lambda: len(fake.requests_to("POST", "/sandbox")) == 1)
            running.interrupt()
            result = running.finish()
            fake.release()
    finally:
        fake.release()
    assert result.exit_code == 130, result
    no_traceback(result)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "interrupted" in line
    rid = request_id(fake.requests_to("POST", "/sandbox")[0])
    # It must point at what the server may still be making: by name or by request ID.
    assert re.search(rf"daytona-cli sandbox (get|delete) slow\b|{REQUEST_ID}={rid}", line), line
    assert len(named(fake, "slow")) == 1


def test_a_second_ctrl_c_during_tidy_up_exits_at_once() -> None:
    fake = FaultyFake(api_key=API_KEY, transition_seconds=0.05)
    for name in ("a", "b", "c"):
        fake.add_sandbox(name)
    # The first target goes alone; the stop requests of the other two hang until released, so
    # the workers are busy when Ctrl-C comes: after the first Ctrl-C the CLI could only wait for
    # them (up to its 60 s read timeout).
    fake.hold_answers("POST", "/sandbox/[bc]/stop", times=2)
    try:
        with fake.serve() as url:
            running = Running("sandbox", "stop", "a", "b", "c", "--no-wait", url=url)
            wait_until(lambda: len(fake.requests_to("POST", "/sandbox/*/stop")) == 3)
            running.interrupt()
            wait_until(lambda: "interrupted" in running.stderr_so_far())
            assert running.proc.poll() is None, "the first Ctrl-C did not wait for the workers"
            running.interrupt()
            # Well inside the workers' 60 s read timeout: only the second Ctrl-C can end it.
            assert running.exited_within(20), "a second Ctrl-C did not end the CLI at once"
            result = running.finish()
            fake.release()
            assert result.exit_code == 130, result
            assert len(fake.requests_to("POST", "/sandbox/*/stop")) == 3
    finally:
        fake.release()
    no_traceback(result)
    assert result.stdout == ""
    assert "interrupted" in result.stderr.splitlines()[-1]
    assert names(fake) == ["a", "b", "c"]


# -- malformed answers ---------------------------------------------------------------------------

HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n"


@pytest.fixture
def odd(isolated: Path, clock: VirtualClock) -> tuple[FaultyFake, Cli]:
    """A fake that sends bodies breaking the contract on purpose (``inject_raw``: the contract
    check spares those answers alone)."""
    fake = FaultyFake(
        api_key=API_KEY,
        base_url=BASE_URL,
        proxy_url=PROXY_URL,
        transition_seconds=0.05,
        virtual=clock,
    )
    fake.add_sandbox("demo")
    return fake, Cli(fake, isolated, clock.as_clock())


def _demo_json(fake: FakeDaytona) -> bytes:
    return json.dumps(fake.sandbox("demo")).encode()


@pytest.mark.parametrize(
    ("case", "args", "method", "path", "expected"),
    [
        ("truncated-json", ["sandbox", "get", "demo"], "GET", "/sandbox/demo", "not JSON"),
        ("html-200", ["sandbox", "list"], "GET", "/sandbox", "not JSON"),
        ("html-502", ["sandbox", "get", "demo"], "GET", "/sandbox/demo", "502 Bad Gateway"),
        ("wrong-content-type", ["sandbox", "get", "demo"], "GET", "/sandbox/demo", "text/html"),
        ("sandbox-without-id", ["sandbox", "get", "demo"], "GET", "/sandbox/demo", "unexpected"),
        ("list-without-items", ["sandbox", "list"], "GET", "/sandbox", "unexpected"),
        ("snapshots-without-items", ["snapshot", "list"], "GET", "/snapshots", "unexpected"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_malformed_answer_is_a_clear_error_never_a_traceback(
    odd: tuple[FaultyFake, Cli],
    case: str,
    args: list[str],
    method: str,
    path: str,
    expected: str,
) -> None:
    fake, cli = odd
    bodies = {
        "truncated-json": (200, _demo_json(fake)[:40], "application/json"),
        "html-200": (200, HTML_PAGE, "text/html"),
        "html-502": (502, HTML_PAGE, "text/html"),
        "wrong-content-type": (200, _demo_json(fake), "text/html; charset=utf-8"),
        "sandbox-without-id": (200, b'{"name": "demo", "state": "started"}', "application/json"),
        "list-without-items": (200, b'{"nextCursor": null}', "application/json"),
        "list-items-not-objects": (
            200,
            b'{"items": ["demo"], "nextCursor": null}',
            "application/json",
        ),
        "snapshots-without-items": (200, b'{"total": 1, "page": 1}', "application/json"),
        "json-null": (200, b"null", "application/json"),
    }
    status, body, content_type = bodies[case]
    times = 5 if status >= 500 else 1
    fake.inject_raw(method, path, status=status, body=body, content_type=content_type,
                    headers={"Retry-After": "0"}, times=times)  # fmt: skip
    before = dict(fake.sandboxes)
    result = cli(*args)
    assert result.exit_code == 1, result
    no_traceback(result)
    assert "internal error" not in result.stderr
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("error: ")
    assert expected in line
    assert len(fake.requests_to(method, path)) == (3 if status >= 500 else 1)
    assert fake.sandboxes.keys() == before.keys()


def test_exec_answer_without_an_exit_code_is_a_cli_failure(odd: tuple[FaultyFake, Cli]) -> None:
    fake, cli = odd
    fake.inject_raw("POST", EXECUTE, body=b'{"result": "hi\\n"}')
    result = cli("sandbox", "exec", "--merged", "demo", "--", "echo", "hi")
    assert result.exit_code == 125, result
    no_traceback(result)
    assert result.stdout == ""
    assert "expected exitCode and result" in one_line(result.stderr)
    assert len(fake.requests_to("POST", EXECUTE)) == 1
    assert names(fake) == ["demo"]


@pytest.mark.parametrize("command", ["get", "list"])
def test_extra_fields_in_an_answer_are_tolerated(odd: tuple[FaultyFake, Cli], command: str) -> None:
    fake, cli = odd
    sandbox = {**fake.sandbox("demo"), "shinyNewField": {"nested": [1, 2]}, "v2": True}  # type: ignore[dict-item]
    if command == "get":
        body, path = sandbox, "/sandbox/demo"
    else:
        body, path = {"items": [sandbox], "nextCursor": None, "total": 1}, "/sandbox"
    fake.inject_raw("GET", path, body=json.dumps(body).encode())
    result = cli("sandbox", command, *(["demo"] if command == "get" else []))
    assert result.exit_code == 0, result
    assert result.stderr == ""
    assert "demo" in result.stdout and sandbox["id"] in result.stdout
    assert "shinyNewField" not in result.stdout
    assert fake.raw_answers == 1
    assert len(fake.requests_to("GET", path)) == 1
    assert names(fake) == ["demo"]


# -- redirects and plain http --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "method", "path", "status"),
    [
        (["sandbox", "list"], "GET", "/sandbox", 302),
        (["sandbox", "delete", "doomed", "--yes"], "DELETE", "/sandbox/doomed", 307),
        (["sandbox", "create", "--name", "fresh"], "POST", "/sandbox", 308),
    ],
    ids=["302-list", "307-delete", "308-create"],
)
def test_a_redirect_is_not_followed_with_the_key(
    fake: FakeDaytona,
    cli: Cli,
    make_fake: Callable[..., FakeDaytona],
    fleet: dict[str, dict[str, Any]],
    args: list[str],
    method: str,
    path: str,
    status: int,
) -> None:
    # Another server on the same network: following the redirect would reach it.
    elsewhere = make_fake(base_url="https://elsewhere.daytona.test/api")
    cli.transport = lambda: by_host(fake, elsewhere)
    location = elsewhere.base_url + path
    fake.inject(method, path, status=status, headers={"Location": location})
    result = cli(*args)
    assert result.exit_code == 1, result
    no_traceback(result)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "redirect" in line and location in line
    assert elsewhere.requests == []
    assert len(fake.requests_to(method, path)) == 1
    assert names(fake) == ["demo", "doomed", "idle"]


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent for a UDP connect
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_plain_http_to_a_host_that_is_not_loopback_is_refused_before_any_request(
    isolated: Path, clock: VirtualClock
) -> None:
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    fake = FakeDaytona(api_key=API_KEY)
    fake.add_sandbox("demo")
    with socket.socket() as probe:
        probe.bind((address, 0))
        port = probe.getsockname()[1]
    server = fake.serve(host=address, port=port)
    with server as url:
        # The fake really listens there: plain http would reach it.
        assert httpx.get(url + "/sandbox", headers={"Authorization": "Bearer x"}).status_code == 401
        probed = len(fake.requests)
        cli = Cli(fake, isolated, clock.as_clock())
        cli.transport = lambda: None  # real sockets
        cli.env["DAYTONA_API_URL"] = url
        result = cli("sandbox", "list")
    fake.close()
    assert result.exit_code == 2, result
    no_traceback(result)
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert f"refusing to send the API key over plain http to {address}" in line
    assert len(fake.requests) == probed
    assert names(fake) == ["demo"]
