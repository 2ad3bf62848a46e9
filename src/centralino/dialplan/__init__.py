"""The dial plan: the sans-I/O decisions that run IVR sessions and the ACD on call legs.

``DialPlan(config).handle(event, now)`` takes telephony's neutral call events and the
desktops' inputs and returns ``centralino.calls`` commands and ``effects``; the shell arms
one timer at ``next_deadline()`` and calls ``handle_timer(now)`` (docs/dialplan.md).
"""

from centralino.dialplan.calls import AgentLeg, CallState, DeskServices, TenantDesk
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
    Effect,
    IvrTraced,
    LockVerification,
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
    PlanInput,
    WebCallbackRequested,
)
from centralino.dialplan.plan import AGENT_RING_TIMEOUT, DialPlan
from centralino.dialplan.specs import NumberRoute, agent_spec, announcement_prompts, queue_spec, route_table

__all__ = [
    "AGENT_RING_TIMEOUT", "AgentBreak", "AgentBreakEnded", "AgentInput", "AgentLeg", "AgentLogin",
    "AgentLogout",
    "AgentStateRecorded", "AgentWrapUpDone", "AnnouncementSet", "AnnouncementWithdrawn", "CallArrived",
    "CallConnected", "CallFinished", "CallRejected", "CallState", "CallbackAttempted", "CallbackEnded",
    "CallbackQueued", "DeskServices", "DialPlan", "Effect", "IvrTraced", "LockVerification", "NumberRoute",
    "OfferEnded", "OfferRinging", "Output", "PlanInput", "QueueEntered", "QueueLeft", "Refusal",
    "StartVoicemail", "SurveyAnswered", "TenantDesk", "WebCallbackRequested", "agent_spec",
    "announcement_prompts", "queue_spec", "route_table",
]
