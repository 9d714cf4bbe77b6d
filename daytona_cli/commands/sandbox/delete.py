"""``daytona-cli sandbox delete``: named or selected sandboxes, after confirmation."""

from __future__ import annotations

from typing import Annotated

import typer

from daytona_cli.bulk import DEFAULT_PARALLEL, Done, Target
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
    TimeoutOption,
    YesOption,
    selector,
)
from daytona_cli.commands.sandbox.bulk_run import BulkOptions, Verb, run_bulk
from daytona_cli.commands.sandbox.common import SETTLING, wait_until
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.render.sandbox import describe, destroyed_by, destroyed_by_platform, known_name
from daytona_cli.states import SETTLED, STOP_GOALS
from daytona_cli.types import JSONObject


def run_delete(
    app: AppContext, opts: BulkOptions, *, wait: bool = False, timeout: float = DEFAULT_WAIT_TIMEOUT
) -> None:
    """``deleteSandbox`` on every target, safe to repeat (NOTES.md, Sandboxes).

    Deletion starts at once and the sandbox is renamed ``DESTROYED_<name>_<ms>``, then passes
    through ``destroying``: a second delete by ID meets a 409, which is success ("already being
    deleted"), and one by name meets a 404, which is success with ``ignore_not_found``. A
    sandbox the platform destroyed counts as deleted. ``wait`` returns once each one is gone;
    ``timeout`` bounds every wait (for another transition to end, and for the deletion).
    """

    def delete_or_ignore(target: Target) -> Done | None:
        try:
            return delete_one(app, target, wait=wait, timeout=timeout)
        except CliError as err:
            if err.category is not Category.NOT_FOUND:
                raise
            if target.listed:  # selected a moment ago, gone now: a deletion has just ended
                gone = {"id": target.ident, "name": target.name}
                return Done(gone, "already deleted", f"Sandbox {target.label()} already deleted")
            if opts.ignore_not_found:
                app.output.info(f"Sandbox {target.key} not found; nothing to delete")
                return None
            raise

    verb = Verb("delete", "deleted" if wait else "deletion started", confirm=True, past="deleted")
    run_bulk(app, verb, opts, delete_or_ignore)


def delete_one(app: AppContext, target: Target, *, wait: bool, timeout: float) -> Done:
    """Delete one sandbox, printing nothing: what :func:`run_delete` does to each target.

    The :class:`Done` says what became of it (``deletion started``, ``deleted``, ``already
    being deleted``, ``already destroyed``) with the line to report, and holds the API's
    ``Sandbox`` with the name the user knew, not ``DESTROYED_<name>_<ms>`` (the issue's
    promise: reports never show Daytona's new name); a sandbox not found is a not-found
    error (exit 3).
    """
    done = _delete(app, target, wait=wait, timeout=timeout)
    name = known_name(done.result) or target.name
    result = done.result if name is None else {**done.result, "name": name}
    return Done(result, done.status, done.message)


def _delete(app: AppContext, target: Target, *, wait: bool, timeout: float) -> Done:
    client = app.client()
    try:
        answer = client.delete_sandbox(target.key)
    except CliError as err:
        gone = _already_gone(app, target, err, timeout)
        if gone is not None and not (wait and gone.status == "already being deleted"):
            return gone
        if gone is not None:  # someone else's delete: --wait still waits for it to be gone
            wait_until(app, gone.result, {"destroyed"}, timeout, "deleted", gone_ok=True)
            return Done(gone.result, "deleted", f"Sandbox {_as_known(gone.result, target)} deleted")
        answer = client.delete_sandbox(target.key)  # the other transition has ended
    shown = _as_known(answer, target)
    if destroyed_by_platform(answer):
        return Done(
            answer, "already destroyed", f"Sandbox {shown} was already {destroyed_by(answer)}"
        )
    if not wait:
        return Done(answer, "deletion started", f"Deletion of sandbox {shown} started")
    wait_until(app, answer, {"destroyed"}, timeout, "deleted", gone_ok=True)
    return Done(answer, "deleted", f"Sandbox {shown} deleted")


def _already_gone(app: AppContext, target: Target, err: CliError, timeout: float) -> Done | None:
    """After a refused delete: a Done when the sandbox is gone or going, None when another
    transition (now ended) was in the way; otherwise the error stands."""
    if err.category is Category.NOT_FOUND or err.status not in (400, 409):
        raise err
    current = app.client().get_sandbox(target.key)
    shown = _as_known(current, target)
    if current.get("state") == "destroyed":
        return Done(
            current, "already destroyed", f"Sandbox {shown} was already {destroyed_by(current)}"
        )
    if current.get("state") == "destroying":
        return Done(current, "already being deleted", f"Sandbox {shown} is already being deleted")
    if err.status != 409:
        raise err
    wait_until(app, current, SETTLED | STOP_GOALS, timeout, SETTLING, gone_ok=True)
    return None


def _as_known(sandbox: JSONObject, target: Target) -> str:
    """The sandbox as the user knew it: its name before Daytona renamed it, and its ID."""
    name = known_name(sandbox) or target.name or target.key
    return describe({"name": name, "id": sandbox.get("id") or target.ident})


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
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Return once each sandbox is gone, not once deletion started."),
    ] = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
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
    run_delete(app, opts, wait=wait, timeout=timeout)
