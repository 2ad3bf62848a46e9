"""Offers: ringing agents (one, or a tier for ring-all) and what ends a ring.

An offer reserves its agents until the first answer (``Connect``, exactly once
per contact; the other ring-all phones get ``CancelOffer``), a decline or a
ring timeout (the contact goes back to its old place in line, ``Requeue``, and
is not re-offered to the same agent for the decline cool-down), or a withdrawal
(the caller left or chose a callback). A call's end starts the agent's wrap-up.
"""

from __future__ import annotations

from centralino.acd import events as ev
from centralino.acd.agent_states import AgentInput, AgentState
from centralino.acd.decisions import CancelOffer, Connect, OfferContact, Requeue, StartCallback
from centralino.acd.model import Strategy
from centralino.acd.pools import AgentRuntime, ContactRuntime, ContactState, OfferRuntime
from centralino.acd.state import REMATCH, RING, WAITING, EngineState


class Offering(EngineState):
    """Ringing, answering, declining, requeueing and ending calls (a part of ``Engine``)."""

    def _offer(self, c: ContactRuntime, agents: list[AgentRuntime], now: float, candidates: tuple[str, ...],
               reason: str) -> None:
        q = c.queue
        if c.state is WAITING:
            q.line_remove(c)
        c.gen += 1
        callback = c.callback is not None
        timeout = self.settings.callback_timeout if callback else q.spec.ring_timeout
        offer = OfferRuntime(next(self._offer_ids), c, agents, now, now + timeout, callback)
        c.offer, c.state = offer, ContactState.offered
        for a in agents:
            a.offer = offer
            if q.spec.strategy is Strategy.round_robin:
                q.rr_last[a.id] = now + next(self._order) * 1e-9
            self._transition(a, AgentInput.offer, now, f"offered {c.id}")
        self._at(offer.deadline, RING, offer, offer.id)
        if callback:
            c.attempts += 1
            self._emit(StartCallback(c.id, agents[0].id, c.callback or "", c.attempts, timeout))
        else:
            self._emit(OfferContact(c.id, tuple(a.id for a in agents), q.name, timeout, reason, candidates))

    def _withdraw(self, c: ContactRuntime, now: float, reason: str) -> None:
        """Cancel a ringing offer (the caller left, or changed plans); the agents return to the pool."""
        offer = c.offer
        if offer is None:
            return
        c.offer = None
        c.state = ContactState.scheduled
        for a in offer.agents:
            a.offer = None
            self._emit(CancelOffer(c.id, a.id, reason))
            self._transition(a, AgentInput.cancel, now, reason)

    def _requeue(self, c: ContactRuntime, now: float, reason: str) -> None:
        spec = c.queue.spec
        if spec.max_wait and c.callback is None and now - c.joined >= spec.max_wait:
            self._leave(c, spec.fallback, f"waited more than {spec.max_wait:g} s", now)
            return
        self._emit(Requeue(c.id, c.queue.name, reason))
        self._wait(c, now)
        if c.declined:
            self._at(now + self.settings.decline_cooldown, REMATCH, c, c.queue_gen)

    def _ring_timeout(self, offer: OfferRuntime, now: float) -> None:
        c = offer.contact
        if offer.callback:
            self._callback_failed(c, now, "no answer before the callback timeout")
            return
        c.offer = None
        c.state = ContactState.scheduled
        c.declined = (c.declined or set()) | {a.id for a in offer.agents}
        for a in offer.agents:
            a.offer = None
            self._missed(a, now, f"did not answer {c.id} within {c.queue.spec.ring_timeout:g} s")
        self._requeue(c, now, "no agent answered")

    def _connect(self, c: ContactRuntime, a: AgentRuntime, now: float) -> None:
        offer = c.offer
        c.offer, c.state, c.agent = None, ContactState.connected, a
        q = c.queue
        waited = now - c.contact.arrived
        self._emit(Connect(c.id, a.id, q.name, waited))
        a.offer, a.missed, a.contact, a.connected_at, a.last_queue = None, 0, c, now, q
        self._transition(a, AgentInput.accept, now, f"connected to {c.id}")
        q.answered += 1
        if waited <= q.spec.service_level_threshold:
            q.answered_within += 1
        q.baseline.observe(waited)
        q.patience.observe(waited, False)
        for at, ewt, base, aq in c.announced:
            actual = now - at
            aq.errors.add(ewt - actual)
            aq.baseline_errors.add(base - actual)
        c.announced.clear()
        for other in offer.agents if offer else ():
            if other is not a:
                other.offer = None
                self._emit(CancelOffer(c.id, other.id, f"answered by {a.id}"))
                self._transition(other, AgentInput.cancel, now, f"{c.id} answered by {a.id}")

    def _end_call(self, c: ContactRuntime, now: float) -> None:
        a = c.agent
        c.state = ContactState.done
        del self._contacts[c.id]
        if a is None or a.contact is not c:
            return
        a.contact = None
        a.stats.talk_time += now - a.connected_at
        a.stats.calls += 1
        if a.state is AgentState.on_call:
            self._transition(a, AgentInput.hangup, now, f"call {c.id} ended")
            self._start_wrap(a, now)

    def _on_accepted(self, event: ev.OfferAccepted, now: float) -> None:
        c = self._contact(event, event.contact)
        a = self._agents.get(event.agent)
        if c is None:
            return
        offer = c.offer
        if offer is None or a is None or a not in offer.agents or offer.callback:
            held = f"connected to {c.agent.id}" if c.agent else c.state.value
            why = f"no offer of {c.id} rings agent {event.agent} (contact is {held})"
            self._refuse(event, f"{why}; hang up that leg")
            return
        self._connect(c, a, now)

    def _on_declined(self, event: ev.OfferDeclined | ev.OfferTimedOut, now: float) -> None:
        c = self._contact(event, event.contact)
        a = self._agents.get(event.agent)
        if c is None:
            return
        offer = c.offer
        if offer is None or a is None or a not in offer.agents or offer.callback:
            self._refuse(event, f"no offer of {c.id} rings agent {event.agent}")
            return
        offer.agents.remove(a)
        a.offer = None
        c.declined = (c.declined or set()) | {a.id}
        if not offer.agents:
            c.offer, c.state = None, ContactState.scheduled
        if isinstance(event, ev.OfferTimedOut):
            self._missed(a, now, f"phone did not answer {c.id}")
        else:
            self._transition(a, AgentInput.decline, now, f"declined {c.id}")
        if c.offer is None and c.state is ContactState.scheduled:
            verb = "missed" if isinstance(event, ev.OfferTimedOut) else "declined"
            self._requeue(c, now, f"agent {a.id} {verb}")

    def _on_call_ended(self, event: ev.CallEnded, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.state is not ContactState.connected:
            self._refuse(event, f"contact {c.id} is {c.state.value}, not connected; send ContactAbandoned")
            return
        self._end_call(c, now)
