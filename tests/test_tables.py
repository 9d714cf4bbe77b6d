"""Tables that fit the terminal (issue 10, Tables that fit), and one unit per quantity.

`sandbox list` and `snapshot list` are run at 80, 100, 120, 160 and 200 columns with long names,
36-character IDs and long snapshot names: every line fits, names and IDs are whole, columns go in
the documented order, and anything shortened ends in `…`. One test runs the installed command on
a real pseudo-terminal of a given width; the others pass the width through the injected streams.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
from typing import Any

import pytest

from daytona_cli.render.columns import Column, field_column
from daytona_cli.render.fit import display_width, fit_columns
from daytona_cli.render.sandbox import LIST_COLUMNS
from daytona_cli.render.snapshot import SNAPSHOT_COLUMNS
from tests.conftest import API_KEY, CLI, Cli
from tests.fake_daytona import FakeDaytona

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTHS = (80, 100, 120, 160, 200)
LONG_SNAPSHOT = "registry.example.com/analytics/python-data-science:2024.10.1"


def plain(text: str) -> str:
    return ANSI.sub("", text)


def shown_headings(text: str, columns: tuple[Column, ...]) -> list[str]:
    header = plain(text).splitlines()[0]
    return [
        col.heading
        for col in columns
        if re.search(rf"(^|  ){re.escape(col.heading)}(?=\s|$)", header)
    ]


@pytest.fixture
def fleet(fake: FakeDaytona) -> list[dict[str, Any]]:
    """Sandboxes with 30-character names, UUID IDs and snapshot names up to 60 characters."""
    made = []
    for index, state in enumerate(("started", "stopped", "archived", "error", "started")):
        made.append(
            fake.add_sandbox(
                f"data-pipeline-nightly-build-{index:02d}",
                state=state,
                snapshot=LONG_SNAPSHOT if index % 2 else "daytonaio/sandbox:0.4.3",
                cpu=2 + index,
                memory=4 * (index + 1),
                disk=10 * (index + 1),
                target="eu-central",
            )
        )
    made.append(fake.add_sandbox("ci", snapshot="python:3.12"))
    return made


@pytest.fixture
def snapshots(fake: FakeDaytona) -> list[dict[str, Any]]:
    return [
        fake.add_snapshot(LONG_SNAPSHOT, size=1.75, cpu=4, mem=8, disk=20),
        fake.add_snapshot("internal/build-images/node-with-chromium:22.11-bookworm", size=2.5),
    ]


def assert_fits(text: str, width: int, rows: int) -> list[str]:
    lines = plain(text).splitlines()
    assert lines, "no table"
    for line in lines:
        assert display_width(line) <= width, f"{display_width(line)} > {width}: {line!r}"
    # A header, its rule, then one line per row: no cell wrapped onto a line of its own.
    assert len(lines) == rows + 2, lines
    return lines


@pytest.mark.parametrize("width", WIDTHS)
def test_sandbox_list_fits_every_width_with_names_and_ids_whole(
    cli: Cli, fleet: list[dict[str, Any]], width: int
) -> None:
    result = cli("sandbox", "list", tty=True, width=width)
    assert result.exit_code == 0, result
    lines = assert_fits(result.stdout, width, len(fleet))
    body = "\n".join(lines)
    for sandbox in fleet:
        assert re.search(rf"{sandbox['name']}\s+{sandbox['id']}\s+{sandbox['state']}", body)
    headings = shown_headings(result.stdout, LIST_COLUMNS)
    assert headings[:3] == ["NAME", "ID", "STATE"]
    # Columns are dropped in the documented order: whatever is shown outranks what is not.
    priorities = [col.priority for col in LIST_COLUMNS if col.heading in headings]
    hidden = [col.priority for col in LIST_COLUMNS if col.heading not in headings]
    assert not hidden or max(priorities) < min(hidden), (headings, width)
    if "SNAPSHOT" in headings and LONG_SNAPSHOT not in body:
        assert "…" in body, "a shortened snapshot name shows …"
    if width == 200:
        assert len(headings) == len(LIST_COLUMNS)


def test_at_80_columns_name_id_and_state_are_shown(cli: Cli, fleet: list[dict[str, Any]]) -> None:
    result = cli("sandbox", "list", tty=True, width=80)
    assert shown_headings(result.stdout, LIST_COLUMNS)[:3] == ["NAME", "ID", "STATE"]


def test_a_snapshot_name_is_shortened_with_an_ellipsis_before_it_is_dropped(
    cli: Cli, fleet: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", tty=True, width=120)
    lines = assert_fits(result.stdout, 120, len(fleet))
    assert "SNAPSHOT" in lines[0]
    cut = [line for line in lines if "registry.example.com" in line]
    assert cut and all("…" in line and LONG_SNAPSHOT not in line for line in cut)


@pytest.mark.parametrize("width", WIDTHS)
def test_snapshot_list_fits_every_width_with_names_whole(
    cli: Cli, snapshots: list[dict[str, Any]], width: int
) -> None:
    result = cli("snapshot", "list", tty=True, width=width)
    assert result.exit_code == 0, result
    lines = assert_fits(result.stdout, width, len(snapshots) + 1)  # and the fake's default one
    for snapshot in snapshots:
        assert any(line.startswith(snapshot["name"] + " ") for line in lines)
    headings = shown_headings(result.stdout, SNAPSHOT_COLUMNS)
    assert headings[:2] == ["NAME", "STATE"]
    priorities = [col.priority for col in SNAPSHOT_COLUMNS if col.heading in headings]
    hidden = [col.priority for col in SNAPSHOT_COLUMNS if col.heading not in headings]
    assert not hidden or max(priorities) < min(hidden), (headings, width)


def test_a_terminal_too_narrow_for_the_ids_still_shows_them_whole(
    cli: Cli, fleet: list[dict[str, Any]]
) -> None:
    result = cli("sandbox", "list", tty=True, width=50)
    assert result.exit_code == 0, result
    text = plain(result.stdout)
    for sandbox in fleet:
        assert sandbox["id"] in text and sandbox["name"] in text
    assert len(text.splitlines()) == len(fleet) + 2


def test_fitting_counts_wide_characters_as_two_cells() -> None:
    columns = [field_column("NAME", "name"), field_column("NOTE", "note", priority=1, min_width=6)]
    rows = [["名前が長いサンドボックス", "x" * 40]]
    assert display_width(rows[0][0]) == 24
    assert fit_columns(columns, rows, 40) == [(0, 24), (1, 14)]
    assert fit_columns(columns, rows, 100) == [(0, 24), (1, 40)]
    assert fit_columns(columns, rows, 30) == [(0, 24)]


# == units, headings and --fields ================================================================


def test_one_unit_per_quantity_in_tables_details_and_pipes(
    cli: Cli, fake: FakeDaytona, snapshots: list[dict[str, Any]]
) -> None:
    sandbox = fake.add_sandbox("units", cpu=2, memory=4, disk=10)
    table = plain(cli("sandbox", "list", tty=True, width=200).stdout)
    assert "MEMORY (GiB)" in table and "DISK (GiB)" in table
    assert "GB" not in table.replace("GiB", "")
    details = plain(cli("sandbox", "get", "units", tty=True, width=100).stdout)
    assert re.search(r"Memory\s+4 GiB", details) and re.search(r"Disk\s+10 GiB", details)
    piped = cli("sandbox", "list", "--fields", "id,memory,disk").stdout
    assert piped == f"{sandbox['id']}\t4\t10\n"
    snaps = plain(cli("snapshot", "list", tty=True, width=200).stdout)
    assert "SIZE (GB)" in snaps and "MEMORY (GiB)" in snaps
    assert re.search(rf"{re.escape(LONG_SNAPSHOT)}\s+active\s+1\.75\s", snaps)
    assert "1.75\t" in cli("snapshot", "list", "--fields", "size,name").stdout


def test_fields_keep_the_headings_colours_and_times_of_the_default_table(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("alpha", memory=8)
    default = cli("sandbox", "list", tty=True, width=200).stdout
    chosen = cli(
        "sandbox", "list", "--fields", "name,state,memory,lastActivityAt", tty=True, width=200
    ).stdout
    assert plain(chosen).split("\n")[0].split("  ")[0:1] == ["NAME"]
    for heading in ("NAME", "STATE", "MEMORY (GiB)", "LAST ACTIVITY"):
        assert heading in plain(chosen).splitlines()[0]
    green = "\x1b[32mstarted"
    assert green in default and green in chosen
    relative = re.search(r"(just now|\d+ \w+ ago)", plain(default))
    assert relative and relative.group(1) in plain(chosen)
    unknown = cli("sandbox", "list", "--fields", "name,autoStopInterval", tty=True).stdout
    assert "AUTO STOP INTERVAL" in plain(unknown)


def test_fields_on_a_narrow_terminal_cut_values_to_12_characters_and_never_the_id_or_name(
    cli: Cli, fake: FakeDaytona, fleet: list[dict[str, Any]]
) -> None:
    fields = "id,name,snapshot,toolboxProxyUrl"
    narrow = plain(cli("sandbox", "list", "--fields", fields, tty=True, width=110).stdout)
    lines = narrow.splitlines()
    assert max(display_width(line) for line in lines) <= 110
    assert all(box["id"] in narrow and box["name"] in narrow for box in fleet)
    cut = [word for line in lines[1:] for word in line.split() if word.endswith("…")]
    assert cut and all(display_width(word) >= 12 for word in cut)
    # Too narrow for all of them even so: the line is wider than the terminal, nothing dropped.
    tiny = plain(cli("sandbox", "list", "--fields", fields, tty=True, width=60).stdout)
    assert all(heading in tiny.splitlines()[0] for heading in ("ID", "NAME", "SNAPSHOT"))
    assert max(display_width(line) for line in tiny.splitlines()) > 60
    piped = cli("sandbox", "list", "--fields", "snapshot").stdout
    assert LONG_SNAPSHOT in piped and "…" not in piped


# == a real pseudo-terminal ======================================================================


def run_on_a_terminal(args: list[str], url: str, columns: int) -> str:
    """Run the installed command with stdin, stdout and stderr on a pty ``columns`` wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DAYTONA_") and key not in ("CI", "NO_COLOR", "COLUMNS", "LINES")
    }
    env.update({"DAYTONA_API_KEY": API_KEY, "DAYTONA_API_URL": url, "TERM": "xterm-256color"})
    proc = subprocess.Popen(
        [str(CLI), *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the command exited and closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
        proc.wait(timeout=30)
    assert proc.returncode == 0, b"".join(chunks)
    return b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 120])
def test_on_a_real_terminal_the_list_fits_its_width(
    fleet: list[dict[str, Any]], served: str, columns: int
) -> None:
    text = run_on_a_terminal(["sandbox", "list"], served, columns)
    lines = assert_fits(text, columns, len(fleet))
    assert lines[0].split()[:3] == ["NAME", "ID", "STATE"]
    for sandbox in fleet:
        assert sandbox["id"] in text and sandbox["name"] in text


def test_get_with_fields_keeps_the_detail_views_headings_units_and_times(
    cli: Cli, fake: FakeDaytona
) -> None:
    fake.add_sandbox("alpha", memory=8, target="eu")
    full = plain(cli("sandbox", "get", "alpha", tty=True).stdout)
    chosen = plain(
        cli(
            "sandbox", "get", "alpha", "--fields", "id,memory,target,lastActivityAt", tty=True
        ).stdout
    )
    for heading, value in (("Memory", "8 GiB"), ("Region", "eu"), ("Last activity", r"\(\d{4}-")):
        assert re.search(rf"{heading}\s+.*{value}", full), heading
        assert re.search(rf"{heading}\s+.*{value}", chosen), heading
    piped = cli("sandbox", "get", "alpha", "--fields", "memory,target").stdout
    assert piped == "memory\t8\ntarget\teu\n"


def test_an_unnamed_sandbox_fits_80_columns_its_id_shown_once_whole(
    cli: Cli, fake: FakeDaytona
) -> None:
    unnamed = fake.add_sandbox()  # named by its ID, as `sandbox create` without --name makes it
    result = cli("sandbox", "list", tty=True, width=80)
    (row,) = assert_fits(result.stdout, 80, 1)[2:]
    assert re.fullmatch(rf"—\s+{unnamed['id']}\s+started.*", row), row
    piped = cli("sandbox", "list", "--fields", "name,id")
    assert piped.stdout == f"{unnamed['id']}\t{unnamed['id']}\n"  # a pipe keeps the real name
