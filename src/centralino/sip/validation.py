"""What to answer a request that cannot be served: the checks a UAS makes before acting
(RFC 3261 §8.2), the reason phrases, and the bytes of an error response for a request
that did not even parse.

Kept apart from the parser because the checks are policy, not syntax: the answer
depends on what this endpoint supports (methods, schemes, option tags, body types),
which the caller passes in. The parser only refuses what no receiver could act on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from centralino.sip import abnf
from centralino.sip.errors import SipParseError
from centralino.sip.headers import canonical_name

if TYPE_CHECKING:
    from centralino.sip.message import Request

__all__ = ["REASON_PHRASES", "error_response", "reason_phrase", "unsupported_options", "validate_request"]

REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    199: "Early Dialog Terminated",
    200: "OK",
    202: "Accepted",
    204: "No Notification",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    412: "Conditional Request Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    417: "Unknown Resource-Priority",
    420: "Bad Extension",
    421: "Extension Required",
    422: "Session Interval Too Small",
    423: "Interval Too Brief",
    428: "Use Identity Header",
    429: "Provide Referrer Identity",
    433: "Anonymity Disallowed",
    436: "Bad Identity-Info",
    437: "Unsupported Certificate",
    438: "Invalid Identity Header",
    439: "First Hop Lacks Outbound Support",
    440: "Max-Breadth Exceeded",
    469: "Bad Info Package",
    470: "Consent Needed",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    494: "Security Agreement Required",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    555: "Push Notification Service Not Supported",
    580: "Precondition Failure",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
    607: "Unwanted",
    608: "Rejected",
}


def reason_phrase(status: int) -> str:
    """The RFC's phrase for ``status``, or a generic one for its class."""
    return REASON_PHRASES.get(status) or REASON_PHRASES.get(status - status % 100, "Unknown")


def validate_request(
    req: Request,
    *,
    supported: frozenset[str] = frozenset({"replaces", "timer", "100rel", "outbound", "path"}),
    schemes: frozenset[str] = frozenset({"sip", "sips", "tel"}),
    content_types: frozenset[str] = frozenset({"application/sdp", "multipart/mixed", "text/plain"}),
    allowed_methods: frozenset[str] | None = None,
    as_proxy: bool = False,
) -> int | None:
    """The response code a UAS must send before acting on ``req`` (RFC 3261 §8.2), or None.

    Checks in the RFC's order: method (501/405), Request-URI scheme (416),
    Require (420), body type and encoding (415), Accept for INVITE (406). With
    ``as_proxy`` it answers Max-Forwards 0 with 483 and Proxy-Require with 420.
    """
    if req.method not in abnf.KNOWN_METHODS:
        return 501
    if allowed_methods is not None and req.method not in allowed_methods:
        return 405
    if as_proxy and req.max_forwards == 0 and req.method != "OPTIONS":
        return 483
    if req.uri.scheme not in schemes:
        return 416
    if req.method not in ("ACK", "CANCEL") and unsupported_options(req, supported, as_proxy=as_proxy):
        return 420
    if req.body and req.method != "ACK":
        if req.content_type not in content_types:
            return 415
        if any(e.lower() != "identity" for e in req.headers.get_all("content-encoding")):
            return 415
    if req.method == "INVITE" and req.headers.get("accept") is not None:
        accepted = {a.split(";", 1)[0].strip(" \t").lower() for a in req.headers.get_all("accept")}
        if not accepted & {"application/sdp", "application/*", "*/*"}:
            return 406
    return None


def unsupported_options(req: Request, supported: frozenset[str], *, as_proxy: bool = False) -> list[str]:
    """Option tags of Require (and Proxy-Require for a proxy) not in ``supported``: the Unsupported list."""
    tags = req.headers.get_all("require") + (req.headers.get_all("proxy-require") if as_proxy else [])
    wanted = {s.lower() for s in supported}
    return [t for t in tags if t.lower() not in wanted]


def error_response(data: bytes, error: SipParseError) -> bytes | None:
    """Best-effort bytes of the response ``error`` asks for, for a request that failed to parse.

    Copies the raw Via, From, To, Call-ID and CSeq lines it can find; returns None
    when the error says drop, the data is a response, or there is no Via to answer to.
    """
    if error.status is None or data.lstrip(b"\r\n")[:4].upper() == b"SIP/":
        return None
    end = data.find(b"\r\n\r\n")
    head = data[: end if end >= 0 else len(data)].decode("utf-8", "surrogateescape")
    keep = {"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq"}
    lines: list[str] = []
    for line in re.sub(r"\r\n[ \t]+", " ", head).split("\r\n")[1:]:
        name, colon, value = line.partition(":")
        key = canonical_name(name.strip(" \t"))
        if colon and key in keep:
            lines.append(f"{keep[key]}: {value.strip(' ')}")
    if not any(line.startswith("Via:") for line in lines):
        return None
    reason = reason_phrase(error.status)
    text = "\r\n".join([f"SIP/2.0 {error.status} {reason}", *lines, "Content-Length: 0", "", ""])
    return text.encode("utf-8", "surrogateescape")
