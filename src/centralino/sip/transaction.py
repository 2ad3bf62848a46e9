"""RFC 3261 §17 transactions as transition tables, sans-I/O.

Each of the four transaction kinds (INVITE client, non-INVITE client, INVITE
server, non-INVITE server) is one table ``(state, event) -> (new state,
actions)``, transcribed from the RFC's Figures 5-8 with RFC 6026's *Accepted*
state for 2xx on both INVITE sides. ``Transaction`` is a small interpreter of
its table: the network calls ``receive(msg, now)``, the TU ``send_response``,
the shell ``handle_timer(now)`` when ``get_timer()`` says, and every call
returns the outputs (``Send``, ``Deliver``, ``TimedOut``, ``TransportFailed``,
``Terminated``) for the caller to perform. No I/O, no clock, no asyncio.

Pairs missing from a table follow one rule: network, timer and transport
events are ignored (a stale timer, a late or stray retransmission); TU events
raise ``TransactionStateError`` because the TU asked for something the RFC
forbids in that state, which is a bug in the caller.

Written by hand: no maintained Python library offers a sans-I/O RFC 3261
transaction layer (the asyncio SIP stacks bind transactions to their sockets).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from centralino.core.errors import CentralinoError
from centralino.sip.message import Request, Response
from centralino.sip.timers import TimerConfig

__all__ = [
    "Address", "Backoff", "Deliver", "Do", "Event", "INITIAL", "Kind", "Output", "Send", "Start",
    "State", "Stop", "TABLES", "TU_EVENTS", "Terminated", "TimedOut", "Transaction",
    "TransactionStateError", "TransportFailed", "TxKey", "all_tables_markdown", "event_for_response",
    "table_markdown",
]

log = logging.getLogger(__name__)


class Address(NamedTuple):
    """Where a message comes from or goes to; ``transport`` is "UDP" or "TCP"."""

    transport: str
    host: str
    port: int

    @property
    def reliable(self) -> bool:
        return self.transport.upper() != "UDP"


class TxKey(NamedTuple):
    """A transaction's identity: RFC 3261 §17.1.3 (client) and §17.2.3 (server) matching keys.

    ``sent_by`` is empty for client transactions; ``branch`` may be a synthetic
    RFC 2543 key for old peers without the magic cookie (see the layer).
    """

    role: str  # "client" or "server"
    branch: str
    method: str
    sent_by: str = ""


class Kind(Enum):
    INVITE_CLIENT = "INVITE client"
    NON_INVITE_CLIENT = "non-INVITE client"
    INVITE_SERVER = "INVITE server"
    NON_INVITE_SERVER = "non-INVITE server"


class State(Enum):
    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"


class Event(Enum):
    # From the network.
    RECV_1XX = "1xx received"
    RECV_2XX = "2xx received"
    RECV_300_699 = "300-699 received"
    RECV_REQUEST = "request retransmission"
    RECV_ACK = "ACK received"
    # From the TU (server side).
    SEND_1XX = "TU sends 1xx"
    SEND_2XX = "TU sends 2xx"
    SEND_300_699 = "TU sends 300-699"
    # From the clock.
    TIMER_A = "Timer A"
    TIMER_B = "Timer B"
    TIMER_D = "Timer D"
    TIMER_E = "Timer E"
    TIMER_F = "Timer F"
    TIMER_G = "Timer G"
    TIMER_H = "Timer H"
    TIMER_I = "Timer I"
    TIMER_J = "Timer J"
    TIMER_K = "Timer K"
    TIMER_L = "Timer L"
    TIMER_M = "Timer M"
    TIMER_TRYING = "Timer Trying"
    # From the transport.
    TRANSPORT_ERROR = "transport error"


TU_EVENTS = frozenset({Event.SEND_1XX, Event.SEND_2XX, Event.SEND_300_699})


class Do(Enum):
    """Actions without arguments, named as the RFC's figures name them."""

    SEND_REQUEST = "send request"
    SEND_ACK = "send ACK"
    SEND_RESPONSE = "send response"
    RESEND_RESPONSE = "resend last response"
    SEND_TRYING = "send 100 Trying"
    PASS_TO_TU = "pass to TU"
    TIMEOUT_TO_TU = "timeout to TU"
    TRANSPORT_ERROR_TO_TU = "transport error to TU"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Start:
    """Start a timer at its initial value (or at T2: Timer E in Proceeding, §17.1.2.2)."""

    timer: str
    at_t2: bool = False

    def __str__(self) -> str:
        return f"start {self.timer}" + ("=T2" if self.at_t2 else "")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Restart a retransmission timer with its next, longer interval."""

    timer: str

    def __str__(self) -> str:
        return f"back off {self.timer}"


@dataclass(frozen=True, slots=True)
class Stop:
    timer: str

    def __str__(self) -> str:
        return f"stop {self.timer}"


Action = Do | Start | Backoff | Stop
# The layer supplies how to build the 100 Trying and the ACK for a non-2xx (§17.1.1.3).
TryingFactory = Callable[[Request], Response]
AckFactory = Callable[[Request, Response], Request]
Table = Mapping[tuple[State, Event], tuple[State, tuple[Action, ...]]]

S, E = State, Event

_ICT: Table = {
    (S.CALLING, E.TIMER_A): (S.CALLING, (Do.SEND_REQUEST, Backoff("A"))),
    (S.CALLING, E.TIMER_B): (S.TERMINATED, (Do.TIMEOUT_TO_TU,)),
    (S.CALLING, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.CALLING, E.RECV_1XX): (S.PROCEEDING, (Stop("A"), Stop("B"), Do.PASS_TO_TU)),
    (S.CALLING, E.RECV_2XX): (S.ACCEPTED, (Stop("A"), Stop("B"), Do.PASS_TO_TU, Start("M"))),
    (S.CALLING, E.RECV_300_699): (
        S.COMPLETED, (Stop("A"), Stop("B"), Do.PASS_TO_TU, Do.SEND_ACK, Start("D"))),
    (S.PROCEEDING, E.RECV_1XX): (S.PROCEEDING, (Do.PASS_TO_TU,)),
    (S.PROCEEDING, E.RECV_2XX): (S.ACCEPTED, (Do.PASS_TO_TU, Start("M"))),
    (S.PROCEEDING, E.RECV_300_699): (S.COMPLETED, (Do.PASS_TO_TU, Do.SEND_ACK, Start("D"))),
    (S.COMPLETED, E.RECV_300_699): (S.COMPLETED, (Do.SEND_ACK,)),
    (S.COMPLETED, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.COMPLETED, E.TIMER_D): (S.TERMINATED, ()),
    (S.ACCEPTED, E.RECV_2XX): (S.ACCEPTED, (Do.PASS_TO_TU,)),
    (S.ACCEPTED, E.TIMER_M): (S.TERMINATED, ()),
}

_NICT_FINAL = (Stop("E"), Stop("F"), Do.PASS_TO_TU, Start("K"))
_NICT: Table = {
    (S.TRYING, E.TIMER_E): (S.TRYING, (Do.SEND_REQUEST, Backoff("E"))),
    (S.TRYING, E.TIMER_F): (S.TERMINATED, (Do.TIMEOUT_TO_TU,)),
    (S.TRYING, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.TRYING, E.RECV_1XX): (S.PROCEEDING, (Do.PASS_TO_TU,)),
    (S.TRYING, E.RECV_2XX): (S.COMPLETED, _NICT_FINAL),
    (S.TRYING, E.RECV_300_699): (S.COMPLETED, _NICT_FINAL),
    (S.PROCEEDING, E.TIMER_E): (S.PROCEEDING, (Do.SEND_REQUEST, Start("E", at_t2=True))),
    (S.PROCEEDING, E.TIMER_F): (S.TERMINATED, (Do.TIMEOUT_TO_TU,)),
    (S.PROCEEDING, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.PROCEEDING, E.RECV_1XX): (S.PROCEEDING, (Do.PASS_TO_TU,)),
    (S.PROCEEDING, E.RECV_2XX): (S.COMPLETED, _NICT_FINAL),
    (S.PROCEEDING, E.RECV_300_699): (S.COMPLETED, _NICT_FINAL),
    (S.COMPLETED, E.RECV_2XX): (S.COMPLETED, ()),
    (S.COMPLETED, E.RECV_300_699): (S.COMPLETED, ()),
    (S.COMPLETED, E.TIMER_K): (S.TERMINATED, ()),
}

_IST: Table = {
    (S.PROCEEDING, E.TIMER_TRYING): (S.PROCEEDING, (Do.SEND_TRYING,)),
    (S.PROCEEDING, E.RECV_REQUEST): (S.PROCEEDING, (Do.RESEND_RESPONSE,)),
    (S.PROCEEDING, E.SEND_1XX): (S.PROCEEDING, (Stop("Trying"), Do.SEND_RESPONSE)),
    (S.PROCEEDING, E.SEND_2XX): (S.ACCEPTED, (Stop("Trying"), Do.SEND_RESPONSE, Start("L"))),
    (S.PROCEEDING, E.SEND_300_699): (
        S.COMPLETED, (Stop("Trying"), Do.SEND_RESPONSE, Start("G"), Start("H"))),
    (S.PROCEEDING, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.COMPLETED, E.RECV_REQUEST): (S.COMPLETED, (Do.RESEND_RESPONSE,)),
    (S.COMPLETED, E.TIMER_G): (S.COMPLETED, (Do.RESEND_RESPONSE, Backoff("G"))),
    (S.COMPLETED, E.TIMER_H): (S.TERMINATED, (Do.TIMEOUT_TO_TU,)),
    (S.COMPLETED, E.RECV_ACK): (S.CONFIRMED, (Stop("G"), Stop("H"), Start("I"))),
    (S.COMPLETED, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.CONFIRMED, E.RECV_ACK): (S.CONFIRMED, ()),
    (S.CONFIRMED, E.RECV_REQUEST): (S.CONFIRMED, ()),
    (S.CONFIRMED, E.TIMER_I): (S.TERMINATED, ()),
    (S.ACCEPTED, E.RECV_REQUEST): (S.ACCEPTED, ()),
    (S.ACCEPTED, E.RECV_ACK): (S.ACCEPTED, (Do.PASS_TO_TU,)),
    (S.ACCEPTED, E.SEND_2XX): (S.ACCEPTED, (Do.SEND_RESPONSE,)),
    (S.ACCEPTED, E.TRANSPORT_ERROR): (S.ACCEPTED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.ACCEPTED, E.TIMER_L): (S.TERMINATED, ()),
}

_NIST: Table = {
    (S.TRYING, E.RECV_REQUEST): (S.TRYING, ()),
    (S.TRYING, E.SEND_1XX): (S.PROCEEDING, (Do.SEND_RESPONSE,)),
    (S.TRYING, E.SEND_2XX): (S.COMPLETED, (Do.SEND_RESPONSE, Start("J"))),
    (S.TRYING, E.SEND_300_699): (S.COMPLETED, (Do.SEND_RESPONSE, Start("J"))),
    (S.PROCEEDING, E.RECV_REQUEST): (S.PROCEEDING, (Do.RESEND_RESPONSE,)),
    (S.PROCEEDING, E.SEND_1XX): (S.PROCEEDING, (Do.SEND_RESPONSE,)),
    (S.PROCEEDING, E.SEND_2XX): (S.COMPLETED, (Do.SEND_RESPONSE, Start("J"))),
    (S.PROCEEDING, E.SEND_300_699): (S.COMPLETED, (Do.SEND_RESPONSE, Start("J"))),
    (S.PROCEEDING, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.COMPLETED, E.RECV_REQUEST): (S.COMPLETED, (Do.RESEND_RESPONSE,)),
    # §17.2.2: further final responses from the TU are discarded in Completed.
    (S.COMPLETED, E.SEND_2XX): (S.COMPLETED, ()),
    (S.COMPLETED, E.SEND_300_699): (S.COMPLETED, ()),
    (S.COMPLETED, E.TRANSPORT_ERROR): (S.TERMINATED, (Do.TRANSPORT_ERROR_TO_TU,)),
    (S.COMPLETED, E.TIMER_J): (S.TERMINATED, ()),
}

TABLES: dict[Kind, Table] = {
    Kind.INVITE_CLIENT: _ICT,
    Kind.NON_INVITE_CLIENT: _NICT,
    Kind.INVITE_SERVER: _IST,
    Kind.NON_INVITE_SERVER: _NIST,
}

# What a new transaction does before any event: its first state and actions.
INITIAL: dict[Kind, tuple[State, tuple[Action, ...]]] = {
    Kind.INVITE_CLIENT: (S.CALLING, (Do.SEND_REQUEST, Start("A"), Start("B"))),
    Kind.NON_INVITE_CLIENT: (S.TRYING, (Do.SEND_REQUEST, Start("E"), Start("F"))),
    Kind.INVITE_SERVER: (S.PROCEEDING, (Do.PASS_TO_TU, Start("Trying"))),
    Kind.NON_INVITE_SERVER: (S.TRYING, (Do.PASS_TO_TU,)),
}

del S, E


def table_markdown(kind: Kind) -> str:
    """The table of ``kind`` as a markdown table, for docs/sip-stack.md."""
    first, acts = INITIAL[kind]
    rows = ["| state | event | new state | actions |", "| --- | --- | --- | --- |"]
    rows.append(f"| (new) | created | {first.value} | {', '.join(map(str, acts))} |")
    for (state, event), (new, actions) in TABLES[kind].items():
        done = ", ".join(map(str, actions)) or "—"
        rows.append(f"| {state.value} | {event.value} | {new.value} | {done} |")
    return "\n".join(rows)


def all_tables_markdown() -> str:
    """Every table under a heading; ``python -m centralino.sip.transaction`` prints it for the docs."""
    return "\n\n".join(f"### {kind.value} transaction\n\n{table_markdown(kind)}" for kind in Kind)


# ---- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Put ``data`` on the wire towards ``destination``."""

    data: bytes
    destination: Address
    message: Request | Response | None  # None for replies built from unparsable input


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand ``message`` to the TU; ``transaction`` is None for messages outside any (ACK for 2xx)."""

    message: Request | Response
    source: Address | None
    transaction: TxKey | None


@dataclass(frozen=True, slots=True)
class TimedOut:
    """Timer B, F or H fired: the peer never answered (or never ACKed)."""

    transaction: TxKey
    request: Request


@dataclass(frozen=True, slots=True)
class TransportFailed:
    transaction: TxKey
    request: Request


@dataclass(frozen=True, slots=True)
class Terminated:
    transaction: TxKey


Output = Send | Deliver | TimedOut | TransportFailed | Terminated


class TransactionStateError(CentralinoError):
    """The TU asked a transaction for something its state forbids (a bug in the TU)."""


def event_for_response(status: int, *, receiving: bool) -> Event:
    """The table event for a response of ``status``, received from the network or sent by the TU."""
    if status < 200:
        return Event.RECV_1XX if receiving else Event.SEND_1XX
    if status < 300:
        return Event.RECV_2XX if receiving else Event.SEND_2XX
    return Event.RECV_300_699 if receiving else Event.SEND_300_699


_TIMER_EVENTS = {e.value.removeprefix("Timer "): e for e in Event if e.value.startswith("Timer ")}


class Transaction:
    """One transaction: the interpreter of its kind's table.

    ``destination`` is where requests go (client) or responses go (server, per
    RFC 3261 §18.2.2 / RFC 3581, computed by the layer). ``ack_factory``
    builds the ACK for a non-2xx final response (INVITE client only).
    """

    def __init__(
        self,
        kind: Kind,
        key: TxKey,
        request: Request,
        destination: Address,
        *,
        timers: TimerConfig | None = None,
        source: Address | None = None,
        trying_factory: TryingFactory | None = None,
        ack_factory: AckFactory | None = None,
    ) -> None:
        self.kind = kind
        self.key = key
        self.request = request
        self.destination = destination
        self.source = source
        self.timers = timers or TimerConfig()
        self.reliable = destination.reliable
        self.state = State.TERMINATED  # until start()
        self.last_response: Response | None = None
        self._request_bytes: bytes | None = None  # written when first sent (client transactions only)
        self._ack: Request | None = None
        self._trying_factory = trying_factory
        self._ack_factory = ack_factory
        self._deadlines: dict[str, float] = {}
        self._intervals: dict[str, float] = {}

    # ---- the interface -------------------------------------------------------------------------

    def start(self, now: float) -> list[Output]:
        """Enter the initial state: client transactions send, server ones pass the request up."""
        state, actions = INITIAL[self.kind]
        self.state = state
        return self._run(actions, now, self.request) + self.handle_timer(now)

    def receive(self, message: Request | Response, now: float) -> list[Output]:
        """A message from the network that matched this transaction."""
        if isinstance(message, Response):
            event = event_for_response(message.status, receiving=True)
        else:
            event = Event.RECV_ACK if message.method == "ACK" else Event.RECV_REQUEST
        return self.fire(event, now, message)

    def send_response(self, response: Response, now: float) -> list[Output]:
        """The TU answers the request (server transactions only)."""
        return self.fire(event_for_response(response.status, receiving=False), now, response)

    def transport_error(self, now: float) -> list[Output]:
        return self.fire(Event.TRANSPORT_ERROR, now)

    def get_timer(self) -> float | None:
        """The next deadline at which ``handle_timer`` must be called, or None."""
        return min(self._deadlines.values(), default=None)

    def handle_timer(self, now: float) -> list[Output]:
        """Fire every timer due at ``now``, earliest first."""
        deadlines = self._deadlines
        if not deadlines or min(deadlines.values()) > now:
            return []  # the usual case (called after every event): nothing is due
        out: list[Output] = []
        while self.state is not State.TERMINATED:
            due = [(when, name) for name, when in self._deadlines.items() if when <= now]
            if not due:
                break
            _, name = min(due)
            del self._deadlines[name]
            out += self.fire(_TIMER_EVENTS[name], now)
        return out

    def fire(self, event: Event, now: float, message: Request | Response | None = None) -> list[Output]:
        """Apply ``event`` by the table; the one entry point every other method goes through."""
        entry = TABLES[self.kind].get((self.state, event))
        if entry is None:
            if event in TU_EVENTS:
                raise TransactionStateError(
                    f"{self.kind.value} transaction {self.key.branch}: cannot {event.value} in state "
                    f"{self.state.value}; the response was not sent")
            log.debug("%s %s: ignored %s in %s",
                      self.kind.value, self.key.branch, event.value, self.state.value)
            return []
        new_state, actions = entry
        self.state = new_state
        out = self._run(actions, now, message)
        if new_state is State.TERMINATED:
            self._deadlines.clear()
            out.append(Terminated(self.key))
            return out
        return out + self.handle_timer(now)

    # ---- actions -------------------------------------------------------------------------------

    def _run(
        self, actions: tuple[Action, ...], now: float, message: Request | Response | None
    ) -> list[Output]:
        out: list[Output] = []
        for action in actions:
            if isinstance(action, Start):
                first = self.timers.t2 if action.at_t2 else self.timers.initial(action.timer, self.reliable)
                if first is not None and not (action.at_t2 and self.reliable):
                    self._intervals[action.timer] = first
                    self._deadlines[action.timer] = now + first
            elif isinstance(action, Backoff):
                current = self._intervals.get(action.timer)
                if current is None:
                    current = self.timers.initial(action.timer, self.reliable)
                if current is not None:
                    interval = self.timers.backoff(action.timer, current)
                    self._intervals[action.timer] = interval
                    self._deadlines[action.timer] = now + interval
            elif isinstance(action, Stop):
                self._deadlines.pop(action.timer, None)
            else:
                out += self._do(action, message)
        return out

    def _do(self, action: Do, message: Request | Response | None) -> list[Output]:
        if action is Do.SEND_REQUEST:
            data = self._request_bytes
            if data is None:
                data = self._request_bytes = bytes(self.request)
            return [Send(data, self.destination, self.request)]
        if action is Do.SEND_ACK:
            if self._ack is None:
                if self._ack_factory is None or not isinstance(message, Response):
                    return []
                self._ack = self._ack_factory(self.request, message)
            return [Send(bytes(self._ack), self.destination, self._ack)]
        if action is Do.SEND_RESPONSE:
            assert isinstance(message, Response)
            self.last_response = message
            return [Send(bytes(message), self.destination, message)]
        if action is Do.RESEND_RESPONSE:
            last = self.last_response
            return [] if last is None else [Send(bytes(last), self.destination, last)]
        if action is Do.SEND_TRYING:
            if self._trying_factory is None:
                return []
            trying = self._trying_factory(self.request)
            self.last_response = trying
            return [Send(bytes(trying), self.destination, trying)]
        if action is Do.PASS_TO_TU:
            assert message is not None
            return [Deliver(message, self.source if isinstance(message, Request) else None, self.key)]
        if action is Do.TIMEOUT_TO_TU:
            return [TimedOut(self.key, self.request)]
        return [TransportFailed(self.key, self.request)]



if __name__ == "__main__":
    print(all_tables_markdown())
