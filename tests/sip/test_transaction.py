"""The four RFC 3261 §17 transaction tables: every (state, event) pair, and every timer on a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from sip_tx_messages import request, response_to

from centralino.sip.message import Request, Response
from centralino.sip.timers import TimerConfig
from centralino.sip.transaction import (
    INITIAL,
    TABLES,
    TU_EVENTS,
    Address,
    Deliver,
    Do,
    Event,
    Kind,
    Send,
    State,
    Terminated,
    TimedOut,
    Transaction,
    TransactionStateError,
    TransportFailed,
    TxKey,
    all_tables_markdown,
    table_markdown,
)
from centralino.sip.transaction_wire import ack_for_non_2xx

UDP = Address("UDP", "192.0.2.10", 5070)
TCP = Address("TCP", "192.0.2.10", 5070)
CLIENT = (Kind.INVITE_CLIENT, Kind.NON_INVITE_CLIENT)


def make(kind: Kind, dest: Address = UDP, timers: TimerConfig | None = None, now: float = 0.0
         ) -> tuple[Transaction, list[object]]:
    method = "INVITE" if kind in (Kind.INVITE_CLIENT, Kind.INVITE_SERVER) else "OPTIONS"
    req = request(method)
    role = "client" if kind in CLIENT else "server"
    tx = Transaction(kind, TxKey(role, "z9hG4bK-test-1", method), req, dest, timers=timers,
                     source=dest, trying_factory=lambda r: r.make_response(100),
                     ack_factory=ack_for_non_2xx)
    return tx, list(tx.start(now))


def message_for(event: Event, req: Request) -> Request | Response | None:
    """A real message that carries ``event`` into a transaction created for ``req``."""
    if event in (Event.RECV_1XX, Event.SEND_1XX):
        return response_to(req, 180)
    if event in (Event.RECV_2XX, Event.SEND_2XX):
        return response_to(req, 200)
    if event in (Event.RECV_300_699, Event.SEND_300_699):
        return response_to(req, 486)
    if event is Event.RECV_REQUEST:
        return req
    if event is Event.RECV_ACK:
        return request("ACK", cseq_method="ACK", to_tag="bob-tag")
    return None


OUTPUT_OF = {
    Do.SEND_REQUEST: Send, Do.SEND_ACK: Send, Do.SEND_RESPONSE: Send, Do.RESEND_RESPONSE: Send,
    Do.SEND_TRYING: Send, Do.PASS_TO_TU: Deliver, Do.TIMEOUT_TO_TU: TimedOut,
    Do.TRANSPORT_ERROR_TO_TU: TransportFailed,
}

STATES_OF = {kind: sorted({s for s, _ in table} | {n for n, _ in table.values()}, key=lambda s: s.name)
             for kind, table in TABLES.items()}
PAIRS = [(kind, state, event) for kind in Kind for state in STATES_OF[kind] for event in Event]


@pytest.mark.parametrize(("kind", "state", "event"), PAIRS,
                         ids=[f"{k.name}-{s.name}-{e.name}" for k, s, e in PAIRS])
def test_every_state_event_pair(kind: Kind, state: State, event: Event) -> None:
    tx, _ = make(kind)
    tx.state = state
    tx.last_response = response_to(tx.request, 180)  # so "resend last response" has something to send
    message = message_for(event, tx.request)
    entry = TABLES[kind].get((state, event))
    if entry is None:
        if event in TU_EVENTS:
            with pytest.raises(TransactionStateError, match=state.value):
                tx.fire(event, 0.0, message)
        else:
            assert tx.fire(event, 0.0, message) == []
        assert tx.state is state
        return
    new_state, actions = entry
    out = tx.fire(event, 0.0, message)
    assert tx.state is new_state
    expected = [OUTPUT_OF[a] for a in actions if isinstance(a, Do)]
    if new_state is State.TERMINATED:
        expected.append(Terminated)
        assert tx.get_timer() is None
    assert [type(o) for o in out] == expected


def test_tables_only_use_known_timers_and_initial_states_exist() -> None:
    for kind, table in TABLES.items():
        assert INITIAL[kind][0] in STATES_OF[kind]
        for (_, event), (_, actions) in table.items():
            assert isinstance(event, Event)
            for action in actions:
                assert isinstance(action, Do) or action.timer in ("A", "B", "D", "E", "F", "G", "H", "I", "J",
                                                                   "K", "L", "M", "Trying")


def test_markdown_has_a_row_per_transition() -> None:
    md = table_markdown(Kind.INVITE_SERVER)
    assert md.count("\n") == len(TABLES[Kind.INVITE_SERVER]) + 2
    assert "| Completed | ACK received | Confirmed | stop G, stop H, start I |" in md


# ---- timers on a fake clock ---------------------------------------------------------------------


def run_until(tx: Transaction, until: float) -> list[tuple[float, object]]:
    """Fire the transaction's timers in order up to ``until``; the (time, output) pairs."""
    events: list[tuple[float, object]] = []
    while (when := tx.get_timer()) is not None and when <= until:
        events += [(when, o) for o in tx.handle_timer(when)]
    return events


def send_times(events: list[tuple[float, object]]) -> list[float]:
    return [round(t, 3) for t, o in events if isinstance(o, Send)]


def test_timer_a_doubles_and_timer_b_times_out_at_64_t1() -> None:
    tx, first = make(Kind.INVITE_CLIENT)
    assert [type(o) for o in first] == [Send]
    events = run_until(tx, 100)
    # A: 0.5, 1, 2, 4, 8, 16 (RFC 3261 §17.1.1.2 doubles A without a cap) until B = 64*T1 = 32 s.
    assert send_times(events) == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert [type(o) for t, o in events if t == 32.0] == [TimedOut, Terminated]
    assert tx.state is State.TERMINATED


def test_timer_a_and_b_follow_configured_t1() -> None:
    tx, _ = make(Kind.INVITE_CLIENT, timers=TimerConfig(t1=0.1, t2=1.0))
    events = run_until(tx, 100)
    assert send_times(events)[:3] == [0.1, 0.3, 0.7]
    assert events[-1][0] == pytest.approx(6.4)


def test_provisional_stops_a_and_b_in_proceeding() -> None:
    tx, _ = make(Kind.INVITE_CLIENT)
    tx.receive(response_to(tx.request, 180), 0.2)
    assert tx.state is State.PROCEEDING
    assert tx.get_timer() is None  # a ringing call does not time out at 32 s


def test_timer_d_32s_unreliable_then_zero_on_reliable() -> None:
    tx, _ = make(Kind.INVITE_CLIENT)
    out = tx.receive(response_to(tx.request, 486), 1.0)
    assert [type(o) for o in out] == [Deliver, Send]
    assert out[1].message is not None and bytes(out[1].message).startswith(b"ACK sip:1000@192.0.2.1 SIP/2.0")
    assert tx.get_timer() == pytest.approx(33.0)
    # a retransmitted 486 is absorbed and re-ACKed
    assert [type(o) for o in tx.receive(response_to(tx.request, 486), 2.0)] == [Send]
    assert [type(o) for _, o in run_until(tx, 33.0)] == [Terminated]
    tcp, _ = make(Kind.INVITE_CLIENT, TCP)
    assert tcp.get_timer() == 32.0  # only B: A does not run over reliable transports
    out = tcp.receive(response_to(tcp.request, 486), 1.0)
    assert [type(o) for o in out] == [Deliver, Send, Terminated]


def test_timer_m_keeps_accepted_for_2xx_retransmissions() -> None:
    tx, _ = make(Kind.INVITE_CLIENT)
    tx.receive(response_to(tx.request, 200), 1.0)
    assert tx.state is State.ACCEPTED
    assert [type(o) for o in tx.receive(response_to(tx.request, 200), 2.0)] == [Deliver]
    assert tx.get_timer() == pytest.approx(33.0)
    assert [type(o) for _, o in run_until(tx, 40)] == [Terminated]


def test_timer_e_doubles_to_t2_and_f_times_out() -> None:
    tx, _ = make(Kind.NON_INVITE_CLIENT)
    events = run_until(tx, 100)
    assert send_times(events) == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert [type(o) for t, o in events if t == 32.0] == [TimedOut, Terminated]


def test_timer_e_is_t2_in_proceeding() -> None:
    tx, _ = make(Kind.NON_INVITE_CLIENT)
    tx.receive(response_to(tx.request, 100), 0.1)
    assert tx.state is State.PROCEEDING
    events = run_until(tx, 10)
    assert send_times(events) == [0.5, 4.5, 8.5]


def test_timer_k_t4_unreliable_zero_reliable() -> None:
    tx, _ = make(Kind.NON_INVITE_CLIENT)
    tx.receive(response_to(tx.request, 200), 1.0)
    assert tx.state is State.COMPLETED and tx.get_timer() == pytest.approx(6.0)
    assert tx.receive(response_to(tx.request, 200), 2.0) == []  # absorbed
    assert [type(o) for _, o in run_until(tx, 6.0)] == [Terminated]
    tcp, _ = make(Kind.NON_INVITE_CLIENT, TCP)
    assert [type(o) for o in tcp.receive(response_to(tcp.request, 200), 1.0)] == [Deliver, Terminated]


def test_server_invite_sends_100_trying_after_200ms_unless_tu_answers() -> None:
    tx, first = make(Kind.INVITE_SERVER)
    assert [type(o) for o in first] == [Deliver]
    events = run_until(tx, 0.2)
    assert [(t, type(o)) for t, o in events] == [(0.2, Send)]
    sent = events[0][1]
    assert isinstance(sent, Send) and sent.data.startswith(b"SIP/2.0 100 Trying")
    quick, _ = make(Kind.INVITE_SERVER)
    quick.send_response(response_to(quick.request, 180), 0.05)
    assert run_until(quick, 0.3) == []


def test_timer_g_doubles_to_t2_and_h_gives_up() -> None:
    tx, _ = make(Kind.INVITE_SERVER)
    tx.send_response(response_to(tx.request, 486), 0.0)
    events = run_until(tx, 100)
    assert send_times(events) == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert [type(o) for t, o in events if t == 32.0] == [TimedOut, Terminated]


def test_ack_confirms_and_timer_i_absorbs_acks() -> None:
    tx, _ = make(Kind.INVITE_SERVER)
    tx.send_response(response_to(tx.request, 486), 0.0)
    ack = request("ACK", cseq_method="ACK", to_tag="bob-tag")
    assert tx.receive(ack, 0.3) == []
    assert tx.state is State.CONFIRMED and tx.get_timer() == pytest.approx(5.3)
    assert tx.receive(ack, 1.0) == []
    assert [type(o) for _, o in run_until(tx, 10)] == [Terminated]
    tcp, _ = make(Kind.INVITE_SERVER, TCP)
    tcp.send_response(response_to(tcp.request, 486), 0.0)
    assert tcp.get_timer() == 32.0  # H only; G does not run over TCP
    assert [type(o) for o in tcp.receive(ack, 0.3)] == [Terminated]


def test_invite_server_accepted_absorbs_invites_passes_2xx_and_ends_on_l() -> None:
    tx, _ = make(Kind.INVITE_SERVER)
    ok = response_to(tx.request, 200)
    assert [type(o) for o in tx.send_response(ok, 0.0)] == [Send]
    assert tx.state is State.ACCEPTED
    assert tx.receive(tx.request, 0.5) == []  # retransmitted INVITE: the TU retransmits the 2xx
    assert [type(o) for o in tx.send_response(ok, 0.5)] == [Send]
    assert tx.get_timer() == pytest.approx(32.0)
    assert [type(o) for _, o in run_until(tx, 40)] == [Terminated]


def test_invite_server_resends_last_provisional_on_retransmission() -> None:
    tx, _ = make(Kind.INVITE_SERVER)
    tx.send_response(response_to(tx.request, 180), 0.0)
    out = tx.receive(tx.request, 0.5)
    assert len(out) == 1 and isinstance(out[0], Send) and out[0].data.startswith(b"SIP/2.0 180")


def test_timer_j_64_t1_unreliable_zero_reliable() -> None:
    tx, _ = make(Kind.NON_INVITE_SERVER)
    tx.send_response(response_to(tx.request, 200), 1.0)
    assert tx.get_timer() == pytest.approx(33.0)
    out = tx.receive(tx.request, 2.0)
    assert [type(o) for o in out] == [Send]  # retransmitted request: resend the final response
    assert [type(o) for _, o in run_until(tx, 40)] == [Terminated]
    tcp, _ = make(Kind.NON_INVITE_SERVER, TCP)
    assert [type(o) for o in tcp.send_response(response_to(tcp.request, 200), 1.0)] == [Send, Terminated]


def test_transport_error_reaches_tu() -> None:
    tx, _ = make(Kind.NON_INVITE_CLIENT)
    out = tx.transport_error(0.1)
    assert [type(o) for o in out] == [TransportFailed, Terminated]


def test_timer_config_validates() -> None:
    with pytest.raises(ValueError, match="T1 <= T2"):
        TimerConfig(t1=5, t2=4)


def test_docs_show_the_current_tables() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "sip-stack.md").read_text()
    inside = doc.split("<!-- tables:begin -->\n", 1)[1].split("\n<!-- tables:end -->", 1)[0]
    assert inside == all_tables_markdown(), "paste the output of `python -m centralino.sip.transaction`"
