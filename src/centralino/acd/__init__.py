"""Automatic call distribution: a deterministic, sans-I/O routing engine (docs/acd.md).

Feed ``Engine.handle(event, now)`` the events of ``centralino.acd.events``; carry
out the returned ``centralino.acd.decisions``; call ``Engine.handle_timer(now)``
when ``Engine.next_deadline()`` has passed. A ``Journal`` records it all and
``replay`` reproduces it.
"""

from centralino.acd.agent_states import AgentInput, AgentState, TransitionRefused, diagram
from centralino.acd.decisions import (
    AgentStateChanged,
    Announce,
    CallbackAbandoned,
    CallbackScheduled,
    CancelOffer,
    Connect,
    Decision,
    OfferContact,
    Overflow,
    Refused,
    Requeue,
    RequirementsWidened,
    StartCallback,
)
from centralino.acd.engine import Engine, EngineSettings
from centralino.acd.estimate import ErrorSummary, position_ewt
from centralino.acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReconciled,
    BreakEnded,
    BreakStarted,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    CallEnded,
    ContactAbandoned,
    ContactArrived,
    OfferAccepted,
    OfferDeclined,
    OfferTimedOut,
    TimerDue,
    VoicemailRequested,
    WrapUpEnded,
)
from centralino.acd.journal import Journal, replay
from centralino.acd.model import (
    AgentSpec,
    Channel,
    Contact,
    Offer,
    OverflowRule,
    OverflowWhen,
    QueueSpec,
    Requirements,
    ServiceLevelFormula,
    Strategy,
    Target,
    TargetKind,
    Tier,
    WaitStep,
)
from centralino.acd.pools import ContactState
from centralino.acd.stats import QueueStats

__all__ = [
    "AcdEvent", "AgentInput", "AgentLoggedIn", "AgentLoggedOut", "AgentReconciled", "AgentSpec", "AgentState",
    "AgentStateChanged", "Announce", "BreakEnded", "BreakStarted", "CallEnded", "CallbackAbandoned",
    "CallbackAnswered", "CallbackFailed", "CallbackRequested", "CallbackScheduled", "CancelOffer", "Channel",
    "Connect", "Contact", "ContactAbandoned", "ContactArrived", "ContactState", "Decision", "Engine",
    "EngineSettings", "ErrorSummary", "Journal", "Offer", "OfferAccepted", "OfferContact", "OfferDeclined",
    "OfferTimedOut", "Overflow", "OverflowRule", "OverflowWhen", "QueueSpec", "QueueStats", "Refused",
    "Requeue", "Requirements", "RequirementsWidened", "ServiceLevelFormula", "StartCallback", "Strategy",
    "Target", "TargetKind", "Tier", "TimerDue", "TransitionRefused", "VoicemailRequested", "WaitStep",
    "WrapUpEnded", "diagram", "position_ewt", "replay",
]
