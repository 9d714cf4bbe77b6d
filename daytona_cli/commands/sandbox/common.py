"""What several sandbox verbs share: waiting with a spinner, and acting once a transition ends."""

from __future__ import annotations

from collections.abc import Callable, Collection

from daytona_cli.commands.options import DEFAULT_RESTORE_TIMEOUT, DEFAULT_WAIT_TIMEOUT
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.render.sandbox import describe, state_of
from daytona_cli.render.text import duration
from daytona_cli.states import FAILED, RESTORING, SETTLED, STOP_GOALS, STOPPED
from daytona_cli.types import JSONObject
from daytona_cli.waiting import WaitTimeout, destroyed_error, failed_error, wait_for_state

SETTLING = "its state change to finish"
"""What :func:`when_settled` waits for, in the words of an error."""


def wait_until(
    app: AppContext,
    sandbox: JSONObject,
    goals: Collection[str],
    timeout: float,
    goal: str,
    *,
    gone_ok: bool = False,
    offer_delete: bool = False,
    budget: float | None = None,
) -> JSONObject:
    """Poll until the sandbox is in one of ``goals``, with a spinner on a terminal.

    ``goal`` is what the user asked for, in their words (``started``; ``goals`` may hold more
    states that count as it). On timeout (exit 124) or Ctrl-C (exit 130) the error names the
    sandbox, the last state seen, the goal, and how to check on it (and with ``offer_delete``,
    how to remove it); ``budget`` is the timeout to report when ``timeout`` is what was left of
    it. A sandbox gone while ``gone_ok`` comes back as state ``destroyed``.
    """
    client = app.client()
    ident = str(sandbox.get("id") or "")
    label = describe(sandbox)
    follow_up = f"check it with `daytona-cli sandbox get {ident}`"
    if offer_delete:
        follow_up += f" or remove it with `daytona-cli sandbox delete {ident} --yes`"

    def fetch() -> JSONObject | None:
        try:
            return client.get_sandbox(ident)
        except CliError as err:
            if err.category is Category.NOT_FOUND:
                return None
            raise

    last_seen = sandbox
    with app.output.progress(f"Waiting for {label} to be {goal}…") as update:

        def seen(current: JSONObject) -> None:
            nonlocal last_seen
            last_seen = current
            update(f"{label}: {current.get('state')} (waiting for {goal})")

        try:
            final = wait_for_state(fetch, goals, timeout=timeout, clock=app.clock, first=sandbox,
                                   gone_ok=gone_ok, on_update=seen)  # fmt: skip
        except KeyboardInterrupt:
            moving = " and carries on in the background" if _moving(last_seen) else ""
            raise CliError(
                Category.INTERRUPTED,
                f"interrupted while waiting for {goal}: sandbox {label} was "
                f"{state_of(last_seen)}{moving}",
                hint=follow_up,
            ) from None
        except WaitTimeout:
            moving = "it carries on in the background; " if _moving(last_seen) else ""
            raise CliError(
                Category.TIMEOUT,
                f"sandbox {ident} is still {state_of(last_seen)} after "
                f"{duration(budget or timeout)}; was waiting for {goal}",
                hint=f"{moving}{follow_up}",
            ) from None
    if final is None:
        return {**sandbox, "state": "destroyed"}
    return final


def _moving(sandbox: JSONObject) -> bool:
    """Whether a change is under way: a transition state, or a settled one that is not what
    the sandbox wants to be (``desiredState``)."""
    state, desired = sandbox.get("state"), sandbox.get("desiredState")
    return state not in SETTLED or (desired is not None and desired != state)


def when_settled(
    app: AppContext, target: str, action: Callable[[str], JSONObject], timeout: float
) -> JSONObject:
    """Run a lifecycle action; if another transition is under way (409), wait it out, then retry."""
    try:
        return action(target)
    except CliError as err:
        if err.status != 409 or "progress" not in err.message.lower():
            raise
    current = app.client().get_sandbox(target)
    wait_until(app, current, SETTLED | STOP_GOALS, timeout, SETTLING, gone_ok=True)
    return action(target)


def start_and_wait(
    app: AppContext, target: str, timeout: float | None = None, *, wait: bool = True
) -> JSONObject:
    """``startSandbox`` (a started one is fine; a paused one resumes, an archived one is
    restored), then wait for ``started`` unless ``wait`` is off. A sandbox in ``error`` or
    ``build_failed`` fails at once (exit 5), as does one the platform destroyed.

    ``timeout`` None is the default: :data:`DEFAULT_WAIT_TIMEOUT`, or
    :data:`DEFAULT_RESTORE_TIMEOUT` when the answer shows a restore (NOTES.md: slower).
    """
    client = app.client()
    try:
        sandbox = when_settled(
            app, target, client.start_sandbox, DEFAULT_WAIT_TIMEOUT if timeout is None else timeout
        )
    except CliError as err:
        if err.status == 400:  # refused for its state: say so when the platform destroyed it
            current = client.get_sandbox(target)
            if current.get("state") == "destroyed":
                raise destroyed_error(current) from None
        raise
    if sandbox.get("state") in FAILED:
        raise failed_error(sandbox)
    if sandbox.get("state") == "destroyed":
        raise destroyed_error(sandbox)
    if timeout is None:
        restoring = sandbox.get("state") in RESTORING
        timeout = DEFAULT_RESTORE_TIMEOUT if restoring else DEFAULT_WAIT_TIMEOUT
    if wait:
        sandbox = wait_until(app, sandbox, {"started"}, timeout, "started")
    return sandbox


def stop_and_wait(app: AppContext, target: str, timeout: float, *, wait: bool = True) -> JSONObject:
    """``stopSandbox`` (a stopped or archived one is fine: the API's 400 "not in a stoppable
    state" then counts as done), then wait for ``stopped`` unless ``wait`` is off. A sandbox
    with auto-delete 0 is deleted by its stop; that counts as stopped (state ``destroyed``)."""
    client = app.client()
    try:
        sandbox = when_settled(app, target, client.stop_sandbox, timeout)
    except CliError as err:
        if err.status != 400:
            raise
        current = client.get_sandbox(target)
        if current.get("state") == "destroyed":
            raise destroyed_error(current) from None  # say why, not "not stoppable"
        if current.get("state") == "paused":  # only a started one stops (NOTES.md)
            raise CliError(
                Category.CONFLICT,
                f"sandbox {describe(current)} is paused; only a started sandbox can be stopped",
                hint=f"resume it with `daytona-cli sandbox start {target}`, then stop it",
                status=err.status,
            ) from None
        if current.get("state") not in STOPPED:
            raise
        return current
    if wait:
        sandbox = wait_until(app, sandbox, STOP_GOALS, timeout, "stopped", gone_ok=True)
    return sandbox


def require_started(
    app: AppContext,
    target: str,
    *,
    start: bool,
    timeout: float | None = None,
    start_hint: str | None = None,
) -> JSONObject:
    """The sandbox, once started: as it is when started, after :func:`start_and_wait` when
    ``start`` (``--start``); otherwise a conflict (exit 5) that says how to start it
    (``start_hint``, by default the CLI's own words)."""
    sandbox = app.client().get_sandbox(target)
    current = sandbox.get("state")
    if current == "started":
        return sandbox
    if current == "destroyed":
        raise destroyed_error(sandbox)
    if not start:
        raise CliError(
            Category.CONFLICT,
            f"sandbox {describe(sandbox)} is {current}, not started",
            hint=start_hint
            or f"start it with `daytona-cli sandbox start {target}` or pass --start",
        )
    return start_and_wait(app, str(sandbox["id"]), timeout)
