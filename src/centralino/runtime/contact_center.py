"""``LiveContactCenter``: the pages' ``ContactCenter`` (``api/runtime.py``) over the running ``Node``.

What each part of the contract becomes:

- **agent state** from the desktop → dial plan inputs (``AgentLogin``, ``AgentBreak``,
  ``AgentBreakEnded``, ``AgentWrapUpDone``, ``AgentLogout``); a state the ACD refused is a 409
  saying why. **Chosen phone** → ``Node.set_phone``: the dial plan rings that extension.
- **call controls** → switch commands through the node: hold/resume (``Hold``/``Resume`` on the
  customer's leg, ``CallHeld``/``CallResumed`` facts), hang-up (``Hangup`` of the agent's leg: the
  dial plan sees the agent leave and ends the call), recording pause/resume (media engine, facts).
- **transfers and conferences** → the dial plan's ``TransferRequested``/``ConferenceRequested``
  (an agent's id becomes its extension); asked again for the same target while an attended
  transfer's consultation is answered, a transfer completes it (``TransferCompleted``) and
  *resume* cancels it (``TransferCancelled``). Whatever the plan would refuse is a 409 with its
  reason before anything changes. ``MixConference`` is performed on the media engine once the
  switch has applied the commands before it. The agent who handed the call on gets
  ``call.transferred`` and ``call.ended`` and may still wrap it up.
- **wrap-up** → a ``WrapUpSubmitted`` fact (the disposition lands in the call record) and
  ``AgentWrapUpDone``.
- **click-to-dial** and **supervisor monitoring** use legs the dial plan does not own (it ignores
  events of legs it does not know): the agent's phone rings first, then the customer, then a
  bridge; the supervisor's phone rings and, answered, joins the agent's leg through the media
  engine's ``monitor`` (listen / whisper / barge).
- **queue snapshots**: now from the ACD engine (waiting, longest wait, agents), today from the
  call records (service level with its formula, ASA, AHT, abandoned) and the engine's estimate
  errors; a ticker publishes ``queue.tick`` every ``tick_seconds`` and at once when a queue changed.

Threads: the API may run on another loop than the node (tests serve uvicorn in a thread), so
every method hands its work to the node's loop (``_on_node``); the dial plan is touched only there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from centralino.api.bus import EventBus
from centralino.api.demo_center import BREAK_REASONS, DISPOSITIONS
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
)
from centralino.core.clock import Clock
from centralino.core.errors import Conflict, NotFound
from centralino.dialplan import AgentWrapUpDone, CallConnected, CallTransferred, MixConference
from centralino.records.facts import RecordingStarted, RecordingStopped
from centralino.runtime.cti import ENDED_KEPT, CtiPublisher, Directory, LiveCall, e164
from centralino.runtime.node import Node
from centralino.runtime.outbound import OutboundCalls
from centralino.runtime.snapshots import Snapshots

__all__ = ["LiveContactCenter"]

log = logging.getLogger(__name__)

T = TypeVar("T")
OVERSEERS = ("admin", "supervisor")
SETTABLE = (AgentState.available, AgentState.on_break, AgentState.logged_out)


class LiveContactCenter:
    """See the module docstring; implements ``centralino.api.runtime.ContactCenter``."""

    name = "cti"

    def __init__(self, node: Node, bus: EventBus | None = None, *, clock: Clock | None = None,
                 tick_seconds: float = 2.0) -> None:
        self.node = node
        self.clock = clock or node.clock
        self.bus = bus or EventBus(clock=self.clock)
        self.directory = Directory(node.db)
        self.cti = CtiPublisher(node.plan, self.bus, self.directory, self.clock, self._find_customer,
                                self._wrapup_seconds)
        self.snapshots = Snapshots(self, tick_seconds)
        self.outbound = OutboundCalls(self)
        self.announcements: dict[str, Announcement] = {}
        self.recordings: dict[str, str] = {}  # call -> recording id (RecordingStarted facts)
        self.handlers: dict[str, set[str]] = {}  # call -> extensions it was connected to (wrap-up)
        node.listeners.append(self.cti)
        node.listeners.append(self._on_output)
        node.event_listeners.append(self.outbound.on_event)

    # ------------------------------------------------------------------ service
    async def start(self) -> None:
        """Start the queue ticker on the node's loop (call after ``node.start``)."""
        await self._on_node(self.snapshots.start)

    async def stop(self) -> None:
        await self.snapshots.stop()

    async def _on_node(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the node's loop and return its result (exceptions included)."""
        loop = self.node.loop
        if loop is None:
            raise Conflict("the contact center is not running; start it with `centralino serve`")
        if asyncio.get_running_loop() is loop:
            return fn(*args)

        async def run() -> T:
            return fn(*args)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), loop))

    def _on_output(self, output: object) -> None:
        if isinstance(output, RecordingStarted):
            self.recordings[output.call] = output.recording
        elif isinstance(output, RecordingStopped):
            self.recordings.pop(output.call, None)
        elif isinstance(output, CallConnected):
            self.handlers.setdefault(output.call, set()).add(output.agent)
            while len(self.handlers) > 4 * ENDED_KEPT:
                self.handlers.pop(next(iter(self.handlers)))
        elif isinstance(output, CallTransferred | MixConference):
            self.outbound.on_handover(output)

    # ------------------------------------------------------------------ helpers
    def tenant(self, tenant_id: str) -> str:
        name = self.directory.tenant(tenant_id)
        if name is None or name not in self.node.plan.desks:
            raise NotFound(f"tenant {tenant_id} not found")
        return name

    def _agent(self, tenant_id: str, agent_id: str) -> Any:
        row = self.directory.agent(agent_id)
        if row is None or row.tenant_id != tenant_id:
            raise NotFound(f"agent {agent_id} not found")
        return row

    def _find_customer(self, tenant: str, caller: str) -> dict[str, Any] | None:
        services = self.node.services.get(tenant)
        if services is None or not caller:
            return None
        found = services.find_customer("caller_id", caller)
        if found is None:
            number = e164(caller, self.directory.countries.get(tenant, "US"))
            if number is not None and number != caller:
                found = services.find_customer("caller_id", number)
        return dict(found) if found is not None else None

    def _wrapup_seconds(self, tenant: str, queue: str) -> float:
        queues = {q.name: q for t in self.node.config.tenants if t.name == tenant for q in t.queues}
        if queue in queues:
            return float(queues[queue].wrapup)
        return max((float(q.wrapup) for q in queues.values()), default=0.0)

    def call(self, tenant_id: str, actor: Actor, call_id: str, *, live: bool = True) -> LiveCall:
        """The call of the tenant the actor may control; 404 like a missing one otherwise."""
        tenant = self.tenant(tenant_id)
        call = self.cti.calls.get(call_id) or self.cti.ended.get(call_id) or self.outbound.calls.get(call_id)
        if call is None or call.tenant != tenant:
            raise NotFound(f"call {call_id} not found")
        if actor.role not in OVERSEERS:
            row = self.directory.agent(actor.agent_id or "")
            handled = not live and row is not None and row.extension in self.handlers.get(call.id, ())
            if row is None or row.tenant != tenant or (row.extension != call.agent and not handled):
                raise NotFound(f"call {call_id} not found")
        if live and call.ended:
            raise Conflict(f"call {call_id} has ended")
        return call

    # ------------------------------------------------------------------ agents
    async def agent_status(self, tenant_id: str, agent_id: str) -> AgentStatus:
        row = self._agent(tenant_id, agent_id)
        return await self._on_node(self.cti.status, row)

    async def agents(self, tenant_id: str) -> list[AgentStatus]:
        tenant = self.tenant(tenant_id)
        rows = [r for r in self.directory.agents.values() if r.tenant == tenant]

        def statuses() -> list[AgentStatus]:
            return sorted((self.cti.status(r) for r in rows), key=lambda s: s.extension)

        return await self._on_node(statuses)

    async def set_agent_state(self, tenant_id: str, actor: Actor, agent_id: str, state: AgentState,
                              reason: str | None) -> AgentStatus:
        row = self._agent(tenant_id, agent_id)
        if state not in SETTABLE:
            raise Conflict(f"an agent cannot be put in state {state.value!r}; choose available, break or "
                           "logged-out")
        if state is AgentState.on_break and not reason:
            raise Conflict("a break needs a reason")
        return await self._on_node(self._set_state, row, state, reason)

    def _set_state(self, row: Any, state: AgentState, reason: str | None) -> AgentStatus:
        node, tenant, ext = self.node, row.tenant, row.extension
        current = node.plan.agent_state(tenant, ext)
        if current in (AgentState.reserved, AgentState.on_call) and state is not AgentState.logged_out:
            raise Conflict(f"the agent is {current.value}; change the state after the call")
        if state is AgentState.logged_out:
            node.logout(tenant, ext)
        else:
            if current is AgentState.logged_out:
                node.login(tenant, ext)
            now_state = node.plan.agent_state(tenant, ext)
            if state is AgentState.available and now_state is AgentState.on_break:
                node.set_break(tenant, ext, False)
            elif state is AgentState.available and now_state is AgentState.wrap_up:
                node.submit(AgentWrapUpDone(at=self.clock.now(), tenant=tenant, agent=ext))
            elif state is AgentState.on_break:
                node.set_break(tenant, ext, True, reason or "break")
        reached = node.plan.agent_state(tenant, ext)
        if reached is not state:
            raise Conflict(f"the agent stays {reached.value}: the ACD did not accept {state.value} now")
        live = self.cti.agent(tenant, ext)
        if live.state is not state or live.reason != reason:  # the fact follows; the answer is now
            live.state, live.since = state, self.clock.now()
            live.reason = reason if state is AgentState.on_break else None
        return self.cti.status(row)

    async def choose_phone(self, tenant_id: str, actor: Actor, agent_id: str, extension: str) -> AgentStatus:
        row = self._agent(tenant_id, agent_id)
        if self.directory.agent_of(row.tenant, extension) is None:
            raise NotFound(f"extension {extension} is not a phone of this tenant")

        def choose() -> AgentStatus:
            self.node.set_phone(row.tenant, row.extension, extension)
            self.cti.agent(row.tenant, row.extension).phone = extension
            self.cti.publish_agent(row.tenant, row.extension)
            return self.cti.status(row)

        return await self._on_node(choose)

    async def desk_options(self, tenant_id: str) -> DeskOptions:
        tenant = self.tenant(tenant_id)
        return DeskOptions(BREAK_REASONS, DISPOSITIONS, self._wrapup_seconds(tenant, ""))

    async def current_offer(self, tenant_id: str, agent_id: str) -> Offer | None:
        row = self._agent(tenant_id, agent_id)

        def current() -> Offer | None:
            live = self.cti.agent(row.tenant, row.extension)
            call = self.cti.calls.get(live.call_id or "") or self.cti.ended.get(live.call_id or "")
            return call.offer if call is not None else None

        return await self._on_node(current)

    # ------------------------------------------------------------------ calls
    async def answer(self, tenant_id: str, actor: Actor, call_id: str) -> None:
        self.call(tenant_id, actor, call_id)
        raise Conflict("answer on the phone: this node cannot answer a SIP phone remotely")

    async def hold(self, tenant_id: str, actor: Actor, call_id: str, on: bool) -> None:
        call = self.call(tenant_id, actor, call_id)
        if not call.answered:
            raise Conflict("the call is not answered yet")
        if not on and not call.held and await self._on_node(self.outbound.consulting, call):
            await self._on_node(self.outbound.cancel_transfer, call)  # back to the caller
            return
        if call.held == on:
            raise Conflict("the call is already " + ("on hold" if on else "resumed"))
        await self._on_node(self.outbound.hold, call, on)

    async def transfer(self, tenant_id: str, actor: Actor, call_id: str, mode: TransferMode,
                       kind: TargetKind, target: str) -> None:
        call = self.call(tenant_id, actor, call_id)
        name = self._target(call, kind, target)
        await self._on_node(self.outbound.transfer, call, mode.value, kind.value, name)

    async def conference(self, tenant_id: str, actor: Actor, call_id: str, kind: TargetKind,
                         target: str) -> None:
        call = self.call(tenant_id, actor, call_id)
        name = self._target(call, kind, target)
        await self._on_node(self.outbound.conference, call, kind.value, name)

    def _target(self, call: LiveCall, kind: TargetKind, target: str) -> str:
        """What the dial plan calls the target: an agent's extension, a queue name, a dialable number."""
        if call.outbound:
            raise Conflict("a click-to-dial call cannot be transferred; hang up and dial the number")
        if kind is TargetKind.agent:
            row = self.directory.agent(target)
            if row is None or row.tenant != call.tenant:
                raise NotFound(f"agent {target} not found")
            return str(row.extension)
        if kind is TargetKind.queue:
            if target not in self.node.plan.desks[call.tenant].queues:
                raise NotFound(f"queue {target} not found")
            return target
        number = target.replace(" ", "")
        if number.isdigit() and len(number) <= 8:  # an internal extension
            return number
        return e164(number, self.directory.countries.get(call.tenant, "US")) or number

    async def hangup(self, tenant_id: str, actor: Actor, call_id: str) -> None:
        call = self.call(tenant_id, actor, call_id)
        await self._on_node(self.outbound.hangup, call)

    async def set_recording(self, tenant_id: str, actor: Actor, call_id: str, paused: bool) -> None:
        call = self.call(tenant_id, actor, call_id)
        recording = self.recordings.get(call.id)
        if recording is None:
            raise Conflict("this call is not being recorded")
        await self._on_node(self.outbound.recording, call, paused)

    async def wrap_up(self, tenant_id: str, actor: Actor, call_id: str, disposition: str, notes: str) -> None:
        call = self.call(tenant_id, actor, call_id, live=False)
        if disposition not in DISPOSITIONS:
            raise Conflict(f"unknown disposition {disposition!r}; choose one of {', '.join(DISPOSITIONS)}")
        row = self.directory.agent(actor.agent_id or "")
        agent = row.extension if row is not None and row.tenant == call.tenant else call.agent
        await self.outbound.wrap_up(call, disposition, notes, agent)

    async def dial(self, tenant_id: str, actor: Actor, number: str, customer_id: str | None) -> str:
        tenant = self.tenant(tenant_id)
        row = self.directory.agent(actor.agent_id or "")
        if row is None or row.tenant != tenant:
            raise Conflict("only users linked to an agent can dial from the desktop")
        target = e164(number, self.directory.countries.get(tenant, "US")) or number.replace(" ", "")
        return await self._on_node(self.outbound.dial, row, target, customer_id)

    # ------------------------------------------------------------------ supervision
    async def queues(self, tenant_id: str) -> list[QueueSnapshot]:
        return await self.snapshots.queues(self.tenant(tenant_id), tenant_id)

    async def intervals(self, tenant_id: str, length: float) -> list[IntervalFigure]:
        return await self.snapshots.intervals(tenant_id, length)

    async def monitor(self, tenant_id: str, actor: Actor, call_id: str, mode: MonitorMode,
                      extension: str) -> None:
        if actor.role not in OVERSEERS:
            raise NotFound(f"call {call_id} not found")
        call = self.call(tenant_id, actor, call_id)
        if not call.answered or call.agent_leg is None:
            raise Conflict("a supervisor can join only an answered call")
        await self._on_node(self.outbound.monitor, call, mode, extension, actor.user_id)

    async def announcement(self, tenant_id: str) -> Announcement | None:
        return self.announcements.get(self.tenant(tenant_id))

    async def set_announcement(self, tenant_id: str, actor: Actor, text: str | None) -> Announcement | None:
        tenant = self.tenant(tenant_id)
        return await self._on_node(self.outbound.announce, tenant, tenant_id, actor, text)

    async def request_callback(self, tenant_id: str, queue: str, number: str, not_before: float | None,
                               language: str | None) -> None:
        tenant = self.tenant(tenant_id)
        if queue not in self.node.plan.desks[tenant].queues:
            raise NotFound(f"queue {queue} not found")
        await self._on_node(self.outbound.web_callback, tenant, queue, number, not_before, language)

    # ------------------------------------------------------------------ customers
    async def timeline(self, tenant_id: str, customer_id: str) -> list[TimelineEntry]:
        entries = await asyncio.to_thread(self.node.records.timeline, tenant_id, customer_id)
        return [TimelineEntry(e.at, e.kind, e.summary, {**e.detail, "call": e.call}) for e in entries]

    # ------------------------------------------------------------------ the day
    def day_start(self, tenant_id: str) -> float:
        zone = ZoneInfo(self.directory.time_zones.get(tenant_id, "UTC"))
        local = datetime.fromtimestamp(self.clock.now(), zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def day_end(self, tenant_id: str) -> float:
        zone = ZoneInfo(self.directory.time_zones.get(tenant_id, "UTC"))
        start = datetime.fromtimestamp(self.day_start(tenant_id), zone)
        return (start + timedelta(days=1)).replace(hour=0).timestamp()

