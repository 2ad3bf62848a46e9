"""Blind transfer on the live node: a SIPp caller to the support line (200), answered by 1001 on a
registered baresip, handed by 1001's desktop (``LiveContactCenter.transfer``) to 1002 on another
baresip; both phones auto-answer and register, which logs their agents in.

What must hold: the transfer goes through the dial plan (``CallTransferred``, 1001's leg hung
up, 1002's phone rung and bridged to the caller), the caller hears 1002 (RTP counted at its
port after the second bridge), 1001 goes to wrap-up while 1002 talks, the caller's SIPp run
completes (its BYE answered), and the call record shows the transfer and both agents.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from e2e_peers import (
    SCENARIOS,
    RtpCounter,
    SippRun,
    baresip_config,
    demo_center,
    free_udp_port,
    need,
    process,
    running_node,
    sine_wav,
    sipp,
    until,
)

from centralino.acd.agent_states import AgentState
from centralino.api.bus import Subscriber
from centralino.api.runtime import TargetKind, TransferMode
from centralino.calls.commands import Bridge, Hangup, Ring
from centralino.core.errors import Conflict
from centralino.records.facts import CallConnected, CallFinished, CallTransferred, QueueEntered
from centralino.runtime.contact_center import LiveContactCenter

pytestmark = pytest.mark.peer


def test_blind_transfer_from_1001_to_1002_bridges_the_caller_to_1002(tmp_path: Path,
                                                                     cheap_argon2: None) -> None:
    binary = need("baresip")

    def phone(extension: str, hz: float, port: int) -> Path:
        account = (f'<sip:{extension}@127.0.0.1>;auth_pass=demo{extension};outbound="sip:127.0.0.1:{port}"'
                   ";regint=300;answermode=auto")
        source = sine_wav(tmp_path / f"{extension}.wav", hz, 30, 0.3)
        return baresip_config(tmp_path / extension, free_udp_port(), source, account)

    async def run() -> None:
        center = demo_center(announce_every=0, wrapup=30)
        async with (running_node(tmp_path / "data", center, auto_login_on_register=True) as (node, seen),
                    RtpCounter.open() as ear):
            live = LiveContactCenter(node)
            configs = {ext: phone(ext, hz, node.sip_port) for ext, hz in (("1001", 600.0), ("1002", 900.0))}
            async with process(binary, "-f", str(configs["1001"]), cwd=tmp_path, log=tmp_path / "1001.log"):
                await until(lambda: node.plan.agent_state("demo", "1001") is AgentState.available, 10,
                            "1001 registered and logged in")
                caller: asyncio.Task[SippRun] = asyncio.create_task(sipp(
                    ["-sf", str(SCENARIOS / "uac_hold_bye.xml"), "-s", "200", "-m", "1", "-d", "9000",
                     "-set", "rtp", str(ear.port), "-p", str(free_udp_port()), f"127.0.0.1:{node.sip_port}"],
                    tmp_path, "caller", timeout=30))
                await until(lambda: len(seen.of(Bridge)) == 1, 10, "the caller bridged to 1001")
                call = seen.of(QueueEntered)[0].call
                async with process(binary, "-f", str(configs["1002"]), cwd=tmp_path,
                                   log=tmp_path / "1002.log"):
                    await until(lambda: node.plan.agent_state("demo", "1002") is AgentState.available, 10,
                                "1002 registered and logged in")
                    directory = live.directory
                    demo = directory.tenant_ids["demo"]
                    anna = directory.by_extension[("demo", "1001")].id
                    second = directory.by_extension[("demo", "1002")].id
                    actor = Subscriber("u1", "agent", anna)
                    with pytest.raises(Conflict, match="transfer blind"):  # refused before anything changes
                        await live.transfer(demo, actor, call, TransferMode.attended, TargetKind.queue,
                                            "sales")
                    await live.transfer(demo, actor, call, TransferMode.blind, TargetKind.agent, second)
                    await until(lambda: len(seen.of(Bridge)) == 2, 10, "the caller bridged to 1002")
                    bridged_at = ear.packets
                    assert node.plan.agent_state("demo", "1001") is AgentState.wrap_up
                    assert node.plan.agent_state("demo", "1002") is AgentState.on_call
                    await until(lambda: ear.packets > bridged_at + 50, 5, "a second of 1002's audio")
                    result = await caller
                    assert result.passed(1), result.output
                    await until(lambda: len(seen.of(CallFinished)) == 1, 10, "the call finished")
        [moved] = seen.of(CallTransferred)
        assert (moved.call, moved.agent, moved.target_kind, moved.target, moved.mode) == (
            call, "1001", "agent", "1002", "blind")
        first_leg, second_leg = (b.other for b in seen.of(Bridge))
        assert [b.leg for b in seen.of(Bridge)] == [call, call]
        assert Hangup(leg=first_leg, cause="transferred") in seen.of(Hangup)
        assert [r.target for r in seen.of(Ring)] == ["1001", "1002"]
        assert next(r.leg for r in seen.of(Ring) if r.target == "1002") == second_leg
        assert [c.agent for c in seen.of(CallConnected)] == ["1001", "1002"]
        found = node.records.get(call)
        assert found is not None
        record, _ = found
        assert record.state == "finished" and record.hung_up_by == "caller"
        assert [(t["agent"], t["kind"], t["target"], t["mode"]) for t in record.transfers] == [
            ("1001", "agent", "1002", "blind")]
        assert set(record.agents) == {"1001", "1002"}

    asyncio.run(run())
