"""Digest authentication for SIP (RFC 7616 as profiled by RFC 8760), as pure functions.

Python's ``hashlib``/``hmac`` do the cryptography; what is written here is the header
syntax and the RFC's string assembly. ``NonceManager`` issues stateless nonces
(timestamp + random + HMAC) so any process holding the secret can verify them, and
tracks nonce-counts to refuse replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import struct
from dataclasses import dataclass, field
from enum import Enum

from centralino.core.clock import Clock
from centralino.sip.errors import SipParseError
from centralino.sip.headers import split_list
from centralino.sip.uri import quote, unquote

__all__ = [
    "ALGORITHMS",
    "Challenge",
    "Credentials",
    "NonceManager",
    "NonceStatus",
    "digest_response",
    "ha1",
    "verify",
]

ALGORITHMS = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def _hash(algorithm: str, text: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    name = ALGORITHMS.get(base)
    if name is None:
        raise SipParseError(f"unsupported digest algorithm {algorithm!r}")
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def _parse_params(text: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = text.strip(" \t").partition(" ")
    params: dict[str, str] = {}
    for item in split_list(rest):
        name, eq, value = item.partition("=")
        if not eq:
            raise SipParseError(f"bad auth parameter {item[:40]!r}")
        value = value.strip(" \t")
        params[name.strip(" \t").lower()] = (
            unquote(value) if value.startswith('"') and len(value) > 1 else value
        )
    return scheme, params


@dataclass
class Challenge:
    """A ``WWW-Authenticate``/``Proxy-Authenticate`` value."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: list[str] = field(default_factory=lambda: ["auth"])
    opaque: str | None = None
    stale: bool = False
    scheme: str = "Digest"

    @classmethod
    def parse(cls, text: str) -> Challenge:
        scheme, p = _parse_params(text)
        if scheme.lower() != "digest" or "realm" not in p or "nonce" not in p:
            raise SipParseError(f"not a digest challenge: {text[:60]!r}")
        qop = [q.strip() for q in p.get("qop", "").split(",") if q.strip()]
        stale = p.get("stale", "false").lower() == "true"
        return cls(p["realm"], p["nonce"], p.get("algorithm", "MD5"), qop, p.get("opaque"), stale)

    def __str__(self) -> str:
        parts = [f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}", f"algorithm={self.algorithm}"]
        if self.qop:
            parts.append(f"qop={quote(','.join(self.qop))}")
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        if self.stale:
            parts.append("stale=true")
        return f"{self.scheme} " + ", ".join(parts)


@dataclass
class Credentials:
    """An ``Authorization``/``Proxy-Authorization`` value; unknown schemes parse (RFC 4475 §3.3.7)."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None
    scheme: str = "Digest"
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Credentials:
        scheme, p = _parse_params(text)
        if scheme.lower() != "digest":
            return cls("", "", "", "", "", scheme=scheme, params=p)
        try:
            return cls(
                p["username"], p["realm"], p["nonce"], p["uri"], p["response"], p.get("algorithm", "MD5"),
                p.get("qop"), p.get("nc"), p.get("cnonce"), p.get("opaque"), "Digest", p,
            )  # fmt: skip
        except KeyError as exc:
            raise SipParseError(f"digest credentials without {exc.args[0]}") from exc

    @property
    def is_digest(self) -> bool:
        return self.scheme.lower() == "digest"

    def __str__(self) -> str:
        parts = [
            f"username={quote(self.username)}", f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}",
            f"uri={quote(self.uri)}", f"response={quote(self.response)}", f"algorithm={self.algorithm}",
        ]  # fmt: skip
        if self.qop:
            parts += [f"qop={self.qop}", f"nc={self.nc}", f"cnonce={quote(self.cnonce or '')}"]
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        return "Digest " + ", ".join(parts)


def ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """H(username:realm:password): what a user store keeps instead of the password."""
    return _hash(algorithm, f"{username}:{realm}:{password}")


def digest_response(
    ha1_hex: str,
    method: str,
    uri: str,
    nonce: str,
    *,
    algorithm: str = "MD5",
    qop: str | None = "auth",
    nc: str = "00000001",
    cnonce: str = "",
) -> str:
    """The ``response`` value (RFC 7616 §3.4.1; qop=auth, or RFC 2069 style without qop)."""
    key = ha1_hex
    if algorithm.upper().endswith("-SESS"):
        key = _hash(algorithm, f"{ha1_hex}:{nonce}:{cnonce}")
    ha2 = _hash(algorithm, f"{method}:{uri}")
    if qop:
        return _hash(algorithm, f"{key}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _hash(algorithm, f"{key}:{nonce}:{ha2}")


def verify(credentials: Credentials, ha1_hex: str, method: str) -> bool:
    """Whether ``credentials`` prove knowledge of the password behind ``ha1_hex``."""
    if not credentials.is_digest or credentials.qop not in (None, "auth"):
        return False
    expected = digest_response(
        ha1_hex, method, credentials.uri, credentials.nonce, algorithm=credentials.algorithm,
        qop=credentials.qop, nc=credentials.nc or "", cnonce=credentials.cnonce or "",
    )  # fmt: skip
    return hmac.compare_digest(expected, credentials.response.lower())


class NonceStatus(Enum):
    VALID = "valid"
    STALE = "stale"  # ours but expired: challenge again with stale=true
    INVALID = "invalid"  # not ours (bad signature or garbage)
    REPLAY = "replay"  # nonce-count not above the last one seen


class NonceManager:
    """Stateless HMAC-signed nonces with a lifetime, plus nonce-count replay tracking."""

    def __init__(
        self, secret: bytes, clock: Clock, lifetime: float = 300.0, rng: random.Random | None = None
    ) -> None:
        self._secret = secret
        self._clock = clock
        self._lifetime = lifetime
        self._rng = rng if rng is not None else random.SystemRandom()
        self._counts: dict[str, tuple[int, float]] = {}

    def issue(self) -> str:
        payload = struct.pack(">dQ", self._clock.now(), self._rng.getrandbits(64))
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(payload + mac).decode("ascii").rstrip("=")

    def challenge(self, realm: str, *, algorithm: str = "SHA-256", stale: bool = False) -> Challenge:
        return Challenge(realm, self.issue(), algorithm, ["auth"], None, stale)

    def check(self, nonce: str, nc: str | None = None) -> NonceStatus:
        """Validate a nonce we issued and, when ``nc`` is given, that it increases."""
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except ValueError:
            return NonceStatus.INVALID
        if len(raw) != 32:
            return NonceStatus.INVALID
        payload, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]):
            return NonceStatus.INVALID
        (issued, _) = struct.unpack(">dQ", payload)
        now = self._clock.now()
        if not issued <= now <= issued + self._lifetime:
            return NonceStatus.STALE
        if nc is None:
            return NonceStatus.VALID
        try:
            count = int(nc, 16)
        except ValueError:
            return NonceStatus.INVALID
        self._forget_expired(now)
        last = self._counts.get(nonce)
        if last is not None and count <= last[0]:
            return NonceStatus.REPLAY
        self._counts[nonce] = (count, issued + self._lifetime)
        return NonceStatus.VALID

    def _forget_expired(self, now: float) -> None:
        if len(self._counts) > 1024:
            self._counts = {n: v for n, v in self._counts.items() if v[1] >= now}
