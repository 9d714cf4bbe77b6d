"""A stateful fake of the Daytona API, for the CLI's tests.

One object, two transports: ``httpx.MockTransport(fake.handler)`` runs the real client code
in-process, and ``fake.serve()`` puts the same logic behind a loopback HTTP server so that
end-to-end tests can run the installed command as a subprocess. It copies the real server's
habits (see the API notes and ``tests/openapi.yaml``): sandboxes take time to change state,
actions during a transition are refused, errors carry Daytona's error body, names are looked up
after IDs, list filters use SQL ``ILIKE`` prefixes. Unknown routes answer 501, so a client bug
cannot hide behind a lenient fake.

Try the CLI against it by hand with ``python -m tests.fake_daytona --seed``.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import binascii
import contextlib
import copy
import fnmatch
import hashlib
import http
import json
import math
import operator
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cmp_to_key, partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import httpx

ORGANIZATION_ID = "0b6f3a5e-7c1d-4e2a-9f00-fa4ed0a7c0de"
DEFAULT_SNAPSHOT = "daytonaio/sandbox:0.4.3"
PROXY_PATH = "/toolbox-proxy"
"""Where the loopback server answers toolbox-proxy calls; also how faults and ``requests_to``
name proxy calls in either transport (``/toolbox-proxy/<sandbox id>/process/execute``)."""

SANDBOX_STATES = (
    "creating",
    "restoring",
    "destroyed",
    "destroying",
    "started",
    "stopped",
    "starting",
    "stopping",
    "error",
    "build_failed",
    "pending_build",
    "building_snapshot",
    "unknown",
    "pulling_snapshot",
    "archived",
    "archiving",
    "resizing",
    "snapshotting",
    "forking",
    "pausing",
    "paused",
    "resuming",
)
LISTABLE_STATES = tuple(state for state in SANDBOX_STATES if state != "destroyed")
STABLE_STATES = frozenset({"started", "stopped", "archived", "error", "build_failed"})
ERRORED_STATES = frozenset({"error", "build_failed"})
DESIRED_STATE = {
    "stopped": "stopped",
    "stopping": "stopped",
    "archived": "archived",
    "archiving": "archived",
    "destroying": "destroyed",
    "paused": "paused",
    "pausing": "paused",
}
"""Desired state of a sandbox added in a given state; anything else wants to be started."""

LIST_ITEM_FIELDS = frozenset(
    {
        "id",
        "organizationId",
        "name",
        "target",
        "runnerId",
        "sandboxClass",
        "state",
        "desiredState",
        "snapshot",
        "user",
        "errorReason",
        "recoverable",
        "public",
        "cpu",
        "gpu",
        "gpuType",
        "memory",
        "disk",
        "labels",
        "backupState",
        "autoStopInterval",
        "autoArchiveInterval",
        "autoDeleteInterval",
        "createdAt",
        "updatedAt",
        "lastActivityAt",
        "daemonVersion",
        "toolboxProxyUrl",
    }
)
"""The fields of SandboxListItem: a list answer has no env, volumes or buildInfo."""
SORT_FIELDS = {
    "name": "name",
    "cpu": "cpu",
    "memoryGib": "memory",
    "diskGib": "disk",
    "lastActivityAt": "lastActivityAt",
    "createdAt": "createdAt",
}
DATE_FIELDS = frozenset({"createdAt", "updatedAt", "lastActivityAt", "lastUsedAt"})
SNAPSHOT_SORT_FIELDS = ("name", "state", "lastUsedAt", "createdAt")
RESOURCE_FIELDS = ("cpu", "memory", "disk", "gpu")
MAX_AUTO_ARCHIVE_MINUTES = 43200

_TYPE_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda value: isinstance(value, str), "must be a string"),
    "boolean": (lambda value: isinstance(value, bool), "must be a boolean value"),
    "integer": (
        lambda value: isinstance(value, int) and not isinstance(value, bool),
        "must be an integer number",
    ),
    "number": (
        lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
        "must be a number conforming to the specified constraints",
    ),
    "object": (lambda value: isinstance(value, dict), "must be an object"),
    "string map": (
        lambda value: isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
        "must be an object of strings",
    ),
}
"""class-validator's wording for each kind of field; a string map's values become process
environments and labels, so the fake insists on strings there."""
CREATE_FIELDS = {
    "name": "string",
    "snapshot": "string",
    "user": "string",
    "target": "string",
    "networkAllowList": "string",
    "domainAllowList": "string",
    "public": "boolean",
    "networkBlockAll": "boolean",
    "cpu": "integer",
    "gpu": "integer",
    "memory": "integer",
    "disk": "integer",
    "autoStopInterval": "integer",
    "autoArchiveInterval": "integer",
    "autoDeleteInterval": "integer",
    "env": "string map",
    "labels": "string map",
    "buildInfo": "object",
}
UNMODELLED_CREATE_FIELDS = ("volumes", "gpuType", "linkedSandbox")
EXECUTE_FIELDS = {"command": "string", "cwd": "string", "timeout": "number"}


class ApiError(Exception):
    """An answer with Daytona's error body, raised anywhere below the router."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Fault:
    """A scripted answer that replaces the normal one for the next matching requests."""

    method: str
    pattern: str
    status: int
    body: Any
    headers: dict[str, str]
    delay: float
    drop: bool
    trickle: float
    remaining: int


Action = Callable[[httpx.Request], httpx.Response]
Predicate = Callable[[dict[str, Any]], bool]


class FakeDaytona:
    """The Daytona API as one stateful object; see the module docstring."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        transition_seconds: float = 0.05,
        create_wait_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        legacy_execute: bool = True,
        bare_array_list: bool = False,
        base_url: str = "http://fake.daytona.test/api",
        proxy_url: str = "http://fake-proxy.daytona.test/toolbox",
        latency: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.latency = latency
        """Seconds every answer is held back, like a network round trip (for benchmarks)."""
        self.transition_seconds = transition_seconds
        self.create_wait_seconds = create_wait_seconds
        self.clock = clock
        self.legacy_execute = legacy_execute
        self.bare_array_list = bare_array_list
        self.base_url = base_url
        self.proxy_url = proxy_url
        self.sandboxes: dict[str, dict[str, Any]] = {}
        self.snapshots: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []
        self.timings: list[tuple[float, float]] = []
        """(start, end) of every answered request, on ``time.monotonic``, to measure overlap."""
        self._route_paths: list[str] = []
        self._faults: list[_Fault] = []
        self._next_create_failure: tuple[str, str] | None = None
        self._lock = threading.RLock()
        self._workdir: str | None = None
        # Timestamps follow clock(), so that a test's fake clock moves them too.
        self._epoch = time.time()
        self._clock_origin = clock()
        self.add_snapshot(DEFAULT_SNAPSHOT, general=True, size=0.9, lastUsedAt=self._iso(None))

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeDaytona:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the directory that commands ran in."""
        with self._lock:
            workdir, self._workdir = self._workdir, None
        if workdir is not None:
            atexit.unregister(self.close)
            shutil.rmtree(workdir, ignore_errors=True)

    # -- test helpers ------------------------------------------------------------------------

    def add_sandbox(
        self, name: str | None = None, *, state: str = "started", **fields: Any
    ) -> dict[str, Any]:
        """Put a sandbox straight into a state, with no transition pending; returns its API view."""
        if state not in LISTABLE_STATES:
            raise ValueError(f"unknown sandbox state {state!r}")
        with self._lock:
            sandbox_id = str(fields.pop("id", uuid.uuid4()))
            name = name or sandbox_id
            if sandbox_id in self.sandboxes or self._named(name) is not None:
                raise ValueError(f"a sandbox with ID or name {name!r} already exists")
            now = self._iso(None)
            record = self._new_record(sandbox_id, name, now)
            record.update(
                snapshot=DEFAULT_SNAPSHOT,
                state=state,
                desiredState=DESIRED_STATE.get(state, "started"),
            )
            if state in ERRORED_STATES:
                record["errorReason"] = "fake: added in an errored state"
            record.update(fields)
            self.sandboxes[sandbox_id] = record
            return self._view(record)

    def add_snapshot(self, name: str, **fields: Any) -> dict[str, Any]:
        """Add a snapshot (active, 1 CPU / 1 GiB / 3 GiB unless told otherwise); returns it."""
        with self._lock:
            if any(snapshot["name"] == name for snapshot in self.snapshots):
                raise ValueError(f"a snapshot named {name!r} already exists")
            now = self._iso(None)
            snapshot: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "organizationId": ORGANIZATION_ID,
                "general": False,
                "name": name,
                "imageName": name,
                "state": "active",
                "size": None,
                "entrypoint": None,
                "cpu": 1,
                "gpu": 0,
                "mem": 1,
                "disk": 3,
                "errorReason": None,
                "createdAt": now,
                "updatedAt": now,
                "lastUsedAt": None,
            }
            snapshot.update(fields)
            self.snapshots.append(snapshot)
            return copy.deepcopy(snapshot)

    def seed(self, sandboxes: int = 3, snapshots: int = 3) -> None:
        """Add demo data: snapshots of a few images, sandboxes across stable states and labels."""
        images = ("python:3.12", "node:22", "ubuntu:24.04")
        with self._lock:
            now = self.clock()
            base = len(self.snapshots)
            for index in range(base, base + snapshots):
                self.add_snapshot(
                    f"fake/{images[index % len(images)]}-{index}",
                    cpu=1 + index % 4,
                    mem=2 ** (index % 3),
                    disk=3 + index,
                    size=round(0.5 + index / 4, 2),
                    entrypoint=["sleep", "infinity"],
                    createdAt=self._iso(now - 86400 * (index + 1)),
                    lastUsedAt=self._iso(now - 3600 * index),
                )
            usable = [snapshot for snapshot in self.snapshots if snapshot["state"] == "active"]
            base = len(self.sandboxes)
            for index in range(base, base + sandboxes):
                snapshot = usable[index % len(usable)]
                self.add_sandbox(
                    f"demo-{index + 1}",
                    state=("started", "stopped", "archived")[index % 3],
                    snapshot=snapshot["name"],
                    cpu=snapshot["cpu"],
                    memory=snapshot["mem"],
                    disk=snapshot["disk"],
                    labels={"team": "ab"[index % 2], "seeded": "true"},
                    createdAt=self._iso(now - 3600 * (index + 1)),
                    lastActivityAt=self._iso(now - 600 * (index + 1)),
                )

    def sandbox(self, id_or_name: str) -> dict[str, Any] | None:
        """The sandbox as the API would show it now, or None once it is gone."""
        with self._lock:
            self._settle_all()
            record = self._lookup(id_or_name)
            return None if record is None else self._view(record)

    def inject(
        self,
        method: str,
        path: str,
        *,
        status: int = 500,
        json: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
        trickle: float = 0.0,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with this instead of the normal answer.

        ``path`` is matched (fnmatch, ``*`` crosses ``/``) against the path after the base,
        e.g. ``/sandbox/*/stop``; proxy calls are named ``/toolbox-proxy/<id>/process/execute``.
        ``json=None`` sends the documented error body for ``status``. ``drop`` closes the
        connection unanswered (in-process: raises ``httpx.RemoteProtocolError``); ``trickle``
        sends the body one byte per ``trickle`` seconds.
        """
        fault = _Fault(
            method.upper(), path, status, json, dict(headers or {}), delay, drop, trickle, times
        )
        with self._lock:
            self._faults.append(fault)

    def pending_faults(self) -> list[tuple[str, str, int]]:
        """(method, path pattern, answers left) of injected faults not yet used up."""
        with self._lock:
            return [(fault.method, fault.pattern, fault.remaining) for fault in self._faults]

    def fail_next_create(
        self, state: str = "error", reason: str = "fake: the sandbox failed to start"
    ) -> None:
        """Make the next created sandbox end its transition in ``state`` with ``reason``."""
        if state not in ERRORED_STATES:
            raise ValueError(f"a failed create ends in one of {sorted(ERRORED_STATES)}")
        with self._lock:
            self._next_create_failure = (state, reason)

    def requests_to(self, method: str, path_pattern: str) -> list[httpx.Request]:
        """Requests received so far whose method and path (as for ``inject``) match."""
        with self._lock:
            return [
                request
                for request, path in zip(self.requests, self._route_paths)
                if fnmatch.fnmatchcase(request.method, method.upper())
                and fnmatch.fnmatchcase(path, path_pattern)
            ]

    def max_concurrency(self) -> int:
        """The largest number of requests that were being answered at the same moment."""
        with self._lock:
            events = sorted(
                [(start, 1) for start, _ in self.timings] + [(end, -1) for _, end in self.timings]
            )
        running = peak = 0
        for _, change in events:
            running += change
            peak = max(peak, running)
        return peak

    # -- transports --------------------------------------------------------------------------

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request in-process; give it to ``httpx.MockTransport``.

        The answer comes back unread, as from a real connection, so that clients that stream
        it (``iter_raw``) work; ``exchanges`` keeps a read copy.
        """
        request.read()
        started = self._arrive(request)
        try:
            response, fault = self._respond(request)
            if fault is not None and fault.drop:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            self._record(request, response)
            trickle = fault.trickle if fault is not None else 0.0
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=_BodyStream(response.content, trickle),
            )
        finally:
            self._depart(started)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on a loopback port in a daemon thread; yields the base URL (ending in /api).

        While serving, sandboxes give out ``http://host:port/toolbox-proxy`` as their
        toolbox proxy URL, so that the proxy route works end to end.
        """
        server = _LoopbackServer((host, port), self)
        saved = self.base_url, self.proxy_url
        with self._lock:
            self.base_url = server.origin + "/api"
            self.proxy_url = server.origin + PROXY_PATH
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield self.base_url
        finally:
            server.shutdown()
            server.hang_up()
            server.server_close()
            thread.join()
            with self._lock:
                self.base_url, self.proxy_url = saved

    # -- request plumbing --------------------------------------------------------------------

    def _arrive(self, request: httpx.Request) -> float:
        with self._lock:
            self.requests.append(request)
            self._route_paths.append(self._locate(request)[0])
        return time.monotonic()

    def _record(self, request: httpx.Request, response: httpx.Response) -> None:
        response.request = request
        with self._lock:
            self.exchanges.append((request, response))

    def _depart(self, started: float) -> None:
        with self._lock:
            self.timings.append((started, time.monotonic()))

    def _respond(self, request: httpx.Request) -> tuple[httpx.Response, _Fault | None]:
        """The answer to a request, and the fault that replaced the normal answer, if any."""
        if self.latency > 0:
            time.sleep(self.latency)
        route_path, segments, is_proxy = self._locate(request)
        fault = self._take_fault(request.method, route_path)
        if fault is not None:
            if fault.delay > 0:
                time.sleep(fault.delay)
            if fault.body is None:
                response = self._error(
                    request, ApiError(fault.status, _default_message(fault.status))
                )
            else:
                response = _json_response(fault.status, fault.body)
            response.headers.update(fault.headers)
            return response, fault
        try:
            action = self._route(request, segments, is_proxy)
            if action is None:
                raise ApiError(501, f"fake: no route for {request.method} {request.url.path}")
            self._authenticate(request)
            return action(request), None
        except ApiError as error:
            return self._error(request, error), None

    def _locate(self, request: httpx.Request) -> tuple[str, list[str], bool]:
        """(path after the base, its percent-decoded segments, whether it is a proxy call)."""
        raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        proxy = httpx.URL(self.proxy_url)
        proxy_path = proxy.raw_path.decode("ascii").split("?", 1)[0].rstrip("/")
        same_origin = (request.url.scheme, request.url.host, request.url.port) == (
            proxy.scheme,
            proxy.host,
            proxy.port,
        )
        if same_origin and raw_path.startswith(proxy_path + "/"):
            segments = _segments(raw_path[len(proxy_path) :])
            return PROXY_PATH + "/" + "/".join(segments), segments, True
        if raw_path == "/api" or raw_path.startswith("/api/"):
            raw_path = raw_path[len("/api") :] or "/"
        segments = _segments(raw_path)
        return "/" + "/".join(segments), segments, False

    def _take_fault(self, method: str, route_path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fnmatch.fnmatchcase(method, fault.method) and fnmatch.fnmatchcase(
                    route_path, fault.pattern
                ):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _route(self, request: httpx.Request, segments: list[str], is_proxy: bool) -> Action | None:
        if is_proxy:
            match request.method, segments:
                case "POST", [sandbox_id, "process", "execute"]:
                    return partial(self._execute, sandbox_id=sandbox_id, proxy=True)
            return None
        match request.method, segments:
            case "GET", ["sandbox"]:
                return self._list_sandboxes
            case "POST", ["sandbox"]:
                return self._create_sandbox
            case "GET", ["sandbox", id_or_name]:
                return partial(self._get_sandbox, id_or_name=id_or_name)
            case "DELETE", ["sandbox", id_or_name]:
                return partial(self._delete_sandbox, id_or_name=id_or_name)
            case "POST", ["sandbox", id_or_name, "start"]:
                return partial(self._start_sandbox, id_or_name=id_or_name)
            case "POST", ["sandbox", id_or_name, "stop"]:
                return partial(self._stop_sandbox, id_or_name=id_or_name)
            case "GET", ["sandbox", sandbox_id, "toolbox-proxy-url"]:
                return partial(self._toolbox_proxy_url, sandbox_id=sandbox_id)
            case "GET", ["snapshots"]:
                return self._list_snapshots
            case "POST", ["toolbox", sandbox_id, "toolbox", "process", "execute"]:
                if not self.legacy_execute:
                    # A route the server no longer has: Nest's router answers before any guard.
                    raise ApiError(404, f"Cannot POST {request.url.path}")
                return partial(self._execute, sandbox_id=sandbox_id, proxy=False)
        return None

    def _authenticate(self, request: httpx.Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.api_key:
            raise ApiError(401, "Invalid credentials")

    def _error(self, request: httpx.Request, error: ApiError) -> httpx.Response:
        try:
            reason = http.HTTPStatus(error.status).phrase
        except ValueError:
            reason = "Error"
        body = {
            "path": request.url.raw_path.decode("ascii"),
            "timestamp": self._iso(None),
            "statusCode": error.status,
            "error": reason,
            "message": error.message,
        }
        return _json_response(error.status, body)

    # -- sandboxes ---------------------------------------------------------------------------

    def _list_sandboxes(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = _int_param(params, "limit", default=100, low=1, high=200)
        sort = SORT_FIELDS[_choice_param(params, "sort", tuple(SORT_FIELDS), "lastActivityAt")]
        descending = _choice_param(params, "order", ("asc", "desc"), "desc") == "desc"
        keep = _sandbox_filters(params)
        with self._lock:
            self._settle_all()
            records = [record for record in self.sandboxes.values() if keep(record)]
            views = [self._view(record) for record in records]

        def key(view: dict[str, Any]) -> tuple[Any, float, str]:
            value = _timestamp(view[sort]) if sort in DATE_FIELDS else view[sort]
            return value, _timestamp(view["createdAt"]), view["id"]

        def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
            return _compare_keys(key(a), key(b), descending)

        views.sort(key=cmp_to_key(compare))
        if self.bare_array_list:
            return _json_response(200, [_list_item(view) for view in views])
        cursor = params.get("cursor")
        if cursor:
            after = _decode_cursor(cursor, sort, descending)
            views = [view for view in views if _compare_keys(key(view), after, descending) > 0]
        page = views[:limit]
        next_cursor = (
            _encode_cursor(key(page[-1]), sort, descending) if len(views) > limit else None
        )
        return _json_response(
            200, {"items": [_list_item(view) for view in page], "nextCursor": next_cursor}
        )

    def _create_sandbox(self, request: httpx.Request) -> httpx.Response:
        body = _json_body(request)
        _check_create_body(body)
        with self._lock:
            self._settle_all()
            record, snapshot = self._build_record(body)
            if self._named(record["name"]) is not None:
                raise ApiError(409, f"Sandbox with name {record['name']} already exists")
            if snapshot is not None:
                snapshot["lastUsedAt"] = record["createdAt"]
            self.sandboxes[record["id"]] = record
            failure, self._next_create_failure = self._next_create_failure, None
            final: dict[str, Any] = {"state": "started"}
            if failure is not None:
                final = {"state": failure[0], "errorReason": failure[1], "recoverable": False}
            if snapshot is not None:
                self._schedule(record, {"state": "creating", "desiredState": "started"}, final)
            else:
                self._schedule(
                    record,
                    {"state": "pending_build", "desiredState": "started"},
                    {"state": "building_snapshot"},
                    final,
                )
            view = self._view(record)
        return _json_response(200, self._await_stable(view, self.create_wait_seconds))

    def _build_record(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A new sandbox from a CreateSandbox body, and the snapshot it uses (None for a build)."""
        resources = {field: body[field] for field in RESOURCE_FIELDS if body.get(field) is not None}
        build_info = body.get("buildInfo")
        sandbox_id = str(uuid.uuid4())
        now = self._iso(None)
        record = self._new_record(sandbox_id, body.get("name") or sandbox_id, now)
        snapshot = None
        if build_info is not None:
            if body.get("snapshot"):
                raise ApiError(400, "Cannot specify a snapshot when using a build info entry")
            record["buildInfo"] = _build_info(build_info, now)
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
        return record, snapshot

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
        with self._lock:
            return _json_response(200, self._view(self._require(id_or_name)))

    def _start_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        with self._lock:
            record = self._require(id_or_name)
            if record["state"] == "started" and record["desiredState"] == "started":
                return _json_response(200, self._view(record))
            self._refuse_if_busy(record)
            if record["state"] in ERRORED_STATES:
                raise ApiError(400, "Sandbox is in an errored state")
            if record["state"] not in ("stopped", "archived"):
                raise ApiError(400, "Sandbox is not in valid state")
            previous = record["state"]
            passing = "restoring" if previous == "archived" else "starting"
            self._schedule(
                record, {"state": passing, "desiredState": "started"}, {"state": "started"}
            )
            return _json_response(200, _as_answered(self._view(record), previous))

    def _stop_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        # `force` only changes the signal the runner sends; still reject a malformed one.
        _bool_param(request.url.params, "force")
        with self._lock:
            record = self._require(id_or_name)
            self._refuse_if_busy(record)
            if record["state"] != "started":
                raise ApiError(400, "Sandbox is not in a stoppable state")
            previous = record["state"]
            if record["autoDeleteInterval"] == 0:
                # Ephemeral: the server sets the desired state to destroyed right away.
                self._schedule(
                    record,
                    {"state": "stopping", "desiredState": "destroyed"},
                    {"state": "destroying"},
                    {"state": "destroyed"},
                )
            else:
                self._schedule(
                    record, {"state": "stopping", "desiredState": "stopped"}, {"state": "stopped"}
                )
            return _json_response(200, _as_answered(self._view(record), previous))

    def _delete_sandbox(self, request: httpx.Request, id_or_name: str) -> httpx.Response:
        with self._lock:
            record = self._require(id_or_name)
            self._refuse_if_busy(record)
            self._schedule(
                record, {"state": "destroying", "desiredState": "destroyed"}, {"state": "destroyed"}
            )
            return _json_response(200, self._view(record))

    def _toolbox_proxy_url(self, request: httpx.Request, sandbox_id: str) -> httpx.Response:
        with self._lock:
            self._settle_all()
            record = self.sandboxes.get(sandbox_id)
            if record is None or not _visible(record):
                raise ApiError(404, f"Sandbox with ID {sandbox_id} not found")
            return _json_response(200, {"url": self.proxy_url})

    # -- execute -----------------------------------------------------------------------------

    def _execute(self, request: httpx.Request, sandbox_id: str, proxy: bool) -> httpx.Response:
        """Run the command for real, in a directory of the sandbox's own (or in ``cwd``)."""
        body = _json_body(request)
        fields = {**EXECUTE_FIELDS, "envs": "string map"} if proxy else EXECUTE_FIELDS
        _check_types(body, fields)
        if not isinstance(body.get("command"), str):
            raise ApiError(400, "command must be a string")
        with self._lock:
            self._settle_all()
            record = self.sandboxes.get(sandbox_id)
            if record is None or not _visible(record):
                raise ApiError(404, "Sandbox not found")
            if record["state"] != "started":
                raise ApiError(400, "Sandbox is not running")
            record["lastActivityAt"] = self._iso(None)
            home = os.path.join(self._commands_dir(), sandbox_id)
            env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": home, **record["env"]}
        if proxy:
            env.update(body.get("envs") or {})
        os.makedirs(home, exist_ok=True)
        timeout = body.get("timeout") or 0
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
            # The daemon decodes `timeout` into a Go *uint32: 30.0, 1.5 or -1 do not decode.
            raise ApiError(400, "json: cannot unmarshal number into Go struct field of type uint32")
        result = _run_command(
            body["command"], body.get("cwd"), timeout if timeout > 0 else None, env, home
        )
        return _json_response(200, result)

    def _commands_dir(self) -> str:
        if self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="fake-daytona-")
            atexit.register(self.close)
        return self._workdir

    # -- snapshots ---------------------------------------------------------------------------

    def _list_snapshots(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        page = _int_param(params, "page", default=1, low=1, high=None)
        limit = _int_param(params, "limit", default=100, low=1, high=200)
        sort = _choice_param(params, "sort", SNAPSHOT_SORT_FIELDS, "lastUsedAt")
        descending = _choice_param(params, "order", ("asc", "desc"), "desc") == "desc"
        name = (params.get("name") or "").lower()
        with self._lock:
            matching = [copy.deepcopy(s) for s in self.snapshots if name in s["name"].lower()]

        def key(snapshot: dict[str, Any]) -> tuple[int, Any]:
            # Postgres puts nulls last going up and first going down.
            value = snapshot[sort]
            if value is None:
                return 1, 0
            return 0, _timestamp(value) if sort in DATE_FIELDS else value

        matching.sort(key=key, reverse=descending)
        items = matching[(page - 1) * limit : page * limit]
        return _json_response(
            200,
            {
                "items": items,
                "total": len(matching),
                "page": page,
                "totalPages": math.ceil(len(matching) / limit),
            },
        )

    # -- state -------------------------------------------------------------------------------

    def _new_record(self, sandbox_id: str, name: str, now: str) -> dict[str, Any]:
        return {
            "id": sandbox_id,
            "organizationId": ORGANIZATION_ID,
            "name": name,
            "user": "daytona",
            "env": {},
            "labels": {},
            "public": False,
            "networkBlockAll": False,
            "target": "us",
            "cpu": 1,
            "gpu": 0,
            "memory": 1,
            "disk": 3,
            "backupState": "None",
            "autoStopInterval": 15,
            "autoArchiveInterval": 10080,
            "autoDeleteInterval": -1,
            "volumes": [],
            "sandboxClass": "container",
            "runnerId": "fake-runner-1",
            "createdAt": now,
            "updatedAt": now,
            "lastActivityAt": now,
            "_steps": [],
        }

    def _schedule(
        self, record: dict[str, Any], first: dict[str, Any], *later: dict[str, Any]
    ) -> None:
        """Apply ``first`` now and each of ``later`` one ``transition_seconds`` after the last.

        A step ``{"state": "destroyed"}`` removes the sandbox. Steps are applied lazily, by
        ``_settle``, whenever the sandbox is next looked at.
        """
        now = self.clock()
        _apply(record, first, self._iso(now))
        record["_steps"] = [
            (now + self.transition_seconds * (index + 1), step) for index, step in enumerate(later)
        ]

    def _settle(self, record: dict[str, Any]) -> None:
        now = self.clock()
        steps = record["_steps"]
        while steps and steps[0][0] <= now:
            due, step = steps.pop(0)
            if step.get("state") == "destroyed":
                del self.sandboxes[record["id"]]
                return
            _apply(record, step, self._iso(due))

    def _settle_all(self) -> None:
        for record in list(self.sandboxes.values()):
            self._settle(record)

    def _await_stable(self, view: dict[str, Any], seconds: float) -> dict[str, Any]:
        """The sandbox once stable, or as it stands after ``seconds`` (as create answers)."""
        deadline = time.monotonic() + seconds
        while view["state"] not in STABLE_STATES and time.monotonic() < deadline:
            time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
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
        return record if record is not None and _visible(record) else None

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
        if record["_steps"] or record["state"] not in STABLE_STATES:
            raise ApiError(409, "Sandbox state change in progress")

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        view = {
            key: copy.deepcopy(value)
            for key, value in record.items()
            if not key.startswith("_") and value is not None
        }
        view["toolboxProxyUrl"] = self.proxy_url
        return view

    def _iso(self, at: float | None) -> str:
        """ISO-8601 UTC (with milliseconds and Z, as JavaScript writes it) for a clock() reading."""
        moment = self._epoch + ((self.clock() if at is None else at) - self._clock_origin)
        stamp = datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="milliseconds")
        return stamp.replace("+00:00", "Z")


# -- helpers shared by the routes ----------------------------------------------------------------


def _segments(raw_path: str) -> list[str]:
    """Percent-decoded path segments; a trailing slash is ignored, as Express ignores it."""
    segments = [unquote(segment) for segment in raw_path.split("/")[1:]]
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()
    return segments


def _default_message(status: int) -> str:
    messages = {
        401: "Invalid credentials",
        408: "command execution timeout",
        429: "ThrottlerException: Too Many Requests",
        500: "Internal server error",
    }
    try:
        return messages.get(status) or http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _as_answered(view: dict[str, Any], previous_state: str) -> dict[str, Any]:
    """Start and stop answer before the runner acts: the server's answer still shows the old
    ``state``, with only ``desiredState`` changed (apps/api sandbox.service). A client that
    stops polling at the first stable state it sees would finish at once."""
    return {**view, "state": previous_state}


def _json_response(status: int, body: Any) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"content-type": "application/json; charset=utf-8"},
        content=json.dumps(body).encode(),
    )


def _json_body(request: httpx.Request) -> dict[str, Any]:
    """The JSON object in the body; like Express, a body that is not JSON-typed reads as {}."""
    if "json" not in request.headers.get("content-type", "").lower():
        return {}
    try:
        body = json.loads(request.content or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(400, f"Unexpected token in JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "fake: the request body must be a JSON object")
    return body


def _check_types(body: dict[str, Any], fields: dict[str, str]) -> None:
    """class-validator's checks: optional fields (null counts as absent) of a given kind."""
    problems = []
    for field, kind in fields.items():
        value = body.get(field)
        check, message = _TYPE_CHECKS[kind]
        if value is not None and not check(value):
            problems.append(f"{field} {message}")
    if problems:
        raise ApiError(400, ", ".join(problems))


def _check_create_body(body: dict[str, Any]) -> None:
    """What the server's validation rejects before looking at snapshots or names."""
    _check_types(body, CREATE_FIELDS)
    for field in UNMODELLED_CREATE_FIELDS:
        if body.get(field) is not None:
            raise ApiError(501, f"fake: {field} is not modelled")
    build_info = body.get("buildInfo")
    if build_info is not None and not isinstance(build_info.get("dockerfileContent"), str):
        raise ApiError(400, "buildInfo.dockerfileContent must be a string")
    for field, kind in (("autoStopInterval", "Auto-stop"), ("autoArchiveInterval", "Auto-archive")):
        if body.get(field) is not None and body[field] < 0:
            raise ApiError(400, f"{kind} interval must be non-negative")


def _build_info(build_info: dict[str, Any], now: str) -> dict[str, Any]:
    """BuildInfo as the server keeps it: the Dockerfile under a content-derived snapshot ref."""
    hashes = [str(item) for item in build_info.get("contextHashes") or []]
    digest = hashlib.sha256((build_info["dockerfileContent"] + "".join(hashes)).encode())
    info: dict[str, Any] = {
        "dockerfileContent": build_info["dockerfileContent"],
        "snapshotRef": f"daytona-{digest.hexdigest()}:daytona",
        "createdAt": now,
        "updatedAt": now,
    }
    if hashes:
        info["contextHashes"] = hashes
    return info


def _apply(record: dict[str, Any], step: dict[str, Any], at: str) -> None:
    for key, value in step.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    record["updatedAt"] = at


def _visible(record: dict[str, Any]) -> bool:
    """The server hides errored sandboxes that are meant to be destroyed."""
    return not (record["state"] in ERRORED_STATES and record["desiredState"] == "destroyed")


def _list_item(view: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in view.items() if key in LIST_ITEM_FIELDS}


def _timestamp(value: str) -> float:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _compare_keys(a: tuple[Any, float, str], b: tuple[Any, float, str], descending: bool) -> int:
    """The server's order: the sort field, then newest first, then ID (for a total order)."""
    if a[0] != b[0]:
        result = -1 if a[0] < b[0] else 1
        return -result if descending else result
    if a[1] != b[1]:
        return -1 if a[1] > b[1] else 1
    return (a[2] > b[2]) - (a[2] < b[2])


def _encode_cursor(key: tuple[Any, float, str], sort: str, descending: bool) -> str:
    raw = json.dumps({"sort": sort, "desc": descending, "after": list(key)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str, descending: bool) -> tuple[Any, float, str]:
    """The key a cursor points after; 400 unless it came from a list with the same order."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, created, sandbox_id = data["after"]
        valid = (
            data["sort"] == sort
            and data["desc"] is descending
            and isinstance(value, str if sort == "name" else (int, float))
            and isinstance(created, (int, float))
            and isinstance(sandbox_id, str)
        )
    except (ValueError, TypeError, KeyError, binascii.Error):
        valid = False
    if not valid:
        raise ApiError(400, "Invalid cursor")
    return value, created, sandbox_id


def _int_param(
    params: httpx.QueryParams, name: str, *, default: int, low: int, high: int | None
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    number = _number(name, raw)
    if not number.is_integer():
        raise ApiError(400, f"{name} must be an integer number")
    if number < low:
        raise ApiError(400, f"{name} must not be less than {low}")
    if high is not None and number > high:
        raise ApiError(400, f"{name} must not be greater than {high}")
    return int(number)


def _number(name: str, raw: str) -> float:
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ApiError(400, f"{name} must be a number conforming to the specified constraints")
    return number


def _choice_param(
    params: httpx.QueryParams, name: str, choices: tuple[str, ...], default: str
) -> str:
    value = str(params.get(name, default))
    if value not in choices:
        raise ApiError(400, f"{name} must be one of the following values: {', '.join(choices)}")
    return value


def _bool_param(params: httpx.QueryParams, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ApiError(400, f"{name} must be a boolean value")
    return bool(raw == "true")


def _date_param(params: httpx.QueryParams, name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return _timestamp(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a valid ISO 8601 date string") from None


def _ilike_prefix(pattern: str) -> re.Pattern[str]:
    """``ILIKE 'pattern%'`` as a regex: ``%`` and ``_`` in user input are wildcards there too."""
    parts = []
    escaped = False
    for char in pattern:
        if escaped or char not in "%_\\":
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(".*" if char == "%" else ".")
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _sandbox_filters(params: httpx.QueryParams) -> Predicate:
    """A predicate for the list's filters, rejecting bad ones the way the server does."""
    tests: list[Predicate] = []
    for name in ("id", "name"):
        if params.get(name):
            tests.append(_prefix_test(name, params[name]))
    if params.get("labels") is not None:
        try:
            labels = json.loads(params["labels"])
        except json.JSONDecodeError:
            labels = None
        if not isinstance(labels, dict):
            raise ApiError(400, "Invalid labels JSON format")
        tests.append(_labels_test(labels))
    if any(state not in LISTABLE_STATES for state in params.get_list("states")):
        allowed = ", ".join(LISTABLE_STATES)
        raise ApiError(400, f"each value in states must be one of the following values: {allowed}")
    for name, field in (
        ("states", "state"),
        ("snapshots", "snapshot"),
        ("regionIds", "target"),
        ("sandboxClasses", "sandboxClass"),
    ):
        if params.get_list(name):
            tests.append(_one_of_test(field, params.get_list(name)))
    for bound, field in (("Cpu", "cpu"), ("MemoryGiB", "memory"), ("DiskGiB", "disk")):
        low, high = (_size_param(params, prefix + bound) for prefix in ("min", "max"))
        tests.append(_range_test(operator.itemgetter(field), low, high))
    for name, field in (("isPublic", "public"), ("isRecoverable", "recoverable")):
        flag = _bool_param(params, name)
        if flag is not None:
            tests.append(_flag_test(field, flag))
    for name, field in (("createdAt", "createdAt"), ("lastEvent", "lastActivityAt")):
        low, high = (_date_param(params, name + side) for side in ("After", "Before"))
        tests.append(_range_test(_date_reader(field), low, high))
    # Errored sandboxes on their way out are listed only on request.
    include_errored_deleted = bool(_bool_param(params, "includeErroredDeleted"))
    return lambda record: (
        (include_errored_deleted or _visible(record)) and all(test(record) for test in tests)
    )


def _size_param(params: httpx.QueryParams, name: str) -> float | None:
    if params.get(name) is None:
        return None
    size = _number(name, params[name])
    if size < 1:
        raise ApiError(400, f"{name} must not be less than 1")
    return size


def _prefix_test(field: str, pattern: str) -> Predicate:
    regex = _ilike_prefix(pattern)
    return lambda record: regex.match(record[field]) is not None


def _labels_test(labels: dict[str, Any]) -> Predicate:
    return lambda record: all(record["labels"].get(k) == v for k, v in labels.items())


def _one_of_test(field: str, wanted: list[str]) -> Predicate:
    return lambda record: record.get(field) in wanted


def _flag_test(field: str, flag: bool) -> Predicate:
    return lambda record: bool(record.get(field)) is flag


def _date_reader(field: str) -> Callable[[dict[str, Any]], float]:
    return lambda record: _timestamp(record[field])


def _range_test(
    read: Callable[[dict[str, Any]], float], low: float | None, high: float | None
) -> Predicate:
    """Both bounds are inclusive, as the server's range filters are."""
    return lambda record: (
        (low is None or read(record) >= low) and (high is None or read(record) <= high)
    )


def _run_command(
    command: str, cwd: str | None, timeout: float | None, env: dict[str, str], home: str
) -> dict[str, Any]:
    """Pipe ``command`` into a shell, as the daemon does; kill its process group on timeout."""
    if cwd is not None and not os.path.isdir(cwd):
        return {"exitCode": -1, "result": f"chdir {cwd}: no such file or directory"}
    with subprocess.Popen(
        ["/bin/sh"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd or home,
        env=env,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(command.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ApiError(408, "command execution timeout") from None
    # Go reports a process killed by a signal as exit code -1.
    code = process.returncode if process.returncode >= 0 else -1
    return {"exitCode": code, "result": output.decode("utf-8", errors="replace")}


class _BodyStream(httpx.SyncByteStream):
    """A body that has not been read yet, optionally arriving one byte at a time."""

    def __init__(self, content: bytes, trickle: float) -> None:
        self.content = content
        self.trickle = trickle

    def __iter__(self) -> Iterator[bytes]:
        if self.trickle <= 0:
            yield self.content
            return
        for index in range(len(self.content)):
            time.sleep(self.trickle)
            yield self.content[index : index + 1]


# -- loopback server -----------------------------------------------------------------------------


class _LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server around a FakeDaytona; joins its threads when closed."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], fake: FakeDaytona) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _LoopbackHandler)
        self.origin = f"http://{address[0]}:{self.server_address[1]}"

    def hang_up(self) -> None:
        """Close kept-alive connections so that their threads finish and can be joined."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is part of the tests, not a failure of the fake.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _LoopbackHandler(BaseHTTPRequestHandler):
    """Turns each HTTP request into an httpx.Request for the fake, and its answer back."""

    protocol_version = "HTTP/1.1"
    server: _LoopbackServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read the fake's records, not its log."""

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        fake = self.server.fake
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(501, "fake: chunked request bodies are not supported")
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = httpx.Request(
            self.command,
            self.server.origin + self.path,
            headers=list(self.headers.items()),
            content=body,
        )
        started = fake._arrive(request)
        try:
            response, fault = fake._respond(request)
            if fault is not None and fault.drop:
                self.close_connection = True
                return
            fake._record(request, response)
            self._send(response, fault.trickle if fault is not None else 0.0)
        finally:
            fake._depart(started)

    def _send(self, response: httpx.Response, trickle: float) -> None:
        body = response.content
        self.send_response(response.status_code)
        for key, value in response.headers.multi_items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if trickle <= 0:
                self.wfile.write(body)
                return
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                time.sleep(trickle)
        except ConnectionError:
            self.close_connection = True


def _raise_interrupt() -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Serve the fake in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_daytona", description="Serve a fake Daytona API on loopback."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="fake-key")
    parser.add_argument("--seed", action="store_true", help="add demo sandboxes and snapshots")
    parser.add_argument("--transition-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    fake = FakeDaytona(api_key=args.api_key, transition_seconds=args.transition_seconds)
    if args.seed:
        fake.seed()
    # Background jobs of a non-interactive shell ignore SIGINT; `kill` must stop the fake cleanly too.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: _raise_interrupt())
    with fake, fake.serve(args.host, args.port) as url:
        print(
            f"Fake Daytona API on {url} (Ctrl-C stops it); use: "
            f"export DAYTONA_API_URL={url} DAYTONA_API_KEY={args.api_key}",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
