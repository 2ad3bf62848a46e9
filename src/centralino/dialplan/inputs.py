"""What the dial plan hears besides call events: agents' desktops and the API.

The telephony shell feeds ``centralino.calls`` events (and ``VoicemailRecorded`` from the
media layer); the web layer feeds these. They are frozen values with the time they happened,
like every event (``centralino.core.events.Event``). ``tenant`` may be left out when the
installation has one tenant, or when the extension belongs to one tenant only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from centralino.core.events import Event

__all__ = [
    "AgentBreak", "AgentBreakEnded", "AgentInput", "AgentLogin", "AgentLogout", "AgentWrapUpDone",
    "AnnouncementSet", "AnnouncementWithdrawn", "CallInput", "ConferenceRequested", "HandoverKind",
    "PlanInput", "TransferCancelled", "TransferCompleted", "TransferMode", "TransferRequested",
    "WebCallbackRequested",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanInput(Event):
    tenant: str | None = None
    kind: ClassVar[str] = "plan.input"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentInput(PlanInput):
    agent: str  # extension
    kind: ClassVar[str] = "agent.input"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLogin(AgentInput):
    """The agent logged in on the desktop: routable with the skills and queues of the config."""

    kind: ClassVar[str] = "agent.login"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLogout(AgentInput):
    kind: ClassVar[str] = "agent.logout"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentBreak(AgentInput):
    """Start (or change the reason of) a break; refused while a call is ringing or connected."""

    reason: str = "break"
    kind: ClassVar[str] = "agent.break"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentBreakEnded(AgentInput):
    kind: ClassVar[str] = "agent.break_ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentWrapUpDone(AgentInput):
    """The agent pressed "ready" before the queue's wrap-up time was over."""

    kind: ClassVar[str] = "agent.wrapup_done"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebCallbackRequested(PlanInput):
    """A customer asked on the web site to be called back from ``queue`` (at ``not_before``)."""

    queue: str
    number: str
    not_before: float | None = None
    language: str | None = None
    kind: ClassVar[str] = "callback.web"


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnouncementSet(PlanInput):
    """The supervisor's message for callers of ``number`` (IVR ``announcement`` nodes speak it)."""

    number: str
    text: str
    kind: ClassVar[str] = "announcement.set"


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnouncementWithdrawn(PlanInput):
    number: str
    kind: ClassVar[str] = "announcement.withdrawn"


class TransferMode(StrEnum):
    blind = "blind"  # the agent leaves at once; the caller hears music until the target answers
    attended = "attended"  # the agent consults the target first, the caller on music meanwhile


class HandoverKind(StrEnum):
    agent = "agent"  # an extension of the tenant (must be available)
    queue = "queue"  # a queue of the tenant (blind only)
    number = "number"  # anything the switch can ring: an extension, a URI, a number through the trunk


@dataclass(frozen=True, slots=True, kw_only=True)
class CallInput(PlanInput):
    call: str  # the contact id (the caller's inbound leg id, the call record's id)
    kind: ClassVar[str] = "call.input"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferRequested(CallInput):
    """The connected agent hands the caller to ``target`` (docs/dialplan.md, "Transfers")."""

    mode: TransferMode
    to: HandoverKind
    target: str
    kind: ClassVar[str] = "call.transfer"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConferenceRequested(CallInput):
    """Bring ``target`` into the call: caller, agent and target all hear each other."""

    to: HandoverKind
    target: str
    kind: ClassVar[str] = "call.conference"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferCompleted(CallInput):
    """End an answered consultation by joining the caller to the consulted party; the agent leaves."""

    kind: ClassVar[str] = "call.transfer_complete"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferCancelled(CallInput):
    """Hang up the consultation (or a conference's ringing third party): the caller is back with the agent."""

    kind: ClassVar[str] = "call.transfer_cancel"
