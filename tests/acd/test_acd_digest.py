"""Decisions are pinned: a fixed-seed day of mixed traffic hashes to a recorded digest.

Refactoring or optimising the engine must not change a single decision (which
agent, in which order, with which reason words): the journal's decisions are
serialised as the JSON lines write them and hashed. The workload exercises every
strategy, ring-all, wait steps, overflow, callbacks, breaks, reconciliation,
declines and timeouts. ``ROUTING_DIGEST`` leaves out the announced
wait estimates, so a better estimate changes only ``DIGEST``. When a change is
*meant* to alter decisions, update the digest in the same commit and say why.
"""

from __future__ import annotations

import hashlib
import json
import random

from centralino.acd import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReconciled,
    AgentSpec,
    BreakEnded,
    BreakStarted,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    CallEnded,
    Contact,
    ContactAbandoned,
    ContactArrived,
    Engine,
    Journal,
    OfferAccepted,
    OfferDeclined,
    OfferTimedOut,
    OverflowRule,
    OverflowWhen,
    QueueSpec,
    Requirements,
    Strategy,
    Target,
    TargetKind,
    VoicemailRequested,
    WaitStep,
    WrapUpEnded,
)

DIGEST = "f6650ce4393ca240d433febffe44cf7408c7653191984014a6006aed2c7f2c44"
ROUTING_DIGEST = "4937e8bab80d6412c1983a2243f75b4867f6c5102147a2c365e716f3dc038153"
STEPS = 5_000
SKILLS = ("billing", "tech", "sales", "vip")
LANGUAGES = ("en", "pl", "de")


def queues() -> list[QueueSpec]:
    out = []
    for i, strategy in enumerate(Strategy):
        steps = (WaitStep(after=20, min_level=1), WaitStep(after=45, drop_language=True))
        if i % 3 == 0:
            steps += (WaitStep(after=90, overflow_to=f"q{(i + 1) % len(Strategy)}"),)
        rules = (OverflowRule(OverflowWhen.length, 12, Target(TargetKind.queue, "spill")),) if i % 2 else ()
        out.append(QueueSpec(f"q{i}", strategy=strategy, priority=i % 2, skills={SKILLS[i % 4]: 2},
                             language=LANGUAGES[i % 3] if i % 2 else None, ring_timeout=8, wrapup=4,
                             announce_every=30, max_wait=240 if i == 2 else 0, join_when_empty=i != 5,
                             leave_when_empty=i == 4, steps=steps, overflow=rules, ring_all_limit=3,
                             max_callers=30 if i == 6 else 0))
    out.append(QueueSpec("spill", join_when_empty=True, leave_when_empty=False, announce_every=20))
    return out


def agents(rng: random.Random, names: list[str]) -> list[AgentSpec]:
    out = []
    for n in range(40):
        member = rng.sample(names, 3)
        out.append(AgentSpec(f"{100 + n}", languages=tuple(sorted(set(rng.sample(LANGUAGES, 2)))),
                             skills={s: rng.randint(1, 4) for s in rng.sample(SKILLS, 3)},
                             queues={q: rng.randint(0, 2) for q in member}, max_missed=rng.choice((0, 2, 3))))
    return out


def run_day(seed: int) -> Journal:
    rng = random.Random(seed)
    specs = queues()
    names = [q.name for q in specs]
    people = agents(rng, names)
    journal = Journal()
    engine = Engine(specs, seed=seed, journal=journal)
    now = 0.0
    live: list[str] = []
    ringing: dict[str, list[str]] = {}
    for spec in people[:30]:
        engine.handle(AgentLoggedIn(spec), now)

    def note(decisions: list) -> None:
        for d in decisions:
            kind = d.kind
            if kind == "offer":
                ringing[d.contact] = list(d.agents)
            elif kind in ("connect", "requeue", "overflow", "offer.cancel"):
                ringing.pop(d.contact, None)

    for serial in range(STEPS):
        now += rng.expovariate(1.0)
        while (due := engine.next_deadline()) is not None and due <= now:
            note(engine.handle_timer(due))
        r = rng.random()
        event: AcdEvent
        if r < 0.15:
            cid = f"c{serial}"
            live.append(cid)
            callback = rng.random() < 0.05
            req = Requirements({rng.choice(SKILLS): 1}) if rng.random() < 0.2 else Requirements(
                language=rng.choice(LANGUAGES) if rng.random() < 0.3 else None)
            event = ContactArrived(Contact(cid, rng.choice(names), now, rng.choice((0, 0, 1, 2)), req,
                                           callback="+1" if callback else None,
                                           not_before=now + 10 if callback and rng.random() < 0.5 else None))
        elif r < 0.45 and ringing:
            cid = rng.choice(sorted(ringing))
            agent = rng.choice(ringing[cid])
            how = rng.random()
            event = OfferAccepted(cid, agent) if how < 0.8 else OfferDeclined(cid, agent) if how < 0.9 \
                else OfferTimedOut(cid, agent)
        elif r < 0.62 and live:
            cid = rng.choice(live)
            what = rng.random()
            event = CallEnded(cid) if what < 0.6 else ContactAbandoned(cid) if what < 0.8 \
                else CallbackRequested(cid, "+2") if what < 0.86 else VoicemailRequested(cid) if what < 0.9 \
                else CallbackAnswered(cid) if what < 0.96 else CallbackFailed(cid, "busy")
        elif r < 0.75:
            event = WrapUpEnded(rng.choice(people).extension)
        elif r < 0.85:
            ext = rng.choice(people).extension
            event = BreakStarted(ext, "coffee") if rng.random() < 0.5 else BreakEnded(ext)
        elif r < 0.93:
            spec = rng.choice(people)
            event = AgentLoggedIn(spec) if rng.random() < 0.6 else AgentLoggedOut(spec.extension)
        else:
            event = AgentReconciled(rng.choice(people).extension, rng.random() < 0.5)
        note(engine.handle(event, now))
        if len(live) > 400:
            del live[:100]
    return journal


def digest(journal: Journal, *, with_ewt: bool = True) -> str:
    """SHA-256 of the decisions; ``with_ewt=False`` leaves out announced estimates (routing only)."""
    h = hashlib.sha256()
    for decisions in journal.decisions():
        if not with_ewt:
            decisions = [{k: v for k, v in d.items() if k != "ewt"} for d in decisions]
        h.update(json.dumps(decisions, sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()


def test_decisions_match_the_recorded_digest() -> None:
    journal = run_day(seed=7)
    kinds = {d["type"] for decisions in journal.decisions() for d in decisions}
    assert {"offer", "connect", "requeue", "overflow", "announce", "widen", "callback.start",
            "offer.cancel", "refused", "agent.state"} <= kinds, kinds
    assert digest(journal, with_ewt=False) == ROUTING_DIGEST
    assert digest(journal) == DIGEST
