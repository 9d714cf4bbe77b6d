"""`daytona-cli sandbox preview-url` (issue 12): the URL on stdout, how to use it on stderr, the
API's object under --json, and the port checked before any request."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli
from tests.fake_daytona import FakeDaytona
from tests.test_readme import says

DOMAIN = "preview.fake.daytona.test"


def test_a_private_sandbox_gets_its_url_and_a_ready_curl_line_with_the_token(
    cli: Cli, fake: FakeDaytona
) -> None:
    demo = fake.add_sandbox("demo")
    result = cli("sandbox", "preview-url", "demo", "--port", "3000")
    assert result.exit_code == 0, result
    url = f"https://3000-{demo['id']}.{DOMAIN}"
    assert result.stdout == url + "\n"
    [call] = fake.exchanges[1:]
    token = call[1].json()["token"]
    assert result.stderr == (
        "The sandbox is private: send its token in the X-Daytona-Preview-Token header, e.g.\n"
        f"  curl -H 'X-Daytona-Preview-Token: {token}' {url}\n"
        "or use --signed for a URL that needs no header.\n"
    )
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("GET", "/api/sandbox/demo"),
        ("GET", f"/api/sandbox/{demo['id']}/ports/3000/preview-url"),
    ]


def test_a_public_sandbox_gets_only_its_url(cli: Cli, fake: FakeDaytona) -> None:
    demo = fake.add_sandbox("web", public=True)
    result = cli("sandbox", "preview-url", demo["id"], "--port", "8080")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"https://8080-{demo['id']}.{DOMAIN}\n",
        "",
    )


def test_json_prints_the_apis_object_and_nothing_else(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "preview-url", "demo", "--port", "3000", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.json() == fake.exchanges[-1][1].json()
    assert set(result.json()) == {"sandboxId", "url", "token"}


def test_signed_prints_a_url_with_its_token_inside_and_its_expiry(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "preview-url", "demo", "--port", "3000", "--signed")
    assert result.exit_code == 0, result
    [signed] = fake.signed_previews
    assert result.stdout == f"https://3000-{signed['token']}.{DOMAIN}\n"
    assert result.stderr.startswith("Signed URL, valid for 60 s (until ")
    assert result.stderr.endswith("); it needs no header.\n")
    [request] = fake.requests_to("GET", "/sandbox/*/ports/3000/signed-preview-url")
    assert "expiresInSeconds" not in request.url.params  # the API's own default


def test_signed_expires_is_sent_and_shown(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("demo")
    result = cli(
        "sandbox", "preview-url", "demo", "--port", "3000", "--signed", "--expires", "3600",
        "--json",
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (0, "")
    assert set(result.json()) == {"sandboxId", "port", "token", "url"}
    [request] = fake.requests_to("GET", "/sandbox/*/ports/3000/signed-preview-url")
    assert request.url.params["expiresInSeconds"] == "3600"
    hour = cli("sandbox", "preview-url", "demo", "--port", "1", "--signed", "--expires", "3600")
    assert "valid for 1 h (until " in hour.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], "Invalid value for '--port': 0 is less than 1"),
        (["--port", "65536"], "Invalid value for '--port': 65536 is more than 65535"),
        (["--port", "http"], "Invalid value for '--port': 'http' is not a valid int"),
        ([], "Missing option '--port'"),
        (["--port", "80", "--expires", "60"], "--expires applies to --signed URLs only"),
        (["--port", "80", "--signed", "--expires", "0"], "0 is less than 1"),
        (
            ["--port", "80", "--signed", "--expires", "86401"],
            "Invalid value for '--expires': 86401 is more than 86400 (24 hours, the API's limit)",
        ),
    ],
)
def test_a_bad_port_or_expiry_is_a_usage_error_before_any_request(
    cli: Cli, fake: FakeDaytona, args: list[str], message: str
) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "preview-url", "demo", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert message in result.stderr.splitlines()[-1], result
    assert fake.requests == []


def test_a_signed_url_may_last_the_apis_full_24_hours(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("demo")
    result = cli("sandbox", "preview-url", "demo", "--port", "80", "--signed", "--expires", "86400")
    assert result.exit_code == 0, result
    assert result.stderr.startswith("Signed URL, valid for 24 h (until ")
    [request] = fake.requests_to("GET", "/sandbox/*/ports/80/signed-preview-url")
    assert request.url.params["expiresInSeconds"] == "86400"
    says("at most 86400, 24 hours, the API's limit, checked before any request")
    text = " ".join(cli("sandbox", "preview-url", "--help").stdout.split())
    assert "the URL works for SECONDS, at most 86400" in text


def test_a_stopped_sandbox_gets_its_url_and_a_warning(cli: Cli, fake: FakeDaytona) -> None:
    demo = fake.add_sandbox("demo", state="stopped", public=True)
    result = cli("sandbox", "preview-url", "demo", "--port", "3000")
    assert (result.exit_code, result.stdout) == (0, f"https://3000-{demo['id']}.{DOMAIN}\n")
    assert result.stderr == (
        f"warning: sandbox demo ({demo['id']}) is stopped: the URL answers once it has "
        "started (`daytona-cli sandbox start demo`)\n"
    )


def test_a_missing_sandbox_exits_3(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "preview-url", "ghost", "--port", "3000", "--json")
    assert (result.exit_code, result.stdout) == (3, "")
    assert json.loads(result.stderr)["error"]["code"] == "not_found"


@pytest.mark.parametrize("signed", [[], ["--signed"]], ids=["plain", "signed"])
def test_under_debug_the_token_is_hidden_even_inside_the_signed_url(
    cli: Cli, fake: FakeDaytona, signed: list[str]
) -> None:
    fake.add_sandbox("demo", public=True)
    result = cli("--debug", "sandbox", "preview-url", "demo", "--port", "3000", *signed)
    assert result.exit_code == 0, result
    token = fake.exchanges[-1][1].json()["token"]
    assert token not in result.stderr, result.stderr
    assert '"token": "***"' in result.stderr
    if signed:
        assert f'"url": "https://3000-***.{DOMAIN}"' in result.stderr
        assert token in result.stdout  # asked for: the URL itself
