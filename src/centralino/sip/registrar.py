"""The registrar (RFC 3261 §10.3), sans-I/O: REGISTER in, response and binding changes out.

``handle_register(request, source, now)`` walks the RFC's steps: Require
(420), authentication (``Authenticator``: 401/403/404), the address-of-record
from To (404), Contact and expiry checks (400, 423 with Min-Expires), the
Call-ID/CSeq ordering rule of step 7 (500 and nothing applied when a
request is older than a binding it touches), then commits all updates at
once and answers 200 listing every current contact with its ``expires``.

The AOR is ``user@realm`` when the request was authenticated (so a phone
configured with the server's IP address and one with the tenant's domain
land on the same AOR), else ``user@host`` of To.

Nothing is written to a database here (decide, then act): each change is
queued as ``Saved``/``Removed``; the shell takes them with ``take_changes()``
or lets ``flush()`` hand them to the ``BindingStore``. ``from_store`` rebuilds
the registrar from the store at start-up, which is how registrations survive
a restart.

Timers: ``next_deadline()`` is the earliest binding expiry or keep-alive
probe; at that time the shell calls ``expire(now)`` and ``due_probes(now)``
and sends one OPTIONS per probe (``options_probe`` builds it), reporting
the outcome with ``mark_reachable``/``mark_unreachable``.

Times are seconds since the epoch: bindings persist across restarts, and the
200's Date header needs the wall clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from email.utils import formatdate

from centralino.sip.authenticator import Accepted, Authenticator
from centralino.sip.errors import SipParseError
from centralino.sip.headers import Headers, parse_int
from centralino.sip.location import Binding, BindingStore, LocationService
from centralino.sip.message import Request, Response
from centralino.sip.transaction import Address
from centralino.sip.uri import URI, NameAddr

__all__ = [
    "SUPPORTED",
    "Change",
    "Registrar",
    "RegistrarConfig",
    "Removed",
    "Saved",
    "contact_value",
    "options_probe",
]

SUPPORTED = frozenset({"path"})  # RFC 3327: Path is stored with the binding and echoed


@dataclass(frozen=True, slots=True)
class RegistrarConfig:
    min_expires: int = 60  # shorter non-zero requests get 423 Interval Too Brief
    max_expires: int = 3600  # longer requests are shortened to this
    default_expires: int = 3600  # no (or a malformed) expires: RFC 3261 §20.19's 3600
    max_contacts: int = 10  # per AOR; beyond it the least recently registered contacts are dropped
    keepalive_interval: float | None = 30.0  # OPTIONS probe period per binding; None: no probes

    def __post_init__(self) -> None:
        if not 0 < self.min_expires <= self.default_expires <= self.max_expires:
            raise ValueError(
                "registrar: need 0 < min_expires <= default_expires <= max_expires, got "
                f"{self.min_expires}, {self.default_expires}, {self.max_expires}")
        if self.max_contacts < 1:
            raise ValueError(f"registrar: max_contacts must be at least 1, not {self.max_contacts}")


@dataclass(frozen=True, slots=True)
class Saved:
    binding: Binding


@dataclass(frozen=True, slots=True)
class Removed:
    aor: str
    contact: str


Change = Saved | Removed


class _Refused(Exception):
    """A step of §10.3 failed: answer ``status`` and apply nothing."""

    def __init__(self, status: int, reason: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.headers = headers


@dataclass(frozen=True, slots=True)
class _Update:
    contact: NameAddr
    key: str  # the stored contact text this update replaces or creates
    expires: int
    replaced: tuple[str, ...] = ()  # other contacts of the same device (+sip.instance) to drop


class Registrar:
    """Bindings of every AOR plus the §10.3 rules; see the module docstring."""

    def __init__(
        self,
        *,
        authenticator: Authenticator | None = None,
        config: RegistrarConfig | None = None,
        store: BindingStore | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.authenticator = authenticator
        self.config = config or RegistrarConfig()
        self.store = store
        self.rng = rng or random.Random()
        self.location = LocationService(self.config.keepalive_interval)
        self._changes: list[Change] = []

    @classmethod
    def from_store(
        cls,
        store: BindingStore,
        now: float,
        *,
        authenticator: Authenticator | None = None,
        config: RegistrarConfig | None = None,
        rng: random.Random | None = None,
    ) -> Registrar:
        """The registrar as it was before a restart; bindings that expired meanwhile are dropped."""
        registrar = cls(authenticator=authenticator, config=config, store=store, rng=rng)
        for binding in store.load_all():
            if binding.expires_at > now:
                registrar.location.put(binding, now)
            else:
                registrar._changes.append(Removed(binding.aor, binding.contact))
        return registrar

    # ---- REGISTER --------------------------------------------------------------------------------

    def handle_register(self, request: Request, source: Address, now: float) -> Response:
        """The response to ``request`` (which came from ``source``); changes are queued."""
        if request.method != "REGISTER":
            raise ValueError(f"Registrar.handle_register got a {request.method}; route only REGISTER here")
        tag = f"{self.rng.getrandbits(48):012x}"
        unsupported = [t for t in request.headers.get_all("require") if t.lower() not in SUPPORTED]
        if unsupported:
            return self._answer(request, tag, 420, (("Unsupported", ", ".join(unsupported)),))
        domain = request.to.uri.host.lower()
        if self.authenticator is not None:
            result = self.authenticator.check(request, source.host, now)
            if not isinstance(result, Accepted):
                return result.response
            domain = result.user.realm
        try:
            aor = self._aor(request.to.uri, domain)
            updates, wildcard = self._plan(request, aor)
            self._check_order(request, aor, updates, wildcard)
        except _Refused as refused:
            return self._answer(request, tag, refused.status, refused.headers)
        self._commit(request, source, now, aor, updates, wildcard)
        return self._ok(request, tag, aor, now)

    @staticmethod
    def _aor(to: URI, domain: str) -> str:
        if not to.is_sip or not to.user:
            raise _Refused(404, "To is not a sip: URI with a user part")
        return f"{to.user}@{domain}"

    def _plan(self, request: Request, aor: str) -> tuple[list[_Update], bool]:
        """Step 6: the contacts and their expiry, or a refusal (400, 423)."""
        contacts = request.contact
        header = self._expires(request.headers.get("expires"))
        if any(c.is_star for c in contacts):
            if len(contacts) != 1 or header != 0:
                raise _Refused(400, "Contact: * must be alone and come with Expires: 0")
            return [], True
        existing = self.location.bindings(aor)
        updates: dict[str, _Update] = {}
        for contact in contacts:
            if not contact.uri.is_sip:
                raise _Refused(400, f"contact {contact.uri} is not a sip: or sips: URI")
            expires = self._expires(contact.params.get("expires"))
            if expires is None:
                expires = header if header is not None else self.config.default_expires
            if 0 < expires < self.config.min_expires:
                raise _Refused(423, "interval too brief", (("Min-Expires", str(self.config.min_expires)),))
            expires = min(expires, self.config.max_expires)
            same = next((b for b in existing if b.uri.equivalent(contact.uri)), None)
            key = same.contact if same is not None else str(contact.uri)
            instance = contact.params.get("+sip.instance")
            replaced = tuple(
                b.contact for b in existing if instance and b.instance == instance and b.contact != key
            )
            updates[key] = _Update(contact, key, expires, replaced)
        return list(updates.values()), False

    def _expires(self, value: str | None) -> int | None:
        if value is None:
            return None
        try:
            return parse_int(value, "expires", 2**32 - 1)
        except SipParseError:
            return self.config.default_expires  # §20.19: malformed means 3600 (here: the default)

    def _check_order(self, request: Request, aor: str, updates: list[_Update], wildcard: bool) -> None:
        """Step 7: a request with a binding's Call-ID must have a higher CSeq than the one that made it."""
        touched = self.location.bindings(aor) if wildcard else [
            b for u in updates for k in (u.key, *u.replaced) if (b := self.location.get(aor, k)) is not None
        ]
        seq = request.cseq.seq
        for binding in touched:
            if binding.call_id == request.call_id and seq <= binding.cseq:
                raise _Refused(500, f"CSeq {seq} is not above {binding.cseq} of {binding.contact}",
                               (("Retry-After", "1"),))

    def _commit(
        self, request: Request, source: Address, now: float, aor: str, updates: list[_Update], wildcard: bool
    ) -> None:
        if wildcard:
            for binding in self.location.bindings(aor):
                self._remove(aor, binding.contact)
            return
        path = tuple(request.headers.get_all("path")) if "path" in self._supported(request) else ()
        user_agent = request.headers.get("user-agent")
        for update in updates:
            for old in update.replaced:
                self._remove(aor, old)
            if update.expires == 0:
                self._remove(aor, update.key)
                continue
            params = update.contact.params
            binding = Binding(
                aor=aor, contact=update.key, expires_at=now + update.expires, call_id=request.call_id,
                cseq=request.cseq.seq, source=source, registered_at=now, q=_q(params.get("q")),
                instance=params.get("+sip.instance"), path=path, user_agent=user_agent)
            self.location.put(binding, now)
            self._changes.append(Saved(binding))
        fresh = {u.key for u in updates}
        extra = len(self.location.bindings(aor)) - self.config.max_contacts
        if extra > 0:
            older = sorted((b for b in self.location.bindings(aor) if b.contact not in fresh),
                           key=lambda b: b.registered_at)
            for binding in older[:extra]:
                self._remove(aor, binding.contact)

    @staticmethod
    def _supported(request: Request) -> set[str]:
        tags = request.headers.get_all("supported") + request.headers.get_all("require")
        return {t.lower() for t in tags}

    def _remove(self, aor: str, contact: str) -> None:
        if self.location.remove(aor, contact) is not None:
            self._changes.append(Removed(aor, contact))

    def _ok(self, request: Request, tag: str, aor: str, now: float) -> Response:
        response = request.make_response(200, to_tag=tag)
        for binding in self.location.bindings(aor):
            response.headers.add("Contact", contact_value(binding, now))
        if "path" in self._supported(request):
            for hop in request.headers.get_all("path"):
                response.headers.add("Path", hop)
        response.headers.add("Date", formatdate(now, usegmt=True))
        return response

    @staticmethod
    def _answer(
        request: Request, tag: str, status: int, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        response = request.make_response(status, to_tag=tag)
        for name, value in headers:
            response.headers.add(name, value)
        return response

    # ---- persistence -----------------------------------------------------------------------------

    def take_changes(self) -> list[Change]:
        """The binding changes since the last call, in order, for the shell to persist."""
        changes, self._changes = self._changes, []
        return changes

    def flush(self) -> int:
        """Write the queued changes to ``store`` (blocking: call it off the event loop if it is slow)."""
        changes = self.take_changes()
        if self.store is not None:
            for change in changes:
                if isinstance(change, Saved):
                    self.store.save(change.binding)
                else:
                    self.store.delete(change.aor, change.contact)
        return len(changes)

    # ---- the location service for the rest of the TU ---------------------------------------------

    def lookup(self, aor: str) -> list[Binding]:
        """Reachable contacts of ``aor`` (``extension@realm``), highest q first."""
        return self.location.lookup(aor)

    def bindings(self, aor: str) -> list[Binding]:
        return self.location.bindings(aor)

    def next_deadline(self) -> float | None:
        return self.location.next_deadline()

    def expire(self, now: float) -> list[Binding]:
        gone = self.location.expire(now)
        self._changes += [Removed(b.aor, b.contact) for b in gone]
        return gone

    def due_probes(self, now: float) -> list[Binding]:
        return self.location.due_probes(now)

    def mark_reachable(self, aor: str, contact: str, now: float) -> bool:
        return self.location.mark_reachable(aor, contact, now)

    def mark_unreachable(self, aor: str, contact: str, now: float) -> bool:
        return self.location.mark_unreachable(aor, contact, now)


def _q(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        q = float(value)
    except ValueError:
        return None
    return q if 0.0 <= q <= 1.0 else None


def contact_value(binding: Binding, now: float) -> str:
    """``<uri>;expires=N`` (plus q and +sip.instance when registered with them) for a 200's Contact."""
    params = f";expires={binding.expires_in(now)}"
    if binding.q is not None:
        params += f";q={binding.q:g}"
    if binding.instance is not None:
        params += f";+sip.instance={binding.instance}"
    return f"<{binding.contact}>{params}"


def options_probe(
    binding: Binding,
    local: Address,
    *,
    branch: str,
    tag: str,
    call_id: str,
    user_agent: str = "Centralino",
) -> Request:
    """The keep-alive OPTIONS for ``binding``: send it to ``binding.source`` via a client transaction.

    ``branch``/``tag`` come from ``TransactionLayer.new_branch()``/``new_tag()``. The
    Request-URI is the contact; Path hops (if any) become Route headers.
    """
    host = f"[{local.host}]" if ":" in local.host else local.host
    uri = binding.uri
    items = [("Via", f"SIP/2.0/{binding.source.transport.upper()} {host}:{local.port};branch={branch};rport")]
    items += [("Route", hop) for hop in binding.path]
    items += [
        ("Max-Forwards", "70"),
        ("From", f"<sip:centralino@{host}:{local.port}>;tag={tag}"),
        ("To", f"<{uri}>"),
        ("Call-ID", call_id),
        ("CSeq", "1 OPTIONS"),
        ("User-Agent", user_agent),
        ("Accept", "application/sdp"),
    ]
    return Request("OPTIONS", replace(uri, headers={}), Headers(items))
