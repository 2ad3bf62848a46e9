"""What the ACD engine decides; the telephony shell carries these out.

Every decision names its reason in words a supervisor can read in the
journal. ``OfferContact`` also names the candidates the engine looked at, so an
audit can answer "why did agent 104 get this call and not 105".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from centralino.acd.agent_states import AgentState
from centralino.acd.model import Target


@dataclass(frozen=True, slots=True)
class Decision:
    kind: ClassVar[str] = "decision"


@dataclass(frozen=True, slots=True)
class OfferContact(Decision):
    """Ring ``agents`` (one, or several for ring-all) with ``contact`` for at most ``ring_timeout``."""

    contact: str
    agents: tuple[str, ...]
    queue: str
    ring_timeout: float
    reason: str
    candidates: tuple[str, ...] = ()
    kind: ClassVar[str] = "offer"


@dataclass(frozen=True, slots=True)
class CancelOffer(Decision):
    contact: str
    agent: str
    reason: str
    kind: ClassVar[str] = "offer.cancel"


@dataclass(frozen=True, slots=True)
class Connect(Decision):
    """Bridge the contact to the agent: it happens exactly once per contact."""

    contact: str
    agent: str
    queue: str
    waited: float
    kind: ClassVar[str] = "connect"


@dataclass(frozen=True, slots=True)
class StartCallback(Decision):
    """The agent is reserved and shown the customer; call ``number`` and bridge on answer."""

    contact: str
    agent: str
    number: str
    attempt: int
    timeout: float
    kind: ClassVar[str] = "callback.start"


@dataclass(frozen=True, slots=True)
class CallbackScheduled(Decision):
    """The contact holds its place; it will be called back (at ``at`` or when it reaches the head)."""

    contact: str
    number: str
    at: float
    attempt: int
    reason: str
    kind: ClassVar[str] = "callback.scheduled"


@dataclass(frozen=True, slots=True)
class CallbackAbandoned(Decision):
    contact: str
    attempts: int
    reason: str
    kind: ClassVar[str] = "callback.given_up"


@dataclass(frozen=True, slots=True)
class Announce(Decision):
    """Tell the waiting caller their position and expected wait (seconds)."""

    contact: str
    position: int
    ewt: float
    kind: ClassVar[str] = "announce"


@dataclass(frozen=True, slots=True)
class Overflow(Decision):
    """The contact leaves ``queue`` for ``target`` (another queue keeps the original arrival time)."""

    contact: str
    queue: str
    target: Target
    reason: str
    kind: ClassVar[str] = "overflow"


@dataclass(frozen=True, slots=True)
class Requeue(Decision):
    """An offer ended without an answer; the contact is back in line at its old place."""

    contact: str
    queue: str
    reason: str
    kind: ClassVar[str] = "requeue"


@dataclass(frozen=True, slots=True)
class RequirementsWidened(Decision):
    contact: str
    queue: str
    step: int
    requirements: str
    kind: ClassVar[str] = "widen"


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Decision):
    agent: str
    state: AgentState
    reason: str
    kind: ClassVar[str] = "agent.state"


@dataclass(frozen=True, slots=True)
class Refused(Decision):
    """An event that does not fit the current state; journaled and otherwise ignored."""

    event: str
    reason: str
    kind: ClassVar[str] = "refused"
