"""What the dial plan asks of the shell besides call-control commands.

Two families, both frozen values with the time (``at``) and the call they belong to (``call``:
the caller's inbound leg id, which is also the ACD contact id; a web callback's contact id):

- **facts for the records** (``CallArrived`` ... ``QueueLeft``, defined in
  ``centralino.records.facts`` and re-exported here): the call record and the statistics are
  projections of these (docs/architecture.md, "events are the truth"); the shell hands them to
  ``store.CallRecordStore.append`` and the event stream as they come. ``QueueLeft`` carries a
  finished ``centralino.records.stats.QueuedContact``.
- **work for the shell** (``StartVoicemail``, ``LockVerification``, ``MixConference``): things
  that are neither a leg command nor a record, performed by the media layer or the store.

``Refusal`` reports an input that did not fit the current state; it changes nothing and is
meant for the log, with a reason a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from centralino.records.facts import (
    AgentStateRecorded,
    CallArrived,
    CallbackAttempted,
    CallbackEnded,
    CallbackQueued,
    CallConnected,
    CallFinished,
    CallRejected,
    CallTransferred,
    Fact,
    IvrTraced,
    OfferEnded,
    OfferRinging,
    QueueEntered,
    QueueLeft,
    SurveyAnswered,
)

__all__ = [
    "AgentStateRecorded", "CallArrived", "CallConnected", "CallFinished", "CallRejected", "CallbackAttempted",
    "CallbackEnded", "CallbackQueued", "CallTransferred", "Effect", "IvrTraced", "LockVerification",
    "MixConference", "OfferEnded",
    "OfferRinging", "QueueEntered", "QueueLeft", "Refusal", "StartVoicemail", "SurveyAnswered",
]


# The record-keeping facts live in centralino.records.facts (records may not import the dial plan);
# they are re-exported here so the plan and its callers keep one place to import effects from.
# ``Effect`` is the facts' base class, so ``isinstance(x, Effect)`` holds for every effect.
Effect = Fact


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


@dataclass(frozen=True, slots=True, kw_only=True)
class MixConference(Effect):
    """Mix the three ``legs`` (caller, agent, third party): each hears the other two.

    There is no call-control command for it (the switch bridges two legs), so the media engine
    does it (``LocalMediaEngine.conference``). When one of the three leaves, the engine drops the
    mix with that leg and the plan bridges the remaining two with a plain ``Bridge``.
    """

    legs: tuple[str, str, str]
    kind: ClassVar[str] = "call.conference_mix"
