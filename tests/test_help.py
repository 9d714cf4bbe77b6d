"""Help and usage read like the rest of the CLI (issue 10, Help).

Every command's `--help` is rendered and read: no `<str>` placeholders, no braces, no summary cut
with `...`, no `[x>=1]` range noise. A group without a command prints its help, as gh does; a
usage error shows the usage line(s), then one `error:` line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from daytona_cli.app import app
from daytona_cli.commands.base import first_sentence
from tests.conftest import Cli
from tests.fake_daytona import FakeDaytona
from tests.test_completion import complete
from tests.test_readme import says


def command_paths() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every group and command, as (words after daytona-cli, the Click command)."""

    def walk(path: tuple[str, ...], command: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk((*path, name), sub)

    yield from walk((), typer.main.get_command(app))


PATHS = [path for path, _command in command_paths()]


def section(text: str, title: str) -> list[str]:
    """The lines of one help section (``Commands:``), without its title."""
    lines = text.splitlines()
    if f"{title}:" not in lines:
        return []
    start = lines.index(f"{title}:") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("path", PATHS, ids=lambda path: " ".join(path) or "daytona-cli")
def test_every_help_has_readable_placeholders_and_whole_summaries(cli: Cli, path: tuple) -> None:
    result = cli(*path, "--help")
    assert result.exit_code == 0, result
    assert result.stderr == ""
    text = result.stdout
    assert text.startswith(f"Usage: {' '.join(['daytona-cli', *path])} ")
    assert not re.search(r"<[a-z][a-z ]*>", text), "typed placeholders like <str>"
    assert "{" not in text and "}" not in text, "braces around arguments"
    assert not re.search(r"\bx\s*[<>]=", text), "range noise like [x>=1]"
    assert not re.search(r"default: \d+\.0\b", text), "a whole number shown as a float"
    assert max(len(line) for line in text.splitlines()) <= 80
    summaries = section(text, "Commands")
    for line in summaries:
        assert not line.rstrip().endswith("..."), f"summary cut: {line!r}"
    if summaries:  # each summary is the command's whole first sentence, on one line
        command = dict(command_paths())[path]
        for name, sub in command.commands.items():
            row = next(line for line in summaries if line.split()[0].rstrip(",") == name)
            assert row.endswith(first_sentence(sub.help)), row
            assert row.endswith("."), row


@pytest.mark.parametrize("argv", [[], ["sandbox"], ["snapshot"], ["--debug"]])
def test_a_group_without_a_command_prints_its_help_and_exits_0(
    cli: Cli, fake: FakeDaytona, argv: list[str]
) -> None:
    result = cli(*argv)
    assert result.exit_code == 0, result
    assert result.stderr == ""
    group = " ".join(word for word in ["daytona-cli", *argv] if not word.startswith("-"))
    assert result.stdout.startswith(f"Usage: {group} [OPTIONS] COMMAND [ARGS]...\n")
    assert "\\x0a" not in result.stdout
    assert "Commands:\n" in result.stdout
    assert len(result.stdout.splitlines()) > 8
    assert result.stdout == cli(*argv, "--help").stdout
    assert not fake.requests


def test_the_placeholders_are_the_ones_the_readme_uses(cli: Cli) -> None:
    text = cli("sandbox", "create", "--help").stdout
    for shown in ("--name NAME", "--cpu N", "--memory GIB", "--disk GIB", "--target REGION"):
        assert f"  {shown} " in text, shown
    usage = cli("sandbox", "exec", "--help").stdout.splitlines()[0]
    assert usage == "Usage: daytona-cli sandbox exec [OPTIONS] NAME_OR_ID -- COMMAND [ARG...]"
    assert cli("sandbox", "get", "--help").stdout.startswith(
        "Usage: daytona-cli sandbox get [OPTIONS] NAME_OR_ID\n"
    )


def test_a_usage_error_shows_the_usage_line_then_one_error_line(cli: Cli) -> None:
    result = cli("sandbox", "get")
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Usage: daytona-cli sandbox get [OPTIONS] NAME_OR_ID",
        "error: Missing argument 'NAME_OR_ID'; see `daytona-cli sandbox get --help`",
    ]


def test_did_you_mean_is_punctuated_once(cli: Cli) -> None:
    result = cli("sandbox", "lis")
    assert result.exit_code == 2, result
    assert result.stderr.splitlines() == [
        "Usage: daytona-cli sandbox [OPTIONS] COMMAND [ARGS]...",
        "error: No such command 'lis'; did you mean 'list'?",
    ]


def test_under_json_a_usage_error_is_one_json_line(cli: Cli) -> None:
    result = cli("sandbox", "list", "--json", "--nme", "x")
    assert result.exit_code == 2, result
    (line,) = result.stderr.splitlines()
    error = json.loads(line)["error"]
    assert error["code"] == "usage"
    assert "--nme" in error["message"]


def test_a_value_out_of_range_is_worded_not_a_formula(cli: Cli, fake: FakeDaytona) -> None:
    result = cli("sandbox", "create", "--image", "python:3.12", "--cpu", "0")
    assert result.exit_code == 2, result
    assert result.stderr.splitlines()[-1] == (
        "error: Invalid value for '--cpu': 0 is less than 1; "
        "see `daytona-cli sandbox create --help`"
    )
    parallel = cli("sandbox", "stop", "--all", "--parallel", "65")
    assert parallel.exit_code == 2
    assert "65 is more than 64" in parallel.stderr
    assert not fake.requests


def test_the_sort_option_documents_its_default_order(cli: Cli) -> None:
    text = " ".join(cli("sandbox", "list", "--help").stdout.split())
    assert "Default: most recently active first." in text
    assert "default: asc for name, desc for the others" in text


# == aliases ======================================================================================


def test_ls_and_rm_are_aliases_shown_in_help(cli: Cli) -> None:
    rows = section(cli("sandbox", "--help").stdout, "Commands")
    assert any(row.split()[:2] == ["list,", "ls"] for row in rows), rows
    assert any(row.split()[:2] == ["delete,", "rm"] for row in rows), rows
    snapshot_rows = section(cli("snapshot").stdout, "Commands")
    assert snapshot_rows[0].split()[:2] == ["list,", "ls"]
    assert cli("sandbox", "ls", "--help").stdout == cli("sandbox", "list", "--help").stdout


def test_the_aliases_run_their_commands(cli: Cli, fake: FakeDaytona) -> None:
    alpha = fake.add_sandbox("alpha")
    fake.add_sandbox("beta")
    listed = cli("sandbox", "ls", "-q")
    assert listed.exit_code == 0, listed
    assert listed.stdout == cli("sandbox", "list", "-q").stdout
    assert len(listed.stdout.split()) == 2
    removed = cli("sandbox", "rm", "alpha", "--yes")
    assert removed.exit_code == 0, removed
    deleted = [request.url.path for request in fake.requests if request.method == "DELETE"]
    assert deleted in (["/api/sandbox/alpha"], [f"/api/sandbox/{alpha['id']}"])
    snapshots = cli("snapshot", "ls", "--json")
    assert snapshots.exit_code == 0 and snapshots.json()


def test_completion_keeps_working_after_an_alias(cli: Cli, fake: FakeDaytona) -> None:
    fake.add_sandbox("demo-one")
    assert complete(cli, "daytona-cli sandbox rm dem").stdout.split() == ["demo-one"]
    assert complete(cli, "daytona-cli sandbox ls --st").stdout.split() == ["--state"]


SECONDS_OPTIONS = [
    (path, param.opts[0])
    for path, command in command_paths()
    for param in getattr(command, "params", [])
    if param.param_type_name == "option" and param.metavar == "SECONDS"
]


def test_there_are_seconds_options_to_check() -> None:
    found = {(" ".join(path), option) for path, option in SECONDS_OPTIONS}
    assert {("", "--request-timeout"), ("sandbox exec", "--timeout")} <= found
    assert ("sandbox preview-url", "--expires") in found
    assert len(found) >= 10


NEEDED = {
    ("sandbox", "exec"): ["--", "true"],
    ("sandbox", "wait"): ["--for", "started"],
    ("sandbox", "preview-url"): ["--port", "80", "--signed"],
}


@pytest.mark.parametrize(
    ("path", "option"), SECONDS_OPTIONS, ids=[" ".join((*p, o)) for p, o in SECONDS_OPTIONS]
)
def test_every_seconds_option_refuses_a_huge_value_as_a_usage_error(
    cli: Cli, fake: FakeDaytona, path: tuple[str, ...], option: str
) -> None:
    # A value Python's clocks and sockets cannot hold (OverflowError) never gets that far.
    huge = "1" + "0" * 30
    if path:
        argv = [*path, "box", option, huge, *NEEDED.get(path, [])]
    else:
        argv = [option, huge, "sandbox", "get", "box"]
    result = cli(*argv)
    assert (result.exit_code, result.stdout) == (125 if path == ("sandbox", "exec") else 2, "")
    *usage, last = result.stderr.splitlines()
    assert usage and usage[0].startswith("Usage: daytona-cli")
    assert last.startswith(f"error: Invalid value for '{option}': 1e+30 is more than "), last
    assert fake.requests == []


def test_a_year_is_still_taken_and_the_readme_says_where_the_limit_is(
    cli: Cli, fake: FakeDaytona
) -> None:
    says("Every option given in seconds takes at most 31536000 (a year; more is a usage error")
    fake.add_sandbox("box")
    result = cli("sandbox", "exec", "box", "--merged", "--timeout", "31536000", "--", "true")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    [execute] = fake.requests_to("POST", "/toolbox-proxy/*/process/execute")
    assert json.loads(execute.content)["timeout"] == 31536000
