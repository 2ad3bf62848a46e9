"""Call recording to WAV: both parties as stereo (left = first leg, right = second) or mixed mono.

Crash safety is the point of this module. The header is written first with a
data size of zero; audio is buffered in memory and, at least every
``flush_interval`` seconds (1 s by default), appended to the file with an unbuffered
write, after which the RIFF and data sizes in the header are patched to cover
it (and the file fsync'ed if ``fsync`` is set, which also survives a power
cut; a killed process loses nothing the kernel already has). A ``kill -9`` of
the server therefore leaves a valid WAV holding everything up to the last
flush, which any player opens.

Pausing (for card numbers, say) drops audio until ``resume``; the recording
is shorter rather than holding silence, which is what auditors expect.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

from centralino.media.mixer import mix

__all__ = ["WavRecorder"]

_HEADER_SIZE = 44


def _header(channels: int, rate: int, data_bytes: int) -> bytes:
    block = 2 * channels
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data" + struct.pack("<I", data_bytes)
    )


class WavRecorder:
    def __init__(
        self, path: Path, now: float, stereo: bool = True, rate: int = 8000, flush_interval: float = 1.0,
        fsync: bool = False,
    ) -> None:
        self.path = Path(path)
        self.stereo = stereo
        self.rate = rate
        self.flush_interval = flush_interval
        self.fsync = fsync
        self.paused = False
        self.closed = False
        self._channels = 2 if stereo else 1
        self._pending = bytearray()
        self._data_bytes = 0
        self._last_flush = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A raw descriptor: each write reaches the operating system at once, no user-space buffer to lose.
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(self._fd, _header(self._channels, rate, 0))

    def write(self, first: npt.NDArray[np.int16], second: npt.NDArray[np.int16], now: float) -> None:
        """Record one frame of each party (equal lengths); flushes when the interval is due."""
        if self.closed:
            return
        if not self.paused:
            if self.stereo:
                frame = np.empty(2 * len(first), dtype="<i2")
                frame[0::2] = first
                frame[1::2] = second
            else:
                frame = mix(first, second).astype("<i2")
            self._pending += frame.tobytes()
        if now - self._last_flush >= self.flush_interval:
            self.flush(now)

    def flush(self, now: float) -> None:
        self._last_flush = now
        if self.closed:
            return
        if self._pending:
            os.pwrite(self._fd, self._pending, _HEADER_SIZE + self._data_bytes)
            self._data_bytes += len(self._pending)
            self._pending.clear()
        # data first, then the sizes that cover it: a crash in between leaves the older, valid sizes
        os.pwrite(self._fd, struct.pack("<I", 36 + self._data_bytes), 4)
        os.pwrite(self._fd, struct.pack("<I", self._data_bytes), 40)
        if self.fsync:
            os.fsync(self._fd)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    @property
    def seconds(self) -> float:
        return (self._data_bytes + len(self._pending)) / (2 * self._channels * self.rate)

    def close(self, now: float) -> None:
        if self.closed:
            return
        self.flush(now)
        os.close(self._fd)
        self.closed = True
