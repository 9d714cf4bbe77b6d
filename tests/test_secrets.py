"""Secrets and hostile input: a canary key that must never be printed, server strings that must
stay inert, identifiers that must stay one path segment, and property tests of every parser of
user input and of rendering arbitrary server text.

Runs use the in-process runner (the real entry point with the fake as transport) on a virtual
clock; the canary is also checked through the installed command, and the path segments on a real
socket.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import API_KEY, BASE_URL, PROXY_URL, Cli, Result, VirtualClock, run_installed
from tests.fake_daytona import FakeDaytona
from tests.faults_helpers import (
    FaultyFake,
    error_body,
    no_traceback,
    one_line,
)

pytestmark = pytest.mark.timeout(60)

CANARY = "dtn_CANARY_4b7e19c2a8f35d60e1"
"""A key no output may ever contain."""

EXECUTE = "/toolbox-proxy/*/process/execute"
HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n"

# A server string that tries everything: rich markup, clear screen, set the window title (OSC
# ending in BEL), carriage return over the line, and a right-to-left override.
HOSTILE = "[bold red]x[/]\x1b[2J\x1b]0;pwned\x07\rfake\u202eevil"
RAW_SEQUENCES = ("\x1b", "\x07", "\r", "\u202e")
ESCAPED_FORMS = ("\\x1b[2J", "\\x1b]0;pwned\\x07", "\\x0dfake", "\\u202eevil")
SGR = re.compile(r"\x1b\[[0-9;]*m")

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def make_fake(**kwargs: Any) -> FaultyFake:
    """A fake on its own virtual clock (or real time, with ``virtual=None``, to serve it)."""
    kwargs.setdefault("virtual", VirtualClock())
    return FaultyFake(base_url=BASE_URL, proxy_url=PROXY_URL, transition_seconds=0.01, **kwargs)


def make_cli(fake: FaultyFake, key: str = API_KEY) -> Cli:
    assert fake.virtual is not None
    runner = Cli(fake, Path.cwd(), fake.virtual.as_clock())
    runner.env["DAYTONA_API_KEY"] = key
    return runner


def bad_characters(text: str, allowed: str = "\n\t") -> list[str]:
    """Characters a terminal could obey or that hide text: controls, format characters
    (bidi overrides), line/paragraph separators, unassigned and private-use code points."""
    return [
        char
        for char in text
        if char not in allowed
        and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs")
    ]


# -- the canary key ------------------------------------------------------------------------------


@pytest.fixture
def canary() -> FaultyFake:
    return make_fake(api_key=CANARY)


ON_A_TERMINAL = {"list", "get", "get missing", "create", "exec", "exec bad cwd", "stop",
                 "start many", "delete dry", "snapshot list", "500", "401", "echoed key"}  # fmt: skip


def _canary_script(fake: FaultyFake) -> list[tuple[str, tuple[str, ...], Any]]:
    """(label, command line, fault to set up first) for every command, ok and failing."""

    def inject(*args: Any, **kwargs: Any) -> Any:
        return lambda: fake.inject(*args, **kwargs)

    def raw(*args: Any, **kwargs: Any) -> Any:
        return lambda: fake.inject_raw(*args, **kwargs)

    echo = error_body(400, f"Invalid header Authorization: Bearer {CANARY}")
    script: list[tuple[str, tuple[str, ...], Any]] = [
        ("list", ("sandbox", "list"), None),
        ("list json", ("sandbox", "list", "--json"), None),
        ("list jsonl", ("sandbox", "list", "--jsonl", "--fields", "id,name,labels"), None),
        ("list quiet", ("sandbox", "list", "-q", "-l", "team=a", "--older-than", "1m"), None),
        ("list bad state", ("sandbox", "list", "--state", "bogus"), None),
        ("get", ("sandbox", "get", "demo"), None),
        ("get json", ("sandbox", "get", "demo", "--json"), None),
        ("get missing", ("sandbox", "get", "ghost"), None),
        ("get empty", ("sandbox", "get", ""), None),
        ("create", ("sandbox", "create", "--name", "made", "-l", "k=v", "-e", "TOKEN=xyz"), None),
        ("create taken", ("sandbox", "create", "--name", "made"), None),
        ("create json", ("sandbox", "create", "--json", "--no-wait"), None),
        ("create bad label", ("sandbox", "create", "--label", "novalue"), None),
        # In process a log stream cannot be opened: exec takes its one-shot route here (the
        # streaming route's output is checked for the key in test_sandbox_exec_stream.py).
        ("exec", ("sandbox", "exec", "--merged", "demo", "--", "echo", "hi"), None),
        ("exec fails", ("sandbox", "exec", "--merged", "demo", "--", "sh", "-c", "exit 3"), None),
        ("exec json", ("sandbox", "exec", "--merged", "demo", "--json", "--", "echo", "hi"), None),
        ("exec bad cwd", ("sandbox", "exec", "--merged", "demo", "--cwd", "/nope/x", "--", "ls"),
         None),
        ("exec stopped", ("sandbox", "exec", "idle", "--", "echo", "hi"), None),
        ("stop", ("sandbox", "stop", "demo"), None),
        ("wait", ("sandbox", "wait", "demo", "--for", "stopped"), None),
        ("start", ("sandbox", "start", "demo"), None),
        ("start many", ("sandbox", "start", "-l", "team=a", "--json"), None),
        ("stop selected", ("sandbox", "stop", "--all"), None),
        ("delete dry", ("sandbox", "delete", "--all", "--dry-run"), None),
        ("delete", ("sandbox", "delete", "made", "--yes"), None),
        ("delete missing", ("sandbox", "delete", "ghost", "--yes"), None),
        ("snapshot list", ("snapshot", "list"), None),
        ("snapshot json", ("snapshot", "list", "--json"), None),
        ("help", ("sandbox", "--help"), None),
        # Faults and malformed answers.
        ("500", ("sandbox", "list"), inject("GET", "/sandbox", status=500, times=2,
                                            headers={"Retry-After": "0"})),
        ("502 html", ("sandbox", "get", "demo"), raw("GET", "/sandbox/demo", status=502,
                                                     body=HTML_PAGE, content_type="text/html",
                                                     headers={"Retry-After": "0"}, times=2)),
        ("401", ("sandbox", "get", "demo"), inject("GET", "/sandbox/demo", status=401)),
        ("403", ("sandbox", "stop", "demo"), inject("POST", "/sandbox/*/stop", status=403)),
        ("429", ("sandbox", "list"), inject("GET", "/sandbox", status=429,
                                            headers={"Retry-After": "600"})),
        ("dropped", ("sandbox", "get", "demo"), inject("GET", "/sandbox/demo", drop=True,
                                                       times=2)),
        ("exec lost", ("sandbox", "exec", "--merged", "demo", "--", "true"), inject("POST", EXECUTE,
                                                                        drop=True)),
        ("truncated", ("sandbox", "get", "demo"), raw("GET", "/sandbox/demo",
                                                      body=b'{"id": "abc", "na')),
        ("redirect", ("sandbox", "list"), inject("GET", "/sandbox", status=302,
                                                 headers={"Location": "https://evil.example/"})),
        # A server (or proxy) that echoes the Authorization header back in its error message.
        ("echoed key", ("sandbox", "get", "demo"), inject("GET", "/sandbox/demo", status=400,
                                                          json=echo)),
        ("echoed key 5xx", ("sandbox", "list"), inject("GET", "/sandbox", status=503,
                                                       json={**echo, "statusCode": 503},
                                                       headers={"Retry-After": "0"}, times=2)),
    ]  # fmt: skip
    return script


def test_the_canary_key_never_appears_in_any_output(canary: FaultyFake) -> None:
    canary.add_sandbox("demo", labels={"team": "a"})
    canary.add_sandbox("idle", state="stopped", labels={"team": "a"})
    runner = make_cli(canary, CANARY)
    leaks: list[str] = []
    codes: dict[str, int] = {}
    for debug in (False, True):
        for label, args, fault in _canary_script(canary):
            flags = ("--debug",) if debug else ()
            for tty in (False, True) if not debug and label in ON_A_TERMINAL else (False,):
                if fault is not None:
                    fault()
                result = runner(*flags, *args, tty=tty, env={"DAYTONA_MAX_ATTEMPTS": "2"})
                name = f"{'--debug ' if debug else ''}{label}{' (tty)' if tty else ''}"
                codes[name] = result.exit_code
                for stream in ("stdout", "stderr"):
                    if CANARY in getattr(result, stream):
                        leaks.append(f"{name}: {stream}")
                if (
                    debug
                    and fault is None
                    and label not in ("list bad state", "get empty", "create bad label", "help")
                ):
                    assert "Bearer ***" in result.stderr, (name, result)  # fmt: skip
                no_traceback(result)
            assert canary.pending_faults() == [], label
            assert canary.scripted_left() == 0, label
        # Put the state back for the second round.
        canary.sandboxes.clear()
        canary.add_sandbox("demo", labels={"team": "a"})
        canary.add_sandbox("idle", state="stopped", labels={"team": "a"})
    # The canary really was the key in use (and the runs did what they say).
    assert all(r.headers["authorization"] == f"Bearer {CANARY}" for r in canary.requests)
    assert codes["list"] == 0 and codes["exec fails"] == 3 and codes["get missing"] == 3
    assert codes["401"] == 4 and codes["429"] == 6 and codes["exec lost"] == 125
    assert not leaks, "the API key was printed by: " + ", ".join(leaks)


def test_the_canary_key_never_appears_in_the_installed_commands_output() -> None:
    fake = make_fake(api_key=CANARY, virtual=None)
    fake.add_sandbox("demo")
    echo = error_body(400, f"Invalid header Authorization: Bearer {CANARY}")
    runs: list[tuple[tuple[str, ...], Any]] = [
        (("--debug", "sandbox", "list"), None),
        (("--debug", "sandbox", "get", "missing"), None),
        (("--debug", "sandbox", "create", "--name", "sub"), None),
        (("--debug", "sandbox", "exec", "demo", "--", "echo", "hi"), None),
        (("sandbox", "exec", "demo", "--", "echo", "hi"), None),
        (("--debug", "sandbox", "list"), lambda: fake.inject("GET", "/sandbox", status=500)),
        (("--debug", "sandbox", "get", "demo"), lambda: fake.inject("GET", "/sandbox/*", status=401)),
        (("sandbox", "get", "demo"), lambda: fake.inject("GET", "/sandbox/*", status=400, json=echo)),
        (("--debug", "sandbox", "get", "demo"), lambda: fake.inject("GET", "/sandbox/*", status=400, json=echo)),
    ]  # fmt: skip
    leaks = []
    with fake.serve() as url:
        for args, fault in runs:
            if fault is not None:
                fault()
            result = run_installed(*args, url=url, env={"DAYTONA_API_KEY": CANARY})
            no_traceback(result)
            if "--debug" in args:
                assert "Bearer ***" in result.stderr, result
            assert CANARY not in result.stdout + result.stderr, (args, result)
            if CANARY in result.stdout + result.stderr:
                leaks.append(" ".join(args))
    assert {r.headers["authorization"] for r in fake.requests} == {f"Bearer {CANARY}"}
    assert not leaks, "the API key was printed by: " + "; ".join(leaks)


def test_debug_shows_the_key_as_bearer_stars_and_nothing_else(canary: FaultyFake) -> None:
    canary.add_sandbox("demo")
    result = make_cli(canary, CANARY)("--debug", "sandbox", "get", "demo")
    assert result.exit_code == 0, result
    assert re.search(r"^> authorization: Bearer \*\*\*$", result.stderr, re.I | re.M), result
    assert CANARY not in result.stderr + result.stdout
    assert result.stdout.startswith("ID\t")  # --debug changes only stderr


def test_a_key_from_an_env_file_is_never_printed_either(canary: FaultyFake, tmp_path: Path) -> None:
    canary.add_sandbox("demo")
    env_file = tmp_path / "secrets.env"
    env_file.write_text(f"DAYTONA_API_KEY={CANARY}\n")
    runner = make_cli(canary, CANARY)
    result = runner("--debug", "--env-file", str(env_file), "sandbox", "list",
                    env={"DAYTONA_API_KEY": None})  # fmt: skip
    assert result.exit_code == 0, result
    assert "Bearer ***" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_an_internal_error_traceback_under_debug_has_no_locals_and_no_key(
    canary: FaultyFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary.add_sandbox("demo")

    def broken(self: Any, title: str, rows: Any) -> None:
        marker = "LOCAL" + "-VALUE-" + "9d2f"
        token = "Bearer " + CANARY
        raise RuntimeError(f"boom with {token} ({len(marker)})")

    monkeypatch.setattr("daytona_cli.output.Output.details", broken)
    runner = make_cli(canary, CANARY)
    debug = runner("--debug", "sandbox", "get", "demo")
    assert debug.exit_code == 1, debug
    assert "Traceback (most recent call last)" in debug.stderr
    assert "RuntimeError: boom with Bearer ***" in debug.stderr
    assert CANARY not in debug.stderr + debug.stdout
    assert "LOCAL-VALUE-9d2f" not in debug.stderr  # no local variable is shown
    assert "locals" not in debug.stderr.lower()
    plain = runner("sandbox", "get", "demo")
    assert plain.exit_code == 1, plain
    assert "Traceback" not in plain.stderr
    line = one_line(plain.stderr)
    assert line.startswith("error: internal error: RuntimeError: boom with Bearer ***")
    assert CANARY not in plain.stderr


# -- where the key goes --------------------------------------------------------------------------


def test_the_key_is_not_sent_to_a_plain_http_toolbox_proxy_off_loopback() -> None:
    fake = make_fake(api_key=API_KEY, legacy_execute=False)
    fake.proxy_url = "http://203.0.113.7/toolbox"
    fake.add_sandbox("demo")
    result = make_cli(fake)("sandbox", "exec", "demo", "--", "echo", "hi")
    assert result.exit_code == 125, result
    assert result.stdout == ""
    assert "refusing to send the API key to the toolbox proxy" in one_line(result.stderr)
    assert all(request.url.host == "fake.daytona.test" for request in fake.requests)
    assert not any("203.0.113.7" in str(request.url) for request in fake.requests)


def test_an_api_url_only_in_dot_env_with_the_key_from_the_environment_is_refused(
    tmp_path: Path,
) -> None:
    fake = make_fake(api_key=CANARY)
    workdir = tmp_path / "project"
    workdir.mkdir()
    url = BASE_URL
    (workdir / ".env").write_text(f"DAYTONA_API_URL={url}\n")
    assert fake.virtual is not None
    runner = Cli(fake, workdir, fake.virtual.as_clock())
    runner.env["DAYTONA_API_KEY"] = CANARY
    result = runner("sandbox", "list", env={"DAYTONA_API_URL": None})
    assert result.exit_code == 2, result
    (refusal,) = result.stderr.splitlines()
    assert refusal.startswith("error: ") and ".env" in refusal and "fake.daytona.test" in refusal
    assert CANARY not in result.stderr + result.stdout
    assert fake.requests == []


# -- server strings are printed inert ------------------------------------------------------------


@pytest.fixture
def hostile() -> tuple[FaultyFake, Cli, dict[str, Any]]:
    fake = make_fake(api_key=API_KEY)
    sandbox = fake.add_sandbox(
        HOSTILE,
        labels={"team": HOSTILE, "ok": "fine"},
        errorReason=HOSTILE,
        target="us",
    )
    return fake, make_cli(fake), sandbox


def assert_inert(text: str, *, tty: bool) -> None:
    shown = SGR.sub("", text) if tty else text  # a terminal gets the CLI's own colours
    for raw in RAW_SEQUENCES:
        assert raw not in shown, (raw, text)
    # A table may wrap a long cell: compare with the white space taken out.
    squeezed = re.sub(r"\s+", "", shown)
    for escaped in (*ESCAPED_FORMS, "[bold red]x[/]"):  # markup shown as text, never parsed
        assert re.sub(r"\s+", "", escaped) in squeezed, (escaped, text)


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("command", ["list", "get", "get-fields"])
def test_hostile_names_and_labels_are_printed_inert(
    hostile: tuple[FaultyFake, Cli, dict[str, Any]], command: str, tty: bool
) -> None:
    _fake, runner, sandbox = hostile
    args = {
        "list": ("sandbox", "list", "--fields", "name"),
        "get": ("sandbox", "get", sandbox["id"]),
        "get-fields": ("sandbox", "get", sandbox["id"], "--fields", "name,labels,errorReason"),
    }[command]
    result = runner(*args, tty=tty)
    assert result.exit_code == 0, result
    assert_inert(result.stdout, tty=tty)
    assert bad_characters(SGR.sub("", result.stdout)) == []
    if not tty and command != "list":
        # Each field stays on its own line.
        assert all(line.count("\t") >= 1 for line in result.stdout.splitlines())


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
def test_a_hostile_error_message_is_printed_inert(
    hostile: tuple[FaultyFake, Cli, dict[str, Any]], tty: bool
) -> None:
    fake, runner, _sandbox = hostile
    fake.inject("GET", "/sandbox/ghost", status=404, json=error_body(404, HOSTILE))
    result = runner("sandbox", "get", "ghost", tty=tty)
    assert result.exit_code == 3, result
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert_inert(line, tty=tty)


def test_a_hostile_wait_failure_reason_is_printed_inert(
    hostile: tuple[FaultyFake, Cli, dict[str, Any]],
) -> None:
    fake, runner, _sandbox = hostile
    failed = fake.add_sandbox("broken", state="error", errorReason=HOSTILE)
    result = runner("sandbox", "wait", failed["id"], "--for", "started")
    assert result.exit_code == 5, result
    assert_inert(one_line(result.stderr), tty=False)


def test_a_hostile_output_with_exit_minus_one_goes_to_stdout_as_is_and_stderr_stays_inert(
    hostile: tuple[FaultyFake, Cli, dict[str, Any]],
) -> None:
    fake, runner, _sandbox = hostile
    fake.add_sandbox("plain")
    fake.inject_raw("POST", EXECUTE, body=json.dumps({"exitCode": -1, "result": HOSTILE}).encode())
    result = runner("sandbox", "exec", "--merged", "plain", "--", "true")
    assert result.exit_code == 126, result
    # Like any exec output it is passed through byte for byte; stderr has only our own words.
    assert result.stdout == HOSTILE
    line = one_line(result.stderr)
    assert line.startswith("error: the sandbox reported exit code -1")
    assert all(raw not in line for raw in RAW_SEQUENCES)


EXEC_BYTES = "\x1b[2J\x1b]0;pwned\x07\rfake\u202eevil [bold red]x[/]\n"
PRINTF = r"printf '\033[2J\033]0;pwned\007\rfake\342\200\256evil [bold red]x[/]\n'"


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
def test_exec_output_on_stdout_stays_byte_exact(
    hostile: tuple[FaultyFake, Cli, dict[str, Any]], tty: bool
) -> None:
    fake, runner, _sandbox = hostile
    fake.add_sandbox("plain")
    result = runner("sandbox", "exec", "--merged", "plain", "--", PRINTF, tty=tty)
    assert (result.exit_code, result.stdout, result.stderr) == (0, EXEC_BYTES, "")


# -- names and IDs are one encoded path segment --------------------------------------------------

AWKWARD = [
    "../etc",
    "../../sandbox",
    "a/b",
    "%2F",
    "a%2Fb..%2F",
    "x#frag",
    "q?limit=1",
    "with space",
    "ünïcødé-名前-✓",
    ".",
    "..",
    "...",
    "a;b=c",
    "~user",
]


def check_segment(raw_path: str, prefix: str, name: str, suffix: str = "") -> None:
    assert raw_path.startswith(prefix) and raw_path.endswith(suffix), raw_path
    segment = raw_path[len(prefix) : len(raw_path) - len(suffix)]
    assert segment, raw_path
    for char in "/?# ":
        assert char not in segment, (char, raw_path)
    assert segment not in (".", ".."), raw_path
    assert segment.isascii(), raw_path
    assert unquote(segment) == name, raw_path


@pytest.mark.parametrize("name", AWKWARD)
def test_a_name_is_sent_as_one_encoded_segment_and_finds_its_sandbox(name: str) -> None:
    fake = make_fake(api_key=API_KEY)
    fake.add_sandbox("etc")
    fake.add_sandbox("sandbox")
    wanted = fake.add_sandbox(name)
    result = make_cli(fake)("sandbox", "get", name)
    assert result.exit_code == 0, result
    assert f"ID\t{wanted['id']}\n" in result.stdout
    (request,) = fake.requests
    check_segment(request.url.raw_path.decode("ascii"), "/api/sandbox/", name)


@pytest.mark.parametrize(
    ("command", "method", "suffix"),
    [("stop", "POST", "/stop"), ("start", "POST", "/start"), ("delete", "DELETE", "")],
)
def test_lifecycle_actions_send_an_awkward_name_as_one_segment(
    command: str, method: str, suffix: str
) -> None:
    name = "../x?y#z"
    fake = make_fake(api_key=API_KEY)
    fake.add_sandbox("x")
    target = fake.add_sandbox(name, state="stopped" if command == "start" else "started")
    args = ("sandbox", command, name, "--no-wait" if command != "delete" else "--yes")
    result = make_cli(fake)(*args)
    assert result.exit_code == 0, result
    (request,) = [r for r in fake.requests if r.method == method]
    check_segment(request.url.raw_path.decode("ascii"), "/api/sandbox/", name, suffix)
    assert fake.sandbox("x")["state"] == "started"  # type: ignore[index]
    assert fake.sandbox(target["id"]) is not None or command == "delete"


@pytest.mark.parametrize("name", ["..", "../a b#c?d/名前"])
def test_a_real_socket_carries_the_name_as_one_encoded_segment(name: str, tmp_path: Path) -> None:
    fake = make_fake(api_key=API_KEY)
    fake.add_sandbox("etc")
    wanted = fake.add_sandbox(name)
    with fake.serve() as url:
        runner = make_cli(fake)
        runner.transport = lambda: None  # real sockets, to the fake on loopback
        runner.env["DAYTONA_API_URL"] = url
        result = runner("sandbox", "get", name)
    assert result.exit_code == 0, result
    assert f"ID\t{wanted['id']}\n" in result.stdout
    (request,) = fake.requests
    check_segment(request.url.raw_path.decode("ascii"), "/api/sandbox/", name)


INVALID = {
    "empty": "",
    "blank": "   ",
    "nul": "a\x00b",
    "newline": "a\nb",
    "escape": "a\x1b[2Jb",
    "bidi": "abc\u202edef",
    "too-long": "x" * 256,
}
COMMANDS = {
    "get": (("sandbox", "get", "{}"), 2),
    "delete": (("sandbox", "delete", "{}", "--yes"), 2),
    "start": (("sandbox", "start", "{}"), 2),
    "stop": (("sandbox", "stop", "{}"), 2),
    "wait": (("sandbox", "wait", "{}", "--for", "started"), 2),
    "create": (("sandbox", "create", "--name", "{}"), 2),
    "exec": (("sandbox", "exec", "{}", "--", "true"), 125),  # exec's own failures are 125
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("value", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_identifier_is_refused_before_any_request(command: str, value: str) -> None:
    fake = make_fake(api_key=API_KEY)
    template, code = COMMANDS[command]
    result = make_cli(fake)(*(part.replace("{}", value) for part in template))
    assert result.exit_code == code, result
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("error: ") and "Traceback" not in line
    for raw in ("\x1b", "\x00", "\u202e"):
        assert raw not in line
    assert fake.requests == []


def test_a_name_of_exactly_255_characters_is_still_sent() -> None:
    fake = make_fake(api_key=API_KEY)
    name = "n" * 255
    fake.add_sandbox(name)
    result = make_cli(fake)("sandbox", "get", name)
    assert result.exit_code == 0, result
    assert len(fake.requests) == 1


# -- property tests: rendering arbitrary server strings -----------------------------------------


@settings(PROPERTY, max_examples=20)
@given(name=st.text(min_size=1, max_size=40), label=st.text(max_size=20))
@example(name=HOSTILE, label=HOSTILE)
@example(name="\u2028\u2029\x85\u00a0\ufeff\U000e0001", label="\x9b31m")
def test_any_server_name_renders_without_raw_control_characters(name: str, label: str) -> None:
    fake = make_fake(api_key=API_KEY)
    sandbox = fake.add_sandbox(name, labels={"k": label, label or "empty": "v"})
    fake.add_sandbox("other")
    runner = make_cli(fake)
    for args in (("sandbox", "list"), ("sandbox", "get", sandbox["id"])):
        for tty in (False, True):
            result = runner(*args, tty=tty)
            assert result.exit_code == 0, (args, tty, result)
            assert "Traceback" not in result.stderr
            shown = SGR.sub("", result.stdout) if tty else result.stdout
            assert bad_characters(shown, "\n" if tty else "\n\t") == [], (args, tty, shown)
            if not tty and args[1] == "list":
                assert len(result.stdout.splitlines()) == 2  # one line per sandbox


# -- property tests: every parser of user input --------------------------------------------------


def parse_or_usage(result: Result, fake: FakeDaytona, *, usage_code: int = 2) -> None:
    """The value either parsed (the command ran: exit 0) or was refused before any request with
    exactly one line on stderr (exit 2), and never a traceback."""
    assert "Traceback" not in result.stderr, result
    assert result.exit_code in (0, usage_code), result
    if result.exit_code == usage_code:
        # The parser's own errors come after the usage line (issue 10).
        line = one_line(re.sub(r"^Usage: .*\n", "", result.stderr))
        assert line.startswith("error: "), result
        assert fake.requests == [], result


TEXT = st.text(max_size=30)
NUMBERS = st.one_of(
    TEXT,
    st.integers().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
    st.sampled_from(["-1", "0", "1", "abc", "1.5", "nan", "inf", "-inf", "1e309", " 2 ", "٣"]),
)
DURATIONS = st.one_of(
    TEXT,
    st.from_regex(r"\A([0-9]{1,25}(\.[0-9]{1,4})?[smhdwSMHDW]){1,3}\Z"),
    st.sampled_from(["90m", "2h", "7d", "1h30m", "0s", "0.5s", "1e3s", "-1h", "1x", "h", ""]),
)


@pytest.fixture
def fresh() -> Any:
    def build() -> tuple[FakeDaytona, Cli]:
        fake = make_fake(api_key=API_KEY)
        return fake, make_cli(fake)

    return build


@PROPERTY
@given(value=st.one_of(TEXT, st.sampled_from(["novalue", "=v", "k=", "k==v", "a b=c", " k =v"])))
def test_any_label_value_parses_or_is_a_one_line_usage_error(fresh: Any, value: str) -> None:
    fake, runner = fresh()
    result = runner("sandbox", "list", f"--label={value}")
    parse_or_usage(result, fake)
    if result.exit_code == 0:
        (request,) = fake.requests
        key, _, val = value.partition("=")
        assert json.loads(request.url.params["labels"]) == {key.strip(): val}


@PROPERTY
@given(value=st.one_of(TEXT, st.sampled_from(["novalue", "=v", "PATH=", "A=b=c", "A=\n"])))
def test_any_env_pair_parses_or_is_a_one_line_usage_error(fresh: Any, value: str) -> None:
    fake, runner = fresh()
    result = runner("sandbox", "create", "--no-wait", f"--env={value}")
    parse_or_usage(result, fake)
    if result.exit_code == 0:
        (request,) = fake.requests
        key, _, val = value.partition("=")
        assert json.loads(request.content)["env"] == {key.strip(): val}


@PROPERTY
@given(value=DURATIONS, option=st.sampled_from(["--older-than", "--idle-for"]))
@example(value="99999999999999999999w", option="--older-than")
@example(value="999999999999d", option="--idle-for")
def test_any_duration_parses_or_is_a_one_line_usage_error(
    fresh: Any, value: str, option: str
) -> None:
    fake, runner = fresh()
    result = runner("sandbox", "list", f"{option}={value}")
    parse_or_usage(result, fake)


@PROPERTY
@given(value=DURATIONS)
@example(value="99999999999999999999w")
def test_any_duration_for_a_selector_parses_or_is_a_one_line_usage_error(
    fresh: Any, value: str
) -> None:
    fake, runner = fresh()
    result = runner("sandbox", "delete", f"--older-than={value}", "--dry-run")
    parse_or_usage(result, fake)


@PROPERTY
@given(value=NUMBERS, option=st.sampled_from(["--cpu", "--memory", "--disk", "--gpu"]))
def test_any_resource_number_parses_or_is_a_one_line_usage_error(
    fresh: Any, value: str, option: str
) -> None:
    fake, runner = fresh()
    result = runner("sandbox", "create", "--image", "python:3.12", "--no-wait", f"{option}={value}")
    parse_or_usage(result, fake)


@PROPERTY
@given(value=NUMBERS, option=st.sampled_from(["--timeout", "--auto-stop", "--auto-delete"]))
def test_any_create_number_parses_or_is_a_one_line_usage_error(
    fresh: Any, value: str, option: str
) -> None:
    fake, runner = fresh()
    result = runner("sandbox", "create", "--no-wait", f"{option}={value}")
    parse_or_usage(result, fake)


@PROPERTY
@given(value=NUMBERS)
def test_any_wait_timeout_parses_or_is_a_one_line_usage_error(fresh: Any, value: str) -> None:
    fake, runner = fresh()
    fake.add_sandbox("demo")
    result = runner("sandbox", "wait", "demo", "--for", "started", f"--timeout={value}")
    parse_or_usage(result, fake)


@PROPERTY
@given(value=NUMBERS, option=st.sampled_from(["--limit"]))
def test_any_list_limit_parses_or_is_a_one_line_usage_error(
    fresh: Any, value: str, option: str
) -> None:
    fake, runner = fresh()
    result = runner("sandbox", "list", f"{option}={value}")
    parse_or_usage(result, fake)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("sandbox", "create", "--image", "python:3", "--cpu", "-1"), "--cpu"),
        (("sandbox", "create", "--label", "novalue"), "--label"),
        (("sandbox", "create", "--timeout", "abc"), "--timeout"),
        (("sandbox", "list", "--older-than", "soon"), "--older-than"),
        (("sandbox", "create", "--env", "=v"), "--env"),
    ],
)
def test_the_documented_bad_values_get_a_clear_message(args: tuple[str, ...], words: str) -> None:
    fake = make_fake(api_key=API_KEY)
    result = make_cli(fake)(*args)
    assert result.exit_code == 2, result
    line = one_line(re.sub(r"^Usage: .*\n", "", result.stderr))  # after the usage (issue 10)
    assert words in line, line
    assert fake.requests == []


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize(
    "command",
    [
        ["stop", "ID"],
        ["start", "ID"],
        ["delete", "ID", "--yes"],
        ["wait", "ID", "--for", "started"],
    ],
    ids=["stop", "start", "delete", "wait"],
)
def test_a_hostile_name_in_a_status_message_is_printed_inert(
    hostile: tuple[FaultyFake, Cli, dict[str, Any]], command: list[str], tty: bool
) -> None:
    _fake, runner, sandbox = hostile
    args = [sandbox["id"] if word == "ID" else word for word in command]
    result = runner("sandbox", *args, tty=tty)
    assert result.exit_code == 0, result
    # (On a terminal the spinner's own cursor codes are there too; the name's never are.)
    for raw in ("\x1b[2J", "\x1b]0;pwned\x07", "\rfake", "\u202e"):
        assert raw not in result.stderr, result
    squeezed = result.stderr.replace(" ", "")
    for escaped in ESCAPED_FORMS:
        assert escaped.replace(" ", "") in squeezed, result
