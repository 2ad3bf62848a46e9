"""Recording policy in the live node: a queue set to ``all`` records, one set to ``none`` does not.

One baresip agent (1001, a 600 Hz tone as microphone) answers two callers, each a baresip
playing 1 kHz: the first dials 201 (queue billing, ``recording: none``), the second 200
(queue support, ``recording: all``). The node hangs each caller up once the test has seen
enough. The support call leaves a stereo WAV under ``recordings/demo/<yyyy>/<mm>/<dd>/``:
the caller's 1 kHz on the left, the agent's 600 Hz on the right, with its metadata (file,
reason ``all``, duration, size, SHA-256 of the bytes on disk) in the database and on the
call record; the billing call leaves no file and no recording row. Both calls get
``MediaQuality`` facts for the caller's and the agent's legs.
"""

from __future__ import annotations

import asyncio
import hashlib
import wave
from pathlib import Path

import numpy as np
import pytest
from e2e_peers import (
    baresip_config,
    demo_center,
    free_udp_port,
    need,
    process,
    replace_model,
    running_node,
    sine_wav,
    tone,
    until,
)

from centralino.acd.agent_states import AgentState
from centralino.calls.commands import Hangup
from centralino.config.model import CenterConfig, PhoneNumber, Route, RouteKind
from centralino.records.facts import (
    CallConnected,
    CallFinished,
    MediaQuality,
    RecordingStarted,
    RecordingStopped,
)
from centralino.runtime import Node

pytestmark = pytest.mark.peer


def _center() -> CenterConfig:
    center = demo_center(wrapup=1, recording="all")
    tenant = center.tenants[0]
    queues = [replace_model(q, recording="none", wrapup=1) if q.name == "billing" else q
              for q in tenant.queues]
    numbers = [*tenant.numbers, PhoneNumber(number="201", name="Billing", route=Route(kind=RouteKind.queue,
                                                                                      target="billing"))]
    return replace_model(center, tenants=[replace_model(tenant, queues=queues, numbers=numbers)])


def _channels(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64)
    return frames[0::2], frames[1::2], len(frames) // 2


def test_queue_recording_all_and_none(tmp_path: Path, cheap_argon2: None) -> None:
    binary = need("baresip")
    agent_tone = sine_wav(tmp_path / "agent.wav", 600.0, 60, 0.3)
    caller_tone = sine_wav(tmp_path / "caller.wav", 1000.0, 60, 0.3)
    data = tmp_path / "data"

    async def run() -> None:
        async with running_node(data, _center(), auto_login_on_register=True) as (node, seen):
            account = (f'<sip:1001@127.0.0.1>;auth_pass=demo1001;outbound="sip:127.0.0.1:{node.sip_port}"'
                       ";regint=300;answermode=auto")
            phone = baresip_config(tmp_path / "agent", free_udp_port(), agent_tone, account)
            async with process(binary, "-f", str(phone), cwd=tmp_path, log=tmp_path / "agent.log"):
                await until(lambda: node.plan.agent_state("demo", "1001") is AgentState.available, 10,
                            "1001 registered and logged in")
                for number, name in (("201", "billing"), ("200", "support")):
                    caller = baresip_config(tmp_path / name, free_udp_port(), caller_tone,
                                            "<sip:+48601000001@127.0.0.1>;regint=0")
                    dial = f"/dial sip:{number}@127.0.0.1:{node.sip_port}"
                    connected = len(seen.of(CallConnected))
                    async with process(binary, "-f", str(caller), "-e", dial, cwd=tmp_path,
                                       log=tmp_path / f"{name}.log"):
                        await until(lambda n=connected: len(seen.of(CallConnected)) == n + 1, 15,
                                    f"the {name} caller bridged to 1001")
                        call = seen.of(CallConnected)[-1].call
                        if name == "support":
                            await until(lambda: _audio_seconds(data) >= 3.0, 10, "three seconds recorded")
                        else:  # nothing is recorded: let the call run a moment anyway
                            await until(lambda c=call: _received(node, c) > 100, 10, "two seconds of audio")
                        node.switch_command(Hangup(leg=call, cause="test over"))
                        await until(lambda c=call: any(f.call == c for f in seen.of(CallFinished)), 10,
                                    f"the {name} call finished")
                        await until(lambda: node.plan.agent_state("demo", "1001") is AgentState.available,
                                    10, "1001 free again")
            await until(lambda: len(seen.of(RecordingStopped)) == 1, 10, "the recording summarised")
            await node._flush()
            billing, support = (c.call for c in seen.of(CallConnected))
            started = seen.of(RecordingStarted)
            assert [(s.call, s.reason, s.tenant) for s in started] == [(support, "all", "demo")]
            stopped = seen.of(RecordingStopped)[0]
            row = node.records.recording(started[0].recording)
            record = node.records.get(support)
            billing_record = node.records.get(billing)
            qualities = {(q.call, q.leg) for q in seen.of(MediaQuality)}
        assert row is not None and record is not None and billing_record is not None
        meta, _ = row
        path = data / meta.file
        assert meta.file.startswith("recordings/demo/") and path.exists()
        assert meta.sha256 == stopped.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert meta.size == path.stat().st_size
        assert meta.seconds is not None and meta.seconds >= 3.0
        assert started[0].recording in record[0].recordings
        assert not billing_record[0].recordings
        left, right, frames = _channels(path)
        assert abs(frames / 8000 - meta.seconds) < 0.05
        middle = slice(frames // 4, frames * 3 // 4)
        assert abs(tone(left[middle])[0] - 1000) < 15, "the caller on the left"
        assert abs(tone(right[middle])[0] - 600) < 15, "the agent on the right"
        assert tone(left[middle])[1] > -20 and tone(right[middle])[1] > -20
        assert len(list((data / "recordings").rglob("*.wav"))) == 1, "nothing recorded for billing"
        for call in (billing, support):
            assert (call, call) in qualities, "the caller's leg quality"
            assert sum(c == call for c, _ in qualities) == 2, "and the agent's"

    asyncio.run(run())


def _received(node: Node, leg: str) -> int:
    stats = node.switch.stats(leg) if node.switch is not None else None
    return stats.packets_received if stats is not None else 0


def _audio_seconds(data: Path) -> float:
    files = list((data / "recordings").rglob("*.wav")) if (data / "recordings").exists() else []
    return max(((f.stat().st_size - 44) / 32000 for f in files), default=0.0)
