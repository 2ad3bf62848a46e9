"""The engine's tick only visits legs that need it: RTCP by slot, DTMF/collect/record by attention set."""

from __future__ import annotations

import asyncio
import random
import socket

from centralino.calls.events import CallEvent, Timeout
from centralino.media.engine import LocalMediaEngine
from centralino.media.player import PromptCache
from centralino.media.rtcp import ReceiverReport, parse_compound
from centralino.media.session import PortRange

WAIT = 5.0


def test_rtcp_slots_and_attention_set_follow_allocation_and_release() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[CallEvent] = asyncio.Queue()
        engine = LocalMediaEngine(events.put_nowait, PromptCache(), PortRange(33000, 33998),
                                  rng=random.Random(5))
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtcp.bind(("127.0.0.1", 0))
        rtcp.setblocking(False)
        try:
            await engine.allocate("x")  # index 0: reports on ticks 250, 500, ...
            await engine.allocate("y")  # index 1: reports on tick 1, the first after start
            engine.set_remote("y", "127.0.0.1", rtcp.getsockname()[1] - 1)
            await engine.start()
            data = await asyncio.wait_for(loop.sock_recv(rtcp, 2048), WAIT)
            assert isinstance(parse_compound(data)[0], ReceiverReport)
            assert engine.ticks < 250  # it came from y's slot, not a pass over every leg

            engine.collect("x", max_digits=2, first_timeout=0.05)
            engine.send_dtmf("y", "1")
            event = await asyncio.wait_for(events.get(), WAIT)
            assert isinstance(event, Timeout) and event.leg == "x"
            while engine._attention:  # y's DTMF takes a few ticks; then nobody needs attention
                await asyncio.sleep(0.02)
            await engine.release("y")
            assert all(not slot for i, slot in enumerate(engine._rtcp_slots) if i != 0)
            assert [leg.id for leg in engine._rtcp_slots[0]] == ["x"]
        finally:
            await engine.close()
            rtcp.close()

    asyncio.run(asyncio.wait_for(main(), 3 * WAIT))
