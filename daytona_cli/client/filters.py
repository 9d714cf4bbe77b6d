"""What a sandbox list asks for, as query parameters and as a check of what came back.

Lists are eventually consistent and older servers ignore some filters (NOTES.md, Sandboxes:
"Never act on a listed item without checking it against what was asked"), so every item a list
answers is checked here against the filters that were sent, and dropped when it does not match.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from daytona_cli.times import iso_z, parse_time, whole_seconds_utc
from daytona_cli.types import JSONObject


@dataclass(frozen=True)
class SandboxFilter:
    """``listSandboxes`` filters; all must match.

    ``name`` is a case-insensitive prefix; ``labels`` must all be present with these values;
    ``states`` and ``snapshots`` are alternatives; ``created_before`` and ``active_before`` are
    moments (aware datetimes) that ``createdAt`` and ``lastActivityAt`` must not be after.
    """

    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    states: tuple[str, ...] = ()
    snapshots: tuple[str, ...] = ()
    created_before: datetime | None = None
    active_before: datetime | None = None

    def params(self) -> list[tuple[str, str]]:
        """The query parameters for these filters (``states`` and ``snapshots`` repeat)."""
        params: list[tuple[str, str]] = []
        if self.name:
            params.append(("name", self.name))
        if self.labels:
            params.append(("labels", json.dumps(self.labels, separators=(",", ":"))))
        params += [("states", state) for state in self.states]
        params += [("snapshots", snapshot) for snapshot in self.snapshots]
        if self.created_before is not None:
            params.append(("createdAtBefore", iso_z(self.created_before)))
        if self.active_before is not None:
            params.append(("lastEventBefore", iso_z(self.active_before)))
        return params

    def matches(self, item: JSONObject) -> bool:
        """Whether a listed sandbox really is what was asked for.

        The name prefix is compared literally (the API's ILIKE takes ``_`` and ``%`` as
        wildcards); a time filter never matches an item without that time.
        """
        if self.name and not str(item.get("name") or "").lower().startswith(self.name.lower()):
            return False
        labels = item.get("labels")
        if self.labels and not (
            isinstance(labels, dict) and all(labels.get(k) == v for k, v in self.labels.items())
        ):
            return False
        if self.states and item.get("state") not in self.states:
            return False
        if self.snapshots and item.get("snapshot") not in self.snapshots:
            return False
        return _not_after(item.get("createdAt"), self.created_before) and _not_after(
            item.get("lastActivityAt"), self.active_before
        )


def _not_after(value: object, bound: datetime | None) -> bool:
    if bound is None:
        return True
    moment = parse_time(value)
    return moment is not None and moment <= whole_seconds_utc(bound)
