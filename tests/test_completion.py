"""Shell completion: the scripts, the completion protocol, and names from the API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from daytona_cli import completion, completion_names
from daytona_cli.params import SORT_FIELDS
from daytona_cli.states import LISTABLE_STATES
from tests.conftest import API_KEY, Cli, Result, VirtualClock, run_installed
from tests.fake_daytona import FakeDaytona
from tests.faults_helpers import FaultyFake

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def own_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """HOME and the cache are the test's own, for in-process runs and subprocesses alike."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in completion.PROTOCOL_VARS:
        monkeypatch.delenv(name, raising=False)
    return home


def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "daytona-cli" / "completion.json"


def bash_words(line: str) -> dict[str, str]:
    """The environment bash's script sets for the words typed so far (the last one incomplete)."""
    words = line.split(" ")
    return {
        completion.COMPLETE_VAR: "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }


def complete(cli: Cli, line: str, tmp_path: Path | None = None) -> Result:
    """Ask for completions in-process, as bash would."""
    env = bash_words(line)
    if tmp_path is not None:
        env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return cli(env=env)


# --- the scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_completion_prints_the_script_for_each_shell(cli: Cli, shell: str) -> None:
    result = cli("completion", shell)
    assert result.exit_code == 0, result
    assert result.stdout == completion.script(shell)
    assert f"_DAYTONA_CLI_COMPLETE=complete_{shell}" in result.stdout
    assert "daytona-cli" in result.stdout
    assert result.stderr == ""
    assert not cli.fake.requests


def test_completion_refuses_an_unknown_shell_with_exit_2(cli: Cli) -> None:
    result = cli("completion", "tcsh")
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "tcsh" in result.stderr and "bash, zsh, fish" in result.stderr


def test_committed_completion_scripts_are_up_to_date() -> None:
    stale = completion.stale_scripts(ROOT / "completions")
    assert not stale, (
        f"stale completion scripts: {', '.join(map(str, stale))}; regenerate them with "
        "`python -m daytona_cli.completion --write completions`"
    )


def test_a_changed_or_missing_script_is_reported_stale(tmp_path: Path) -> None:
    directory = tmp_path / "completions"
    completion.write_scripts(directory)
    assert completion.stale_scripts(directory) == []
    assert completion.main(["--check", str(directory)]) == 0
    bash = directory / completion.SCRIPT_FILES["bash"]
    bash.write_text(bash.read_text() + "# edited by hand\n")
    (directory / completion.SCRIPT_FILES["fish"]).unlink()
    assert completion.stale_scripts(directory) == [
        bash,
        directory / completion.SCRIPT_FILES["fish"],
    ]
    assert completion.main(["--check", str(directory)]) == 1


# --- static candidates, in-process -------------------------------------------------------------


def test_subcommands_and_flags_complete(cli: Cli) -> None:
    assert complete(cli, "daytona-cli sandbox st").stdout.split() == ["start", "stop"]
    flags = complete(cli, "daytona-cli sandbox list --s").stdout.split()
    assert flags == ["--state", "--snapshot", "--sort"]
    assert "completion" in complete(cli, "daytona-cli ").stdout.split()


def test_states_complete_from_the_apis_listable_states(cli: Cli) -> None:
    every = complete(cli, "daytona-cli sandbox list --state ").stdout.split()
    assert every == list(LISTABLE_STATES)
    result = complete(cli, "daytona-cli sandbox delete --state st")
    assert result.exit_code == 0
    assert result.stdout.split() == ["started", "stopped", "starting", "stopping"]
    assert not cli.fake.requests


def test_sort_fields_orders_wait_goals_and_shells_complete(cli: Cli) -> None:
    assert complete(cli, "daytona-cli sandbox list --sort ").stdout.split() == list(SORT_FIELDS)
    assert complete(cli, "daytona-cli sandbox list --order d").stdout.split() == ["desc"]
    goals = complete(cli, "daytona-cli sandbox wait demo --for ").stdout.split()
    assert goals == ["started", "stopped", "paused", "archived", "deleted"]
    assert complete(cli, "daytona-cli completion z").stdout.split() == ["zsh"]


def test_zsh_and_fish_get_candidates_in_their_own_format(cli: Cli) -> None:
    line = "daytona-cli sandbox list --order "
    zsh = cli(env={completion.COMPLETE_VAR: "complete_zsh", "_TYPER_COMPLETE_ARGS": line})
    assert zsh.exit_code == 0
    assert zsh.stdout.strip() == '_arguments \'*: :(("asc"\n"desc"))\''
    fish = {completion.COMPLETE_VAR: "complete_fish", "_TYPER_COMPLETE_ARGS": line}
    got = cli(env={**fish, "_TYPER_COMPLETE_FISH_ACTION": "get-args"})
    assert got.stdout.split() == ["asc", "desc"]
    # fish asks first whether there are candidates at all, and hears it in the exit status.
    assert cli(env={**fish, "_TYPER_COMPLETE_FISH_ACTION": "is-args"}).exit_code == 0


# --- names from the API ------------------------------------------------------------------------


def test_installed_command_completes_subcommands_through_the_bash_protocol(served: str) -> None:
    result = run_installed(url=served, env=bash_words("daytona-cli sandbox st"))
    assert result.exit_code == 0, result
    assert result.stdout.split() == ["start", "stop"]
    assert result.stderr == ""


def test_sandbox_names_come_from_the_api_with_a_small_limit(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    fake.add_sandbox("alpha")
    fake.add_sandbox("alpine", state="stopped")
    fake.add_sandbox("beta")
    result = complete(cli, "daytona-cli sandbox start al", tmp_path)
    assert result.exit_code == 0, result
    assert result.stdout.split() == ["alpha", "alpine"]
    assert result.stderr == ""
    [request] = fake.requests_to("GET", "/sandbox")
    assert request.url.params["name"] == "al"
    assert int(request.url.params["limit"]) <= 50
    # The cache never holds the key itself.
    assert API_KEY not in cache_file(tmp_path).read_text()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("daytona-cli sandbox get ", ["alpha", "beta"]),
        ("daytona-cli sandbox exec b", ["beta"]),
        ("daytona-cli sandbox wait alpha ", ["beta"]),  # names already given are not offered
        ("daytona-cli sandbox delete alpha b", ["beta"]),
    ],
)
def test_every_sandbox_argument_completes_names(
    cli: Cli, fake: FakeDaytona, line: str, expected: list[str]
) -> None:
    fake.add_sandbox("alpha")
    fake.add_sandbox("beta")
    result = complete(cli, line)
    assert result.exit_code == 0
    assert result.stdout.split() == expected


def test_snapshot_names_complete_for_create_and_snapshot_list(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_snapshot("python-3.12")
    fake.add_snapshot("my-python")
    result = complete(cli, "daytona-cli sandbox create --snapshot py")
    assert result.stdout.split() == ["python-3.12"]
    result = complete(cli, "daytona-cli snapshot list --name my")
    assert result.stdout.split() == ["my-python"]
    assert all(int(r.url.params["limit"]) <= 50 for r in fake.requests_to("GET", "/snapshots"))


def test_a_second_completion_within_seconds_asks_the_api_once(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    fake.add_sandbox("alpha")
    fake.add_sandbox("beta")
    first = complete(cli, "daytona-cli sandbox get ", tmp_path)
    again = complete(cli, "daytona-cli sandbox get ", tmp_path)
    # A longer prefix is answered from the complete list cached for the shorter one.
    narrower = complete(cli, "daytona-cli sandbox get b", tmp_path)
    assert first.stdout.split() == again.stdout.split() == ["alpha", "beta"]
    assert narrower.stdout.split() == ["beta"]
    assert len(fake.requests_to("GET", "/sandbox")) == 1


def test_an_expired_cache_or_another_key_asks_again(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    fake.add_sandbox("alpha")
    assert complete(cli, "daytona-cli sandbox get ", tmp_path).stdout.split() == ["alpha"]
    assert complete(cli, "daytona-cli sandbox get ", tmp_path).stdout.split() == ["alpha"]
    assert len(fake.requests_to("GET", "/sandbox")) == 1
    path = cache_file(tmp_path)
    data = json.loads(path.read_text())
    for entry in data["entries"]:
        entry["at"] = time.time() - completion_names.CACHE_TTL - 1
    path.write_text(json.dumps(data))
    fake.add_sandbox("beta")
    result = complete(cli, "daytona-cli sandbox get ", tmp_path)
    assert result.stdout.split() == ["alpha", "beta"]
    assert len(fake.requests_to("GET", "/sandbox")) == 2
    cli.env["DAYTONA_API_KEY"] = "another-key"
    result = complete(cli, "daytona-cli sandbox get ", tmp_path)
    assert result.stdout.strip() == ""  # the fake refuses that key: asked, not served from cache
    assert len(fake.requests) == 3


# --- silence on failure ------------------------------------------------------------------------


def test_an_unreachable_api_means_no_candidates_and_nothing_on_stderr(
    cli: Cli, clock: VirtualClock
) -> None:
    cli.transport = lambda: None  # a real socket, to a port where nothing listens
    cli.env["DAYTONA_API_URL"] = "http://127.0.0.1:9/api"
    start = clock.now
    result = complete(cli, "daytona-cli sandbox get ")
    assert result.exit_code == 0
    assert result.stdout.strip() == ""
    assert result.stderr == ""
    assert (clock.now - start, clock.sleeps) == (0, [])  # no wait, no retry


def test_a_slow_api_is_given_up_on_quickly_without_retrying(
    make_fake: Callable[..., FakeDaytona], isolated: Path, clock: VirtualClock
) -> None:
    fake = make_fake(factory=FaultyFake, virtual=clock)
    assert isinstance(fake, FaultyFake)
    fake.add_sandbox("alpha")
    fake.slow_answer("GET", "/sandbox", after=3.5)
    start = clock.now
    result = complete(Cli(fake, isolated, clock.as_clock()), "daytona-cli sandbox get ")
    elapsed = clock.now - start
    assert result.exit_code == 0
    assert result.stdout.strip() == ""
    assert result.stderr == ""
    assert elapsed < 3.2  # the answer comes after 3.5 s: the completion did not wait for it
    assert elapsed == pytest.approx(completion_names.API_TIMEOUT)  # its own timeout, no more
    assert clock.sleeps == []  # no retry
    assert len(fake.requests_to("GET", "/sandbox")) == 1


@pytest.mark.parametrize(
    "env",
    [
        {"DAYTONA_API_KEY": None},
        {"DAYTONA_API_URL": "http://example.com/api"},  # refused before any request
        {"DAYTONA_API_KEY": "wrong-key"},
    ],
    ids=["no key", "insecure url", "rejected key"],
)
def test_configuration_and_auth_problems_mean_no_candidates_silently(
    cli: Cli, env: dict[str, str | None]
) -> None:
    cli.fake.add_sandbox("alpha")
    result = cli(env={**bash_words("daytona-cli sandbox get "), **env})
    assert result.exit_code == 0
    assert result.stdout.strip() == ""
    assert result.stderr == ""


def test_a_server_error_is_not_retried_and_a_corrupt_cache_is_ignored(
    cli: Cli, fake: FakeDaytona, tmp_path: Path
) -> None:
    path = cache_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    fake.inject("GET", "/sandbox", status=503)
    result = complete(cli, "daytona-cli sandbox get ", tmp_path)
    assert result.exit_code == 0
    assert (result.stdout.strip(), result.stderr) == ("", "")
    assert len(fake.requests_to("GET", "/sandbox")) == 1
    fake.add_sandbox("alpha")
    assert complete(cli, "daytona-cli sandbox get ", tmp_path).stdout.split() == ["alpha"]


def test_bash_gets_names_escaped_so_a_name_can_neither_split_nor_run(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("my box")
    fake.add_sandbox("q$(touch /tmp/pwned)")
    result = complete(cli, "daytona-cli sandbox get ")
    assert result.exit_code == 0, result
    assert sorted(result.stdout.splitlines()) == ["my\\ box", "q\\$\\(touch\\ /tmp/pwned\\)"]
    zsh = cli(
        env={
            completion.COMPLETE_VAR: "complete_zsh",
            "_TYPER_COMPLETE_ARGS": "daytona-cli sandbox get my",
        }
    )
    assert "my box" in zsh.stdout  # zsh quotes what it inserts itself
