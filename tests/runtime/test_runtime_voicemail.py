"""A voicemail the node records ends as a ``VoicemailLeft`` fact: when the caller hangs up and
when the time limit stops it. Before, the WAV was written but no fact named it, so the call
record had no voicemail (found by tests/e2e/test_e2e_ivr_paths.py).

The node's output worker runs here without a switch (commands go nowhere); the test writes the
WAV the media engine's recorder would have written."""

from __future__ import annotations

import asyncio
import hashlib
import wave
from pathlib import Path

from centralino.calls.events import CallEvent, HungUp
from centralino.core.clock import FakeClock
from centralino.dialplan import StartVoicemail
from centralino.dialplan.inputs import PlanInput
from centralino.ivr.actions import VoicemailRecorded
from centralino.records.facts import VoicemailLeft
from centralino.runtime.node_state import Batch, Voicemails
from centralino.runtime.outputs import OutputWorker


class Worker(OutputWorker):
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.switch = None
        self.clock = FakeClock(1000.0)
        self._live = Voicemails()
        self._batches: asyncio.Queue[Batch] = asyncio.Queue()
        self._recording_tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.get_running_loop()
        self.submitted: list[PlanInput | CallEvent] = []
        self.told = asyncio.Event()

    def submit(self, event: PlanInput | CallEvent) -> None:
        self.submitted.append(event)
        self.told.set()


def write_wav(path: Path, seconds: float) -> bytes:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x00" * int(8000 * seconds))
    return path.read_bytes()


async def left(worker: Worker) -> list[VoicemailLeft]:
    if worker._recording_tasks:
        await asyncio.wait(worker._recording_tasks, timeout=5)
    facts = []
    while not worker._batches.empty():
        facts += [o for o in worker._batches.get_nowait().outputs if isinstance(o, VoicemailLeft)]
    return facts


def test_caller_hanging_up_leaves_the_message_in_the_record(tmp_path: Path) -> None:
    async def run() -> tuple[list[VoicemailLeft], bytes]:
        worker = Worker(tmp_path)
        await worker._effect(StartVoicemail(at=1000.0, call="c1", leg="c1", mailbox="demo", max_seconds=120,
                                            beep=False))
        data = write_wav(worker.voicemail_path("demo", "c1"), 2.5)
        worker._forget_leg(HungUp(at=1003.0, leg="c1"))
        return await left(worker), data

    facts, data = asyncio.run(run())
    assert len(facts) == 1, facts
    fact = facts[0]
    assert (fact.call, fact.mailbox, fact.seconds) == ("c1", "demo", 2.5)
    assert fact.file == "voicemail/demo/c1.wav"
    assert fact.sha256 == hashlib.sha256(data).hexdigest()


def test_time_limit_leaves_the_message_and_tells_the_plan(tmp_path: Path) -> None:
    async def run() -> tuple[list[VoicemailLeft], list[PlanInput | CallEvent]]:
        worker = Worker(tmp_path)
        await worker._effect(StartVoicemail(at=1000.0, call="c2", leg="c2", mailbox="demo", max_seconds=0.01,
                                            beep=False))
        write_wav(worker.voicemail_path("demo", "c2"), 1.0)
        await asyncio.wait_for(worker.told.wait(), 5)  # the node's own timer ends the message
        return await left(worker), worker.submitted

    facts, submitted = asyncio.run(run())
    assert [(f.call, f.seconds) for f in facts] == [("c2", 1.0)]
    assert [type(e) for e in submitted] == [VoicemailRecorded]


def test_no_file_no_fact(tmp_path: Path) -> None:
    async def run() -> list[VoicemailLeft]:
        worker = Worker(tmp_path)
        await worker._effect(StartVoicemail(at=1000.0, call="c3", leg="c3", mailbox="demo", max_seconds=120,
                                            beep=False))
        worker._forget_leg(HungUp(at=1001.0, leg="c3"))  # hung up before the recorder wrote anything
        return await left(worker)

    assert asyncio.run(run()) == []
