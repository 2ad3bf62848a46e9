"""The location service on its own: deadlines, probes, reachability, ordering, the in-memory store."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centralino.sip.location import Binding, InMemoryBindingStore, LocationService
from centralino.sip.transaction import Address

SOURCE = Address("UDP", "198.51.100.20", 40312)


def binding(contact: str, expires_at: float, *, aor: str = "1001@acme", q: float | None = None,
            registered_at: float = 0.0) -> Binding:
    return Binding(aor=aor, contact=contact, expires_at=expires_at, call_id="c", cseq=1, source=SOURCE,
                   registered_at=registered_at, q=q)


def test_put_get_remove_and_deadlines() -> None:
    loc = LocationService(keepalive_interval=None)
    assert loc.next_deadline() is None
    loc.put(binding("sip:a@192.0.2.1", 100), now=0)
    loc.put(binding("sip:b@192.0.2.2", 50), now=0)
    assert loc.next_deadline() == 50 and len(loc) == 2 and loc.aors() == ["1001@acme"]
    loc.put(binding("sip:b@192.0.2.2", 200), now=10)  # refresh moves its deadline
    assert loc.next_deadline() == 100
    assert loc.remove("1001@acme", "sip:a@192.0.2.1") is not None
    assert loc.remove("1001@acme", "sip:a@192.0.2.1") is None
    assert loc.next_deadline() == 200
    assert loc.expire(200) == [binding("sip:b@192.0.2.2", 200)]
    assert loc.aors() == [] and loc.next_deadline() is None


def test_probe_schedule_is_per_binding_and_periodic() -> None:
    loc = LocationService(keepalive_interval=30)
    loc.put(binding("sip:a@192.0.2.1", 1000), now=0)
    loc.put(binding("sip:b@192.0.2.2", 1000), now=10)
    assert [b.contact for b in loc.due_probes(30)] == ["sip:a@192.0.2.1"]
    assert [b.contact for b in loc.due_probes(40)] == ["sip:b@192.0.2.2"]
    assert loc.next_deadline() == 60
    assert loc.due_probes(59) == []
    assert len(loc.due_probes(75)) == 2  # both overdue: each probed once, not once per missed period
    assert loc.due_probes(75) == []


def test_unreachable_contacts_are_skipped_until_they_answer() -> None:
    loc = LocationService()
    loc.put(binding("sip:a@192.0.2.1", 1000), now=0)
    assert loc.mark_unreachable("1001@acme", "sip:a@192.0.2.1", 31)
    assert not loc.mark_unreachable("1001@acme", "sip:a@192.0.2.1", 32)  # no change
    assert loc.lookup("1001@acme") == [] and len(loc.bindings("1001@acme")) == 1
    assert loc.mark_reachable("1001@acme", "sip:a@192.0.2.1", 61)
    assert not loc.mark_reachable("nobody@acme", "sip:x@192.0.2.9", 61)
    assert len(loc.lookup("1001@acme")) == 1


def test_lookup_orders_by_q_then_most_recent() -> None:
    loc = LocationService()
    rng = random.Random(7)
    entries = [binding(f"sip:p{i}@192.0.2.{i}", 1000, q=rng.choice([None, 0.2, 0.5, 1.0]),
                       registered_at=float(rng.randrange(100))) for i in range(1, 30)]
    for b in entries:
        loc.put(b, now=0)
    found = loc.lookup("1001@acme")
    keys = [(-b.priority, -b.registered_at) for b in found]
    assert keys == sorted(keys) and len(found) == len(entries)


def test_expire_removes_only_what_is_due_among_many() -> None:
    loc = LocationService(keepalive_interval=15)
    rng = random.Random(3)
    entries = [binding(f"sip:p{i}@192.0.2.1:{5000 + i}", rng.uniform(0, 100), aor=f"{i % 7}@acme")
               for i in range(200)]
    for b in entries:
        loc.put(b, now=0)
    gone = loc.expire(50)
    assert {b.contact for b in gone} == {b.contact for b in entries if b.expires_at <= 50}
    assert all(b.expires_at > 50 for b in loc.all())
    assert len(loc) == 200 - len(gone)


def test_in_memory_store_round_trip() -> None:
    store = InMemoryBindingStore([binding("sip:a@192.0.2.1", 10)])
    store.save(binding("sip:b@192.0.2.2", 20))
    store.save(binding("sip:a@192.0.2.1", 30))
    store.delete("1001@acme", "sip:b@192.0.2.2")
    store.delete("1001@acme", "sip:zzz@192.0.2.2")
    assert store.load_all() == [binding("sip:a@192.0.2.1", 30)]


def test_binding_helpers() -> None:
    b = binding("sip:a@192.0.2.1:5062;transport=tcp", 100.2)
    assert b.expires_in(40) == 61 and b.expires_in(200) == 0
    assert b.uri.port == 5062 and b.priority == 1.0
    with pytest.raises(ValueError, match="keep-alive"):
        LocationService(keepalive_interval=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["put", "remove", "expire"]), st.integers(0, 5),
                          st.floats(0, 500, allow_nan=False)), max_size=60))
def test_deadlines_always_match_the_bindings(ops: list[tuple[str, int, float]]) -> None:
    """Whatever the order of puts, removals and expiries, the deadline is the earliest expiry."""
    loc = LocationService(keepalive_interval=None)
    model: dict[str, float] = {}
    now = 0.0
    for op, index, value in ops:
        contact = f"sip:p{index}@192.0.2.1"
        if op == "put":
            loc.put(binding(contact, now + value + 1), now)
            model[contact] = now + value + 1
        elif op == "remove":
            loc.remove("1001@acme", contact)
            model.pop(contact, None)
        else:
            now += value
            gone = {b.contact for b in loc.expire(now)}
            assert gone == {c for c, t in model.items() if t <= now}
            model = {c: t for c, t in model.items() if t > now}
        assert loc.next_deadline() == min(model.values(), default=None)
        assert {b.contact: b.expires_at for b in loc.all()} == model
