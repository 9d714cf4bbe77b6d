"""The contract: every request the CLI sends, and every answer the fake gives, keeps the specs.

Each command and option family is driven against the in-process fake and its exchanges are
validated explicitly (every fake of every test is validated again at teardown: conftest.py's
``contract``). One tour runs all of them on one fake; together they must exercise every operation
of ``tests/openapi.yaml``, ``tests/toolbox.yaml`` and ``tests/legacy-execute.yaml`` that the CLI
is built on today, and the rest is named (``NOT_YET_USED``), so a new command moves its
operations from one to the other.
The last tests prove the validator is not a no-op: hand-made exchanges that break the specs are
reported.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import API_KEY, BASE_URL, PROXY_URL, Cli
from tests.contract import (
    SPEC_PATHS,
    TOLERATED,
    operation_id,
    request_problems,
    response_problems,
    validate_exchange,
)
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona
from tests.test_sandbox_ssh import Ssh

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NOT_YET_USED = {
    # In the specs for completeness; no issue uses them yet.
    "getBuildLogsUrl",
    "ListSessions",
    "GetSession",
}
"""Operations of the specs that no command uses yet: a command that starts using one must
remove it from here (the tour fails until it does)."""
OLD_SERVERS_ONLY = {"executeCommand_deprecated"}
"""Used only against a server without a toolbox proxy (the old-server test below)."""


# -- helpers ---------------------------------------------------------------------------------


@functools.cache
def spec_operations() -> frozenset[str]:
    """Every operationId of the three specs."""
    return frozenset(
        operation["operationId"]
        for path in SPEC_PATHS.values()
        for item in yaml.safe_load(path.read_text())["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    )


def problems_of(fake: FakeDaytona) -> list[str]:
    return [
        f"{request.method} {request.url} -> {response.status_code}: {problem}"
        for request, response in fake.exchanges
        for problem in validate_exchange(request, response)
    ]


def exercised(fake: FakeDaytona) -> set[str]:
    """Operations that were answered with a success (for the log stream: the upgrade to a
    WebSocket), so each was used for real."""
    return {
        found
        for request, response in fake.exchanges
        if (response.is_success or response.status_code == 101)
        and (found := operation_id(request)) is not None
    }


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
    fake.legacy_execute = True  # a transitional server, with both routes
    try:
        fake.add_sandbox("runner")
        fake.add_sandbox("resting", state="stopped")
        assert (
            ok(cli("sandbox", "exec", "--merged", "runner", "--", "echo", "a b")).stdout == "a b\n"
        )
        ok(
            cli(
                "sandbox",
                "exec",
                "--merged",
                "runner",
                "--cwd",
                "/tmp",
                "--timeout",
                "30",
                "--",
                "pwd",
            )
        )
        ok(cli("sandbox", "exec", "--merged", "runner", "--json", "--", "exit 3"), 3)
        fake.inject("POST", "/toolbox/*/toolbox/process/execute", status=408)
        ok(cli("sandbox", "exec", "--merged", "runner", "--timeout", "1", "--", "sleep 3"), 124)
        ok(cli("sandbox", "exec", "--merged", "runner", "--cwd", "/none", "--", "true"), 126)
        ok(cli("sandbox", "exec", "--merged", "resting", "--start", "--", "echo", "up"))
    finally:
        fake.legacy_execute = False


def drive_exec_proxy(cli: Cli, fake: FakeDaytona, tmp: Path) -> None:
    sandbox = fake.add_sandbox("proxied")
    ok(
        cli(
            "sandbox",
            "exec",
            "--merged",
            "proxied",
            "--cwd",
            "/tmp",
            "--timeout",
            "30",
            "--",
            "pwd",
        )
    )
    view = fake.sandbox("proxied")
    assert view is not None
    fake.inject("GET", "/sandbox/proxied", status=200, json={**view, "toolboxProxyUrl": ""})
    ok(cli("sandbox", "exec", "--merged", "proxied", "--", "echo", "asked for the url"))
    assert fake.requests_to("GET", f"/sandbox/{sandbox['id']}/toolbox-proxy-url")


def drive_exec_stream(cli: Cli, fake: FakeDaytona, tmp: Path) -> None:
    """The default route needs a WebSocket, so real sockets: the fake served on loopback."""
    fake.add_sandbox("streamer")
    fake.follow_close_delay = 0.05
    with fake.serve() as url:
        served = Cli(fake, cli.workdir, url=url)
        result = ok(served("sandbox", "exec", "streamer", "--", "echo out; echo err >&2"))
        assert (result.stdout, result.stderr) == ("out\n", "err\n")
        ok(served("sandbox", "exec", "streamer", "--", "echo bye; kill -KILL $$"), 126)  # the shell
        piped = ok(served("sandbox", "exec", "-i", "streamer", "--", "wc -l", stdin="a\nb\n"))
        assert piped.stdout.strip() == "2"
        typed = served("sandbox", "exec", "-i", "streamer", "--", "read a; echo $a", stdin="x\n",
                       tty=True)  # fmt: skip
        assert ok(typed).stdout == "x\n"


def drive_cp(cli: Cli, fake: FakeDaytona, tmp: Path) -> None:
    fake.add_sandbox("files")
    (cli.workdir / "tree" / "sub").mkdir(parents=True)
    (cli.workdir / "tree" / "sub" / "f.txt").write_text("f")
    ok(cli("sandbox", "cp", "-r", "tree", "files:~/tree"))
    ok(cli("sandbox", "cp", "-r", "files:tree", "back"))
    assert (cli.workdir / "back" / "sub" / "f.txt").read_text() == "f"
    ok(cli("sandbox", "cp", "files:/nowhere", "x"), 3)


def drive_pause_archive_ssh_preview(cli: Cli, fake: FakeDaytona, tmp: Path) -> None:
    fake.add_sandbox("vm-c", sandboxClass="linux-vm")
    fake.add_sandbox("box-c")
    fake.add_sandbox("cold-c", state="stopped")
    assert ok(cli("sandbox", "pause", "vm-c", "--json")).json()[0]["state"] == "paused"
    ok(cli("sandbox", "pause", "vm-c"))  # paused already: a 400, then fine
    ok(cli("sandbox", "pause", "box-c"), 5)  # 422: a container cannot pause
    ok(cli("sandbox", "archive", "cold-c"))
    ok(cli("sandbox", "archive", "box-c"), 5)  # started: refused
    ok(cli("sandbox", "archive", "box-c", "--stop", "--no-wait"))
    ok(cli("sandbox", "wait", "box-c", "--for", "archived"))
    ok(cli("sandbox", "start", "cold-c"))  # restored
    stand_in = Ssh(tmp / "ssh-bin")
    ok(cli("sandbox", "ssh", "vm-c", "--start", "--expires", "5", "--", "true", env=stand_in.env()))
    assert fake.live_ssh_tokens() == []
    ok(cli("sandbox", "ssh", "vm-c", "--print"))
    ok(cli("sandbox", "preview-url", "vm-c", "--port", "3000"))
    ok(cli("sandbox", "preview-url", "vm-c", "--port", "3000", "--signed", "--expires", "120"))


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
    "exec streaming through a session": drive_exec_stream,
    "cp both ways": drive_cp,
    "pause, archive, ssh and preview URLs": drive_pause_archive_ssh_preview,
    "snapshot list": lambda cli, fake, tmp: drive_snapshots(cli, fake),
}


def test_every_command_family_keeps_the_contract_and_together_they_cover_the_specs(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    for family, drive in FAMILIES.items():
        first = len(fake.exchanges)
        drive(cli, fake, tmp_path)
        mine = fake.exchanges[first:]
        assert mine, f"{family}: sent no request"
        assert all(operation_id(request) is not None for request, _ in mine), family
        problems = [
            f"{request.method} {request.url} -> {response.status_code}: {problem}"
            for request, response in mine
            for problem in validate_exchange(request, response)
        ]
        assert problems == [], family
    assert len(fake.exchanges) == len(fake.requests), "a request went unanswered"
    assert problems_of(fake) == []
    covered = exercised(fake)
    assert spec_operations() - covered == NOT_YET_USED | OLD_SERVERS_ONLY
    assert covered <= spec_operations()


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


def test_the_cli_runs_in_process_against_the_served_fake_over_sockets(
    served_cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("remote")
    assert ok(served_cli("sandbox", "exec", "remote", "--", "echo", "over sockets")).stdout == (
        "over sockets\n"
    )
    assert {request.url.host for request in fake.requests} == {"127.0.0.1"}
    assert problems_of(fake) == []


def test_on_an_old_server_commands_run_through_the_legacy_route(
    old_fake: FakeDaytona, isolated: Path
) -> None:
    old_fake.add_sandbox("vintage")
    result = ok(Cli(old_fake, isolated)("sandbox", "exec", "vintage", "--", "echo", "old"))
    assert result.stdout == "old\n"
    assert len(old_fake.requests_to("POST", "/toolbox/*/toolbox/process/execute")) == 1
    assert old_fake.requests_to("POST", "/toolbox-proxy/*") == []
    assert problems_of(old_fake) == []
    assert exercised(old_fake) >= OLD_SERVERS_ONLY


def test_the_specs_name_the_operations_of_todays_api_and_toolbox() -> None:
    by_spec = {
        spec: {
            operation["operationId"]
            for item in yaml.safe_load(path.read_text())["paths"].values()
            for operation in item.values()
        }
        for spec, path in SPEC_PATHS.items()
    }
    assert by_spec == {
        "api": {
            "listSandboxes",
            "createSandbox",
            "getSandbox",
            "deleteSandbox",
            "startSandbox",
            "stopSandbox",
            "pauseSandbox",
            "archiveSandbox",
            "createSshAccess",
            "revokeSshAccess",
            "getPortPreviewUrl",
            "getSignedPortPreviewUrl",
            "getBuildLogsUrl",
            "getToolboxProxyUrl",
            "getAllSnapshots",
        },
        "toolbox": {
            "ExecuteCommand",
            "ListSessions",
            "CreateSession",
            "GetSession",
            "DeleteSession",
            "SessionExecuteCommand",
            "GetSessionCommand",
            "GetSessionCommandLogs",
            "SendInput",
            "ListFiles",
            "DeleteFile",
            "GetFileInfo",
            "CreateFolder",
            "DownloadFile",
            "UploadFile",
            "GetUserHomeDir",
            "GetWorkDir",
        },
        "legacy": {"executeCommand_deprecated"},
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


def test_a_legacy_execute_without_the_key_is_reported() -> None:
    # legacy-execute.yaml names the bearer scheme without defining it: the API's is used.
    keyless = httpx.Request(
        "POST", f"{BASE_URL}/toolbox/abc/toolbox/process/execute", json={"command": "true"}
    )
    assert any("Security" in problem for problem in request_problems(keyless))


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


# -- the toolbox side and the documented readings --------------------------------------------

TOOLBOX = f"{PROXY_URL}/sandbox-1"
DAEMON_ERROR = {
    "statusCode": 404,
    "message": "stat /x: no such file or directory",
    "path": "/files/download",
    "timestamp": "2026-01-01T00:00:00Z",
    "code": "FILE_NOT_FOUND",
    "source": "DAYTONA_DAEMON",
}


def toolbox_request(method: str, route: str, **options: Any) -> httpx.Request:
    return httpx.Request(
        method, TOOLBOX + route, headers={**AUTH, **options.pop("headers", {})}, **options
    )


def test_toolbox_requests_are_checked_against_toolbox_yaml() -> None:
    good = toolbox_request("POST", "/process/session", json={"sessionId": "s"})
    typo = toolbox_request("POST", "/process/session", json={"sessionID": "s"})
    extra = toolbox_request("GET", "/files", params={"path": "/", "recursive": "true"})
    nowhere = toolbox_request("GET", "/process/nothing")
    assert request_problems(good) == []
    assert any("sessionID" in problem for problem in request_problems(typo))
    assert request_problems(extra) == ["query parameter 'recursive' is not declared for ListFiles"]
    assert request_problems(nowhere) == [f"GET {nowhere.url.path}: not an operation of toolbox"]


def test_an_upload_may_be_multipart_or_raw_but_must_say_which() -> None:
    params = {"path": "/x"}
    multipart = toolbox_request(
        "POST", "/files/upload-v2", params=params, files={"file": ("x", b"1")}
    )
    raw = toolbox_request(
        "POST", "/files/upload-v2", params=params, content=b"1",
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip
    undeclared = toolbox_request("POST", "/files/upload-v2", params=params, content=b"1")
    assert (request_problems(multipart), request_problems(raw)) == ([], [])
    assert request_problems(undeclared)


def test_a_multipart_upload_must_carry_its_file_in_the_forms_only_part() -> None:
    # openapi-core drops the parts a form's schema does not name: they are checked apart.
    params = {"path": "/x"}
    misnamed = toolbox_request("POST", "/files/upload-v2", params=params, files={"upload": b"1"})
    extra = toolbox_request(
        "POST", "/files/upload-v2", params=params, files={"file": b"1", "mode": b"0644"}
    )
    assert request_problems(misnamed) == ["form part 'upload' is not declared for UploadFile"]
    assert request_problems(extra) == ["form part 'mode' is not declared for UploadFile"]


def test_an_elided_upload_body_is_checked_without_it() -> None:
    request = toolbox_request(
        "POST", "/files/upload-v2", params={"path": "/x"},
        headers={"Content-Type": "multipart/form-data; boundary=b"},
        extensions={"fake_body_elided": 10 << 20},
    )  # fmt: skip
    assert request_problems(request) == []


def test_toolbox_errors_must_be_the_daemons_json_error_body() -> None:
    request = toolbox_request("GET", "/files/download", params={"path": "/x"})
    assert response_problems(request, httpx.Response(404, json=DAEMON_ERROR)) == []
    api_style = {
        "path": "/x",
        "timestamp": "t",
        "statusCode": 404,
        "error": "Not Found",
        "message": "m",
    }
    assert any(
        "'error' was unexpected" in p
        for p in response_problems(request, httpx.Response(404, json=api_style))
    )
    assert response_problems(request, httpx.Response(502, text="Bad Gateway"))
    unknown_code = {**DAEMON_ERROR, "code": "NOPE"}
    assert response_problems(request, httpx.Response(404, json=unknown_code))


def test_plain_and_binary_answers_are_checked_by_content_type() -> None:
    logs = toolbox_request("GET", "/process/session/s/command/c/logs")
    download = toolbox_request("GET", "/files/download", params={"path": "/x"})
    plain = httpx.Response(
        200, headers={"content-type": "text/plain; charset=utf-8"}, content=b"\x01\x01\x01hi"
    )
    binary = httpx.Response(
        200, headers={"content-type": "application/octet-stream"}, content=b"\xff"
    )
    assert (response_problems(logs, plain), response_problems(download, binary)) == ([], [])
    assert response_problems(download, plain) == [
        "DownloadFile 200: content type 'text/plain' is not one of ['application/octet-stream']"
    ]
    split_json = httpx.Response(200, json={"output": "hi", "stdout": "hi"})
    assert any("'stderr' is a required" in p for p in response_problems(logs, split_json))


def test_only_the_log_route_may_upgrade_to_a_websocket() -> None:
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    logs = toolbox_request(
        "GET", "/process/session/s/command/c/logs", params={"follow": "true"}, headers=upgrade
    )
    other = toolbox_request("GET", "/process/session/s/command/c", headers=upgrade)
    assert validate_exchange(logs, httpx.Response(101)) == []
    assert response_problems(other, httpx.Response(101)) == [
        "GetSessionCommand: upgraded to a WebSocket"
    ]


def test_a_tolerated_problem_spares_only_that_problem() -> None:
    request = httpx.Request("GET", f"{BASE_URL}/sandbox", headers=AUTH)
    item = {"name": "x", "organizationId": "o", "target": "us", "user": "u", "public": False,
            "networkBlockAll": False, "cpu": 1, "gpu": 0, "memory": 1, "disk": 1, "labels": {},
            "toolboxProxyUrl": "p"}  # fmt: skip
    body = {"items": [item, {**item, "id": "y", "cpu": "many"}], "nextCursor": None}
    tolerated = {TOLERATED: ("'id' is a required property",)}
    problems = response_problems(request, httpx.Response(200, json=body, extensions=tolerated))
    assert len(problems) == 1 and "'many'" in problems[0]
