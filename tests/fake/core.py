"""``FakeDaytona``: one stateful fake of today's Daytona API and Toolbox API.

One object, two transports: ``httpx.MockTransport(fake.handler)`` runs the real client code
in-process, and ``fake.serve()`` puts the same logic behind a loopback HTTP server (which alone
can upgrade a WebSocket: streaming tests use it). It copies the real servers' habits (NOTES.md,
``tests/openapi.yaml``, ``tests/toolbox.yaml``): sandboxes take time to change state on the
injected clock, actions during a transition are refused, errors carry Daytona's error bodies
(the API's, or the daemon's on toolbox routes), names are looked up after IDs, list filters use
SQL ``ILIKE`` prefixes, commands really run. Unknown API routes answer 501, so a client bug
cannot hide behind a lenient fake.

Kind by default; unkind on request, each switch a method (documented below): a list that lags
behind creates and deletes (``lag_list``), ignores filters (``ignore_filters``), repeats its
cursor or its previous page (``repeat_cursor``, ``repeat_page``), lists items without ``id``
(``omit_ids``), answers a bare array (``bare_array_list=True``); answers lost after the work was
done (``lose_answer``), scripted errors and raw bodies (``inject``, ``inject_raw``); sandboxes
destroyed by the platform (``destroy_by_platform``); an older server
(``server_version="old"``: the legacy execute route and no toolbox proxy) or a transitional one
(``legacy_execute=True``: both).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import fnmatch
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

from tests.fake.api import ApiRoutes
from tests.fake.common import (
    DAEMON_CODES,
    DEFAULT_SNAPSHOT,
    DESIRED_STATE,
    ERRORED_STATES,
    LISTABLE_STATES,
    ORGANIZATION_ID,
    PROXY_PATH,
    SECONDS_KEPT_AFTER_PLATFORM_DESTROY,
    ApiError,
    BodyStream,
    default_message,
    iso_utc,
    json_response,
    reason_phrase,
    segments,
)
from tests.fake.records import LIST_FILTERS, check_class, new_record
from tests.fake.sessions import ShellSession
from tests.fake.toolbox import ToolboxRoutes, first_shell

Action = Callable[[httpx.Request], httpx.Response]


@dataclass
class Scripted:
    """A scripted answer for the next ``remaining`` matching requests.

    ``kind`` is ``inject`` (replaces the answer: the server never acts), ``raw`` (replaces it
    with exact bytes) or ``lose`` (the server acts, then the answer is dropped or replaced by
    ``status``).
    """

    kind: str
    method: str
    pattern: str
    remaining: int
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    trickle: float = 0.0


class FakeDaytona(ApiRoutes, ToolboxRoutes):
    """The Daytona API and Toolbox API as one stateful object; see the module docstring.

    Options: ``api_key``; ``transition_seconds`` (each lifecycle step, on ``clock``);
    ``restore_seconds`` (an archived sandbox's restore, default three transitions);
    ``create_wait_seconds`` (seconds create waits for ``started``, as the API waits up to
    30 s); ``clock`` (a monotonic reading, e.g. a test's virtual clock); ``wait_clock`` and
    ``wait_sleep`` (what the fake's own waits are measured and spent on: create's wait, an
    injected ``delay``, a log WebSocket's ``follow_close_delay``; real time by default, and a
    test's clock to assert on those waits without spending them); ``server_version``
    (``"current"``, or ``"old"``: legacy execute route, records without ``toolboxProxyUrl``,
    ``toolbox-proxy-url`` 404); ``legacy_execute`` (a current server that still has the legacy
    route); ``bare_array_list`` (the list answers a bare JSON array, as older servers did);
    ``base_url`` / ``proxy_url`` (what in-process requests are addressed to); ``latency`` (real
    seconds every answer is held back, for benchmarks); ``shell`` (default: the first of zsh,
    bash, sh); ``work_dir`` (the sandboxes' work directory, default their user's home);
    ``follow_close_delay`` (seconds a log WebSocket stays open after its command ended,
    default 1 as the daemon); ``ws_chunk_size`` (cut log messages into pieces of this many
    bytes: 1 or 2 splits every stream prefix across messages); ``ws_text_frames`` (send text
    messages, as older daemons did, instead of binary ones); ``ws_lag`` (real seconds each log
    message is held back: a slow network, or a daemon behind on its log, so that the exit code
    is known well before the output has arrived).
    """

    watcher: ClassVar[Callable[[FakeDaytona], None] | None] = None
    """Told of every fake as it is made (subclasses too), however it is made: while a test
    runs, its contract check (``tests/conftest.py``) keeps them all and validates every
    exchange when the test ends."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        transition_seconds: float = 0.05,
        restore_seconds: float | None = None,
        create_wait_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        wait_clock: Callable[[], float] = time.monotonic,
        wait_sleep: Callable[[float], None] = time.sleep,
        server_version: str = "current",
        legacy_execute: bool = False,
        bare_array_list: bool = False,
        base_url: str = "http://fake.daytona.test/api",
        proxy_url: str = "http://fake-proxy.daytona.test/toolbox",
        latency: float = 0.0,
        shell: str | None = None,
        work_dir: str | None = None,
        follow_close_delay: float = 1.0,
        ws_chunk_size: int | None = None,
        ws_text_frames: bool = False,
        ws_lag: float = 0.0,
        rename_on_delete: bool = True,
    ) -> None:
        if server_version not in ("current", "old"):
            raise ValueError("server_version is 'current' or 'old'")
        self.api_key = api_key
        self.transition_seconds = transition_seconds
        self.restore_seconds = (
            3 * transition_seconds if restore_seconds is None else restore_seconds
        )
        self.create_wait_seconds = create_wait_seconds
        self.clock = clock
        self.wait_clock = wait_clock
        self.wait_sleep = wait_sleep
        self.server_version = server_version
        self.legacy_execute = legacy_execute or server_version == "old"
        self.bare_array_list = bare_array_list
        self.base_url = base_url
        self.proxy_url = proxy_url
        self.latency = latency
        self.shell = shell or first_shell()
        self.work_dir = work_dir
        self.follow_close_delay = follow_close_delay
        self.ws_chunk_size = ws_chunk_size
        self.ws_text_frames = ws_text_frames
        self.ws_lag = ws_lag
        self.rename_on_delete = rename_on_delete
        self.ssh_host = "ssh.fake.daytona.test"
        self.ssh_port = 2222
        self.preview_domain = "preview.fake.daytona.test"
        self.sandboxes: dict[str, dict[str, Any]] = {}
        """Records by ID; keys starting with ``_`` are the fake's own (``_secrets``, ...)."""
        self.snapshots: list[dict[str, Any]] = []
        self.volumes: dict[str, str] = {}
        """Volume ID → name (``add_volume``); create resolves ``volumeId`` by either."""
        self.secrets: dict[str, str] = {}
        """Secret name → value (``add_secret``); commands see them as the env names chosen."""
        self.ssh_access: list[dict[str, Any]] = []
        """Every SSH access created: the ``SshAccessDto`` fields plus ``revoked``."""
        self.signed_previews: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []
        self.timings: list[tuple[float, float]] = []
        """(start, end) of every answered request, on ``time.monotonic``, to measure overlap."""
        self._route_paths: list[str] = []
        self._scripted: list[Scripted] = []
        self.raw_answers = 0
        self._next_create_failure: tuple[str, str] | None = None
        self._lag: tuple[float, int] = (0.0, 0)
        self._ghosts: list[dict[str, Any]] = []
        self._ignored_filters: frozenset[str] = frozenset()
        self._repeat_cursor = False
        self._repeat_page = False
        self._idless_names: frozenset[str] | None = None
        self._filesystems: dict[str, Any] = {}
        self._sessions: dict[str, dict[str, ShellSession]] = {}
        self._session_numbers: dict[str, int] = {}
        self._lock = threading.RLock()
        self._workdir: Path | None = None
        # Timestamps follow clock(), so that a test's virtual clock moves them too.
        self._epoch = time.time()
        self._clock_origin = clock()
        self.add_snapshot(DEFAULT_SNAPSHOT, general=True, size=0.9, lastUsedAt=self._iso(None))
        if FakeDaytona.watcher is not None:
            FakeDaytona.watcher(self)

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeDaytona:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill every session's shell and remove the sandboxes' trees."""
        self._end_sessions()
        with self._lock:
            workdir, self._workdir = self._workdir, None
            self._filesystems.clear()
        if workdir is not None:
            atexit.unregister(self.close)
            shutil.rmtree(workdir, ignore_errors=True)

    # -- adding things -----------------------------------------------------------------------

    def add_sandbox(
        self, name: str | None = None, *, state: str = "started", **fields: Any
    ) -> dict[str, Any]:
        """Put a sandbox straight into ``state``, no transition pending; returns its API view.

        Any field of ``Sandbox`` may be given (``sandboxClass="linux-vm"``, ``labels=...``,
        ``autoDeleteInterval=0``, ``createdAt=...``); ``id`` too.
        """
        if state not in LISTABLE_STATES:
            raise ValueError(f"unknown sandbox state {state!r} (destroy_by_platform for destroyed)")
        if "sandboxClass" in fields:
            check_class(fields["sandboxClass"])
        with self._lock:
            sandbox_id = str(fields.pop("id", uuid.uuid4()))
            name = name or sandbox_id
            if sandbox_id in self.sandboxes or self._named(name) is not None:
                raise ValueError(f"a sandbox with ID or name {name!r} already exists")
            record = new_record(sandbox_id, name, self._iso(None))
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
        """Add a snapshot (active, 1 CPU / 1 GiB / 3 GiB, class ``container`` unless told
        otherwise: ``sandboxClass="linux-vm"`` makes sandboxes created from it pausable)."""
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
                "sourceSandboxId": None,
            }
            snapshot.update(fields)
            self.snapshots.append(snapshot)
            return copy.deepcopy(snapshot)

    def add_volume(self, name: str) -> str:
        """A volume create can mount (``volumes[].volumeId`` by ID or name); returns its ID."""
        with self._lock:
            volume_id = str(uuid.uuid4())
            self.volumes[volume_id] = name
            return volume_id

    def add_secret(self, name: str, value: str) -> None:
        """A vault secret create can mount (``secrets: [{"ENV": name}]``)."""
        with self._lock:
            self.secrets[name] = value

    def seed(self, sandboxes: int = 3, snapshots: int = 3) -> None:
        """Add demo data: snapshots of a few images, sandboxes across stable states and labels.

        The ``ubuntu`` snapshots are of class ``linux-vm``, so sandboxes made from them pause."""
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
                    sandboxClass="linux-vm" if index % len(images) == 2 else "container",
                )
            usable = [snapshot for snapshot in self.snapshots if snapshot["state"] == "active"]
            base = len(self.sandboxes)
            for index in range(base, base + sandboxes):
                snapshot = usable[index % len(usable)]
                self.add_sandbox(
                    f"demo-{index + 1}",
                    state=("started", "stopped", "archived")[index % 3],
                    snapshot=snapshot["name"],
                    sandboxClass=snapshot.get("sandboxClass") or "container",
                    cpu=snapshot["cpu"],
                    memory=snapshot["mem"],
                    disk=snapshot["disk"],
                    labels={"team": "ab"[index % 2], "seeded": "true"},
                    createdAt=self._iso(now - 3600 * (index + 1)),
                    lastActivityAt=self._iso(now - 600 * (index + 1)),
                )

    # -- reading state -----------------------------------------------------------------------

    def sandbox(self, id_or_name: str) -> dict[str, Any] | None:
        """The sandbox as ``GET /sandbox/{idOrName}`` would show it now, or None once gone."""
        with self._lock:
            self._settle_all()
            record = self._lookup(id_or_name)
            return None if record is None else self._view(record)

    def host_path(self, id_or_name: str, path: str) -> Path:
        """Where a path of the sandbox lives on the host (relative: to its work dir); the
        sandbox's tree is made on first use. Commands run there too, so a path a command
        prints (``pwd``) is this host path."""
        with self._lock:
            record = self._require(id_or_name)
        return self._filesystem(record["id"]).host(path)

    def live_ssh_tokens(self, id_or_name: str | None = None) -> list[str]:
        """Tokens neither revoked nor expired (on ``clock``), of one sandbox or all."""
        with self._lock:
            wanted = None if id_or_name is None else self._require(id_or_name)["id"]
            now = self.clock()
            return [
                access["token"]
                for access in self.ssh_access
                if not access["revoked"]
                and access["_expires"] > now
                and wanted in (None, access["sandboxId"])
            ]

    def sessions_of(self, id_or_name: str) -> list[str]:
        """IDs of the toolbox sessions a sandbox has now."""
        with self._lock:
            record = self._require(id_or_name)
            return list(self._sessions.get(record["id"], {}))

    # -- unkind switches ---------------------------------------------------------------------

    def fail_next_create(
        self, state: str = "error", reason: str = "fake: the sandbox failed to start"
    ) -> None:
        """Make the next created sandbox end its transition in ``state`` with ``reason``."""
        if state not in ERRORED_STATES:
            raise ValueError(f"a failed create ends in one of {sorted(ERRORED_STATES)}")
        with self._lock:
            self._next_create_failure = (state, reason)

    def destroy_by_platform(self, id_or_name: str, *, reason: str = "spot") -> dict[str, Any]:
        """The platform destroys a sandbox (``reason`` ``"spot"``: evicted, ``spotEvictedAt``;
        ``"queue"``: the runner queue timed out, ``queueTimedOutAt``). It stays readable with
        state ``destroyed`` for 24 hours on ``clock``, then 404s; lists leave it out."""
        if reason not in ("spot", "queue"):
            raise ValueError("reason is 'spot' or 'queue'")
        with self._lock:
            record = self._require(id_or_name)
            self._lag_removed(record)
            now = self.clock()
            record.update(state="destroyed", desiredState="destroyed", updatedAt=self._iso(now))
            record["spotEvictedAt" if reason == "spot" else "queueTimedOutAt"] = self._iso(now)
            record["_steps"] = []
            record["_gone_at"] = now + SECONDS_KEPT_AFTER_PLATFORM_DESTROY
            view = self._view(record)
        self._end_sessions(record["id"])
        return view

    def lag_list(self, seconds: float = 0.0, calls: int = 0) -> None:
        """Make the list eventually consistent: a sandbox created through the API appears in
        lists only after ``seconds`` on ``clock`` and ``calls`` list requests; one deleted
        (or destroyed by the platform) keeps being listed as it was for as long. GET by ID or
        name stays exact. ``lag_list()`` turns the lag off for what happens next."""
        with self._lock:
            self._lag = (seconds, calls)

    def ignore_filters(self, *names: str, on: bool = True) -> None:
        """Make the list ignore these filter parameters (all of ``LIST_FILTERS`` when none
        are named), as servers that predate them do: neither checked nor applied."""
        unknown = set(names) - LIST_FILTERS
        if unknown:
            raise ValueError(f"not list filters: {sorted(unknown)}")
        with self._lock:
            self._ignored_filters = frozenset(names or LIST_FILTERS) if on else frozenset()

    def repeat_cursor(self, on: bool = True) -> None:
        """A list page asked for with ``cursor=C`` answers ``nextCursor: C`` again, forever."""
        with self._lock:
            self._repeat_cursor = on

    def repeat_page(self, on: bool = True) -> None:
        """A list page asked for with a cursor answers the previous page's items again (with
        the right ``nextCursor``), so each page arrives twice and the last never."""
        with self._lock:
            self._repeat_page = on

    def omit_ids(self, *names: str, on: bool = True) -> None:
        """List items of these sandboxes (all, when none are named) come without ``id``."""
        with self._lock:
            self._idless_names = frozenset(names) if on else None

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
        """Answer the next ``times`` matching requests with this instead of the normal answer
        (the server never acts on them).

        ``path`` is matched (fnmatch, ``*`` crosses ``/``) against the path after the API base,
        e.g. ``/sandbox/*/stop``; toolbox calls are named ``/toolbox-proxy/<id>/<route>``, e.g.
        ``/toolbox-proxy/*/process/session/*/exec``. ``json=None`` sends the documented error
        body for ``status`` (the daemon's on toolbox routes). ``drop`` closes the connection
        unanswered (in-process: raises ``httpx.RemoteProtocolError``); ``trickle`` sends the
        body one byte per ``trickle`` seconds; ``delay`` holds it back (seconds of ``wait_sleep``).
        """
        self._script(
            Scripted(
                "inject", method.upper(), path, times, status, json, dict(headers or {}),
                delay, drop, trickle,
            )
        )  # fmt: skip

    def inject_raw(
        self,
        method: str,
        path: str,
        *,
        body: bytes,
        status: int = 200,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with exactly these bytes (truncated
        JSON, an HTML error page...); the contract check spares these answers."""
        all_headers = {"content-type": content_type, **(headers or {})}
        self._script(Scripted("raw", method.upper(), path, times, status, body, all_headers))

    def lose_answer(
        self, method: str, path: str, *, status: int | None = None, times: int = 1
    ) -> None:
        """Let the server act on the next ``times`` matching requests (a sandbox really is
        created, stopped, deleted; a command really runs), then lose the answer: drop the
        connection (``status=None``) or answer ``status`` with an error body instead."""
        self._script(Scripted("lose", method.upper(), path, times, status, drop=status is None))

    def pending_faults(self) -> list[tuple[str, str, int]]:
        """(method, path pattern, answers left) of injected faults not yet used up."""
        with self._lock:
            return [
                (s.method, s.pattern, s.remaining) for s in self._scripted if s.kind == "inject"
            ]

    def scripted_left(self) -> int:
        """Answers still scripted by ``lose_answer`` and ``inject_raw``."""
        with self._lock:
            return sum(s.remaining for s in self._scripted if s.kind != "inject")

    def _script(self, scripted: Scripted) -> None:
        with self._lock:
            self._scripted.append(scripted)

    # -- records of requests -----------------------------------------------------------------

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
        it (``iter_raw``) work; ``exchanges`` keeps a read copy. A WebSocket cannot be upgraded
        in-process: such a request gets a 501 (use ``serve()``).
        """
        request.read()
        started = self._arrive(request)
        try:
            response, scripted = self._respond(request)
            if response.status_code == 101:
                response.extensions["fake_websocket"].close()
                message = "fake: a WebSocket needs the served fake (fake.serve())"
                response = self._error(request, ApiError(501, message))
            if scripted is not None and scripted.drop:
                response.close()
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            self._record(request, response)
            if _is_streamed(response):
                return httpx.Response(
                    response.status_code, headers=response.headers, stream=response.stream
                )
            trickle = scripted.trickle if scripted is not None else 0.0
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=BodyStream(response.content, trickle),
            )
        finally:
            self._depart(started)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on a loopback port in a daemon thread; yields the base URL (ending in /api).

        While serving, sandboxes give out ``http://host:port/toolbox-proxy`` as their
        toolbox proxy URL, so that toolbox routes (WebSockets included) work end to end.
        """
        from tests.fake.server import LoopbackServer

        server = LoopbackServer((host, port), self)
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
        if _is_streamed(response):
            # Keep the headers, not the (possibly large, still unread) body.
            extensions = {**response.extensions, "fake_body_elided": True}
            recorded = httpx.Response(
                response.status_code, headers=response.headers, extensions=extensions
            )
        else:
            recorded = response
        recorded.request = request
        with self._lock:
            self.exchanges.append((request, recorded))

    def _depart(self, started: float) -> None:
        with self._lock:
            self.timings.append((started, time.monotonic()))

    def _respond(self, request: httpx.Request) -> tuple[httpx.Response, Scripted | None]:
        """The answer to a request, and the scripted fault that shaped it, if any."""
        if self.latency > 0:
            time.sleep(self.latency)
        route_path, kind, parts = self._locate(request)
        scripted = self._take_scripted(request.method, route_path, ("raw", "inject"))
        if scripted is not None:
            return self._scripted_answer(request, scripted), scripted
        try:
            response = self._route(request, kind, parts)(request)
        except ApiError as error:
            response = self._error(request, error)
        loss = self._take_scripted(request.method, route_path, ("lose",))
        if loss is None:
            return response, None
        if loss.drop:
            return response, loss
        response.close()
        assert loss.status is not None
        return self._error(request, ApiError(loss.status, default_message(loss.status))), loss

    def _scripted_answer(self, request: httpx.Request, scripted: Scripted) -> httpx.Response:
        if scripted.delay > 0:
            self.wait_sleep(scripted.delay)
        if scripted.kind == "raw":
            with self._lock:
                self.raw_answers += 1
            return httpx.Response(
                scripted.status or 200,
                headers=scripted.headers,
                content=scripted.body,
                extensions={"fake_tolerated": ("",)},
            )
        status = scripted.status or 500
        if scripted.body is None:
            response = self._error(request, ApiError(status, default_message(status)))
        else:
            response = json_response(status, scripted.body)
        response.headers.update(scripted.headers)
        return response

    def _locate(self, request: httpx.Request) -> tuple[str, str, list[str]]:
        """(path as ``inject`` names it, ``api`` or ``toolbox``, the decoded segments)."""
        raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        proxy = httpx.URL(self.proxy_url)
        proxy_path = proxy.raw_path.decode("ascii").split("?", 1)[0].rstrip("/")
        same_origin = (request.url.scheme, request.url.host, request.url.port) == (
            proxy.scheme,
            proxy.host,
            proxy.port,
        )
        if same_origin and raw_path.startswith(proxy_path + "/"):
            parts = segments(raw_path[len(proxy_path) :])
            return PROXY_PATH + "/" + "/".join(parts), "toolbox", parts
        if raw_path == "/api" or raw_path.startswith("/api/"):
            raw_path = raw_path[len("/api") :] or "/"
        parts = segments(raw_path)
        return "/" + "/".join(parts), "api", parts

    def _take_scripted(
        self, method: str, route_path: str, kinds: tuple[str, ...]
    ) -> Scripted | None:
        with self._lock:
            for scripted in self._scripted:
                if (
                    scripted.kind in kinds
                    and fnmatch.fnmatchcase(method, scripted.method)
                    and fnmatch.fnmatchcase(route_path, scripted.pattern)
                ):
                    scripted.remaining -= 1
                    if scripted.remaining <= 0:
                        self._scripted.remove(scripted)
                    return scripted
        return None

    def _route(self, request: httpx.Request, kind: str, parts: list[str]) -> Action:
        if kind == "toolbox":
            self._authenticate(request, source="DAYTONA_PROXY")
            if self.server_version == "old" or len(parts) < 2:
                raise ApiError(404, "Not Found", code="NOT_FOUND", source="DAYTONA_PROXY")
            return self._toolbox_route(request, parts[0], parts[1:])
        action = self._api_route(request, parts)
        if action is None:
            raise ApiError(501, f"fake: no route for {request.method} {request.url.path}")
        self._authenticate(request)
        return action

    def _authenticate(self, request: httpx.Request, source: str = "") -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.api_key:
            raise ApiError(401, "Invalid credentials", code="UNAUTHORIZED", source=source)

    def _error(self, request: httpx.Request, error: ApiError) -> httpx.Response:
        """Daytona's error body: the API's (NOTES.md), or the daemon's on toolbox routes."""
        path = request.url.raw_path.decode("ascii")
        if self._locate(request)[1] == "api":
            body: dict[str, Any] = {
                "path": path,
                "timestamp": self._iso(None),
                "statusCode": error.status,
                "error": reason_phrase(error.status),
                "message": error.message,
            }
            return json_response(error.status, body)
        body = {
            "statusCode": error.status,
            "message": error.message,
            "path": path,
            "timestamp": self._iso(None),
            "method": request.method,
            "source": error.source or "DAYTONA_DAEMON",
        }
        code = error.code or DAEMON_CODES.get(error.status)
        if code is not None:
            body["code"] = code
        return json_response(error.status, body)

    def _workspace(self) -> Path:
        """The fake's temporary directory: sandboxes' trees and sessions' FIFOs."""
        with self._lock:
            if self._workdir is None:
                self._workdir = Path(tempfile.mkdtemp(prefix="fake-daytona-"))
                atexit.register(self.close)
            return self._workdir

    def _epoch_seconds(self, at: float) -> float:
        """Wall-clock seconds for a ``clock()`` reading."""
        return self._epoch + (at - self._clock_origin)

    def _iso(self, at: float | None) -> str:
        """ISO-8601 UTC (with milliseconds and Z, as JavaScript writes it) for a clock() reading."""
        return iso_utc(self._epoch_seconds(self.clock() if at is None else at))


def _is_streamed(response: httpx.Response) -> bool:
    try:
        response.content
    except httpx.ResponseNotRead:
        return True
    return False
