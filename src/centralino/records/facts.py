"""The domain events that call records, statistics and timelines are projections of.

Every fact is a frozen value with the time it happened (``at``, epoch seconds) and the call it
belongs to (``call``: the caller's inbound leg id, which is also the ACD contact id; a web
callback's contact id; an outbound call's first leg id). The engines (the dial plan), the media
engine and the desktops emit them; the shell hands them to ``store.CallRecordStore.append``, which
journals them and refolds the records (``records.cdr``). Nothing here does I/O.

``to_dict``/``from_dict`` give each fact a JSON form (``kind`` plus its fields), which is what
the journal stores: the records can always be rebuilt from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from centralino.records.stats import Outcome, QueuedContact

__all__ = [
    "FACT_TYPES", "AgentStateRecorded", "CallArrived", "CallConnected", "CallFinished", "CallHeld",
    "CallInterrupted", "CallPlaced", "CallRejected", "CallResumed", "CallTransferred", "CallbackAttempted",
    "CallbackEnded", "CallbackQueued", "CustomerIdentified", "Fact", "IvrTraced", "MediaQuality",
    "OfferEnded", "OfferRinging", "QueueEntered", "QueueLeft", "RecordingPaused", "RecordingResumed",
    "RecordingStarted", "RecordingStopped", "SurveyAnswered", "VoicemailLeft", "WrapUpSubmitted",
    "from_dict", "is_record_fact", "to_dict",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    at: float
    call: str = ""
    kind: ClassVar[str] = "effect"


# --------------------------------------------------------------------------- from the dial plan
@dataclass(frozen=True, slots=True, kw_only=True)
class CallArrived(Fact):
    tenant: str
    caller: str
    dialled: str
    route: str  # echo, queue, ivr, agent
    target: str | None = None
    kind: ClassVar[str] = "call.arrived"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRejected(Fact):
    dialled: str
    code: int
    reason: str
    kind: ClassVar[str] = "call.rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrTraced(Fact):
    """The IVR session ended; ``trace`` is ``FlowTrace.to_dict()`` (secrets already masked)."""

    trace: dict[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "call.ivr_trace"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntered(Fact):
    tenant: str
    queue: str
    requirements: str = ""
    overflow_from: str | None = None
    kind: ClassVar[str] = "call.queue_entered"


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferRinging(Fact):
    agent: str
    leg: str
    queue: str
    kind: ClassVar[str] = "call.offer_ringing"


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferEnded(Fact):
    """An agent's ringing leg ended: ``outcome`` answered, missed, declined or cancelled."""

    agent: str
    leg: str
    outcome: str
    reason: str = ""
    kind: ClassVar[str] = "call.offer_ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallConnected(Fact):
    agent: str
    queue: str
    waited: float
    callback: bool = False
    kind: ClassVar[str] = "call.connected"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackQueued(Fact):
    """A callback holds the contact's place: asked in the IVR, or requested on the web."""

    tenant: str
    queue: str
    number: str
    kind: ClassVar[str] = "call.callback_queued"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttempted(Fact):
    agent: str
    number: str
    attempt: int
    kind: ClassVar[str] = "call.callback_attempt"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackEnded(Fact):
    """One callback attempt's end: ``outcome`` connected, failed (retried later) or given-up."""

    outcome: str
    reason: str = ""
    kind: ClassVar[str] = "call.callback_ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswered(Fact):
    survey: str
    question: str
    answer: str
    kind: ClassVar[str] = "call.survey_answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFinished(Fact):
    """The caller's leg is gone. ``hung_up_by``: caller, agent or system (the center ended it)."""

    hung_up_by: str
    cause: str = "normal"
    agent: str | None = None
    kind: ClassVar[str] = "call.finished"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateRecorded(Fact):
    tenant: str
    agent: str
    state: str
    reason: str
    kind: ClassVar[str] = "agent.state"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueLeft(Fact):
    """A contact's passage through one queue is complete (answered ones after wrap-up)."""

    tenant: str
    record: QueuedContact
    kind: ClassVar[str] = "call.queue_left"


# --------------------------------------------------------------------------- from desktops and media
@dataclass(frozen=True, slots=True, kw_only=True)
class CallPlaced(Fact):
    """An outbound call (click-to-dial): the agent's phone rings first, then ``number``."""

    tenant: str
    agent: str
    number: str
    caller_id: str = ""
    kind: ClassVar[str] = "call.placed"


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerIdentified(Fact):
    """The call belongs to this customer (IVR verification, screen pop choice, click-to-dial)."""

    customer: str
    kind: ClassVar[str] = "call.customer"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallHeld(Fact):
    agent: str = ""
    kind: ClassVar[str] = "call.held"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallResumed(Fact):
    agent: str = ""
    kind: ClassVar[str] = "call.resumed"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTransferred(Fact):
    """``target_kind`` agent, queue or number; ``mode`` blind or attended; ``leg`` the new leg if any."""

    agent: str
    target_kind: str
    target: str
    mode: str = "blind"
    leg: str = ""
    kind: ClassVar[str] = "call.transferred"


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpSubmitted(Fact):
    """Disposition code and notes; the last one submitted for a call wins."""

    agent: str
    disposition: str
    notes: str = ""
    kind: ClassVar[str] = "call.wrapup"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaQuality(Fact):
    """A leg's media figures at its end (``media.stats.LegStats``, copied field by field)."""

    leg: str
    packets_sent: int = 0
    packets_received: int = 0
    packets_lost: int = 0
    loss_pct: float = 0.0
    jitter_ms: float = 0.0
    max_jitter_ms: float = 0.0
    kind: ClassVar[str] = "call.media"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted(Fact):
    """``file`` is relative to the data directory; ``reason`` all, sampled or on-demand."""

    recording: str
    tenant: str
    file: str
    reason: str
    retention_days: int
    agent: str = ""
    kind: ClassVar[str] = "recording.started"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingPaused(Fact):
    recording: str
    agent: str = ""
    kind: ClassVar[str] = "recording.paused"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingResumed(Fact):
    recording: str
    agent: str = ""
    kind: ClassVar[str] = "recording.resumed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStopped(Fact):
    """The file is complete: its size and SHA-256 (hex) as written."""

    recording: str
    seconds: float
    size: int
    sha256: str
    kind: ClassVar[str] = "recording.stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailLeft(Fact):
    mailbox: str
    seconds: float
    file: str = ""
    sha256: str = ""
    kind: ClassVar[str] = "call.voicemail_left"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallInterrupted(Fact):
    """Written at start-up for each call the previous process left open (it crashed or was killed)."""

    kind: ClassVar[str] = "call.interrupted"


_ALL: tuple[type[Fact], ...] = (
    CallArrived, CallRejected, IvrTraced, QueueEntered, OfferRinging, OfferEnded, CallConnected,
    CallbackQueued, CallbackAttempted, CallbackEnded, SurveyAnswered, CallFinished, AgentStateRecorded,
    QueueLeft, CallPlaced, CustomerIdentified, CallHeld, CallResumed, CallTransferred, WrapUpSubmitted,
    MediaQuality, RecordingStarted, RecordingPaused, RecordingResumed, RecordingStopped, VoicemailLeft,
    CallInterrupted,
)
FACT_TYPES: dict[str, type[Fact]] = {cls.kind: cls for cls in _ALL}


def is_record_fact(value: object) -> bool:
    """Whether ``value`` is a fact the records keep (the dial plan's other effects are not)."""
    return isinstance(value, Fact) and FACT_TYPES.get(type(value).kind) is type(value)


def to_dict(fact: Fact) -> dict[str, Any]:
    """The fact's fields as JSON-ready values (``at`` and ``call`` included, ``kind`` not)."""
    out: dict[str, Any] = {}
    for f in fields(fact):
        value = getattr(fact, f.name)
        if isinstance(value, QueuedContact):
            value = {g.name: getattr(value, g.name) for g in fields(value)}
            value["outcome"] = str(value["outcome"])
        out[f.name] = value
    return out


def from_dict(kind: str, data: dict[str, Any]) -> Fact:
    """The fact of ``kind`` from its ``to_dict`` form; KeyError names an unknown kind."""
    cls = FACT_TYPES.get(kind)
    if cls is None:
        raise KeyError(f"unknown fact kind {kind!r}; known: {', '.join(sorted(FACT_TYPES))}")
    values = dict(data)
    if cls is QueueLeft:
        record = dict(values["record"])
        record["outcome"] = Outcome(record["outcome"])
        values["record"] = QueuedContact(**record)
    return cls(**values)
