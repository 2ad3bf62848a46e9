"""A small jitter buffer and an outgoing-stream rewriter. Sans-I/O.

``JitterBuffer`` smooths one incoming stream for consumers that work on the
engine's 20 ms tick (recorder, mixer): packets go in by sequence number as they
arrive, one frame comes out per tick, after ``target`` frames of pre-fill. A
gap yields None (the consumer plays silence), an underrun re-primes, and a
buffer grown past ``capacity`` (the peer's clock runs fast) drops its oldest.

``StreamRewriter`` gives a leg one continuous outgoing RTP stream whatever feeds
it (a prompt, then the other party, then music on hold): its own SSRC, and
sequence numbers and timestamps that keep counting. A new input SSRC or a
timestamp jump re-bases the mapping so the far end sees elapsed time, not the
source's clock, and the marker bit flags the discontinuity (RFC 3551 §4.1).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["JitterBuffer", "Rewritten", "StreamRewriter"]

_SEQ_MOD = 1 << 16


class JitterBuffer:
    def __init__(self, target: int = 2, capacity: int = 16) -> None:
        self.target = target
        self.capacity = capacity
        self._frames: dict[int, bytes] = {}
        self._next: int | None = None  # extended sequence number to play next
        self._highest = 0
        self._primed = False
        self.lost = 0
        self.late = 0
        self.dropped = 0

    def _extend(self, seq: int) -> int:
        if self._next is None:
            return seq
        reference = self._highest
        delta = (seq - reference) % _SEQ_MOD
        if delta >= _SEQ_MOD // 2:
            delta -= _SEQ_MOD
        return reference + delta

    def push(self, sequence: int, payload: bytes) -> None:
        ext = self._extend(sequence)
        if self._next is None or abs(ext - self._next) > 4 * self.capacity:
            self._frames.clear()  # first packet, or the source restarted: start over
            self._next = ext
            self._highest = ext
            self._primed = False
        if ext < self._next:
            if self._primed:
                self.late += 1
                return
            self._next = ext  # still filling: an earlier packet just arrived second
        self._frames[ext] = payload
        self._highest = max(self._highest, ext)
        while len(self._frames) > self.capacity:
            oldest = min(self._frames)
            del self._frames[oldest]
            self.dropped += 1
            self._next = min(self._frames)

    def pop(self) -> bytes | None:
        """The frame for this tick, or None for silence."""
        if self._next is None:
            return None
        if not self._primed:
            if len(self._frames) < self.target:
                return None
            self._primed = True
            self._next = min(self._frames)
        frame = self._frames.pop(self._next, None)
        if frame is None:
            if not self._frames:
                self._primed = False  # underrun: wait for the pre-fill again
                return None
            self.lost += 1
        self._next += 1
        return frame

    def __len__(self) -> int:
        return len(self._frames)


class Rewritten(NamedTuple):
    """One outgoing packet's stamp; a tuple because one is made per packet sent (a frozen dataclass
    costs three times as much to build)."""

    sequence: int
    timestamp: int
    marker: bool


class StreamRewriter:
    def __init__(self, first_sequence: int, first_timestamp: int, clock_rate: int = 8000) -> None:
        self.clock_rate = clock_rate
        self._seq = first_sequence % _SEQ_MOD  # next outgoing sequence number
        self._first_ts = first_timestamp & 0xFFFFFFFF
        self._last_ts: int | None = None
        self._last_time = 0.0
        self._source: int | None = None  # SSRC being relayed; None while we send our own frames
        self._offset = 0
        self._last_in_ts = 0

    @property
    def last_timestamp(self) -> int:
        return self._first_ts if self._last_ts is None else self._last_ts

    def own(self, now: float, samples: int = 160) -> Rewritten:
        """Stamp a frame we generate ourselves (prompt, silence, mix), sent at ``now``."""
        if self._last_ts is None:
            return self._emit(self._first_ts, True, None, now)
        if self._source is None:
            return self._emit((self._last_ts + samples) & 0xFFFFFFFF, False, None, now)
        return self._emit(self._follow(now), True, None, now)

    def relay(self, ssrc: int, timestamp: int, marker: bool, now: float) -> Rewritten:
        """Stamp a frame relayed from a peer, keeping its timing unless its source or clock jumps."""
        step = ((timestamp - self._last_in_ts + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
        if ssrc != self._source or abs(step) > 2 * self.clock_rate:
            self._offset = (self._follow(now) - timestamp) & 0xFFFFFFFF
            marker = True
        self._last_in_ts = timestamp
        return self._emit((timestamp + self._offset) & 0xFFFFFFFF, marker, ssrc, now)

    def _follow(self, now: float) -> int:
        """The timestamp that follows the last frame sent, by elapsed wall time (at least one frame)."""
        if self._last_ts is None:
            return self._first_ts
        elapsed = max(round((now - self._last_time) * self.clock_rate), 160)
        return (self._last_ts + elapsed) & 0xFFFFFFFF

    def _emit(self, timestamp: int, marker: bool, source: int | None, now: float) -> Rewritten:
        out = Rewritten(self._seq, timestamp, marker)
        self._seq = (self._seq + 1) % _SEQ_MOD
        self._last_ts = timestamp
        self._last_time = now
        self._source = source
        return out
