"""Columns of a listing, how wide they may be, and the colours of states."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from daytona_cli.render.text import iso_utc, quantity, relative_time, scalar
from daytona_cli.types import JSONObject

STATE_STYLES = {
    "started": "green",
    "stopped": "yellow",
    "archived": "dim",
    "paused": "cyan",
    "destroyed": "dim",
    "error": "red",
    "build_failed": "red",
    "active": "green",
    "inactive": "dim",
}
"""rich styles for states (sandboxes' and snapshots'), wherever a state is shown."""


@dataclass(frozen=True)
class View:
    """Who a cell is for: a person at a terminal (``human``) or a pipe, and the time it is now
    (relative times are measured from it; injected, so that pictures and tests are fixed)."""

    human: bool
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass(frozen=True)
class Column:
    """A column of a listing: its heading, the API field it shows and how to get the cell.

    ``priority`` 0 means always shown; when a terminal is too narrow, the column with the highest
    priority goes first. ``min_width`` set means the column may be shortened (with ``…``) down
    to that width before anything else is dropped; unset, it is never cut.
    """

    heading: str
    value: Callable[[JSONObject, View], str]
    style: str | None = None
    key: str | None = None
    priority: int = 0
    min_width: int | None = None


def field_column(heading: str, key: str, **kwargs: Any) -> Column:
    return Column(heading, lambda obj, _view: scalar(obj.get(key)), key=key, **kwargs)


def time_column(heading: str, key: str, **kwargs: Any) -> Column:
    """Relative ("3 minutes ago") for people, ISO-8601 UTC in a pipe."""

    def cell(obj: JSONObject, view: View) -> str:
        value = obj.get(key)
        return relative_time(value, view.now) if view.human else iso_utc(value)

    return Column(heading, cell, key=key, **kwargs)


def amount_column(heading: str, key: str, unit: str, **kwargs: Any) -> Column:
    """A quantity; its unit is in the heading (``MEMORY (GiB)``), the cells are numbers."""
    return Column(
        f"{heading} ({unit})", lambda obj, _view: quantity(obj.get(key)), key=key, **kwargs
    )


def heading_for(key: str) -> str:
    """An API field name as a heading: ``autoStopInterval`` -> ``AUTO STOP INTERVAL``,
    ``createdAt`` -> ``CREATED``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).upper().split()
    if len(words) > 1 and words[-1] == "AT":
        words = words[:-1]
    return " ".join(words)


def fields_columns(fields: Sequence[str], known: Sequence[Column] = ()) -> list[Column]:
    """Columns named with --fields: the listing's own column for a field it shows (same heading,
    unit, colour and time format), else one made from the field's name. All are kept; all but
    the name and ID may be shortened."""
    by_key = {column.key: column for column in known if column.key}
    columns = []
    for name in fields:
        column = by_key.get(name) or (
            time_column(heading_for(name), name)
            if name.endswith("At")
            else field_column(heading_for(name), name)
        )
        shortens = name not in ("id", "name")
        columns.append(
            Column(
                column.heading,
                column.value,
                style=column.style,
                key=name,
                priority=0,
                min_width=max(column.min_width or 0, 12) if shortens else None,
            )
        )
    return columns


def field_text(obj: JSONObject, key: str) -> str:
    """One API field as text, times in ISO-8601 UTC (a ``--fields`` detail view); ``env``
    shows its variables' names only, as the default view does (``--json`` is the way to the
    values)."""
    value = obj.get(key)
    if key == "env":
        return env_names(value)
    return iso_utc(value) if key.endswith("At") and value else scalar(value)


def env_names(env: object) -> str:
    """``A, B (values hidden)``: a sandbox's environment variables without their values."""
    names = sorted(env) if isinstance(env, dict) else []
    return ", ".join(names) + (" (values hidden)" if names else "")


def project(obj: JSONObject, fields: Sequence[str] | None) -> JSONObject:
    """Keep only the chosen keys (all of them when none were chosen)."""
    return obj if fields is None else {name: obj.get(name) for name in fields}
