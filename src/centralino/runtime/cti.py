"""The CTI side of the node: what the dial plan does, as events the desktops and wallboards read.

``CtiPublisher`` is a ``Node`` listener: every command, record fact and effect the node performs
passes through it, in order, on the node's loop. It keeps what the pages need and the dial plan
does not say in one place — the live calls (caller, queue, the agent's leg, the screen pop), each
agent's time in state, break reason, chosen phone, current call and wrap-up deadline — and
publishes on the ``EventBus`` with the payloads of docs/cti-events.md:

- ``OfferRinging`` → ``call.offered`` with the screen pop: the caller's number, the customer (from
  the IVR session when it identified them, else by caller ID, exact or in E.164), whether the IVR
  verified them, the IVR path and inputs, the queue and the wait; ``agent.state`` reserved;
- ``CallConnected`` → ``call.answered``; ``CallFinished`` and a missed/declined/cancelled
  ``OfferEnded`` → ``call.ended``; ``AgentStateRecorded`` → ``agent.state``;
- queue-changing facts mark the tenant *dirty*, so the contact center's ticker publishes a
  ``queue.tick`` at once instead of at its next period.

Ids: the pages speak the store's ids (tenant id, agent id), the dial plan tenant names and
extensions; ``Directory`` maps between them from the database (reloaded on a miss, so agents
added over the API appear). The call id the pages see is the dial plan's contact id (the
caller's inbound leg id), which is also the call record's id.

The screen pop reads the caller's IVR session from the dial plan (``DialPlan.call_state``):
customer, verification, language, the flow's path and the keys pressed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import select

from centralino.acd.agent_states import AgentState
from centralino.api.bus import Audience, EventBus
from centralino.api.runtime import AgentStatus, Offer
from centralino.core.clock import Clock
from centralino.dialplan import DialPlan, Output
from centralino.records import facts as f
from centralino.store.db import Database
from centralino.store.models import Agent, Tenant

__all__ = ["AgentLive", "CtiPublisher", "Directory", "LiveCall", "screen_data"]

log = logging.getLogger(__name__)

ENDED_KEPT = 2000  # finished calls kept for a late wrap-up
QUEUE_FACTS = (f.QueueEntered, f.QueueLeft, f.CallConnected, f.CallFinished, f.CallbackQueued,
               f.CallbackEnded, f.AgentStateRecorded, f.OfferRinging)


@dataclass(frozen=True, slots=True)
class AgentRow:
    id: str
    tenant_id: str
    tenant: str
    extension: str
    name: str


class Directory:
    """Store ids ↔ the dial plan's names: tenants by id and name, agents by id and (tenant, ext)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self.tenants: dict[str, str] = {}  # id -> name
        self.tenant_ids: dict[str, str] = {}  # name -> id
        self.time_zones: dict[str, str] = {}  # id -> zone
        self.countries: dict[str, str] = {}  # name -> ISO region
        self.agents: dict[str, AgentRow] = {}
        self.by_extension: dict[tuple[str, str], AgentRow] = {}
        self.reload()

    def reload(self) -> None:
        with self.db.session() as session:
            tenants = list(session.scalars(select(Tenant)))
            names = {t.id: t.name for t in tenants}
            rows = [AgentRow(a.id, a.tenant_id, names[a.tenant_id], a.extension, a.name)
                    for a in session.scalars(select(Agent))]
        with self._lock:
            self.tenants = names
            self.tenant_ids = {t.name: t.id for t in tenants}
            self.time_zones = {t.id: t.time_zone or "UTC" for t in tenants}
            self.countries = {t.name: t.country or "US" for t in tenants}
            self.agents = {r.id: r for r in rows}
            self.by_extension = {(r.tenant, r.extension): r for r in rows}

    def agent(self, agent_id: str) -> AgentRow | None:
        row = self.agents.get(agent_id)
        if row is None:
            self.reload()
            row = self.agents.get(agent_id)
        return row

    def agent_of(self, tenant: str, extension: str) -> AgentRow | None:
        row = self.by_extension.get((tenant, extension))
        if row is None:
            self.reload()
            row = self.by_extension.get((tenant, extension))
        return row

    def tenant(self, tenant_id: str) -> str | None:
        if tenant_id not in self.tenants:
            self.reload()
        return self.tenants.get(tenant_id)


@dataclass
class LiveCall:
    """A customer contact as the desktop sees it."""

    id: str  # contact id = caller's inbound leg = call record id
    tenant: str
    caller: str
    dialled: str
    queue: str = ""
    entered_at: float | None = None
    agent: str | None = None  # extension of the agent offered or connected
    agent_leg: str | None = None
    answered: bool = False
    held: bool = False
    recording_paused: bool = False
    ended: bool = False
    offer: Offer | None = None
    outbound: bool = False  # click-to-dial: the legs are the contact center's, not the dial plan's


@dataclass
class AgentLive:
    state: AgentState = AgentState.logged_out
    since: float = 0.0
    reason: str | None = None
    phone: str | None = None
    call_id: str | None = None
    wrapup_until: float | None = None


@dataclass
class _Pending:
    """Callbacks waiting per (tenant, queue): queued and not yet connected or given up."""

    ids: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, tenant: str, queue: str, call: str) -> None:
        self.ids.setdefault((tenant, queue), set()).add(call)

    def discard(self, call: str) -> None:
        for ids in self.ids.values():
            ids.discard(call)

    def count(self, tenant: str, queue: str) -> int:
        return len(self.ids.get((tenant, queue), ()))


def screen_data(plan: DialPlan, call_id: str) -> dict[str, Any]:
    """What the caller's IVR session learnt: customer id, verified, language, path and inputs."""
    state = plan.call_state(call_id)
    out: dict[str, Any] = {"language": state.language if state is not None else None, "trace": [],
                           "choices": {}}
    if state is None or state.session is None:
        return out
    session = state.session
    customer = session.vars.get("customer.id")
    out["customer_id"] = str(customer) if customer else None
    out["verified"] = bool(session.vars.get("verified"))
    out["caller_name"] = session.vars.get("customer.name")
    steps = session.trace.steps
    out["trace"] = [s.node for s in steps]
    out["choices"] = {s.node: ", ".join(s.inputs) for s in steps if s.inputs}
    return out


def e164(number: str, region: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, region if not number.startswith("+") else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class CtiPublisher:
    """A node listener that tracks live calls and agents and publishes CTI events (module docstring)."""

    def __init__(self, plan: DialPlan, bus: EventBus, directory: Directory, clock: Clock,
                 find_customer: Callable[[str, str], dict[str, Any] | None],
                 wrapup: Callable[[str, str], float]) -> None:
        self.plan = plan
        self.bus = bus
        self.directory = directory
        self.clock = clock
        self.find_customer = find_customer  # (tenant, caller) -> customer record or None
        self.wrapup = wrapup  # (tenant, queue) -> wrap-up seconds
        self.calls: dict[str, LiveCall] = {}
        self.ended: dict[str, LiveCall] = {}  # recently finished calls, for wrap-up (bounded)
        self.agents: dict[tuple[str, str], AgentLive] = {}  # (tenant, extension)
        self.callbacks = _Pending()
        self.dirty: set[str] = set()  # tenants whose queues changed since the last tick
        self.on_dirty: Callable[[], None] = lambda: None
        self.offer_published: Callable[[Offer, float], None] | None = None  # tests: latency probe

    # ------------------------------------------------------------------ reading
    def agent(self, tenant: str, extension: str) -> AgentLive:
        live = self.agents.get((tenant, extension))
        if live is None:
            known = tenant in self.plan.desks
            state = self.plan.agent_state(tenant, extension) if known else AgentState.logged_out
            live = self.agents[(tenant, extension)] = AgentLive(state=state, since=self.clock.now())
        return live

    def status(self, row: Any) -> AgentStatus:
        live = self.agent(row.tenant, row.extension)
        return AgentStatus(agent_id=row.id, name=row.name, extension=row.extension, state=live.state,
                           since=live.since, reason=live.reason, phone=live.phone, call_id=live.call_id,
                           wrapup_until=live.wrapup_until)

    # ------------------------------------------------------------------ publishing
    def publish_agent(self, tenant: str, extension: str) -> None:
        row = self.directory.agent_of(tenant, extension)
        if row is None:
            return
        self.bus.emit(row.tenant_id, "agent.state", self.status(row).to_json(), Audience.agent(row.id))

    def call_event(self, call: LiveCall, type_: str, **data: Any) -> None:
        row = self.directory.agent_of(call.tenant, call.agent or "") if call.agent else None
        if row is None:
            return
        body = {"call_id": call.id, "agent_id": row.id, **data}
        self.bus.emit(row.tenant_id, type_, body, Audience.agent(row.id))

    def mark(self, tenant: str) -> None:
        self.dirty.add(tenant)
        self.on_dirty()

    # ------------------------------------------------------------------ the listener
    def __call__(self, output: Output) -> None:
        if isinstance(output, QUEUE_FACTS):
            tenant = getattr(output, "tenant", None) or self._tenant_of(output.call)
            if tenant:
                self.mark(tenant)
        if isinstance(output, f.CallArrived):
            self.calls[output.call] = LiveCall(output.call, output.tenant, output.caller, output.dialled)
        elif isinstance(output, f.QueueEntered):
            call = self.calls.get(output.call)
            if call is not None:
                call.queue = output.queue
                call.entered_at = call.entered_at if call.entered_at is not None else output.at
        elif isinstance(output, f.OfferRinging):
            self._offered(output)
        elif isinstance(output, f.OfferEnded):
            call = self.calls.get(output.call)
            if call is not None and output.outcome != "answered" and call.agent == output.agent:
                self.call_event(call, "call.ended", cause=output.outcome)
                live = self.agent(call.tenant, output.agent)
                if live.call_id == call.id:
                    live.call_id = None
                call.agent = call.agent_leg = call.offer = None
        elif isinstance(output, f.CallConnected):
            call = self.calls.get(output.call)
            if call is not None:
                call.answered, call.agent = True, output.agent
                self.agent(call.tenant, output.agent).call_id = call.id
                self.call_event(call, "call.answered")
        elif isinstance(output, f.CallbackQueued):
            self.callbacks.add(output.tenant, output.queue, output.call)
        elif isinstance(output, f.CallbackEnded) and output.outcome in ("connected", "given-up"):
            self.callbacks.discard(output.call)
        elif isinstance(output, f.CallFinished):
            call = self.calls.pop(output.call, None)
            if call is not None and not call.ended:
                call.ended = True
                self.ended[call.id] = call
                while len(self.ended) > ENDED_KEPT:
                    self.ended.pop(next(iter(self.ended)))
                if call.agent is not None:
                    self.call_event(call, "call.ended", cause=output.hung_up_by)
        elif isinstance(output, f.AgentStateRecorded):
            self._agent_state(output)

    def _tenant_of(self, call_id: str) -> str | None:
        call = self.calls.get(call_id)
        return call.tenant if call is not None else None

    def _offered(self, fact: f.OfferRinging) -> None:
        call = self.calls.get(fact.call)
        if call is None:
            return
        call.agent, call.agent_leg = fact.agent, fact.leg
        row = self.directory.agent_of(call.tenant, fact.agent)
        if row is None:
            return
        data = screen_data(self.plan, call.id)
        customer_id, name = data.get("customer_id"), data.get("caller_name")
        if customer_id is None:
            try:
                record = self.find_customer(call.tenant, call.caller)
            except Exception:
                log.exception("customer lookup for the screen pop failed")
                record = None
            if record is not None:
                customer_id, name = str(record["id"]), record.get("name")
        now = self.clock.now()
        offer = Offer(call_id=call.id, agent_id=row.id, queue=fact.queue, caller_number=call.caller or None,
                      caller_name=str(name) if name else None, customer_id=customer_id,
                      verified=bool(data.get("verified")), waited=round(now - (call.entered_at or now), 1),
                      language=data.get("language"), ivr_trace=tuple(data["trace"]),
                      ivr_choices=dict(data["choices"]), offered_at=now)
        call.offer = offer
        live = self.agent(call.tenant, fact.agent)
        live.call_id = call.id
        self.bus.emit(row.tenant_id, "call.offered", offer.to_json(), Audience.agent(row.id))
        if self.offer_published is not None:
            self.offer_published(offer, fact.at)

    def _agent_state(self, fact: f.AgentStateRecorded) -> None:
        live = self.agent(fact.tenant, fact.agent)
        state = AgentState(fact.state)
        if state is not live.state or (state is AgentState.on_break and fact.reason != live.reason):
            live.since = fact.at
        live.state = state
        live.reason = fact.reason if state is AgentState.on_break else None
        if state is AgentState.wrap_up:
            call = self.calls.get(live.call_id or "")
            queue = call.queue if call is not None else ""
            live.wrapup_until = fact.at + self.wrapup(fact.tenant, queue)
        else:
            live.wrapup_until = None
        if state in (AgentState.available, AgentState.on_break, AgentState.logged_out):
            live.call_id = None
        self.publish_agent(fact.tenant, fact.agent)
