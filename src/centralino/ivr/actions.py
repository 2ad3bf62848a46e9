"""IVR-level actions (what the IVR asks of the server beyond media) and the inputs answering them.

The call-control commands of ``centralino.calls.commands`` cover the leg's media and
signalling. What only a contact center does, the IVR asks with these frozen values: the
server hands ``Enqueue`` to the ACD, ``RecordVoicemail`` to the media engine,
``StoreSurveyAnswer`` to the call record. When the outcome matters to the flow, the server
feeds back one of the inputs at the bottom (``AgentConnected``, ``AgentDisconnected``,
``QueueExited``, ``VoicemailRecorded``), events like the neutral call events.

Lookups that return a value at once (customer, PIN check, queue statistics, the
supervisor's announcement) are not actions: they go through ``centralino.ivr.services``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from centralino.calls.events import CallEvent

__all__ = [
    "Action", "AgentConnected", "AgentDisconnected", "Enqueue", "QueueExited", "RecordVoicemail",
    "RequestCallback", "Requirements", "StoreSurveyAnswer", "VerificationLocked", "VoicemailRecorded",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    leg: str
    kind: ClassVar[str] = "ivr.action"


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirements:
    """What the agent must have: skills (name -> minimum level), language, tier, priority."""

    skills: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    tier: str | None = None
    priority: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Enqueue(Action):
    """Queue the caller. ``data`` is what the agent's screen pop shows (customer, inputs)."""

    queue: str
    requirements: Requirements
    customer: str | None = None
    verified: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "ivr.enqueue"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestCallback(Action):
    """Call ``number`` back from ``queue``; a queued caller keeps their place in line."""

    queue: str
    number: str
    language: str | None = None
    kind: ClassVar[str] = "ivr.request_callback"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordVoicemail(Action):
    mailbox: str
    max_seconds: float
    beep: bool = True
    kind: ClassVar[str] = "ivr.record_voicemail"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSurveyAnswer(Action):
    survey: str
    question: str
    answer: str
    at: float
    kind: ClassVar[str] = "ivr.survey_answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationLocked(Action):
    """Too many wrong PINs/dates in this call: the server should lock the customer's phone access."""

    customer: str
    method: str
    kind: ClassVar[str] = "ivr.verification_locked"


# Inputs: what the server tells the session about the actions above.


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConnected(CallEvent):
    agent: str
    kind: ClassVar[str] = "ivr.agent_connected"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentDisconnected(CallEvent):
    """The agent left and the caller is still on the line: the flow continues at ``after_call``."""

    kind: ClassVar[str] = "ivr.agent_disconnected"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueExited(CallEvent):
    """The ACD gave the caller back unanswered: ``reason`` is e.g. max-wait, no-agents, full."""

    reason: str
    kind: ClassVar[str] = "ivr.queue_exited"


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailRecorded(CallEvent):
    seconds: float
    kind: ClassVar[str] = "ivr.voicemail_recorded"
