"""Selecting sandboxes and acting on many of them with bounded concurrency.

Neither parses options nor prints: commands hand in what the user chose and get back one
outcome per target, in the order the targets were given (``commands/sandbox/bulk_run.py`` shows
them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from daytona_cli.errors import Category, CliError, usage
from daytona_cli.render.sandbox import describe
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

    def list_filters(self) -> dict[str, Any]:
        """Keyword arguments for ``DaytonaClient.list_sandboxes``; time filters run server-side."""
        return {
            "name": self.name,
            "labels": self.labels,
            "states": self.states,
            "extra": time_filters(self.older_than, self.idle_for),
        }


def time_filters(older_than: float | None, idle_for: float | None) -> list[tuple[str, str]]:
    """``createdAtBefore`` / ``lastEventBefore`` query parameters for ages in seconds."""
    now = datetime.now(timezone.utc)
    filters = []
    if older_than is not None:
        filters.append(("createdAtBefore", _iso(now - timedelta(seconds=older_than))))
    if idle_for is not None:
        filters.append(("lastEventBefore", _iso(now - timedelta(seconds=idle_for))))
    return filters


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Target:
    """A sandbox to act on: ``key`` is what goes in the URL (the ID when known); ``missing``
    when it was looked up and not found."""

    key: str
    name: str | None = None
    ident: str | None = None
    state: str | None = None
    missing: bool = False

    @classmethod
    def from_item(cls, item: JSONObject) -> Target:
        ident = str(item.get("id") or "")
        return cls(key=ident, name=item.get("name"), ident=ident, state=item.get("state"))

    def label(self) -> str:
        if not (self.name or self.ident):
            return self.key
        return describe({"name": self.name, "id": self.ident})


@dataclass
class Outcome:
    """What happened to one target: the API's answer (None: nothing to do) or the error."""

    target: Target
    result: JSONObject | None = None
    error: CliError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def record(self) -> JSONObject:
        """The per-target report under --json: ``{"id", "name", "ok", "error"}``."""
        result = self.result or {}
        return {
            "id": result.get("id") or self.target.ident or self.target.key,
            "name": result.get("name") or self.target.name,
            "ok": self.ok,
            "error": None if self.error is None else self.error.message,
        }


def select(
    client: DaytonaClient, named: Sequence[str], selector: Selector, max_count: int | None
) -> list[Target]:
    """Named targets, then every sandbox the selector matches; refuses (usage) past ``max_count``."""
    selected: list[JSONObject] = []
    if selector.active:
        for page in client.list_sandboxes(**selector.list_filters()):
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
        target = Target.from_item(item)
        if target.ident in seen or (target.name is not None and target.name in seen):
            continue
        seen.add(target.ident or target.key)
        targets.append(target)
    return targets


def run_all(
    targets: Sequence[Target],
    action: Callable[[Target], JSONObject | None],
    *,
    parallel: int = DEFAULT_PARALLEL,
    on_done: Callable[[Outcome], None] = lambda _outcome: None,
) -> list[Outcome]:
    """Run ``action`` on every target, at most ``parallel`` at once; never stop at a failure.

    An action returns the API's answer, or None when there was nothing to do (and that is fine).
    """

    def one(target: Target) -> Outcome:
        try:
            return Outcome(target, result=action(target))
        except CliError as err:
            return Outcome(target, error=err)

    if len(targets) <= 1 or parallel <= 1:
        outcomes = []
        for target in targets:
            outcomes.append(one(target))
            on_done(outcomes[-1])
        return outcomes
    from concurrent.futures import ThreadPoolExecutor, as_completed

    by_target: dict[int, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=min(parallel, len(targets)))
    try:
        futures = {pool.submit(one, target): index for index, target in enumerate(targets)}
        for future in as_completed(futures):
            outcome = future.result()
            by_target[futures[future]] = outcome
            on_done(outcome)
    finally:
        # On Ctrl-C, do not start what has not started; what is under way finishes on its own.
        pool.shutdown(wait=False, cancel_futures=True)
    return [by_target[index] for index in range(len(targets))]
