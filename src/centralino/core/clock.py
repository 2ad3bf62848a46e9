"""Time as an argument.

Engines never read the wall clock: they are handed a ``Clock`` (or just ``now``)
so tests, journal replay and the planning simulator can drive them with a
deterministic clock. Two implementations: ``SystemClock`` for the server and
``FakeClock``, a heap of callbacks ordered by (time, priority, sequence) in the
manner of SimPy's ``Environment``, for tests and simulation.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    """What engines may ask of time."""

    def now(self) -> float:
        """Seconds since the epoch (UTC), as a float."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; for durations and timers."""
        ...


class SystemClock:
    """The real clock, for the server."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(order=True)
class _Scheduled:
    when: float
    priority: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Timer:
    """Handle to a scheduled callback; ``cancel()`` is idempotent."""

    def __init__(self, entry: _Scheduled) -> None:
        self._entry = entry

    @property
    def when(self) -> float:
        return self._entry.when

    def cancel(self) -> None:
        self._entry.cancelled = True


class FakeClock:
    """A deterministic clock with its own scheduler.

    ``now()`` and ``monotonic()`` return the same virtual time. ``advance`` and
    ``run_until`` fire due callbacks in (time, priority, sequence) order, so two
    runs with the same inputs fire in the same order.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._heap: list[_Scheduled] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> Timer:
        entry = _Scheduled(max(when, self._now), priority, next(self._seq), callback)
        heapq.heappush(self._heap, entry)
        return Timer(entry)

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> Timer:
        return self.call_at(self._now + delay, callback, priority)

    def next_time(self) -> float | None:
        """When the next live callback is due, or None."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def step(self) -> bool:
        """Fire the next due callback, moving time to it. False when nothing is left."""
        when = self.next_time()
        if when is None:
            return False
        entry = heapq.heappop(self._heap)
        self._now = entry.when
        entry.callback()
        return True

    def run_until(self, until: float) -> None:
        """Fire every callback due up to ``until`` and leave the time there."""
        while True:
            when = self.next_time()
            if when is None or when > until:
                break
            self.step()
        self._now = max(self._now, until)

    def advance(self, seconds: float) -> None:
        self.run_until(self._now + seconds)
