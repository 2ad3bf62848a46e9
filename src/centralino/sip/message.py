"""SIP requests and responses: ``parse_message(bytes)`` and ``bytes(message)``.

Hand-written because no maintained Python library parses SIP sans-I/O with RFC 4475
behaviour (the options are parts of whole stacks with their own threads and sockets).

The parser splits the head once, keeps every header raw and in order, and checks
eagerly only what every receiver needs and what RFC 4475 says must be refused:
the start line, Content-Length framing, the mandatory single-valued headers and
Via/From/To/Contact syntax. Typed values are cached on the message until its
headers change. Only ``SipParseError`` ever escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from centralino.sip import abnf
from centralino.sip.errors import SipParseError
from centralino.sip.headers import CSeq, Headers, Via, canonical_name, parse_int, split_list
from centralino.sip.uri import URI, NameAddr

__all__ = [
    "REASON_PHRASES",
    "Message",
    "Request",
    "Response",
    "StreamFramer",
    "error_response",
    "parse_message",
    "reason_phrase",
    "split_multipart",
    "validate_request",
]

T = TypeVar("T")

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


_SINGLE = ("from", "to", "call-id", "cseq", "max-forwards", "content-length")
_REQUIRED = ("via", "from", "to", "call-id", "cseq")
_CALL_ID = re.compile(
    r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+)?"
)
_VERSION = re.compile(r"[Ss][Ii][Pp]/\d{1,3}\.\d{1,3}")


class Message:
    """What requests and responses share: headers, body and the typed accessors."""

    __slots__ = ("headers", "body", "version", "_cache", "_cache_version")

    def __init__(self, headers: Headers, body: bytes = b"", version: str = "SIP/2.0") -> None:
        self.headers = headers
        self.body = body
        self.version = version
        self._cache: dict[str, Any] = {}
        self._cache_version = headers.version

    def _typed(self, key: str, make: Callable[[], T]) -> T:
        if self._cache_version != self.headers.version:
            self._cache.clear()
            self._cache_version = self.headers.version
        try:
            value: T = self._cache[key]
        except KeyError:
            value = make()
            self._cache[key] = value
        return value

    def _one(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipParseError(f"missing {name} header")
        return value

    @property
    def via(self) -> list[Via]:
        """Every Via value, top (most recent hop) first."""
        return self._typed("via", self._parse_vias)

    def _parse_vias(self) -> list[Via]:
        out = []
        for line in self.headers.get_lines("via"):
            for part in split_list(line, keep_empty=True):
                if not part:
                    raise SipParseError("empty Via value")
                out.append(Via.parse(part))
        return out

    @property
    def top_via(self) -> Via:
        vias = self.via
        if not vias:
            raise SipParseError("missing Via header")
        return vias[0]

    def set_vias(self, vias: list[Via]) -> None:
        """Replace every Via (e.g. after adding received/rport, or popping the top one)."""
        self.headers.remove("via")
        for v in vias:
            self.headers.add("Via", str(v))

    @property
    def call_id(self) -> str:
        return self._one("call-id")

    @property
    def cseq(self) -> CSeq:
        return self._typed("cseq", lambda: CSeq.parse(self._one("cseq")))

    @property
    def from_(self) -> NameAddr:
        return self._typed("from", lambda: NameAddr.parse(self._one("from")))

    @property
    def to(self) -> NameAddr:
        return self._typed("to", lambda: NameAddr.parse(self._one("to")))

    @property
    def contact(self) -> list[NameAddr]:
        return self._typed("contact", lambda: self._name_addrs("contact"))

    @property
    def route(self) -> list[NameAddr]:
        return self._typed("route", lambda: self._name_addrs("route"))

    @property
    def record_route(self) -> list[NameAddr]:
        return self._typed("record-route", lambda: self._name_addrs("record-route"))

    def _name_addrs(self, name: str) -> list[NameAddr]:
        out = []
        for line in self.headers.get_lines(name):
            for part in split_list(line, keep_empty=True):
                if not part:
                    raise SipParseError(f"empty {name} value")
                out.append(NameAddr.parse(part))
        return out

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.get("max-forwards")
        return None if value is None else self._typed("mf", lambda: parse_int(value, "Max-Forwards", 255))

    @property
    def content_type(self) -> str | None:
        """Media type without parameters, lower-cased (``application/sdp``)."""
        value = self.headers.get("content-type")
        return None if value is None else value.split(";", 1)[0].strip(" \t").lower()

    def _head_lines(self) -> list[str]:
        parts: list[str] = []
        length_written = False
        for name, key, value in self.headers._items:
            if key == "content-length":
                if length_written:
                    continue
                value = str(len(self.body))
                length_written = True
            parts += [name, ": ", value, "\r\n"]
        if not length_written:
            parts.append(f"Content-Length: {len(self.body)}\r\n")
        parts.append("\r\n")
        return parts

    def _start_line(self) -> str:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        head = "".join([self._start_line(), "\r\n", *self._head_lines()])
        return head.encode("utf-8", "surrogateescape") + self.body


class Request(Message):
    __slots__ = ("method", "uri")

    def __init__(
        self, method: str, uri: URI, headers: Headers, body: bytes = b"", version: str = "SIP/2.0"
    ) -> None:
        super().__init__(headers, body, version)
        self.method = method
        self.uri = uri

    def _start_line(self) -> str:
        return f"{self.method} {self.uri} {self.version}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return (self.method, self.uri, self.headers, self.body, self.version) == (
            other.method,
            other.uri,
            other.headers,
            other.body,
            other.version,
        )

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.uri} call-id={self.headers.get('call-id')!r}>"

    def make_response(self, status: int, reason: str | None = None, to_tag: str | None = None) -> Response:
        """A response copying Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6).

        ``to_tag`` is added to To unless the request already had one (in-dialog).
        """
        items: list[tuple[str, str, str]] = [
            ("Via", "via", v) for _, k, v in self.headers._items if k == "via"
        ]
        to_value = self._one("to")
        if to_tag is not None and self.to.tag is None:
            to_value = f"{to_value};tag={to_tag}"
        items += [
            ("From", "from", self._one("from")),
            ("To", "to", to_value),
            ("Call-ID", "call-id", self._one("call-id")),
            ("CSeq", "cseq", self._one("cseq")),
        ]
        return Response(
            status, reason if reason is not None else reason_phrase(status), Headers._from_keyed(items)
        )


class Response(Message):
    __slots__ = ("status", "reason")

    def __init__(
        self, status: int, reason: str, headers: Headers, body: bytes = b"", version: str = "SIP/2.0"
    ) -> None:
        super().__init__(headers, body, version)
        self.status = status
        self.reason = reason

    def _start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return (self.status, self.reason, self.headers, self.body, self.version) == (
            other.status,
            other.reason,
            other.headers,
            other.body,
            other.version,
        )

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason} call-id={self.headers.get('call-id')!r}>"


def parse_message(data: bytes) -> Request | Response:
    """Parse one datagram (or one framed stream message) into a Request or Response.

    Bytes beyond Content-Length are ignored (RFC 3261 §18.3); fewer bytes than it
    announces are an error (RFC 4475 §3.1.2.2). Without Content-Length the body
    runs to the end of the data (allowed on UDP only; the stream framer insists).
    """
    try:
        return _parse(data)
    except SipParseError:
        raise
    except (ValueError, IndexError, KeyError, UnicodeError, OverflowError, RecursionError) as exc:
        raise SipParseError(f"unparseable message ({type(exc).__name__})") from exc


def _parse(data: bytes) -> Request | Response:
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        raise SipParseError("no blank line ending the headers")
    head = data[start:end].decode("utf-8", "surrogateescape")
    lines = head.split("\r\n")
    first = lines[0]
    is_response = first[:4].upper() == "SIP/"
    drop = None if is_response else 400
    try:
        items = _header_items(lines)
        headers = Headers._from_keyed(items)
        body = _body(data, end + 4, headers)
        msg: Request | Response
        msg = _response(first, headers, body) if is_response else _request(first, headers, body)
        _check_headers(msg)
    except SipParseError as err:
        if err.status == 400 and drop is None:
            err.status = None
        raise
    return msg


def _header_items(lines: list[str]) -> list[tuple[str, str, str]]:
    items: list[tuple[str, str, str]] = []
    for line in lines[1:]:
        if "\r" in line or "\n" in line:
            raise SipParseError("bare CR or LF in a header")
        if line[:1] in (" ", "\t"):
            if not items:
                raise SipParseError("continuation line before any header")
            name, key, value = items[-1]
            items[-1] = (name, key, (value + " " + line.strip(" \t")).strip(" "))
            continue
        colon = line.find(":")
        if colon <= 0:
            raise SipParseError(f"header line without a name: {line[:40]!r}")
        name = line[:colon].rstrip(" \t")
        if not abnf.TOKEN.fullmatch(name):
            raise SipParseError(f"bad header name {name[:40]!r}")
        items.append((name, canonical_name(name), line[colon + 1 :].strip(" \t")))
    return items


def _body(data: bytes, offset: int, headers: Headers) -> bytes:
    lengths = headers.get_lines("content-length")
    if not lengths:
        return data[offset:]
    if len(lengths) > 1:
        raise SipParseError("more than one Content-Length")
    length = parse_int(lengths[0], "Content-Length", 2**31 - 1)
    if len(data) - offset < length:
        raise SipParseError(f"body shorter than Content-Length {length}")
    return data[offset : offset + length]


def _request(first: str, headers: Headers, body: bytes) -> Request:
    parts = first.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipParseError("request line is not METHOD SP Request-URI SP SIP-Version")
    method, uri_text, version = parts
    if not abnf.TOKEN.fullmatch(method):
        raise SipParseError(f"bad method {method[:30]!r}")
    if not _VERSION.fullmatch(version):
        raise SipParseError(f"bad SIP version {version[:20]!r}")
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"SIP version {version} is not supported", 505)
    uri = URI.parse(uri_text)
    if uri.headers:
        raise SipParseError("headers are not allowed in a Request-URI")
    return Request(method, uri, headers, body, "SIP/2.0")


def _response(first: str, headers: Headers, body: bytes) -> Response:
    parts = first.split(" ", 2)
    if len(parts) != 3:
        raise SipParseError("status line is not SIP-Version SP Status-Code SP Reason-Phrase", None)
    version, code, reason = parts
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"response version {version[:20]!r}", None)
    if len(code) != 3 or not code.isdigit() or not code.isascii() or not 100 <= int(code) <= 699:
        raise SipParseError(f"bad status code {code[:20]!r}", None)
    return Response(int(code), reason, headers, body, "SIP/2.0")


def _check_headers(msg: Request | Response) -> None:
    headers = msg.headers
    for key in _REQUIRED:
        if headers.get(key) is None:
            raise SipParseError(f"missing {key} header")
    for key in _SINGLE:
        if headers.count(key) > 1:
            raise SipParseError(f"more than one {key} header")
    if not _CALL_ID.fullmatch(msg.call_id):
        raise SipParseError(f"bad Call-ID {msg.call_id[:40]!r}")
    cseq = msg.cseq
    # Parse now so a bad Via or address is refused here, not deep in a transaction.
    _ = (msg.via, msg.from_, msg.to, msg.contact, msg.max_forwards)
    if isinstance(msg, Request) and cseq.method != msg.method:
        unknown = msg.method not in abnf.KNOWN_METHODS
        raise SipParseError(f"CSeq method {cseq.method} differs from {msg.method}", 501 if unknown else 400)


_STREAM_LENGTH = re.compile(
    rb"(?:^|\r\n)(?:content-length|l)[ \t]*:[ \t]*([0-9]{1,10})[ \t]*(?=\r\n|$)", re.I
)


class StreamFramer:
    """Cuts a TCP/TLS byte stream into messages by Content-Length (RFC 3261 §18.3).

    ``feed`` returns complete messages in order; RFC 5626 keep-alives come out as
    ``PING`` (CRLFCRLF, answer with ``PONG``) and ``PONG`` (a lone CRLF). A framing
    error raises ``SipParseError``: the stream is unrecoverable, close it.
    """

    PING = b"\r\n\r\n"
    PONG = b"\r\n"

    def __init__(self, max_message: int = 256 * 1024) -> None:
        self._buf = bytearray()
        self._max = max_message

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        out: list[bytes] = []
        while buf:
            if buf[0] == 0x0D:
                if buf.startswith(b"\r\n\r\n"):
                    out.append(self.PING)
                    del buf[:4]
                    continue
                if buf.startswith(b"\r\n") and (len(buf) == 2 or buf[2] != 0x0D):
                    out.append(self.PONG)
                    del buf[:2]
                    continue
                if len(buf) < 4 and b"\r\n\r\n".startswith(bytes(buf)):
                    break  # the rest of a keep-alive is on its way
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > self._max:
                    raise SipParseError("headers larger than the stream limit", 413)
                break
            match = _STREAM_LENGTH.search(bytes(buf[:end]))
            if match is None:
                raise SipParseError("Content-Length is required on stream transports")
            total = end + 4 + int(match.group(1))
            if total > self._max:
                raise SipParseError("message larger than the stream limit", 413)
            if len(buf) < total:
                break
            out.append(bytes(buf[:total]))
            del buf[:total]
        return out

    @property
    def buffered(self) -> int:
        return len(self._buf)


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


def split_multipart(body: bytes, content_type: str) -> list[tuple[Headers, bytes]]:
    """The parts of a ``multipart/*`` body (RFC 2046 §5.1), each as (headers, bytes).

    Binary parts are returned untouched; only the delimiters are interpreted.
    """
    boundary = None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip(" \t").lower() == "boundary":
            boundary = value.strip(" \t").strip('"')
    if not boundary:
        raise SipParseError("multipart Content-Type without a boundary")
    delimiter = b"--" + boundary.encode("utf-8", "surrogateescape")
    pieces = (b"\r\n" + body).split(b"\r\n" + delimiter)
    parts: list[tuple[Headers, bytes]] = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break
        _, _, piece = piece.partition(b"\r\n")
        head, sep, content = piece.partition(b"\r\n\r\n")
        if not sep:
            head, content = (b"", piece[2:]) if piece.startswith(b"\r\n") else (piece, b"")
        items = []
        for line in head.decode("utf-8", "surrogateescape").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                items.append((name.strip(" \t"), value.strip(" \t")))
        parts.append((Headers(items), content))
    return parts


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
