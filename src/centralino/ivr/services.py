"""What a session asks of the world, and the call it runs for.

``Services`` is the seam for lookups that answer at once: plain synchronous methods, so the
interpreter stays free of I/O and the server decides how to meet them (a cache kept warm by
the store, a thread, a precomputed snapshot). ``StaticServices`` answers from memory: the
tests, the planning simulator and ``config check`` dry runs use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import phonenumbers

__all__ = ["CallContext", "IsOpen", "Services", "StaticServices", "Verification", "always_open"]

IsOpen = Callable[[str, float], bool]
"""``is_open(hours_name, now)``: the config's business calendar, holidays included."""


def always_open(hours: str, now: float) -> bool:
    return True


class Verification(StrEnum):
    ok = "ok"
    wrong = "wrong"
    locked = "locked"  # locked before this attempt (e.g. by an earlier call)


class Services(Protocol):
    def find_customer(self, by: str, value: str) -> Mapping[str, Any] | None:
        """``by`` is "caller_id" (E.164) or "account"; the record must have an "id"."""
        ...

    def verify(self, customer: str, method: str, value: str, now: float) -> Verification:
        """``method`` "pin" (digits) or "dob" (ISO date YYYY-MM-DD)."""
        ...

    def queue_stats(self, queue: str) -> Mapping[str, float]:
        """At least ``ewt`` (expected wait, s), ``waiting``, ``agents_available``."""
        ...

    def announcement(self, number: str, language: str) -> str | None:
        """The supervisor's current message for this dialled number, as text, or None."""
        ...


@dataclass
class StaticServices:
    """In-memory services: customers by id with ``phone``/``account``/``pin``/``dob`` fields."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)
    announcements: dict[str, str] = field(default_factory=dict)  # number -> text
    locked: set[str] = field(default_factory=set)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (customer, method), for tests

    def find_customer(self, by: str, value: str) -> Mapping[str, Any] | None:
        key = "phone" if by == "caller_id" else "account"
        for customer in self.customers:
            if value and str(customer.get(key)) == value:
                return {k: v for k, v in customer.items() if k not in ("pin", "dob")}
        return None

    def verify(self, customer: str, method: str, value: str, now: float) -> Verification:
        self.checks.append((customer, method))
        if customer in self.locked:
            return Verification.locked
        record = next((c for c in self.customers if c.get("id") == customer), None)
        if record is None or str(record.get(method)) != value:
            return Verification.wrong
        return Verification.ok

    def queue_stats(self, queue: str) -> Mapping[str, float]:
        return self.stats.get(queue, {})

    def announcement(self, number: str, language: str) -> str | None:
        return self.announcements.get(number)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContext:
    """The call a session runs for, as the server knows it at the start."""

    leg: str
    caller: str
    dialled: str
    tenant: str | None = None
    caller_country: str | None = None  # ISO 3166; None: derived from an E.164 caller
    time_zone: str = "UTC"  # the number's
    hours: str | None = None  # the number's business-hours set
    answered: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)  # extra variables, e.g. from SIP headers

    def country(self) -> str | None:
        if self.caller_country:
            return self.caller_country
        if not self.caller.startswith("+"):
            return None
        try:
            parsed = phonenumbers.parse(self.caller, None)
        except phonenumbers.NumberParseException:
            return None
        return phonenumbers.region_code_for_number(parsed)
