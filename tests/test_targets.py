"""Confirmation and targets (issue 10): what a prompt lists, what a dry run resolves, and a
target named twice acted on once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Cli
from tests.fake_daytona import FakeDaytona


def mutations(fake: FakeDaytona) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in fake.requests if r.method in ("POST", "DELETE")]


def question_part(stderr: str) -> list[str]:
    return stderr.split("[y/N]")[0].splitlines()


def test_the_confirmation_lists_targets_one_per_line_with_id_and_state(
    cli: Cli, fake: FakeDaytona
) -> None:
    web = fake.add_sandbox("web", labels={"team": "x"})
    db = fake.add_sandbox("database", state="stopped", labels={"team": "x"})
    result = cli("sandbox", "delete", "-l", "team=x", tty=True, stdin="n\n", env={"NO_COLOR": "1"})
    assert result.exit_code == 1, result
    lines = question_part(result.stderr)
    assert lines[0] == "Delete 2 sandboxes:"
    assert sorted(lines[1:3]) == sorted(
        [f"  web       {web['id']}  started", f"  database  {db['id']}  stopped"]
    )
    assert lines[3] == "Delete them? This cannot be undone. "
    assert mutations(fake) == []


def test_at_most_twenty_targets_are_listed_then_how_many_more(cli: Cli, fake: FakeDaytona) -> None:
    for index in range(23):
        fake.add_sandbox(f"box-{index:02d}", labels={"team": "big"})
    result = cli("sandbox", "stop", "-l", "team=big", tty=True, stdin="n\n")
    lines = question_part(result.stderr)
    assert lines[0] == "Stop 23 sandboxes:"
    assert len([line for line in lines if line.startswith("  box-")]) == 20
    assert "  …and 3 more" in lines
    assert mutations(fake) == []


def test_every_string_in_the_confirmation_is_inert(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("evil\x1b[2J\rname", labels={"team": "x"})
    result = cli("sandbox", "delete", "-l", "team=x", tty=True, stdin="n\n")
    prompt = result.stderr.split("[y/N]")[0]
    assert "\x1b[2J" not in prompt and "\r" not in prompt
    assert "evil\\x1b[2J\\x0dname" in prompt


def test_named_targets_are_looked_up_for_the_prompt_and_acted_on_by_id(
    cli: Cli, fake: FakeDaytona
) -> None:
    box = fake.add_sandbox("named")
    result = cli("sandbox", "delete", "named", tty=True, stdin="y\n")
    assert result.exit_code == 0, result
    assert f"  named  {box['id']}  started" in result.stderr
    assert mutations(fake) == [("DELETE", f"/api/sandbox/{box['id']}")]


# == dry runs =====================================================================================


@pytest.mark.parametrize("verb", ["delete", "stop", "start"])
def test_a_dry_run_resolves_named_targets_and_shows_every_id(
    cli: Cli, fake: FakeDaytona, verb: str
) -> None:
    box = fake.add_sandbox("named", state="stopped" if verb == "start" else "started")
    result = cli("sandbox", verb, "named", "--dry-run")
    assert (result.exit_code, result.stderr) == (
        0,
        f"Dry run: would {verb} 1 sandbox; nothing was changed.\n",
    )
    assert result.stdout == f"named\t{box['id']}\twould {verb}\n"
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/api/sandbox/named")]


def test_a_dry_run_reports_a_missing_target_as_not_found(cli: Cli, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("here")
    result = cli("sandbox", "delete", "here", "gone", "--dry-run")
    assert result.exit_code == 3, result
    assert result.stdout == f"here\t{box['id']}\twould delete\n"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "gone not found" in errors[0]
    assert mutations(fake) == []


def test_a_dry_run_with_ignore_not_found_notes_the_missing_one(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("here")
    result = cli("sandbox", "delete", "here", "gone", "--dry-run", "--ignore-not-found")
    assert result.exit_code == 0, result
    assert "Sandbox gone not found; nothing to delete" in result.stderr
    assert "error" not in result.stderr
    assert mutations(fake) == []


# == the same target twice ========================================================================


def test_a_name_given_twice_is_acted_on_once(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("twice")
    result = cli("sandbox", "stop", "twice", "twice", "--no-wait")
    assert result.exit_code == 0, result
    assert mutations(fake) == [("POST", "/api/sandbox/twice/stop")]
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("verb", ["stop", "delete"])
def test_a_name_and_its_id_are_one_target(cli: Cli, fake: FakeDaytona, verb: str) -> None:
    box = fake.add_sandbox("both")
    other = fake.add_sandbox("other")
    result = cli("sandbox", verb, "both", box["id"], "other", "--yes", "--no-wait"
                 if verb == "stop" else "--yes")  # fmt: skip
    assert result.exit_code == 0, result
    acted = [path for _method, path in mutations(fake)]
    suffix = "/stop" if verb == "stop" else ""
    assert sorted(acted) == sorted(
        [f"/api/sandbox/{box['id']}{suffix}", f"/api/sandbox/{other['id']}{suffix}"]
    )
    assert len(re.findall(re.escape(box["id"]), result.stderr)) == 1


def test_a_named_target_also_selected_is_acted_on_once(cli: Cli, fake: FakeDaytona) -> None:
    box: dict[str, Any] = fake.add_sandbox("picked", labels={"team": "x"})
    result = cli("sandbox", "stop", box["id"], "-l", "team=x", "--yes", "--no-wait", "--json")
    assert result.exit_code == 0, result
    assert mutations(fake) == [("POST", f"/api/sandbox/{box['id']}/stop")]
    assert [record["id"] for record in result.json()] == [box["id"]]
