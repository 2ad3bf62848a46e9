"""The transaction layer: matching messages to transactions, sans-I/O.

It sits between the transport shells (``transport.py``) and the TU (the user
agent core, ``ua.py``). The shell feeds it datagrams/stream messages with
``receive(data, source, now)`` and arms one timer at ``get_timer()``; the TU
sends through ``send_request``/``send_response``. Every call returns a list
of outputs (``Send`` for the shell, the rest for the TU).

What it does, by RFC section:

* §17.2.3 server matching by top-Via branch (magic cookie ``z9hG4bK``),
  sent-by and method (ACK matches INVITE); for RFC 2543 peers without the
  cookie, the older rule: Request-URI, From tag, Call-ID, CSeq number and
  top Via, and for an ACK the To tag of the response it acknowledges.
* §17.1.3 client matching by top-Via branch and CSeq method.
* §9.2 CANCEL: answered 200 and the INVITE answered 487 here, so every TU
  gets it right; the TU only hears ``Cancelled``. No matching INVITE: 481.
* ACK for a non-2xx stays inside its INVITE server transaction; ACK for a
  2xx and new requests go up to the TU (``Deliver``).
* RFC 3581 / §18.2.1: ``received`` and ``rport`` stamped on the top Via of
  each request, and responses sent per §18.2.2 (``response_address``).
* Malformed input is answered with the status ``SipParseError`` carries (none
  when it carries none, or for responses and ACKs), logged once per source.
* Per-source rate limit (``ratelimit.py``) on new requests, decided on the
  first bytes, before parsing, so a flood costs little CPU.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from dataclasses import dataclass
from typing import cast

from centralino.sip.errors import SipParseError
from centralino.sip.message import Request, Response, parse_message
from centralino.sip.ratelimit import RateLimiter, Verdict
from centralino.sip.timers import TimerConfig
from centralino.sip.transaction import (
    Address,
    Deliver,
    Kind,
    Output,
    Send,
    State,
    Terminated,
    Transaction,
    TransactionStateError,
    TxKey,
)
from centralino.sip.transaction_wire import (
    ack_for_non_2xx,
    error_response_for_raw,
    request_head_kind,
    response_address,
    stamp_via,
    to_tag_of,
)

__all__ = ["MAGIC_COOKIE", "Cancelled", "LayerOutput", "TransactionLayer"]

log = logging.getLogger(__name__)

MAGIC_COOKIE = "z9hG4bK"


@dataclass(frozen=True, slots=True)
class Cancelled:
    """A CANCEL matched the INVITE server transaction ``invite``; 200 and 487 are already sent."""

    invite: TxKey
    request: Request


LayerOutput = Output | Cancelled

_MAX_LOGGED_SOURCES = 10_000


class TransactionLayer:
    """All transactions of one endpoint, keyed by ``TxKey``, with one timer heap."""

    def __init__(
        self,
        *,
        timers: TimerConfig | None = None,
        rate_limiter: RateLimiter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.timers = timers or TimerConfig()
        self.rate_limiter = rate_limiter
        self.rng = rng or random.Random()
        self.transactions: dict[TxKey, Transaction] = {}
        self._heap: list[tuple[float, int, TxKey]] = []
        self._scheduled: dict[TxKey, float] = {}  # the deadline each transaction has in the heap
        self._seq = itertools.count()
        self._malformed_logged: set[str] = set()
        self.malformed = 0

    # ---- identifiers ---------------------------------------------------------------------------

    def new_branch(self) -> str:
        return f"{MAGIC_COOKIE}{self.rng.getrandbits(64):016x}"

    def new_tag(self) -> str:
        return f"{self.rng.getrandbits(48):012x}"

    # ---- from the network ----------------------------------------------------------------------

    def receive(self, data: bytes, source: Address, now: float) -> list[LayerOutput]:
        """One whole message (a datagram, or one framed from a stream) from ``source``."""
        kind = request_head_kind(data)
        if kind == "request" and self.rate_limiter is not None:
            verdict = self.rate_limiter.check(source.host, now)
            if verdict is Verdict.DROP:
                return []
            if verdict is Verdict.REJECT:
                return self._reject_overload(data, source)
        try:
            message = parse_message(data)
        except SipParseError as exc:
            return self._malformed(data, source, exc)
        return self.receive_message(message, source, now)

    def receive_message(
        self, message: Request | Response, source: Address, now: float
    ) -> list[LayerOutput]:
        if isinstance(message, Response):
            return self._receive_response(message, now)
        return self._receive_request(message, source, now)

    def _receive_response(self, response: Response, now: float) -> list[LayerOutput]:
        key = TxKey("client", response.top_via.branch or "", response.cseq.method)
        tx = self.transactions.get(key)
        if tx is None:
            log.debug("stray response %s for %s dropped", response.status, key)
            return []
        return self._track(tx, tx.receive(response, now))

    def _receive_request(self, request: Request, source: Address, now: float) -> list[LayerOutput]:
        stamp_via(request, source)
        method = request.method
        if method == "ACK":
            tx = self.transactions.get(self.server_key(request, "INVITE"))
            if tx is not None and self._ack_matches(tx, request):
                return self._track(tx, tx.receive(request, now))
            return [Deliver(request, source, None)]
        key = self.server_key(request)
        tx = self.transactions.get(key)
        if tx is not None:
            return self._track(tx, tx.receive(request, now))
        kind = Kind.INVITE_SERVER if method == "INVITE" else Kind.NON_INVITE_SERVER
        tx = Transaction(
            kind, key, request, response_address(request, source), timers=self.timers, source=source,
            trying_factory=_trying)
        self.transactions[key] = tx
        out = self._track(tx, tx.start(now))
        if method == "CANCEL":
            out = [o for o in out if not isinstance(o, Deliver)]
            out += self._cancel(tx, request, now)
        return out

    def _cancel(self, cancel_tx: Transaction, cancel: Request, now: float) -> list[LayerOutput]:
        invite = self.transactions.get(self.server_key(cancel, "INVITE"))
        if invite is None:
            return self._track(cancel_tx, cancel_tx.send_response(cancel.make_response(481), now))
        if invite.state is not State.PROCEEDING:
            # A final response already went out: the CANCEL has no effect (§9.2), but is answered.
            return self._track(cancel_tx, cancel_tx.send_response(self._answer(cancel, invite, 200), now))
        out = self._track(cancel_tx, cancel_tx.send_response(self._answer(cancel, invite, 200), now))
        out += self._track(invite, invite.send_response(self._answer(invite.request, invite, 487), now))
        out.append(Cancelled(invite.key, cancel))
        return out

    def _answer(self, request: Request, invite: Transaction, status: int) -> Response:
        """A response carrying the To tag the INVITE's provisional responses used, or a new one."""
        tag = to_tag_of(invite.last_response) if invite.last_response is not None else None
        return request.make_response(status, to_tag=tag or self.new_tag())

    def _ack_matches(self, tx: Transaction, ack: Request) -> bool:
        if tx.key.branch.startswith(MAGIC_COOKIE):
            return True
        sent = to_tag_of(tx.last_response) if tx.last_response is not None else None
        return sent is None or sent == to_tag_of(ack)

    @staticmethod
    def server_key(request: Request, method: str | None = None) -> TxKey:
        """§17.2.3: branch + sent-by + method, or the RFC 2543 fields without the magic cookie."""
        via = request.top_via
        sent_by = f"{via.host}:{via.port or ''}"
        branch = via.branch or ""
        if not via.has_rfc3261_branch:
            seq = request.cseq.seq
            branch = f"rfc2543:{request.call_id}:{request.from_.tag}:{seq}:{request.uri}:{branch}"
        return TxKey("server", branch, method or request.method, sent_by)

    # ---- from the TU ---------------------------------------------------------------------------

    def send_request(
        self, request: Request, destination: Address, now: float
    ) -> tuple[TxKey | None, list[LayerOutput]]:
        """Start a client transaction for ``request``; an ACK (for a 2xx) is sent without one."""
        if request.method == "ACK":
            return None, [Send(bytes(request), destination, request)]
        via = request.top_via
        if not via.has_rfc3261_branch:
            raise TransactionStateError(
                f"{request.method} request has no top Via with a z9hG4bK branch; "
                "build it with TransactionLayer.new_branch()")
        key = TxKey("client", via.branch or "", request.method)
        if key in self.transactions:
            raise TransactionStateError(f"a client transaction {key.branch} {key.method} already exists")
        kind = Kind.INVITE_CLIENT if request.method == "INVITE" else Kind.NON_INVITE_CLIENT
        tx = Transaction(kind, key, request, destination, timers=self.timers, ack_factory=ack_for_non_2xx)
        self.transactions[key] = tx
        return key, self._track(tx, tx.start(now))

    def send_response(
        self, response: Response, now: float, transaction: TxKey | None = None
    ) -> list[LayerOutput]:
        """Answer through the server transaction ``transaction`` (default: found from the Via).

        Raises ``TransactionStateError`` when the transaction is gone or its state
        forbids the response; the TU may then fall back to ``send_stateless``.
        """
        key = transaction
        if key is None:
            via = response.top_via
            key = TxKey("server", via.branch or "", response.cseq.method, f"{via.host}:{via.port or ''}")
        tx = self.transactions.get(key)
        if tx is None:
            raise TransactionStateError(f"no server transaction {key.branch} {key.method} to answer")
        return self._track(tx, tx.send_response(response, now))

    def send_stateless(self, message: Request | Response, destination: Address) -> list[LayerOutput]:
        return [Send(bytes(message), destination, message)]

    def transport_error(self, destination: Address, now: float) -> list[LayerOutput]:
        """The transport could not reach ``destination`` (e.g. a TCP connection failed)."""
        out: list[LayerOutput] = []
        for tx in [t for t in self.transactions.values() if t.destination == destination]:
            out += self._track(tx, tx.transport_error(now))
        return out

    # ---- the clock -----------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """The earliest deadline of any transaction."""
        heap = self._heap
        while heap:
            when, _, key = heap[0]
            tx = self.transactions.get(key)
            actual = tx.get_timer() if tx is not None else None
            if actual == when:
                return when
            heapq.heappop(heap)  # stale: the transaction ended or its deadline moved
            scheduled = self._scheduled.get(key)
            if scheduled == when:
                del self._scheduled[key]
                scheduled = None
            if actual is not None and actual > when and scheduled != actual:
                self._scheduled[key] = actual
                heapq.heappush(heap, (actual, next(self._seq), key))
        return None

    def handle_timer(self, now: float) -> list[LayerOutput]:
        out: list[LayerOutput] = []
        while (when := self.get_timer()) is not None and when <= now:
            _, _, key = heapq.heappop(self._heap)
            self._scheduled.pop(key, None)
            tx = self.transactions[key]
            out += self._track(tx, tx.handle_timer(now))
        return out

    # ---- internals -----------------------------------------------------------------------------

    def _track(self, tx: Transaction, outputs: list[Output]) -> list[LayerOutput]:
        """Forget terminated transactions and (re)schedule the live one's next timer."""
        for o in outputs:
            if isinstance(o, Terminated):
                self.transactions.pop(o.transaction, None)
        key = tx.key
        when = tx.get_timer() if key in self.transactions else None
        # One heap entry per deadline: the many events that leave it as it was push nothing.
        if when is None:
            self._scheduled.pop(key, None)
        elif self._scheduled.get(key) != when:
            self._scheduled[key] = when
            heapq.heappush(self._heap, (when, next(self._seq), key))
        # The transaction hands over a fresh list it never touches again, so widening it to the
        # layer's output type is safe; list is invariant and mypy cannot see the hand-over.
        return cast("list[LayerOutput]", outputs)

    def _malformed(self, data: bytes, source: Address, exc: SipParseError) -> list[LayerOutput]:
        self.malformed += 1
        who = f"{source.host}:{source.port}"
        if source.host not in self._malformed_logged:
            if len(self._malformed_logged) >= _MAX_LOGGED_SOURCES:
                self._malformed_logged.clear()
            self._malformed_logged.add(source.host)
            log.warning("malformed SIP message from %s over %s: %s (further ones from %s are not logged)",
                        who, source.transport, exc, source.host)
        if exc.status is None:
            return []
        reply = error_response_for_raw(data, exc.status, warning=exc.reason)
        return [] if reply is None else [Send(reply, source, None)]

    def _reject_overload(self, data: bytes, source: Address) -> list[LayerOutput]:
        assert self.rate_limiter is not None
        retry = self.rate_limiter.retry_after(source.host)
        reply = error_response_for_raw(data, 503, extra=[f"Retry-After: {retry}"])
        return [] if reply is None else [Send(reply, source, None)]


def _trying(request: Request) -> Response:
    return request.make_response(100)

