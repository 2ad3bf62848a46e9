"""The engine's indexes: queues, pools of agents per requirement, and waiting lines.

A *pool* is one queue and one set of requirements (a signature). It holds the
eligible available agents in a heap ordered by the queue strategy's key, and
the contacts waiting with exactly those requirements in a heap ordered by their
place in line. Matching a new contact therefore peeks one agent heap, and an
agent coming free peeks the contact heaps of the pools it belongs to, never a
scan of all agents or contacts.

Heaps use lazy deletion: an entry carries the version (agent) or generation
(contact) it was pushed with and is dropped when it no longer matches.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from enum import StrEnum

from centralino.acd.agent_states import AgentState
from centralino.acd.estimate import AbandonHazard, ErrorStats, HandleTime, MovingAverageEstimate
from centralino.acd.model import AgentSpec, Contact, QueueSpec, Requirements
from centralino.acd.strategies import AgentKey, AgentStats


class ContactState(StrEnum):
    scheduled = "scheduled"  # a callback waiting for its time or its next attempt
    waiting = "waiting"
    offered = "offered"
    connected = "connected"
    done = "done"


@dataclass(slots=True, eq=False)
class OfferRuntime:
    id: int
    contact: ContactRuntime
    agents: list[AgentRuntime]
    started: float
    deadline: float
    callback: bool = False


@dataclass(slots=True, eq=False)
class AgentRuntime:
    spec: AgentSpec
    stats: AgentStats
    state: AgentState = AgentState.logged_out
    since: float = 0.0
    version: int = 0  # bumped whenever the agent leaves "available": invalidates heap entries
    pools: list[Pool] = field(default_factory=list)
    pool_bias: array[float] = field(default_factory=lambda: array("d"))  # per pool: penalty x weight
    offer: OfferRuntime | None = None
    contact: ContactRuntime | None = None  # the connected contact
    connected_at: float = 0.0
    missed: int = 0
    break_reason: str | None = None
    wrap_token: int = 0  # identifies the pending wrap-up timer
    last_queue: QueueRuntime | None = None
    id: str = field(init=False)  # the extension; a plain slot, read on every hot path

    def __post_init__(self) -> None:
        self.id = self.spec.extension


@dataclass(slots=True, eq=False)
class ContactRuntime:
    contact: Contact
    queue: QueueRuntime
    key: float  # place in line: arrival minus priority head start; smaller goes first
    seq: int
    requirements: Requirements
    joined: float  # when it joined its current queue (wait steps count from here)
    state: ContactState = ContactState.scheduled
    pool: Pool | None = None
    gen: int = 0  # bumped whenever it leaves a pool heap
    queue_gen: int = 0  # bumped on overflow: invalidates the old queue's step/max-wait timers
    step: int = 0
    declined: set[str] | None = None
    offer: OfferRuntime | None = None
    agent: AgentRuntime | None = None
    callback: str | None = None
    attempts: int = 0
    visited: tuple[str, ...] = ()
    announced: list[tuple[float, float, float, QueueRuntime]] = field(default_factory=list)
    id: str = field(init=False)

    def __post_init__(self) -> None:
        self.id = self.contact.id


@dataclass(slots=True, eq=False)
class Pool:
    queue: QueueRuntime
    requirements: Requirements
    agents: list[tuple[AgentKey, int, AgentRuntime]] = field(default_factory=list)
    contacts: list[tuple[float, int, int, ContactRuntime]] = field(default_factory=list)
    eligible: set[str] = field(default_factory=set)
    working: int = 0

    def push_agent(self, key: AgentKey, agent: AgentRuntime) -> None:
        heapq.heappush(self.agents, (key, agent.version, agent))
        if len(self.agents) > 4 * len(self.eligible) + 64:
            live = AgentState.available
            self.agents = [e for e in self.agents if e[1] == e[2].version and e[2].state is live]
            heapq.heapify(self.agents)

    def push_contact(self, contact: ContactRuntime) -> None:
        contact.pool = self
        heapq.heappush(self.contacts, (contact.key, contact.seq, contact.gen, contact))

    def head_contact(self) -> ContactRuntime | None:
        heap = self.contacts
        while heap:
            _, _, gen, c = heap[0]
            if c.gen == gen and c.state is ContactState.waiting and c.pool is self:
                return c
            heapq.heappop(heap)
        return None

    def waiting_contacts(self) -> list[ContactRuntime]:
        return [c for _, _, gen, c in self.contacts if c.gen == gen and c.state is ContactState.waiting
                and c.pool is self]


@dataclass(slots=True, eq=False)
class QueueRuntime:
    spec: QueueSpec
    handle: HandleTime
    pools: dict[object, Pool] = field(default_factory=dict)
    members: dict[str, AgentRuntime] = field(default_factory=dict)
    # (key, seq) of the contacts waiting here, sorted: a plain list with C bisection beats a
    # SortedList for the line lengths of real queues (the memmove of a 10,000-caller line is ~1 µs).
    waiting: list[tuple[float, int]] = field(default_factory=list)
    rr_last: dict[str, float] = field(default_factory=dict)
    baseline: MovingAverageEstimate = field(default_factory=MovingAverageEstimate)
    patience: AbandonHazard = field(default_factory=AbandonHazard)
    errors: ErrorStats = field(default_factory=ErrorStats)
    baseline_errors: ErrorStats = field(default_factory=ErrorStats)
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_within: int = 0
    short_abandoned: int = 0
    offered: int = 0
    callbacks: int = 0
    callbacks_within: int = 0
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.spec.name

    def position(self, contact: ContactRuntime) -> int:
        return bisect_left(self.waiting, (contact.key, contact.seq)) + 1

    def line_add(self, contact: ContactRuntime) -> None:
        insort(self.waiting, (contact.key, contact.seq))

    def line_remove(self, contact: ContactRuntime) -> None:
        line, place = self.waiting, (contact.key, contact.seq)
        i = bisect_left(line, place)
        if i == len(line) or line[i] != place:
            raise ValueError(f"contact {contact.id} is not in the line of queue {self.name}")
        del line[i]
