"""Which columns of a table fit a terminal, and how wide each is.

Computed from the cells actually shown (a terminal table is built once every page has arrived):
columns of priority 0 are always shown and never cut, so an ID copied from the table is whole;
the others are shortened (those with a ``min_width``) or dropped, highest priority first, until
the table fits. Nothing wraps: a cell too long for its column ends in ``…``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from daytona_cli.render.columns import Column

GAP = 2
"""Columns apart: one space of padding and one of rule (``output.py`` draws them so)."""


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide East Asian characters two, combining marks none."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def table_width(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * max(0, len(widths) - 1)


def fit_columns(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
) -> list[tuple[int, int]]:
    """``(column index, width)`` of each column to show, in order, for a terminal ``width`` wide.

    Wider than ``width`` only when the columns that are never cut do not fit on their own.
    """
    natural = [
        max([display_width(col.heading), *(display_width(row[i]) for row in rows)])
        for i, col in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    while True:
        widths = {i: natural[i] for i in shown}
        excess = table_width(list(widths.values())) - width
        if excess <= 0:
            break
        if _shorten(columns, widths, excess):
            break
        droppable = [i for i in shown if columns[i].priority > 0]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (columns[i].priority, i)))
    return [(i, widths[i]) for i in shown]


def _shorten(columns: Sequence[Column], widths: dict[int, int], excess: int) -> bool:
    """Take ``excess`` cells from the columns that may be shortened, widest first, if they have
    that much to give (never below their ``min_width`` or their heading); else change nothing."""
    floors = {
        i: max(columns[i].min_width or 0, display_width(columns[i].heading))
        for i in widths
        if columns[i].min_width is not None
    }
    room = sum(max(0, widths[i] - floor) for i, floor in floors.items())
    if room < excess:
        return False
    while excess > 0:
        widest = max(floors, key=lambda i: widths[i] - floors[i])
        widths[widest] -= 1
        excess -= 1
    return True
