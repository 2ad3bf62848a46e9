"""Self-checks: the engine's invariants, stated as code a test or a health check can run.

``audit()`` lists every violation it finds (an empty list means healthy): a
contact offered to several agents outside ring-all, an agent ringing for two
contacts, an offer or a wrap-up without a live deadline (a stuck state), and an
available agent idling while an eligible contact waits (incomplete matching).
``pending_deadlines()`` shows the live timers those checks rely on.
"""

from __future__ import annotations

from centralino.acd.agent_states import AgentState
from centralino.acd.model import Strategy
from centralino.acd.pools import ContactState
from centralino.acd.state import AVAILABLE, RESERVED, RING, RULE, TIMER_NAMES, WRAP, EngineState


class Auditing(EngineState):
    """Read-only checks over the shared state."""

    def pending_deadlines(self) -> list[tuple[float, str, str]]:
        """Live timers as (due, kind, subject id): what ``audit`` checks stuck states against."""
        out = []
        for due, _, kind, obj, gen in sorted(self._timers, key=lambda t: (t[0], t[1])):
            if self._timer_valid(kind, obj, gen):
                subject = obj[0] if kind == RULE else obj.contact if kind == RING else obj
                out.append((due, TIMER_NAMES[kind], subject.id))
        return out

    def audit(self) -> list[str]:
        """Invariant violations (empty when healthy): single offers, live timers, complete matching."""
        problems: list[str] = []
        ringing: dict[str, str] = {}
        live = {(k, id(o)) for _, _, k, o, g in self._timers if self._timer_valid(k, o, g)}
        for c in self._contacts.values():
            o = c.offer
            if (c.state is ContactState.offered) != (o is not None):
                problems.append(f"contact {c.id} in state {c.state} with offer {o}")
            if o is None:
                continue
            if not o.agents:
                problems.append(f"offer of {c.id} rings nobody")
            if len(o.agents) > 1 and c.queue.spec.strategy is not Strategy.ring_all:
                problems.append(f"contact {c.id} offered to {len(o.agents)} agents outside ring-all")
            if (RING, id(o)) not in live:
                problems.append(f"offer of {c.id} has no ring deadline")
            for a in o.agents:
                if a.id in ringing:
                    problems.append(f"agent {a.id} has two offers: {ringing[a.id]} and {c.id}")
                ringing[a.id] = c.id
                if a.offer is not o or a.state is not RESERVED:
                    problems.append(f"agent {a.id} rings for {c.id} but is {a.state}")
        for a in self._agents.values():
            if a.state is RESERVED and a.id not in ringing:
                problems.append(f"agent {a.id} reserved without an offer")
            if a.state is AgentState.wrap_up and (WRAP, id(a)) not in live:
                problems.append(f"agent {a.id} in wrap-up without a deadline")
            if a.state is AVAILABLE:
                for pool in a.pools:
                    for c in pool.waiting_contacts():
                        if not (c.declined and a.id in c.declined):
                            problems.append(f"agent {a.id} available while eligible contact {c.id} waits")
        return problems
