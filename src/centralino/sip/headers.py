"""Header fields: an ordered, case-insensitive multi-map plus the typed values the
transaction layer reads on every message (Via, CSeq).

Values are kept raw (folding already replaced by one space, RFC 3261 §7.3.1) and
typed on demand; unknown headers stay in their place and order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from centralino.sip import abnf
from centralino.sip.errors import SipParseError
from centralino.sip.uri import (
    _FAST_HOSTPORT_TEXT,
    _FAST_PARAMS_TEXT,
    _fast_params,
    _split_hostport,
    format_params,
    parse_params,
)

__all__ = [
    "COMPACT_FORMS",
    "LIST_HEADERS",
    "CSeq",
    "Headers",
    "Via",
    "canonical_name",
    "parse_int",
    "split_list",
]

COMPACT_FORMS: dict[str, str] = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
    "o": "event",
    "r": "refer-to",
    "b": "referred-by",
    "x": "session-expires",
    "u": "allow-events",
    "a": "accept-contact",
    "j": "reject-contact",
    "d": "request-disposition",
    "y": "identity",
    "n": "identity-info",
}

# Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1 allows splitting them).
LIST_HEADERS = frozenset(
    {
        "via",
        "contact",
        "route",
        "record-route",
        "path",
        "service-route",
        "allow",
        "supported",
        "require",
        "proxy-require",
        "unsupported",
        "accept",
        "accept-encoding",
        "accept-language",
        "allow-events",
        "content-encoding",
        "content-language",
        "in-reply-to",
        "warning",
        "call-info",
        "alert-info",
        "error-info",
        "p-asserted-identity",
        "p-preferred-identity",
        "reason",
        "history-info",
        "privacy",
        "security-client",
        "security-server",
        "security-verify",
        "accept-contact",
        "reject-contact",
        "request-disposition",
    }
)

_PRETTY = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
}


def _lower_long_form(name: str) -> str:
    low = name.lower()
    return COMPACT_FORMS.get(low, low)


def pretty_name(key: str) -> str:
    return _PRETTY.get(key) or "-".join(part.capitalize() for part in key.split("-"))


# The spellings seen on the wire for the usual headers, mapped to their key: one dict
# lookup instead of lower() + compact-form lookup per header line. Every entry is a
# token, so the parser can skip the header-name check for these.
_COMMON_HEADERS = (
    *COMPACT_FORMS.values(),
    *LIST_HEADERS,
    "call-id", "cseq", "max-forwards", "user-agent", "server", "expires", "min-expires",
    "authorization", "www-authenticate", "proxy-authenticate", "proxy-authorization",
    "authentication-info", "date", "organization", "timestamp", "min-se", "subscription-state",
    "replaces", "content-disposition", "mime-version", "rseq", "rack", "priority", "reply-to",
    "retry-after", "p-charging-vector", "p-access-network-info", "diversion", "x-asterisk-hangupcause",
)  # fmt: skip
_KNOWN_NAMES: dict[str, str] = {}
for _key in _COMMON_HEADERS:
    _title = "-".join(part.capitalize() for part in _key.split("-"))
    for _spelling in (_key, _key.upper(), pretty_name(_key), _title):
        _KNOWN_NAMES[_spelling] = _lower_long_form(_spelling)
for _short in COMPACT_FORMS:
    _KNOWN_NAMES[_short] = _KNOWN_NAMES[_short.upper()] = COMPACT_FORMS[_short]
del _key, _title, _spelling, _short


def canonical_name(name: str) -> str:
    """Lower-case long form: ``"V"`` and ``"VIA"`` both become ``"via"``."""
    return _KNOWN_NAMES.get(name) or _lower_long_form(name)


def split_list(value: str, *, keep_empty: bool = False) -> list[str]:
    """Split a list header on commas outside quotes and ``<...>``."""
    if "," not in value:
        stripped = value.strip(" \t")
        return [stripped] if stripped or keep_empty else []
    if '"' not in value and "<" not in value:
        out = [p.strip(" \t") for p in value.split(",")]
        return out if keep_empty else [p for p in out if p]
    return _split_list_general(value, keep_empty)


def _split_list_general(value: str, keep_empty: bool) -> list[str]:
    parts: list[str] = []
    start = 0
    in_quotes = False
    in_angle = False
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if in_quotes:
            if c == "\\":
                i += 1
            elif c == '"':
                in_quotes = False
        elif c == '"':
            in_quotes = True
        elif c == "<":
            in_angle = True
        elif c == ">":
            in_angle = False
        elif c == "," and not in_angle:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    out = [p.strip(" \t") for p in parts]
    return out if keep_empty else [p for p in out if p]


class Headers:
    """Ordered multi-valued header fields, looked up case-insensitively and by compact form.

    Iteration yields ``(name, value)`` with the names as received. ``version``
    changes on every mutation so messages can cache typed values safely. Lookups
    go through an index of first values, rebuilt after a mutation when next needed.
    """

    __slots__ = ("_items", "version", "_first")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str, str]] = [(n, canonical_name(n), v) for n, v in items]
        self.version = 0
        self._first: dict[str, str] | None = None

    @classmethod
    def _from_keyed(cls, items: list[tuple[str, str, str]], first: dict[str, str] | None = None) -> Headers:
        h = cls.__new__(cls)
        h._items = items
        h.version = 0
        h._first = first
        return h

    def _index(self) -> dict[str, str]:
        first = self._first
        if first is None:
            first = self._first = {k: v for _, k, v in reversed(self._items)}
        return first

    def _changed(self) -> None:
        self.version += 1
        self._first = None

    def get(self, name: str) -> str | None:
        """First value of ``name`` (raw, unsplit), or None."""
        return self._index().get(_KNOWN_NAMES.get(name) or _lower_long_form(name))

    def get_lines(self, name: str) -> list[str]:
        """Every field value of ``name`` as received, one per header line."""
        key = canonical_name(name)
        return [v for _, k, v in self._items if k == key]

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``; list headers are split on top-level commas."""
        key = canonical_name(name)
        values = [v for _, k, v in self._items if k == key]
        if key not in LIST_HEADERS:
            return values
        out: list[str] = []
        for v in values:
            out.extend(split_list(v))
        return out

    def count(self, name: str) -> int:
        key = canonical_name(name)
        return sum(1 for _, k, _v in self._items if k == key)

    def add(self, name: str, value: str) -> None:
        self._items.append((name, canonical_name(name), value))
        self._changed()

    def prepend(self, name: str, value: str) -> None:
        """Insert before every other field (a proxy's new top Via, a new Route)."""
        self._items.insert(0, (name, canonical_name(name), value))
        self._changed()

    def set(self, name: str, value: str) -> None:
        """Replace every value of ``name`` with one, keeping the first one's position."""
        key = canonical_name(name)
        for i, (n, k, _v) in enumerate(self._items):
            if k == key:
                self._items[i] = (n, k, value)
                self._items[i + 1 :] = [t for t in self._items[i + 1 :] if t[1] != key]
                self._changed()
                return
        self.add(name, value)

    def remove(self, name: str) -> None:
        key = canonical_name(name)
        self._items = [t for t in self._items if t[1] != key]
        self._changed()

    def copy(self) -> Headers:
        return Headers._from_keyed(list(self._items), self._first)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for n, _k, v in self._items:
            yield n, v

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return [(k, v) for _, k, v in self._items] == [(k, v) for _, k, v in other._items]

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"


_VIA = re.compile(
    r"[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*"
    r"([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+([^;]+)"
)
# The usual Via, written the one way every stack writes it; others take _VIA.
_FAST_VIA = re.compile(rf"SIP/2\.0/([A-Za-z0-9\-.!%*_+`'~]+) {_FAST_HOSTPORT_TEXT}({_FAST_PARAMS_TEXT})")


_FAST_CSEQ = re.compile(r"([0-9]{1,10}) ([A-Za-z0-9\-.!%*_+`'~]+)")


@dataclass
class Via:
    """One Via value (RFC 3261 §20.42); ``params`` keeps branch, received, rport ..."""

    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    protocol: str = "SIP/2.0"

    @classmethod
    def parse(cls, text: str) -> Via:
        m = _FAST_VIA.fullmatch(text)
        if m is not None:
            transport, host, port_text, param_text = m.groups()
            port = int(port_text) if port_text is not None else None
            if port is None or port <= 65535:
                return cls(transport.upper(), host, port, _fast_params(param_text), "SIP/2.0")
        return cls._parse_general(text)

    @classmethod
    def _parse_general(cls, text: str) -> Via:
        m = _VIA.match(text)
        if m is None:
            raise SipParseError(f"bad Via: {text[:60]!r}")
        name, version, transport, sent_by = m.groups()
        sent_by = sent_by.strip(" \t").replace(" ", "").replace("\t", "")
        host, port = _split_hostport(sent_by, text)
        return cls(transport.upper(), host, port, parse_params(text[m.end() :]), f"{name.upper()}/{version}")

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def has_rfc3261_branch(self) -> bool:
        """True when the branch carries the magic cookie *and* an identifier (RFC 4475 §3.2.1)."""
        b = self.branch
        return b is not None and b.startswith("z9hG4bK") and len(b) > 7

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        """The rport value a server filled in (RFC 3581), else None."""
        value = self.params.get("rport")
        return int(value) if value is not None and value.isdigit() and len(value) <= 5 else None

    @property
    def rport_requested(self) -> bool:
        return "rport" in self.params

    @property
    def sent_by(self) -> tuple[str, int | None]:
        return self.host, self.port

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.protocol}/{self.transport} {self.host}{port}{format_params(self.params)}"


@dataclass(frozen=True)
class CSeq:
    """``CSeq: 4711 INVITE``; the number must stay below 2**31 (RFC 3261 §8.1.1.5)."""

    seq: int
    method: str

    @classmethod
    def parse(cls, text: str) -> CSeq:
        m = _FAST_CSEQ.fullmatch(text)
        if m is not None and (seq := int(m.group(1))) < 2**31:
            return cls(seq, m.group(2))
        return cls._parse_general(text)

    @classmethod
    def _parse_general(cls, text: str) -> CSeq:
        parts = text.split()
        if len(parts) != 2 or not abnf.TOKEN.fullmatch(parts[1]):
            raise SipParseError(f"bad CSeq: {text[:60]!r}")
        return cls(parse_int(parts[0], "CSeq", 2**31 - 1), parts[1])

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_int(text: str, what: str, maximum: int) -> int:
    """A 1*DIGIT field within ``0..maximum`` (leading zeros allowed, like ``0068``)."""
    text = text.strip(" \t")
    if not text or len(text) > 20 or not text.isdigit() or not text.isascii():
        raise SipParseError(f"{what} is not a number: {text[:30]!r}")
    value = int(text)
    if value > maximum:
        raise SipParseError(f"{what} {text[:30]} is larger than {maximum}")
    return value
