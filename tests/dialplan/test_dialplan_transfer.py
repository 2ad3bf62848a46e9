"""Transfers and conferences through the dial plan, on the fake switch and a fake clock.

Each kind (blind to a queue, an agent, a number; attended complete and cancel; conference)
and its failure paths: who is bridged to whom, where the agents' states go, which facts the
call record gets. The fake switch checks after every step that the plan's audit holds and
bridges are mutual.
"""

from __future__ import annotations

from typing import Any

from dialplan_driver import Phone
from test_dialplan_transfer_driver import TransferSwitch, transfer_switch

from centralino.acd import AgentState
from centralino.calls.commands import Bridge, Hangup, Play, Ring
from centralino.dialplan import (
    AgentLogin,
    AgentStateRecorded,
    CallConnected,
    CallFinished,
    CallTransferred,
    ConferenceRequested,
    HandoverKind,
    OfferRinging,
    QueueEntered,
    QueueLeft,
    Refusal,
    TransferCancelled,
    TransferCompleted,
    TransferMode,
    TransferRequested,
)
from centralino.records.stats import Outcome

NUMBER = "+48221234567"


def connected(*agents: str) -> tuple[TransferSwitch, str]:
    """``c1`` calls the support line and is answered by the first agent; the others log in after."""
    sw = transfer_switch(agents[0])
    sw.call("c1", "200")
    sw.advance(3)
    [leg] = sw.agent_legs(agents[0])
    assert sw.hears("c1") == {leg.id}
    for agent in agents[1:]:
        sw.feed(AgentLogin(at=sw.now, agent=agent))
    return sw, leg.id


def transfer(sw: TransferSwitch, to: str, target: str, mode: str = "blind") -> None:
    sw.feed(TransferRequested(at=sw.now, call="c1", mode=TransferMode(mode), to=HandoverKind(to),
                              target=target))
    sw.settle()


def refusals(sw: TransferSwitch) -> list[str]:
    return [r.reason for r in sw.of(Refusal)]


def state(sw: TransferSwitch, agent: str) -> AgentState:
    return sw.plan.agent_state("t", agent)


def wrapped_up(sw: TransferSwitch, agent: str) -> bool:
    """The agent went to wrap-up last (a target of a transfer wraps up for as long as the last queue
    it took a call from says: 0 s when none, so it may be available again at once)."""
    states = [s.state for s in sw.of(AgentStateRecorded) if s.agent == agent]
    return states[-1:] == ["wrap-up"] or states[-2:] == ["wrap-up", "available"]


def after(sw: TransferSwitch, kind: type, mark: int) -> list[Any]:
    return [x for x in sw.commands[mark:] if isinstance(x, kind)]


# ----------------------------------------------------------------- blind


def test_blind_to_a_queue_keeps_the_place_in_line_and_records_the_transfer() -> None:
    sw, first = connected("1001")
    sw.advance(10)
    sw.call("c2", "300")  # waits in sales: nobody of sales is logged in
    sw.advance(10)
    mark = len(sw.commands)
    transfer(sw, "queue", "sales")
    assert sw.legs[first].state == "ended" and state(sw, "1001") is AgentState.wrap_up
    plays = [p.prompts[0] for p in after(sw, Play, mark) if p.leg == "c1"]
    assert plays[0].startswith("moh:") and "file:en/position/1" in plays  # music, then "first in line"
    [moved] = sw.of(CallTransferred)
    assert (moved.agent, moved.target_kind, moved.target, moved.mode) == ("1001", "queue", "sales", "blind")
    assert [e.queue for e in sw.of(QueueEntered) if e.call == "c1"] == ["support", "sales"]
    assert sw.plan.engine("t").waiting("sales") == ["c1", "c2"]  # arrived first, so first in line
    sw.feed(AgentLogin(at=sw.now, agent="1003"))
    sw.advance(3)
    [leg] = sw.agent_legs("1003")
    assert sw.hears("c1") == {leg.id}
    sw.advance(20)  # 1001's wrap-up ends: the support passage is recorded, answered by 1001
    support = [q.record for q in sw.of(QueueLeft) if q.record.queue == "support"]
    assert [(r.outcome, r.agent) for r in support] == [(Outcome.answered, "1001")]
    assert state(sw, "1001") is AgentState.available
    sw.hang_up("c1")
    assert sw.legs[leg.id].state == "ended" and state(sw, "1003") is AgentState.wrap_up


def test_blind_to_an_available_agent_rings_them_and_bridges_on_answer() -> None:
    sw, first = connected("1001", "1002")
    sw.advance(5)
    transfer(sw, "agent", "1002")
    assert state(sw, "1002") is AgentState.on_call  # no queue call rings them meanwhile
    [ring] = [r for r in sw.of(Ring) if r.target == "1002"]
    assert sw.legs[first].state == "ended" and state(sw, "1001") is AgentState.wrap_up
    [offered] = [o for o in sw.of(OfferRinging) if o.agent == "1002"]
    assert offered.leg == ring.leg  # the screen pop for 1002
    sw.advance(3)
    assert sw.hears("c1") == {ring.leg}
    assert [c.agent for c in sw.of(CallConnected)] == ["1001", "1002"]
    sw.hang_up("c1")
    assert sw.legs[ring.leg].state == "ended"
    assert wrapped_up(sw, "1002")
    [done] = sw.of(CallFinished)
    assert (done.hung_up_by, done.agent) == ("caller", "1002")
    assert sw.plan.live_legs() == {}


def test_blind_to_an_agent_who_is_not_available_is_refused_before_anything_changes() -> None:
    sw, first = connected("1001", "1002")
    sw.feed(TransferRequested(at=sw.now, call="c1", mode=TransferMode.blind, to=HandoverKind.agent,
                              target="1003"))
    problem = sw.plan.handover_problem(TransferRequested(at=sw.now, call="c1", mode=TransferMode.blind,
                                                         to=HandoverKind.agent, target="1003"))
    assert problem is not None and "1003 is logged-out" in problem
    assert refusals(sw) == [problem]
    assert sw.hears("c1") == {first} and state(sw, "1001") is AgentState.on_call


def test_blind_to_an_agent_who_does_not_answer_returns_the_caller_to_the_queue() -> None:
    sw, first = connected("1001", "1002")
    sw.phones["1002"] = Phone(answer_after=None)
    transfer(sw, "agent", "1002")
    sw.advance(31)  # the transfer rings 30 s
    assert any("not reached" in r for r in refusals(sw))
    assert [e.queue for e in sw.of(QueueEntered)] == ["support", "support"]
    assert state(sw, "1002") is not AgentState.wrap_up  # a ring is no work to wrap up
    assert sw.legs["c1"].state == "up"  # not dropped: queued again, rung again
    assert sw.plan.engine("t").contact_state("c1").value in ("waiting", "offered", "connected")


def test_blind_to_a_number_bridges_on_answer_and_returns_to_the_queue_when_unreachable() -> None:
    sw, first = connected("1001")
    sw.phones[NUMBER] = Phone(answer_after=4, talk=20)
    transfer(sw, "number", NUMBER)
    [ring] = [r for r in sw.of(Ring) if r.target == NUMBER]
    sw.advance(5)
    assert sw.hears("c1") == {ring.leg}
    sw.advance(20)  # the outside party hangs up: the caller with them
    assert sw.legs["c1"].state == "ended"
    [done] = sw.of(CallFinished)
    assert done.cause == "transfer target hung up"

    sw, first = connected("1001")
    sw.phones["999"] = Phone(answer_after=0.5, reject_code=404)
    transfer(sw, "number", "999")
    sw.advance(1)
    assert sw.legs["c1"].state == "up"
    assert [e.queue for e in sw.of(QueueEntered)] == ["support", "support"]
    sw.advance(15)  # 1001 out of wrap-up takes it again
    assert sw.hears("c1") == {sw.agent_legs("1001")[-1].id}


# ----------------------------------------------------------------- attended


def test_attended_consults_with_the_caller_on_music_then_completes() -> None:
    sw, first = connected("1001", "1002")
    mark = len(sw.commands)
    transfer(sw, "agent", "1002", "attended")
    [play] = after(sw, Play, mark)
    assert play.leg == "c1" and play.loop and play.prompts[0].startswith("moh:")
    [ring] = after(sw, Ring, mark)
    assert sw.legs[first].bridged == ring.leg and sw.hears("c1") == set()
    sw.advance(3)
    assert sw.hears(first) == {ring.leg} and sw.plan.handover("t", "c1").phase == "consulting"
    assert sw.of(CallTransferred) == []  # not yet: the consultation may be cancelled
    sw.feed(TransferCompleted(at=sw.now, call="c1"))
    sw.settle()
    assert sw.hears("c1") == {ring.leg} and sw.legs[first].state == "ended"
    assert state(sw, "1001") is AgentState.wrap_up and state(sw, "1002") is AgentState.on_call
    [moved] = sw.of(CallTransferred)
    assert (moved.mode, moved.target_kind, moved.target, moved.leg) == ("attended", "agent", "1002", ring.leg)
    sw.hang_up(ring.leg)  # 1002 ends the call
    assert sw.legs["c1"].state == "ended" and wrapped_up(sw, "1002")


def test_attended_cancelled_brings_the_caller_back_to_the_agent() -> None:
    sw, first = connected("1001", "1002")
    transfer(sw, "agent", "1002", "attended")
    sw.advance(3)
    [ring] = [r for r in sw.of(Ring) if r.target == "1002"]
    sw.feed(TransferCancelled(at=sw.now, call="c1"))
    sw.settle()
    assert sw.legs[ring.leg].state == "ended"
    assert sw.hears("c1") == {first} and sw.legs["c1"].playing is None
    assert state(sw, "1002") is AgentState.available and state(sw, "1001") is AgentState.on_call
    assert sw.plan.handover("t", "c1") is None


def test_attended_target_not_answering_brings_the_caller_back_and_completion_waits_for_an_answer() -> None:
    sw, first = connected("1001")
    sw.phones[NUMBER] = Phone(answer_after=None)
    transfer(sw, "number", NUMBER, "attended")
    sw.feed(TransferCompleted(at=sw.now, call="c1"))
    assert any("has not answered yet" in r for r in refusals(sw))
    sw.advance(31)
    assert sw.hears("c1") == {first}


def test_attended_agent_hanging_up_completes_once_answered_and_requeues_while_ringing() -> None:
    sw, first = connected("1001", "1002")
    transfer(sw, "agent", "1002", "attended")
    sw.advance(3)
    [ring] = [r for r in sw.of(Ring) if r.target == "1002"]
    sw.hang_up(first)
    assert sw.hears("c1") == {ring.leg}
    assert [t.mode for t in sw.of(CallTransferred)] == ["attended"]

    sw, first = connected("1001", "1002")
    sw.phones["1002"] = Phone(answer_after=None)
    transfer(sw, "agent", "1002", "attended")
    sw.hang_up(first)
    assert sw.legs["c1"].state == "up"
    assert [e.queue for e in sw.of(QueueEntered)] == ["support", "support"]
    assert state(sw, "1002") is AgentState.reserved  # freed at once: the queue offers it the caller
    sw.advance(40)  # 1002 never answers; 1001, out of wrap-up, takes the caller
    assert sw.hears("c1") == {sw.agent_legs("1001")[-1].id}


# ----------------------------------------------------------------- conference


def test_conference_mixes_three_and_whoever_leaves_the_other_two_talk_on() -> None:
    sw, first = connected("1001", "1002")
    sw.feed(ConferenceRequested(at=sw.now, call="c1", to=HandoverKind.agent, target="1002"))
    sw.settle()
    assert sw.hears("c1") == {first}  # talking on while 1002 rings
    sw.advance(3)
    [ring] = [r for r in sw.of(Ring) if r.target == "1002"]
    assert sw.mixed == [("c1", first, ring.leg)]
    assert sw.hears("c1") == {first, ring.leg} and sw.hears(ring.leg) == {"c1", first}
    sw.hang_up(first)  # the first agent leaves: caller and 1002 go on
    assert sw.hears("c1") == {ring.leg}
    assert state(sw, "1001") is AgentState.wrap_up and state(sw, "1002") is AgentState.on_call
    assert [t.mode for t in sw.of(CallTransferred)] == ["conference"]
    sw.hang_up("c1")
    assert sw.legs[ring.leg].state == "ended" and wrapped_up(sw, "1002")


def test_conference_caller_leaving_leaves_the_agents_talking_until_one_hangs_up() -> None:
    sw, first = connected("1001")
    sw.phones[NUMBER] = Phone(answer_after=1)
    sw.feed(ConferenceRequested(at=sw.now, call="c1", to=HandoverKind.number, target=NUMBER))
    sw.advance(2)
    [ring] = [r for r in sw.of(Ring) if r.target == NUMBER]
    sw.hang_up("c1")
    assert sw.hears(first) == {ring.leg}
    assert [f.hung_up_by for f in sw.of(CallFinished)] == ["caller"]
    sw.hang_up(ring.leg)
    assert sw.legs[first].state == "ended" and state(sw, "1001") is AgentState.wrap_up
    assert sw.plan.live_legs() == {}


def test_conference_from_a_consultation_and_a_third_party_leaving() -> None:
    sw, first = connected("1001", "1002")
    transfer(sw, "agent", "1002", "attended")
    sw.advance(3)
    [ring] = [r for r in sw.of(Ring) if r.target == "1002"]
    sw.feed(ConferenceRequested(at=sw.now, call="c1", to=HandoverKind.agent, target="1002"))
    sw.settle()
    assert sw.mixed == [("c1", first, ring.leg)]
    mark = len(sw.commands)
    sw.hang_up(ring.leg)
    assert Bridge(leg="c1", other=first) in after(sw, Bridge, mark)
    assert sw.hears("c1") == {first} and wrapped_up(sw, "1002")


# ----------------------------------------------------------------- refusals and hang-ups


def test_refusals_name_what_to_do() -> None:
    sw, first = connected("1001", "1002")
    for to, target, mode, words in [
        ("queue", "sales", "attended", "transfer blind to it"),
        ("queue", "nope", "blind", "no queue 'nope'"),
        ("agent", "1001", "blind", "already with that agent"),
        ("agent", "9999", "blind", "no agent 9999"),
    ]:
        transfer(sw, to, target, mode)
        assert words in refusals(sw)[-1]
    sw.feed(TransferCancelled(at=sw.now, call="c1"))
    assert "nothing" not in refusals(sw)[-1] and "no consultation" in refusals(sw)[-1]
    transfer(sw, "agent", "1002", "attended")
    transfer(sw, "queue", "sales")
    assert "complete or cancel it first" in refusals(sw)[-1]
    assert sw.of(CallTransferred) == [] and sw.legs[first].state == "up"


def test_caller_hanging_up_while_a_transfer_rings_ends_every_leg() -> None:
    sw, first = connected("1001", "1002")
    sw.phones["1002"] = Phone(answer_after=None)
    transfer(sw, "agent", "1002")
    sw.advance(5)
    sw.hang_up("c1")
    assert [leg.id for leg in sw.legs.values() if leg.state != "ended"] == []
    assert sw.plan.live_legs() == {}
    assert state(sw, "1002") is AgentState.available
    assert any(isinstance(c, Hangup) for c in sw.commands)


def test_a_completed_attended_transfer_to_a_number_cannot_be_completed_or_cancelled_again() -> None:
    sw, first = connected("1001")
    sw.phones[NUMBER] = Phone(answer_after=1)
    transfer(sw, "number", NUMBER, "attended")
    sw.advance(2)
    sw.feed(TransferCompleted(at=sw.now, call="c1"))
    sw.settle()
    [ring] = [r for r in sw.of(Ring) if r.target == NUMBER]
    assert sw.hears("c1") == {ring.leg} and sw.legs[first].state == "ended"
    for again in (TransferCompleted(at=sw.now, call="c1"), TransferCancelled(at=sw.now, call="c1")):
        sw.feed(again)
        assert "no consultation" in refusals(sw)[-1]
    assert sw.hears("c1") == {ring.leg}
