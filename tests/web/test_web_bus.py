"""The CTI event bus: per-tenant sequences, replay after a reconnect, audience scoping, isolation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import pytest

from centralino.api.bus import RESYNC, Audience, Event, EventBus, Subscriber, Subscription
from centralino.core.clock import FakeClock

AGENT = Subscriber("u-anna", "agent", "a-anna")
OTHER_AGENT = Subscriber("u-marco", "agent", "a-marco")
SUPERVISOR = Subscriber("u-sup", "supervisor")
ADMIN = Subscriber("u-admin", "admin")


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 5))


async def drain(subscription: Subscription) -> list[Event]:
    """Every event already delivered (publish hands events over with call_soon)."""
    await asyncio.sleep(0)
    got = []
    while True:
        try:
            got.append(await subscription.next(timeout=0.05))
        except TimeoutError:
            return got


def test_sequence_numbers_are_per_tenant_and_increase() -> None:
    bus = EventBus(clock=FakeClock(100.0))
    seqs = [bus.emit("demo", "x", {}).seq for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert bus.emit("acme", "x", {}).seq == 1
    assert bus.emit("demo", "x", {}).seq == 4
    assert bus.last_seq("demo") == 4 and bus.last_seq("acme") == 1 and bus.last_seq("nobody") == 0
    assert bus.emit("demo", "x", {}).at == 100.0


def test_replay_since_a_sequence_then_live_events_in_order() -> None:
    async def body() -> None:
        bus = EventBus()
        for n in range(5):
            bus.emit("demo", "tick", {"n": n})
        subscription = bus.subscribe("demo", SUPERVISOR, since=2)
        bus.emit("demo", "tick", {"n": 5})
        got = await drain(subscription)
        assert [e.seq for e in got] == [3, 4, 5, 6]
        assert [e.data["n"] for e in got] == [2, 3, 4, 5]
        subscription.close()
        assert bus.subscriber_count("demo") == 0

    run(body)


def test_without_since_only_new_events() -> None:
    async def body() -> None:
        bus = EventBus()
        bus.emit("demo", "old", {})
        subscription = bus.subscribe("demo", SUPERVISOR)
        bus.emit("demo", "new", {})
        assert [e.type for e in await drain(subscription)] == ["new"]

    run(body)


def test_expired_replay_and_unknown_sequence_ask_for_a_resync() -> None:
    async def body() -> None:
        bus = EventBus(buffer_size=3)
        for _ in range(10):
            bus.emit("demo", "tick", {})
        expired = await drain(bus.subscribe("demo", SUPERVISOR, since=2))
        assert [(e.type, e.seq) for e in expired] == [(RESYNC, 10)]
        assert expired[0].data["reason"] == "events expired"
        kept = await drain(bus.subscribe("demo", SUPERVISOR, since=7))
        assert [e.seq for e in kept] == [8, 9, 10]
        future = await drain(bus.subscribe("demo", SUPERVISOR, since=99))
        assert [e.type for e in future] == [RESYNC]

    run(body)


def test_audiences_scope_who_sees_what() -> None:
    async def body() -> None:
        bus = EventBus()
        subs = {s: bus.subscribe("demo", s) for s in (AGENT, OTHER_AGENT, SUPERVISOR, ADMIN)}
        bus.emit("demo", "offer-anna", {}, Audience.agent("a-anna"))
        bus.emit("demo", "for-supervisors", {}, Audience.role("supervisor"))
        bus.emit("demo", "private", {}, Audience.user("u-marco"))
        bus.emit("demo", "everyone", {})
        seen = {s: [e.type for e in await drain(sub)] for s, sub in subs.items()}
        assert seen[AGENT] == ["offer-anna", "everyone"]
        assert seen[OTHER_AGENT] == ["private", "everyone"]
        assert seen[SUPERVISOR] == ["offer-anna", "for-supervisors", "everyone"]
        assert seen[ADMIN] == ["offer-anna", "for-supervisors", "everyone"]

    run(body)


def test_replay_is_scoped_too() -> None:
    async def body() -> None:
        bus = EventBus()
        bus.emit("demo", "offer-anna", {}, Audience.agent("a-anna"))
        bus.emit("demo", "everyone", {})
        replayed = await drain(bus.subscribe("demo", OTHER_AGENT, since=0))
        assert [(e.type, e.seq) for e in replayed] == [("everyone", 2)]

    run(body)


def test_tenants_are_isolated() -> None:
    async def body() -> None:
        bus = EventBus()
        acme = bus.subscribe("acme", Subscriber("u-acme", "admin"))
        demo = bus.subscribe("demo", ADMIN)
        bus.emit("demo", "demo-only", {"secret": "demo"})
        bus.emit("acme", "acme-only", {})
        assert [e.type for e in await drain(acme)] == ["acme-only"]
        assert [e.type for e in await drain(demo)] == ["demo-only"]
        replay = await drain(bus.subscribe("acme", Subscriber("u-acme", "admin"), since=0))
        assert [e.type for e in replay] == ["acme-only"]

    run(body)


def test_publish_from_another_thread_reaches_the_loop_in_order() -> None:
    async def body() -> None:
        bus = EventBus()
        subscription = bus.subscribe("demo", SUPERVISOR)
        worker = threading.Thread(target=lambda: [bus.emit("demo", "t", {"n": n}) for n in range(50)])
        worker.start()
        got = [await subscription.next(timeout=2) for _ in range(50)]
        worker.join()
        assert [e.data["n"] for e in got] == list(range(50))
        assert [e.seq for e in got] == list(range(1, 51))

    run(body)


def test_a_reader_too_slow_gets_a_resync_instead_of_unbounded_memory() -> None:
    async def body() -> None:
        bus = EventBus(queue_limit=5)
        subscription = bus.subscribe("demo", SUPERVISOR)
        for _ in range(6):
            bus.emit("demo", "tick", {})
        got = await drain(subscription)
        assert got[0].type == RESYNC and got[0].data["reason"] == "reader too slow"
        assert len(got) <= 5

    run(body)


def test_wire_form_hides_the_audience() -> None:
    event = EventBus().emit("demo", "call.offered", {"call_id": "c1"}, Audience.agent("a-anna"))
    assert set(event.to_json()) == {"seq", "type", "at", "data"}


def test_buffer_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="buffer_size"):
        EventBus(buffer_size=0)
