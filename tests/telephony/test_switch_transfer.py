"""A blind, server-side transfer of a real call: SIPp calls in, the handler answers and transfers
the caller to SIPp's ``uas``; the switch rings it, bridges the two, and the caller's BYE ends the
transferred leg too (SIPp's ``uas`` must get its BYE to count the call successful)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telephony_peers import Recorder, free_udp_port, running_switch, sipp

from centralino.calls.commands import Answer, Transfer
from centralino.calls.events import Answered, Bridged, CallEvent, CallOffered, HungUp, Ringing

pytestmark = pytest.mark.peer


def test_blind_transfer_rings_the_target_and_bridges(tmp_path: Path) -> None:
    calls = 3
    target_port = free_udp_port()

    async def run() -> tuple[Recorder, bool, bool, str]:
        async with running_switch() as switch:
            offered: set[str] = set()

            def react(event: CallEvent) -> None:
                if isinstance(event, CallOffered):
                    offered.add(event.leg)
                    switch.command(Answer(leg=event.leg))
                elif isinstance(event, Answered) and event.leg in offered:
                    switch.command(Transfer(leg=event.leg, target=f"sip:agent@127.0.0.1:{target_port}"))

            seen = Recorder(react=react)
            switch.handler = seen
            uas = asyncio.ensure_future(
                sipp(
                    ["-sn", "uas", "-p", str(target_port), "-m", str(calls), "-mp", str(free_udp_port())],
                    tmp_path,
                    "uas",
                    timeout=20,
                )
            )
            await asyncio.sleep(0)
            try:
                uac = await sipp(
                    [
                        "-sn",
                        "uac",
                        f"127.0.0.1:{switch.port}",
                        "-p",
                        str(free_udp_port()),
                        "-mp",
                        str(free_udp_port()),
                        "-m",
                        str(calls),
                        "-r",
                        "10",
                        "-d",
                        "500",
                    ],
                    tmp_path,
                    "uac",
                    timeout=20,
                )
            finally:
                target = await uas
            await seen.wait_for(lambda: len(seen.of(HungUp)) == 2 * calls, timeout=5)
            return seen, uac.passed(calls), target.passed(calls), uac.output + target.output

    seen, caller_ok, target_ok, output = asyncio.run(run())
    assert caller_ok and target_ok, output
    assert len(seen.of(Ringing)) == calls
    assert len(seen.of(Bridged)) == 2 * calls
    assert sorted(e.by for e in seen.of(HungUp)) == ["local"] * calls + ["remote"] * calls
