"""SIPp ``uac`` -> our B2BUA -> SIPp ``uas``: real SIP both ways, each leg its own dialog.

Both SIPp processes must report every call successful; the B2BUA's handler
counts what it saw. Calls are short and few, at a modest rate.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telephony_peers import SCENARIOS, Recorder, SippRun, free_udp_port, running_switch, sipp

from centralino.calls.events import Answered, Bridged, CallOffered, Failed, HungUp
from centralino.telephony import B2bua, failure_status
from centralino.telephony.b2bua import template_route

pytestmark = pytest.mark.peer


async def through_b2bua(
    tmp: Path,
    caller: list[str],
    callee: list[str],
    calls: int,
    *,
    media: bool = True,
) -> tuple[SippRun, SippRun, Recorder, B2bua]:
    callee_port = free_udp_port()
    async with running_switch(media=media) as switch:
        b2bua = B2bua(switch, template_route(f"sip:{{user}}@127.0.0.1:{callee_port}"), ring_timeout=5)
        seen = Recorder(react=b2bua)
        switch.handler = seen
        uas = asyncio.ensure_future(
            sipp(
                [*callee, "-p", str(callee_port), "-m", str(calls), "-mp", str(free_udp_port())],
                tmp,
                "uas",
                timeout=20,
            )
        )
        await asyncio.sleep(0)  # the callee's socket is bound before the first INVITE arrives
        try:
            uac = await sipp(
                [
                    *caller,
                    f"127.0.0.1:{switch.port}",
                    "-p",
                    str(free_udp_port()),
                    "-mp",
                    str(free_udp_port()),
                    "-m",
                    str(calls),
                    "-r",
                    "20",
                ],
                tmp,
                "uac",
                timeout=20,
            )
        finally:
            callee_run = await uas
        await switch.drain()
        return uac, callee_run, seen, b2bua


def test_calls_through_the_b2bua_bye_from_caller(tmp_path: Path) -> None:
    calls = 10
    uac, uas, seen, b2bua = asyncio.run(through_b2bua(tmp_path, ["-sn", "uac"], ["-sn", "uas"], calls))
    assert uac.passed(calls), uac.output
    assert uas.passed(calls), uas.output
    assert len(seen.of(CallOffered)) == calls
    assert len(seen.of(Answered)) == 2 * calls
    assert len(seen.of(Bridged)) == 2 * calls
    assert len(seen.of(HungUp)) == 2 * calls
    assert b2bua.completed == calls and b2bua.peer == {}


def test_signalling_only_b2bua_passes_sdp_through(tmp_path: Path) -> None:
    calls = 5
    uac, uas, seen, b2bua = asyncio.run(
        through_b2bua(tmp_path, ["-sn", "uac"], ["-sn", "uas"], calls, media=False)
    )
    assert uac.passed(calls), uac.output
    assert uas.passed(calls), uas.output
    assert b2bua.completed == calls


def test_bye_from_callee_reaches_the_caller(tmp_path: Path) -> None:
    calls = 5
    uac, uas, seen, _ = asyncio.run(
        through_b2bua(
            tmp_path,
            ["-sf", str(SCENARIOS / "uac_wait_bye.xml")],
            ["-sf", str(SCENARIOS / "uas_bye.xml")],
            calls,
        )
    )
    assert uac.passed(calls), uac.output
    assert uas.passed(calls), uas.output
    assert sorted(e.by for e in seen.of(HungUp)) == ["local"] * calls + ["remote"] * calls


def test_cancel_before_answer_propagates(tmp_path: Path) -> None:
    calls = 5
    uac, uas, seen, _ = asyncio.run(
        through_b2bua(
            tmp_path,
            ["-sf", str(SCENARIOS / "uac_cancel_after_ringing.xml")],
            ["-sf", str(SCENARIOS / "uas_ring_until_cancel.xml")],
            calls,
        )
    )
    assert uac.passed(calls), uac.output
    assert uas.passed(calls), uas.output
    assert [e.cause for e in seen.of(HungUp) if e.by == "remote"] == ["cancelled"] * calls
    assert not seen.of(Answered)


def test_busy_callee_gives_busy_caller(tmp_path: Path) -> None:
    calls = 5
    uac, uas, seen, b2bua = asyncio.run(
        through_b2bua(
            tmp_path,
            ["-sf", str(SCENARIOS / "uac_busy.xml")],
            ["-sf", str(SCENARIOS / "uas_busy.xml")],
            calls,
        )
    )
    assert uac.passed(calls), uac.output
    assert uas.passed(calls), uas.output
    assert [e.code for e in seen.of(Failed)] == [486] * calls
    assert b2bua.failed == calls


def test_failure_mapping() -> None:
    assert failure_status(486) == 486
    assert failure_status(408) == 480
    assert failure_status(487) == 480
    assert failure_status(603) == 603
    assert failure_status(200) == 502
