"""Selecting sandboxes and acting on many of them with bounded concurrency.

Neither parses options nor prints: commands hand in what the user chose and get back one
outcome per target, in the order the targets were given (``commands/sandbox/bulk_run.py`` shows
them).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from daytona_cli.client.filters import SandboxFilter
from daytona_cli.errors import Category, CliError, usage
from daytona_cli.render.sandbox import describe, known_name
from daytona_cli.types import JSONObject

if TYPE_CHECKING:
    from daytona_cli.client import DaytonaClient

DEFAULT_PARALLEL = 8


@dataclass(frozen=True)
class Selector:
    """Which sandboxes a command acts on besides the ones named: all filters must match."""

    labels: dict[str, str] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)
    name: str | None = None
    older_than: float | None = None  # seconds since creation
    idle_for: float | None = None  # seconds since last activity
    everything: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.labels
            or self.states
            or self.name
            or self.older_than is not None
            or self.idle_for is not None
            or self.everything
        )

    def filters(self) -> SandboxFilter:
        """What to ask the list for; ages become moments before now (wall-clock UTC)."""
        return SandboxFilter(
            name=self.name,
            labels=self.labels,
            states=tuple(self.states),
            created_before=ago(self.older_than),
            active_before=ago(self.idle_for),
        )


def ago(seconds: float | None) -> datetime | None:
    """The moment ``seconds`` before now, or None."""
    if seconds is None:
        return None
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


@dataclass(frozen=True)
class Target:
    """A sandbox to act on: ``key`` is what goes in the URL (the ID when known); ``missing``
    when it was looked up and not found."""

    key: str
    name: str | None = None
    """The name the user knew (not ``DESTROYED_<name>_<ms>``: :func:`known_name`)."""
    ident: str | None = None
    state: str | None = None
    missing: bool = False
    listed: bool = False
    """Found by a selector's list a moment ago: not found now means it has just gone."""

    @classmethod
    def from_item(cls, item: JSONObject, *, listed: bool = False) -> Target:
        ident = str(item.get("id") or "")
        return cls(key=ident, name=known_name(item), ident=ident, state=item.get("state"),
                   listed=listed)  # fmt: skip

    def label(self) -> str:
        if not (self.name or self.ident):
            return self.key
        return describe({"name": self.name, "id": self.ident})


NOT_STARTED = "not tried"  # not "not started": a start's table would read as a state
IN_FLIGHT = "in flight"


@dataclass
class Outcome:
    """What happened to one target: the API's answer (None: nothing to do), the error, or why
    it was not done (``skipped``: :data:`NOT_STARTED`, or :data:`IN_FLIGHT` when interrupted)."""

    target: Target
    result: JSONObject | None = None
    error: CliError | None = None
    skipped: str | None = None
    status: str | None = None
    """What became of it, when the action said more than the verb's own word (``Done``)."""
    message: str | None = None
    """The line to print as it finishes, when the action worded one (``Done``)."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None

    def record(self) -> JSONObject:
        """The per-target report under --json: ``{"id", "name", "ok", "error"}``."""
        result = self.result or {}
        return {
            "id": result.get("id") or self.target.ident or self.target.key,
            "name": known_name(result) or self.target.name,
            "ok": self.ok,
            "error": self.error.message if self.error is not None else self.skipped,
        }


@dataclass(frozen=True)
class Done:
    """What an action may return instead of the bare answer: the answer, a ``status`` for the
    report (``already being deleted``) and the ``message`` to print for it."""

    result: JSONObject
    status: str
    message: str


Action = Callable[[Target], JSONObject | Done | None]
"""Acts on one target: the API's answer, a :class:`Done`, or None (nothing to do, fine)."""


class BulkInterrupted(Exception):
    """Ctrl-C during :func:`run_all`: no further target was started; ``outcomes`` says what
    finished, what was in flight and what never started, in the targets' order."""

    def __init__(self, outcomes: list[Outcome], cause: CliError | None = None) -> None:
        super().__init__("interrupted")
        self.outcomes = outcomes
        self.cause = cause
        """What the target in flight said when interrupted (waiting for a state), if anything."""


def select(
    client: DaytonaClient, named: Sequence[str], selector: Selector, max_count: int | None
) -> list[Target]:
    """Named targets, then every sandbox the selector matches; refuses (usage) past ``max_count``."""
    selected: list[JSONObject] = []
    if selector.active:
        for page in client.list_sandboxes(selector.filters()):
            selected += page
        if max_count is not None and len(selected) > max_count:
            raise usage(
                f"the selection matches {len(selected)} sandboxes, more than --max {max_count}; "
                "nothing was done",
                hint="narrow the selectors, or raise --max if that is what you meant",
            )
    return merge_targets(named, selected)


_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def unique(names: Sequence[str]) -> list[str]:
    """The names in their order, each once: the same target named twice is acted on once."""
    return list(dict.fromkeys(names))


def may_repeat(named: Sequence[str]) -> bool:
    """Could two of these different strings be one sandbox (its name and its ID)? Only when an
    ID is among several; then the targets are looked up (:func:`resolve`) before acting."""
    return len(named) > 1 and any(_UUID.fullmatch(name) for name in named)


def resolve(client: DaytonaClient, targets: Sequence[Target]) -> list[Target]:
    """Look up every target known only by what was typed (``getSandbox`` each), and drop one
    that is already there by ID. A missing one stays, marked ``missing``."""
    resolved: list[Target] = []
    seen: set[str] = set()
    for target in targets:
        if target.ident is None:
            try:
                target = Target.from_item(client.get_sandbox(target.key))
            except CliError as err:
                if err.category is not Category.NOT_FOUND:
                    raise
                resolved.append(replace(target, missing=True))
                continue
        if target.ident in seen:
            continue
        seen.add(target.ident or target.key)
        resolved.append(target)
    return resolved


def merge_targets(named: Sequence[str], selected: Sequence[JSONObject]) -> list[Target]:
    """Named targets first, then selected ones not already named (by ID or name)."""
    targets = [Target(key=name) for name in named]
    seen = set(named)
    for item in selected:
        target = Target.from_item(item, listed=True)
        if target.ident in seen or item.get("name") in seen:
            continue
        seen.add(target.ident or target.key)
        targets.append(target)
    return targets


def run_all(
    targets: Sequence[Target],
    action: Action,
    *,
    parallel: int = DEFAULT_PARALLEL,
    on_done: Callable[[Outcome], None] = lambda _outcome: None,
    authenticated: threading.Event | None = None,
) -> list[Outcome]:
    """Run ``action`` on every target, at most ``parallel`` at once, outcomes in targets' order.

    A failure does not stop the others, except a refused key (401/403: Daytona blocks
    addresses after repeated failed authentication): the first target starts alone, and the
    rest only once ``authenticated`` is set (an answer came that was not a refusal of the key)
    or the first target has finished; after any authentication failure nothing more is
    started (the rest are :data:`NOT_STARTED`).
    Ctrl-C starts nothing more and raises :class:`BulkInterrupted`. An action returns the API's
    answer, or None when there was nothing to do (and that is fine).
    """
    outcomes: list[Outcome | None] = [None] * len(targets)
    started: set[int] = set()

    def attempt(index: int) -> Outcome:
        started.add(index)
        return _attempt(action, targets[index])

    def finish(index: int, outcome: Outcome) -> bool:
        """Record an outcome; True when it means stopping everything."""
        outcomes[index] = outcome
        on_done(outcome)
        return outcome.error is not None and outcome.error.category in _STOPPING

    def settled() -> list[Outcome]:
        return [
            outcome or Outcome(targets[i], skipped=IN_FLIGHT if i in started else NOT_STARTED)
            for i, outcome in enumerate(outcomes)
        ]

    try:
        if parallel <= 1 or len(targets) <= 1:
            for index in range(len(targets)):
                if finish(index, attempt(index)):
                    break
        else:
            _run_pool(len(targets), attempt, parallel, finish, authenticated)
        return settled()
    except KeyboardInterrupt:
        raise BulkInterrupted(settled()) from None
    except _Interrupted as stop:
        raise BulkInterrupted(settled(), stop.error) from None


_STOPPING = frozenset({Category.AUTH})


def _attempt(action: Action, target: Target) -> Outcome:
    try:
        answer = action(target)
    except CliError as err:
        if err.category is Category.INTERRUPTED:  # Ctrl-C, caught while waiting
            raise _Interrupted(err) from None
        return Outcome(target, error=err)
    if isinstance(answer, Done):
        return Outcome(target, answer.result, status=answer.status, message=answer.message)
    return Outcome(target, result=answer)


class _Interrupted(Exception):
    def __init__(self, error: CliError) -> None:
        super().__init__(error.message)
        self.error = error


def _run_pool(
    count: int,
    attempt: Callable[[int], Outcome],
    parallel: int,
    finish: Callable[[int, Outcome], bool],
    authenticated: threading.Event | None,
) -> None:
    """The first target alone until the key is known to be accepted, then the rest,
    ``parallel`` at once; what is queued is dropped on a stop."""
    from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait

    pool = ThreadPoolExecutor(max_workers=min(parallel, count))
    try:
        first = pool.submit(attempt, 0)
        queued: dict[Future[Outcome], int] = {first: 0}
        while not (authenticated is not None and authenticated.is_set()):
            if wait([first], timeout=0.02).done:
                del queued[first]
                if finish(0, first.result()):
                    return
                break
        queued.update({pool.submit(attempt, i): i for i in range(1, count)})
        for future in as_completed(queued):
            if not future.cancelled() and finish(queued[future], future.result()):
                pool.shutdown(wait=False, cancel_futures=True)
    finally:
        # Nothing queued starts after Ctrl-C or a stop; what is under way finishes on its own.
        pool.shutdown(wait=False, cancel_futures=True)
