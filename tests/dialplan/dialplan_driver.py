"""A fake telephony switch for the dial plan: turns its commands into the next events, on a fake clock.

What a real switch would do, reduced to what the dial plan can observe: ``Answer`` answers at
once, ``Ring`` reaches a scripted phone (answer after a delay, never answer, reject, or
unreachable), ``Hangup`` ends a leg and reports it, ``Play`` finishes after a second per
prompt unless looped, ``StopPlayback`` reports the interrupted playback, ``Bridge`` joins
two legs. ``StartVoicemail`` records for a few seconds. Events are queued by (time, order),
and the dial plan's own deadline is served like any other, so runs are deterministic.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

from centralino.calls.commands import (
    Answer,
    Bridge,
    Command,
    Echo,
    Hangup,
    Play,
    Reject,
    Ring,
    StopPlayback,
    Transfer,
)
from centralino.calls.events import Answered, CallOffered, DigitsReceived, Failed, HungUp, PlaybackFinished
from centralino.dialplan import DialPlan, Effect, StartVoicemail
from centralino.ivr.actions import VoicemailRecorded

START = 1_741_770_000.0  # Wednesday 2025-03-12 09:00 UTC: 10:00 in Warsaw, office hours


@dataclass
class Phone:
    """How an agent's (or customer's) phone behaves when rung."""

    answer_after: float | None = 2.0  # None: never answers (rings until the ring timeout)
    reject_code: int | None = None  # fail with this code after ``answer_after`` instead
    talk: float | None = None  # hang up this long after answering (None: stays)


@dataclass
class Leg:
    id: str
    inbound: bool
    target: str = ""
    state: str = "offered"  # offered, ringing, up, ended
    playing: Play | None = None
    bridged: str | None = None
    echo: bool = False
    ended_by: str | None = None


@dataclass
class Switch:
    plan: DialPlan
    now: float = START
    phones: dict[str, Phone] = field(default_factory=dict)
    default_phone: Phone = field(default_factory=Phone)
    legs: dict[str, Leg] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    bridges: list[tuple[str, str]] = field(default_factory=list)
    audit: bool = True
    _queue: list[tuple[float, int, Any]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    # -- driving ------------------------------------------------------------

    def feed(self, event: Any) -> None:
        self._perform(self.plan.handle(event, self.now))

    def later(self, delay: float, event: Any) -> None:
        heapq.heappush(self._queue, (self.now + delay, next(self._seq), event))

    def call(self, leg: str, dialled: str, caller: str = "+48600000009") -> Leg:
        self.legs[leg] = Leg(leg, inbound=True, target=dialled)
        self.feed(CallOffered(leg=leg, at=self.now, caller=caller, dialled=dialled))
        self.settle()
        return self.legs[leg]

    def hang_up(self, leg: str) -> None:
        if self.legs[leg].state != "ended":
            self._end(leg, "remote")
            self.feed(HungUp(leg=leg, at=self.now, by="remote"))
            self.settle()

    def press(self, leg: str, digits: str) -> None:
        self.feed(DigitsReceived(leg=leg, at=self.now, digits=digits))
        self.settle()

    def settle(self) -> None:
        """Deliver everything due now (answers, hang-up reports), not advancing time."""
        self.run_until(self.now)

    def advance(self, seconds: float) -> None:
        self.run_until(self.now + seconds)

    def run_until(self, until: float) -> None:
        while True:
            deadline = self.plan.next_deadline()
            queued = self._queue[0][0] if self._queue else None
            if (deadline is None or deadline > until) and (queued is None or queued > until):
                break
            if queued is not None and (deadline is None or queued <= deadline):
                when, _, event = heapq.heappop(self._queue)
                self.now = max(self.now, when)
                if callable(event):
                    event()
                else:
                    self.feed(event)
            else:
                self.now = max(self.now, deadline or self.now)
                self._perform(self.plan.handle_timer(self.now))
            if self.audit:
                self.check()
        self.now = max(self.now, until)

    def check(self) -> None:
        """The plan's own audit, and no leg ringing here that the plan has forgotten."""
        assert self.plan.audit() == []
        known = self.plan.live_legs()
        lost = [leg.id for leg in self.ringing() if leg.id not in known]
        assert lost == [], f"legs still ringing that the dial plan forgot: {lost}"

    # -- what a switch does -------------------------------------------------

    def _perform(self, outputs: list[Any]) -> None:
        for out in outputs:
            if isinstance(out, Effect):
                self.effects.append(out)
                if isinstance(out, StartVoicemail):
                    self.later(5.0, self._voicemail_done(out.leg))
                continue
            self.commands.append(out)
            self._command(out)

    def _voicemail_done(self, leg: str) -> Any:
        def done() -> None:
            if self.legs[leg].state != "ended":
                self.feed(VoicemailRecorded(leg=leg, at=self.now, seconds=5.0))
        return done

    def _command(self, cmd: Command) -> None:
        leg = self.legs.get(cmd.leg)
        if isinstance(cmd, Ring):
            assert cmd.leg not in self.legs, "a new leg id must be new"
            self.legs[cmd.leg] = leg = Leg(cmd.leg, inbound=False, target=cmd.target, state="ringing")
            phone = self.phones.get(cmd.target, self.default_phone)
            if phone.answer_after is None or phone.answer_after >= cmd.timeout:
                self.later(cmd.timeout, self._fail(cmd.leg, 408, "Request Timeout"))
            elif phone.reject_code is not None:
                self.later(phone.answer_after, self._fail(cmd.leg, phone.reject_code, "Declined"))
            else:
                self.later(phone.answer_after, self._answer(cmd.leg, phone))
            return
        assert leg is not None, f"command for a leg the switch never had: {cmd}"
        if leg.state == "ended":
            assert isinstance(cmd, Hangup), f"{cmd} for an ended leg"
            return
        if isinstance(cmd, Answer):
            assert leg.inbound
            leg.state = "up"
            self.later(0, Answered(leg=leg.id, at=self.now))
        elif isinstance(cmd, Reject):
            assert leg.inbound and leg.state == "offered"
            leg.state, leg.ended_by = "ended", "local"
        elif isinstance(cmd, Hangup | Transfer):
            self._end(leg.id, "local")
            self.later(0, HungUp(leg=leg.id, at=self.now, by="local"))
        elif isinstance(cmd, Play):
            assert leg.state == "up", f"play on a leg that is {leg.state}"
            leg.playing = cmd
            if not cmd.loop:
                self.later(1.0 * len(cmd.prompts), self._played(leg.id, cmd))
        elif isinstance(cmd, StopPlayback):
            playing, leg.playing = leg.playing, None
            if playing is not None:
                self.later(0, PlaybackFinished(leg=leg.id, at=self.now, playback=playing.playback,
                                               interrupted=True))
        elif isinstance(cmd, Bridge):
            other = self.legs[cmd.other]
            assert leg.state == "up" and other.state == "up", f"bridge of {leg} and {other}"
            leg.bridged, other.bridged = other.id, leg.id
            leg.playing = other.playing = None
            self.bridges.append((leg.id, other.id))
        elif isinstance(cmd, Echo):
            leg.echo = True

    def _end(self, leg_id: str, by: str) -> None:
        leg = self.legs[leg_id]
        leg.state, leg.ended_by, leg.playing = "ended", by, None
        if leg.bridged is not None:
            self.legs[leg.bridged].bridged = None
            leg.bridged = None

    def _answer(self, leg_id: str, phone: Phone) -> Any:
        def answer() -> None:
            leg = self.legs[leg_id]
            if leg.state != "ringing":
                return
            leg.state = "up"
            self.feed(Answered(leg=leg_id, at=self.now))
            if phone.talk is not None:
                self.later(phone.talk, self._remote_hangup(leg_id))
        return answer

    def _remote_hangup(self, leg_id: str) -> Any:
        def hangup() -> None:
            if self.legs[leg_id].state != "ended":
                self._end(leg_id, "remote")
                self.feed(HungUp(leg=leg_id, at=self.now, by="remote"))
        return hangup

    def _fail(self, leg_id: str, code: int, reason: str) -> Any:
        def fail() -> None:
            leg = self.legs[leg_id]
            if leg.state != "ringing":
                return
            leg.state, leg.ended_by = "ended", "remote"
            self.feed(Failed(leg=leg_id, at=self.now, code=code, reason=reason))
        return fail

    def _played(self, leg_id: str, play: Play) -> Any:
        def played() -> None:
            leg = self.legs[leg_id]
            if leg.playing is play:
                leg.playing = None
                self.feed(PlaybackFinished(leg=leg_id, at=self.now, playback=play.playback))
        return played

    # -- looking -------------------------------------------------------------

    def of(self, kind: type) -> list[Any]:
        return [x for x in [*self.commands, *self.effects] if isinstance(x, kind)]

    def agent_legs(self, target: str) -> list[Leg]:
        return [leg for leg in self.legs.values() if not leg.inbound and leg.target == target]

    def ringing(self) -> list[Leg]:
        return [leg for leg in self.legs.values() if not leg.inbound and leg.state == "ringing"]
