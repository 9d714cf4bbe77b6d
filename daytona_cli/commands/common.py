"""Options and small helpers shared by the command groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import typer

from daytona_cli.output import Column, Output, fields_columns, iso_utc, project, scalar

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print the API's objects as JSON on stdout, and nothing else."),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0,
        metavar="SECONDS",
        help="Give up waiting after SECONDS (exit 124); 0 waits for ever.",
    ),
]


FieldsOption = Annotated[
    str | None,
    typer.Option(
        "--fields",
        metavar="A,B,C",
        help="Only these API fields: the columns shown, or the keys under --json.",
    ),
]
JsonlOption = Annotated[
    bool,
    typer.Option("--jsonl", help="Print one JSON object per line, page by page."),
]


def show_listing(
    out: Output,
    pages: Iterable[list[dict[str, Any]]],
    columns: Sequence[Column],
    what: str,
    *,
    fields: Sequence[str] | None,
    json_output: bool,
    jsonl: bool,
    quiet: bool = False,
) -> None:
    """Write a list in the chosen form, streaming page by page; an empty list is not an error."""
    if fields is not None:
        pages = ([project(item, fields) for item in page] for page in pages)
        columns = fields_columns(fields)
    if json_output:
        out.json_stream(pages)
        return
    if jsonl:
        out.jsonl_stream(pages)
        return
    if quiet:
        count = out.lines((str(item.get("id", "")) for item in page) for page in pages)
    else:
        count = out.table(columns, pages)
    if not count:
        no_results(out, what)


def field_text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return iso_utc(value) if key.endswith("At") and value else scalar(value)


def no_results(out: Output, what: str) -> None:
    """An empty list is not an error: say so on stderr (stdout stays empty for scripts)."""
    out.info(f"No {what} found.")


def state_of(obj: dict[str, Any]) -> str:
    return str(obj.get("state") or "unknown")
