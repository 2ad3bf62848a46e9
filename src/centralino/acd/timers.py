"""Timers: what each deadline does when it comes due.

One heap holds every deadline (ring, wrap-up, announcement, wait step, max wait,
wait-based overflow rule, scheduled callback, re-match after a decline). A
timer is valid only while its subject still is where the timer was set for it
(same offer, same wrap-up token, same queue generation, same callback attempt);
stale ones are dropped when they surface, so nothing is ever cancelled.

Stale timers would otherwise pile up (a contact answered in ten seconds leaves
its announcement and wait-step timers behind for minutes) and keep finished
contacts alive. When the heap doubles, timers that can never become valid again
are dropped in one pass: an offer that ended, a wrap-up token that was replaced,
a contact that is connected or done or has moved to another queue. Validity only
ever goes from true to false for those, and the survivors keep their (due,
sequence) order, so the decisions are exactly those without the pass.
"""

from __future__ import annotations

import heapq
from typing import Any

from centralino.acd.agent_states import AgentState
from centralino.acd.pools import AgentRuntime, ContactRuntime, ContactState
from centralino.acd.state import (
    ANNOUNCE,
    MAX_WAIT,
    REMATCH,
    RING,
    RULE,
    SCHEDULED,
    STEP,
    WAITING,
    WRAP,
    EngineState,
)


class Timers(EngineState):
    """Validity and effect of each timer kind (a part of ``Engine``)."""

    def _timer_valid(self, kind: int, obj: Any, gen: int) -> bool:
        if kind == RING:
            return obj.contact.offer is obj
        if kind == WRAP:
            return obj.state is AgentState.wrap_up and obj.wrap_token == gen
        if kind == ANNOUNCE:
            return obj.state is not ContactState.done and obj.state is not ContactState.connected \
                and obj.callback is None and obj.queue_gen == gen and obj.queue.spec.announce_every > 0
        c: ContactRuntime = obj[0] if kind == RULE else obj
        if c.state is ContactState.done or c.state is ContactState.connected:
            return False
        if kind == SCHEDULED:
            return c.state is ContactState.scheduled and c.attempts == gen
        return c.queue_gen == gen

    def _drop_dead_timers(self) -> None:
        live = [t for t in self._timers if not self._timer_dead(t[2], t[3], t[4])]
        heapq.heapify(live)
        self._timers = live
        self._timer_limit = max(4096, 2 * len(live))

    def _timer_dead(self, kind: int, obj: Any, gen: int) -> bool:
        """True when the timer can never be valid again (conservative: False when unsure)."""
        if kind == RING:
            return obj.contact.offer is not obj
        if kind == WRAP:
            agent: AgentRuntime = obj
            return agent.wrap_token != gen
        c: ContactRuntime = obj[0] if kind == RULE else obj
        if c.state is ContactState.done or c.state is ContactState.connected:
            return True
        return kind != SCHEDULED and c.queue_gen != gen

    def _fire(self, kind: int, obj: Any, gen: int, now: float) -> None:
        if kind == RING:
            self._ring_timeout(obj, now)
        elif kind == WRAP:
            self._wrap_done(obj, now, "wrap-up time over")
        elif kind == ANNOUNCE:
            if obj.state is WAITING and not self._check_rules(obj, now, joining=False):
                self._announce(obj, now)
            if obj.state is not ContactState.done and obj.queue_gen == gen:
                self._at(now + obj.queue.spec.announce_every, ANNOUNCE, obj, gen)
        elif kind == STEP:
            self._step(obj, now)
        elif kind == MAX_WAIT:
            if obj.callback is not None:
                return
            if obj.offer is not None:
                self._at(obj.offer.deadline, MAX_WAIT, obj, gen)
            else:
                self._leave(obj, obj.queue.spec.fallback, f"waited {obj.queue.spec.max_wait:g} s", now)
        elif kind == RULE:
            c, index = obj
            rule = c.queue.spec.overflow[index]
            if c.callback is None:
                self._leave(c, rule.target, f"waited {rule.threshold:g} s (overflow rule {index})", now)
        elif kind == SCHEDULED:
            if obj.attempts == 0:
                self._join(obj, now)
            else:
                self._wait(obj, now)
        elif kind == REMATCH and obj.state is WAITING and obj.declined:
            obj.declined = None
            self._wait(obj, now)
