"""RFC 3261 §17 timer values, under their RFC names.

The transaction tables say *which* timer starts, backs off or stops; this
module says *how long* each lasts, so the tables read like the RFC's figures
and the values live in one place. T1, T2 and T4 are configurable because a
deployment on a slow or lossy link may raise them (RFC 3261 §17.1.1.1 allows
it); every other duration is derived from them, as the RFC's Table 4 does.

``Trying`` is not an RFC timer name: it is the 200 ms an INVITE server
transaction waits for the TU before sending 100 Trying itself (§17.2.1).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TIMER_NAMES", "TimerConfig"]

# Every timer a transaction may run, in the order the docs list them.
TIMER_NAMES: tuple[str, ...] = ("A", "B", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "Trying")


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """The base intervals; ``t1`` is the RTT estimate, ``t2`` the retransmit cap, ``t4`` network lifetime."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    # Timer D: "at least 32 s" for unreliable transports (RFC 3261 Table 4).
    d: float = 32.0
    # How long an INVITE server transaction waits before answering 100 Trying by itself.
    trying: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.t1 <= self.t2:
            raise ValueError(f"SIP timers: need 0 < T1 <= T2, got T1={self.t1} T2={self.t2}")
        if self.t4 <= 0 or self.d < 0 or self.trying < 0:
            raise ValueError("SIP timers: T4 must be positive, D and Trying not negative")

    def initial(self, timer: str, reliable: bool) -> float | None:
        """The first interval of ``timer``; None when the timer is not run on this transport.

        Retransmission timers (A, E, G) do not run over reliable transports, and
        the absorb-retransmissions timers (D, I, J, K) are zero there, so the
        transaction ends at once (RFC 3261 Table 4, §17.1.1.2, §17.2.2).
        """
        t1, t4 = self.t1, self.t4
        if timer in ("A", "E", "G"):
            return None if reliable else t1
        values = {
            "B": 64 * t1,
            "D": 0.0 if reliable else self.d,
            "F": 64 * t1,
            "H": 64 * t1,
            "I": 0.0 if reliable else t4,
            "J": 0.0 if reliable else 64 * t1,
            "K": 0.0 if reliable else t4,
            "L": 64 * t1,
            "M": 64 * t1,
            "Trying": self.trying,
        }
        if timer not in values:
            raise KeyError(f"unknown SIP timer {timer!r}; known: {', '.join(TIMER_NAMES)}")
        return values[timer]

    def backoff(self, timer: str, current: float) -> float:
        """The next interval after ``timer`` fired with interval ``current``.

        Timer A doubles without a cap (§17.1.1.2: 2·T1, 4·T1, ... until B
        ends the transaction); E and G double up to T2 (§17.1.2.2, §17.2.1).
        """
        if timer == "A":
            return 2 * current
        if timer in ("E", "G"):
            return min(2 * current, self.t2)
        raise KeyError(f"SIP timer {timer!r} does not back off")
