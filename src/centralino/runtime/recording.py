"""Call recording in the live node: the configured policy applied when a caller meets an agent.

The decisions are ``centralino.records.recordings``' (policy per tenant and queue, sampling
with an injected ``random.Random``, the file's place); this module is the node's bookkeeping
around them, without I/O of its own except a recording's folder and reading a finished file:

* ``expand(outputs)``: a batch of dial-plan outputs in which a ``CallConnected`` meets its
  ``Bridge`` gets, right after that ``Bridge``, a ``StartRecording`` (stereo: the customer's
  leg left, what it hears — the agent — right) and a ``RecordingStarted`` fact, when the
  policy says so. The node commits the batch's facts before its commands, so the metadata is
  in the database before the first byte is written.
* ``ended(outputs)``: the recordings of calls a batch finishes (``CallFinished``), to be
  stopped and summarised (``summary``: seconds from the WAV header, size, SHA-256) into a
  ``RecordingStopped`` fact.
* ``leg_call``: which call a leg belongs to (its own id for callers, ``OfferRinging`` for
  agents' legs), for ``MediaQuality`` facts.

On-demand recordings (``start``), pause and resume come from the desktop through the node.
"""

from __future__ import annotations

import hashlib
import random
import wave
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from centralino.calls.commands import Bridge, StartRecording
from centralino.config.model import CenterConfig
from centralino.core.ids import new_id
from centralino.dialplan.contacts import Output
from centralino.media.stats import LegStats
from centralino.records.facts import (
    CallArrived,
    CallConnected,
    CallFinished,
    MediaQuality,
    OfferRinging,
    RecordingStarted,
    RecordingStopped,
)
from centralino.records.recordings import (
    RecordingPolicy,
    decide,
    effective_policy,
    may_start_on_demand,
    parse_policy,
    recording_file,
)

__all__ = ["Recorded", "Recordings", "quality_fact", "summary", "wav_figures"]

_KEEP = 20_000  # legs remembered for MediaQuality facts (a leg's last events come soon after the call)


@dataclass
class Recorded:
    """A recording in progress: on which leg, in which file (relative to the data directory)."""

    id: str
    call: str
    leg: str
    file: str
    started_at: float
    paused: bool = False


class Recordings:
    def __init__(self, config: CenterConfig, rng: random.Random, data_dir: Path) -> None:
        self.rng = rng
        self.data_dir = data_dir
        self.tenants: dict[str, RecordingPolicy] = {}
        self.queues: dict[tuple[str, str], RecordingPolicy] = {}
        for t in config.tenants:
            self.tenants[t.name] = parse_policy(t.recording, t.recording_retention_days)
            for q in t.queues:
                if q.recording is not None:
                    self.queues[(t.name, q.name)] = parse_policy(q.recording, t.recording_retention_days)
        self.live: dict[str, Recorded] = {}  # call -> its recording
        self._tenant_of: OrderedDict[str, str] = OrderedDict()  # call -> tenant
        self._call_of: OrderedDict[str, str] = OrderedDict()  # leg -> call

    def policy(self, tenant: str, queue: str | None) -> RecordingPolicy:
        base = self.tenants.get(tenant) or parse_policy("none")
        return effective_policy(base, self.queues.get((tenant, queue)) if queue else None)

    def leg_call(self, leg: str) -> str | None:
        return self._call_of.get(leg)

    def _remember(self, leg: str, call: str) -> None:
        self._call_of[leg] = call
        if len(self._call_of) > _KEEP:
            self._call_of.popitem(last=False)

    def expand(self, outputs: Sequence[Output]) -> list[Output]:
        """The batch with the recordings its connections start (see the module docstring)."""
        out: list[Output] = []
        connected: dict[str, CallConnected] = {}
        for o in outputs:
            if isinstance(o, CallArrived):
                self._tenant_of[o.call] = o.tenant
                if len(self._tenant_of) > _KEEP:
                    self._tenant_of.popitem(last=False)
                self._remember(o.call, o.call)
            elif isinstance(o, OfferRinging):
                self._remember(o.leg, o.call)
            elif isinstance(o, CallConnected):
                connected[o.call] = o
        for o in outputs:
            out.append(o)
            if not isinstance(o, Bridge) or not connected:
                continue
            call = next((c for c in connected.values()
                         if len(connected) == 1 or o.leg == c.call or self._call_of.get(o.leg) == c.call
                         or self._call_of.get(o.other) == c.call), None)
            if call is None or call.call in self.live:
                continue
            del connected[call.call]
            customer = o.other if call.callback else o.leg
            out.extend(self._auto(call, customer))
        return out

    def _auto(self, connected: CallConnected, leg: str) -> list[Output]:
        tenant = self._tenant_of.get(connected.call)
        if tenant is None:
            return []
        decision = decide(self.policy(tenant, connected.queue), self.rng)
        if not decision.record:
            return []
        return self._start(connected.call, leg, tenant, connected.queue, connected.at, decision.reason,
                           connected.agent)

    def start(self, call: str, leg: str, now: float, agent: str = "") -> list[Output]:
        """An agent's on-demand start: refused (empty) when the policy is ``none`` or one runs."""
        tenant = self._tenant_of.get(call)
        if tenant is None or call in self.live or not may_start_on_demand(self.policy(tenant, None)):
            return []
        return self._start(call, leg, tenant, None, now, "on-demand", agent)

    def _start(self, call: str, leg: str, tenant: str, queue: str | None, now: float, reason: str,
               agent: str) -> list[Output]:
        recording = new_id(now, self.rng)
        file = recording_file(tenant, recording, now)
        self.live[call] = Recorded(recording, call, leg, file, now)
        retention = self.policy(tenant, queue).retention_days
        path = self.data_dir / file
        path.parent.mkdir(parents=True, exist_ok=True)  # the recorder creates the file, not its folders
        return [StartRecording(leg=leg, path=str(path), stereo=True),
                RecordingStarted(at=now, call=call, recording=recording, tenant=tenant, file=file,
                                 reason=reason, retention_days=retention, agent=agent)]

    def ended(self, outputs: Sequence[Output]) -> list[Recorded]:
        """Recordings of the calls this batch finishes, no longer live."""
        done = [self.live.pop(o.call) for o in outputs if isinstance(o, CallFinished) and o.call in self.live]
        return done


def summary(recorded: Recorded, path: Path, now: float) -> RecordingStopped:
    """The finished file's figures: duration from its header, size, SHA-256 (read in a thread)."""
    seconds, size, sha256 = wav_figures(path)
    return RecordingStopped(at=now, call=recorded.call, recording=recorded.id, seconds=seconds,
                            size=size, sha256=sha256)


def wav_figures(path: Path) -> tuple[float, int, str]:
    """(seconds from the header, size, SHA-256) of a closed WAV; size 0 when there is no file."""
    digest = hashlib.sha256()
    size = 0
    seconds = 0.0
    if path.exists():
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        with wave.open(str(path)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
    return round(seconds, 3), size, digest.hexdigest()


def quality_fact(call: str, leg: str, stats: LegStats, now: float) -> MediaQuality:
    return MediaQuality(at=now, call=call, leg=leg, packets_sent=stats.packets_sent,
                        packets_received=stats.packets_received, packets_lost=stats.packets_lost,
                        loss_pct=stats.loss_pct, jitter_ms=stats.jitter_ms, max_jitter_ms=stats.max_jitter_ms)
