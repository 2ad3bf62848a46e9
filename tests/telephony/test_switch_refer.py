"""Blind transfer by REFER (RFC 3515) with baresip as the transferee.

The switch rings baresip (auto-answer) and transfers it to the echo number 600 on the
switch itself; baresip must place that call (a new ``CallOffered`` for 600) and the switch
must leave the first call once baresip's NOTIFY reports the transfer target's 200.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telephony_peers import Recorder, baresip_config, free_udp_port, need, process, running_switch, sine_wav

from centralino.calls.commands import Ring, Transfer
from centralino.calls.events import Answered, CallOffered, HungUp
from centralino.telephony import EchoHandler, TargetResolver

pytestmark = pytest.mark.peer


def test_refer_moves_the_phone_to_the_target(tmp_path: Path) -> None:
    binary = need("baresip")
    phone_port = free_udp_port()
    phone = baresip_config(
        tmp_path / "phone",
        phone_port,
        sine_wav(tmp_path / "s.wav", 500, 10),
        "<sip:carol@127.0.0.1>;regint=0;answermode=auto",
    )
    resolver = TargetResolver(contacts={"carol": f"sip:carol@127.0.0.1:{phone_port}"})

    async def run() -> Recorder:
        async with running_switch(resolver=resolver, transfer="refer") as switch:
            seen = Recorder(react=EchoHandler(switch, {"600"}))
            switch.handler = seen
            async with process(binary, "-f", str(phone), cwd=tmp_path, log=tmp_path / "phone.log"):
                switch.command(Ring(leg="first", target="carol", timeout=10))
                await seen.wait_for(lambda: bool(seen.of(Answered, "first")))
                switch.command(Transfer(leg="first", target=f"sip:600@127.0.0.1:{switch.port}"))
                await seen.wait_for(lambda: bool(seen.of(HungUp, "first")) and bool(seen.of(CallOffered)))
                second = seen.of(CallOffered)[0].leg
                await seen.wait_for(lambda: bool(seen.of(Answered, second)))
            return seen

    seen = asyncio.run(run())
    offered = seen.of(CallOffered)
    assert [e.dialled for e in offered] == ["600"]
    first_end = seen.of(HungUp, "first")[0]
    assert (first_end.by, first_end.cause) == ("local", "transferred")
