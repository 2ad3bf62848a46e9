"""The dial plan: what happens to every call, decided without I/O.

``DialPlan`` is built from a ``CenterConfig`` (and each tenant's loaded IVR flows). It owns
one ACD ``Engine`` per tenant and one IVR ``Session`` per IVR call, and it is driven like
the cores it holds (docs/dialplan.md):

- ``handle(event, now)`` with every ``centralino.calls`` event from telephony (plus the
  IVR's ``VoicemailRecorded``) and every ``centralino.dialplan.inputs`` value from the
  agents' desktops and the API, returning the commands and effects to perform, in order;
- ``next_deadline()`` (the earliest of the engines', the sessions' and its own deadlines)
  and ``handle_timer(now)`` when it has passed: the shell arms one timer.

Routing: the dialled number (within ``CallOffered.tenant`` if set) picks the route. Echo
answers and echoes; a queue answers and queues straight in (a number whose hours are closed
is refused with 480); an IVR answers through its flow; an agent route rings that agent's
phone and answers the caller when the agent does; an unknown number is refused with 404.
The ACD half (``centralino.dialplan.contacts``) carries out the engines' decisions; the
transfer half (``centralino.dialplan.transfers``) hands connected callers on.

Randomness (new leg ids, engine seeds, survey sampling) comes from the injected
``random.Random``, so a run is reproducible from its inputs.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from centralino.acd import events as ev
from centralino.acd.agent_states import AgentState
from centralino.acd.engine import Engine, EngineSettings
from centralino.acd.model import Contact, Requirements, Tier
from centralino.calls.commands import Answer, Command, Echo, Hangup, Ring, StopRecording
from centralino.calls.events import Answered, CallEvent, CallOffered, Failed, HungUp, PlaybackFinished
from centralino.config.flows import tenant_flows
from centralino.config.model import CenterConfig, RouteKind, Tenant
from centralino.core.ids import new_id
from centralino.dialplan import inputs as pin
from centralino.dialplan.calls import AgentLeg, CallState, DeskServices, TargetLeg, TenantDesk
from centralino.dialplan.contacts import Output
from centralino.dialplan.effects import (
    CallArrived,
    CallbackQueued,
    IvrTraced,
    LockVerification,
    QueueEntered,
    Refusal,
    StartVoicemail,
    SurveyAnswered,
)
from centralino.dialplan.specs import agent_spec, queue_spec, route_table
from centralino.dialplan.transfers import Handovers
from centralino.ivr import actions as act
from centralino.ivr.flow import Flow
from centralino.ivr.interpreter import Session
from centralino.ivr.services import CallContext, Services, StaticServices
from centralino.ivr.session_core import Output as SessionOutput
from centralino.records.stats import Outcome

__all__ = ["AGENT_RING_TIMEOUT", "DialPlan"]

AGENT_RING_TIMEOUT = 30.0
"""How long a number routed to one agent rings that agent before the caller is refused (480)."""


class DialPlan(Handovers):
    """Routes an installation's calls through IVR sessions and per-tenant ACD engines."""

    def __init__(self, config: CenterConfig, *, flows: Mapping[str, Mapping[str, Flow]] | None = None,
                 services: Services | Mapping[str, Services] | None = None, rng: random.Random | None = None,
                 settings: EngineSettings | None = None, journals: Mapping[str, Any] | None = None) -> None:
        super().__init__(rng or random.Random(0))
        self.config = config
        self._services = services
        self.desks: dict[str, TenantDesk] = {}
        self._routes: dict[str, list[TenantDesk]] = {}
        for tenant in config.tenants:
            desk = self._desk(tenant, flows, settings, (journals or {}).get(tenant.name))
            self.desks[tenant.name] = desk
            for number in desk.routes:
                self._routes.setdefault(number, []).append(desk)

    def _desk(self, tenant: Tenant, flows: Mapping[str, Mapping[str, Flow]] | None,
              settings: EngineSettings | None, journal: Any) -> TenantDesk:
        queues = {q.name: queue_spec(q) for q in tenant.queues}
        engine = Engine(queues.values(), tenant=tenant.name, seed=self._rng.getrandbits(32),
                        settings=settings, journal=journal)
        tenant_flow_map = flows[tenant.name] if flows and tenant.name in flows else (
            tenant_flows(self.config, tenant) if tenant.flows else {})
        return TenantDesk(
            name=tenant.name, engine=engine, routes=route_table(tenant), queues=queues,
            agents={a.extension: agent_spec(a) for a in tenant.agents},
            targets={a.extension: a.contact or a.extension for a in tenant.agents},
            music={q.name: q.music for q in tenant.queues}, flows=dict(tenant_flow_map),
            language=tenant.language, hours=dict(tenant.business_hours))

    # ----------------------------------------------------------------- public surface

    def handle(self, event: CallEvent | pin.PlanInput, now: float) -> list[Output]:
        """The commands and effects for one input, in the order to perform them."""
        out: list[Output] = []
        self._out = out
        if isinstance(event, CallOffered):
            self._on_offered(event, now)
        elif isinstance(event, pin.PlanInput):
            self._on_input(event, now)
        else:
            target = self._legs.get(event.leg)
            if target is None:
                if isinstance(event, HungUp | Failed):
                    self._ending.discard(event.leg)
            elif isinstance(target, AgentLeg):
                self._on_agent_leg(target, event, now)
            elif isinstance(target, TargetLeg):
                self._on_target_leg(target, event, now)
            elif event.leg == target.leg:
                self._on_caller_leg(target, event, now)
            else:
                self._on_customer_leg(target, event, now)
        return out

    def next_deadline(self) -> float | None:
        """When ``handle_timer`` must next be called (None: no timer needed)."""
        due = [d for d in (desk.engine.next_deadline() for desk in self.desks.values()) if d is not None]
        for call in self._calls.values():
            if call.session is not None and (d := call.session.next_deadline()) is not None:
                due.append(d)
            if call.voicemail_deadline is not None:
                due.append(call.voicemail_deadline)
        return min(due, default=None)

    def handle_timer(self, now: float) -> list[Output]:
        """Fire every deadline due at ``now``."""
        out: list[Output] = []
        self._out = out
        for desk in self.desks.values():
            due = desk.engine.next_deadline()
            if due is not None and due <= now:
                self._carry_out(desk, desk.engine.handle_timer(now), now)
        for call in list(self._calls.values()):
            session = call.session
            if session is not None and (d := session.next_deadline()) is not None and d <= now:
                self._run(call, session.handle_timer(now), now)
            vm = call.voicemail_deadline
            if vm is not None and vm <= now and call.leg is not None:
                call.voicemail_deadline = None
                self._cmd(StopRecording(leg=call.leg))
                self._drop_caller(call, now, "system")
        return out

    def engine(self, tenant: str) -> Engine:
        return self.desks[tenant].engine

    def agent_state(self, tenant: str, agent: str) -> AgentState:
        return self.desks[tenant].engine.agent_state(agent)

    def call_state(self, call: str) -> CallState | None:
        """The live contact ``call`` (its IVR session, language, queue), None once it has ended:
        the CTI reads what the caller's IVR session learnt for the screen pop."""
        return self._calls.get(call)

    def live_legs(self) -> dict[str, str]:
        """Leg id -> what it is (caller, customer, offer/callback/direct:<agent>); for audits and tests."""
        out = {}
        for leg, owner in self._legs.items():
            if isinstance(owner, AgentLeg):
                out[leg] = f"{owner.purpose}:{owner.agent}" + (":bridged" if owner.bridged else "")
            elif isinstance(owner, TargetLeg):
                ho = owner.call.handover
                out[leg] = f"{ho.mode}:{ho.to}:{ho.target}" if ho is not None else "transfer"
            else:
                out[leg] = "caller" if leg == owner.leg else "customer"
        return out

    def audit(self) -> list[str]:
        """Invariant violations (empty when healthy): no agent leg rings for a contact nobody waits on."""
        problems = []
        for leg, owner in self._legs.items():
            if not isinstance(owner, AgentLeg) or owner.bridged or owner.purpose == "callback":
                continue
            call = owner.call
            if call.leg is None:
                problems.append(f"agent leg {leg} of {owner.agent} rings for {call.id}, whose caller is gone")
            if owner.purpose == "offer" and self._ringing.get((call.tenant.name, owner.agent)) is not owner:
                problems.append(f"agent leg {leg} of {owner.agent} is not the agent's current offer")
        problems.extend(self._handover_audit(list(self.desks.values())))
        for desk in self.desks.values():
            problems.extend(f"{desk.name}: {p}" for p in desk.engine.audit())
        return problems

    # ----------------------------------------------------------------- arrival and routing

    def _on_offered(self, event: CallOffered, now: float) -> None:
        leg = event.leg
        if leg in self._legs:
            self._fx(Refusal(at=now, call=leg, event="call offered", reason=f"leg {leg} is already known"))
            return
        desks = [d for d in self._routes.get(event.dialled, []) if event.tenant in (None, d.name)]
        if not desks:
            self._reject(leg, event.dialled, 404, "Not Found", now)
            return
        desk = desks[0]
        route = desk.routes[event.dialled]
        call = CallState(id=leg, tenant=desk, caller=event.caller, dialled=event.dialled,
                         language=desk.language, leg=leg, route=route)
        self._fx(CallArrived(at=now, call=leg, tenant=desk.name, caller=event.caller, dialled=event.dialled,
                             route=route.kind.value, target=route.target))
        if route.kind is RouteKind.queue and not route.is_open(now):
            self._reject(leg, event.dialled, 480, "Temporarily Unavailable (closed)", now)
            return
        if route.kind is RouteKind.ivr and desk.flows.get(route.target or "") is None:
            why = f"Server Internal Error (no IVR flow {route.target!r})"
            self._reject(leg, event.dialled, 500, why, now)
            return
        self._legs[leg] = self._calls[leg] = call
        if route.kind is RouteKind.echo:
            self._cmd(Answer(leg=leg))
            self._cmd(Echo(leg=leg))
        elif route.kind is RouteKind.queue:
            self._cmd(Answer(leg=leg))
        elif route.kind is RouteKind.agent:
            agent = route.target or ""
            ring = self._new_leg(now)
            self._legs[ring] = AgentLeg(ring, agent, call, "direct")
            call.agent_leg = ring
            self._cmd(Ring(leg=ring, target=desk.targets.get(agent, agent), timeout=AGENT_RING_TIMEOUT,
                           caller_id=event.caller or None))
        else:
            flow = desk.flows[route.target or ""]
            call.language = flow.languages[0]
            context = CallContext(leg=leg, caller=event.caller, dialled=event.dialled, tenant=desk.name,
                                  time_zone=route.time_zone, hours=route.number.hours)
            call.session = Session(flow, context, now, services=DeskServices(self._base(desk.name), desk),
                                   is_open=lambda name, at: desk.is_open(route, name, at), flows=desk.flows,
                                   rng=random.Random(self._rng.getrandbits(64)))
            self._run(call, call.session.start(now), now)

    def _base(self, tenant: str) -> Services:
        services = self._services
        if isinstance(services, Mapping):
            return services.get(tenant) or StaticServices()
        return services or StaticServices()

    # ----------------------------------------------------------------- the caller's leg

    def _on_caller_leg(self, call: CallState, event: CallEvent, now: float) -> None:
        if isinstance(event, HungUp | Failed):
            by = "caller" if isinstance(event, Failed) or event.by == "remote" else "system"
            cause = event.cause if isinstance(event, HungUp) else event.reason
            del self._legs[event.leg]
            self._caller_gone(call, event, now, by, cause)
            return
        if isinstance(event, Answered):
            call.answered = True
            if call.route is not None and call.route.kind is RouteKind.queue and call.queue is None:
                target = call.route.target or ""
                call.music = call.tenant.music.get(target, "default")
                self._moh(call, now)
                self._enqueue(call, target, Requirements(), 0, now)
                return
        if isinstance(event, PlaybackFinished) and event.playback and event.playback == call.announcing:
            call.announcing = ""
            if call.play_token == event.playback and call.in_acd and call.agent is None:
                self._moh(call, now)
            return
        if isinstance(event, act.VoicemailRecorded) and call.voicemail_deadline is not None:
            call.voicemail_deadline = None
            self._drop_caller(call, now, "system")
            return
        self._feed(call, event, now)

    def _caller_gone(self, call: CallState, event: CallEvent | None, now: float, by: str, cause: str) -> None:
        """The caller's leg is over: end the session, free the agent, abandon or end the contact."""
        call.leg = None
        session = call.session
        if session is not None and not session.finished:
            gone = event if isinstance(event, HungUp) else HungUp(leg=call.id, at=now, by="local")
            session.handle(gone, now)
        self._trace(call, now)
        if call.handover is not None and self._caller_left_handover(call, now):
            self._finished(call, now, by, cause, call.agent)  # agent and third party talk on
            return
        agent = call.agent
        leg = call.agent_leg
        if leg is not None:
            owner = self._legs.get(leg)
            self._drop_leg(leg)
            if isinstance(owner, AgentLeg) and owner.purpose in ("direct", "transfer"):
                call.agent_leg = None
                self._direct_over(call.tenant, owner.agent, now)
            else:
                self._end_connected(call, now)
        elif call.in_acd and call.callback is None:
            call.in_acd = False
            self._queue_left(call, Outcome.abandoned, now)
            self._acd(call.tenant, ev.ContactAbandoned(call.id), now)
        self._finished(call, now, by, cause, agent)
        self._forget(call)

    def _drop_caller(self, call: CallState, now: float, by: str, cause: str = "normal") -> None:
        if call.leg is None:
            return
        leg = call.leg
        self._drop_leg(leg, cause)
        self._caller_gone(call, None, now, by, cause)

    def _enqueue(self, call: CallState, queue: str, requirements: Requirements, priority: int,
                 now: float) -> None:
        desk = call.tenant
        if queue not in desk.queues:
            why = f"tenant {desk.name} has no queue {queue!r}"
            self._fx(Refusal(at=now, call=call.id, event="enqueue", reason=why))
            if call.session is not None and call.leg is not None:
                self._feed(call, act.QueueExited(leg=call.leg, at=now, reason="no such queue"), now)
            else:
                self._drop_caller(call, now, "system", "no-queue")
            return
        call.queue, call.arrived, call.in_acd, call.ewt = queue, now, True, None
        call.priority, call.requirements = priority, requirements
        if call.place is None:
            call.place = now
        req = ", ".join(f"{k}>={v}" for k, v in sorted(requirements.skills.items()))
        text = f"{req or 'any skill'}; language {requirements.language or 'any'}"
        self._fx(QueueEntered(at=now, call=call.id, tenant=desk.name, queue=queue, requirements=text))
        contact = Contact(id=call.id, queue=queue, arrived=call.place, priority=priority,
                          requirements=requirements, caller=call.caller)
        self._acd(desk, ev.ContactArrived(contact), now)

    # ----------------------------------------------------------------- the IVR session

    def _feed(self, call: CallState, event: object, now: float) -> None:
        session = call.session
        if session is not None and not session.finished and isinstance(event, CallEvent):
            self._run(call, session.handle(event, now), now)

    def _run(self, call: CallState, outputs: list[SessionOutput], now: float) -> None:
        """Perform a session's outputs: its commands first, then its actions (which may feed it back)."""
        hangup: Hangup | None = None
        actions = []
        for output in outputs:
            if isinstance(output, Hangup) and output.leg == call.leg:
                hangup = output
            elif isinstance(output, Command):
                if call.leg is not None:
                    self._cmd(output)
            else:
                actions.append(output)
        for action in actions:
            self._action(call, action, now)
        if hangup is not None:
            self._drop_caller(call, now, "system", hangup.cause)
        self._trace(call, now)

    def _action(self, call: CallState, action: act.Action, now: float) -> None:
        if isinstance(action, act.Enqueue):
            r = action.requirements
            call.language = r.language or call.language
            requirements = Requirements(dict(r.skills), r.language, None if r.tier is None else Tier(r.tier))
            if call.leg is not None and not call.in_acd:
                self._enqueue(call, action.queue, requirements, r.priority, now)
        elif isinstance(action, act.RequestCallback):
            self._request_callback(call, action, now)
        elif isinstance(action, act.RecordVoicemail):
            self._fx(StartVoicemail(at=now, call=call.id, leg=action.leg, mailbox=action.mailbox,
                                    max_seconds=action.max_seconds, beep=action.beep))
        elif isinstance(action, act.StoreSurveyAnswer):
            self._fx(SurveyAnswered(at=now, call=call.id, survey=action.survey, question=action.question,
                                    answer=action.answer))
        elif isinstance(action, act.VerificationLocked):
            self._fx(LockVerification(at=now, call=call.id, customer=action.customer, method=action.method))

    def _request_callback(self, call: CallState, action: act.RequestCallback, now: float) -> None:
        desk = call.tenant
        if call.in_acd and call.queue is not None and call.agent is None:
            decisions = self._acd(desk, ev.CallbackRequested(call.id, action.number), now)
            if call.in_acd and not any(d.kind == "refused" for d in decisions):
                call.callback = action.number
                self._queue_left(call, Outcome.callback, now)
                self._fx(CallbackQueued(at=now, call=call.id, tenant=desk.name, queue=call.queue,
                                        number=action.number))
            return
        if call.in_acd or action.queue not in desk.queues:
            why = f"cannot queue a callback in {action.queue!r}"
            self._fx(Refusal(at=now, call=call.id, event="callback", reason=why))
            return
        call.language = action.language or call.language
        self._queue_callback(call, action.queue, action.number, None, now)

    def _queue_callback(self, call: CallState, queue: str, number: str, not_before: float | None,
                        now: float) -> None:
        call.callback, call.queue, call.arrived, call.in_acd = number, queue, now, True
        self._fx(CallbackQueued(at=now, call=call.id, tenant=call.tenant.name, queue=queue, number=number))
        self._queue_left(call, Outcome.callback, now)
        contact = Contact(id=call.id, queue=queue, arrived=now, callback=number, not_before=not_before,
                          caller=number)
        self._acd(call.tenant, ev.ContactArrived(contact), now)

    def _trace(self, call: CallState, now: float) -> None:
        session = call.session
        if session is not None and session.finished and not call.traced:
            call.traced = True
            self._fx(IvrTraced(at=now, call=call.id, trace=session.trace.to_dict()))

    # ----------------------------------------------------------------- agents and the API

    def _on_input(self, event: pin.PlanInput, now: float) -> None:
        desk = self._desk_for(event)
        if desk is None:
            self._fx(Refusal(at=now, event=event.kind, reason=self._no_desk(event)))
            return
        if isinstance(event, pin.AgentLogin):
            spec = desk.agents.get(event.agent)
            if spec is None:
                why = f"tenant {desk.name} has no agent {event.agent}"
                self._fx(Refusal(at=now, event=event.kind, reason=why))
                return
            self._acd(desk, ev.AgentLoggedIn(spec), now)
        elif isinstance(event, pin.AgentLogout):
            self._acd(desk, ev.AgentLoggedOut(event.agent), now)
        elif isinstance(event, pin.AgentBreak):
            self._acd(desk, ev.BreakStarted(event.agent, event.reason), now)
        elif isinstance(event, pin.AgentBreakEnded):
            self._acd(desk, ev.BreakEnded(event.agent), now)
        elif isinstance(event, pin.AgentWrapUpDone):
            self._acd(desk, ev.WrapUpEnded(event.agent), now)
        elif isinstance(event, pin.WebCallbackRequested):
            if event.queue not in desk.queues:
                why = f"tenant {desk.name} has no queue {event.queue!r}"
                self._fx(Refusal(at=now, event=event.kind, reason=why))
                return
            call = CallState(id=new_id(now, self._rng), tenant=desk, caller=event.number, dialled="",
                             language=event.language or desk.language)
            self._calls[call.id] = call
            self._queue_callback(call, event.queue, event.number, event.not_before, now)
        elif isinstance(event, pin.CallInput):
            self._on_call_input(event, now)
        elif isinstance(event, pin.AnnouncementSet):
            desk.announcements[event.number] = event.text
        elif isinstance(event, pin.AnnouncementWithdrawn):
            desk.announcements.pop(event.number, None)

    def _desk_for(self, event: pin.PlanInput) -> TenantDesk | None:
        if event.tenant is not None:
            return self.desks.get(event.tenant)
        if len(self.desks) == 1:
            return next(iter(self.desks.values()))
        if isinstance(event, pin.AgentInput):
            found = [d for d in self.desks.values() if event.agent in d.agents]
            return found[0] if len(found) == 1 else None
        return None

    def _no_desk(self, event: pin.PlanInput) -> str:
        if event.tenant is not None:
            return f"no tenant {event.tenant!r} in the configuration"
        return "several tenants could mean this: give the tenant"
