"""``SwitchAgent``: the user agent a switch needs, on top of ``sip.ua.UserAgent``, sans-I/O.

The base UA sets calls up and tears them down. A switch also changes calls
while they last, so this subclass adds the in-dialog requests for that:

* **Hold and resume** (RFC 3264 §8.4, RFC 6337 §5.3): a re-INVITE carrying our
  last session description with the direction changed (``sendonly`` to hold,
  ``sendrecv`` to resume) and the origin's version incremented; the 2xx is
  ACKed (§13.2.2.4, again for each retransmission) and gives ``Held`` or
  ``Resumed``. A failure (491 glare, 488) is logged and changes nothing.
* **Blind transfer by REFER** (RFC 3515): ``refer(leg, target)`` sends REFER
  with Refer-To; the peer reports progress in NOTIFYs with a ``message/sipfrag``
  body (RFC 3515 §2.4.5), and a 2xx final status there ends our leg with a BYE,
  as the transferor does in RFC 5589 §6.1.
* **INFO** with ``application/dtmf-relay`` or ``application/dtmf`` (what phones
  send when RFC 4733 is off): 200 and ``DigitsReceived``.
* **REGISTER**, when a ``Registrar`` is given: handed to it (RFC 3261 §10.3),
  its binding changes flushed to its store.
* **UPDATE** (RFC 3311) and re-INVITEs from the peer: answered with our session
  description through ``UaConfig.session`` (the base UA does the re-INVITE).
* **Admission** of new INVITEs, when ``admit`` is set: it returns the response that refuses
  or challenges the INVITE (407, 403), or None to let the call be offered.
* **BYE answered after the records** (``confirm_bye``): the peer's BYE ends the leg at once
  (``HungUp``) but its 200 waits for ``ConfirmBye(leg)``, which a shell sends once the call's
  end is durable; a caller that got its 200 is then sure the call is recorded. Retransmitted
  BYEs meanwhile are absorbed by the server transaction (RFC 3261 §17.2.2, state Trying).

No I/O and no clock reads beyond the injected clock: the endpoint drives it
exactly like the base UA.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from centralino.calls.commands import Command, Hold, Resume, Transfer
from centralino.calls.events import CallEvent, DigitsReceived, Held, Resumed
from centralino.core.clock import Clock
from centralino.sip import sdp
from centralino.sip.dialog import DialogId
from centralino.sip.errors import SipParseError
from centralino.sip.message import Request, Response
from centralino.sip.registrar import Registrar
from centralino.sip.transaction import Address, Deliver, Terminated, TimedOut, TransportFailed, TxKey
from centralino.sip.transaction_layer import LayerOutput
from centralino.sip.ua import ALLOWED_METHODS, Leg, UaConfig, UserAgent, uri_address

__all__ = ["Admit", "ConfirmBye", "Probe", "Progress", "SwitchAgent", "with_direction"]

log = logging.getLogger(__name__)

_SIGNAL = re.compile(r"^\s*signal\s*=\s*([0-9A-Da-d*#])", re.IGNORECASE | re.MULTILINE)
_SIPFRAG = re.compile(rb"^SIP/2\.0\s+(\d{3})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress(Command):
    """Send a provisional response (180 Ringing) on an inbound leg not yet answered.

    Not part of the engines' vocabulary: a B2BUA uses it to pass the callee's
    ringing back to the caller.
    """

    code: int = 180
    kind: ClassVar[str] = "progress"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmBye(Command):
    """Send the 200 to the peer's BYE on ``leg`` (kept back while ``SwitchAgent.confirm_bye``)."""

    kind: ClassVar[str] = "confirm-bye"


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe(Command):
    """Send an out-of-dialog request (a keep-alive OPTIONS) as built by ``build(branch, tag, local)``
    to ``destination``; ``done(True)`` on any final response, ``done(False)`` on timeout or
    transport failure. ``leg`` is unused ("")."""

    build: Callable[[str, str, Address], Request]
    destination: Address
    done: Callable[[bool], None]
    kind: ClassVar[str] = "probe"


# (INVITE, source address, now) -> the refusal or challenge to send, or None to offer the call.
Admit = Callable[[Request, Address, float], Response | None]


def with_direction(body: bytes, direction: str, version: int) -> bytes:
    """``body`` (an SDP) with every audio stream's direction set and the origin version ``version``."""
    description = sdp.SessionDescription.parse(body)
    description.origin.session_version = version
    for media in description.media:
        media.attributes = [(n, v) for n, v in media.attributes
                            if n not in ("sendrecv", "sendonly", "recvonly", "inactive")]
        media.attributes.append((direction, None))
    return bytes(description)


class SwitchAgent(UserAgent):
    """``UserAgent`` plus hold/resume re-INVITEs, REFER, INFO digits and UPDATE."""

    def __init__(
        self,
        *,
        on_event: Callable[[CallEvent], None] | None = None,
        config: UaConfig | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        registrar: Registrar | None = None,
    ) -> None:
        super().__init__(on_event=on_event, config=config, clock=clock, rng=rng)
        self.registrar = registrar
        self.allowed_methods = (*ALLOWED_METHODS, "INFO", "NOTIFY", "UPDATE")
        self.content_types = self.content_types | {"application/dtmf-relay", "application/dtmf",
                                                   "message/sipfrag"}
        if registrar is not None:
            self.allowed_methods += ("REGISTER",)
        self._pending: dict[TxKey, tuple[str, str, Request]] = {}  # tx -> (leg, purpose, request)
        self._acks: dict[TxKey, Request] = {}
        self._local_sdp: dict[str, bytes] = {}
        self._versions: dict[str, int] = {}
        self._referred: set[str] = set()
        self.admit: Admit | None = None
        self.confirm_bye = False
        self._byes: dict[str, tuple[Request, TxKey]] = {}  # leg -> the BYE whose 200 waits
        self._probes: dict[TxKey, Callable[[bool], None]] = {}

    # ---- commands ------------------------------------------------------------------------------

    def command(self, command: Command, now: float) -> list[LayerOutput]:
        if isinstance(command, (Hold, Resume)):
            leg = self.legs.get(command.leg)
            if leg is None or leg.dialog is None or leg.state != "confirmed":
                log.info("hold/resume of leg %s ignored: not an established call", command.leg)
                return []
            purpose = "hold" if isinstance(command, Hold) else "resume"
            return self._reinvite(leg, "sendonly" if purpose == "hold" else "sendrecv", purpose, now)
        if isinstance(command, Progress):
            leg = self.legs.get(command.leg)
            if leg is None or leg.outbound or leg.state != "offered":
                return []
            response = leg.invite.make_response(command.code, to_tag=leg.local_tag)
            response.headers.add("Contact", self._contact(leg.reply_to.transport))
            return self._layer.send_response(response, now, leg.tx)
        if isinstance(command, Probe):
            request = command.build(self._layer.new_branch(), self._layer.new_tag(), self.local)
            key, out = self._layer.send_request(request, command.destination, now)
            if key is not None:
                self._probes[key] = command.done
            return out
        if isinstance(command, ConfirmBye):
            pending = self._byes.pop(command.leg, None)
            return self._respond(pending[0], pending[1], 200, now) if pending is not None else []
        if isinstance(command, Transfer) and command.attended_with is None:
            return self.refer(command.leg, command.target, now)  # the switch resolved the target
        return super().command(command, now)

    def _forget(self, leg: Leg) -> None:
        """The base forgets the leg; its hold/transfer state goes with it (else it piles up per call)."""
        super()._forget(leg)
        self._local_sdp.pop(leg.id, None)
        self._versions.pop(leg.id, None)
        self._referred.discard(leg.id)

    def local_sdp(self, leg: Leg) -> bytes:
        """The session description we last gave this leg's peer."""
        if leg.id in self._local_sdp:
            return self._local_sdp[leg.id]
        if not leg.outbound and leg.ok is not None:
            return leg.ok.body
        return leg.invite.body

    def _reinvite(self, leg: Leg, direction: str, purpose: str, now: float) -> list[LayerOutput]:
        assert leg.dialog is not None
        current = self.local_sdp(leg)
        try:
            seen = sdp.SessionDescription.parse(current).origin.session_version
            version = max(self._versions.get(leg.id, 0), seen)
            body = with_direction(current, direction, version + 1)
        except SipParseError as exc:
            log.warning("leg %s: cannot re-offer our SDP (%s)", leg.id, exc)
            return []
        self._versions[leg.id] = version + 1
        self._local_sdp[leg.id] = body
        destination = uri_address(leg.dialog.next_hop(), leg.reply_to.transport)
        invite = leg.dialog.create_request(
            "INVITE", via=self._via(destination), contact=self._contact(destination.transport), body=body,
            content_type="application/sdp", user_agent=self.config.user_agent)
        key, out = self._layer.send_request(invite, destination, now)
        if key is not None:
            self._pending[key] = (leg.id, purpose, invite)
        return out

    def refer(self, leg_id: str, target: str, now: float) -> list[LayerOutput]:
        """Blind transfer: ask the peer of ``leg_id`` to call ``target`` itself (RFC 3515)."""
        leg = self.legs.get(leg_id)
        if leg is None or leg.dialog is None or leg.state != "confirmed":
            return []
        destination = uri_address(leg.dialog.next_hop(), leg.reply_to.transport)
        refer = leg.dialog.create_request(
            "REFER", via=self._via(destination), contact=self._contact(destination.transport),
            user_agent=self.config.user_agent)
        refer.headers.add("Refer-To", f"<{target}>")
        refer.headers.add("Referred-By", str(leg.dialog.local.uri).join("<>"))
        key, out = self._layer.send_request(refer, destination, now)
        if key is not None:
            self._pending[key] = (leg.id, "refer", refer)
            self._referred.add(leg.id)
        return out

    # ---- layer outputs -------------------------------------------------------------------------

    def on_output(self, output: LayerOutput, now: float) -> list[LayerOutput]:
        if self._probes and self._probe_outcome(output):
            return []
        if (isinstance(output, Deliver) and isinstance(output.message, Request) and self.registrar is not None
                and output.message.method == "REGISTER" and output.source and output.transaction):
            # Registrations are the registrar's (epoch times: bindings outlive restarts).
            response = self.registrar.handle_register(output.message, output.source, self.clock.now())
            self.registrar.flush()
            response.headers.add("Server", self.config.user_agent)
            return self._layer.send_response(response, now, output.transaction)
        if isinstance(output, Deliver) and isinstance(output.message, Response) and output.transaction:
            pending = self._pending.get(output.transaction)
            if pending is not None:
                return self._on_pending_response(output.transaction, pending, output.message, now)
        elif isinstance(output, Terminated):
            self._pending.pop(output.transaction, None)
            self._acks.pop(output.transaction, None)
        elif isinstance(output, (TimedOut, TransportFailed)) and output.transaction in self._pending:
            leg_id, purpose, _ = self._pending.pop(output.transaction)
            log.info("leg %s: %s got no answer (%s)", leg_id, purpose, type(output).__name__)
            return []
        return super().on_output(output, now)

    def _probe_outcome(self, output: LayerOutput) -> bool:
        """A probe's answer (any final status: the phone is there) or failure; True if it was one."""
        if isinstance(output, Deliver) and isinstance(output.message, Response) and output.transaction:
            if output.transaction not in self._probes:
                return False
            if output.message.status >= 200:
                self._probes.pop(output.transaction)(True)
            return True
        if isinstance(output, (TimedOut, TransportFailed)) and output.transaction in self._probes:
            self._probes.pop(output.transaction)(False)
            return True
        return False

    def _on_pending_response(self, key: TxKey, pending: tuple[str, str, Request], response: Response,
                             now: float) -> list[LayerOutput]:
        leg_id, purpose, request = pending
        leg = self.legs.get(leg_id)
        if response.status < 200:
            return []
        if purpose == "refer":
            if response.status >= 300:
                self._referred.discard(leg_id)
                log.info("leg %s: REFER refused with %s %s", leg_id, response.status, response.reason)
            return []
        if response.status >= 300:
            log.info("leg %s: %s re-INVITE refused with %s", leg_id, purpose, response.status)
            return []
        if leg is None or leg.dialog is None:
            return []
        out: list[LayerOutput] = []
        ack = self._acks.get(key)
        first = ack is None
        if ack is None:
            ack = self._acks[key] = leg.dialog.create_request(
                "ACK", via=self._via(leg.reply_to), cseq=request.cseq.seq, user_agent=self.config.user_agent)
        hop = uri_address(leg.dialog.next_hop(), leg.reply_to.transport)
        _, sent = self._layer.send_request(ack, hop, now)
        out += sent
        if first:
            if response.body.strip():
                leg.remote_sdp = response.body  # the switch re-reads it on Held/Resumed
            event = Held if purpose == "hold" else Resumed
            self._emit(event(at=self.clock.now(), leg=leg.id))
        return out

    # ---- requests inside a dialog --------------------------------------------------------------

    def bye_waiting(self, leg_id: str) -> bool:
        """Whether the peer's BYE on ``leg_id`` still waits for ``ConfirmBye``."""
        return leg_id in self._byes

    def _offer(self, req: Request, source: Address, key: TxKey, now: float) -> list[LayerOutput]:
        if self.admit is not None:
            refusal = self.admit(req, source, self.clock.now())
            if refusal is not None:
                refusal.headers.add("Server", self.config.user_agent)
                return self._layer.send_response(refusal, now, key)
        return super()._offer(req, source, key, now)

    def _in_dialog(self, req: Request, key: TxKey, now: float) -> list[LayerOutput]:
        if req.method == "BYE" and self.confirm_bye:
            leg = self._by_dialog.get(DialogId(req.call_id, req.to.tag or "", req.from_.tag or ""))
            if leg is not None and leg.dialog is not None and leg.dialog.accepts(req):
                self._byes[leg.id] = (req, key)
                self._end(leg, by="remote", cause="normal")
                return []
        if req.method not in ("INFO", "NOTIFY", "UPDATE"):
            return super()._in_dialog(req, key, now)
        leg = self._by_dialog.get(DialogId(req.call_id, req.to.tag or "", req.from_.tag or ""))
        if leg is None or leg.dialog is None or not leg.dialog.accepts(req):
            return self._respond(req, key, 481, now)
        if req.method == "INFO":
            return self._on_info(leg, req, key, now)
        if req.method == "NOTIFY":
            return self._on_notify(leg, req, key, now)
        body = b""
        if req.body.strip():  # UPDATE with an offer: answer it like a re-INVITE
            leg.remote_sdp = req.body
            hooked = self.config.session(leg.id, req.body) if self.config.session else None
            body = hooked or self.local_sdp(leg)
        return self._respond(req, key, 200, now, body=body)

    def _on_info(self, leg: Leg, req: Request, key: TxKey, now: float) -> list[LayerOutput]:
        kind = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        text = req.body.decode("utf-8", "replace")
        digit: str | None = None
        if kind == "application/dtmf-relay":
            match = _SIGNAL.search(text)
            digit = match.group(1).upper() if match else None
        elif kind == "application/dtmf" and text.strip():
            digit = text.strip()[:1].upper()
        out = self._respond(req, key, 200, now)
        if digit is not None:
            self._emit(DigitsReceived(at=self.clock.now(), leg=leg.id, digits=digit))
        return out

    def _on_notify(self, leg: Leg, req: Request, key: TxKey, now: float) -> list[LayerOutput]:
        out = self._respond(req, key, 200, now)
        event = (req.headers.get("Event") or "").split(";")[0].strip().lower()
        match = _SIPFRAG.match(req.body.strip())
        if event == "refer" and match and leg.id in self._referred:
            status = int(match.group(1))
            if 200 <= status < 300:  # the transfer target answered: we leave the call (RFC 5589 §6.1)
                self._referred.discard(leg.id)
                out += self._hangup(leg, now, by="local", cause="transferred")
            elif status >= 300:
                self._referred.discard(leg.id)
                log.info("leg %s: transfer target answered %s; the call stays with us", leg.id, status)
        return out
