"""The location service: where each address-of-record can be reached, sans-I/O.

A ``Binding`` ties an address-of-record (``1001@acme.example.com``) to one
contact URI until ``expires_at``, remembering where the REGISTER really came
from (``source``: transport, host, port). Calls go to ``source``, not to the
contact's host, because a phone behind NAT puts its private address in
Contact; sending to the address its REGISTER came from is what reaches it
(the idea of RFC 3581 ``received``/``rport``, applied to the registration).

Besides expiry, each binding has a keep-alive schedule: an OPTIONS probe is
due every ``keepalive_interval`` seconds (which also keeps the NAT mapping
open). The TU sends the probes through the transaction layer; any response
marks the binding reachable, a timeout ``mark_unreachable``. ``lookup``
returns only reachable bindings, highest ``q`` first.

Times are seconds since the epoch (the ``now`` argument): bindings are
persisted and must mean the same thing after a restart. Deadlines sit in one
``SortedList`` of (when, kind, aor, contact), so ``next_deadline`` is O(1)
and each change O(log n).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sortedcontainers import SortedList

from centralino.sip.transaction import Address
from centralino.sip.uri import URI

__all__ = ["Binding", "BindingStore", "InMemoryBindingStore", "LocationService"]

_EXPIRE = 0
_PROBE = 1


def _after_kinds(now: float) -> tuple[float, int, str, str]:
    """A deadline key sorting after every deadline of ``now`` (its kind is above both real kinds)."""
    return (now, _PROBE + 1, "", "")


@dataclass(frozen=True, slots=True)
class Binding:
    """One registered contact of an address-of-record."""

    aor: str
    contact: str  # the Contact URI as text (its header parameters are the fields below)
    expires_at: float
    call_id: str
    cseq: int
    source: Address  # where the REGISTER came from: where requests for this contact go
    registered_at: float
    q: float | None = None
    instance: str | None = None  # +sip.instance (RFC 5626): the same device under a new contact
    path: tuple[str, ...] = ()  # Path header values (RFC 3327), outermost first
    user_agent: str | None = None

    @property
    def uri(self) -> URI:
        return URI.parse(self.contact)

    def expires_in(self, now: float) -> int:
        """Whole seconds left (rounded up, so a binding is never announced as expired early)."""
        return max(0, math.ceil(self.expires_at - now))

    @property
    def priority(self) -> float:
        """``q`` for ordering; a contact without q ranks as 1.0 (the top of RFC 3261's 0..1 scale)."""
        return 1.0 if self.q is None else self.q


class BindingStore(Protocol):
    """Where bindings survive restarts (``store.sip_bindings.SqlBindingStore`` in production)."""

    def load_all(self) -> list[Binding]: ...

    def save(self, binding: Binding) -> None: ...

    def delete(self, aor: str, contact: str) -> None: ...


class InMemoryBindingStore:
    """A ``BindingStore`` in a dict: tests, and installations that accept re-registering on restart."""

    def __init__(self, bindings: Iterable[Binding] = ()) -> None:
        self.rows: dict[tuple[str, str], Binding] = {(b.aor, b.contact): b for b in bindings}

    def load_all(self) -> list[Binding]:
        return list(self.rows.values())

    def save(self, binding: Binding) -> None:
        self.rows[(binding.aor, binding.contact)] = binding

    def delete(self, aor: str, contact: str) -> None:
        self.rows.pop((aor, contact), None)


@dataclass(slots=True)
class _Reach:
    reachable: bool = True
    probe_at: float | None = None
    probes_sent: int = 0
    last_answer: float | None = None


class LocationService:
    """Bindings by AOR, with expiry and keep-alive deadlines.

    ``keepalive_interval`` None switches probing off (bindings then stay reachable).
    """

    def __init__(self, keepalive_interval: float | None = 30.0) -> None:
        if keepalive_interval is not None and keepalive_interval <= 0:
            raise ValueError(f"SIP keep-alive interval must be > 0 s (or None), not {keepalive_interval}")
        self.keepalive_interval = keepalive_interval
        self._by_aor: dict[str, dict[str, Binding]] = {}
        self._reach: dict[tuple[str, str], _Reach] = {}
        self._deadlines: SortedList[tuple[float, int, str, str]] = SortedList()

    # ---- reading ---------------------------------------------------------------------------------

    def bindings(self, aor: str) -> list[Binding]:
        """Every binding of ``aor``, reachable or not, in registration order."""
        return list(self._by_aor.get(aor, {}).values())

    def get(self, aor: str, contact: str) -> Binding | None:
        return self._by_aor.get(aor, {}).get(contact)

    def lookup(self, aor: str) -> list[Binding]:
        """Reachable bindings of ``aor``: highest q first, then the most recently registered."""
        found = [b for b in self.bindings(aor) if self.is_reachable(aor, b.contact)]
        return sorted(found, key=lambda b: (-b.priority, -b.registered_at))

    def is_reachable(self, aor: str, contact: str) -> bool:
        reach = self._reach.get((aor, contact))
        return reach is not None and reach.reachable

    def aors(self) -> list[str]:
        return list(self._by_aor)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_aor.values())

    def all(self) -> list[Binding]:
        return [b for v in self._by_aor.values() for b in v.values()]

    # ---- writing ---------------------------------------------------------------------------------

    def put(self, binding: Binding, now: float) -> None:
        """Add or refresh a binding: reachable again, next probe one interval from ``now``."""
        key = (binding.aor, binding.contact)
        old = self.get(*key)
        if old is not None:
            self._deadlines.discard((old.expires_at, _EXPIRE, *key))
        self._by_aor.setdefault(binding.aor, {})[binding.contact] = binding
        self._deadlines.add((binding.expires_at, _EXPIRE, *key))
        reach = self._reach.setdefault(key, _Reach())
        reach.reachable = True
        reach.probes_sent = 0
        self._schedule_probe(key, reach, now + self.keepalive_interval if self.keepalive_interval else None)

    def remove(self, aor: str, contact: str) -> Binding | None:
        contacts = self._by_aor.get(aor)
        if contacts is None or contact not in contacts:
            return None
        binding = contacts.pop(contact)
        if not contacts:
            del self._by_aor[aor]
        key = (aor, contact)
        self._deadlines.discard((binding.expires_at, _EXPIRE, *key))
        reach = self._reach.pop(key, None)
        if reach is not None and reach.probe_at is not None:
            self._deadlines.discard((reach.probe_at, _PROBE, *key))
        return binding

    def _schedule_probe(self, key: tuple[str, str], reach: _Reach, when: float | None) -> None:
        if reach.probe_at is not None:
            self._deadlines.discard((reach.probe_at, _PROBE, *key))
        reach.probe_at = when
        if when is not None:
            self._deadlines.add((when, _PROBE, *key))

    # ---- time ------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When ``expire`` or ``due_probes`` next has something to do."""
        return self._deadlines[0][0] if self._deadlines else None

    def expire(self, now: float) -> list[Binding]:
        """Remove and return the bindings whose time is up (``expires_at <= now``)."""
        index = self._deadlines.bisect_left(_after_kinds(now))
        due = [d for d in self._deadlines.islice(0, index) if d[1] == _EXPIRE]
        gone: list[Binding] = []
        for entry in due:
            self._deadlines.discard(entry)
            binding = self.remove(entry[2], entry[3])
            if binding is not None:
                gone.append(binding)
        return gone

    def due_probes(self, now: float) -> list[Binding]:
        """Bindings whose OPTIONS probe is due now; each is rescheduled one interval later.

        The caller sends one OPTIONS per binding to ``binding.source`` and reports
        the outcome with ``mark_reachable`` / ``mark_unreachable``.
        """
        if not self.keepalive_interval:
            return []
        index = self._deadlines.bisect_left(_after_kinds(now))
        due = [d for d in self._deadlines.islice(0, index) if d[1] == _PROBE]
        out: list[Binding] = []
        for entry in due:
            key = (entry[2], entry[3])
            reach = self._reach.get(key)
            if reach is None:
                self._deadlines.discard(entry)
                continue
            reach.probes_sent += 1
            self._schedule_probe(key, reach, now + self.keepalive_interval)
            binding = self.get(*key)
            if binding is not None:
                out.append(binding)
        return out

    def mark_reachable(self, aor: str, contact: str, now: float) -> bool:
        """Any response to a probe (even 4xx/5xx: something answered). Returns whether it changed."""
        reach = self._reach.get((aor, contact))
        if reach is None:
            return False
        changed = not reach.reachable
        reach.reachable = True
        reach.last_answer = now
        return changed

    def mark_unreachable(self, aor: str, contact: str, now: float) -> bool:
        """A probe timed out: skip this contact in ``lookup`` until it answers or re-registers."""
        reach = self._reach.get((aor, contact))
        if reach is None:
            return False
        changed = reach.reachable
        reach.reachable = False
        return changed
