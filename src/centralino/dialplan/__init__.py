"""The dial plan: the sans-I/O decisions that run IVR sessions and the ACD on call legs.

``DialPlan(config).handle(event, now)`` takes telephony's neutral call events and the
desktops' inputs and returns ``centralino.calls`` commands and ``effects``; the shell arms
one timer at ``next_deadline()`` and calls ``handle_timer(now)`` (docs/dialplan.md).
"""

from centralino.dialplan.calls import AgentLeg, CallState, DeskServices, Handover, TargetLeg, TenantDesk
from centralino.dialplan.contacts import Output
from centralino.dialplan.effects import (
    AgentStateRecorded,
    CallArrived,
    CallbackAttempted,
    CallbackEnded,
    CallbackQueued,
    CallConnected,
    CallFinished,
    CallRejected,
    CallTransferred,
    Effect,
    IvrTraced,
    LockVerification,
    MixConference,
    OfferEnded,
    OfferRinging,
    QueueEntered,
    QueueLeft,
    Refusal,
    StartVoicemail,
    SurveyAnswered,
)
from centralino.dialplan.inputs import (
    AgentBreak,
    AgentBreakEnded,
    AgentInput,
    AgentLogin,
    AgentLogout,
    AgentWrapUpDone,
    AnnouncementSet,
    AnnouncementWithdrawn,
    CallInput,
    ConferenceRequested,
    HandoverKind,
    PlanInput,
    TransferCancelled,
    TransferCompleted,
    TransferMode,
    TransferRequested,
    WebCallbackRequested,
)
from centralino.dialplan.plan import AGENT_RING_TIMEOUT, DialPlan
from centralino.dialplan.specs import NumberRoute, agent_spec, announcement_prompts, queue_spec, route_table
from centralino.dialplan.transfers import TRANSFER_RING_TIMEOUT

__all__ = [
    "AGENT_RING_TIMEOUT", "TRANSFER_RING_TIMEOUT", "CallInput", "CallTransferred", "ConferenceRequested",
    "Handover", "HandoverKind", "MixConference", "TargetLeg", "TransferCancelled", "TransferCompleted",
    "TransferMode", "TransferRequested", "AgentBreak", "AgentBreakEnded", "AgentInput", "AgentLeg",
    "AgentLogin", "AgentLogout",
    "AgentStateRecorded", "AgentWrapUpDone", "AnnouncementSet", "AnnouncementWithdrawn", "CallArrived",
    "CallConnected", "CallFinished", "CallRejected", "CallState", "CallbackAttempted", "CallbackEnded",
    "CallbackQueued", "DeskServices", "DialPlan", "Effect", "IvrTraced", "LockVerification", "NumberRoute",
    "OfferEnded", "OfferRinging", "Output", "PlanInput", "QueueEntered", "QueueLeft", "Refusal",
    "StartVoicemail", "SurveyAnswered", "TenantDesk", "WebCallbackRequested", "agent_spec",
    "announcement_prompts", "queue_spec", "route_table",
]
