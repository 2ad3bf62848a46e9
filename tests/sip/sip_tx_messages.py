"""Real SIP messages for the transaction, layer and UA tests (bytes in, parsed out)."""

from __future__ import annotations

from typing import Any

from centralino.sip.message import Request, Response, parse_message

BRANCH = "z9hG4bK-test-1"
PEER_HOST = "192.0.2.10"
PEER_PORT = 5070

SDP_OFFER = (
    b"v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
)


def request_bytes(
    method: str = "INVITE",
    *,
    branch: str | None = BRANCH,
    cseq: int = 1,
    cseq_method: str | None = None,
    call_id: str = "call-1@192.0.2.10",
    to_tag: str | None = None,
    from_tag: str = "alice-tag",
    via_host: str = PEER_HOST,
    via_port: int = PEER_PORT,
    rport: bool = False,
    uri: str = "sip:1000@192.0.2.1",
    body: bytes = b"",
    extra: tuple[str, ...] = (),
) -> bytes:
    via = f"SIP/2.0/UDP {via_host}:{via_port}"
    if branch is not None:
        via += f";branch={branch}"
    if rport:
        via += ";rport"
    to = "<sip:1000@192.0.2.1>" + (f";tag={to_tag}" if to_tag else "")
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: {via}",
        "Max-Forwards: 70",
        f"From: \"Alice\" <sip:alice@192.0.2.10>;tag={from_tag}",
        f"To: {to}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {cseq_method or method}",
        f"Contact: <sip:alice@{via_host}:{via_port}>",
        *extra,
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def request(method: str = "INVITE", **kw: Any) -> Request:
    msg = parse_message(request_bytes(method, **kw))
    assert isinstance(msg, Request)
    return msg


def response_to(req: Request, status: int, to_tag: str | None = "bob-tag") -> Response:
    """A response as the peer would send it (parsed back from bytes, like the network gives it)."""
    msg = parse_message(bytes(req.make_response(status, to_tag=to_tag)))
    assert isinstance(msg, Response)
    return msg
