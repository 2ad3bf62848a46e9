"""The wait estimate on a simulated day, against Asterisk's position-blind moving average.

Poisson arrivals whose rate changes by the hour, staffing that follows it
roughly (agents log in and out at hour boundaries), exponential talk times,
impatient callers, agents answering after a few seconds of ringing. Every
announced estimate is compared with the wait that actually followed (answered
callers only); both estimators see exactly the same day.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable

from centralino.acd import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentSpec,
    CallEnded,
    Connect,
    Contact,
    ContactAbandoned,
    ContactArrived,
    Engine,
    OfferAccepted,
    OfferContact,
    QueueSpec,
    position_ewt,
)
from centralino.acd.estimate import AbandonHazard, queue_ewt

RATE_PER_HOUR = [0.03, 0.06, 0.08, 0.07, 0.04, 0.07, 0.06, 0.03]  # calls per second
STAFF_PER_HOUR = [7, 13, 16, 15, 9, 15, 13, 7]
MEAN_TALK = 180.0
MEAN_PATIENCE = 400.0


def simulate_day(seed: int) -> Engine:
    rng = random.Random(seed)
    engine = Engine([QueueSpec("support", wrapup=10, announce_every=30, join_when_empty=True,
                               leave_when_empty=False, ring_timeout=20)], seed=seed)
    agenda: list[tuple[float, int, AcdEvent]] = []
    seq = 0

    def at(t: float, event: AcdEvent) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(agenda, (t, seq, event))

    for hour, staff in enumerate(STAFF_PER_HOUR):
        before = STAFF_PER_HOUR[hour - 1] if hour else 0
        for i in range(min(before, staff), max(before, staff)):
            ext = f"{100 + i}"
            at(hour * 3600.0, AgentLoggedIn(AgentSpec(ext, queues={"support": 0})) if staff > before
               else AgentLoggedOut(ext))
        t = hour * 3600.0
        while (t := t + rng.expovariate(RATE_PER_HOUR[hour])) < (hour + 1) * 3600:
            cid = f"c{seq}"
            at(t, ContactArrived(Contact(cid, "support", t)))
            at(t + rng.expovariate(1 / MEAN_PATIENCE), ContactAbandoned(cid))
    at(len(STAFF_PER_HOUR) * 3600.0, AgentLoggedOut("100"))
    for i in range(1, STAFF_PER_HOUR[-1]):
        at(len(STAFF_PER_HOUR) * 3600.0, AgentLoggedOut(f"{100 + i}"))

    run_agenda(engine, agenda, rng, at)
    return engine


SHARED_RATES = {  # calls per second, by hour
    "sales": [0.06, 0.09, 0.05, 0.02, 0.03, 0.06],
    "support": [0.02, 0.03, 0.05, 0.08, 0.07, 0.04],
}


def simulate_shared_day(seed: int) -> Engine:
    """Two queues, agents dedicated to each and agents serving both; the loads shift during the day."""
    rng = random.Random(seed)
    engine = Engine([QueueSpec(name, wrapup=10, announce_every=30, join_when_empty=True,
                               leave_when_empty=False, ring_timeout=20) for name in SHARED_RATES], seed=seed)
    agenda: list[tuple[float, int, AcdEvent]] = []
    seq = 0

    def at(t: float, event: AcdEvent) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(agenda, (t, seq, event))

    teams = [{"sales": 0}] * 6 + [{"support": 0}] * 6 + [{"sales": 0, "support": 0}] * 10
    for n, queues in enumerate(teams):
        at(0.0, AgentLoggedIn(AgentSpec(f"{100 + n}", queues=queues)))
    for name, rates in SHARED_RATES.items():
        for hour, rate in enumerate(rates):
            t = hour * 3600.0
            while (t := t + rng.expovariate(rate)) < (hour + 1) * 3600:
                cid = f"{name}{seq}"
                at(t, ContactArrived(Contact(cid, name, t)))
                at(t + rng.expovariate(1 / MEAN_PATIENCE), ContactAbandoned(cid))
    run_agenda(engine, agenda, rng, at)
    return engine


def run_agenda(
    engine: Engine, agenda: list[tuple[float, int, AcdEvent]], rng: random.Random, at: Callable[..., None]
) -> None:
    """Feed the agenda and the engine's timers in time order; agents answer, callers talk and hang up."""
    connected: set[str] = set()
    while agenda:
        due = engine.next_deadline()
        if due is not None and due <= agenda[0][0]:
            decisions = engine.handle_timer(due)
            now = due
        else:
            now, _, event = heapq.heappop(agenda)
            if isinstance(event, ContactAbandoned) and event.contact in connected:
                continue
            decisions = engine.handle(event, now)
        for d in decisions:
            if isinstance(d, OfferContact):
                at(now + rng.uniform(2, 6), OfferAccepted(d.contact, d.agents[0]))
            elif isinstance(d, Connect):
                connected.add(d.contact)
                at(now + rng.expovariate(1 / MEAN_TALK), CallEnded(d.contact))


def test_position_ewt_formula() -> None:
    assert position_ewt(1, 1, 5, 100) == 0
    assert position_ewt(3, 0, 5, 100) == 60
    assert position_ewt(2, 0, 0, 100) == 200


def test_queue_ewt_discounts_callers_ahead_who_abandon() -> None:
    assert queue_ewt(3, 5, 100, 0.0) == position_ewt(3, 0, 5, 100)
    assert queue_ewt(0, 5, 100, 0.01) == 0
    rate, hazard = 10 / 180, 1 / 400
    for k in (1, 5, 40, 300):
        exact = sum(1 / (rate + j * hazard) for j in range(k))
        assert abs(queue_ewt(k, 10, 180, hazard) - exact) < 0.01 * exact
        assert queue_ewt(k, 10, 180, hazard) <= position_ewt(k, 0, 10, 180)
    # Patience far below the service rate: summed term by term, still finite and decreasing in hazard.
    assert 0 < queue_ewt(50, 1, 600, 0.05) < queue_ewt(50, 1, 600, 0.01)


def test_abandon_hazard_is_abandons_per_second_waited() -> None:
    h = AbandonHazard()
    assert h.rate == 0
    h.observe(100, False)
    h.observe(300, True)
    assert h.rate == 1 / 400


def test_ewt_beats_position_blind_average_on_a_simulated_day() -> None:
    engine = simulate_day(seed=2024)
    ours, asterisk = engine.estimate_errors("support")
    stats = engine.stats("support")
    print(
        f"\nEWT error on a simulated day ({ours.count} announcements to answered callers, "
        f"{stats.answered} answered, {stats.abandoned} abandoned, handle time {stats.handle_time:.0f} s):"
        f"\n  position-aware: mean {ours.mean:.1f} s, p90 {ours.p90:.1f} s"
        f"\n  Asterisk moving average: mean {asterisk.mean:.1f} s, p90 {asterisk.p90:.1f} s"
    )
    assert ours.count == asterisk.count > 1000
    assert ours.mean < asterisk.mean
    assert ours.p90 < asterisk.p90
    assert stats.service_level is not None and 0 < stats.service_level < 1


def test_ewt_beats_position_blind_average_with_agents_shared_by_two_queues() -> None:
    engine = simulate_shared_day(seed=1)
    print("\nEWT error with 10 of 22 agents serving both queues (mean / p90, seconds):")
    for queue in SHARED_RATES:
        ours, asterisk = engine.estimate_errors(queue)
        print(f"  {queue}: position-aware {ours.mean:.1f} / {ours.p90:.1f}, "
              f"Asterisk {asterisk.mean:.1f} / {asterisk.p90:.1f} ({ours.count} announcements)")
        assert ours.count == asterisk.count > 500
        assert ours.mean < asterisk.mean
        assert ours.p90 < asterisk.p90
