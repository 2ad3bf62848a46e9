"""An in-memory ``ContactCenter``: the pages work, and tests drive them, before telephony is wired.

It keeps agent states, calls, queue figures and the announcement in dictionaries and publishes
the same events the real one does (docs/cti-events.md). The roster (agents and queues per
tenant) is read from the database on demand, so agents added over the REST API appear. Nothing
rings: call controls are checked (the call must exist in the tenant and belong to the actor
unless the actor supervises) and recorded in ``commands``; wrap-ups in ``wrapups``.

Tests drive it with ``offer``, ``answered``, ``set_queue`` and ``set_intervals``, which publish
as the real contact center would; these may be called from any thread.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from centralino.acd.agent_states import WORKING
from centralino.api.bus import Audience, EventBus
from centralino.api.runtime import (
    Actor,
    AgentState,
    AgentStatus,
    Announcement,
    DeskOptions,
    IntervalFigure,
    MonitorMode,
    Offer,
    QueueSnapshot,
    TargetKind,
    TimelineEntry,
    TransferMode,
    to_json,
)
from centralino.core.clock import Clock, SystemClock
from centralino.core.errors import Conflict, NotFound
from centralino.core.ids import new_id
from centralino.records.stats import FORMULA_TEXT, Formula
from centralino.store.db import Database
from centralino.store.models import Agent, Queue, QueueMember

__all__ = ["DemoContactCenter"]

BREAK_REASONS = ("lunch", "meeting", "training", "personal")
DISPOSITIONS = ("resolved", "follow-up", "escalated", "sale", "no-sale", "wrong-number")
SETTABLE = frozenset({AgentState.available, AgentState.on_break, AgentState.logged_out})
OVERSEERS = ("admin", "supervisor")


@dataclass
class _Call:
    tenant_id: str
    agent_id: str
    offer: Offer
    answered: bool = False
    held: bool = False
    recording_paused: bool = False
    ended: bool = False


@dataclass
class _AgentLive:
    state: AgentState = AgentState.logged_out
    since: float = 0.0
    reason: str | None = None
    phone: str | None = None
    call_id: str | None = None
    wrapup_until: float | None = None


@dataclass
class _Roster:
    agents: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, extension)
    queues: dict[str, tuple[float, str]] = field(default_factory=dict)  # name -> (T, formula)
    members: dict[str, set[str]] = field(default_factory=dict)  # queue name -> agent ids


class DemoContactCenter:
    """See the module docstring; implements ``centralino.api.runtime.ContactCenter``."""

    def __init__(
        self,
        db: Database,
        bus: EventBus | None = None,
        clock: Clock | None = None,
        wrapup_seconds: float = 60,
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.bus = bus or EventBus(clock=self.clock)
        self.wrapup_seconds = wrapup_seconds
        self.commands: list[tuple[Any, ...]] = []
        self.wrapups: list[dict[str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []  # web callback requests
        self._lock = threading.RLock()
        self._agents: dict[tuple[str, str], _AgentLive] = {}
        self._calls: dict[str, _Call] = {}
        self._queues: dict[tuple[str, str], QueueSnapshot] = {}
        self._intervals: dict[str, list[IntervalFigure]] = {}
        self._announcements: dict[str, Announcement] = {}
        self._timelines: dict[tuple[str, str], list[TimelineEntry]] = {}

    # Roster -----------------------------------------------------------------------------------
    def _roster(self, tenant_id: str) -> _Roster:
        roster = _Roster()
        with self.db.session() as session:
            for agent in session.scalars(select(Agent).where(Agent.tenant_id == tenant_id)):
                roster.agents[agent.id] = (agent.name, agent.extension)
            for queue in session.scalars(select(Queue).where(Queue.tenant_id == tenant_id)):
                roster.queues[queue.name] = (queue.service_level_threshold, queue.service_level_formula)
                roster.members[queue.name] = set()
            members = select(Queue.name, QueueMember.agent_id).join(Queue, Queue.id == QueueMember.queue_id)
            for name, agent_id in session.execute(members.where(Queue.tenant_id == tenant_id)):
                roster.members[name].add(agent_id)
        return roster

    def _live(self, tenant_id: str, agent_id: str) -> _AgentLive:
        live = self._agents.get((tenant_id, agent_id))
        if live is None:
            live = self._agents[(tenant_id, agent_id)] = _AgentLive(since=self.clock.now())
        return live

    def _status(self, tenant_id: str, agent_id: str, roster: _Roster) -> AgentStatus:
        if agent_id not in roster.agents:
            raise NotFound(f"agent {agent_id} not found")
        name, extension = roster.agents[agent_id]
        live = self._live(tenant_id, agent_id)
        return AgentStatus(
            agent_id=agent_id,
            name=name,
            extension=extension,
            state=live.state,
            since=live.since,
            reason=live.reason,
            phone=live.phone,
            call_id=live.call_id,
            wrapup_until=live.wrapup_until,
        )

    def _move(
        self, tenant_id: str, agent_id: str, state: AgentState, reason: str | None = None
    ) -> AgentStatus:
        with self._lock:
            live = self._live(tenant_id, agent_id)
            if live.state is not state or live.reason != reason:
                live.since = self.clock.now()
            live.state, live.reason = state, reason
            live.wrapup_until = (
                self.clock.now() + self.wrapup_seconds if state is AgentState.wrap_up else None
            )
            if state in (AgentState.available, AgentState.on_break, AgentState.logged_out):
                live.call_id = None
            status = self._status(tenant_id, agent_id, self._roster(tenant_id))
        self.bus.emit(tenant_id, "agent.state", status.to_json(), Audience.agent(agent_id))
        return status

    # Agents -----------------------------------------------------------------------------------
    async def agent_status(self, tenant_id: str, agent_id: str) -> AgentStatus:
        return self._status(tenant_id, agent_id, self._roster(tenant_id))

    async def agents(self, tenant_id: str) -> list[AgentStatus]:
        roster = self._roster(tenant_id)
        return sorted(
            (self._status(tenant_id, a, roster) for a in roster.agents), key=lambda s: s.extension
        )

    async def set_agent_state(
        self, tenant_id: str, actor: Actor, agent_id: str, state: AgentState, reason: str | None
    ) -> AgentStatus:
        current = await self.agent_status(tenant_id, agent_id)
        if state not in SETTABLE:
            raise Conflict(
                f"an agent cannot be put in state {state.value!r}; choose available, break or logged-out"
            )
        if state is AgentState.on_break and not reason:
            raise Conflict("a break needs a reason")
        if (
            current.state in (AgentState.reserved, AgentState.on_call)
            and state is not AgentState.logged_out
        ):
            raise Conflict(f"the agent is {current.state.value}; change the state after the call")
        return self._move(tenant_id, agent_id, state, reason if state is AgentState.on_break else None)

    async def choose_phone(
        self, tenant_id: str, actor: Actor, agent_id: str, extension: str
    ) -> AgentStatus:
        roster = self._roster(tenant_id)
        self._status(tenant_id, agent_id, roster)
        if extension not in {ext for _, ext in roster.agents.values()}:
            raise NotFound(f"extension {extension} is not a phone of this tenant")
        with self._lock:
            self._live(tenant_id, agent_id).phone = extension
        status = self._status(tenant_id, agent_id, roster)
        self.bus.emit(tenant_id, "agent.state", status.to_json(), Audience.agent(agent_id))
        return status

    async def desk_options(self, tenant_id: str) -> DeskOptions:
        return DeskOptions(BREAK_REASONS, DISPOSITIONS, self.wrapup_seconds)

    async def current_offer(self, tenant_id: str, agent_id: str) -> Offer | None:
        live = self._agents.get((tenant_id, agent_id))
        call = self._calls.get(live.call_id) if live and live.call_id else None
        return call.offer if call is not None and call.tenant_id == tenant_id else None

    # Calls ------------------------------------------------------------------------------------
    def _call(self, tenant_id: str, actor: Actor, call_id: str) -> _Call:
        call = self._calls.get(call_id)
        if call is None or call.tenant_id != tenant_id:
            raise NotFound(f"call {call_id} not found")
        if actor.role not in OVERSEERS and actor.agent_id != call.agent_id:
            raise NotFound(f"call {call_id} not found")
        if call.ended:
            raise Conflict(f"call {call_id} has ended")
        return call

    def _call_event(self, call: _Call, type_: str, **data: Any) -> None:
        body = {"call_id": call.offer.call_id, "agent_id": call.agent_id, **to_json(data)}
        self.bus.emit(call.tenant_id, type_, body, Audience.agent(call.agent_id))

    async def answer(self, tenant_id: str, actor: Actor, call_id: str) -> None:
        call = self._call(tenant_id, actor, call_id)
        if call.answered:
            raise Conflict("the call is already answered")
        self.commands.append(("answer", call_id))
        self.answered(call_id)

    async def hold(self, tenant_id: str, actor: Actor, call_id: str, on: bool) -> None:
        call = self._call(tenant_id, actor, call_id)
        if not call.answered:
            raise Conflict("the call is not answered yet")
        call.held = on
        self.commands.append(("hold" if on else "resume", call_id))
        self._call_event(call, "call.held", held=on)

    async def transfer(
        self,
        tenant_id: str,
        actor: Actor,
        call_id: str,
        mode: TransferMode,
        kind: TargetKind,
        target: str,
    ) -> None:
        call = self._call(tenant_id, actor, call_id)
        self.commands.append(("transfer", call_id, mode.value, kind.value, target))
        self._call_event(call, "call.transferred", mode=mode, kind=kind, target=target)
        if mode is TransferMode.blind:
            self._end(call, "transferred")

    async def conference(
        self, tenant_id: str, actor: Actor, call_id: str, kind: TargetKind, target: str
    ) -> None:
        call = self._call(tenant_id, actor, call_id)
        self.commands.append(("conference", call_id, kind.value, target))
        self._call_event(call, "call.conferenced", kind=kind, target=target)

    async def hangup(self, tenant_id: str, actor: Actor, call_id: str) -> None:
        call = self._call(tenant_id, actor, call_id)
        self.commands.append(("hangup", call_id))
        self._end(call, "agent")

    def _end(self, call: _Call, cause: str) -> None:
        call.ended = True
        self._call_event(call, "call.ended", cause=cause)
        self._move(call.tenant_id, call.agent_id, AgentState.wrap_up)
        self._live(call.tenant_id, call.agent_id).call_id = call.offer.call_id

    async def set_recording(self, tenant_id: str, actor: Actor, call_id: str, paused: bool) -> None:
        call = self._call(tenant_id, actor, call_id)
        call.recording_paused = paused
        self.commands.append(("recording", call_id, paused))
        self._call_event(call, "call.recording", paused=paused)

    async def wrap_up(
        self, tenant_id: str, actor: Actor, call_id: str, disposition: str, notes: str
    ) -> None:
        call = self._calls.get(call_id)
        if (
            call is None
            or call.tenant_id != tenant_id
            or (actor.role not in OVERSEERS and actor.agent_id != call.agent_id)
        ):
            raise NotFound(f"call {call_id} not found")
        if disposition not in DISPOSITIONS:
            raise Conflict(f"unknown disposition {disposition!r}; choose one of {', '.join(DISPOSITIONS)}")
        self.wrapups.append(
            {"tenant_id": tenant_id, "call_id": call_id, "disposition": disposition, "notes": notes}
        )
        self._call_event(call, "call.wrapped", disposition=disposition)
        live = self._live(tenant_id, call.agent_id)
        if live.state is AgentState.wrap_up:
            self._move(tenant_id, call.agent_id, AgentState.available)

    async def dial(self, tenant_id: str, actor: Actor, number: str, customer_id: str | None) -> str:
        if actor.agent_id is None:
            raise Conflict("only users linked to an agent can dial from the desktop")
        status = await self.agent_status(tenant_id, actor.agent_id)
        if status.state not in (AgentState.available, AgentState.on_break, AgentState.wrap_up):
            raise Conflict(f"you are {status.state.value}; finish the current call first")
        offer = Offer(
            call_id=new_id(),
            agent_id=actor.agent_id,
            queue="",
            caller_number=number,
            caller_name=None,
            customer_id=customer_id,
            verified=False,
            waited=0.0,
            offered_at=self.clock.now(),
        )
        with self._lock:
            self._calls[offer.call_id] = _Call(tenant_id, actor.agent_id, offer, answered=True)
            self._live(tenant_id, actor.agent_id).call_id = offer.call_id
        self.commands.append(("dial", offer.call_id, number, customer_id))
        self._move(tenant_id, actor.agent_id, AgentState.on_call)
        self._live(tenant_id, actor.agent_id).call_id = offer.call_id
        self._call_event(self._calls[offer.call_id], "call.dialed", number=number, customer_id=customer_id)
        return offer.call_id

    # Supervision ------------------------------------------------------------------------------
    def _blank_queue(self, name: str, threshold: float, formula: str) -> QueueSnapshot:
        text = (
            FORMULA_TEXT.get(Formula(formula), formula)
            if formula in Formula._value2member_map_
            else formula
        )
        return QueueSnapshot(
            queue=name,
            waiting=0,
            longest_wait=None,
            service_level=None,
            formula=formula,
            formula_text=text,
            threshold=threshold,
            service_level_goal=0.8,
            offered=0,
            answered=0,
            abandoned=0,
            asa=None,
            aht=None,
            callbacks_pending=0,
            ewt_error_mean=None,
            ewt_error_p90=None,
            agents_available=0,
            agents_staffed=0,
            at_risk=False,
        )

    def _staffing(self, tenant_id: str, queue: QueueSnapshot, roster: _Roster) -> QueueSnapshot:
        """Agents available / staffed (logged in and not on break) among the queue's members, now."""
        states = [self._live(tenant_id, a).state for a in roster.members.get(queue.queue, ())]
        return replace(
            queue,
            agents_available=sum(1 for s in states if s is AgentState.available),
            agents_staffed=sum(1 for s in states if s in WORKING),
        )

    async def queues(self, tenant_id: str) -> list[QueueSnapshot]:
        roster = self._roster(tenant_id)
        return [
            self._staffing(
                tenant_id,
                self._queues.get((tenant_id, name)) or self._blank_queue(name, *roster.queues[name]),
                roster,
            )
            for name in sorted(roster.queues)
        ]

    async def intervals(self, tenant_id: str, length: float) -> list[IntervalFigure]:
        return list(self._intervals.get(tenant_id, []))

    async def monitor(
        self, tenant_id: str, actor: Actor, call_id: str, mode: MonitorMode, extension: str
    ) -> None:
        if actor.role not in OVERSEERS:
            raise NotFound(f"call {call_id} not found")
        self._call(tenant_id, actor, call_id)
        self.commands.append(("monitor", call_id, mode.value, extension))
        self.bus.emit(
            tenant_id,
            "call.monitored",
            {"call_id": call_id, "mode": mode.value, "extension": extension, "by": actor.user_id},
            Audience.role("supervisor"),
        )

    async def announcement(self, tenant_id: str) -> Announcement | None:
        return self._announcements.get(tenant_id)

    async def set_announcement(self, tenant_id: str, actor: Actor, text: str | None) -> Announcement | None:
        current = Announcement(text, actor.user_id, self.clock.now()) if text else None
        if current is None:
            self._announcements.pop(tenant_id, None)
        else:
            self._announcements[tenant_id] = current
        self.bus.emit(tenant_id, "announcement", {"announcement": to_json(current)}, Audience.tenant())
        return current

    async def request_callback(
        self, tenant_id: str, queue: str, number: str, not_before: float | None, language: str | None
    ) -> None:
        if queue not in self._roster(tenant_id).queues:
            raise NotFound(f"queue {queue} not found")
        self.callbacks.append(
            {"tenant_id": tenant_id, "queue": queue, "number": number, "not_before": not_before,
             "language": language}
        )

    async def timeline(self, tenant_id: str, customer_id: str) -> list[TimelineEntry]:
        return sorted(self._timelines.get((tenant_id, customer_id), []), key=lambda e: -e.at)

    # Test drivers (the real center gets these from telephony) --------------------------------
    def offer(
        self,
        tenant_id: str,
        agent_id: str,
        queue: str,
        caller_number: str | None,
        customer_id: str | None = None,
        verified: bool = False,
        waited: float = 0.0,
        caller_name: str | None = None,
        language: str | None = None,
        ivr_trace: Sequence[str] = (),
        ivr_choices: dict[str, str] | None = None,
    ) -> Offer:
        """A call from ``queue`` rings agent ``agent_id``: screen pop and state ``reserved``."""
        offer = Offer(
            call_id=new_id(),
            agent_id=agent_id,
            queue=queue,
            caller_number=caller_number,
            caller_name=caller_name,
            customer_id=customer_id,
            verified=verified,
            waited=waited,
            language=language,
            ivr_trace=tuple(ivr_trace),
            ivr_choices=dict(ivr_choices or {}),
            offered_at=self.clock.now(),
        )
        with self._lock:
            self._calls[offer.call_id] = _Call(tenant_id, agent_id, offer)
            self._move(tenant_id, agent_id, AgentState.reserved)
            self._live(tenant_id, agent_id).call_id = offer.call_id
        self.bus.emit(tenant_id, "call.offered", offer.to_json(), Audience.agent(agent_id))
        return offer

    def answered(self, call_id: str) -> None:
        """The agent picked up (on the phone)."""
        call = self._calls[call_id]
        call.answered = True
        self._move(call.tenant_id, call.agent_id, AgentState.on_call)
        self._live(call.tenant_id, call.agent_id).call_id = call_id
        self._call_event(call, "call.answered")

    def set_queue(self, tenant_id: str, queue: str, **figures: Any) -> QueueSnapshot:
        """Change a queue's figures and publish a ``queue.tick`` (and an ``alert`` when at risk)."""
        roster = self._roster(tenant_id)
        if queue not in roster.queues:
            raise NotFound(f"queue {queue} not found")
        with self._lock:
            before = self._queues.get((tenant_id, queue)) or self._blank_queue(queue, *roster.queues[queue])
            after = replace(before, **figures)
            sl, goal = after.service_level, after.service_level_goal
            after = self._staffing(tenant_id, replace(after, at_risk=sl is not None and sl < goal), roster)
            self._queues[(tenant_id, queue)] = after
        self.bus.emit(tenant_id, "queue.tick", {"queues": [after.to_json()]}, Audience.tenant())
        if after.at_risk and not before.at_risk:
            message = f"service level {sl:.0%} is below the goal of {goal:.0%}"
            self.bus.emit(
                tenant_id,
                "alert",
                {"queue": queue, "kind": "service-level", "message": message},
                Audience.role("supervisor"),
            )
        return after

    def set_intervals(self, tenant_id: str, figures: list[IntervalFigure]) -> None:
        self._intervals[tenant_id] = list(figures)
        self.bus.emit(tenant_id, "intervals", {"intervals": to_json(figures)}, Audience.role("supervisor"))

    def add_timeline(self, tenant_id: str, customer_id: str, entry: TimelineEntry) -> None:
        self._timelines.setdefault((tenant_id, customer_id), []).append(entry)
