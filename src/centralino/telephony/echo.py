"""The echo service: answers and sends every caller's audio back (the demo's number 600).

``EchoHandler`` is a switch handler for the numbers it owns and passes every
other event to ``fallback`` (the engines' handler), so the composition root can
put it in front: ``switch.handler = EchoHandler(switch, {"600"}, controller.on_event)``.
The echo itself is the media engine's (``MediaEngine.echo``: each packet goes
back the moment it arrives, re-stamped, so the delay is the network's only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

from centralino.calls.commands import Answer, Echo, Hangup
from centralino.calls.events import Answered, CallEvent, CallOffered, Failed, HungUp
from centralino.telephony.switch import Switch

__all__ = ["EchoHandler"]


class EchoHandler:
    def __init__(self, switch: Switch, numbers: Collection[str] = ("600",),
                 fallback: Callable[[CallEvent], None] | None = None, *, max_seconds: float | None = 600.0,
                 ) -> None:
        self.switch = switch
        self.numbers = frozenset(numbers)
        self.fallback = fallback
        self.max_seconds = max_seconds
        self.legs: set[str] = set()
        self.answered = 0

    def __call__(self, event: CallEvent) -> None:
        if isinstance(event, CallOffered) and event.dialled in self.numbers:
            self.legs.add(event.leg)
            self.switch.command(Answer(leg=event.leg))
            return
        if event.leg not in self.legs:
            if self.fallback is not None:
                self.fallback(event)
            return
        if isinstance(event, Answered):
            self.answered += 1
            self.switch.command(Echo(leg=event.leg))
            if self.max_seconds is not None:  # a forgotten test call must not hold a port forever
                limit = Hangup(leg=event.leg, cause="echo limit")
                asyncio.get_running_loop().call_later(self.max_seconds, self.switch.command, limit)
        elif isinstance(event, (HungUp, Failed)):
            self.legs.discard(event.leg)
