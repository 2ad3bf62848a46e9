"""Per-queue counters and the service level by the queue's stated formula.

These are live figures for the wallboard; the call records (centralino.records)
compute the historical ones from the journal. The formula used is returned with
the number, as docs/metrics.md asks of every reported figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from centralino.acd.model import ServiceLevelFormula
from centralino.acd.pools import QueueRuntime


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    offered: int
    answered: int
    abandoned: int
    callbacks: int
    waiting: int
    service_level: float | None  # None until the denominator is positive
    formula: ServiceLevelFormula
    threshold: float
    handle_time: float  # the observed mean the wait estimate uses


def queue_stats(q: QueueRuntime) -> QueueStats:
    spec = q.spec
    formula = spec.service_level_formula
    if formula is ServiceLevelFormula.answered_only:
        num, den = q.answered_within, q.answered
    elif formula is ServiceLevelFormula.abandons_counted:
        num, den = q.answered_within + q.abandoned_within, q.answered + q.abandoned
    elif formula is ServiceLevelFormula.removed_from_queue:
        num, den = q.answered_within + q.abandoned_within + q.callbacks_within, q.offered
    else:
        num, den = q.answered_within, q.offered - q.short_abandoned
    return QueueStats(
        queue=q.name,
        offered=q.offered,
        answered=q.answered,
        abandoned=q.abandoned,
        callbacks=q.callbacks,
        waiting=len(q.waiting),
        service_level=num / den if den > 0 else None,
        formula=formula,
        threshold=spec.service_level_threshold,
        handle_time=q.handle.mean,
    )
