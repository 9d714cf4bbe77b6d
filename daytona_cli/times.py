"""API timestamps: parsing, and writing them the way the API reads them."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(value: object) -> datetime | None:
    """An API timestamp (ISO-8601, ``Z`` or an offset; naive means UTC), or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def whole_seconds_utc(moment: datetime) -> datetime:
    """The moment in UTC, cut to the whole second (the precision query parameters carry)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def iso_z(moment: datetime) -> str:
    """``2024-10-01T12:00:00Z``: whole seconds, UTC."""
    return whole_seconds_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
