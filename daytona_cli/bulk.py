"""Selecting sandboxes and acting on many of them with bounded concurrency.

Shared by start, stop and delete. Neither parses options nor prints: commands hand in what the
user chose and get back one outcome per target, in the order the targets were given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from daytona_cli.errors import CliError
from daytona_cli.waiting import describe

JSONObject = dict[str, Any]

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

    def list_filters(self, now: datetime | None = None) -> dict[str, Any]:
        """Keyword arguments for ``DaytonaClient.list_sandboxes``; time filters run server-side."""
        return {
            "name": self.name,
            "labels": self.labels,
            "states": self.states,
            "extra": time_filters(self.older_than, self.idle_for, now),
        }


def time_filters(
    older_than: float | None, idle_for: float | None, now: datetime | None = None
) -> list[tuple[str, str]]:
    now = now or datetime.now(timezone.utc)
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
    """A sandbox to act on: ``key`` is what goes in the URL (the ID when known)."""

    key: str
    name: str | None = None
    ident: str | None = None

    @classmethod
    def from_item(cls, item: JSONObject) -> Target:
        ident = str(item.get("id") or "")
        return cls(key=ident, name=item.get("name"), ident=ident)

    def label(self) -> str:
        if not (self.name or self.ident):
            return self.key
        return describe({"name": self.name, "id": self.ident})


@dataclass
class Outcome:
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
