"""Text for a terminal or a pipe: server strings made inert, scalars, times and quantities."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from daytona_cli.times import parse_time


def inert(value: object) -> str:
    """Text safe to print: anything not printable (ESC, CR, TAB, bidi overrides) shown escaped."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def scalar(value: object) -> str:
    """One value as a cell: booleans as true/false, whole floats without ``.0``, JSON for the rest."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def quantity(value: object, unit: str = "") -> str:
    """A number as text (``4``, ``0.9``), followed by its unit when one is given (``4 GiB``).

    One unit per quantity everywhere: the API gives memory and disk in GiB and a snapshot's
    size in GB (NOTES.md, Snapshots); tables name the unit in the heading, details after the
    number, pipes and JSON give the bare number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return scalar(value)
    return f"{value:g} {unit}" if unit else f"{value:g}"


def iso_utc(value: object) -> str:
    """ISO-8601 in UTC with a Z, or the server's text unchanged if it is not a timestamp."""
    parsed = parse_time(value)
    if parsed is None:
        return "" if value is None else inert(value)
    utc = parsed.astimezone(timezone.utc)
    timespec = "milliseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def relative_time(value: object, now: datetime | None = None) -> str:
    """'3 minutes ago' for people; falls back to the raw text when it is not a timestamp."""
    parsed = parse_time(value)
    if parsed is None:
        return "" if value is None else inert(value)
    now = now or datetime.now(timezone.utc)
    seconds = (now - parsed).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 45:
        return "just now"
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400),
                       ("hour", 3_600), ("minute", 60)):  # fmt: skip
        if seconds >= size * 0.95 or unit == "minute":
            count = max(1, round(seconds / size))
            label = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {label}" if future else f"{label} ago"
    raise AssertionError("unreachable")  # pragma: no cover


def when(value: object, human: bool, now: datetime | None = None) -> str:
    """A time in a detail view: relative and exact for people, ISO-8601 UTC in a pipe."""
    return f"{relative_time(value, now)} ({iso_utc(value)})" if human else iso_utc(value)


def duration(seconds: float) -> str:
    """A length of time, rounded for reading: ``0.3 s``, ``2 s``, ``180 s``, ``12 min``, ``1 h 5 min``."""
    if seconds < 10:
        return f"{round(seconds, 1):g} s"
    if seconds < 600:
        return f"{round(seconds)} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def count(number: int, singular: str, plural: str | None = None) -> str:
    """``1 sandbox``, ``3 sandboxes``, ``0 sandboxes``."""
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"
