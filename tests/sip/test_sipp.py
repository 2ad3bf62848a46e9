"""Real-peer tests: SIPp (Debian ``sip-tester``) against our endpoint, in-process on a free UDP port.

Each run is a few calls at a modest rate with a global timeout; the assertions are
SIPp's exit code and its own statistics file (successful = N, failed = 0).
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from centralino.calls.commands import Hangup, Ring
from centralino.calls.events import Answered, CallEvent, CallOffered, HungUp, Ringing
from centralino.sip.endpoint import SipEndpoint
from centralino.sip.timers import TimerConfig
from centralino.sip.ua import UaConfig, UserAgent
from peers import need

pytestmark = pytest.mark.peer

SCENARIOS = Path(__file__).parent / "scenarios"
SIPP = shutil.which("sipp")  # checked by _need_sipp before any test uses it


@pytest.fixture(autouse=True)
def _need_sipp() -> None:
    need("sipp")


@dataclass
class SippRun:
    returncode: int
    successful: int
    failed: int
    output: str
    errors: str


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def run_sipp(endpoint: SipEndpoint, tmp: Path, scenario: list[str], calls: int, rate: int,
                   *extra: str, port: int | None = None) -> SippRun:
    assert SIPP is not None
    stats, errors = tmp / "stats.csv", tmp / "errors.log"
    args = [
        *scenario, f"127.0.0.1:{endpoint.local.port}", "-i", "127.0.0.1", "-p", str(port or free_udp_port()),
        "-mp", str(free_udp_port()), "-m", str(calls), "-r", str(rate), "-timeout", "30s", "-timeout_error",
        "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1", "-trace_err", "-error_file", str(errors),
        *extra,
    ]
    proc = await asyncio.create_subprocess_exec(
        SIPP, *args, cwd=tmp, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 40)
    rows: list[dict[str, str]] = []
    if stats.exists():
        with stats.open() as f:
            rows = list(csv.DictReader(f, delimiter=";"))
    last = rows[-1] if rows else {}
    return SippRun(
        returncode=proc.returncode if proc.returncode is not None else -1,
        successful=int(last.get("SuccessfulCall(C)", -1)), failed=int(last.get("FailedCall(C)", -1)),
        output=out.decode(errors="replace")[-3000:],
        errors=errors.read_text(errors="replace")[-3000:] if errors.exists() else "")


def against_uas(tmp: Path, scenario: list[str], calls: int, rate: int, *extra: str,
                config: UaConfig | None = None, timers: TimerConfig | None = None,
                react: Callable[[SipEndpoint, CallEvent], None] | None = None,
                ) -> tuple[SippRun, list[CallEvent]]:
    events: list[CallEvent] = []

    async def scenario_run() -> SippRun:
        def on_event(event: CallEvent) -> None:
            events.append(event)
            if react is not None:
                react(endpoint, event)

        endpoint = SipEndpoint("127.0.0.1", 0, UserAgent(on_event=on_event, config=config), tcp=False,
                               timers=timers)
        await endpoint.start()
        try:
            return await run_sipp(endpoint, tmp, scenario, calls, rate, *extra)
        finally:
            await endpoint.stop()

    return asyncio.run(scenario_run()), events


def assert_all_passed(run: SippRun, calls: int) -> None:
    assert (run.returncode, run.successful, run.failed) == (0, calls, 0), run.output + run.errors


def test_options_ping(tmp_path: Path) -> None:
    run, _ = against_uas(tmp_path, ["-sf", str(SCENARIOS / "options_ping.xml")], 10, 50)
    assert_all_passed(run, 10)


def test_builtin_uac_call_answered_with_sdp(tmp_path: Path) -> None:
    run, events = against_uas(tmp_path, ["-sn", "uac"], 10, 20, config=UaConfig(auto_answer=True))
    assert_all_passed(run, 10)
    kinds = [type(e) for e in events]
    assert (kinds.count(CallOffered), kinds.count(Answered), kinds.count(HungUp)) == (10, 10, 10)
    assert all(e.by == "remote" for e in events if isinstance(e, HungUp))


def test_cancel_before_answer(tmp_path: Path) -> None:
    run, events = against_uas(tmp_path, ["-sf", str(SCENARIOS / "uac_cancel.xml")], 5, 20)
    assert_all_passed(run, 5)
    causes = [e.cause for e in events if isinstance(e, HungUp)]
    assert causes == ["cancelled"] * 5


def test_bye_from_our_side(tmp_path: Path) -> None:
    def hang_up_when_answered(endpoint: SipEndpoint, event: CallEvent) -> None:
        if isinstance(event, Answered):
            endpoint.command(Hangup(leg=event.leg))

    run, events = against_uas(tmp_path, ["-sf", str(SCENARIOS / "uac_bye_from_uas.xml")], 5, 20,
                              config=UaConfig(auto_answer=True), react=hang_up_when_answered)
    assert_all_passed(run, 5)
    assert [e.by for e in events if isinstance(e, HungUp)] == ["local"] * 5


def test_retransmissions_recover_from_ten_percent_loss(tmp_path: Path) -> None:
    run, _ = against_uas(tmp_path, ["-sn", "uac"], 20, 20, "-lost", "10", config=UaConfig(auto_answer=True))
    assert_all_passed(run, 20)


def test_outbound_calls_to_builtin_uas(tmp_path: Path) -> None:
    """Our UAC rings a SIPp answering side, hangs up when answered; SIPp must count N good calls.

    Our own scenario rather than the built-in ``uas``: that one ends each call with a 4 s timewait, and
    SIPp stopped at its call limit with the calls still in it, counting none as successful."""
    calls = 5
    events: list[CallEvent] = []

    async def scenario_run() -> SippRun:
        def on_event(event: CallEvent) -> None:
            events.append(event)
            if isinstance(event, Answered):
                endpoint.command(Hangup(leg=event.leg))

        endpoint = SipEndpoint("127.0.0.1", 0, UserAgent(on_event=on_event), tcp=False)
        await endpoint.start()
        port = free_udp_port()
        try:
            answering = ["-sf", str(SCENARIOS / "uas_answer.xml")]
            sipp = asyncio.ensure_future(run_sipp(endpoint, tmp_path, answering, calls, 10, port=port))
            for i in range(calls):
                endpoint.command(Ring(leg=f"agent-{i}", target=f"sip:service@127.0.0.1:{port}"))
            return await sipp
        finally:
            await endpoint.stop()

    run = asyncio.run(scenario_run())
    assert_all_passed(run, calls)
    kinds = [type(e) for e in events]
    assert (kinds.count(Ringing), kinds.count(Answered), kinds.count(HungUp)) == (calls, calls, calls)
