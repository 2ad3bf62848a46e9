"""A call's variables: what flows branch on, set, speak and pass to the agent.

Names are dotted and flat: ``caller.number``, ``caller.country``, ``dialled``, ``tenant``,
``language``, ``verified``, ``customer.<field>`` after a lookup, ``route.*`` routing
requirements, and whatever ``set``/``collect`` nodes store. Three families are computed
when read rather than stored, so they are always current:

- ``time.hour``, ``time.minute``, ``time.weekday`` (1 = Monday), ``time.date``
  (ISO), ``time.time`` (HH:MM), in the number's time zone;
- ``queue.<name>.<stat>`` from ``Services.queue_stats`` (``ewt``, ``waiting``,
  ``agents_available``...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from centralino.ivr.services import CallContext, Services

__all__ = ["Route", "Variables", "dob_to_iso", "luhn_ok"]


def luhn_ok(digits: str) -> bool:
    """The Luhn check digit of card and many account numbers."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def dob_to_iso(digits: str) -> str | None:
    """DDMMYYYY as keyed -> YYYY-MM-DD, or None if it is no date."""
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return dt.date(int(digits[4:]), int(digits[2:4]), int(digits[:2])).isoformat()
    except ValueError:
        return None


@dataclass
class Route:
    skills: dict[str, int] = field(default_factory=dict)
    language: str | None = None
    tier: str | None = None
    priority: int = 0


class Variables:
    def __init__(self, context: CallContext, language: str, services: Services, now: float) -> None:
        self.services = services
        self.now = now
        try:
            self.zone: dt.tzinfo = ZoneInfo(context.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = dt.UTC
        self.values: dict[str, Any] = {
            **context.data,
            "caller.number": context.caller,
            "caller.country": context.country(),
            "dialled": context.dialled,
            "tenant": context.tenant,
            "language": language,
            "verified": False,
        }
        self.secret: set[str] = set()
        self._route = Route()

    @property
    def language(self) -> str:
        return str(self.values["language"])

    @language.setter
    def language(self, value: str) -> None:
        self.values["language"] = value

    def get(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        head, _, rest = name.partition(".")
        if head == "time":
            return self._time(rest)
        if head == "queue" and "." in rest:
            queue, _, stat = rest.rpartition(".")
            return self.services.queue_stats(queue).get(stat)
        if head == "route":
            return getattr(self._route, rest, None)
        return None

    def _time(self, part: str) -> Any:
        local = dt.datetime.fromtimestamp(self.now, self.zone)
        return {"hour": local.hour, "minute": local.minute, "weekday": local.isoweekday(),
                "date": local.date().isoformat(), "time": local.strftime("%H:%M")}.get(part)

    def set(self, name: str, value: Any, secret: bool = False) -> None:
        self.values[name] = value
        if secret:
            self.secret.add(name)

    def customer(self, record: Mapping[str, Any], by: str) -> None:
        for key in [k for k in self.values if k.startswith("customer.")]:
            del self.values[key]
        for key, value in record.items():
            self.values[f"customer.{key}"] = value
        self.values["identified_by"] = by
        self.values["verified"] = False

    def route(self, skills: Mapping[str, int] | None, language: str | None, tier: str | None,
              priority: int | None) -> None:
        if skills:
            self._route.skills.update(skills)
        if language is not None:
            self._route.language = language
        if tier is not None:
            self._route.tier = tier
        if priority is not None:
            self._route.priority = priority

    def routing(self) -> Route:
        return self._route

    def public(self) -> dict[str, Any]:
        """The variables an agent may see: secrets (PINs, secret entries) left out."""
        return {k: v for k, v in self.values.items() if k not in self.secret}
