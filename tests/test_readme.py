"""What the README says about output is what is printed (issue 10, Output flags).

Each test quotes the README's own words (so that rewording it breaks the test until both agree)
and checks them against the CLI's output; the read-only examples in its code blocks are run.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.fake_daytona import FakeDaytona

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def says(text: str) -> None:
    """The README says this (whitespace and line breaks aside)."""
    assert " ".join(text.split()) in " ".join(README.split()), f"README no longer says: {text}"


def examples(prefixes: tuple[str, ...]) -> list[list[str]]:
    """The README's shell examples of these commands, up to a pipe or comment, as argv."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        for line in block.splitlines():
            line = line.split("#")[0].split("|")[0].split("&&")[0].split(";")[0].strip()
            if line.startswith(prefixes) and "$" not in line:
                found.append(shlex.split(line)[1:])
    return found


READ_ONLY = examples(("daytona-cli sandbox list", "daytona-cli sandbox ls", "daytona-cli snapshot"))


@pytest.mark.parametrize("argv", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_the_readmes_listing_examples_run(cli: Cli, fake: FakeDaytona, argv: list[str]) -> None:
    fake.seed(sandboxes=3, snapshots=2)
    fake.add_sandbox("demo", labels={"team": "data", "env": "ci"})
    result = cli(*argv)
    assert result.exit_code == 0, result
    assert "error" not in result.stderr


def test_there_are_listing_examples_to_run() -> None:
    assert len(READ_ONLY) >= 5


def test_piped_times_are_iso_utc_as_the_readme_shows(cli: Cli, fake: FakeDaytona) -> None:
    says("times in ISO-8601 UTC (`2024-10-01T12:00:00Z`, with milliseconds when the API gives them")
    fake.add_sandbox("web", lastActivityAt="2024-10-01T14:00:00.000+02:00")
    fake.add_sandbox("app", lastActivityAt="2024-10-01T14:00:00.250+02:00")
    result = cli("sandbox", "list", "--fields", "name,lastActivityAt", "--sort", "name")
    assert result.stdout == "app\t2024-10-01T12:00:00.250Z\nweb\t2024-10-01T12:00:00Z\n"


def test_json_is_indented_on_a_terminal_and_compact_in_a_pipe(cli: Cli, fake: FakeDaytona) -> None:
    says("Indented on a terminal; in a pipe one array element per line, compact.")
    fake.add_sandbox("a")
    fake.add_sandbox("b")
    piped = cli("sandbox", "list", "--json").stdout.splitlines()
    assert (piped[0], piped[-1]) == ("[", "]")
    for line in piped[1:-1]:
        element = line.strip().rstrip(",")
        assert element == json.dumps(json.loads(element), ensure_ascii=False, separators=(",", ":"))
        assert "\n" not in element
    on_terminal = cli("sandbox", "list", "--json", tty=True).stdout
    assert '\n    "id": ' in on_terminal
    assert len(json.loads(on_terminal)) == 2


def test_jsonl_is_one_compact_object_per_line(cli: Cli, fake: FakeDaytona) -> None:
    says("`--jsonl` (list commands): one compact JSON object per line")
    fake.add_sandbox("a")
    fake.add_sandbox("b")
    lines = cli("sandbox", "list", "--jsonl").stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line == json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"))


def test_units_are_the_ones_the_readme_names(cli: Cli, fake: FakeDaytona) -> None:
    says("memory and disk in GiB, a snapshot's size in GB, intervals in minutes; a table names")
    says("the unit in its heading (`MEMORY (GiB)`), a detail view after the number (`4 GiB`,")
    says("a pipe or JSON gives the bare number, the `sandbox get` view piped included")
    says("(`Memory<TAB>4`, `Auto-stop<TAB>30`; an interval that is off stays a word there")
    fake.add_sandbox("web", memory=4, disk=10, autoStopInterval=30, autoArchiveInterval=-1)
    fake.add_snapshot("py", size=1.5, mem=4)
    table = ANSI.sub("", cli("sandbox", "list", tty=True, width=200).stdout)
    assert "MEMORY (GiB)" in table and "DISK (GiB)" in table
    details = ANSI.sub("", cli("sandbox", "get", "web", tty=True).stdout)
    assert "4 GiB" in details and "10 GiB" in details and "30 min" in details
    piped = cli("sandbox", "get", "web").stdout.splitlines()
    for line in ("Memory\t4", "Disk\t10", "Auto-stop\t30", "Auto-archive\tdisabled"):
        assert line in piped
    snapshots = ANSI.sub("", cli("snapshot", "list", tty=True, width=200).stdout)
    assert "SIZE (GB)" in snapshots and "MEMORY (GiB)" in snapshots
    assert cli("sandbox", "list", "--fields", "memory,disk").stdout == "4\t10\n"


def test_quiet_prints_ids_one_per_line(cli: Cli, fake: FakeDaytona) -> None:
    says("`-q/--quiet`: `sandbox list` prints IDs, one per line")
    ids = [fake.add_sandbox(name)["id"] for name in ("a", "b")]
    assert sorted(cli("sandbox", "list", "-q").stdout.splitlines()) == sorted(ids)


def test_errors_under_json_have_the_shape_the_readme_shows(cli: Cli) -> None:
    says('`{"error": {"code": "not_found", "message": "...", "status": 404, "hint": "..."}}`')
    result = cli("sandbox", "get", "nope", "--json")
    error = json.loads(result.stderr)
    assert set(error) == {"error"}
    assert set(error["error"]) == {"code", "message", "status", "hint"}
    assert (error["error"]["code"], error["error"]["status"]) == ("not_found", 404)


def test_contradictory_flags_are_the_ones_the_readme_lists(cli: Cli, fake: FakeDaytona) -> None:
    says("`--json` with `--jsonl`, and `-q` with `--json`, `--jsonl` or `--fields`")
    for argv in (
        ["--json", "--jsonl"],
        ["-q", "--json"],
        ["-q", "--jsonl"],
        ["-q", "--fields", "id"],
    ):
        assert cli("sandbox", "list", *argv).exit_code == 2
    assert not fake.requests


def test_the_sort_default_is_documented_as_it_behaves(cli: Cli, fake: FakeDaytona) -> None:
    says("`--order asc|desc` (default: the field's natural order, `asc` for `name`")
    for name in ("b", "c", "a"):
        fake.add_sandbox(name)
    assert cli("sandbox", "ls", "--sort", "name", "--fields", "name").stdout == "a\nb\nc\n"
    assert fake.requests[-1].url.params["order"] == "asc"


def test_json_arrays_of_several_commands_are_one_element_a_line_in_a_pipe(
    cli: Cli, fake: FakeDaytona
) -> None:
    for name in ("a", "b"):
        fake.add_sandbox(name, state="stopped")
    for args in (
        ["sandbox", "start", "a", "b", "--json"],
        ["sandbox", "wait", "a", "b", "--for", "started", "--json"],
    ):
        lines = cli(*args).stdout.splitlines()
        assert (lines[0], lines[-1], len(lines)) == ("[", "]", 4), lines
