"""Columns of a listing, and the colours of states."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from daytona_cli.render.text import iso_utc, relative_time, scalar
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
class Column:
    """A column of a listing: its heading and how to get the cell, for people or for pipes."""

    heading: str
    value: Callable[[JSONObject, bool], str]  # (object, human) -> text
    style: str | None = None
    no_wrap: bool = False


def field_column(heading: str, key: str, **kwargs: Any) -> Column:
    return Column(heading, lambda obj, _human: scalar(obj.get(key)), **kwargs)


def time_column(heading: str, key: str) -> Column:
    return Column(
        heading,
        lambda obj, human: relative_time(obj.get(key)) if human else iso_utc(obj.get(key)),
        no_wrap=True,
    )


def fields_columns(fields: Sequence[str]) -> list[Column]:
    """Columns named by the user with --fields: the API's field names, times shown as times."""
    return [
        time_column(name, name) if name.endswith("At") else field_column(name, name)
        for name in fields
    ]


def field_text(obj: JSONObject, key: str) -> str:
    """One API field as text, times in ISO-8601 UTC (a ``--fields`` detail view)."""
    value = obj.get(key)
    return iso_utc(value) if key.endswith("At") and value else scalar(value)


def project(obj: JSONObject, fields: Sequence[str] | None) -> JSONObject:
    """Keep only the chosen keys (all of them when none were chosen)."""
    return obj if fields is None else {name: obj.get(name) for name in fields}
