"""Random transfers, consultations and conferences among random hang-ups and failing phones.

The invariants of ``test_dialplan_random`` extended to handovers (checked after every step by
the fake switch, and at the end):
- the plan's audit holds: no transfer leg lives on for a caller who is gone (except the two
  agents of a conference the caller left), no agent is kept busy without a call, a caller is
  never bridged to an agent and a transfer target at once, no leg rings that the plan forgot;
- bridges are mutual, so a caller hears one party, or two only inside a three-way mix;
- once everyone has hung up (the parties still talking after the caller left a conference hang up
  at the end), every leg has ended and every agent is available again (or on
  the automatic break that missed offers lead to).
"""

from __future__ import annotations

from typing import Any

from dialplan_driver import Leg, Phone
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_dialplan_transfer_driver import TransferSwitch, transfer_switch

from centralino.acd import AgentState
from centralino.calls.events import CallOffered, HungUp
from centralino.dialplan import (
    AgentStateRecorded,
    CallConnected,
    CallFinished,
    CallTransferred,
    ConferenceRequested,
    HandoverKind,
    TransferCancelled,
    TransferCompleted,
    TransferMode,
    TransferRequested,
)

AGENTS = ("1001", "1002", "1003")
NUMBERS = ("+48221000001", "+48221000002")

phones = st.builds(
    Phone,
    answer_after=st.one_of(st.none(), st.floats(0.1, 35), st.floats(0.1, 5), st.floats(0.1, 5)),
    reject_code=st.one_of(st.none(), st.none(), st.sampled_from([486, 603, 404])),
    talk=st.one_of(st.none(), st.floats(0.5, 90)),
)
targets = st.one_of(
    st.tuples(st.just("agent"), st.sampled_from(AGENTS)),
    st.tuples(st.just("queue"), st.sampled_from(["support", "sales", "nope"])),
    st.tuples(st.just("number"), st.sampled_from(NUMBERS)),
)
requests = st.tuples(
    st.integers(0, 3),  # which of the calls connected at that moment
    st.floats(0, 120),  # when
    st.sampled_from(["blind", "attended", "conference", "complete", "cancel"]),
    targets,
    st.one_of(st.none(), st.tuples(st.sampled_from(["complete", "cancel", "conference"]), st.floats(0, 20))),
)
callers = st.tuples(st.floats(0, 60), st.sampled_from(["200", "300", "700"]),
                    st.one_of(st.floats(1, 300), st.floats(60, 300)))


def _request(sw: TransferSwitch, call: str, what: str, to: str, target: str) -> Any:
    at = sw.now
    if what == "complete":
        return TransferCompleted(at=at, call=call)
    if what == "cancel":
        return TransferCancelled(at=at, call=call)
    if what == "conference":
        return ConferenceRequested(at=at, call=call, to=HandoverKind(to), target=target)
    return TransferRequested(at=at, call=call, mode=TransferMode(what), to=HandoverKind(to), target=target)


@settings(max_examples=250, deadline=None)
@given(st.lists(callers, min_size=1, max_size=4), st.tuples(phones, phones, phones),
       st.tuples(phones, phones), st.lists(requests, min_size=2, max_size=12), st.integers(0, 1000))
def test_random_handovers_never_leave_anything_stuck(
    calls: list[tuple[float, str, float]], agent_phones: tuple[Phone, Phone, Phone],
    outside: tuple[Phone, Phone], asks: list[tuple[int, float, str, tuple[str, str]]], seed: int,
) -> None:
    sw = transfer_switch(*AGENTS, seed=seed)
    sw.phones.update(zip(AGENTS, agent_phones, strict=True))
    sw.phones.update(zip(NUMBERS, outside, strict=True))
    start = sw.now
    for i, (arrival, number, hangup) in enumerate(calls):
        leg = f"c{i}"

        def arrive(leg: str = leg, number: str = number, i: int = i) -> None:
            sw.legs[leg] = Leg(leg, inbound=True, target=number)
            sw.feed(CallOffered(leg=leg, at=sw.now, caller=f"+4860000{i:04d}", dialled=number))

        def hang_up(leg: str = leg) -> None:
            if sw.legs[leg].state != "ended":
                sw._end(leg, "remote")
                sw.feed(HungUp(leg=leg, at=sw.now, by="remote"))

        sw.later(arrival, arrive)
        sw.later(arrival + hangup, hang_up)
    def live_calls() -> list[str]:
        finished = {f.call for f in sw.of(CallFinished)}
        return sorted({c.call for c in sw.of(CallConnected)} - finished)

    for which, when, what, (to, target), then in asks:

        def ask(which: int = which, what: str = what, to: str = to, target: str = target,
                then: tuple[str, float] | None = then) -> None:
            live = live_calls()
            if not live:
                return
            call = live[which % len(live)]
            sw.feed(_request(sw, call, what, to, target))
            if then is not None:
                sw.later(then[1], lambda: sw.feed(_request(sw, call, then[0], to, target)))

        sw.later(when, ask)
    sw.run_until(start + 4000)
    # Agents who stayed on after the caller left a conference, and phones that never hang up, do now.
    for leg in [leg for leg in sw.legs.values() if leg.state == "up"]:
        sw.later(0, sw._remote_hangup(leg.id))
    sw.run_until(start + 4100)

    event(f"transfers: {min(len(sw.of(CallTransferred)), 2)}")
    event(f"conferences: {min(len(sw.mixed), 1)}")
    assert [leg.id for leg in sw.legs.values() if leg.state != "ended"] == []
    assert sw.plan.live_legs() == {}
    assert sw.mixes == []
    for agent in AGENTS:
        state = sw.plan.agent_state("t", agent)
        assert state in (AgentState.available, AgentState.on_break), (agent, state)
        if state is AgentState.on_break:
            reasons = [s.reason for s in sw.of(AgentStateRecorded) if s.agent == agent]
            assert "missed offers" in reasons[-1]
