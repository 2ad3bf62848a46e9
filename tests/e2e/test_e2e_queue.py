"""Two SIPp callers dial the support line (200); one agent, 1001, on a registered baresip.

The first caller is answered by 1001 at once. The second queues behind the busy agent (a
queue whose agents are all on break or logged out sends callers to voicemail instead, the
ACD's ``leave_when_empty``), hears music and a position announcement, and is answered by
1001 after the first call and its 1 s wrap-up; then it hangs up and its call record names
the queue, the agent, the wait and the talk time. Each caller's RTP port is a counter of
ours, so "music heard" is packets counted. Announcements come every 2 s here (the demo's
30 s would make the test slow). 1001 is logged in by its registration.
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
from centralino.calls.commands import Bridge, Play, Ring
from centralino.records.facts import CallConnected, CallFinished, QueueEntered

pytestmark = pytest.mark.peer


def test_second_caller_queues_then_reaches_baresip_agent(tmp_path: Path, cheap_argon2: None) -> None:
    binary = need("baresip")
    source = sine_wav(tmp_path / "agent.wav", 600.0, 30, 0.3)

    def caller(name: str, rtp: int, seconds: float, port: int) -> asyncio.Task[SippRun]:
        return asyncio.create_task(sipp(
            ["-sf", str(SCENARIOS / "uac_hold_bye.xml"), "-s", "200", "-m", "1", "-d", f"{seconds:.0f}000",
             "-set", "rtp", str(rtp), "-p", str(free_udp_port()), f"127.0.0.1:{port}"],
            tmp_path, name, timeout=30))

    async def run() -> None:
        center = demo_center(announce_every=2, wrapup=1)
        async with (running_node(tmp_path / "data", center, auto_login_on_register=True) as (node, seen),
                    RtpCounter.open() as first_ear, RtpCounter.open() as ear):
            account = (f'<sip:1001@127.0.0.1>;auth_pass=demo1001;outbound="sip:127.0.0.1:{node.sip_port}"'
                       ";regint=300;answermode=auto")
            phone = baresip_config(tmp_path / "agent", free_udp_port(), source, account)
            async with process(binary, "-f", str(phone), cwd=tmp_path, log=tmp_path / "baresip.log"):
                await until(lambda: node.plan.agent_state("demo", "1001") is AgentState.available, 10,
                            "1001 registered and logged in")
                first = caller("first", first_ear.port, 4, node.sip_port)
                await until(lambda: len(seen.of(Bridge)) == 1, 10, "the first caller bridged to 1001")
                second = caller("second", ear.port, 10, node.sip_port)
                await until(lambda: len(seen.of(QueueEntered)) == 2, 10, "the second caller queued")
                await until(lambda: ear.packets > 50, 5, "a second of music")
                await until(lambda: any(p.prompts[0].startswith("file:en/position/")
                                        for p in seen.of(Play)), 8, "a position announcement")
                music = ear.packets
                assert (await first).passed(1)
                await until(lambda: len(seen.of(Bridge)) == 2, 10, "the second caller bridged to 1001")
                bridged_at = ear.packets
                result = await second
                assert result.passed(1), result.output
                assert ear.packets > bridged_at + 50, "the second caller heard the agent"
            await until(lambda: len(seen.of(CallFinished)) == 2, 10, "both calls finished")
        assert music > 50
        plays = [p.prompts for p in seen.of(Play)]
        assert ("moh:default",) in plays
        assert [r.target for r in seen.of(Ring)] == ["1001", "1001"]
        assert [c.agent for c in seen.of(CallConnected)] == ["1001", "1001"]
        call = seen.of(QueueEntered)[1].call
        found = node.records.get(call)
        assert found is not None
        record, _ = found
        assert record.state == "finished"
        assert record.queues == ["support"]
        assert record.agent == "1001"
        assert record.wait > 2.0, record.wait
        assert 1.0 < record.talk < 10.0, record.talk
        assert record.hung_up_by == "caller"

    asyncio.run(run())
