"""The Daytona API (openapi.yaml): sandboxes, their lifecycle, SSH access, preview URLs and
snapshots, with the server's habits from NOTES.md: transitions take time on the injected clock,
actions during a transition are refused, start/stop/pause/archive/delete answer before the runner
acts (the old ``state``, the new ``desiredState``), a delete renames the sandbox at once.

A mixin of :class:`tests.fake.core.FakeDaytona`.
"""

from __future__ import annotations

import copy
import math
import secrets
import uuid
from collections.abc import Callable
from functools import cmp_to_key, partial
from typing import TYPE_CHECKING, Any

import httpx

from tests.fake.common import (
    DEFAULT_SNAPSHOT,
    PAUSABLE_CLASSES,
    STABLE_STATES,
    ApiError,
    bool_param,
    choice_param,
    int_param,
    json_body,
    json_response,
    number,
    timestamp,
)
from tests.fake.records import (
    DEFAULT_AUTO_PAUSE_MINUTES,
    MAX_AUTO_ARCHIVE_MINUTES,
    RESOURCE_FIELDS,
    SORT_FIELDS,
    build_info,
    check_create_body,
    compare_keys,
    decode_cursor,
    encode_cursor,
    list_item,
    new_record,
    sandbox_filters,
    sort_key,
    visible,
)

if TYPE_CHECKING:
    from tests.fake.core import FakeDaytona

    _Base = FakeDaytona
else:
    _Base = object

Action = Callable[[httpx.Request], httpx.Response]
SNAPSHOT_SORT_FIELDS = ("name", "state", "lastUsedAt", "createdAt")
MAX_SIGNED_PREVIEW_SECONDS = 24 * 3600


class ApiRoutes(_Base):
    """Sandbox and snapshot routes; see the module docstring."""

    def _api_route(self, request: httpx.Request, parts: list[str]) -> Action | None:
        match request.method, parts:
            case "GET", ["sandbox"]:
                return self._list_sandboxes
            case "POST", ["sandbox"]:
                return self._create_sandbox
            case ("GET" | "DELETE") as method, ["sandbox", name]:
                handler = self._get_sandbox if method == "GET" else self._delete_sandbox
                return partial(handler, id_or_name=name)
            case "POST", ["sandbox", name, "start" | "stop" | "pause" | "archive" as verb]:
                return partial(getattr(self, f"_{verb}_sandbox"), id_or_name=name)
            case ("POST" | "DELETE") as method, ["sandbox", name, "ssh-access"]:
                handler = self._create_ssh_access if method == "POST" else self._revoke_ssh_access
                return partial(handler, id_or_name=name)
            case "GET", ["sandbox", name, "ports", port, "preview-url" | "signed-preview-url" as k]:
                return partial(self._preview_url, id_or_name=name, port=port, signed=k[0] == "s")
            case "GET", ["sandbox", name, "build-logs-url"]:
                return partial(self._build_logs_url, id_or_name=name)
            case "GET", ["sandbox", sandbox_id, "toolbox-proxy-url"]:
                if self.server_version == "old":
                    raise ApiError(404, f"Cannot GET {request.url.path}")
                return partial(self._toolbox_proxy_url, sandbox_id=sandbox_id)
            case "GET", ["snapshots"]:
                return self._list_snapshots
            case "POST", ["toolbox", sandbox_id, "toolbox", "process", "execute"]:
                if not self.legacy_execute:
                    # A route the server no longer has: Nest's router answers before any guard.
                    raise ApiError(404, f"Cannot POST {request.url.path}")
                return partial(self._execute, sandbox_id=sandbox_id, legacy=True)
        return None

    # -- listing -----------------------------------------------------------------------------

    def _list_sandboxes(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = int_param(params, "limit", default=100, low=1, high=200)
        sort = SORT_FIELDS[choice_param(params, "sort", tuple(SORT_FIELDS), "lastActivityAt")]
        descending = choice_param(params, "order", ("asc", "desc"), "desc") == "desc"
        keep = sandbox_filters(params, self._ignored_filters)
        with self._lock:
            self._settle_all()
            views = [view for view in self._listed_views() if keep(view)]
            self._count_list_call()

        def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
            return compare_keys(sort_key(a, sort), sort_key(b, sort), descending)

        views.sort(key=cmp_to_key(compare))
        if self.bare_array_list:
            return self._list_answer([list_item(view) for view in views], None)
        cursor = params.get("cursor")
        after = decode_cursor(cursor, sort, descending) if cursor else None
        rest = [
            v
            for v in views
            if after is None or compare_keys(sort_key(v, sort), after, descending) > 0
        ]
        page = rest[:limit]
        next_cursor = (
            encode_cursor(sort_key(page[-1], sort), sort, descending) if len(rest) > limit else None
        )
        if after is not None and self._repeat_page:
            # The page before this one, again (its last item is the one the cursor is after).
            earlier = [v for v in views if compare_keys(sort_key(v, sort), after, descending) <= 0]
            page = earlier[-limit:]
        if cursor and self._repeat_cursor:
            next_cursor = cursor
        return self._list_answer([list_item(view) for view in page], next_cursor)

    def _list_answer(self, items: list[dict[str, Any]], next_cursor: str | None) -> httpx.Response:
        tolerated = self._tolerated()
        stripped = self._idless_names
        if stripped is not None:
            for item in items:
                if not stripped or item.get("name") in stripped:
                    item.pop("id", None)
            tolerated += ("'id' is a required property",)
        body: Any = items if self.bare_array_list else {"items": items, "nextCursor": next_cursor}
        return json_response(200, body, fake_tolerated=tolerated)

    def _listed_views(self) -> list[dict[str, Any]]:
        """What the (eventually consistent) list shows now: stale views of sandboxes deleted
        a moment ago, no sandboxes created a moment ago (see ``lag_list``)."""
        now = self.clock()
        views = []
        for record in self.sandboxes.values():
            if _lagging(record, "_stale", now):
                views.append(copy.deepcopy(record["_stale_view"]))
            elif record["state"] != "destroyed" and not _lagging(record, "_hidden", now):
                views.append(self._view(record))
        views += [
            copy.deepcopy(g["_stale_view"]) for g in self._ghosts if _lagging(g, "_stale", now)
        ]
        return views

    def _count_list_call(self) -> None:
        for entry in [*self.sandboxes.values(), *self._ghosts]:
            for key in ("_hidden_calls", "_stale_calls"):
                if entry.get(key, 0) > 0:
                    entry[key] -= 1
        now = self.clock()
        self._ghosts = [g for g in self._ghosts if _lagging(g, "_stale", now)]

    def _lag_created(self, record: dict[str, Any]) -> None:
        seconds, calls = self._lag
        if seconds > 0 or calls > 0:
            record["_hidden_until"] = self.clock() + seconds
            record["_hidden_calls"] = calls

    def _lag_removed(self, record: dict[str, Any]) -> None:
        """Keep listing the sandbox as it was, for the list's lag, after a delete."""
        seconds, calls = self._lag
        if (seconds > 0 or calls > 0) and "_stale_view" not in record:
            record["_stale_view"] = list_item(self._view(record))
            record["_stale_until"] = self.clock() + seconds
            record["_stale_calls"] = calls

    # -- one sandbox -------------------------------------------------------------------------

    def _create_sandbox(self, request: httpx.Request) -> httpx.Response:
        body = json_body(request)
        check_create_body(body)
        with self._lock:
            self._settle_all()
            record, snapshot = self._build_record(body)
            if self._named(record["name"]) is not None:
                raise ApiError(409, f"Sandbox with name {record['name']} already exists")
            if snapshot is not None:
                snapshot["lastUsedAt"] = record["createdAt"]
            self.sandboxes[record["id"]] = record
            self._lag_created(record)
            failure, self._next_create_failure = self._next_create_failure, None
            final: dict[str, Any] = {"state": "started"}
            if failure is not None:
                final = {"state": failure[0], "errorReason": failure[1], "recoverable": False}
            first = {
                "state": "creating" if snapshot else "pending_build",
                "desiredState": "started",
            }
            middle = () if snapshot else ({"state": "building_snapshot"},)
            self._schedule(record, first, *middle, final)
            view = self._view(record)
        return self._answer(self._await_stable(view, self.create_wait_seconds))

    def _build_record(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A new sandbox from a CreateSandbox body, and the snapshot it uses (None for a build)."""
        resources = {field: body[field] for field in RESOURCE_FIELDS if body.get(field) is not None}
        sandbox_id = str(uuid.uuid4())
        now = self._iso(None)
        record = new_record(sandbox_id, body.get("name") or sandbox_id, now)
        snapshot = None
        if body.get("buildInfo") is not None:
            if body.get("snapshot"):
                raise ApiError(400, "Cannot specify a snapshot when using a build info entry")
            record["buildInfo"] = build_info(body["buildInfo"], now)
            record.update(resources)
        else:
            if resources:
                raise ApiError(400, "Cannot specify Sandbox resources when using a snapshot")
            snapshot = self._find_snapshot(body.get("snapshot") or DEFAULT_SNAPSHOT)
            record.update(
                snapshot=snapshot["name"],
                cpu=snapshot["cpu"],
                memory=snapshot["mem"],
                disk=snapshot["disk"],
                gpu=snapshot["gpu"],
                sandboxClass=snapshot.get("sandboxClass") or "container",
            )
        for field in ("user", "target", "env", "labels", "networkAllowList", "domainAllowList"):
            if body.get(field):
                record[field] = copy.deepcopy(body[field])
        for field in ("public", "networkBlockAll", "autoStopInterval", "autoDeleteInterval"):
            if body.get(field) is not None:
                record[field] = body[field]
        if body.get("autoArchiveInterval") is not None:
            # 0 means the longest interval allowed, and longer ones are cut down to it.
            record["autoArchiveInterval"] = (
                min(body["autoArchiveInterval"], MAX_AUTO_ARCHIVE_MINUTES)
                or MAX_AUTO_ARCHIVE_MINUTES
            )
        self._apply_newer_create_fields(record, body)
        return record, snapshot

    def _apply_newer_create_fields(self, record: dict[str, Any], body: dict[str, Any]) -> None:
        """Auto-pause, TTL, spot, volumes and secrets (CreateSandbox, NOTES.md "Sandboxes")."""
        pausable = record["sandboxClass"] in PAUSABLE_CLASSES
        if body.get("autoPauseInterval"):
            if not pausable:
                raise ApiError(400, "Auto-pause is not supported for this sandbox class")
            if record["autoDeleteInterval"] == 0:
                raise ApiError(400, "Auto-pause is not allowed for ephemeral sandboxes")
            record.update(autoPauseInterval=body["autoPauseInterval"], autoStopInterval=0)
        elif pausable and body.get("autoStopInterval") is None and record["autoDeleteInterval"]:
            record.update(autoPauseInterval=DEFAULT_AUTO_PAUSE_MINUTES, autoStopInterval=0)
        if body.get("ttlMinutes"):
            record["_destroy_at"] = self.clock() + body["ttlMinutes"] * 60
            record["autoDestroyAt"] = self._iso(record["_destroy_at"])
        if body.get("spot"):
            if not record["gpu"]:
                raise ApiError(400, "Spot is only supported for GPU sandboxes")
            record["spot"] = True
        record["volumes"] = [self._resolve_volume(volume) for volume in body.get("volumes") or []]
        for entry in body.get("secrets") or []:
            for env_name, secret_name in entry.items():
                if secret_name not in self.secrets:
                    raise ApiError(400, f"Secret {secret_name} not found")
                record["_secrets"][env_name] = self.secrets[secret_name]

    def _resolve_volume(self, volume: dict[str, Any]) -> dict[str, Any]:
        wanted = volume["volumeId"]
        found = next((vid for vid, name in self.volumes.items() if wanted in (vid, name)), None)
        if found is None:
            raise ApiError(400, f"Volume {wanted} not found")
        return {**volume, "volumeId": found}

    def _find_snapshot(self, id_or_name: str) -> dict[str, Any]:
        matches = [s for s in self.snapshots if id_or_name in (s["name"], s["id"])]
        if not matches:
            raise ApiError(
                400,
                f"Snapshot {id_or_name} not found. Did you add it through the Daytona Dashboard?",
            )
        active = [snapshot for snapshot in matches if snapshot["state"] == "active"]
        if not active:
            raise ApiError(400, f"Snapshot {id_or_name} is {matches[0]['state']}")
        return active[0]

    def _get_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        bool_param(request.url.params, "verbose")
        with self._lock:
            return self._answer(self._view(self._require(id_or_name)))

    def _start_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        """Start a stopped sandbox, restore an archived one (slower), resume a paused one."""
        with self._lock:
            record = self._require(id_or_name)
            if record["state"] == "started" and record["desiredState"] == "started":
                return self._answer(self._view(record))
            self._refuse_if_busy(record)
            previous = record["state"]
            if previous in ("error", "build_failed"):
                raise ApiError(400, "Sandbox is in an errored state")
            passing = {"stopped": "starting", "archived": "restoring", "paused": "resuming"}
            if previous not in passing:
                raise ApiError(400, "Sandbox is not in valid state")
            seconds = self.restore_seconds if previous == "archived" else None
            self._schedule(
                record,
                {"state": passing[previous], "desiredState": "started"},
                {"state": "started"},
                seconds=seconds,
            )
            return self._answer(_as_answered(self._view(record), previous))

    def _stop_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        # `force` only changes the signal the runner sends; still reject a malformed one.
        bool_param(request.url.params, "force")
        with self._lock:
            record = self._require(id_or_name)
            self._refuse_if_busy(record)
            if record["state"] != "started":
                raise ApiError(400, "Sandbox is not in a stoppable state")
            if record["autoDeleteInterval"] == 0:
                # Ephemeral: the server sets the desired state to destroyed right away.
                steps: tuple[dict[str, Any], ...] = (
                    {"state": "destroying"},
                    {"state": "destroyed"},
                )
                desired = "destroyed"
            else:
                steps, desired = ({"state": "stopped"},), "stopped"
            self._schedule(record, {"state": "stopping", "desiredState": desired}, *steps)
            answer = self._answer(_as_answered(self._view(record), "started"))
        self._end_sessions(record["id"])
        return answer

    def _pause_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        """started → pausing → paused; VM classes only (NOTES.md)."""
        with self._lock:
            record = self._require(id_or_name)
            self._refuse_if_busy(record)
            if record["sandboxClass"] not in PAUSABLE_CLASSES:
                raise ApiError(422, "Pausing is not supported for this sandbox")
            if record["state"] != "started":
                raise ApiError(400, "Sandbox must be in started state to pause")
            self._schedule(
                record, {"state": "pausing", "desiredState": "paused"}, {"state": "paused"}
            )
            return self._answer(_as_answered(self._view(record), "started"))

    def _archive_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        """stopped → archiving → archived (NOTES.md)."""
        with self._lock:
            record = self._require(id_or_name)
            self._refuse_if_busy(record)
            if record["state"] != "stopped":
                raise ApiError(400, "Sandbox is not stopped")
            self._schedule(
                record, {"state": "archiving", "desiredState": "archived"}, {"state": "archived"}
            )
            return self._answer(_as_answered(self._view(record), "stopped"))

    def _delete_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        """Renamed ``DESTROYED_<name>_<epoch ms>`` at once (unless ``rename_on_delete`` is
        off), the name free again; destroying, then gone. The answer shows ``destroying``."""
        with self._lock:
            record = self._require(id_or_name)
            if record["state"] == "destroyed":
                return self._answer(self._view(record))
            self._refuse_if_busy(record)
            self._lag_removed(record)
            first: dict[str, Any] = {"state": "destroying", "desiredState": "destroyed"}
            if self.rename_on_delete:
                epoch_ms = int(self._epoch_seconds(self.clock()) * 1000)
                first["name"] = f"DESTROYED_{record['name']}_{epoch_ms}"
            self._schedule(record, first, {"state": "destroyed"})
            answer = self._answer(self._view(record))
        self._end_sessions(record["id"])
        return answer

    def _toolbox_proxy_url(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        with self._lock:
            self._settle_all()
            record = self.sandboxes.get(sandbox_id)
            if record is None or not visible(record):
                raise ApiError(404, f"Sandbox with ID {sandbox_id} not found")
            return json_response(200, {"url": self.proxy_url})

    def _build_logs_url(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        with self._lock:
            record = self._require(id_or_name)
            return json_response(200, {"url": f"{self.base_url}/sandbox/{record['id']}/build-logs"})

    # -- SSH access and preview URLs ---------------------------------------------------------

    def _create_ssh_access(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        raw = request.url.params.get("expiresInMinutes")
        minutes = 60.0 if raw is None else number("expiresInMinutes", raw)
        if minutes <= 0:
            raise ApiError(400, "expiresInMinutes must be a positive number")
        with self._lock:
            record = self._require(id_or_name)
            now = self.clock()
            token = secrets.token_hex(16)
            access = {
                "id": str(uuid.uuid4()),
                "sandboxId": record["id"],
                "token": token,
                "expiresAt": self._iso(now + minutes * 60),
                "createdAt": self._iso(now),
                "updatedAt": self._iso(now),
                "sshCommand": f"ssh -p {self.ssh_port} {token}@{self.ssh_host}",
            }
            self.ssh_access.append({**access, "revoked": False, "_expires": now + minutes * 60})
            return json_response(200, access)

    def _revoke_ssh_access(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        """One token, or (without ``token``) all of the sandbox's; an unknown token is no
        error (the server deletes matching rows, of which there may be none)."""
        token = request.url.params.get("token")
        with self._lock:
            record = self._require(id_or_name)
            for access in self.ssh_access:
                if access["sandboxId"] == record["id"] and token in (None, access["token"]):
                    access["revoked"] = True
            return self._answer(self._view(record))

    def _preview_url(
        self, request: httpx.Request, id_or_name: str, port: str, signed: bool
    ) -> httpx.Response:
        try:
            number_port = int(port)
        except ValueError:
            raise ApiError(400, "Validation failed (numeric string is expected)") from None
        if not 1 <= number_port <= 65535:
            raise ApiError(400, "Invalid port")
        seconds = int_param(
            request.url.params, "expiresInSeconds", default=60, low=1,
            high=MAX_SIGNED_PREVIEW_SECONDS,
        )  # fmt: skip
        with self._lock:
            record = self._require(id_or_name)
            if not signed:
                token = record.setdefault("_preview_token", secrets.token_hex(12))
                url = f"https://{number_port}-{record['id']}.{self.preview_domain}"
                return json_response(200, {"sandboxId": record["id"], "url": url, "token": token})
            token = secrets.token_hex(12)
            url = f"https://{number_port}-{token}.{self.preview_domain}"
            answer = {"sandboxId": record["id"], "port": number_port, "token": token, "url": url}
            self.signed_previews.append({**answer, "_expires": self.clock() + seconds})
            return json_response(200, answer)

    # -- snapshots ---------------------------------------------------------------------------

    def _list_snapshots(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        page = int_param(params, "page", default=1, low=1, high=None)
        limit = int_param(params, "limit", default=100, low=1, high=200)
        sort = choice_param(params, "sort", SNAPSHOT_SORT_FIELDS, "lastUsedAt")
        descending = choice_param(params, "order", ("asc", "desc"), "desc") == "desc"
        name = (params.get("name") or "").lower()
        with self._lock:
            matching = [copy.deepcopy(s) for s in self.snapshots if name in s["name"].lower()]

        def key(snapshot: dict[str, Any]) -> tuple[int, Any]:
            # Postgres puts nulls last going up and first going down.
            value = snapshot[sort]
            if value is None:
                return 1, 0
            return 0, timestamp(value) if sort in ("lastUsedAt", "createdAt") else value

        matching.sort(key=key, reverse=descending)
        items = matching[(page - 1) * limit : page * limit]
        total_pages = math.ceil(len(matching) / limit)
        return json_response(
            200, {"items": items, "total": len(matching), "page": page, "totalPages": total_pages}
        )

    # -- state -------------------------------------------------------------------------------

    def _schedule(
        self,
        record: dict[str, Any],
        first: dict[str, Any],
        *later: dict[str, Any],
        seconds: float | None = None,
    ) -> None:
        """Apply ``first`` now and each of ``later`` ``seconds`` (default
        ``transition_seconds``) after the last. A step ``{"state": "destroyed"}`` removes the
        sandbox. Steps are applied lazily, by ``_settle``, whenever the sandbox is looked at."""
        now = self.clock()
        step_seconds = self.transition_seconds if seconds is None else seconds
        _apply(record, first, self._iso(now))
        record["_steps"] = [(now + step_seconds * (n + 1), step) for n, step in enumerate(later)]

    def _settle(self, record: dict[str, Any]) -> None:
        now = self.clock()
        steps = record["_steps"]
        while steps and steps[0][0] <= now:
            due, step = steps.pop(0)
            if step.get("state") == "destroyed":
                self._remove(record)
                return
            _apply(record, step, self._iso(due))
        for key in ("_destroy_at", "_gone_at"):
            if record.get(key) is not None and record[key] <= now:
                self._remove(record)
                return

    def _remove(self, record: dict[str, Any]) -> None:
        self.sandboxes.pop(record["id"], None)
        if _lagging(record, "_stale", self.clock()):
            self._ghosts.append(record)

    def _settle_all(self) -> None:
        for record in list(self.sandboxes.values()):
            self._settle(record)

    def _await_stable(self, view: dict[str, Any], seconds: float) -> dict[str, Any]:
        """The sandbox once stable, or as it stands after ``seconds`` (as create answers)."""
        deadline = self.wait_clock() + seconds
        while view["state"] not in STABLE_STATES and self.wait_clock() < deadline:
            self.wait_sleep(min(0.01, max(0.0, deadline - self.wait_clock())))
            with self._lock:
                self._settle_all()
                record = self.sandboxes.get(view["id"])
                if record is None:
                    break
                view = self._view(record)
        return view

    def _lookup(self, id_or_name: str) -> dict[str, Any] | None:
        """ID first, then name, as the server does; hides what the server hides."""
        record = self.sandboxes.get(id_or_name) or self._named(id_or_name)
        return record if record is not None and visible(record) else None

    def _named(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.sandboxes.values() if r["name"] == name), None)

    def _require(self, id_or_name: str) -> dict[str, Any]:
        self._settle_all()
        record = self._lookup(id_or_name)
        if record is None:
            raise ApiError(404, f"Sandbox with ID or name {id_or_name} not found")
        return record

    @staticmethod
    def _refuse_if_busy(record: dict[str, Any]) -> None:
        """409 while a transition is pending (a platform-destroyed record is not pending)."""
        if record["_steps"] or record["state"] not in STABLE_STATES | {"destroyed"}:
            raise ApiError(409, "Sandbox state change in progress")

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        view = {
            key: copy.deepcopy(value)
            for key, value in record.items()
            if not key.startswith("_") and value is not None
        }
        if self.server_version != "old":
            view["toolboxProxyUrl"] = self.proxy_url
        return view

    def _answer(self, body: dict[str, Any]) -> httpx.Response:
        return json_response(200, body, fake_tolerated=self._tolerated(body))

    def _tolerated(self, body: dict[str, Any] | None = None) -> tuple[str, ...]:
        """What an answer may break on purpose: an old server's records have no proxy URL;
        ``queueTimedOutAt`` is real (NOTES.md, SDK 0.226.1) but missing from the spec subset."""
        tolerated: tuple[str, ...] = ()
        if self.server_version == "old":
            tolerated += ("'toolboxProxyUrl' is a required property",)
        if body is not None and "queueTimedOutAt" in body:
            tolerated += ("'queueTimedOutAt' was unexpected",)
        return tolerated


def _lagging(entry: dict[str, Any], kind: str, now: float) -> bool:
    """Whether a ``_hidden`` (created) or ``_stale`` (deleted) lag still holds."""
    until = entry.get(f"{kind}_until")
    if until is None:
        return False
    return bool(now < until or entry.get(f"{kind}_calls", 0) > 0)


def _apply(record: dict[str, Any], step: dict[str, Any], at: str) -> None:
    for key, value in step.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    record["updatedAt"] = at


def _as_answered(view: dict[str, Any], previous_state: str) -> dict[str, Any]:
    """Lifecycle actions answer before the runner acts: the server's answer still shows the
    old ``state``, with only ``desiredState`` (and a delete's new name) changed (apps/api
    sandbox.service). A client that stops polling at the first stable state it sees would
    finish at once."""
    return {**view, "state": previous_state}
