"""Routing rules on small setups with a fake clock: skills, widening, priorities, overflow, offers."""

from __future__ import annotations

from tests.acd.acd_driver import Driver, of_type, offers

from centralino.acd import (
    AgentReconciled,
    AgentState,
    Announce,
    BreakEnded,
    BreakStarted,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    CallEnded,
    Connect,
    ContactAbandoned,
    ContactState,
    OfferAccepted,
    OfferDeclined,
    Overflow,
    OverflowRule,
    OverflowWhen,
    QueueSpec,
    Refused,
    Requirements,
    RequirementsWidened,
    StartCallback,
    Strategy,
    Target,
    TargetKind,
    Tier,
    WaitStep,
    WrapUpEnded,
)

POLISH_BILLING = QueueSpec(
    "q",
    skills={"billing": 3},
    language="pl",
    announce_every=0,
    leave_when_empty=False,
    steps=(WaitStep(after=30, drop_skills=("billing",)), WaitStep(after=90, overflow_to="general")),
)
GENERAL = QueueSpec("general", announce_every=0, join_when_empty=True)


def test_skills_language_and_tier_matching() -> None:
    d = Driver([QueueSpec("q", skills={"billing": 3}, language="pl", tier=Tier.l2, announce_every=0,
                          join_when_empty=True)])
    d.login("101", skills={"billing": 5}, languages=("en",), tier=Tier.l2)  # wrong language
    d.login("102", skills={"billing": 2}, languages=("pl",), tier=Tier.l2)  # level too low
    d.login("103", skills={"billing": 3}, languages=("pl",), tier=Tier.l1)  # tier too low
    assert offers(d.arrive("c1")) == []
    out = d.login("104", skills={"billing": 3}, languages=("pl", "en"), tier=Tier.specialist)
    assert offers(out) == [("c1", ("104",))]
    # A contact's own requirement (set by the IVR) adds to the queue's.
    d.login("105", skills={"billing": 9, "vip": 1}, languages=("pl",), tier=Tier.l2)
    assert offers(d.arrive("c2", requirements=Requirements({"vip": 2}))) == []


def test_requirements_widen_in_steps_then_overflow_keeping_arrival() -> None:
    d = Driver([POLISH_BILLING, GENERAL])
    d.login("101", languages=("pl",), queues={"q": 0})  # Polish, no billing skill
    d.login("201", languages=("en",), queues={"general": 0})
    d.do(BreakStarted("201", "lunch"))
    d.do(BreakStarted("101", "lunch"))
    d.login("102", languages=("pl",), skills={"billing": 3}, queues={"q": 0})
    d.do(BreakStarted("102", "lunch"))
    d.do(BreakEnded("101"))
    assert offers(d.arrive("c1", 10)) == []
    assert d.engine.contact_state("c1") is ContactState.waiting
    out = d.at(40)
    assert of_type(out, RequirementsWidened)
    assert offers(out) == [("c1", ("101",))]
    d.do(OfferDeclined("c1", "101"))
    d.do(BreakStarted("101", "meeting"))
    out = d.at(100)
    (flow,) = of_type(out, Overflow)
    assert flow.target == Target(TargetKind.queue, "general") and "step 1" in flow.reason
    out = d.do(BreakEnded("201"), 120)
    (conn,) = of_type(d.serve("c1", "201", 5), Connect)
    assert conn.queue == "general" and conn.waited == 110  # counted from the original arrival at 10


def test_priority_goes_first_but_ages_out() -> None:
    d = Driver([QueueSpec("q", announce_every=0, join_when_empty=True)])
    d.arrive("old", 0)
    d.arrive("vip", 50, priority=1)  # 60 s head start: key -10 beats old's 0
    d.arrive("vip2", 100, priority=1)  # key 40: old (0) has now waited long enough
    d.arrive("new", 101)
    assert d.engine.waiting("q") == ["vip", "old", "vip2", "new"]


def test_multi_queue_agent_takes_longest_waiting_weighted() -> None:
    d = Driver([QueueSpec("a", announce_every=0, join_when_empty=True),
                QueueSpec("b", announce_every=0, join_when_empty=True, priority=1)])
    d.arrive("a1", 0, queue="a")
    d.arrive("b1", 40, queue="b")  # queue priority 1: 60 s head start -> key -20
    d.arrive("a2", 41, queue="a")
    out = d.login("101", 50, queues={"a": 0, "b": 0})
    assert offers(out) == [("b1", ("101",))]
    # With a penalty of 1 in b (30 s), a1 (key 0) beats b's -20 + 30.
    d2 = Driver([QueueSpec("a", announce_every=0, join_when_empty=True),
                 QueueSpec("b", announce_every=0, join_when_empty=True, priority=1)])
    d2.arrive("a1", 0, queue="a")
    d2.arrive("b1", 40, queue="b")
    assert offers(d2.login("101", 50, queues={"a": 0, "b": 1})) == [("a1", ("101",))]


def test_ring_timeout_offers_next_agent_and_auto_break_after_misses() -> None:
    d = Driver([QueueSpec("q", announce_every=0, ring_timeout=10, wrapup=0)])
    d.login("101", 0, max_missed=2)
    d.login("102", 1)
    assert offers(d.arrive("c1", 5)) == [("c1", ("101",))]
    assert d.engine.next_deadline() == 15
    out = d.at(15)
    assert offers(out) == [("c1", ("102",))]
    assert d.engine.agent_state("101") is AgentState.available and d.engine.audit() == []
    d.serve("c1", "102", 5)
    d.do(BreakStarted("102", "coffee"))
    assert offers(d.arrive("c2", 30)) == [("c2", ("101",))]
    d.at(40)  # second miss in a row
    assert d.engine.agent_state("101") is AgentState.on_break
    assert d.engine.contact_state("c2") is ContactState.waiting
    out = d.do(BreakEnded("101"), 41)
    assert offers(out) == []  # declined recently: not re-offered before the cooldown
    out = d.at(60)
    assert offers(out) == [("c2", ("101",))]


def test_max_callers_max_wait_join_and_leave_rules() -> None:
    d = Driver([QueueSpec("q", announce_every=0, max_callers=1, max_wait=60,
                          fallback=Target(TargetKind.voicemail))])
    (flow,) = of_type(d.arrive("c0", 0), Overflow)
    assert "no eligible agent" in flow.reason
    d.login("101", 0)
    d.arrive("c1", 1)
    d.do(OfferAccepted("c1", "101"))
    d.arrive("c2", 2)
    (full,) = of_type(d.arrive("c3", 3), Overflow)
    assert "queue full" in full.reason and full.target.kind is TargetKind.voicemail
    out = d.at(62)
    (late,) = of_type(out, Overflow)
    assert late.contact == "c2" and "waited 60" in late.reason
    d.do(CallEnded("c1"), 70)
    d.arrive("c4", d.now + 1)
    d.do(BreakStarted("101", "lunch"))  # wrap-up -> break: nobody left
    left = [o for o in of_type(d.log, Overflow) if "every eligible agent left" in o.reason]
    assert [o.contact for o in left] == ["c4"]


def test_overflow_rules_on_length_available_and_ewt() -> None:
    target = Target(TargetKind.number, "+48221234567")
    d = Driver([QueueSpec("q", announce_every=0, join_when_empty=True, expected_handle_time=100,
                          overflow=(OverflowRule(OverflowWhen.ewt, 150, target),))])
    d.login("101", 0)
    d.arrive("c1", 1)  # offered at once
    d.arrive("c2", 2)  # position 1: EWT 100
    (flow,) = of_type(d.arrive("c3", 3), Overflow)  # position 2: EWT 200 >= 150
    assert flow.target == target and "ewt 200" in flow.reason
    d = Driver([QueueSpec("q", announce_every=0, join_when_empty=True,
                          overflow=(OverflowRule(OverflowWhen.length, 2, Target(TargetKind.closed)),
                                    OverflowRule(OverflowWhen.wait, 30, Target(TargetKind.voicemail))))])
    d.arrive("c1", 0)
    (flow,) = of_type(d.arrive("c2", 1), Overflow)
    assert flow.target.kind is TargetKind.closed
    (flow,) = of_type(d.at(31), Overflow)
    assert flow.contact == "c1" and flow.target.kind is TargetKind.voicemail
    d = Driver([QueueSpec("q", announce_every=0, join_when_empty=True,
                          overflow=(OverflowRule(OverflowWhen.available, 0, Target(TargetKind.voicemail)),))])
    assert of_type(d.arrive("c1", 0), Overflow)


def test_callback_keeps_its_place_and_retries() -> None:
    d = Driver([QueueSpec("q", announce_every=0, join_when_empty=True, wrapup=0)])
    d.arrive("c1", 0)
    d.arrive("c2", 10)
    d.arrive("c3", 20)
    d.do(CallbackRequested("c1", "+48600100200"), 30)
    assert d.engine.waiting("q") == ["c1", "c2", "c3"]
    out = d.login("101", 40)
    (start,) = of_type(out, StartCallback)
    assert (start.contact, start.agent, start.number, start.attempt) == ("c1", "101", "+48600100200", 1)
    assert d.engine.agent_state("101") is AgentState.reserved
    out = d.do(CallbackFailed("c1", "busy"), 50)
    assert offers(out) == [("c2", ("101",))]  # the agent goes on; c1 will be tried again
    d.serve("c2", "101", 10)
    d.at(d.now)
    assert offers(d.log[-3:]) == [("c3", ("101",))]
    d.serve("c3", "101", 10)
    out = d.at(50 + 300)
    (start,) = of_type(out, StartCallback)
    assert start.attempt == 2
    (conn,) = of_type(d.do(CallbackAnswered("c1"), 360), Connect)
    assert conn.waited == 360


def test_web_callback_waits_for_its_preferred_time() -> None:
    d = Driver([QueueSpec("q", announce_every=0)])
    d.login("101", 0)
    d.arrive("w1", 0, callback="+48600100200", not_before=100)
    assert d.engine.agent_state("101") is AgentState.available
    (start,) = of_type(d.at(100), StartCallback)
    assert start.contact == "w1"


def test_ring_all_abandon_and_reconcile_leave_no_stuck_state() -> None:
    d = Driver([QueueSpec("q", announce_every=0, strategy=Strategy.ring_all, wrapup=30)])
    d.login("101", 0)
    d.login("102", 0)
    d.arrive("c1", 1)
    d.do(ContactAbandoned("c1"), 2)
    assert {d.engine.agent_state(a) for a in ("101", "102")} == {AgentState.available}
    d.arrive("c2", 3)
    d.do(OfferAccepted("c2", "101"))
    # Restart: telephony says 101's phone is idle although the engine thought it on call.
    d.do(AgentReconciled("101", in_call=False), 10)
    assert d.engine.agent_state("101") is AgentState.wrap_up
    d.do(WrapUpEnded("101"), 12)
    assert d.engine.agent_state("101") is AgentState.available
    assert of_type(d.do(CallEnded("c2")), Refused)  # already ended by reconcile
    assert d.engine.audit() == []


def test_announcements_carry_position_and_wait() -> None:
    d = Driver([QueueSpec("q", announce_every=20, join_when_empty=True, expected_handle_time=120)])
    d.login("101", 0)
    d.login("102", 0)
    d.arrive("c1", 1)
    d.arrive("c2", 1)
    d.do(OfferAccepted("c1", "101"))
    d.do(OfferAccepted("c2", "102"))
    (a3,) = of_type(d.arrive("c3", 2), Announce)
    (a4,) = of_type(d.arrive("c4", 3), Announce)
    assert (a3.position, a3.ewt) == (1, 60.0) and (a4.position, a4.ewt) == (2, 120.0)
    out = d.at(22)
    assert [(a.contact, a.position) for a in of_type(out, Announce)] == [("c3", 1)]
    d.do(ContactAbandoned("c3"), 25)
    assert [(a.contact, a.position) for a in of_type(d.at(23 + 20), Announce)] == [("c4", 1)]
