"""``exec``'s default route: the command runs in a fresh toolbox session and its output streams.

The session (``daytona-cli-<uuid>``) is created, the command started with ``runAsync``, and its
log followed over a WebSocket: stdout to our stdout and stderr to our stderr, byte for byte, as
they come. The run ends when the command's end markers arrive with its exit code
(exec_end.py). Should they never come (the command ended the shell itself), the stream is
read until the daemon closes it, which it does only once the command has ended and its log
has been idle for a second (NOTES.md, Sessions), and the exit code is then asked for. Nothing
shorter is safe: a known exit code says nothing about how much output is still on its way.
The session is deleted afterwards whatever happened, which kills the command when it still
runs (a timeout, Ctrl-C, an error, a reader that went away).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import uuid
from collections.abc import Iterator

from daytona_cli.client.sessions import ToolboxSession
from daytona_cli.client.stream import STDERR, STDOUT, Demux, LogStream
from daytona_cli.clock import Clock
from daytona_cli.commands.sandbox.exec_common import (
    CANNOT_START_OR_KILLED,
    ExecOptions,
    exit_status,
    stream_timed_out,
)
from daytona_cli.commands.sandbox.exec_end import EndMarkers
from daytona_cli.commands.sandbox.exec_input import TypedInput, uploaded_stdin, wrapped
from daytona_cli.context import AppContext
from daytona_cli.errors import EXEC_TIMEOUT, Category, CliError
from daytona_cli.interrupts import FirstInterrupt
from daytona_cli.output import Output
from daytona_cli.streams import Streams
from daytona_cli.types import JSONObject

TICK = 0.05
"""Seconds one wait for the stream lasts before the loop looks at the clock (the deadline)."""
POLL_FIRST = 0.05
POLL_CAP = 1.0
"""Once the stream has ended without the markers, the exit code is asked for after 0.05 s,
0.1 s, ... at most every second (the daemon has it by then; NOTES.md, Sessions)."""


class _TimedOut(Exception):
    pass


INPUT_ENDED = (
    "end of input: the toolbox cannot pass it on, so the command is still running "
    "(and may be waiting for more); press Ctrl-C to end it"
)


def session_id() -> str:
    """A fresh session per run: nothing is shared with another run or another tool."""
    return f"daytona-cli-{uuid.uuid4()}"


class Sink:
    """The command's output: written byte for byte as it comes, or kept for ``--json``."""

    def __init__(self, streams: Streams, keep: bool, output: Output | None = None) -> None:
        self.streams = streams
        self.keep = keep
        self.output = output
        self.kept = {STDOUT: bytearray(), STDERR: bytearray()}

    def write(self, pieces: list[tuple[int, bytes]]) -> None:
        for target, data in pieces:
            if self.keep:
                self.kept[target] += data
            else:
                self.streams.write_bytes(data, to_stderr=target == STDERR)
                if self.output is not None:
                    self.output.passed_through(data, to_stderr=target == STDERR)

    def json(self, exit_code: int | None) -> JSONObject:
        """``{"exitCode", "stdout", "stderr"}``; text that is not UTF-8 is replaced."""
        text = {key: bytes(value).decode("utf-8", "replace") for key, value in self.kept.items()}
        return {"exitCode": exit_code, "stdout": text[STDOUT], "stderr": text[STDERR]}


def run_streaming(app: AppContext, sandbox: JSONObject, session: ToolboxSession,
                  opts: ExecOptions) -> int | None:  # fmt: skip
    """Run the command in ``session``; the exit code to leave with, or None when the
    daemon has no session API (nothing was run; the caller falls back to one-shot)."""
    sink = Sink(app.runtime.streams, keep=opts.json_output, output=app.output)
    started = threading.Event()
    try:
        with FirstInterrupt(on_terminate=lambda: setattr(app, "terminated", True)):
            try:
                session.create()
            except CliError as err:
                if session.missing_api(err):
                    return None
                raise
            try:
                with _stdin_word(app, sandbox, opts) as stdin:
                    try:
                        code = _run(app, session, opts, stdin, sink, started)
                    finally:
                        _kill(app, session)
            finally:
                _kill(app, session)
    except _TimedOut:
        detail = "its output so far is above"
        if opts.json_output:
            app.output.json(sink.json(None))
            detail = "its output so far is in the JSON on stdout"
        app.output.error(stream_timed_out(opts.timeout, detail))
        return EXEC_TIMEOUT
    except KeyboardInterrupt:
        if opts.json_output:
            app.output.json(sink.json(None))
        killed = "; the remote command was killed" if started.is_set() else ""
        word = "terminated" if app.terminated else "interrupted"
        raise CliError(Category.INTERRUPTED, f"{word}{killed}") from None
    if opts.json_output:
        app.output.json(sink.json(code))
    if code == -1:  # under --json too: the JSON's -1 needs saying what it means
        app.output.error(CANNOT_START_OR_KILLED)
    return exit_status(code)


@contextlib.contextmanager
def _stdin_word(app: AppContext, sandbox: JSONObject, opts: ExecOptions) -> Iterator[str | None]:
    """What the command reads: ``/dev/null`` without ``-i``; piped input uploaded as a file
    (deleted afterwards); None for a terminal (lines are forwarded as typed)."""
    streams = app.runtime.streams
    if not opts.interactive:
        yield "/dev/null"
    elif streams.stdin_tty:
        yield None
    else:
        files = app.client().toolbox.files(sandbox)
        assert files is not None  # a session exists, so the toolbox proxy does
        with uploaded_stdin(files, streams) as word:
            yield word


def _run(app: AppContext, session: ToolboxSession, opts: ExecOptions, stdin: str | None,
         sink: Sink, started: threading.Event) -> int:  # fmt: skip
    markers = EndMarkers()
    line = markers.command(wrapped(opts.command, cwd=opts.cwd, env=opts.env, stdin=stdin))
    command_id = session.start(line, suppress_echo=opts.interactive)
    started.set()
    clock = app.clock
    deadline = clock.monotonic() + opts.timeout if opts.timeout else None
    typed = None
    if stdin is None:
        typed = TypedInput(app.runtime.streams.stdin,
                           functools.partial(session.send_input, command_id),
                           functools.partial(app.output.info, INPUT_ENDED))  # fmt: skip
    try:
        if typed is not None:
            typed.start()
        with session.follow(command_id) as log:
            _pump(log, markers, sink, clock, deadline)
        if markers.exit_code is not None:
            return markers.exit_code
        return _final_code(session, command_id, clock, deadline)
    finally:
        if typed is not None:
            typed.stop()


def _pump(log: LogStream, markers: EndMarkers, sink: Sink, clock: Clock,
          deadline: float | None) -> None:  # fmt: skip
    """Write the log as it comes until the end markers are in or the daemon closes the
    stream; raises _TimedOut at the deadline."""
    demux = Demux()
    try:
        while markers.exit_code is None:
            data = log.receive(TICK)
            if data is None:
                return
            if data:
                sink.write(markers.feed(demux.feed(data)))
            if deadline is not None and clock.monotonic() >= deadline:
                raise _TimedOut
    finally:
        sink.write(markers.feed(demux.flush()))
        sink.write(markers.flush())


def _final_code(session: ToolboxSession, command_id: str, clock: Clock,
                deadline: float | None) -> int:  # fmt: skip
    """The exit code once the stream has ended without the end markers."""
    delay = POLL_FIRST
    while (code := session.exit_code(command_id)) is None:
        if deadline is not None and clock.monotonic() >= deadline:
            raise _TimedOut
        clock.sleep(delay)
        delay = min(2 * delay, POLL_CAP)
    return code


def _kill(app: AppContext, session: ToolboxSession) -> None:
    """Delete the session (once), which kills the command if it still runs."""
    try:
        session.delete()
    except CliError as err:
        app.output.warn(
            f"could not delete the session {session.id}: {err.message}; "
            "the command may still be running"
        )
