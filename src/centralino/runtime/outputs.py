"""The node's output worker: one task performs the dial plan's batches strictly in order, each
batch's record facts committed (``CallRecordStore.append``, in a thread) before its commands reach
the switch, then its effects (voicemail, PIN lockout, refusals) and the listeners. ``Play`` waits
for its prompts (``PromptGate``); ``Collect`` is not passed on (the IVR session collects keys
itself, see ``runtime.node``). Outputs decided elsewhere (the desktops' facts) join the same
queue through ``perform``, so a call's facts are journaled in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from centralino.calls.commands import Collect, Command, Play, StartRecording, StopRecording
from centralino.calls.events import CallEvent, HungUp, PlaybackFinished
from centralino.dialplan import Effect, LockVerification, Refusal, StartVoicemail
from centralino.dialplan.contacts import Output
from centralino.ivr.actions import VoicemailRecorded
from centralino.records.facts import Fact, VoicemailLeft, is_record_fact
from centralino.runtime.node_state import Batch, NodeState
from centralino.runtime.recording import wav_figures
from centralino.store.models import Customer, Tenant

__all__ = ["OutputWorker"]

log = logging.getLogger("centralino.runtime")


class OutputWorker(NodeState):
    async def _flush(self) -> None:
        """Wait until every output decided so far has been performed."""
        if self._worker is None or self._worker.done():
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._batches.put_nowait(Batch([], done))
        await done

    def perform(self, outputs: Sequence[Output]) -> None:
        """Outputs decided outside the dial plan (the desktops' facts, e.g. a disposition): performed
        by the same worker, in order with the plan's, so a call's facts are journaled in order."""
        if outputs:
            self._batches.put_nowait(Batch(list(outputs)))

    def switch_command(self, command: Command) -> None:
        if self.switch is not None:
            self.switch.command(command)

    async def _perform_batches(self) -> None:
        while True:
            batch = await self._batches.get()
            try:
                await self._perform(batch.outputs)
            except Exception:
                log.exception("performing the dial plan's outputs failed")
            finally:
                if batch.done is not None and not batch.done.done():
                    batch.done.set_result(None)

    async def _perform(self, outputs: Sequence[Output]) -> None:
        outputs = self.recordings.expand(outputs)
        facts = [o for o in outputs if isinstance(o, Fact) and is_record_fact(o)]
        if facts:
            try:
                await asyncio.to_thread(self.records.append, facts)
            except Exception:
                log.exception("call records not written", extra={"facts": [f.kind for f in facts]})
        for output in outputs:
            if isinstance(output, Play):
                await self._play(output)
            elif isinstance(output, Collect):
                pass  # the IVR session collects keys itself (see the module docstring)
            elif isinstance(output, Command):
                self.switch_command(output)
            elif isinstance(output, Effect):
                await self._effect(output)
            for listener in self.listeners:
                try:
                    listener(output)
                except Exception:
                    log.exception("a listener failed on %s", type(output).__name__)
        for recorded in self.recordings.ended(outputs):
            task = asyncio.get_running_loop().create_task(self._finish_recording(recorded))
            self._recording_tasks.add(task)
            task.add_done_callback(self._recording_tasks.discard)

    async def _play(self, play: Play) -> None:
        ready = await self.gate.ready_play(play)
        if ready is not None:
            self.switch_command(ready)
        elif self.switch is not None:  # nothing playable: tell the plan it is over, so the IVR goes on
            finished = PlaybackFinished(at=self.clock.now(), leg=play.leg, playback=play.playback)
            self.switch.on_media_event(finished)

    async def _effect(self, effect: Effect) -> None:
        if isinstance(effect, StartVoicemail):
            await self._start_voicemail(effect)
        elif isinstance(effect, LockVerification):
            tenant = self._tenant_of_customer(effect.customer)
            if tenant is not None:
                await asyncio.to_thread(self.services[tenant].lock, effect.customer, effect.method, effect.at)
        elif isinstance(effect, Refusal):
            log.info("dial plan refused %s: %s", effect.event, effect.reason, extra={"call": effect.call})

    def _tenant_of_customer(self, customer: str) -> str | None:
        with self.db.session() as session:
            row = session.get(Customer, customer)
            if row is None:
                return None
            tenant = session.get(Tenant, row.tenant_id)
            return tenant.name if tenant is not None and tenant.name in self.services else None

    # ------------------------------------------------------------------ voicemail

    def voicemail_path(self, mailbox: str, call: str) -> Path:
        return self.data_dir / "voicemail" / mailbox / f"{call}.wav"

    async def _start_voicemail(self, effect: StartVoicemail) -> None:
        path = self.voicemail_path(effect.mailbox, effect.call)
        path.parent.mkdir(parents=True, exist_ok=True)
        if effect.beep:
            await self._play(Play(leg=effect.leg, prompts=("file:beep",), playback="beep"))
        self.switch_command(StartRecording(leg=effect.leg, path=str(path), stereo=False))
        assert self._loop is not None
        handle = self._loop.call_later(effect.max_seconds, self._end_voicemail, effect.leg)
        self._live.voicemail[effect.leg] = (handle, self.clock.now())
        self._live.messages[effect.leg] = (effect.call, effect.mailbox)

    def _end_voicemail(self, leg: str) -> None:
        entry = self._live.voicemail.pop(leg, None)
        if entry is None:
            return
        self._message_left(leg, stop=True)
        seconds = self.clock.now() - entry[1]
        self.submit(VoicemailRecorded(at=self.clock.now(), leg=leg, seconds=seconds))

    def _forget_leg(self, event: CallEvent) -> None:
        if isinstance(event, HungUp):
            entry = self._live.voicemail.pop(event.leg, None)
            if entry is not None:
                entry[0].cancel()
                self._message_left(event.leg, stop=False)  # the switch released the leg: file closed

    def _message_left(self, leg: str, stop: bool) -> None:
        """The message ends: once its file is closed, a ``VoicemailLeft`` fact (file, seconds, SHA-256)
        puts it in the call record, as ``RecordingStopped`` does for call recordings."""
        message = self._live.messages.pop(leg, None)
        if message is None:
            return
        task = asyncio.get_running_loop().create_task(self._summarise_message(leg, *message, stop))
        self._recording_tasks.add(task)
        task.add_done_callback(self._recording_tasks.discard)

    async def _summarise_message(self, leg: str, call: str, mailbox: str, stop: bool) -> None:
        if stop and self.switch is not None:
            await self.switch.execute(StopRecording(leg=leg))
        path = self.voicemail_path(mailbox, call)
        seconds, size, sha256 = await asyncio.to_thread(wav_figures, path)
        if size == 0:
            log.warning("voicemail of call %s left no file at %s", call, path, extra={"call": call})
            return
        left = VoicemailLeft(at=self.clock.now(), call=call, mailbox=mailbox, seconds=seconds,
                             file=path.relative_to(self.data_dir).as_posix(), sha256=sha256)
        self._batches.put_nowait(Batch([left]))
