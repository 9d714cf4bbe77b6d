"""The fake on a loopback HTTP server: each request becomes an ``httpx.Request`` for
``FakeDaytona._respond`` and its answer goes back over the wire. Request bodies may be chunked;
uploads are streamed to the fake unread; downloads are streamed out; a WebSocket upgrade of
``GET .../logs?follow=true`` is accepted (wsproto) and the command's log is sent as it grows.
"""

from __future__ import annotations

import contextlib
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from tests.fake.core import FakeDaytona

READ_SIZE = 64 * 1024


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server around a FakeDaytona; joins its threads when closed."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], fake: FakeDaytona) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.stopping = threading.Event()
        super().__init__(address, _Handler)
        self.origin = f"http://{address[0]}:{self.server_address[1]}"

    def hang_up(self) -> None:
        """Close kept-alive connections (and WebSockets) so that their threads finish."""
        self.stopping.set()
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is part of the tests, not a failure of the fake.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RequestBody(httpx.SyncByteStream):
    """A request body read from the connection as it is consumed (Content-Length or chunked)."""

    def __init__(self, rfile: Any, headers: Any) -> None:
        self.rfile = rfile
        self.chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        self.remaining = int(headers.get("Content-Length") or 0)
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        if self.finished:
            return
        yield from self._chunked() if self.chunked else self._sized()
        self.finished = True

    def _sized(self) -> Iterator[bytes]:
        while self.remaining > 0:
            chunk = self.rfile.read(min(READ_SIZE, self.remaining))
            if not chunk:
                raise ConnectionError("the client hung up mid-body")
            self.remaining -= len(chunk)
            yield chunk

    def _chunked(self) -> Iterator[bytes]:
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            while size > 0:
                chunk = self.rfile.read(min(READ_SIZE, size))
                if not chunk:
                    raise ConnectionError("the client hung up mid-body")
                size -= len(chunk)
                yield chunk
            self.rfile.readline()

    def read_all(self) -> bytes:
        return b"".join(self)


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into an httpx.Request for the fake, and its answer back."""

    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm holds
        # the body back until the client's delayed ACK (about 40 ms) on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read the fake's records, not its log."""

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        fake = self.server.fake
        body = _RequestBody(self.rfile, self.headers)
        url = self.server.origin + self.path
        headers = list(self.headers.items())
        if self.command == "POST" and urlsplit(self.path).path.endswith("/files/upload-v2"):
            # Streamed to the sandbox's file as it arrives, never held whole.
            request = httpx.Request(self.command, url, headers=headers, stream=body)
        else:
            request = httpx.Request(self.command, url, headers=headers, content=body.read_all())
        started = fake._arrive(request)
        try:
            response, scripted = fake._respond(request)
            if not body.finished:
                self.close_connection = True  # the rest of the body is still on the wire
            if scripted is not None and scripted.drop:
                response.close()
                self.close_connection = True
                return
            fake._record(request, response)
            if response.status_code == 101:
                self._websocket(response.extensions["fake_websocket"])
                return
            self._send(response, scripted.trickle if scripted is not None else 0.0)
        finally:
            fake._depart(started)

    def _send(self, response: httpx.Response, trickle: float) -> None:
        streamed = _unread(response)
        self.send_response(response.status_code)
        for key, value in response.headers.multi_items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        if streamed and "content-length" not in response.headers:
            self.send_header("Transfer-Encoding", "chunked")
        elif streamed:
            self.send_header("Content-Length", response.headers["content-length"])
        else:
            self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        try:
            if streamed:
                self._send_stream(response, chunked="content-length" not in response.headers)
            elif trickle <= 0:
                self.wfile.write(response.content)
            else:
                for index in range(len(response.content)):
                    self.wfile.write(response.content[index : index + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
        except ConnectionError:
            self.close_connection = True
        finally:
            response.close()

    def _send_stream(self, response: httpx.Response, *, chunked: bool) -> None:
        for chunk in response.iter_raw():
            if chunked:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            else:
                self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    # -- WebSocket ---------------------------------------------------------------------------

    def _websocket(self, frames: Iterator[bytes]) -> None:
        """Accept the upgrade and send each log chunk as a message; close with 1000 when the
        chunks end, or stop when the client closes or the server hangs up."""
        from wsproto import ConnectionType, WSConnection
        from wsproto.events import AcceptConnection, CloseConnection

        self.close_connection = True
        fake = self.server.fake
        ws = WSConnection(ConnectionType.SERVER)
        head = self.requestline + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        ws.receive_data((head + "\r\n").encode("latin-1"))
        list(ws.events())
        try:
            self.wfile.write(ws.send(AcceptConnection()))
            self.wfile.flush()
            for chunk in frames:
                if self.server.stopping.is_set() or self._client_closed(ws):
                    return
                if chunk and fake.ws_lag:
                    time.sleep(fake.ws_lag)
                for piece in _pieces(chunk, fake.ws_chunk_size):
                    self.wfile.write(ws.send(_message(piece, text=fake.ws_text_frames)))
                self.wfile.flush()
            self.wfile.write(ws.send(CloseConnection(code=1000)))
            self.wfile.flush()
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and not self._client_closed(ws, wait=0.05):
                pass
        except OSError:
            return
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()

    def _client_closed(self, ws: Any, wait: float = 0.0) -> bool:
        """Read what the client sent: answer pings and closes; True once it has closed."""
        from wsproto.events import CloseConnection, Ping

        readable, _, _ = select.select([self.connection], [], [], wait)
        if not readable:
            return False
        data = self.connection.recv(READ_SIZE)
        if not data:
            return True
        ws.receive_data(data)
        for event in ws.events():
            if isinstance(event, Ping):
                self.wfile.write(ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                with contextlib.suppress(Exception):
                    self.wfile.write(ws.send(event.response()))
                return True
        return False


def _pieces(chunk: bytes, size: int | None) -> list[bytes]:
    if not chunk:
        return []
    if not size:
        return [chunk]
    return [chunk[start : start + size] for start in range(0, len(chunk), size)]


def _message(piece: bytes, *, text: bool) -> Any:
    from wsproto.events import BytesMessage, TextMessage

    if text:
        return TextMessage(data=piece.decode("utf-8", errors="replace"))
    return BytesMessage(data=piece)


def _unread(response: httpx.Response) -> bool:
    try:
        response.content
    except httpx.ResponseNotRead:
        return True
    return False
