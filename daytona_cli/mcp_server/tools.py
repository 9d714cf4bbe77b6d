"""The eight tools of ``daytona-cli mcp``, without MCP: what each one does, by the CLI's code.

Each tool takes the server's :class:`Session` and its inputs, checks them as the CLI checks its
options (usage errors before any request), calls the functions the CLI commands call (the
client, ``commands/sandbox/common.py``, ``create.py``, ``delete.py``) and returns a
:class:`ToolResult`: the API's objects as structured content and a short text. Failures are
:class:`~daytona_cli.errors.CliError`; ``server.py`` turns them into tool errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from daytona_cli.bulk import Target
from daytona_cli.client.filters import SandboxFilter
from daytona_cli.commands.sandbox.common import (
    require_started,
    start_and_wait,
    stop_and_wait,
    wait_until,
)
from daytona_cli.commands.sandbox.create import submit
from daytona_cli.commands.sandbox.create_body import CreateOptions
from daytona_cli.commands.sandbox.delete import delete_one
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError, usage
from daytona_cli.mcp_server import summaries
from daytona_cli.mcp_server.execute import Cancel, Cancelled, CommandCut, run_command
from daytona_cli.params import check_identifier, check_states, is_shell_name
from daytona_cli.render.sandbox import describe
from daytona_cli.render.text import inert
from daytona_cli.states import GONE
from daytona_cli.types import JSONObject

NOT_STARTED_HINT = "start it with the start_sandbox tool, or call execute_command with start: true"


@dataclass
class ToolResult:
    """A tool's answer: ``structured`` (a JSON object: the API's object, or a list under a key)
    and ``text``, a short summary for people and models."""

    structured: JSONObject
    text: str


class Unfinished(Exception):
    """A failure after the tool changed something: the error, and what it made (``made``, the
    created sandbox under ``sandbox``; a command's ``exitCode`` null and output so far), so
    that an agent can find and remove it, or read what the command did; ``text`` says it after
    the error line."""

    def __init__(self, error: CliError, made: JSONObject, text: str | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.made = made
        self.text = text


class Session:
    """What the tools share for the server's life: the run's context and its one client.

    stdout belongs to the protocol: the run's output (messages, warnings, HTTP exchanges under
    --debug) goes to stderr from now on, plain, never a spinner. Settings are read once, now; a
    configuration error (no API key, a refused URL) does not stop the server: every tool call
    reports it.
    """

    def __init__(self, app: AppContext) -> None:
        streams = app.runtime.streams
        app.output.streams = replace(
            streams, stdout=streams.stderr, stdout_tty=False, stderr_tty=False, stdin_tty=False
        )
        self.app = app
        self.config_error: CliError | None = None
        try:
            app.client()  # reads the settings and builds the one client (no request yet)
        except CliError as err:
            self.config_error = err

    def ready(self) -> AppContext:
        """The context, or the configuration error, raised."""
        if self.config_error is not None:
            raise self.config_error
        return self.app


def _first(pages: Iterable[list[JSONObject]], limit: int) -> tuple[list[JSONObject], bool]:
    """Up to ``limit`` items, and whether there were more (pages were asked for limit + 1)."""
    items = [item for page in pages for item in page]
    return items[:limit], len(items) > limit


def _pairs(mapping: Mapping[str, str] | None, what: str) -> dict[str, str]:
    """Labels or variables: keys not empty and without ``=``, no control characters (what
    ``--label KEY=VALUE`` accepts), a variable's a name the shell can export (``--env``)."""
    pairs = dict(mapping or {})
    for key, value in pairs.items():
        if not key.strip() or "=" in key:
            raise usage(f"{what}: invalid key {key!r}", hint="keys are names without '='")
        if not key.isprintable() or not str(value).isprintable():
            raise usage(f"{what} {key!r}: control characters are not allowed")
        if what == "env" and not is_shell_name(key):  # as parse_env
            raise usage(
                f"env: {key!r} is not a shell variable name",
                hint='use letters, digits and _, not starting with a digit: {"DEBUG": "1"}',
            )
    return pairs


def create_options(
    *,
    name: str | None = None,
    snapshot: str | None = None,
    image: str | None = None,
    cpu: int | None = None,
    memory: int | None = None,
    disk: int | None = None,
    labels: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    auto_stop: int | None = None,
    auto_delete: int | None = None,
    network_block_all: bool = False,
    target: str | None = None,
) -> CreateOptions:
    """``sandbox create``'s options from a tool's inputs; ``create_body`` checks them as it
    checks the flags (a snapshot and an image are exclusive, resources need an image...)."""
    return CreateOptions(
        name=name,
        snapshot=snapshot,
        image=image,
        resources={"cpu": cpu, "memory": memory, "disk": disk},
        labels=[f"{key}={value}" for key, value in _pairs(labels, "labels").items()],
        env=[f"{key}={value}" for key, value in _pairs(env, "env").items()],
        auto_stop=auto_stop,
        auto_delete=auto_delete,
        network_block_all=network_block_all,
        target=target,
    )


def list_sandboxes(
    session: Session,
    *,
    labels: Mapping[str, str] | None = None,
    states: list[str] | None = None,
    name_prefix: str | None = None,
    limit: int = 100,
) -> ToolResult:
    """``listSandboxes``, every page up to ``limit``, each item checked against the filters
    (labels all match, any of the states, a literal name prefix)."""
    app = session.ready()
    if name_prefix is not None and not name_prefix.isprintable():
        raise usage("name_prefix: control characters are not allowed")
    filters = SandboxFilter(
        name=name_prefix or None,
        labels=_pairs(labels, "labels"),
        states=tuple(check_states(states or [])),
    )
    items, more = _first(app.client().list_sandboxes(filters, limit=limit + 1), limit)
    text = summaries.listing(items, "sandbox", truncated=more, limit=limit, now=app.clock.now())
    return ToolResult({"sandboxes": items, "truncated": more}, text)


def create_sandbox(session: Session, opts: CreateOptions, timeout: float) -> ToolResult:
    """``createSandbox`` (never two, as ``sandbox create``), then wait at most ``timeout``
    seconds for ``started``. A wait that fails is :class:`Unfinished`: the sandbox exists."""
    app = session.ready()
    sandbox = submit(app, opts)
    try:
        sandbox = wait_until(app, sandbox, {"started"}, timeout, "started", offer_delete=True)
    except CliError as err:
        raise Unfinished(err, {"sandbox": sandbox}) from None
    heading = f"Sandbox {describe(sandbox)} created and started."
    return ToolResult(sandbox, summaries.sandbox(heading, sandbox, app.clock.now()))


def get_sandbox(session: Session, target: str) -> ToolResult:
    """``getSandbox`` by name or ID."""
    app = session.ready()
    sandbox = app.client().get_sandbox(check_identifier(target))
    heading = f"Sandbox {describe(sandbox)} is {sandbox.get('state')}."
    return ToolResult(sandbox, summaries.sandbox(heading, sandbox, app.clock.now()))


def delete_sandbox(
    session: Session, target: str, *, wait: bool, timeout: float, ignore_not_found: bool = False
) -> ToolResult:
    """``deleteSandbox``, as ``sandbox delete``: returns once deletion started, or with
    ``wait`` once the sandbox is gone (at most ``timeout`` seconds). Repeated by ID while it is
    being deleted, it succeeds; once it is gone (or by name, at once) it is not found, which
    ``ignore_not_found`` makes a success, ``{"notFound": true}``, as ``--ignore-not-found``."""
    app = session.ready()
    key = check_identifier(target)
    try:
        done = delete_one(app, Target(key=key), wait=wait, timeout=timeout)
    except CliError as err:
        if err.category is Category.NOT_FOUND and ignore_not_found:
            return ToolResult(
                {"notFound": True}, f"Sandbox {inert(key)} not found; nothing to delete."
            )
        raise
    return ToolResult(done.result, done.message + ".")


def start_sandbox(session: Session, target: str, timeout: float | None) -> ToolResult:
    """``startSandbox`` (started already is fine; paused resumes, archived is restored), then
    wait at most ``timeout`` seconds for ``started`` (None: as ``sandbox start``, longer for a
    restore)."""
    app = session.ready()
    sandbox = start_and_wait(app, check_identifier(target), timeout)
    return ToolResult(sandbox, f"Sandbox {describe(sandbox)} is started.")


def stop_sandbox(session: Session, target: str, timeout: float) -> ToolResult:
    """``stopSandbox`` (stopped or archived already is fine), then wait at most ``timeout``
    seconds for ``stopped``; a sandbox with auto-delete 0 is deleted by its stop."""
    app = session.ready()
    sandbox = stop_and_wait(app, check_identifier(target), timeout)
    state = sandbox.get("state")
    if state in GONE:
        text = f"Sandbox {describe(sandbox)} stopped and, as its auto-delete is 0, deleted."
    else:
        text = f"Sandbox {describe(sandbox)} is {state}."
    return ToolResult(sandbox, text)


def execute_command(
    session: Session,
    target: str,
    command: str,
    *,
    cwd: str | None = None,
    timeout: int | None = None,
    start: bool = False,
    cancel: Cancel | None = None,
) -> ToolResult:
    """Run one shell command line in a started sandbox (``start`` starts it first, waiting as
    ``sandbox exec --start`` does); ``{exitCode, stdout, stderr}``, never retried once sent;
    ``cancel`` kills it from another thread.
    A command cut short (its timeout, a failure while following it) is :class:`Unfinished`
    with its output so far and ``exitCode`` null."""
    app = session.ready()
    if not command.strip():
        raise usage("empty command", hint="give a shell command line, e.g. echo hello")
    sandbox = require_started(
        app, check_identifier(target), start=start, start_hint=NOT_STARTED_HINT
    )
    try:
        result = run_command(app, sandbox, command, cwd=cwd, timeout=timeout, cancel=cancel)
    except Exception as exc:
        if cancel is not None and cancel.requested:
            raise Cancelled from None  # the session deleted, the client closed: not errors
        if not isinstance(exc, CommandCut):
            raise
        so_far: JSONObject = {"exitCode": None, "stdout": exc.stdout, "stderr": exc.stderr}
        raise Unfinished(exc.error, so_far, summaries.output(so_far)) from None
    return ToolResult(dict(result), summaries.command(dict(result)))


def list_snapshots(session: Session, *, name: str | None = None, limit: int = 100) -> ToolResult:
    """``getAllSnapshots``, every page up to ``limit``; ``name`` matches part of the name."""
    app = session.ready()
    if name is not None and not name.isprintable():
        raise usage("name: control characters are not allowed")
    items, more = _first(app.client().list_snapshots(name=name or None, limit=limit + 1), limit)
    text = summaries.listing(items, "snapshot", truncated=more, limit=limit, now=app.clock.now())
    return ToolResult({"snapshots": items, "truncated": more}, text)
