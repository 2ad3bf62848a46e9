"""The dial plan's bookkeeping: one ``CallState`` per customer contact, one ``AgentLeg`` per
call to an agent's phone, one ``TenantDesk`` per tenant (its ACD engine and tables).

A ``CallState`` outlives its inbound leg when the caller chose a callback: the contact keeps
its place in the ACD, and when the engine starts the callback the customer's new leg is
attached to the same state (``customer_leg``). Web callbacks have a state with no leg at all.
A transfer or conference under way is the call's ``Handover``; the leg it rings is a
``TargetLeg`` (``centralino.dialplan.transfers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from centralino.acd.agent_states import AgentState
from centralino.acd.engine import Engine
from centralino.acd.estimate import position_ewt
from centralino.acd.model import AgentSpec, QueueSpec, Requirements
from centralino.config.hours import BusinessCalendar
from centralino.config.model import BusinessHours
from centralino.dialplan.specs import NumberRoute
from centralino.ivr.flow import Flow
from centralino.ivr.interpreter import Session
from centralino.ivr.services import Services, Verification

__all__ = ["AgentLeg", "CallState", "DeskServices", "Handover", "TargetLeg", "TenantDesk"]


@dataclass(eq=False)
class CallState:
    """A customer contact: the caller's leg, its IVR session, its life in the ACD."""

    id: str  # the inbound leg id (also the ACD contact id), or a web callback's id
    tenant: TenantDesk
    caller: str
    dialled: str
    language: str
    leg: str | None = None  # the caller's live inbound leg
    route: NumberRoute | None = None
    session: Session | None = None
    answered: bool = False
    queue: str | None = None  # the ACD queue it waits in now
    arrived: float = 0.0  # when it first entered a queue (kept through overflows and callbacks)
    entered: float = 0.0  # when it entered the current queue
    ewt: float | None = None  # the first wait announced in the current queue
    in_acd: bool = False  # a live ACD contact (waiting, ringing, connected or a pending callback)
    callback: str | None = None  # number to call back: the caller's hangup no longer abandons
    customer_leg: str | None = None  # the callback's leg to the customer
    agent: str | None = None  # the connected agent
    agent_leg: str | None = None  # the connected (bridged) agent leg
    connected_at: float = 0.0
    music: str = "default"
    play_token: str = ""  # token of the last Play sent to the leg
    holding: bool = False  # music on hold is what the leg hears now
    announcing: str = ""  # token of our position/wait announcement while it plays
    voicemail_deadline: float | None = None  # a recording we started must end by then
    attempt_live: bool = False  # a callback attempt is under way (agent leg rung, customer maybe)
    traced: bool = False  # the IVR trace has been handed out
    place: float | None = None  # arrival time the ACD orders it by (kept when a transfer re-queues it)
    priority: int = 0  # the ACD priority it queued with (kept through transfers)
    requirements: Requirements | None = None  # what it queued with (a failed transfer returns with it)
    handover: Handover | None = None  # a transfer or conference under way


@dataclass(eq=False)
class Handover:
    """A transfer or conference under way; at most one per call.

    ``phase``: ``ringing`` (the target's leg rings), ``consulting`` (attended: the agent talks to
    the answered target, the caller hears music), ``conference`` (the three are mixed; with the
    caller gone the agent and the target go on talking), ``connected`` (blind to a number: the
    caller talks to the outside party, no agent left).
    """

    mode: str  # blind, attended, conference
    to: str  # agent, queue, number
    target: str  # extension, queue name or number
    by: str  # the agent who asked
    started: float
    leg: str | None = None  # the leg to the target
    home: str | None = None  # the queue the caller returns to if the target is not reached
    phase: str = "ringing"
    answered: bool = False


@dataclass(eq=False)
class TargetLeg:
    """The leg a transfer, consultation or conference rings (an agent's phone or a number)."""

    leg: str
    call: CallState


@dataclass(eq=False)
class AgentLeg:
    """A leg to an agent's phone: an ACD offer, a callback's first leg, a direct call, or a transfer."""

    leg: str
    agent: str
    call: CallState
    purpose: str  # offer, callback, direct, transfer (handed over by a colleague)
    queue: str = ""
    answered: bool = False
    bridged: bool = False


@dataclass(eq=False)
class TenantDesk:
    """One tenant's runtime: the ACD engine and what routing needs from the configuration."""

    name: str
    engine: Engine
    routes: dict[str, NumberRoute]
    queues: dict[str, QueueSpec]
    agents: dict[str, AgentSpec]
    targets: dict[str, str]  # extension -> what to Ring: a static contact URI, else the extension
    music: dict[str, str]  # queue -> music-on-hold class
    flows: Mapping[str, Flow]
    language: str
    hours: Mapping[str, BusinessHours] = field(default_factory=dict)
    announcements: dict[str, str] = field(default_factory=dict)  # dialled number -> text
    states: dict[str, AgentState] = field(default_factory=dict)  # agent -> last ACD state
    reconciled: set[str] = field(default_factory=set)  # agents we marked busy for a direct call
    _calendars: dict[tuple[str, str], BusinessCalendar] = field(default_factory=dict)

    def is_open(self, route: NumberRoute, name: str, now: float) -> bool:
        """The IVR's ``is_open(hours, now)``: a named hours set, in the dialled number's zone."""
        if name == route.number.hours:
            return route.is_open(now)
        hours = self.hours.get(name)
        if hours is None:
            return True
        calendar = self._calendars.get((name, route.time_zone))
        if calendar is None:
            calendar = self._calendars[(name, route.time_zone)] = BusinessCalendar(hours, route.time_zone)
        return calendar.is_open(datetime.fromtimestamp(now, UTC))

    def queue_figures(self, queue: str) -> dict[str, float]:
        """What the IVR's ``queue.<name>.*`` variables read: waiting, agents available, EWT."""
        if queue not in self.queues:
            return {}
        stats = self.engine.stats(queue)
        members = [a for a, spec in self.agents.items() if queue in spec.queues]
        idle = sum(1 for a in members if self.states.get(a) is AgentState.available)
        working = sum(1 for a in members if self.states.get(a) in _WORKING)
        ewt = position_ewt(stats.waiting + 1, idle, working, stats.handle_time)
        return {"waiting": float(stats.waiting), "agents_available": float(idle),
                "agents_working": float(working), "ewt": ewt if ewt != float("inf") else 1e9,
                "offered": float(stats.offered), "answered": float(stats.answered)}


_WORKING = frozenset({AgentState.available, AgentState.reserved, AgentState.on_call, AgentState.wrap_up})


@dataclass
class DeskServices:
    """The IVR's services for one tenant: customers from the shell's, the rest from the desk."""

    base: Services
    desk: TenantDesk

    def find_customer(self, by: str, value: str) -> Mapping[str, Any] | None:
        return self.base.find_customer(by, value)

    def verify(self, customer: str, method: str, value: str, now: float) -> Verification:
        return self.base.verify(customer, method, value, now)

    def queue_stats(self, queue: str) -> Mapping[str, float]:
        return self.desk.queue_figures(queue) or self.base.queue_stats(queue)

    def announcement(self, number: str, language: str) -> str | None:
        return self.desk.announcements.get(number) or self.base.announcement(number, language)
