"""The CTI event bus: what the contact center tells the browsers, in order, scoped, replayable.

Every event belongs to one tenant and names its audience (the whole tenant, a role, one user,
one agent). ``publish`` stamps it with the tenant's next sequence number (1, 2, 3 ... per
tenant, never reused while the process runs) and keeps the last ``buffer_size`` events of each
tenant for replay. ``subscribe(subscriber, since)`` first yields the retained events after
``since`` that the subscriber may see, then live ones: a browser that lost its WebSocket
reconnects with the last sequence number it saw and misses nothing. When the events it missed
have left the buffer (or it read too slowly and its queue overflowed) it gets one ``resync``
event, whose meaning is "reload your snapshots over REST", and the stream continues.

Scoping is enforced here, not in the WebSocket route, so no consumer of the bus can forget it:
a subscription is bound to one tenant and a ``Subscriber`` (user id, role, agent id), and the
bus filters every event through ``Audience.admits``. Installation admins subscribe to one
tenant at a time (sequence numbers are per tenant, so a stream never mixes tenants).

Thread safety: ``publish`` may be called from any thread (the telephony shell, a test driving a
server thread). A lock guards the counters and buffers; delivery to each subscriber goes
through its own event loop's ``call_soon_threadsafe``, so each subscriber sees events in
sequence order. Hand-written because the job is small and specific (per-tenant sequences,
audience filtering, replay); broker libraries (NATS, Redis streams) are for the multi-node
case and can sit behind the same interface later.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from centralino.core.clock import Clock, SystemClock

__all__ = [
    "RESYNC",
    "Audience",
    "AudienceKind",
    "Event",
    "EventBus",
    "Subscriber",
    "Subscription",
]

RESYNC = "resync"
"""Type of the event a subscriber gets when events it should have seen are lost to it."""


class AudienceKind(StrEnum):
    tenant = "tenant"  # everyone logged in to the tenant
    role = "role"  # users of a role, and admins
    user = "user"  # one user id, nobody else
    agent = "agent"  # the user linked to one agent id, and the tenant's supervisors and admins


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may see an event, within its tenant."""

    kind: AudienceKind
    value: str | None = None

    @classmethod
    def tenant(cls) -> Audience:
        return cls(AudienceKind.tenant)

    @classmethod
    def role(cls, role: str) -> Audience:
        return cls(AudienceKind.role, role)

    @classmethod
    def user(cls, user_id: str) -> Audience:
        return cls(AudienceKind.user, user_id)

    @classmethod
    def agent(cls, agent_id: str) -> Audience:
        return cls(AudienceKind.agent, agent_id)

    def admits(self, subscriber: Subscriber) -> bool:
        """Supervisors and admins see everything of their tenant except events meant for one user."""
        overseer = subscriber.role in ("admin", "supervisor")
        match self.kind:
            case AudienceKind.tenant:
                return True
            case AudienceKind.role:
                return subscriber.role == self.value or subscriber.role == "admin"
            case AudienceKind.user:
                return subscriber.user_id == self.value
            case AudienceKind.agent:
                return overseer or (
                    subscriber.agent_id is not None and subscriber.agent_id == self.value
                )
        return False

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "value": self.value}


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Who reads a stream: the principal's user id and role, and the agent record linked to it."""

    user_id: str
    role: str
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One CTI event; ``seq`` is 0 until the bus stamps it. ``data`` follows docs/cti-events.schema.json."""

    tenant_id: str
    type: str
    data: Mapping[str, Any]
    audience: Audience = field(default_factory=Audience.tenant)
    seq: int = 0
    at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The wire form sent over the WebSocket (the audience stays on the server)."""
        return {"seq": self.seq, "type": self.type, "at": self.at, "data": dict(self.data)}


@dataclass
class _Tenant:
    last_seq: int = 0
    buffer: deque[Event] = field(default_factory=deque)
    subscriptions: set[Subscription] = field(default_factory=set)


class Subscription:
    """A live stream for one subscriber; iterate it with ``async for``, close it when done."""

    def __init__(
        self,
        bus: EventBus,
        tenant_id: str,
        subscriber: Subscriber,
        backlog: list[Event],
        loop: asyncio.AbstractEventLoop,
        limit: int,
    ) -> None:
        self._bus = bus
        self.tenant_id = tenant_id
        self.subscriber = subscriber
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._loop = loop
        self._limit = limit
        self._overflowed = False
        self.closed = False
        for event in backlog:
            self._queue.put_nowait(event)

    def deliver(self, event: Event) -> None:
        """Called by the bus on any thread; the event reaches the queue on the subscriber's loop."""
        if self.closed:
            return
        try:
            self._loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # the subscriber's loop is closed: it is gone
            self.closed = True

    def _put(self, event: Event) -> None:
        if self._overflowed:
            return
        if self._queue.qsize() >= self._limit:
            # Too slow a reader: drop what is queued and tell it to reload, rather than grow forever.
            self._overflowed = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(self._bus.resync_event(self.tenant_id, event.seq, "reader too slow"))
            self._overflowed = False
            return
        self._queue.put_nowait(event)

    async def next(self, timeout: float | None = None) -> Event:
        """The next event; ``TimeoutError`` after ``timeout`` seconds without one."""
        if timeout is None:
            return await self._queue.get()
        return await asyncio.wait_for(self._queue.get(), timeout)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while not self.closed:
            yield await self._queue.get()

    def close(self) -> None:
        self.closed = True
        self._bus._unsubscribe(self)


class EventBus:
    """Per-tenant sequenced events with a bounded replay buffer; see the module docstring."""

    def __init__(
        self, buffer_size: int = 1000, queue_limit: int = 1000, clock: Clock | None = None
    ) -> None:
        if buffer_size < 1:
            raise ValueError("buffer_size must be at least 1")
        self.buffer_size = buffer_size
        self.queue_limit = queue_limit
        self._clock = clock or SystemClock()
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.Lock()

    def _tenant(self, tenant_id: str) -> _Tenant:
        state = self._tenants.get(tenant_id)
        if state is None:
            state = self._tenants[tenant_id] = _Tenant(buffer=deque(maxlen=self.buffer_size))
        return state

    def publish(self, event: Event) -> Event:
        """Stamp ``event`` with its tenant's next sequence number and the time; deliver and keep it."""
        with self._lock:
            state = self._tenant(event.tenant_id)
            state.last_seq += 1
            stamped = Event(
                tenant_id=event.tenant_id,
                type=event.type,
                data=event.data,
                audience=event.audience,
                seq=state.last_seq,
                at=event.at or self._clock.now(),
            )
            state.buffer.append(stamped)
            targets = [s for s in state.subscriptions if stamped.audience.admits(s.subscriber)]
        for subscription in targets:
            subscription.deliver(stamped)
        return stamped

    def emit(
        self, tenant_id: str, type: str, data: Mapping[str, Any], audience: Audience | None = None
    ) -> Event:
        """Shorthand for ``publish(Event(...))``."""
        return self.publish(Event(tenant_id, type, data, audience or Audience.tenant()))

    def last_seq(self, tenant_id: str) -> int:
        with self._lock:
            state = self._tenants.get(tenant_id)
            return state.last_seq if state else 0

    def resync_event(self, tenant_id: str, seq: int, reason: str) -> Event:
        return Event(tenant_id, RESYNC, {"reason": reason}, seq=seq, at=self._clock.now())

    def subscribe(
        self, tenant_id: str, subscriber: Subscriber, since: int | None = None
    ) -> Subscription:
        """A stream of the tenant's events for ``subscriber`` after sequence ``since`` (None: only new).

        Must be called from the event loop the subscription will be read on.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._tenant(tenant_id)
            backlog: list[Event] = []
            if since is not None:
                if since > state.last_seq:
                    # A sequence this process never issued: the server restarted under the browser.
                    backlog.append(self.resync_event(tenant_id, state.last_seq, "unknown sequence"))
                else:
                    oldest = state.buffer[0].seq if state.buffer else state.last_seq + 1
                    if since + 1 < oldest:
                        backlog.append(self.resync_event(tenant_id, state.last_seq, "events expired"))
                    else:
                        backlog.extend(
                            e for e in state.buffer if e.seq > since and e.audience.admits(subscriber)
                        )
            subscription = Subscription(self, tenant_id, subscriber, backlog, loop, self.queue_limit)
            state.subscriptions.add(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            state = self._tenants.get(subscription.tenant_id)
            if state is not None:
                state.subscriptions.discard(subscription)

    def subscriber_count(self, tenant_id: str) -> int:
        with self._lock:
            state = self._tenants.get(tenant_id)
            return len(state.subscriptions) if state else 0
