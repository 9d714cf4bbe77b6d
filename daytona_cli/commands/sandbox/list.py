"""``daytona-cli sandbox list``: every page of sandboxes, filtered, in the chosen form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import typer

from daytona_cli.bulk import ago
from daytona_cli.client.filters import SandboxFilter
from daytona_cli.commands.base import at_least
from daytona_cli.commands.listing import show_listing
from daytona_cli.commands.options import FieldsOption, JsonlOption, JsonOption, LabelOption
from daytona_cli.completion import choices
from daytona_cli.completion_names import snapshot_names
from daytona_cli.context import AppContext
from daytona_cli.fields import SANDBOX_LIST_FIELDS
from daytona_cli.params import (
    ORDERS,
    SORT_FIELDS,
    check_choice,
    check_fields,
    check_output_flags,
    check_states,
    natural_order,
    parse_duration,
    parse_pairs,
)
from daytona_cli.render.sandbox import LIST_COLUMNS
from daytona_cli.states import LISTABLE_STATES


@dataclass
class ListOptions:
    """Filters (all must match), order, limit and output form; checked before any request."""

    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    sort: str | None = None
    order: str | None = None
    limit: int | None = None
    older_than: float | None = None
    idle_for: float | None = None
    fields: list[str] | None = None
    quiet: bool = False
    json_output: bool = False
    jsonl: bool = False


def run_list(app: AppContext, opts: ListOptions) -> None:
    """Stream the pages (``listSandboxes``) to stdout as they arrive."""
    filters = SandboxFilter(
        name=opts.name,
        labels=opts.labels,
        states=tuple(opts.states),
        snapshots=tuple(opts.snapshots),
        created_before=ago(opts.older_than),
        active_before=ago(opts.idle_for),
    )
    pages = app.client().list_sandboxes(filters, sort=opts.sort, order=opts.order, limit=opts.limit)
    show_listing(app.output, pages, LIST_COLUMNS, "sandboxes", fields=opts.fields,
                 json_output=opts.json_output, jsonl=opts.jsonl, quiet=opts.quiet)  # fmt: skip


def list_sandboxes(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option("--name", metavar="PREFIX", help="Name prefix (any case).")
    ] = None,
    label: LabelOption = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            metavar="STATE",
            help="Only this state; repeat for several. One of: " + ", ".join(LISTABLE_STATES),
            autocompletion=choices(LISTABLE_STATES),
        ),
    ] = None,
    snapshot: Annotated[
        list[str] | None,
        typer.Option(
            "--snapshot",
            metavar="NAME",
            help="Only from this snapshot; repeatable.",
            autocompletion=snapshot_names,
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            metavar="FIELD",
            help="Sort by: " + ", ".join(SORT_FIELDS) + ". Default: most recently active first.",
            autocompletion=choices(SORT_FIELDS),
        ),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option(
            "--order",
            metavar="asc|desc",
            help="Sort direction; default: asc for name, desc for the others (newest, largest first).",
            autocompletion=choices(ORDERS),
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", metavar="N", callback=at_least(1), help="At most N sandboxes (default: all)."
        ),
    ] = None,
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", metavar="DURATION", help="Created over DURATION ago (7d)."),
    ] = None,
    idle_for: Annotated[
        str | None,
        typer.Option("--idle-for", metavar="DURATION", help="Idle for over DURATION (2h)."),
    ] = None,
    fields: FieldsOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print IDs only.")] = False,
    json_output: JsonOption = False,
    jsonl: JsonlOption = False,
) -> None:
    """List sandboxes, following every page.

    Columns that do not fit the terminal are left out, least useful first: region, last
    activity, disk, memory, CPU, then snapshot (which is shortened with … before it goes).
    Names, IDs and states are always shown whole.

    \b
    Examples:
      daytona-cli sandbox list -l team=a --state started
      daytona-cli sandbox ls --sort name -q
    """
    app = AppContext.of(ctx, json_mode=json_output or jsonl)
    check_output_flags(json_output=json_output, jsonl=jsonl, quiet=quiet, fields=fields)
    sort_field = check_choice(sort, SORT_FIELDS, "--sort")
    opts = ListOptions(
        name=name,
        labels=parse_pairs(label or [], "label", "--label"),
        states=check_states(state or []),
        snapshots=snapshot or [],
        sort=sort_field,
        order=check_choice(order, ORDERS, "--order") or natural_order(sort_field),
        limit=limit,
        fields=check_fields(fields, SANDBOX_LIST_FIELDS),
        older_than=parse_duration(older_than, "--older-than") if older_than is not None else None,
        idle_for=parse_duration(idle_for, "--idle-for") if idle_for is not None else None,
        quiet=quiet,
        json_output=json_output,
        jsonl=jsonl,
    )
    run_list(app, opts)
