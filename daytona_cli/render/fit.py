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

    The least important column (highest priority) gives way first: shortened, when it may be
    and that is enough, else dropped. When only columns of priority 0 are left, those that may
    be shortened are. Wider than ``width`` only when what is never cut does not fit on its own.
    """
    natural = [
        max([display_width(col.heading), *(display_width(row[i]) for row in rows)])
        for i, col in enumerate(columns)
    ]
    widths = dict(enumerate(natural))
    while (excess := table_width(list(widths.values())) - width) > 0:
        optional = [i for i in widths if columns[i].priority > 0]
        if not optional:
            _shorten(columns, widths, excess, list(widths))
            break
        least = max(optional, key=lambda i: (columns[i].priority, i))
        if _room(columns, widths, [least]) >= excess:
            _shorten(columns, widths, excess, [least])
            break
        del widths[least]
    return list(widths.items())


def _floor(column: Column) -> int | None:
    """How narrow a column may become (never below its heading); None: it is never cut."""
    if column.min_width is None:
        return None
    return max(column.min_width, display_width(column.heading))


def _room(columns: Sequence[Column], widths: dict[int, int], which: Sequence[int]) -> int:
    return sum(
        max(0, widths[i] - floor) for i in which if (floor := _floor(columns[i])) is not None
    )


def _shorten(
    columns: Sequence[Column], widths: dict[int, int], excess: int, which: Sequence[int]
) -> None:
    """Take up to ``excess`` cells from the columns in ``which`` that may be cut, widest first."""
    while excess > 0 and _room(columns, widths, which) > 0:
        widest = max(
            (i for i in which if _floor(columns[i]) is not None),
            key=lambda i: widths[i] - (_floor(columns[i]) or 0),
        )
        widths[widest] -= 1
        excess -= 1
