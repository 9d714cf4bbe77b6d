"""``daytona-cli sandbox start|stop``: safe to repeat, waited for, on names or selections."""

from __future__ import annotations

from typing import Annotated

import typer

from daytona_cli.bulk import DEFAULT_PARALLEL, Target
from daytona_cli.commands.options import (
    DEFAULT_WAIT_TIMEOUT,
    DryRunOption,
    JsonOption,
    MaxOption,
    NoWaitOption,
    OptionalTargetsArgument,
    ParallelOption,
    SelectAll,
    SelectIdle,
    SelectLabel,
    SelectName,
    SelectOlder,
    SelectState,
    StartTimeoutOption,
    TimeoutOption,
    YesOption,
    selector,
)
from daytona_cli.commands.sandbox.bulk_run import BulkOptions, Verb, run_bulk
from daytona_cli.commands.sandbox.common import start_and_wait, stop_and_wait
from daytona_cli.context import AppContext
from daytona_cli.types import JSONObject


def run_start(
    app: AppContext, opts: BulkOptions, *, wait: bool, timeout: float | None = None
) -> None:
    """``startSandbox`` on every target (a started one is fine, a paused one resumes, an
    archived one is restored), then wait for ``started``; ``timeout`` None: the default, longer
    for a restore."""

    def start_one(target: Target) -> JSONObject:
        return start_and_wait(app, target.key, timeout, wait=wait)

    run_bulk(app, Verb("start", "started", confirm=False), opts, start_one)


def run_stop(app: AppContext, opts: BulkOptions, *, wait: bool, timeout: float) -> None:
    """``stopSandbox`` on every target (a stopped or archived one is fine), then wait
    (:func:`~daytona_cli.commands.sandbox.common.stop_and_wait`)."""

    def stop_one(target: Target) -> JSONObject:
        return stop_and_wait(app, target.key, timeout, wait=wait)

    # Stopping what selectors chose asks first, as deleting does.
    run_bulk(app, Verb("stop", "stopped", confirm=opts.selector.active), opts, stop_one)


def start(
    ctx: typer.Context,
    targets: OptionalTargetsArgument = None,
    label: SelectLabel = None,
    state: SelectState = None,
    name: SelectName = None,
    older_than: SelectOlder = None,
    idle_for: SelectIdle = None,
    everything: SelectAll = False,
    no_wait: NoWaitOption = False,
    timeout: StartTimeoutOption = None,
    _yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="Accepted, as by stop and delete, so scripts can pass it to all."
        ),
    ] = False,
    dry_run: DryRunOption = False,
    max_count: MaxOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    json_output: JsonOption = False,
) -> None:
    """Start sandboxes and wait until they have started.

    A sandbox that has already started is fine; a paused one resumes, an archived one is
    restored (slower: its filesystem comes back from object storage).

    \b
    Examples:
      daytona-cli sandbox start demo
      daytona-cli sandbox start -l team=data --state stopped
    """
    app = AppContext.of(ctx, json_mode=json_output)
    opts = BulkOptions(
        names=targets or [],
        selector=selector(label, state, name, older_than, idle_for, everything),
        dry_run=dry_run,
        max_count=max_count,
        parallel=parallel,
        json_output=json_output,
    )
    run_start(app, opts, wait=not no_wait, timeout=timeout)


def stop(
    ctx: typer.Context,
    targets: OptionalTargetsArgument = None,
    label: SelectLabel = None,
    state: SelectState = None,
    name: SelectName = None,
    older_than: SelectOlder = None,
    idle_for: SelectIdle = None,
    everything: SelectAll = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    max_count: MaxOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    json_output: JsonOption = False,
) -> None:
    """Stop sandboxes and wait until they have stopped.

    A sandbox that has already stopped is fine. Selecting with --label, --state, --name,
    --older-than, --idle-for or --all asks first on a terminal (--yes otherwise).

    \b
    Examples:
      daytona-cli sandbox stop demo
      daytona-cli sandbox stop --idle-for 2h --yes
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
    )
    run_stop(app, opts, wait=not no_wait, timeout=timeout)
