"""sip layer: wire format (message, uri, headers, sdp, auth) and, around it, transactions and dialogs."""

from centralino.sip.errors import SipParseError
from centralino.sip.headers import CSeq, Headers, Via
from centralino.sip.message import (
    Message,
    Request,
    Response,
    StreamFramer,
    parse_message,
    validate_request,
)
from centralino.sip.uri import URI, NameAddr

__all__ = [
    "URI",
    "CSeq",
    "Headers",
    "Message",
    "NameAddr",
    "Request",
    "Response",
    "SipParseError",
    "StreamFramer",
    "Via",
    "parse_message",
    "validate_request",
]
