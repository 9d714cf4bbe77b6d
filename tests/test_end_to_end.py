"""The README's "Done means" flow, run the way a newcomer runs it.

The installed ``daytona-cli`` console script runs as a real subprocess against the fake served on
loopback where the process is the point: the console script and ``python -m``, real pipes and a
real pseudo-terminal. The rest of the flow runs in-process (on the virtual clock, or over real
sockets to the fake on loopback).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY, CLI, Cli, Result, VirtualClock, run_installed
from tests.fake_daytona import DEFAULT_SNAPSHOT, FakeDaytona
from tests.faults_helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
SGR = re.compile(rb"\x1b\[([0-9;]*)m")
README = (ROOT / "README.md").read_text()


def installed_env(url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DAYTONA_") and key not in ("CI", "NO_COLOR", "FORCE_COLOR")
    }
    environ.update({"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url, **(extra or {})})
    return environ


def run_in_pty(
    *args: str, url: str, env: Mapping[str, str] | None = None, timeout: float = 30
) -> tuple[int, bytes]:
    """Run the installed command with stdin, stdout and stderr on a pseudo-terminal (120x40)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    environ = installed_env(url, {"TERM": "xterm-256color", **(env or {})})
    environ.pop("COLUMNS", None)
    environ.pop("LINES", None)
    proc = subprocess.Popen(
        [str(CLI), *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environ,
        start_new_session=True,
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if proc.poll() is not None and not select.select([master], [], [], 0)[0]:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every copy of the terminal's other end is closed
                break
            if not data:
                break
            output += data
        code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, bytes(output)


def colour_codes(data: bytes) -> list[str]:
    """SGR parameters that set a colour (foreground or background), as NO_COLOR forbids."""
    found = []
    for match in SGR.finditer(data):
        params = [int(part) for part in match.group(1).split(b";") if part] or [0]
        index = 0
        while index < len(params):
            value = params[index]
            if value in (38, 48):
                found.append(match.group(0).decode())
                index += 3 if params[index + 1 : index + 2] == [5] else 5
                continue
            if 30 <= value <= 37 or 40 <= value <= 47 or 90 <= value <= 97 or 100 <= value <= 107:
                found.append(match.group(0).decode())
            index += 1
    return found


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr, result.stderr


# -- the Done-means flow ---------------------------------------------------------------------


def test_a_newcomer_creates_execs_stops_starts_deletes_and_lists_snapshots(
    fake: FakeDaytona, served: str
) -> None:
    created = run_installed("sandbox", "create", "--name", "demo", url=served)
    assert created.exit_code == 0, created
    assert "State\tstarted" in created.stdout.splitlines()
    assert "Name\tdemo" in created.stdout.splitlines()
    assert "created and started" in created.stderr
    sandbox = fake.sandbox("demo")
    assert sandbox is not None
    assert sandbox["state"] == "started"
    assert f"ID\t{sandbox['id']}" in created.stdout.splitlines()

    hello = run_installed("sandbox", "exec", "demo", "--", "echo", "hello", url=served)
    assert (hello.exit_code, hello.stdout, hello.stderr) == (0, "hello\n", "")

    failing = run_installed("sandbox", "exec", "demo", "--", "sh", "-c", "exit 3", url=served)
    assert (failing.exit_code, failing.stdout, failing.stderr) == (3, "", "")

    stopped = run_installed("sandbox", "stop", "demo", url=served)
    assert stopped.exit_code == 0, stopped
    assert stopped.stdout == ""
    assert "stopped" in stopped.stderr
    assert (fake.sandbox("demo") or {}).get("state") == "stopped"

    refused = run_installed("sandbox", "exec", "demo", "--", "echo", "hello", url=served)
    assert refused.exit_code == 125
    assert "sandbox start" in refused.stderr

    started = run_installed("sandbox", "start", "demo", url=served)
    assert started.exit_code == 0, started
    assert "started" in started.stderr
    assert (fake.sandbox("demo") or {}).get("state") == "started"

    deleted = run_installed("sandbox", "delete", "demo", "--yes", url=served)
    assert deleted.exit_code == 0, deleted
    assert "Deletion of sandbox demo" in deleted.stderr
    wait_until(lambda: fake.sandbox("demo") is None)  # the fake's destroying → destroyed
    assert fake.sandbox("demo") is None
    gone = run_installed("sandbox", "get", "demo", url=served)
    assert gone.exit_code == 3

    snapshots = run_installed("snapshot", "list", url=served)
    assert snapshots.exit_code == 0, snapshots
    [line] = snapshots.stdout.splitlines()
    assert line.split("\t")[:2] == [DEFAULT_SNAPSHOT, "active"]
    assert "\x1b" not in snapshots.stdout
    for result in (created, hello, failing, stopped, refused, started, deleted, gone, snapshots):
        no_traceback(result)


def test_the_same_flow_with_json_gives_a_script_the_same_results(
    fake: FakeDaytona, cli: Cli, clock: VirtualClock
) -> None:
    def run_json(*args: str) -> tuple[int, Any]:
        cut = args.index("--") if "--" in args else len(args)
        result = cli(*args[:cut], "--json", *args[cut:])
        no_traceback(result)
        return result.exit_code, json.loads(result.stdout)

    code, created = run_json("sandbox", "create", "--name", "demo")
    assert code == 0
    assert (created["name"], created["state"]) == ("demo", "started")
    sandbox_id = created["id"]
    assert created["snapshot"] == DEFAULT_SNAPSHOT

    # In process there is no log stream to open: the one-shot route (the streaming route's
    # JSON is checked over sockets in test_sandbox_exec_stream.py).
    assert run_json("sandbox", "exec", "--merged", "demo", "--", "echo", "hello") == (
        0,
        {"exitCode": 0, "stdout": "hello\n", "stderr": "", "result": "hello\n"},
    )
    assert run_json("sandbox", "exec", "--merged", "demo", "--", "sh", "-c", "exit 3") == (
        3,
        {"exitCode": 3, "stdout": "", "stderr": "", "result": ""},
    )

    code, stopped = run_json("sandbox", "stop", "demo")
    assert code == 0
    assert [(item["id"], item["state"]) for item in stopped] == [(sandbox_id, "stopped")]

    code, started = run_json("sandbox", "start", "demo")
    assert code == 0
    assert [(item["id"], item["state"]) for item in started] == [(sandbox_id, "started")]

    code, listed = run_json("sandbox", "list")
    assert code == 0
    assert [(item["id"], item["name"], item["state"]) for item in listed] == [
        (sandbox_id, "demo", "started")
    ]

    code, deleted = run_json("sandbox", "delete", "demo", "--yes")
    assert code == 0
    assert [item["id"] for item in deleted] == [sandbox_id]
    assert deleted[0]["state"] in ("destroying", "destroyed")

    code, snapshots = run_json("snapshot", "list")
    assert code == 0
    assert [(item["name"], item["state"]) for item in snapshots] == [(DEFAULT_SNAPSHOT, "active")]

    clock.advance(0.1)  # the fake's destroying → destroyed transition
    code, empty = run_json("sandbox", "list")
    assert (code, empty) == (0, [])


def test_the_documented_quoting_example_works(fake: FakeDaytona, cli: Cli) -> None:
    fake.add_sandbox("demo")
    quoted = cli("sandbox", "exec", "--merged", "demo", "--", "python3", "-c", 'print("it works")')
    assert (quoted.exit_code, quoted.stdout, quoted.stderr) == (0, "it works\n", "")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (r"printf '\033[31mred\033[0m\tno newline'", b"\x1b[31mred\x1b[0m\tno newline"),
        # A hostile mix: clear screen, window title, carriage return, bidi override, markup.
        (
            r"printf '\033[2J\033]0;pwned\007\rfake\342\200\256evil [bold red]x[/]\n'",
            "\x1b[2J\x1b]0;pwned\x07\rfake\u202eevil [bold red]x[/]\n".encode(),
        ),
    ],
    ids=["colour-tab-no-newline", "hostile"],
)
def test_exec_output_is_byte_exact_through_a_real_pipe(
    fake: FakeDaytona, served: str, command: str, expected: bytes
) -> None:
    fake.add_sandbox("demo")
    environ = installed_env(served)
    proc = subprocess.run(
        [str(CLI), "sandbox", "exec", "demo", "--", command],
        capture_output=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=30,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, expected, b"")


def test_exec_falls_back_to_the_toolbox_proxy_over_real_sockets(
    fake: FakeDaytona, served: str, cli: Cli
) -> None:
    sandbox = fake.add_sandbox("demo")
    fake.legacy_execute = False
    cli.transport = lambda: None  # real sockets, to the fake and its proxy route on loopback
    cli.env["DAYTONA_API_URL"] = served
    result = cli("sandbox", "exec", "--merged", "demo", "--", "echo", "proxied")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "proxied\n", "")
    [proxied] = fake.requests_to("POST", "/toolbox-proxy/*/process/execute")
    assert proxied.url.path == f"/toolbox-proxy/{sandbox['id']}/process/execute"


# -- entry points ----------------------------------------------------------------------------


def test_python_m_daytona_cli_help_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "daytona_cli", "--help"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
        check=False,
        env=installed_env("http://127.0.0.1:9/api"),
    )
    assert proc.returncode == 0
    assert "Usage" in proc.stdout
    for command in ("sandbox", "snapshot"):
        assert command in proc.stdout
    assert proc.stderr == ""


def test_the_installed_command_prints_its_version() -> None:
    result = run_installed("--version", url="http://127.0.0.1:9/api")
    assert result.exit_code == 0
    assert result.stdout.startswith("daytona-cli ")


# -- pipes and terminals ---------------------------------------------------------------------


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback(
    fake: FakeDaytona, served: str
) -> None:
    for index in range(500):
        fake.add_sandbox(f"sbx-{index:04d}-" + "x" * 200)
    with subprocess.Popen(
        [str(CLI), "sandbox", "list"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=installed_env(served),
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        errors = proc.stderr.read()
        code = proc.wait(timeout=30)
    assert first.startswith(b"sbx-")
    assert b"Traceback" not in errors, errors
    assert b"BrokenPipeError" not in errors, errors
    assert b"Exception ignored" not in errors, errors
    assert errors == b""
    assert code in (0, 141, -signal.SIGPIPE)
    # The reader went away during the first page (over 64 KiB), so not every page was fetched.
    assert 1 <= len(fake.requests_to("GET", "/sandbox")) < 3
    assert len(fake.sandboxes) == 500


def test_on_a_terminal_the_list_is_a_coloured_table_with_headers(
    fake: FakeDaytona, served: str
) -> None:
    fake.add_sandbox("alpha")
    fake.add_sandbox("beta", state="stopped")
    code, screen = run_in_pty("sandbox", "list", url=served)
    assert code == 0, screen
    text = SGR.sub(b"", screen).decode()
    # At 120 columns region and last activity give way (issue 10: tables fit the terminal).
    for heading in ("NAME", "ID", "STATE", "SNAPSHOT", "CPU"):
        assert heading in text
    assert "alpha" in text and "beta" in text
    assert colour_codes(screen), screen
    assert b"Traceback" not in screen


def test_the_same_list_piped_has_no_escape_codes(fake: FakeDaytona, served: str) -> None:
    alpha = fake.add_sandbox("alpha")
    fake.add_sandbox("beta", state="stopped")
    result = run_installed("sandbox", "list", url=served)
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout + result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert "NAME" not in result.stdout
    assert ["alpha", alpha["id"], "started"] in [row[:3] for row in rows]


def test_no_color_under_a_terminal_drops_the_colour_but_keeps_the_table(
    fake: FakeDaytona, served: str
) -> None:
    fake.add_sandbox("alpha")
    fake.add_sandbox("beta", state="stopped")
    code, screen = run_in_pty("sandbox", "list", url=served, env={"NO_COLOR": "1"})
    assert code == 0, screen
    assert colour_codes(screen) == [], screen
    text = SGR.sub(b"", screen).decode()
    assert "NAME" in text and "alpha" in text


def test_an_error_on_a_terminal_is_one_line_without_a_traceback(
    fake: FakeDaytona, served: str
) -> None:
    code, screen = run_in_pty("sandbox", "get", "ghost", url=served)
    assert code == 3
    text = SGR.sub(b"", screen).decode()
    assert "ghost" in text
    assert "Traceback" not in text


# -- the fake as a server, as the README shows it --------------------------------------------


def test_the_fake_runs_as_a_module_serves_the_cli_and_stops_quietly_on_ctrl_c() -> None:
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fake_daytona",
            "--port",
            "0",
            "--api-key",
            "fake-key",
            "--seed",
            "--transition-seconds",
            "0.05",
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdout is not None
        try:
            line = server.stdout.readline()
            assert "export DAYTONA_API_URL=" in line, line
            url = line.split("DAYTONA_API_URL=")[1].split()[0]
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", url), url
            assert "DAYTONA_API_KEY=fake-key" in line
            listed = run_installed(
                "sandbox", "list", "--json", url=url, env={"DAYTONA_API_KEY": "fake-key"}
            )
            direct = httpx.get(f"{url}/snapshots", headers={"Authorization": "Bearer fake-key"})
        finally:
            server.send_signal(signal.SIGINT)
            out, errors = server.communicate(timeout=10)
    assert listed.exit_code == 0, listed
    assert sorted(item["name"] for item in json.loads(listed.stdout)) == [
        "demo-1",
        "demo-2",
        "demo-3",
    ]
    assert direct.status_code == 200
    assert (server.returncode, out, errors) == (0, "", "")


def test_the_readmes_try_it_block_runs_as_written(
    fake: FakeDaytona, served: str, tmp_path: Path
) -> None:
    """Every line of "Try it without an account" after the two set-up lines, run by a shell
    with the installed command, against the seeded fake (served here rather than on 8765)."""
    block = README.split("### Try it without an account", 1)[1].split("```sh\n", 1)[1]
    lines = block.split("```", 1)[0].splitlines()
    assert lines[0].startswith(".venv/bin/python -m tests.fake_daytona ") and "--seed" in lines[0]
    assert lines[1] == ("export DAYTONA_API_URL=http://127.0.0.1:8765/api DAYTONA_API_KEY=fake-key")
    fake.seed()
    fake.follow_close_delay = 0.05
    (tmp_path / "README.md").write_text(README)
    script = "\n".join(line.replace(".venv/bin/", f"{CLI.parent}/") for line in lines[2:])
    ran = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=installed_env(served),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran
    assert "Traceback" not in ran.stderr and "error:" not in ran.stderr, ran.stderr
    out = ran.stdout.splitlines()
    assert "hello" in out and "exit code 3" in out, ran.stdout
    assert any(line.startswith("fake/ubuntu:24.04-2\t") for line in out), ran.stdout
    listed = run_installed("sandbox", "list", "--json", url=served)
    # demo and vm are gone again; the seeded sandboxes are left as they were.
    assert sorted(item["name"] for item in json.loads(listed.stdout)) == [
        "demo-1",
        "demo-2",
        "demo-3",
    ]
    asked = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in fake.requests]
    assert asked.count(("POST", "pause")) == 1
    assert ("POST", "upload-v2") in asked  # the cp
