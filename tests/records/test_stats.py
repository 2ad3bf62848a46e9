"""Statistics: hand-checked examples per formula, and an independent recomputation of a generated day."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest

from centralino.records.stats import (
    AgentActivity,
    Formula,
    Outcome,
    QueuedContact,
    agent_figures,
    interval_start,
    percentile,
    queue_figures,
)


def c(i: int, entered: float, wait: float, outcome: Outcome, **kw: Any) -> QueuedContact:
    return QueuedContact(f"c{i}", "support", entered, entered + wait, outcome, **kw)


SMALL_DAY = [
    c(1, 0, 10, Outcome.answered, talk=100, wrapup=20),
    c(2, 5, 30, Outcome.answered, talk=200, hold=10, wrapup=10),
    c(3, 8, 3, Outcome.abandoned),
    c(4, 9, 25, Outcome.abandoned),
    c(5, 12, 15, Outcome.callback),
    c(6, 20, 40, Outcome.callback),
]


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        (Formula.answered_only, 1 / 2),  # 1 of 2 answered within 20 s
        (Formula.abandons_counted, 2 / 4),  # (1 answered + 1 abandoned within) / (2 + 2)
        (Formula.removed_from_queue, 3 / 6),  # (1 + 1 + 1 callback within) / 6 offered
        (Formula.short_abandons_excluded, 1 / 5),  # 1 / (6 offered - 1 short abandon)
    ],
)
def test_service_level_formulas_on_a_hand_checked_interval(formula: Formula, expected: float) -> None:
    f = queue_figures(SMALL_DAY, queue="support", start=0, length=900, formula=formula, threshold=20)
    assert f.service_level == pytest.approx(expected)
    assert f.formula is formula and f.formula_text


def test_other_figures_on_the_hand_checked_interval() -> None:
    f = queue_figures(SMALL_DAY, queue="support", start=0, length=900)
    assert (f.offered, f.answered, f.abandoned, f.callbacks, f.short_abandoned) == (6, 2, 2, 2, 1)
    assert f.asa == 20.0  # (10 + 30) / 2
    assert f.aht == 170.0  # (120 + 220) / 2
    assert f.abandonment_rate == pytest.approx(2 / 6)  # callbacks are not abandons
    assert f.longest_wait == 40.0


def test_empty_interval_has_no_ratios_rather_than_perfect_ones() -> None:
    f = queue_figures(SMALL_DAY, queue="support", start=900, length=900)
    assert f.offered == 0
    assert f.service_level is None and f.asa is None and f.abandonment_rate is None


def test_interval_alignment_and_percentile() -> None:
    assert interval_start(1799.9, 900) == 900
    assert interval_start(1800, 900) == 1800
    assert percentile([5, 1, 3, 2, 4], 90) == 5
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([], 90) is None


def test_occupancy_clips_state_spans_to_the_interval() -> None:
    spans = [
        AgentActivity("a1", "available", 0, 300),
        AgentActivity("a1", "handling", 300, 1200),  # 600 s of it inside [0, 900)
        AgentActivity("a1", "break", 1200, 1500),
    ]
    contacts = [QueuedContact("x", "support", 290, 300, Outcome.answered, agent="a1", talk=800, wrapup=100)]
    fig = agent_figures(contacts, spans, agent="a1", start=0, length=900)
    assert fig.handling_time == 600 and fig.available_time == 300
    assert fig.occupancy == pytest.approx(600 / 900)
    assert fig.handled == 1 and fig.aht == 900


def _generated_day(seed: int) -> list[QueuedContact]:
    rng = random.Random(seed)
    out = []
    t = 8 * 3600.0
    queues = ["support", "billing"]
    for i in range(3000):
        t += rng.expovariate(1 / 12)
        outcome = rng.choices(list(Outcome), weights=[70, 12, 6, 4, 4, 4])[0]
        wait = round(rng.expovariate(1 / 25), 3)
        answered = outcome is Outcome.answered
        out.append(
            QueuedContact(
                f"c{i}", rng.choice(queues), t, t + wait, outcome,
                agent=f"a{rng.randrange(20)}" if answered else None,
                talk=round(rng.uniform(30, 600), 3) if answered else 0.0,
                hold=round(rng.choice([0, 0, 0, rng.uniform(0, 60)]), 3) if answered else 0.0,
                wrapup=round(rng.uniform(0, 60), 3) if answered else 0.0,
                transfers=rng.choice([0, 0, 0, 1]) if answered else 0,
                ewt_announced=round(rng.uniform(0, 60), 1) if rng.random() < 0.5 else None,
            )
        )
    return out


def _recompute(contacts: list[QueuedContact], queue: str, start: float, length: float,
               formula: Formula, threshold: float, short: float) -> dict[str, object]:
    """A second, deliberately naive implementation: one pass with counters and exact fractions."""
    n = {k: 0 for k in ("offered", "ans", "abd", "cb", "ans_in", "abd_in", "cb_in", "short", "xfer")}
    wait_sum = Fraction(0)
    handle_sum = Fraction(0)
    longest: float | None = None
    errors: list[float] = []
    for x in contacts:
        if x.queue != queue or not (start <= x.entered_at < start + length):
            continue
        w = x.left_at - x.entered_at
        n["offered"] += 1
        n["xfer"] += x.transfers
        longest = w if longest is None or w > longest else longest
        if x.outcome == "answered":
            n["ans"] += 1
            n["ans_in"] += w <= threshold
            wait_sum += Fraction(w)
            handle_sum += Fraction(x.talk + x.hold + x.wrapup)
            if x.ewt_announced is not None:
                errors.append(abs(x.ewt_announced - w))
        elif x.outcome == "abandoned":
            n["abd"] += 1
            n["abd_in"] += w <= threshold
            n["short"] += w <= short
        elif x.outcome == "callback":
            n["cb"] += 1
            n["cb_in"] += w <= threshold
    sl_num, sl_den = {
        Formula.answered_only: (n["ans_in"], n["ans"]),
        Formula.abandons_counted: (n["ans_in"] + n["abd_in"], n["ans"] + n["abd"]),
        Formula.removed_from_queue: (n["ans_in"] + n["abd_in"] + n["cb_in"], n["offered"]),
        Formula.short_abandons_excluded: (n["ans_in"], n["offered"] - n["short"]),
    }[formula]
    errors.sort()
    return {
        "offered": n["offered"], "answered": n["ans"], "abandoned": n["abd"], "callbacks": n["cb"],
        "short_abandoned": n["short"], "transfers": n["xfer"],
        "service_level": sl_num / sl_den if sl_den else None,
        "asa": float(wait_sum) / n["ans"] if n["ans"] else None,
        "aht": float(handle_sum) / n["ans"] if n["ans"] else None,
        "abandonment_rate": n["abd"] / n["offered"] if n["offered"] else None,
        "longest_wait": longest,
        "ewt_error_mean": float(sum(map(Fraction, errors))) / len(errors) if errors else None,
        "ewt_error_p90": errors[-(-9 * len(errors) // 10) - 1] if errors else None,
    }


@pytest.mark.parametrize("formula", list(Formula))
@pytest.mark.parametrize("length", [900, 1800, 3600])
def test_every_figure_agrees_exactly_with_an_independent_recomputation(formula: Formula, length: int) -> None:
    day = _generated_day(seed=7)
    checked = 0
    for queue in ("support", "billing"):
        for start in range(0, 24 * 3600, length):
            fig = queue_figures(day, queue=queue, start=start, length=length, formula=formula,
                                threshold=20, short_abandon=5)
            expected = _recompute(day, queue, start, length, formula, 20, 5)
            got = {k: getattr(fig, k) for k in expected}
            assert got == expected, (queue, start)
            checked += fig.offered
    assert checked == len(day)  # every contact lands in exactly one interval
