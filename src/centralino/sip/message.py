"""SIP requests and responses: ``parse_message(bytes)`` and ``bytes(message)``.

Hand-written because no maintained Python library parses SIP sans-I/O with RFC 4475
behaviour (the options are parts of whole stacks with their own threads and sockets).

The parser splits the head once, keeps every header raw and in order, and checks
eagerly only what every receiver needs and what RFC 4475 says must be refused:
the start line, Content-Length framing, the mandatory single-valued headers and
Via/From/To/Contact syntax. Typed values are cached on the message until its
headers change. Only ``SipParseError`` ever escapes.

Speed matters (every call through the B2BUA parses and writes a dozen messages per
leg), so the common shapes take fast paths: the header block is split with one
``str.split`` when it has no folding or stray CR/LF, known header names map to their
key with one dict lookup, and Via/From/To/Contact/URIs are matched by fast patterns
that accept a subset of the grammar (the general code handles the rest). A message
whose header lines were already in canonical form (``Name: value``) and whose
headers were not changed since parsing is written back from its raw header block.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from centralino.sip import abnf
from centralino.sip.errors import SipParseError
from centralino.sip.framing import StreamFramer, split_multipart
from centralino.sip.headers import (
    _KNOWN_NAMES,
    CSeq,
    Headers,
    Via,
    canonical_name,
    parse_int,
    split_list,
)
from centralino.sip.uri import URI, NameAddr, _fast_name_addr_ok
from centralino.sip.validation import (
    REASON_PHRASES,
    error_response,
    reason_phrase,
    unsupported_options,
    validate_request,
)

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
    "unsupported_options",
    "validate_request",
]

T = TypeVar("T")

_SINGLE = ("from", "to", "call-id", "cseq", "max-forwards", "content-length")
_REQUIRED = ("via", "from", "to", "call-id", "cseq")
_REQUIRED_SET = frozenset(_REQUIRED)
_CALL_ID = re.compile(
    r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+)?"
)
_VERSION = re.compile(r"[Ss][Ii][Pp]/\d{1,3}\.\d{1,3}")
# Raw header block kept for writing back: (headers it belongs to, their version, bytes, body length).
_Raw = tuple[Headers, int, bytes, int]


class Message:
    """What requests and responses share: headers, body and the typed accessors."""

    __slots__ = ("headers", "body", "version", "_cache", "_cache_for", "_cache_version", "_raw")

    def __init__(self, headers: Headers, body: bytes = b"", version: str = "SIP/2.0") -> None:
        self.headers = headers
        self.body = body
        self.version = version
        self._cache: dict[str, Any] = {}
        self._cache_for = headers
        self._cache_version = headers.version
        self._raw: _Raw | None = None

    def _valid_cache(self) -> dict[str, Any]:
        """The typed-value cache, emptied if the headers were changed or replaced since it was filled."""
        headers = self.headers
        if self._cache_version != headers.version or self._cache_for is not headers:
            self._cache = {}
            self._cache_for = headers
            self._cache_version = headers.version
        return self._cache

    def _typed(self, key: str, make: Callable[[], T]) -> T:
        cache = self._valid_cache()
        try:
            value: T = cache[key]
        except KeyError:
            value = cache[key] = make()
        return value

    def _one(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipParseError(f"missing {name} header")
        return value

    @property
    def via(self) -> list[Via]:
        """Every Via value, top (most recent hop) first."""
        cache = self._valid_cache()
        try:
            value: list[Via] = cache["via"]
        except KeyError:
            value = cache["via"] = self._parse_vias()
        return value

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
        """Replace every Via (e.g. after adding received/rport, or popping the top one).

        The new values take the place of the first old one, and the typed values of the other
        headers stay cached: the layer stamps the Via of every request it receives, and
        re-parsing From, To and CSeq after that would double the cost of each message.
        """
        cache = self._valid_cache()
        headers = self.headers
        items = headers._items
        at = next((i for i, item in enumerate(items) if item[1] == "via"), len(items))
        items[:] = [item for item in items if item[1] != "via"]
        items[at:at] = [("Via", "via", str(v)) for v in vias]
        headers._changed()
        cache["via"] = list(vias)
        self._cache_version = headers.version

    @property
    def call_id(self) -> str:
        return self._one("call-id")

    @property
    def cseq(self) -> CSeq:
        cache = self._valid_cache()
        try:
            value: CSeq = cache["cseq"]
        except KeyError:
            value = cache["cseq"] = CSeq.parse(self._one("cseq"))
        return value

    @property
    def from_(self) -> NameAddr:
        cache = self._valid_cache()
        try:
            value: NameAddr = cache["from"]
        except KeyError:
            value = cache["from"] = NameAddr.parse(self._one("from"))
        return value

    @property
    def to(self) -> NameAddr:
        cache = self._valid_cache()
        try:
            value: NameAddr = cache["to"]
        except KeyError:
            value = cache["to"] = NameAddr.parse(self._one("to"))
        return value

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
            parts.append(f"{name}: {value}\r\n")
        if not length_written:
            parts.append(f"Content-Length: {len(self.body)}\r\n")
        parts.append("\r\n")
        return parts

    def _start_line(self) -> str:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        raw = self._raw
        body = self.body
        if raw is not None:
            headers = self.headers
            if raw[0] is headers and raw[1] == headers.version and raw[3] == len(body):
                start = self._start_line().encode("utf-8", "surrogateescape")
                return b"".join((start, b"\r\n", raw[2], b"\r\n", body))
        head = "".join([self._start_line(), "\r\n", *self._head_lines()])
        return head.encode("utf-8", "surrogateescape") + body


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
    try:
        headers, repeated, canonical = _read_headers(head, lines)
        index = headers._index()
        body = _body(data, end + 4, index, repeated)
        msg: Request | Response
        msg = _response(first, headers, body) if is_response else _request(first, headers, body)
        _check_headers(msg, index, repeated)
    except SipParseError as err:
        if err.status == 400 and is_response:
            err.status = None
        raise
    if canonical and index.get("content-length") == str(len(body)):
        first_end = data.find(b"\r\n", start)
        msg._raw = (headers, headers.version, data[first_end + 2 : end + 2], len(body))
    return msg


def _read_headers(head: str, lines: list[str]) -> tuple[Headers, set[str], bool]:
    """The header fields, the keys that occur more than once, and whether every line is canonical.

    Canonical means ``Name: value`` exactly as the writer would print it, so the raw
    block can be written back unchanged.
    """
    count = len(lines) - 1
    if head.count("\r") != count or head.count("\n") != count or "\r\n " in head or "\r\n\t" in head:
        items = _header_items(lines)  # folding or stray CR/LF: the general path
        canonical = False
    else:
        items = []
        append = items.append
        canonical = True
        known = _KNOWN_NAMES
        for line in lines[1:]:
            name, sep, value = line.partition(": ")
            key = known.get(name)
            if key is not None and sep:
                stripped = value.strip(" \t")
                if stripped is not value:  # str.strip returns the same object when nothing was stripped
                    canonical = False
            else:
                name, key = _header_name(line)
                stripped = line[line.find(":") + 1 :].strip(" \t")
                if canonical and line != f"{name}: {stripped}":
                    canonical = False
            append((name, key, stripped))
    first = {k: v for _, k, v in reversed(items)}
    repeated: set[str] = set()
    if len(first) != len(items):
        seen: set[str] = set()
        for _, key, _value in items:
            if key in seen:
                repeated.add(key)
            seen.add(key)
    return Headers._from_keyed(items, first), repeated, canonical


def _header_name(line: str) -> tuple[str, str]:
    """Name and key of a header line whose name is not one of the usual spellings."""
    colon = line.find(":")
    if colon <= 0:
        raise SipParseError(f"header line without a name: {line[:40]!r}")
    name = line[:colon].rstrip(" \t")
    if not abnf.TOKEN.fullmatch(name):
        raise SipParseError(f"bad header name {name[:40]!r}")
    return name, canonical_name(name)


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
        name, key = _header_name(line)
        items.append((name, key, line[line.find(":") + 1 :].strip(" \t")))
    return items


def _body(data: bytes, offset: int, index: dict[str, str], repeated: set[str]) -> bytes:
    text = index.get("content-length")
    if text is None:
        return data[offset:]
    if "content-length" in repeated:
        raise SipParseError("more than one Content-Length")
    length = parse_int(text, "Content-Length", 2**31 - 1)
    if len(data) - offset < length:
        raise SipParseError(f"body shorter than Content-Length {length}")
    return data[offset : offset + length]


def _request(first: str, headers: Headers, body: bytes) -> Request:
    parts = first.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipParseError("request line is not METHOD SP Request-URI SP SIP-Version")
    method, uri_text, version = parts
    if method not in abnf.KNOWN_METHODS and not abnf.TOKEN.fullmatch(method):
        raise SipParseError(f"bad method {method[:30]!r}")
    if version != "SIP/2.0":
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


def _check_headers(msg: Request | Response, index: dict[str, str], repeated: set[str]) -> None:
    if not index.keys() >= _REQUIRED_SET:
        missing = next(key for key in _REQUIRED if key not in index)
        raise SipParseError(f"missing {missing} header")
    if repeated:
        for key in _SINGLE:
            if key in repeated:
                raise SipParseError(f"more than one {key} header")
    call_id = index["call-id"]
    if not _CALL_ID.fullmatch(call_id):
        raise SipParseError(f"bad Call-ID {call_id[:40]!r}")
    # Parsed now so a bad Via or address is refused here, not deep in a transaction. Via, From
    # and To are read for nearly every message (matching, tags), so they are built and cached
    # at once rather than matched here and matched again on first access.
    cache = msg._cache
    cseq = cache["cseq"] = CSeq.parse(index["cseq"])
    cache["via"] = msg._parse_vias()
    cache["from"] = NameAddr.parse(index["from"])
    cache["to"] = NameAddr.parse(index["to"])
    contact = index.get("contact")
    if contact is not None and ("contact" in repeated or "," in contact or not _fast_name_addr_ok(contact)):
        cache["contact"] = msg._name_addrs("contact")
    max_forwards = index.get("max-forwards")
    if max_forwards is not None:
        usual = len(max_forwards) <= 3 and max_forwards.isascii() and max_forwards.isdigit()
        hops = int(max_forwards) if usual else 256
        cache["mf"] = hops if hops <= 255 else parse_int(max_forwards, "Max-Forwards", 255)
    if isinstance(msg, Request) and cseq.method != msg.method:
        unknown = msg.method not in abnf.KNOWN_METHODS
        raise SipParseError(f"CSeq method {cseq.method} differs from {msg.method}", 501 if unknown else 400)
