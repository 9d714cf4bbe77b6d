"""The contract: every request the CLI sends, and every answer the fake gives, keeps the spec.

Each command and option family is driven against the in-process fake and its exchanges are
validated explicitly (the ``fake`` fixture validates again at teardown). One tour runs all of
them on one fake and must exercise every operation in ``tests/openapi.yaml``. The last tests
prove the validator is not a no-op: hand-made exchanges that break the spec are reported.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import API_KEY, BASE_URL, PROXY_URL, Cli
from tests.contract import SPEC_PATH, request_problems, response_problems, validate_exchange
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona

AUTH = {"Authorization": f"Bearer {API_KEY}"}
PROXY_OPERATION = ("POST", "{toolboxProxyUrl}/{sandboxId}/process/execute")


# -- helpers ---------------------------------------------------------------------------------


@functools.cache
def spec_operations() -> frozenset[tuple[str, str]]:
    document = yaml.safe_load(SPEC_PATH.read_text())
    return frozenset(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


def operation_of(request: httpx.Request) -> tuple[str, str] | None:
    """(method, spec path template) of a request, or the proxy route, or None."""
    url = str(request.url)
    if url.startswith(PROXY_URL + "/") and url.endswith("/process/execute"):
        return PROXY_OPERATION
    path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    if path.startswith("/api/"):
        path = path[len("/api") :]
    for method, template in spec_operations():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if method == request.method and re.fullmatch(pattern, path):
            return method, template
    return None


def problems_of(fake: FakeDaytona) -> list[str]:
    return [
        f"{request.method} {request.url} -> {response.status_code}: {problem}"
        for request, response in fake.exchanges
        for problem in validate_exchange(request, response)
    ]


def exercised(fake: FakeDaytona) -> set[tuple[str, str]]:
    """Operations that were answered with a success, so each was used for real."""
    found = set()
    for request, response in fake.exchanges:
        operation = operation_of(request)
        if operation is not None and response.is_success:
            found.add(operation)
    return found


def ok(result: Any, code: int = 0) -> Any:
    assert result.exit_code == code, result
    assert "Traceback" not in result.stderr
    return result


# -- the command families --------------------------------------------------------------------


def drive_list(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("data-1", labels={"team": "data", "env": "ci"})
    fake.add_sandbox("data-2", state="stopped", labels={"team": "data", "env": "ci"})
    fake.add_sandbox("web-1", labels={"team": "web"})
    result = ok(
        cli(
            "sandbox", "list", "--name", "DATA", "-l", "team=data", "-l", "env=ci",
            "--state", "started", "--state", "stopped", "--snapshot", DEFAULT_SNAPSHOT,
            "--sort", "name", "--order", "asc", "--limit", "10",
        )
    )  # fmt: skip
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["data-1", "data-2"]
    for sort in ("name", "cpu", "memoryGib", "diskGib", "lastActivityAt", "createdAt"):
        ok(cli("sandbox", "list", "--sort", sort, "--order", "desc", "-q"))
    listed = ok(cli("sandbox", "list", "--json")).json()
    assert {item["name"] for item in listed} >= {"data-1", "data-2", "web-1"}
    ok(cli("sandbox", "list", "--name", "nothing-matches"))
    ok(cli("sandbox", "list", tty=True))


def drive_pagination(cli: Cli, fake: FakeDaytona) -> None:
    before = len(ok(cli("sandbox", "list", "-q")).stdout.splitlines())
    for index in range(430):
        fake.add_sandbox(f"page-{index:03d}")
    ids = ok(cli("sandbox", "list", "-q")).stdout.splitlines()
    assert len(ids) == before + 430
    assert len(set(ids)) == len(ids)
    pages = fake.requests_to("GET", "/sandbox")
    assert any("cursor" in request.url.params for request in pages)
    limited = ok(cli("sandbox", "list", "-q", "--limit", "250")).stdout.splitlines()
    assert len(limited) == 250


def drive_create(cli: Cli, fake: FakeDaytona) -> None:
    from_snapshot = ok(
        cli(
            "sandbox", "create", "--name", "snap", "--snapshot", DEFAULT_SNAPSHOT,
            "-l", "team=data", "-e", "DEBUG=1", "--auto-stop", "0", "--auto-archive", "60",
            "--auto-delete", "-1", "--public", "--target", "eu", "--user", "root", "--json",
        )
    ).json()  # fmt: skip
    assert (from_snapshot["name"], from_snapshot["state"]) == ("snap", "started")
    from_image = ok(
        cli(
            "sandbox", "create", "--name", "built", "--image", "python:3.12-slim",
            "--cpu", "2", "--memory", "4", "--disk", "10", "--gpu", "1", "--json",
        )
    ).json()  # fmt: skip
    assert (from_image["cpu"], from_image["memory"], from_image["disk"]) == (2, 4, 10)
    ok(cli("sandbox", "create", "-q", "--no-wait", env={"DAYTONA_TARGET": "us"}))
    ok(cli("sandbox", "create", "--name", "plain", env={"DAYTONA_ORGANIZATION_ID": "org-1"}))
    ok(cli("sandbox", "create", "--name", "plain"), 5)  # 409: the name is taken
    ok(cli("sandbox", "create", "--snapshot", "no/such:1"), 3)  # 400: snapshot not found
    fake.fail_next_create("build_failed", "fake: bad Dockerfile")
    ok(cli("sandbox", "create", "--image", "broken:1"), 5)


def drive_get(cli: Cli, fake: FakeDaytona) -> None:
    sandbox = fake.add_sandbox("lookup", labels={"a": "b"}, env={"SECRET": "x"})
    ok(cli("sandbox", "get", "lookup"))
    ok(cli("sandbox", "get", sandbox["id"], "--json"))
    ok(cli("sandbox", "get", "lookup", tty=True))
    ok(cli("sandbox", "get", "missing"), 3)
    ok(cli("sandbox", "get", "lookup", env={"DAYTONA_API_KEY": "wrong"}), 4)


def drive_lifecycle(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("life-a")
    fake.add_sandbox("life-b", state="stopped")
    fake.add_sandbox("life-c", state="archived")
    fake.add_sandbox("ephemeral", autoDeleteInterval=0)
    stopped = ok(cli("sandbox", "stop", "life-a", "life-b", "--json")).json()
    assert [item["state"] for item in stopped] == ["stopped", "stopped"]
    ok(cli("sandbox", "stop", "ephemeral"))
    started = ok(cli("sandbox", "start", "life-a", "life-b", "life-c", "--json")).json()
    assert [item["state"] for item in started] == ["started"] * 3
    ok(cli("sandbox", "start", "life-a"))  # already started: fine
    ok(cli("sandbox", "stop", "life-a", "--no-wait"))
    during = cli("sandbox", "start", "life-a")  # a 409 while it is stopping, then it may wait
    assert during.exit_code in (0, 5), during
    ok(cli("sandbox", "delete", "life-b", "life-c", "--yes", "--json"))
    ok(cli("sandbox", "delete", "gone", "--yes"), 3)


def drive_exec_legacy(cli: Cli, fake: FakeDaytona, tmp: Path) -> None:
    fake.add_sandbox("runner")
    fake.add_sandbox("resting", state="stopped")
    assert ok(cli("sandbox", "exec", "runner", "--", "echo", "a b")).stdout == "a b\n"
    ok(cli("sandbox", "exec", "runner", "--cwd", str(tmp), "--timeout", "30", "--", "pwd"))
    ok(cli("sandbox", "exec", "runner", "--json", "--", "exit 3"), 3)
    fake.inject("POST", "/toolbox/*/toolbox/process/execute", status=408)
    ok(cli("sandbox", "exec", "runner", "--timeout", "1", "--", "sleep 3"), 124)
    ok(cli("sandbox", "exec", "runner", "--cwd", str(tmp / "none"), "--", "true"), 126)
    ok(cli("sandbox", "exec", "resting", "--start", "--", "echo", "up"))


def drive_exec_proxy(cli: Cli, fake: FakeDaytona, tmp: Path) -> None:
    sandbox = fake.add_sandbox("proxied")
    fake.legacy_execute = False
    try:
        ok(cli("sandbox", "exec", "proxied", "--cwd", str(tmp), "--timeout", "30", "--", "pwd"))
        view = fake.sandbox("proxied")
        assert view is not None
        fake.inject("GET", "/sandbox/proxied", status=200, json={**view, "toolboxProxyUrl": ""})
        ok(cli("sandbox", "exec", "proxied", "--", "echo", "asked for the url"))
        assert fake.requests_to("GET", f"/sandbox/{sandbox['id']}/toolbox-proxy-url")
    finally:
        fake.legacy_execute = True


def drive_snapshots(cli: Cli, fake: FakeDaytona) -> None:
    for index in range(230):
        fake.add_snapshot(f"fake/python:{index}", size=1.5, entrypoint=["sleep", "infinity"])
    fake.add_snapshot("fake/broken", state="error", errorReason="fake: pull failed")
    names = [line.split("\t")[0] for line in ok(cli("snapshot", "list")).stdout.splitlines()]
    assert len(names) == 232
    assert len(fake.requests_to("GET", "/snapshots")) >= 2
    ok(cli("snapshot", "list", "--name", "python", "--limit", "5", "--json"))
    ok(cli("snapshot", "list", tty=True, env={"NO_COLOR": "1"}))


FAMILIES: dict[str, Callable[[Cli, FakeDaytona, Path], None]] = {
    "list with every filter": lambda cli, fake, tmp: drive_list(cli, fake),
    "list pagination": lambda cli, fake, tmp: drive_pagination(cli, fake),
    "create from a snapshot and from an image": lambda cli, fake, tmp: drive_create(cli, fake),
    "get": lambda cli, fake, tmp: drive_get(cli, fake),
    "start, stop and delete": lambda cli, fake, tmp: drive_lifecycle(cli, fake),
    "exec on the legacy route": drive_exec_legacy,
    "exec through the toolbox proxy": drive_exec_proxy,
    "snapshot list": lambda cli, fake, tmp: drive_snapshots(cli, fake),
}


def test_every_command_family_keeps_the_contract_and_together_they_cover_the_spec(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    for family, drive in FAMILIES.items():
        first = len(fake.exchanges)
        drive(cli, fake, tmp_path)
        mine = fake.exchanges[first:]
        assert mine, f"{family}: sent no request"
        assert all(operation_of(request) is not None for request, _ in mine), family
        problems = [
            f"{request.method} {request.url} -> {response.status_code}: {problem}"
            for request, response in mine
            for problem in validate_exchange(request, response)
        ]
        assert problems == [], family
    assert len(fake.exchanges) == len(fake.requests), "a request went unanswered"
    assert problems_of(fake) == []
    covered = exercised(fake)
    missing = spec_operations() - covered
    assert not missing, f"operations never exercised: {sorted(missing)}"
    assert PROXY_OPERATION in covered
    assert covered <= spec_operations() | {PROXY_OPERATION}


def test_the_older_bare_array_list_answer_keeps_the_contract_too(isolated: Path) -> None:
    with FakeDaytona(
        api_key=API_KEY, base_url=BASE_URL, proxy_url=PROXY_URL, bare_array_list=True
    ) as fake:
        fake.add_sandbox("old-style")
        cli = Cli(fake, isolated)
        view = fake.sandbox("old-style")
        assert view is not None
        assert ok(cli("sandbox", "list", "-q")).stdout.strip() == view["id"]
        assert isinstance(json.loads(fake.exchanges[0][1].content), list)
        assert problems_of(fake) == []


def test_the_spec_names_the_operations_the_cli_is_built_on() -> None:
    assert spec_operations() == {
        ("GET", "/sandbox"),
        ("POST", "/sandbox"),
        ("GET", "/sandbox/{sandboxIdOrName}"),
        ("DELETE", "/sandbox/{sandboxIdOrName}"),
        ("POST", "/sandbox/{sandboxIdOrName}/start"),
        ("POST", "/sandbox/{sandboxIdOrName}/stop"),
        ("GET", "/sandbox/{sandboxId}/toolbox-proxy-url"),
        ("GET", "/snapshots"),
        ("POST", "/toolbox/{sandboxId}/toolbox/process/execute"),
    }


# -- the validator is not a no-op ------------------------------------------------------------


def real_exchange(fake: FakeDaytona, method: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
    with httpx.Client(transport=httpx.MockTransport(fake.handler), base_url=BASE_URL) as api:
        response = api.request(method, path, headers=AUTH, **kwargs)
    return fake.exchanges[-1][0], response


def test_a_valid_exchange_has_no_problems(fake: FakeDaytona) -> None:
    fake.add_sandbox("fine")
    request, response = real_exchange(fake, "GET", "/sandbox/fine")
    assert response.status_code == 200
    assert validate_exchange(request, response) == []


def test_a_create_request_with_a_string_cpu_is_reported() -> None:
    request = httpx.Request(
        "POST", f"{BASE_URL}/sandbox", headers=AUTH, json={"name": "x", "cpu": "two"}
    )
    problems = request_problems(request)
    assert problems
    assert any("cpu" in problem and "'two'" in problem for problem in problems), problems


def test_a_create_request_with_a_misspelt_field_is_reported() -> None:
    request = httpx.Request("POST", f"{BASE_URL}/sandbox", headers=AUTH, json={"lables": {}})
    assert any("lables" in problem for problem in request_problems(request))


def test_a_sandbox_answer_missing_a_required_field_is_reported(fake: FakeDaytona) -> None:
    fake.add_sandbox("fine")
    request, response = real_exchange(fake, "GET", "/sandbox/fine")
    body = response.json()
    del body["id"]
    broken = httpx.Response(200, json=body)
    problems = validate_exchange(request, broken)
    assert any("'id' is a required property" in problem for problem in problems), problems


def test_an_execute_answer_missing_its_exit_code_is_reported() -> None:
    request = httpx.Request(
        "POST",
        f"{BASE_URL}/toolbox/abc/toolbox/process/execute",
        headers=AUTH,
        json={"command": "true"},
    )
    assert request_problems(request) == []
    problems = response_problems(request, httpx.Response(200, json={"result": ""}))
    assert any("exitCode" in problem for problem in problems), problems


def test_a_proxy_execute_with_a_wrong_body_is_reported() -> None:
    request = httpx.Request(
        "POST", f"{PROXY_URL}/abc/process/execute", headers=AUTH, json={"command": 1}
    )
    assert request_problems(request)
    answer = httpx.Response(200, json={"exitCode": "0", "result": ""})
    assert response_problems(request, answer)


def test_an_error_answer_without_daytonas_error_body_is_reported() -> None:
    request = httpx.Request("GET", f"{BASE_URL}/sandbox/x", headers=AUTH)
    problems = response_problems(request, httpx.Response(404, json={"oops": True}))
    assert any("'message'" in problem for problem in problems), problems
    assert response_problems(request, httpx.Response(404, text="not json"))


def test_a_list_query_with_an_unknown_state_or_parameter_is_reported() -> None:
    bad_state = httpx.Request("GET", f"{BASE_URL}/sandbox?states=sleeping", headers=AUTH)
    assert request_problems(bad_state)
    unknown = httpx.Request("GET", f"{BASE_URL}/sandbox?state=started", headers=AUTH)
    assert request_problems(unknown)


def test_a_request_to_a_route_outside_the_api_is_reported() -> None:
    request = httpx.Request("GET", f"{BASE_URL}/sandboxes", headers=AUTH)
    assert request_problems(request)


def test_a_list_answer_leaking_a_field_is_reported(fake: FakeDaytona) -> None:
    fake.add_sandbox("fine")
    request, response = real_exchange(fake, "GET", "/sandbox")
    body = response.json()
    body["items"][0]["env"] = {}
    problems = validate_exchange(request, httpx.Response(200, json=body))
    assert any("env" in problem for problem in problems), problems
