"""A command's log as it grows: the follow WebSocket, and the stdout/stderr framing inside it.

``GET .../command/{cmdId}/logs?follow=true`` upgraded to a WebSocket streams the raw log with
``X-Daytona-Split-Output: true``: every chunk starts with ``\\x01\\x01\\x01`` (stdout) or
``\\x02\\x02\\x02`` (stderr), and a prefix may be split across messages (NOTES.md, Sessions).
:class:`Demux` undoes the framing; :func:`follow` opens the socket over the run's one httpx
client (httpx-ws, imported only here, only when a command streams).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from daytona_cli.errors import Category, CliError, Reason

if TYPE_CHECKING:
    from daytona_cli.client.http import HttpClient

STDOUT = 1
STDERR = 2
PREFIXES = {b"\x01\x01\x01": STDOUT, b"\x02\x02\x02": STDERR}
SPLIT_OUTPUT = {"X-Daytona-Split-Output": "true"}
"""Asks the daemon for the raw, prefixed log; the honest choice for a client that is not the
SDK (an SDK version header would be pretending)."""


def preload() -> None:
    """Import the WebSocket library in the background: its import (wsproto's dataclasses
    above all) then overlaps the requests made before the stream opens, instead of adding to
    them. Importing it again later waits for this import to finish."""

    def load() -> None:
        import httpx_ws  # noqa: F401

    threading.Thread(target=load, name="preload httpx-ws", daemon=True).start()


class Demux:
    """The raw log's framing, undone incrementally: bytes in, ``(STDOUT|STDERR, bytes)`` out.

    A state machine over the stream: the current target, and at most two held-back marker
    bytes at the end of a chunk that may be the start of a prefix finished by the next chunk.
    Bytes before any prefix count as stdout.
    """

    def __init__(self) -> None:
        self.target = STDOUT
        self._held = b""

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The pieces ``data`` completes, in order, one per run of the same stream (a chunk
        of many stdout lines is one write, not one per line); empty pieces are left out."""
        buffer = self._held + data
        self._held = b""
        runs: list[tuple[int, list[bytes]]] = []
        start = 0
        while True:
            found = _next_prefix(buffer, start)
            if found is None:
                break
            at, target = found
            _add(runs, self.target, buffer[start:at])
            self.target, start = target, at + 3
        tail = buffer[start:]
        keep = _partial_prefix_length(tail)
        if keep:
            self._held, tail = tail[-keep:], tail[:-keep]
        _add(runs, self.target, tail)
        return [(target, b"".join(parts)) for target, parts in runs]

    def flush(self) -> list[tuple[int, bytes]]:
        """What is held back, once the stream has ended (it was data, not a prefix)."""
        held, self._held = self._held, b""
        return [(self.target, held)] if held else []


def _add(runs: list[tuple[int, list[bytes]]], target: int, data: bytes) -> None:
    if not data:
        return
    if runs and runs[-1][0] == target:
        runs[-1][1].append(data)
    else:
        runs.append((target, [data]))


def _next_prefix(buffer: bytes, start: int) -> tuple[int, int] | None:
    """The first prefix at or after ``start``: one scan, so a buffer is read once however
    many prefixes it holds (looking for each prefix in turn re-read the rest every time)."""
    found = _PREFIX.search(buffer, start)
    return (found.start(), PREFIXES[found.group()]) if found else None


_PREFIX = re.compile(b"|".join(re.escape(prefix) for prefix in PREFIXES))


def _partial_prefix_length(tail: bytes) -> int:
    """1 or 2 when ``tail`` ends with the first bytes of a prefix, else 0."""
    for size in (2, 1):
        if len(tail) >= size and tail[-size:] in (b"\x01" * size, b"\x02" * size):
            return size
    return 0


class LogStream:
    """An open follow socket: :meth:`receive` the next piece of the raw log."""

    def __init__(self, socket: Any) -> None:
        self._socket = socket

    def receive(self, timeout: float) -> bytes | None:
        """The next message's bytes (``b""`` when none came within ``timeout`` seconds), or
        None once the server closed the stream normally. A broken connection or an abnormal
        close raises :class:`CliError` (network)."""
        import queue

        from httpx_ws import WebSocketDisconnect, WebSocketNetworkError
        from wsproto.events import BytesMessage, TextMessage

        try:
            event = self._socket.receive(timeout=timeout)
        except queue.Empty:
            return b""
        except WebSocketDisconnect as closed:
            if closed.code in (None, 1000):
                return None
            raise _stream_error(f"the log stream closed with code {closed.code}") from None
        except WebSocketNetworkError:
            raise _stream_error("the log stream's connection broke") from None
        if isinstance(event, BytesMessage):
            return bytes(event.data)
        if isinstance(event, TextMessage):
            return event.data.encode("utf-8", "surrogateescape")
        return b""  # pings and pongs are answered by httpx-ws itself


@contextlib.contextmanager
def follow(http: HttpClient, url: str) -> Iterator[LogStream]:
    """The follow WebSocket of ``url`` (``.../logs?follow=true``), closed on leaving.

    The upgrade goes through ``http``'s client (its key, proxies and TLS settings), logged
    under ``--debug`` like any request. A refused upgrade raises the API's error as data; a
    connection that cannot be made raises a network error.
    """
    import httpx
    from httpx_ws import WebSocketUpgradeError, connect_ws

    if http.debug is not None:
        http.debug(f"> GET {url} (WebSocket)")
    stack = contextlib.ExitStack()
    try:
        # Pings keep an idle stream alive through proxies, but an unanswered one must not end
        # it: while a slow reader holds the stream back, the pong waits in the queue too.
        done = threading.Event()
        stack.callback(done.set)
        socket: Any = stack.enter_context(
            connect_ws(
                url, http.http, headers=dict(SPLIT_OUTPUT), keepalive_ping_timeout_seconds=None
            )
        )
        stack.callback(_discard, socket, done)
    except WebSocketUpgradeError as refused:
        # httpx-ws has closed the answer unread: only its status is left to report.
        status = refused.response.status_code
        raise CliError(
            Category.SERVER if status >= 500 else Category.OTHER,
            f"the toolbox refused to stream the command's output "
            f"(HTTP {status} {refused.response.reason_phrase})",
            status=status,
            reason=Reason.HTTP,
        ) from None
    except httpx.TransportError as exc:
        host = httpx.URL(url).host
        raise CliError(
            Category.NETWORK,
            f"cannot open the log stream at {host}: {exc or type(exc).__name__}",
            reason=Reason.NETWORK,
            host=host,
        ) from None
    with stack:
        if http.debug is not None:
            http.debug("< 101 Switching Protocols")
        yield LogStream(socket)


def _discard(socket: Any, done: threading.Event) -> None:
    """Throw away what ``socket`` still receives until ``done`` (httpx-ws has closed it).

    httpx-ws's receiving thread hands each message to a bounded queue, and on leaving, it
    waits for that thread; if the run ended early (a timeout, a reader that went away) with
    the queue full, the thread would wait for room forever, and so would we. A thread of ours
    empties the queue meanwhile, so nothing is left blocked.
    """

    def drain() -> None:
        while not done.is_set():
            try:
                socket.receive(timeout=0.05)
            except Exception:  # Empty, the close, a broken connection: all end the same
                done.wait(0.01)  # a closed socket raises at once: do not spin on it

    threading.Thread(target=drain, name="discard log stream", daemon=True).start()


def _stream_error(message: str) -> CliError:
    return CliError(Category.NETWORK, message, reason=Reason.NETWORK)
