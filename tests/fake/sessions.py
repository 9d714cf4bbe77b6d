"""Toolbox sessions as the daemon runs them: one real shell process per session, fed each
command line on its stdin, so that commands share the shell (``cd`` and ``export`` persist).

Each command runs as ``{ <command>; } < in > out 2> err`` with three FIFOs of its own: reader
threads prefix every chunk read from ``out`` with ``\\x01\\x01\\x01`` and from ``err`` with
``\\x02\\x02\\x02`` and append it to the command's log (NOTES.md "Sessions"); ``in`` is held open
by the fake, so a command reading stdin never sees end-of-file (the input route cannot send
one). The shell reports each exit code on its own stdout; a command that ends the shell itself
(``exit``, ``kill -9 $$``) is caught by an ``EXIT`` trap, or reported as Go reports a process
killed by a signal: -1.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shlex
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

STDOUT_PREFIX = b"\x01\x01\x01"
STDERR_PREFIX = b"\x02\x02\x02"
READ_SIZE = 64 * 1024
DRAIN_SECONDS = 2.0
"""How long the exit code waits for the command's output to be read to the end; a background
process that keeps the output open lets the exit code through after this (the daemon reports
the exit code before its readers finish, so clients must cope with late output anyway)."""


class SessionCommand:
    """One command of a session: its log (the raw, prefixed form) and its exit code."""

    def __init__(self, command_id: str, command: str, directory: Path, suppress_echo: bool):
        self.id = command_id
        self.command = command
        self.directory = directory
        self.suppress_echo = suppress_echo
        self.exit_code: int | None = None
        self._log = bytearray()
        self._changed = threading.Condition()
        self._readers: list[threading.Thread] = []
        directory.mkdir(parents=True)
        for name in ("out", "err", "in"):
            os.mkfifo(directory / name)
        # Held open for the command's life: its stdin never reaches end-of-file.
        self._input: int | None = os.open(directory / "in", os.O_RDWR)
        for name, prefix in (("out", STDOUT_PREFIX), ("err", STDERR_PREFIX)):
            reader = threading.Thread(target=self._read, args=(name, prefix), daemon=True)
            reader.start()
            self._readers.append(reader)

    def view(self) -> dict[str, Any]:
        """``Command`` in toolbox.yaml: ``exitCode`` only once the command has ended."""
        view: dict[str, Any] = {"id": self.id, "command": self.command}
        if self.exit_code is not None:
            view["exitCode"] = self.exit_code
        return view

    def raw_log(self) -> bytes:
        with self._changed:
            return bytes(self._log)

    def read_from(self, offset: int, timeout: float) -> tuple[bytes, bool]:
        """Log bytes after ``offset`` (waiting up to ``timeout`` for some), and whether the
        command has ended."""
        with self._changed:
            if len(self._log) <= offset and self.exit_code is None:
                self._changed.wait(timeout)
            return bytes(self._log[offset:]), self.exit_code is not None

    def wait(self, timeout: float | None = None) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.exit_code is not None, timeout)

    def send_input(self, data: str) -> None:
        """The daemon's ``SendInput``: a newline is added if missing, and the input is echoed
        to the log as stdout unless the command asked for ``suppressInputEcho``."""
        if not data.endswith("\n"):
            data += "\n"
        if self._input is None:
            raise OSError("the command has ended")
        # Echoed first, so that the echo always precedes what the command makes of the input.
        if not self.suppress_echo:
            self._append(STDOUT_PREFIX + data.encode())
        os.write(self._input, data.encode())

    def finish(self, code: int) -> None:
        """Record the exit code once the output has been read (or ``DRAIN_SECONDS`` passed)."""
        for reader in self._readers:
            reader.join(DRAIN_SECONDS)
        with self._changed:
            if self.exit_code is None:
                self.exit_code = code
            self._changed.notify_all()
        if self._input is not None:
            with contextlib.suppress(OSError):
                os.close(self._input)
            self._input = None

    def release(self) -> None:
        """Unblock readers still waiting for the shell to open their FIFO."""
        for reader, name in zip(self._readers, ("out", "err")):
            while reader.is_alive():
                with contextlib.suppress(OSError):
                    os.close(os.open(self.directory / name, os.O_WRONLY | os.O_NONBLOCK))
                reader.join(0.01)

    def _read(self, name: str, prefix: bytes) -> None:
        try:
            descriptor = os.open(self.directory / name, os.O_RDONLY)
        except OSError:
            return
        try:
            while chunk := os.read(descriptor, READ_SIZE):
                self._append(prefix + chunk)
        finally:
            os.close(descriptor)

    def _append(self, data: bytes) -> None:
        with self._changed:
            self._log += data
            self._changed.notify_all()


class ShellSession:
    """A session: one shell process, its commands in order, and whether it has ended."""

    def __init__(
        self, session_id: str, shell: str, cwd: Path, env: dict[str, str], directory: Path
    ) -> None:
        self.id = session_id
        self.directory = directory
        self.commands: dict[str, SessionCommand] = {}
        self.ended = threading.Event()
        self.deleted = False
        self._marker = "fake-daytona-" + secrets.token_hex(8)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        directory.mkdir(parents=True)
        self.process = subprocess.Popen(
            [shell],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def view(self) -> dict[str, Any]:
        """``Session`` in toolbox.yaml."""
        with self._lock:
            commands = list(self.commands.values())
        return {"sessionId": self.id, "commands": [command.view() for command in commands]}

    def execute(self, command: str, *, suppress_echo: bool = False) -> SessionCommand:
        """Start ``command`` in the session's shell; raises OSError when the shell is gone."""
        with self._lock:
            if self.ended.is_set():
                raise OSError("the session's shell has ended")
            command_id = secrets.token_hex(16)
            place = self.directory / str(next(self._numbers))
            started = SessionCommand(command_id, command, place, suppress_echo)
            self.commands[command_id] = started
            quoted = {name: shlex.quote(str(place / name)) for name in ("in", "out", "err")}
            script = (
                f"trap 'echo $? > {shlex.quote(str(place / 'exit'))}' EXIT\n"
                f"{{ {command}\n}} < {quoted['in']} > {quoted['out']} 2> {quoted['err']}\n"
                f'echo "{self._marker} {command_id} $?"\n'
                "trap - EXIT\n"
            )
            stdin = self.process.stdin
            assert stdin is not None
            try:
                stdin.write(script.encode())
                stdin.flush()
            except OSError:
                del self.commands[command_id]
                started.release()
                started.finish(-1)
                raise
            return started

    def delete(self) -> None:
        """End the session: kill the shell and everything it started (its process group)."""
        self.deleted = True
        self._kill_group()
        self._watcher.join(10)

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def _watch(self) -> None:
        """Read the shell's exit-code reports; when the shell ends, end what still runs."""
        stdout = self.process.stdout
        assert stdout is not None
        for line in stdout:
            parts = line.decode(errors="replace").split()
            if len(parts) == 3 and parts[0] == self._marker:
                with self._lock:
                    command = self.commands.get(parts[1])
                if command is not None:
                    command.finish(int(parts[2]))
        returncode = self.process.wait()
        # Orphans of a dead shell would keep the output FIFOs open.
        self._kill_group()
        with self._lock:
            self.ended.set()
            running = [c for c in self.commands.values() if c.exit_code is None]
        for command in running:
            command.release()
            try:
                code = int((command.directory / "exit").read_text().strip())
            except (OSError, ValueError):
                code = returncode if returncode >= 0 else -1  # Go's ExitCode()
            command.finish(code)
        stdout.close()
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()


def demux(raw: bytes) -> tuple[bytes, bytes]:
    """Split a raw log into (stdout, stderr) by its prefixes."""
    streams = {STDOUT_PREFIX: bytearray(), STDERR_PREFIX: bytearray()}
    current: bytearray | None = None
    position = 0
    while position < len(raw):
        starts = [(raw.find(p, position), p) for p in streams if raw.find(p, position) >= 0]
        if not starts:
            if current is not None:
                current += raw[position:]
            break
        at, prefix = min(starts)
        if current is not None:
            current += raw[position:at]
        current = streams[prefix]
        position = at + len(prefix)
    return bytes(streams[STDOUT_PREFIX]), bytes(streams[STDERR_PREFIX])


def merged(raw: bytes) -> bytes:
    """The raw log without its prefixes: stdout and stderr merged (the daemon's plain form)."""
    return raw.replace(STDOUT_PREFIX, b"").replace(STDERR_PREFIX, b"")
