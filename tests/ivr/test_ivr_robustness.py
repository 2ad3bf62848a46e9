"""Any sequence of events on the demo flow: no exception, a session that always knows what it waits for."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from ivr_harness import Driver
from test_ivr_demo import demo, services

from centralino.calls.commands import Command, Hangup
from centralino.calls.events import Timeout
from centralino.ivr.actions import Action, AgentConnected, AgentDisconnected, QueueExited, VoicemailRecorded

STEP = st.one_of(
    st.tuples(st.just("press"), st.text(alphabet="0123456789*#", min_size=1, max_size=10)),
    st.tuples(st.just("finish"), st.none()),
    st.tuples(st.just("advance"), st.floats(min_value=0.1, max_value=120)),
    st.tuples(st.just("stale"), st.none()),
    st.tuples(st.just("agent"), st.sampled_from(["connected", "disconnected", "exited", "recorded"])),
)
FLOW = demo()


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(STEP, max_size=40), open_=st.booleans(), known=st.booleans())
def test_random_events_never_break_a_session(
    steps: list[tuple[str, object]], open_: bool, known: bool
) -> None:
    call = Driver(FLOW, caller="+48600000001" if known else "+390612345678", services=services(),
                  is_open=lambda hours, now: open_)
    call.answer()
    for kind, arg in steps:
        if call.session.finished:
            break
        if kind == "press":
            call.press(str(arg))
        elif kind == "finish" and call.playing() is not None:
            call.finish()
        elif kind == "advance":
            call.advance(float(str(arg)))
        elif kind == "stale":
            call.send(Timeout(leg="leg-1", at=call.at(), name="leg-1:nowhere:0"))
        elif kind == "agent":
            event = {"connected": AgentConnected(leg="leg-1", at=call.at(), agent="1"),
                     "disconnected": AgentDisconnected(leg="leg-1", at=call.at()),
                     "exited": QueueExited(leg="leg-1", at=call.at(), reason="max-wait"),
                     "recorded": VoicemailRecorded(leg="leg-1", at=call.at(), seconds=3)}[str(arg)]
            call.send(event)
        assert all(isinstance(o, Command | Action) for o in call.last)
        assert call.session.finished or call.session._wait is not None
    hangups = call.of(Hangup)
    assert len(hangups) <= 1
    assert bool(hangups) <= call.session.finished
    call.hang_up()
    assert call.session.finished and call.session.trace.ended_at is not None
    steps_seen = call.session.trace.steps
    assert all(s.left_at is not None and s.left_at >= s.entered_at for s in steps_seen)
