"""What every part of the engine shares: its settings, its indexes, its timer heap and its output.

The engine is one object (``centralino.acd.engine.Engine``, the facade) assembled
from parts that each own one concern of the domain: matching, offers, queueing,
the agent lifecycle, callbacks, announcements and timers. They all read and
write the state declared here, so the split costs no indirection on the hot
path: a method of one part calls another's as ``self._name``.

Timers are one heap of ``(due, sequence, kind, subject, generation)``; a timer
whose subject has moved on (its generation no longer matches) is skipped when
it comes due, so nothing is ever cancelled (``centralino.acd.timers``).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from centralino.acd import events as ev
from centralino.acd.agent_states import AgentState
from centralino.acd.decisions import Decision, Refused
from centralino.acd.estimate import HandleTime
from centralino.acd.model import QueueSpec, Requirements
from centralino.acd.pools import AgentRuntime, ContactRuntime, ContactState, QueueRuntime

if TYPE_CHECKING:
    from centralino.acd.agent_states import AgentInput
    from centralino.acd.model import Contact, Target
    from centralino.acd.pools import OfferRuntime, Pool

RING, WRAP, ANNOUNCE, STEP, MAX_WAIT, RULE, SCHEDULED, REMATCH = range(8)
TIMER_NAMES = ("ring", "wrap-up", "announce", "step", "max-wait", "rule", "callback", "rematch")
AVAILABLE, RESERVED, WAITING = AgentState.available, AgentState.reserved, ContactState.waiting


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Tenant-wide tuning; stored in the journal header so a replay uses the same."""

    priority_aging: float = 60.0  # seconds of head start per priority level (contact's plus queue's)
    penalty_weight: float = 30.0  # seconds a penalty level costs when an agent picks across queues
    decline_cooldown: float = 15.0  # an agent who missed or declined a contact is not re-offered it sooner
    callback_attempts: int = 3
    callback_retry: float = 300.0
    callback_timeout: float = 45.0  # dialing the customer while the agent is reserved


class EngineState:
    """The shared state and the helpers every part uses to emit decisions and set timers."""

    def __init__(
        self, queues: Iterable[QueueSpec], tenant: str, seed: int, settings: EngineSettings | None
    ) -> None:
        self.tenant = tenant
        self.seed = seed
        self.settings = settings or EngineSettings()
        self.queue_specs = tuple(queues)
        self._rng = random.Random(seed)
        self._queues = {q.name: QueueRuntime(q, HandleTime(q.expected_handle_time)) for q in self.queue_specs}
        self._agents: dict[str, AgentRuntime] = {}
        self._contacts: dict[str, ContactRuntime] = {}
        self._timers: list[tuple[float, int, int, Any, int]] = []
        self._timer_limit = 4096  # heap size that triggers dropping dead timers (see timers)
        self._tseq = itertools.count()
        self._cseq = itertools.count()
        self._offer_ids = itertools.count(1)
        self._order = itertools.count()
        self._out: list[Decision] = []
        self._widest_memo: dict[tuple[Any, ...], Requirements] = {}
        self._merge_memo: dict[tuple[Any, ...], Requirements] = {}

    def _emit(self, decision: Decision) -> None:
        self._out.append(decision)

    def _refuse(self, event: ev.AcdEvent, reason: str) -> None:
        self._out.append(Refused(event.kind, reason))

    def _at(self, due: float, kind: int, obj: Any, gen: int = 0) -> None:
        timers = self._timers
        heapq.heappush(timers, (due, next(self._tseq), kind, obj, gen))
        if len(timers) > self._timer_limit:
            self._drop_dead_timers()

    def _drop_dead_timers(self) -> None:
        raise NotImplementedError  # centralino.acd.timers.Timers

    if TYPE_CHECKING:
        # What the parts call on one another (``self._name``), declared for the type checker only:
        # each part is checked on its own, and an implementation whose signature drifts from its
        # declaration here is an error. Nothing is added at run time, so the calls stay direct.

        # matching
        def _key(self, arrived: float, priority: int, q: QueueRuntime) -> float: ...
        def _pool(self, q: QueueRuntime, req: Requirements) -> Pool: ...
        def _link(self, a: AgentRuntime, pool: Pool) -> None: ...
        def _base_requirements(self, q: QueueRuntime, contact: Contact) -> Requirements: ...
        def _staffed(self, c: ContactRuntime) -> bool: ...
        def _agent_free(self, a: AgentRuntime, now: float) -> None: ...
        def _wait(self, c: ContactRuntime, now: float) -> None: ...

        # offers
        def _offer(self, c: ContactRuntime, agents: list[AgentRuntime], now: float,
                   candidates: tuple[str, ...], reason: str) -> None: ...
        def _withdraw(self, c: ContactRuntime, now: float, reason: str) -> None: ...
        def _requeue(self, c: ContactRuntime, now: float, reason: str) -> None: ...
        def _ring_timeout(self, offer: OfferRuntime, now: float) -> None: ...
        def _connect(self, c: ContactRuntime, a: AgentRuntime, now: float) -> None: ...
        def _end_call(self, c: ContactRuntime, now: float) -> None: ...

        # queueing
        def _join(self, c: ContactRuntime, now: float) -> None: ...
        def _check_rules(self, c: ContactRuntime, now: float, joining: bool) -> bool: ...
        def _leave(self, c: ContactRuntime, target: Target, reason: str, now: float) -> None: ...
        def _check_empty(self, a: AgentRuntime, now: float) -> None: ...
        def _step(self, c: ContactRuntime, now: float) -> None: ...

        # agent lifecycle
        def _transition(self, a: AgentRuntime, given: AgentInput, now: float, reason: str) -> None: ...
        def _missed(self, a: AgentRuntime, now: float, reason: str) -> None: ...
        def _wrap_done(self, a: AgentRuntime, now: float, reason: str) -> None: ...
        def _start_wrap(self, a: AgentRuntime, now: float) -> None: ...

        # callbacks
        def _callback_failed(self, c: ContactRuntime, now: float, reason: str) -> None: ...
        def _on_callback_answered(self, event: ev.CallbackAnswered, now: float) -> None: ...

        # announcements
        def _ewt(self, c: ContactRuntime, position: int | None = None) -> float: ...
        def _announce(self, c: ContactRuntime, now: float) -> None: ...

        # timers
        def _timer_valid(self, kind: int, obj: Any, gen: int) -> bool: ...

    def _contact(self, event: ev.AcdEvent, contact_id: str) -> ContactRuntime | None:
        c = self._contacts.get(contact_id)
        if c is None:
            self._refuse(event, f"contact {contact_id!r} is not in any queue (ended, or never arrived)")
        return c

    def _agent(self, event: ev.AcdEvent, extension: str) -> AgentRuntime | None:
        a = self._agents.get(extension)
        if a is None or a.state is AgentState.logged_out:
            self._refuse(event, f"agent {extension!r} is not logged in; log in first")
            return None
        return a
