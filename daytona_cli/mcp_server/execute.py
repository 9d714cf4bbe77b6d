"""Running one command for ``execute_command``: in a fresh toolbox session, stdout and stderr
apart, as ``sandbox exec`` does; the one-shot route (merged output) only where a server or
daemon has no session API.

The log is read with ``GetSessionCommandLogs`` (the raw form, ``X-Daytona-Split-Output``) rather
than followed over a WebSocket: a tool answers once, at the end, so polling costs nothing that
matters and needs no socket upgrade. The command is wrapped with the same end markers as
``exec``'s (``exec_end.py``), so the output is complete when the exit code is read (the daemon
records the exit code before its last lines reach the log). NOTES.md, Running commands.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TypedDict

from daytona_cli.client.sessions import ToolboxSession
from daytona_cli.client.stream import STDERR, STDOUT, Demux
from daytona_cli.commands.sandbox.exec import execute_body, timed_out
from daytona_cli.commands.sandbox.exec_end import EndMarkers
from daytona_cli.commands.sandbox.exec_input import wrapped
from daytona_cli.commands.sandbox.exec_stream import session_id
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.types import JSONObject

POLL_FIRST = 0.1
POLL_CAP = 1.0
DRAIN = 1.0
"""Seconds to wait for the end markers once the exit code is known: a command that ends the
session's shell itself (``kill $$``, a signal) never prints them."""


STOP_GRACE = 3.0
"""Seconds a stopping server, or a cancelled call, gives itself to delete the sessions of
commands still running."""

_RUNNING: set[ToolboxSession] = set()
"""Sessions of commands running now, for :func:`kill_running` when the server is stopped."""
_LOCK = threading.Lock()


def kill_running(app: AppContext) -> None:
    """Delete the session of every command still running (which kills it): a stopped server
    leaves nothing behind in the sandboxes. Failures are only noted on stderr."""
    with _LOCK:
        sessions = list(_RUNNING)
    for session in sessions:
        try:
            session.delete()
        except Exception as exc:
            app.output.info(f"could not delete the session {session.id}: {exc}")


class Cancel:
    """How a cancelled tool call stops its command from outside the thread that follows it
    (the host sent ``notifications/cancelled``, or closed stdin): :meth:`stop` deletes the
    command's session, which kills the command, and the follow then fails and ends."""

    def __init__(self) -> None:
        self.requested = False
        self.session: ToolboxSession | None = None

    def stop(self, app: AppContext) -> None:
        """Ask for the command to stop, and delete its session if it has one (a failure is
        only noted on stderr); a session made after this is deleted by its own call."""
        with _LOCK:
            self.requested = True
            session = self.session
        if session is None:
            return
        try:
            session.delete()
        except Exception as exc:
            app.output.info(f"could not delete the session {session.id}: {exc}")

    def made(self, session: ToolboxSession) -> None:
        """``session`` exists now: from here :meth:`stop` deletes it; raises if the call was
        cancelled already (its caller's clean-up then deletes it)."""
        with _LOCK:
            if self.requested:
                raise CliError(Category.INTERRUPTED, "the call was cancelled")
            self.session = session


class Cancelled(Exception):
    """The call was cancelled (:class:`Cancel`), so what failed after that (the session gone,
    the client closed) is the cancellation's doing, not an error to report: nobody hears the
    answer."""


class CommandCut(Exception):
    """A command that did not get to its end (its timeout ran out, or following it failed)
    after writing ``stdout`` and ``stderr`` so far: the output is kept with the ``error``, as
    ``sandbox exec --json`` keeps it (``exitCode`` null)."""

    def __init__(self, error: CliError, stdout: str, stderr: str) -> None:
        super().__init__(error.message)
        self.error = error
        self.stdout = stdout
        self.stderr = stderr


class CommandResult(TypedDict):
    """What a command did: its exit code (-1: it could not be started, or a signal killed it)
    and its output."""

    exitCode: int
    stdout: str
    stderr: str


def run_command(
    app: AppContext,
    sandbox: JSONObject,
    command: str,
    *,
    cwd: str | None,
    timeout: int | None,
    cancel: Cancel | None = None,
) -> CommandResult:
    """Run ``command`` (one shell command line) once in the started ``sandbox``; never retried.

    ``cwd`` is the working directory in the sandbox; ``timeout`` kills the command (its session
    deleted) after that many seconds, None or 0 for no limit; ``cancel`` stops it from
    another thread (:class:`Cancel`). stdout and stderr come apart
    (decoded as UTF-8, invalid bytes replaced); on a server without a toolbox proxy, or a
    daemon without sessions, both come merged in ``stdout`` from the one-shot route.

    Errors: a timeout in a session is a :class:`CommandCut` around a :class:`CliError` of
    category ``timeout``, with the output so far, as is any failure once the command wrote
    something; the one-shot route's timeout is that error alone (the API discards the output);
    a lost answer has reason ``EXEC_UNKNOWN`` (the command may have run); the rest as the
    client raises them.
    """
    session = app.client().toolbox.session(sandbox, session_id())
    if session is not None:
        with _LOCK:  # known before it exists, so that a stop never misses it
            _RUNNING.add(session)
        try:
            try:
                session.create()
            except CliError as err:
                if not session.missing_api(err):
                    raise  # (a daemon without sessions falls through to the one-shot route)
            else:
                if cancel is not None:
                    cancel.made(session)
                return _in_session(app, session, command, cwd, timeout)
        finally:
            with _LOCK:
                _RUNNING.discard(session)
            with contextlib.suppress(CliError):
                session.delete()  # kills the command if it still runs
    return _one_shot(app, sandbox, command, cwd, timeout)


def _in_session(
    app: AppContext, session: ToolboxSession, command: str, cwd: str | None, timeout: int | None
) -> CommandResult:
    markers = EndMarkers()
    line = markers.command(wrapped(command, cwd=cwd, env={}, stdin="/dev/null"))
    command_id = session.start(line)
    clock = app.clock
    deadline = clock.monotonic() + timeout if timeout else None
    delay = POLL_FIRST
    code: int | None = None
    exited_at = 0.0
    raw = b""
    try:
        while True:
            raw = session.logs(command_id)
            done = _output(raw, markers)
            if done is not None:
                return done
            if code is None:
                code = session.exit_code(command_id)
                exited_at = clock.monotonic()
            elif clock.monotonic() - exited_at >= DRAIN:
                return _output(raw, markers, code) or {"exitCode": code, "stdout": "", "stderr": ""}
            if deadline is not None and clock.monotonic() >= deadline:
                raise CliError(
                    Category.TIMEOUT,
                    f"the command timed out after {timeout} s and was killed",
                    hint="raise `timeout`, or write output to a file in the sandbox and read it "
                    "after",
                )
            left = None if deadline is None else max(0.0, deadline - clock.monotonic())
            clock.sleep(delay if left is None else min(delay, left))
            delay = min(2 * delay, POLL_CAP)
    except CliError as err:
        stdout, stderr, _code = _scan(raw, markers, cut=True)
        if err.category is Category.TIMEOUT or stdout or stderr:
            raise CommandCut(err, stdout, stderr) from None
        raise


def _output(raw: bytes, markers: EndMarkers, code: int | None = None) -> CommandResult | None:
    """The command's result once the whole log is in (both end markers), or with ``code``
    when the shell ended without them; else None."""
    stdout, stderr, marked = _scan(raw, markers)
    code = marked if marked is not None else code
    if code is None:
        return None
    return {"exitCode": code, "stdout": stdout, "stderr": stderr}


def _scan(raw: bytes, markers: EndMarkers, *, cut: bool = False) -> tuple[str, str, int | None]:
    """stdout and stderr in the whole log so far without the end markers (decoded as UTF-8,
    invalid bytes replaced), and the exit code they carry; ``cut``: the command will write no
    more, so bytes held back as the possible start of a marker are output after all."""
    fresh = EndMarkers(markers.token)  # the whole log so far, scanned from its start
    demux = Demux()
    pieces = fresh.feed(demux.feed(raw) + demux.flush())
    if cut:
        pieces += fresh.flush()
    kept: dict[int, bytearray] = {STDOUT: bytearray(), STDERR: bytearray()}
    for target, data in pieces:
        kept[target] += data
    stdout, stderr = (bytes(kept[key]).decode("utf-8", "replace") for key in (STDOUT, STDERR))
    return stdout, stderr, fresh.exit_code


def _one_shot(
    app: AppContext, sandbox: JSONObject, command: str, cwd: str | None, timeout: int | None
) -> CommandResult:
    try:
        answer = app.client().toolbox.execute(sandbox, execute_body(command, cwd, timeout))
    except CliError as err:
        if err.status == 408:
            raise timed_out(err, timeout, option="timeout") from None
        raise
    return {"exitCode": int(answer["exitCode"]), "stdout": str(answer["result"]), "stderr": ""}
