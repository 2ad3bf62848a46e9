"""Each strategy's choice on a small setup, with deterministic tie-breaking."""

from __future__ import annotations

from collections import Counter

from tests.acd.acd_driver import Driver, of_type, offers

from centralino.acd import (
    AgentLoggedOut,
    AgentState,
    CancelOffer,
    Connect,
    OfferAccepted,
    QueueSpec,
    Refused,
    Strategy,
)


def make(strategy: Strategy, seed: int = 0, **kw: object) -> Driver:
    return Driver([QueueSpec("q", strategy=strategy, wrapup=0, announce_every=0, **kw)], seed=seed)


def first_offer(d: Driver, cid: str) -> tuple[str, ...]:
    got = offers(d.arrive(cid))
    assert len(got) == 1
    return got[0][1]


def test_longest_idle_prefers_earliest_idle_and_lowest_penalty() -> None:
    d = make(Strategy.longest_idle)
    d.login("103", 0)
    d.login("101", 1)
    d.login("102", 2)
    assert first_offer(d, "c1") == ("103",)
    d.serve("c1", "103", 30)
    d.at(d.now)
    # 103 is idle again but since later than 101 and 102.
    assert first_offer(d, "c2") == ("101",)

    d = make(Strategy.longest_idle)
    d.login("101", 0, queues={"q": 2})
    d.login("102", 5)
    assert first_offer(d, "c1") == ("102",)


def test_round_robin_remembers_turns() -> None:
    d = make(Strategy.round_robin)
    for ext in ("101", "102", "103"):
        d.login(ext, 0)
    chosen = []
    for n in range(4):
        agent = first_offer(d, f"c{n}")[0]
        chosen.append(agent)
        d.serve(f"c{n}", agent, 10)
        d.at(d.now)
    assert chosen == ["101", "102", "103", "101"]


def test_least_talk_time_and_fewest_calls() -> None:
    for strategy, talks, expected in [
        (Strategy.least_talk_time, {"101": [100], "102": [10], "103": [20, 20]}, "102"),
        (Strategy.fewest_calls, {"101": [5, 5], "102": [1, 1, 1], "103": [100]}, "103"),
    ]:
        d = make(strategy)
        # Each agent logs in alone, takes its calls, and logs out; then all come back.
        for ext, durations in talks.items():
            d.login(ext)
            for n, talk in enumerate(durations):
                cid = f"{ext}-{n}"
                assert first_offer(d, cid) == (ext,)
                d.serve(cid, ext, talk)
                d.at(d.now)
            d.do(AgentLoggedOut(ext))
        for ext in talks:
            d.login(ext)
        assert first_offer(d, "x") == (expected,), strategy


def test_linear_follows_member_order() -> None:
    d = make(Strategy.linear)
    for ext in ("105", "101", "103"):
        d.login(ext, 0)
    assert first_offer(d, "c1") == ("105",)
    d.serve("c1", "105", 10)
    d.at(d.now)
    assert first_offer(d, "c2") == ("105",)
    assert first_offer(d, "c3") == ("101",)


def test_random_is_seeded_and_uniform_enough() -> None:
    def pick(seed: int) -> str:
        d = make(Strategy.random, seed=seed)
        for ext in ("101", "102", "103"):
            d.login(ext, 0)
        return first_offer(d, "c")[0]

    assert pick(7) == pick(7)
    counts = Counter(pick(seed) for seed in range(300))
    assert set(counts) == {"101", "102", "103"}
    assert min(counts.values()) > 60


def test_weighted_random_favours_low_penalty() -> None:
    counts: Counter[str] = Counter()
    for seed in range(400):
        d = make(Strategy.weighted_random, seed=seed)
        d.login("101", 0, queues={"q": 0})
        d.login("102", 0, queues={"q": 3})
        counts[first_offer(d, "c")[0]] += 1
    # Weights 1 and 1/4: expect 80 % and 20 %.
    assert 0.72 < counts["101"] / 400 < 0.88


def test_ring_all_connects_one_and_cancels_the_others() -> None:
    d = make(Strategy.ring_all)
    for ext in ("101", "102", "103"):
        d.login(ext, 0)
    d.login("104", 0, queues={"q": 1})  # worse penalty tier: not rung
    assert first_offer(d, "c1") == ("101", "102", "103")
    out = d.do(OfferAccepted("c1", "102"))
    assert [(x.contact, x.agent) for x in of_type(out, Connect)] == [("c1", "102")]
    assert sorted(x.agent for x in of_type(out, CancelOffer)) == ["101", "103"]
    late = d.do(OfferAccepted("c1", "101"))
    assert of_type(late, Refused) and not of_type(late, Connect)
    assert d.engine.agent_state("101") is AgentState.available
    assert d.engine.agent_state("102") is AgentState.on_call
    assert d.engine.audit() == []
