"""Routing benchmark: Centralino's ACD engine against an agent-scanning baseline.

10,000 agents, 200 skills, 100 queues and about 5,000 waiting contacts; a mix of
arrivals, accepts, declines, call ends, wrap-up ends, abandons and timers
(announcements, ring timeouts). The peer in the same run is a router that, like
Asterisk's app_queue, scans every member for each decision (it is written here
because app_queue cannot be driven without Asterisk; it implements only what
the mix needs, with the same eligibility rules and longest-idle choice).

Prints events per second and p50/p99 decision latency of each, a SHA-256 digest
of every decision the engine made in the measured run (the same seed must give
the same digest before and after an optimisation), and as the last line::

    events_per_second=N p99_us=X peer_events_per_second=M ratio=R

Target: >= 50,000 events/s and p99 < 1 ms on one core. The process pins itself
to one CPU (``--cpu``, default the last one it may use) so the figures are for
one core; on a shared machine run it several times and report them all.

    .venv/bin/python bench/routing.py [--events 200000] [--baseline-events 2000] [--seed 1] [--cpu N]
                                      [--gc-freeze]

Much of the engine's remaining cost is CPython's cyclic garbage collector walking
the long-lived agent and pool objects; ``--gc-freeze`` shows the figure for a
process that freezes its start-up state (both routers get the same treatment).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from centralino.acd import (
    AcdEvent,
    AgentLoggedIn,
    AgentSpec,
    CallEnded,
    Connect,
    Contact,
    ContactAbandoned,
    ContactArrived,
    Decision,
    Engine,
    OfferAccepted,
    OfferContact,
    OfferDeclined,
    Overflow,
    QueueSpec,
    Requeue,
    Requirements,
    WaitStep,
    WrapUpEnded,
)
from centralino.acd.journal import to_dict

LANGUAGES = ("en", "pl", "de", "fr", "es")


def build(seed: int, agents: int, skills: int, queues: int) -> tuple[list[QueueSpec], list[AgentSpec]]:
    rng = random.Random(seed)
    skill_names = [f"s{i}" for i in range(skills)]
    specs = []
    for i in range(queues):
        language = rng.choice(LANGUAGES) if rng.random() < 0.4 else None
        widen = WaitStep(after=60, min_level=1, drop_language=True)
        need = {skill_names[i % skills]: rng.randint(1, 4)}
        specs.append(QueueSpec(f"q{i}", skills=need, language=language,
                               join_when_empty=True, leave_when_empty=False, wrapup=600, ring_timeout=20,
                               announce_every=30, steps=(widen,)))
    people = []
    for n in range(agents):
        member = rng.sample(specs, 3)
        own = {next(iter(q.skills)): rng.randint(3, 10) for q in member}
        for extra in rng.sample(skill_names, 3):
            own.setdefault(extra, rng.randint(1, 10))
        langs = {q.language for q in member if q.language and rng.random() < 0.7} | {rng.choice(LANGUAGES)}
        people.append(AgentSpec(f"a{n}", languages=tuple(sorted(langs)), skills=own,
                                queues={q.name: rng.randint(0, 2) for q in member}))
    return specs, people


class ScanningRouter:
    """The baseline: every decision scans all agents (Asterisk app_queue's way)."""

    @dataclass
    class Agent:
        spec: AgentSpec
        state: str = "available"
        idle_since: float = 0.0

    @dataclass
    class Waiting:
        contact: Contact
        requirements: Requirements
        declined: set[str] = field(default_factory=set)

    def __init__(self, queues: list[QueueSpec]) -> None:
        self.queues = {q.name: q for q in queues}
        self.agents: dict[str, ScanningRouter.Agent] = {}
        self.waiting: dict[str, dict[str, ScanningRouter.Waiting]] = {q.name: {} for q in queues}
        self.ringing: dict[str, tuple[ScanningRouter.Waiting, str]] = {}
        self.talking: dict[str, str] = {}

    def handle_timer(self, now: float) -> list[Decision]:
        return []

    def next_deadline(self) -> float | None:
        return None

    def _best_agent(self, w: ScanningRouter.Waiting) -> ScanningRouter.Agent | None:
        best, best_key = None, None
        queue = w.contact.queue
        for a in self.agents.values():  # the scan
            if a.state != "available" or queue not in a.spec.queues or a.spec.extension in w.declined:
                continue
            if not a.spec.satisfies(w.requirements):
                continue
            key = (a.spec.queues[queue], a.idle_since, a.spec.extension)
            if best_key is None or key < best_key:
                best, best_key = a, key
        return best

    def _offer(self, w: ScanningRouter.Waiting, a: ScanningRouter.Agent) -> Decision:
        a.state = "reserved"
        del self.waiting[w.contact.queue][w.contact.id]
        self.ringing[w.contact.id] = (w, a.spec.extension)
        return OfferContact(w.contact.id, (a.spec.extension,), w.contact.queue, 20, "scan", ())

    def _try(self, w: ScanningRouter.Waiting) -> list[Decision]:
        a = self._best_agent(w)
        return [self._offer(w, a)] if a else []

    def _free(self, a: ScanningRouter.Agent, now: float) -> list[Decision]:
        a.state, a.idle_since = "available", now
        heads = []
        for name in a.spec.queues:
            for w in self.waiting[name].values():  # in arrival order
                if a.spec.satisfies(w.requirements) and a.spec.extension not in w.declined:
                    heads.append(w)
                    break
        for w in sorted(heads, key=lambda w: w.contact.arrived):
            got = self._try(w)
            if got:
                return got
        return []

    def handle(self, event: AcdEvent, now: float) -> list[Decision]:
        if isinstance(event, AgentLoggedIn):
            self.agents[event.agent.extension] = self.Agent(event.agent, idle_since=now)
            return []
        if isinstance(event, ContactArrived):
            c = event.contact
            q = self.queues[c.queue]
            w = self.Waiting(c, q.requirements.merged(c.requirements))
            self.waiting[c.queue][c.id] = w
            return self._try(w)
        if isinstance(event, OfferAccepted):
            w, ext = self.ringing.pop(event.contact)
            self.agents[ext].state = "on-call"
            self.talking[event.contact] = ext
            return [Connect(event.contact, ext, w.contact.queue, now - w.contact.arrived)]
        if isinstance(event, OfferDeclined):
            w, ext = self.ringing.pop(event.contact)
            w.declined.add(ext)
            self.waiting[w.contact.queue][w.contact.id] = w
            out: list[Decision] = [Requeue(w.contact.id, w.contact.queue, "declined"), *self._try(w)]
            return out + self._free(self.agents[ext], now)
        if isinstance(event, CallEnded):
            self.agents[self.talking.pop(event.contact)].state = "wrap-up"
            return []
        if isinstance(event, WrapUpEnded):
            return self._free(self.agents[event.agent], now)
        if isinstance(event, ContactAbandoned):
            for line in self.waiting.values():
                line.pop(event.contact, None)
            return []
        raise TypeError(event)


@dataclass
class Population:
    """What the driver knows from the decisions, to choose the next event."""

    waiting: dict[str, None] = field(default_factory=dict)
    ringing: dict[str, str] = field(default_factory=dict)
    connected: dict[str, str] = field(default_factory=dict)
    wrapping: dict[str, None] = field(default_factory=dict)

    def apply(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if isinstance(d, OfferContact):
                self.waiting.pop(d.contact, None)
                self.ringing[d.contact] = d.agents[0]
            elif isinstance(d, Connect):
                self.connected[d.contact] = d.agent
            elif isinstance(d, Requeue):
                self.ringing.pop(d.contact, None)
                self.waiting[d.contact] = None
            elif isinstance(d, Overflow):
                self.waiting.pop(d.contact, None)
                self.ringing.pop(d.contact, None)


def pick(rng: random.Random, keys: dict) -> str:
    """A pseudo-random key in O(1): dicts keep insertion order, take one near the front."""
    it = iter(keys)
    for _ in range(rng.randrange(min(len(keys), 8))):
        next(it)
    return next(it)


def run(router: Engine | ScanningRouter, queues: list[QueueSpec], agents: list[AgentSpec], events: int,
        seed: int, target_waiting: int, warmup: int,
        digest: Digest | None = None,
        after_fill: Callable[[], None] | None = None) -> tuple[int, float, array]:
    """Drive ``router``; the first ``warmup`` events (pools for new requirement sets) are not measured."""
    rng = random.Random(seed)
    pop = Population()
    now = 0.0
    serial = 0

    def arrival() -> ContactArrived:
        nonlocal serial
        serial += 1
        q = rng.choice(queues)
        req = Requirements(language=rng.choice(LANGUAGES)) if rng.random() < 0.3 else Requirements()
        cid = f"c{serial}"
        pop.waiting[cid] = None
        return ContactArrived(Contact(cid, q.name, now, rng.choice((0, 0, 0, 1)), req))

    for spec in agents:
        router.handle(AgentLoggedIn(spec), now)
    # Fill: every agent busy and target_waiting contacts in line.
    while len(pop.waiting) < target_waiting:
        pop.apply(router.handle(arrival(), now))
        for cid, agent in list(pop.ringing.items()):
            del pop.ringing[cid]
            pop.apply(router.handle(OfferAccepted(cid, agent), now))

    if after_fill is not None:
        after_fill()
    latencies = array("q")
    clock = time.perf_counter_ns
    handled = 0
    busy = 0
    while handled < events + warmup:
        if handled == warmup:
            latencies, busy = array("q"), 0
        now += 0.0005
        due = router.next_deadline()
        if due is not None and due <= now:
            start = clock()
            decisions = router.handle_timer(now)
        else:
            r = rng.random()
            event: AcdEvent
            if pop.ringing and r < 0.3:
                cid = pick(rng, pop.ringing)
                agent = pop.ringing.pop(cid)
                event = OfferDeclined(cid, agent) if rng.random() < 0.03 else OfferAccepted(cid, agent)
            elif pop.connected and r < 0.5:
                cid = pick(rng, pop.connected)
                agent = pop.connected.pop(cid)
                pop.wrapping[agent] = None
                event = CallEnded(cid)
            elif pop.wrapping and r < 0.7:
                agent = pick(rng, pop.wrapping)
                del pop.wrapping[agent]
                event = WrapUpEnded(agent)
            elif len(pop.waiting) < target_waiting or not pop.waiting:
                event = arrival()
            else:
                cid = pick(rng, pop.waiting)
                del pop.waiting[cid]
                event = ContactAbandoned(cid)
            start = clock()
            decisions = router.handle(event, now)
        took = clock() - start
        latencies.append(took)
        busy += took
        handled += 1
        pop.apply(decisions)
        if digest is not None and handled > warmup:
            digest(decisions)
    return handled - warmup, busy / 1e9, latencies


class Digest:
    """Hashes every decision list the engine returns (outside the timed span)."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()

    def __call__(self, decisions: list[Decision]) -> None:
        self.sha.update(json.dumps([to_dict(d) for d in decisions], sort_keys=True).encode())


def report(name: str, handled: int, seconds: float, latencies: array) -> tuple[float, float]:
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] / 1000
    p99 = ordered[int(len(ordered) * 0.99)] / 1000
    rate = handled / seconds
    print(f"{name:<28} {handled:>9,} events  {rate:>12,.0f} events/s  p50 {p50:8.1f} µs  p99 {p99:8.1f} µs")
    return rate, p99


def pin(cpu: int | None) -> int | None:
    """Run on one core (Linux); returns the core, or None where affinity cannot be set."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--baseline-events", type=int, default=2_000)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--skills", type=int, default=200)
    parser.add_argument("--queues", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu", type=int, default=None, help="core to pin to (default: the last allowed)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once agents are logged in and the line is full, as a server "
                             "would after loading its configuration (default: the collector untouched)")
    args = parser.parse_args()
    core = pin(args.cpu)
    freeze = gc.freeze if args.gc_freeze else None
    queues, agents = build(args.seed, args.agents, args.skills, args.queues)
    print(f"{args.agents:,} agents, {args.skills} skills, {args.queues} queues, "
          f"~{args.waiting:,} waiting contacts; measured after a warm-up of a fifth as many events; "
          f"pinned to core {core}")
    engine = Engine(queues, seed=args.seed)
    digest = Digest()
    ours, p99 = report("centralino (indexed pools)",
                       *run(engine, queues, agents, args.events, args.seed, args.waiting, args.events // 5,
                            digest, freeze))
    problems = engine.audit()
    if args.gc_freeze:
        gc.unfreeze()
    peer, _ = report("baseline (scan every agent)",
                     *run(ScanningRouter(queues), queues, agents, args.baseline_events, args.seed,
                          args.waiting, args.baseline_events // 5, None, freeze))
    print(f"decision digest (seed {args.seed}, {args.events:,} events): {digest.sha.hexdigest()}; "
          f"engine audit: {problems[:3] or 'clean'}")
    print(f"events_per_second={ours:.0f} p99_us={p99:.1f} peer_events_per_second={peer:.0f} "
          f"ratio={ours / peer:.1f}")


if __name__ == "__main__":
    main()
