"""Sandbox states (``SandboxState`` in openapi.yaml) and what they mean to the CLI (NOTES.md)."""

from __future__ import annotations

SANDBOX_STATES = (
    "creating", "restoring", "destroyed", "destroying", "started", "stopped", "starting",
    "stopping", "error", "build_failed", "pending_build", "building_snapshot", "unknown",
    "pulling_snapshot", "archived", "archiving", "resizing", "snapshotting", "forking",
    "pausing", "paused", "resuming",
)  # fmt: skip
# `destroyed` can never be listed (the API rejects it as a filter).
LISTABLE_STATES = tuple(state for state in SANDBOX_STATES if state != "destroyed")

FAILED = frozenset({"error", "build_failed"})
STOPPED = frozenset({"stopped", "archived"})
# A stop that deletes the sandbox (auto-delete 0) has done what was asked, too.
STOP_GOALS = STOPPED | {"destroying", "destroyed"}
# Where a transition ends: a lifecycle action that met a 409 waits for one of these.
SETTLED = frozenset({"started", "stopped", "archived", "paused", "error", "build_failed"})
# Gone, or on the way: a deleted sandbox passes through `destroying`; one destroyed by the
# platform (spot eviction, runner-queue timeout) stays readable as `destroyed` for 24 hours.
GONE = frozenset({"destroying", "destroyed"})
# `start` brings these back: a stopped one starts, a paused one resumes, an archived one is
# restored (slower).
STARTABLE = frozenset({"stopped", "paused", "archived"})
# What a start's answer shows when it restores an archived sandbox (slower, NOTES.md).
RESTORING = frozenset({"archived", "restoring"})
