"""`daytona-cli sandbox create`: the body each flag builds, checks made before any request,
waiting for `started`, the output modes, and how API failures map to exit codes.

Every test checks the exit code, stdout, stderr and the exact requests the fake received. Tests
that count polls run the fake and the CLI on one virtual clock, so time passes only when the CLI
sleeps: the number of GETs is exact and nothing really waits.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cli, Slow, VirtualClock
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona

REQUEST_ID = "daytona-cli/request-id"
"""The label the CLI adds to every create, so a retried create can find what it already made."""
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _AnyUuid:
    """Equal to any UUID string: stands for the request ID in an expected body."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and UUID.fullmatch(other) is not None

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<any UUID>"


ANY_UUID = _AnyUuid()


# -- helpers ---------------------------------------------------------------------------------


def sent(fake: FakeDaytona) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body or None) of every request the fake received, in order."""
    return [
        (request.method, request.url.path, json.loads(request.content) if request.content else None)
        for request in fake.requests
    ]


def created_id(fake: FakeDaytona) -> str:
    """The ID of the sandbox the (first) POST /sandbox made, from the fake's answer."""
    for request, response in fake.exchanges:
        ok = response.status_code == 200
        if ok and request.method == "POST" and request.url.path == "/api/sandbox":
            return str(response.json()["id"])
    raise AssertionError("no sandbox was created")


def assert_created_with(fake: FakeDaytona, body: dict[str, Any]) -> str:
    """Exactly one POST /sandbox with ``body``, then only polls of the new sandbox; its ID."""
    sandbox_id = created_id(fake)
    requests = sent(fake)
    assert requests[0] == ("POST", "/api/sandbox", body)
    assert len(requests) >= 2, "the CLI returned without waiting for the sandbox"
    assert requests[1:] == [("GET", f"/api/sandbox/{sandbox_id}", None)] * (len(requests) - 1)
    return sandbox_id


def polled_states(fake: FakeDaytona, sandbox_id: str) -> list[str]:
    """The state in each answer to GET /sandbox/<id>, in order."""
    return [
        response.json()["state"]
        for request, response in fake.exchanges
        if request.method == "GET" and request.url.path == f"/api/sandbox/{sandbox_id}"
    ]


def labels(**extra: str) -> dict[str, Any]:
    return {**extra, REQUEST_ID: ANY_UUID}


# -- the body each flag builds -----------------------------------------------------------------


def test_name_alone_is_posted_with_no_snapshot_so_the_server_picks_its_default(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "create", "--name", "demo", "-q")
    sandbox_id = assert_created_with(fake, {"name": "demo", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    sandbox = fake.sandbox("demo")
    assert sandbox is not None
    assert (sandbox["id"], sandbox["snapshot"], sandbox["state"]) == (
        sandbox_id,
        DEFAULT_SNAPSHOT,
        "started",
    )


def test_every_create_carries_a_fresh_request_id_label(cli: Cli, fake: FakeDaytona) -> None:
    first = cli("sandbox", "create", "-q")
    second = cli("sandbox", "create", "-q")
    assert (first.exit_code, second.exit_code, first.stderr, second.stderr) == (0, 0, "", "")
    posts = [json.loads(request.content) for request in fake.requests_to("POST", "/sandbox")]
    assert posts == [{"labels": labels()}, {"labels": labels()}]
    assert posts[0]["labels"][REQUEST_ID] != posts[1]["labels"][REQUEST_ID]


def test_snapshot_is_sent_by_name(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_snapshot("team/python:3.12")
    result = cli("sandbox", "create", "--snapshot", "team/python:3.12", "-q")
    sandbox_id = assert_created_with(fake, {"snapshot": "team/python:3.12", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    assert (fake.sandbox(sandbox_id) or {}).get("snapshot") == "team/python:3.12"


def test_image_becomes_a_one_line_dockerfile_build_and_no_snapshot_is_sent(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "create", "--image", "python:3.12-slim", "-q")
    sandbox_id = assert_created_with(
        fake,
        {"buildInfo": {"dockerfileContent": "FROM python:3.12-slim\n"}, "labels": labels()},
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_cpu_memory_disk_and_gpu_with_an_image_are_sent_as_whole_numbers(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli(
        "sandbox", "create", "--image", "ubuntu:24.04", "--cpu", "2", "--memory", "4",
        "--disk", "10", "--gpu", "1", "-q",
    )  # fmt: skip
    sandbox_id = assert_created_with(
        fake,
        {
            "buildInfo": {"dockerfileContent": "FROM ubuntu:24.04\n"},
            "cpu": 2,
            "memory": 4,
            "disk": 10,
            "gpu": 1,
            "labels": labels(),
        },
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    sandbox = fake.sandbox(sandbox_id) or {}
    assert [sandbox.get(key) for key in ("cpu", "memory", "disk", "gpu")] == [2, 4, 10, 1]


def test_repeated_labels_and_env_vars_become_objects(cli: Cli, fake: FakeDaytona) -> None:
    result = cli(
        "sandbox", "create", "-l", "team=data", "--label", "url=a=b", "-l", "empty=",
        "-e", "DEBUG=1", "--env", "PATH_EXTRA=/opt/bin:/x", "-e", "BLANK=", "-q",
    )  # fmt: skip
    sandbox_id = assert_created_with(
        fake,
        {
            "labels": labels(team="data", url="a=b", empty=""),
            "env": {"DEBUG": "1", "PATH_EXTRA": "/opt/bin:/x", "BLANK": ""},
        },
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_auto_stop_zero_auto_archive_and_auto_delete_minus_one_are_sent_as_given(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli(
        "sandbox", "create", "--auto-stop", "0", "--auto-archive", "60", "--auto-delete", "-1",
        "-q",
    )  # fmt: skip
    sandbox_id = assert_created_with(
        fake,
        {
            "autoStopInterval": 0,
            "autoArchiveInterval": 60,
            "autoDeleteInterval": -1,
            "labels": labels(),
        },
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    sandbox = fake.sandbox(sandbox_id) or {}
    assert (
        sandbox["autoStopInterval"],
        sandbox["autoArchiveInterval"],
        sandbox["autoDeleteInterval"],
    ) == (0, 60, -1)


def test_auto_delete_zero_is_sent_too(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--auto-delete", "0", "-q")
    sandbox_id = assert_created_with(fake, {"autoDeleteInterval": 0, "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_public_and_user_are_sent(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--public", "--user", "root", "-q")
    sandbox_id = assert_created_with(fake, {"public": True, "user": "root", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_without_public_the_field_is_not_sent_at_all(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "-q")
    sandbox_id = assert_created_with(fake, {"labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_target_is_sent_as_the_region(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--target", "eu", "-q")
    sandbox_id = assert_created_with(fake, {"target": "eu", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    assert (fake.sandbox(sandbox_id) or {}).get("target") == "eu"


def test_daytona_target_in_the_environment_is_the_default_region(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "create", "-q", env={"DAYTONA_TARGET": "eu"})
    sandbox_id = assert_created_with(fake, {"target": "eu", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_daytona_target_in_dot_env_is_the_default_region_too(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / ".env").write_text("DAYTONA_TARGET=asia\n")
    result = cli("sandbox", "create", "-q")
    sandbox_id = assert_created_with(fake, {"target": "asia", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_the_target_flag_overrides_daytona_target(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--target", "us", "-q", env={"DAYTONA_TARGET": "eu"})
    sandbox_id = assert_created_with(fake, {"target": "us", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


CI_ENV = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "4242"}


GITHUB = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "123"}


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), CI_ENV, {"daytona-cli/ci": "github-actions", "daytona-cli/run": "4242"}),
        (
            ("-l", "daytona-cli/run=mine"),
            CI_ENV,
            {"daytona-cli/ci": "github-actions", "daytona-cli/run": "mine"},
        ),
        (
            ("-l", "daytona-cli/run=mine", "-l", "team=data"),
            GITHUB,
            {"daytona-cli/ci": "github-actions", "daytona-cli/run": "mine", "team": "data"},
        ),
        (("--no-provenance", "-l", "a=b"), CI_ENV, {"a": "b"}),
        (("--no-provenance", "-l", "team=data"), GITHUB, {"team": "data"}),
        (("-l", "team=data"), {"GITHUB_RUN_ID": "123"}, {"team": "data"}),
        ((), {}, {}),
    ],
    ids=[
        "under-ci",
        "l-wins",
        "l-wins-beside-other-labels",
        "no-provenance",
        "no-provenance-beside-other-labels",
        "outside-ci-with-a-run-id",
        "outside-ci",
    ],
)
def test_provenance_labels_under_ci_only_and_never_over_the_users_own(
    cli: Cli,
    fake: FakeDaytona,
    args: tuple[str, ...],
    env: dict[str, str],
    expected: dict[str, str],
) -> None:
    result = cli("sandbox", "create", "-q", *args, env=env)
    sandbox_id = assert_created_with(fake, {"labels": labels(**expected)})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    assert fake.sandbox(sandbox_id)["labels"] == labels(**expected)  # type: ignore[index]


def test_every_flag_at_once_builds_the_whole_body(cli: Cli, fake: FakeDaytona) -> None:
    result = cli(
        "sandbox", "create", "--name", "full", "--image", "python:3.12", "--cpu", "2",
        "--memory", "4", "--disk", "10", "--gpu", "1", "-l", "team=data", "--label", "env=ci",
        "-e", "DEBUG=1", "--env", "MODE=fast", "--auto-stop", "0", "--auto-archive", "120",
        "--auto-delete", "-1", "--public", "--target", "eu", "--user", "root", "--json",
    )  # fmt: skip
    sandbox_id = assert_created_with(
        fake,
        {
            "name": "full",
            "buildInfo": {"dockerfileContent": "FROM python:3.12\n"},
            "cpu": 2,
            "memory": 4,
            "disk": 10,
            "gpu": 1,
            "labels": labels(team="data", env="ci"),
            "env": {"DEBUG": "1", "MODE": "fast"},
            "autoStopInterval": 0,
            "autoArchiveInterval": 120,
            "autoDeleteInterval": -1,
            "public": True,
            "target": "eu",
            "user": "root",
        },
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == fake.sandbox(sandbox_id)
    assert result.json()["state"] == "started"


# -- checked before any request (exit 2) -------------------------------------------------------


@pytest.mark.parametrize(
    "flags",
    [["--cpu", "2"], ["--memory", "4"], ["--disk", "10"], ["--gpu", "1"]],
    ids=["cpu", "memory", "disk", "gpu"],
)
def test_a_resource_flag_with_a_snapshot_is_a_usage_error_that_explains_why(
    cli: Cli, fake: FakeDaytona, flags: list[str]
) -> None:
    result = cli("sandbox", "create", "--snapshot", DEFAULT_SNAPSHOT, *flags)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert flags[0] in result.stderr
    assert "--image" in result.stderr
    assert "snapshot fixes the resources" in result.stderr
    assert fake.requests == []


@pytest.mark.parametrize(
    "flags",
    [["--cpu", "2"], ["--memory", "4"], ["--disk", "10"], ["--gpu", "1"], ["--cpu", "1", "--disk", "3"]],
    ids=["cpu", "memory", "disk", "gpu", "cpu-and-disk"],
)  # fmt: skip
def test_a_resource_flag_without_an_image_is_a_usage_error_that_explains_why(
    cli: Cli, fake: FakeDaytona, flags: list[str]
) -> None:
    result = cli("sandbox", "create", "--name", "x", *flags)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert all(flag in result.stderr for flag in flags if flag.startswith("--"))
    assert "--image" in result.stderr
    assert "snapshot fixes the resources" in result.stderr
    assert fake.requests == []


def test_snapshot_and_image_together_are_a_usage_error(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--snapshot", DEFAULT_SNAPSHOT, "--image", "python:3.12")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "error: --snapshot and --image are exclusive; choose one source for the sandbox\n",
    )
    assert fake.requests == []


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--image", "x", "--cpu", "0"], "--cpu"),
        (["--image", "x", "--memory", "0"], "--memory"),
        (["--image", "x", "--disk", "-1"], "--disk"),
        (["--image", "x", "--gpu", "-1"], "--gpu"),
        (["--label", "novalue"], "--label"),
        (["-l", "=value"], "--label"),
        (["--env", "=x"], "--env"),
        (["-e", "NOEQUALS"], "--env"),
        (["--auto-delete", "-2"], "--auto-delete"),
        (["--auto-stop", "-1"], "--auto-stop"),
        (["--auto-archive", "-1"], "--auto-archive"),
        (["--timeout", "abc"], "--timeout"),
        (["--timeout", "-1"], "--timeout"),
        (["--image", "python:3.12\nRUN rm -rf /"], "image"),
        (["--image", "python 3.12"], "image"),
        (["--image", ""], "image"),
        (["--name", ""], "name"),
    ],
    ids=[
        "cpu-0", "memory-0", "disk-negative", "gpu-negative", "label-no-equals",
        "label-no-key", "env-no-key", "env-no-equals", "auto-delete-minus-2",
        "auto-stop-negative", "auto-archive-negative", "timeout-abc", "timeout-negative",
        "image-newline", "image-space", "image-empty", "name-empty",
    ],
)  # fmt: skip
def test_a_bad_value_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, args: list[str], named: str
) -> None:
    result = cli("sandbox", "create", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    # The parser's errors come after the usage line (issue 10).
    result.stderr = result.stderr.removeprefix("Usage: daytona-cli sandbox create [OPTIONS]\n")
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1, "one line, with any newline in the value escaped"
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert fake.requests == []


def test_a_usage_error_under_json_is_a_json_error_on_stderr(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--label", "novalue", "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert json.loads(result.stderr) == {
        "error": {
            "code": "usage",
            "message": "--label expects KEY=VALUE, got 'novalue'",
            "status": None,
            "hint": "write the label as --label KEY=VALUE",
        }
    }
    assert fake.requests == []


# -- waiting for started -------------------------------------------------------------------------


def test_create_polls_the_new_sandbox_until_it_has_started(slow: Slow) -> None:
    result = slow("sandbox", "create", "--name", "demo", "--json")
    sandbox_id = assert_created_with(slow.fake, {"name": "demo", "labels": labels()})
    states = polled_states(slow.fake, sandbox_id)
    assert len(states) >= 3, states
    assert states[-1] == "started"
    assert set(states[:-1]) == {"creating"}
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == slow.fake.sandbox(sandbox_id)
    assert result.json()["state"] == "started"


def test_an_image_build_is_followed_through_pending_build_and_building_snapshot(
    slow: Slow,
) -> None:
    result = slow("sandbox", "create", "--image", "node:22", "--json")
    sandbox_id = assert_created_with(
        slow.fake, {"buildInfo": {"dockerfileContent": "FROM node:22\n"}, "labels": labels()}
    )
    states = polled_states(slow.fake, sandbox_id)
    assert states[-1] == "started"
    assert states.count("started") == 1, "polling stops as soon as the sandbox has started"
    seen = list(dict.fromkeys(states))
    assert seen == ["pending_build", "building_snapshot", "started"]
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json()["state"] == "started"


def test_polling_starts_after_a_tenth_of_a_second_and_backs_off(slow: Slow) -> None:
    result = slow("sandbox", "create", "-q")
    sandbox_id = assert_created_with(slow.fake, {"labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    sleeps = slow.clock.sleeps
    assert len(sleeps) == len(polled_states(slow.fake, sandbox_id))
    assert sleeps[0] == pytest.approx(0.1)
    assert all(later > earlier for earlier, later in itertools.pairwise(sleeps)), sleeps


def test_timeout_zero_waits_as_long_as_it_takes(
    make_fake: Callable[..., FakeDaytona], isolated: Path
) -> None:
    clock = VirtualClock()
    fake = make_fake(transition_seconds=200.0, clock=clock.monotonic)
    slow = Slow(fake, clock, Cli(fake, isolated))
    result = slow("sandbox", "create", "--timeout", "0", "-q")
    sandbox_id = assert_created_with(fake, {"labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    assert clock.now - 1000.0 >= 200.0
    assert polled_states(fake, sandbox_id)[-1] == "started"


def test_the_default_timeout_is_180_seconds(
    make_fake: Callable[..., FakeDaytona], isolated: Path
) -> None:
    clock = VirtualClock()
    fake = make_fake(transition_seconds=200.0, clock=clock.monotonic)
    slow = Slow(fake, clock, Cli(fake, isolated))
    result = slow("sandbox", "create")
    sandbox_id = created_id(fake)
    assert (result.exit_code, result.stdout) == (124, "")
    assert f"sandbox {sandbox_id} is still creating after 180 s" in result.stderr
    assert 180.0 <= clock.now - 1000.0 < 181.0


def test_no_wait_returns_the_creating_sandbox_after_exactly_one_post_and_no_get(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "create", "--name", "quick", "--no-wait", "--json")
    assert sent(fake) == [("POST", "/api/sandbox", {"name": "quick", "labels": labels()})]
    assert (result.exit_code, result.stderr) == (0, "")
    answer = result.json()
    assert (answer["name"], answer["state"]) == ("quick", "creating")
    assert answer == fake.exchanges[0][1].json()


def test_no_wait_with_quiet_prints_the_id_at_once(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--no-wait", "-q")
    sandbox_id = created_id(fake)
    assert sent(fake) == [("POST", "/api/sandbox", {"labels": labels()})]
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


@pytest.mark.parametrize(
    ("state", "source"),
    [("error", ["--snapshot", DEFAULT_SNAPSHOT]), ("build_failed", ["--image", "python:3.12"])],
)
def test_a_sandbox_that_ends_in_a_failed_state_exits_5_with_the_servers_reason(
    cli: Cli, fake: FakeDaytona, state: str, source: list[str]
) -> None:
    fake.fail_next_create(state, "no space left on device")
    result = cli("sandbox", "create", *source)
    sandbox_id = created_id(fake)
    assert sent(fake)[1:] == [("GET", f"/api/sandbox/{sandbox_id}", None)] * (len(sent(fake)) - 1)
    assert polled_states(fake, sandbox_id)[-1] == state
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: sandbox {sandbox_id} is in state {state}: no space left on device; "
        f"inspect it with `daytona-cli sandbox get {sandbox_id}`\n"
    )


def test_a_failed_sandbox_under_json_is_a_conflict_error_on_stderr(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.fail_next_create("build_failed", "FROM: image not found")
    result = cli("sandbox", "create", "--image", "nope:latest", "--json")
    sandbox_id = created_id(fake)
    assert result.exit_code == 5
    # The sandbox exists (in build_failed): a script still gets it, to delete it.
    assert json.loads(result.stdout)["id"] == sandbox_id
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "conflict"
    assert "FROM: image not found" in error["message"]
    assert sandbox_id in error["message"]


def test_a_timeout_exits_124_naming_the_sandbox_and_how_to_delete_it(
    make_fake: Callable[..., FakeDaytona], isolated: Path
) -> None:
    fake = make_fake(transition_seconds=30)
    result = Cli(fake, isolated)("sandbox", "create", "--name", "slowpoke", "--timeout", "0.3")
    sandbox_id = assert_created_with(fake, {"name": "slowpoke", "labels": labels()})
    assert set(polled_states(fake, sandbox_id)) == {"creating"}
    assert (result.exit_code, result.stdout) == (124, "")
    assert result.stderr.startswith(f"error: sandbox {sandbox_id} is still creating after 0.3 s")
    assert f"daytona-cli sandbox delete {sandbox_id} --yes" in result.stderr
    assert f"daytona-cli sandbox get {sandbox_id}" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_timeout_under_json_is_a_timeout_error_naming_the_sandbox(
    make_fake: Callable[..., FakeDaytona], isolated: Path
) -> None:
    clock = VirtualClock()
    fake = make_fake(transition_seconds=30, clock=clock.monotonic)
    result = Slow(fake, clock, Cli(fake, isolated))(
        "sandbox", "create", "--timeout", "0.3", "--json"
    )
    sandbox_id = assert_created_with(fake, {"labels": labels()})
    assert result.exit_code == 124
    printed = json.loads(result.stdout)
    assert (printed["id"], printed["state"]) == (sandbox_id, "creating")
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "timeout"
    assert sandbox_id in error["message"]
    assert f"daytona-cli sandbox delete {sandbox_id} --yes" in error["hint"]


# -- output ------------------------------------------------------------------------------------


def test_quiet_prints_only_the_new_id(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--name", "q", "--quiet")
    sandbox_id = assert_created_with(fake, {"name": "q", "labels": labels()})
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")


def test_json_prints_the_final_object_unchanged(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--name", "j", "--json")
    sandbox_id = assert_created_with(fake, {"name": "j", "labels": labels()})
    assert (result.exit_code, result.stderr) == (0, "")
    final_answer = fake.exchanges[-1][1].json()
    assert result.json() == final_answer == fake.sandbox(sandbox_id)
    assert result.json()["state"] == "started"
    assert result.stdout.endswith("}\n")


def test_piped_output_is_one_key_tab_value_line_per_field(cli: Cli, fake: FakeDaytona) -> None:
    result = cli(
        "sandbox", "create", "--name", "piped", "-l", "team=data", "-e", "SECRET=hunter2",
        "--auto-stop", "0",
    )  # fmt: skip
    sandbox_id = assert_created_with(
        fake,
        {
            "name": "piped",
            "labels": labels(team="data"),
            "env": {"SECRET": "hunter2"},
            "autoStopInterval": 0,
        },
    )
    assert result.exit_code == 0
    assert result.stderr == f"Sandbox piped ({sandbox_id}) created and started\n"
    sandbox = fake.sandbox(sandbox_id) or {}
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert all(len(row) == 2 for row in rows), rows
    assert [key for key, _ in rows] == [
        "ID", "Name", "State", "Snapshot", "CPU", "Memory", "Disk", "GPU", "Class", "Spot",
        "Region", "User", "Public", "Labels", "Env", "Network", "Volumes", "Auto-stop",
        "Auto-pause", "Auto-archive", "Auto-delete", "Created", "Last activity",
    ]  # fmt: skip
    values = dict(rows)
    assert values["ID"] == sandbox_id
    assert values["Name"] == "piped"
    assert values["State"] == "started"
    assert values["Snapshot"] == DEFAULT_SNAPSHOT
    assert values["Labels"] == f"{REQUEST_ID}={sandbox['labels'][REQUEST_ID]}, team=data"
    assert values["Env"] == "SECRET (values hidden)"
    assert "hunter2" not in result.stdout
    assert values["Auto-stop"] == "disabled"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", values["Created"])
    assert "\x1b" not in result.stdout


def test_on_a_terminal_progress_goes_to_stderr_and_json_stdout_stays_clean(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "create", "--name", "tty", "--json", tty=True)
    sandbox_id = assert_created_with(fake, {"name": "tty", "labels": labels()})
    assert result.exit_code == 0
    assert result.json() == fake.sandbox(sandbox_id)
    assert "\x1b" not in result.stdout
    assert "waiting for started" in result.stderr
    assert sandbox_id in result.stderr


def test_on_a_terminal_the_spinner_is_on_stderr_and_the_panel_on_stdout(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "create", "--name", "tty", tty=True)
    sandbox_id = assert_created_with(fake, {"name": "tty", "labels": labels()})
    assert result.exit_code == 0
    assert "waiting for started" in result.stderr
    assert "waiting for" not in result.stdout
    assert sandbox_id in result.stdout
    assert "created and started" in result.stderr
    assert "created and started" not in result.stdout


# -- API failures --------------------------------------------------------------------------------


def test_an_unknown_snapshot_exits_3_with_the_servers_message(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--snapshot", "no/such:1")
    assert sent(fake) == [("POST", "/api/sandbox", {"snapshot": "no/such:1", "labels": labels()})]
    assert (result.exit_code, result.stdout, result.stderr) == (
        3,
        "",
        "error: Snapshot no/such:1 not found. Did you add it through the Daytona Dashboard?\n",
    )


def test_a_name_already_taken_is_a_409_that_exits_5(cli: Cli, fake: FakeDaytona) -> None:
    existing = fake.add_sandbox("taken")
    result = cli("sandbox", "create", "--name", "taken")
    assert sent(fake) == [("POST", "/api/sandbox", {"name": "taken", "labels": labels()})]
    assert fake.exchanges[0][1].status_code == 409
    assert (result.exit_code, result.stdout, result.stderr) == (
        5,
        "",
        "error: Sandbox with name taken already exists; choose another name, or use that "
        "sandbox (`daytona-cli sandbox list` shows it)\n",
    )
    assert fake.sandbox("taken") == existing
    assert len(fake.sandboxes) == 1


def test_rate_limited_create_exits_6_with_a_hint_naming_the_wait(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.inject(
        "POST", "/sandbox", status=429, headers={"Retry-After-sandbox-create": "600"}, times=5
    )
    result = cli("sandbox", "create", "--name", "later")
    assert sent(fake) == [("POST", "/api/sandbox", {"name": "later", "labels": labels()})]
    assert (result.exit_code, result.stdout, result.stderr) == (
        6,
        "",
        "error: ThrottlerException: Too Many Requests; "
        "rate limited by the API; try again in 600 s\n",
    )
    assert fake.sandboxes == {}


def test_rate_limited_create_under_json_is_a_rate_limit_error(cli: Cli, fake: FakeDaytona) -> None:
    fake.inject(
        "POST", "/sandbox", status=429, headers={"Retry-After-sandbox-create": "600"}, times=5
    )
    result = cli("sandbox", "create", "--json")
    assert sent(fake) == [("POST", "/api/sandbox", {"labels": labels()})]
    assert (result.exit_code, result.stdout) == (6, "")
    assert json.loads(result.stderr) == {
        "error": {
            "code": "rate_limit",
            "message": "ThrottlerException: Too Many Requests",
            "status": 429,
            "hint": "rate limited by the API; try again in 600 s",
        }
    }


def test_a_short_rate_limit_wait_is_honoured_and_the_same_create_sent_again(slow: Slow) -> None:
    slow.fake.inject(
        "POST", "/sandbox", status=429, headers={"Retry-After-sandbox-create": "7"}, times=1
    )
    result = slow("sandbox", "create", "--name", "retry", "-q")
    requests = sent(slow.fake)
    first, second = requests[0], requests[1]
    assert first == second == ("POST", "/api/sandbox", {"name": "retry", "labels": labels()})
    assert first[2]["labels"][REQUEST_ID] == second[2]["labels"][REQUEST_ID]
    assert slow.clock.sleeps[0] == 7.0
    sandbox_id = (slow.fake.sandbox("retry") or {}).get("id")
    assert requests[2:] == [("GET", f"/api/sandbox/{sandbox_id}", None)] * (len(requests) - 2)
    # A wait that long is said, so that nobody wonders why nothing moves.
    notice = "rate limited: waiting 7 s, as the API asks, before trying again\n"
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", notice)
    assert len(slow.fake.sandboxes) == 1


def test_debug_hides_env_values_in_the_create_request_and_its_answer(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("--debug", "sandbox", "create", "--name", "s", "-e", "TOKEN=hunter2-value", "-q")
    assert result.exit_code == 0, result
    assert "hunter2-value" not in result.stderr
    assert '"TOKEN": "***"' in result.stderr
    assert json.loads(fake.requests_to("POST", "/sandbox")[0].content)["env"] == {
        "TOKEN": "hunter2-value"
    }


def test_debug_hides_the_secret_names_too_while_the_request_carries_them(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_secret("openai-prod-key", "sk-not-shown")
    result = cli(
        "--debug", "sandbox", "create", "--name", "s", "-e", "TOKEN=hunter2-value",
        "--secret", "OPENAI_API_KEY=openai-prod-key", "-q",
    )  # fmt: skip
    sandbox_id = assert_created_with(
        fake,
        {
            "name": "s",
            "labels": labels(),
            "env": {"TOKEN": "hunter2-value"},
            "secrets": [{"OPENAI_API_KEY": "openai-prod-key"}],
        },
    )
    assert (result.exit_code, result.stdout) == (0, f"{sandbox_id}\n")
    assert "POST https://fake.daytona.test/api/sandbox" in result.stderr
    assert '"secrets": [{"OPENAI_API_KEY": "***"}]' in result.stderr
    assert '"env": {"TOKEN": "***"}' in result.stderr
    for value in ("openai-prod-key", "hunter2-value", "sk-not-shown"):
        assert value not in result.stderr


@pytest.mark.parametrize("ending", ["timeout", "ctrl-c"])
def test_quiet_still_prints_the_new_id_when_the_wait_ends_badly(
    make_fake: Callable[..., FakeDaytona], isolated: Path, ending: str
) -> None:
    clock = VirtualClock()
    fake = make_fake(transition_seconds=30, clock=clock.monotonic)
    if ending == "ctrl-c":
        real = fake.handler

        def handler(request: httpx.Request) -> httpx.Response:
            if request.method == "GET":
                raise KeyboardInterrupt
            return real(request)

        fake.handler = handler  # type: ignore[method-assign]
    result = Slow(fake, clock, Cli(fake, isolated))("sandbox", "create", "-q", "--timeout", "5")
    (sandbox_id,) = fake.sandboxes
    assert result.exit_code == (124 if ending == "timeout" else 130)
    assert result.stdout == f"{sandbox_id}\n"
    assert f"daytona-cli sandbox delete {sandbox_id} --yes" in result.stderr


def test_create_options_of_todays_api_reach_the_body(
    cli: Cli, fake: FakeDaytona, isolated: Path
) -> None:
    (isolated / "Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install httpx\n")
    data = fake.add_volume("data")
    fake.add_volume("cache")
    fake.add_secret("openai", "sk-not-shown")
    result = cli(
        "sandbox", "create", "--name", "new", "--dockerfile", "Dockerfile", "--cpu", "2",
        "--ttl", "120", "--network-allow-list", "10.0.0.0/8, 1.2.3.4/32",
        "--volume", "data:/data", "--volume", "cache:/home/daytona/.cache",
        "--secret", "OPENAI_API_KEY=openai", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result
    body = json.loads(fake.requests_to("POST", "/sandbox")[0].content)
    assert body["buildInfo"] == {
        "dockerfileContent": "FROM python:3.12-slim\nRUN pip install httpx\n"
    }
    assert body["cpu"] == 2
    assert body["ttlMinutes"] == 120
    assert body["networkAllowList"] == "10.0.0.0/8,1.2.3.4/32"
    assert body["volumes"] == [
        {"volumeId": "data", "mountPath": "/data"},
        {"volumeId": "cache", "mountPath": "/home/daytona/.cache"},
    ]
    assert body["secrets"] == [{"OPENAI_API_KEY": "openai"}]
    assert "snapshot" not in body
    shown = cli("sandbox", "get", "new")
    # The API resolves a volume's name to its ID.
    assert f"{data}:/data" in shown.stdout and "only 10.0.0.0/8,1.2.3.4/32" in shown.stdout


def test_auto_pause_alone_turns_auto_stop_off_for_a_sandbox_that_can_pause(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_snapshot("vm", sandboxClass="linux-vm")
    result = cli("sandbox", "create", "--snapshot", "vm", "--auto-pause", "30", "-q")
    assert result.exit_code == 0, result
    body = json.loads(fake.requests_to("POST", "/sandbox")[0].content)
    assert (body["autoPauseInterval"], body["autoStopInterval"]) == (30, 0)
    shown = cli("sandbox", "get", result.stdout.strip())
    assert "Auto-pause\t30\n" in shown.stdout


def test_network_block_all_is_sent_and_get_shows_the_network_all_blocked(
    cli: Cli, fake: FakeDaytona
) -> None:
    result = cli("sandbox", "create", "--name", "sealed", "--network-block-all", "-q")
    sandbox_id = assert_created_with(
        fake, {"name": "sealed", "labels": labels(), "networkBlockAll": True}
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{sandbox_id}\n", "")
    fake.requests.clear()
    shown = cli("sandbox", "get", "sealed")
    assert (shown.exit_code, shown.stderr) == (0, "")
    assert "Network\tall blocked\n" in shown.stdout
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/api/sandbox/sealed")]


def test_without_a_network_flag_the_sandbox_is_open(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--name", "open", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    body = json.loads(fake.requests_to("POST", "/sandbox")[0].content)
    assert "networkBlockAll" not in body and "networkAllowList" not in body
    shown = cli("sandbox", "get", "open")
    assert (shown.exit_code, shown.stderr) == (0, "")
    assert "Network\topen\n" in shown.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--auto-pause", "30", "--auto-stop", "15"], "--auto-pause and a non-zero --auto-stop"),
        (["--network-allow-list", "10.0.0.0/33"], "'10.0.0.0/33' is not a CIDR network"),
        (["--volume", "data"], "--volume expects VOLUME:/mount/path"),
        (["--volume", "data:relative"], "--volume expects VOLUME:/mount/path"),
        (["--secret", "NOVALUE"], "--secret expects KEY=VALUE"),
        (["-e", "BAD KEY=1"], "--env expects KEY=VALUE with a shell variable name as KEY"),
        (["-e", "1X=1"], "--env expects KEY=VALUE with a shell variable name as KEY"),
        (["--dockerfile", "missing/Dockerfile"], "cannot read the Dockerfile missing/Dockerfile"),
        (
            ["--dockerfile", "Dockerfile", "--image", "x:1"],
            "--image and --dockerfile are exclusive",
        ),
    ],
)
def test_what_the_api_would_refuse_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, isolated: Path, args: list[str], says: str
) -> None:
    (isolated / "Dockerfile").write_text("FROM alpine\n")
    result = cli("sandbox", "create", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert says in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert fake.requests == []


def test_a_network_failure_while_waiting_still_names_the_new_sandbox(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.transition_seconds = 30
    fake.inject("GET", "/sandbox/*", drop=True, times=10)
    result = cli("sandbox", "create", "--name", "cut-off")
    assert result.exit_code == 7, result
    (made,) = fake.sandboxes.values()
    (line,) = result.stderr.splitlines()
    assert f"sandbox cut-off ({made['id']}) was created" in line
    assert f"daytona-cli sandbox delete {made['id']} --yes" in line
