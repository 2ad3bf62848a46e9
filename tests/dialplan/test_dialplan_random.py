"""Random orders of events through the dial plan: callers hanging up at any time, phones failing.

Invariants (checked after every step by the fake switch, and at the end):
- no agent leg rings for a caller who is gone, and no leg rings that the plan forgot;
- the ACD's own audit holds (no agent reserved without an offer, no stuck wrap-up...);
- each caller is bridged to at most one agent, each agent leg to at most one caller;
- once everyone has hung up, every leg has ended and every agent is available again (or on
  the automatic break that missed offers lead to).
"""

from __future__ import annotations

from typing import Any

from dialplan_driver import Leg, Phone, Switch
from dialplan_fixtures import switch
from hypothesis import event, given, settings
from hypothesis import strategies as st

from centralino.acd import AgentState
from centralino.calls.events import CallOffered, DigitsReceived, HungUp
from centralino.dialplan import (
    AgentLogin,
    AgentLogout,
    AgentStateRecorded,
    CallbackAttempted,
    OfferEnded,
)

AGENTS = ("1001", "1002", "1003")

phones = st.builds(
    Phone,
    answer_after=st.one_of(st.none(), st.floats(0.1, 25), st.floats(0.1, 5)),
    reject_code=st.one_of(st.none(), st.none(), st.sampled_from([486, 603, 480])),
    talk=st.one_of(st.none(), st.floats(0.5, 90)),
)
callers = st.tuples(
    st.floats(0, 120),  # arrival
    st.sampled_from(["200", "300", "400", "400", "700"]),
    st.floats(0.1, 300),  # hangs up this long after arriving
    # presses 1 this long after arriving; the IVR of 400 offers a callback 10 s after queueing
    st.one_of(st.none(), st.floats(0, 60), st.floats(10.2, 13)),
    st.booleans(),  # the callback number answers
)
logouts = st.one_of(st.none(), st.tuples(st.sampled_from(AGENTS), st.floats(0, 200), st.floats(1, 100)))


def _at(sw: Switch, delay: float, action: Any) -> None:
    sw.later(delay, action)


@settings(max_examples=150, deadline=None)
@given(st.lists(callers, min_size=1, max_size=5), st.tuples(phones, phones, phones), logouts,
       st.integers(0, 1000))
def test_random_hangups_and_failing_phones_never_leave_anything_stuck(
    calls: list[tuple[float, str, float, float | None, bool]], agent_phones: tuple[Phone, Phone, Phone],
    logout: tuple[str, float, float] | None, seed: int,
) -> None:
    sw = switch(*AGENTS, phones=dict(zip(AGENTS, agent_phones, strict=True)), seed=seed)
    start = sw.now
    for i, (arrival, number, hangup, press, reachable) in enumerate(calls):
        leg, caller = f"c{i}", f"+4860000{i:04d}"
        sw.phones[caller] = Phone(answer_after=2.0 if reachable else None, talk=30)

        def arrive(leg: str = leg, number: str = number, caller: str = caller) -> None:
            sw.legs[leg] = Leg(leg, inbound=True, target=number)
            sw.feed(CallOffered(leg=leg, at=sw.now, caller=caller, dialled=number))

        def hang_up(leg: str = leg) -> None:
            if sw.legs[leg].state != "ended":
                sw._end(leg, "remote")
                sw.feed(HungUp(leg=leg, at=sw.now, by="remote"))

        def key(leg: str = leg) -> None:
            if sw.legs[leg].state == "up":
                sw.feed(DigitsReceived(leg=leg, at=sw.now, digits="1"))

        _at(sw, arrival, arrive)
        _at(sw, arrival + hangup, hang_up)
        if press is not None:
            _at(sw, arrival + press, key)
    if logout is not None:
        agent, when, back = logout
        _at(sw, when, lambda: sw.feed(AgentLogout(at=sw.now, agent=agent)))
        _at(sw, when + back, lambda: sw.feed(AgentLogin(at=sw.now, agent=agent)))
    sw.run_until(start + 4000)

    event(f"bridges: {min(len(sw.bridges), 3)}")
    event(f"callback attempts: {min(len(sw.of(CallbackAttempted)), 2)}")
    event(f"missed offers: {min(sum(o.outcome == 'missed' for o in sw.of(OfferEnded)), 2)}")
    assert [leg.id for leg in sw.legs.values() if leg.state != "ended"] == []
    assert sw.plan.live_legs() == {}
    callers_bridged = [a for a, _ in sw.bridges]
    agents_bridged = [b for _, b in sw.bridges]
    assert len(set(callers_bridged)) == len(callers_bridged), sw.bridges
    assert len(set(agents_bridged)) == len(agents_bridged), sw.bridges
    for agent in AGENTS:
        state = sw.plan.agent_state("t", agent)
        assert state in (AgentState.available, AgentState.on_break), (agent, state)
        if state is AgentState.on_break:
            reasons = [s.reason for s in sw.of(AgentStateRecorded) if s.agent == agent]
            assert "missed offers" in reasons[-1]
