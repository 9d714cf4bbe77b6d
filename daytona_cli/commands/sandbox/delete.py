"""``daytona-cli sandbox delete``: named or selected sandboxes, after confirmation."""

from __future__ import annotations

from typing import Annotated

import typer

from daytona_cli.bulk import DEFAULT_PARALLEL, Target
from daytona_cli.commands.options import (
    DEFAULT_WAIT_TIMEOUT,
    DryRunOption,
    JsonOption,
    MaxOption,
    OptionalTargetsArgument,
    ParallelOption,
    SelectAll,
    SelectIdle,
    SelectLabel,
    SelectName,
    SelectOlder,
    SelectState,
    YesOption,
    selector,
)
from daytona_cli.commands.sandbox.bulk_run import BulkOptions, Verb, run_bulk
from daytona_cli.commands.sandbox.common import when_settled
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.types import JSONObject

DELETE = Verb("delete", "deleted", confirm=True)


def run_delete(app: AppContext, opts: BulkOptions, *, ignore_not_found: bool = False) -> None:
    """``deleteSandbox`` on every target; a missing one is fine with ``ignore_not_found``."""

    def delete_one(target: Target) -> JSONObject | None:
        delete_sandbox = app.client().delete_sandbox
        try:
            return when_settled(app, target.key, delete_sandbox, DEFAULT_WAIT_TIMEOUT)
        except CliError as err:
            if ignore_not_found and err.category is Category.NOT_FOUND:
                app.output.info(f"Sandbox {target.key} not found; nothing to delete")
                return None
            raise

    run_bulk(app, DELETE, opts, delete_one)


def delete(
    ctx: typer.Context,
    targets: OptionalTargetsArgument = None,
    label: SelectLabel = None,
    state: SelectState = None,
    name: SelectName = None,
    older_than: SelectOlder = None,
    idle_for: SelectIdle = None,
    everything: SelectAll = False,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    max_count: MaxOption = None,
    ignore_not_found: Annotated[
        bool, typer.Option("--ignore-not-found", help="A missing sandbox is not an error.")
    ] = False,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    json_output: JsonOption = False,
) -> None:
    """Delete sandboxes, named or selected.

    Asks first on a terminal, listing the targets; without one, needs --yes.

    \b
    Examples:
      daytona-cli sandbox delete demo --yes
      daytona-cli sandbox rm -l daytona-cli/run=$GITHUB_RUN_ID --yes
    """
    app = AppContext.of(ctx, json_mode=json_output)
    opts = BulkOptions(
        names=targets or [],
        selector=selector(label, state, name, older_than, idle_for, everything),
        yes=yes,
        dry_run=dry_run,
        max_count=max_count,
        parallel=parallel,
        json_output=json_output,
        ignore_not_found=ignore_not_found,
    )
    run_delete(app, opts, ignore_not_found=ignore_not_found)
