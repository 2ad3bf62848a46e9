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
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from centralino.acd import events as ev
from centralino.acd.agent_states import WORKING, AgentInput, AgentState, TransitionRefused, next_state
from centralino.acd.decisions import (
    AgentStateChanged,
    Announce,
    CallbackAbandoned,
    CallbackScheduled,
    CancelOffer,
    Connect,
    Decision,
    OfferContact,
    Overflow,
    Refused,
    Requeue,
    RequirementsWidened,
    StartCallback,
)
from centralino.acd.estimate import ErrorSummary, HandleTime, position_ewt
from centralino.acd.model import (
    AgentSpec,
    Contact,
    Offer,
    OverflowWhen,
    QueueSpec,
    Requirements,
    Strategy,
    Target,
    TargetKind,
)
from centralino.acd.pools import AgentRuntime, ContactRuntime, ContactState, OfferRuntime, Pool, QueueRuntime
from centralino.acd.stats import QueueStats, queue_stats
from centralino.acd.strategies import AgentStats, agent_key, describe

_RING, _WRAP, _ANNOUNCE, _STEP, _MAXWAIT, _RULE, _SCHEDULED, _REMATCH = range(8)
_AVAILABLE, _RESERVED, _WAITING = AgentState.available, AgentState.reserved, ContactState.waiting


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Tenant-wide tuning; stored in the journal header so a replay uses the same."""

    priority_aging: float = 60.0  # seconds of head start per priority level (contact's plus queue's)
    penalty_weight: float = 30.0  # seconds a penalty level costs when an agent picks across queues
    decline_cooldown: float = 15.0  # an agent who missed or declined a contact is not re-offered it sooner
    callback_attempts: int = 3
    callback_retry: float = 300.0
    callback_timeout: float = 45.0  # dialing the customer while the agent is reserved


class Engine:
    """ACD of one tenant. Not thread-safe: one shell task feeds it."""

    def __init__(
        self,
        queues: Iterable[QueueSpec],
        *,
        tenant: str = "default",
        seed: int = 0,
        settings: EngineSettings | None = None,
        journal: Any = None,
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
        self._tseq = itertools.count()
        self._cseq = itertools.count()
        self._offer_ids = itertools.count(1)
        self._order = itertools.count()
        self._out: list[Decision] = []
        self._widest_memo: dict[tuple[Any, ...], Requirements] = {}
        self._merge_memo: dict[tuple[Any, ...], Requirements] = {}
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

    # ----------------------------------------------------------------- public surface

    def handle(self, event: ev.AcdEvent, now: float) -> list[Decision]:
        self._out = out = []
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
        self._out = out = []
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
        by_seq = {c.seq: c.id for c in self._contacts.values() if c.state is _WAITING and c.queue is q}
        return [by_seq[seq] for _, seq in q.waiting]

    def estimate_errors(self, queue: str) -> tuple[ErrorSummary, ErrorSummary]:
        """(this engine's EWT error, Asterisk-style moving-average error) over answered contacts."""
        q = self._queues[queue]
        return q.errors.summary(), q.baseline_errors.summary()

    def stats(self, queue: str) -> QueueStats:
        return queue_stats(self._queues[queue])

    def pending_deadlines(self) -> list[tuple[float, str, str]]:
        """Live timers as (due, kind, subject id): what ``audit`` checks stuck states against."""
        names = ("ring", "wrap-up", "announce", "step", "max-wait", "rule", "callback", "rematch")
        out = []
        for due, _, kind, obj, gen in sorted(self._timers, key=lambda t: (t[0], t[1])):
            if self._timer_valid(kind, obj, gen):
                subject = obj[0] if kind == _RULE else obj.contact if kind == _RING else obj
                out.append((due, names[kind], subject.id))
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
            if (_RING, id(o)) not in live:
                problems.append(f"offer of {c.id} has no ring deadline")
            for a in o.agents:
                if a.id in ringing:
                    problems.append(f"agent {a.id} has two offers: {ringing[a.id]} and {c.id}")
                ringing[a.id] = c.id
                if a.offer is not o or a.state is not _RESERVED:
                    problems.append(f"agent {a.id} rings for {c.id} but is {a.state}")
        for a in self._agents.values():
            if a.state is _RESERVED and a.id not in ringing:
                problems.append(f"agent {a.id} reserved without an offer")
            if a.state is AgentState.wrap_up and (_WRAP, id(a)) not in live:
                problems.append(f"agent {a.id} in wrap-up without a deadline")
            if a.state is _AVAILABLE:
                for pool in a.pools:
                    for c in pool.waiting_contacts():
                        if not (c.declined and a.id in c.declined):
                            problems.append(f"agent {a.id} available while eligible contact {c.id} waits")
        return problems

    # ----------------------------------------------------------------- helpers

    def _emit(self, decision: Decision) -> None:
        self._out.append(decision)

    def _refuse(self, event: ev.AcdEvent, reason: str) -> None:
        self._out.append(Refused(event.kind, reason))

    def _at(self, due: float, kind: int, obj: Any, gen: int = 0) -> None:
        heapq.heappush(self._timers, (due, next(self._tseq), kind, obj, gen))

    def _key(self, arrived: float, priority: int, q: QueueRuntime) -> float:
        return arrived - self.settings.priority_aging * (priority + q.spec.priority)

    def _pool(self, q: QueueRuntime, req: Requirements) -> Pool:
        sig = req.signature()
        pool = q.pools.get(sig)
        if pool is None:
            pool = q.pools[sig] = Pool(q, req)
            for a in q.members.values():
                if a.spec.satisfies(req):
                    self._link(a, pool)
                    if a.state is _AVAILABLE:
                        pool.push_agent(self._agent_key(a, q), a)
        return pool

    def _link(self, a: AgentRuntime, pool: Pool) -> None:
        pool.eligible.add(a.id)
        a.pools.append(pool)
        if a.state in WORKING:
            pool.working += 1

    def _agent_key(self, a: AgentRuntime, q: QueueRuntime) -> tuple[float, float, str]:
        return agent_key(q.spec.strategy, a.stats, a.spec.queues.get(q.name, 0), q.rr_last.get(a.id, -1.0),
                         self._rng)

    def _widest(self, c: ContactRuntime) -> Requirements:
        """The requirements after every remaining widening step (memoized: specs never change)."""
        key = (c.queue.name, c.requirements.signature(), c.step)
        req = self._widest_memo.get(key)
        if req is None:
            req = c.requirements
            for step in c.queue.spec.steps[c.step:]:
                if step.overflow_to is None:
                    req = req.widened(step)
            self._widest_memo[key] = req
        return req

    def _base_requirements(self, q: QueueRuntime, contact: Contact) -> Requirements:
        key = (q.name, contact.requirements.signature())
        req = self._merge_memo.get(key)
        if req is None:
            req = self._merge_memo[key] = q.spec.requirements.merged(contact.requirements)
        return req

    def _staffed(self, c: ContactRuntime) -> bool:
        return self._pool(c.queue, self._widest(c)).working > 0

    def _transition(self, a: AgentRuntime, given: AgentInput, now: float, reason: str) -> None:
        old = a.state
        new = next_state(old, given)
        if new is old:
            return
        if old is _AVAILABLE:
            a.version += 1
        was_working, is_working = old in WORKING, new in WORKING
        if was_working != is_working:
            delta = 1 if is_working else -1
            for pool in a.pools:
                pool.working += delta
        a.state, a.since = new, now
        self._emit(AgentStateChanged(a.id, new, reason))
        if new is _AVAILABLE:
            a.stats.idle_since = now
            self._agent_free(a, now)
        elif not is_working and was_working:
            self._check_empty(a, now)

    # ----------------------------------------------------------------- matching

    def _agent_free(self, a: AgentRuntime, now: float) -> None:
        """An agent became available: take the best waiting contact of its pools, or wait in them."""
        best: tuple[float, int] | None = None
        chosen: ContactRuntime | None = None
        weight = self.settings.penalty_weight
        penalties = a.spec.queues
        for pool in a.pools:
            if not pool.contacts:
                continue
            c = pool.head_contact()
            if c is None:
                continue
            if c.declined and a.id in c.declined:
                c = next((x for x in sorted(pool.waiting_contacts(), key=lambda x: (x.key, x.seq))
                          if not (x.declined and a.id in x.declined)), None)
                if c is None:
                    continue
            score = (c.key + penalties.get(pool.queue.name, 0) * weight, c.seq)
            if best is None or score < best:
                best, chosen = score, c
        if chosen is not None:
            score_text = f"{best[0]:.6g}" if best else "?"
            why = f"agent {a.id} came free; longest-waiting eligible contact across {len(a.pools)} pools"
            self._offer(chosen, [a], now, (a.id,), f"{why} (score {score_text})")
            return
        keys: dict[str, tuple[float, float, str]] = {}
        for pool in a.pools:
            q = pool.queue
            key = keys.get(q.name)
            if key is None:
                key = keys[q.name] = self._agent_key(a, q)
            pool.push_agent(key, a)

    def _wait(self, c: ContactRuntime, now: float) -> None:
        """The contact wants an agent: offer it now or put it in its pool's line."""
        q = c.queue
        if c.state is not _WAITING:
            c.state = _WAITING
            q.waiting.add((c.key, c.seq))
        c.gen += 1
        pool = self._pool(q, c.requirements)
        heap = pool.agents
        strategy = q.spec.strategy
        limit = q.spec.ring_all_limit if strategy is Strategy.ring_all and c.callback is None else 1
        declined = c.declined
        chosen: list[AgentRuntime] = []
        skipped = []
        first_key = None
        while heap and len(chosen) < limit:
            entry = heap[0]
            key, version, a = entry
            if version != a.version or a.state is not _AVAILABLE:
                heapq.heappop(heap)
                continue
            if declined and a.id in declined:
                skipped.append(heapq.heappop(heap))
                continue
            if first_key is not None and key[0] != first_key[0]:
                break
            heapq.heappop(heap)
            chosen.append(a)
            if first_key is None:
                first_key = key
        for entry in skipped:
            heapq.heappush(heap, entry)
        if chosen and first_key is not None:
            candidates = tuple(a.id for a in chosen) + tuple(f"{e[2].id}:declined" for e in skipped)
            why = f"{describe(strategy, first_key)}; {len(pool.eligible)} eligible"
            self._offer(c, chosen, now, candidates, why)
        else:
            pool.push_contact(c)

    def _offer(self, c: ContactRuntime, agents: list[AgentRuntime], now: float, candidates: tuple[str, ...],
               reason: str) -> None:
        q = c.queue
        if c.state is _WAITING:
            q.waiting.remove((c.key, c.seq))
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
        self._at(offer.deadline, _RING, offer, offer.id)
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
            self._at(now + self.settings.decline_cooldown, _REMATCH, c, c.queue_gen)

    # ----------------------------------------------------------------- joining and leaving

    def _join(self, c: ContactRuntime, now: float) -> None:
        q, spec = c.queue, c.queue.spec
        if spec.max_callers and len(q.waiting) >= spec.max_callers:
            return self._leave(c, spec.fallback, f"queue full ({spec.max_callers} callers)", now)
        if not spec.join_when_empty and c.callback is None and not self._staffed(c):
            return self._leave(c, spec.fallback, "no eligible agent logged in", now)
        if self._check_rules(c, now, joining=True):
            return None
        gen = c.queue_gen
        if spec.steps:
            self._at(c.joined + spec.steps[0].after, _STEP, c, gen)
        if spec.max_wait:
            self._at(c.joined + spec.max_wait, _MAXWAIT, c, gen)
        for index, rule in enumerate(spec.overflow):
            if rule.when is OverflowWhen.wait:
                self._at(c.joined + rule.threshold, _RULE, (c, index), gen)
        self._wait(c, now)
        if c.state is _WAITING and spec.announce_every > 0 and c.callback is None:
            self._announce(c, now)
            self._at(now + spec.announce_every, _ANNOUNCE, c, gen)
        return None

    def _check_rules(self, c: ContactRuntime, now: float, joining: bool) -> bool:
        """Apply the first triggered length/available/EWT overflow rule; True when the contact left."""
        q = c.queue
        for rule in q.spec.overflow:
            if rule.when is OverflowWhen.wait:
                continue
            if rule.when is OverflowWhen.length:
                value = float(len(q.waiting) + (1 if joining else 0))
            elif rule.when is OverflowWhen.available:
                value = float(self._pool(q, c.requirements).working)
            else:
                value = self._ewt(c)
            if rule.triggered(value):
                self._leave(c, rule.target, f"{rule.when.value} {value:.6g} crossed {rule.threshold:g}", now)
                return True
        return False

    def _leave(self, c: ContactRuntime, target: Target, reason: str, now: float) -> None:
        q = c.queue
        self._withdraw(c, now, f"{c.id} left the queue: {reason}")
        if c.state is _WAITING:
            q.waiting.remove((c.key, c.seq))
        c.gen += 1
        if target.kind is TargetKind.queue and not self._usable(target, c):
            why = "was already visited" if target.name in self._queues else "does not exist"
            fallback = q.spec.fallback
            new = fallback if fallback.kind is not TargetKind.queue or self._usable(fallback, c) \
                else Target(TargetKind.closed)
            reason += f"; queue {target.name!r} {why}, going to {new}"
            target = new
        self._emit(Overflow(c.id, q.name, target, reason))
        if target.kind is TargetKind.queue:
            nq = self._queues[target.name or ""]
            c.queue, c.visited, c.queue_gen, c.step = nq, (*c.visited, nq.name), c.queue_gen + 1, 0
            c.key = self._key(c.contact.arrived, c.contact.priority, nq)
            c.requirements = self._base_requirements(nq, c.contact)
            c.joined, c.state, c.declined = now, ContactState.scheduled, None
            self._join(c, now)
        else:
            c.state = ContactState.done
            del self._contacts[c.id]

    def _usable(self, target: Target, c: ContactRuntime) -> bool:
        return target.name in self._queues and target.name not in c.visited

    def _check_empty(self, a: AgentRuntime, now: float) -> None:
        for pool in list(a.pools):
            if pool.working == 0 and pool.queue.spec.leave_when_empty and pool.contacts:
                for c in pool.waiting_contacts():
                    if c.callback is None and c.state is _WAITING and not self._staffed(c):
                        self._leave(c, c.queue.spec.fallback, "every eligible agent left", now)

    # ----------------------------------------------------------------- wait estimate

    def _ewt(self, c: ContactRuntime) -> float:
        q = c.queue
        pool = c.pool if c.pool is not None and c.pool.queue is q else self._pool(q, c.requirements)
        return position_ewt(q.position(c), 0, pool.working, q.handle.mean)

    def _announce(self, c: ContactRuntime, now: float) -> None:
        q = c.queue
        ewt = self._ewt(c)
        c.announced.append((now, ewt, q.baseline.estimate(now - c.contact.arrived), q))
        self._emit(Announce(c.id, q.position(c), ewt))

    # ----------------------------------------------------------------- connecting

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

    def _start_wrap(self, a: AgentRuntime, now: float) -> None:
        q = a.last_queue
        seconds = q.spec.wrapup if q else 0.0
        a.wrap_token += 1
        self._at(now + seconds, _WRAP, a, a.wrap_token)

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

    # ----------------------------------------------------------------- timers

    def _timer_valid(self, kind: int, obj: Any, gen: int) -> bool:
        if kind == _RING:
            return obj.contact.offer is obj
        if kind == _WRAP:
            return obj.state is AgentState.wrap_up and obj.wrap_token == gen
        if kind == _ANNOUNCE:
            return obj.state is not ContactState.done and obj.state is not ContactState.connected \
                and obj.callback is None and obj.queue_gen == gen and obj.queue.spec.announce_every > 0
        c = obj[0] if kind == _RULE else obj
        if c.state is ContactState.done or c.state is ContactState.connected:
            return False
        if kind == _SCHEDULED:
            return c.state is ContactState.scheduled and c.attempts == gen
        return c.queue_gen == gen

    def _fire(self, kind: int, obj: Any, gen: int, now: float) -> None:
        if kind == _RING:
            self._ring_timeout(obj, now)
        elif kind == _WRAP:
            self._wrap_done(obj, now, "wrap-up time over")
        elif kind == _ANNOUNCE:
            if obj.state is _WAITING and not self._check_rules(obj, now, joining=False):
                self._announce(obj, now)
            if obj.state is not ContactState.done and obj.queue_gen == gen:
                self._at(now + obj.queue.spec.announce_every, _ANNOUNCE, obj, gen)
        elif kind == _STEP:
            self._step(obj, now)
        elif kind == _MAXWAIT:
            if obj.callback is not None:
                return
            if obj.offer is not None:
                self._at(obj.offer.deadline, _MAXWAIT, obj, gen)
            else:
                self._leave(obj, obj.queue.spec.fallback, f"waited {obj.queue.spec.max_wait:g} s", now)
        elif kind == _RULE:
            c, index = obj
            rule = c.queue.spec.overflow[index]
            if c.callback is None:
                self._leave(c, rule.target, f"waited {rule.threshold:g} s (overflow rule {index})", now)
        elif kind == _SCHEDULED:
            if obj.attempts == 0:
                self._join(obj, now)
            else:
                self._wait(obj, now)
        elif kind == _REMATCH and obj.state is _WAITING and obj.declined:
            obj.declined = None
            self._wait(obj, now)

    def _step(self, c: ContactRuntime, now: float) -> None:
        spec = c.queue.spec
        index = c.step
        step = spec.steps[index]
        c.step += 1
        if step.overflow_to is not None:
            why = f"waited {step.after:g} s (step {index})"
            self._leave(c, Target(TargetKind.queue, step.overflow_to), why, now)
            return
        c.requirements = c.requirements.widened(step)
        r = c.requirements
        text = ", ".join(f"{k}>={v}" for k, v in sorted(r.skills.items())) or "any skill"
        self._emit(RequirementsWidened(c.id, c.queue.name, index, f"{text}; language {r.language or 'any'}"))
        if c.step < len(spec.steps):
            self._at(c.joined + spec.steps[c.step].after, _STEP, c, c.queue_gen)
        if c.state is _WAITING:
            self._wait(c, now)

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
        self._at(at, _SCHEDULED, c, c.attempts)

    # ----------------------------------------------------------------- event handlers

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

    def _on_arrived(self, event: ev.ContactArrived, now: float) -> None:
        contact = event.contact
        q = self._queues.get(contact.queue)
        if contact.id in self._contacts or q is None:
            why = "is already queued" if q else f"names unknown queue {contact.queue!r}; check the IVR route"
            self._refuse(event, f"contact {contact.id!r} {why}")
            return
        c = ContactRuntime(contact, q, self._key(contact.arrived, contact.priority, q), next(self._cseq),
                           self._base_requirements(q, contact), now, callback=contact.callback,
                           visited=(q.name,))
        self._contacts[contact.id] = c
        q.offered += 1
        if contact.callback is not None:
            q.callbacks += 1
            q.callbacks_within += 1
            if contact.not_before is not None and contact.not_before > now:
                self._emit(CallbackScheduled(c.id, contact.callback, contact.not_before, 1, "preferred time"))
                self._at(contact.not_before, _SCHEDULED, c, 0)
                return
        self._join(c, now)

    def _on_abandoned(self, event: ev.ContactAbandoned, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.state is ContactState.connected:
            self._end_call(c, now)
            return
        q = c.queue
        waited = now - c.contact.arrived
        q.abandoned += 1
        q.abandoned_within += waited <= q.spec.service_level_threshold
        q.short_abandoned += waited <= q.spec.short_abandon
        self._withdraw(c, now, f"{c.id} hung up")
        if c.state is _WAITING:
            q.waiting.remove((c.key, c.seq))
        c.state = ContactState.done
        c.gen += 1
        del self._contacts[c.id]

    def _on_call_ended(self, event: ev.CallEnded, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.state is not ContactState.connected:
            self._refuse(event, f"contact {c.id} is {c.state.value}, not connected; send ContactAbandoned")
            return
        self._end_call(c, now)

    def _on_callback_requested(self, event: ev.CallbackRequested, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.state not in (_WAITING, ContactState.offered) or c.callback is not None:
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

    def _on_voicemail(self, event: ev.VoicemailRequested, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.state is ContactState.connected:
            who = c.agent.id if c.agent else "?"
            self._refuse(event, f"contact {c.id} is already connected to agent {who}")
            return
        self._leave(c, Target(TargetKind.voicemail), "caller asked for voicemail", now)

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
        a.pools = []
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
            c = a.contact
            if c is not None:
                self._end_call(c, now)
                return
            self._transition(a, AgentInput.reconcile_idle, now, "telephony reports the phone idle")
            self._start_wrap(a, now)
