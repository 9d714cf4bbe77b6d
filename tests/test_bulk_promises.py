"""Bulk actions against an unkind world (issue 9, promises 4 and 9): a refused key costs one
request and stops everything; Ctrl-C starts nothing more and says what became of each target.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable

import httpx
import pytest

from daytona_cli.bulk import IN_FLIGHT, NOT_STARTED, BulkInterrupted, Outcome, Target, run_all
from daytona_cli.errors import Category, CliError
from tests.conftest import Cli
from tests.fake_daytona import FakeDaytona

NAMES = ["a1", "a2", "a3", "a4", "a5"]


@pytest.fixture
def five(fake: FakeDaytona) -> list[dict[str, object]]:
    return [fake.add_sandbox(name, labels={"team": "a"}) for name in NAMES]


def interrupt_at(fake: FakeDaytona, method: str, nth: int) -> None:
    """Ctrl-C arrives while the ``nth`` request with ``method`` to a sandbox is under way."""
    real = fake.handler
    seen = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        if request.method == method and request.url.path.startswith("/api/sandbox/"):
            seen += 1
            if seen == nth:
                raise KeyboardInterrupt
        return real(request)

    fake.handler = handler  # type: ignore[method-assign]


@pytest.mark.parametrize("selection", [NAMES, ["-l", "team=a"]], ids=["named", "selected"])
@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_costs_one_action_request_and_stops_the_rest(
    cli: Cli, fake: FakeDaytona, five: list[dict[str, object]], selection: list[str], status: int
) -> None:
    fake.inject("DELETE", "/sandbox/*", status=status, times=10)
    result = cli("sandbox", "delete", *selection, "--yes", "--parallel", "8")
    assert result.exit_code == 4, result
    assert len(fake.requests_to("DELETE", "/sandbox/*")) == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "DAYTONA_API_KEY" in errors[0] or "permissions" in errors[0]
    assert all(fake.sandbox(name) is not None for name in NAMES)


def test_a_wrong_key_for_a_selection_costs_exactly_the_one_list_request(
    cli: Cli, fake: FakeDaytona, five: list[dict[str, object]]
) -> None:
    result = cli("sandbox", "stop", "-l", "team=a", "--yes", env={"DAYTONA_API_KEY": "wrong"})
    assert result.exit_code == 4, result
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/api/sandbox")]
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1


def test_after_the_first_request_succeeds_the_rest_run_concurrently(
    cli: Cli, fake: FakeDaytona, five: list[dict[str, object]]
) -> None:
    result = cli("sandbox", "delete", *NAMES, "--yes", "--parallel", "4")
    assert result.exit_code == 0, result
    deletes = [r.url.path.rsplit("/", 1)[1] for r in fake.requests_to("DELETE", "/sandbox/*")]
    assert deletes[0] == "a1"  # the first target goes alone, before any other
    assert sorted(deletes) == NAMES


def test_ctrl_c_in_a_named_bulk_action_says_what_finished_flew_and_never_started(
    cli: Cli, fake: FakeDaytona, five: list[dict[str, object]]
) -> None:
    interrupt_at(fake, "DELETE", 3)
    result = cli("sandbox", "delete", *NAMES, "--yes", "--parallel", "1")
    assert result.exit_code == 130, result
    # The third request was cut short by Ctrl-C before the server saw it.
    deletes = [r.url.path.rsplit("/", 1)[1] for r in fake.requests_to("DELETE", "/sandbox/*")]
    assert deletes == ["a1", "a2"]
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: interrupted: 2 finished")
    assert "1 in flight, carrying on in the background (a3)" in last
    assert "2 never tried (a4, a5); running the same command again is safe" in last
    assert fake.sandbox("a4") is not None and fake.sandbox("a5") is not None


def test_ctrl_c_in_a_selected_bulk_action_reports_every_target_as_json(
    cli: Cli, fake: FakeDaytona, five: list[dict[str, object]]
) -> None:
    interrupt_at(fake, "POST", 2)
    for sandbox in five:
        fake.add_sandbox(f"other-{sandbox['name']}", state="stopped")
    result = cli("sandbox", "stop", "-l", "team=a", "--yes", "--parallel", "1", "--json")
    assert result.exit_code == 130, result
    records = json.loads(result.stdout)
    assert [record["error"] for record in records].count(IN_FLIGHT) == 1
    assert [record["error"] for record in records].count(NOT_STARTED) == 3
    assert [record["ok"] for record in records].count(True) == 1
    error = json.loads(result.stderr.splitlines()[-1])["error"]
    assert error["code"] == "interrupted"
    assert "3 never tried" in error["message"]


def test_ctrl_c_in_a_selected_bulk_action_names_each_target_once_in_the_table(
    cli: Cli, fake: FakeDaytona, five: list[dict[str, object]]
) -> None:
    interrupt_at(fake, "POST", 2)
    result = cli("sandbox", "stop", "-l", "team=a", "--yes", "--parallel", "1")
    assert result.exit_code == 130, result
    table = [row.split("\t") for row in result.stdout.splitlines()]
    assert sorted(row[2] for row in table) == sorted(
        ["stopped", IN_FLIGHT, NOT_STARTED, NOT_STARTED, NOT_STARTED]
    )
    # The error counts them, pointing at the table, rather than naming them all again.
    assert result.stderr.splitlines()[-1] == (
        "error: interrupted: 1 finished; 1 in flight, carrying on in the background; 3 never "
        "tried (see the table above); running the same command again is safe: what is done "
        "already counts as done"
    )


def test_sigterm_in_a_bulk_action_says_terminated_and_exits_143(
    cli: Cli, fake: FakeDaytona, five: list[dict[str, object]]
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the run sets signal handlers only in the main thread")
    real = fake.handler
    seen = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        if request.method == "POST" and request.url.path.startswith("/api/sandbox/"):
            seen += 1
            if seen == 2:
                signal.raise_signal(signal.SIGTERM)  # the run's own handler takes it
        return real(request)

    fake.handler = handler  # type: ignore[method-assign]
    result = cli("sandbox", "stop", "-l", "team=a", "--yes", "--parallel", "1")
    assert result.exit_code == 143, result
    assert result.stderr.splitlines()[-1].startswith("error: terminated: ")


# -- run_all on its own -------------------------------------------------------------------------


def fail_with(category: Category, on: str) -> Callable[[Target], dict[str, str]]:
    def action(target: Target) -> dict[str, str]:
        if target.key == on:
            raise CliError(category, f"{target.key} refused")
        return {"id": target.key}

    return action


def test_run_all_starts_nothing_after_an_authentication_failure() -> None:
    targets = [Target(key=str(i)) for i in range(10)]
    outcomes = run_all(targets, fail_with(Category.AUTH, "0"), parallel=4)
    assert outcomes[0].error is not None
    assert [o.skipped for o in outcomes[1:]] == [NOT_STARTED] * 9


def test_run_all_carries_on_after_other_failures() -> None:
    targets = [Target(key=str(i)) for i in range(10)]
    outcomes = run_all(targets, fail_with(Category.NOT_FOUND, "3"), parallel=4)
    assert [o.ok for o in outcomes] == [i != 3 for i in range(10)]
    assert [o.target.key for o in outcomes] == [str(i) for i in range(10)]


def test_run_all_on_ctrl_c_raises_with_what_finished_and_what_never_started() -> None:
    targets = [Target(key=str(i)) for i in range(6)]
    seen: list[Outcome] = []

    def on_done(outcome: Outcome) -> None:
        seen.append(outcome)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(BulkInterrupted) as caught:
        run_all(targets, lambda t: {"id": t.key}, parallel=1, on_done=on_done)
    kinds = [o.skipped for o in caught.value.outcomes]
    assert kinds == [None, None, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED]


def test_the_rest_start_once_the_first_answer_came_not_once_the_first_target_is_done() -> None:
    import threading

    gate = threading.Event()
    others_started = threading.Event()

    def action(target: Target) -> dict[str, str]:
        if target.key == "0":
            gate.set()  # its first request was answered, and not refused
            # It goes on (waiting for a state, say): the others must not wait for it.
            if not others_started.wait(5):
                raise CliError(Category.OTHER, "the others waited for the first to finish")
        else:
            others_started.set()
        return {"id": target.key}

    targets = [Target(key=str(i)) for i in range(3)]
    outcomes = run_all(targets, action, parallel=4, authenticated=gate)
    assert [o.error for o in outcomes] == [None, None, None]


def test_ctrl_c_on_a_large_bulk_action_names_twenty_and_counts_the_rest(
    cli: Cli, fake: FakeDaytona
) -> None:
    names = [f"n{i:02}" for i in range(30)]
    for name in names:
        fake.add_sandbox(name)
    interrupt_at(fake, "DELETE", 2)
    result = cli("sandbox", "delete", *names, "--yes", "--parallel", "1")
    assert result.exit_code == 130
    last = result.stderr.splitlines()[-1]
    assert "28 never tried (n02, n03," in last and ", …and 8 more)" in last
    assert len(last) < 600
