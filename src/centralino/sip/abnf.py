"""RFC 3261 §25 grammar as named, non-backtracking patterns (the idea of h11's ``_abnf.py``).

Every pattern is a character class run or a sequence of them, so matching time is
linear in the input: the fuzz test feeds mutated torture messages and relies on it.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "ALPHANUM",
    "HOST",
    "IPV4",
    "IPV6_REFERENCE",
    "KNOWN_METHODS",
    "PARAM_CHARS",
    "PASSWORD_CHARS",
    "SCHEME",
    "TOKEN",
    "TOKEN_CHARS",
    "USER_CHARS",
    "HEADER_URI_CHARS",
    "WORD",
    "LWS",
    "escape",
    "unescape",
]

ALPHANUM = "A-Za-z0-9"
MARK = r"\-_.!~*'()"
UNRESERVED = ALPHANUM + MARK
# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = ALPHANUM + r"\-.!%*_+`'~"
TOKEN = re.compile(f"[{TOKEN_CHARS}]+")
# word adds ( ) < > : \ " / [ ] ? { }
WORD = re.compile(r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
# user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = & = + $ , ; ? /
USER_CHARS = re.compile(f"(?:[{UNRESERVED}&=+$,;?/]|%[0-9A-Fa-f]{{2}})+")
PASSWORD_CHARS = re.compile(f"(?:[{UNRESERVED}&=+$,]|%[0-9A-Fa-f]{{2}})*")
# paramchar = param-unreserved / unreserved / escaped; param-unreserved = [ ] / : & + $
PARAM_CHARS = re.compile(f"(?:[{UNRESERVED}\\[\\]/:&+$]|%[0-9A-Fa-f]{{2}})+")
# hname/hvalue = hnv-unreserved / unreserved / escaped; hnv-unreserved = [ ] / ? : + $
HEADER_URI_CHARS = re.compile(f"(?:[{UNRESERVED}\\[\\]/?:+$]|%[0-9A-Fa-f]{{2}})*")
IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
IPV6_REFERENCE = re.compile(r"\[[0-9A-Fa-f:.]+\]")
HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-.]*")  # linear on purpose: no nested runs
LWS = re.compile(r"[ \t]*")

KNOWN_METHODS = frozenset(
    {
        "INVITE",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "REGISTER",
        "PRACK",
        "SUBSCRIBE",
        "NOTIFY",
        "PUBLISH",
        "INFO",
        "REFER",
        "MESSAGE",
        "UPDATE",
    }
)

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def unescape(text: str) -> str:
    """Decode %HH once (RFC 3986: never recursively); a lone % stays as it is."""
    if "%" not in text:
        return text
    raw = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    # %HH sequences that formed UTF-8 become one character each.
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


@lru_cache(maxsize=32)
def _only(allowed: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(allowed)}]*" if allowed else "")


def escape(text: str, allowed: str) -> str:
    """Percent-encode every character outside ``allowed`` (as UTF-8 octets)."""
    if _only(allowed).fullmatch(text):  # the usual case, checked in C
        return text
    out = []
    for c in text:
        if c in allowed:
            out.append(c)
        else:
            out.extend(f"%{b:02X}" for b in c.encode("utf-8", "surrogateescape"))
    return "".join(out)
