"""Proxies from the environment (issue 9, promise 6): honoured for https, bypassed for the
plain-http loopback API so the key never reaches a proxy in clear text, named in network
errors, and a SOCKS proxy without its package is a configuration error (exit 2).

These run the CLI in process with its real HTTP transport: httpx reads proxies from the
process environment, so each test sets them there and in the run's environment alike.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from daytona_cli.app import run
from daytona_cli.context import Runtime
from daytona_cli.streams import Streams
from tests.conftest import API_KEY, Result
from tests.fake_daytona import FakeDaytona

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class _Recorder(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        self.send_error(502, "recording proxy: not forwarding")

    do_GET = do_POST = do_DELETE = do_CONNECT = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def recording_proxy() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_real(
    monkeypatch: pytest.MonkeyPatch, workdir: Path, url: str, proxies: dict[str, str], *args: str
) -> Result:
    """The CLI in process, over real sockets, with ``proxies`` in both environments."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in proxies.items():
        monkeypatch.setenv(name, value)
    environ = {"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url, **proxies}
    out, err = io.StringIO(), io.StringIO()
    streams = Streams(stdout=out, stderr=err, stdin=io.StringIO())
    code = run(["--request-timeout", "5", *args], Runtime(environ, workdir, streams))
    return Result(code, out.getvalue(), err.getvalue())


def test_a_loopback_http_api_bypasses_every_proxy_so_the_key_never_reaches_one(
    monkeypatch: pytest.MonkeyPatch,
    isolated: Path,
    fake: FakeDaytona,
    served: str,
    recording_proxy: tuple[str, list[str]],
) -> None:
    proxy, seen = recording_proxy
    fake.add_sandbox("demo")
    everything = {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "ALL_PROXY": proxy}
    result = run_real(monkeypatch, isolated, served, everything, "sandbox", "list", "-q")
    assert result.exit_code == 0, result
    assert len(result.stdout.splitlines()) == 1
    assert seen == []
    assert fake.requests_to("GET", "/sandbox")


def test_a_network_error_through_a_proxy_names_the_proxy_without_its_password(
    monkeypatch: pytest.MonkeyPatch, isolated: Path, closed_port: int
) -> None:
    proxy = f"http://user:s3cret-pw@127.0.0.1:{closed_port}"
    result = run_real(
        monkeypatch, isolated, "https://app.daytona.io/api", {"HTTPS_PROXY": proxy},
        "sandbox", "list",
    )  # fmt: skip
    assert result.exit_code == 7, result
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert f"through the proxy http://***@127.0.0.1:{closed_port}" in line
    assert "s3cret-pw" not in line
    assert "HTTPS_PROXY" in line


def test_a_host_in_no_proxy_is_reached_directly_and_the_error_says_nothing_of_a_proxy(
    monkeypatch: pytest.MonkeyPatch, isolated: Path, closed_port: int
) -> None:
    proxies = {"HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}
    url = f"https://127.0.0.1:{closed_port}/api"
    result = run_real(monkeypatch, isolated, url, proxies, "sandbox", "list")
    assert result.exit_code == 7, result
    (line,) = result.stderr.splitlines()
    assert f"cannot reach 127.0.0.1:{closed_port}" in line
    assert "proxy" not in line


def test_a_socks_proxy_without_its_package_is_a_one_line_configuration_error(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    try:
        import socksio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("socksio is installed: a SOCKS proxy works here")
    proxies = {"ALL_PROXY": "socks5://127.0.0.1:1080"}
    result = run_real(
        monkeypatch, isolated, "https://app.daytona.io/api", proxies, "sandbox", "list"
    )
    assert result.exit_code == 2, result
    (line,) = result.stderr.splitlines()
    assert "SOCKS" in line
    assert "daytona-cli[socks]" in line
    assert "internal error" not in line
