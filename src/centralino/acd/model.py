"""What the ACD routes: queues, agents, requirements, contacts and offers.

These are frozen values the server builds from the configuration file (the
field names mirror ``centralino.config.model.Queue``/``Agent``/``WaitStep`` so
the mapping is one-to-one) and hands to the engine. The engine keeps its own
mutable bookkeeping elsewhere; these never change once built, which is what
lets the journal store them and a replay rebuild the same engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Strategy(StrEnum):
    """How a queue picks among eligible available agents (see docs/acd.md)."""

    longest_idle = "longest-idle"
    round_robin = "round-robin"
    least_talk_time = "least-talk-time"
    fewest_calls = "fewest-calls"
    ring_all = "ring-all"
    linear = "linear"
    random = "random"
    weighted_random = "weighted-random"


class ServiceLevelFormula(StrEnum):
    answered_only = "answered-only"
    abandons_counted = "abandons-counted"
    removed_from_queue = "removed-from-queue"
    short_abandons_excluded = "short-abandons-excluded"


class Tier(StrEnum):
    """Agent tiers; a requirement of tier X accepts X and every tier above it."""

    l1 = "L1"
    l2 = "L2"
    specialist = "specialist"

    @property
    def rank(self) -> int:
        return _TIER_RANK[self]


_TIER_RANK = {Tier.l1: 1, Tier.l2: 2, Tier.specialist: 3}


class TargetKind(StrEnum):
    """Where a contact goes when it leaves a queue without an agent."""

    queue = "queue"
    number = "number"
    voicemail = "voicemail"
    closed = "closed"  # play the closed message and hang up


class Channel(StrEnum):
    voice = "voice"
    chat = "chat"
    email = "email"


def _frozen(mapping: Mapping[str, int] | None) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    name: str | None = None  # queue name or number; None for voicemail/closed

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}" if self.name else self.kind.value


@dataclass(frozen=True, slots=True)
class WaitStep:
    """After ``after`` seconds in the queue, widen the requirements or overflow."""

    after: float
    min_level: int | None = None
    drop_skills: tuple[str, ...] = ()
    drop_language: bool = False
    overflow_to: str | None = None


class OverflowWhen(StrEnum):
    """What an overflow rule measures, checked when a contact joins and at each announcement."""

    wait = "wait"  # seconds this contact has waited in the queue
    length = "length"  # contacts waiting in the queue
    available = "available"  # eligible working agents (overflow when at or below)
    ewt = "ewt"  # expected wait of this contact, seconds


@dataclass(frozen=True, slots=True)
class OverflowRule:
    when: OverflowWhen
    threshold: float
    target: Target

    def triggered(self, value: float) -> bool:
        if self.when is OverflowWhen.available:
            return value <= self.threshold
        return value >= self.threshold


@dataclass(frozen=True, slots=True)
class Requirements:
    """What an agent must have: skills at minimum levels, a language, a minimum tier."""

    skills: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    tier: Tier | None = None
    _signature: tuple[Any, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", _frozen(self.skills))
        object.__setattr__(self, "tier", Tier(self.tier) if self.tier is not None else None)
        object.__setattr__(self, "_signature", (tuple(sorted(self.skills.items())), self.language, self.tier))

    def signature(self) -> tuple[Any, ...]:
        """A hashable key: contacts with the same signature share a pool of agents."""
        return self._signature

    def merged(self, other: Requirements) -> Requirements:
        """Both sets of requirements (the higher level wins; ``other``'s language first)."""
        skills = dict(self.skills)
        for name, level in other.skills.items():
            skills[name] = max(level, skills.get(name, 0))
        tiers = [t for t in (self.tier, other.tier) if t is not None]
        tier = max(tiers, key=lambda t: t.rank, default=None)
        return Requirements(skills, other.language or self.language, tier)

    def widened(self, step: WaitStep) -> Requirements:
        skills = {
            name: (min(level, step.min_level) if step.min_level is not None else level)
            for name, level in self.skills.items()
            if name not in step.drop_skills
        }
        return Requirements(skills, None if step.drop_language else self.language, self.tier)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue of one tenant; defaults match the configuration file's."""

    name: str
    strategy: Strategy = Strategy.longest_idle
    priority: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    tier: Tier | None = None
    max_callers: int = 0  # 0 = unlimited
    max_wait: float = 0  # 0 = unlimited
    join_when_empty: bool = False
    leave_when_empty: bool = True
    ring_timeout: float = 20
    wrapup: float = 10
    service_level_threshold: float = 20
    service_level_formula: ServiceLevelFormula = ServiceLevelFormula.answered_only
    short_abandon: float = 5
    announce_every: float = 30  # 0 = no announcements
    steps: tuple[WaitStep, ...] = ()
    overflow: tuple[OverflowRule, ...] = ()
    fallback: Target = Target(TargetKind.voicemail)  # where full/empty/max-wait contacts go
    ring_all_limit: int = 50  # ring-all rings at most this many phones
    expected_handle_time: float = 180  # prior for the wait estimate until calls are observed

    def __post_init__(self) -> None:
        # Accept the configuration file's enums (or plain strings) as well as ours.
        object.__setattr__(self, "strategy", Strategy(self.strategy))
        object.__setattr__(self, "service_level_formula", ServiceLevelFormula(self.service_level_formula))
        object.__setattr__(self, "tier", Tier(self.tier) if self.tier is not None else None)
        object.__setattr__(self, "skills", _frozen(self.skills))
        object.__setattr__(self, "steps", tuple(sorted(self.steps, key=lambda s: s.after)))

    @property
    def requirements(self) -> Requirements:
        return Requirements(self.skills, self.language, self.tier)


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent as the engine sees it. ``queues`` maps queue name to penalty (0 = first choice)."""

    extension: str
    name: str = ""
    languages: tuple[str, ...] = ("en",)
    tier: Tier = Tier.l1
    skills: Mapping[str, int] = field(default_factory=dict)
    queues: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[str, int] = field(default_factory=lambda: {Channel.voice.value: 1})
    max_missed: int = 3  # consecutive missed offers before an automatic break; 0 = never

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", _frozen(self.skills))
        object.__setattr__(self, "queues", _frozen(self.queues))
        object.__setattr__(self, "capacity", _frozen(self.capacity))
        object.__setattr__(self, "languages", tuple(self.languages))
        object.__setattr__(self, "tier", Tier(self.tier))

    def satisfies(self, req: Requirements) -> bool:
        if req.language is not None and req.language not in self.languages:
            return False
        if req.tier is not None and self.tier.rank < req.tier.rank:
            return False
        skills = self.skills
        return all(skills.get(name, 0) >= level for name, level in req.skills.items())


@dataclass(frozen=True, slots=True)
class Contact:
    """A customer waiting for an agent: an inbound call, or a callback request.

    ``arrived`` is the original arrival time; it is kept through overflows and
    callbacks so the customer never loses their place. ``not_before`` holds a web
    callback's preferred time.
    """

    id: str
    queue: str
    arrived: float
    priority: int = 0  # VIP, escalations: higher goes first (with aging, see docs/acd.md)
    requirements: Requirements = Requirements()
    channel: Channel = Channel.voice
    callback: str | None = None  # number to call back; set for callbacks
    not_before: float | None = None
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A contact offered to one agent (several for ring-all) until ``deadline``."""

    id: int
    contact: str
    agents: tuple[str, ...]
    started: float
    deadline: float
    callback: bool = False


def spec_to_dict(value: Any) -> Any:
    """JSON-ready form of the values above (used by the journal)."""
    from dataclasses import fields, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: spec_to_dict(getattr(value, f.name)) for f in fields(value) if f.init}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {k: spec_to_dict(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [spec_to_dict(v) for v in value]
    return value
