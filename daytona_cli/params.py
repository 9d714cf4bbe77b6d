"""Parsers and validators for what users type: checked before any request is sent (exit 2)."""

from __future__ import annotations

from collections.abc import Sequence

from daytona_cli.errors import usage
from daytona_cli.states import LISTABLE_STATES

SORT_FIELDS = ("name", "cpu", "memoryGib", "diskGib", "lastActivityAt", "createdAt")
ORDERS = ("asc", "desc")

MAX_IDENTIFIER_LENGTH = 255


def natural_order(sort: str | None) -> str | None:
    """The order a field reads best in: names A to Z; times and sizes newest or largest first.

    None without ``--sort``: the API's own default then applies (``lastActivityAt`` descending).
    """
    if sort is None:
        return None
    return "asc" if sort == "name" else "desc"


def check_output_flags(
    *, json_output: bool, jsonl: bool = False, quiet: bool = False, fields: str | None = None
) -> None:
    """Output flags that contradict each other are a usage error, before any request."""
    clashes = [
        ("--json", "--jsonl", json_output and jsonl),
        ("-q/--quiet", "--json", quiet and json_output),
        ("-q/--quiet", "--jsonl", quiet and jsonl),
        ("-q/--quiet", "--fields", quiet and fields is not None),
    ]
    for first, second, clash in clashes:
        if clash:
            raise usage(
                f"{first} and {second} cannot be used together",
                hint="choose one form of output",
            )


def parse_pairs(values: Sequence[str], what: str, option: str) -> dict[str, str]:
    """``KEY=VALUE`` options into a dict; the value may be empty and may contain ``=``.

    A key given twice with two values is a usage error: a selector would otherwise select by
    the last one alone, and a sandbox keeps only one value per label or variable.
    """
    pairs: dict[str, str] = {}
    for raw in values:
        raw_key, sep, value = raw.partition("=")
        key = raw_key.strip()
        if not sep or not key:
            raise usage(
                f"{option} expects KEY=VALUE, got {raw!r}",
                hint=f"write the {what} as {option} KEY=VALUE",
            )
        if not raw_key.isprintable() or not value.isprintable():
            raise usage(f"{option} {key!r}: control characters are not allowed")
        if pairs.get(key, value) != value:
            raise usage(
                f"{option} {key} is given twice, as {pairs[key]!r} and as {value!r}",
                hint=f"give each {what} once",
            )
        pairs[key] = value
    return pairs


def is_shell_name(key: str) -> bool:
    """Whether ``key`` is a variable name the shell can export: letters, digits and ``_``,
    not starting with a digit."""
    return key.isidentifier() and key.isascii()


def parse_env(values: Sequence[str], option: str = "--env") -> dict[str, str]:
    """``KEY=VALUE`` environment variables: as :func:`parse_pairs`, and each key a name the
    shell can export (letters, digits and ``_``, not starting with a digit)."""
    for raw in values:
        key, sep, _value = raw.partition("=")
        if not sep or not is_shell_name(key):
            raise usage(
                f"{option} expects KEY=VALUE with a shell variable name as KEY, got {raw!r}",
                hint="e.g. -e DEBUG=1",
            )
    return parse_pairs(values, "variable", option)


def check_states(values: Sequence[str], allowed: Sequence[str] = LISTABLE_STATES) -> list[str]:
    states = []
    for value in values:
        state = value.strip().lower()
        if state not in allowed:
            raise usage(
                f"unknown state {value!r}",
                hint="valid states: " + ", ".join(allowed),
            )
        states.append(state)
    return states


def check_choice(value: str | None, allowed: Sequence[str], option: str) -> str | None:
    if value is None:
        return None
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    raise usage(f"{option} must be one of {', '.join(allowed)}; got {value!r}")


def check_identifier(value: str, what: str = "sandbox name or ID") -> str:
    """Reject what cannot be a name or ID before sending it anywhere."""
    names = "names and IDs are shown by `daytona-cli sandbox list`"
    if not value or not value.strip():
        raise usage(f"empty {what}", hint=names if what.startswith("sandbox") else None)
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise usage(f"{what} is longer than {MAX_IDENTIFIER_LENGTH} characters")
    if not value.isprintable():
        raise usage(f"{what} {value!r} contains control characters")
    return value


def check_image(value: str) -> str:
    """An image reference goes into a one-line Dockerfile: no whitespace, nothing to inject."""
    if not value or any(char.isspace() for char in value) or not value.isprintable():
        raise usage(
            f"invalid image reference {value!r}",
            hint="give an image like python:3.12-slim or ghcr.io/org/image:tag",
        )
    return value


# Longer than any sandbox has lived, and short enough to subtract from today's date.
MAX_DURATION_SECONDS = 100 * 365 * 86400
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str, option: str) -> float:
    """``90m``, ``2h``, ``7d``, ``1h30m``, ``45s``, ``2w`` into seconds."""
    import re

    text = value.strip().lower()
    part = r"(\d+(?:\.\d+)?)([smhdw])"
    if re.fullmatch(f"(?:{part})+", text):
        seconds = sum(float(n) * _DURATION_UNITS[unit] for n, unit in re.findall(part, text))
        if seconds == 0:
            raise usage(
                f"{option} must be more than zero; got {value!r}",
                hint="leave the option out to select regardless of age",
            )
        if seconds <= MAX_DURATION_SECONDS:
            return seconds
    raise usage(
        f"{option} expects a duration like 90m, 2h, 7d or 1h30m; got {value!r}",
        hint="units: s, m, h, d, w; at most 100 years",
    )


def check_fields(
    value: str | None, valid: Sequence[str], option: str = "--fields"
) -> list[str] | None:
    """``a,b,c`` into API field names, each checked against the object's fields."""
    if value is None:
        return None
    fields = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [field for field in fields if field not in valid]
    if not fields or unknown:
        raise usage(
            f"unknown {'field' if len(unknown) == 1 else 'fields'} for {option}: "
            + (", ".join(unknown) or "(none given)"),
            hint="valid fields: " + ", ".join(valid),
        )
    return fields
