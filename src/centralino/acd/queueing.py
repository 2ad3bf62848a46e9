"""Queueing: joining a queue, wait steps, overflow rules and leaving.

On joining, the queue's admission rules run (``max_callers``, ``join_when_empty``,
the length/available/EWT overflow rules) and the contact's timers are set: wait
steps that widen its requirements or overflow, ``max_wait`` and wait-based
overflow rules. Leaving for another queue keeps the original arrival time (the
place in line); a loop through visited queues ends at the fallback or the closed
message.
"""

from __future__ import annotations

from centralino.acd import events as ev
from centralino.acd.decisions import CallbackScheduled, Overflow, RequirementsWidened
from centralino.acd.model import OverflowWhen, Target, TargetKind
from centralino.acd.pools import AgentRuntime, ContactRuntime, ContactState
from centralino.acd.state import ANNOUNCE, MAX_WAIT, RULE, SCHEDULED, STEP, WAITING, EngineState


class Queueing(EngineState):
    """Admission, wait steps, overflow and abandonment (a part of ``Engine``)."""

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
                self._at(contact.not_before, SCHEDULED, c, 0)
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
        q.patience.observe(waited, True)
        q.abandoned_within += waited <= q.spec.service_level_threshold
        q.short_abandoned += waited <= q.spec.short_abandon
        self._withdraw(c, now, f"{c.id} hung up")
        if c.state is WAITING:
            q.line_remove(c)
        c.state = ContactState.done
        c.gen += 1
        del self._contacts[c.id]

    def _on_voicemail(self, event: ev.VoicemailRequested, now: float) -> None:
        c = self._contact(event, event.contact)
        if c is None:
            return
        if c.state is ContactState.connected:
            who = c.agent.id if c.agent else "?"
            self._refuse(event, f"contact {c.id} is already connected to agent {who}")
            return
        self._leave(c, Target(TargetKind.voicemail), "caller asked for voicemail", now)

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
            self._at(c.joined + spec.steps[0].after, STEP, c, gen)
        if spec.max_wait:
            self._at(c.joined + spec.max_wait, MAX_WAIT, c, gen)
        for index, rule in enumerate(spec.overflow):
            if rule.when is OverflowWhen.wait:
                self._at(c.joined + rule.threshold, RULE, (c, index), gen)
        self._wait(c, now)
        if c.state is WAITING and spec.announce_every > 0 and c.callback is None:
            self._announce(c, now)
            self._at(now + spec.announce_every, ANNOUNCE, c, gen)
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
        if c.state is WAITING:
            q.line_remove(c)
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
                    if c.callback is None and c.state is WAITING and not self._staffed(c):
                        self._leave(c, c.queue.spec.fallback, "every eligible agent left", now)

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
            self._at(c.joined + spec.steps[c.step].after, STEP, c, c.queue_gen)
        if c.state is WAITING:
            self._wait(c, now)
