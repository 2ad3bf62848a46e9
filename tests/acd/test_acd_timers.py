"""Dead timers are dropped without changing a decision, and finished contacts are not kept alive."""

from __future__ import annotations

import random

from centralino.acd import (
    AgentLoggedIn,
    AgentSpec,
    CallEnded,
    Contact,
    ContactAbandoned,
    ContactArrived,
    ContactState,
    Decision,
    Engine,
    OfferAccepted,
    OfferContact,
    QueueSpec,
    WaitStep,
    WrapUpEnded,
)

QUEUES = [
    QueueSpec("q", announce_every=20, wrapup=5, join_when_empty=True, leave_when_empty=False,
              steps=(WaitStep(after=600, min_level=1),), max_wait=9000),
    # Nobody serves this queue: its callers' announcements keep a live timer at the top of the heap,
    # so the stale timers of answered callers pile up behind it.
    QueueSpec("night", announce_every=20, join_when_empty=True, leave_when_empty=False),
]


def busy_day(engine: Engine, seed: int, contacts: int) -> list[list[Decision]]:
    """Contacts answered within seconds, each leaving announcement, step and max-wait timers behind."""
    rng = random.Random(seed)
    out = [engine.handle(AgentLoggedIn(AgentSpec(f"{100 + n}", queues={"q": 0})), 0.0) for n in range(30)]
    out += [engine.handle(ContactArrived(Contact(f"n{n}", "night", 0.0)), 0.0) for n in range(3)]
    ringing: list[tuple[str, str]] = []
    talking: list[tuple[float, str, str]] = []
    now = 0.0
    for n in range(contacts):
        now += rng.uniform(0.2, 1.8)
        while (due := engine.next_deadline()) is not None and due <= now:
            out.append(engine.handle_timer(due))
        decisions = engine.handle(ContactArrived(Contact(f"c{n}", "q", now)), now)
        if rng.random() < 0.05:
            decisions += engine.handle(ContactAbandoned(f"c{n}"), now)
        for cid, agent in ringing:
            decisions += engine.handle(OfferAccepted(cid, agent), now)
            talking.append((now + rng.uniform(5, 15), cid, agent))
        ringing = []
        while talking and talking[0][0] <= now:
            _, cid, agent = talking.pop(0)
            decisions += engine.handle(CallEnded(cid), now)
            decisions += engine.handle(WrapUpEnded(agent), now)
        ringing = [(d.contact, d.agents[0]) for d in decisions if isinstance(d, OfferContact)]
        talking.sort()
        out.append(decisions)
    return out


def finished_subjects(engine: Engine) -> int:
    """Timers whose contact is connected or done: what keeps finished contacts in memory."""
    kinds = (ContactState.done, ContactState.connected)
    return sum(1 for _, _, kind, obj, _ in engine._timers
               if kind not in (0, 1, 5) and obj.state in kinds)  # not ring, wrap-up or rule timers


def test_dropping_dead_timers_changes_no_decision_and_releases_contacts() -> None:
    pruned = Engine(QUEUES, seed=3)
    kept = Engine(QUEUES, seed=3)
    kept._timer_limit = 10**9  # never prune: the reference behaviour
    assert busy_day(pruned, 3, 12_000) == busy_day(kept, 3, 12_000)
    assert len(kept._timers) > 8_000
    assert len(pruned._timers) <= max(4096, len(kept._timers) // 2)
    assert finished_subjects(kept) > 5_000
    assert finished_subjects(pruned) < 4096
    assert pruned.audit() == []
