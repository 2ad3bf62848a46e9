"""Call-control events: what happened to a leg, in words the engines understand.

A *leg* is one party's connection to Centralino (the caller's inbound leg, an
agent's outbound leg). Legs have opaque string ids; the SIP layer maps them to
dialogs, the simulator to nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from centralino.core.events import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent(Event):
    leg: str
    kind: ClassVar[str] = "call"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOffered(CallEvent):
    """A new inbound leg: who calls, which number they dialled, for which tenant."""

    caller: str  # E.164 or extension, as presented
    dialled: str
    tenant: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    kind: ClassVar[str] = "call.offered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringing(CallEvent):
    kind: ClassVar[str] = "call.ringing"


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered(CallEvent):
    kind: ClassVar[str] = "call.answered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridged(CallEvent):
    other: str
    kind: ClassVar[str] = "call.bridged"


@dataclass(frozen=True, slots=True, kw_only=True)
class Held(CallEvent):
    kind: ClassVar[str] = "call.held"


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed(CallEvent):
    kind: ClassVar[str] = "call.resumed"


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitsReceived(CallEvent):
    digits: str
    kind: ClassVar[str] = "call.digits"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackFinished(CallEvent):
    playback: str
    interrupted: bool = False
    kind: ClassVar[str] = "call.playback_finished"


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeout(CallEvent):
    """A timer the engine asked for has expired (e.g. no digits)."""

    name: str
    kind: ClassVar[str] = "call.timeout"


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed(CallEvent):
    """An outbound attempt failed: busy, no answer, rejected, unreachable."""

    code: int
    reason: str
    kind: ClassVar[str] = "call.failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class HungUp(CallEvent):
    """The leg is gone. ``by`` says who ended it: 'remote', 'local' or 'system'."""

    by: str = "remote"
    cause: str = "normal"
    kind: ClassVar[str] = "call.hungup"
