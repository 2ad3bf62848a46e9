"""The contract between the live pages and the running contact center.

The routes in ``api/routes/live.py`` and the CTI WebSocket (``api/events_ws.py``) talk to a
``ContactCenter``: agent states, the agent's chosen phone, queue snapshots, agents by state,
call controls, wrap-up, click-to-dial, supervisor monitoring, the IVR outage announcement,
interval figures for the charts and a customer's timeline. The real implementation (SIP switch,
ACD, IVR, call records) is wired in ``centralino.app``; ``centralino.api.demo_center`` holds an
in-memory one for tests and for the pages to work before that.

Rules every implementation keeps:

- Every method takes the tenant id first and only ever touches that tenant's agents, calls and
  queues. An id of another tenant raises ``NotFound``, exactly like a missing one.
- Refused requests raise ``centralino.core.errors.NotFound`` (unknown agent or call: 404) or
  ``Conflict`` (wrong state, e.g. hold on a call that is not answered: 409) with a message the
  user can act on; the API turns them into its error body.
- Who asks is an ``Actor`` (user id, role, linked agent id); agents may control only their own
  calls, supervisors and admins any call of the tenant.
- Changes are published on ``bus`` (``centralino.api.bus.EventBus``) with the event types and
  payloads of docs/cti-events.md; the payloads are the ``to_json()`` of the dataclasses below.

Times are Unix seconds (floats) from the implementation's injected clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum, StrEnum
from typing import Any, Protocol, runtime_checkable

from centralino.acd.agent_states import AgentState
from centralino.api.bus import EventBus, Subscriber

__all__ = [
    "Actor",
    "AgentState",
    "AgentStatus",
    "Announcement",
    "ContactCenter",
    "DeskOptions",
    "IntervalFigure",
    "MonitorMode",
    "Offer",
    "QueueSnapshot",
    "TargetKind",
    "TimelineEntry",
    "TransferMode",
    "to_json",
]

Actor = Subscriber
"""Who asks for an action: the same triple (user id, role, agent id) the bus scopes by."""


class TargetKind(StrEnum):
    agent = "agent"  # an agent id
    queue = "queue"  # a queue name
    number = "number"  # a dialable number (internal extension or E.164)


class TransferMode(StrEnum):
    blind = "blind"  # hand the caller over at once
    attended = "attended"  # consult the target first; the caller is held


class MonitorMode(StrEnum):
    listen = "listen"  # hear both sides, nobody hears the supervisor
    whisper = "whisper"  # the agent hears the supervisor, the caller does not
    barge = "barge"  # a three-way call


def to_json(value: Any) -> Any:
    """Dataclasses, enums and containers as plain JSON values (enums by value)."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_json(v) for k, v in asdict(value).items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """An agent as the desktop and the wallboard show it."""

    agent_id: str
    name: str
    extension: str  # the agent's own extension (the configuration's)
    state: AgentState
    since: float  # when the agent entered ``state``
    reason: str | None = None  # break reason
    phone: str | None = None  # the extension the agent chose to take calls on (None: its own)
    call_id: str | None = None  # the call the agent is on or being offered
    wrapup_until: float | None = None  # end of the wrap-up timer

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = to_json(self)
        return out


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One queue now and today; ratios with no denominator are None ("no data"), see docs/metrics.md."""

    queue: str
    waiting: int
    longest_wait: float | None  # age of the oldest waiting contact, seconds
    service_level: float | None  # today, 0..1, by ``formula``
    formula: str  # the queue's service_level_formula, e.g. "answered-only"
    formula_text: str  # e.g. "answered within T / answered"
    threshold: float  # T, seconds
    service_level_goal: float  # 0..1; below it the queue is "at risk"
    offered: int
    answered: int
    abandoned: int
    asa: float | None  # seconds
    aht: float | None  # seconds
    callbacks_pending: int
    ewt_error_mean: float | None  # seconds
    ewt_error_p90: float | None
    agents_available: int
    agents_staffed: int
    at_risk: bool  # service level below goal, or the longest wait beyond T with nobody available

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = to_json(self)
        return out


@dataclass(frozen=True, slots=True)
class IntervalFigure:
    """One interval of today for the charts (all queues of the tenant when ``queue`` is None)."""

    start: float
    length: float
    offered: int
    answered: int
    abandoned: int
    service_level: float | None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened with a customer: a call, callback, voicemail or survey answer."""

    at: float
    kind: str  # "call" | "callback" | "voicemail" | "survey"
    summary: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Offer:
    """What the screen pop shows when a call is offered to an agent (payload of ``call.offered``)."""

    call_id: str
    agent_id: str
    queue: str
    caller_number: str | None
    caller_name: str | None
    customer_id: str | None  # found by caller id or by the IVR (account number), None if unknown
    verified: bool  # the caller proved who they are (PIN) in the IVR
    waited: float  # seconds in queue
    language: str | None = None
    ivr_trace: Sequence[str] = ()  # node names the caller went through, in order
    ivr_choices: Mapping[str, str] = field(default_factory=dict)  # e.g. {"language": "pl", "menu": "2"}
    offered_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = to_json(self)
        return out


@dataclass(frozen=True, slots=True)
class DeskOptions:
    """Choices the desktop offers: break reasons, disposition codes, the wrap-up time."""

    break_reasons: Sequence[str]
    dispositions: Sequence[str]
    wrapup_seconds: float


@dataclass(frozen=True, slots=True)
class Announcement:
    """The IVR outage announcement of a tenant (played by the flow's ``announcement`` node)."""

    text: str
    set_by: str
    set_at: float


@runtime_checkable
class ContactCenter(Protocol):
    """What the live routes and the CTI stream need from the running contact center."""

    bus: EventBus

    # Agents -----------------------------------------------------------------------------------
    async def agent_status(self, tenant_id: str, agent_id: str) -> AgentStatus: ...

    async def agents(self, tenant_id: str) -> list[AgentStatus]:
        """Every agent of the tenant with its state and time in state (wallboard)."""
        ...

    async def set_agent_state(
        self, tenant_id: str, actor: Actor, agent_id: str, state: AgentState, reason: str | None
    ) -> AgentStatus:
        """``available``, ``break`` (with a reason), ``logged-out``; also ends wrap-up early.

        Publishes ``agent.state``. Conflict when the agent's state does not allow it.
        """
        ...

    async def choose_phone(
        self, tenant_id: str, actor: Actor, agent_id: str, extension: str
    ) -> AgentStatus:
        """The extension the agent takes calls on this session; NotFound if not the tenant's."""
        ...

    async def desk_options(self, tenant_id: str) -> DeskOptions: ...

    async def current_offer(self, tenant_id: str, agent_id: str) -> Offer | None:
        """The offer or call the agent has now, so a reloaded desktop shows its screen pop again."""
        ...

    # Calls ------------------------------------------------------------------------------------
    async def answer(self, tenant_id: str, actor: Actor, call_id: str) -> None:
        """Answer on the agent's phone (when the phone supports remote answer); else Conflict."""
        ...

    async def hold(self, tenant_id: str, actor: Actor, call_id: str, on: bool) -> None:
        """Hold (True) or resume (False); publishes ``call.held``."""
        ...

    async def transfer(
        self,
        tenant_id: str,
        actor: Actor,
        call_id: str,
        mode: TransferMode,
        kind: TargetKind,
        target: str,
    ) -> None:
        """Publishes ``call.transferred`` (blind: at once; attended: when the consultation completes)."""
        ...

    async def conference(
        self, tenant_id: str, actor: Actor, call_id: str, kind: TargetKind, target: str
    ) -> None: ...

    async def hangup(self, tenant_id: str, actor: Actor, call_id: str) -> None:
        """Publishes ``call.ended``; the agent goes to wrap-up."""
        ...

    async def set_recording(self, tenant_id: str, actor: Actor, call_id: str, paused: bool) -> None:
        """Pause or resume the call's recording; publishes ``call.recording``."""
        ...

    async def wrap_up(
        self, tenant_id: str, actor: Actor, call_id: str, disposition: str, notes: str
    ) -> None:
        """Store the disposition and notes in the call record; the agent becomes available."""
        ...

    async def dial(self, tenant_id: str, actor: Actor, number: str, customer_id: str | None) -> str:
        """Click-to-dial: ring the agent's phone, then the number; returns the new call id."""
        ...

    # Supervision ------------------------------------------------------------------------------
    async def queues(self, tenant_id: str) -> list[QueueSnapshot]: ...

    async def intervals(self, tenant_id: str, length: float) -> list[IntervalFigure]:
        """Today's intervals of ``length`` seconds (900, 1800, 3600), all queues together."""
        ...

    async def monitor(
        self, tenant_id: str, actor: Actor, call_id: str, mode: MonitorMode, extension: str
    ) -> None:
        """Ring the supervisor's ``extension``; when answered it joins the call in ``mode``."""
        ...

    async def announcement(self, tenant_id: str) -> Announcement | None: ...

    async def set_announcement(
        self, tenant_id: str, actor: Actor, text: str | None
    ) -> Announcement | None:
        """Set (text) or withdraw (None) the outage announcement; publishes ``announcement``."""
        ...

    async def request_callback(
        self, tenant_id: str, queue: str, number: str, not_before: float | None, language: str | None
    ) -> None:
        """A customer asked on the web to be called back from ``queue`` (E.164 ``number``, not before
        ``not_before``); NotFound for a queue the tenant does not have."""
        ...

    # Customers --------------------------------------------------------------------------------
    async def timeline(self, tenant_id: str, customer_id: str) -> list[TimelineEntry]:
        """Calls, callbacks, voicemails and survey answers of a customer, newest first."""
        ...
