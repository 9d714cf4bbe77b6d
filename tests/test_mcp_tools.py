"""`daytona-cli mcp`'s eight tools, called through the MCP SDK's client (issue 13).

In-process and on the virtual clock: the server is the real one (`build_server`), the SDK's
client speaks to it over its in-memory transport, and the fake answers through the transport.
Each tool is checked for what it sends, what it answers (structured content and text) and how
it fails (a tool error carrying the CLI's JSON error). `test_mcp_stdio.py` runs the command.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from daytona_cli.mcp_server import server, tools
from daytona_cli.states import LISTABLE_STATES
from tests.conftest import API_KEY, Slow, VirtualClock, on_real_clock
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona
from tests.mcp_helpers import TOOL_NAMES, Agent, error, text

PROXY_EXEC = "/toolbox-proxy/*/process/execute"
SESSION_EXEC = "/toolbox-proxy/*/process/session/*/exec"


@pytest.fixture
def agent(
    fake: FakeDaytona, isolated: Path, clock: VirtualClock, request: pytest.FixtureRequest
) -> Iterator[Agent]:
    # A command runs as a real process in the fake: tests of execute_command run on real time.
    made = Agent(fake, isolated, None if on_real_clock(request) else clock.as_clock())
    yield made
    made.close()


def sent(fake: FakeDaytona, method: str, pattern: str) -> list[Any]:
    return [json.loads(request.content) for request in fake.requests_to(method, pattern)]


# == the tools as a host sees them ===============================================================


def test_the_eight_tools_have_described_inputs_output_schemas_and_annotations(
    agent: Agent,
) -> None:
    listed = agent.tools()
    assert set(listed) == TOOL_NAMES
    for name, tool in listed.items():
        assert tool.description and tool.title, name
        assert tool.output_schema is not None, name
        for field, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), f"{name}.{field} has no description"
    hints = {
        name: (a.read_only_hint, a.destructive_hint, a.idempotent_hint)
        for name, tool in listed.items()
        if (a := tool.annotations) is not None
    }
    assert hints["list_sandboxes"][0] is hints["get_sandbox"][0] is True
    assert hints["list_snapshots"][0] is True
    assert hints["delete_sandbox"][:2] == (False, True)
    assert hints["start_sandbox"] == hints["stop_sandbox"] == (False, False, True)
    assert hints["create_sandbox"][:2] == (False, False)
    assert all(tool.annotations and tool.annotations.open_world_hint for tool in listed.values())
    states = listed["list_sandboxes"].input_schema["properties"]["states"]
    assert states["anyOf"][0]["items"]["enum"] == list(LISTABLE_STATES)
    assert listed["execute_command"].input_schema["required"] == ["sandbox", "command"]
    create = listed["create_sandbox"].input_schema["properties"]
    for field in ("snapshot", "cpu", "memory", "disk", "labels", "env", "auto_stop", "timeout"):
        assert field in create, field
    exec_output = listed["execute_command"].output_schema
    assert exec_output is not None
    assert set(exec_output["properties"]) == {"exitCode", "stdout", "stderr"}


# == list_sandboxes and list_snapshots ===========================================================


def test_list_sandboxes_sends_the_filters_and_answers_the_api_objects(
    agent: Agent, fake: FakeDaytona
) -> None:
    wanted = fake.add_sandbox("web-1", labels={"team": "web"})
    fake.add_sandbox("web-2", labels={"team": "web"}, state="stopped")
    fake.add_sandbox("db", labels={"team": "data"})
    result = agent.call(
        "list_sandboxes", labels={"team": "web"}, states=["started"], name_prefix="web"
    )
    assert not result.is_error, result
    assert result.structured_content is not None
    assert result.structured_content["truncated"] is False
    [listed] = result.structured_content["sandboxes"]
    assert (listed["id"], listed["labels"], listed["state"]) == (
        wanted["id"],
        {"team": "web"},
        "started",
    )
    assert text(result).splitlines()[0] == "1 sandbox:"
    assert "web-1" in text(result) and wanted["id"] in text(result)
    [request] = fake.requests_to("GET", "/sandbox")
    assert request.url.params.get_list("states") == ["started"]
    assert json.loads(request.url.params["labels"]) == {"team": "web"}
    assert request.url.params["name"] == "web"


def test_a_list_longer_than_the_limit_says_it_was_cut(agent: Agent, fake: FakeDaytona) -> None:
    for index in range(3):
        fake.add_sandbox(f"box-{index}")
    result = agent.call("list_sandboxes", limit=2)
    assert result.structured_content is not None
    assert len(result.structured_content["sandboxes"]) == 2
    assert result.structured_content["truncated"] is True
    assert "there are more" in text(result).splitlines()[0]
    empty = agent.call("list_sandboxes", name_prefix="nothing-")
    assert empty.structured_content == {"sandboxes": [], "truncated": False}
    assert text(empty) == "No sandboxes found."


def test_list_snapshots_answers_every_snapshot_matching_the_name(
    agent: Agent, fake: FakeDaytona
) -> None:
    fake.add_snapshot("python-3.12")
    result = agent.call("list_snapshots", name="python")
    assert result.structured_content is not None
    assert [s["name"] for s in result.structured_content["snapshots"]] == ["python-3.12"]
    assert text(result).startswith("1 snapshot:\nNAME")
    everything = agent.call("list_snapshots")
    assert everything.structured_content is not None
    names = {s["name"] for s in everything.structured_content["snapshots"]}
    assert names == {"python-3.12", DEFAULT_SNAPSHOT}


# == create, get, delete =========================================================================


def test_create_sandbox_sends_what_sandbox_create_sends_and_waits_until_started(
    agent: Agent, fake: FakeDaytona, clock: VirtualClock
) -> None:
    result = agent.call(
        "create_sandbox", name="agent-box", labels={"team": "ai"}, env={"DEBUG": "1"}, auto_stop=0
    )
    assert not result.is_error, result
    sandbox = result.structured_content
    assert sandbox is not None
    assert (sandbox["name"], sandbox["state"]) == ("agent-box", "started")
    assert text(result).startswith(f"Sandbox agent-box ({sandbox['id']}) created and started.\n")
    [body] = sent(fake, "POST", "/sandbox")
    assert body["name"] == "agent-box" and body["env"] == {"DEBUG": "1"}
    assert body["autoStopInterval"] == 0
    assert body["labels"]["team"] == "ai"
    assert "daytona-cli/request-id" in body["labels"]  # the CLI's create-once label
    assert clock.sleeps, "it polled until started"


def test_create_refuses_what_the_cli_refuses_before_any_request(
    agent: Agent, fake: FakeDaytona
) -> None:
    both = error(agent.call("create_sandbox", snapshot=DEFAULT_SNAPSHOT, image="python:3.12"))
    assert both["code"] == "usage"
    assert "exclusive" in both["message"]
    resources = error(agent.call("create_sandbox", cpu=2))
    assert resources["code"] == "usage"
    assert "a snapshot fixes the resources" in resources["message"]
    label = error(agent.call("create_sandbox", labels={"a=b": "c"}))
    assert label["code"] == "usage"
    assert fake.requests == []


def test_a_create_whose_wait_runs_out_still_hands_back_the_sandbox(
    make_slow: Callable[[float], Slow], isolated: Path
) -> None:
    slow = make_slow(30.0)
    agent = Agent(slow.fake, isolated, slow.clock.as_clock())
    result = agent.call("create_sandbox", name="sluggish", timeout=5)
    body = error(result)
    assert body["code"] == "timeout"
    assert "still creating after 5 s; was waiting for started" in body["message"]
    assert result.structured_content is not None
    made = result.structured_content["sandbox"]
    assert made["name"] == "sluggish"
    assert slow.fake.sandbox("sluggish") is not None
    agent.close()


def test_get_sandbox_answers_the_api_object_and_the_get_view(
    agent: Agent, fake: FakeDaytona
) -> None:
    demo = fake.add_sandbox(
        "demo", labels={"team": "web"}, env={"TOKEN": "s3cret"}, memory=4, autoStopInterval=30
    )
    result = agent.call("get_sandbox", sandbox="demo")
    assert result.structured_content is not None
    assert {k: result.structured_content[k] for k in ("id", "name", "labels", "env")} == {
        k: demo[k] for k in ("id", "name", "labels", "env")
    }
    lines = text(result).splitlines()
    assert lines[0] == f"Sandbox demo ({demo['id']}) is started."
    assert "Labels: team=web" in lines
    assert "Env: TOKEN (values hidden)" in lines
    assert "s3cret" not in text(result)
    # A model reads this text: quantities keep their units, unlike the piped view.
    assert "Memory: 4 GiB" in lines
    assert "Auto-stop: 30 min" in lines


def test_a_missing_sandbox_is_not_found_with_the_clis_hint(agent: Agent) -> None:
    body = error(agent.call("get_sandbox", sandbox="ghost"))
    assert (body["code"], body["status"]) == ("not_found", 404)
    assert body["hint"] == "list sandboxes with the list_sandboxes tool"  # in the tools' words
    assert "get_sandbox: error: " in agent.stderr.getvalue()
    assert agent.stdout.getvalue() == ""


def test_delete_sandbox_starts_the_deletion_and_is_safe_to_repeat_by_id(
    agent: Agent, fake: FakeDaytona
) -> None:
    demo = fake.add_sandbox("demo")
    first = agent.call("delete_sandbox", sandbox="demo")
    assert text(first) == f"Deletion of sandbox demo ({demo['id']}) started."
    assert first.structured_content is not None
    assert first.structured_content["id"] == demo["id"]
    again = agent.call("delete_sandbox", sandbox=demo["id"])
    assert not again.is_error, again
    assert text(again) == f"Sandbox demo ({demo['id']}) is already being deleted."
    by_name = error(agent.call("delete_sandbox", sandbox="demo"))
    assert by_name["code"] == "not_found"


def test_delete_with_wait_returns_once_the_sandbox_is_gone(agent: Agent, fake: FakeDaytona) -> None:
    demo = fake.add_sandbox("demo")
    result = agent.call("delete_sandbox", sandbox="demo", wait=True)
    assert text(result) == f"Sandbox demo ({demo['id']}) deleted."
    assert fake.sandbox(demo["id"]) is None or fake.sandbox(demo["id"])["state"] == "destroyed"


def test_a_delete_repeated_once_the_sandbox_is_gone_is_not_found_unless_ignore_not_found(
    agent: Agent, fake: FakeDaytona
) -> None:
    demo = fake.add_sandbox("demo")
    ident = demo["id"]
    assert text(agent.call("delete_sandbox", sandbox=ident, wait=True)) == (
        f"Sandbox demo ({ident}) deleted."
    )
    fake.requests.clear()
    again = agent.call("delete_sandbox", sandbox=ident)
    body = error(again)
    assert (body["code"], body["status"], body["hint"]) == (
        "not_found", 404, "list sandboxes with the list_sandboxes tool",
    )  # fmt: skip
    ignored = agent.call("delete_sandbox", sandbox=ident, ignore_not_found=True)
    assert not ignored.is_error, ignored
    assert ignored.structured_content == {"notFound": True}
    assert text(ignored) == f"Sandbox {ident} not found; nothing to delete."
    by_name = agent.call("delete_sandbox", sandbox="demo", ignore_not_found=True)
    assert text(by_name) == "Sandbox demo not found; nothing to delete."
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("DELETE", f"/api/sandbox/{ident}"),
        ("DELETE", f"/api/sandbox/{ident}"),
        ("DELETE", "/api/sandbox/demo"),
    ]
    assert agent.stderr.getvalue() == f"delete_sandbox: error: {body['message']}; {body['hint']}\n"


# == start and stop ==============================================================================


def test_stop_and_start_wait_for_their_state_and_are_safe_to_repeat(
    agent: Agent, fake: FakeDaytona
) -> None:
    demo = fake.add_sandbox("demo")
    stopped = agent.call("stop_sandbox", sandbox="demo")
    assert text(stopped) == f"Sandbox demo ({demo['id']}) is stopped."
    assert stopped.structured_content is not None
    assert stopped.structured_content["state"] == "stopped"
    assert not agent.call("stop_sandbox", sandbox="demo").is_error
    started = agent.call("start_sandbox", sandbox="demo")
    assert text(started) == f"Sandbox demo ({demo['id']}) is started."
    assert not agent.call("start_sandbox", sandbox="demo").is_error
    assert fake.sandbox("demo")["state"] == "started"


def test_starting_a_sandbox_in_error_fails_as_a_conflict(agent: Agent, fake: FakeDaytona) -> None:
    fake.add_sandbox("broken", state="error")
    body = error(agent.call("start_sandbox", sandbox="broken"))
    assert body["code"] == "conflict"


# == execute_command =============================================================================


@pytest.mark.real_clock
def test_execute_command_answers_the_exit_code_and_stdout_and_stderr_apart(
    agent: Agent, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    result = agent.call(
        "execute_command", sandbox="demo", command="echo out; echo err >&2; (exit 3)", timeout=30
    )
    assert not result.is_error, result
    assert result.structured_content == {"exitCode": 3, "stdout": "out\n", "stderr": "err\n"}
    assert text(result).startswith("exit code 3\n--- stdout ---\nout")
    (started,) = sent(fake, "POST", SESSION_EXEC)
    assert started["runAsync"] is True and "echo out; echo err >&2; (exit 3)" in started["command"]
    assert sent(fake, "POST", PROXY_EXEC) == []  # not the one-shot route
    assert len(fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*")) == 1


@pytest.mark.real_clock
@pytest.mark.parametrize(
    ("command", "code"), [("echo bye; exit 4", 4), ("echo bye; kill -KILL $$", -1)],
    ids=["exit ends the subshell", "the session's shell killed"],
)  # fmt: skip
def test_a_command_that_exits_or_ends_the_shell_itself_still_answers_its_exit_code(
    agent: Agent, fake: FakeDaytona, command: str, code: int
) -> None:
    fake.add_sandbox("demo")
    result = agent.call("execute_command", sandbox="demo", command=command)
    assert result.structured_content is not None
    assert (result.structured_content["exitCode"], result.structured_content["stdout"]) == (
        code,
        "bye\n",
    )


def test_on_a_server_without_a_toolbox_proxy_the_output_comes_merged(
    isolated: Path, old_fake: FakeDaytona
) -> None:
    old_fake.add_sandbox("vintage")
    agent = Agent(old_fake, isolated, None)
    try:
        result = agent.call("execute_command", sandbox="vintage", command="echo out; echo err >&2")
    finally:
        agent.close()
    assert result.structured_content == {"exitCode": 0, "stdout": "out\nerr\n", "stderr": ""}


@pytest.mark.real_clock
def test_a_stopped_sandbox_is_an_error_saying_to_start_it_unless_start_is_true(
    agent: Agent, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo", state="stopped")
    body = error(agent.call("execute_command", sandbox="demo", command="echo hi"))
    assert body["code"] == "conflict"
    assert "is stopped, not started" in body["message"]
    assert body["hint"] == tools.NOT_STARTED_HINT
    assert sent(fake, "POST", PROXY_EXEC) == []
    result = agent.call("execute_command", sandbox="demo", command="echo hi", start=True)
    assert result.structured_content == {"exitCode": 0, "stdout": "hi\n", "stderr": ""}
    assert fake.sandbox("demo")["state"] == "started"


@pytest.mark.real_clock
def test_a_working_directory_that_does_not_exist_is_exit_126_with_the_shells_reason(
    agent: Agent, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    result = agent.call("execute_command", sandbox="demo", command="ls", cwd="/no/such/dir")
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["exitCode"] == 126
    assert "/no/such/dir" in result.structured_content["stderr"]


def test_exit_code_minus_one_is_explained_in_the_text(
    isolated: Path, old_fake: FakeDaytona
) -> None:
    old_fake.add_sandbox("demo")
    agent = Agent(old_fake, isolated, None)
    try:
        result = agent.call("execute_command", sandbox="demo", command="ls", cwd="/no/such/dir")
    finally:
        agent.close()
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["exitCode"] == -1
    first = text(result).splitlines()[0]
    assert first.startswith("exit code -1; the sandbox reported exit code -1: the command")
    assert "killed by a signal" in first


TIMED_OUT = {
    "code": "timeout",
    "message": "the command timed out after 1 s and was killed",
    "status": None,
    "hint": "raise `timeout`, or write output to a file in the sandbox and read it after",
}
TIMED_OUT_LINE = f"error: {TIMED_OUT['message']}; {TIMED_OUT['hint']}"


@pytest.mark.real_clock
def test_a_command_that_times_out_is_killed_and_a_timeout_error(
    agent: Agent, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    result = agent.call("execute_command", sandbox="demo", command="sleep 60", timeout=1)
    assert result.is_error
    assert result.structured_content == {
        "error": TIMED_OUT, "exitCode": None, "stdout": "", "stderr": "",
    }  # fmt: skip
    assert text(result) == f"{TIMED_OUT_LINE}\n(no output)"
    # Its session is deleted, and with it the command.
    assert len(fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*")) == 1


@pytest.mark.real_clock
def test_a_command_that_times_out_still_hands_back_its_output_so_far(
    agent: Agent, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    command = "echo partial; echo half >&2; sleep 5"
    result = agent.call("execute_command", sandbox="demo", command=command, timeout=1)
    assert result.is_error
    assert result.structured_content == {
        "error": TIMED_OUT, "exitCode": None, "stdout": "partial\n", "stderr": "half\n",
    }  # fmt: skip
    assert text(result) == (f"{TIMED_OUT_LINE}\n--- stdout ---\npartial\n--- stderr ---\nhalf")
    (started,) = sent(fake, "POST", SESSION_EXEC)
    assert command in started["command"]
    assert len(fake.requests_to("DELETE", "/toolbox-proxy/*/process/session/*")) == 1
    assert agent.stderr.getvalue() == f"execute_command: {TIMED_OUT_LINE}\n"


# == failures: bad input, no key, bugs ===========================================================


@pytest.mark.parametrize(
    ("name", "arguments", "found"),
    [
        ("list_sandboxes", {"limit": 0}, "limit: Input should be greater than or equal to 1"),
        ("execute_command", {"sandbox": "demo"}, "command: Field required"),
        (
            "execute_command",
            {"sandbox": "demo", "command": "true", "timeout": 10**30},
            "timeout: Input should be less than or equal to 31536000",
        ),
        ("get_sandbox", {"sandbox": 42}, "sandbox: Input should be a valid string"),
        ("list_sandboxes", {"states": ["bogus"]}, "unknown state 'bogus'"),
        ("nope", {}, "there is no tool named 'nope'"),
    ],
)
def test_bad_input_is_a_usage_error_before_any_request(
    agent: Agent, fake: FakeDaytona, name: str, arguments: dict[str, Any], found: str
) -> None:
    body = error(agent.call(name, **arguments))
    assert body["code"] == "usage"
    assert found in body["message"]
    assert body["hint"]
    assert fake.requests == []


def test_without_a_key_the_tools_are_listed_and_every_call_says_what_to_set(
    fake: FakeDaytona, isolated: Path, clock: VirtualClock
) -> None:
    agent = Agent(fake, isolated, clock.as_clock(), env={"DAYTONA_API_KEY": ""})
    assert set(agent.tools()) == TOOL_NAMES
    for _ in range(2):
        body = error(agent.call("list_sandboxes"))
        assert body["code"] == "auth"
        assert body["message"] == "no API key: DAYTONA_API_KEY is not set"
        assert "export DAYTONA_API_KEY" in body["hint"]
    assert fake.requests == []
    agent.close()


def test_a_bug_in_a_tool_is_an_internal_error_and_the_server_goes_on(
    agent: Agent, fake: FakeDaytona, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(tools, "get_sandbox", broken)
    body = error(agent.call("get_sandbox", sandbox="demo"))
    assert (body["code"], body["message"]) == ("error", "internal error: RuntimeError: boom")
    assert "please report it" in body["hint"]
    assert not agent.call("list_sandboxes").is_error


def test_a_result_that_breaks_its_output_schema_is_an_internal_error_too(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tools, "get_sandbox", lambda *_a: tools.ToolResult({"name": "x"}, "x"))
    body = error(agent.call("get_sandbox", sandbox="demo"))
    assert body["code"] == "error"
    assert body["message"].startswith("internal error: ValidationError: ")


def test_the_key_never_appears_in_a_result_or_the_log(agent: Agent, fake: FakeDaytona) -> None:
    answer = {
        "statusCode": 400,
        "error": "Bad Request",
        "message": f"bad token {API_KEY}",
        "path": "/api/sandbox/demo",
        "timestamp": "2024-10-01T12:00:00.000Z",
    }
    fake.inject("GET", "/sandbox/*", status=400, json=answer)
    result = agent.call("get_sandbox", sandbox="demo")
    body = error(result)
    assert "bad token ***" in body["message"]
    assert API_KEY not in text(result) + json.dumps(result.structured_content)
    assert API_KEY not in agent.stderr.getvalue()
    assert agent.stdout.getvalue() == ""


def test_errors_speak_of_tools_and_inputs_not_of_cli_commands_and_options(
    agent: Agent, fake: FakeDaytona
) -> None:
    body = error(agent.call("create_sandbox", snapshot=DEFAULT_SNAPSHOT, cpu=2))
    assert body["code"] == "usage"
    assert "--" not in body["message"] + (body["hint"] or "")
    assert "daytona-cli" not in body["message"] + (body["hint"] or "")


def test_a_name_with_escapes_is_inert_in_the_text_summary(agent: Agent, fake: FakeDaytona) -> None:
    box = fake.add_sandbox("evil\x1b[31mred")
    result = agent.call("get_sandbox", sandbox=box["id"])
    assert "\x1b" not in text(result)
    assert "evil\\x1b[31mred" in text(result)


def test_an_environment_variable_name_the_shell_cannot_export_is_refused(
    agent: Agent, fake: FakeDaytona
) -> None:
    body = error(agent.call("create_sandbox", env={"BAD KEY": "1"}))
    assert body["code"] == "usage" and "shell variable name" in body["message"]
    assert fake.requests_to("POST", "/sandbox") == []


# == hints in the tools' words ===================================================================


def garbled(said: str) -> list[str]:
    """What in a tool error reads as a CLI's words: options a tool does not take (the server's
    own, such as --env-file, are fine), metavars after an input's name, CLI commands, option
    names turned into inputs no tool has."""
    import re

    server_options = "|".join(server.SERVER_OPTIONS)
    found = re.findall(
        rf"(?<![\w`])-(?:-(?!(?:{server_options})\b)[a-z][\w-]*|[a-zA-Z]\b) ?\S*", said
    )
    found += re.findall(r"`\w+` [A-Z]{2,}\b", said)  # `image` IMAGE
    found += re.findall(r"daytona-cli sandbox|\bflags?\b|\benv_file\b|\brequest_timeout\b", said)
    found += re.findall(r"(?:with|pass) (?:image|env_file)\b", said)  # a bare input name
    return found


def said(body: dict[str, Any]) -> str:
    return f"{body['message']}; {body['hint']}"


@pytest.mark.parametrize(
    ("arguments", "message", "hint"),
    [
        (
            {"cpu": 2},
            "`cpu` needs `image`: a snapshot fixes the resources of its sandboxes",
            "leave out cpu, memory and disk, or build from an image: pass `image`",
        ),
        (
            {"snapshot": DEFAULT_SNAPSHOT, "memory": 4, "disk": 10},
            "`memory`, `disk` need `image`: a snapshot fixes the resources of its sandboxes",
            "leave out cpu, memory and disk, or build from an image: pass `image`",
        ),
        (
            {"snapshot": DEFAULT_SNAPSHOT, "image": "python:3.12"},
            "`snapshot` and `image` are exclusive",
            "choose one source for the sandbox",
        ),
        (
            {"env": {"BAD KEY": "1"}},
            "env: 'BAD KEY' is not a shell variable name",
            'use letters, digits and _, not starting with a digit: {"DEBUG": "1"}',
        ),
    ],
)
def test_create_sandboxs_refusals_read_as_advice_to_a_tool_caller(
    agent: Agent, fake: FakeDaytona, arguments: dict[str, Any], message: str, hint: str
) -> None:
    body = error(agent.call("create_sandbox", **arguments))
    assert (body["code"], body["message"], body["hint"]) == ("usage", message, hint)
    assert garbled(said(body)) == []
    assert fake.requests == []


@pytest.mark.parametrize(
    ("key", "message", "hint"),
    [
        (
            "",
            "no API key: DAYTONA_API_KEY is not set",
            "create a key in the Daytona Dashboard (API Keys), then export DAYTONA_API_KEY=... "
            "or put DAYTONA_API_KEY=... in ./.env (or a file named by the server's command, "
            "`daytona-cli --env-file FILE mcp`), then restart the server",
        ),
        (
            "${DAYTONA_API_KEY}",
            "DAYTONA_API_KEY is the text '${DAYTONA_API_KEY}': whatever started daytona-cli (an "
            "MCP host's configuration, say) did not fill in the key",
            "export DAYTONA_API_KEY in the environment that starts it, or name a file holding "
            "it in the server's command, `daytona-cli --env-file FILE mcp`",
        ),
    ],
)
def test_a_missing_key_says_how_to_give_it_to_the_server_not_to_a_tool(
    fake: FakeDaytona, isolated: Path, clock: VirtualClock, key: str, message: str, hint: str
) -> None:
    agent = Agent(fake, isolated, clock.as_clock(), env={"DAYTONA_API_KEY": key})
    body = error(agent.call("get_sandbox", sandbox="demo"))
    agent.close()
    assert (body["code"], body["message"], body["hint"]) == ("auth", message, hint)
    assert garbled(said(body)) == []
    assert fake.requests == []


def test_a_wait_that_runs_out_says_which_tools_follow_it_up(
    make_slow: Callable[[float], Slow], isolated: Path
) -> None:
    slow = make_slow(30.0)
    agent = Agent(slow.fake, isolated, slow.clock.as_clock())
    body = error(agent.call("create_sandbox", name="sluggish", timeout=5))
    agent.close()
    ident = slow.fake.sandbox("sluggish")["id"]
    assert body["hint"] == (
        f"it carries on in the background; check it with the get_sandbox tool on {ident} or "
        f"remove it with the delete_sandbox tool on {ident}"
    )
    assert garbled(said(body)) == []


def every_cli_hint() -> list[str]:
    """The CLI's advice a tool call can meet: each reason's and status's, and the settings'."""
    from daytona_cli import config, hints
    from daytona_cli.errors import Category, CliError, Reason

    made = [hints.hint_for(CliError(Category.OTHER, "x", reason=reason)) for reason in Reason]
    made += [hints.hint_for(CliError(Category.OTHER, "x", status=code, subject="demo"))
             for code in (401, 403, 404, 429, 500)]  # fmt: skip
    made += [
        config.MISSING_KEY_HINT,
        "export DAYTONA_API_KEY in the environment that starts it, or name a file holding it "
        "with --env-file",
        "set DAYTONA_API_URL in the environment or pass --env-file .env if you trust that file, "
        "or remove the line from ./.env",
        "--env-file /x is a directory, not a file",
        "name the file itself, e.g. --env-file ./ci.env",
        "check the path given to --env-file",
    ]
    return [hint for hint in made if hint]


def test_every_cli_hint_a_tool_call_can_meet_reads_naturally_to_a_tool_caller() -> None:
    for hint in every_cli_hint():
        assert garbled(server.for_agents(hint)) == [], hint
    assert server.for_agents(
        "the API is slow or unreachable; try again, or raise --request-timeout"
    ) == (
        "the API is slow or unreachable; try again, or start the server with a larger "
        "`daytona-cli --request-timeout SECONDS mcp`"
    )
    assert server.for_agents("check the path given to --env-file") == (
        "check the path given to --env-file"
    )
