"""The asyncio transport shells: UDP datagrams and TCP streams in, bytes out.

Deliberately thin: every decision (matching, retransmission, where responses
go, rate limiting) is in the sans-I/O transaction layer; this module only
moves bytes and reports ``Address``-tagged messages to one callback.

* UDP: one datagram is one message (RFC 3261 §18.3); IPv4 and IPv6 alike
  (hosts are kept without brackets, as the socket API gives them). The socket
  asks for large kernel buffers (``DEFAULT_SOCKET_BUFFER``, capped by the
  kernel) and is drained in batches, so a loop that stalls for a moment does
  not lose datagrams.
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
import socket
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from centralino.sip.errors import SipParseError
from centralino.sip.message import StreamFramer
from centralino.sip.transaction import Address

__all__ = [
    "DEFAULT_SOCKET_BUFFER", "MessageCallback", "SocketBuffers", "TcpTransport", "UdpTransport",
    "size_buffers",
]

log = logging.getLogger(__name__)

MessageCallback = Callable[[bytes, Address], None]
ErrorCallback = Callable[[Address], None]

# A stream peer that sends a larger message (or this much without completing one) is cut off.
MAX_STREAM_MESSAGE = 256 * 1024
# What a UDP socket asks of the kernel for each of its buffers (capped by net.core.rmem_max/wmem_max).
DEFAULT_SOCKET_BUFFER = 4 * 1024 * 1024
# Datagrams read per loop wakeup: enough to drain a burst, few enough not to starve other callbacks.
DEFAULT_BATCH = 64
MAX_DATAGRAM = 65535
MAX_QUEUED_SENDS = 10_000
_MAX_ADDRESSES = 4096  # Address objects kept for reuse, one per peer (ip, port)


class UdpTransport:
    """One bound UDP socket read in batches; ``start`` binds it and sizes its kernel buffers.

    Not an ``asyncio.DatagramProtocol``: asyncio's datagram transport reads one datagram
    per loop wakeup, so a burst of N datagrams costs N trips through the selector. Here one
    wakeup drains up to ``batch`` datagrams, then calls ``on_batch_end`` once (the endpoint
    re-arms its timer there instead of after every message). Sends go straight to the
    socket; only when the kernel's send buffer is full are they queued until it drains.
    """

    def __init__(
        self,
        on_message: MessageCallback,
        sock: socket.socket,
        *,
        on_batch_end: Callable[[], None] | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self.on_message = on_message
        self.on_batch_end = on_batch_end
        self.batch = batch
        self.sock = sock
        self.buffers = SocketBuffers(0, 0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: deque[tuple[bytes, tuple[str, int]]] = deque()
        self._addresses: dict[tuple[str | int, ...], Address] = {}
        self._closed = False

    @classmethod
    async def start(
        cls,
        bind: str,
        port: int,
        on_message: MessageCallback,
        *,
        buffer_bytes: int | None = DEFAULT_SOCKET_BUFFER,
        on_batch_end: Callable[[], None] | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> UdpTransport:
        """Bind ``bind``:``port``; ``buffer_bytes`` asks for that much kernel receive and send
        buffer (None: the system default). Linux caps the request at ``net.core.rmem_max`` /
        ``wmem_max``; the size obtained is logged and kept in ``buffers``."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(bind, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)
        if not infos:
            raise OSError(f"SIP UDP: cannot resolve bind address {bind!r}")
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            sock.bind(address)
            self = cls(on_message, sock, on_batch_end=on_batch_end, batch=batch)
            self.buffers = size_buffers(sock, buffer_bytes)
        except OSError:
            sock.close()
            raise
        self._loop = loop
        loop.add_reader(sock.fileno(), self._read_ready)
        return self

    @property
    def local(self) -> tuple[str, int]:
        sockname = self.sock.getsockname()
        return sockname[0], sockname[1]

    def _read_ready(self) -> None:
        recvfrom = self.sock.recvfrom
        addresses = self._addresses
        try:
            for _ in range(self.batch):
                try:
                    data, addr = recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:  # ICMP errors reported on the socket: the timers handle them
                    log.debug("UDP error: %s", exc)
                    continue
                if not data.strip(b"\r\n"):
                    continue  # RFC 5626 keep-alive (CRLF) or empty datagram
                source = addresses.get(addr)
                if source is None:
                    if len(addresses) >= _MAX_ADDRESSES:
                        addresses.clear()
                    source = addresses[addr] = Address("UDP", str(addr[0]), int(addr[1]))
                self.on_message(data, source)
        finally:
            if self.on_batch_end is not None:
                self.on_batch_end()

    def send(self, data: bytes, destination: Address) -> None:
        if self._closed:
            return
        target = (destination.host, destination.port)
        if not self._pending:
            try:
                self.sock.sendto(data, target)
                return
            except (BlockingIOError, InterruptedError):
                pass  # the send buffer is full: queue it until the socket is writable
            except OSError as exc:  # unreachable host, bad address: the retransmission timers handle it
                log.debug("UDP send to %s:%s failed: %s", destination.host, destination.port, exc)
                return
            if self._loop is not None:
                self._loop.add_writer(self.sock.fileno(), self._write_ready)
        if len(self._pending) < MAX_QUEUED_SENDS:
            self._pending.append((data, target))
        else:
            log.warning("SIP UDP send queue full (%s datagrams): datagram to %s:%s dropped",
                        MAX_QUEUED_SENDS, destination.host, destination.port)

    def _write_ready(self) -> None:
        while self._pending:
            data, target = self._pending[0]
            try:
                self.sock.sendto(data, target)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("UDP send to %s:%s failed: %s", target[0], target[1], exc)
            self._pending.popleft()
        if self._loop is not None:
            self._loop.remove_writer(self.sock.fileno())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
            if self._pending:
                self._loop.remove_writer(self.sock.fileno())
        self._pending.clear()
        self.sock.close()


class SocketBuffers(NamedTuple):
    """The kernel buffer sizes a socket got, in bytes as Linux reports them (twice the usable size)."""

    receive: int
    send: int


def size_buffers(sock: socket.socket, wanted: int | None) -> SocketBuffers:
    """Ask for ``wanted`` bytes of receive and send buffer and log what the kernel granted.

    Why: at a few hundred calls per second a loop held up for tens of milliseconds lets the
    default 208 KiB receive buffer overflow; the kernel then drops datagrams, and a lost 180
    or 200 becomes a retransmitted INVITE and often a failed call. Linux silently caps the
    request at ``net.core.rmem_max`` / ``wmem_max`` (and reports double the size it keeps).
    """
    if wanted is not None and wanted > 0:
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, wanted)
            except OSError as exc:
                log.warning("SIP UDP: could not set a %s-byte socket buffer: %s", wanted, exc)
    got = SocketBuffers(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                        sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
    log.info("SIP UDP socket buffers: receive %s KiB, send %s KiB", got.receive // 1024, got.send // 1024)
    if wanted is not None and wanted > 0 and got.receive < wanted:
        log.warning(
            "SIP UDP receive buffer is %s KiB, less than the %s KiB asked: the kernel caps it at "
            "net.core.rmem_max; raise that (sysctl -w net.core.rmem_max=%s) so bursts of datagrams "
            "are not dropped at high call rates", got.receive // 1024, wanted // 1024, wanted)
    return got


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
