"""Queue and agent statistics per interval, with the service-level formula stated beside each figure.

Operators distrust figures whose definition they cannot see: Asterisk's ``servicelevel`` and ``SL2``,
Amazon Connect's "removed from queue" and the short-abandon variant all answer "what share of callers
were served within T?" differently. Every ``QueueFigures`` therefore carries the formula and thresholds
it was computed with (see docs/metrics.md for the definitions).

Conventions (documented, tested):
- A contact belongs to the interval in which it entered the queue (its *offered* interval).
- ``wait`` is the time from entering the queue to leaving it (answer, abandon, callback request,
  overflow, voicemail), so a contact that overflowed keeps its arrival time in the queue it came from.
- Sums use ``math.fsum`` (exactly rounded), so the figures do not depend on summation order and an
  independent recomputation agrees exactly.
- A ratio with an empty denominator is ``None`` (not 0 or 1): "no data" must not read as "perfect".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "AgentActivity",
    "AgentFigures",
    "Formula",
    "Outcome",
    "QueueFigures",
    "QueuedContact",
    "agent_figures",
    "interval_start",
    "percentile",
    "queue_figures",
    "service_level",
]


class Outcome(StrEnum):
    answered = "answered"
    abandoned = "abandoned"
    callback = "callback"  # the caller asked to be called back: not an abandon
    overflowed = "overflowed"
    voicemail = "voicemail"
    interrupted = "interrupted"  # the server stopped while the contact waited


class Formula(StrEnum):
    answered_only = "answered-only"
    abandons_counted = "abandons-counted"
    removed_from_queue = "removed-from-queue"
    short_abandons_excluded = "short-abandons-excluded"


FORMULA_TEXT = {
    Formula.answered_only: "answered within T / answered",
    Formula.abandons_counted: "(answered within T + abandoned within T) / (answered + abandoned)",
    Formula.removed_from_queue: "(answered + abandoned + callback requested, each within T) / offered",
    Formula.short_abandons_excluded: "answered within T / (offered - abandoned within S)",
}


@dataclass(frozen=True, slots=True)
class QueuedContact:
    """One contact's passage through one queue: the raw record the figures are computed from."""

    contact_id: str
    queue: str
    entered_at: float
    left_at: float
    outcome: Outcome
    agent: str | None = None
    talk: float = 0.0
    hold: float = 0.0
    wrapup: float = 0.0
    transfers: int = 0
    ewt_announced: float | None = None  # the first wait estimate announced to the caller

    @property
    def wait(self) -> float:
        return self.left_at - self.entered_at

    @property
    def handle_time(self) -> float:
        return self.talk + self.hold + self.wrapup


@dataclass(frozen=True, slots=True)
class AgentActivity:
    """A span of one agent in one state; ``state`` is 'available', 'handling' (reserved, on call,
    wrap-up) or anything else (break, logged out), which counts for neither side of occupancy."""

    agent: str
    state: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class QueueFigures:
    queue: str
    interval_start: float
    interval_length: float
    formula: Formula
    threshold: float
    short_abandon: float
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    callbacks: int
    overflowed: int
    voicemails: int
    answered_within: int
    abandoned_within: int
    callbacks_within: int
    service_level: float | None
    asa: float | None
    aht: float | None
    abandonment_rate: float | None
    longest_wait: float | None
    transfers: int
    ewt_error_mean: float | None
    ewt_error_p90: float | None
    formula_text: str = field(default="")


@dataclass(frozen=True, slots=True)
class AgentFigures:
    agent: str
    interval_start: float
    interval_length: float
    handled: int
    talk: float
    hold: float
    wrapup: float
    aht: float | None
    handling_time: float
    available_time: float
    occupancy: float | None


def interval_start(at: float, length: float, origin: float = 0.0) -> float:
    """Start of the interval of ``length`` seconds containing ``at`` (intervals aligned on ``origin``)."""
    return origin + math.floor((at - origin) / length) * length


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): an observed value, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def service_level(
    formula: Formula,
    *,
    offered: int,
    answered: int,
    abandoned: int,
    answered_within: int,
    abandoned_within: int,
    callbacks_within: int,
    short_abandoned: int,
) -> float | None:
    """The service level by ``formula`` (definitions in the module docstring and docs/metrics.md)."""
    if formula is Formula.answered_only:
        return _ratio(answered_within, answered)
    if formula is Formula.abandons_counted:
        return _ratio(answered_within + abandoned_within, answered + abandoned)
    if formula is Formula.removed_from_queue:
        return _ratio(answered_within + abandoned_within + callbacks_within, offered)
    return _ratio(answered_within, offered - short_abandoned)


def queue_figures(
    contacts: Iterable[QueuedContact],
    *,
    queue: str,
    start: float,
    length: float,
    formula: Formula = Formula.answered_only,
    threshold: float = 20.0,
    short_abandon: float = 5.0,
) -> QueueFigures:
    """Figures of ``queue`` for the interval [start, start+length) from the contacts that entered it then."""
    mine = [c for c in contacts if c.queue == queue and start <= c.entered_at < start + length]
    answered = [c for c in mine if c.outcome is Outcome.answered]
    abandoned = [c for c in mine if c.outcome is Outcome.abandoned]
    callbacks = [c for c in mine if c.outcome is Outcome.callback]
    counts = {
        "offered": len(mine),
        "answered": len(answered),
        "abandoned": len(abandoned),
        "answered_within": sum(1 for c in answered if c.wait <= threshold),
        "abandoned_within": sum(1 for c in abandoned if c.wait <= threshold),
        "callbacks_within": sum(1 for c in callbacks if c.wait <= threshold),
        "short_abandoned": sum(1 for c in abandoned if c.wait <= short_abandon),
    }
    errors = [abs(c.ewt_announced - c.wait) for c in answered if c.ewt_announced is not None]
    return QueueFigures(
        queue=queue,
        interval_start=start,
        interval_length=length,
        formula=formula,
        threshold=threshold,
        short_abandon=short_abandon,
        callbacks=len(callbacks),
        overflowed=sum(1 for c in mine if c.outcome is Outcome.overflowed),
        voicemails=sum(1 for c in mine if c.outcome is Outcome.voicemail),
        service_level=service_level(formula, **counts),
        asa=_ratio(math.fsum(c.wait for c in answered), len(answered)),
        aht=_ratio(math.fsum(c.handle_time for c in answered), len(answered)),
        abandonment_rate=_ratio(len(abandoned), len(mine)),
        longest_wait=max((c.wait for c in mine), default=None),
        transfers=sum(c.transfers for c in mine),
        ewt_error_mean=_ratio(math.fsum(errors), len(errors)),
        ewt_error_p90=percentile(errors, 90),
        formula_text=FORMULA_TEXT[formula],
        **counts,
    )


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def agent_figures(
    contacts: Iterable[QueuedContact],
    activities: Iterable[AgentActivity],
    *,
    agent: str,
    start: float,
    length: float,
) -> AgentFigures:
    """An agent's figures: contacts answered in the interval, and occupancy = handling / (handling +
    available), from the state spans clipped to the interval."""
    end = start + length
    handled = [
        c for c in contacts
        if c.agent == agent and c.outcome is Outcome.answered and start <= c.left_at < end
    ]
    spans = [a for a in activities if a.agent == agent]
    handling = math.fsum(_overlap(a.start, a.end, start, end) for a in spans if a.state == "handling")
    available = math.fsum(_overlap(a.start, a.end, start, end) for a in spans if a.state == "available")
    return AgentFigures(
        agent=agent,
        interval_start=start,
        interval_length=length,
        handled=len(handled),
        talk=math.fsum(c.talk for c in handled),
        hold=math.fsum(c.hold for c in handled),
        wrapup=math.fsum(c.wrapup for c in handled),
        aht=_ratio(math.fsum(c.handle_time for c in handled), len(handled)),
        handling_time=handling,
        available_time=available,
        occupancy=_ratio(handling, handling + available),
    )
