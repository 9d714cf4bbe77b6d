"""How a streamed ``exec`` knows, at once and exactly, that its command has ended.

The daemon closes the log stream only about a second after a command ends, and writes the
exit code before the last lines reach the log (NOTES.md, Sessions). So the command line ends
with a marker: after the user's line, the shell prints a token unique to the run, with the
exit code, on stdout, and the token on stderr. Output on each stream keeps its order, so once
both tokens have arrived, everything the command wrote before them has too. The tokens are
taken out of the output; text before them on the same line (output without a final newline)
is kept as it was. The shell's own exit status stays the command's.

A command that ends the session's shell itself (``kill $$``; it runs in a subshell, so ``exit 3``
does not) never prints the markers; the exit code is then watched for instead (exec_stream.py).
"""

from __future__ import annotations

import uuid

from daytona_cli.client.stream import STDERR, STDOUT

STATUS_VARIABLE = "__daytona_cli_status"


class EndMarkers:
    """The markers of one run: :meth:`command` adds them, :meth:`feed` takes them out."""

    def __init__(self, token: bytes | None = None) -> None:
        """A fresh token, or ``token`` again (to scan a log of the same run from its start)."""
        self.token = token or f"daytona-cli-end-{uuid.uuid4().hex}".encode()
        self._scanners = {STDOUT: _Scanner(self.token), STDERR: _Scanner(self.token)}

    def command(self, line: str) -> str:
        """``line`` (a complete shell command, see exec_input.wrapped) with the markers after
        it; its exit status is the shell's last status again at the end."""
        token = self.token.decode()
        status = STATUS_VARIABLE
        return (
            f"{line}; {status}=$?\n"
            f"printf '%s %d\\n' {token} \"${status}\"; printf '%s\\n' {token} >&2\n"
            f'(exit "${status}")'
        )

    def feed(self, pieces: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        """The output in ``pieces`` with the markers (and anything after them) taken out."""
        passed = []
        for target, data in pieces:
            kept = self._scanners[target].feed(data)
            if kept:
                passed.append((target, kept))
        return passed

    def flush(self) -> list[tuple[int, bytes]]:
        """Bytes held back as the possible start of a marker, once the stream has ended."""
        held = [(target, scanner.flush()) for target, scanner in self._scanners.items()]
        return [(target, data) for target, data in held if data]

    @property
    def exit_code(self) -> int | None:
        """The exit code, once both markers (and the code after the stdout one) are in."""
        out, err = self._scanners[STDOUT], self._scanners[STDERR]
        if not (out.found and err.found and b"\n" in out.after):
            return None
        words = bytes(out.after).split(b"\n", 1)[0].split()
        try:
            return int(words[0])
        except (IndexError, ValueError):
            return None


class _Scanner:
    """One stream: passes bytes on until the token; holds back a tail that may start it."""

    def __init__(self, token: bytes) -> None:
        self.token = token
        self.found = False
        self.after = bytearray()
        self._held = b""

    def feed(self, data: bytes) -> bytes:
        if self.found:
            self.after += data
            return b""
        buffer = self._held + data
        at = buffer.find(self.token)
        if at >= 0:
            self.found = True
            self.after += buffer[at + len(self.token) :]
            self._held = b""
            return buffer[:at]
        keep = _overlap(buffer, self.token)
        self._held = buffer[len(buffer) - keep :] if keep else b""
        return buffer[: len(buffer) - keep]

    def flush(self) -> bytes:
        held, self._held = self._held, b""
        return held


def _overlap(buffer: bytes, token: bytes) -> int:
    """The length of the longest end of ``buffer`` that is a start of ``token``."""
    for size in range(min(len(buffer), len(token) - 1), 0, -1):
        if buffer.endswith(token[:size]):
            return size
    return 0
