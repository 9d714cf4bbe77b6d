"""``daytona-cli snapshot ...``: the snapshots sandboxes are created from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from daytona_cli.commands.base import Command, at_least, group_with_aliases, help_when_no_command
from daytona_cli.commands.listing import show_listing
from daytona_cli.commands.options import FieldsOption, JsonlOption, JsonOption
from daytona_cli.completion_names import snapshot_names
from daytona_cli.context import AppContext
from daytona_cli.fields import SNAPSHOT_FIELDS
from daytona_cli.params import check_fields, check_output_flags
from daytona_cli.render.snapshot import SNAPSHOT_COLUMNS

app = typer.Typer(
    help="List the snapshots sandboxes are created from.",
    cls=group_with_aliases({"ls": "list"}),
    rich_markup_mode=None,
)
app.callback(invoke_without_command=True)(help_when_no_command)


@dataclass
class SnapshotListOptions:
    name: str | None = None
    limit: int | None = None
    fields: list[str] | None = None
    json_output: bool = False
    jsonl: bool = False


def run_list(app: AppContext, opts: SnapshotListOptions) -> None:
    """``getAllSnapshots``, every page, streamed to stdout."""
    pages = app.client().list_snapshots(name=opts.name, limit=opts.limit)
    show_listing(app.output, pages, SNAPSHOT_COLUMNS, "snapshots", fields=opts.fields,
                 json_output=opts.json_output, jsonl=opts.jsonl)  # fmt: skip


@app.command("list", cls=Command)
def list_snapshots(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", metavar="TEXT", help="Names containing TEXT.", autocompletion=snapshot_names
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", metavar="N", callback=at_least(1), help="At most N snapshots (default: all)."
        ),
    ] = None,
    fields: FieldsOption = None,
    json_output: JsonOption = False,
    jsonl: JsonlOption = False,
) -> None:
    """List snapshots, following every page.

    Columns that do not fit the terminal are left out, least useful first: disk, memory,
    CPU, created, then size. Names and states are always shown whole.

    \b
    Example:
      daytona-cli snapshot list --name python
    """
    app = AppContext.of(ctx, json_mode=json_output or jsonl)
    check_output_flags(json_output=json_output, jsonl=jsonl)
    chosen = check_fields(fields, SNAPSHOT_FIELDS)
    run_list(app, SnapshotListOptions(name, limit, chosen, json_output, jsonl))
