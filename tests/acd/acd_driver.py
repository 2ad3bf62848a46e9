"""Shared helpers for the ACD tests: a tiny driver that keeps time and collects decisions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from centralino.acd import (
    AcdEvent,
    AgentLoggedIn,
    AgentSpec,
    CallEnded,
    Contact,
    ContactArrived,
    Decision,
    Engine,
    EngineSettings,
    Journal,
    OfferAccepted,
    OfferContact,
    QueueSpec,
)


class Driver:
    """Feeds an engine with a fake clock; runs due timers before each event like the shell does."""

    def __init__(
        self, queues: Iterable[QueueSpec], seed: int = 0, settings: EngineSettings | None = None
    ) -> None:
        self.journal = Journal()
        self.engine = Engine(list(queues), seed=seed, settings=settings, journal=self.journal)
        self.now = 0.0
        self.log: list[Decision] = []

    def at(self, t: float) -> list[Decision]:
        """Advance to ``t``, firing every deadline on the way."""
        out: list[Decision] = []
        while (due := self.engine.next_deadline()) is not None and due <= t:
            self.now = max(self.now, due)
            out += self.engine.handle_timer(self.now)
        self.now = max(self.now, t)
        self.log += out
        return out

    def do(self, event: AcdEvent, t: float | None = None) -> list[Decision]:
        out = self.at(self.now if t is None else t)
        got = self.engine.handle(event, self.now)
        self.log += got
        return out + got

    def login(self, ext: str, t: float | None = None, **kw: Any) -> list[Decision]:
        kw.setdefault("queues", {"q": 0})
        return self.do(AgentLoggedIn(AgentSpec(ext, **kw)), t)

    def arrive(self, cid: str, t: float | None = None, queue: str = "q", **kw: Any) -> list[Decision]:
        when = self.now if t is None else t
        return self.do(ContactArrived(Contact(cid, queue, when, **kw)), t)

    def serve(self, cid: str, agent: str, talk: float) -> list[Decision]:
        """Accept the ringing offer, talk, hang up, and run through wrap-up."""
        out = self.do(OfferAccepted(cid, agent))
        out += self.do(CallEnded(cid), self.now + talk)
        return out


def offers(decisions: Iterable[Decision]) -> list[tuple[str, tuple[str, ...]]]:
    return [(d.contact, d.agents) for d in decisions if isinstance(d, OfferContact)]


def of_type(decisions: Iterable[Decision], cls: type) -> list:
    return [d for d in decisions if isinstance(d, cls)]
