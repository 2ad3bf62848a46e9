"""The IVR: flows as data, checked with file:line, run by a sans-I/O interpreter (docs/ivr.md)."""

from centralino.ivr.actions import (
    Action,
    AgentConnected,
    AgentDisconnected,
    Enqueue,
    QueueExited,
    RecordVoicemail,
    RequestCallback,
    Requirements,
    StoreSurveyAnswer,
    VerificationLocked,
    VoicemailRecorded,
)
from centralino.ivr.checks import Reference, references
from centralino.ivr.expr import Expr, ExprError, parse_expr
from centralino.ivr.flow import NODE_TYPES, Flow, Node
from centralino.ivr.interpreter import Output, Session
from centralino.ivr.loader import load_flows
from centralino.ivr.problems import Locate
from centralino.ivr.prompts import PromptRef
from centralino.ivr.services import CallContext, IsOpen, Services, StaticServices, Verification, always_open
from centralino.ivr.trace import FlowTrace, TraceStep

__all__ = [
    "NODE_TYPES", "Action", "AgentConnected", "AgentDisconnected", "CallContext", "Enqueue", "Expr",
    "ExprError", "Flow", "FlowTrace", "IsOpen", "Locate", "Node", "Output", "PromptRef", "QueueExited",
    "RecordVoicemail", "Reference", "RequestCallback", "Requirements", "Services", "Session",
    "StaticServices", "StoreSurveyAnswer", "TraceStep", "VerificationLocked", "Verification",
    "VoicemailRecorded", "always_open", "load_flows", "parse_expr", "references",
]
