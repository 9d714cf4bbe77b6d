"""`daytona-cli sandbox ssh` (issue 12): the system ssh, run with what the API returned, and the
token revoked however ssh ends.

A stand-in `ssh` first on the run's PATH records its argv and exits as told (a code, killed by
SIGINT, or waiting for Ctrl-C). The runs are in-process (the PATH is the run's own environment,
never os.environ), except the one where a real process group gets a real SIGINT.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY, CLI, Cli, Result
from tests.fake_daytona import FakeDaytona
from tests.faults_helpers import FaultyFake, installed_env, wait_until
from tests.test_readme import says

HOST = "ssh.fake.daytona.test"

STAND_IN = """#!{python} -S
import os, signal, sys, time
record = os.environ["SSH_RECORD"]
with open(record, "w") as out:
    out.write("\\0".join(sys.argv))
mode = os.environ.get("SSH_MODE", "")
if mode == "interrupt":  # as ssh ends when Ctrl-C reaches it
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    sys.exit(42)
if mode == "wait":  # until Ctrl-C, as a session does
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    def term(*_):  # as OpenSSH ends on SIGTERM: "Killed by signal 15.", exit 255
        open(record + ".term", "w").close()
        os._exit(255)
    signal.signal(signal.SIGTERM, term)
    open(record + ".ready", "w").close()
    time.sleep(60)
    sys.exit(99)
sys.exit(int(os.environ.get("SSH_EXIT", "0")))
"""


class Ssh:
    """The stand-in ssh: its directory (the run's PATH) and what it recorded."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self.path = directory / "ssh"
        self.path.write_text(STAND_IN.format(python=sys.executable))
        self.path.chmod(0o755)
        self.record = directory.parent / "ssh-argv"

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": str(self.path.parent), "SSH_RECORD": str(self.record), **extra}

    def argv(self) -> list[str] | None:
        """What ssh was run with (argv[0] included), or None if it never ran."""
        if not self.record.exists():
            return None
        return self.record.read_text().split("\0")


@pytest.fixture
def ssh(tmp_path: Path) -> Ssh:
    return Ssh(tmp_path / "bin")


def only_access(fake: FakeDaytona) -> dict[str, Any]:
    [access] = fake.ssh_access
    return access


def api_calls(fake: FakeDaytona) -> list[tuple[str, str, dict[str, str]]]:
    return [(r.method, r.url.path.removeprefix("/api"), dict(r.url.params)) for r in fake.requests]


def nowhere(secret: str, result: Result) -> None:
    assert secret not in result.stdout and secret not in result.stderr, result


# -- connecting ------------------------------------------------------------------------------


def test_ssh_runs_the_apis_command_and_revokes_the_token_when_ssh_exits(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    demo = fake.add_sandbox("demo")
    result = cli("sandbox", "ssh", "demo", env=ssh.env())
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    access = only_access(fake)
    token = access["token"]
    assert ssh.argv() == [str(ssh.path), "-p", "2222", f"{token}@{HOST}"]
    assert api_calls(fake) == [
        ("GET", "/sandbox/demo", {}),
        ("POST", f"/sandbox/{demo['id']}/ssh-access", {"expiresInMinutes": "60"}),
        ("DELETE", f"/sandbox/{demo['id']}/ssh-access", {"token": token}),
    ]
    assert access["revoked"] is True
    assert fake.live_ssh_tokens() == []


@pytest.mark.parametrize(
    ("command", "sent"),
    [
        (["ls", "-la", "/tmp/a b"], "ls -la '/tmp/a b'"),
        (["cd /app && make test | tail -5"], "cd /app && make test | tail -5"),
        (["-v"], "-v"),
    ],
    ids=["several arguments", "one shell line", "a dash"],
)
def test_a_remote_command_is_quoted_as_exec_quotes_it_after_the_destination(
    cli: Cli, fake: FakeDaytona, ssh: Ssh, command: list[str], sent: str
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "ssh", "demo", "--", *command, env=ssh.env())
    assert result.exit_code == 0, result
    token = only_access(fake)["token"]
    assert ssh.argv() == [str(ssh.path), "-p", "2222", "--", f"{token}@{HOST}", sent]


@pytest.mark.parametrize("code", ["3", "255"])
def test_ssh_exit_code_passes_through_and_the_token_is_still_revoked(
    cli: Cli, fake: FakeDaytona, ssh: Ssh, code: str
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "ssh", "demo", "--", "false", env=ssh.env(SSH_EXIT=code))
    assert (result.exit_code, result.stdout, result.stderr) == (int(code), "", "")
    assert only_access(fake)["revoked"] is True


def test_ssh_ended_by_ctrl_c_exits_130_and_the_token_is_revoked(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "ssh", "demo", env=ssh.env(SSH_MODE="interrupt"))
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "")
    assert only_access(fake)["revoked"] is True


def test_a_real_ctrl_c_reaches_ssh_and_the_cli_outlives_it_to_revoke(
    fake: FakeDaytona, ssh: Ssh
) -> None:
    """The terminal sends SIGINT to the whole foreground process group: the CLI and ssh."""
    fake.add_sandbox("demo")
    with fake.serve() as url:
        proc = subprocess.Popen(
            [str(CLI), "sandbox", "ssh", "demo"],
            env=installed_env(url, ssh.env(SSH_MODE="wait")),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            wait_until(lambda: Path(f"{ssh.record}.ready").exists() or proc.poll() is not None)
            assert proc.poll() is None, proc.communicate()
            assert fake.live_ssh_tokens() == [only_access(fake)["token"]]
            os.killpg(proc.pid, signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert (proc.returncode, stdout, stderr) == (130, b"", b"")
    assert only_access(fake)["revoked"] is True
    assert fake.live_ssh_tokens() == []


def start_waiting_ssh(url: str, ssh: Ssh) -> subprocess.Popen[bytes]:
    """The installed CLI in a process group of its own, once its ssh waits for a signal."""
    proc = subprocess.Popen(
        [str(CLI), "sandbox", "ssh", "demo"],
        env=installed_env(url, ssh.env(SSH_MODE="wait")),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    wait_until(lambda: Path(f"{ssh.record}.ready").exists() or proc.poll() is not None)
    assert proc.poll() is None, proc.communicate()
    return proc


def end_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill what is left of the CLI's process group (a stand-in ssh left behind, say)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait()


TERMINATED_LINE = b"error: terminated; ssh got the signal too and has exited\n"


def test_sigterm_to_the_cli_alone_is_passed_on_to_ssh_and_the_run_exits_143(
    fake: FakeDaytona, ssh: Ssh
) -> None:
    """`kill` or `docker stop` signals the CLI only: ssh must not be left running."""
    demo = fake.add_sandbox("demo")
    with fake.serve() as url:
        proc = start_waiting_ssh(url, ssh)
        try:
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            end_group(proc)
    assert Path(f"{ssh.record}.term").exists()  # ssh got it, and ended (255) before the CLI
    assert (proc.returncode, stdout, stderr) == (143, b"", TERMINATED_LINE)
    token = only_access(fake)["token"]
    [revoke] = fake.requests_to("DELETE", f"/sandbox/{demo['id']}/ssh-access")
    assert revoke.url.params["token"] == token
    assert fake.live_ssh_tokens() == []


def test_a_second_sigterm_as_timeout_sends_it_does_not_skip_the_revoke(ssh: Ssh) -> None:
    """`timeout` signals the CLI, then its process group: the revoke is held until the second
    SIGTERM has come, and still happens."""
    held = FaultyFake(api_key=API_KEY, transition_seconds=0.05)
    demo = held.add_sandbox("demo")
    held.hold_answers("DELETE", "/sandbox/*/ssh-access")
    try:
        with held.serve() as url:
            proc = start_waiting_ssh(url, ssh)
            try:
                proc.send_signal(signal.SIGTERM)
                wait_until(lambda: bool(held.requests_to("DELETE", "/sandbox/*/ssh-access")))
                os.killpg(proc.pid, signal.SIGTERM)
                held.release()
                stdout, stderr = proc.communicate(timeout=30)
            finally:
                held.release()
                end_group(proc)
        assert (proc.returncode, stdout, stderr) == (143, b"", TERMINATED_LINE)
        assert len(held.requests_to("DELETE", f"/sandbox/{demo['id']}/ssh-access")) == 1
        assert held.live_ssh_tokens() == []
    finally:
        held.close()


def test_the_readme_and_help_say_sigterm_is_passed_on_to_ssh(cli: Cli) -> None:
    says(
        "SIGTERM sent to the CLI alone (`kill`, `docker stop`) is passed on to ssh; once ssh "
        "has exited the token is revoked and the CLI exits 143, with one line saying that "
        "SIGTERM ended the run and ssh"
    )
    says("130 when Ctrl-C ended it; 143 when SIGTERM ended the run (it is passed on to ssh)")
    result = cli("sandbox", "ssh", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "SIGTERM is passed on to ssh." in text
    assert "143 when SIGTERM ended it" in text


def test_expires_sets_the_tokens_lifetime_and_must_be_at_least_a_minute(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    demo = fake.add_sandbox("demo")
    assert cli("sandbox", "ssh", "demo", "--expires", "5", env=ssh.env()).exit_code == 0
    [create] = fake.requests_to("POST", f"/sandbox/{demo['id']}/ssh-access")
    assert create.url.params["expiresInMinutes"] == "5"
    refused = cli("sandbox", "ssh", "demo", "--expires", "0", env=ssh.env())
    assert refused.exit_code == 2, refused
    assert "Invalid value for '--expires': 0 is less than 1" in refused.stderr
    assert len(fake.requests) == 3


def test_only_this_sessions_token_is_revoked(cli: Cli, fake: FakeDaytona, ssh: Ssh) -> None:
    fake.add_sandbox("demo")
    printed = cli("sandbox", "ssh", "demo", "--print")
    assert printed.exit_code == 0, printed
    assert cli("sandbox", "ssh", "demo", env=ssh.env()).exit_code == 0
    first, second = fake.ssh_access
    assert (first["revoked"], second["revoked"]) == (False, True)
    assert fake.live_ssh_tokens() == [first["token"]]


# -- before connecting -----------------------------------------------------------------------


def test_a_stopped_sandbox_is_refused_with_how_to_start_it(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    demo = fake.add_sandbox("demo", state="stopped")
    result = cli("sandbox", "ssh", "demo", env=ssh.env())
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: sandbox demo ({demo['id']}) is stopped, not started; start it with "
        "`daytona-cli sandbox start demo` or pass --start\n"
    )
    assert (fake.ssh_access, ssh.argv()) == ([], None)


def test_start_starts_the_sandbox_first(cli: Cli, fake: FakeDaytona, ssh: Ssh) -> None:
    demo = fake.add_sandbox("demo", state="paused", sandboxClass="linux-vm")
    result = cli("sandbox", "ssh", "demo", "--start", env=ssh.env())
    assert (result.exit_code, result.stdout) == (0, "")
    assert fake.requests_to("POST", f"/sandbox/{demo['id']}/start")
    assert (fake.sandbox("demo") or {})["state"] == "started"
    assert ssh.argv() is not None
    assert only_access(fake)["revoked"] is True


def test_without_ssh_on_path_it_says_what_to_install_and_sends_nothing(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    fake.add_sandbox("demo")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("sandbox", "ssh", "demo", env={"PATH": str(empty)})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: no ssh command found on PATH; install an OpenSSH client (openssh-client on "
        "Debian and Ubuntu, openssh elsewhere), or use --print to get the command\n"
    )
    assert fake.requests == []


def test_a_missing_sandbox_exits_3_before_any_token_is_made(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    result = cli("sandbox", "ssh", "ghost", env=ssh.env())
    assert (result.exit_code, result.stdout) == (3, "")
    assert fake.ssh_access == []


# -- handing the token over ------------------------------------------------------------------


def test_print_prints_the_command_and_says_the_token_stays_valid(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "ssh", "demo", "--print", "--", "uname", "-a", env={"PATH": ""})
    assert result.exit_code == 0, result
    access = only_access(fake)
    assert result.stdout == f"ssh -p 2222 -- {access['token']}@{HOST} 'uname -a'\n"
    assert result.stderr.startswith(
        f"The token in this command stays valid until {access['expiresAt'][:19]}"
    )
    assert "(in 1 hour) and is not revoked" in result.stderr
    assert fake.live_ssh_tokens() == [access["token"]]
    nowhere(access["token"], Result(0, "", result.stderr))


def test_json_prints_the_access_object_and_runs_nothing(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "ssh", "demo", "--json", env=ssh.env())
    assert result.exit_code == 0
    access = only_access(fake)
    assert result.json() == {k: v for k, v in access.items() if k not in ("revoked", "_expires")}
    # The token is in the JSON: stderr says so, and that it stays valid (never the token).
    assert result.stderr.startswith(
        "warning: this JSON holds the SSH token (token, sshCommand), which stays valid until "
        f"{access['expiresAt'][:19]}"
    )
    assert result.stderr.endswith(
        "(in 1 hour) and is not revoked: anyone who has it can log in to the sandbox until then\n"
    )
    assert len(result.stderr.splitlines()) == 1
    nowhere(access["token"], Result(0, "", result.stderr))
    says("prints the API's SSH access object instead, and a warning on stderr that it holds")
    assert (ssh.argv(), fake.live_ssh_tokens()) == (None, [access["token"]])
    both = cli("sandbox", "ssh", "demo", "--json", "--print")
    assert both.exit_code == 2
    assert json.loads(both.stderr)["error"]["code"] == "usage"


# -- the token is a secret -------------------------------------------------------------------


def test_under_debug_the_token_appears_nowhere_and_the_revoke_url_shows_stars(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    demo = fake.add_sandbox("demo")
    result = cli("--debug", "sandbox", "ssh", "demo", env=ssh.env())
    assert result.exit_code == 0, result
    nowhere(only_access(fake)["token"], result)
    assert f"> DELETE https://fake.daytona.test/api/sandbox/{demo['id']}/ssh-access?token=***" in (
        result.stderr
    )
    assert '"token": "***"' in result.stderr and '"sshCommand": "***"' in result.stderr
    assert only_access(fake)["revoked"] is True


def test_a_failed_revoke_is_a_warning_without_the_token_and_ssh_keeps_its_code(
    cli: Cli, fake: FakeDaytona, ssh: Ssh
) -> None:
    demo = fake.add_sandbox("demo")
    canary = "tok-CANARY-0123456789abcdef"
    fake.inject(
        "POST",
        f"/sandbox/{demo['id']}/ssh-access",
        status=200,
        json={
            "id": "a1", "sandboxId": demo["id"], "token": canary,
            "expiresAt": "2030-01-01T12:00:00.000Z", "createdAt": "2030-01-01T11:00:00.000Z",
            "updatedAt": "2030-01-01T11:00:00.000Z", "sshCommand": f"ssh -p 2222 {canary}@{HOST}",
        },
    )  # fmt: skip
    echo = {
        "path": f"/api/sandbox/{demo['id']}/ssh-access", "timestamp": "2030-01-01T11:00:00.000Z",
        "statusCode": 400, "error": "Bad Request", "message": f"token {canary} is not valid",
    }  # fmt: skip
    fake.inject("DELETE", f"/sandbox/{demo['id']}/ssh-access", status=400, json=echo)
    result = cli("--debug", "sandbox", "ssh", "demo", env=ssh.env(SSH_EXIT="7"))
    assert result.exit_code == 7, result
    nowhere(canary, result)
    assert result.stderr.splitlines()[-1] == (
        "warning: could not revoke the SSH token (token *** is not valid); it stays valid "
        "until 2030-01-01T12:00:00Z"
    )
    assert ssh.argv() == [str(ssh.path), "-p", "2222", f"{canary}@{HOST}"]


@pytest.mark.parametrize(
    "command",
    [
        "ssh -o ProxyCommand=touch%20x -p 2222 {token}@host",
        "ssh -p 2222 {token}@host; rm -rf ~",
        "ssh -p 22x {token}@host",
        "mosh {token}@host",
    ],
)
def test_an_unexpected_ssh_command_is_never_run_and_its_token_is_revoked(
    cli: Cli, fake: FakeDaytona, ssh: Ssh, command: str
) -> None:
    demo = fake.add_sandbox("demo")
    token = "tok-CANARY-fedcba9876543210"
    fake.inject(
        "POST",
        f"/sandbox/{demo['id']}/ssh-access",
        status=200,
        json={
            "id": "a1", "sandboxId": demo["id"], "token": token,
            "expiresAt": "2030-01-01T12:00:00.000Z", "createdAt": "2030-01-01T11:00:00.000Z",
            "updatedAt": "2030-01-01T11:00:00.000Z", "sshCommand": command.format(token=token),
        },
    )  # fmt: skip
    result = cli("sandbox", "ssh", "demo", env=ssh.env())
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(
        "error: unexpected answer from the API for POST ssh-access: sshCommand is not of the "
        "form `ssh -p PORT TOKEN@HOST`"
    )
    nowhere(token, result)
    assert ssh.argv() is None
    [revoke] = fake.requests_to("DELETE", f"/sandbox/{demo['id']}/ssh-access")
    assert revoke.url.params["token"] == token


def test_the_remote_commands_own_options_need_no_separator(cli: Cli, fake: FakeDaytona) -> None:
    """As ``docker exec``: the first word after the sandbox begins the remote command."""
    fake.add_sandbox("demo")
    result = cli("sandbox", "ssh", "demo", "--print", "ls", "-la", "--json", env={"PATH": ""})
    assert result.exit_code == 0, result
    access = only_access(fake)
    assert result.stdout == f"ssh -p 2222 -- {access['token']}@{HOST} 'ls -la --json'\n"


def test_print_and_json_together_say_which_does_what(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "ssh", "demo", "--print", "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert json.loads(result.stderr)["error"]["hint"] == (
        "--print gives the ssh command, --json the access object: choose one"
    )
    assert fake.requests == []
