"""``daytona-cli sandbox get``: everything about one sandbox."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from daytona_cli.commands.options import FieldsOption, JsonOption, TargetArgument
from daytona_cli.context import AppContext
from daytona_cli.fields import SANDBOX_FIELDS
from daytona_cli.params import check_fields, check_identifier
from daytona_cli.render.columns import project
from daytona_cli.render.sandbox import describe, detail_rows, field_rows


@dataclass
class GetOptions:
    target: str
    fields: list[str] | None = None
    json_output: bool = False


def run_get(app: AppContext, opts: GetOptions) -> None:
    """``getSandbox``, shown as a detail view, ``key<TAB>value`` lines, or the API's object."""
    sandbox = app.client().get_sandbox(opts.target)
    out = app.output
    if opts.json_output:
        out.json(project(sandbox, opts.fields))
    elif opts.fields is not None:
        out.details(describe(sandbox), field_rows(sandbox, opts.fields, out.view()))
    else:
        out.details(describe(sandbox), detail_rows(sandbox, out.view()))


def get(
    ctx: typer.Context,
    target: TargetArgument,
    fields: FieldsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one sandbox.

    \b
    Example:
      daytona-cli sandbox get demo --fields id,state
    """
    app = AppContext.of(ctx, json_mode=json_output)
    chosen = check_fields(fields, SANDBOX_FIELDS)
    run_get(app, GetOptions(check_identifier(target), chosen, json_output))
