"""The process's streams, injected (in the spirit of gh's IOStreams).

Everything that reads or writes the terminal goes through one :class:`Streams`: output,
prompts, progress and exec's byte-for-byte passthrough. A run builds it from the process with
:meth:`Streams.from_process`; tests build their own, pretending to be a terminal of any width.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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
    stdin_closed: bool = False
    """The process was started with no stdin at all (``<&-``): ``stdin`` is then empty."""
    _decoders: dict[bool, codecs.IncrementalDecoder] = field(default_factory=dict, repr=False)

    @classmethod
    def from_process(cls, environ: Mapping[str, str]) -> Streams:
        """The process's streams; one it was started without (``>&-``, ``2>&-``, ``<&-``:
        Python's ``sys.stdout`` is then None) is /dev/null instead (:func:`_or_devnull`); a
        missing stdin gets /dev/null on descriptor 0 too, but stays marked closed
        (:attr:`stdin_closed`), so that ``cp -`` can say so rather than upload nothing."""
        if sys.stdin is None:
            _reserve(0, "r")
        return cls.from_files(
            _or_devnull(sys.stdout, 1, "w"), _or_devnull(sys.stderr, 2, "w"), sys.stdin, environ
        )

    @classmethod
    def from_files(
        cls, stdout: IO[str], stderr: IO[str], stdin: IO[str] | None, environ: Mapping[str, str]
    ) -> Streams:
        """Streams over open text files, made safe for any encoding first.

        A stdout that cannot encode a character (Windows' redirected output, ``LANG=C``,
        ``PYTHONIOENCODING=cp1252``) shows it as a backslash escape instead of failing;
        exec output bypasses the encoding altogether (:meth:`write_bytes`). A closed stdin
        (Python's ``sys.stdin`` is None) reads as empty, with :attr:`stdin_closed` set.
        """
        for stream in (stdout, stderr):
            _tolerate_any_text(stream)
        return cls(
            stdout=stdout,
            stderr=stderr,
            stdin=io.StringIO() if stdin is None else stdin,
            stdout_tty=isatty(stdout),
            stderr_tty=isatty(stderr),
            stdin_tty=isatty(stdin),
            color=not environ.get("NO_COLOR"),
            stdin_closed=stdin is None,
        )

    def write_bytes(self, data: bytes, *, to_stderr: bool = False) -> None:
        """Bytes to stdout (or stderr) unchanged (exec output), below any text encoding;
        flushed."""
        stream = self.stderr if to_stderr else self.stdout
        binary = getattr(stream, "buffer", None)
        if binary is None:  # a text-only stream: a character may be cut across writes
            decoder = self._decoders.get(to_stderr)
            if decoder is None:
                decoder = self._decoders[to_stderr] = codecs.getincrementaldecoder("utf-8")(
                    errors="replace"
                )
            stream.write(decoder.decode(data))
        else:
            stream.flush()
            binary.write(data)
            binary.flush()
        stream.flush()

    def stdin_chunks(self, size: int = 256 * 1024) -> Iterator[bytes]:
        """stdin's bytes to end-of-file, ``size`` at a time, below any text encoding.

        On a terminal, a line at a time: a read that waits to fill ``size`` would swallow
        the first Ctrl-D (it ends one read, not the input) and need a second."""
        binary = getattr(self.stdin, "buffer", None)
        read = binary.read if binary is not None else None
        if binary is not None and self.stdin_tty:
            read = getattr(binary, "read1", binary.read)
        while True:
            chunk = read(size) if read is not None else self.stdin.read(size).encode()
            if not chunk:
                return
            yield chunk


def _or_devnull(stream: IO[str] | None, fd: int, mode: str) -> IO[str]:
    """``stream``, or for a closed one /dev/null: what is written there is dropped (as
    ``print`` does with no ``sys.stdout``) and reading it is at its end at once. /dev/null is
    put on the stream's own descriptor while that is free, so that no socket opened later takes
    it (and receives our output), and ``ssh`` inherits /dev/null too."""
    if stream is not None:
        return stream
    if _reserve(fd, mode):
        return open(fd, mode, encoding="utf-8", closefd=False)
    return open(os.devnull, mode, encoding="utf-8")


def _reserve(fd: int, mode: str) -> bool:
    """Put /dev/null on descriptor ``fd`` if it is free; whether it was."""
    try:
        os.fstat(fd)
    except OSError:  # free, as expected: reserve it
        null = os.open(os.devnull, os.O_RDONLY if mode == "r" else os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        return True
    return False


def _tolerate_any_text(stream: Any) -> None:
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        # A stream already written to in some other way may refuse; it is used as it is.
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="backslashreplace")


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
