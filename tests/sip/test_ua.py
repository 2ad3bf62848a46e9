"""The UAS core over a real transaction layer on a fake clock: what a peer sees, what the engines hear."""

from __future__ import annotations

import random
from collections import deque

from sip_tx_messages import PEER_HOST, PEER_PORT, SDP_OFFER, request_bytes

from centralino.calls.commands import Answer, Command, Hangup, Reject, Ring
from centralino.calls.events import Answered, CallEvent, CallOffered, Failed, HungUp, Ringing
from centralino.core.clock import FakeClock
from centralino.sip.message import Request, Response, parse_message
from centralino.sip.sdp import SessionDescription
from centralino.sip.transaction import Address, Send
from centralino.sip.transaction_layer import LayerOutput, TransactionLayer
from centralino.sip.ua import UaConfig, UserAgent

PEER = Address("UDP", PEER_HOST, PEER_PORT)
LOCAL = Address("UDP", "192.0.2.1", 5060)


class Harness:
    """The endpoint's drain loop without sockets: what goes out is collected in ``wire``."""

    def __init__(self, config: UaConfig | None = None) -> None:
        self.clock = FakeClock(start=1_800_000_000.0)
        self.now = 0.0
        self.layer = TransactionLayer(rng=random.Random(1))
        self.events: list[CallEvent] = []
        self.ua = UserAgent(on_event=self.events.append, config=config, clock=self.clock,
                            rng=random.Random(2))
        self.ua.attach(self.layer, LOCAL)
        self.wire: list[Send] = []

    def drain(self, outputs: list[LayerOutput]) -> list[Request | Response]:
        queue, out = deque(outputs), []
        while queue:
            o = queue.popleft()
            if isinstance(o, Send):
                self.wire.append(o)
                out.append(parse_message(o.data))
            else:
                queue.extend(self.ua.on_output(o, self.now))
        return out

    def receive(self, data: bytes, at: float | None = None) -> list[Request | Response]:
        self.now = self.now if at is None else at
        return self.drain(self.layer.receive(data, PEER, self.now))

    def command(self, command: Command) -> list[Request | Response]:
        return self.drain(self.ua.command(command, self.now))

    def run_until(self, until: float) -> list[tuple[float, Request | Response]]:
        sent: list[tuple[float, Request | Response]] = []
        while True:
            times = [t for t in (self.layer.get_timer(), self.ua.get_timer()) if t is not None]
            if not times or min(times) > until:
                break
            self.now = min(times)
            sent += [(self.now, m) for m in self.drain([*self.layer.handle_timer(self.now),
                                                        *self.ua.handle_timer(self.now)])]
        self.now = until
        return sent

    def offered(self) -> CallOffered:
        [offer] = [e for e in self.events if isinstance(e, CallOffered)]
        return offer


def statuses(messages: list[Request | Response]) -> list[int]:
    return [m.status for m in messages if isinstance(m, Response)]


def test_options_answered_with_capabilities() -> None:
    h = Harness()
    [ok] = h.receive(request_bytes("OPTIONS"))
    assert isinstance(ok, Response) and ok.status == 200
    assert ok.headers.get("Allow") == "INVITE, ACK, CANCEL, BYE, OPTIONS"
    assert ok.headers.get("Accept") == "application/sdp"
    assert "Supported" in ok.headers and ok.to.tag


def test_rfc3261_8_2_checks() -> None:
    h = Harness()
    [r405] = h.receive(request_bytes("INFO", branch="z9hG4bK-1"))
    assert isinstance(r405, Response) and r405.status == 405 and "BYE" in (r405.headers.get("Allow") or "")
    [r420] = h.receive(request_bytes("OPTIONS", branch="z9hG4bK-2", extra=("Require: foo",)))
    assert isinstance(r420, Response) and r420.status == 420 and r420.headers.get("Unsupported") == "foo"
    [r416] = h.receive(request_bytes("OPTIONS", branch="z9hG4bK-3", uri="tel:+15550100"))
    assert statuses([r416]) == [416]
    [r501] = h.receive(request_bytes("FROB", branch="z9hG4bK-4"))
    assert statuses([r501]) == [501]
    [r481] = h.receive(request_bytes("BYE", branch="z9hG4bK-5", to_tag="nope"))
    assert statuses([r481]) == [481]


def answered_call(h: Harness) -> Response:
    invite = request_bytes("INVITE", body=SDP_OFFER, extra=("Record-Route: <sip:proxy.example;lr>",))
    assert h.receive(invite) == []
    h.command(Answer(leg=h.offered().leg))
    ok = parse_message(h.wire[-1].data)
    assert isinstance(ok, Response) and ok.status == 200
    return ok


def test_invite_offered_then_answered_with_sdp_and_ack_confirms() -> None:
    h = Harness()
    ok = answered_call(h)
    offer = h.offered()
    assert (offer.caller, offer.dialled) == ("alice", "1000")
    assert ok.content_type == "application/sdp" and ok.to.tag and ok.contact
    answer = SessionDescription.parse(ok.body)
    audio = answer.audio
    assert audio is not None and audio.formats[0] == "0"  # PCMU, the first offered codec we speak
    assert ok.headers.get_all("Record-Route") == ["<sip:proxy.example;lr>"]
    # 2xx retransmitted at T1, 2T1, 4T1 ... until the ACK
    resent = h.run_until(4.0)
    assert [round(t, 2) for t, m in resent if statuses([m]) == [200]] == [0.5, 1.5, 3.5]
    ack = request_bytes("ACK", branch="z9hG4bK-ack", cseq_method="ACK", to_tag=ok.to.tag)
    assert h.receive(ack, at=4.0) == []
    assert [type(e) for e in h.events] == [CallOffered, Answered]
    assert h.run_until(40.0) == []


def test_no_ack_ends_the_call_with_bye_after_64_t1() -> None:
    h = Harness()
    ok = answered_call(h)
    sent = h.run_until(40.0)
    oks = [t for t, m in sent if statuses([m]) == [200]]
    assert oks[:5] == [0.5, 1.5, 3.5, 7.5, 11.5] and max(oks) < 32.0  # capped at T2 = 4 s
    byes = [(t, m) for t, m in sent if isinstance(m, Request) and m.method == "BYE"]
    assert byes[0][0] == 32.0  # then retransmitted by its own transaction (Timer E), same branch
    assert len({m.top_via.branch for _, m in byes}) == 1
    bye = byes[0][1]
    assert isinstance(bye, Request)
    assert str(bye.uri) == f"sip:alice@{PEER_HOST}:{PEER_PORT}"  # the INVITE's Contact
    assert bye.from_.tag == ok.to.tag and bye.to.tag == "alice-tag" and bye.call_id == ok.call_id
    assert bye.headers.get_all("Route") == ["<sip:proxy.example;lr>"]
    assert h.events[-1] == HungUp(at=h.clock.now(), leg=h.offered().leg, by="system", cause="no ACK")
    assert h.wire[-1].destination == Address("UDP", "proxy.example", 5060)  # loose routing: first route


def test_bye_from_the_peer() -> None:
    h = Harness()
    ok = answered_call(h)
    h.receive(request_bytes("ACK", branch="z9hG4bK-ack", cseq_method="ACK", to_tag=ok.to.tag), at=0.1)
    [r] = h.receive(request_bytes("BYE", branch="z9hG4bK-bye", cseq=2, to_tag=ok.to.tag), at=5.0)
    assert statuses([r]) == [200]
    assert h.events[-1] == HungUp(at=h.clock.now(), leg=h.offered().leg, by="remote", cause="normal")
    [again] = h.receive(request_bytes("BYE", branch="z9hG4bK-bye2", cseq=3, to_tag=ok.to.tag), at=6.0)
    assert statuses([again]) == [481]


def test_bye_from_our_side_waits_for_the_ack() -> None:
    h = Harness()
    ok = answered_call(h)
    assert h.command(Hangup(leg=h.offered().leg)) == []  # no BYE before the ACK (§15)
    assert isinstance(h.events[-1], HungUp) and h.events[-1].by == "local"
    out = h.receive(request_bytes("ACK", branch="z9hG4bK-ack", cseq_method="ACK", to_tag=ok.to.tag), at=0.2)
    [bye] = out
    assert isinstance(bye, Request) and bye.method == "BYE" and bye.cseq.seq == 1
    assert Answered not in [type(e) for e in h.events]


def test_hangup_after_ack_sends_bye_and_its_200_is_absorbed() -> None:
    h = Harness()
    ok = answered_call(h)
    h.receive(request_bytes("ACK", branch="z9hG4bK-ack", cseq_method="ACK", to_tag=ok.to.tag), at=0.1)
    [bye] = h.command(Hangup(leg=h.offered().leg))
    assert isinstance(bye, Request) and bye.method == "BYE"
    assert h.receive(bytes(bye.make_response(200)), at=0.3) == []
    assert [type(e) for e in h.events] == [CallOffered, Answered, HungUp]


def test_cancel_before_answer() -> None:
    h = Harness()
    h.receive(request_bytes("INVITE", body=SDP_OFFER))
    out = h.receive(request_bytes("CANCEL"), at=1.0)
    assert statuses(out) == [200, 487]
    assert h.events[-1] == HungUp(at=h.clock.now(), leg=h.offered().leg, by="remote", cause="cancelled")
    assert h.command(Answer(leg=h.offered().leg)) == []  # too late: the leg is gone


def test_reject_and_unanswerable_offer() -> None:
    h = Harness()
    h.receive(request_bytes("INVITE", body=SDP_OFFER))
    assert statuses(h.command(Reject(leg=h.offered().leg, code=486, reason="Busy Here"))) == [486]
    video_only = SDP_OFFER.replace(b"m=audio 40000 RTP/AVP 0 8 101", b"m=audio 40000 RTP/AVP 18")
    h2 = Harness(UaConfig(auto_answer=True))
    assert statuses(h2.receive(request_bytes("INVITE", body=video_only))) == [488]
    assert isinstance(h2.events[-1], HungUp) and h2.events[-1].by == "system"


def test_auto_answer_and_late_offer() -> None:
    h = Harness(UaConfig(auto_answer=True, rtp_host="198.51.100.1", rtp_port=lambda leg: 31000))
    [ok] = h.receive(request_bytes("INVITE"))  # no SDP: we offer in the 200
    assert isinstance(ok, Response) and ok.status == 200
    sdp = SessionDescription.parse(ok.body)
    assert sdp.audio is not None and sdp.audio.port == 31000 and b"198.51.100.1" in ok.body


# ---- outbound legs (UAC) ------------------------------------------------------------------------

AGENT = "sip:agent@192.0.2.10:5070"


def peer_answer(invite: Request, status: int, tag: str = "agent-tag") -> bytes:
    response = invite.make_response(status, to_tag=tag)
    response.headers.add("Contact", f"<sip:agent@{PEER_HOST}:{PEER_PORT}>")
    return bytes(response)


def ring(h: Harness, timeout: float = 20.0) -> Request:
    [invite] = h.command(Ring(leg="out-1", target=AGENT, timeout=timeout, caller_id="4000"))
    assert isinstance(invite, Request) and invite.method == "INVITE"
    return invite


def test_outbound_call_rings_is_answered_acked_and_hung_up() -> None:
    h = Harness()
    invite = ring(h)
    assert h.wire[-1].destination == PEER
    assert invite.from_.uri.user == "4000" and invite.content_type == "application/sdp"
    assert SessionDescription.parse(invite.body).audio is not None
    assert h.receive(peer_answer(invite, 180), at=0.3) == []
    [ack] = h.receive(peer_answer(invite, 200), at=1.0)
    assert isinstance(ack, Request) and ack.method == "ACK" and ack.cseq.seq == invite.cseq.seq
    assert ack.to.tag == "agent-tag" and str(ack.uri) == f"sip:agent@{PEER_HOST}:{PEER_PORT}"
    # a retransmitted 200 (our ACK was lost) is ACKed again, without a second Answered
    [ack2] = h.receive(peer_answer(invite, 200), at=1.5)
    assert isinstance(ack2, Request) and ack2.method == "ACK"
    assert [type(e) for e in h.events] == [Ringing, Answered]
    [bye] = h.command(Hangup(leg="out-1"))
    assert isinstance(bye, Request) and bye.method == "BYE" and bye.from_.tag == invite.from_.tag
    assert bye.cseq.seq == invite.cseq.seq + 1


def test_outbound_busy_fails_and_the_transaction_acks() -> None:
    h = Harness()
    invite = ring(h)
    [ack] = h.receive(peer_answer(invite, 486), at=0.5)
    assert isinstance(ack, Request) and ack.method == "ACK" and ack.top_via.branch == invite.top_via.branch
    assert h.events == [Failed(at=h.clock.now(), leg="out-1", code=486, reason="Busy Here")]


def test_outbound_no_answer_cancels_after_the_ring_timeout() -> None:
    h = Harness()
    invite = ring(h, timeout=5.0)
    h.receive(peer_answer(invite, 180), at=0.2)
    sent = h.run_until(6.0)
    cancels = [m for _, m in sent if isinstance(m, Request) and m.method == "CANCEL"]
    assert cancels and cancels[0].top_via.branch == invite.top_via.branch
    assert h.events[-1] == Failed(at=h.clock.now(), leg="out-1", code=408, reason="no answer")
    h.receive(bytes(invite.make_response(487, to_tag="agent-tag")), at=6.1)
    assert len(h.events) == 2  # Ringing, Failed: the 487 adds nothing


def test_hangup_before_any_provisional_waits_to_cancel() -> None:
    h = Harness()
    invite = ring(h)
    assert h.command(Hangup(leg="out-1")) == []  # §9.1: no CANCEL before a provisional response
    [cancel] = h.receive(peer_answer(invite, 180), at=0.3)
    assert isinstance(cancel, Request) and cancel.method == "CANCEL"
    assert [type(e) for e in h.events] == [HungUp]


def test_ring_needs_a_sip_uri() -> None:
    h = Harness()
    assert h.command(Ring(leg="x", target="1234")) == []
    [failed] = h.events
    assert isinstance(failed, Failed) and failed.code == 416 and "registrar" in failed.reason


def test_cancelling_twice_sends_one_cancel() -> None:
    """A leg being cancelled is hung up again (the caller's CANCEL, then shutdown or the ring
    timeout): nothing more goes out, and no second CANCEL transaction is attempted."""
    h = Harness()
    invite = ring(h, timeout=5.0)
    h.receive(peer_answer(invite, 180), at=0.2)
    [cancel] = h.command(Hangup(leg="out-1", cause="cancelled"))
    assert isinstance(cancel, Request) and cancel.method == "CANCEL"
    assert h.command(Hangup(leg="out-1", cause="shutdown")) == []
    sent = h.run_until(6.0)  # the ring timeout passes while the CANCEL waits for its 487
    again = [bytes(m) for _, m in sent if isinstance(m, Request) and m.method == "CANCEL"]
    assert again and set(again) == {bytes(cancel)}  # Timer E retransmits the one CANCEL, nothing new
    assert [type(e) for e in h.events] == [Ringing, HungUp]
    h.receive(bytes(invite.make_response(487, to_tag="agent-tag")), at=6.1)
    assert "out-1" not in h.ua.legs and h.ua.get_timer() is None


def test_timer_heap_follows_legs_that_moved_on() -> None:
    """Ring timeouts and 2xx retransmissions come from one heap: a leg answered before its ring
    timeout leaves no timer behind, and the next deadline is the live one."""
    h = Harness()
    first = ring(h, timeout=5.0)
    [second] = h.command(Ring(leg="out-2", target=AGENT, timeout=9.0))
    assert isinstance(second, Request)
    assert h.ua.get_timer() == 5.0
    h.receive(peer_answer(first, 200), at=0.5)  # out-1 is up: its ring timeout no longer counts
    assert h.ua.get_timer() == 9.0
    sent = h.run_until(10.0)
    assert [m.method for _, m in sent if isinstance(m, Request) and m.method == "CANCEL"] == []
    failed = [e for e in h.events if isinstance(e, Failed)]
    assert [(e.leg, e.code) for e in failed] == [("out-2", 408)]
    assert h.ua.get_timer() is None
