"""``screen_data``: what the caller's IVR session learnt reaches the screen pop through the dial plan's
public ``call_state``; a call the plan does not know gives an empty pop."""

from __future__ import annotations

from pathlib import Path

from centralino import config
from centralino.calls.events import CallOffered
from centralino.runtime import Node
from centralino.runtime.cti import screen_data
from centralino.store.apply import apply_config
from centralino.store.db import Database


def test_screen_data_reads_the_ivr_session_of_the_call(tmp_path: Path, cheap_argon2: None) -> None:
    center = config.load(None)
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.upgrade()
    apply_config(db, center, "test", demo=True)
    try:
        plan = Node(center, db, tmp_path).plan
        plan.handle(CallOffered(at=0.0, leg="c1", caller="+48601000001", dialled="100"), 0.0)
        state = plan.call_state("c1")
        assert state is not None and state.session is not None
        pop = screen_data(plan, "c1")
        assert pop["language"] == state.language
        assert pop["trace"] and pop["trace"] == [s.node for s in state.session.trace.steps]
        assert pop["verified"] is False
        assert plan.call_state("nobody") is None
        assert screen_data(plan, "nobody") == {"language": None, "trace": [], "choices": {}}
    finally:
        db.dispose()
