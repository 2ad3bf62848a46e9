"""The demo center end to end in the dial plan: number 100, the IVR in Polish, the support queue."""

from __future__ import annotations

import random

from dialplan_driver import Switch

from centralino import config
from centralino.acd import AgentState
from centralino.calls.commands import Play, Ring
from centralino.dialplan import (
    AgentLogin,
    AnnouncementSet,
    CallConnected,
    DialPlan,
    IvrTraced,
    QueueEntered,
    SurveyAnswered,
)
from centralino.ivr.services import StaticServices

CUSTOMER = {"id": "c-42", "account": "12345678", "pin": "4321", "phone": "+48600000001",
            "name": "Anna Nowak", "balance": "123.45", "currency": "PLN"}


def demo_switch() -> Switch:
    services = StaticServices(customers=[dict(CUSTOMER)])
    plan = DialPlan(config.load(), services={"demo": services}, rng=random.Random(3))
    sw = Switch(plan)
    for agent in ("1003", "1006", "1001"):  # Spanish, English (longest idle), then Polish
        sw.feed(AgentLogin(at=sw.now, tenant="demo", agent=agent))
    return sw


def test_polish_caller_through_the_demo_ivr_reaches_a_polish_speaking_agent() -> None:
    sw = demo_switch()
    caller = sw.call("c1", "100", caller="+48221110000")
    assert caller.state == "up"
    assert caller.playing is not None
    assert "tts:pl:Aby kontynuować po polsku, naciśnij 2." in caller.playing.prompts
    sw.press("c1", "2")  # Polish
    assert caller.playing is not None and caller.playing.prompts == ("tts:pl:Witamy w Centralino.",)
    sw.advance(1)  # welcome over; no announcement; caller id unknown: account number
    assert caller.playing is not None
    assert caller.playing.prompts == ("tts:pl:Wprowadź numer konta i naciśnij krzyżyk.",)
    sw.press("c1", "12345678#")
    assert caller.playing is not None
    assert caller.playing.prompts == ("tts:pl:Wprowadź swój czterocyfrowy kod PIN.",)
    sw.press("c1", "4321")
    sw.advance(0.5)
    sw.press("c1", "1")  # support
    [entered] = sw.of(QueueEntered)
    assert (entered.queue, entered.requirements) == ("support", "support>=1; language pl")
    rings = sw.of(Ring)
    assert [r.target for r in rings] == ["1001"]  # the only Polish speaker of the support queue
    sw.advance(2)
    assert sw.bridges == [("c1", rings[0].leg)]
    [connected] = sw.of(CallConnected)
    assert connected.agent == "1001" and connected.queue == "support"
    assert sw.plan.agent_state("demo", "1006") is AgentState.available
    sw.advance(120)
    sw.hang_up(rings[0].leg)  # the agent ends the call: the survey follows, in Polish
    sw.advance(3)
    sw.press("c1", "5")
    sw.advance(3)
    sw.press("c1", "1")
    answers = [(s.question, s.answer) for s in sw.of(SurveyAnswered)]
    assert answers == [("satisfaction", "5"), ("solved", "1")]
    sw.advance(10)
    assert caller.state == "ended"
    [traced] = sw.of(IvrTraced)
    nodes = [step["node"] for step in traced.trace["steps"]]
    assert nodes[:3] == ["answer", "choose_language", "hours"] and "survey" in nodes
    assert "4321" not in repr(traced.trace)  # the PIN is masked
    assert sw.plan.agent_state("demo", "1001") is AgentState.available
    assert sw.plan.live_legs() == {}


def test_supervisor_announcement_is_spoken_by_the_ivr() -> None:
    sw = demo_switch()
    sw.feed(AnnouncementSet(at=sw.now, tenant="demo", number="100", text="Awaria sieci w Krakowie."))
    sw.call("c1", "100", caller="+48221110000")
    sw.press("c1", "2")
    sw.advance(1)
    spoken = [p.prompts for p in sw.of(Play)]
    assert ("tts:pl:Komunikat serwisowy:", "tts:pl:Awaria sieci w Krakowie.") in spoken


def test_closed_hours_send_the_ivr_caller_to_voicemail() -> None:
    sw = demo_switch()
    sw.now += 12 * 3600  # 22:00 in Warsaw
    caller = sw.call("c1", "100")
    sw.press("c1", "1")
    sw.advance(30)
    from centralino.dialplan import StartVoicemail

    [voicemail] = sw.of(StartVoicemail)
    assert voicemail.mailbox == "demo" and voicemail.leg == "c1"
    sw.advance(30)
    assert caller.state == "ended"
