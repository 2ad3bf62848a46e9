"""Transfers and conferences: a connected caller handed from one agent to a queue, an agent or a number.

The dial plan owns every leg of a call, so a transfer is made of the commands it already
gives — ``Ring``, ``Play`` (music), ``Bridge``, ``Hangup`` — plus ``MixConference`` for three
parties, rather than the switch's own ``Transfer`` (which names its new leg itself and ends
the caller when the target fails; here a failed transfer sends the caller back to the queue).

- **Blind to a queue**: the agent's leg is hung up and the agent goes to wrap-up (their
  passage is recorded as answered); the caller hears the queue's music and re-enters the ACD
  in the target queue keeping the original arrival time (their place in line) and priority;
  the language requirement goes along, skills are the target queue's own.
- **Blind to an agent / a number**: the agent leaves at once, the caller hears music while the
  target rings (an agent is marked busy in the ACD meanwhile: no queue call rings them). On
  answer the two are bridged; on no answer, a refusal or an unreachable target the caller
  returns to the queue they were answered from (hung up when they came in without a queue).
- **Attended**: the caller hears music, the agent's leg is bridged to the consultation leg at
  once (the agent hears the target's phone, then the target). ``TransferCompleted`` (or the
  agent hanging up once the target answered) joins caller and target and frees the agent;
  ``TransferCancelled``, a failed ring or the target hanging up brings the caller back to the
  agent. The agent hanging up while the target still rings sends the caller back to the queue.
- **Conference**: the target rings while caller and agent go on talking; on answer the three
  are mixed. From an answered consultation, the three are mixed at once. Whoever leaves, the
  other two stay bridged; the call becomes the remaining agent's (or the number's).

Every step is checked first (``handover_problem``): the shell answers a refusal (409) before
anything has changed, and ``handle`` refuses the same things with a ``Refusal``.
"""

from __future__ import annotations

from centralino.acd import events as ev
from centralino.acd.agent_states import AgentState
from centralino.acd.model import Requirements
from centralino.calls.commands import Bridge, Ring, StopPlayback
from centralino.calls.events import Answered, CallEvent, Failed, HungUp
from centralino.dialplan import inputs as pin
from centralino.dialplan.calls import AgentLeg, CallState, Handover, TargetLeg, TenantDesk
from centralino.dialplan.contacts import DECLINE_CODES, AcdSide
from centralino.dialplan.effects import (
    CallConnected,
    CallTransferred,
    MixConference,
    OfferEnded,
    OfferRinging,
    Refusal,
)
from centralino.ivr import actions as act

__all__ = ["TRANSFER_RING_TIMEOUT", "Handovers"]

TRANSFER_RING_TIMEOUT = 30.0
"""How long a transfer's, consultation's or conference's target rings before it counts as not reached."""

TALKING = ("offer", "direct", "transfer")  # agent legs that carry a conversation with the caller


class Handovers(AcdSide):
    """The transfer half of the dial plan (module docstring); ``DialPlan`` mixes it in."""

    # ----------------------------------------------------------------- queries

    def handover(self, tenant: str, call: str) -> Handover | None:
        """The transfer or conference under way on ``call`` (None: none)."""
        state = self._calls.get(call)
        return state.handover if state is not None and state.tenant.name == tenant else None

    def handover_problem(self, event: pin.CallInput) -> str | None:
        """Why ``event`` would be refused now (None: it would be carried out); changes nothing."""
        desk = self._desk_for(event)
        if desk is None:
            return f"no tenant {event.tenant!r}" if event.tenant else "give the tenant of the call"
        call = self._calls.get(event.call)
        if call is None or call.tenant is not desk or call.leg is None:
            return f"call {event.call} is not a live call of tenant {desk.name}"
        ho = call.handover
        consulting = ho is not None and ho.mode == "attended" and ho.phase in ("ringing", "consulting")
        if isinstance(event, pin.TransferCompleted):
            if ho is None or not consulting:
                return "there is no consultation to complete; start an attended transfer first"
            return None if ho.answered else f"{ho.target} has not answered yet: wait, or cancel the transfer"
        if isinstance(event, pin.TransferCancelled):
            if ho is None or not (consulting or (ho.mode == "conference" and ho.phase == "ringing")):
                return "there is no consultation or ringing conference to cancel"
            return None
        if not isinstance(event, pin.TransferRequested | pin.ConferenceRequested):
            return f"{type(event).__name__} is not a call control"
        if ho is not None:
            joining = (isinstance(event, pin.ConferenceRequested) and consulting
                       and (ho.to, ho.target) == (event.to.value, event.target))
            if joining:
                return None if ho.answered else f"{ho.target} has not answered yet"
            return (f"a {ho.mode} transfer to {ho.target} is under way: complete or cancel it first"
                    if ho.mode == "attended" else f"a {ho.mode} to {ho.target} is under way")
        if call.callback is not None or call.customer_leg is not None:
            return "a callback cannot be transferred yet; end it and queue a new callback"
        al = self._talking(call)
        if al is None:
            return "the call is not connected to an agent"
        blind = isinstance(event, pin.TransferRequested) and event.mode is pin.TransferMode.blind
        to, target = event.to, event.target
        if to is pin.HandoverKind.queue:
            if not blind:
                return "a queue cannot be consulted or joined to a conference; transfer blind to it"
            return None if target in desk.queues else f"tenant {desk.name} has no queue {target!r}"
        if to is pin.HandoverKind.agent:
            if target not in desk.agents:
                return f"tenant {desk.name} has no agent {target}"
            if target == al.agent:
                return "the call is already with that agent"
            state = desk.engine.agent_state(target)
            if state is not AgentState.available:
                return f"agent {target} is {state.value}; choose an available agent"
            return None
        return None if target.strip() else "give the number to transfer to"

    # ----------------------------------------------------------------- inputs

    def _desk_for(self, event: pin.PlanInput) -> TenantDesk | None:
        raise NotImplementedError

    def _on_call_input(self, event: pin.CallInput, now: float) -> None:
        problem = self.handover_problem(event)
        if problem is not None:
            self._fx(Refusal(at=now, call=event.call, event=event.kind, reason=problem))
            return
        call = self._calls[event.call]
        ho = call.handover
        if isinstance(event, pin.TransferCompleted) and ho is not None:
            self._complete(call, ho, now)
        elif isinstance(event, pin.TransferCancelled) and ho is not None:
            self._cancel(call, ho, now)
        elif isinstance(event, pin.ConferenceRequested) and ho is not None:
            ho.mode = "conference"
            self._mix(call, ho, now)
        elif isinstance(event, pin.TransferRequested | pin.ConferenceRequested):
            self._start(call, event, now)

    def _start(self, call: CallState, event: pin.TransferRequested | pin.ConferenceRequested,
               now: float) -> None:
        al = self._talking(call)
        assert al is not None and call.leg is not None  # handover_problem said so
        desk, to, target = call.tenant, event.to.value, event.target
        mode = event.mode.value if isinstance(event, pin.TransferRequested) else "conference"
        if to == "queue":
            self._fx(CallTransferred(at=now, call=call.id, agent=al.agent, target_kind=to, target=target,
                                     mode=mode))
            self._release(call, al, now)
            call.music = desk.music.get(target, call.music)
            self._requeue(call, target, Requirements(language=(call.requirements or Requirements()).language),
                          now)
            return
        leg = self._new_leg(now)
        call.handover = Handover(mode, to, target, al.agent, now, leg=leg, home=call.queue)
        self._legs[leg] = TargetLeg(leg, call)
        if to == "agent":
            desk.reconciled.add(target)  # busy in the ACD while their phone rings: no queue call meanwhile
            self._acd(desk, ev.AgentReconciled(target, in_call=True), now)
        ring = Ring(leg=leg, target=desk.targets.get(target, target) if to == "agent" else target,
                    timeout=TRANSFER_RING_TIMEOUT, caller_id=call.caller or None)
        if mode == "blind":
            self._fx(CallTransferred(at=now, call=call.id, agent=al.agent, target_kind=to, target=target,
                                     mode=mode, leg=leg))
            self._release(call, al, now)
            self._moh(call, now)
            self._cmd(ring)
            if to == "agent":
                self._fx(OfferRinging(at=now, call=call.id, agent=target, leg=leg, queue=call.queue or ""))
        elif mode == "attended":
            self._moh(call, now)
            self._cmd(ring)
            self._cmd(Bridge(leg=al.leg, other=leg))  # the agent hears the target; the caller only music
        else:
            self._cmd(ring)  # caller and agent talk on while it rings

    # ----------------------------------------------------------------- the target's leg

    def _on_target_leg(self, tl: TargetLeg, event: CallEvent, now: float) -> None:
        call = tl.call
        ho = call.handover
        if ho is None or ho.leg != tl.leg:  # cannot happen while legs and handovers agree
            self._drop_leg(tl.leg)
            return
        if isinstance(event, Answered):
            if not ho.answered:
                ho.answered = True
                if ho.mode == "blind":
                    self._connect_target(call, ho, now)
                elif ho.mode == "attended":
                    ho.phase = "consulting"
                else:
                    self._mix(call, ho, now)
            return
        if not isinstance(event, HungUp | Failed):
            return
        del self._legs[tl.leg]
        self._ending.discard(tl.leg)
        call.handover = None
        why = f"{ho.target}: {event.reason}" if isinstance(event, Failed) else f"{ho.target} hung up"
        if not ho.answered:
            self._fx(Refusal(at=now, call=call.id, event=f"call.{ho.mode}", reason=f"not reached ({why})"))
        if ho.to == "agent":
            if ho.mode == "blind" and not ho.answered:
                declined = isinstance(event, HungUp) or event.code in DECLINE_CODES
                self._fx(OfferEnded(at=now, call=call.id, agent=ho.target, leg=tl.leg,
                                    outcome="declined" if declined else "missed", reason=why))
            self._free(call.tenant, ho.target, ho.phase == "conference", now)
        if ho.phase == "connected":  # the outside party the caller was handed to hung up
            self._drop_caller(call, now, "agent", "transfer target hung up")
        elif ho.mode == "blind":
            self._return(call, ho, now)
        elif ho.mode == "attended":
            self._back_to_agent(call, now)
        elif ho.phase == "conference":
            al = self._talking(call)
            if call.leg is None:  # the caller had left: the agent is alone now
                if al is not None:
                    self._drop_leg(al.leg)
                    self._release(call, al, now, hang_up=False)
                self._forget(call)
            elif al is not None:
                self._cmd(Bridge(leg=call.leg, other=al.leg))

    # ----------------------------------------------------------------- the agent or the caller leaves

    def _agent_left_handover(self, call: CallState, al: AgentLeg, now: float) -> None:
        """The asking agent's leg ended (already forgotten) while a handover is under way."""
        ho = call.handover
        assert ho is not None
        if ho.mode == "attended" and ho.answered:
            self._complete(call, ho, now, gone=al)
            return
        if ho.phase == "conference" and call.leg is None:  # the caller had left too
            self._end_handover(call, ho, now)
            self._release(call, al, now, hang_up=False)
            self._forget(call)
            return
        if ho.phase == "conference":
            self._fx(CallTransferred(at=now, call=call.id, agent=al.agent, target_kind=ho.to,
                                     target=ho.target, mode="conference", leg=ho.leg or ""))
            self._release(call, al, now, hang_up=False)
            self._connect_target(call, ho, now)
            return
        self._end_handover(call, ho, now)
        if ho.mode == "attended":  # the target still rang: the caller goes back to the queue
            self._release(call, al, now, hang_up=False)
            self._return(call, ho, now)
            return
        self._agent_gone(call, al, now)  # a conference that was still ringing: as without it

    def _caller_left_handover(self, call: CallState, now: float) -> bool:
        """The caller left during a handover; True when the call goes on (agent and target talk)."""
        ho = call.handover
        assert ho is not None
        al = self._talking(call)
        if ho.phase == "conference" and al is not None and ho.leg is not None:
            self._cmd(Bridge(leg=al.leg, other=ho.leg))
            return True
        self._end_handover(call, ho, now)
        return False

    def _end_handover(self, call: CallState, ho: Handover, now: float) -> None:
        """Hang up the target's leg and free a target agent."""
        call.handover = None
        self._drop_leg(ho.leg)
        if ho.to == "agent":
            self._free(call.tenant, ho.target, ho.phase == "conference", now)

    # ----------------------------------------------------------------- steps

    def _complete(self, call: CallState, ho: Handover, now: float, gone: AgentLeg | None = None) -> None:
        """Join the caller to the consulted party; ``gone``: the agent's leg, when it has already ended."""
        al = gone or self._talking(call)
        assert al is not None
        self._fx(CallTransferred(at=now, call=call.id, agent=al.agent, target_kind=ho.to, target=ho.target,
                                 mode="attended", leg=ho.leg or ""))
        self._release(call, al, now, hang_up=gone is None)
        self._connect_target(call, ho, now)

    def _cancel(self, call: CallState, ho: Handover, now: float) -> None:
        self._end_handover(call, ho, now)
        if ho.mode == "attended":
            self._back_to_agent(call, now)

    def _connect_target(self, call: CallState, ho: Handover, now: float) -> None:
        """The caller now talks to the target alone (the agent, if any, has been released)."""
        assert ho.leg is not None
        if call.leg is not None:
            if call.holding:
                self._cmd(StopPlayback(leg=call.leg))
            self._cmd(Bridge(leg=call.leg, other=ho.leg))
        if ho.to != "agent":
            ho.phase = "connected"
            return
        call.handover = None
        self._legs[ho.leg] = AgentLeg(ho.leg, ho.target, call, "transfer", call.queue or "", answered=True,
                                      bridged=True)
        call.agent, call.agent_leg, call.connected_at = ho.target, ho.leg, now
        if ho.mode != "blind":  # the desktop's screen pop; a blind transfer's was sent at the ring
            self._fx(OfferRinging(at=now, call=call.id, agent=ho.target, leg=ho.leg, queue=call.queue or ""))
        self._fx(OfferEnded(at=now, call=call.id, agent=ho.target, leg=ho.leg, outcome="answered"))
        self._fx(CallConnected(at=now, call=call.id, agent=ho.target, queue=call.queue or "",
                               waited=now - ho.started))

    def _mix(self, call: CallState, ho: Handover, now: float) -> None:
        al = self._talking(call)
        if al is None or call.leg is None or ho.leg is None:
            return
        ho.phase = "conference"
        if call.holding:
            self._cmd(StopPlayback(leg=call.leg))
        self._fx(MixConference(at=now, call=call.id, legs=(call.leg, al.leg, ho.leg)))

    def _back_to_agent(self, call: CallState, now: float) -> None:
        al = self._talking(call)
        if al is None or call.leg is None:
            return
        if call.holding:
            self._cmd(StopPlayback(leg=call.leg))
        self._cmd(Bridge(leg=call.leg, other=al.leg))

    def _release(self, call: CallState, al: AgentLeg, now: float, hang_up: bool = True) -> None:
        """The agent leaves the call (it goes on without them): their leg ends, they go to wrap-up."""
        if hang_up:
            self._drop_leg(al.leg, "transferred")
        if call.agent_leg == al.leg:
            call.agent_leg = None
        if al.purpose == "offer" and call.in_acd:
            call.agent_leg = None
            call.agent = al.agent
            self._end_connected(call, now)  # the passage is answered; the ACD puts the agent in wrap-up
        else:
            call.agent = None
            self._direct_over(call.tenant, al.agent, now)

    def _free(self, desk: TenantDesk, agent: str, talked: bool, now: float) -> None:
        """A target agent's leg is over: wrap-up after a conference with the caller, else available at once
        (a ring or a consultation with a colleague is no customer work to wrap up)."""
        if agent not in desk.reconciled:
            return
        desk.reconciled.discard(agent)
        self._acd(desk, ev.AgentReconciled(agent, in_call=False), now)
        if not talked and desk.engine.agent_state(agent) is AgentState.wrap_up:
            self._acd(desk, ev.WrapUpEnded(agent), now)

    def _return(self, call: CallState, ho: Handover, now: float) -> None:
        """The target was not reached: the caller goes back to their queue (hung up if they had none)."""
        if call.leg is None:
            self._forget(call)
            return
        if ho.home is None or ho.home not in call.tenant.queues:
            self._drop_caller(call, now, "system", "transfer failed")
            return
        self._requeue(call, ho.home, call.requirements or Requirements(), now)

    def _requeue(self, call: CallState, queue: str, requirements: Requirements, now: float) -> None:
        if not call.holding:
            self._moh(call, now)
        self._enqueue(call, queue, requirements, call.priority, now)

    def _talking(self, call: CallState) -> AgentLeg | None:
        """The agent leg the caller talks to (or talked to before a consultation), if any."""
        al = self._legs.get(call.agent_leg or "")
        if isinstance(al, AgentLeg) and al.bridged and al.purpose in TALKING:
            return al
        return None

    def _agent_gone(self, call: CallState, al: AgentLeg, now: float) -> None:
        """The connected agent hung up with no handover left: as ``_on_agent_leg`` does it."""
        if al.purpose == "offer":
            self._end_connected(call, now)
        else:
            call.agent_leg = None
            self._direct_over(call.tenant, al.agent, now)
        if al.purpose != "direct" and call.session is not None and not call.session.finished \
                and call.leg is not None:
            call.agent = None
            self._feed(call, act.AgentDisconnected(leg=call.leg, at=now), now)
        else:
            self._drop_caller(call, now, "agent")

    # ----------------------------------------------------------------- hooks of the routing half

    def _enqueue(self, call: CallState, queue: str, requirements: Requirements, priority: int,
                 now: float) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- audit

    def _handover_audit(self, desks: list[TenantDesk]) -> list[str]:
        problems = []
        for leg, owner in self._legs.items():
            if not isinstance(owner, TargetLeg):
                continue
            call, ho = owner.call, owner.call.handover
            if ho is None or ho.leg != leg:
                problems.append(f"transfer leg {leg} belongs to no transfer of {call.id}")
            elif call.leg is None and ho.phase != "conference":
                problems.append(f"transfer leg {leg} of {call.id} lives on with the caller gone")
        for call in self._calls.values():
            ho = call.handover
            if ho is None:
                continue
            al = self._talking(call)
            if ho.mode == "blind" and al is not None:
                problems.append(f"{call.id}: blind transfer under way while agent {al.agent} is still on it")
            if ho.phase == "connected" and al is not None:
                problems.append(f"{call.id}: caller bridged to {ho.target} and agent {al.agent} at once")
            if ho.mode != "blind" and ho.phase != "connected" and al is None:
                problems.append(f"{call.id}: {ho.mode} to {ho.target} without the agent who asked")
        for desk in desks:
            for agent in desk.reconciled:
                busy = any(isinstance(o, AgentLeg) and o.agent == agent or isinstance(o, TargetLeg) and (
                    o.call.handover is not None and o.call.handover.to == "agent"
                    and o.call.handover.target == agent) for o in self._legs.values())
                if not busy:
                    problems.append(f"{desk.name}: agent {agent} is kept busy with no call")
        return problems
