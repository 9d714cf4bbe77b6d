"""The short text beside each tool's structured result: what an agent host shows, or what a
model reads when its host ignores structured content. Times are ISO-8601 UTC; text from the
server is made inert (control characters shown escaped), as on a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from daytona_cli.render.columns import Column, View
from daytona_cli.render.sandbox import LIST_COLUMNS, aligned, detail_rows
from daytona_cli.render.snapshot import SNAPSHOT_COLUMNS
from daytona_cli.render.text import count, inert
from daytona_cli.types import JSONObject

CANNOT_START_OR_KILLED = (
    "the sandbox reported exit code -1: the command could not be started (a cwd that does "
    "not exist, say), or it was killed by a signal (out of memory, or killed); "
    "its output so far is below"
)
"""What the daemon's -1 means (NOTES.md, Running commands): either, with the output so far."""


def table(items: Sequence[JSONObject], columns: Sequence[Column], now: datetime) -> list[str]:
    """A heading line, then one aligned line per item (the cells of ``list`` in a pipe)."""
    view = View(human=False, now=now)
    rows = [[col.heading for col in columns]]
    rows += [[col.value(item, view) for col in columns] for item in items]
    return aligned(rows)


_LISTS = {"sandbox": ("sandboxes", LIST_COLUMNS), "snapshot": ("snapshots", SNAPSHOT_COLUMNS)}


def listing(
    items: Sequence[JSONObject], what: str, *, truncated: bool, limit: int, now: datetime
) -> str:
    """``3 sandboxes:`` and the table; says when ``limit`` cut the list short. ``what`` is
    ``sandbox`` or ``snapshot``."""
    plural, columns = _LISTS[what]
    if not items:
        return f"No {plural} found."
    head = count(len(items), what, plural)  # (the table's cells are inert: aligned() does it)
    if truncated:
        head += f" (the first {limit}; there are more: raise limit or narrow the filters)"
    return "\n".join([head + ":", *table(items, columns, now)])


def sandbox(heading: str, item: JSONObject, now: datetime) -> str:
    """A sentence, then the ``sandbox get`` view as ``key: value`` lines (empty ones left out;
    environment values are never shown)."""
    rows = detail_rows(item, View(human=False, now=now), units=True)
    return "\n".join([inert(heading), *(f"{key}: {inert(value)}" for key, value in rows if value)])


def command(result: JSONObject) -> str:
    """``exit code N``, what -1 means, then the output (stdout, and stderr when there is any)."""
    code = result["exitCode"]
    head = f"exit code {code}" + (f"; {CANNOT_START_OR_KILLED}" if code == -1 else "")
    return "\n".join([head, output(result)])


def output(result: JSONObject) -> str:
    """A command's stdout and stderr, each under its heading when there is any, or
    ``(no output)``: after its exit code, or after the error that cut it short."""
    lines = []
    for stream in ("stdout", "stderr"):
        if result[stream]:
            lines += [f"--- {stream} ---", result[stream].rstrip("\n")]
    return "\n".join(lines or ["(no output)"])
