"""One leg's RTP/RTCP session: sockets, symmetric-RTP latching, stamping, statistics.

This is the asyncio shell around the sans-I/O parts (``rtp``, ``rtcp``,
``stats``, ``dtmf``, ``jitter``). RTP goes on an even port from the configured
range and RTCP on the next one (RFC 3550 §11). The remote address from the SDP
is only a first guess: the session *latches* to the address the peer's RTP
really comes from (symmetric RTP, RFC 4961), which is what gets media through
NAT. It latches on the first packet, and again only when a new SSRC appears
(a re-INVITE, a transfer), so a stray sender cannot hijack an established
stream.

The packet paths are the engine's hot loop (a thousand streams are 50,000
packets a second on one core), so they avoid the general machinery: each
session keeps one ``bytearray`` holding its header template (version and SSRC
written once) into which ``struct.pack_into`` puts the marker/payload type,
sequence and timestamp and the payload is copied, and it goes out with
``socket.sendto`` on the non-blocking socket itself rather than through the
asyncio transport (which would add a method call chain and buffering that real-time
audio cannot use: a datagram that finds the socket buffer full is dropped and
counted in ``send_dropped``, since by the time it could go it would be late).
Incoming packets with the plain 12-byte header (no CSRC, extension or padding:
what every phone sends) are unpacked with one ``unpack_from`` instead of
building an ``RtpPacket``; anything else takes the full parser.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

from centralino.core.errors import CentralinoError
from centralino.media.dtmf import DtmfReceiver
from centralino.media.g711 import Codec, codec_for
from centralino.media.jitter import StreamRewriter
from centralino.media.rtcp import (
    ReceiverReport,
    ReportBlock,
    SdesChunk,
    SenderReport,
    SourceDescription,
    compound_bytes,
    ntp_from_unix,
    ntp_middle,
    parse_compound,
)
from centralino.media.rtp import RtpError, RtpPacket
from centralino.media.stats import LegStats, ReceptionStats

__all__ = ["OnRtp", "PortRange", "RtpSession"]

Address = tuple[str, int]
# (session, payload_type, sequence, timestamp, ssrc, marker, payload, arrival): plain values, no packet object
OnRtp = Callable[["RtpSession", int, int, int, int, bool, bytes, float], None]
_FIXED = struct.Struct("!BBHII")  # the whole 12-byte header, for incoming packets
_STAMP = struct.Struct("!BHI")  # marker/payload type, sequence, timestamp: what changes per packet


def _ignore(
    session: RtpSession, pt: int, seq: int, ts: int, ssrc: int, marker: bool, payload: bytes, now: float
) -> None:
    """Default ``on_rtp`` until the engine attaches its own."""


class NoPortFree(CentralinoError):
    """Every RTP port pair of the range is in use; widen ``media.rtp_ports`` in the configuration."""


@dataclass
class PortRange:
    """Even RTP ports from ``low`` to ``high`` (inclusive); RTCP uses port + 1."""

    low: int = 10000
    high: int = 20000
    _next: int = 0

    def candidates(self) -> list[int]:
        first = self.low + (self.low % 2)
        ports = list(range(first, self.high, 2))
        start = self._next % len(ports) if ports else 0
        self._next += 1
        return ports[start:] + ports[:start]


def _bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket] | None:
    """Both sockets of an RTP/RTCP pair, or None when either port is taken."""
    socks: list[socket.socket] = []
    try:
        for p in (port, port + 1):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.setblocking(False)
            sock.bind((host, p))
    except OSError:
        for sock in socks:
            sock.close()
        return None
    return socks[0], socks[1]


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self.on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        """ICMP port unreachable while the peer is not up yet: not an error for media."""


class RtpSession:
    """Sockets and per-stream state of one leg. Created by ``open``, ended by ``close``."""

    def __init__(self, leg: str, host: str, rng: random.Random, cname: str) -> None:
        self.leg = leg
        self.host = host
        self.cname = cname
        self.ssrc = rng.getrandbits(32)
        self.rewriter = StreamRewriter(rng.getrandbits(16), rng.getrandbits(32))
        self.port = 0
        self.remote: Address | None = None
        self.rtcp_remote: Address | None = None
        self.latched = False
        self.remote_ssrc: int | None = None
        self.codec: Codec = codec_for(0)
        self.dtmf_pt = 101
        self.stats = ReceptionStats()
        self.dtmf = DtmfReceiver()
        self.packets_sent = 0
        self.octets_sent = 0
        self.send_dropped = 0  # datagrams the kernel refused (socket buffer full, no route)
        self.rtcp_received = 0
        self._last_sr: tuple[int, float] | None = None  # (LSR field, arrival) of the peer's last SR
        self._rtp: asyncio.DatagramTransport | None = None
        self._rtcp: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None  # the RTP socket, for sending without the transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out = bytearray(_FIXED.pack(0x80, 0, 0, 0, self.ssrc))  # header template + payload
        self.on_rtp: OnRtp = _ignore

    async def open(self, ports: PortRange) -> int:
        loop = self._loop = asyncio.get_running_loop()
        for port in ports.candidates():
            pair = _bind_pair(self.host, port)
            if pair is None:
                continue
            endpoint = loop.create_datagram_endpoint
            self._rtp, _ = await endpoint(lambda: _Endpoint(self._rtp_in), sock=pair[0])
            self._rtcp, _ = await endpoint(lambda: _Endpoint(self._rtcp_in), sock=pair[1])
            self._sock = pair[0]
            self.port = port
            return port
        raise NoPortFree(f"no free RTP port pair in {ports.low}-{ports.high} on {self.host}")

    def set_remote(self, host: str, port: int, payload_type: int = 0, dtmf_pt: int = 101) -> None:
        """What the SDP says; latching may correct the address later."""
        self.remote = (host, port)
        self.rtcp_remote = (host, port + 1)
        self.codec = codec_for(payload_type)
        self.dtmf_pt = dtmf_pt

    # incoming

    def _rtp_in(self, data: bytes, addr: Address) -> None:
        if len(data) < 12:
            return
        if data[0] == 0x80:  # version 2, no padding, extension or CSRC: the fixed header alone
            _, second, sequence, timestamp, ssrc = _FIXED.unpack_from(data)
            if 192 <= second <= 223:  # rtcp-mux peers (RFC 5761 §4)
                self._rtcp_in(data, addr)
                return
            payload_type, marker, payload = second & 0x7F, second > 0x7F, data[12:]
        else:
            if 192 <= data[1] <= 223:
                self._rtcp_in(data, addr)
                return
            try:
                packet = RtpPacket.parse(data)
            except RtpError:
                return  # STUN, garbage: not ours to fail on
            payload_type, sequence, timestamp = packet.payload_type, packet.sequence, packet.timestamp
            ssrc, marker, payload = packet.ssrc, packet.marker, packet.payload
        if addr != self.remote:
            if self.latched and ssrc == self.remote_ssrc:
                return  # a second sender with the latched SSRC: ignore it
            self.remote = addr
            self.rtcp_remote = (addr[0], addr[1] + 1)
        self.latched = True
        if ssrc != self.remote_ssrc:
            self.remote_ssrc = ssrc
            self.stats = ReceptionStats()
        assert self._loop is not None
        now = self._loop.time()
        self.stats.receive(sequence, timestamp, now)
        self.on_rtp(self, payload_type, sequence, timestamp, ssrc, marker, payload, now)

    def _rtcp_in(self, data: bytes, addr: Address) -> None:
        try:
            packets = parse_compound(data)
        except CentralinoError:
            return
        self.rtcp_received += 1
        self.rtcp_remote = addr
        for packet in packets:
            if isinstance(packet, SenderReport):
                self._last_sr = (ntp_middle(packet.ntp_timestamp), asyncio.get_running_loop().time())

    # outgoing

    def _put(
        self, sock: socket.socket, remote: Address, payload_type: int, sequence: int, timestamp: int,
        marker: bool, payload: bytes,
    ) -> None:
        """Stamp the header template, copy the payload behind it, and hand it to the kernel."""
        out = self._out
        _STAMP.pack_into(out, 1, payload_type | 0x80 if marker else payload_type, sequence, timestamp)
        out[12:] = payload
        try:
            sock.sendto(out, remote)
        except OSError:  # EAGAIN (buffer full), ENETUNREACH, EPERM: this frame is lost, the next may go
            self.send_dropped += 1
            return
        self.packets_sent += 1
        self.octets_sent += len(payload)

    def send(self, payload: bytes, now: float, marker: bool = False, payload_type: int | None = None) -> None:
        """Send a frame we made (prompt, mix, silence) with our own continuous timestamps."""
        sock, remote = self._sock, self.remote
        if sock is None or remote is None:
            return
        stamp = self.rewriter.own(now)
        pt = self.codec.payload_type if payload_type is None else payload_type
        self._put(sock, remote, pt, stamp.sequence, stamp.timestamp, stamp.marker or marker, payload)

    def relay(
        self, ssrc: int, timestamp: int, marker: bool, payload: bytes, now: float, payload_type: int
    ) -> None:
        """Send a peer's frame on, keeping its timing (bridge, echo)."""
        sock, remote = self._sock, self.remote
        if sock is None or remote is None:
            return
        stamp = self.rewriter.relay(ssrc, timestamp, marker, now)
        self._put(sock, remote, payload_type, stamp.sequence, stamp.timestamp, stamp.marker, payload)

    def send_raw(self, data: bytes) -> None:
        if self.remote is not None and self._sock is not None:
            try:
                self._sock.sendto(data, self.remote)
            except OSError:
                self.send_dropped += 1

    def send_event(self, payload: bytes, event_timestamp: int | None, marker: bool, now: float) -> int:
        """Send one RFC 4733 packet: its own sequence number, the event's start timestamp.

        Returns that timestamp, to be passed again for the event's later packets.
        """
        stamp = self.rewriter.own(now)
        timestamp = stamp.timestamp if event_timestamp is None else event_timestamp
        if self._sock is not None and self.remote is not None:
            self._put(self._sock, self.remote, self.dtmf_pt, stamp.sequence, timestamp, marker, payload)
        return timestamp

    def send_report(self, wall: float, now: float) -> None:
        """RTCP SR (or RR before we sent anything) with SDES CNAME (RFC 3550 §6.4)."""
        if self.rtcp_remote is None or self._rtcp is None:
            return
        blocks: tuple[ReportBlock, ...] = ()
        if self.remote_ssrc is not None:
            lsr, dlsr = 0, 0
            if self._last_sr is not None:
                lsr = self._last_sr[0]
                dlsr = int((now - self._last_sr[1]) * 65536)
            blocks = (self.stats.report_block(self.remote_ssrc, lsr, dlsr),)
        if self.packets_sent:
            report: SenderReport | ReceiverReport = SenderReport(
                self.ssrc, ntp_from_unix(wall), self.rewriter.last_timestamp, self.packets_sent,
                self.octets_sent, blocks,
            )
        else:
            report = ReceiverReport(self.ssrc, blocks)
        sdes = SourceDescription((SdesChunk(self.ssrc, ((1, self.cname.encode()),)),))
        self._rtcp.sendto(compound_bytes([report, sdes]), self.rtcp_remote)

    def summary(self) -> LegStats:
        return self.stats.summary(self.packets_sent)

    def close(self) -> None:
        for transport in (self._rtp, self._rtcp):
            if transport is not None:
                transport.close()
        self._rtp = self._rtcp = None
        self._sock = None
