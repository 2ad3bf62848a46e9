"""Message chores of the transaction layer that the wire-format modules do not cover.

Where responses go (§18.2.2 with RFC 3581), the Via stamping of §18.2.1, the
ACK for a non-2xx final response (§17.1.1.3), and answers to input that did
not parse (the typed parser refused it, so these work on the raw header
lines). Kept apart from ``transaction_layer`` so that module stays about
matching.
"""

from __future__ import annotations

from centralino.sip.headers import Headers
from centralino.sip.message import Request, Response
from centralino.sip.transaction import Address

__all__ = [
    "ack_for_non_2xx", "error_response_for_raw", "request_head_kind", "response_address", "stamp_via",
    "to_tag_of",
]

_DEFAULT_PORT = {"UDP": 5060, "TCP": 5060, "TLS": 5061, "WS": 80, "WSS": 443}


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def stamp_via(request: Request, source: Address) -> None:
    """§18.2.1 and RFC 3581 §4: add ``received`` when the sent-by host differs from the
    packet's source, and fill ``rport`` with the source port when the client asked for it."""
    vias = request.via
    top = vias[0]
    changed = False
    if _bare(top.host) != source.host or top.rport_requested:
        top.params["received"] = source.host
        changed = True
    if top.rport_requested:
        top.params["rport"] = str(source.port)
        changed = True
    if changed:
        request.set_vias(vias)


def response_address(request: Request, source: Address) -> Address:
    """Where the responses to ``request`` go (§18.2.2, RFC 3581 §4).

    Reliable transports answer on the connection the request came in on (the
    source). Over UDP: ``maddr`` if present, else the ``received`` address
    (the source) at the ``rport`` if filled, else at the sent-by port.
    """
    if source.reliable:
        return source
    via = request.top_via
    port = via.port or _DEFAULT_PORT.get(via.transport, 5060)
    maddr = via.params.get("maddr")
    if maddr:
        return Address(source.transport, _bare(maddr), port)
    if via.rport is not None:
        return Address(source.transport, via.received or source.host, via.rport)
    host = via.received or _bare(via.host)
    return Address(source.transport, host, port)


def to_tag_of(message: Request | Response) -> str | None:
    return message.to.tag


def ack_for_non_2xx(request: Request, response: Response) -> Request:
    """§17.1.1.3: same Request-URI, Call-ID, From, CSeq number and top Via as the INVITE,
    the To of the response, the INVITE's Route headers, no body."""
    headers = Headers()
    vias = request.headers.get_all("Via")
    headers.add("Via", vias[0] if vias else "")
    headers.add("Max-Forwards", "70")
    for route in request.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("From", request.headers.get("From") or "")
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq.seq} ACK")
    headers.add("Content-Length", "0")
    return Request("ACK", request.uri, headers, b"")


def request_head_kind(data: bytes) -> str:
    """Classify by the first bytes, before parsing: "response", "ack", "cancel" or "request".

    The rate limiter spends tokens only on "request" (responses, ACK and CANCEL
    belong to transactions already admitted).
    """
    head = data.lstrip(b"\r\n")[:8]
    if head.startswith(b"SIP/"):
        return "response"
    if head.startswith(b"ACK "):
        return "ack"
    if head.startswith(b"CANCEL "):
        return "cancel"
    return "request"


_ECHOED = {"via": "Via", "v": "Via", "from": "From", "f": "From", "to": "To", "t": "To",
           "call-id": "Call-ID", "i": "Call-ID", "cseq": "CSeq"}


PHRASES = {400: "Bad Request", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
           415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 420: "Bad Extension",
           483: "Too Many Hops", 501: "Not Implemented", 503: "Service Unavailable",
           505: "Version Not Supported", 513: "Message Too Large"}


def error_response_for_raw(data: bytes, status: int, *, warning: str | None = None,
                           extra: list[str] | None = None) -> bytes | None:
    """A response for a request the parser refused, echoing the raw Via/From/To/Call-ID/CSeq.

    None when ``data`` is a response or an ACK (never answered, §17.2.1 / §18.1.2),
    or when the fields needed to route and match the answer are missing.
    """
    head, _, _ = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    if not lines or kind_of_start(lines[0]) != "request":
        return None
    echoed: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        pretty = _ECHOED.get(name.strip().lower())
        if colon and pretty:
            echoed.append((pretty, value.strip()))
    present = {name for name, _ in echoed}
    if not {"Via", "From", "To", "Call-ID", "CSeq"} <= present:
        return None
    out = [f"SIP/2.0 {status} {PHRASES.get(status, 'Bad Request')}"]
    for name, value in echoed:
        if name == "To" and ";tag=" not in value.replace(" ", "").lower():
            value += ";tag=stateless"
        out.append(f"{name}: {value}")
    if warning:
        out.append(f'Warning: 399 centralino "{_clean(warning)}"')
    out += extra or []
    out.append("Content-Length: 0")
    return ("\r\n".join(out) + "\r\n\r\n").encode()


def kind_of_start(line: str) -> str:
    parts = line.split(" ")
    if line.startswith("SIP/"):
        return "response"
    if len(parts) == 3 and parts[2].upper().startswith("SIP/") and parts[0] != "ACK":
        return "request"
    return "other"


def _clean(reason: str) -> str:
    """A parser message as Warning text: one line, printable, no quotes, not too long."""
    text = "".join(c if c.isprintable() and c not in '"\\' else " " for c in reason).strip()
    return text[:120]
