"""Poll a sandbox until it reaches a state, with a deadline and backoff.

Shared by create, start, stop, wait and exec. The first poll comes after a fraction of a second
(a sandbox that is ready in 0.3 s is reported in well under a second) and the interval grows
from there, so a slow build does not hammer the API. Time comes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from daytona_cli.clock import Clock
from daytona_cli.errors import Category, CliError
from daytona_cli.render.sandbox import describe, destroyed_by
from daytona_cli.states import FAILED
from daytona_cli.types import JSONObject

FIRST_DELAY = 0.1
BACKOFF = 1.5
MAX_DELAY = 2.0


class WaitTimeout(Exception):
    """The deadline passed before the sandbox reached the state (the caller saw every state)."""


def wait_for_state(
    fetch: Callable[[], JSONObject | None],
    targets: Collection[str],
    *,
    timeout: float | None,
    clock: Clock,
    on_update: Callable[[JSONObject], None] = lambda _sandbox: None,
    first: JSONObject | None = None,
    gone_ok: bool = False,
) -> JSONObject | None:
    """Return the sandbox once its state is in ``targets``.

    ``fetch`` returns ``None`` when the sandbox no longer exists; that ends the wait successfully
    only when ``gone_ok`` (waiting for deletion, or a stop that deletes an auto-delete-0 sandbox).
    A sandbox in ``error`` or ``build_failed`` fails the wait with the server's ``errorReason``.
    ``timeout`` None or 0 means no limit; :class:`WaitTimeout` when it runs out.
    """
    deadline = clock.monotonic() + timeout if timeout else None
    delay = FIRST_DELAY
    sandbox = first
    while True:
        if sandbox is not None:
            on_update(sandbox)
            state = sandbox.get("state")
            if state in targets:
                return sandbox
            if state in FAILED:
                raise failed_error(sandbox)
            if state == "destroyed" and not gone_ok:  # the platform's doing: nothing to wait for
                raise destroyed_error(sandbox)
        if deadline is not None:
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                raise WaitTimeout
            clock.sleep(min(delay, remaining))
        else:
            clock.sleep(delay)
        delay = min(delay * BACKOFF, MAX_DELAY)
        fetched = fetch()
        if fetched is None:
            if gone_ok:
                return None
            raise CliError(Category.NOT_FOUND, f"sandbox {describe(sandbox)} disappeared")
        sandbox = fetched


def destroyed_error(sandbox: JSONObject) -> CliError:
    """A sandbox the platform destroyed (spot eviction, runner-queue timeout): it stays
    readable for 24 hours but can be neither started nor used (exit 5)."""
    return CliError(
        Category.CONFLICT,
        f"sandbox {describe(sandbox)} was {destroyed_by(sandbox)}; it cannot be started again",
        hint="create a new sandbox (`daytona-cli sandbox create`)",
    )


def failed_error(sandbox: JSONObject) -> CliError:
    """A sandbox that ended in ``error`` or ``build_failed`` (exit 5), with the server's reason."""
    reason = sandbox.get("errorReason") or "no reason given"
    return CliError(
        Category.CONFLICT,
        f"sandbox {describe(sandbox)} is in state {sandbox.get('state')}: {reason}",
        hint=f"inspect it with `daytona-cli sandbox get {sandbox.get('id', '')}`",
    )
