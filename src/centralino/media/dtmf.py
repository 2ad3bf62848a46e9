"""RFC 4733 telephone events (DTMF as RTP packets): payload, receiver, sender. Sans-I/O.

A key press travels as several RTP packets with the *same timestamp* (the
event start) and growing duration, the last one with the E bit, and that end
packet sent three times (RFC 4733 §2.5.1.4). The receiver therefore keys events
by RTP timestamp: the first packet of a new timestamp reports the key, every
later packet of it (updates, redundant ends, retransmissions, reordering) is
absorbed. Reporting on the first packet instead of the end makes barge-in
prompt and still works when all three end packets are lost.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from centralino.core.errors import CentralinoError

__all__ = [
    "DtmfError", "DtmfFrame", "DtmfKey", "DtmfReceiver", "TelephoneEvent", "dtmf_frames", "event_code",
    "event_key",
]

KEYS = "0123456789*#ABCD"


class DtmfError(CentralinoError):
    """A telephone-event payload or key that cannot be handled."""


def event_code(key: str) -> int:
    index = KEYS.find(key.upper()) if len(key) == 1 else -1
    if index < 0:
        raise DtmfError(f"{key!r} is not a DTMF key; use one of {KEYS}")
    return index


def event_key(code: int) -> str | None:
    """The key for an event code, or None for non-DTMF events (fax tones, flash ...)."""
    return KEYS[code] if 0 <= code < len(KEYS) else None


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """The 4-byte payload of RFC 4733 §2.3."""

    event: int
    end: bool
    volume: int  # 0..63, dBm0 below zero
    duration: int  # in RTP timestamp units since the event start

    @classmethod
    def parse(cls, data: bytes) -> TelephoneEvent:
        if len(data) < 4:
            raise DtmfError(f"telephone-event payload of {len(data)} bytes; RFC 4733 needs 4")
        event, flags, duration = struct.unpack_from("!BBH", data)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def __bytes__(self) -> bytes:
        return struct.pack(
            "!BBH", self.event, (0x80 if self.end else 0) | (self.volume & 0x3F), min(self.duration, 0xFFFF)
        )


@dataclass(frozen=True, slots=True)
class DtmfKey:
    key: str
    timestamp: int
    duration: int  # as known when reported (the first packet's duration)


class DtmfReceiver:
    """Reports each key once, whatever mix of updates and redundant end packets arrives."""

    def __init__(self, memory: int = 32) -> None:
        self._seen: deque[int] = deque(maxlen=memory)

    def receive(self, timestamp: int, payload: bytes) -> DtmfKey | None:
        event = TelephoneEvent.parse(payload)
        if timestamp in self._seen:
            return None
        self._seen.append(timestamp)
        key = event_key(event.event)
        if key is None:
            return None
        return DtmfKey(key, timestamp, event.duration)


@dataclass(frozen=True, slots=True)
class DtmfFrame:
    """One packet of a key press: the shell adds sequence, SSRC and the event-start timestamp."""

    marker: bool
    payload: bytes
    send_offset: int  # samples after the event start at which to send it: one frame per interval


def dtmf_frames(key: str, duration_ms: int = 100, volume: int = 10, interval: int = 160) -> list[DtmfFrame]:
    """The packets for one key: marker on the first, growing durations, three end packets."""
    code = event_code(key)
    total = max(interval, duration_ms * 8)
    frames: list[DtmfFrame] = []
    elapsed = interval
    while elapsed < total:
        update = bytes(TelephoneEvent(code, False, volume, elapsed))
        frames.append(DtmfFrame(not frames, update, len(frames) * interval))
        elapsed += interval
    end = bytes(TelephoneEvent(code, True, volume, total))
    for _ in range(3):
        frames.append(DtmfFrame(not frames, end, len(frames) * interval))
    return frames
