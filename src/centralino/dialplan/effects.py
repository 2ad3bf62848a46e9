"""What the dial plan asks of the shell besides call-control commands.

Two families, both frozen values with the time (``at``) and the call they belong to (``call``:
the caller's inbound leg id, which is also the ACD contact id; a web callback's contact id):

- **facts for the records** (``CallArrived`` ... ``QueueLeft``): the call record and the
  statistics are projections of these (docs/architecture.md, "events are the truth"); the
  shell hands them to the records layer and the event stream as they come. ``QueueLeft``
  carries a finished ``centralino.records.stats.QueuedContact``.
- **work for the shell** (``StartVoicemail``, ``LockVerification``): things that are neither
  a leg command nor a record, performed by the media layer or the store.

``Refusal`` reports an input that did not fit the current state; it changes nothing and is
meant for the log, with a reason a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from centralino.records.stats import QueuedContact

__all__ = [
    "AgentStateRecorded", "CallArrived", "CallConnected", "CallFinished", "CallRejected", "CallbackAttempted",
    "CallbackEnded", "CallbackQueued", "Effect", "IvrTraced", "LockVerification", "OfferEnded",
    "OfferRinging", "QueueEntered", "QueueLeft", "Refusal", "StartVoicemail", "SurveyAnswered",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Effect:
    at: float
    call: str = ""
    kind: ClassVar[str] = "effect"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallArrived(Effect):
    tenant: str
    caller: str
    dialled: str
    route: str  # echo, queue, ivr, agent
    target: str | None = None
    kind: ClassVar[str] = "call.arrived"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRejected(Effect):
    dialled: str
    code: int
    reason: str
    kind: ClassVar[str] = "call.rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrTraced(Effect):
    """The IVR session ended; ``trace`` is ``FlowTrace.to_dict()`` (secrets already masked)."""

    trace: dict[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "call.ivr_trace"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntered(Effect):
    tenant: str
    queue: str
    requirements: str = ""
    overflow_from: str | None = None
    kind: ClassVar[str] = "call.queue_entered"


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferRinging(Effect):
    agent: str
    leg: str
    queue: str
    kind: ClassVar[str] = "call.offer_ringing"


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferEnded(Effect):
    """An agent's ringing leg ended: ``outcome`` answered, missed, declined or cancelled."""

    agent: str
    leg: str
    outcome: str
    reason: str = ""
    kind: ClassVar[str] = "call.offer_ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallConnected(Effect):
    agent: str
    queue: str
    waited: float
    callback: bool = False
    kind: ClassVar[str] = "call.connected"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackQueued(Effect):
    """A callback holds the contact's place: asked in the IVR, or requested on the web."""

    tenant: str
    queue: str
    number: str
    kind: ClassVar[str] = "call.callback_queued"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttempted(Effect):
    agent: str
    number: str
    attempt: int
    kind: ClassVar[str] = "call.callback_attempt"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackEnded(Effect):
    """One callback attempt's end: ``outcome`` connected, failed (retried later) or given-up."""

    outcome: str
    reason: str = ""
    kind: ClassVar[str] = "call.callback_ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswered(Effect):
    survey: str
    question: str
    answer: str
    kind: ClassVar[str] = "call.survey_answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFinished(Effect):
    """The caller's leg is gone. ``hung_up_by``: caller, agent or system (the center ended it)."""

    hung_up_by: str
    cause: str = "normal"
    agent: str | None = None
    kind: ClassVar[str] = "call.finished"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateRecorded(Effect):
    tenant: str
    agent: str
    state: str
    reason: str
    kind: ClassVar[str] = "agent.state"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueLeft(Effect):
    """A contact's passage through one queue is complete (answered ones after wrap-up)."""

    tenant: str
    record: QueuedContact
    kind: ClassVar[str] = "call.queue_left"


@dataclass(frozen=True, slots=True, kw_only=True)
class StartVoicemail(Effect):
    """Record the caller on ``leg`` into ``mailbox``; feed ``VoicemailRecorded`` back when done."""

    leg: str
    mailbox: str
    max_seconds: float
    beep: bool = True
    kind: ClassVar[str] = "call.voicemail"


@dataclass(frozen=True, slots=True, kw_only=True)
class LockVerification(Effect):
    """Too many wrong PINs in this call: lock the customer's phone verification in the store."""

    customer: str
    method: str
    kind: ClassVar[str] = "customer.lock"


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal(Effect):
    event: str
    reason: str
    kind: ClassVar[str] = "refusal"
