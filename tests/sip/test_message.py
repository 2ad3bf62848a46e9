from __future__ import annotations

from pathlib import Path

import pytest

from centralino.sip.errors import SipParseError
from centralino.sip.headers import CSeq, Headers, Via
from centralino.sip.message import (
    Request,
    Response,
    StreamFramer,
    error_response,
    parse_message,
    reason_phrase,
    split_multipart,
)
from centralino.sip.uri import URI

VECTORS = Path(__file__).parent / "vectors"

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@example.com>\r\n"
    b"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.1:5060>\r\n"
    b"X-Custom: kept\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 5\r\n\r\nv=0\r\n"
)


def test_parse_typical_invite() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    assert (msg.method, str(msg.uri)) == ("INVITE", "sip:bob@example.com")
    assert msg.top_via.branch == "z9hG4bK776asdhds"
    assert msg.top_via.rport_requested and msg.top_via.rport is None
    assert msg.cseq == CSeq(314159, "INVITE")
    assert msg.from_.display == "Alice" and msg.from_.tag == "1928301774"
    assert msg.to.tag is None
    assert msg.content_type == "application/sdp"
    assert msg.body == b"v=0\r\n"
    assert list(msg.headers)[7] == ("X-Custom", "kept")


def test_serialize_sets_content_length_from_body() -> None:
    msg = parse_message(INVITE)
    msg.body = b"v=0\r\n"
    data = bytes(msg)
    assert b"Content-Length: 5\r\n\r\nv=0\r\n" in data
    assert data.startswith(b"INVITE sip:bob@example.com SIP/2.0\r\n")


def test_make_response_copies_the_rfc_headers() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    resp = msg.make_response(180, to_tag="a6c85cf")
    assert (resp.status, resp.reason) == (180, "Ringing")
    assert resp.to.tag == "a6c85cf" and resp.from_.tag == "1928301774"
    assert resp.call_id == msg.call_id and resp.cseq == msg.cseq
    assert [str(v) for v in resp.via] == [str(v) for v in msg.via]
    again = parse_message(bytes(resp))
    assert isinstance(again, Response) and again.status == 180 and again.to.tag == "a6c85cf"
    assert msg.make_response(100).to.tag is None


def test_typed_cache_follows_header_changes() -> None:
    msg = parse_message(INVITE)
    assert msg.cseq.seq == 314159
    msg.headers.set("CSeq", "2 INVITE")
    assert msg.cseq.seq == 2
    top = msg.top_via
    top.params["received"] = "203.0.113.9"
    msg.set_vias([top])
    assert parse_message(bytes(msg)).top_via.received == "203.0.113.9"


def test_build_request_from_parts() -> None:
    headers = Headers(
        [
            ("Via", str(Via("UDP", "192.0.2.1", 5060, {"branch": "z9hG4bKx"}))),
            ("From", "<sip:a@example.com>;tag=1"),
            ("To", "<sip:b@example.com>"),
            ("Call-ID", "c1"),
            ("CSeq", str(CSeq(1, "OPTIONS"))),
        ]
    )
    req = Request("OPTIONS", URI.parse("sip:b@example.com"), headers)
    parsed = parse_message(bytes(req))
    assert parsed == Request("OPTIONS", req.uri, Headers([*headers, ("Content-Length", "0")]))


def test_headers_multimap() -> None:
    h = Headers([("v", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b"), ("Via", "SIP/2.0/TCP c"), ("s", "")])
    assert h.get_all("VIA") == ["SIP/2.0/UDP a;branch=z9hG4bK1", "SIP/2.0/UDP b", "SIP/2.0/TCP c"]
    assert h.get("Subject") == ""
    assert "subject" in h and "x-none" not in h
    h.add("Contact", '"A, B" <sip:a@x>, <sip:b@y;p=1,2>')
    assert h.get_all("m") == ['"A, B" <sip:a@x>', "<sip:b@y;p=1,2>"]
    h.set("via", "SIP/2.0/UDP z")
    assert h.get_all("v") == ["SIP/2.0/UDP z"] and list(h)[0] == ("v", "SIP/2.0/UDP z")
    h.remove("contact")
    assert h.get("m") is None and len(h) == 2


def test_stream_framer_splits_by_content_length_and_keepalives() -> None:
    framer = StreamFramer()
    two = INVITE + b"\r\n\r\n" + INVITE
    out = []
    for i in range(0, len(two), 7):  # arbitrary TCP segmentation
        out += framer.feed(two[i : i + 7])
    assert out == [INVITE, StreamFramer.PING, INVITE]
    assert framer.buffered == 0
    assert framer.feed(b"\r\nOPTIONS") == [StreamFramer.PONG]


def test_stream_framer_needs_content_length() -> None:
    with pytest.raises(SipParseError):
        StreamFramer().feed(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n")


def test_multipart_body_keeps_binary_parts() -> None:
    msg = parse_message((VECTORS / "mpart01.dat").read_bytes())
    parts = split_multipart(msg.body, msg.headers.get("content-type") or "")
    assert [h.get("content-type") for h, _ in parts] == ["text/plain", "application/octet-stream"]
    assert parts[0][1] == b"Hello"
    assert len(parts[1][1]) == 342 and b"\x00" in parts[1][1]


def test_error_response_for_an_unparseable_request() -> None:
    data = (VECTORS / "badinv01.dat").read_bytes()
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    answer = error_response(data, info.value)
    assert answer is not None and answer.startswith(b"SIP/2.0 400 Bad Request\r\n")
    assert b"Call-ID: badinv01.0ha0isndaksdjasdf3234nas\r\n" in answer
    assert error_response(b"SIP/2.0 200 OK\r\n\r\n", SipParseError("x")) is None


def test_reason_phrases() -> None:
    assert reason_phrase(486) == "Busy Here" and reason_phrase(499) == "Bad Request"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n\r\n",
        b"INVITE\r\n\r\n",
        b"SIP/2.0 200\r\n\r\n",
        INVITE.replace(b"Content-Length: 5", b"l: five"),
    ],
)
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(SipParseError):
        parse_message(data)
