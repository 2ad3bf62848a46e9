"""RTP packets (RFC 3550 §5.1) as a value with ``parse()`` and ``__bytes__``.

Written by hand because the format is 12 bytes of fixed header and the
libraries that have it (aiortc) bring a WebRTC stack with them. Parsing is
tolerant the way a media server must be: CSRC lists, a header extension
(RFC 3550 §5.3.1, kept raw with its profile id) and padding are accepted and
kept, so a packet can be relayed unchanged; only what cannot be RTP is refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from centralino.core.errors import CentralinoError

__all__ = ["RtpError", "RtpPacket", "is_rtcp"]

_HEADER = struct.Struct("!BBHII")


class RtpError(CentralinoError):
    """Bytes that are not an RTP packet; the message says which field is wrong."""


def is_rtcp(data: bytes) -> bool:
    """True for RTCP when RTP and RTCP share a port (RFC 5761 §4: PT 64-95 after the marker bit)."""
    return len(data) >= 2 and 192 <= data[1] <= 223


@dataclass(slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension_profile: int | None = None
    extension: bytes = b""
    padding: int = 0  # number of padding octets, including the count octet; 0 for none
    version: int = field(default=2, repr=False)

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < 12:
            raise RtpError(f"RTP packet of {len(data)} bytes is shorter than the 12-byte header")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        version = first >> 6
        if version != 2:
            raise RtpError(f"RTP version {version} (only version 2 exists); is this STUN or RTCP?")
        cc = first & 0x0F
        offset = 12 + 4 * cc
        if len(data) < offset:
            raise RtpError(f"RTP header announces {cc} CSRC but the packet ends at byte {len(data)}")
        csrc = struct.unpack_from(f"!{cc}I", data, 12) if cc else ()
        profile: int | None = None
        extension = b""
        if first & 0x10:
            if len(data) < offset + 4:
                raise RtpError("RTP header extension flag set but no extension header follows")
            profile, words = struct.unpack_from("!HH", data, offset)
            end = offset + 4 + 4 * words
            if len(data) < end:
                raise RtpError(f"RTP header extension of {words} words runs past the packet end")
            extension = bytes(data[offset + 4 : end])
            offset = end
        padding = 0
        end = len(data)
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or offset + padding > len(data):
                raise RtpError(f"RTP padding count {padding} does not fit the packet")
            end -= padding
        return cls(
            payload_type=second & 0x7F,
            sequence=sequence,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=bytes(data[offset:end]),
            marker=bool(second & 0x80),
            csrc=tuple(csrc),
            extension_profile=profile,
            extension=extension,
            padding=padding,
            version=version,
        )

    def __bytes__(self) -> bytes:
        has_ext = self.extension_profile is not None
        if len(self.extension) % 4:
            raise RtpError("RTP header extension length must be a multiple of 4 bytes")
        first = (
            (self.version << 6) | (0x20 if self.padding else 0) | (0x10 if has_ext else 0) | len(self.csrc)
        )
        second = (0x80 if self.marker else 0) | (self.payload_type & 0x7F)
        parts = [
            _HEADER.pack(first, second, self.sequence & 0xFFFF, self.timestamp & 0xFFFFFFFF, self.ssrc),
        ]
        if self.csrc:
            parts.append(struct.pack(f"!{len(self.csrc)}I", *self.csrc))
        if has_ext:
            parts.append(struct.pack("!HH", self.extension_profile, len(self.extension) // 4))
            parts.append(self.extension)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes([self.padding]))
        return b"".join(parts)


def pack_header(payload_type: int, sequence: int, timestamp: int, ssrc: int, marker: bool = False) -> bytes:
    """The 12-byte fixed header alone: the hot path of the pacer, without building a dataclass."""
    return _HEADER.pack(
        0x80, (0x80 if marker else 0) | payload_type, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc
    )
