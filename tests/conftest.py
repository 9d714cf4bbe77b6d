"""Fixtures: an isolated environment and directory, the fake API, and a runner for the CLI.

The runner drives the real entry point (`daytona_cli.app.run`) with the real client code; only the
transport is swapped for the fake (`httpx.MockTransport`), and it can pretend to be a terminal.
Every exchange a test causes is checked against the OpenAPI spec when the test ends.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from daytona_cli.app import Runtime, run
from daytona_cli.waiting import Clock
from tests.contract import validate_exchange
from tests.fake_daytona import FakeDaytona

API_KEY = "test-key-5f0c2a7e"
BASE_URL = "https://fake.daytona.test/api"
PROXY_URL = "https://fake-proxy.daytona.test/toolbox"
CLI = Path(sys.executable).with_name("daytona-cli")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No DAYTONA_* or CI variables leak in from the machine, and ./.env is the test's own."""
    for name in list(os.environ):
        if name.startswith("DAYTONA_") or name in ("CI", "NO_COLOR", "FORCE_COLOR", "COLUMNS"):
            monkeypatch.delenv(name, raising=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@pytest.fixture
def fake() -> Iterator[FakeDaytona]:
    fake = FakeDaytona(
        api_key=API_KEY, base_url=BASE_URL, proxy_url=PROXY_URL, transition_seconds=0.05
    )
    yield fake
    problems = [
        f"{request.method} {request.url}: {problem}"
        for request, response in list(fake.exchanges)
        for problem in validate_exchange(request, response)
    ]
    fake.close()
    assert not problems, "exchanges that break the API contract:\n" + "\n".join(problems)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Result(exit={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


class Cli:
    """Runs `daytona-cli ARGS` in-process against the fake."""

    def __init__(self, fake: FakeDaytona, workdir: Path) -> None:
        self.fake = fake
        self.workdir = workdir
        self.env: dict[str, str] = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": BASE_URL}

    def __call__(
        self,
        *args: str,
        tty: bool = False,
        stdin: str = "",
        env: Mapping[str, str | None] | None = None,
        clock: Clock | None = None,
    ) -> Result:
        environ = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        runtime = Runtime(
            environ=environ,
            cwd=self.workdir,
            stdout_tty=tty,
            stderr_tty=tty,
            stdin_tty=tty,
            transport=httpx.MockTransport(self.fake.handler),
            clock=clock or Clock(),
            width=120,
        )
        out, err = io.StringIO(), io.StringIO()
        old_stdin = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = run(list(args), runtime)
        finally:
            sys.stdin = old_stdin
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(fake: FakeDaytona, isolated: Path) -> Cli:
    return Cli(fake, isolated)


@pytest.fixture
def served(fake: FakeDaytona) -> Iterator[str]:
    """The same fake on 127.0.0.1, for running the installed command as a subprocess."""
    with fake.serve() as url:
        yield url


def run_installed(
    *args: str, url: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> Result:
    """Run the installed `daytona-cli` console script, with no terminal and no stdin."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DAYTONA_") and key not in ("CI", "NO_COLOR")
    }
    environ.update({"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url, **(env or {})})
    proc = subprocess.run(
        [str(CLI), *args],
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
