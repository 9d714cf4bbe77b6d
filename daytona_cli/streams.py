"""The process's streams, injected (in the spirit of gh's IOStreams).

Everything that reads or writes the terminal goes through one :class:`Streams`: output,
prompts, progress and exec's byte-for-byte passthrough. A run builds it from the process with
:meth:`Streams.from_process`; tests build their own, pretending to be a terminal of any width.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any


@dataclass
class Streams:
    """stdout, stderr and stdin, whether each is a terminal, the width and whether to colour."""

    stdout: IO[str]
    stderr: IO[str]
    stdin: IO[str]
    stdout_tty: bool = False
    stderr_tty: bool = False
    stdin_tty: bool = False
    width: int | None = None
    """Columns of the terminal; None lets rich ask the terminal (or use ``COLUMNS``)."""
    color: bool = True
    """False when ``NO_COLOR`` is set; colour is only ever used on a terminal anyway."""

    @classmethod
    def from_process(cls, environ: Mapping[str, str]) -> Streams:
        return cls(
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin=sys.stdin,
            stdout_tty=isatty(sys.stdout),
            stderr_tty=isatty(sys.stderr),
            stdin_tty=isatty(sys.stdin),
            color=not environ.get("NO_COLOR"),
        )

    def write_bytes(self, data: bytes) -> None:
        """Bytes to stdout unchanged (exec output), below any text encoding; flushed."""
        binary = getattr(self.stdout, "buffer", None)
        if binary is None:
            self.stdout.write(data.decode("utf-8", errors="replace"))
        else:
            self.stdout.flush()
            binary.write(data)
            binary.flush()
        self.stdout.flush()


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
