"""``Switch``: SIP legs plus media behind the neutral call-control API the engines use.

The asyncio shell that owns a ``SipEndpoint`` (driving a ``SwitchAgent``) and a
``MediaEngine``. The engines see only ``centralino.calls``: they get events
through ``handler`` and give commands with ``command()`` (fire and forget) or
``await execute()``.

Why a queue: the user agent emits events from inside the endpoint's drain
and some commands need an ``await`` (a media leg's sockets are opened before
its SDP can be written). Every SIP event, media event and command goes
through one ``asyncio.Queue`` served by one task, so the handler sees events
in the order they happened and commands run in the order they were given,
each to completion, without locks.

How each command maps to SIP and media is tabled in docs/telephony.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from centralino.calls.commands import (
    Bridge,
    Collect,
    Command,
    Echo,
    Hangup,
    Hold,
    Play,
    Reject,
    Resume,
    Ring,
    StartRecording,
    StopPlayback,
    StopRecording,
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
    Resumed,
    Ringing,
)
from centralino.core.clock import Clock, SystemClock
from centralino.core.errors import CentralinoError
from centralino.core.ids import new_id
from centralino.media.engine import MediaEngine
from centralino.media.stats import LegStats
from centralino.sip import sdp
from centralino.sip.endpoint import SipEndpoint
from centralino.sip.errors import SipParseError
from centralino.sip.ratelimit import RateLimitConfig
from centralino.sip.registrar import Registrar
from centralino.sip.timers import TimerConfig
from centralino.sip.transport import DEFAULT_SOCKET_BUFFER
from centralino.sip.ua import UaConfig
from centralino.telephony.agent import Progress, SwitchAgent
from centralino.telephony.legs import RemoteMedia, SwitchLeg, remote_media
from centralino.telephony.targets import TargetResolver, TargetUnreachable

__all__ = ["Handler", "Switch", "SwitchConfig"]

log = logging.getLogger(__name__)

Handler = Callable[[CallEvent], None]


@dataclass(frozen=True, slots=True)
class SwitchConfig:
    bind: str = "0.0.0.0"
    port: int = 5060
    tcp: bool = True
    # False: signalling only (no media engine); SDP is passed between paired legs unchanged.
    media: bool = True
    moh: str | None = None  # prompt looped to a held party; None: silence
    transfer: str = "server"  # blind transfers: "server" (ring, then bridge) or "refer" (RFC 3515)
    user_agent: str = "Centralino"
    # Kernel buffer asked for the SIP UDP socket (capped by net.core.rmem_max); None: system default.
    udp_buffer: int | None = DEFAULT_SOCKET_BUFFER


_Item = tuple[str, object, "asyncio.Future[None] | None"]


class Switch:
    """Start with ``await start(media)``; stop with ``await stop()``."""

    def __init__(
        self,
        config: SwitchConfig | None = None,
        *,
        resolver: TargetResolver | None = None,
        handler: Handler | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        timers: TimerConfig | None = None,
        rate_limit: RateLimitConfig | None = None,
        registrar: Registrar | None = None,
        domains: tuple[str, ...] = (),
    ) -> None:
        self.config = config or SwitchConfig()
        self.registrar = registrar
        self.resolver = resolver or TargetResolver(locate=registrar.lookup if registrar else None,
                                                   domains=domains)
        self.handler = handler
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.media: MediaEngine | None = None
        self.legs: dict[str, SwitchLeg] = {}
        self.ended: dict[str, SwitchLeg] = {}  # last legs that ended, for call records (bounded)
        self.agent = SwitchAgent(
            on_event=self._on_sip_event, clock=self.clock, rng=self.rng, registrar=registrar,
            config=UaConfig(user_agent=self.config.user_agent, session=self._session))
        self.endpoint = SipEndpoint(self.config.bind, self.config.port, self.agent, tcp=self.config.tcp,
                                    timers=timers, rate_limit=rate_limit, rng=self.rng,
                                    udp_buffer=self.config.udp_buffer)
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._pairs: dict[str, str] = {}  # signalling-only mode: leg -> the leg whose SDP it gets
        self._paired_to: dict[str, set[str]] = {}  # the reverse: leg -> the legs that get its SDP
        self._transfers: dict[str, str] = {}  # new leg ringing the target -> the leg being transferred
        self._linked: dict[str, str] = {}  # legs the switch joined itself (transfers): one ends both
        self._refused: set[str] = set()  # inbound legs refused before the handler heard of them
        self._expiry: asyncio.TimerHandle | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    async def start(self, media: MediaEngine | None = None) -> None:
        """Bind SIP and start serving; ``media`` is required unless ``config.media`` is False."""
        if self.config.media and media is None:
            raise CentralinoError("Switch.start: a media engine is needed (or SwitchConfig(media=False))")
        self.media = media
        await self.endpoint.start()
        self._worker = asyncio.get_running_loop().create_task(self._serve(), name="switch")
        self._expire_registrations()

    def _expire_registrations(self) -> None:
        """Drop expired bindings, then sleep until the next expiry (checked at least once a minute)."""
        if self.registrar is None:
            return
        now = self.clock.now()
        self.registrar.expire(now)
        self.registrar.flush()
        deadline = self.registrar.next_deadline()
        delay = 60.0 if deadline is None else min(60.0, max(0.05, deadline - now))
        self._expiry = asyncio.get_running_loop().call_later(delay, self._expire_registrations)

    async def stop(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        for leg in list(self.legs.values()):
            if leg.state != "ended":
                self.endpoint.command(Hangup(leg=leg.id, cause="shutdown"))
        await self.drain()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self.endpoint.stop()

    async def drain(self) -> None:
        """Wait until every queued event and command has been handled."""
        await self._queue.join()

    @property
    def port(self) -> int:
        return self.endpoint.local.port

    # ---- the API the engines use ---------------------------------------------------------------

    def command(self, command: Command) -> None:
        """Queue a command; it runs after everything queued before it."""
        self._queue.put_nowait(("command", command, None))

    async def execute(self, command: Command) -> None:
        """Run a command and wait until it has been applied (not until the peer answers)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(("command", command, done))
        await done

    def on_media_event(self, event: CallEvent) -> None:
        """The media engine's ``on_event``: DigitsReceived, PlaybackFinished, Timeout."""
        self._queue.put_nowait(("event", event, None))

    def stats(self, leg: str) -> LegStats | None:
        """Media statistics (loss, jitter): live while the leg lasts, final after it ended."""
        state = self.legs.get(leg) or self.ended.get(leg)
        if state is None:
            return None
        if state.stats is None and self.media is not None and state.media is not None:
            return self.media.stats(leg)
        return state.stats

    def progress(self, leg: str, code: int = 180) -> None:
        """Send 180 Ringing (or 183) on an inbound leg not yet answered."""
        self.command(Progress(leg=leg, code=code))

    def echo(self, leg: str) -> None:
        """Send the leg's own audio back to it (the echo test number)."""
        if self.media is not None and leg in self.legs:
            self.media.echo(leg)

    def pair_sdp(self, inbound: str, outbound: str) -> None:
        """Signalling-only mode: ``outbound`` offers ``inbound``'s offer, ``inbound`` answers with
        ``outbound``'s answer, so RTP flows between the two peers directly."""
        for leg, other in ((outbound, inbound), (inbound, outbound)):
            self._unlink_pair(leg)
            self._pairs[leg] = other
            self._paired_to.setdefault(other, set()).add(leg)

    def _unlink_pair(self, leg: str) -> None:
        """``leg`` no longer takes its SDP from anyone (its entry and the reverse one go)."""
        other = self._pairs.pop(leg, None)
        if other is not None:
            takers = self._paired_to.get(other)
            if takers is not None:
                takers.discard(leg)
                if not takers:
                    del self._paired_to[other]

    def _unpair(self, leg: str) -> None:
        """A leg ended: forget its pairing both ways, by index (no scan of every pair)."""
        self._unlink_pair(leg)
        for taker in self._paired_to.pop(leg, ()):
            if self._pairs.get(taker) == leg:
                del self._pairs[taker]

    # ---- the queue -----------------------------------------------------------------------------

    def _on_sip_event(self, event: CallEvent) -> None:
        self._queue.put_nowait(("sip", event, None))

    async def _serve(self) -> None:
        while True:
            kind, item, done = await self._queue.get()
            try:
                if kind == "command":
                    assert isinstance(item, Command)
                    await self._apply(item)
                elif kind == "sip":
                    assert isinstance(item, CallEvent)
                    await self._sip_event(item)
                else:
                    assert isinstance(item, CallEvent)
                    self._deliver(item)
            except Exception:
                log.exception("switch: %s %r failed", kind, item)
            finally:
                if done is not None and not done.done():
                    done.set_result(None)
                self._queue.task_done()

    def _deliver(self, event: CallEvent) -> None:
        if self.handler is None:
            return
        try:
            self.handler(event)
        except Exception:  # one broken handler call must not stop every other call's events
            log.exception("switch: handler failed on %s", event)

    # ---- SIP events ----------------------------------------------------------------------------

    async def _sip_event(self, event: CallEvent) -> None:
        if isinstance(event, CallOffered):
            offered = self.legs[event.leg] = SwitchLeg(event.leg, "inbound", "offered", created_at=event.at,
                                                       session_id=self.rng.getrandbits(31))
            if self.media is not None:
                try:
                    offered.media = await self.media.allocate(event.leg)
                except CentralinoError as exc:
                    log.warning("call %s refused: %s", event.leg, exc)
                    self.legs.pop(event.leg, None)
                    self._refused.add(event.leg)  # the handler never hears of this leg
                    self.endpoint.command(Reject(leg=event.leg, code=503, reason="Service Unavailable"))
                    return
            self._deliver(event)
            return
        leg = self.legs.get(event.leg)
        if isinstance(event, Ringing) and leg is not None:
            leg.state = "ringing"
        elif isinstance(event, Answered) and leg is not None:
            leg.state, leg.answered_at = "up", event.at
            if leg.direction == "outbound":
                self._update_remote(leg)
            target_of = self._transfers.pop(event.leg, None)
            if target_of is not None:
                self._stop_moh(target_of)
                self._bridge(target_of, event.leg)
                self._linked[target_of], self._linked[event.leg] = event.leg, target_of
        elif isinstance(event, (Held, Resumed)) and leg is not None:
            leg.held = isinstance(event, Held)
            self._update_remote(leg)
        elif isinstance(event, (HungUp, Failed)):
            if event.leg in self._refused:
                self._refused.discard(event.leg)
                return
            transferred = self._transfers.pop(event.leg, None)
            if transferred is not None:  # a blind transfer's target never answered: the caller is alone
                reason = f"transfer failed {event.code}" if isinstance(event, Failed) else "transfer failed"
                self.endpoint.command(Hangup(leg=transferred, cause=reason))
            other = self._linked.pop(event.leg, None)
            if other is not None:
                self._linked.pop(other, None)
                cause = event.cause if isinstance(event, HungUp) else f"failed {event.code}"
                self.endpoint.command(Hangup(leg=other, cause=cause))
            if leg is not None:
                await self._end(leg, event.at)
            else:
                self._unpair(event.leg)  # a leg that never got this far (e.g. its target did not resolve)
        self._deliver(event)

    async def _end(self, leg: SwitchLeg, at: float) -> None:
        leg.state, leg.ended_at = "ended", at
        partner = self.legs.get(leg.bridged or "")
        if partner is not None and partner.bridged == leg.id:
            partner.bridged = None
        self._unpair(leg.id)
        if self.media is not None and leg.media is not None:
            with contextlib.suppress(CentralinoError):
                leg.stats = await self.media.release(leg.id)
        self.legs.pop(leg.id, None)
        self.ended[leg.id] = leg
        while len(self.ended) > 10_000:
            self.ended.pop(next(iter(self.ended)))

    def _update_remote(self, leg: SwitchLeg) -> None:
        ua_leg = self.agent.legs.get(leg.id)
        if self.media is None or leg.media is None or ua_leg is None or not ua_leg.remote_sdp.strip():
            return
        try:
            remote = remote_media(sdp.SessionDescription.parse(ua_leg.remote_sdp))
        except SipParseError as exc:
            log.info("leg %s: unusable SDP from the peer (%s)", leg.id, exc)
            return
        self._set_remote(leg, remote)

    def _set_remote(self, leg: SwitchLeg, remote: RemoteMedia | None) -> None:
        if remote is None or self.media is None or remote == leg.remote:
            return
        leg.remote = remote
        self.media.set_remote(leg.id, remote.host, remote.port, remote.payload_type, remote.dtmf_pt)

    # ---- SDP (called by the user agent, synchronously, while it builds a message) --------------

    def _session(self, leg_id: str, remote: bytes) -> bytes | None:
        if not self.config.media:
            other = self.agent.legs.get(self._pairs.get(leg_id, ""))
            return other.remote_sdp if other is not None and other.remote_sdp.strip() else None
        leg = self.legs.get(leg_id)
        if leg is None or leg.media is None:
            return None
        host, port = leg.media.host, leg.media.port
        leg.session_version += 1
        if not remote.strip():
            return bytes(sdp.make_offer(host, port, session_id=leg.session_id,
                                        session_version=leg.session_version))
        offer = sdp.SessionDescription.parse(remote)  # SipParseError: the UA answers 488
        answer = sdp.answer(offer, host, port, session_id=leg.session_id, session_version=leg.session_version)
        self._set_remote(leg, remote_media(offer, answer))
        return bytes(answer)

    # ---- commands ------------------------------------------------------------------------------

    async def _apply(self, command: Command) -> None:
        if isinstance(command, Ring):
            await self._ring(command)
        elif isinstance(command, Bridge):
            self._bridge(command.leg, command.other)
        elif isinstance(command, Hold):
            self._hold(command)
        elif isinstance(command, Resume):
            self._resume(command)
        elif isinstance(command, Transfer):
            await self._transfer(command)
        elif isinstance(command, Echo):
            self.echo(command.leg)
        elif isinstance(command, (Play, StopPlayback, Collect, StartRecording, StopRecording)):
            self._media_command(command)
        else:  # Answer, Reject, Hangup, Progress: the user agent's
            self.endpoint.command(command)

    async def _ring(self, command: Ring) -> None:
        try:
            uri = self.resolver.resolve(command.target)
        except TargetUnreachable as exc:
            failed = Failed(at=self.clock.now(), leg=command.leg, code=exc.code, reason=str(exc))
            await self._sip_event(failed)
            return
        leg = SwitchLeg(command.leg, "outbound", "calling", created_at=self.clock.now(),
                        session_id=self.rng.getrandbits(31))
        self.legs[command.leg] = leg
        if self.media is not None:
            try:
                leg.media = await self.media.allocate(command.leg)
            except CentralinoError as exc:
                self.legs.pop(command.leg, None)
                await self._sip_event(Failed(at=self.clock.now(), leg=command.leg, code=503, reason=str(exc)))
                return
        self.endpoint.command(Ring(leg=command.leg, target=uri, timeout=command.timeout,
                                   caller_id=command.caller_id))

    def _bridge(self, a: str, b: str) -> None:
        leg_a, leg_b = self.legs.get(a), self.legs.get(b)
        if leg_a is None or leg_b is None:
            log.info("bridge %s <-> %s ignored: a leg has ended", a, b)
            return
        for leg in (leg_a, leg_b):
            old = self.legs.get(leg.bridged or "")
            if old is not None and old.id not in (a, b):
                old.bridged = None
        if self.media is not None and leg_a.media is not None and leg_b.media is not None:
            self.media.bridge(a, b)
        leg_a.bridged, leg_b.bridged = b, a
        now = self.clock.now()
        self._deliver(Bridged(at=now, leg=a, other=b))
        self._deliver(Bridged(at=now, leg=b, other=a))

    def _hold(self, command: Hold) -> None:
        self.endpoint.command(command)
        if self.media is not None and self.config.moh and command.leg in self.legs:
            with contextlib.suppress(CentralinoError):
                self.media.play(command.leg, [self.config.moh], playback_id="moh", loop=True)

    def _resume(self, command: Resume) -> None:
        self.endpoint.command(command)
        self._stop_moh(command.leg)

    def _stop_moh(self, leg: str) -> None:
        if self.media is not None and self.config.moh and leg in self.legs:
            with contextlib.suppress(CentralinoError):
                self.media.stop_playback(leg)

    async def _transfer(self, command: Transfer) -> None:
        leg = self.legs.get(command.leg)
        if leg is None:
            return
        if command.attended_with is not None:  # join the held party to the consultation leg
            other = command.attended_with
            for partner in {leg.bridged, self.legs[other].bridged if other in self.legs else None}:
                if partner is not None and partner not in (leg.id, other):
                    self.endpoint.command(Hangup(leg=partner, cause="transferred"))
            if leg.held:
                self._resume(Resume(leg=leg.id))
            self._bridge(leg.id, other)
            return
        target_leg = new_id(self.clock.now(), self.rng)
        try:
            uri = self.resolver.resolve(command.target)
        except TargetUnreachable as exc:  # reported on the leg that would have rung; the call is untouched
            self._deliver(Failed(at=self.clock.now(), leg=target_leg, code=exc.code, reason=str(exc)))
            return
        if self.config.transfer == "refer":
            self.endpoint.command(Transfer(leg=leg.id, target=uri))
            return
        partner = leg.bridged
        if partner is not None:
            if self.media is not None:
                with contextlib.suppress(CentralinoError):
                    self.media.unbridge(leg.id)
            if partner in self.legs:
                self.legs[partner].bridged = None
            leg.bridged = None
            self.endpoint.command(Hangup(leg=partner, cause="transferred"))
        if self.media is not None and self.config.moh:
            with contextlib.suppress(CentralinoError):
                self.media.play(leg.id, [self.config.moh], playback_id="moh", loop=True)
        self._transfers[target_leg] = leg.id
        await self._ring(Ring(leg=target_leg, target=uri))

    def _media_command(self, command: Command) -> None:
        media = self.media
        if media is None or command.leg not in self.legs:
            log.info("%s on leg %s ignored: no media for it", command.kind, command.leg)
            return
        try:
            if isinstance(command, Play):
                media.play(command.leg, command.prompts, command.playback, command.loop, command.barge_in)
            elif isinstance(command, StopPlayback):
                media.stop_playback(command.leg)
            elif isinstance(command, Collect):
                media.collect(command.leg, command.max_digits, command.first_timeout, command.inter_timeout,
                              command.terminator)
            elif isinstance(command, StartRecording):
                media.record(command.leg, Path(command.path), command.stereo)
            elif isinstance(command, StopRecording):
                media.stop_recording(command.leg)
        except CentralinoError as exc:
            log.warning("%s on leg %s failed: %s", command.kind, command.leg, exc)
