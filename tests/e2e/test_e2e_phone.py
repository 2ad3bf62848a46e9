"""A softphone's first minutes with the node: OPTIONS, REGISTER with digest as agent 1001, call 600.

baresip (headless: a 1 kHz sine as microphone, what it hears dumped to a WAV) registers with
the demo credentials of extension 1001, is logged in by its registration
(``auto_login_on_register``) and dials the echo number 600 through the dial plan: it must hear
its own tone back.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from e2e_peers import (
    SCENARIOS,
    baresip_config,
    free_udp_port,
    heard,
    need,
    process,
    running_node,
    sine_wav,
    sipp,
    tone,
    until,
)

from centralino.acd.agent_states import AgentState
from centralino.calls.commands import Echo
from centralino.records.facts import CallFinished

pytestmark = pytest.mark.peer


def test_options_answered(tmp_path: Path, cheap_argon2: None) -> None:
    async def run() -> None:
        async with running_node(tmp_path / "data") as (node, _):
            result = await sipp(["-sf", str(SCENARIOS / "options.xml"), "-m", "1", "-p", str(free_udp_port()),
                                 f"127.0.0.1:{node.sip_port}"], tmp_path, "options", timeout=10)
            assert result.passed(1), result.output

    asyncio.run(run())


def test_baresip_registers_as_1001_and_hears_600(tmp_path: Path, cheap_argon2: None) -> None:
    binary = need("baresip")
    source = sine_wav(tmp_path / "sine.wav", 1000.0, 8, 0.3)

    async def run() -> None:
        async with running_node(tmp_path / "data", auto_login_on_register=True) as (node, seen):
            account = (f'<sip:1001@127.0.0.1>;auth_pass=demo1001;outbound="sip:127.0.0.1:{node.sip_port}"'
                       ";regint=300;answermode=auto")
            phone = baresip_config(tmp_path / "phone", free_udp_port(), source, account)
            dial = f"/dial sip:600@127.0.0.1:{node.sip_port}"
            log = tmp_path / "baresip.log"
            async with process(binary, "-f", str(phone), "-e", dial, cwd=tmp_path, log=log):
                await until(lambda: node.plan.agent_state("demo", "1001") is AgentState.available, 10,
                            "1001 registered and logged in")
                assert node.registrar is not None and node.registrar.lookup("1001@demo")
                await until(lambda: bool(seen.of(Echo)), 10, "the echo answered")
                await until(lambda: audio_seconds(phone) > 2.5, 15, "2.5 s of audio heard")
            await until(lambda: bool(seen.of(CallFinished)), 10, "the call finished")
            assert seen.of(CallFinished)[0].hung_up_by == "caller"
        audio = heard(phone)
        steady = audio[len(audio) // 4: len(audio) * 3 // 4]
        peak, level = tone(steady)
        assert abs(peak - 1000.0) < 10, peak
        assert abs(level - 20 * np.log10(0.3 / np.sqrt(2))) < 3, level

    asyncio.run(run())


def heard_files(directory: Path) -> list[Path]:
    return sorted((directory / "heard").glob("dump-*-dec.wav"))


def audio_seconds(directory: Path) -> float:
    files = heard_files(directory)
    return (files[-1].stat().st_size - 44) / 16000 if files else 0.0
