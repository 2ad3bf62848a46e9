"""The media engine: the interface the call controller uses, and the asyncio implementation.

``MediaEngine`` is the seam: the controller allocates a leg, hands it the
remote address from the SDP, then asks for prompts, digits, bridges,
recordings and monitoring by leg id, and hears back through ``on_event`` in
the neutral vocabulary of ``centralino.calls`` (``DigitsReceived``,
``PlaybackFinished``, ``Timeout``). A native engine (rtpengine driven over its
ng protocol) can implement the same protocol for large installations.

``LocalMediaEngine`` does it in-process. Everything that must be paced
(prompts, music on hold, DTMF sending, recording, supervisor mixes, digit
timeouts, RTCP) happens in one 20 ms tick per engine, scheduled on an absolute
timetable (``start + n * 20 ms`` with ``loop.call_at``) so it never drifts;
bridged and echoed audio is relayed the moment it arrives, re-stamped for the
outgoing stream, and transcoded µ-law <-> A-law when the legs differ.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from centralino.calls.events import CallEvent, DigitsReceived, PlaybackFinished, Timeout
from centralino.core.clock import Clock, SystemClock
from centralino.core.errors import NotFound
from centralino.media.collector import DigitCollector
from centralino.media.dtmf import DtmfFrame, dtmf_frames
from centralino.media.g711 import CODECS, transcode
from centralino.media.jitter import JitterBuffer
from centralino.media.mixer import MonitorMode, monitor
from centralino.media.player import Playback, PromptCache
from centralino.media.recorder import WavRecorder
from centralino.media.session import PortRange, RtpSession
from centralino.media.stats import LegStats

__all__ = ["LocalMediaEngine", "MediaAddress", "MediaEngine"]

log = logging.getLogger(__name__)
TICK = 0.02
_RTCP_TICKS = 250  # 5 s between a leg's RTCP reports, legs staggered over the ticks
_SILENCE = np.zeros(160, np.int16)
_EMPTY = np.zeros(0, np.int16)


@dataclass(frozen=True, slots=True)
class MediaAddress:
    """Where a leg's media is received: goes into our SDP (c= and m= lines)."""

    host: str
    port: int


class MediaEngine(Protocol):
    async def allocate(self, leg: str) -> MediaAddress: ...
    def set_remote(
        self, leg: str, host: str, port: int, payload_type: int = 0, dtmf_pt: int = 101
    ) -> None: ...
    def play(
        self, leg: str, prompts: Sequence[str], playback_id: str = "", loop: bool = False,
        barge_in: bool = False,
    ) -> None: ...
    def stop_playback(self, leg: str) -> None: ...
    def collect(
        self, leg: str, max_digits: int, first_timeout: float = 5.0, inter_timeout: float = 3.0,
        terminator: str = "#",
    ) -> None: ...
    def send_dtmf(self, leg: str, keys: str) -> None: ...
    def bridge(self, leg: str, other: str) -> None: ...
    def unbridge(self, leg: str) -> None: ...
    def record(self, leg: str, path: Path, stereo: bool = True) -> None: ...
    def pause_recording(self, leg: str) -> None: ...
    def resume_recording(self, leg: str) -> None: ...
    def stop_recording(self, leg: str) -> None: ...
    def monitor(self, supervisor: str, agent: str, mode: MonitorMode) -> None: ...
    def conference(self, caller: str, agent: str, third: str) -> None: ...
    def echo(self, leg: str) -> None: ...
    def stats(self, leg: str) -> LegStats: ...
    async def release(self, leg: str) -> LegStats: ...


@dataclass(eq=False)
class _Leg:
    id: str
    session: RtpSession
    index: int
    peer: _Leg | None = None
    playback: Playback | None = None
    last_played: bytes | None = None
    collector: DigitCollector | None = None
    dtmf_out: list[tuple[DtmfFrame, int | None]] = field(default_factory=list)
    dtmf_ts: int | None = None
    echo: bool = False
    mixed: bool = False  # fed by the tick's mix instead of the relay (whisper/barge)
    heard: JitterBuffer | None = None  # what this leg says, paced for recorder and mixer
    heard_rest: np.ndarray = field(default_factory=lambda: _EMPTY)  # samples beyond the last tick
    recorder: WavRecorder | None = None


@dataclass(eq=False)
class _Monitor:
    supervisor: _Leg
    agent: _Leg
    caller: _Leg
    mode: MonitorMode


class LocalMediaEngine:
    def __init__(
        self, on_event: Callable[[CallEvent], None], prompts: PromptCache, ports: PortRange | None = None,
        host: str = "127.0.0.1", clock: Clock | None = None, rng: random.Random | None = None,
        cname: str = "centralino",
    ) -> None:
        self.on_event = on_event
        self.prompts = prompts
        self.ports = ports or PortRange()
        self.host = host
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.cname = cname
        self._legs: dict[str, _Leg] = {}
        self._count = 0
        self._playing: set[_Leg] = set()
        self._attention: set[_Leg] = set()  # legs with DTMF to send, digits to collect or a recording
        self._rtcp_slots: list[set[_Leg]] = [set() for _ in range(_RTCP_TICKS)]  # report on tick % 250
        self._monitors: list[_Monitor] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start = 0.0
        self._n = 0
        self._handle: asyncio.TimerHandle | None = None
        self.ticks = 0
        self.late_ticks = 0  # ticks that ran more than one frame late
        self.max_lateness = 0.0

    # lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._start = self._loop.time()
        self._n = 0
        self._handle = self._loop.call_at(self._start, self._tick)

    async def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        for leg in list(self._legs):
            await self.release(leg)

    def _leg(self, leg: str) -> _Leg:
        try:
            return self._legs[leg]
        except KeyError:
            raise NotFound(f"media leg {leg!r} is not allocated (or already released)") from None

    def _emit(self, event: CallEvent) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken listener must not stop the media of every call
            log.exception("media event listener failed on %s", event)

    # the interface

    async def allocate(self, leg: str) -> MediaAddress:
        session = RtpSession(leg, self.host, self.rng, self.cname)
        port = await session.open(self.ports)
        session.on_rtp = self._on_rtp
        state = self._legs[leg] = _Leg(leg, session, self._count)
        self._rtcp_slots[self._count % _RTCP_TICKS].add(state)
        self._count += 1
        return MediaAddress(self.host, port)

    def set_remote(self, leg: str, host: str, port: int, payload_type: int = 0, dtmf_pt: int = 101) -> None:
        self._leg(leg).session.set_remote(host, port, payload_type, dtmf_pt)

    def play(
        self, leg: str, prompts: Sequence[str], playback_id: str = "", loop: bool = False,
        barge_in: bool = False,
    ) -> None:
        state = self._leg(leg)
        resolved = [self.prompts.get(name) for name in prompts]
        self._finish_playback(state, interrupted=True)
        state.playback = Playback(resolved, state.session.codec, playback_id, loop, barge_in)
        self._playing.add(state)

    def stop_playback(self, leg: str) -> None:
        self._finish_playback(self._leg(leg), interrupted=True)

    def _finish_playback(self, leg: _Leg, interrupted: bool) -> None:
        playback = leg.playback
        if playback is None:
            return
        leg.playback = None
        self._playing.discard(leg)
        at = self.clock.now()
        self._emit(PlaybackFinished(at=at, leg=leg.id, playback=playback.id, interrupted=interrupted))

    def collect(
        self, leg: str, max_digits: int, first_timeout: float = 5.0, inter_timeout: float = 3.0,
        terminator: str = "#",
    ) -> None:
        state = self._leg(leg)
        state.collector = DigitCollector(max_digits, self._now(), first_timeout, inter_timeout, terminator)
        self._attention.add(state)

    def send_dtmf(self, leg: str, keys: str) -> None:
        state = self._leg(leg)
        for key in keys:
            frames = dtmf_frames(key)
            state.dtmf_out.extend((frame, i) for i, frame in enumerate(frames))
        self._attention.add(state)

    def bridge(self, leg: str, other: str) -> None:
        a, b = self._leg(leg), self._leg(other)
        for state in (a, b):
            if state.peer is not None and state.peer not in (a, b):
                self.unbridge(state.id)
            self._finish_playback(state, interrupted=True)
        a.peer, b.peer = b, a

    def unbridge(self, leg: str) -> None:
        state = self._leg(leg)
        if state.peer is not None:
            state.peer.peer = None
            state.peer = None

    def record(self, leg: str, path: Path, stereo: bool = True) -> None:
        state = self._leg(leg)
        if state.recorder is not None:
            state.recorder.close(self._now())
        state.recorder = WavRecorder(Path(path), self._now(), stereo=stereo)
        state.heard = state.heard or JitterBuffer()
        self._attention.add(state)

    def pause_recording(self, leg: str) -> None:
        if (recorder := self._leg(leg).recorder) is not None:
            recorder.pause()

    def resume_recording(self, leg: str) -> None:
        if (recorder := self._leg(leg).recorder) is not None:
            recorder.resume()

    def stop_recording(self, leg: str) -> None:
        state = self._leg(leg)
        if state.recorder is not None:
            state.recorder.close(self._now())
            state.recorder = None

    def monitor(self, supervisor: str, agent: str, mode: MonitorMode) -> None:
        sup, ag = self._leg(supervisor), self._leg(agent)
        if ag.peer is None:
            raise NotFound(f"leg {agent!r} is not in a call; a supervisor can only join a bridged leg")
        self._monitors = [m for m in self._monitors if m.supervisor is not sup]
        for state in (sup, ag, ag.peer):
            state.heard = state.heard or JitterBuffer()
        ag.mixed = mode is not MonitorMode.LISTEN
        ag.peer.mixed = mode is MonitorMode.BARGE
        self._monitors.append(_Monitor(sup, ag, ag.peer, mode))

    def conference(self, caller: str, agent: str, third: str) -> None:
        """Three parties, each hearing the other two (a transfer's conference).

        The caller and the agent are bridged (re-bridged if a consultation had moved the agent to
        the third party) and the third joins as in a barge: the tick mixes for all three. When
        any of them is released the mix ends with it and the other two are left unbridged or
        bridged as they were; the dial plan bridges the remaining pair.
        """
        a, b, c = self._leg(caller), self._leg(agent), self._leg(third)
        self.unbridge(third)
        self.bridge(caller, agent)
        self._finish_playback(c, interrupted=True)
        self._monitors = [m for m in self._monitors if not {m.supervisor, m.agent, m.caller} & {a, b, c}]
        for state in (a, b, c):
            state.heard = state.heard or JitterBuffer()
        a.mixed = b.mixed = True
        self._monitors.append(_Monitor(c, b, a, MonitorMode.BARGE))

    def echo(self, leg: str) -> None:
        self._leg(leg).echo = True

    def stats(self, leg: str) -> LegStats:
        return self._leg(leg).session.summary()

    async def release(self, leg: str) -> LegStats:
        state = self._leg(leg)
        self.unbridge(leg)
        for m in [m for m in self._monitors if state in (m.supervisor, m.agent, m.caller)]:
            self._monitors.remove(m)
            m.agent.mixed = m.caller.mixed = False
        self.stop_recording(leg)
        state.playback = None
        self._playing.discard(state)
        self._attention.discard(state)
        self._rtcp_slots[state.index % _RTCP_TICKS].discard(state)
        del self._legs[leg]
        state.session.close()
        return state.session.summary()

    # media paths

    def _now(self) -> float:
        return self._loop.time() if self._loop is not None else self.clock.monotonic()

    def _on_rtp(
        self, session: RtpSession, payload_type: int, sequence: int, timestamp: int, ssrc: int,
        marker: bool, payload: bytes, now: float,
    ) -> None:
        leg = self._legs.get(session.leg)
        if leg is None:
            return
        peer = leg.peer
        if payload_type == session.dtmf_pt:
            hit = session.dtmf.receive(timestamp, payload)
            if hit is not None:
                self._key(leg, hit.key, now)
            if peer is not None and peer.playback is None:
                peer.session.relay(ssrc, timestamp, marker, payload, now, peer.session.dtmf_pt)
            return
        source = CODECS.get(payload_type)
        if source is None:
            return  # comfort noise and codecs we did not offer
        if leg.heard is not None:
            leg.heard.push(sequence, source.decode(payload).tobytes())
        if leg.echo:
            out = session.codec
            session.relay(ssrc, timestamp, marker, transcode(payload, source, out), now, out.payload_type)
        if peer is not None and peer.playback is None and not peer.mixed:
            out = peer.session.codec
            if out is not source:
                payload = transcode(payload, source, out)
            peer.session.relay(ssrc, timestamp, marker, payload, now, out.payload_type)

    def _key(self, leg: _Leg, key: str, now: float) -> None:
        if leg.playback is not None and leg.playback.key(key):
            self._finish_playback(leg, interrupted=True)
        at = self.clock.now()
        if leg.collector is None:
            self._emit(DigitsReceived(at=at, leg=leg.id, digits=key))
            return
        done = leg.collector.key(key, now)
        if done is not None:
            leg.collector = None
            self._emit(DigitsReceived(at=at, leg=leg.id, digits=done.digits))

    def _tick(self) -> None:
        loop = self._loop
        assert loop is not None
        now = loop.time()
        lateness = now - (self._start + self._n * TICK)
        self.ticks += 1
        if lateness > TICK:
            self.late_ticks += 1
        self.max_lateness = max(self.max_lateness, lateness)
        try:
            self._work(now)
        except Exception:
            log.exception("media tick failed")
        self._n += 1
        if lateness > 10 * TICK:  # hopelessly behind (suspended, overloaded): skip ahead, do not burst
            self._n = int((now - self._start) / TICK) + 1
        self._handle = loop.call_at(self._start + self._n * TICK, self._tick)

    def _work(self, now: float) -> None:
        for leg in list(self._playing):
            playback = leg.playback
            frame = playback.next_frame() if playback is not None else None
            if frame is None:
                self._finish_playback(leg, interrupted=False)
                continue
            leg.session.send(frame, now)
            leg.last_played = frame
        for leg in list(self._attention):  # only the few legs that need more than their frame
            if leg.dtmf_out:
                self._send_dtmf_frame(leg, now)
            if leg.collector is not None:
                self._expire(leg, now)
            if leg.recorder is not None:
                self._record(leg, now)
            if not leg.dtmf_out and leg.collector is None and leg.recorder is None:
                self._attention.discard(leg)
        for leg in list(self._rtcp_slots[self.ticks % _RTCP_TICKS]):
            if leg.session.remote is not None:
                leg.session.send_report(self.clock.now(), now)
        for m in self._monitors:
            self._mix(m, now)

    def _expire(self, leg: _Leg, now: float) -> None:
        assert leg.collector is not None
        done = leg.collector.expire(now)
        if done is None:
            return
        leg.collector = None
        if done.digits:
            self._emit(DigitsReceived(at=self.clock.now(), leg=leg.id, digits=done.digits))
        else:
            self._emit(Timeout(at=self.clock.now(), leg=leg.id, name="collect"))

    def _send_dtmf_frame(self, leg: _Leg, now: float) -> None:
        frame, index = leg.dtmf_out.pop(0)
        if index == 0:
            leg.dtmf_ts = None
        leg.dtmf_ts = leg.session.send_event(frame.payload, leg.dtmf_ts, frame.marker, now)

    @staticmethod
    def _pop(leg: _Leg | None) -> np.ndarray:
        """The next tick's 160 samples of what ``leg`` says.

        Peers packetise at 10, 20, 30 ms or more (SIPp's ``g711a.pcap`` sends 30 ms), while the
        recorder and the mixer work in 20 ms ticks: samples beyond one tick are kept for the next,
        and an underrun is padded with silence rather than shortening the frame.
        """
        if leg is None or leg.heard is None:
            return _SILENCE
        size = len(_SILENCE)
        rest = leg.heard_rest
        while len(rest) < size:
            packet = leg.heard.pop()
            if packet is None:
                break
            rest = np.concatenate((rest, np.frombuffer(packet, np.int16)))
        if len(rest) >= size:
            leg.heard_rest = rest[size:]
            return rest[:size]
        leg.heard_rest = _EMPTY
        return _SILENCE if not len(rest) else np.concatenate((rest, _SILENCE[len(rest):]))

    def _record(self, leg: _Leg, now: float) -> None:
        assert leg.recorder is not None
        if leg.peer is not None:
            if leg.peer.heard is None:
                leg.peer.heard = JitterBuffer()
            other = self._pop(leg.peer)
        elif leg.playback is not None and leg.last_played is not None:
            other = leg.session.codec.decode(leg.last_played)
        else:
            other = _SILENCE
        leg.recorder.write(self._pop(leg), other, now)

    def _mix(self, m: _Monitor, now: float) -> None:
        out = monitor(m.mode, self._pop(m.caller), self._pop(m.agent), self._pop(m.supervisor))
        targets = ((m.supervisor, out.to_supervisor), (m.agent, out.to_agent), (m.caller, out.to_caller))
        for leg, frame in targets:
            if leg is m.supervisor or leg.mixed:
                leg.session.send(leg.session.codec.encode(frame), now)
