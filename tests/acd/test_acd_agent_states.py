"""Every (state, input) pair of the agent state table, and the no-stuck-state rule."""

from __future__ import annotations

import pytest

from centralino.acd.agent_states import (
    TIMER_INPUTS,
    TRANSITIONS,
    AgentInput,
    AgentState,
    TransitionRefused,
    diagram,
    exits,
    next_state,
)

EXPECTED = {
    AgentState.logged_out: {AgentInput.login: AgentState.available},
    AgentState.available: {
        AgentInput.logout: AgentState.logged_out, AgentInput.offer: AgentState.reserved,
        AgentInput.break_start: AgentState.on_break, AgentInput.reconcile_idle: AgentState.available,
        AgentInput.reconcile_busy: AgentState.on_call,
    },
    AgentState.reserved: {
        AgentInput.accept: AgentState.on_call, AgentInput.decline: AgentState.available,
        AgentInput.cancel: AgentState.available, AgentInput.ring_timeout: AgentState.available,
        AgentInput.miss_limit: AgentState.on_break, AgentInput.logout: AgentState.logged_out,
        AgentInput.reconcile_idle: AgentState.available, AgentInput.reconcile_busy: AgentState.on_call,
    },
    AgentState.on_call: {
        AgentInput.hangup: AgentState.wrap_up, AgentInput.logout: AgentState.logged_out,
        AgentInput.reconcile_idle: AgentState.wrap_up, AgentInput.reconcile_busy: AgentState.on_call,
    },
    AgentState.wrap_up: {
        AgentInput.wrapup_done: AgentState.available, AgentInput.break_start: AgentState.on_break,
        AgentInput.logout: AgentState.logged_out, AgentInput.reconcile_idle: AgentState.wrap_up,
        AgentInput.reconcile_busy: AgentState.on_call,
    },
    AgentState.on_break: {
        AgentInput.break_end: AgentState.available, AgentInput.break_start: AgentState.on_break,
        AgentInput.logout: AgentState.logged_out, AgentInput.reconcile_idle: AgentState.on_break,
        AgentInput.reconcile_busy: AgentState.on_break,
    },
}


@pytest.mark.parametrize("state", list(AgentState))
@pytest.mark.parametrize("given", list(AgentInput))
def test_every_pair(state: AgentState, given: AgentInput) -> None:
    expected = EXPECTED[state].get(given)
    if expected is None:
        with pytest.raises(TransitionRefused) as info:
            next_state(state, given)
        assert state.value in str(info.value) and "accepted here" in str(info.value)
    else:
        assert next_state(state, given) is expected


def test_table_has_nothing_unexpected() -> None:
    assert {(s, i) for s in EXPECTED for i in EXPECTED[s]} == set(TRANSITIONS)


def test_no_state_is_stuck() -> None:
    # Every state but logged_out can be left; reserved and wrap-up by a timer the engine arms itself.
    for state in AgentState:
        assert exits(state) or state is AgentState.logged_out, state
        assert AgentInput.logout in exits(state) or state is AgentState.logged_out
    assert exits(AgentState.reserved) & TIMER_INPUTS
    assert exits(AgentState.wrap_up) & TIMER_INPUTS


def test_diagram_lists_every_change() -> None:
    text = diagram()
    assert text.startswith("```mermaid") and "stateDiagram-v2" in text
    for (src, given), dst in TRANSITIONS.items():
        if src is not dst:
            assert f"{src.name} --> {dst.name}: {given.value}" in text
