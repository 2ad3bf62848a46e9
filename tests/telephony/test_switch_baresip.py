"""The switch rings two baresip phones, bridges them, holds one and resumes it.

Alice registers with the switch's registrar and is rung by extension; Bob is
rung through a static contact. Both auto-answer. Alice's microphone is a 1 kHz
sine, Bob's 600 Hz. Alice is held with a re-INVITE offering ``sendonly``
(music on hold is played to her) and resumed with ``sendrecv``; Bob must hear
her tone exactly while she is not held.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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

from centralino.calls.commands import Bridge, Hangup, Hold, Resume, Ring
from centralino.calls.events import Answered, Bridged, Held, HungUp, Resumed
from centralino.media.player import Prompt, PromptCache
from centralino.sip.registrar import Registrar
from centralino.telephony import TargetResolver

pytestmark = pytest.mark.peer

ALICE_HZ, BOB_HZ, MOH_HZ = 1000.0, 600.0, 400.0


async def until(condition: Callable[[], bool], timeout: float) -> None:
    """Wait for a condition nothing signals (a registration), checking every 20 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def dominant_tones(samples: np.ndarray, window: int = 1600) -> list[float]:
    """The peak frequency of each 200 ms window that is not silent, consecutive repeats collapsed."""
    out: list[float] = []
    for start in range(0, len(samples) - window + 1, window):
        chunk = samples[start : start + window]
        if np.sqrt(np.mean(chunk**2)) < 300:
            continue
        peak = round(tone(chunk)[0] / 50) * 50  # 5 Hz bins; round to 50 Hz
        if not out or out[-1] != peak:
            out.append(peak)
    return out


def test_switch_bridges_two_phones_and_holds_one(tmp_path: Path) -> None:
    binary = need("baresip")
    alice_port, bob_port = free_udp_port(), free_udp_port()
    alice_wav = sine_wav(tmp_path / "alice.wav", ALICE_HZ, 20)
    bob_wav = sine_wav(tmp_path / "bob.wav", BOB_HZ, 20)
    moh = PromptCache()
    moh.add(Prompt.from_samples("moh", 0.3 * np.sin(2 * np.pi * MOH_HZ * np.arange(8000) / 8000), 8000))
    registrar = Registrar()
    resolver = TargetResolver(
        locate=registrar.lookup, domains=("127.0.0.1",), contacts={"bob": f"sip:bob@127.0.0.1:{bob_port}"}
    )

    async def run() -> Recorder:
        async with running_switch(moh="moh", prompts=moh, resolver=resolver, registrar=registrar) as switch:
            seen = Recorder()
            switch.handler = seen
            alice = baresip_config(
                tmp_path / "alice",
                alice_port,
                alice_wav,
                f'<sip:alice@127.0.0.1>;outbound="sip:127.0.0.1:{switch.port}";regint=60;answermode=auto',
            )
            bob = baresip_config(
                tmp_path / "bob", bob_port, bob_wav, "<sip:bob@127.0.0.1>;regint=0;answermode=auto"
            )
            async with (
                process(binary, "-f", str(alice), cwd=tmp_path, log=tmp_path / "alice.log"),
                process(binary, "-f", str(bob), cwd=tmp_path, log=tmp_path / "bob.log"),
            ):
                await until(lambda: bool(registrar.lookup("alice@127.0.0.1")), timeout=10)
                switch.command(Ring(leg="a", target="alice", timeout=10))
                switch.command(Ring(leg="b", target="bob", timeout=10))
                await seen.wait_for(lambda: len(seen.of(Answered)) == 2)
                switch.command(Bridge(leg="a", other="b"))
                await seen.wait_for(lambda: len(seen.of(Bridged)) == 2)
                await asyncio.sleep(1.2)  # talk
                switch.command(Hold(leg="a"))
                await seen.wait_for(lambda: bool(seen.of(Held, "a")))
                await asyncio.sleep(1.2)  # music on hold
                switch.command(Resume(leg="a"))
                await seen.wait_for(lambda: bool(seen.of(Resumed, "a")))
                await asyncio.sleep(1.2)  # talk again
                switch.command(Hangup(leg="a"))
                switch.command(Hangup(leg="b"))
                await seen.wait_for(lambda: len(seen.of(HungUp)) == 2)
            return seen

    seen = asyncio.run(run())
    assert {e.leg for e in seen.of(HungUp)} == {"a", "b"}
    # Alice hears Bob once bridged (baresip 1.0 stops dumping what it hears after a re-INVITE, so
    # only her first stretch is in the file).
    assert dominant_tones(heard(tmp_path / "alice")) == [BOB_HZ]
    # Bob hears Alice only while she is not held: her recvonly answer silences her, and the resume
    # brings her back. baresip dumps only frames it decodes, so what Bob heard lasts as long as the
    # two talk stretches together, not the whole call.
    bob_heard = heard(tmp_path / "bob")
    assert dominant_tones(bob_heard) == [ALICE_HZ]
    assert dominant_tones(bob_heard[-4000:]) == [ALICE_HZ]  # still talking at the end: resumed
    bridged, held = seen.of(Bridged, "a")[0].at, seen.of(Held, "a")[0].at
    resumed, ended = seen.of(Resumed, "a")[0].at, seen.of(HungUp, "a")[0].at
    talk = (held - bridged) + (ended - resumed)
    assert resumed - held > 1.0
    assert abs(len(bob_heard) / 8000 - talk) < 0.5, (len(bob_heard) / 8000, talk, resumed - held)
