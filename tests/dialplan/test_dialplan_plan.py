"""Scenario tests of the dial plan on a fake clock, against the fake switch of dialplan_driver."""

from __future__ import annotations

from dialplan_driver import Phone
from dialplan_fixtures import switch

from centralino.acd import AgentState
from centralino.calls.commands import Answer, Echo, Play, Reject, Ring
from centralino.dialplan import (
    AgentLogin,
    AgentStateRecorded,
    CallbackAttempted,
    CallbackEnded,
    CallbackQueued,
    CallConnected,
    CallFinished,
    CallRejected,
    OfferEnded,
    QueueLeft,
    SurveyAnswered,
)
from centralino.records.stats import Outcome


def test_queue_call_waits_with_music_then_rings_the_agent_who_comes_free() -> None:
    sw = switch("1002")  # staffs the queue, but on a break: the caller must wait
    from centralino.dialplan import AgentBreak

    sw.feed(AgentBreak(at=sw.now, agent="1002"))
    caller = sw.call("c1", "200")
    assert caller.state == "up"
    first = [c for c in sw.commands if isinstance(c, Play)][0]
    assert first.loop and first.prompts == ("moh:default",)
    assert sw.ringing() == []
    sw.advance(5)  # the position announcement is over: music again
    assert caller.playing is not None and caller.playing.loop and caller.playing.prompts == ("moh:default",)
    sw.feed(AgentLogin(at=sw.now, agent="1001"))  # agent 1001 becomes available
    rung = [c for c in sw.of(Ring) if c.target == "1001"]
    assert len(rung) == 1 and rung[0].caller_id == "+48600000009" and rung[0].timeout == 20
    assert sw.plan.agent_state("t", "1001") is AgentState.reserved
    sw.advance(2)  # the phone answers after 2 s
    agent_leg = rung[0].leg
    assert sw.bridges == [("c1", agent_leg)]
    assert caller.bridged == agent_leg and caller.playing is None
    connected = sw.of(CallConnected)
    assert [(c.call, c.agent, c.queue) for c in connected] == [("c1", "1001", "support")]
    assert connected[0].waited == 7
    assert sw.plan.agent_state("t", "1001") is AgentState.on_call
    sw.advance(60)
    sw.hang_up("c1")
    assert sw.legs[agent_leg].state == "ended" and sw.legs[agent_leg].ended_by == "local"
    finished = sw.of(CallFinished)
    assert [(f.call, f.hung_up_by, f.agent) for f in finished] == [("c1", "caller", "1001")]
    assert sw.plan.agent_state("t", "1001") is AgentState.wrap_up
    sw.advance(10)  # the queue's wrap-up
    assert sw.plan.agent_state("t", "1001") is AgentState.available
    [left] = sw.of(QueueLeft)
    record = left.record
    assert record.outcome is Outcome.answered and record.agent == "1001"
    assert (record.wait, record.talk, record.wrapup) == (7, 60, 10)
    assert record.ewt_announced is not None
    assert sw.plan.live_legs() == {}


def test_position_and_wait_are_announced_in_the_callers_language_between_music() -> None:
    sw = switch("1002")
    from centralino.dialplan import AgentBreak

    sw.feed(AgentBreak(at=sw.now, agent="1002"))
    caller = sw.call("c1", "200")
    plays = [p for p in sw.of(Play) if p.leg == "c1"]
    # music, then the announcement on joining, then music again when it is over
    assert plays[0].prompts == ("moh:default",)
    assert plays[1].prompts[0] == "file:en/position/1"
    sw.advance(3)
    assert caller.playing is not None and caller.playing.prompts == ("moh:default",)
    sw.advance(30)
    again = [p for p in sw.of(Play) if p.leg == "c1"]
    assert [p.prompts[0].split("/")[0] for p in again] == ["moh:default", "file:en", "moh:default", "file:en",
                                                           "moh:default"]
    assert again[3].prompts[0] == "file:en/position/1" and again[3].prompts[1].startswith("file:en/wait/")


def test_no_answer_moves_to_the_next_agent_and_counts_a_miss() -> None:
    sw = switch("1001", "1002", phones={"1001": Phone(answer_after=None)})
    sw.call("c1", "200")
    first = sw.of(Ring)[0]
    assert first.target == "1001"  # longest idle: logged in first
    sw.advance(20)  # 1001's phone rings out
    missed = sw.of(OfferEnded)
    assert [(o.agent, o.outcome) for o in missed] == [("1001", "missed")]
    assert sw.legs[first.leg].state == "ended"
    second = sw.of(Ring)[1]
    assert second.target == "1002"
    sw.advance(2)
    assert sw.bridges == [("c1", second.leg)]
    assert sw.plan.agent_state("t", "1001") is AgentState.available


def test_rejecting_agent_is_a_decline_and_the_call_goes_on() -> None:
    sw = switch("1001", "1002", phones={"1001": Phone(answer_after=1, reject_code=603)})
    sw.call("c1", "200")
    sw.advance(5)
    assert [(o.agent, o.outcome) for o in sw.of(OfferEnded)][:1] == [("1001", "declined")]
    assert sw.bridges and sw.legs[sw.bridges[0][1]].target == "1002"


def test_caller_abandoning_while_the_agent_rings_cancels_the_agent_leg() -> None:
    sw = switch("1001", phones={"1001": Phone(answer_after=None)})
    sw.call("c1", "200")
    [ring] = sw.of(Ring)
    sw.advance(5)
    sw.hang_up("c1")
    assert sw.legs[ring.leg].state == "ended" and sw.legs[ring.leg].ended_by == "local"
    assert [(o.agent, o.outcome) for o in sw.of(OfferEnded)] == [("1001", "cancelled")]
    assert sw.plan.agent_state("t", "1001") is AgentState.available
    [left] = sw.of(QueueLeft)
    assert left.record.outcome is Outcome.abandoned and left.record.wait == 5
    sw.advance(60)
    assert sw.bridges == [] and sw.plan.live_legs() == {}


def test_ring_all_connects_exactly_one_agent_and_hangs_up_the_others() -> None:
    sw = switch("1002", "1003", phones={"1002": Phone(answer_after=3), "1003": Phone(answer_after=1)})
    sw.call("c1", "300")
    rings = sw.of(Ring)
    assert sorted(r.target for r in rings) == ["1002", "1003"]
    sw.advance(5)
    assert len(sw.bridges) == 1
    winner = sw.legs[sw.bridges[0][1]]
    assert winner.target == "1003"
    loser = next(r for r in rings if r.target == "1002")
    assert sw.legs[loser.leg].state == "ended"
    assert sw.plan.agent_state("t", "1002") is AgentState.available
    assert sw.plan.agent_state("t", "1003") is AgentState.on_call


def test_agent_hanging_up_first_hands_the_caller_to_the_survey() -> None:
    sw = switch("1001", phones={"1001": Phone(answer_after=1, talk=30)})
    caller = sw.call("c1", "400")
    sw.advance(2)
    assert sw.bridges and sw.bridges[0][0] == "c1"
    sw.advance(29.5)  # the agent hangs up 30 s after answering
    assert caller.state == "up" and caller.bridged is None
    assert caller.playing is not None and caller.playing.prompts == ("tts:en:Rate us",)
    sw.advance(1)
    sw.press("c1", "4")
    assert [(s.question, s.answer) for s in sw.of(SurveyAnswered)] == [("q1", "4")]
    sw.advance(5)
    assert caller.state == "ended" and caller.ended_by == "local"
    assert [(f.hung_up_by, f.agent) for f in sw.of(CallFinished)] == [("system", None)]


def test_callback_keeps_the_callers_place_ahead_of_later_callers() -> None:
    sw = switch("1002")
    from centralino.dialplan import AgentBreak

    sw.feed(AgentBreak(at=sw.now, agent="1002"))
    first = sw.call("c1", "400", caller="+48600000001")
    sw.advance(5)
    sw.call("c2", "200", caller="+48600000002")
    sw.advance(5)  # 10 s: the IVR offers a callback to c1
    assert first.playing is not None and first.playing.prompts == ("tts:en:Press 1 for a callback",)
    sw.press("c1", "1")
    [queued] = sw.of(CallbackQueued)
    assert (queued.call, queued.number) == ("c1", "+48600000001")
    sw.advance(2)  # "we will call you back", then the IVR hangs up
    assert first.state == "ended"
    assert [left.record.outcome for left in sw.of(QueueLeft)] == [Outcome.callback]
    sw.feed(AgentLogin(at=sw.now, agent="1001"))
    [attempt] = sw.of(CallbackAttempted)
    assert (attempt.call, attempt.agent, attempt.attempt) == ("c1", "1001", 1)
    agent_ring = [r for r in sw.of(Ring) if r.target == "1001"][0]
    sw.advance(2)  # the agent answers first, then the customer is dialled
    customer_ring = [r for r in sw.of(Ring) if r.target == "+48600000001"]
    assert len(customer_ring) == 1 and customer_ring[0].caller_id == "400"
    sw.advance(2)
    assert sw.bridges == [(agent_ring.leg, customer_ring[0].leg)]
    assert [e.outcome for e in sw.of(CallbackEnded)] == ["connected"]
    assert sw.legs["c2"].bridged is None  # the later caller still waits
    assert sw.plan.engine("t").waiting("support") == ["c2"]


def test_callback_customer_not_answering_frees_the_agent_and_retries_later() -> None:
    sw = switch("1002", phones={"+48600000001": Phone(answer_after=None)})
    from centralino.dialplan import AgentBreak, WebCallbackRequested

    sw.feed(AgentBreak(at=sw.now, agent="1002"))
    sw.feed(WebCallbackRequested(at=sw.now, queue="support", number="+48600000001"))
    sw.feed(AgentLogin(at=sw.now, agent="1001"))
    sw.advance(2)
    assert [r.target for r in sw.of(Ring)] == ["1001", "+48600000001"]
    sw.advance(60)
    assert [e.outcome for e in sw.of(CallbackEnded)] == ["failed"]
    assert all(leg.state == "ended" for leg in sw.legs.values())
    assert sw.plan.agent_state("t", "1001") is AgentState.available


def test_unknown_number_is_refused_with_404() -> None:
    sw = switch()
    leg = sw.call("c1", "999")
    [reject] = sw.of(Reject)
    assert (reject.code, leg.state) == (404, "ended")
    assert sw.of(CallRejected)[0].dialled == "999"
    assert sw.plan.live_legs() == {}


def test_echo_number_answers_and_echoes() -> None:
    sw = switch()
    leg = sw.call("c1", "600")
    assert [type(c) for c in sw.commands] == [Answer, Echo]
    assert leg.echo and leg.state == "up"
    sw.hang_up("c1")
    assert sw.plan.live_legs() == {}


def test_agent_number_rings_the_agent_and_answers_the_caller_when_they_do() -> None:
    sw = switch("1002")
    caller = sw.call("c1", "700")
    assert caller.state == "offered"
    sw.advance(2)
    assert caller.state == "up" and caller.bridged is not None
    assert sw.plan.agent_state("t", "1002") is AgentState.on_call  # no ACD call offered meanwhile
    sw.hang_up("c1")  # a direct call has no queue, so no wrap-up time
    assert sw.plan.agent_state("t", "1002") is AgentState.available
    assert [s.state for s in sw.of(AgentStateRecorded)][-3:] == ["on-call", "wrap-up", "available"]
    assert sw.plan.live_legs() == {}


def test_agent_number_unanswered_refuses_the_caller() -> None:
    sw = switch(phones={"1002": Phone(answer_after=None)})
    caller = sw.call("c1", "700")
    sw.advance(30)
    assert caller.state == "ended" and sw.of(Reject)[0].code == 480


def test_every_agent_state_change_is_recorded() -> None:
    sw = switch("1001")
    states = [(s.agent, s.state) for s in sw.of(AgentStateRecorded)]
    assert states == [("1001", "available")]
