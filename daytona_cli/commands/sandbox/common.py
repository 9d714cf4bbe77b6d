"""What several sandbox verbs share: waiting with a spinner, and acting once a transition ends."""

from __future__ import annotations

from collections.abc import Callable, Collection

from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.render.sandbox import describe, state_of
from daytona_cli.states import SETTLED, STOP_GOALS
from daytona_cli.types import JSONObject
from daytona_cli.waiting import WaitTimeout, wait_for_state


def wait_until(
    app: AppContext,
    sandbox: JSONObject,
    goals: Collection[str],
    timeout: float,
    doing: str,
    *,
    gone_ok: bool = False,
) -> JSONObject:
    """Poll until the sandbox is in one of ``goals``, with a spinner on a terminal.

    On timeout (exit 124) or Ctrl-C (exit 130) the error names the sandbox, the last state seen
    and how to follow up. A sandbox gone while ``gone_ok`` comes back as state ``destroyed``.
    """
    client = app.client()
    ident = str(sandbox.get("id") or "")
    label = describe(sandbox)
    goal = "/".join(sorted(goals))
    follow_up = (
        f"check it with `daytona-cli sandbox get {ident}` or remove it with "
        f"`daytona-cli sandbox delete {ident} --yes`"
    )

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
            raise CliError(
                Category.INTERRUPTED,
                f"interrupted while waiting for {label} to be {goal}; "
                f"it carries on in the background ({state_of(last_seen)} when last seen)",
                hint=follow_up,
            ) from None
        except WaitTimeout:
            raise CliError(
                Category.TIMEOUT,
                f"sandbox {ident} is still {state_of(last_seen)} after {timeout:g} s (was {doing})",
                hint=f"it carries on in the background: {follow_up}",
            ) from None
    if final is None:
        return {**sandbox, "state": "destroyed"}
    return final


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
    wait_until(app, current, SETTLED | STOP_GOALS, timeout, "changing state", gone_ok=True)
    return action(target)
