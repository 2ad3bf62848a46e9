"""Callbacks: customers called back while an agent is reserved for them.

A callback keeps its place in line; at the head, with an eligible agent free,
the agent is reserved and ``StartCallback`` asks the shell to dial. An answer
connects; a failure or the callback timeout releases the agent and retries
after ``callback_retry`` until ``callback_attempts`` are used up.
"""

from __future__ import annotations

from centralino.acd import events as ev
from centralino.acd.agent_states import AgentInput
from centralino.acd.decisions import CallbackAbandoned, CallbackScheduled
from centralino.acd.pools import ContactRuntime, ContactState
from centralino.acd.state import SCHEDULED, WAITING, EngineState


class Callbacks(EngineState):
    """Callback requests, answers, failures and retries (a part of ``Engine``)."""

    def _callback_failed(self, c: ContactRuntime, now: float, reason: str) -> None:
        offer = c.offer
        c.offer, c.state = None, ContactState.scheduled
        for a in offer.agents if offer else ():
            a.offer = None
            self._transition(a, AgentInput.cancel, now, f"callback to {c.id} failed: {reason}")
        if c.attempts >= self.settings.callback_attempts:
            c.state = ContactState.done
            del self._contacts[c.id]
            self._emit(CallbackAbandoned(c.id, c.attempts, reason))
            return
        at = now + self.settings.callback_retry
        self._emit(CallbackScheduled(c.id, c.callback or "", at, c.attempts + 1, f"retry after: {reason}"))
        self._at(at, SCHEDULED, c, c.attempts)

    def _on_callback_requested(self, event: ev.CallbackRequested, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.state not in (WAITING, ContactState.offered) or c.callback is not None:
            why = "only a waiting caller can ask for a callback"
            self._refuse(event, f"contact {c.id} is {c.state.value}; {why}")
            return
        c.callback = event.number
        q = c.queue
        q.callbacks += 1
        q.callbacks_within += now - c.contact.arrived <= q.spec.service_level_threshold
        self._emit(CallbackScheduled(c.id, event.number, now, 1, "caller asked; keeps the place in line"))
        if c.offer is not None:
            self._withdraw(c, now, f"{c.id} chose a callback")
            self._wait(c, now)

    def _on_callback_answered(self, event: ev.CallbackAnswered, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.offer is None or not c.offer.callback:
            self._refuse(event, f"no callback to {c.id} is being dialled")
            return
        self._connect(c, c.offer.agents[0], now)

    def _on_callback_failed(self, event: ev.CallbackFailed, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.offer is None or not c.offer.callback:
            self._refuse(event, f"no callback to {c.id} is being dialled")
            return
        self._callback_failed(c, now, event.reason)
