"""The agent lifecycle: login, breaks, wrap-up, missed offers and reconciliation.

Every state change goes through ``_transition``, which applies the table of
``centralino.acd.agent_states``, keeps each pool's count of working agents, and
on *available* hands the agent to matching; when the last working agent of a
pool leaves, ``leave_when_empty`` queues send their callers to the fallback.
``AgentReconciled`` (after a restart) aligns the engine with what telephony says.
"""

from __future__ import annotations

from array import array

from centralino.acd import events as ev
from centralino.acd.agent_states import (
    TRANSITIONS,
    WORKING,
    AgentInput,
    AgentState,
    TransitionRefused,
    next_state,
)
from centralino.acd.decisions import AgentStateChanged, CancelOffer
from centralino.acd.model import AgentSpec
from centralino.acd.pools import AgentRuntime, ContactState
from centralino.acd.state import AVAILABLE, WRAP, EngineState
from centralino.acd.strategies import AgentStats


class AgentLifecycle(EngineState):
    """Agent events and state changes (a part of ``Engine``)."""

    def _transition(self, a: AgentRuntime, given: AgentInput, now: float, reason: str) -> None:
        old = a.state
        new = TRANSITIONS.get((old, given)) or next_state(old, given)  # next_state raises the refusal
        if new is old:
            return
        if old is AVAILABLE:
            a.version += 1
        was_working, is_working = old in WORKING, new in WORKING
        if was_working != is_working:
            delta = 1 if is_working else -1
            for pool in a.pools:
                pool.working += delta
        a.state, a.since = new, now
        self._emit(AgentStateChanged(a.id, new, reason))
        if new is AVAILABLE:
            a.stats.idle_since = now
            self._agent_free(a, now)
        elif not is_working and was_working:
            self._check_empty(a, now)

    def _missed(self, a: AgentRuntime, now: float, reason: str) -> None:
        a.missed += 1
        if a.spec.max_missed and a.missed >= a.spec.max_missed:
            a.break_reason = "missed-offers"
            why = f"{reason}; {a.missed} missed offers: automatic break"
            self._transition(a, AgentInput.miss_limit, now, why)
        else:
            self._transition(a, AgentInput.ring_timeout, now, reason)

    def _wrap_done(self, a: AgentRuntime, now: float, reason: str) -> None:
        q = a.last_queue
        if q is not None:
            q.handle.observe(now - a.connected_at)
        self._transition(a, AgentInput.wrapup_done, now, reason)

    def _start_wrap(self, a: AgentRuntime, now: float) -> None:
        q = a.last_queue
        seconds = q.spec.wrapup if q else 0.0
        a.wrap_token += 1
        self._at(now + seconds, WRAP, a, a.wrap_token)

    def _on_login(self, event: ev.AgentLoggedIn, now: float) -> None:
        spec: AgentSpec = event.agent
        a = self._agents.get(spec.extension)
        if a is not None and a.state is not AgentState.logged_out:
            self._refuse(event, f"agent {spec.extension} is already logged in ({a.state.value})")
            return
        if a is None:
            a = AgentRuntime(spec, AgentStats(spec.extension, idle_since=now, order=next(self._order)))
            self._agents[spec.extension] = a
        a.spec, a.missed, a.break_reason = spec, 0, None
        for name in spec.queues:
            q = self._queues.get(name)
            if q is None:
                continue
            q.members[a.id] = a
            for pool in q.pools.values():
                if spec.satisfies(pool.requirements):
                    self._link(a, pool)
        self._transition(a, AgentInput.login, now, "logged in")

    def _on_logout(self, event: ev.AgentLoggedOut, now: float) -> None:
        a = self._agent(event, event.agent)
        if a is None:
            return
        offer = a.offer
        if offer is not None:
            a.offer = None
            offer.agents.remove(a)
            self._emit(CancelOffer(offer.contact.id, a.id, "agent logged out"))
        self._transition(a, AgentInput.logout, now, "logged out")
        for pool in a.pools:
            pool.eligible.discard(a.id)
        for name in a.spec.queues:
            q = self._queues.get(name)
            if q is not None:
                q.members.pop(a.id, None)
        a.pools, a.pool_bias = [], array("d")
        if offer is not None and not offer.agents:
            c = offer.contact
            c.offer, c.state = None, ContactState.scheduled
            if offer.callback:
                c.attempts -= 1
            self._requeue(c, now, f"agent {a.id} logged out while ringing")

    def _on_break(self, event: ev.BreakStarted, now: float) -> None:
        a = self._agent(event, event.agent)
        if a is None:
            return
        try:
            next_state(a.state, AgentInput.break_start)
        except TransitionRefused as exc:
            self._refuse(event, f"{exc}; a break can start once the call is in wrap-up")
            return
        a.break_reason = event.reason
        if a.state is AgentState.on_break:
            self._emit(AgentStateChanged(a.id, a.state, f"break reason now {event.reason}"))
        self._transition(a, AgentInput.break_start, now, f"break: {event.reason}")

    def _on_break_end(self, event: ev.BreakEnded, now: float) -> None:
        a = self._agent(event, event.agent)
        if a is None:
            return
        if a.state is not AgentState.on_break:
            self._refuse(event, f"agent {a.id} is {a.state.value}, not on a break")
            return
        a.break_reason, a.missed = None, 0
        self._transition(a, AgentInput.break_end, now, "back from break")

    def _on_wrapup_ended(self, event: ev.WrapUpEnded, now: float) -> None:
        a = self._agent(event, event.agent)
        if a is None:
            return
        if a.state is not AgentState.wrap_up:
            self._refuse(event, f"agent {a.id} is {a.state.value}, not in wrap-up")
            return
        self._wrap_done(a, now, "agent ended wrap-up")

    def _on_reconciled(self, event: ev.AgentReconciled, now: float) -> None:
        a = self._agent(event, event.agent)
        if a is None:
            return
        if event.in_call:
            if a.offer is not None and not a.offer.callback:
                self._connect(a.offer.contact, a, now)
                return
            if a.offer is not None:
                self._on_callback_answered(ev.CallbackAnswered(a.offer.contact.id), now)
                return
            self._transition(a, AgentInput.reconcile_busy, now, "telephony reports a call")
            return
        if a.offer is not None:
            offer = a.offer
            a.offer = None
            offer.agents.remove(a)
            self._emit(CancelOffer(offer.contact.id, a.id, "telephony reports the phone idle"))
            if not offer.agents:
                c = offer.contact
                c.offer, c.state = None, ContactState.scheduled
                if offer.callback:
                    c.attempts -= 1
            self._transition(a, AgentInput.reconcile_idle, now, "telephony reports the phone idle")
            if not offer.agents:
                self._requeue(offer.contact, now, "offer lost in a restart")
            return
        if a.state is AgentState.on_call:
            connected = a.contact
            if connected is not None:
                self._end_call(connected, now)
                return
            self._transition(a, AgentInput.reconcile_idle, now, "telephony reports the phone idle")
            self._start_wrap(a, now)
