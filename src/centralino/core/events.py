"""The event base: immutable facts with the time they happened.

Domain events are the truth; records, statistics and pushes are projections of
them (docs/architecture.md). Each event is a frozen dataclass carrying ``at``,
the time in seconds since the epoch, taken from the injected clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    at: float

    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = type(self).kind
        return data

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
