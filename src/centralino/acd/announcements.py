"""Announcements: a waiting caller's position and expected wait (docs/acd.md, "Expected wait").

Each announcement is kept with the contact together with the position-blind
moving-average estimate of the same moment, so that on answer both can be
scored against the wait that actually followed (``Engine.estimate_errors``).
"""

from __future__ import annotations

from centralino.acd.decisions import Announce
from centralino.acd.estimate import queue_ewt
from centralino.acd.pools import ContactRuntime
from centralino.acd.state import EngineState


class Announcements(EngineState):
    """Position and expected wait for waiting callers (a part of ``Engine``)."""

    def _ewt(self, c: ContactRuntime, position: int | None = None) -> float:
        q = c.queue
        pool = c.pool if c.pool is not None and c.pool.queue is q else self._pool(q, c.requirements)
        return queue_ewt(q.position(c) if position is None else position, pool.working, q.handle.mean,
                         q.patience.rate)

    def _announce(self, c: ContactRuntime, now: float) -> None:
        q = c.queue
        position = q.position(c)
        ewt = self._ewt(c, position)
        c.announced.append((now, ewt, q.baseline.estimate(now - c.contact.arrived), q))
        self._out.append(Announce(c.id, position, ewt))
