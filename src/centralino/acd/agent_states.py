"""Agent states as a transition table.

Every (state, input) pair the engine may see is either in ``TRANSITIONS`` or
refused; nothing else moves an agent. The table is what the tests walk pair by
pair and what ``diagram()`` draws for docs/acd.md. The rule that no state can be
stuck is checked by ``exits()``: every state other than ``logged_out`` has a
timer input (ring timeout, wrap-up end) or an event from the agent or telephony
that leaves it, and ``reconcile_idle``/``reconcile_busy`` let the server repair
any state after a restart from what the telephony layer reports.
"""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    logged_out = "logged-out"
    available = "available"
    reserved = "reserved"  # an offer rings (or a callback dials) for this agent
    on_call = "on-call"
    wrap_up = "wrap-up"
    on_break = "break"


class AgentInput(StrEnum):
    login = "login"
    logout = "logout"
    offer = "offer"
    accept = "accept"
    decline = "decline"
    cancel = "cancel"  # caller abandoned, or another agent took a ring-all call
    ring_timeout = "ring-timeout"  # timer
    miss_limit = "miss-limit"  # ring timeout that reaches the agent's max_missed: automatic break
    hangup = "hangup"
    wrapup_done = "wrapup-done"  # timer, or the agent ends wrap-up early
    break_start = "break-start"
    break_end = "break-end"
    reconcile_idle = "reconcile-idle"  # telephony says the agent's phone is idle
    reconcile_busy = "reconcile-busy"  # telephony says the agent is in a call


S, In = AgentState, AgentInput

TRANSITIONS: dict[tuple[AgentState, AgentInput], AgentState] = {
    (S.logged_out, In.login): S.available,
    (S.available, In.logout): S.logged_out,
    (S.available, In.offer): S.reserved,
    (S.available, In.break_start): S.on_break,
    (S.available, In.reconcile_idle): S.available,
    (S.available, In.reconcile_busy): S.on_call,
    (S.reserved, In.accept): S.on_call,
    (S.reserved, In.decline): S.available,
    (S.reserved, In.cancel): S.available,
    (S.reserved, In.ring_timeout): S.available,
    (S.reserved, In.miss_limit): S.on_break,
    (S.reserved, In.logout): S.logged_out,
    (S.reserved, In.reconcile_idle): S.available,
    (S.reserved, In.reconcile_busy): S.on_call,
    (S.on_call, In.hangup): S.wrap_up,
    (S.on_call, In.logout): S.logged_out,
    (S.on_call, In.reconcile_idle): S.wrap_up,
    (S.on_call, In.reconcile_busy): S.on_call,
    (S.wrap_up, In.wrapup_done): S.available,
    (S.wrap_up, In.break_start): S.on_break,
    (S.wrap_up, In.logout): S.logged_out,
    (S.wrap_up, In.reconcile_idle): S.wrap_up,
    (S.wrap_up, In.reconcile_busy): S.on_call,
    (S.on_break, In.break_end): S.available,
    (S.on_break, In.break_start): S.on_break,  # change of reason code
    (S.on_break, In.logout): S.logged_out,
    (S.on_break, In.reconcile_idle): S.on_break,
    (S.on_break, In.reconcile_busy): S.on_break,
}

TIMER_INPUTS = frozenset({In.ring_timeout, In.miss_limit, In.wrapup_done})
"""Inputs the engine raises itself from a deadline, so the state cannot hang on a lost event."""

WORKING = frozenset({S.available, S.reserved, S.on_call, S.wrap_up})
"""States in which an agent counts as staffing the queue (for the wait estimate and join rules)."""


class TransitionRefused(ValueError):
    """An input that the agent's state does not accept (the engine journals it and ignores it)."""

    def __init__(self, state: AgentState, given: AgentInput) -> None:
        allowed = sorted(i.value for (s, i) in TRANSITIONS if s is state)
        super().__init__(
            f"agent in state {state.value!r} cannot take {given.value!r}; accepted here: {', '.join(allowed)}"
        )
        self.state = state
        self.given = given


def next_state(state: AgentState, given: AgentInput) -> AgentState:
    try:
        return TRANSITIONS[(state, given)]
    except KeyError:
        raise TransitionRefused(state, given) from None


def exits(state: AgentState) -> set[AgentInput]:
    """Inputs that leave ``state`` for another state."""
    return {i for (s, i), t in TRANSITIONS.items() if s is state and t is not state}


def diagram() -> str:
    """A mermaid state diagram of the table, for the docs."""
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> logged_out"]
    for (src, given), dst in TRANSITIONS.items():
        if src is dst:
            continue
        mark = " (timer)" if given in TIMER_INPUTS else ""
        lines.append(f"    {src.name} --> {dst.name}: {given.value}{mark}")
    lines.append("```")
    return "\n".join(lines)
