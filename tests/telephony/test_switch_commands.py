"""The switch against itself: one switch rings another's echo service, holds, resumes, hangs up.

No external program: both ends are ours, on real sockets, so this runs in well under a second
and exercises the re-INVITE offer/answer on both sides (our hold offer, the base UA's answer
through the SDP hook) and the statistics kept after a leg ends.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from telephony_peers import Recorder, running_switch, tone

from centralino.calls.commands import (
    Answer,
    Bridge,
    Hangup,
    Hold,
    Play,
    Reject,
    Resume,
    Ring,
    StartRecording,
    Transfer,
)
from centralino.calls.events import (
    Answered,
    Bridged,
    CallEvent,
    CallOffered,
    Failed,
    Held,
    HungUp,
    PlaybackFinished,
    Resumed,
)
from centralino.media.player import Prompt, PromptCache
from centralino.telephony import EchoHandler

T = TypeVar("T")


def test_unknown_target_fails_with_404() -> None:
    async def run() -> Recorder:
        async with running_switch(media=False) as switch:
            seen = Recorder()
            switch.handler = seen
            await switch.execute(Ring(leg="x", target="nobody"))
            return seen

    failed = run_and(run)
    assert [(e.leg, e.code) for e in failed.of(Failed)] == [("x", 404)]


def test_hold_and_resume_between_two_switches() -> None:
    async def run() -> tuple[Recorder, Recorder]:
        async with running_switch() as callee, running_switch() as caller:
            far = Recorder(react=EchoHandler(callee, {"600"}))
            callee.handler = far
            near = Recorder()
            caller.handler = near
            caller.command(Ring(leg="out", target=f"sip:600@127.0.0.1:{callee.port}"))
            await near.wait_for(lambda: bool(near.of(Answered)))
            caller.command(Hold(leg="out"))
            await near.wait_for(lambda: bool(near.of(Held)))
            caller.command(Resume(leg="out"))
            await near.wait_for(lambda: bool(near.of(Resumed)))
            caller.command(Hangup(leg="out"))
            await near.wait_for(lambda: bool(near.of(HungUp)))
            await far.wait_for(lambda: bool(far.of(HungUp)))
            assert caller.stats("out") is not None  # kept for the call record after the leg ended
            return near, far

    near, far = run_and(run)
    assert [type(e).__name__ for e in near.events if not isinstance(e, Answered)][-3:] == [
        "Held",
        "Resumed",
        "HungUp",
    ]
    assert [e.by for e in far.of(HungUp)] == ["remote"]


def run_and(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())


def test_attended_transfer_joins_the_held_party_to_the_consultation() -> None:
    """Customer held, agent consulting a colleague; the transfer drops the agent, resumes the
    customer and bridges customer and colleague (the three far ends are another switch's echo)."""

    async def run() -> Recorder:
        async with running_switch() as far, running_switch() as switch:
            far.handler = EchoHandler(far, {"600"})
            seen = Recorder()
            switch.handler = seen
            echo = f"sip:600@127.0.0.1:{far.port}"
            for leg in ("customer", "agent", "colleague"):
                switch.command(Ring(leg=leg, target=echo))
            await seen.wait_for(lambda: len(seen.of(Answered)) == 3)
            switch.command(Bridge(leg="customer", other="agent"))
            switch.command(Hold(leg="customer"))
            await seen.wait_for(lambda: bool(seen.of(Held, "customer")))
            switch.command(Bridge(leg="agent", other="colleague"))
            switch.command(Transfer(leg="customer", target="", attended_with="colleague"))
            await seen.wait_for(lambda: bool(seen.of(HungUp, "agent")) and bool(seen.of(Resumed, "customer")))
            assert switch.legs["customer"].bridged == "colleague"
            assert switch.legs["colleague"].bridged == "customer"
            return seen

    seen = run_and(run)
    assert seen.of(HungUp, "agent")[0].cause == "transferred"
    assert [e.other for e in seen.of(Bridged, "customer")] == ["agent", "colleague"]


def test_recording_holds_what_the_caller_played(tmp_path: Path) -> None:
    """20 ms G.711 frames end to end: one switch plays a 1 s 700 Hz prompt into a call, the
    other answers, records and collects; the recording must hold about a second of that tone."""
    prompts = PromptCache()
    prompts.add(Prompt.from_samples("tone", 0.3 * np.sin(2 * np.pi * 700 * np.arange(8000) / 8000), 8000))
    recording = tmp_path / "call.wav"

    async def run() -> None:
        async with running_switch() as callee, running_switch(prompts=prompts) as caller:

            def answer_and_record(event: CallEvent) -> None:
                if isinstance(event, CallOffered):
                    callee.command(Answer(leg=event.leg))
                elif isinstance(event, Answered):
                    callee.command(StartRecording(leg=event.leg, path=str(recording), stereo=True))

            far = Recorder(react=answer_and_record)
            callee.handler = far
            near = Recorder()
            caller.handler = near
            caller.command(Ring(leg="out", target=f"sip:rec@127.0.0.1:{callee.port}"))
            await near.wait_for(lambda: bool(near.of(Answered)))
            await far.wait_for(lambda: bool(far.of(Answered)))
            caller.command(Play(leg="out", prompts=("tone",), playback="p"))
            await near.wait_for(lambda: bool(near.of(PlaybackFinished)), timeout=5)
            caller.command(Hangup(leg="out"))
            await far.wait_for(lambda: bool(far.of(HungUp)))

    asyncio.run(run())
    with wave.open(str(recording)) as wav:
        samples = (
            np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)[:, 0].astype(np.float64)
        )
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    loud = np.sqrt((frames**2).mean(axis=1)) > 1000
    assert 0.8 <= loud.sum() * 0.02 <= 1.2, loud.sum() * 0.02
    assert abs(tone(samples[np.repeat(loud, 160)])[0] - 700) < 10


def test_blind_transfer_failures() -> None:
    """An unknown target leaves the call alone; a busy target ends the transferred caller's leg
    (the transferor is already gone, nobody else would)."""

    async def run() -> Recorder:
        async with running_switch() as far, running_switch() as switch:
            echo = EchoHandler(far, {"600"})

            def far_side(event: CallEvent) -> None:
                if isinstance(event, CallOffered) and event.dialled == "601":
                    far.command(Reject(leg=event.leg, code=486))
                else:
                    echo(event)

            far.handler = far_side
            seen = Recorder()
            switch.handler = seen
            switch.command(Ring(leg="customer", target=f"sip:600@127.0.0.1:{far.port}"))
            await seen.wait_for(lambda: bool(seen.of(Answered, "customer")))
            switch.command(Transfer(leg="customer", target="nobody"))
            await seen.wait_for(lambda: bool(seen.of(Failed)))
            assert not seen.of(HungUp) and switch.legs["customer"].state == "up"
            switch.command(Transfer(leg="customer", target=f"sip:601@127.0.0.1:{far.port}"))
            await seen.wait_for(lambda: bool(seen.of(HungUp, "customer")))
            return seen

    seen = run_and(run)
    assert [e.code for e in seen.of(Failed)] == [404, 486]
    assert seen.of(HungUp, "customer")[0].cause == "transfer failed 486"
