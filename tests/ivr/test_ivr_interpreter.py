"""The interpreter on a fake clock: every node type, timeouts, retries, verification lockout."""

from __future__ import annotations

from typing import Any

import pytest
from ivr_harness import Driver, load_ok, load_text

from centralino.calls.commands import Answer, Collect, Hangup, Play, StopPlayback, StopRecording, Transfer
from centralino.calls.events import Answered, DigitsReceived, Timeout
from centralino.ivr.actions import (
    AgentConnected,
    AgentDisconnected,
    Enqueue,
    QueueExited,
    RecordVoicemail,
    RequestCallback,
    StoreSurveyAnswer,
    VerificationLocked,
    VoicemailRecorded,
)
from centralino.ivr.flow import NODE_TYPES
from centralino.ivr.interpreter import MAX_STEPS
from centralino.ivr.services import StaticServices

PROMPTS = """
  prompts:
    hello: {en: "Hello"}
    menu: {en: "Press 1 or 2"}
    bad: {en: "Wrong key"}
    silent: {en: "Nothing pressed"}
    bye: {en: "Bye"}
"""


def flow(nodes: str, extra: str = "", name: str = "t") -> str:
    return f"{name}:\n  nodes:\n{nodes}{extra}{PROMPTS}"


def run(nodes: str, **kw: Any) -> Driver:
    flows = load_ok(flow(nodes))
    return Driver(flows["t"], **kw)


MENU = """
    m:
      type: menu
      prompt: [menu]
      choices: {"1": one, "2": two}
      timeout: 5
      retries: 2
      invalid: [bad]
      no_input: [silent]
      fail: failed
    one: {type: hangup, prompt: [hello]}
    two: {type: transfer, target: "+48221112233"}
    failed: {type: hangup, cause: no-input}
"""


def test_answer_waits_for_answered_then_continues() -> None:
    call = run("""
    a: {type: answer, next: p}
    p: {type: play, prompt: [hello], next: h}
    h: {type: hangup}
""")
    assert [type(o) for o in call.last] == [Answer]
    assert call.session.next_deadline() is None
    call.send(Answered(leg="leg-1", at=call.at()))
    assert call.playing().prompts == ("tts:en:Hello",)
    call.finish()
    assert isinstance(call.last[-1], Hangup) and call.session.finished


def test_answer_is_skipped_when_the_call_is_already_answered() -> None:
    call = run("""
    a: {type: answer, next: p}
    p: {type: play, prompt: [hello], next: h}
    h: {type: hangup}
""", answered=True)
    assert isinstance(call.last[0], Play)


def test_menu_choice_is_taken_with_barge_in() -> None:
    call = run(MENU)
    play, collect = call.last
    assert isinstance(play, Play) and play.barge_in and isinstance(collect, Collect)
    assert collect.max_digits == 1
    call.press("2")
    assert isinstance(call.last[0], StopPlayback)
    assert call.last[-1] == Transfer(leg="leg-1", target="+48221112233")
    assert call.session.trace.outcome == "transferred to +48221112233"


def test_menu_timeout_starts_when_the_prompt_ends_and_retries_then_fails() -> None:
    call = run(MENU)
    call.advance(60)
    assert len(call.of(Play)) == 1  # no timer while the prompt plays
    call.finish()
    call.advance(4.9)
    assert len(call.of(Play)) == 1
    call.advance(0.1)  # first timeout: "nothing pressed" + menu again
    assert call.playing().prompts == ("tts:en:Nothing pressed", "tts:en:Press 1 or 2")
    call.finish()
    call.press("9")  # invalid: "wrong key" + menu
    assert call.playing().prompts == ("tts:en:Wrong key", "tts:en:Press 1 or 2")
    call.finish()
    call.advance(5)  # third failure > retries=2: fail target
    assert call.last[-1] == Hangup(leg="leg-1", cause="no-input")
    step = call.session.trace.steps[0]
    assert step.inputs == ["(no input)", "9", "(no input)"]
    assert step.outcome == "no valid input after 3 tries"
    assert step.duration == pytest.approx(70.0)


def test_media_timeout_and_own_deadline_do_not_count_twice() -> None:
    call = run(MENU)
    play = call.playing()
    call.finish()
    call.send(Timeout(leg="leg-1", at=call.at(), name=play.playback))  # the media's collect timeout
    retry = call.playing()
    assert retry is not play
    call.send(Timeout(leg="leg-1", at=call.at(), name=play.playback))  # stale: ignored
    assert call.last == [] and call.playing() is retry
    assert call.session.trace.steps[0].inputs == ["(no input)"]


def test_menu_without_fail_target_hangs_up_after_last_retry() -> None:
    call = run("""
    m: {type: menu, prompt: [menu], choices: {"1": h}, retries: 0}
    h: {type: hangup}
""")
    call.press("7")
    assert isinstance(call.last[-1], Hangup) and call.session.finished


COLLECT = """
    c:
      type: collect
      var: card
      prompt: [hello]
      min_length: 4
      max_length: 16
      validate: luhn
      pattern: "4[0-9]+"
      inter_timeout: 3
      retries: 1
      invalid: [bad]
      next: b
      fail: h
    b:
      type: branch
      cases:
        - {when: "card == '4539148803436467'", goto: ok}
      default: h
    ok: {type: play, prompt: [bye], next: h}
    h: {type: hangup}
"""


def test_collect_validates_luhn_and_pattern_and_ends_on_inter_digit_timeout() -> None:
    call = run(COLLECT)
    call.finish()
    call.press("4539148803436468")  # 16 digits, bad check digit
    assert call.playing().prompts == ("tts:en:Wrong key", "tts:en:Hello")
    assert call.session.trace.steps[0].inputs == ["4539148803436468"]
    call.press("45391488")
    call.press("03436467")  # keys may come in batches; max length ends the entry
    assert call.session.vars.get("card") == "4539148803436467"
    assert call.playing().prompts == ("tts:en:Bye",)


def test_collect_inter_digit_timeout_submits_what_was_typed() -> None:
    call = run(COLLECT)
    call.finish()
    call.press("5")
    call.press("5")
    call.press("5")
    call.press("5")
    call.advance(2.9)
    assert call.session.trace.steps[0].inputs == []
    call.advance(0.1)  # 5555 fails the pattern (and Luhn): retry
    assert call.session.trace.steps[0].inputs == ["5555"]
    call.finish()
    call.press("1#")  # too short, second failure > retries=1: fail target
    assert isinstance(call.last[-1], Hangup)


def test_secret_collect_is_masked_in_trace_and_hidden_from_the_agent() -> None:
    call = run("""
    c: {type: collect, var: code, prompt: [hello], max_length: 4, secret: true, next: q}
    q: {type: enqueue, queue: q1, language: false}
""")
    call.press("1234")
    assert call.session.trace.steps[0].inputs == ["****"]
    enqueue = call.of(Enqueue)[-1]
    assert "code" not in enqueue.data and enqueue.requirements.language is None


def test_play_with_barge_in_passes_keys_ahead_to_the_menu() -> None:
    call = run("""
    p: {type: play, prompt: [hello], barge_in: true, next: m}
""" + MENU.replace("    m:\n", "    m:\n", 1))
    call.press("1")
    assert isinstance(call.last[0], StopPlayback)
    # the menu took "1" at once: no menu prompt, straight to node "one"
    assert call.playing().prompts == ("tts:en:Hello",)
    assert call.session.trace.steps[1].inputs == ["1"]


LANG = """
    l:
      type: language
      prompt: [choose]
      choices: {"1": en, "2": pl}
      timeout: 3
      retries: 1
      default: pl
      next: p
    p: {type: play, prompt: [hello], next: h}
    h: {type: hangup}
"""


def test_language_prompts_each_choice_in_its_own_language_and_defaults() -> None:
    flows = load_ok("t:\n  languages: [en, pl]\n  nodes:\n" + LANG + """
  prompts:
    choose: {en: "For English press 1", pl: "Po polsku wciśnij 2"}
    hello: {en: "Hello", pl: "Dzień dobry"}
""")
    call = Driver(flows["t"])
    assert call.playing().prompts == ("tts:en:For English press 1", "tts:pl:Po polsku wciśnij 2")
    call.finish()
    call.advance(3)
    call.finish()
    call.press("9")  # second failure: the default language
    assert call.session.vars.language == "pl"
    assert call.playing().prompts == ("tts:pl:Dzień dobry",)


def test_hours_branch_set_and_time_variables() -> None:
    nodes = """
    hrs: {type: hours, hours: support-hours, open: s, closed: h}
    s:
      type: set
      vars: {segment: gold, copy: "=caller.country", late: "=time.hour >= 18"}
      skills: {vip: 5}
      tier: L2
      priority: 7
      next: b
    b:
      type: branch
      cases:
        - {when: "segment == 'gold' and caller.country in ['PL', 'DE'] and queue.vip.agents_available > 0",
           goto: q}
      default: h
    q: {type: enqueue, queue: vip}
    h: {type: hangup}
"""
    asked: list[str] = []

    def is_open(hours: str, now: float) -> bool:
        asked.append(hours)
        return True

    svc = StaticServices(stats={"vip": {"agents_available": 2, "ewt": 30}})
    call = run(nodes, is_open=is_open, services=svc)
    assert asked == ["support-hours"]
    enqueue = call.of(Enqueue)[-1]
    assert enqueue.requirements.skills == {"vip": 5}
    assert (enqueue.requirements.tier, enqueue.requirements.priority) == ("L2", 7)
    assert call.session.vars.get("copy") == "PL"
    # 1_700_000_000 is 2023-11-14 22:13 UTC, 23:13 in Warsaw
    assert call.session.vars.get("time.hour") == 23 and call.session.vars.get("late") is True
    assert call.session.trace.steps[2].outcome.endswith("-> q")


def test_closed_hours_and_branch_default() -> None:
    call = run("""
    hrs: {type: hours, open: h, closed: b}
    b:
      type: branch
      cases: [{when: "queue.vip.ewt < 60", goto: h}]
      default: t
    t: {type: transfer, target: "200"}
    h: {type: hangup}
""", is_open=lambda hours, now: False)
    assert call.last[-1] == Transfer(leg="leg-1", target="200")
    assert [s.outcome for s in call.session.trace.steps[:2]] == ["closed", "default -> t"]


CUSTOMERS = [{"id": "c1", "phone": "+48221234567", "account": "555000", "pin": "1111",
              "dob": "1980-02-29", "balance": 10.5, "currency": "EUR"}]
VERIFY = """
    look: {type: lookup, by: caller_id, found: v, not_found: nf}
    v:
      type: verify
      method: pin
      prompt: [hello]
      invalid: [bad]
      attempts: 3
      ok: r
      fail: locked
    r:
      type: readout
      var: customer.balance
      say: currency
      before: [hello]
      next: h
    nf: {type: hangup, cause: unknown}
    locked: {type: hangup, cause: locked}
    h: {type: hangup}
"""


def test_verification_locks_out_after_three_wrong_pins() -> None:
    svc = StaticServices(customers=[dict(c) for c in CUSTOMERS])
    call = run(VERIFY, services=svc)
    for attempt in range(2):
        call.finish()
        call.press("9999")
        assert call.playing().prompts == ("tts:en:Wrong key", "tts:en:Hello"), attempt
    call.finish()
    call.advance(7)  # silence counts as a failure too: the third
    assert call.of(VerificationLocked) == [VerificationLocked(leg="leg-1", customer="c1", method="pin")]
    assert call.last[-1] == Hangup(leg="leg-1", cause="locked")
    step = call.session.trace.steps[1]
    assert step.inputs == ["****", "****", "(no input)"] and step.outcome == "locked out after 3 failures"
    assert svc.checks == [("c1", "pin"), ("c1", "pin")]
    assert call.session.vars.get("verified") is False


def test_verification_refused_when_locked_by_an_earlier_call() -> None:
    svc = StaticServices(customers=[dict(c) for c in CUSTOMERS], locked={"c1"})
    call = run(VERIFY, services=svc)
    call.press("1111")
    assert call.last[-1] == Hangup(leg="leg-1", cause="locked")
    assert call.session.trace.steps[1].outcome == "locked (earlier failures)"


def test_date_of_birth_verification_and_currency_readout() -> None:
    svc = StaticServices(customers=[dict(c) for c in CUSTOMERS])
    call = run(VERIFY.replace("method: pin", "method: dob"), services=svc)
    call.press("29021980")
    assert call.session.vars.get("verified") is True
    assert call.playing().prompts == ("tts:en:Hello", "say:en:currency:10.50:EUR")
    call.finish()
    assert isinstance(call.last[-1], Hangup)


def test_lookup_by_account_not_found_and_verify_without_customer() -> None:
    call = run("""
    c: {type: collect, var: acct, prompt: [hello], max_length: 6, next: look}
    look: {type: lookup, by: account, source: acct, found: h, not_found: v}
    v: {type: verify, method: pin, prompt: [hello], ok: h, fail: r}
    r: {type: readout, var: customer.balance, next: h, missing: bye}
    bye: {type: hangup, cause: bye}
    h: {type: hangup}
""")
    call.press("123456")
    assert [s.outcome for s in call.session.trace.steps[1:4]] == [
        "not found", "no customer to verify", "customer.balance is empty"]
    assert call.last[-1] == Hangup(leg="leg-1", cause="bye")


QUEUE = """
    q:
      type: enqueue
      queue: support
      music: jazz
      callback: {after: 30, prompt: [menu], accepted: cb, repeat: false}
      after_call: s
      exit: vm
    cb: {type: hangup, prompt: [bye]}
    s:
      type: survey
      name: csat
      questions:
        - {id: q1, prompt: [hello], keys: "123"}
        - {id: q2, prompt: [hello], keys: "12"}
      next: h
    vm: {type: voicemail, mailbox: box, prompt: [hello], max_seconds: 60, next: h}
    h: {type: hangup}
"""


def test_queue_callback_offer_declined_is_not_repeated_then_queue_exit_goes_to_voicemail() -> None:
    call = run(QUEUE)
    assert call.playing().prompts == ("moh:jazz",) and call.playing().loop
    call.advance(30)
    assert isinstance(call.last[0], StopPlayback)
    assert call.playing().prompts == ("tts:en:Press 1 or 2",)
    call.finish()
    call.press("2")  # declined: music again, no second offer
    assert call.playing().prompts == ("moh:jazz",)
    assert call.session.next_deadline() is None
    call.send(QueueExited(leg="leg-1", at=call.at(), reason="max-wait"))
    assert call.playing().prompts == ("tts:en:Hello",)
    call.finish()
    assert call.of(RecordVoicemail)[-1] == RecordVoicemail(leg="leg-1", mailbox="box", max_seconds=60)
    call.send(VoicemailRecorded(leg="leg-1", at=call.at(), seconds=12))
    assert isinstance(call.last[-1], Hangup)
    assert [s.outcome for s in call.session.trace.steps] == [
        "left queue: max-wait", "voicemail 12 s", ""]


def test_voicemail_time_limit_stops_the_recording() -> None:
    call = run(QUEUE.replace("exit: vm", "exit: vm\n    start: {type: goto, target: vm}"), answered=True)
    call.send(QueueExited(leg="leg-1", at=call.at(), reason="no-agents"))
    call.finish()
    call.advance(65)
    assert isinstance(call.of(StopRecording)[-1], StopRecording)
    assert isinstance(call.last[-1], Hangup)


def test_callback_accepted_in_queue_leaves_the_queue_and_a_late_agent_is_ignored() -> None:
    call = run(QUEUE.replace("repeat: false", "repeat: true"))
    call.advance(30)
    call.press("1")
    assert call.of(RequestCallback)[-1] == RequestCallback(leg="leg-1", queue="support",
                                                          number="+48221234567", language="en")
    assert call.playing().prompts == ("tts:en:Bye",)
    call.send(AgentConnected(leg="leg-1", at=call.at(), agent="7"))  # too late: ignored
    assert call.last == []
    call.finish()
    assert isinstance(call.last[-1], Hangup)
    assert call.session.trace.steps[0].outcome == "callback requested"


def test_survey_skips_silence_and_retries_a_wrong_key_once() -> None:
    call = run(QUEUE)
    call.advance(10)
    call.send(AgentConnected(leg="leg-1", at=call.at(), agent="7"))
    assert isinstance(call.last[0], StopPlayback)
    call.advance(100)  # the callback offer never comes while connected
    assert not call.of(RequestCallback)
    call.send(AgentDisconnected(leg="leg-1", at=call.at()))
    call.press("9")  # wrong key: asked once more
    call.press("8")  # wrong again: skipped
    call.finish()
    call.press("2")
    assert [(a.question, a.answer) for a in call.of(StoreSurveyAnswer)] == [("q2", "2")]
    assert isinstance(call.last[-1], Hangup)
    assert call.session.trace.steps[-2].inputs == ["q1=9", "q1=8", "q2=2"]


def test_survey_sample_zero_asks_nobody() -> None:
    call = run(QUEUE.replace("name: csat", "name: csat\n      sample: 0"))
    call.send(AgentConnected(leg="leg-1", at=call.at(), agent="7"))
    call.send(AgentDisconnected(leg="leg-1", at=call.at()))
    assert call.session.trace.steps[-2].outcome == "not sampled"
    assert isinstance(call.last[-1], Hangup)


def test_caller_hanging_up_in_queue_is_an_abandon_and_ends_the_session() -> None:
    call = run(QUEUE)
    call.advance(12)
    call.hang_up()
    assert call.session.finished and call.session.trace.outcome == "abandoned in queue"
    assert call.session.next_deadline() is None
    assert call.session.handle(DigitsReceived(leg="leg-1", at=call.at(), digits="1"), call.at()) == []


def test_announcement_plays_when_set_and_is_skipped_otherwise() -> None:
    nodes = """
    a: {type: announcement, prefix: [hello], next: h}
    h: {type: hangup}
"""
    call = run(nodes, services=StaticServices(announcements={"100": "Outage in Gdańsk"}))
    assert call.playing().prompts == ("tts:en:Hello", "tts:en:Outage in Gdańsk")
    quiet = run(nodes)
    assert isinstance(quiet.last[-1], Hangup) and quiet.session.trace.steps[0].outcome == "none set"


def test_callback_node_before_queueing() -> None:
    nodes = """
    cb: {type: callback, prompt: [menu], queue: sales, accepted: h, declined: q}
    q: {type: enqueue, queue: sales}
    h: {type: hangup}
"""
    call = run(nodes)
    call.press("1")
    assert call.of(RequestCallback)[-1].queue == "sales"
    declined = run(nodes)
    declined.finish()
    declined.advance(5)
    assert declined.of(Enqueue)[-1].queue == "sales"


def test_subflow_returns_to_the_caller_flow() -> None:
    flows = load_ok(flow("""
    s: {type: subflow, flow: common, next: h}
    h: {type: hangup}
""") + """
common:
  nodes:
    p: {type: play, prompt: [x], next: r}
    r: {type: return}
  prompts:
    x: {en: "Common part"}
""")
    call = Driver(flows["t"], flows=flows)
    assert call.playing().prompts == ("tts:en:Common part",)
    call.finish()
    assert isinstance(call.last[-1], Hangup)
    assert [(s.flow, s.node) for s in call.session.trace.steps] == [
        ("t", "s"), ("common", "p"), ("common", "r"), ("t", "h")]


def test_a_loop_without_waiting_is_cut_at_the_step_limit() -> None:
    flows, _ = load_text(flow("""
    a: {type: goto, target: b}
    b: {type: set, vars: {x: 1}, next: a}
"""))
    call = Driver(flows["t"])
    assert call.last == [Hangup(leg="leg-1", cause="ivr-error")]
    assert len(call.session.trace.steps) == MAX_STEPS
    assert "steps without waiting" in call.session.trace.steps[-1].outcome


def test_every_node_type_is_exercised_here() -> None:
    import pathlib

    text = pathlib.Path(__file__).read_text(encoding="utf-8")
    missing = [kind for kind in NODE_TYPES if f"type: {kind}" not in text]
    assert missing == []
