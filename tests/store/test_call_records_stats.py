"""Statistics from the database agree exactly with an independent recomputation from the raw day.

A generated day of calls (facts as the dial plan and the desktop emit them, including holds,
transfers, interrupted waits) and agent state changes goes through ``CallRecordStore`` (journal,
fold, projection rows) on SQLite and PostgreSQL; the interval report built from the stored rows
(what the API and ``centralino report`` show) must equal, figure by figure, a naive recomputation
from the generator's own ground truth: ``records/test_stats.py``'s exact-fraction queue figures, and
occupancy summed here with fractions.
"""

from __future__ import annotations

import random
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select

from centralino.records import facts as f
from centralino.records.report import QueueSettings, interval_report
from centralino.records.stats import AgentActivity, Formula, Outcome, QueuedContact
from centralino.store.call_record_store import CallRecordStore
from centralino.store.db import Database
from centralino.store.models import Tenant
from records.test_stats import _recompute

ZONE = ZoneInfo("Europe/Warsaw")
DAY = 1_779_919_200.0  # 2026-05-28 00:00 in Warsaw
AGENTS = [f"10{i:02d}" for i in range(8)]
QUEUES = {
    "support": QueueSettings("support", Formula.short_abandons_excluded, 20.0, 5.0),
    "billing": QueueSettings("billing", Formula.removed_from_queue, 30.0, 10.0),
}


def _day(seed: int) -> tuple[list[list[f.Fact]], list[QueuedContact], list[f.AgentStateRecorded]]:
    rng = random.Random(seed)
    calls: list[list[f.Fact]] = []
    truth: list[QueuedContact] = []
    t = DAY + 7 * 3600
    for i in range(400):
        t += round(rng.expovariate(1 / 90), 3)
        c, q = f"call{i:04d}", rng.choice(list(QUEUES))
        entered = t + round(rng.uniform(0, 20), 3)
        wait = round(rng.expovariate(1 / 25), 3)
        ewt = round(rng.uniform(0, 60), 1) if rng.random() < 0.5 else None
        facts: list[f.Fact] = [
            f.CallArrived(
                at=t, call=c, tenant="demo", caller="+48221110000", dialled="+48221234567", route="ivr"
            ),
            f.QueueEntered(at=entered, call=c, tenant="demo", queue=q),
        ]
        outcome = rng.choices(list(Outcome), weights=[70, 12, 6, 4, 4, 4])[0]
        if outcome is Outcome.answered:
            agent, left = rng.choice(AGENTS), entered + wait
            end = left + round(rng.uniform(30, 600), 3)
            hold = 0.0
            facts.append(f.CallConnected(at=left, call=c, agent=agent, queue=q, waited=wait))
            if rng.random() < 0.3:
                held = left + 10
                resumed = held + round(rng.uniform(1, 19), 3)  # within the talk (>= 30 s)
                facts += [
                    f.CallHeld(at=held, call=c, agent=agent),
                    f.CallResumed(at=resumed, call=c, agent=agent),
                ]
                hold = resumed - held
            transfers = 0
            if rng.random() < 0.2:
                facts.append(
                    f.CallTransferred(at=left + 5, call=c, agent=agent, target_kind="queue", target="x")
                )
                transfers = 1
            wrapup = round(rng.uniform(0, 60), 3)
            dial_plan_record = QueuedContact(
                c, q, entered, left, outcome, agent=agent, talk=end - left, ewt_announced=ewt
            )
            facts += [
                f.CallFinished(at=end, call=c, hung_up_by="caller", agent=agent),
                f.QueueLeft(
                    at=end + wrapup,
                    call=c,
                    tenant="demo",
                    record=QueuedContact(**{**_fields(dial_plan_record), "wrapup": wrapup}),
                ),
            ]
            truth.append(
                QueuedContact(
                    c,
                    q,
                    entered,
                    left,
                    outcome,
                    agent=agent,
                    talk=(end - left) - hold,
                    hold=hold,
                    wrapup=wrapup,
                    transfers=transfers,
                    ewt_announced=ewt,
                )
            )
        elif outcome is Outcome.interrupted:  # waiting when the server died: closed at the next start
            truth.append(QueuedContact(c, q, entered, entered, outcome))
        else:
            left = entered + wait
            record = QueuedContact(c, q, entered, left, outcome, ewt_announced=ewt)
            facts += [
                f.QueueLeft(at=left, call=c, tenant="demo", record=record),
                f.CallFinished(at=left, call=c, hung_up_by="caller"),
            ]
            truth.append(record)
        calls.append(facts)
    states: list[f.AgentStateRecorded] = []
    for agent in AGENTS:
        s = DAY + 6 * 3600 + rng.uniform(0, 3600)
        while s < DAY + 20 * 3600:
            state = rng.choice(["available", "available", "on-call", "wrap-up", "reserved", "break"])
            states.append(
                f.AgentStateRecorded(at=round(s, 3), tenant="demo", agent=agent, state=state, reason="")
            )
            s += rng.expovariate(1 / 300)
    states.append(
        f.AgentStateRecorded(at=DAY - 600, tenant="demo", agent="1000", state="available", reason="")
    )
    return calls, truth, states


def _fields(c: QueuedContact) -> dict[str, object]:
    return {k: getattr(c, k) for k in QueuedContact.__dataclass_fields__}


def _occupancy(
    states: list[f.AgentStateRecorded], agent: str, start: float, end: float, until: float
) -> tuple[Fraction, Fraction]:
    """Handling and available seconds of ``agent`` in [start, end), with fractions, by brute force."""
    mine = sorted((s for s in states if s.agent == agent), key=lambda s: s.at)
    handling, available = Fraction(0), Fraction(0)
    for k, s in enumerate(mine):
        stop = mine[k + 1].at if k + 1 < len(mine) else until
        lo, hi = max(s.at, start), min(stop, end, until)
        if hi > lo:
            if s.state in ("reserved", "on-call", "wrap-up"):
                handling += Fraction(hi) - Fraction(lo)
            elif s.state == "available":
                available += Fraction(hi) - Fraction(lo)
    return handling, available


def test_stored_figures_equal_an_independent_recomputation(db: Database) -> None:
    with db.session() as session:
        session.add(Tenant(name="demo", time_zone="Europe/Warsaw"))
    calls, truth, states = _day(seed=11)
    store = CallRecordStore(db)
    for k in range(0, len(calls), 100):
        store.append([fact for call in calls[k : k + 100] for fact in call])
    store.append(states)
    interrupted = store.close_interrupted(now=DAY + 30 * 3600)
    assert len(interrupted) == sum(1 for c in truth if c.outcome is Outcome.interrupted)

    with db.session() as session:
        tenant_id = session.scalars(select(Tenant.id)).one()
    end = DAY + 86400
    passages, activities = store.passages(tenant_id, DAY, end), store.activities(tenant_id, DAY, end)
    for minutes in (15, 30, 60):
        _check(truth, states, passages, activities, minutes)


def _check(
    truth: list[QueuedContact],
    states: list[f.AgentStateRecorded],
    passages: list[QueuedContact],
    activities: list[AgentActivity],
    minutes: int,
) -> None:
    """Every queue and agent figure of every interval of ``minutes``."""
    end = DAY + 86400
    length = minutes * 60.0
    report = interval_report(
        passages,
        activities,
        list(QUEUES.values()),
        start=DAY,
        end=end,
        length=length,
        agents=AGENTS,
    )
    checked = 0
    for row in report.queues:
        q = QUEUES[row.queue]
        expected = _recompute(
            truth, q.name, row.interval_start, length, q.formula, q.threshold, q.short_abandon
        )
        assert {k: getattr(row, k) for k in expected} == expected, (row.queue, row.interval_start)
        checked += row.offered
    assert checked == len(truth)
    for a in report.agents:
        handled = [
            c
            for c in truth
            if c.agent == a.agent
            and c.outcome is Outcome.answered
            and a.interval_start <= c.left_at < a.interval_start + length
        ]
        assert a.handled == len(handled)
        assert a.talk == float(sum(Fraction(c.talk) for c in handled))
        handling, available = _occupancy(states, a.agent, a.interval_start, a.interval_start + length, end)
        assert (a.handling_time, a.available_time) == (float(handling), float(available))
        expected_occ = None if handling + available == 0 else float(handling) / float(handling + available)
        assert a.occupancy == expected_occ
