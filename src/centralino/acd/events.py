"""What the ACD engine consumes: facts from telephony, agents' desktops and the IVR.

Events carry no time: the engine is handed ``now`` with each one, and the
journal stores it next to the event. Each class has a ``kind`` used as its name
in the journal's JSON lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from centralino.acd.model import AgentSpec, Contact


@dataclass(frozen=True, slots=True)
class AcdEvent:
    kind: ClassVar[str] = "event"


@dataclass(frozen=True, slots=True)
class ContactArrived(AcdEvent):
    """A call entered a queue (or a web callback was requested)."""

    contact: Contact
    kind: ClassVar[str] = "contact.arrived"


@dataclass(frozen=True, slots=True)
class ContactAbandoned(AcdEvent):
    """The caller hung up before being connected (or the callback was cancelled)."""

    contact: str
    kind: ClassVar[str] = "contact.abandoned"


@dataclass(frozen=True, slots=True)
class CallEnded(AcdEvent):
    """A connected contact's call is over; the agent goes to wrap-up."""

    contact: str
    kind: ClassVar[str] = "call.ended"


@dataclass(frozen=True, slots=True)
class CallbackRequested(AcdEvent):
    """The waiting caller pressed the callback key: keep the place, hang up, call back."""

    contact: str
    number: str
    kind: ClassVar[str] = "callback.requested"


@dataclass(frozen=True, slots=True)
class VoicemailRequested(AcdEvent):
    contact: str
    kind: ClassVar[str] = "voicemail.requested"


@dataclass(frozen=True, slots=True)
class CallbackAnswered(AcdEvent):
    """The customer picked up the callback; bridge them to the reserved agent."""

    contact: str
    kind: ClassVar[str] = "callback.answered"


@dataclass(frozen=True, slots=True)
class CallbackFailed(AcdEvent):
    """The callback attempt failed (busy, no answer, unreachable)."""

    contact: str
    reason: str
    kind: ClassVar[str] = "callback.failed"


@dataclass(frozen=True, slots=True)
class AgentLoggedIn(AcdEvent):
    agent: AgentSpec
    kind: ClassVar[str] = "agent.logged_in"


@dataclass(frozen=True, slots=True)
class AgentLoggedOut(AcdEvent):
    agent: str
    kind: ClassVar[str] = "agent.logged_out"


@dataclass(frozen=True, slots=True)
class BreakStarted(AcdEvent):
    agent: str
    reason: str = "break"
    kind: ClassVar[str] = "agent.break_started"


@dataclass(frozen=True, slots=True)
class BreakEnded(AcdEvent):
    agent: str
    kind: ClassVar[str] = "agent.break_ended"


@dataclass(frozen=True, slots=True)
class WrapUpEnded(AcdEvent):
    """The agent ended wrap-up before its timer."""

    agent: str
    kind: ClassVar[str] = "agent.wrapup_ended"


@dataclass(frozen=True, slots=True)
class OfferAccepted(AcdEvent):
    contact: str
    agent: str
    kind: ClassVar[str] = "offer.accepted"


@dataclass(frozen=True, slots=True)
class OfferDeclined(AcdEvent):
    contact: str
    agent: str
    kind: ClassVar[str] = "offer.declined"


@dataclass(frozen=True, slots=True)
class OfferTimedOut(AcdEvent):
    """Telephony gave up ringing before the engine's own ring timer (e.g. phone unreachable)."""

    contact: str
    agent: str
    kind: ClassVar[str] = "offer.timed_out"


@dataclass(frozen=True, slots=True)
class AgentReconciled(AcdEvent):
    """After a restart: what telephony says about the agent's phone."""

    agent: str
    in_call: bool
    kind: ClassVar[str] = "agent.reconciled"


@dataclass(frozen=True, slots=True)
class TimerDue(AcdEvent):
    """Journal marker for ``Engine.handle_timer(now)``: replay calls it at the same time."""

    kind: ClassVar[str] = "timer.due"


EVENT_TYPES: dict[str, type[AcdEvent]] = {
    cls.kind: cls
    for cls in (
        ContactArrived, ContactAbandoned, CallEnded, CallbackRequested, VoicemailRequested, CallbackAnswered,
        CallbackFailed, AgentLoggedIn, AgentLoggedOut, BreakStarted, BreakEnded, WrapUpEnded, OfferAccepted,
        OfferDeclined, OfferTimedOut, AgentReconciled, TimerDue,
    )
}
