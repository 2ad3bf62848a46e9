"""baresip calls the echo service (number 600) and must hear its own tone back, unchanged.

baresip runs headless: its microphone is a 1 kHz sine WAV (``aufile``), what it
hears is dumped to a WAV by ``sndfile``. The echo hangs up after two seconds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from telephony_peers import (
    Recorder,
    baresip_config,
    free_udp_port,
    heard,
    need,
    process,
    running_switch,
    sine_wav,
    tone,
)

from centralino.calls.events import Answered, HungUp
from centralino.telephony import EchoHandler

pytestmark = pytest.mark.peer

TONE_HZ = 1000.0
AMPLITUDE = 0.3


def test_baresip_hears_its_tone_echoed(tmp_path: Path) -> None:
    binary = need("baresip")
    source = sine_wav(tmp_path / "sine.wav", TONE_HZ, 5, AMPLITUDE)
    phone = baresip_config(tmp_path / "phone", free_udp_port(), source, "<sip:tester@127.0.0.1>;regint=0")

    async def run() -> Recorder:
        async with running_switch() as switch:
            seen = Recorder(react=EchoHandler(switch, {"600"}, max_seconds=2.0))
            switch.handler = seen
            dial = f"/dial sip:600@127.0.0.1:{switch.port}"
            async with process(
                binary, "-f", str(phone), "-e", dial, cwd=tmp_path, log=tmp_path / "baresip.log"
            ):
                await seen.wait_for(lambda: bool(seen.of(HungUp)), timeout=15)
            stats = switch.stats(seen.of(Answered)[0].leg)
            assert stats is not None and stats.packets_received > 50 and stats.loss_pct == 0
            return seen

    seen = asyncio.run(run())
    assert [e.by for e in seen.of(HungUp)] == ["local"]
    audio = heard(phone)
    steady = audio[len(audio) // 4 : len(audio) * 3 // 4]  # away from the call's first and last packets
    assert len(steady) > 4000, f"baresip heard only {len(audio) / 8000:.2f} s"
    peak, level = tone(steady)
    expected = 20 * np.log10(AMPLITUDE / np.sqrt(2))
    assert abs(peak - TONE_HZ) < 10, peak
    assert abs(level - expected) < 3, (level, expected)
