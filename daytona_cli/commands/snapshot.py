"""``daytona-cli snapshot ...``: the snapshots sandboxes are created from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from daytona_cli.commands.listing import show_listing
from daytona_cli.commands.options import FieldsOption, JsonlOption, JsonOption
from daytona_cli.completion import snapshot_names
from daytona_cli.context import AppContext
from daytona_cli.fields import SNAPSHOT_FIELDS
from daytona_cli.params import check_fields
from daytona_cli.render.snapshot import SNAPSHOT_COLUMNS

app = typer.Typer(
    help="List the snapshots sandboxes are created from.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


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


@app.command("list")
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
        typer.Option("--limit", min=1, metavar="N", help="At most N snapshots (default: all)."),
    ] = None,
    fields: FieldsOption = None,
    json_output: JsonOption = False,
    jsonl: JsonlOption = False,
) -> None:
    """List snapshots, following every page. Example: daytona-cli snapshot list --name python"""
    app = AppContext.of(ctx, json_mode=json_output or jsonl)
    chosen = check_fields(fields, SNAPSHOT_FIELDS)
    run_list(app, SnapshotListOptions(name, limit, chosen, json_output, jsonl))
