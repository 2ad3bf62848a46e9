"""The transaction layer: matching (§17.2.3, RFC 2543), CANCEL, ACK, Via stamping, malformed input, limits."""

from __future__ import annotations

import logging
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sip_tx_messages import PEER_HOST, PEER_PORT, SDP_OFFER, request, request_bytes, response_to

from centralino.sip.message import Request, Response, parse_message
from centralino.sip.ratelimit import RateLimitConfig, RateLimiter
from centralino.sip.transaction import Address, Deliver, Send, State, Terminated, TimedOut, TxKey
from centralino.sip.transaction_layer import Cancelled, TransactionLayer

SRC = Address("UDP", PEER_HOST, PEER_PORT)


def layer(rate_limiter: RateLimiter | None = None) -> TransactionLayer:
    return TransactionLayer(rng=random.Random(7), rate_limiter=rate_limiter)


def sent(outputs: list[object]) -> list[bytes]:
    return [o.data for o in outputs if isinstance(o, Send)]


def delivered(outputs: list[object]) -> list[Deliver]:
    return [o for o in outputs if isinstance(o, Deliver)]


def first_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode()


def test_new_invite_goes_to_tu_and_retransmissions_are_absorbed() -> None:
    tl = layer()
    out = tl.receive(request_bytes("INVITE", body=SDP_OFFER), SRC, 0.0)
    [d] = delivered(out)
    assert isinstance(d.message, Request) and d.message.method == "INVITE"
    assert d.transaction == TxKey("server", "z9hG4bK-test-1", "INVITE", f"{PEER_HOST}:{PEER_PORT}")
    assert tl.get_timer() == pytest.approx(0.2)  # 100 Trying
    assert tl.receive(request_bytes("INVITE", body=SDP_OFFER), SRC, 0.1) == []
    trying = tl.handle_timer(0.2)
    assert [first_line(b) for b in sent(trying)] == ["SIP/2.0 100 Trying"]
    # after the 100, a retransmission gets the 100 again, not a second delivery
    again = tl.receive(request_bytes("INVITE", body=SDP_OFFER), SRC, 0.5)
    assert [first_line(b) for b in sent(again)] == ["SIP/2.0 100 Trying"] and not delivered(again)


def test_ack_for_non_2xx_stays_in_transaction_ack_for_2xx_goes_up() -> None:
    tl = layer()
    [d] = delivered(tl.receive(request_bytes("INVITE"), SRC, 0.0))
    assert isinstance(d.message, Request) and d.transaction is not None
    busy = d.message.make_response(486, to_tag="ours")
    out = tl.send_response(busy, 0.0, d.transaction)
    assert [first_line(b) for b in sent(out)] == ["SIP/2.0 486 Busy Here"]
    ack = request_bytes("ACK", cseq_method="ACK", to_tag="ours")
    assert tl.receive(ack, SRC, 0.1) == []
    assert tl.transactions[d.transaction].state is State.CONFIRMED
    # a 2xx ACK has its own branch and no transaction: the TU gets it
    out = tl.receive(request_bytes("ACK", branch="z9hG4bK-other", cseq_method="ACK", to_tag="t"), SRC, 0.2)
    assert [(type(o), o.transaction) for o in out] == [(Deliver, None)]


def test_cancel_answers_200_and_487_and_tells_the_tu() -> None:
    tl = layer()
    [d] = delivered(tl.receive(request_bytes("INVITE"), SRC, 0.0))
    assert isinstance(d.message, Request) and d.transaction is not None
    ringing = d.message.make_response(180, to_tag="ring-tag")
    tl.send_response(ringing, 0.0, d.transaction)
    out = tl.receive(request_bytes("CANCEL"), SRC, 1.0)
    lines = [first_line(b) for b in sent(out)]
    assert lines == ["SIP/2.0 200 OK", "SIP/2.0 487 Request Terminated"]
    assert b"tag=ring-tag" in sent(out)[1]  # same To tag as the provisional response
    assert [type(o) for o in out if not isinstance(o, Send)] == [Cancelled]
    assert not delivered(out)
    # CANCEL retransmission: the 200 again, no second 487
    assert [first_line(b) for b in sent(tl.receive(request_bytes("CANCEL"), SRC, 1.2))] == ["SIP/2.0 200 OK"]


def test_cancel_without_invite_is_481_and_after_final_is_200_only() -> None:
    tl = layer()
    assert [first_line(b) for b in sent(tl.receive(request_bytes("CANCEL"), SRC, 0.0))] == [
        "SIP/2.0 481 Call/Transaction Does Not Exist"]
    tl2 = layer()
    [d] = delivered(tl2.receive(request_bytes("INVITE"), SRC, 0.0))
    assert isinstance(d.message, Request)
    tl2.send_response(d.message.make_response(200, to_tag="x"), 0.0, d.transaction)
    out = tl2.receive(request_bytes("CANCEL"), SRC, 0.5)
    assert [first_line(b) for b in sent(out)] == ["SIP/2.0 200 OK"]
    assert not [o for o in out if isinstance(o, Cancelled)]


def test_rport_and_received_are_stamped_and_responses_follow_them() -> None:
    tl = layer()
    natted = Address("UDP", "203.0.113.5", 61000)
    [d] = delivered(tl.receive(request_bytes("OPTIONS", rport=True), natted, 0.0))
    assert isinstance(d.message, Request)
    via = d.message.top_via
    assert (via.received, via.rport) == ("203.0.113.5", 61000)
    [s] = [o for o in tl.send_response(d.message.make_response(200, to_tag="t"), 0.0, d.transaction)
           if isinstance(o, Send)]
    assert s.destination == natted
    assert b";rport=61000;received=203.0.113.5" in s.data
    # without rport: received is added (host differs) and the answer goes to the Via port (§18.2.2)
    [d2] = delivered(tl.receive(request_bytes("OPTIONS", branch="z9hG4bK-2"), natted, 0.0))
    assert isinstance(d2.message, Request)
    [s2] = [o for o in tl.send_response(d2.message.make_response(200, to_tag="t"), 0.0, d2.transaction)
            if isinstance(o, Send)]
    assert s2.destination == Address("UDP", "203.0.113.5", PEER_PORT)


def test_tcp_responses_go_back_on_the_connection() -> None:
    tl = layer()
    conn = Address("TCP", "198.51.100.9", 40001)
    [d] = delivered(tl.receive(request_bytes("OPTIONS"), conn, 0.0))
    assert isinstance(d.message, Request)
    out = tl.send_response(d.message.make_response(200, to_tag="t"), 0.0, d.transaction)
    assert [(type(o), getattr(o, "destination", None)) for o in out] == [(Send, conn), (Terminated, None)]


def test_rfc2543_matching_without_magic_cookie() -> None:
    tl = layer()
    old = request_bytes("INVITE", branch=None)
    [d] = delivered(tl.receive(old, SRC, 0.0))
    assert d.transaction is not None and d.transaction.branch.startswith("rfc2543:")
    assert tl.receive(old, SRC, 0.1) == []  # retransmission matched by Call-ID/From tag/CSeq/R-URI/Via
    assert isinstance(d.message, Request)
    tl.send_response(d.message.make_response(404, to_tag="old-tag"), 0.2, d.transaction)
    # an ACK with the To tag of our 404 matches the INVITE transaction
    assert tl.receive(request_bytes("ACK", branch=None, cseq_method="ACK", to_tag="old-tag"), SRC, 0.3) == []
    assert tl.transactions[d.transaction].state is State.CONFIRMED
    # a different CSeq is a new transaction
    assert delivered(tl.receive(request_bytes("INVITE", branch=None, cseq=2), SRC, 0.4))


def test_client_transactions_match_responses_by_branch_and_method() -> None:
    tl = layer()
    options = request("OPTIONS", branch=tl.new_branch())
    dest = Address("UDP", "192.0.2.20", 5060)
    key, out = tl.send_request(options, dest, 0.0)
    assert key is not None and [type(o) for o in out] == [Send]
    assert tl.receive(bytes(response_to(options, 200)).replace(b"OPTIONS", b"INVITE"), dest, 0.1) == []
    got = tl.receive(bytes(response_to(options, 200)), dest, 0.1)
    [d] = delivered(got)
    assert len(got) == 1 and isinstance(d.message, Response) and d.transaction == key


def test_client_invite_acks_a_failure_itself() -> None:
    tl = layer()
    invite = request("INVITE", branch=tl.new_branch())
    dest = Address("UDP", "192.0.2.20", 5060)
    tl.send_request(invite, dest, 0.0)
    out = tl.receive(bytes(response_to(invite, 603)), dest, 0.3)
    assert [type(o) for o in out] == [Deliver, Send]
    ack = parse_message(sent(out)[0])
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert ack.top_via.branch == invite.top_via.branch and ack.to.tag == "bob-tag"


def test_timeouts_reach_the_tu_and_the_timer_heap_orders_transactions() -> None:
    tl = layer()
    dest = Address("UDP", "192.0.2.20", 5060)
    tl.send_request(request("OPTIONS", branch=tl.new_branch()), dest, 0.0)
    tl.send_request(request("INVITE", branch=tl.new_branch()), dest, 1.0)
    assert tl.get_timer() == 0.5
    timeouts: list[tuple[float, str]] = []
    while (when := tl.get_timer()) is not None:
        timeouts += [(when, o.request.method) for o in tl.handle_timer(when) if isinstance(o, TimedOut)]
    assert timeouts == [(32.0, "OPTIONS"), (33.0, "INVITE")]
    assert tl.transactions == {}


def test_malformed_request_answered_with_parser_status_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tl = layer()
    bad = request_bytes("OPTIONS").replace(b"SIP/2.0\r\n", b"SIP/7.0\r\n", 1)
    with caplog.at_level(logging.WARNING, "centralino.sip.transaction_layer"):
        out = tl.receive(bad, SRC, 0.0)
        tl.receive(bad, SRC, 0.1)
    [reply] = sent(out)
    assert first_line(reply) == "SIP/2.0 505 Version Not Supported"
    assert b"Warning: 399 centralino" in reply and b"tag=" in reply
    assert [(r.levelname, PEER_HOST in r.getMessage()) for r in caplog.records] == [("WARNING", True)]
    assert tl.malformed == 2


def test_malformed_response_is_dropped_silently() -> None:
    tl = layer()
    assert tl.receive(b"SIP/2.0 2000 OK\r\nVia: SIP/2.0/UDP x\r\n\r\n", SRC, 0.0) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 300))
def test_garbage_never_crashes_the_layer(noise: bytes, cut: int) -> None:
    tl = layer()
    base = request_bytes("INVITE", body=SDP_OFFER)
    for data in (noise, base[:cut] + noise, noise + base[cut:]):
        for o in tl.receive(data, SRC, 0.0):
            assert isinstance(o, (Send, Deliver, Cancelled, Terminated))


def test_rate_limit_answers_503_once_then_drops_but_spares_other_sources() -> None:
    tl = layer(rate_limiter=RateLimiter(RateLimitConfig(rate=1, burst=3, reject_interval=10)))
    flooder = Address("UDP", "203.0.113.66", 5060)
    replies = []
    for i in range(10):
        replies += sent(tl.receive(request_bytes("OPTIONS", branch=f"z9hG4bK-f{i}", via_host="203.0.113.66"),
                                   flooder, 0.0))
    # 3 admitted (answered by nobody here: no TU), then one 503, then silence
    assert [first_line(r) for r in replies] == ["SIP/2.0 503 Service Unavailable"]
    assert b"Retry-After: " in replies[0]
    assert delivered(tl.receive(request_bytes("OPTIONS", branch="z9hG4bK-ok"), SRC, 0.0))
    # responses and ACKs from the flooder are never limited
    ack = request_bytes("ACK", branch="z9hG4bK-ack", cseq_method="ACK", to_tag="t", via_host="203.0.113.66")
    assert delivered(tl.receive(ack, flooder, 0.0))
