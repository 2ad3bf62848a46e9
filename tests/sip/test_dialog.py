"""Dialogs (RFC 3261 §12): creation on both sides, route sets, CSeq order, in-dialog requests."""

from __future__ import annotations

import pytest
from sip_tx_messages import request, response_to

from centralino.sip.dialog import Dialog, DialogId, DialogState
from centralino.sip.message import Response, parse_message

RR = ("Record-Route: <sip:p1.example;lr>", "Record-Route: <sip:p2.example;lr>")


def test_uas_dialog_keeps_record_route_order_and_remote_cseq() -> None:
    invite = request("INVITE", cseq=7, extra=RR)
    d = Dialog.as_uas(invite, invite.make_response(200, to_tag="ours"))
    assert d.id == DialogId("call-1@192.0.2.10", "ours", "alice-tag")
    assert [str(r.uri) for r in d.route_set] == ["sip:p1.example;lr", "sip:p2.example;lr"]
    assert (d.local_seq, d.remote_seq, d.state) == (0, 7, DialogState.CONFIRMED)
    assert str(d.remote_target) == "sip:alice@192.0.2.10:5070"


def test_uac_dialog_reverses_record_route_and_follows_contact() -> None:
    invite = request("INVITE", cseq=3)
    ringing = parse_message(bytes(invite.make_response(180, to_tag="bob")).replace(
        b"Content-Length", b"Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\n"
        b"Contact: <sip:bob@198.51.100.2>\r\nContent-Length"))
    assert isinstance(ringing, Response)
    d = Dialog.as_uac(invite, ringing)
    assert d.state == DialogState.EARLY and d.local_seq == 3
    assert [r.uri.host for r in d.route_set] == ["p2.example", "p1.example"]
    ok = response_to(invite, 200, to_tag="bob")
    d.update_from_2xx(ok)
    assert d.state == DialogState.CONFIRMED


def test_in_dialog_request_with_loose_and_strict_routing() -> None:
    invite = request("INVITE", extra=RR)
    d = Dialog.as_uas(invite, invite.make_response(200, to_tag="ours"))
    bye = d.create_request("BYE", via="SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-x")
    assert str(bye.uri) == "sip:alice@192.0.2.10:5070"
    assert bye.headers.get_all("Route") == ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]
    assert (bye.cseq.seq, bye.cseq.method, bye.from_.tag, bye.to.tag) == (1, "BYE", "ours", "alice-tag")
    assert d.create_request("INFO", via="SIP/2.0/UDP h;branch=z9hG4bK-y").cseq.seq == 2
    assert d.next_hop().host == "p1.example"
    strict = request("INVITE", extra=("Record-Route: <sip:strict.example>",))
    ds = Dialog.as_uas(strict, strict.make_response(200, to_tag="ours"))
    req = ds.create_request("BYE", via="SIP/2.0/UDP h;branch=z9hG4bK-z")
    assert str(req.uri) == "sip:strict.example"
    assert req.headers.get_all("Route") == ["<sip:alice@192.0.2.10:5070>"]
    assert parse_message(bytes(req)).cseq.method == "BYE"


def test_remote_cseq_must_not_go_back() -> None:
    invite = request("INVITE", cseq=5)
    d = Dialog.as_uas(invite, invite.make_response(200, to_tag="ours"))
    assert d.accepts(request("BYE", cseq=6, to_tag="ours"))
    assert not d.accepts(request("INFO", cseq=4, to_tag="ours"))
    assert d.accepts(request("ACK", cseq=5, cseq_method="ACK", to_tag="ours"))


def test_dialog_needs_a_tag_and_contact() -> None:
    invite = request("INVITE")
    with pytest.raises(ValueError, match="To tag"):
        Dialog.as_uas(invite, invite.make_response(200))
