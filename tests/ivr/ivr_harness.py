"""Test helpers for the IVR (a plain module, uniquely named so test directories never clash).

``Driver`` plays the server's part: it feeds events and keeps one timer armed on a FakeClock.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from centralino.calls.commands import Play
from centralino.calls.events import Answered, CallEvent, DigitsReceived, HungUp, PlaybackFinished
from centralino.core.clock import FakeClock
from centralino.core.errors import Problem
from centralino.ivr.flow import Flow
from centralino.ivr.interpreter import Output, Session
from centralino.ivr.loader import load_flows
from centralino.ivr.services import CallContext, IsOpen, StaticServices, always_open


def positions(text: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Path -> (line, column) of every value, keys as written (as the config loader provides)."""
    found: dict[tuple[Any, ...], tuple[int, int]] = {}

    def walk(node: Node, path: tuple[Any, ...]) -> None:
        found[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, MappingNode):
            for key, value in node.value:
                walk(value, path + (key.value,))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ("flows",))
    return found


def load_text(text: str, filename: str = "centralino.yaml") -> tuple[dict[str, Flow], list[Problem]]:
    where = positions(text)

    def locate(path: tuple[Any, ...]) -> tuple[int, int] | None:
        """The value's position, else its nearest ancestor's (a missing key: its mapping)."""
        while path not in where and path:
            path = path[:-1]
        return where.get(path)

    return load_flows(yaml.safe_load(text), locate, filename)


def load_ok(text: str) -> dict[str, Flow]:
    flows, problems = load_text(text)
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, "\n".join(map(str, errors))
    return flows


class Driver:
    """Runs one Session as the server would: events in, outputs collected, one timer armed."""

    def __init__(self, flow: Flow, *, caller: str = "+48221234567", dialled: str = "100",
                 services: StaticServices | None = None, is_open: IsOpen = always_open,
                 flows: dict[str, Flow] | None = None, answered: bool = False, seed: int = 0,
                 hours: str | None = "main") -> None:
        import random

        self.clock = FakeClock(1_700_000_000.0)
        self.services = services or StaticServices()
        context = CallContext(leg="leg-1", caller=caller, dialled=dialled, time_zone="Europe/Warsaw",
                              hours=hours, answered=answered)
        self.session = Session(flow, context, self.clock.now(), services=self.services, is_open=is_open,
                               flows=flows, rng=random.Random(seed))
        self.outputs: list[Output] = []
        self.last: list[Output] = []
        self._timer: Any = None
        self._take(self.session.start(self.clock.now()))

    def _take(self, outputs: list[Output]) -> list[Output]:
        self.outputs.extend(outputs)
        self.last = outputs
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.session.next_deadline()
        if deadline is not None:
            self._timer = self.clock.call_at(deadline, self._fire)
        return outputs

    def _fire(self) -> None:
        self._timer = None
        self._take(self.session.handle_timer(self.clock.now()))

    def send(self, event: CallEvent) -> list[Output]:
        return self._take(self.session.handle(event, self.clock.now()))

    def at(self) -> float:
        return self.clock.now()

    def answer(self) -> list[Output]:
        return self.send(Answered(leg="leg-1", at=self.at()))

    def press(self, digits: str) -> list[Output]:
        return self.send(DigitsReceived(leg="leg-1", at=self.at(), digits=digits))

    def playing(self) -> Play | None:
        plays = [o for o in self.outputs if isinstance(o, Play)]
        return plays[-1] if plays else None

    def finish(self) -> list[Output]:
        """The media says the last prompt ended."""
        play = self.playing()
        assert play is not None, "nothing is playing"
        return self.send(PlaybackFinished(leg="leg-1", at=self.at(), playback=play.playback))

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def hang_up(self) -> list[Output]:
        return self.send(HungUp(leg="leg-1", at=self.at()))

    def of(self, kind: type) -> list[Any]:
        return [o for o in self.outputs if isinstance(o, kind)]
