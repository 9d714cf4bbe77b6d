"""`daytona-cli snapshot ...`: the snapshots sandboxes are created from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from daytona_cli.commands.common import FieldsOption, JsonlOption, JsonOption, show_listing
from daytona_cli.completion import snapshot_names
from daytona_cli.fields import SNAPSHOT_FIELDS
from daytona_cli.output import Column, field_column, time_column
from daytona_cli.params import check_fields

if TYPE_CHECKING:
    from daytona_cli.app import AppContext

app = typer.Typer(
    help="List the snapshots sandboxes are created from.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _size(obj: dict[str, Any], human: bool) -> str:
    value = obj.get("size")
    if not isinstance(value, (int, float)):
        return ""
    return f"{value:.2f} GB" if human else f"{value:g}"


def _amount(key: str, unit: str) -> Column:
    def value(obj: dict[str, Any], human: bool) -> str:
        amount = obj.get(key)
        if not isinstance(amount, (int, float)):
            return ""
        return f"{amount:g} {unit}" if human and unit else f"{amount:g}"

    return Column(key.upper() if key != "mem" else "MEMORY", value)


SNAPSHOT_COLUMNS = (
    field_column("NAME", "name", no_wrap=True),
    field_column("STATE", "state", style="state"),
    Column("SIZE", _size),
    _amount("cpu", ""),
    _amount("mem", "GiB"),
    _amount("disk", "GiB"),
    time_column("CREATED", "createdAt"),
)


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
    state: AppContext = ctx.obj
    state.output.json_mode = json_output or jsonl
    chosen = check_fields(fields, SNAPSHOT_FIELDS)
    pages = state.client().list_snapshots(name=name, limit=limit)
    show_listing(state.output, pages, SNAPSHOT_COLUMNS, "snapshots", fields=chosen,
                 json_output=json_output, jsonl=jsonl)  # fmt: skip
