"""The contract check is structural: every fake a test makes is held to the specs when the test
ends, however it was made (conftest.py's autouse `contract`), and its one opt-out is narrow.

Each case runs as a test of its own in a nested pytest session (pytester) with the suite's
`contract` fixture, so what is proved is what a real test gets: an error at its teardown.
"""

from __future__ import annotations

import pytest

pytest_plugins = ("pytester",)

CONFTEST = """
from tests.conftest import contract, isolated  # noqa: F401 (the suite's autouse fixtures)
"""

CASES = """
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import tests

from tests.fake_daytona import FakeDaytona
from tests.faults_helpers import FaultyFake

AUTH = {"Authorization": "Bearer test-key"}
AUTH_MODULE = {"Authorization": "Bearer fake-key"}  # the module's default key
ROOT = Path(tests.__file__).resolve().parent.parent


def client(fake):
    return httpx.Client(
        transport=httpx.MockTransport(fake.handler), base_url=fake.base_url, headers=AUTH
    )


@pytest.fixture
def own_fake():
    # A test module's own fixture, as test_canary.py had: no `make_fake`, never closed.
    return FakeDaytona()


def test_an_off_contract_request_to_a_fake_made_by_hand():
    fake = FakeDaytona()
    with client(fake) as api:
        api.get("/sandbox", params={"colour": "red"})


def test_an_off_contract_request_to_a_fake_of_a_modules_own_fixture(own_fake):
    with client(own_fake) as api:
        api.get("/sandbox", params={"colour": "red"})


def test_an_off_contract_answer_of_a_subclass_made_by_hand():
    fake = FaultyFake()
    fake.inject("GET", "/sandbox", status=200, json={"items": "none", "nextCursor": None})
    with client(fake) as api:
        api.get("/sandbox")


def test_an_off_contract_request_whose_answer_was_dropped():
    fake = FakeDaytona()
    fake.inject("GET", "/sandbox", drop=True)
    with client(fake) as api, pytest.raises(httpx.RemoteProtocolError):
        api.get("/sandbox", params={"colour": "red"})


def test_every_fake_of_a_test_is_checked_not_only_the_first():
    kind, unkind = FakeDaytona(), FakeDaytona()
    with client(kind) as api:
        api.get("/sandbox")
    with client(unkind) as api:
        api.get("/snapshots", params={"colour": "red"})


def test_an_off_contract_request_to_a_fake_run_as_a_module_in_a_subprocess():
    with subprocess.Popen(
        [sys.executable, "-m", "tests.fake_daytona", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    ) as server:
        url = server.stdout.readline().split("DAYTONA_API_URL=")[1].split()[0]
        httpx.get(f"{url}/sandbox", params={"colour": "red"}, headers=AUTH_MODULE)
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)


def test_a_kept_contract_passes():
    fake = FakeDaytona()
    with client(fake) as api:
        api.get("/sandbox")


def test_spared_requests_with_a_reason_pass(contract):
    contract.spare_requests("sends an undeclared parameter to see the fake ignore it")
    with client(FakeDaytona()) as api:
        api.get("/sandbox", params={"colour": "red"})


def test_spared_requests_still_have_their_answers_checked(contract):
    contract.spare_requests("sends an undeclared parameter on purpose")
    fake = FakeDaytona()
    fake.inject("GET", "/sandbox", status=200, json={"items": "none", "nextCursor": None})
    with client(fake) as api:
        api.get("/sandbox", params={"colour": "red"})


def test_an_opt_out_that_spares_nothing_fails(contract):
    contract.spare_requests("says its requests break the contract, but they do not")
    with client(FakeDaytona()) as api:
        api.get("/sandbox")


def test_an_opt_out_must_say_why(contract):
    with pytest.raises(ValueError, match="say why"):
        contract.spare_requests(" ")
"""

EXPECTED = {
    # test name: (outcome of its teardown, a line its report must show)
    "test_an_off_contract_request_to_a_fake_made_by_hand": (
        "failed",
        "GET http://fake.daytona.test/api/sandbox?colour=red -> 200: query parameter 'colour' "
        "is not declared for listSandboxes",
    ),
    "test_an_off_contract_request_to_a_fake_of_a_modules_own_fixture": (
        "failed",
        "query parameter 'colour' is not declared for listSandboxes",
    ),
    "test_an_off_contract_answer_of_a_subclass_made_by_hand": (
        "failed",
        "GET http://fake.daytona.test/api/sandbox -> 200: ",
    ),
    "test_an_off_contract_request_whose_answer_was_dropped": (
        "failed",
        "GET http://fake.daytona.test/api/sandbox?colour=red (unanswered): query parameter "
        "'colour' is not declared for listSandboxes",
    ),
    "test_every_fake_of_a_test_is_checked_not_only_the_first": (
        "failed",
        "query parameter 'colour' is not declared for getAllSnapshots",
    ),
    "test_an_off_contract_request_to_a_fake_run_as_a_module_in_a_subprocess": (
        "failed",
        "/sandbox?colour=red -> 200: query parameter 'colour' is not declared for listSandboxes",
    ),
    "test_a_kept_contract_passes": ("passed", ""),
    "test_spared_requests_with_a_reason_pass": ("passed", ""),
    "test_spared_requests_still_have_their_answers_checked": (
        "failed",
        "GET http://fake.daytona.test/api/sandbox?colour=red -> 200: ",
    ),
    "test_an_opt_out_that_spares_nothing_fails": (
        "failed",
        "spare_requests('says its requests break the contract, but they do not') spared "
        "nothing: every request kept the contract, so drop the opt-out",
    ),
    "test_an_opt_out_must_say_why": ("passed", ""),
}


def test_every_fake_made_in_a_test_is_checked_when_it_ends(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_cases=CASES)
    run = pytester.inline_run("-p", "no:cacheprovider", "-p", "no:randomly")
    calls = {
        report.nodeid.split("::")[-1]: report
        for report in run.getreports("pytest_runtest_logreport")
        if report.when == "call"
    }
    teardowns = {
        report.nodeid.split("::")[-1]: report
        for report in run.getreports("pytest_runtest_logreport")
        if report.when == "teardown"
    }
    assert set(teardowns) == set(EXPECTED)
    assert all(report.passed for report in calls.values()), "a case itself failed"
    for name, (outcome, line) in EXPECTED.items():
        report = teardowns[name]
        assert report.outcome == outcome, (name, report.longreprtext)
        if line:
            assert "exchanges that break the API contract" in report.longreprtext, name
            assert line in report.longreprtext, (name, report.longreprtext)
    answer = teardowns["test_an_off_contract_answer_of_a_subclass_made_by_hand"].longreprtext
    assert "'none' is not of type 'array'" in answer
    spared = teardowns["test_spared_requests_still_have_their_answers_checked"].longreprtext
    assert "'none' is not of type 'array'" in spared and "is not declared" not in spared
