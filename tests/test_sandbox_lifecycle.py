"""`daytona-cli sandbox start | stop | delete`: waiting for the state asked for, retry-safety,
several targets, confirmation before deleting, and one run of the installed command.

Every test checks the exit code, stdout, stderr and the exact requests the fake received. Tests
that count polls run the fake and the CLI on one virtual clock, so time passes only when the CLI
sleeps: the number of GETs is exact and nothing really waits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Cli, Slow
from tests.fake_daytona import FakeDaytona

NOT_FOUND_HINT = "list sandboxes with `daytona-cli sandbox list`"
REFUSAL = "error: refusing to delete without confirmation: no terminal to ask on; pass --yes"
# The targets are looked up and listed one per line: name, ID, state (issue 10).
PROMPT = "Delete {count}:\n{lines}Delete {them}? This cannot be undone. [y/N]: "


def prompt(*sandboxes: dict[str, Any]) -> str:
    width = max(len(s["name"]) for s in sandboxes)
    return PROMPT.format(
        count=f"{len(sandboxes)} sandbox" + ("es" if len(sandboxes) > 1 else ""),
        lines="".join(f"  {s['name']:<{width}}  {s['id']}  {s['state']}\n" for s in sandboxes),
        them="them" if len(sandboxes) > 1 else "it",
    )


# -- helpers ---------------------------------------------------------------------------------


def sent(fake: FakeDaytona) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body or None) of every request the fake received, in order."""
    return [
        (request.method, request.url.path, json.loads(request.content) if request.content else None)
        for request in fake.requests
    ]


def polls(fake: FakeDaytona, sandbox_id: str) -> list[str]:
    """The state in each answer to GET /sandbox/<id>, in order ("404" once it is gone)."""
    return [
        response.json()["state"] if response.status_code == 200 else str(response.status_code)
        for request, response in fake.exchanges
        if request.method == "GET" and request.url.path == f"/api/sandbox/{sandbox_id}"
    ]


def get(sandbox_id: str) -> tuple[str, str, None]:
    return ("GET", f"/api/sandbox/{sandbox_id}", None)


def post(target: str, action: str) -> tuple[str, str, None]:
    return ("POST", f"/api/sandbox/{target}/{action}", None)


def delete(target: str) -> tuple[str, str, None]:
    return ("DELETE", f"/api/sandbox/{target}", None)


def action_then_polls(
    fake: FakeDaytona, target: str, action: str, sandbox_id: str, *, start: int = 0
) -> int:
    """From ``start``: one POST of ``action`` then at least one GET of the sandbox; where it ends."""
    requests = sent(fake)
    assert requests[start] == post(target, action), requests
    end = start + 1
    while end < len(requests) and requests[end] == get(sandbox_id):
        end += 1
    assert end > start + 1, f"no poll after {action} of {target}: {requests}"
    return end


def about(
    fake: FakeDaytona, target: str, sandbox_id: str | None = None
) -> list[tuple[str, str, Any]]:
    """The requests that concern one target (by the name given or its ID), in order."""
    paths = {f"/api/sandbox/{target}"} | ({f"/api/sandbox/{sandbox_id}"} if sandbox_id else set())
    return [
        request
        for request in sent(fake)
        if request[1] in paths or any(request[1].startswith(path + "/") for path in paths)
    ]


def assert_action_then_polls(fake: FakeDaytona, target: str, action: str, sandbox_id: str) -> None:
    """For one target among several: one POST of ``action``, then only GETs of the sandbox."""
    requests = about(fake, target, sandbox_id)
    assert requests[0] == post(target, action), requests
    assert len(requests) >= 2, requests
    assert set(requests[1:]) == {get(sandbox_id)}, requests


def lines(text: str) -> list[str]:
    """Lines in any order: several targets finish in whatever order they finish."""
    return sorted(text.splitlines(keepends=True))


def in_progress(path: str) -> dict[str, Any]:
    """Daytona's error body for an action while a transition is pending."""
    return {
        "path": path,
        "timestamp": "2024-10-01T12:00:00.000Z",
        "statusCode": 409,
        "error": "Conflict",
        "message": "Sandbox state change in progress",
    }


def not_found_line(target: str, prefix: bool = False) -> str:
    lead = f"{target}: " if prefix else ""
    return f"error: {lead}Sandbox with ID or name {target} not found; {NOT_FOUND_HINT}\n"


# -- start -----------------------------------------------------------------------------------


def test_start_posts_start_then_polls_until_started(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "start", "s")
    end = action_then_polls(slow.fake, "s", "start", sandbox["id"])
    assert end == len(slow.fake.requests)
    states = polls(slow.fake, sandbox["id"])
    assert len(states) >= 3, states
    assert (set(states[:-1]), states[-1]) == ({"starting"}, "started")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({sandbox['id']}) started\n",
    )
    assert (slow.fake.sandbox("s") or {}).get("state") == "started"


def test_start_of_an_archived_sandbox_waits_through_restoring(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="archived")
    result = slow("sandbox", "start", "s", "--json")
    end = action_then_polls(slow.fake, "s", "start", sandbox["id"])
    assert end == len(slow.fake.requests)
    states = polls(slow.fake, sandbox["id"])
    assert (set(states[:-1]), states[-1]) == ({"restoring"}, "started")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == [slow.fake.sandbox("s")]


def test_start_no_wait_sends_one_post_and_returns_the_starting_sandbox(slow: Slow) -> None:
    slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "start", "s", "--no-wait", "--json")
    assert sent(slow.fake) == [post("s", "start")]
    assert (result.exit_code, result.stderr) == (0, "")
    [answer] = result.json()
    assert answer == slow.fake.exchanges[0][1].json()
    assert (answer["name"], answer["desiredState"]) == ("s", "started")
    assert (slow.fake.sandbox("s") or {}).get("state") == "starting"
    assert slow.clock.sleeps == []


def test_start_no_wait_does_not_report_the_state_the_sandbox_is_leaving(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "start", "s", "--no-wait")
    assert sent(slow.fake) == [post("s", "start")]
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.count("\n") == 1
    assert sandbox["id"] in result.stderr
    # The API answers before the runner acts, still showing "stopped"; the sandbox is starting.
    assert "stopped" not in result.stderr, result.stderr
    assert "start" in result.stderr


def test_start_timeout_exits_124_naming_the_sandbox(make_slow: Callable[[float], Slow]) -> None:
    slow = make_slow(30.0)
    sandbox = slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "start", "s", "--timeout", "0.3")
    action_then_polls(slow.fake, "s", "start", sandbox["id"])
    assert set(polls(slow.fake, sandbox["id"])) == {"starting"}
    assert (result.exit_code, result.stdout) == (124, "")
    assert result.stderr.startswith(f"error: sandbox {sandbox['id']} is still starting after 0.3 s")
    assert f"daytona-cli sandbox get {sandbox['id']}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert slow.clock.now - 1000.0 == pytest.approx(0.3)


def test_starting_a_started_sandbox_succeeds_with_one_post(cli: Cli, fake: FakeDaytona) -> None:
    sandbox = fake.add_sandbox("s", state="started")
    result = cli("sandbox", "start", "s")
    assert sent(fake) == [post("s", "start")]
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({sandbox['id']}) started\n",
    )


def test_starting_a_started_sandbox_under_json_prints_it(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s", state="started")
    result = cli("sandbox", "start", "s", "--json")
    assert sent(fake) == [post("s", "start")]
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == [fake.sandbox("s")]


def test_starting_an_errored_sandbox_exits_5_with_the_servers_message(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("s", state="error", errorReason="disk full")
    result = cli("sandbox", "start", "s")
    # After a 400 one GET tells a sandbox the platform destroyed from one in another state.
    assert sent(fake) == [post("s", "start"), ("GET", "/api/sandbox/s", None)]
    assert (result.exit_code, result.stdout, result.stderr) == (
        5,
        "",
        "error: Sandbox is in an errored state\n",
    )


def test_a_start_the_server_keeps_refusing_as_in_progress_exits_5(
    cli: Cli, fake: FakeDaytona
) -> None:
    sandbox = fake.add_sandbox("s", state="stopped")
    fake.inject(
        "POST", "/sandbox/*/start", status=409, json=in_progress("/api/sandbox/s/start"), times=9
    )
    result = cli("sandbox", "start", "s")
    assert sent(fake) == [post("s", "start"), ("GET", "/api/sandbox/s", None), post("s", "start")]
    assert (result.exit_code, result.stdout, result.stderr) == (
        5,
        "",
        "error: Sandbox state change in progress\n",
    )
    assert fake.sandbox(sandbox["id"]) == sandbox


def test_a_409_under_json_is_a_conflict_error(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s", state="stopped")
    fake.inject(
        "POST", "/sandbox/*/start", status=409, json=in_progress("/api/sandbox/s/start"), times=9
    )
    result = cli("sandbox", "start", "s", "--json")
    assert sent(fake) == [post("s", "start"), ("GET", "/api/sandbox/s", None), post("s", "start")]
    # Nothing succeeded: an empty array on stdout (always JSON there); the error on stderr.
    assert (result.exit_code, result.stdout) == (5, "[]\n")
    assert json.loads(result.stderr) == {
        "error": {
            "code": "conflict",
            "message": "Sandbox state change in progress",
            "status": 409,
            "hint": None,
        }
    }


@pytest.mark.parametrize(
    ("args", "request_sent"),
    [
        (("start", "nope"), post("nope", "start")),
        (("stop", "nope"), post("nope", "stop")),
        (("delete", "nope", "--yes"), delete("nope")),
    ],
    ids=["start", "stop", "delete"],
)
def test_a_missing_sandbox_exits_3_after_one_request(
    cli: Cli, fake: FakeDaytona, args: tuple[str, ...], request_sent: Any
) -> None:
    result = cli("sandbox", *args)
    assert sent(fake) == [request_sent]
    assert (result.exit_code, result.stdout, result.stderr) == (3, "", not_found_line("nope"))


def test_start_of_several_waits_for_each_and_prints_a_json_array_in_the_order_given(
    slow: Slow,
) -> None:
    a = slow.fake.add_sandbox("a", state="stopped")
    b = slow.fake.add_sandbox("b", state="archived")
    result = slow("sandbox", "start", "b", "a", "--json")
    assert_action_then_polls(slow.fake, "a", "start", a["id"])
    assert_action_then_polls(slow.fake, "b", "start", b["id"])
    assert len(about(slow.fake, "a", a["id"])) + len(about(slow.fake, "b", b["id"])) == len(
        slow.fake.requests
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == [slow.fake.sandbox("b"), slow.fake.sandbox("a")]
    assert [item["state"] for item in result.json()] == ["started", "started"]


def test_start_of_several_with_one_missing_starts_the_others_and_exits_3(slow: Slow) -> None:
    a = slow.fake.add_sandbox("a", state="stopped")
    b = slow.fake.add_sandbox("b", state="stopped")
    result = slow("sandbox", "start", "a", "nope", "b")
    assert_action_then_polls(slow.fake, "a", "start", a["id"])
    assert_action_then_polls(slow.fake, "b", "start", b["id"])
    assert about(slow.fake, "nope") == [post("nope", "start")]
    assert (result.exit_code, result.stdout) == (3, "")
    assert lines(result.stderr) == lines(
        f"Sandbox a ({a['id']}) started\n"
        + not_found_line("nope", prefix=True)
        + f"Sandbox b ({b['id']}) started\n"
    )
    assert [(slow.fake.sandbox(n) or {}).get("state") for n in "ab"] == ["started", "started"]


def test_with_parallel_1_several_targets_are_handled_one_after_another(slow: Slow) -> None:
    a = slow.fake.add_sandbox("a", state="stopped")
    b = slow.fake.add_sandbox("b", state="stopped")
    result = slow("sandbox", "start", "a", "nope", "b", "--parallel", "1")
    middle = action_then_polls(slow.fake, "a", "start", a["id"])
    assert sent(slow.fake)[middle] == post("nope", "start")
    end = action_then_polls(slow.fake, "b", "start", b["id"], start=middle + 1)
    assert end == len(slow.fake.requests)
    assert (result.exit_code, result.stdout, result.stderr) == (
        3,
        "",
        f"Sandbox a ({a['id']}) started\n"
        + not_found_line("nope", prefix=True)
        + f"Sandbox b ({b['id']}) started\n",
    )


# -- stop ------------------------------------------------------------------------------------


def test_stop_posts_stop_then_polls_until_stopped(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="started")
    result = slow("sandbox", "stop", "s")
    end = action_then_polls(slow.fake, "s", "stop", sandbox["id"])
    assert end == len(slow.fake.requests)
    states = polls(slow.fake, sandbox["id"])
    assert len(states) >= 3, states
    assert (set(states[:-1]), states[-1]) == ({"stopping"}, "stopped")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({sandbox['id']}) stopped\n",
    )


def test_stop_no_wait_sends_one_post_and_returns_the_stopping_sandbox(slow: Slow) -> None:
    slow.fake.add_sandbox("s", state="started")
    result = slow("sandbox", "stop", "s", "--no-wait", "--json")
    assert sent(slow.fake) == [post("s", "stop")]
    assert (result.exit_code, result.stderr) == (0, "")
    [answer] = result.json()
    assert answer == slow.fake.exchanges[0][1].json()
    assert (answer["name"], answer["desiredState"]) == ("s", "stopped")
    assert (slow.fake.sandbox("s") or {}).get("state") == "stopping"
    assert slow.clock.sleeps == []


def test_stop_no_wait_does_not_report_the_state_the_sandbox_is_leaving(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="started")
    result = slow("sandbox", "stop", "s", "--no-wait")
    assert sent(slow.fake) == [post("s", "stop")]
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.count("\n") == 1
    assert sandbox["id"] in result.stderr
    # The API answers before the runner acts, still showing "started"; the sandbox is stopping.
    assert "started" not in result.stderr, result.stderr
    assert "stop" in result.stderr


def test_stop_timeout_exits_124_naming_the_sandbox(make_slow: Callable[[float], Slow]) -> None:
    slow = make_slow(30.0)
    sandbox = slow.fake.add_sandbox("s", state="started")
    result = slow("sandbox", "stop", "s", "--timeout", "0.3")
    action_then_polls(slow.fake, "s", "stop", sandbox["id"])
    assert set(polls(slow.fake, sandbox["id"])) == {"stopping"}
    assert (result.exit_code, result.stdout) == (124, "")
    assert result.stderr.startswith(f"error: sandbox {sandbox['id']} is still stopping after 0.3 s")
    assert f"daytona-cli sandbox get {sandbox['id']}" in result.stderr
    assert result.stderr.count("\n") == 1


def test_stopping_a_stopped_sandbox_succeeds_once_a_get_confirms_it(
    cli: Cli, fake: FakeDaytona
) -> None:
    sandbox = fake.add_sandbox("s", state="stopped")
    result = cli("sandbox", "stop", "s")
    assert sent(fake) == [post("s", "stop"), ("GET", "/api/sandbox/s", None)]
    assert fake.exchanges[0][1].status_code == 400
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({sandbox['id']}) stopped\n",
    )


def test_stopping_a_stopped_sandbox_under_json_prints_it(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s", state="stopped")
    result = cli("sandbox", "stop", "s", "--json")
    assert sent(fake) == [post("s", "stop"), ("GET", "/api/sandbox/s", None)]
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == [fake.sandbox("s")]


def test_stopping_an_archived_sandbox_succeeds(cli: Cli, fake: FakeDaytona) -> None:
    sandbox = fake.add_sandbox("s", state="archived")
    result = cli("sandbox", "stop", "s")
    assert sent(fake) == [post("s", "stop"), ("GET", "/api/sandbox/s", None)]
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({sandbox['id']}) archived\n",
    )
    assert (fake.sandbox("s") or {}).get("state") == "archived"


def test_stopping_an_auto_delete_zero_sandbox_counts_as_stopped(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="started", autoDeleteInterval=0)
    result = slow("sandbox", "stop", "s", "--json")
    end = action_then_polls(slow.fake, "s", "stop", sandbox["id"])
    assert end == len(slow.fake.requests)
    states = polls(slow.fake, sandbox["id"])
    assert states[0] == "stopping"
    assert states[-1] in ("destroying", "404")
    assert (result.exit_code, result.stderr) == (0, "")
    [answer] = result.json()
    assert answer["id"] == sandbox["id"]
    assert answer["state"] in ("destroying", "destroyed")
    slow.clock.sleep(10)
    assert slow.fake.sandbox("s") is None


def test_stopping_an_auto_delete_zero_sandbox_says_it_is_going(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="started", autoDeleteInterval=0)
    result = slow("sandbox", "stop", "s")
    action_then_polls(slow.fake, "s", "stop", sandbox["id"])
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr in (
        f"Sandbox s ({sandbox['id']}) destroying\n",
        f"Sandbox s ({sandbox['id']}) destroyed\n",
    )


def test_stopping_a_paused_sandbox_says_to_resume_it_first(cli: Cli, fake: FakeDaytona) -> None:
    vm = fake.add_sandbox("vm", state="paused", sandboxClass="linux-vm")
    result = cli("sandbox", "stop", "vm")
    assert sent(fake) == [post("vm", "stop"), ("GET", "/api/sandbox/vm", None)]
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: sandbox vm ({vm['id']}) is paused; only a started sandbox can be stopped; "
        "resume it with `daytona-cli sandbox start vm`, then stop it\n"
    )
    assert (fake.sandbox("vm") or {})["state"] == "paused"


def test_stopping_an_errored_sandbox_exits_5_with_the_servers_message(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("s", state="error")
    result = cli("sandbox", "stop", "s")
    assert sent(fake) == [post("s", "stop"), ("GET", "/api/sandbox/s", None)]
    assert (result.exit_code, result.stdout, result.stderr) == (
        5,
        "",
        "error: Sandbox is not in a stoppable state\n",
    )


def test_stop_while_a_start_is_under_way_waits_for_it_then_stops(slow: Slow) -> None:
    sandbox = slow.fake.add_sandbox("s", state="stopped")
    assert slow("sandbox", "start", "s", "--no-wait").exit_code == 0
    before = len(slow.fake.requests)
    result = slow("sandbox", "stop", "s")
    requests = sent(slow.fake)[before:]
    assert requests[:2] == [post("s", "stop"), ("GET", "/api/sandbox/s", None)]
    assert slow.fake.exchanges[before][1].status_code == 409
    retry = requests.index(post("s", "stop"), 1)
    assert set(requests[2:retry]) == {get(sandbox["id"])}
    action_then_polls(slow.fake, "s", "stop", sandbox["id"], start=before + retry)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({sandbox['id']}) stopped\n",
    )


def test_a_stop_the_server_keeps_refusing_as_in_progress_exits_5(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("s", state="started")
    fake.inject(
        "POST", "/sandbox/*/stop", status=409, json=in_progress("/api/sandbox/s/stop"), times=9
    )
    result = cli("sandbox", "stop", "s")
    assert sent(fake) == [post("s", "stop"), ("GET", "/api/sandbox/s", None), post("s", "stop")]
    assert (result.exit_code, result.stdout, result.stderr) == (
        5,
        "",
        "error: Sandbox state change in progress\n",
    )
    assert (fake.sandbox("s") or {}).get("state") == "started"


def test_stop_of_several_with_one_missing_stops_the_others_and_exits_3(slow: Slow) -> None:
    a = slow.fake.add_sandbox("a", state="started")
    b = slow.fake.add_sandbox("b", state="started")
    result = slow("sandbox", "stop", "a", "nope", "b")
    assert_action_then_polls(slow.fake, "a", "stop", a["id"])
    assert_action_then_polls(slow.fake, "b", "stop", b["id"])
    assert about(slow.fake, "nope") == [post("nope", "stop")]
    assert (result.exit_code, result.stdout) == (3, "")
    assert lines(result.stderr) == lines(
        f"Sandbox a ({a['id']}) stopped\n"
        + not_found_line("nope", prefix=True)
        + f"Sandbox b ({b['id']}) stopped\n"
    )
    assert [(slow.fake.sandbox(n) or {}).get("state") for n in "ab"] == ["stopped", "stopped"]


def test_stop_of_several_under_json_prints_the_final_objects_and_errors_as_json(
    slow: Slow,
) -> None:
    a = slow.fake.add_sandbox("a", state="started")
    b = slow.fake.add_sandbox("b", state="stopped")
    result = slow("sandbox", "stop", "a", "gone", "b", "--json")
    assert_action_then_polls(slow.fake, "a", "stop", a["id"])
    assert about(slow.fake, "gone") == [post("gone", "stop")]
    assert about(slow.fake, "b", b["id"]) == [post("b", "stop"), ("GET", "/api/sandbox/b", None)]
    assert (result.exit_code, result.json()) == (3, [slow.fake.sandbox("a"), b])
    assert [item["state"] for item in result.json()] == ["stopped", "stopped"]
    assert json.loads(result.stderr) == {
        "error": {
            "code": "not_found",
            "message": "gone: Sandbox with ID or name gone not found",
            "status": 404,
            "hint": NOT_FOUND_HINT,
        }
    }


@pytest.mark.parametrize(
    ("order", "code"),
    [(["nope", "broken"], 3), (["broken", "nope"], 5)],
    ids=["missing-first", "errored-first"],
)
def test_with_several_failures_the_exit_code_is_the_first_failures(
    cli: Cli, fake: FakeDaytona, order: list[str], code: int
) -> None:
    fake.add_sandbox("broken", state="error")
    result = cli("sandbox", "stop", *order)
    assert sorted(request for request in sent(fake) if request[0] == "POST") == sorted(
        post(target, "stop") for target in order
    )
    assert about(fake, "broken") == [post("broken", "stop"), ("GET", "/api/sandbox/broken", None)]
    error_lines = {
        "nope": not_found_line("nope", prefix=True),
        "broken": "error: broken: Sandbox is not in a stoppable state\n",
    }
    assert (result.exit_code, result.stdout) == (code, "")
    assert lines(result.stderr) == lines("".join(error_lines.values()))


# -- delete ----------------------------------------------------------------------------------


def test_delete_without_yes_and_without_a_terminal_refuses_with_exit_2(
    cli: Cli, fake: FakeDaytona
) -> None:
    sandbox = fake.add_sandbox("s")
    result = cli("sandbox", "delete", "s")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(REFUSAL)
    assert result.stderr.count("\n") == 1
    assert fake.requests == []
    assert fake.sandbox("s") == sandbox


def test_the_refusal_under_json_is_a_usage_error_on_stderr(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("s")
    result = cli("sandbox", "delete", "s", "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["status"]) == ("usage", None)
    assert error["message"] == "refusing to delete without confirmation: no terminal to ask on"
    assert "--yes" in error["hint"]
    assert fake.requests == []


@pytest.mark.parametrize("answer", ["y\n", "yes\n", "Y\n"])
def test_on_a_terminal_delete_asks_and_an_answer_of_yes_deletes(
    cli: Cli, fake: FakeDaytona, answer: str
) -> None:
    sandbox = fake.add_sandbox("s")
    result = cli("sandbox", "delete", "s", tty=True, stdin=answer)
    assert sent(fake) == [get("s"), delete(sandbox["id"])]
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith(prompt(sandbox))
    assert f"Deletion of sandbox s ({sandbox['id']}) started\n" in result.stderr
    assert (fake.sandbox("s") or {}).get("state") in (None, "destroying")


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "maybe\n"], ids=["n", "enter", "eof", "other"])
def test_on_a_terminal_any_other_answer_deletes_nothing_and_fails(
    cli: Cli, fake: FakeDaytona, answer: str
) -> None:
    a = fake.add_sandbox("a")
    b = fake.add_sandbox("b")
    result = cli("sandbox", "delete", "a", "b", tty=True, stdin=answer)
    assert sent(fake) == [get("a"), get("b")]
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(prompt(a, b))
    assert "cancelled; nothing was deleted" in result.stderr
    assert result.stderr.endswith("\n")
    assert (fake.sandbox("a"), fake.sandbox("b")) == (a, b)


@pytest.mark.parametrize("variable", ["CI", "DAYTONA_NO_INPUT"])
def test_on_a_terminal_with_ci_or_no_input_set_delete_refuses_like_without_one(
    cli: Cli, fake: FakeDaytona, variable: str
) -> None:
    sandbox = fake.add_sandbox("s")
    result = cli("sandbox", "delete", "s", tty=True, stdin="y\n", env={variable: "1"})
    assert fake.requests == []
    assert (result.exit_code, result.stdout) == (2, "")
    assert "[y/N]" not in result.stderr
    assert "refusing to delete without confirmation" in result.stderr
    assert "pass --yes" in result.stderr
    assert result.stderr.count("\n") == 1
    assert fake.sandbox("s") == sandbox


@pytest.mark.parametrize("flag", ["--yes", "-y"])
def test_yes_deletes_several_with_one_delete_each(cli: Cli, fake: FakeDaytona, flag: str) -> None:
    a = fake.add_sandbox("a")
    b = fake.add_sandbox("b", state="stopped")
    result = cli("sandbox", "delete", "a", "b", flag)
    assert sorted(sent(fake)) == [delete("a"), delete("b")]
    assert (result.exit_code, result.stdout) == (0, "")
    assert lines(result.stderr) == [
        f"Deletion of sandbox a ({a['id']}) started\n",
        f"Deletion of sandbox b ({b['id']}) started\n",
    ]


def test_yes_also_works_on_a_terminal_without_asking(cli: Cli, fake: FakeDaytona) -> None:
    sandbox = fake.add_sandbox("s")
    result = cli("sandbox", "delete", "s", "--yes", tty=True, stdin="n\n")
    assert sent(fake) == [delete("s")]
    assert (result.exit_code, result.stdout) == (0, "")
    assert "[y/N]" not in result.stderr
    assert f"Deletion of sandbox s ({sandbox['id']}) started" in result.stderr


def test_deleted_sandboxes_are_gone_once_the_transition_ends(slow: Slow) -> None:
    a = slow.fake.add_sandbox("a")
    b = slow.fake.add_sandbox("b", state="stopped")
    result = slow("sandbox", "delete", "a", "b", "--yes")
    assert sorted(sent(slow.fake)) == [delete("a"), delete("b")]
    assert (result.exit_code, result.stdout) == (0, "")
    assert lines(result.stderr) == [
        f"Deletion of sandbox a ({a['id']}) started\n",
        f"Deletion of sandbox b ({b['id']}) started\n",
    ]
    assert slow.clock.sleeps == [], "delete returns once the API accepted it"
    # Daytona renames a sandbox the moment it is deleted: the name is free again at once.
    assert slow.fake.sandbox("a") is None
    assert (slow.fake.sandbox(a["id"]) or {}).get("state") == "destroying"
    slow.clock.sleep(1.0)
    assert (slow.fake.sandbox(a["id"]), slow.fake.sandbox(b["id"])) == (None, None)
    assert slow.fake.sandboxes == {}


def test_delete_under_json_prints_an_array_of_the_apis_answers(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("a")
    fake.add_sandbox("b")
    result = cli("sandbox", "delete", "a", "b", "--yes", "--json")
    assert sorted(sent(fake)) == [delete("a"), delete("b")]
    assert (result.exit_code, result.stderr) == (0, "")
    answers = {request.url.path: response.json() for request, response in fake.exchanges}
    # The API's own objects, but named as the user knew them, not as Daytona renamed them.
    assert answers["/api/sandbox/a"]["name"].startswith("DESTROYED_a_")
    assert answers["/api/sandbox/b"]["name"].startswith("DESTROYED_b_")
    assert result.json() == [
        {**answers["/api/sandbox/a"], "name": "a"},
        {**answers["/api/sandbox/b"], "name": "b"},
    ]
    assert [item["state"] for item in result.json()] == ["destroying", "destroying"]


def test_delete_of_several_with_one_missing_deletes_the_others_and_exits_3(
    cli: Cli, fake: FakeDaytona
) -> None:
    a = fake.add_sandbox("a")
    b = fake.add_sandbox("b")
    result = cli("sandbox", "delete", "a", "nope", "b", "--yes")
    assert sorted(sent(fake)) == sorted([delete("a"), delete("nope"), delete("b")])
    assert (result.exit_code, result.stdout) == (3, "")
    assert lines(result.stderr) == lines(
        f"Deletion of sandbox a ({a['id']}) started\n"
        + not_found_line("nope", prefix=True)
        + f"Deletion of sandbox b ({b['id']}) started\n"
    )
    assert (fake.sandbox("a") or {}).get("state") in (None, "destroying")
    assert (fake.sandbox("b") or {}).get("state") in (None, "destroying")


# -- no target -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["start", "stop", "delete"])
def test_no_target_is_a_usage_error_that_touches_nothing(
    cli: Cli, fake: FakeDaytona, command: str
) -> None:
    fake.add_sandbox("s")
    extra = ["--yes"] if command == "delete" else []
    result = cli("sandbox", command, *extra)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: nothing to {command}: give sandbox names or IDs")
    assert "--all" in result.stderr
    assert result.stderr.count("\n") == 1
    assert fake.requests == []


# -- over real HTTP (the installed command's own run is in test_end_to_end.py) ------------------


def test_create_stop_start_and_delete_over_real_http_to_loopback(
    fake: FakeDaytona, served: str, cli: Cli
) -> None:
    cli.transport = lambda: None  # real sockets, to the fake on loopback (and real time)
    cli.env["DAYTONA_API_URL"] = served
    created = cli("sandbox", "create", "--name", "e2e", "--json")
    assert (created.exit_code, created.stderr) == (0, ""), created
    sandbox = created.json()
    assert (sandbox["name"], sandbox["state"]) == ("e2e", "started")
    sandbox_id = sandbox["id"]

    stopped = cli("sandbox", "stop", "e2e")
    assert (stopped.exit_code, stopped.stdout, stopped.stderr) == (
        0,
        "",
        f"Sandbox e2e ({sandbox_id}) stopped\n",
    )
    assert (fake.sandbox("e2e") or {}).get("state") == "stopped"

    started = cli("sandbox", "start", "e2e")
    assert (started.exit_code, started.stdout, started.stderr) == (
        0,
        "",
        f"Sandbox e2e ({sandbox_id}) started\n",
    )
    assert (fake.sandbox("e2e") or {}).get("state") == "started"

    deleted = cli("sandbox", "delete", "e2e", "--yes")
    assert (deleted.exit_code, deleted.stdout, deleted.stderr) == (
        0,
        "",
        f"Deletion of sandbox e2e ({sandbox_id}) started\n",
    )
    assert (fake.sandbox("e2e") or {}).get("state") in (None, "destroying")

    actions = [
        (method, path)
        for method, path, _ in sent(fake)
        if not (method == "GET" and path == f"/api/sandbox/{sandbox_id}")
    ]
    assert actions == [
        ("POST", "/api/sandbox"),
        ("POST", "/api/sandbox/e2e/stop"),
        ("POST", "/api/sandbox/e2e/start"),
        ("DELETE", "/api/sandbox/e2e"),
    ]
    assert len(sent(fake)) > len(actions), "create, stop and start each polled the sandbox"
