"""``LiveContactCenter`` on a running node (no phones): desktop inputs reach the dial plan, ids are
scoped to the tenant, refused controls say why, web callbacks queue, snapshots come from the ACD."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from centralino import config
from centralino.api.bus import Subscriber
from centralino.api.runtime import AgentState, TargetKind, TransferMode
from centralino.core.errors import Conflict, NotFound
from centralino.records.facts import CallbackQueued, RecordingPaused, RecordingResumed
from centralino.runtime import Node, NodeSettings
from centralino.runtime.contact_center import LiveContactCenter
from centralino.runtime.cti import LiveCall
from centralino.runtime.recording import Recorded
from centralino.store.apply import apply_config
from centralino.store.db import Database


async def started(tmp_path: Path) -> tuple[Node, LiveContactCenter, list[object]]:
    center = config.load(None)
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.upgrade()
    apply_config(db, center, "test", demo=True)
    settings = replace(NodeSettings(), bind="127.0.0.1", sip_port=0, tcp=False, rtp_ports=(36000, 36998),
                       warm_prompts=False, seed=3)
    node = Node(center, db, tmp_path, settings)
    seen: list[object] = []
    node.listeners.append(seen.append)
    await node.start()
    live = LiveContactCenter(node, tick_seconds=0.2)
    await live.start()
    return node, live, seen


async def stopped(node: Node, live: LiveContactCenter) -> None:
    await live.stop()
    await node.stop()
    node.db.dispose()


def test_desktop_inputs_reach_the_dial_plan_within_the_tenant(tmp_path: Path, cheap_argon2: None) -> None:
    async def run() -> None:
        node, live, seen = await started(tmp_path)
        try:
            d = live.directory
            demo, acme = d.tenant_ids["demo"], d.tenant_ids["acme"]
            anna = d.by_extension[("demo", "1001")].id
            paolo = d.by_extension[("acme", "2001")].id
            actor = Subscriber("u1", "agent", anna)
            sub = live.bus.subscribe(demo, Subscriber("sup", "supervisor"))
            status = await live.set_agent_state(demo, actor, anna, AgentState.available, None)
            assert status.state is AgentState.available
            assert node.plan.agent_state("demo", "1001") is AgentState.available
            event = await sub.next(timeout=2)
            while event.type != "agent.state":
                event = await sub.next(timeout=2)
            assert event.data["agent_id"] == anna and event.data["state"] == "available"
            status = await live.set_agent_state(demo, actor, anna, AgentState.on_break, "lunch")
            assert (status.state, status.reason) == (AgentState.on_break, "lunch")
            assert node.plan.agent_state("demo", "1001") is AgentState.on_break
            with pytest.raises(Conflict, match="reason"):
                await live.set_agent_state(demo, actor, anna, AgentState.on_break, None)
            await live.set_agent_state(demo, actor, anna, AgentState.available, None)
            assert node.plan.agent_state("demo", "1001") is AgentState.available
            # The phone chosen on the desktop is what the dial plan rings.
            await live.choose_phone(demo, actor, anna, "1002")
            assert node.plan.desks["demo"].targets["1001"] == "1002"
            await live.choose_phone(demo, actor, anna, "1001")
            assert node.plan.desks["demo"].targets["1001"] == "1001"
            # Another tenant's agent, phone or call is not found.
            with pytest.raises(NotFound):
                await live.agent_status(demo, paolo)
            with pytest.raises(NotFound):
                await live.choose_phone(demo, actor, anna, "2001")
            with pytest.raises(NotFound):
                await live.agent_status(acme, anna)
            with pytest.raises(NotFound):
                await live.transfer(demo, actor, "nope", TransferMode.blind, TargetKind.queue, "sales")
            await live.set_agent_state(demo, actor, anna, AgentState.logged_out, None)
            assert node.plan.agent_state("demo", "1001") is AgentState.logged_out
            sub.close()
        finally:
            await stopped(node, live)

    asyncio.run(run())


def test_web_callback_queues_and_snapshots_state_their_formula(tmp_path: Path, cheap_argon2: None) -> None:
    async def run() -> None:
        node, live, seen = await started(tmp_path)
        try:
            demo = live.directory.tenant_ids["demo"]
            with pytest.raises(NotFound):
                await live.request_callback(demo, "nope", "+48601000001", None, None)
            await live.request_callback(demo, "support", "+48601000001", None, "pl")
            await node._flush()
            [queued] = [o for o in seen if isinstance(o, CallbackQueued)]
            assert (queued.queue, queued.number, queued.tenant) == ("support", "+48601000001", "demo")
            snaps = {s.queue: s for s in await live.queues(demo)}
            assert set(snaps) == {"billing", "sales", "support"}
            support = snaps["support"]
            assert support.callbacks_pending == 1
            assert support.formula == "answered-only"
            assert support.formula_text == "answered within T / answered"
            assert support.offered == 1 and support.service_level is None  # the callback; none answered
            options = await live.desk_options(demo)
            assert "resolved" in options.dispositions and options.wrapup_seconds > 0
        finally:
            await stopped(node, live)

    asyncio.run(run())


def test_recording_pause_from_the_desktop_goes_through_the_node(tmp_path: Path, cheap_argon2: None) -> None:
    """One way to pause: the desktop's request becomes ``Node.pause_recording`` (the recording's leg,
    one fact per change); asking for the state it is in adds no fact; an unrecorded call is a 409."""
    async def run() -> None:
        node, live, seen = await started(tmp_path)
        try:
            demo = live.directory.tenant_ids["demo"]
            sup = Subscriber("sup", "supervisor")
            call = LiveCall("c1", "demo", "+48601000001", "200", agent="1001", agent_leg="a1")
            live.cti.calls[call.id] = call
            with pytest.raises(Conflict, match="not being recorded"):
                await live.set_recording(demo, sup, call.id, True)
            node.recordings.live[call.id] = Recorded("r1", call.id, "c1", "r1.wav", 0.0)
            live.recordings[call.id] = "r1"
            await live.set_recording(demo, sup, call.id, True)
            await live.set_recording(demo, sup, call.id, True)
            assert call.recording_paused and node.recordings.live[call.id].paused
            await live.set_recording(demo, sup, call.id, False)
            await node._flush()
            marks = [(type(o).__name__, o.recording, o.agent) for o in seen
                     if isinstance(o, RecordingPaused | RecordingResumed)]
            assert marks == [("RecordingPaused", "r1", "1001"), ("RecordingResumed", "r1", "1001")]
            assert not call.recording_paused
        finally:
            await stopped(node, live)

    asyncio.run(run())
