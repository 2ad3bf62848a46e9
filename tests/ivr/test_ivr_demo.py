"""The demo flow of number 100 (flow 'main' of the demo configuration), driven on a fake clock."""

from __future__ import annotations

from functools import cache

from ivr_harness import Driver

from centralino import config
from centralino.calls.commands import Answer, Collect, Hangup, Play
from centralino.ivr.actions import (
    AgentConnected,
    AgentDisconnected,
    Enqueue,
    RecordVoicemail,
    RequestCallback,
    StoreSurveyAnswer,
)
from centralino.ivr.flow import Flow
from centralino.ivr.services import StaticServices
from centralino.ivr.trace import FlowTrace

CUSTOMER = {"id": "c-42", "account": "12345678", "pin": "4321", "phone": "+48600000001",
            "name": "Anna Nowak", "balance": "123.45", "currency": "PLN"}


@cache
def demo() -> Flow:
    """The flow as the server gets it; flows are immutable, so tests may share one."""
    problems = config.check(config.DEMO_CONFIG)
    assert problems == [], "\n".join(map(str, problems))
    return config.tenant_flows(config.load(config.DEMO_CONFIG), "demo")["main"]


def services(announcements: dict[str, str] | None = None) -> StaticServices:
    return StaticServices(customers=[dict(CUSTOMER)], announcements=announcements or {})


def test_demo_loads_without_problems_and_offers_six_languages() -> None:
    flow = demo()
    assert flow.languages == ("en", "pl", "it", "es", "de", "sq")
    assert flow.name == "main" and flow.start == "answer"
    assert config.load().tenants[0].flows["main"]["nodes"]["choose_language"]["choices"]["2"] == "pl"


def test_polish_caller_identified_by_account_and_pin_reaches_support_in_polish() -> None:
    call = Driver(demo(), caller="+48221234567", services=services())
    assert isinstance(call.last[0], Answer)
    call.answer()
    language_prompt = call.playing()
    assert language_prompt is not None
    assert language_prompt.prompts[1] == "tts:pl:Aby kontynuować po polsku, naciśnij 2."
    call.advance(1.5)
    call.press("2")  # Polish, barging in
    assert call.session.vars.language == "pl"
    assert call.playing().prompts == ("tts:pl:Witamy w Centralino.",)
    call.advance(2)
    call.finish()  # welcome; no announcement set; caller id unknown -> account number
    assert call.playing().prompts == ("tts:pl:Wprowadź numer konta i naciśnij krzyżyk.",)
    assert isinstance(call.last[-1], Collect) and call.last[-1].terminator == "#"
    call.finish()
    call.advance(2)
    call.press("1234")
    call.advance(1)
    call.press("5678#")
    assert call.playing().prompts == ("tts:pl:Wprowadź swój czterocyfrowy kod PIN.",)
    call.finish()
    call.advance(3)
    call.press("4321")  # four digits complete the PIN without a terminator
    assert call.session.vars.get("verified") is True
    call.finish()
    call.advance(1)
    call.press("1")  # support
    enqueues = call.of(Enqueue)
    assert len(enqueues) == 1
    enqueue = enqueues[0]
    assert enqueue.queue == "support"
    assert enqueue.requirements.language == "pl"
    assert enqueue.requirements.skills == {"support": 1}
    assert enqueue.customer == "c-42" and enqueue.verified
    assert enqueue.data["customer.name"] == "Anna Nowak"
    assert "pin" not in enqueue.data and "customer.pin" not in enqueue.data
    music = call.playing()
    assert music.loop and music.prompts == ("moh:default",)

    steps = [(s.node, s.inputs, s.outcome) for s in call.session.trace.steps]
    assert steps == [
        ("answer", [], ""),
        ("choose_language", ["2"], "language pl"),
        ("hours", [], "open"),
        ("welcome", [], ""),
        ("outage", [], "none set"),
        ("by_caller_id", [], "not found"),
        ("account", ["12345678"], ""),
        ("by_account", [], "customer c-42"),
        ("pin", ["****"], "verified"),
        ("main_menu", ["1"], "support"),
        ("support", [], ""),
        ("support_queue", [], "queued in support"),
    ]
    trace = call.session.trace
    assert trace.steps[1].duration == 1.5
    assert FlowTrace.from_dict(trace.to_dict()).to_dict() == trace.to_dict()
    assert "4321" not in trace.to_json()
    assert "menu main_menu: 1 -> support (1.0 s)" in call.session.screen_pop()["ivr"]


def test_known_caller_hears_the_outage_then_gets_a_callback_keeping_the_place() -> None:
    svc = services(announcements={"100": "A network outage affects Kraków until 18:00."})
    call = Driver(demo(), caller="+48600000001", services=svc)
    call.answer()
    call.press("1")  # English
    call.finish()  # welcome
    assert call.playing().prompts == ("tts:en:Service notice:",
                                      "tts:en:A network outage affects Kraków until 18:00.")
    call.finish()
    assert call.playing().prompts == ("tts:en:Please enter your four-digit PIN.",)  # found by caller id
    call.press("4321")
    call.finish()
    call.press("3")  # sales
    assert call.of(Enqueue)[-1].queue == "sales"
    call.advance(59)
    assert not call.of(RequestCallback)
    call.advance(1)  # 60 s in the queue: the offer
    assert call.playing().prompts[0].startswith("tts:en:To be called back")
    call.finish()
    call.press("1")
    callback = call.of(RequestCallback)[-1]
    assert (callback.queue, callback.number, callback.language) == ("sales", "+48600000001", "en")
    call.finish()  # thanks
    assert isinstance(call.last[-1], Hangup)
    assert call.session.finished and call.session.trace.outcome == "hung up"


def test_after_the_agent_the_caller_answers_the_two_question_survey() -> None:
    call = Driver(demo(), caller="+48600000001", services=services())
    call.answer()
    call.press("5")  # Deutsch
    call.finish()
    call.press("4321")
    call.press("2")  # billing: verified, so the balance is read out first
    assert call.playing().prompts == ("tts:de:Ihr Kontostand beträgt", "say:de:currency:123.45:PLN")
    call.finish()
    assert call.of(Enqueue)[-1].queue == "billing"
    call.advance(20)
    call.send(AgentConnected(leg="leg-1", at=call.at(), agent="1001"))
    call.advance(300)
    assert not call.of(RequestCallback)  # no offer once connected
    call.send(AgentDisconnected(leg="leg-1", at=call.at()))
    assert call.playing().prompts[0] == "tts:de:Bitte beantworten Sie zwei kurze Fragen zu Ihrem Anruf."
    call.press("5")
    call.press("1")
    answers = [(a.survey, a.question, a.answer) for a in call.of(StoreSurveyAnswer)]
    assert answers == [("satisfaction", "satisfaction", "5"), ("satisfaction", "solved", "1")]
    call.finish()  # thanks
    assert isinstance(call.last[-1], Hangup)
    queue_step = next(s for s in call.session.trace.steps if s.node == "billing_queue")
    assert queue_step.outcome == "answered by 1001" and queue_step.duration == 20


def test_out_of_hours_goes_to_voicemail() -> None:
    call = Driver(demo(), services=services(), is_open=lambda hours, now: False)
    call.answer()
    call.press("3")
    assert call.playing().prompts == ("tts:it:Al momento siamo chiusi.",)
    call.finish()
    call.finish()  # leave a message
    record = call.of(RecordVoicemail)[-1]
    assert (record.mailbox, record.max_seconds) == ("demo", 120)
    call.hang_up()
    assert call.session.trace.outcome == "caller hung up in voicemail"


def test_nobody_picks_a_language_so_english_is_used() -> None:
    call = Driver(demo(), services=services())
    call.answer()
    call.finish()
    call.advance(4)
    assert call.session.trace.steps[-1].inputs == ["(no input)"]
    assert isinstance(call.last[0], Play) and len(call.last[0].prompts) == 6  # asked again
    call.finish()
    call.advance(4)  # one retry, then the default
    assert call.session.vars.language == "en"
    assert call.playing().prompts == ("tts:en:Welcome to Centralino.",)
