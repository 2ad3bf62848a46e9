"""Recording controls of the node: on-demand start, pause and resume (the one way to pause: the
contact center calls these too), the close of a finished call's file and the retention sweep.
The policy itself (who is recorded, where) is ``runtime.recording.Recordings``."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from centralino.calls.commands import StopRecording
from centralino.core.errors import CentralinoError
from centralino.records.facts import RecordingPaused, RecordingResumed
from centralino.runtime.node_state import Batch, NodeState
from centralino.runtime.recording import Recorded, summary

__all__ = ["RecordingControls"]

log = logging.getLogger("centralino.runtime")


class RecordingControls(NodeState):
    async def _finish_recording(self, recorded: Recorded) -> None:
        """Close the file (if the leg still lasts), then record its duration, size and SHA-256."""
        if self.switch is not None:
            await self.switch.execute(StopRecording(leg=recorded.leg))
        stopped = await asyncio.to_thread(summary, recorded, self.data_dir / recorded.file, self.clock.now())
        self._batches.put_nowait(Batch([stopped]))

    def start_recording(self, call: str, agent: str = "") -> bool:
        """The desktop's on-demand start (refused when the policy is ``none`` or one is running)."""
        live = self.recordings.live.get(call)
        outputs = self.recordings.start(call, call, self.clock.now(), agent) if live is None else []
        if outputs:
            self._batches.put_nowait(Batch(outputs))
        return bool(outputs)

    def pause_recording(self, call: str, agent: str = "") -> bool:
        """Stop writing the call's audio (card numbers) until ``resume_recording``; a fact marks it."""
        return self._pause(call, agent, True)

    def resume_recording(self, call: str, agent: str = "") -> bool:
        return self._pause(call, agent, False)

    def _pause(self, call: str, agent: str, pause: bool) -> bool:
        live = self.recordings.live.get(call)
        if live is None or live.paused == pause or self.media is None:
            return False
        live.paused = pause
        fact = RecordingPaused if pause else RecordingResumed
        now = self.clock.now()
        self._batches.put_nowait(Batch([fact(at=now, call=call, recording=live.id, agent=agent)]))
        with contextlib.suppress(CentralinoError):  # the leg has just ended: nothing left to pause
            (self.media.pause_recording if pause else self.media.resume_recording)(live.leg)
        return True

    def _sweep_recordings(self) -> None:
        """Delete recordings past their retention now and every ``sweep_every`` seconds."""
        async def sweep() -> None:
            try:
                deleted = await asyncio.to_thread(self.records.sweep_recordings, self.clock.now())
            except Exception:
                log.exception("recording retention sweep failed")
                return
            if deleted:
                log.info("deleted %d recordings past their retention", len(deleted))
        if self._loop is None or self._stopping:
            return
        task = self._loop.create_task(sweep(), name="recording-sweep")
        self._recording_tasks.add(task)
        task.add_done_callback(self._recording_tasks.discard)
        self._sweep = self._loop.call_later(self.settings.sweep_every, self._sweep_recordings)
