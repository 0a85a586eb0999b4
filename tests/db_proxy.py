"""A loopback TCP proxy in front of the database that a test can cut and restore.

A gateway process is pointed at the proxy instead of at PostgreSQL; the test then plays the outage:

- `cut("reset")`: every open connection is reset and new ones are reset as soon as they are accepted,
  which is what a client sees when the database server is stopped or restarted;
- `cut("blackhole")`: nothing is forwarded any more, in either direction, and nothing is closed (a
  network partition: packets vanish, no error ever arrives);
- `restore()`: connections held open by a black hole are reset, and new connections are forwarded again;
- `drop_silently()`: every open connection loses its server side (the server ends its session) while the
  client side stays open and quiet, so the client only finds out when it next sends something (then it is
  reset): a connection that died unnoticed in the pool. New connections are forwarded as usual.

It also decodes what clients send (PostgreSQL frontend protocol, plain text only: `?ssl=disable`) and records
every statement executed on the wire in `statements`, in order: simple queries (BEGIN, ROLLBACK, ...) and
each Execute of a prepared statement, by its text.

The proxy runs its own asyncio loop in a daemon thread, so it keeps working while the test's own event loop
(or a blocking call in the test) is busy, and every call from the test is bounded by a timeout.

    with running_db_proxy("127.0.0.1", 5432) as proxy:
        url = proxied_url(database_url, proxy)
        ...
        proxy.cut()
        ...
        proxy.restore()
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import make_url

MODES = ("forward", "reset", "blackhole")
#: Bound on every call from the test into the proxy's loop.
CALL_TIMEOUT_S = 10.0
CHUNK = 65536


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close a connection with a TCP RST (SO_LINGER 0) instead of an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


class DbProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = "127.0.0.1"
        self.port = 0
        self.mode = "forward"
        #: Connections accepted so far (each forwarded or refused), for tests to show traffic went through.
        self.accepted = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="db-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._held: set[asyncio.StreamWriter] = set()
        self._started = threading.Event()
        #: Statements executed on the wire, as the server received them (see the module docstring).
        self.statements: list[str] = []
        #: Client side -> server side of every forwarded connection; client sides dropped silently.
        self._upstream: dict[asyncio.StreamWriter, asyncio.StreamWriter] = {}
        self._doomed: set[asyncio.StreamWriter] = set()

    # --- test side ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())
        self._started.set()

    def cut(self, mode: str = "reset") -> None:
        assert mode in ("reset", "blackhole"), mode
        self._call(self._set_mode(mode))

    def restore(self) -> None:
        self._call(self._set_mode("forward"))

    def drop_silently(self) -> int:
        """End the server side of every open connection, leaving its client side open; returns how many."""
        return int(self._call(self._drop_silently()))

    def stop(self) -> None:
        if self._started.is_set():
            self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CALL_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT_S)

    # --- proxy side -----------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "reset":
            for writer in list(self._open):
                _reset(writer)
            self._open.clear()
        if mode == "forward":
            for writer in list(self._held):
                _reset(writer)
            self._held.clear()

    async def _drop_silently(self) -> int:
        dropped = 0
        for client, upstream in list(self._upstream.items()):
            if client in self._doomed:
                continue
            self._doomed.add(client)
            self._open.discard(upstream)
            upstream.close()
            dropped += 1
        return dropped

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in [*self._open, *self._held]:
            _reset(writer)
        self._open.clear()
        self._held.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == "reset":
            _reset(writer)
            return
        if self.mode == "blackhole":
            self._held.add(writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            _reset(writer)
            return
        self._open.update((writer, upstream_writer))
        self._upstream[writer] = upstream_writer
        try:
            await asyncio.gather(
                self._pump(reader, upstream_writer, writer, FrontendDecoder(self.statements)),
                self._pump(upstream_reader, writer, upstream_writer),
                return_exceptions=True,
            )
        finally:
            self._upstream.pop(writer, None)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        source: asyncio.StreamWriter,
        decoder: FrontendDecoder | None = None,
    ) -> None:
        """Copy one direction until EOF or an error; in a black hole, swallow the bytes instead."""
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                if source in self._doomed:
                    _reset(source)  # the client wrote on a connection whose server side is gone
                    break
                if decoder is not None:
                    decoder.feed(data)
                if self.mode == "blackhole":
                    # Keep reading (so the sender never sees back-pressure) but deliver nothing; the
                    # connection is reset when the proxy is restored.
                    self._held.update((writer, source))
                    self._open.difference_update((writer, source))
                    continue
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            if writer in self._doomed:
                pass  # dropped silently: the client side stays open until the client writes
            elif writer in self._open:
                self._open.discard(writer)
                writer.close()


#: Untyped messages a client may send before its startup message (SSL / GSS encryption requests).
_ENCRYPTION_REQUESTS = (80877103, 80877104)


class FrontendDecoder:
    """Follows one client's PostgreSQL frontend messages and records each statement it executes."""

    def __init__(self, statements: list[str]) -> None:
        self.statements = statements
        self._buffer = bytearray()
        self._started = False
        self._prepared: dict[str, str] = {}  # statement name -> text
        self._portals: dict[str, str] = {}  # portal name -> text

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if not self._started:
                if len(self._buffer) < 8:
                    return
                (length,) = struct.unpack("!i", self._buffer[:4])
                if len(self._buffer) < length:
                    return
                (code,) = struct.unpack("!i", self._buffer[4:8])
                del self._buffer[:length]
                self._started = code not in _ENCRYPTION_REQUESTS
                continue
            if len(self._buffer) < 5:
                return
            (length,) = struct.unpack("!i", self._buffer[1:5])
            if len(self._buffer) < 1 + length:
                return
            kind, body = chr(self._buffer[0]), bytes(self._buffer[5 : 1 + length])
            del self._buffer[: 1 + length]
            self._message(kind, body)

    def _message(self, kind: str, body: bytes) -> None:
        strings = body.split(b"\0")
        if kind == "Q":
            self.statements.append(strings[0].decode())
        elif kind == "P":
            self._prepared[strings[0].decode()] = strings[1].decode()
        elif kind == "B":
            self._portals[strings[0].decode()] = self._prepared.get(strings[1].decode(), "?")
        elif kind == "E":
            self.statements.append(self._portals.get(strings[0].decode(), "?"))


@contextmanager
def running_db_proxy(target_host: str, target_port: int) -> Iterator[DbProxy]:
    """A started proxy to `target_host:target_port`; always stopped afterwards."""
    proxy = DbProxy(target_host, target_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def proxied_url(database_url: str, proxy: DbProxy) -> str:
    """`database_url` with its host and port replaced by the proxy's."""
    return make_url(database_url).set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)


def target_of(database_url: str) -> tuple[str, int]:
    url = make_url(database_url)
    return url.host or "127.0.0.1", int(url.port or 5432)
