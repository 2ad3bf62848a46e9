"""What the contact center does to calls on the node's loop: controls, click-to-dial, monitoring.

Everything here runs on the node's loop (``LiveContactCenter._on_node``). Controls of calls the
dial plan owns go to the switch as commands and into the records as facts. Click-to-dial and
supervisor monitoring make legs of their own — the dial plan ignores events of legs it does not
know — and follow them here through ``Node.event_listeners``:

- **click-to-dial**: ring the agent's phone (the number as caller ID); when it answers, ring the
  customer; when they answer, bridge. Either side hanging up ends the other. The agent is put on
  a break with reason ``outbound`` meanwhile, so the ACD offers them no queue call, and
  returned to available after. The record: ``CallPlaced`` (+ ``CustomerIdentified``) …
  ``CallFinished``, the call id being the agent's leg.
- **monitoring**: ring the supervisor's extension; answered, the media engine's ``monitor``
  joins it to the agent's leg (listen, whisper, barge); it is hung up when the call ends.
- **transfers and conferences** are the dial plan's (``centralino.dialplan.transfers``): here
  they are checked (``handover_problem``: a 409 before anything changes) and submitted; the
  three-way mix the plan asks for (``MixConference``) is set up on the media engine once the
  switch has applied every command queued before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from centralino.api.bus import Audience
from centralino.api.runtime import Actor, Announcement, MonitorMode, Offer, to_json
from centralino.calls.commands import Bridge, Hangup, Hold, Resume, Ring, StopPlayback
from centralino.calls.events import Answered, CallEvent, Failed, HungUp
from centralino.core.errors import Conflict
from centralino.core.ids import new_id
from centralino.dialplan import (
    AgentWrapUpDone,
    AnnouncementSet,
    AnnouncementWithdrawn,
    CallInput,
    CallTransferred,
    ConferenceRequested,
    HandoverKind,
    MixConference,
    TransferCancelled,
    TransferCompleted,
    TransferMode,
    TransferRequested,
    WebCallbackRequested,
)
from centralino.media.mixer import MonitorMode as MixMode
from centralino.records import facts as f
from centralino.runtime.cti import LiveCall

if TYPE_CHECKING:
    from centralino.runtime.contact_center import LiveContactCenter
    from centralino.runtime.node import Node

__all__ = ["OutboundCalls"]

log = logging.getLogger(__name__)

RING_SECONDS = 30.0


@dataclass
class _Own:
    """A leg of ours: ``role`` agent/customer (click-to-dial) or monitor."""

    call: LiveCall
    role: str
    mode: MonitorMode | None = None
    answered: bool = False


class OutboundCalls:
    def __init__(self, center: LiveContactCenter) -> None:
        self.center = center
        self.calls: dict[str, LiveCall] = {}  # click-to-dial calls by id (the agent's leg)
        self._legs: dict[str, _Own] = {}
        self._customer_legs: dict[str, str] = {}  # call -> customer leg
        self._monitors: dict[str, list[str]] = {}  # call -> supervisor legs
        self._mixing: set[asyncio.Task[None]] = set()

    @property
    def node(self) -> Node:
        return self.center.node

    def _facts(self, *facts: f.Fact) -> None:
        """Records are written by the node's worker, in order with the dial plan's facts."""
        self.node.perform(facts)

    # ------------------------------------------------------------------ controls
    def _customer_leg(self, call: LiveCall) -> str:
        return self._customer_legs.get(call.id, call.id) if call.outbound else call.id

    def hold(self, call: LiveCall, on: bool) -> None:
        leg, now = self._customer_leg(call), self.center.clock.now()
        self.node.switch_command(Hold(leg=leg) if on else Resume(leg=leg))
        call.held = on
        fact = f.CallHeld if on else f.CallResumed
        self._facts(fact(at=now, call=call.id, agent=call.agent or ""))
        self.center.cti.call_event(call, "call.held", held=on)

    def hangup(self, call: LiveCall) -> None:
        leg = call.agent_leg if call.agent_leg else self._customer_leg(call)
        self.node.switch_command(Hangup(leg=leg, cause="agent"))

    def recording(self, call: LiveCall, paused: bool) -> None:
        """Pause or resume through the node (``Node.pause_recording``), which pauses the recorder of
        the recording's own leg and records the fact; asking again for the state it is in changes
        nothing."""
        node = self.node
        if node.media is None:
            raise Conflict("the media engine is not running")
        changed = (node.pause_recording if paused else node.resume_recording)(call.id, call.agent or "")
        if not changed and call.id not in node.recordings.live:
            raise Conflict("this call is not being recorded")
        call.recording_paused = paused
        self.center.cti.call_event(call, "call.recording", paused=paused)

    async def wrap_up(self, call: LiveCall, disposition: str, notes: str, agent: str | None = None) -> None:
        """The disposition is committed before the agent is released: the record has it when they are.
        ``agent``: who wraps up (after a transfer, the one who handed the call on), else the call's."""
        now, agent = self.center.clock.now(), agent or call.agent or ""
        fact = f.WrapUpSubmitted(at=now, call=call.id, agent=agent, disposition=disposition, notes=notes)
        await asyncio.to_thread(self.node.records.append, [fact])
        await self.center._on_node(self._wrapped, call, disposition, agent)

    def _wrapped(self, call: LiveCall, disposition: str, agent: str) -> None:
        if agent == call.agent:
            self.center.cti.call_event(call, "call.wrapped", disposition=disposition)
        else:
            self._to_agent(call, agent, "call.wrapped", disposition=disposition)
        tenant = call.tenant
        if self.node.plan.agent_state(tenant, agent).value == "wrap-up":
            self.node.submit(AgentWrapUpDone(at=self.center.clock.now(), tenant=tenant, agent=agent))

    # ------------------------------------------------------------------ transfers and conferences
    def consulting(self, call: LiveCall) -> bool:
        handover = self.node.plan.handover(call.tenant, call.id)
        return handover is not None and handover.mode == "attended" and handover.phase != "connected"

    def transfer(self, call: LiveCall, mode: str, kind: str, target: str) -> None:
        """Start a transfer, or complete the consultation with the same target."""
        now, handover = self.center.clock.now(), self.node.plan.handover(call.tenant, call.id)
        event: CallInput
        same = handover is not None and (handover.to, handover.target) == (kind, target)
        if handover is not None and handover.mode == "attended" and handover.phase != "connected" and same:
            event = TransferCompleted(at=now, tenant=call.tenant, call=call.id)
        else:
            event = TransferRequested(at=now, tenant=call.tenant, call=call.id, mode=TransferMode(mode),
                                      to=HandoverKind(kind), target=target)
        self._submit(event)

    def conference(self, call: LiveCall, kind: str, target: str) -> None:
        self._submit(ConferenceRequested(at=self.center.clock.now(), tenant=call.tenant, call=call.id,
                                         to=HandoverKind(kind), target=target))

    def cancel_transfer(self, call: LiveCall) -> None:
        self._submit(TransferCancelled(at=self.center.clock.now(), tenant=call.tenant, call=call.id))

    def _submit(self, event: CallInput) -> None:
        problem = self.node.plan.handover_problem(event)
        if problem is not None:
            raise Conflict(problem)
        self.node.submit(event)

    def on_handover(self, output: CallTransferred | MixConference) -> None:
        """The node's listener saw a transfer or a mix: tell the desktops, set up the mix."""
        call = self.center.cti.calls.get(output.call)
        if call is None:
            return
        if isinstance(output, CallTransferred):
            mode = output.mode if output.mode != "conference" else "blind"  # left a conference
            data = {"mode": mode, "kind": output.target_kind, "target": output.target}
            self._to_agent(call, output.agent, "call.transferred", **data)
            self._to_agent(call, output.agent, "call.ended", cause="transferred")
            if call.agent == output.agent:  # the next agent's offer or connection names them
                call.agent, call.agent_leg, call.answered, call.held = None, None, False, False
            return
        handover = self.node.plan.handover(call.tenant, call.id)
        if handover is not None:
            self.center.cti.call_event(call, "call.conferenced", kind=handover.to, target=handover.target)
        task = asyncio.get_running_loop().create_task(self._mix(output.legs))
        self._mixing.add(task)
        task.add_done_callback(self._mixing.discard)

    async def _mix(self, legs: tuple[str, str, str]) -> None:
        switch, media = self.node.switch, self.node.media
        if switch is None or media is None:
            return
        await switch.execute(StopPlayback(leg=legs[0]))  # every command before it has been applied
        with contextlib.suppress(Exception):
            media.conference(*legs)
            return
        log.info("conference of %s not mixed: a leg has ended meanwhile", legs)

    def _to_agent(self, call: LiveCall, agent: str, type_: str, **data: Any) -> None:
        row = self.center.directory.agent_of(call.tenant, agent)
        if row is not None:
            self.center.bus.emit(row.tenant_id, type_, {"call_id": call.id, "agent_id": row.id, **data},
                                 Audience.agent(row.id))

    # ------------------------------------------------------------------ click-to-dial
    def dial(self, row: Any, number: str, customer_id: str | None) -> str:
        plan, now = self.node.plan, self.center.clock.now()
        state = plan.agent_state(row.tenant, row.extension)
        if state.value not in ("available", "break", "wrap-up", "logged-out"):
            raise Conflict(f"you are {state.value}; finish the current call first")
        leg = new_id(now)
        call = LiveCall(leg, row.tenant, number, number, agent=row.extension, agent_leg=leg, outbound=True)
        call.offer = Offer(call_id=leg, agent_id=row.id, queue="", caller_number=number, caller_name=None,
                           customer_id=customer_id, verified=False, waited=0.0, offered_at=now)
        self.calls[leg] = call
        self._legs[leg] = _Own(call, "agent")
        if state.value == "available":
            self.node.set_break(row.tenant, row.extension, True, "outbound")
        self.center.cti.agent(row.tenant, row.extension).call_id = leg
        target = plan.desks[row.tenant].targets.get(row.extension, row.extension)
        self.node.switch_command(Ring(leg=leg, target=target, timeout=RING_SECONDS, caller_id=number))
        facts: list[f.Fact] = [f.CallPlaced(at=now, call=leg, tenant=row.tenant, agent=row.extension,
                                            number=number)]
        if customer_id:
            facts.append(f.CustomerIdentified(at=now, call=leg, customer=customer_id))
        self._facts(*facts)
        self.center.cti.call_event(call, "call.dialed", number=number, customer_id=customer_id)
        return leg

    def on_event(self, event: CallEvent) -> None:
        """Events of our own legs (the node calls this for every call event)."""
        own = self._legs.get(event.leg)
        if own is not None:
            if own.role == "monitor":
                self._monitor_event(own, event)
            else:
                self._dial_event(own, event)
        if isinstance(event, HungUp | Failed):
            self._legs.pop(event.leg, None)
            for sup in self._monitors.pop(event.leg, []):  # the monitored call's customer leg ended
                self.node.switch_command(Hangup(leg=sup, cause="call ended"))

    def _dial_event(self, own: _Own, event: CallEvent) -> None:
        call, now = own.call, self.center.clock.now()
        if isinstance(event, Answered) and not own.answered:
            own.answered = True
            if own.role == "agent":
                leg = new_id(now)
                self._customer_legs[call.id] = leg
                self._legs[leg] = _Own(call, "customer")
                self.node.switch_command(Ring(leg=leg, target=call.caller, timeout=RING_SECONDS))
            else:
                call.answered = True
                self.node.switch_command(Bridge(leg=call.id, other=event.leg))
                self.center.cti.call_event(call, "call.answered")
            return
        if not isinstance(event, HungUp | Failed) or call.ended:
            return
        call.ended = True
        other = call.id if own.role == "customer" else self._customer_legs.get(call.id)
        if other is not None and other in self._legs:
            self.node.switch_command(Hangup(leg=other, cause="normal"))
        by = "agent" if own.role == "agent" else "caller"
        self._facts(f.CallFinished(at=now, call=call.id, hung_up_by=by, agent=call.agent))
        self.center.cti.call_event(call, "call.ended", cause=by)
        self.center.cti.ended[call.id] = call
        self.calls.pop(call.id, None)
        self._customer_legs.pop(call.id, None)
        if self.node.plan.agent_state(call.tenant, call.agent or "").value == "break":
            self.node.set_break(call.tenant, call.agent or "", False)

    # ------------------------------------------------------------------ monitoring
    def monitor(self, call: LiveCall, mode: MonitorMode, extension: str, by: str) -> None:
        now = self.center.clock.now()
        leg = new_id(now)
        self._legs[leg] = _Own(call, "monitor", mode)
        self._monitors.setdefault(self._customer_leg(call), []).append(leg)
        self.node.switch_command(Ring(leg=leg, target=extension, timeout=RING_SECONDS, caller_id="monitor"))
        row = self.center.directory.agent_of(call.tenant, call.agent or "")
        tenant_id = row.tenant_id if row else self.center.directory.tenant_ids.get(call.tenant, "")
        self.center.bus.emit(tenant_id, "call.monitored",
                             {"call_id": call.id, "mode": mode.value, "extension": extension, "by": by},
                             Audience.role("supervisor"))

    def _monitor_event(self, own: _Own, event: CallEvent) -> None:
        media, call = self.node.media, own.call
        if isinstance(event, Answered) and media is not None and call.agent_leg and own.mode is not None:
            own.answered = True
            try:
                media.monitor(event.leg, call.agent_leg, MixMode(own.mode.value))
            except Exception:  # the call ended while the supervisor's phone rang
                self.node.switch_command(Hangup(leg=event.leg, cause="call ended"))

    # ------------------------------------------------------------------ tenant-wide
    def announce(self, tenant: str, tenant_id: str, actor: Actor, text: str | None) -> Announcement | None:
        now = self.center.clock.now()
        numbers = [n.number for t in self.node.config.tenants if t.name == tenant for n in t.numbers]
        for number in numbers:
            self.node.submit(AnnouncementSet(at=now, tenant=tenant, number=number, text=text) if text
                             else AnnouncementWithdrawn(at=now, tenant=tenant, number=number))
        current = Announcement(text, actor.user_id, now) if text else None
        if current is None:
            self.center.announcements.pop(tenant, None)
        else:
            self.center.announcements[tenant] = current
        self.center.bus.emit(tenant_id, "announcement", {"announcement": to_json(current)}, Audience.tenant())
        return current

    def web_callback(self, tenant: str, queue: str, number: str, not_before: float | None,
                     language: str | None) -> None:
        now = self.center.clock.now()
        self.node.submit(WebCallbackRequested(at=now, tenant=tenant, queue=queue, number=number,
                                              not_before=not_before, language=language))
