"""How a sandbox looks: its label, the list's columns, the detail view and bulk outcomes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from daytona_cli.render.columns import (
    Column,
    View,
    amount_column,
    env_names,
    field_column,
    field_text,
    heading_for,
    time_column,
)
from daytona_cli.render.text import inert, iso_utc, quantity, scalar, when
from daytona_cli.types import JSONObject


def describe(sandbox: JSONObject | None) -> str:
    """``name (id)``, or whichever of the two the sandbox has; ``?`` for nothing. A deleted
    sandbox is named as the user knew it, not by Daytona's ``DESTROYED_`` rename."""
    if not sandbox:
        return "?"
    name, ident = known_name(sandbox), sandbox.get("id")
    if name and ident and name != ident:
        return f"{name} ({ident})"
    return str(ident or name or "?")


def state_of(sandbox: JSONObject) -> str:
    return str(sandbox.get("state") or "unknown")


UNNAMED = "—"
"""Shown on a terminal in place of a name that is only the ID again (a sandbox created without
a name is named by its ID): 36 columns saved, and the ID is whole in its own column."""


def _name_cell(sandbox: JSONObject, view: View) -> str:
    name = scalar(sandbox.get("name"))
    return UNNAMED if view.human and name and name == sandbox.get("id") else name


LIST_COLUMNS = (
    Column("NAME", _name_cell, key="name"),
    field_column("ID", "id"),
    field_column("STATE", "state", style="state"),
    field_column("SNAPSHOT", "snapshot", priority=1, min_width=12),
    field_column("CPU", "cpu", priority=2),
    amount_column("MEMORY", "memory", "GiB", priority=3),
    amount_column("DISK", "disk", "GiB", priority=4),
    field_column("REGION", "target", priority=6),
    time_column("LAST ACTIVITY", "lastActivityAt", priority=5),
)
"""Name, ID and state always, whole; when the terminal is too narrow, region goes first, then
last activity, disk, memory, CPU, and snapshot, which is shortened with … before it goes (the
order ``sandbox list --help`` documents)."""

OUTCOME_COLUMNS = (
    Column("NAME", _name_cell, key="name"),
    Column("ID", lambda row, _view: str(row.get("id") or "")),
    Column("RESULT", lambda row, _view: str(row.get("result") or ""), min_width=20),
)
"""A bulk action's report: one row per target, ``result`` saying what happened to it."""


def _network(sandbox: JSONObject) -> str:
    if sandbox.get("networkBlockAll"):
        return "all blocked"
    allowed = sandbox.get("networkAllowList")
    return f"only {allowed}" if allowed else "open"


def _volume(volume: object) -> str:
    if not isinstance(volume, dict):
        return scalar(volume)
    shown = f"{volume.get('volumeId', '')}:{volume.get('mountPath', '')}"
    return shown + (f" (subpath {volume['subpath']})" if volume.get("subpath") else "")


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of text as lines with the columns lined up, every string made inert."""
    cells = [[inert(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))] if cells else []
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]


def _interval(sandbox: JSONObject, key: str, off: int, units: bool) -> str:
    """Minutes (``30 min``, bare ``30`` without ``units``); the special values in words."""
    value = sandbox.get(key)
    if value is None:
        return ""
    if value == off:
        return "disabled"
    if key == "autoDeleteInterval" and value == 0:
        return "on stop"
    return quantity(value, "min" if units else "")


_DESTROYED_NAME = re.compile(r"^DESTROYED_(.+)_\d{10,}$")


def known_name(sandbox: JSONObject) -> str | None:
    """The name the user knew: Daytona renames a sandbox ``DESTROYED_<name>_<epoch ms>`` the
    moment it is deleted (NOTES.md, Sandboxes), and reports should not show that."""
    name = sandbox.get("name")
    if not isinstance(name, str):
        return None
    match = _DESTROYED_NAME.match(name)
    return match.group(1) if match else name


def destroyed_by_platform(sandbox: JSONObject) -> bool:
    """Whether the platform destroyed it (spot eviction, runner-queue timeout), not a delete."""
    return sandbox.get("state") == "destroyed" and bool(
        sandbox.get("spotEvictedAt") or sandbox.get("queueTimedOutAt")
    )


def destroyed_by(sandbox: JSONObject) -> str:
    """Why a ``destroyed`` sandbox is gone, from ``spotEvictedAt`` / ``queueTimedOutAt``."""
    if sandbox.get("spotEvictedAt"):
        return f"evicted from spot capacity at {iso_utc(sandbox['spotEvictedAt'])}"
    if sandbox.get("queueTimedOutAt"):
        return f"timed out waiting for a runner at {iso_utc(sandbox['queueTimedOutAt'])}"
    return "destroyed"


def detail_rows(
    sandbox: JSONObject, view: View, *, units: bool | None = None
) -> list[tuple[str, str]]:
    """The ``sandbox get`` view: (heading, text) rows; environment values are never shown.

    Quantities carry their unit for a person (``4 GiB``, ``30 min``) and are bare numbers in a
    pipe, for scripts (``Memory<TAB>4``); ``units`` overrides that (the MCP summary, read by a
    model, keeps them with ISO times).
    """
    units = view.human if units is None else units
    gib = "GiB" if units else ""
    rows = [
        ("ID", str(sandbox.get("id", ""))),
        ("Name", str(sandbox.get("name", ""))),
    ]
    current, desired = sandbox.get("state"), sandbox.get("desiredState")
    rows.append(("State", str(current or "")))
    if desired and desired != current:
        rows.append(("Desired state", str(desired)))
    if sandbox.get("errorReason"):
        rows.append(("Error", str(sandbox["errorReason"])))
    if current == "destroyed":
        rows.append(("Destroyed", destroyed_by(sandbox)))
    rows += [
        ("Snapshot", str(sandbox.get("snapshot") or "")),
        ("CPU", scalar(sandbox.get("cpu"))),
        ("Memory", quantity(sandbox.get("memory"), gib)),
        ("Disk", quantity(sandbox.get("disk"), gib)),
        ("GPU", scalar(sandbox.get("gpu"))),
        ("Class", str(sandbox.get("sandboxClass") or "")),
        ("Spot", "yes" if sandbox.get("spot") else "no"),
        ("Region", str(sandbox.get("target") or "")),
        ("User", str(sandbox.get("user") or "")),
        ("Public", "yes" if sandbox.get("public") else "no"),
    ]
    labels = sandbox.get("labels") or {}
    rows.append(("Labels", ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))))
    rows.append(("Env", env_names(sandbox.get("env"))))
    rows += [
        ("Network", _network(sandbox)),
        ("Volumes", ", ".join(_volume(v) for v in sandbox.get("volumes") or [])),
        ("Auto-stop", _interval(sandbox, "autoStopInterval", 0, units)),
        ("Auto-pause", _interval(sandbox, "autoPauseInterval", 0, units)),
        ("Auto-archive", _interval(sandbox, "autoArchiveInterval", -1, units)),
        ("Auto-delete", _interval(sandbox, "autoDeleteInterval", -1, units)),
    ]
    if sandbox.get("autoDestroyAt"):
        rows.append(("Destroyed at (TTL)", when(sandbox["autoDestroyAt"], view.human, view.now)))
    for heading, key in (("Created", "createdAt"), ("Last activity", "lastActivityAt")):
        value = sandbox.get(key)
        if value:
            rows.append((heading, when(value, view.human, view.now)))
    return rows


_DETAIL_HEADINGS = {
    "id": "ID",
    "cpu": "CPU",
    "gpu": "GPU",
    "target": "Region",
    "lastActivityAt": "Last activity",
}


def field_rows(sandbox: JSONObject, fields: Sequence[str], view: View) -> list[tuple[str, str]]:
    """``sandbox get --fields`` for a person: headings, units and times as in
    :func:`detail_rows` (a pipe keeps the API's field names and ISO times instead)."""
    rows = []
    for key in fields:
        value = sandbox.get(key)
        if not view.human:
            rows.append((key, field_text(sandbox, key)))
            continue
        heading = _DETAIL_HEADINGS.get(key) or heading_for(key).capitalize()
        if key.endswith("At") and value:
            text = when(value, True, view.now)
        elif key in ("memory", "disk"):
            text = quantity(value, "GiB")
        else:
            text = field_text(sandbox, key)
        rows.append((heading, text))
    return rows
