"""The asyncio transport shells: UDP datagrams and TCP streams in, bytes out.

Deliberately thin: every decision (matching, retransmission, where responses
go, rate limiting) is in the sans-I/O transaction layer; this module only
moves bytes and reports ``Address``-tagged messages to one callback.

* UDP: one datagram is one message (RFC 3261 §18.3); IPv4 and IPv6 alike
  (hosts are kept without brackets, as the socket API gives them).
* TCP: ``StreamFramer`` splits the stream on Content-Length (§18.3). A
  connection accepted from a peer is kept and reused for everything sent to
  that peer's address (responses go back on the connection the request came
  on, §18.2.2); sending to an address without a connection opens one.
  Connections that fail to open or break report ``on_error(address)`` so
  the layer can fail the transactions using them (§17.1.1.2 / §17.2.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import cast

from centralino.sip.errors import SipParseError
from centralino.sip.message import StreamFramer
from centralino.sip.transaction import Address

__all__ = ["MessageCallback", "TcpTransport", "UdpTransport"]

log = logging.getLogger(__name__)

MessageCallback = Callable[[bytes, Address], None]
ErrorCallback = Callable[[Address], None]

# A stream peer that sends a larger message (or this much without completing one) is cut off.
MAX_STREAM_MESSAGE = 256 * 1024


class UdpTransport(asyncio.DatagramProtocol):
    """One bound UDP socket; ``start`` returns the bound (host, port)."""

    def __init__(self, on_message: MessageCallback) -> None:
        self.on_message = on_message
        self.transport: asyncio.DatagramTransport | None = None

    @classmethod
    async def start(cls, bind: str, port: int, on_message: MessageCallback) -> UdpTransport:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(lambda: cls(on_message), local_addr=(bind, port))
        return protocol

    @property
    def local(self) -> tuple[str, int]:
        assert self.transport is not None
        sockname = self.transport.get_extra_info("sockname")
        return sockname[0], sockname[1]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if not data.strip(b"\r\n"):
            return  # RFC 5626 keep-alive (CRLF) or empty datagram
        self.on_message(data, Address("UDP", str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and friends: the retransmission timers handle it.
        log.debug("UDP error: %s", exc)

    def send(self, data: bytes, destination: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, (destination.host, destination.port))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class TcpTransport:
    """A listening TCP socket plus the table of open connections keyed by peer address."""

    def __init__(self, on_message: MessageCallback, on_error: ErrorCallback) -> None:
        self.on_message = on_message
        self.on_error = on_error
        self.server: asyncio.Server | None = None
        self.connections: dict[Address, asyncio.StreamWriter] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, bind: str, port: int, on_message: MessageCallback, on_error: ErrorCallback
                    ) -> TcpTransport:
        self = cls(on_message, on_error)
        self.server = await asyncio.start_server(self._accepted, bind, port)
        return self

    @property
    def local(self) -> tuple[str, int]:
        assert self.server is not None
        sockname = self.server.sockets[0].getsockname()
        return sockname[0], sockname[1]

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = Address("TCP", str(peer[0]), int(peer[1]))
        self.connections[address] = writer
        await self._read(address, reader, writer)

    async def _read(
        self, address: Address, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        framer = StreamFramer(MAX_STREAM_MESSAGE)
        try:
            while data := await reader.read(65536):
                for message in framer.feed(data):
                    if message == StreamFramer.PING:
                        writer.write(StreamFramer.PONG)  # RFC 5626 §4.4.1 keep-alive
                    elif message != StreamFramer.PONG:
                        self.on_message(message, address)
        except SipParseError as exc:
            log.warning("closing SIP/TCP connection from %s:%s: %s", address.host, address.port, exc)
        except (ConnectionError, OSError) as exc:
            log.debug("SIP/TCP connection %s:%s broke: %s", address.host, address.port, exc)
        finally:
            if self.connections.get(address) is writer:
                del self.connections[address]
            writer.close()

    def send(self, data: bytes, destination: Address) -> None:
        writer = self.connections.get(destination)
        if writer is not None and not writer.is_closing():
            writer.write(data)
            return
        task = asyncio.get_running_loop().create_task(self._connect_and_send(data, destination))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect_and_send(self, data: bytes, destination: Address) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(destination.host, destination.port), timeout=10)
        except (OSError, TimeoutError) as exc:
            log.info("SIP/TCP connect to %s:%s failed: %s", destination.host, destination.port, exc)
            self.on_error(destination)
            return
        self.connections[destination] = writer
        writer.write(data)
        await self._read(destination, reader, writer)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.connections.values()):
            writer.close()
        self.connections.clear()
        for task in list(self._tasks):
            task.cancel()

    async def wait_closed(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), timeout=2)
