"""SIP URIs and name-addr values (RFC 3261 §19.1, §20.10, §25.1).

User, password, parameters and URI headers are stored unescaped (``%40`` → ``@``)
and re-escaped on output, so ``URI.parse(str(u)) == u`` and comparison follows
§19.1.4. URIs of other schemes (``tel:``, ``http:``, unknown) keep their text in
``opaque``: the wire layer carries them, the application decides (416).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from centralino.sip import abnf
from centralino.sip.errors import SipParseError

__all__ = ["URI", "NameAddr", "parse_params", "format_params"]

_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
_USER_OK = _UNRESERVED + "&=+$,;?/"
_PASSWORD_OK = _UNRESERVED + "&=+$,"
_PARAM_OK = _UNRESERVED + "[]/:&+$"
_HEADER_OK = _UNRESERVED + "[]/?:+$"
_SIP_SCHEMES = ("sip", "sips")
# Parameters that, when present in one SIP URI only, make two URIs differ (§19.1.4).
_MUST_MATCH = ("user", "ttl", "method", "maddr", "transport")

# Fast paths. Each pattern accepts a strict subset of what the general code accepts
# (no escapes, no quoted-pairs, no optional whitespace) and yields the same value;
# anything else takes the general path, which has the last word on errors. All are
# runs of character classes with distinct delimiters, so matching stays linear.
_TOKEN = r"A-Za-z0-9\-.!%*_+`'~"
# A parameter value: a word without quote or backslash, or a quoted string without
# quoted-pairs or ';' (so that splitting the parameters on ';' is exact).
_FAST_VALUE = rf"""(?:[{_TOKEN}()<>:/\[\]?{{}}]+|"[^"\\;]*")"""
_FAST_PARAMS_TEXT = rf"(?:;[{_TOKEN}]+(?:={_FAST_VALUE})?)*"
_FAST_HOSTPORT_TEXT = r"([A-Za-z0-9][A-Za-z0-9\-.]*)(?::([0-9]{1,5}))?"
_URI_PARAM = r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$]+"
_FAST_PARAMS = re.compile(_FAST_PARAMS_TEXT)
_FAST_SIP_URI = re.compile(
    rf"(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,;?/]+)@)?{_FAST_HOSTPORT_TEXT}((?:;{_URI_PARAM}(?:={_URI_PARAM})?)*)"
)
_FAST_NAME_ADDR = re.compile(
    rf"""(?:"([^"\\]*)"[ \t]*|([{_TOKEN}]+(?: [{_TOKEN}]+)*)[ \t]*)?<([^>]*)>({_FAST_PARAMS_TEXT})"""
)


def _fast_params(text: str) -> dict[str, str | None]:
    """``;a=b;c`` already matched by a fast pattern: split it, lower-casing the names."""
    params: dict[str, str | None] = {}
    if text:
        for part in text[1:].split(";"):
            name, eq, value = part.partition("=")
            params[name.lower()] = value if eq else None
    return params


def _fast_uri_ok(text: str) -> bool:
    """True when ``URI.parse(text)`` takes the fast path (so it cannot fail)."""
    m = _FAST_SIP_URI.fullmatch(text)
    return m is not None and (m.group(4) is None or int(m.group(4)) <= 65535)


def _fast_name_addr_ok(text: str) -> bool:
    """True when ``NameAddr.parse(text)`` takes the fast path all the way (so it cannot fail)."""
    m = _FAST_NAME_ADDR.fullmatch(text)
    return m is not None and _fast_uri_ok(m.group(3))


@dataclass
class URI:
    """A URI; for ``sip``/``sips`` the parts of §19.1.1, otherwise ``opaque``."""

    scheme: str
    user: str | None = None
    password: str | None = None
    host: str = ""
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    opaque: str | None = None

    @classmethod
    def parse(cls, text: str) -> URI:
        """Parse one URI (no surrounding ``<>`` or whitespace allowed)."""
        m = _FAST_SIP_URI.fullmatch(text)
        if m is not None:
            scheme, user, host, port_text, param_text = m.groups()
            port = int(port_text) if port_text is not None else None
            if port is None or port <= 65535:
                return cls(scheme, user, None, host, port, _fast_params(param_text), {})
        return cls._parse_general(text)

    @classmethod
    def _parse_general(cls, text: str) -> URI:
        """The whole grammar (escapes, passwords, IPv6, URI headers, other schemes)."""
        colon = text.find(":")
        if colon <= 0 or not abnf.SCHEME.fullmatch(text, 0, colon):
            raise SipParseError(f"not a URI: {text[:60]!r}")
        scheme = text[:colon].lower()
        rest = text[colon + 1 :]
        if scheme not in _SIP_SCHEMES:
            if not rest or any(c in ' \t\r\n<>"' or c < " " for c in rest):
                raise SipParseError(f"malformed {scheme} URI: {text[:60]!r}")
            return cls(scheme=scheme, opaque=rest)
        return cls._parse_sip(scheme, rest, text)

    @classmethod
    def _parse_sip(cls, scheme: str, rest: str, text: str) -> URI:
        user = password = None
        at = rest.rfind("@")
        if at >= 0:
            userinfo, rest = rest[:at], rest[at + 1 :]
            user_text, _, pw_text = userinfo.partition(":")
            if not abnf.USER_CHARS.fullmatch(user_text) or not abnf.PASSWORD_CHARS.fullmatch(pw_text):
                raise SipParseError(f"bad user part in {text[:60]!r}")
            user = abnf.unescape(user_text)
            password = abnf.unescape(pw_text) if ":" in userinfo else None
        rest, qmark, header_text = rest.partition("?")
        hostport, *param_parts = rest.split(";")
        host, port = _split_hostport(hostport, text)
        params: dict[str, str | None] = {}
        for part in param_parts:
            name, eq, value = part.partition("=")
            if not abnf.PARAM_CHARS.fullmatch(name) or (eq and not abnf.PARAM_CHARS.fullmatch(value)):
                raise SipParseError(f"bad URI parameter {part[:40]!r}")
            params[abnf.unescape(name).lower()] = abnf.unescape(value) if eq else None
        headers: dict[str, str] = {}
        if qmark:
            for part in header_text.split("&"):
                name, eq, value = part.partition("=")
                if not name or not eq or not abnf.HEADER_URI_CHARS.fullmatch(part.replace("=", "", 1)):
                    raise SipParseError(f"bad URI header {part[:40]!r}")
                headers[abnf.unescape(name)] = abnf.unescape(value)
        return cls(scheme, user, password, host, port, params, headers)

    @property
    def is_sip(self) -> bool:
        return self.scheme in _SIP_SCHEMES

    def __str__(self) -> str:
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(abnf.escape(self.user, _USER_OK))
            if self.password is not None:
                out += [":", abnf.escape(self.password, _PASSWORD_OK)]
            out.append("@")
        out.append(self.host)
        if self.port is not None:
            out.append(f":{self.port}")
        for name, value in self.params.items():
            out += [";", abnf.escape(name, _PARAM_OK)]
            if value is not None:
                out += ["=", abnf.escape(value, _PARAM_OK)]
        if self.headers:
            out.append("?")
            out.append(
                "&".join(
                    f"{abnf.escape(k, _HEADER_OK)}={abnf.escape(v, _HEADER_OK)}"
                    for k, v in self.headers.items()
                )
            )
        return "".join(out)

    def equivalent(self, other: URI) -> bool:
        """RFC 3261 §19.1.4 comparison (not dataclass equality, which is exact)."""
        if self.scheme != other.scheme:
            return False
        if not self.is_sip:
            return (self.opaque or "").lower() == (other.opaque or "").lower()
        if (self.user, self.password, self.port) != (other.user, other.password, other.port):
            return False
        if self.host.lower() != other.host.lower():
            return False
        mine = {k: (v.lower() if v is not None else None) for k, v in self.params.items()}
        theirs = {k: (v.lower() if v is not None else None) for k, v in other.params.items()}
        for name in _MUST_MATCH:
            if (name in mine or name in theirs) and mine.get(name, "") != theirs.get(name, ""):
                return False
        for name in mine.keys() & theirs.keys():
            if mine[name] != theirs[name]:
                return False
        mine_h = {k.lower(): v for k, v in self.headers.items()}
        theirs_h = {k.lower(): v for k, v in other.headers.items()}
        return mine_h == theirs_h


def _split_hostport(hostport: str, text: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        end = hostport.find("]")
        host, tail = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or not abnf.IPV6_REFERENCE.fullmatch(host):
            raise SipParseError(f"bad IPv6 reference in {text[:60]!r}")
    else:
        host, colon, port_text = hostport.partition(":")
        tail = colon + port_text
        if not abnf.HOST.fullmatch(host):
            raise SipParseError(f"bad host in {text[:60]!r}")
    if not tail:
        return host, None
    if tail[0] != ":" or not tail[1:].isdigit() or not tail[1:].isascii() or len(tail) > 6:
        raise SipParseError(f"bad port in {text[:60]!r}")
    port = int(tail[1:])
    if port > 65535:
        raise SipParseError(f"port out of range in {text[:60]!r}")
    return host, port


def _split_quoted(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double quotes (backslash escapes honoured)."""
    if '"' not in text:
        return text.split(sep)
    parts: list[str] = []
    start = 0
    i = 0
    n = len(text)
    in_quotes = False
    while i < n:
        c = text[i]
        if in_quotes:
            if c == "\\":
                i += 1
            elif c == '"':
                in_quotes = False
        elif c == '"':
            in_quotes = True
        elif c == sep:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if in_quotes:
        raise SipParseError(f"unterminated quoted string in {text[:60]!r}")
    parts.append(text[start:])
    return parts


def parse_params(text: str) -> dict[str, str | None]:
    """``;name=value;flag`` → ordered dict; names lower-cased (case-insensitive, §7.3.1).

    Values keep their quotes when quoted, so they re-serialize unchanged.
    """
    if _FAST_PARAMS.fullmatch(text):
        return _fast_params(text)
    return _parse_params_general(text)


def _parse_params_general(text: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    if not text.strip():
        return params
    parts = _split_quoted(text, ";")
    if parts[0].strip():
        raise SipParseError(f"garbage before parameters: {parts[0][:40]!r}")
    for part in parts[1:]:
        name, eq, value = part.partition("=")
        name = name.strip(" \t")
        if not abnf.TOKEN.fullmatch(name):
            raise SipParseError(f"bad parameter {part.strip()[:40]!r}")
        if eq:
            value = value.strip(" \t")
            if not value or not (_is_quoted(value) or abnf.WORD.fullmatch(value) or _is_utf8_word(value)):
                raise SipParseError(f"bad value for parameter {name!r}")
            params[name.lower()] = value
        else:
            params[name.lower()] = None
    return params


def _is_quoted(value: str) -> bool:
    return len(value) >= 2 and value[0] == '"' and value[-1] == '"'


def _is_utf8_word(value: str) -> bool:
    return all(not c.isspace() and c not in ',;"<>' for c in value)


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def unquote(text: str) -> str:
    """Body of a quoted-string with quoted-pairs resolved."""
    inner = text[1:-1]
    if "\\" not in inner:
        return inner
    out = []
    i = 0
    while i < len(inner):
        c = inner[i]
        if c == "\\" and i + 1 < len(inner):
            i += 1
            c = inner[i]
        out.append(c)
        i += 1
    return "".join(out)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_STAR = URI(scheme="*", opaque="")


@dataclass
class NameAddr:
    """``display <uri>;params`` (From, To, Contact, Route, Refer-To ...)."""

    display: str | None
    uri: URI
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    @property
    def is_star(self) -> bool:
        """The ``Contact: *`` of a REGISTER removing every binding."""
        return self.uri.scheme == "*"

    @classmethod
    def star(cls) -> NameAddr:
        return cls(None, URI(scheme="*", opaque=""), {})

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        text = text.strip(" \t")
        if text == "*":
            return cls.star()
        m = _FAST_NAME_ADDR.fullmatch(text)
        if m is not None:
            quoted, words, uri_text, param_text = m.groups()
            display = quoted if quoted is not None else words
            return cls(display, URI.parse(uri_text), _fast_params(param_text))
        return cls._parse_general(text)

    @classmethod
    def _parse_general(cls, text: str) -> NameAddr:
        """The whole grammar (addr-spec, quoted-pairs, whitespace anywhere it may be); ``text`` stripped."""
        lt = _find_unquoted(text, "<")
        if lt < 0:
            # addr-spec: parameters belong to the header, so the URI can't hold ; ? or ,
            uri_text, semi, rest = text.partition(";")
            uri_text = uri_text.rstrip(" \t")
            if "?" in uri_text or "," in uri_text or " " in uri_text or "\t" in uri_text:
                raise SipParseError(f"URI with ?, comma or space must be in <>: {text[:60]!r}")
            return cls(None, URI.parse(uri_text), parse_params(semi + rest))
        gt = text.find(">", lt)
        if gt < 0:
            raise SipParseError(f"missing > in {text[:60]!r}")
        uri = URI.parse(text[lt + 1 : gt])
        display_text = text[:lt].strip(" \t")
        display: str | None
        if not display_text:
            display = None
        elif display_text[0] == '"':
            if _quoted_end(display_text) != len(display_text) - 1:
                raise SipParseError(f"bad quoted display name in {text[:60]!r}")
            display = unquote(display_text)
        else:
            words = display_text.split()
            if not all(abnf.TOKEN.fullmatch(w) for w in words):
                raise SipParseError(f"display name needs quotes: {display_text[:60]!r}")
            display = " ".join(words)
        return cls(display, uri, parse_params(text[gt + 1 :]))

    def __str__(self) -> str:
        if self.is_star:
            return "*"
        head = f"{quote(self.display)} " if self.display is not None else ""
        return f"{head}<{self.uri}>{format_params(self.params)}"


def _quoted_end(text: str) -> int:
    """Index of the quote closing the quoted-string that starts ``text`` (or -1)."""
    i = 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i
        i += 1
    return -1


def _find_unquoted(text: str, char: str) -> int:
    if '"' not in text:
        return text.find(char)
    in_quotes = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if in_quotes:
            if c == "\\":
                i += 1
            elif c == '"':
                in_quotes = False
        elif c == '"':
            in_quotes = True
        elif c == char:
            return i
        i += 1
    if in_quotes:
        raise SipParseError(f"unterminated quoted string in {text[:60]!r}")
    return -1
