"""What ``exec`` gives the remote command besides its command line: a working directory,
environment variables and stdin, carried in the command line itself.

Session exec takes no ``cwd`` or ``envs`` (NOTES.md, Sessions), so they are shell-quoted into
the line, which keeps README's quoting rules: the user's line is handed unchanged to ``eval``,
quoted as one word, inside a group that zsh, bash and sh all read the same way. stdin is the
session's input pipe, which has no end-of-file: without ``-i`` the command reads
``/dev/null``; piped input is uploaded as a file first and redirected from it; on a terminal,
lines are forwarded as they are typed (:class:`TypedInput`).
"""

from __future__ import annotations

import contextlib
import shlex
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from daytona_cli.client.files import SandboxFiles
from daytona_cli.errors import CliError
from daytona_cli.streams import Streams

CANNOT_START = 126
INPUT_DIR = ".cache/daytona-cli"
"""Under the sandbox user's home: piped stdin waits there as a file while the command runs."""


def wrapped(line: str, *, cwd: str | None, env: dict[str, str], stdin: str | None) -> str:
    """The command line for a session: ``line`` run by ``eval`` (so that a syntax error in it
    is reported, with status 1 or 2, instead of swallowing what follows it) in a subshell (so
    that ``exit`` ends the command, not the session's shell, and ``trap ... EXIT`` runs, as
    under ``sh -c``), in ``cwd`` (exit
    126 when the shell cannot change to it; ``~`` is the user's home), with ``env`` exported,
    reading stdin from the shell word ``stdin`` (None: the session's input pipe, for typed
    input)."""
    body = f"eval {shlex.quote(line)}\n"
    if env:
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        body = f"export {exports}\n{body}"
    if cwd is not None:
        body = f"if cd -- {directory_word(cwd)}; then\n{body}else (exit {CANNOT_START}); fi\n"
    redirect = f" < {stdin}" if stdin is not None else ""
    return f"( {body}){redirect}"


def directory_word(path: str) -> str:
    """``path`` as one shell word, ``~`` and ``~/...`` meaning the home as in a shell (and as
    in ``cp``); anything else quoted as it is."""
    if path == "~" or path.startswith("~/"):
        rest = path[2:]
        return '"$HOME"' + (f"/{shlex.quote(rest)}" if rest else "")
    return shlex.quote(path)


@contextlib.contextmanager
def uploaded_stdin(files: SandboxFiles, streams: Streams) -> Iterator[str]:
    """Upload stdin, to its end, as a file in the sandbox; yields the shell word that names
    it (``"$HOME"/...``: the session's shell and ``/user-home-dir`` share the home). The
    file is deleted on leaving, whatever happened."""
    name = f"stdin-{uuid.uuid4()}"
    path = f"{files.home_dir().rstrip('/')}/{INPUT_DIR}/{name}"
    try:
        files.upload(path, streams.stdin_chunks(), None)
        yield f'"$HOME"/{INPUT_DIR}/{name}'
    finally:
        with contextlib.suppress(CliError):
            files.delete(path)


class TypedInput:
    """Lines typed on the terminal, sent to the command as they come (``SendInput``).

    A daemon thread reads the terminal; the terminal echoes what is typed, so the command is
    started with ``suppressInputEcho``. End-of-file (Ctrl-D) stops the forwarding: the
    input API cannot pass it on, so ``on_end`` is called to say so (the command runs on).
    """

    def __init__(self, stdin: Any, send: Callable[[str], None], on_end: Callable[[], None]) -> None:
        self.stdin = stdin
        self.send = send
        self.on_end = on_end
        self.stopped = threading.Event()
        self.error: CliError | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        try:
            for line in self._lines():
                if self.stopped.is_set():
                    return
                self.send(line)
            if not self.stopped.is_set():
                self.on_end()
        except CliError as err:
            self.error = err
        except Exception:  # the run has ended and closed the client meanwhile
            return

    def _lines(self) -> Iterator[str]:
        """Lines as typed: from the descriptor, polled so that :meth:`stop` ends the thread
        (nothing is left blocked on stdin's buffer), or by ``readline`` without one."""
        import os
        import select

        try:
            descriptor = self.stdin.fileno()
        except (AttributeError, OSError, ValueError):
            yield from iter(self.stdin.readline, "")
            return
        while not self.stopped.is_set():
            ready, _, _ = select.select([descriptor], [], [], 0.1)
            if not ready:
                continue
            data = os.read(descriptor, 64 * 1024)
            if not data:
                return
            yield data.decode("utf-8", "replace")
