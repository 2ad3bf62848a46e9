"""The ACD engine: a deterministic, sans-I/O state machine.

``handle(event, now)`` and ``handle_timer(now)`` return the decisions the shell
must carry out; ``next_deadline()`` says when the shell must call
``handle_timer`` next (the only timer it arms). Nothing here reads a clock,
draws from the global random generator or performs I/O, so a journal of the
inputs replays to the very same decisions (``centralino.acd.journal.replay``).

After every input the engine restores one invariant: no waiting contact has an
eligible available agent that has not just declined it. Hence an agent coming
free only has to look at the heads of the pools it belongs to, and a contact
arriving only at the agent heap of its own pool (see ``pools``).

``Engine`` is the facade: the public methods live here, the work in one module
per concern of the domain, all sharing ``state.EngineState``:

- ``matching``: pools of eligible agents, which agent, which contact (strategies);
- ``offers``: ringing one agent or several (ring-all), answers, declines, requeues;
- ``queueing``: joining, wait steps, overflow rules, leaving;
- ``agent_lifecycle``: login, breaks, wrap-up, reconciliation, the state table;
- ``callbacks``: dialling customers back while an agent is reserved;
- ``announcements``: position and expected wait;
- ``timers``: what each deadline does when it comes due;
- ``audit``: the invariants as checks.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from centralino.acd import events as ev
from centralino.acd.agent_lifecycle import AgentLifecycle
from centralino.acd.agent_states import AgentState
from centralino.acd.announcements import Announcements
from centralino.acd.audit import Auditing
from centralino.acd.callbacks import Callbacks
from centralino.acd.decisions import Decision
from centralino.acd.estimate import ErrorSummary
from centralino.acd.matching import Matching
from centralino.acd.model import Offer, QueueSpec
from centralino.acd.offers import Offering
from centralino.acd.pools import ContactState
from centralino.acd.queueing import Queueing
from centralino.acd.state import WAITING, EngineSettings
from centralino.acd.stats import QueueStats, queue_stats
from centralino.acd.timers import Timers

if TYPE_CHECKING:
    from centralino.acd.journal import Journal

__all__ = ["Engine", "EngineSettings"]


class Engine(AgentLifecycle, Queueing, Offering, Callbacks, Announcements, Matching, Timers, Auditing):
    """ACD of one tenant. Not thread-safe: one shell task feeds it."""

    def __init__(
        self,
        queues: Iterable[QueueSpec],
        *,
        tenant: str = "default",
        seed: int = 0,
        settings: EngineSettings | None = None,
        journal: Journal | None = None,
    ) -> None:
        super().__init__(queues, tenant, seed, settings)
        self.journal = journal
        self._handlers: dict[type, Callable[[Any, float], None]] = {
            ev.ContactArrived: self._on_arrived,
            ev.ContactAbandoned: self._on_abandoned,
            ev.CallEnded: self._on_call_ended,
            ev.CallbackRequested: self._on_callback_requested,
            ev.VoicemailRequested: self._on_voicemail,
            ev.CallbackAnswered: self._on_callback_answered,
            ev.CallbackFailed: self._on_callback_failed,
            ev.AgentLoggedIn: self._on_login,
            ev.AgentLoggedOut: self._on_logout,
            ev.BreakStarted: self._on_break,
            ev.BreakEnded: self._on_break_end,
            ev.WrapUpEnded: self._on_wrapup_ended,
            ev.OfferAccepted: self._on_accepted,
            ev.OfferDeclined: self._on_declined,
            ev.OfferTimedOut: self._on_declined,
            ev.AgentReconciled: self._on_reconciled,
        }
        if journal is not None:
            journal.start(self)

    def handle(self, event: ev.AcdEvent, now: float) -> list[Decision]:
        out: list[Decision] = []
        self._out = out
        handler = self._handlers.get(type(event))
        if handler is None:
            self._refuse(event, f"the ACD does not handle {type(event).__name__} events")
        else:
            handler(event, now)
        if self.journal is not None:
            self.journal.record(now, event, out)
        return out

    def handle_timer(self, now: float) -> list[Decision]:
        """Fire every deadline due at ``now`` (call it when ``next_deadline()`` has passed)."""
        out: list[Decision] = []
        self._out = out
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, kind, obj, gen = heapq.heappop(timers)
            if self._timer_valid(kind, obj, gen):
                self._fire(kind, obj, gen, now)
        if self.journal is not None:
            self.journal.record(now, ev.TimerDue(), out)
        return out

    def next_deadline(self) -> float | None:
        timers = self._timers
        while timers and not self._timer_valid(timers[0][2], timers[0][3], timers[0][4]):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def agent_state(self, extension: str) -> AgentState:
        agent = self._agents.get(extension)
        return agent.state if agent else AgentState.logged_out

    def contact_state(self, contact: str) -> ContactState:
        rec = self._contacts.get(contact)
        return rec.state if rec else ContactState.done

    def offers(self) -> list[Offer]:
        found = {id(c.offer): c.offer for c in self._contacts.values() if c.offer is not None}
        return [Offer(o.id, o.contact.id, tuple(a.id for a in o.agents), o.started, o.deadline, o.callback)
                for o in found.values()]

    def waiting(self, queue: str) -> list[str]:
        """Contact ids waiting in ``queue``, in line order."""
        q = self._queues[queue]
        by_seq = {c.seq: c.id for c in self._contacts.values() if c.state is WAITING and c.queue is q}
        return [by_seq[seq] for _, seq in q.waiting]

    def estimate_errors(self, queue: str) -> tuple[ErrorSummary, ErrorSummary]:
        """(this engine's EWT error, Asterisk-style moving-average error) over answered contacts."""
        q = self._queues[queue]
        return q.errors.summary(), q.baseline_errors.summary()

    def stats(self, queue: str) -> QueueStats:
        return queue_stats(self._queues[queue])
