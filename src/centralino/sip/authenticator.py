"""Digest challenge and verification of requests from phones and trunks, sans-I/O.

``auth.py`` knows the header syntax and the hashes; this module is the server's
policy around them (RFC 3261 §22, RFC 7616, RFC 8760):

* A request without credentials for our realm is challenged: 401 with
  ``WWW-Authenticate`` for REGISTER, 407 with ``Proxy-Authenticate`` for
  everything else, one header per offered algorithm, SHA-256 before MD5
  (RFC 8760 §2.4: the client takes the first it supports), ``qop="auth"``.
* Nonces come from ``auth.NonceManager`` (stateless, HMAC-signed, with a
  lifetime). A correct answer to an expired nonce is challenged again with
  ``stale=true`` so the phone retries without asking its user; a nonce-count
  that does not increase is a replay and gets a fresh challenge.
* The response is checked against the stored HA1 (we never hold passwords),
  the digest ``uri`` must be the Request-URI (RFC 7616 §3.4.6: 400 if not),
  and the authenticated name must be the user part of the identity the
  request claims (To of a REGISTER, From otherwise): 403 if not.
* Wrong credentials are answered with a fresh challenge, as RFC 3261 §22.2
  describes (a UAC whose credentials were just rejected stops retrying). A
  source with ``max_failures`` failed attempts within ``failure_window``
  seconds gets 403 without any verification until the window has passed:
  that is what slows down password guessing.
* ``TrunkAdmission``: carriers are admitted by source network (``ipaddress``)
  or, failing that, by digest credentials of their own.

Which tenant (realm) a request belongs to is the ``CredentialSource``'s
decision; the store implements it (``store/sip_bindings.py``).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from centralino.sip.auth import Challenge, Credentials, NonceManager, NonceStatus, ha1, verify
from centralino.sip.errors import SipParseError
from centralino.sip.message import Request, Response
from centralino.sip.uri import URI

__all__ = [
    "Accepted",
    "AuthConfig",
    "AuthResult",
    "Authenticator",
    "Challenged",
    "CredentialSource",
    "Ha1s",
    "Rejected",
    "StaticCredentials",
    "Trunk",
    "TrunkAdmission",
    "TrunkAdmitted",
]

_HA1_FIELDS = {"MD5": "md5", "SHA-256": "sha256"}


@dataclass(frozen=True, slots=True)
class Ha1s:
    """What a user store keeps for one SIP user: HA1 per algorithm for one realm."""

    username: str
    realm: str
    md5: str | None = None
    sha256: str | None = None
    tenant: str | None = None  # the store's tenant id (or a trunk's name), opaque here

    def for_algorithm(self, algorithm: str) -> str | None:
        name = _HA1_FIELDS.get(algorithm.upper().removesuffix("-SESS"))
        return None if name is None else getattr(self, name)

    @classmethod
    def from_password(cls, username: str, realm: str, password: str, tenant: str | None = None) -> Ha1s:
        return cls(username, realm, ha1(username, realm, password, "MD5"),
                   ha1(username, realm, password, "SHA-256"), tenant)


class CredentialSource(Protocol):
    """Where the authenticator finds realms and HA1s (the store implements it)."""

    def realm_for(self, domain: str, offered_realm: str | None) -> str | None:
        """The realm for a request addressed to ``domain`` (host of To/From), or None: not ours.

        ``offered_realm`` is the realm of credentials the request already carries, if any.
        """
        ...

    def lookup(self, realm: str, username: str) -> Ha1s | None:
        """The HA1s of ``username`` in ``realm``, or None when there is no such SIP user."""
        ...


class StaticCredentials:
    """A fixed user table for one realm: tests, single-box setups and trunk credentials."""

    def __init__(self, realm: str, users: Mapping[str, str | Ha1s], tenant: str | None = None) -> None:
        self.realm = realm
        self._users = {
            name: v if isinstance(v, Ha1s) else Ha1s.from_password(name, realm, v, tenant)
            for name, v in users.items()
        }

    def realm_for(self, domain: str, offered_realm: str | None) -> str | None:
        return self.realm

    def lookup(self, realm: str, username: str) -> Ha1s | None:
        return self._users.get(username) if realm == self.realm else None


@dataclass(frozen=True, slots=True)
class Accepted:
    """The request proved knowledge of ``user``'s password."""

    user: Ha1s


@dataclass(frozen=True, slots=True)
class Challenged:
    """Send ``response`` (401/407 with fresh challenges); ``stale``: the nonce had only expired."""

    response: Response
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """Send ``response`` (400, 403 or 404); ``reason`` is for logs, never for the peer."""

    response: Response
    reason: str


AuthResult = Accepted | Challenged | Rejected


@dataclass(frozen=True, slots=True)
class AuthConfig:
    algorithms: tuple[str, ...] = ("SHA-256", "MD5")  # offered, in this order
    max_failures: int = 5  # failed attempts per source IP ...
    failure_window: float = 60.0  # ... within this many seconds, then 403 until the window passes
    require_qop: bool = True  # refuse RFC 2069 answers without qop: they cannot be protected from replay
    bind_identity: bool = True  # username must equal the user of To (REGISTER) / From (others)
    max_sources: int = 10_000  # failure counters kept; the oldest are forgotten first

    def __post_init__(self) -> None:
        unknown = [a for a in self.algorithms if a.upper() not in _HA1_FIELDS]
        if not self.algorithms or unknown:
            raise ValueError(f"SIP digest: offer MD5 and/or SHA-256 (the stored HA1s), not {unknown}")
        if self.max_failures < 1 or self.failure_window <= 0:
            raise ValueError("SIP digest: max_failures must be >= 1 and failure_window > 0")


@dataclass(slots=True)
class _Failures:
    count: int
    since: float


class Authenticator:
    """Checks one request at a time: ``check(request, source_host, now)``.

    ``now`` (seconds) is only used for the failure counters; nonce lifetimes
    use the ``NonceManager``'s own clock.
    """

    def __init__(
        self,
        credentials: CredentialSource,
        nonces: NonceManager,
        config: AuthConfig | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.credentials = credentials
        self.nonces = nonces
        self.config = config or AuthConfig()
        self.rng = rng or random.Random()
        self._failures: dict[str, _Failures] = {}

    # ---- the decision ----------------------------------------------------------------------------

    def check(self, request: Request, source_host: str, now: float) -> AuthResult:
        if self.blocked(source_host, now):
            return self.reject(request, 403, f"{source_host}: too many failed attempts")
        identity = request.to.uri if request.method == "REGISTER" else request.from_.uri
        try:
            offered = self._credentials(request)
        except SipParseError as exc:
            return self.reject(request, 400, f"bad credentials: {exc.reason}")
        domain = identity.host.lower()
        realm = self.credentials.realm_for(domain, offered[0].realm if offered else None)
        if realm is None:
            status = 404 if request.method == "REGISTER" else 403
            return self.reject(request, status, f"domain {domain!r} is not served here")
        creds = next((c for c in offered if c.realm == realm), None)
        if creds is None:
            return self.challenge(request, realm)
        return self._verify(request, creds, realm, identity, source_host, now)

    def _verify(
        self, request: Request, creds: Credentials, realm: str, identity: URI, source_host: str, now: float
    ) -> AuthResult:
        algorithm = creds.algorithm.upper().removesuffix("-SESS")
        if algorithm not in (a.upper() for a in self.config.algorithms):
            return self.challenge(request, realm)
        if self.config.require_qop and creds.qop != "auth":
            return self.challenge(request, realm)
        try:
            digest_uri = URI.parse(creds.uri)
        except SipParseError:
            return self.reject(request, 400, f"digest uri {creds.uri[:60]!r} is not a URI")
        if not digest_uri.equivalent(request.uri):
            return self.reject(request, 400, f"digest uri {creds.uri[:60]!r} is not the Request-URI")
        status = self.nonces.check(creds.nonce)
        if status is NonceStatus.INVALID:
            return self.challenge(request, realm)  # not ours: a previous secret, or made up
        user = self.credentials.lookup(realm, creds.username)
        key = user.for_algorithm(algorithm) if user is not None else None
        if key is None or user is None or not verify(creds, key, request.method):
            self._fail(source_host, now)
            if self.blocked(source_host, now):
                return self.reject(request, 403, f"{source_host}: too many failed attempts")
            return self.challenge(request, realm)
        if status is NonceStatus.STALE:
            return self.challenge(request, realm, stale=True)
        if self.nonces.check(creds.nonce, creds.nc) is not NonceStatus.VALID:
            return self.challenge(request, realm)  # replayed (or nc garbled): a fresh nonce
        if self.config.bind_identity and creds.username != identity.user:
            return self.reject(request, 403, f"{creds.username!r} may not act as {identity.user!r}")
        return Accepted(user)

    # ---- responses -------------------------------------------------------------------------------

    def challenge(self, request: Request, realm: str, *, stale: bool = False) -> Challenged:
        """401 (REGISTER) or 407 with one challenge per offered algorithm, sharing a fresh nonce."""
        registering = request.method == "REGISTER"
        response = request.make_response(401 if registering else 407, to_tag=self._tag())
        nonce = self.nonces.issue()
        header = "WWW-Authenticate" if registering else "Proxy-Authenticate"
        for algorithm in self.config.algorithms:
            response.headers.add(header, str(Challenge(realm, nonce, algorithm, ["auth"], None, stale)))
        return Challenged(response, stale)

    def reject(self, request: Request, status: int, reason: str) -> Rejected:
        return Rejected(request.make_response(status, to_tag=self._tag()), reason)

    def _tag(self) -> str:
        return f"{self.rng.getrandbits(48):012x}"

    @staticmethod
    def _credentials(request: Request) -> list[Credentials]:
        """Digest credentials of either header (phones answer a 401 and a 407 the same way)."""
        lines = request.headers.get_lines("authorization") + request.headers.get_lines("proxy-authorization")
        parsed = [Credentials.parse(line) for line in lines]
        return [c for c in parsed if c.is_digest]

    # ---- failed attempts per source --------------------------------------------------------------

    def blocked(self, source_host: str, now: float) -> bool:
        entry = self._failures.get(source_host)
        if entry is None:
            return False
        if now - entry.since > self.config.failure_window:
            del self._failures[source_host]
            return False
        return entry.count >= self.config.max_failures

    def failures(self, source_host: str) -> int:
        entry = self._failures.get(source_host)
        return 0 if entry is None else entry.count

    def _fail(self, source_host: str, now: float) -> None:
        entry = self._failures.get(source_host)
        if entry is None or now - entry.since > self.config.failure_window:
            if len(self._failures) >= self.config.max_sources:
                del self._failures[next(iter(self._failures))]  # dicts keep insertion order
            self._failures.pop(source_host, None)
            self._failures[source_host] = _Failures(1, now)
        else:
            entry.count += 1


# ---- trunks --------------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Trunk:
    """A carrier: requests from ``networks`` are its own; else it may prove itself by digest."""

    name: str
    networks: tuple[Network, ...] = ()
    username: str | None = None
    ha1s: Ha1s | None = None

    @classmethod
    def make(
        cls, name: str, networks: Iterable[str] = (), *, username: str | None = None,
        password: str | None = None, realm: str = "centralino",
    ) -> Trunk:
        """``networks`` as text ("203.0.113.0/24", "2001:db8::1"); a password becomes HA1s at once."""
        nets = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        if (username is None) != (password is None):
            raise ValueError(f"trunk {name!r}: give both username and password, or neither")
        ha1s = Ha1s.from_password(username, realm, password, name) if username and password else None
        return cls(name, nets, username, ha1s)


@dataclass(frozen=True, slots=True)
class TrunkAdmitted:
    """The request is from ``trunk``; ``how`` is "address" or "digest"."""

    trunk: Trunk
    how: str


@dataclass
class TrunkAdmission:
    """Which trunk a request comes from: by source address first, then by digest credentials."""

    trunks: list[Trunk]
    nonces: NonceManager
    realm: str = "centralino"
    config: AuthConfig = field(default_factory=lambda: AuthConfig(bind_identity=False))
    rng: random.Random | None = None

    def __post_init__(self) -> None:
        users = {t.username: t.ha1s for t in self.trunks if t.username and t.ha1s}
        self._by_user = {t.username: t for t in self.trunks if t.username}
        self._digest = Authenticator(StaticCredentials(self.realm, users), self.nonces, self.config,
                                     rng=self.rng or random.Random())

    def by_address(self, host: str) -> Trunk | None:
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return None
        return next((t for t in self.trunks if any(address in n for n in t.networks)), None)

    def check(self, request: Request, source_host: str, now: float) -> TrunkAdmitted | Challenged | Rejected:
        """Admit by address, else run digest with the trunks' credentials (403 if none have any)."""
        trunk = self.by_address(source_host)
        if trunk is not None:
            return TrunkAdmitted(trunk, "address")
        if not self._by_user:
            return self._digest.reject(request, 403, f"{source_host} is not in any trunk's networks")
        result = self._digest.check(request, source_host, now)
        if isinstance(result, Accepted):
            return TrunkAdmitted(self._by_user[result.user.username], "digest")
        return result
