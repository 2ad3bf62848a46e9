"""Expected wait time (EWT): the estimate, the peer's estimate, and their measured error.

The formula (docs/acd.md, "Expected wait"). A contact at position ``k`` among
the contacts waiting for the same pool of agents (the agents eligible for its
current requirements), with ``i`` of them idle and ``n`` working (available,
ringing, talking or in wrap-up), and an observed mean handle time ``h`` (talk
plus wrap-up, exponentially weighted, alpha 0.1), waits about::

    EWT(k) = 0                      if k <= i
           = (k - i) * h / n        otherwise

because ``n`` busy agents free up at a total rate of ``n / h`` and ``k - i``
releases must happen before this contact is at the head with an agent free.
With exponential handle times each busy agent's remaining time is again ``h``
whatever it has already talked (memorylessness), so the elapsed talk of busy
agents is not subtracted; docs/acd.md explains when that would matter.

The peer: Asterisk's app_queue announces a position-blind moving average of
the waits of answered callers (``holdtime = (3 * holdtime + wait) / 4``) minus
the time already waited (plus 30 s only to round to minutes, left out here).
Every announcement is kept with the wait that actually followed, and
``ErrorStats`` reports mean and 90th percentile absolute error per queue.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

ERROR_WINDOW = 10_000
"""How many announcements per queue the error figures cover (the most recent)."""


def position_ewt(position: int, idle: int, working: float, handle_time: float) -> float:
    """Seconds until a contact at ``position`` (1-based) should reach an agent."""
    ahead = position - idle
    if ahead <= 0:
        return 0.0
    if working <= 0:
        return ahead * handle_time  # nobody staffs the pool: as if one agent will come
    return ahead * handle_time / working


def queue_ewt(position: int, working: float, handle_time: float, hazard: float) -> float:
    """Seconds until the contact at ``position`` is served when callers ahead may abandon.

    At position j the caller moves up when an agent frees (rate ``working / h``)
    or when one of the j - 1 callers ahead gives up (rate ``(j - 1) * hazard``),
    so the expected wait is the sum over j = 1..k of 1 / (working / h + (j - 1) * hazard).
    Beyond 4 positions the sum is evaluated in closed form with the midpoint rule,
    (1 / hazard) * ln((r + (k - 1/2) * hazard) / (r - hazard / 2)), within 0.1 % of it
    for the rates seen in practice. With ``hazard`` 0 it is ``position_ewt``.
    """
    if hazard <= 0 or handle_time <= 0:
        return position_ewt(position, 0, working, handle_time)
    if position <= 0:
        return 0.0
    rate = max(working, 1.0) / handle_time
    if position <= 4 or hazard >= rate:  # the head of the line, or patience far below service: term by term
        return sum(1.0 / (rate + j * hazard) for j in range(min(position, 10_000)))
    return math.log((rate + (position - 0.5) * hazard) / (rate - 0.5 * hazard)) / hazard


@dataclass(slots=True)
class AbandonHazard:
    """Observed abandonment rate per second of waiting: abandons / total seconds waited.

    Every caller who left the line (answered or abandoned) adds the seconds they
    waited; only abandons add to the count. For exponential patience this is the
    maximum-likelihood estimate of 1 / mean patience.
    """

    abandons: int = 0
    exposure: float = 0.0

    def observe(self, waited: float, abandoned: bool) -> None:
        self.exposure += max(waited, 0.0)
        self.abandons += abandoned

    @property
    def rate(self) -> float:
        return self.abandons / self.exposure if self.exposure > 0 else 0.0


@dataclass(slots=True)
class HandleTime:
    """Exponentially weighted mean handle time, starting from a configured prior."""

    mean: float
    alpha: float = 0.1
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.count += 1
        self.mean += self.alpha * (seconds - self.mean)


@dataclass(slots=True)
class MovingAverageEstimate:
    """Asterisk's position-blind estimate, kept for comparison."""

    holdtime: float = 0.0

    def observe(self, wait: float) -> None:
        self.holdtime = (3 * self.holdtime + wait) / 4

    def estimate(self, waited: float) -> float:
        return max(0.0, self.holdtime - waited)


@dataclass(frozen=True, slots=True)
class ErrorSummary:
    count: int
    mean: float
    p90: float


@dataclass(slots=True)
class ErrorStats:
    """Absolute errors (seconds) of announced estimates against the waits that followed."""

    errors: deque[float] = field(default_factory=lambda: deque(maxlen=ERROR_WINDOW))

    def add(self, error: float) -> None:
        self.errors.append(abs(error))

    def summary(self) -> ErrorSummary:
        if not self.errors:
            return ErrorSummary(0, math.nan, math.nan)
        ordered = sorted(self.errors)
        p90 = ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]
        return ErrorSummary(len(ordered), sum(ordered) / len(ordered), p90)
