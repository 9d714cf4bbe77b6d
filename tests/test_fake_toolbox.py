"""The fake's Toolbox API (toolbox.yaml, NOTES.md "Running commands"): execute, sessions on a
real shell, logs in three forms and as a WebSocket, input, and files in each sandbox's own tree.

Commands run as real processes, so the waits here are real (and short); the WebSocket tests use
the fake served on loopback, the only place a connection can be upgraded. Every exchange is
checked against the specs when the test ends (``tests/fake_fixtures.py``).
"""

from __future__ import annotations

import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, connect_ws
from wsproto.events import BytesMessage, TextMessage

from tests.conftest import Contract
from tests.fake_daytona import STDERR_PREFIX, STDOUT_PREFIX, FakeDaytona
from tests.fake_fixtures import (  # noqa: F401 (fixtures)
    AUTH,
    Box,
    ManualClock,
    api,
    box,
    client_for,
    clock,
    fake,
    is_running,
    make_fake,
    wait_until,
)

SDK = {"X-Daytona-SDK-Version": "0.226.1"}
SPLIT = {"X-Daytona-Split-Output": "true"}


@pytest.fixture
def session(box: Box) -> str:
    assert box.post("/process/session", json={"sessionId": "s"}).status_code == 201
    return "s"


@pytest.fixture
def loopback(make_fake: Callable[..., FakeDaytona]) -> Iterator[tuple[FakeDaytona, Box]]:
    """A fake on loopback (a log WebSocket closes 0.2 s after its command) and a started box."""
    fake = make_fake(follow_close_delay=0.2)
    fake.add_sandbox("box")
    with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH) as client:
        view = client.get("/sandbox/box").json()
        yield fake, Box(client, view)


def follow(box: Box, session: str, command_id: str, **headers: str) -> list[Any]:
    """Every message of the log WebSocket, until the server closes it."""
    url = f"{box.base}/process/session/{session}/command/{command_id}/logs?follow=true"
    messages: list[Any] = []
    with connect_ws(url, box.api, headers=headers) as ws:
        try:
            while True:
                messages.append(ws.receive())
        except WebSocketDisconnect as closed:
            messages.append(closed.code)
    return messages


# -- execute -----------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["proxy", "legacy"])
def test_execute_pipes_the_command_into_the_shell_and_merges_its_output(
    make_fake: Callable[..., FakeDaytona], route: str
) -> None:
    fake = make_fake(legacy_execute=True)
    view = fake.add_sandbox("box", lastActivityAt="2024-01-01T00:00:00.000Z")
    command = "echo 'one  two' | tr a-z A-Z && echo oops >&2; exit 3"
    with client_for(fake) as api:
        url = (
            f"{view['toolboxProxyUrl']}/{view['id']}/process/execute"
            if route == "proxy"
            else f"/toolbox/{view['id']}/toolbox/process/execute"
        )
        answer = api.post(url, json={"command": command})
    assert answer.json() == {"exitCode": 3, "result": "ONE  TWO\noops\n"}
    assert fake.sandbox("box")["lastActivityAt"] > "2024"  # type: ignore[index]


def test_commands_run_in_the_first_of_zsh_bash_sh(fake: FakeDaytona, box: Box) -> None:
    expected = next(filter(None, map(shutil.which, ("zsh", "bash", "sh"))))
    result = box.post("/process/execute", json={"command": "readlink /proc/$$/exe"}).json()
    assert result["result"].strip() == os.path.realpath(expected)


def test_execute_runs_in_the_work_dir_or_cwd_and_a_missing_cwd_is_exit_minus_one(
    fake: FakeDaytona, box: Box
) -> None:
    fake.host_path("box", "/srv/app").mkdir(parents=True)
    here = box.post("/process/execute", json={"command": "pwd"}).json()["result"]
    there = box.post("/process/execute", json={"command": "pwd", "cwd": "/srv/app"}).json()
    missing = box.post("/process/execute", json={"command": "pwd", "cwd": "/nope"}).json()
    assert here == f"{fake.host_path('box', '/home/daytona')}\n"
    assert there["result"] == f"{fake.host_path('box', '/srv/app')}\n"
    assert missing == {"exitCode": -1, "result": "chdir /nope: no such file or directory"}


def test_each_sandbox_runs_commands_in_a_tree_of_its_own(
    fake: FakeDaytona, api: httpx.Client
) -> None:
    first, second = (Box(api, fake.add_sandbox(name)) for name in ("first", "second"))
    first.post("/process/execute", json={"command": "touch made-here"})
    assert first.post("/process/execute", json={"command": "ls"}).json()["result"] == "made-here\n"
    assert second.post("/process/execute", json={"command": "ls"}).json()["result"] == ""


def test_execute_past_its_timeout_is_408_and_kills_the_process_group(
    fake: FakeDaytona, box: Box, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    answer = box.post(
        "/process/execute",
        json={"command": f"sleep 30 & echo $! > {pid_file}; echo partial; wait", "timeout": 1},
    )
    body = answer.json()
    assert answer.status_code == 408
    assert (body["message"], body["code"], body["source"]) == (
        "command execution timeout",
        "PROCESS_EXECUTION_TIMEOUT",
        "DAYTONA_DAEMON",
    )
    assert set(body) == {"statusCode", "message", "path", "timestamp", "method", "code", "source"}
    wait_until(
        lambda: not is_running(int(pid_file.read_text()))
    )  # SIGKILL lands at once, not before


def test_a_command_killed_by_a_signal_is_exit_minus_one_with_its_output_so_far(
    fake: FakeDaytona, box: Box
) -> None:
    answer = box.post("/process/execute", json={"command": "echo before; kill -9 $$; echo after"})
    assert answer.json() == {"exitCode": -1, "result": "before\n"}


@pytest.mark.parametrize("timeout", [1.5, 30.0, -1])
def test_execute_timeout_must_be_whole_non_negative_seconds_as_the_daemon_decodes_it(
    fake: FakeDaytona, box: Box, contract: Contract, timeout: float
) -> None:
    if timeout != -1:
        contract.spare_requests("a timeout that is not a whole number breaks the spec's integer")
    answer = box.post("/process/execute", json={"command": "true", "timeout": timeout})
    assert (answer.status_code, answer.json()["code"]) == (400, "INVALID_REQUEST_BODY")


def test_envs_sandbox_env_and_secrets_reach_the_command(
    fake: FakeDaytona, api: httpx.Client, clock: ManualClock
) -> None:
    fake.add_secret("vault-name", "s3cret")
    created = api.post(
        "/sandbox",
        json={"name": "box", "env": {"FROM_SANDBOX": "s"}, "secrets": [{"TOKEN": "vault-name"}]},
    ).json()
    clock.advance(1.0)
    box = Box(api, created)
    command = "echo $FROM_SANDBOX $EXTRA $TOKEN"
    answer = box.post("/process/execute", json={"command": command, "envs": {"EXTRA": "e"}})
    assert answer.json() == {"exitCode": 0, "result": "s e s3cret\n"}


@pytest.mark.parametrize(
    ("state", "by", "status", "message"),
    [
        ("started", "name", 404, "Sandbox not found"),
        ("stopped", "id", 400, "Sandbox is not running"),
        ("paused", "id", 400, "Sandbox is not running"),
    ],
)
def test_the_toolbox_needs_the_id_of_a_started_sandbox(
    fake: FakeDaytona, api: httpx.Client, state: str, by: str, status: int, message: str
) -> None:
    view = fake.add_sandbox("box", state=state, sandboxClass="linux-vm")
    target = view["id"] if by == "id" else "box"
    answer = api.post(f"{fake.proxy_url}/{target}/process/execute", json={"command": "true"})
    assert (answer.status_code, answer.json()["message"], answer.json()["source"]) == (
        status,
        message,
        "DAYTONA_PROXY",
    )


def test_an_unknown_toolbox_route_is_the_daemons_404(
    fake: FakeDaytona, box: Box, contract: Contract
) -> None:
    contract.spare_requests("the route is not in the toolbox spec")
    answer = box.get("/process/nothing")
    assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND")


# -- sessions ----------------------------------------------------------------------------------


def test_a_session_id_is_the_clients_choice_and_a_taken_one_is_409(box: Box, session: str) -> None:
    again = box.post("/process/session", json={"sessionId": session})
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")
    assert box.get("/process/session").json() == [{"sessionId": "s", "commands": []}]


def test_an_async_command_answers_202_and_shows_its_exit_code_once_it_ends(
    box: Box, session: str
) -> None:
    command_id = box.start(session, "read line; exit 4")
    view = box.get(f"/process/session/{session}/command/{command_id}").json()
    assert view == {"id": command_id, "command": "read line; exit 4"}
    box.post(f"/process/session/{session}/command/{command_id}/input", json={"data": "go"})
    assert box.exit_code(session, command_id) == 4
    listed = box.get(f"/process/session/{session}").json()
    assert listed["commands"] == [{"id": command_id, "command": "read line; exit 4", "exitCode": 4}]


def test_a_synchronous_command_answers_its_output_and_exit_code(box: Box, session: str) -> None:
    result = box.run(session, "echo out; echo more; false")
    assert (result["exitCode"], result["output"]) == (1, "out\nmore\n")
    assert set(result) == {"cmdId", "exitCode", "output"}


def test_commands_of_a_session_share_one_shell(box: Box, session: str) -> None:
    box.run(session, "mkdir -p sub && cd sub && export GREETING=hello && NOT_EXPORTED=1")
    assert box.run(session, "basename $(pwd); echo $GREETING $NOT_EXPORTED")["output"] == (
        "sub\nhello 1\n"
    )


@pytest.mark.parametrize(
    ("headers", "content_type", "bodies"),
    [
        ({}, "text/plain", (b"out\nerr\n", b"err\nout\n")),
        ({"X-Daytona-SDK-Version": "0.160.0"}, "text/plain", (b"out\nerr\n", b"err\nout\n")),
        (
            SPLIT,
            "text/plain",
            (
                STDOUT_PREFIX + b"out\n" + STDERR_PREFIX + b"err\n",
                STDERR_PREFIX + b"err\n" + STDOUT_PREFIX + b"out\n",
            ),
        ),
    ],
    ids=["plain", "old SDK", "split"],
)
def test_logs_come_as_text_merged_or_raw_as_the_headers_choose(
    box: Box, session: str, headers: dict[str, str], content_type: str, bodies: tuple[bytes, ...]
) -> None:
    # stdout and stderr are read apart, as by the daemon's two readers: their order may vary.
    command_id = box.run(session, "echo out; echo err >&2")["cmdId"]
    answer = box.get(f"/process/session/{session}/command/{command_id}/logs", headers=headers)
    assert answer.headers["content-type"].startswith(content_type)
    assert answer.content in bodies


def test_logs_come_as_json_for_an_sdk_from_0_167(box: Box, session: str) -> None:
    command_id = box.run(session, "echo out; echo err >&2")["cmdId"]
    answer = box.get(f"/process/session/{session}/command/{command_id}/logs", headers=SDK).json()
    assert (answer["stdout"], answer["stderr"]) == ("out\n", "err\n")
    assert answer["output"] in ("out\nerr\n", "err\nout\n")


def test_input_reaches_stdin_with_a_newline_is_echoed_and_never_ends_the_input(
    box: Box, session: str
) -> None:
    quiet = box.start(session, "cat", suppressInputEcho=True)
    box.post(f"/process/session/{session}/command/{quiet}/input", json={"data": "one"})
    logs = f"/process/session/{session}/command/{quiet}/logs"
    wait_until(lambda: box.get(logs).text == "one\n")
    assert "exitCode" not in box.get(f"/process/session/{session}/command/{quiet}").json()
    box.delete(f"/process/session/{session}")
    box.post("/process/session", json={"sessionId": "t"})
    echoed = box.start("t", "read a; read b; echo got $a $b")
    for data in ("x", "y\n"):
        box.post(f"/process/session/t/command/{echoed}/input", json={"data": data})
    assert box.exit_code("t", echoed) == 0
    raw = box.get(f"/process/session/t/command/{echoed}/logs", headers=SPLIT).content
    assert raw == STDOUT_PREFIX + b"x\n" + STDOUT_PREFIX + b"y\n" + STDOUT_PREFIX + b"got x y\n"


def test_input_to_a_finished_command_is_410(box: Box, session: str) -> None:
    command_id = box.run(session, "true")["cmdId"]
    answer = box.post(f"/process/session/{session}/command/{command_id}/input", json={"data": "x"})
    assert (answer.status_code, answer.json()["code"]) == (410, "COMMAND_ALREADY_COMPLETED")


def test_deleting_a_session_kills_what_runs_in_it(box: Box, session: str, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    box.start(session, f"sleep 30 & echo $! > {pid_file}; wait")
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    assert box.delete(f"/process/session/{session}").status_code == 204
    wait_until(lambda: not is_running(int(pid_file.read_text())))
    assert box.get(f"/process/session/{session}").status_code == 404


def test_stopping_the_sandbox_ends_its_sessions(
    fake: FakeDaytona, box: Box, session: str, api: httpx.Client
) -> None:
    assert fake.sessions_of("box") == [session]
    api.post("/sandbox/box/stop")
    assert fake.sessions_of("box") == []


@pytest.mark.parametrize(("command", "code"), [("exit 7", 7), ("echo bye; kill -9 $$", -1)])
def test_a_command_that_ends_the_shell_ends_the_session(
    box: Box, session: str, command: str, code: int
) -> None:
    command_id = box.start(session, command)
    assert box.exit_code(session, command_id) == code
    later = box.post(f"/process/session/{session}/exec", json={"command": "true"})
    assert (later.status_code, later.json()["code"]) == (400, "SESSION_ENDED")


@pytest.mark.parametrize(
    ("route", "body", "status", "message"),
    [
        ("/process/session/s/exec", {"command": "  "}, 400, "command cannot be empty"),
        ("/process/session/nope/exec", {"command": "true"}, 404, "session not found"),
        ("/process/session", {}, 400, None),
    ],
)
def test_session_requests_are_refused_as_the_daemon_refuses_them(
    box: Box,
    session: str,
    contract: Contract,
    route: str,
    body: dict[str, Any],
    status: int,
    message: str | None,
) -> None:
    if not body:
        contract.spare_requests("an empty body lacks the spec's required fields")
    answer = box.post(route, json=body)
    assert answer.status_code == status
    assert message is None or answer.json()["message"] == message
    missing = box.get(f"/process/session/{session}/command/nope")
    assert (missing.status_code, missing.json()["message"]) == (404, "command not found")


# -- the log WebSocket -------------------------------------------------------------------------


def test_following_logs_streams_the_raw_log_live_and_closes_after_the_command_ends(
    loopback: tuple[FakeDaytona, Box],
) -> None:
    fake, box = loopback
    box.post("/process/session", json={"sessionId": "s"})
    command_id = box.start("s", "echo first; read go; echo second >&2")
    url = f"{box.base}/process/session/s/command/{command_id}/logs?follow=true"
    with connect_ws(url, box.api) as ws:
        first = ws.receive_bytes()
        assert first == STDOUT_PREFIX + b"first\n"
        box.post(f"/process/session/s/command/{command_id}/input", json={"data": "now"})
        rest = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                rest.append(ws.receive_bytes())
    assert b"".join(rest) == STDOUT_PREFIX + b"now\n" + STDERR_PREFIX + b"second\n"
    assert closed.value.code == 1000
    assert box.exit_code("s", command_id) == 0
    [upgrade] = [r for q, r in fake.exchanges if q.headers.get("upgrade") == "websocket"]
    assert upgrade.status_code == 101


def test_the_follow_socket_stays_open_for_the_close_delay_after_the_command(
    loopback: tuple[FakeDaytona, Box],
) -> None:
    fake, box = loopback
    idle = ManualClock()  # the close delay is measured on it: only this test moves it
    fake.wait_clock = idle
    fake.follow_close_delay = 0.5
    box.post("/process/session", json={"sessionId": "s"})
    command_id = box.run("s", "echo done")["cmdId"]
    url = f"{box.base}/process/session/s/command/{command_id}/logs?follow=true"
    with connect_ws(url, box.api) as ws:
        assert ws.receive_bytes() == STDOUT_PREFIX + b"done\n"
        idle.advance(0.25)
        looked = idle.reads
        # The server keeps looking at the time, so it has not closed the socket: not yet.
        wait_until(lambda: idle.reads >= looked + 3)
        idle.advance(0.25)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive(timeout=10)
    assert closed.value.code == 1000


@pytest.mark.parametrize("size", [1, 2])
def test_the_follow_socket_can_split_every_prefix_across_messages(
    loopback: tuple[FakeDaytona, Box], size: int
) -> None:
    fake, box = loopback
    fake.ws_chunk_size = size
    box.post("/process/session", json={"sessionId": "s"})
    command_id = box.run("s", "echo ab")["cmdId"]
    messages = follow(box, "s", command_id)
    data = [m.data for m in messages[:-1]]
    assert b"".join(data) == STDOUT_PREFIX + b"ab\n"
    assert {len(piece) for piece in data} <= {1, 2} and len(data[0]) == size


def test_older_daemons_send_text_messages(loopback: tuple[FakeDaytona, Box]) -> None:
    fake, box = loopback
    fake.ws_text_frames = True
    box.post("/process/session", json={"sessionId": "s"})
    command_id = box.run("s", "echo text")["cmdId"]
    messages = follow(box, "s", command_id)
    assert [type(m) for m in messages[:-1]] == [TextMessage]
    assert messages[0].data == "\x01\x01\x01text\n"


def test_deleting_the_session_closes_its_followers_at_once(
    loopback: tuple[FakeDaytona, Box],
) -> None:
    fake, box = loopback
    fake.follow_close_delay = 30
    box.post("/process/session", json={"sessionId": "s"})
    command_id = box.start("s", "echo forever; sleep 30")
    url = f"{box.base}/process/session/s/command/{command_id}/logs?follow=true"
    with connect_ws(url, box.api) as ws:
        assert isinstance(ws.receive(), BytesMessage)
        box.delete("/process/session/s")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive(timeout=5)
    assert closed.value.code == 1000


def test_a_websocket_cannot_be_upgraded_in_process(box: Box, session: str) -> None:
    command_id = box.run(session, "true")["cmdId"]
    answer = box.get(
        f"/process/session/{session}/command/{command_id}/logs",
        params={"follow": "true"},
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
    )
    assert (answer.status_code, answer.json()["message"]) == (
        501,
        "fake: a WebSocket needs the served fake (fake.serve())",
    )


# -- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["raw", "multipart"])
def test_an_upload_makes_parents_and_overwrites(fake: FakeDaytona, box: Box, form: str) -> None:
    def upload(content: bytes) -> httpx.Response:
        if form == "raw":
            headers = {"Content-Type": "application/octet-stream"}
            return box.post(
                "/files/upload-v2", params={"path": "a/b/c.bin"}, content=content, headers=headers
            )
        files = {"file": ("c.bin", content)}
        return box.post("/files/upload-v2", params={"path": "a/b/c.bin"}, files=files)

    assert upload(b"first").json() == {"name": "c.bin", "path": "a/b/c.bin", "type": "file"}
    upload(b"\x00\r\n--binary\xff")
    assert fake.host_path("box", "/home/daytona/a/b/c.bin").read_bytes() == b"\x00\r\n--binary\xff"


def test_a_multipart_upload_without_a_file_field_is_400(box: Box, contract: Contract) -> None:
    contract.spare_requests("the spec's form has only `file`")
    answer = box.post("/files/upload-v2", params={"path": "x"}, files={"other": ("x", b"x")})
    assert answer.status_code == 400


def test_a_large_upload_is_streamed_to_disk_and_kept_out_of_the_record(
    loopback: tuple[FakeDaytona, Box],
) -> None:
    fake, box = loopback
    chunks = (bytes([n % 256]) * 65536 for n in range(48))  # 3 MiB, sent chunked
    headers = {"Content-Type": "application/octet-stream"}
    answer = box.post("/files/upload-v2", params={"path": "/big"}, content=chunks, headers=headers)
    assert answer.status_code == 200
    assert fake.host_path("box", "/big").stat().st_size == 48 * 65536
    [request] = fake.requests_to("POST", "/toolbox-proxy/*/files/upload-v2")
    assert (request.extensions["fake_body_elided"], request.content) == (48 * 65536, b"")


def test_a_download_is_streamed_in_chunks(fake: FakeDaytona, box: Box) -> None:
    fake.host_path("box", "/data.bin").parent.mkdir(parents=True, exist_ok=True)
    fake.host_path("box", "/data.bin").write_bytes(os.urandom(200_000))
    with box.api.stream("GET", box.base + "/files/download", params={"path": "/data.bin"}) as got:
        chunks = list(got.iter_raw())
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-length"] == "200000"
    assert max(map(len, chunks)) <= 65536 and len(chunks) > 1
    assert b"".join(chunks) == fake.host_path("box", "/data.bin").read_bytes()


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/missing", 404, "FILE_NOT_FOUND"), ("/home", 400, "BAD_REQUEST")],
)
def test_a_download_of_a_missing_path_or_a_folder_is_refused(
    box: Box, path: str, status: int, code: str
) -> None:
    answer = box.get("/files/download", params={"path": path})
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert answer.headers["content-type"].startswith("application/json")


def without_waiting(request: Callable[[], httpx.Response], pipe: Path) -> httpx.Response:
    """``request()``, failing if it is still waiting after 5 s; the pipe's other end is then
    opened so that the fake's thread is let go."""
    answers: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: answers.append(request()), daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():
        end = os.open(pipe, os.O_RDWR | os.O_NONBLOCK)  # both ends: any waiting open returns
        worker.join(5)
        os.close(end)
        pytest.fail(f"the fake waited on the named pipe {pipe}")
    return answers[0]


def test_a_named_pipe_is_listed_with_the_daemons_mode_and_never_opened(
    fake: FakeDaytona, box: Box
) -> None:
    pipe = fake.host_path("box", "w2/ff")
    pipe.parent.mkdir()
    os.mkfifo(pipe, 0o644)
    [listed] = box.get("/files", params={"path": "w2"}).json()
    assert (listed["name"], listed["mode"], listed["isDir"]) == ("ff", "prw-r--r--", False)
    message = "fake: /home/daytona/w2/ff is not a regular file (prw-r--r--): the daemon would " \
        "open it and wait"  # fmt: skip
    down = without_waiting(lambda: box.get("/files/download", params={"path": "w2/ff"}), pipe)
    headers = {"Content-Type": "application/octet-stream"}
    up = without_waiting(
        lambda: box.post("/files/upload-v2", params={"path": "w2/ff"}, content=b"x",
                         headers=headers),
        pipe,
    )  # fmt: skip
    for answer in (down, up):
        assert (answer.status_code, answer.json()["message"]) == (400, message)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


@pytest.mark.parametrize(
    ("make", "mode"),
    [
        (lambda p: p.mkdir(mode=0o755), "drwxr-xr-x"),
        (lambda p: (p.write_text("x"), p.chmod(0o4755)), "urwxr-xr-x"),
        (lambda p: (p.mkdir(), p.chmod(0o1777)), "dtrwxrwxrwx"),
    ],
    ids=["folder", "setuid", "sticky"],
)
def test_file_info_writes_the_mode_as_gos_file_mode_string(
    fake: FakeDaytona, box: Box, make: Callable[[Path], Any], mode: str
) -> None:
    make(fake.host_path("box", "thing"))
    assert box.get("/files/info", params={"path": "thing"}).json()["mode"] == mode


def test_listing_a_folder_gives_file_infos_depth_levels_down(fake: FakeDaytona, box: Box) -> None:
    fake.host_path("box", "proj/src").mkdir(parents=True)
    fake.host_path("box", "proj/src/main.py").write_text("print()\n")
    fake.host_path("box", "proj/README").write_text("hi")
    fake.host_path("box", "proj/README").chmod(0o600)
    flat = box.get("/files", params={"path": "proj"}).json()
    deep = box.get("/files", params={"path": "proj", "depth": 2}).json()
    assert [(e["name"], e["isDir"]) for e in flat] == [("README", False), ("src", True)]
    assert (flat[0]["size"], flat[0]["permissions"]) == (2, "0600")
    assert flat[0]["path"] == "/home/daytona/proj/README"
    assert (flat[0]["mode"], flat[0]["owner"]) == ("-rw-------", "daytona")
    assert [e["path"] for e in deep][-1] == "/home/daytona/proj/src/main.py"


def test_file_info_describes_one_path(fake: FakeDaytona, box: Box) -> None:
    fake.host_path("box", "notes.txt").write_text("hello")
    info = box.get("/files/info", params={"path": "/home/daytona/notes.txt"}).json()
    assert (info["name"], info["size"], info["isDir"]) == ("notes.txt", 5, False)
    assert info["modifiedAt"].endswith("Z")


def test_a_folder_is_made_with_its_parents_and_mode(fake: FakeDaytona, box: Box) -> None:
    assert box.post("/files/folder", params={"path": "/opt/a/b", "mode": "700"}).status_code == 201
    assert oct(fake.host_path("box", "/opt/a/b").stat().st_mode & 0o777) == "0o700"
    bad = box.post("/files/folder", params={"path": "/x", "mode": "999"})
    assert (bad.status_code, bad.json()["message"]) == (400, "invalid mode format")


def test_deleting_a_folder_needs_recursive_and_a_missing_path_is_404(
    fake: FakeDaytona, box: Box
) -> None:
    fake.host_path("box", "/d/e").mkdir(parents=True)
    refused = box.delete("/files", params={"path": "/d"})
    assert (refused.status_code, refused.json()["message"]) == (
        400,
        "cannot delete directory without recursive flag",
    )
    assert box.delete("/files", params={"path": "/d", "recursive": "true"}).status_code == 204
    assert not fake.host_path("box", "/d").exists()
    assert box.delete("/files", params={"path": "/d"}).json()["code"] == "FILE_NOT_FOUND"


@pytest.mark.parametrize(
    ("options", "user", "work", "home"),
    [
        ({}, "daytona", "/home/daytona", "/home/daytona"),
        ({}, "root", "/root", "/root"),
        ({"work_dir": "/workspace"}, "daytona", "/workspace", "/home/daytona"),
    ],
)
def test_the_work_dir_and_home_follow_the_user_and_the_fakes_work_dir(
    make_fake: Callable[..., FakeDaytona],
    options: dict[str, Any],
    user: str,
    work: str,
    home: str,
) -> None:
    fake = make_fake(**options)
    with client_for(fake) as api:
        box = Box(api, fake.add_sandbox("box", user=user))
        answers = (box.get("/work-dir").json(), box.get("/user-home-dir").json())
        where = box.post("/process/execute", json={"command": "pwd; echo $HOME"}).json()["result"]
    assert answers == ({"dir": work}, {"dir": home})
    assert where == f"{fake.host_path('box', work)}\n{fake.host_path('box', home)}\n"


def test_paths_stay_inside_the_sandboxs_tree(fake: FakeDaytona, box: Box, tmp_path: Path) -> None:
    (tmp_path / "outside").write_text("host secret")
    os.symlink(tmp_path, fake.host_path("box", "/escape"))
    climbed = box.get("/files", params={"path": "../../../.."}).json()
    assert {entry["path"] for entry in climbed} == {"/home", "/tmp"}  # the way out is not shown
    through_link = box.get("/files/download", params={"path": "/escape/outside"})
    assert (through_link.status_code, through_link.json()["code"]) == (403, "FILE_ACCESS_DENIED")


# -- faults on toolbox routes ------------------------------------------------------------------


def test_faults_can_be_injected_and_answers_lost_on_toolbox_routes(
    fake: FakeDaytona, box: Box, session: str
) -> None:
    fake.inject("POST", "/toolbox-proxy/*/process/session/*/exec", status=502)
    failed = box.post(f"/process/session/{session}/exec", json={"command": "true"})
    assert (failed.status_code, failed.json()["source"]) == (502, "DAYTONA_DAEMON")
    fake.lose_answer("POST", "/toolbox-proxy/*/files/upload-v2")
    with pytest.raises(httpx.RemoteProtocolError):
        box.post(
            "/files/upload-v2",
            params={"path": "/landed"},
            content=b"x",
            headers={"Content-Type": "application/octet-stream"},
        )
    assert fake.host_path("box", "/landed").read_bytes() == b"x"
    assert len(fake.requests_to("*", "/toolbox-proxy/*")) == 3
