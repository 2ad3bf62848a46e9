"""RTCP compound packets (RFC 3550 §6.4-6.6): SR, RR, SDES and BYE, as values.

Each packet type is a dataclass with ``parse()`` and ``__bytes__``;
``parse_compound`` splits a datagram into its packets and keeps types it does
not know (APP, RTPFB, XR ...) as ``RtcpUnknown`` so nothing a peer sends makes
the session fail. Written by hand for the same reason as ``rtp.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from centralino.core.errors import CentralinoError

__all__ = [
    "Bye", "ReceiverReport", "ReportBlock", "RtcpError", "RtcpPacket", "RtcpUnknown", "SdesChunk",
    "SenderReport", "SourceDescription", "ntp_from_unix", "ntp_middle", "parse_compound",
]

SR, RR, SDES, BYE = 200, 201, 202, 203
SDES_CNAME = 1
_NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01


class RtcpError(CentralinoError):
    """Bytes that are not valid RTCP; the message names the packet and field."""


def ntp_from_unix(seconds: float) -> int:
    """64-bit NTP timestamp (RFC 3550 §4) for a Unix time."""
    whole = int(seconds)
    frac = int((seconds - whole) * (1 << 32)) & 0xFFFFFFFF
    return ((whole + _NTP_EPOCH_OFFSET) & 0xFFFFFFFF) << 32 | frac


def ntp_middle(ntp: int) -> int:
    """The middle 32 bits of an NTP timestamp: the LSR field of a report block."""
    return (ntp >> 16) & 0xFFFFFFFF


def _header(count: int, packet_type: int, body_len: int) -> bytes:
    if body_len % 4:
        raise RtcpError(f"RTCP packet type {packet_type} body of {body_len} bytes is not 32-bit aligned")
    return struct.pack("!BBH", 0x80 | count, packet_type, body_len // 4)


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """Reception statistics about one source (RFC 3550 §6.4.1)."""

    ssrc: int
    fraction_lost: int  # fixed point, lost/expected * 256
    cumulative_lost: int  # signed 24 bits: duplicates can make it negative
    highest_sequence: int  # extended: cycles << 16 | max sequence
    jitter: int  # in timestamp units
    lsr: int = 0
    dlsr: int = 0  # 1/65536 s

    SIZE = 24

    @classmethod
    def parse(cls, data: bytes, offset: int = 0) -> ReportBlock:
        ssrc, lost_word, highest, jitter, lsr, dlsr = struct.unpack_from("!IIIIII", data, offset)
        cumulative = lost_word & 0xFFFFFF
        if cumulative & 0x800000:
            cumulative -= 1 << 24
        return cls(ssrc, lost_word >> 24, cumulative, highest, jitter, lsr, dlsr)

    def __bytes__(self) -> bytes:
        cumulative = max(-(1 << 23), min(self.cumulative_lost, (1 << 23) - 1)) & 0xFFFFFF
        lost_word = (self.fraction_lost & 0xFF) << 24 | cumulative
        return struct.pack(
            "!IIIIII", self.ssrc, lost_word, self.highest_sequence & 0xFFFFFFFF, self.jitter & 0xFFFFFFFF,
            self.lsr, self.dlsr,
        )


def _blocks(data: bytes, offset: int, count: int, what: str) -> tuple[ReportBlock, ...]:
    if len(data) < offset + count * ReportBlock.SIZE:
        raise RtcpError(f"RTCP {what} announces {count} report blocks but is too short for them")
    return tuple(ReportBlock.parse(data, offset + i * ReportBlock.SIZE) for i in range(count))


@dataclass(frozen=True, slots=True)
class SenderReport:
    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> SenderReport:
        if len(data) < 28:
            raise RtcpError("RTCP SR shorter than its 28 fixed bytes")
        ssrc, ntp_hi, ntp_lo, rtp_ts, packets, octets = struct.unpack_from("!IIIIII", data, 4)
        blocks = _blocks(data, 28, data[0] & 0x1F, "SR")
        return cls(ssrc, ntp_hi << 32 | ntp_lo, rtp_ts, packets, octets, blocks)

    def __bytes__(self) -> bytes:
        body = struct.pack(
            "!IIIIII", self.ssrc, self.ntp_timestamp >> 32, self.ntp_timestamp & 0xFFFFFFFF,
            self.rtp_timestamp & 0xFFFFFFFF, self.packet_count & 0xFFFFFFFF, self.octet_count & 0xFFFFFFFF,
        ) + b"".join(bytes(r) for r in self.reports)
        return _header(len(self.reports), SR, len(body)) + body


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    ssrc: int
    reports: tuple[ReportBlock, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> ReceiverReport:
        if len(data) < 8:
            raise RtcpError("RTCP RR shorter than its 8 fixed bytes")
        (ssrc,) = struct.unpack_from("!I", data, 4)
        return cls(ssrc, _blocks(data, 8, data[0] & 0x1F, "RR"))

    def __bytes__(self) -> bytes:
        body = struct.pack("!I", self.ssrc) + b"".join(bytes(r) for r in self.reports)
        return _header(len(self.reports), RR, len(body)) + body


@dataclass(frozen=True, slots=True)
class SdesChunk:
    ssrc: int
    items: tuple[tuple[int, bytes], ...] = ()  # (item type, value); 1 = CNAME

    def cname(self) -> str | None:
        for kind, value in self.items:
            if kind == SDES_CNAME:
                return value.decode("utf-8", "replace")
        return None


@dataclass(frozen=True, slots=True)
class SourceDescription:
    chunks: tuple[SdesChunk, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> SourceDescription:
        chunks = []
        offset = 4
        for _ in range(data[0] & 0x1F):
            if len(data) < offset + 4:
                raise RtcpError("RTCP SDES chunk runs past the packet end")
            (ssrc,) = struct.unpack_from("!I", data, offset)
            offset += 4
            items = []
            while offset < len(data) and data[offset] != 0:
                if offset + 2 > len(data) or offset + 2 + data[offset + 1] > len(data):
                    raise RtcpError("RTCP SDES item runs past the packet end")
                kind, length = data[offset], data[offset + 1]
                items.append((kind, bytes(data[offset + 2 : offset + 2 + length])))
                offset += 2 + length
            offset = (offset + 4) & ~3  # the null item, then padding to a 32-bit boundary
            chunks.append(SdesChunk(ssrc, tuple(items)))
        return cls(tuple(chunks))

    def __bytes__(self) -> bytes:
        body = b""
        for chunk in self.chunks:
            part = struct.pack("!I", chunk.ssrc)
            for kind, value in chunk.items:
                part += bytes([kind, len(value)]) + value[:255]
            part += bytes(4 - len(part) % 4)  # at least one null octet ends the item list
            body += part
        return _header(len(self.chunks), SDES, len(body)) + body


@dataclass(frozen=True, slots=True)
class Bye:
    sources: tuple[int, ...]
    reason: str = ""

    @classmethod
    def parse(cls, data: bytes) -> Bye:
        count = data[0] & 0x1F
        if len(data) < 4 + 4 * count:
            raise RtcpError(f"RTCP BYE announces {count} sources but is too short for them")
        sources = struct.unpack_from(f"!{count}I", data, 4)
        offset = 4 + 4 * count
        reason = ""
        if offset < len(data):
            length = data[offset]
            reason = bytes(data[offset + 1 : offset + 1 + length]).decode("utf-8", "replace")
        return cls(tuple(sources), reason)

    def __bytes__(self) -> bytes:
        body = struct.pack(f"!{len(self.sources)}I", *self.sources)
        if self.reason:
            text = self.reason.encode()[:255]
            body += bytes([len(text)]) + text
            body += bytes(-len(body) % 4)
        return _header(len(self.sources), BYE, len(body)) + body


@dataclass(frozen=True, slots=True)
class RtcpUnknown:
    packet_type: int
    raw: bytes = field(repr=False)

    def __bytes__(self) -> bytes:
        return self.raw


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | RtcpUnknown
_PARSERS: dict[int, Callable[[bytes], RtcpPacket]] = {
    SR: SenderReport.parse, RR: ReceiverReport.parse, SDES: SourceDescription.parse, BYE: Bye.parse,
}


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Split one RTCP datagram into its packets (RFC 3550 §6.1)."""
    packets: list[RtcpPacket] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 4:
            raise RtcpError(f"RTCP datagram has {len(data) - offset} stray bytes at offset {offset}")
        first, packet_type, words = struct.unpack_from("!BBH", data, offset)
        if first >> 6 != 2:
            raise RtcpError(f"RTCP version {first >> 6} at offset {offset}; only version 2 exists")
        end = offset + 4 * (words + 1)
        if end > len(data):
            raise RtcpError(f"RTCP packet type {packet_type} at offset {offset} runs past the datagram end")
        chunk = bytes(data[offset:end])
        if first & 0x20:  # padding: only the last packet may carry it
            chunk = chunk[: len(chunk) - chunk[-1]]
        parser = _PARSERS.get(packet_type)
        packets.append(parser(chunk) if parser else RtcpUnknown(packet_type, chunk))
        offset = end
    return packets


def compound_bytes(packets: list[RtcpPacket]) -> bytes:
    return b"".join(bytes(p) for p in packets)
