"""``daytona-cli sandbox pause|archive``: safe to repeat, waited for, on names or selections.

Both are ``stop``'s siblings (NOTES.md, "SSH, previews, pause and archive"): ``pause`` keeps a
started sandbox's memory (VM sandbox classes only), ``archive`` moves a stopped sandbox's
filesystem to object storage. ``start`` brings either back.
"""

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
    TimeoutOption,
    YesOption,
    selector,
)
from daytona_cli.commands.sandbox.bulk_run import BulkOptions, Verb, run_bulk
from daytona_cli.commands.sandbox.common import wait_until, when_settled
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.render.sandbox import describe, state_of
from daytona_cli.states import STOP_GOALS
from daytona_cli.types import JSONObject


def run_pause(app: AppContext, opts: BulkOptions, *, wait: bool, timeout: float) -> None:
    """``pauseSandbox`` on every target (a paused one is fine), then wait for ``paused``.

    A sandbox whose class cannot pause (the API's 422) is that target's failure (exit 5).
    """

    def pause_one(target: Target) -> JSONObject:
        client = app.client()
        try:
            sandbox = when_settled(app, target.key, client.pause_sandbox, timeout)
        except CliError as err:
            if err.status != 400:  # the 422 of a container sandbox stays as the client made it
                raise
            sandbox = client.get_sandbox(target.key)
            if sandbox.get("state") not in ("paused", "pausing"):  # paused already is fine
                raise _wrong_state(sandbox, target.key, "pause") from None
        if wait:
            sandbox = wait_until(app, sandbox, {"paused"}, timeout, "paused")
        return sandbox

    run_bulk(app, Verb("pause", "paused", confirm=opts.selector.active), opts, pause_one)


def run_archive(
    app: AppContext, opts: BulkOptions, *, wait: bool, timeout: float, stop_first: bool = False
) -> None:
    """``archiveSandbox`` on every target (an archived one is fine), then wait for ``archived``.

    A started sandbox is refused with a hint to stop it first; with ``stop_first`` it is
    stopped (waiting for ``stopped``, however ``wait`` is set), then archived.
    """

    def archive_one(target: Target) -> JSONObject:
        client = app.client()
        try:
            sandbox = when_settled(app, target.key, client.archive_sandbox, timeout)
        except CliError as err:
            if err.status != 400:
                raise
            sandbox = client.get_sandbox(target.key)
            state = sandbox.get("state")
            if state == "started" and stop_first:
                sandbox = _stop_then_archive(app, sandbox, timeout)
            elif state not in ("archived", "archiving"):  # archived already is fine
                raise _wrong_state(sandbox, target.key, "archive") from None
        if wait:
            sandbox = wait_until(app, sandbox, {"archived"}, timeout, "archived")
        return sandbox

    run_bulk(app, Verb("archive", "archived", confirm=opts.selector.active), opts, archive_one)


_NEEDED = {"pause": ("started", "paused"), "archive": ("stopped", "archived")}
"""What each verb starts from, and its past participle."""


def _wrong_state(sandbox: JSONObject, target: str, verb: str) -> CliError:
    """The sandbox is neither where ``verb`` starts nor where it ends (exit 5), with what to
    do about it."""
    needed, done = _NEEDED[verb]
    state = state_of(sandbox)
    if verb == "archive" and state == "started":
        hint = (
            f"stop it first with `daytona-cli sandbox stop {target}`, "
            "or pass --stop to stop and archive it"
        )
    elif verb == "archive" and state == "paused":
        # Neither stop nor archive takes a paused sandbox (NOTES.md): it must be resumed first.
        hint = (
            f"resume it with `daytona-cli sandbox start {target}`, then stop and archive it "
            f"with `daytona-cli sandbox archive --stop {target}`"
        )
    elif verb == "pause" and state == "stopped":
        # Starting it only to pause it would gain nothing: it already holds no CPU or memory.
        hint = (
            "it already uses no CPU or memory: to free its disk too, archive it with "
            f"`daytona-cli sandbox archive {target}`"
        )
    elif verb == "pause" and state == "archived":
        hint = "nothing to pause: an archived sandbox uses no CPU, memory or disk"
    else:
        hint = f"check it with `daytona-cli sandbox get {target}`"
    return CliError(
        Category.CONFLICT,
        f"sandbox {describe(sandbox)} is {state}; only a {needed} sandbox can be {done}",
        hint=hint,
    )


def _stop_then_archive(app: AppContext, sandbox: JSONObject, timeout: float) -> JSONObject:
    """``--stop``: stop, wait for ``stopped``, archive. A sandbox with auto-delete 0 is
    deleted by stopping it: then there is nothing left to archive (exit 5)."""
    client = app.client()
    ident = str(sandbox["id"])
    stopping = when_settled(app, ident, client.stop_sandbox, timeout)
    stopped = wait_until(app, stopping, STOP_GOALS, timeout, "stopped", gone_ok=True)
    if stopped.get("state") != "stopped":
        raise CliError(
            Category.CONFLICT,
            f"sandbox {describe(sandbox)} was deleted when it stopped (auto-delete 0); "
            "there is nothing to archive",
        )
    return client.archive_sandbox(ident)


def pause(
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
    """Pause sandboxes and wait until they have paused.

    A paused sandbox keeps its memory and processes but uses no CPU. Only VM sandboxes
    (class linux-vm or windows) can pause; another fails with exit 5. Pausing a paused
    sandbox is fine; `sandbox start` resumes it. Selecting with --label, --state,
    --name, --older-than, --idle-for or --all asks first on a terminal (--yes otherwise).

    \b
    Examples:
      daytona-cli sandbox pause demo
      daytona-cli sandbox pause -l team=data --state started --yes
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
    run_pause(app, opts, wait=not no_wait, timeout=timeout)


def archive(
    ctx: typer.Context,
    targets: OptionalTargetsArgument = None,
    label: SelectLabel = None,
    state: SelectState = None,
    name: SelectName = None,
    older_than: SelectOlder = None,
    idle_for: SelectIdle = None,
    everything: SelectAll = False,
    stop_first: Annotated[
        bool, typer.Option("--stop", help="Stop a started sandbox first, then archive it.")
    ] = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    max_count: MaxOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    json_output: JsonOption = False,
) -> None:
    """Archive stopped sandboxes and wait until they are archived.

    Archiving moves a sandbox's filesystem to object storage, where it costs no disk;
    `sandbox start` restores it (slower than a start). An archived sandbox is fine; a started
    one is refused unless --stop is given. Selecting with --label, --state, --name,
    --older-than, --idle-for or --all asks first on a terminal (--yes otherwise).

    \b
    Examples:
      daytona-cli sandbox archive demo
      daytona-cli sandbox archive --state stopped --idle-for 7d --yes
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
    run_archive(app, opts, wait=not no_wait, timeout=timeout, stop_first=stop_first)
