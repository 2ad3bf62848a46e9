"""SwitchAgent's sans-I/O pieces: the hold offer and INFO digits, against a real transaction layer."""

from __future__ import annotations

import random

from centralino.calls.commands import Answer
from centralino.calls.events import CallEvent, DigitsReceived
from centralino.core.clock import FakeClock
from centralino.sip import sdp
from centralino.sip.transaction import Address, Send
from centralino.sip.transaction_layer import TransactionLayer
from centralino.telephony import SwitchAgent
from centralino.telephony.agent import with_direction

PEER = Address("UDP", "192.0.2.7", 5062)
OFFER = (
    b"v=0\r\no=peer 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
    b"m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)


def test_with_direction_sets_every_stream_and_the_version() -> None:
    held = sdp.SessionDescription.parse(with_direction(OFFER, "sendonly", 7))
    assert held.origin.session_version == 7
    assert held.audio is not None and held.audio.direction == "sendonly"
    resumed = sdp.SessionDescription.parse(with_direction(bytes(held), "sendrecv", 8))
    assert resumed.audio is not None and resumed.audio.direction == "sendrecv"
    assert [n for n, _ in resumed.audio.attributes].count("sendrecv") == 1


def request(method: str, *, to_tag: str = "", cseq: int = 1, body: bytes = b"", extra: str = "") -> bytes:
    to = "<sip:600@192.0.2.1>" + (f";tag={to_tag}" if to_tag else "")
    head = (
        f"{method} sip:600@192.0.2.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK{method}{cseq}\r\n"
        f"From: <sip:alice@192.0.2.7>;tag=abc\r\nTo: {to}\r\nCall-ID: call-1\r\nCSeq: {cseq} {method}\r\n"
        f"Contact: <sip:alice@192.0.2.7:5062>\r\nMax-Forwards: 70\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def test_info_digits_become_digits_received() -> None:
    events: list[CallEvent] = []
    clock = FakeClock()
    agent = SwitchAgent(on_event=events.append, clock=clock, rng=random.Random(1))
    layer = TransactionLayer(rng=random.Random(2))
    agent.attach(layer, Address("UDP", "192.0.2.1", 5060))
    sent: list[bytes] = []

    def feed(data: bytes) -> None:
        queue = list(layer.receive(data, PEER, 0.0))
        while queue:
            out = queue.pop(0)
            if isinstance(out, Send):
                sent.append(out.data)
            else:
                queue.extend(agent.on_output(out, 0.0))

    feed(request("INVITE", body=OFFER, extra="Content-Type: application/sdp\r\n"))
    leg = next(iter(agent.legs))
    queue = list(agent.command(Answer(leg=leg), 0.0))
    ok = next(o.data for o in queue if isinstance(o, Send))
    to_tag = ok.split(b"To: ")[1].split(b"\r\n")[0].split(b"tag=")[1].decode()
    feed(request("ACK", to_tag=to_tag))
    feed(
        request(
            "INFO",
            to_tag=to_tag,
            cseq=2,
            body=b"Signal=5\r\nDuration=160\r\n",
            extra="Content-Type: application/dtmf-relay\r\n",
        )
    )
    assert [e.digits for e in events if isinstance(e, DigitsReceived)] == ["5"]
    assert sent and sent[-1].startswith(b"SIP/2.0 200")
