"""The user-agent core (UAS side): SIP requests in, call-control events out, sans-I/O.

It is the transaction user above ``TransactionLayer``: it receives the
layer's outputs (``on_output``), the engines' commands (``command``) and its
own timer (``handle_timer``), and returns more layer outputs. It speaks to the
rest of Centralino only in the neutral vocabulary of ``centralino.calls``
(``CallOffered``, ``Answered``, ``HungUp``) and never imports the engines.

What it does:

* OPTIONS (in or out of a dialog): 200 with Allow, Accept, Supported.
* RFC 3261 §8.2 checks through ``message.validate_request``: 501/405 (with
  Allow), 416, 420 (with Unsupported), 415 (with Accept); 481 for requests
  inside a dialog we do not know, 500 for an out-of-order CSeq (§12.2.2).
* INVITE: a new leg and ``CallOffered``; ``Answer`` sends 200 with the SDP
  answer (``sdp.answer``) and creates the dialog; the 2xx is retransmitted
  at T1, 2·T1, ... capped at T2 until the ACK comes (§13.3.1.4), and after
  64·T1 without ACK the call is ended with a BYE. ``Answered`` is emitted
  when the ACK arrives: only then is the call really up.
* CANCEL before the answer: the layer already sent 200 and 487; the leg ends
  with ``HungUp(cause="cancelled")``.
* BYE both ways: from the peer (200, ``HungUp(by="remote")``) and from our
  side on ``Hangup`` (``HungUp(by="local")``); ``Hangup``/``Reject`` before
  the answer send 480 / the given status.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from centralino.calls.commands import Answer, Command, Hangup, Reject, Ring
from centralino.calls.events import Answered, CallEvent, CallOffered, Failed, HungUp, Ringing
from centralino.core.clock import Clock, SystemClock
from centralino.core.ids import new_id
from centralino.sip import sdp
from centralino.sip.dialog import Dialog, DialogId, cancel_for, new_request
from centralino.sip.errors import SipParseError
from centralino.sip.message import Request, Response, validate_request
from centralino.sip.timers import TimerConfig
from centralino.sip.transaction import (
    Address,
    Deliver,
    Terminated,
    TimedOut,
    TransactionStateError,
    TransportFailed,
    TxKey,
)
from centralino.sip.transaction_layer import Cancelled, LayerOutput, TransactionLayer
from centralino.sip.uri import URI, NameAddr

__all__ = ["ALLOWED_METHODS", "Leg", "UaConfig", "UserAgent", "answer_sdp", "uri_address"]

log = logging.getLogger(__name__)

ALLOWED_METHODS = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS")
SUPPORTED: frozenset[str] = frozenset()
ACCEPT = "application/sdp"
# How many recent call-control events ``UserAgent.events`` keeps (a debugging aid, not a record).
RECENT_EVENTS = 1000


@dataclass(frozen=True, slots=True)
class UaConfig:
    user_agent: str = "Centralino"
    # Answer every INVITE at once (before the engines are wired, and for tests with SIPp).
    auto_answer: bool = False
    # The address put in the SDP answer; None: the endpoint's bound address.
    rtp_host: str | None = None
    # Media port for a leg; None: even ports from 20000 up (no socket is opened here).
    rtp_port: Callable[[str], int] | None = None
    # Our session description for a leg, from its id and the peer's offer (b"" when we make the
    # offer: outbound INVITEs); None from the hook means the built-in G.711 answer/offer. A switch
    # uses it to put its media relay's port in the SDP, a signalling-only B2BUA to pass SDP through.
    session: Callable[[str, bytes], bytes | None] | None = None


@dataclass
class Leg:
    """One inbound call: its INVITE, server transaction, dialog and 2xx retransmission state."""

    id: str
    invite: Request
    tx: TxKey
    reply_to: Address
    local_tag: str
    state: str = "offered"  # offered -> answered (2xx sent) -> confirmed (ACK) -> ended
    dialog: Dialog | None = None
    ok: Response | None = None
    interval: float = 0.0
    retransmit_at: float | None = None
    give_up_at: float | None = None
    bye_pending: bool = False  # hung up locally before the ACK: BYE goes when the ACK comes
    hung_up: bool = False  # HungUp (or Failed) already emitted
    # Outbound legs (UAC): our INVITE's client transaction, ringing and cancelling state.
    outbound: bool = False
    provisional: bool = False
    cancel_pending: bool = False  # §9.1: no CANCEL before a provisional response
    cancel_sent: bool = False  # a leg is cancelled once: a second Hangup must not CANCEL again
    ring_deadline: float | None = None
    ack: Request | None = None
    extra: dict[str, str] = field(default_factory=dict)
    remote_sdp: bytes = b""  # the peer's latest session description (offer or answer)


def uri_address(uri: URI, default_transport: str = "UDP") -> Address:
    """Where to send a request for ``uri`` (numeric hosts; no DNS SRV/NAPTR here)."""
    transport = (uri.params.get("transport") or default_transport).upper()
    host = uri.host[1:-1] if uri.host.startswith("[") else uri.host
    return Address(transport, host, uri.port or (5061 if uri.scheme == "sips" else 5060))


class UserAgent:
    """The UAS core; ``attach`` is called by the endpoint once the socket is bound."""

    def __init__(
        self,
        *,
        on_event: Callable[[CallEvent], None] | None = None,
        config: UaConfig | None = None,
        user_agent: str | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or UaConfig(user_agent=user_agent or "Centralino")
        self.on_event = on_event
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.layer: TransactionLayer | None = None
        self.local = Address("UDP", "127.0.0.1", 5060)
        self.timers = TimerConfig()
        self.legs: dict[str, Leg] = {}
        self.events: deque[CallEvent] = deque(maxlen=RECENT_EVENTS)  # the latest ones, for debugging
        self._by_dialog: dict[DialogId, Leg] = {}
        self._by_tx: dict[TxKey, Leg] = {}
        self._awaiting_ack: set[str] = set()
        self._ringing: set[str] = set()
        # (deadline, seq, leg id, "ring" | "ack"): entries whose leg moved on are skipped when met
        self._timers: list[tuple[float, int, str, str]] = []
        self._timer_seq = itertools.count()
        self._next_rtp = 20000
        self.allowed_methods: tuple[str, ...] = ALLOWED_METHODS  # a subclass may speak more
        self.content_types: frozenset[str] = frozenset({ACCEPT})  # bodies we accept (415 otherwise)

    def attach(self, layer: TransactionLayer, local: Address) -> None:
        self.layer = layer
        self.local = local
        self.timers = layer.timers

    @property
    def _layer(self) -> TransactionLayer:
        if self.layer is None:
            raise RuntimeError("UserAgent used before attach(layer, local)")
        return self.layer

    # ---- events out ----------------------------------------------------------------------------

    def _emit(self, event: CallEvent) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    # ---- layer outputs in ----------------------------------------------------------------------

    def on_output(self, output: LayerOutput, now: float) -> list[LayerOutput]:
        if isinstance(output, Deliver):
            msg = output.message
            if isinstance(msg, Response):
                leg = self._by_tx.get(output.transaction) if output.transaction else None
                if leg is None or not leg.outbound or msg.cseq.method != "INVITE":
                    return []  # responses to our BYEs and CANCELs: nothing more to do
                return self._on_invite_response(leg, msg, now)
            if msg.method == "ACK":
                return self._on_ack(msg, now)
            if output.transaction is None or output.source is None:
                return []
            return self._on_request(msg, output.source, output.transaction, now)
        if isinstance(output, Cancelled):
            leg = self._by_tx.get(output.invite)
            if leg is not None and leg.state == "offered":
                self._end(leg, by="remote", cause="cancelled")
            return []
        if isinstance(output, Terminated):
            self._by_tx.pop(output.transaction, None)
        elif isinstance(output, (TimedOut, TransportFailed)):
            log.info("SIP %s %s: %s", output.request.method, output.request.call_id, type(output).__name__)
            leg = self._by_tx.get(output.transaction)
            if leg is not None and leg.outbound and leg.state == "calling":
                timed_out = isinstance(output, TimedOut)
                self._fail(leg, 408 if timed_out else 503, "Request Timeout" if timed_out else "unreachable")
        return []

    def _respond(self, request: Request, key: TxKey, status: int, now: float, *,
                 to_tag: str | None = None, headers: tuple[tuple[str, str], ...] = (),
                 body: bytes = b"") -> list[LayerOutput]:
        response = request.make_response(status, to_tag=to_tag or self._layer.new_tag())
        for name, value in headers:
            response.headers.add(name, value)
        response.headers.add("Server", self.config.user_agent)
        if body:
            response.headers.add("Content-Type", "application/sdp")
            response.body = body
        return self._layer.send_response(response, now, key)

    def _capabilities(self) -> tuple[tuple[str, str], ...]:
        return (("Allow", ", ".join(self.allowed_methods)), ("Accept", ACCEPT),
                ("Supported", ", ".join(sorted(SUPPORTED))))

    def _on_request(self, req: Request, source: Address, key: TxKey, now: float) -> list[LayerOutput]:
        code = validate_request(req, supported=SUPPORTED, schemes=frozenset({"sip", "sips"}),
                                content_types=self.content_types,
                                allowed_methods=frozenset(self.allowed_methods))
        if code is not None:
            extra: tuple[tuple[str, str], ...] = ()
            if code in (405, 501):
                extra = (("Allow", ", ".join(self.allowed_methods)),)
            elif code == 420:
                extra = (("Unsupported", ", ".join(req.headers.get_all("Require"))),)
            elif code == 415:
                extra = (("Accept", ACCEPT),)
            return self._respond(req, key, code, now, headers=extra)
        if req.to.tag:
            return self._in_dialog(req, key, now)
        if req.method == "OPTIONS":
            return self._respond(req, key, 200, now, headers=self._capabilities())
        if req.method == "INVITE":
            return self._offer(req, source, key, now)
        return self._respond(req, key, 481, now)  # BYE outside any dialog

    def _in_dialog(self, req: Request, key: TxKey, now: float) -> list[LayerOutput]:
        leg = self._by_dialog.get(DialogId(req.call_id, req.to.tag or "", req.from_.tag or ""))
        if leg is None or leg.dialog is None:
            return self._respond(req, key, 481, now)
        if not leg.dialog.accepts(req):
            return self._respond(req, key, 500, now, headers=(("Retry-After", "1"),))
        if req.method == "OPTIONS":
            return self._respond(req, key, 200, now, headers=self._capabilities())
        if req.method == "BYE":
            out = self._respond(req, key, 200, now)
            self._end(leg, by="remote", cause="normal")
            return out
        if req.method == "INVITE":  # re-INVITE (session refresh, hold): same session, same answer
            ok = leg.ok
            body = ok.body if ok is not None else (leg.invite.body if leg.outbound else b"")
            if req.body.strip():
                leg.remote_sdp = req.body
                if self.config.session is not None:
                    body = self.config.session(leg.id, req.body) or body
            return self._send_2xx(leg, req, key, body, now)
        return self._respond(req, key, 405, now, headers=(("Allow", ", ".join(self.allowed_methods)),))

    def _offer(self, req: Request, source: Address, key: TxKey, now: float) -> list[LayerOutput]:
        if not req.contact:
            warning = '399 centralino "INVITE without Contact"'
            return self._respond(req, key, 400, now, headers=(("Warning", warning),))
        tx = self._layer.transactions.get(key)
        leg = Leg(id=new_id(self.clock.now(), self.rng), invite=req, tx=key,
                  reply_to=tx.destination if tx is not None else source, local_tag=self._layer.new_tag(),
                  remote_sdp=req.body)
        self.legs[leg.id] = leg
        self._by_tx[key] = leg
        caller, dialled = req.from_.uri, req.uri
        self._emit(CallOffered(
            at=self.clock.now(), leg=leg.id, caller=caller.user or str(caller),
            dialled=dialled.user or str(dialled),
            headers={"call-id": req.call_id, "from": str(req.from_.uri), "to": str(req.to.uri)}))
        if self.config.auto_answer and leg.state == "offered":
            return self._answer(leg, now)
        return []

    # ---- commands in ---------------------------------------------------------------------------

    def command(self, command: Command, now: float) -> list[LayerOutput]:
        """Apply an engine's command to its leg; unknown legs and media commands are ignored here."""
        if isinstance(command, Ring):
            return self._ring(command, now)
        leg = self.legs.get(command.leg)
        if leg is None or leg.state == "ended":
            return []
        if isinstance(command, Answer):
            return self._answer(leg, now) if leg.state == "offered" else []
        if isinstance(command, Reject):
            if leg.state != "offered":
                return []
            out = self._respond(leg.invite, leg.tx, command.code, now, to_tag=leg.local_tag)
            self._end(leg, by="local", cause=f"rejected {command.code}")
            return out
        if isinstance(command, Hangup):
            return self._hangup(leg, now, by="local", cause=command.cause)
        return []

    def _answer(self, leg: Leg, now: float) -> list[LayerOutput]:
        host = self.config.rtp_host or self.local.host
        port = self.config.rtp_port(leg.id) if self.config.rtp_port else self._allocate_rtp()
        try:
            hooked = self.config.session(leg.id, leg.invite.body) if self.config.session else None
            body = hooked or answer_sdp(leg.invite.body, host, port, session_id=self.rng.getrandbits(31))
        except SipParseError as exc:
            log.info("call %s: %s", leg.invite.call_id, exc)
            out = self._respond(leg.invite, leg.tx, 488, now, to_tag=leg.local_tag,
                                headers=(("Warning", f'304 centralino "{exc}"'),))
            self._end(leg, by="system", cause="no common media")
            return out
        return self._send_2xx(leg, leg.invite, leg.tx, body, now)

    def _send_2xx(self, leg: Leg, req: Request, key: TxKey, body: bytes, now: float) -> list[LayerOutput]:
        ok = req.make_response(200, to_tag=leg.local_tag)
        for record_route in req.headers.get_lines("Record-Route"):  # §12.1.1: copied into the 2xx
            ok.headers.add("Record-Route", record_route)
        ok.headers.add("Contact", self._contact(leg.reply_to.transport))
        for name, value in self._capabilities():
            ok.headers.add(name, value)
        ok.headers.add("Server", self.config.user_agent)
        if body:
            ok.headers.add("Content-Type", ACCEPT)
            ok.body = body
        if leg.dialog is None:
            leg.dialog = Dialog.as_uas(req, ok)
            self._by_dialog[leg.dialog.id] = leg
        leg.ok, leg.state = ok, "answered"
        leg.interval = self.timers.t1
        leg.retransmit_at = now + self.timers.t1
        leg.give_up_at = now + 64 * self.timers.t1
        self._awaiting_ack.add(leg.id)
        self._schedule(leg.retransmit_at, leg.id, "ack")
        return self._layer.send_response(ok, now, key)

    def _on_ack(self, ack: Request, now: float) -> list[LayerOutput]:
        leg = self._by_dialog.get(DialogId(ack.call_id, ack.to.tag or "", ack.from_.tag or ""))
        if leg is None or leg.ok is None or ack.cseq.seq != leg.ok.cseq.seq or leg.state != "answered":
            return []
        self._awaiting_ack.discard(leg.id)
        leg.retransmit_at = leg.give_up_at = None
        leg.state = "confirmed"
        if leg.bye_pending:
            return self._send_bye(leg, now)
        if leg.ok.cseq.seq == leg.invite.cseq.seq and not leg.outbound:
            self._emit(Answered(at=self.clock.now(), leg=leg.id))
        return []

    def _hangup(self, leg: Leg, now: float, *, by: str, cause: str) -> list[LayerOutput]:
        if leg.outbound and leg.state == "calling":
            self._announce_end(leg, by=by, cause=cause)
            return self._cancel(leg, now)
        if leg.state == "offered":
            out = self._respond(leg.invite, leg.tx, 480, now, to_tag=leg.local_tag)
            self._end(leg, by=by, cause=cause)
            return out
        self._announce_end(leg, by=by, cause=cause)
        if leg.state == "answered":
            # §15: the callee must not send BYE before the ACK (or the 2xx timing out).
            leg.bye_pending = True
            return []
        return self._send_bye(leg, now)

    def _send_bye(self, leg: Leg, now: float) -> list[LayerOutput]:
        dialog = leg.dialog
        self._forget(leg)
        if dialog is None:
            return []
        destination = uri_address(dialog.next_hop(), leg.reply_to.transport)
        bye = dialog.create_request("BYE", via=self._via(destination), user_agent=self.config.user_agent)
        _, out = self._layer.send_request(bye, destination, now)
        return out

    def _announce_end(self, leg: Leg, *, by: str, cause: str) -> None:
        if not leg.hung_up:
            leg.hung_up = True
            self._emit(HungUp(at=self.clock.now(), leg=leg.id, by=by, cause=cause))

    def _end(self, leg: Leg, *, by: str, cause: str) -> None:
        self._announce_end(leg, by=by, cause=cause)
        self._forget(leg)

    def _forget(self, leg: Leg) -> None:
        leg.state = "ended"
        leg.bye_pending = False
        self._awaiting_ack.discard(leg.id)
        self._ringing.discard(leg.id)
        self.legs.pop(leg.id, None)
        if leg.dialog is not None:
            self._by_dialog.pop(leg.dialog.id, None)

    # ---- outbound legs (UAC) -------------------------------------------------------------------

    def _ring(self, command: Ring, now: float) -> list[LayerOutput]:
        """INVITE ``command.target`` (a SIP URI) with our SDP offer; ``Failed`` if it cannot be tried."""
        try:
            target = URI.parse(command.target)
        except SipParseError:
            target = None
        if target is None or not target.is_sip:
            self._emit(Failed(at=self.clock.now(), leg=command.leg, code=416,
                              reason=f"not a SIP URI: {command.target!r} (extensions need the registrar)"))
            return []
        destination = uri_address(target)
        local_tag = self._layer.new_tag()
        host = self._host()
        user = command.caller_id or "centralino"
        from_ = NameAddr(None, URI("sip", user=user, host=host, port=self.local.port), {"tag": local_tag})
        offer = self.config.session(command.leg, b"") if self.config.session else None
        if offer is None:
            port = self.config.rtp_port(command.leg) if self.config.rtp_port else self._allocate_rtp()
            offer = bytes(sdp.make_offer(self.config.rtp_host or self.local.host, port,
                                         session_id=self.rng.getrandbits(31)))
        invite = new_request(
            "INVITE", target, via=self._via(destination), from_=from_,
            call_id=f"{self.rng.getrandbits(64):016x}@{host}", contact=self._contact(destination.transport),
            body=offer, content_type=ACCEPT, user_agent=self.config.user_agent)
        key, out = self._layer.send_request(invite, destination, now)
        assert key is not None
        leg = Leg(id=command.leg, invite=invite, tx=key, reply_to=destination, local_tag=local_tag,
                  state="calling", outbound=True, ring_deadline=now + command.timeout)
        self.legs[leg.id] = leg
        self._by_tx[key] = leg
        self._ringing.add(leg.id)
        self._schedule(leg.ring_deadline, leg.id, "ring")
        return out

    def _on_invite_response(self, leg: Leg, response: Response, now: float) -> list[LayerOutput]:
        status = response.status
        if status < 200:
            if status > 100 and not leg.provisional and not leg.hung_up:
                self._emit(Ringing(at=self.clock.now(), leg=leg.id))
            leg.provisional = True
            return self._cancel(leg, now) if leg.cancel_pending else []
        if status >= 300:
            if leg.state == "calling":
                self._fail(leg, status, response.reason)
            return []
        # 2xx (or its retransmission, passed up by the Accepted state): ACK it (§13.2.2.4).
        if leg.dialog is None:
            leg.dialog = Dialog.as_uac(leg.invite, response)
            self._by_dialog[leg.dialog.id] = leg
            leg.remote_sdp = response.body
        if leg.ack is None:
            leg.ack = leg.dialog.create_request("ACK", via=self._via(leg.reply_to), cseq=leg.invite.cseq.seq,
                                                user_agent=self.config.user_agent)
        hop = uri_address(leg.dialog.next_hop(), leg.reply_to.transport)
        _, out = self._layer.send_request(leg.ack, hop, now)
        if leg.state != "calling":
            return out
        self._ringing.discard(leg.id)
        leg.state = "confirmed"
        if leg.hung_up:  # hung up (or timed out) while the 2xx was on its way: end it now
            return out + self._send_bye(leg, now)
        self._emit(Answered(at=self.clock.now(), leg=leg.id))
        return out

    def _cancel(self, leg: Leg, now: float) -> list[LayerOutput]:
        """CANCEL our INVITE once (§9.1); asked again (a second Hangup, the ring timeout after a
        Hangup) it does nothing, as the first CANCEL's client transaction is still running."""
        if leg.cancel_sent:
            return []
        if not leg.provisional:
            leg.cancel_pending = True
            return []
        leg.cancel_pending = False
        leg.cancel_sent = True
        _, out = self._layer.send_request(cancel_for(leg.invite), leg.reply_to, now)
        return out

    def _fail(self, leg: Leg, code: int, reason: str, *, forget: bool = True) -> None:
        if not leg.hung_up:
            leg.hung_up = True
            self._emit(Failed(at=self.clock.now(), leg=leg.id, code=code, reason=reason))
        if forget:
            self._forget(leg)

    def _host(self) -> str:
        return f"[{self.local.host}]" if ":" in self.local.host else self.local.host

    def _via(self, destination: Address) -> str:
        branch = self._layer.new_branch()
        return f"SIP/2.0/{destination.transport} {self._host()}:{self.local.port};branch={branch};rport"

    def _contact(self, transport: str) -> str:
        param = "" if transport.upper() == "UDP" else f";transport={transport.lower()}"
        return f"<sip:centralino@{self._host()}:{self.local.port}{param}>"

    def _allocate_rtp(self) -> int:
        port = self._next_rtp
        self._next_rtp = 20000 if port >= 39998 else port + 2
        return port

    # ---- timers --------------------------------------------------------------------------------

    def _schedule(self, when: float | None, leg_id: str, kind: str) -> None:
        if when is not None:
            heapq.heappush(self._timers, (when, next(self._timer_seq), leg_id, kind))

    def _live(self, when: float, leg_id: str, kind: str) -> bool:
        """Whether a heap entry still stands: its leg waits for that very deadline."""
        leg = self.legs.get(leg_id)
        if leg is None:
            return False
        if kind == "ring":
            return leg.ring_deadline == when and leg_id in self._ringing
        return leg.retransmit_at == when and leg_id in self._awaiting_ack

    def get_timer(self) -> float | None:
        """The earliest ring timeout or 2xx retransmission; stale heap entries are dropped here."""
        timers = self._timers
        while timers:
            when, _, leg_id, kind = timers[0]
            if self._live(when, leg_id, kind):
                return when
            heapq.heappop(timers)
        return None

    def handle_timer(self, now: float) -> list[LayerOutput]:
        out: list[LayerOutput] = []
        timers = self._timers
        while (when := self.get_timer()) is not None and when <= now:
            _, _, leg_id, kind = heapq.heappop(timers)
            leg = self.legs[leg_id]
            if kind == "ring":
                out += self._ring_timeout(leg, now)
            else:
                out += self._retransmit_2xx(leg, now)
        return out

    def _ring_timeout(self, leg: Leg, now: float) -> list[LayerOutput]:
        self._ringing.discard(leg.id)
        leg.ring_deadline = None
        if leg.state != "calling":
            return []
        self._fail(leg, 408, "no answer", forget=False)
        return self._cancel(leg, now)

    def _retransmit_2xx(self, leg: Leg, now: float) -> list[LayerOutput]:
        if leg.ok is None:
            return []
        if leg.give_up_at is not None and now >= leg.give_up_at:
            # §13.3.1.4: no ACK after 64·T1: confirm and immediately end the call with a BYE.
            self._announce_end(leg, by="system", cause="no ACK")
            return self._send_bye(leg, now)
        try:
            out = self._layer.send_response(leg.ok, now, leg.tx)
        except TransactionStateError:
            out = self._layer.send_stateless(leg.ok, leg.reply_to)
        leg.interval = min(2 * leg.interval, self.timers.t2)
        leg.retransmit_at = min(now + leg.interval, leg.give_up_at or now + leg.interval)
        self._schedule(leg.retransmit_at, leg.id, "ack")
        return out


def answer_sdp(offer: bytes, host: str, port: int, *, session_id: int = 0) -> bytes:
    """The SDP for our 200: the RFC 3264 answer to ``offer``, or our offer when the INVITE had none.

    Raises ``SipParseError`` (``SdpNegotiationError`` for no common codec): answer 488.
    """
    if not offer.strip():
        return bytes(sdp.make_offer(host, port, session_id=session_id))
    return bytes(sdp.answer(sdp.SessionDescription.parse(offer), host, port, session_id=session_id))
