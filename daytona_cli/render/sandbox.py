"""How a sandbox looks: its label, the list's columns, the detail view and bulk outcomes."""

from __future__ import annotations

import re

from daytona_cli.render.columns import Column, field_column, time_column
from daytona_cli.render.text import iso_utc, quantity, scalar, when
from daytona_cli.types import JSONObject


def describe(sandbox: JSONObject | None) -> str:
    """``name (id)``, or whichever of the two the sandbox has; ``?`` for nothing."""
    if not sandbox:
        return "?"
    name, ident = sandbox.get("name"), sandbox.get("id")
    if name and ident and name != ident:
        return f"{name} ({ident})"
    return str(ident or name or "?")


def state_of(sandbox: JSONObject) -> str:
    return str(sandbox.get("state") or "unknown")


def _gib(key: str) -> Column:
    return Column(key.upper(), lambda obj, human: quantity(obj.get(key), "GiB", human))


LIST_COLUMNS = (
    field_column("NAME", "name", no_wrap=True),
    field_column("ID", "id", no_wrap=True),
    field_column("STATE", "state", style="state", no_wrap=True),
    field_column("SNAPSHOT", "snapshot"),
    field_column("CPU", "cpu"),
    _gib("memory"),
    _gib("disk"),
    field_column("REGION", "target"),
    time_column("LAST ACTIVITY", "lastActivityAt"),
)

OUTCOME_COLUMNS = (
    Column("NAME", lambda row, _human: str(row.get("name") or "")),
    Column("ID", lambda row, _human: str(row.get("id") or "")),
    Column("RESULT", lambda row, _human: str(row.get("result") or "")),
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


def _interval(sandbox: JSONObject, key: str, off: int) -> str:
    value = sandbox.get(key)
    if value is None:
        return ""
    if value == off:
        return "disabled"
    if key == "autoDeleteInterval" and value == 0:
        return "on stop"
    return f"{value:g} min" if isinstance(value, (int, float)) else str(value)


_DESTROYED_NAME = re.compile(r"^DESTROYED_(.+)_\d{10,}$")


def known_name(sandbox: JSONObject) -> str | None:
    """The name the user knew: Daytona renames a sandbox ``DESTROYED_<name>_<epoch ms>`` the
    moment it is deleted (NOTES.md, Sandboxes), and reports should not show that."""
    name = sandbox.get("name")
    if not isinstance(name, str):
        return None
    match = _DESTROYED_NAME.match(name)
    return match.group(1) if match else name


def destroyed_by(sandbox: JSONObject) -> str:
    """Why a ``destroyed`` sandbox is gone, from ``spotEvictedAt`` / ``queueTimedOutAt``."""
    if sandbox.get("spotEvictedAt"):
        return f"evicted from spot capacity at {iso_utc(sandbox['spotEvictedAt'])}"
    if sandbox.get("queueTimedOutAt"):
        return f"timed out waiting for a runner at {iso_utc(sandbox['queueTimedOutAt'])}"
    return "destroyed"


def detail_rows(sandbox: JSONObject, human: bool) -> list[tuple[str, str]]:
    """The ``sandbox get`` view: (heading, text) rows; environment values are never shown."""
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
        ("Memory", quantity(sandbox.get("memory"), "GiB", True)),
        ("Disk", quantity(sandbox.get("disk"), "GiB", True)),
        ("GPU", scalar(sandbox.get("gpu"))),
        ("Class", str(sandbox.get("sandboxClass") or "")),
        ("Spot", "yes" if sandbox.get("spot") else "no"),
        ("Region", str(sandbox.get("target") or "")),
        ("User", str(sandbox.get("user") or "")),
        ("Public", "yes" if sandbox.get("public") else "no"),
    ]
    labels = sandbox.get("labels") or {}
    rows.append(("Labels", ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))))
    env = sandbox.get("env") or {}
    rows.append(("Env", ", ".join(sorted(env)) + (" (values hidden)" if env else "")))
    rows += [
        ("Network", _network(sandbox)),
        ("Volumes", ", ".join(_volume(v) for v in sandbox.get("volumes") or [])),
        ("Auto-stop", _interval(sandbox, "autoStopInterval", 0)),
        ("Auto-pause", _interval(sandbox, "autoPauseInterval", 0)),
        ("Auto-archive", _interval(sandbox, "autoArchiveInterval", -1)),
        ("Auto-delete", _interval(sandbox, "autoDeleteInterval", -1)),
    ]
    if sandbox.get("autoDestroyAt"):
        rows.append(("Destroyed at (TTL)", when(sandbox["autoDestroyAt"], human)))
    for heading, key in (("Created", "createdAt"), ("Last activity", "lastActivityAt")):
        value = sandbox.get(key)
        if value:
            rows.append((heading, when(value, human)))
    return rows
