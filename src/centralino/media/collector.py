"""Digit collection (N keys, first-digit and inter-digit timeouts, terminator). Sans-I/O.

The shell feeds keys with ``key(k, now)`` and arms one timer at ``deadline``;
when it fires it calls ``expire(now)``. Either returns a ``Collected`` once the
collection is over, and nothing afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Collected", "DigitCollector"]


@dataclass(frozen=True, slots=True)
class Collected:
    digits: str
    reason: str  # "max_digits", "terminator", "first_timeout", "inter_timeout"


class DigitCollector:
    def __init__(
        self, max_digits: int, now: float, first_timeout: float = 5.0, inter_timeout: float = 3.0,
        terminator: str = "#",
    ) -> None:
        if max_digits < 1:
            raise ValueError(f"max_digits is {max_digits}; collect at least one digit")
        self.max_digits = max_digits
        self.first_timeout = first_timeout
        self.inter_timeout = inter_timeout
        self.terminator = terminator
        self.digits = ""
        self.result: Collected | None = None
        self.deadline: float | None = now + first_timeout

    def _finish(self, reason: str) -> Collected:
        self.result = Collected(self.digits, reason)
        self.deadline = None
        return self.result

    def key(self, key: str, now: float) -> Collected | None:
        if self.result is not None:
            return None
        if self.terminator and key == self.terminator:
            return self._finish("terminator")
        self.digits += key
        if len(self.digits) >= self.max_digits:
            return self._finish("max_digits")
        self.deadline = now + self.inter_timeout
        return None

    def expire(self, now: float) -> Collected | None:
        """Call when the timer fires; a stale timer (deadline moved on) returns None."""
        if self.result is not None or self.deadline is None or now < self.deadline:
            return None
        return self._finish("inter_timeout" if self.digits else "first_timeout")
