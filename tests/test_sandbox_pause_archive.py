"""`daytona-cli sandbox pause | archive`, and what brings them back: `start` (a restore's longer
default timeout), `exec --start`, `wait --for paused|archived` (issue 12).

Tests that count polls or time run the fake and the CLI on one virtual clock (`slow`), so
nothing really waits. Each checks the exit code, stdout, stderr and the requests the fake got.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, Slow
from tests.fake_daytona import FakeDaytona
from tests.test_completion import complete
from tests.test_readme import says

VM = {"sandboxClass": "linux-vm"}
NOT_PAUSABLE = (
    "Pausing is not supported for this sandbox; only VM sandboxes (class linux-vm or windows) "
    "can pause; a container sandbox stops instead (`daytona-cli sandbox stop {target}`), which "
    "frees its CPU and memory too"
)


def sent(fake: FakeDaytona) -> list[tuple[str, str]]:
    """(method, path) of every request, in order, without the /api prefix."""
    return [(r.method, r.url.path.removeprefix("/api")) for r in fake.requests]


def mutations(fake: FakeDaytona) -> list[tuple[str, str]]:
    return [(method, path) for method, path in sent(fake) if method != "GET"]


def polls(fake: FakeDaytona, sandbox_id: str) -> list[str]:
    """The state in each answer to GET /sandbox/<id>, in order."""
    return [
        response.json()["state"]
        for request, response in fake.exchanges
        if request.method == "GET" and request.url.path == f"/api/sandbox/{sandbox_id}"
    ]


def state(fake: FakeDaytona, name: str) -> str:
    return str((fake.sandbox(name) or {}).get("state"))


def rows(stdout: str) -> dict[str, list[str]]:
    """A piped outcome table: name -> [id, result]."""
    return {line.split("\t")[0]: line.split("\t")[1:] for line in stdout.splitlines()}


# -- pause -----------------------------------------------------------------------------------


def test_pause_posts_pause_then_polls_until_paused(slow: Slow) -> None:
    vm = slow.fake.add_sandbox("vm", **VM)
    result = slow("sandbox", "pause", "vm")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox vm ({vm['id']}) paused\n",
    )
    assert sent(slow.fake)[0] == ("POST", "/sandbox/vm/pause")
    assert set(sent(slow.fake)[1:]) == {("GET", f"/sandbox/{vm['id']}")}
    states = polls(slow.fake, vm["id"])
    assert (set(states[:-1]), states[-1]) == ({"pausing"}, "paused")
    assert state(slow.fake, "vm") == "paused"


def test_pausing_a_paused_sandbox_succeeds_once_a_get_confirms_it(
    cli: Cli, fake: FakeDaytona
) -> None:
    vm = fake.add_sandbox("vm", state="paused", **VM)
    result = cli("sandbox", "pause", "vm", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [item["state"] for item in result.json()] == ["paused"]
    assert sent(fake) == [("POST", "/sandbox/vm/pause"), ("GET", "/sandbox/vm")]
    assert fake.exchanges[0][1].status_code == 400
    again = cli("sandbox", "pause", vm["id"])
    assert (again.exit_code, again.stderr) == (0, f"Sandbox vm ({vm['id']}) paused\n")


def test_pausing_a_container_sandbox_is_one_line_and_exit_5(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("box")
    result = cli("sandbox", "pause", "box")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == "error: " + NOT_PAUSABLE.format(target="box") + "\n"
    assert sent(fake) == [("POST", "/sandbox/box/pause")]
    assert fake.exchanges[0][1].status_code == 422
    assert state(fake, "box") == "started"


def test_pausing_a_container_sandbox_under_json_is_a_conflict_error(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("box")
    result = cli("sandbox", "pause", "box", "--json")
    assert (result.exit_code, result.stdout) == (5, "[]\n")
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["status"]) == ("conflict", 422)
    assert error["message"] == "Pausing is not supported for this sandbox"
    assert "linux-vm" in error["hint"]


@pytest.mark.parametrize(
    ("current", "hint"),
    [
        (
            "stopped",
            "it already uses no CPU or memory: to free its disk too, archive it with "
            "`daytona-cli sandbox archive vm`",
        ),
        ("archived", "nothing to pause: an archived sandbox uses no CPU, memory or disk"),
    ],
    ids=["stopped", "archived"],
)
def test_pausing_a_stopped_sandbox_says_there_is_nothing_to_pause_and_what_frees_more(
    cli: Cli, fake: FakeDaytona, current: str, hint: str
) -> None:
    # Starting it only to pause it would gain nothing: the hint must not send people there.
    vm = fake.add_sandbox("vm", state=current, **VM)
    result = cli("sandbox", "pause", "vm")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: sandbox vm ({vm['id']}) is {current}; only a started sandbox can be paused; "
        f"{hint}\n"
    )
    assert mutations(fake) == [("POST", "/sandbox/vm/pause")]
    assert state(fake, "vm") == current


def test_pause_no_wait_sends_one_post_and_says_the_pause_was_requested(slow: Slow) -> None:
    vm = slow.fake.add_sandbox("vm", **VM)
    result = slow("sandbox", "pause", "vm", "--no-wait")
    assert sent(slow.fake) == [("POST", "/sandbox/vm/pause")]
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"Sandbox vm ({vm['id']}): pause requested\n"
    assert state(slow.fake, "vm") == "pausing"
    assert slow.clock.sleeps == []


def test_pause_timeout_exits_124_naming_the_sandbox(make_slow: Callable[[float], Slow]) -> None:
    slow = make_slow(30.0)
    vm = slow.fake.add_sandbox("vm", **VM)
    result = slow("sandbox", "pause", "vm", "--timeout", "2")
    assert (result.exit_code, result.stdout) == (124, "")
    assert result.stderr.startswith(
        f"error: sandbox {vm['id']} is still pausing after 2 s; was waiting for paused"
    )
    assert slow.clock.now - 1000.0 == pytest.approx(2)


def test_a_bulk_pause_over_mixed_classes_pauses_the_vms_and_fails_the_container(
    cli: Cli, fake: FakeDaytona
) -> None:
    vm1 = fake.add_sandbox("vm-1", labels={"pool": "p"}, **VM)
    box = fake.add_sandbox("box", labels={"pool": "p"})
    vm2 = fake.add_sandbox("vm-2", labels={"pool": "p"}, sandboxClass="windows")
    result = cli("sandbox", "pause", "-l", "pool=p", "--yes")
    assert result.exit_code == 5, result
    assert rows(result.stdout) == {
        "vm-1": [vm1["id"], "paused"],
        "box": [box["id"], "failed: Pausing is not supported for this sandbox"],
        "vm-2": [vm2["id"], "paused"],
    }
    assert result.stderr == "2 of 3 paused.\n"
    assert sorted(mutations(fake)) == sorted(
        ("POST", f"/sandbox/{s['id']}/pause") for s in (vm1, box, vm2)
    )
    assert [state(fake, n) for n in ("vm-1", "box", "vm-2")] == ["paused", "started", "paused"]


def test_a_bulk_pause_under_json_reports_each_outcome(cli: Cli, fake: FakeDaytona) -> None:
    vm = fake.add_sandbox("vm", labels={"pool": "p"}, **VM)
    box = fake.add_sandbox("box", labels={"pool": "p"})
    result = cli("sandbox", "pause", "--all", "--yes", "--json")
    assert (result.exit_code, result.stderr) == (5, "")
    assert sorted(result.json(), key=lambda r: r["name"]) == [
        {"id": box["id"], "name": "box", "ok": False,
         "error": "Pausing is not supported for this sandbox"},
        {"id": vm["id"], "name": "vm", "ok": True, "error": None},
    ]  # fmt: skip


def test_several_named_targets_report_each_and_exit_with_the_first_failure(
    cli: Cli, fake: FakeDaytona
) -> None:
    vm = fake.add_sandbox("vm", **VM)
    fake.add_sandbox("box")
    result = cli("sandbox", "pause", "box", "vm", "ghost")
    assert (result.exit_code, result.stdout) == (5, "")
    assert sorted(result.stderr.splitlines()) == sorted(
        [
            "error: box: " + NOT_PAUSABLE.format(target="box"),
            f"Sandbox vm ({vm['id']}) paused",
            "error: ghost: Sandbox with ID or name ghost not found; "
            "list sandboxes with `daytona-cli sandbox list`",
        ]
    )


def test_pause_with_selectors_asks_first_and_refuses_without_a_terminal(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("vm", **VM)
    result = cli("sandbox", "pause", "--all")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("error: refusing to pause without confirmation")
    asked = cli("sandbox", "pause", "--all", tty=True, stdin="y\n")
    assert asked.exit_code == 0, asked
    assert "Pause 1 sandbox:" in asked.stderr and "Pause it? [y/N]: " in asked.stderr
    assert state(fake, "vm") == "paused"


def test_pause_dry_run_and_max_change_nothing(cli: Cli, fake: FakeDaytona) -> None:
    vm = fake.add_sandbox("vm", **VM)
    fake.add_sandbox("vm-2", **VM)
    dry = cli("sandbox", "pause", "vm", "--dry-run")
    assert (dry.exit_code, dry.stdout) == (0, f"vm\t{vm['id']}\twould pause\n")
    too_many = cli("sandbox", "pause", "--all", "--max", "1", "--yes")
    assert too_many.exit_code == 2, too_many
    assert mutations(fake) == []


# -- archive ---------------------------------------------------------------------------------


def test_archive_posts_archive_then_polls_until_archived(slow: Slow) -> None:
    s = slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "archive", "s")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({s['id']}) archived\n",
    )
    assert sent(slow.fake)[0] == ("POST", "/sandbox/s/archive")
    states = polls(slow.fake, s["id"])
    assert (set(states[:-1]), states[-1]) == ({"archiving"}, "archived")


def test_archiving_an_archived_sandbox_succeeds(cli: Cli, fake: FakeDaytona) -> None:
    s = fake.add_sandbox("s", state="archived")
    result = cli("sandbox", "archive", "s")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        f"Sandbox s ({s['id']}) archived\n",
    )
    assert mutations(fake) == [("POST", "/sandbox/s/archive")]


@pytest.mark.parametrize("stop_first", [[], ["--stop"]], ids=["archive", "archive-stop"])
def test_archiving_a_paused_sandbox_says_to_resume_it_then_archive_with_stop(
    cli: Cli, fake: FakeDaytona, stop_first: list[str]
) -> None:
    # Neither stop nor archive takes a paused sandbox, --stop included: it must resume first.
    vm = fake.add_sandbox("vm", state="paused", **VM)
    result = cli("sandbox", "archive", "vm", *stop_first)
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: sandbox vm ({vm['id']}) is paused; only a stopped sandbox can be archived; "
        "resume it with `daytona-cli sandbox start vm`, then stop and archive it with "
        "`daytona-cli sandbox archive --stop vm`\n"
    )
    assert mutations(fake) == [("POST", "/sandbox/vm/archive")]
    assert state(fake, "vm") == "paused"
    says("A paused sandbox can be neither stopped nor archived, `--stop` or not: both say to")
    says("Pausing a stopped sandbox is refused too (exit 5): it already uses no CPU or memory")


def test_archiving_a_started_sandbox_is_refused_with_a_hint_to_stop_it(
    cli: Cli, fake: FakeDaytona
) -> None:
    s = fake.add_sandbox("s")
    result = cli("sandbox", "archive", "s")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: sandbox s ({s['id']}) is started; only a stopped sandbox can be archived; "
        "stop it first with `daytona-cli sandbox stop s`, or pass --stop to stop and archive it\n"
    )
    assert mutations(fake) == [("POST", "/sandbox/s/archive")]
    assert state(fake, "s") == "started"


def test_archive_stop_stops_waits_then_archives(slow: Slow) -> None:
    s = slow.fake.add_sandbox("s")
    result = slow("sandbox", "archive", "s", "--stop", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [item["state"] for item in result.json()] == ["archived"]
    assert mutations(slow.fake) == [
        ("POST", "/sandbox/s/archive"),
        ("POST", f"/sandbox/{s['id']}/stop"),
        ("POST", f"/sandbox/{s['id']}/archive"),
    ]
    states = polls(slow.fake, s["id"])
    assert states.index("stopped") < states.index("archiving") < states.index("archived")
    assert "stopping" in states


def test_archive_stop_of_an_auto_delete_zero_sandbox_says_nothing_is_left(
    cli: Cli, fake: FakeDaytona
) -> None:
    s = fake.add_sandbox("tmp", autoDeleteInterval=0)
    result = cli("sandbox", "archive", "tmp", "--stop")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: sandbox tmp ({s['id']}) was deleted when it stopped (auto-delete 0); "
        "there is nothing to archive\n"
    )
    assert mutations(fake) == [
        ("POST", "/sandbox/tmp/archive"),
        ("POST", f"/sandbox/{s['id']}/stop"),
    ]


def test_archive_no_wait_returns_once_the_api_accepted_it(slow: Slow) -> None:
    s = slow.fake.add_sandbox("s", state="stopped")
    result = slow("sandbox", "archive", "s", "--no-wait")
    assert sent(slow.fake) == [("POST", "/sandbox/s/archive")]
    assert (result.exit_code, result.stderr) == (0, f"Sandbox s ({s['id']}): archive requested\n")
    assert state(slow.fake, "s") == "archiving"


def test_archive_by_state_selector_archives_only_the_stopped_ones(
    cli: Cli, fake: FakeDaytona
) -> None:
    cold = fake.add_sandbox("cold", state="stopped")
    warm = fake.add_sandbox("warm")
    result = cli("sandbox", "archive", "--state", "stopped", "--yes", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == [{"id": cold["id"], "name": "cold", "ok": True, "error": None}]
    assert mutations(fake) == [("POST", f"/sandbox/{cold['id']}/archive")]
    assert (state(fake, "cold"), fake.sandbox("warm")) == ("archived", warm)


def test_a_bulk_archive_reports_a_started_one_as_its_own_failure(
    cli: Cli, fake: FakeDaytona
) -> None:
    cold = fake.add_sandbox("cold", state="stopped", labels={"team": "ci"})
    warm = fake.add_sandbox("warm", labels={"team": "ci"})
    result = cli("sandbox", "archive", "-l", "team=ci", "--yes")
    assert result.exit_code == 5, result
    table = rows(result.stdout)
    assert table["cold"] == [cold["id"], "archived"]
    assert table["warm"] == [
        warm["id"],
        f"failed: sandbox warm ({warm['id']}) is started; only a stopped sandbox can be archived",
    ]
    assert result.stderr == "1 of 2 archived.\n"


# -- start, exec --start and wait bring them back ---------------------------------------------


def test_start_resumes_a_paused_sandbox(slow: Slow) -> None:
    vm = slow.fake.add_sandbox("vm", state="paused", **VM)
    result = slow("sandbox", "start", "vm")
    assert (result.exit_code, result.stderr) == (0, f"Sandbox vm ({vm['id']}) started\n")
    states = polls(slow.fake, vm["id"])
    assert (set(states[:-1]), states[-1]) == ({"resuming"}, "started")


def test_a_restore_gives_up_after_600_s_and_says_so(make_slow: Callable[[float], Slow]) -> None:
    slow = make_slow(100.0)
    slow.fake.restore_seconds = 5000.0
    cold = slow.fake.add_sandbox("cold", state="archived")
    result = slow("sandbox", "start", "cold")
    assert result.exit_code == 124, result
    assert result.stderr.startswith(
        f"error: sandbox {cold['id']} is still restoring after 10 min; was waiting for started"
    )


def test_a_start_keeps_its_180_s_default_and_an_explicit_timeout_wins(
    make_slow: Callable[[float], Slow],
) -> None:
    slow = make_slow(300.0)
    s = slow.fake.add_sandbox("s", state="stopped")
    slow.fake.add_sandbox("cold", state="archived")
    start = slow("sandbox", "start", "s")
    assert start.exit_code == 124, start
    assert f"sandbox {s['id']} is still starting after 180 s" in start.stderr
    restore = slow("sandbox", "start", "cold", "--timeout", "30")
    assert restore.exit_code == 124, restore
    assert "is still restoring after 30 s" in restore.stderr


def brought_back_then_run(fake: FakeDaytona, name: str, sandbox_id: str, passing: str) -> None:
    """One GET by name, one start, polls through ``passing`` until ``started``, and only then
    the command (the one-shot route, `--merged`)."""
    states = polls(fake, sandbox_id)
    assert (set(states[:-1]), states[-1]) == ({passing}, "started")
    assert sent(fake) == [
        ("GET", f"/sandbox/{name}"),
        ("POST", f"/sandbox/{sandbox_id}/start"),
        *[("GET", f"/sandbox/{sandbox_id}")] * len(states),
        ("POST", f"/toolbox/{sandbox_id}/process/execute"),
    ]
    assert json.loads(fake.requests[-1].content) == {"command": "echo back"}
    assert state(fake, name) == "started"


def test_exec_start_resumes_a_paused_vm_sandbox_then_runs_the_command(slow: Slow) -> None:
    vm = slow.fake.add_sandbox("vm", state="paused", **VM)
    result = slow("sandbox", "exec", "--merged", "vm", "--start", "--", "echo", "back")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "back\n", "")
    brought_back_then_run(slow.fake, "vm", vm["id"], "resuming")


def test_exec_start_restores_an_archived_sandbox_with_the_longer_default(
    make_slow: Callable[[float], Slow],
) -> None:
    slow = make_slow(100.0)
    slow.fake.restore_seconds = 200.0
    cold = slow.fake.add_sandbox("cold", state="archived")
    result = slow("sandbox", "exec", "--merged", "cold", "--start", "--", "echo", "back")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "back\n", "")
    brought_back_then_run(slow.fake, "cold", cold["id"], "restoring")
    assert slow.clock.now - 1000.0 >= 200.0  # past the 180 s a start waits by default


def test_help_says_a_restore_waits_longer(cli: Cli) -> None:
    for command in ("start", "exec"):
        text = " ".join(cli("sandbox", command, "--help").stdout.split())
        assert "600 s" in text or "600 to restore" in text, command


@pytest.mark.parametrize(
    ("goal", "start", "verb", "extra"),
    [("paused", "started", "pause", VM), ("archived", "stopped", "archive", {})],
)
def test_wait_for_paused_and_archived(
    slow: Slow, goal: str, start: str, verb: str, extra: dict[str, Any]
) -> None:
    s = slow.fake.add_sandbox("s", state=start, **extra)
    assert slow("sandbox", verb, "s", "--no-wait").exit_code == 0
    result = slow("sandbox", "wait", "s", "--for", goal)
    assert (result.exit_code, result.stderr) == (0, f"Sandbox s ({s['id']}) is {goal}\n")
    assert state(slow.fake, "s") == goal
    already = slow("sandbox", "wait", "s", "--for", goal, "--json")
    assert (already.exit_code, [item["state"] for item in already.json()]) == (0, [goal])


@pytest.mark.parametrize(
    "line",
    [
        "daytona-cli sandbox pause b",
        "daytona-cli sandbox archive alpha b",
        "daytona-cli sandbox ssh b",
        "daytona-cli sandbox preview-url b",
    ],
)
def test_the_new_verbs_complete_sandbox_names(
    cli: Cli, fake: FakeDaytona, tmp_path: Path, line: str
) -> None:
    fake.add_sandbox("alpha")
    fake.add_sandbox("beta")
    result = complete(cli, line, tmp_path)
    assert (result.exit_code, result.stdout.split()) == (0, ["beta"])
