"""Carrying out the ACD's decisions on legs: offers ring agents, connects bridge, callbacks dial.

The engine (``centralino.acd.Engine``) decides who gets a contact; this half of the dial plan
turns each decision into call-control commands and record facts, and turns what happens to
the agents' legs and the callback customers' legs back into ACD events (the callers' legs
and the IVR are the other half, ``centralino.dialplan.plan``). Three rules keep it from
getting stuck:

- **An agent's ringing leg lives exactly as long as the agent is reserved for it.** Every way
  an offer ends passes through the agent's state: a ``CancelOffer`` (caller gone, ring-all
  won by another, logout), a ``Connect``, or the engine's own ring timer, which only says
  ``AgentStateChanged``. So when an agent leaves ``reserved`` and still has an unbridged leg,
  the leg is hung up; no separate ring timer is needed here.
- **Every leg we end is hung up once** (``_drop_leg``) and forgotten; its late events
  (``HungUp``, ``Failed``, a 200 OK racing the CANCEL) are ignored.
- **A callback attempt** (``attempt_live``) ends in exactly one ``CallbackEnded`` fact:
  connected, or failed/given-up when the engine says ``CallbackScheduled``/``CallbackAbandoned``
  or the agent's leg is cancelled; the customer's leg is dropped with it.
"""

from __future__ import annotations

import random
from dataclasses import replace

from centralino.acd import events as ev
from centralino.acd.agent_states import AgentState
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
    StartCallback,
)
from centralino.acd.model import TargetKind
from centralino.calls.commands import (
    Answer,
    Bridge,
    Command,
    Hangup,
    Play,
    Reject,
    Ring,
    StopPlayback,
    Transfer,
)
from centralino.calls.events import Answered, CallEvent, Failed, HungUp
from centralino.core.ids import new_id
from centralino.dialplan.calls import AgentLeg, CallState, TargetLeg, TenantDesk
from centralino.dialplan.effects import (
    AgentStateRecorded,
    CallbackAttempted,
    CallbackEnded,
    CallConnected,
    CallFinished,
    CallRejected,
    Effect,
    OfferEnded,
    OfferRinging,
    QueueEntered,
    QueueLeft,
    Refusal,
    StartVoicemail,
)
from centralino.dialplan.specs import announcement_prompts
from centralino.ivr import actions as act
from centralino.ivr.actions import AgentConnected, QueueExited
from centralino.ivr.session_core import Output as SessionOutput
from centralino.records.stats import Outcome, QueuedContact

__all__ = ["AcdSide", "Output"]

Output = Command | Effect

DECLINE_CODES = frozenset({603})
"""Failure codes of an agent's leg counted as a decline (not a missed offer): 603 Decline."""

VOICEMAIL_SECONDS = 120.0
"""How long a queue-route caller sent to voicemail may speak (IVR flows set their own)."""


class AcdSide:
    """State shared by the whole dial plan, and the handling of ACD decisions and agent legs."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._out: list[Output] = []
        self._calls: dict[str, CallState] = {}  # contact id -> state
        self._legs: dict[str, CallState | AgentLeg | TargetLeg] = {}  # live legs
        self._ending: set[str] = set()  # legs we hung up, until telephony reports them gone
        self._ringing: dict[tuple[str, str], AgentLeg] = {}  # (tenant, agent) -> leg not yet bridged
        self._pending: dict[tuple[str, str], tuple[QueuedContact, float]] = {}  # answered, in wrap-up

    # ----------------------------------------------------------------- outputs

    def _cmd(self, cmd: Command) -> None:
        call = self._legs.get(cmd.leg)
        if isinstance(call, CallState) and cmd.leg == call.leg:
            if isinstance(cmd, Play):
                call.play_token = cmd.playback
                call.holding = cmd.loop and bool(cmd.prompts) and cmd.prompts[0].startswith("moh:")
                if call.holding:
                    call.music = cmd.prompts[0][4:]
            elif isinstance(cmd, StopPlayback):
                call.holding = False
        self._out.append(cmd)

    def _fx(self, effect: Effect) -> None:
        self._out.append(effect)

    def _new_leg(self, now: float) -> str:
        return new_id(now, self._rng)

    def _drop_leg(self, leg: str | None, cause: str = "normal") -> None:
        """Hang up a leg we own, once; its later events are stale."""
        if leg is None or leg not in self._legs:
            return
        self._cmd(Hangup(leg=leg, cause=cause))
        del self._legs[leg]
        self._ending.add(leg)

    def _moh(self, call: CallState, now: float) -> None:
        if call.leg is not None:
            self._cmd(Play(leg=call.leg, prompts=(f"moh:{call.music}",), loop=True,
                           playback=f"{call.leg}:moh:{new_id(now, self._rng)}"))

    # hooks the routing half provides
    def _feed(self, call: CallState, event: object, now: float) -> None:
        raise NotImplementedError

    def _run(self, call: CallState, outputs: list[SessionOutput], now: float) -> None:
        raise NotImplementedError

    def _drop_caller(self, call: CallState, now: float, by: str, cause: str = "normal") -> None:
        raise NotImplementedError

    def _caller_gone(self, call: CallState, event: CallEvent | None, now: float, by: str, cause: str) -> None:
        raise NotImplementedError

    def _agent_left_handover(self, call: CallState, al: AgentLeg, now: float) -> None:
        raise NotImplementedError

    def _agent_gone(self, call: CallState, al: AgentLeg, now: float) -> None:
        raise NotImplementedError

    def _reject(self, leg: str, dialled: str, code: int, reason: str, now: float) -> None:
        self._cmd(Reject(leg=leg, code=code, reason=reason))
        self._fx(CallRejected(at=now, call=leg, dialled=dialled, code=code, reason=reason))


    # ----------------------------------------------------------------- the engine

    def _acd(self, desk: TenantDesk, event: ev.AcdEvent, now: float) -> list[Decision]:
        decisions = desk.engine.handle(event, now)
        self._carry_out(desk, decisions, now)
        return decisions

    def _carry_out(self, desk: TenantDesk, decisions: list[Decision], now: float) -> None:
        for d in decisions:
            if isinstance(d, OfferContact):
                self._on_offer(desk, d, now)
            elif isinstance(d, CancelOffer):
                al = self._ringing.get((desk.name, d.agent))
                if al is not None and al.call.id == d.contact:
                    self._end_ring(desk, al, "cancelled", d.reason, now)
            elif isinstance(d, Connect):
                self._on_connect(desk, d, now)
            elif isinstance(d, StartCallback):
                self._on_start_callback(desk, d, now)
            elif isinstance(d, CallbackScheduled | CallbackAbandoned):
                self._on_callback_over(desk, d, now)
            elif isinstance(d, Announce):
                self._on_announce(d, now)
            elif isinstance(d, Overflow):
                self._on_overflow(desk, d, now)
            elif isinstance(d, AgentStateChanged):
                self._on_agent_state(desk, d, now)
            elif isinstance(d, Refused):
                self._fx(Refusal(at=now, event=f"acd {d.event}", reason=d.reason))

    def _on_offer(self, desk: TenantDesk, d: OfferContact, now: float) -> None:
        call = self._calls.get(d.contact)
        for agent in d.agents:
            stale = self._ringing.get((desk.name, agent))
            if stale is not None:
                self._end_ring(desk, stale, "cancelled", "a newer offer replaced it", now)
            leg = self._new_leg(now)
            if call is None:  # cannot happen while contacts and calls agree; never leave it ringing
                self._fx(Refusal(at=now, event="acd offer", reason=f"offer of unknown contact {d.contact}"))
                continue
            al = AgentLeg(leg, agent, call, "offer", d.queue)
            self._legs[leg] = self._ringing[(desk.name, agent)] = al
            self._cmd(Ring(leg=leg, target=desk.targets.get(agent, agent), timeout=d.ring_timeout,
                           caller_id=call.caller or None))
            self._fx(OfferRinging(at=now, call=call.id, agent=agent, leg=leg, queue=d.queue))

    def _end_ring(self, desk: TenantDesk, al: AgentLeg, outcome: str, reason: str, now: float) -> None:
        """An unbridged agent leg is over: hang it up (and the callback's customer leg with it)."""
        self._ringing.pop((desk.name, al.agent), None)
        self._drop_leg(al.leg)
        call = al.call
        if al.purpose == "offer":
            self._fx(OfferEnded(at=now, call=call.id, agent=al.agent, leg=al.leg, outcome=outcome,
                                reason=reason))
        elif al.purpose == "callback":
            self._drop_leg(call.customer_leg)
            call.customer_leg = None
            self._attempt_over(call, "failed", reason, now)

    def _attempt_over(self, call: CallState, outcome: str, reason: str, now: float) -> None:
        if call.attempt_live:
            call.attempt_live = False
            self._fx(CallbackEnded(at=now, call=call.id, outcome=outcome, reason=reason))

    def _on_connect(self, desk: TenantDesk, d: Connect, now: float) -> None:
        call = self._calls.get(d.contact)
        al = self._ringing.pop((desk.name, d.agent), None)
        if call is None or al is None or al.call is not call:
            why = f"no ringing leg of {d.agent} for {d.contact}"
            self._fx(Refusal(at=now, event="acd connect", reason=why))
            return
        al.bridged = True
        call.agent, call.agent_leg, call.connected_at = d.agent, al.leg, now
        callback = al.purpose == "callback"
        self._fx(CallConnected(at=now, call=call.id, agent=d.agent, queue=d.queue, waited=d.waited,
                               callback=callback))
        if callback:
            self._attempt_over(call, "connected", f"agent {d.agent}", now)
            if call.customer_leg is not None:
                self._cmd(Bridge(leg=al.leg, other=call.customer_leg))
            return
        self._fx(OfferEnded(at=now, call=call.id, agent=d.agent, leg=al.leg, outcome="answered"))
        if call.leg is None:
            return
        call.announcing = ""
        if call.session is not None and not call.session.finished:
            self._feed(call, AgentConnected(leg=call.leg, at=now, agent=d.agent), now)
            if call.holding and call.leg is not None:  # connected again after a transfer: session silent
                self._cmd(StopPlayback(leg=call.leg))
        elif call.holding or call.play_token:
            self._cmd(StopPlayback(leg=call.leg))
        self._cmd(Bridge(leg=call.leg, other=al.leg))

    def _on_start_callback(self, desk: TenantDesk, d: StartCallback, now: float) -> None:
        call = self._calls.get(d.contact)
        if call is None:
            self._fx(Refusal(at=now, event="acd callback", reason=f"callback of unknown contact {d.contact}"))
            return
        leg = self._new_leg(now)
        al = AgentLeg(leg, d.agent, call, "callback", call.queue or "")
        self._legs[leg] = self._ringing[(desk.name, d.agent)] = al
        call.attempt_live = True
        self._cmd(Ring(leg=leg, target=desk.targets.get(d.agent, d.agent), timeout=d.timeout,
                       caller_id=d.number))
        self._fx(CallbackAttempted(at=now, call=call.id, agent=d.agent, number=d.number, attempt=d.attempt))

    def _ring_customer(self, desk: TenantDesk, al: AgentLeg, now: float) -> None:
        """The agent took the callback: now dial the customer (the agent hears the ringing)."""
        call = al.call
        leg = self._new_leg(now)
        call.customer_leg = leg
        self._legs[leg] = call
        timeout = desk.engine.settings.callback_timeout
        self._cmd(Ring(leg=leg, target=call.callback or call.caller, timeout=timeout,
                       caller_id=call.dialled or None))

    def _on_callback_over(self, desk: TenantDesk, d: CallbackScheduled | CallbackAbandoned,
                          now: float) -> None:
        call = self._calls.get(d.contact)
        if call is None:
            return
        given_up = isinstance(d, CallbackAbandoned)
        self._drop_leg(call.customer_leg)
        call.customer_leg = None
        self._attempt_over(call, "given-up" if given_up else "failed", d.reason, now)
        if given_up:
            call.in_acd = False
            self._forget(call)

    def _on_announce(self, d: Announce, now: float) -> None:
        call = self._calls.get(d.contact)
        if call is None or call.leg is None or not call.holding or call.agent is not None:
            return  # not listening to music: the IVR is asking something, or the caller has gone
        prompts = announcement_prompts(call.language, d.position, d.ewt)
        if call.ewt is None:
            call.ewt = d.ewt
        if not prompts:
            return
        token = f"{call.leg}:announce:{new_id(now, self._rng)}"
        self._cmd(StopPlayback(leg=call.leg))
        self._cmd(Play(leg=call.leg, prompts=prompts, playback=token))
        call.announcing = token

    def _on_overflow(self, desk: TenantDesk, d: Overflow, now: float) -> None:
        call = self._calls.get(d.contact)
        if call is None:
            return
        voicemail = d.target.kind is TargetKind.voicemail
        if call.callback is None:
            self._queue_left(call, Outcome.voicemail if voicemail else Outcome.overflowed, now)
        if d.target.kind is TargetKind.queue:
            call.queue, call.ewt = d.target.name, None
            self._fx(QueueEntered(at=now, call=call.id, tenant=desk.name, queue=d.target.name or "",
                                  overflow_from=d.queue))
            return
        call.in_acd, call.queue = False, None
        if call.leg is None:
            self._forget(call)
            return
        if call.session is not None and not call.session.finished:
            self._feed(call, QueueExited(leg=call.leg, at=now, reason=d.reason), now)
        elif voicemail:
            self._cmd(StopPlayback(leg=call.leg))
            call.voicemail_deadline = now + VOICEMAIL_SECONDS + 5.0
            self._fx(StartVoicemail(at=now, call=call.id, leg=call.leg, mailbox=d.queue,
                                    max_seconds=VOICEMAIL_SECONDS))
        elif d.target.kind is TargetKind.number and d.target.name:
            self._cmd(Transfer(leg=call.leg, target=d.target.name))
        else:
            self._drop_caller(call, now, "system", "closed")

    def _on_agent_state(self, desk: TenantDesk, d: AgentStateChanged, now: float) -> None:
        desk.states[d.agent] = d.state
        self._fx(AgentStateRecorded(at=now, tenant=desk.name, agent=d.agent, state=d.state.value,
                                    reason=d.reason))
        if d.state is not AgentState.reserved:
            al = self._ringing.get((desk.name, d.agent))
            if al is not None and not al.bridged:
                self._end_ring(desk, al, "missed" if al.purpose == "offer" else "cancelled", d.reason, now)
        if d.state not in (AgentState.wrap_up, AgentState.on_call):
            pending = self._pending.pop((desk.name, d.agent), None)
            if pending is not None:
                record, wrap_start = pending
                self._fx(QueueLeft(at=now, call=record.contact_id, tenant=desk.name,
                                   record=replace(record, wrapup=now - wrap_start)))

    # ----------------------------------------------------------------- contacts

    def _queue_left(self, call: CallState, outcome: Outcome, now: float) -> None:
        if call.queue is None:
            return
        record = QueuedContact(contact_id=call.id, queue=call.queue, entered_at=call.arrived, left_at=now,
                               outcome=outcome, ewt_announced=call.ewt)
        self._fx(QueueLeft(at=now, call=call.id, tenant=call.tenant.name, record=record))

    def _end_connected(self, call: CallState, now: float) -> None:
        """The bridged call is over: the ACD puts the agent in wrap-up; the record waits for it."""
        desk, agent = call.tenant, call.agent
        if agent is not None and call.queue is not None and call.callback is None:
            record = QueuedContact(contact_id=call.id, queue=call.queue, entered_at=call.arrived,
                                   left_at=call.connected_at, outcome=Outcome.answered, agent=agent,
                                   talk=now - call.connected_at, ewt_announced=call.ewt)
            if desk.states.get(agent) is AgentState.on_call:
                self._pending[(desk.name, agent)] = (record, now)
            else:  # logged out during the call: no wrap-up will follow
                self._fx(QueueLeft(at=now, call=call.id, tenant=desk.name, record=record))
        call.agent = call.agent_leg = None
        call.in_acd = False
        self._acd(desk, ev.CallEnded(call.id), now)

    def _forget(self, call: CallState) -> None:
        """Drop the state once nothing refers to it any more."""
        if call.leg is None and call.customer_leg is None and not call.in_acd and call.agent_leg is None \
                and call.handover is None:
            self._calls.pop(call.id, None)

    def _finished(self, call: CallState, now: float, by: str, cause: str, agent: str | None) -> None:
        self._fx(CallFinished(at=now, call=call.id, hung_up_by=by, cause=cause, agent=agent))

    # ----------------------------------------------------------------- agents' and customers' legs

    def _on_agent_leg(self, al: AgentLeg, event: CallEvent, now: float) -> None:
        call, desk = al.call, al.call.tenant
        if isinstance(event, Answered) and not al.answered:
            al.answered = True
            if al.purpose == "offer":
                self._acd(desk, ev.OfferAccepted(call.id, al.agent), now)
                if not al.bridged:  # the contact went elsewhere meanwhile
                    self._end_ring(desk, al, "cancelled", "answered after the offer ended", now)
            elif al.purpose == "callback":
                self._ring_customer(desk, al, now)
            elif call.leg is not None:
                al.bridged = True
                call.agent = al.agent
                if desk.states.get(al.agent) is AgentState.available:
                    desk.reconciled.add(al.agent)
                    self._acd(desk, ev.AgentReconciled(al.agent, in_call=True), now)
                self._cmd(Answer(leg=call.leg))
                self._cmd(Bridge(leg=call.leg, other=al.leg))
            return
        if not isinstance(event, HungUp | Failed):
            return
        del self._legs[al.leg]
        self._ending.discard(al.leg)
        if call.handover is not None and al.leg == call.agent_leg:
            self._agent_left_handover(call, al, now)
            return
        reason = f"{al.agent}: {event.reason}" if isinstance(event, Failed) else f"{al.agent} hung up"
        if al.purpose == "transfer":
            self._agent_gone(call, al, now)
        elif al.purpose == "direct":
            call.agent_leg = None
            if al.bridged:
                self._direct_over(desk, al.agent, now)
                self._drop_caller(call, now, "agent")
            elif call.leg is not None:
                leg = call.leg
                del self._legs[leg]
                self._reject(leg, call.dialled, 480, "Temporarily Unavailable", now)
                self._caller_gone(call, None, now, "system", "agent-unavailable")
        elif not al.bridged:
            self._ringing.pop((desk.name, al.agent), None)
            if al.purpose == "offer":
                declined = isinstance(event, HungUp) or event.code in DECLINE_CODES
                self._fx(OfferEnded(at=now, call=call.id, agent=al.agent, leg=al.leg,
                                    outcome="declined" if declined else "missed", reason=reason))
                acd_event = ev.OfferDeclined if declined else ev.OfferTimedOut
                self._acd(desk, acd_event(call.id, al.agent), now)
            else:
                self._drop_leg(call.customer_leg)
                call.customer_leg = None
                self._acd(desk, ev.CallbackFailed(call.id, f"agent {reason}"), now)
        elif al.purpose == "callback":
            self._drop_leg(call.customer_leg)
            call.customer_leg = None
            agent = call.agent
            self._end_connected(call, now)
            self._finished(call, now, "agent", "normal", agent)
            self._forget(call)
        else:
            self._end_connected(call, now)
            if call.session is not None and not call.session.finished and call.leg is not None:
                self._feed(call, act.AgentDisconnected(leg=call.leg, at=now), now)
            else:
                self._drop_caller(call, now, "agent")

    def _on_customer_leg(self, call: CallState, event: CallEvent, now: float) -> None:
        desk = call.tenant
        if isinstance(event, Answered):
            self._acd(desk, ev.CallbackAnswered(call.id), now)
            if call.agent is None:
                self._drop_leg(call.customer_leg)
                call.customer_leg = None
            return
        if not isinstance(event, HungUp | Failed):
            return
        del self._legs[event.leg]
        call.customer_leg = None
        if call.agent_leg is not None:
            agent = call.agent
            self._drop_leg(call.agent_leg)
            self._end_connected(call, now)
            self._finished(call, now, "caller", event.cause if isinstance(event, HungUp) else "normal", agent)
            self._forget(call)
        else:
            why = event.reason if isinstance(event, Failed) else "the customer hung up before the agent"
            self._acd(desk, ev.CallbackFailed(call.id, why), now)

    def _direct_over(self, desk: TenantDesk, agent: str, now: float) -> None:
        if agent in desk.reconciled:
            desk.reconciled.discard(agent)
            self._acd(desk, ev.AgentReconciled(agent, in_call=False), now)
