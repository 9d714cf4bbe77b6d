"""Writing a list (sandboxes, snapshots) in the chosen form, page by page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from daytona_cli.output import Output
from daytona_cli.render.columns import Column, fields_columns, project
from daytona_cli.types import JSONObject


def show_listing(
    out: Output,
    pages: Iterable[list[JSONObject]],
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
        columns = fields_columns(fields, columns)
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


def no_results(out: Output, what: str) -> None:
    """An empty list is not an error: say so on stderr (stdout stays empty for scripts)."""
    out.info(f"No {what} found.")
