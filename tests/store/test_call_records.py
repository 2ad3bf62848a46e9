"""CallRecordStore on SQLite and PostgreSQL: a call's facts become its record, legs, passages,
survey answers and recordings; open calls are closed as interrupted; lists filter and page;
the customer timeline; the retention sweep."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from centralino.records import facts as f
from centralino.records.stats import Outcome, QueuedContact
from centralino.store.call_record_store import CallFilter, CallRecordStore
from centralino.store.call_records import CallLegRow, QueuePassageRow, RecordingRow, SurveyAnswerRow
from centralino.store.db import Database
from centralino.store.models import AuditEntry, Customer, CustomerPhone, Tenant

T0 = 1_780_000_000.0


def tenant(db: Database, name: str = "demo") -> str:
    with db.session() as session:
        row = Tenant(name=name)
        session.add(row)
        session.flush()
        return row.id


def answered_call(call: str, t: float = T0, caller: str = "+48221110000") -> list[f.Fact]:
    return [
        f.CallArrived(at=t, call=call, tenant="demo", caller=caller, dialled="+48221234567", route="ivr"),
        f.IvrTraced(at=t + 8, call=call, trace={"nodes": ["welcome", "menu"], "choices": {"menu": "1"}}),
        f.QueueEntered(at=t + 8, call=call, tenant="demo", queue="support"),
        f.OfferRinging(at=t + 10, call=call, agent="1002", leg=f"{call}-a1", queue="support"),
        f.OfferEnded(
            at=t + 30, call=call, agent="1002", leg=f"{call}-a1", outcome="missed", reason="no answer"
        ),
        f.OfferRinging(at=t + 30, call=call, agent="1001", leg=f"{call}-a2", queue="support"),
        f.OfferEnded(at=t + 33, call=call, agent="1001", leg=f"{call}-a2", outcome="answered"),
        f.CallConnected(at=t + 33, call=call, agent="1001", queue="support", waited=25),
        f.RecordingStarted(
            at=t + 33,
            call=call,
            recording=f"r-{call}",
            tenant="demo",
            file=f"recordings/demo/r-{call}.wav",
            reason="all",
            retention_days=30,
            agent="1001",
        ),
        f.CallHeld(at=t + 60, call=call, agent="1001"),
        f.CallResumed(at=t + 75, call=call, agent="1001"),
        f.CallTransferred(at=t + 90, call=call, agent="1001", target_kind="agent", target="1003"),
        f.CallFinished(at=t + 133, call=call, hung_up_by="caller", agent="1001"),
        f.MediaQuality(
            at=t + 133,
            call=call,
            leg=call,
            packets_sent=5000,
            packets_received=4990,
            packets_lost=10,
            loss_pct=0.2,
            jitter_ms=3.5,
            max_jitter_ms=12.0,
        ),
        f.RecordingStopped(
            at=t + 133, call=call, recording=f"r-{call}", seconds=100.0, size=1600044, sha256="ab" * 32
        ),
        f.SurveyAnswered(at=t + 140, call=call, survey="csat", question="score", answer="5"),
        f.QueueLeft(
            at=t + 143,
            call=call,
            tenant="demo",
            record=QueuedContact(
                call,
                "support",
                t + 8,
                t + 33,
                Outcome.answered,
                agent="1001",
                talk=100.0,
                wrapup=10.0,
                ewt_announced=30.0,
            ),
        ),
        f.WrapUpSubmitted(
            at=t + 143, call=call, agent="1001", disposition="resolved", notes="reset password"
        ),
    ]


def test_a_call_becomes_its_record_legs_passage_and_answers(db: Database) -> None:
    tenant(db)
    store = CallRecordStore(db)
    assert store.append([*answered_call("c1"), object()]) == 18  # non-facts are ignored
    got = store.get("c1")
    assert got is not None
    r, _ = got
    assert (r.state, r.direction, r.hung_up_by, r.agent, r.queues) == (
        "finished",
        "inbound",
        "caller",
        "1001",
        ["support"],
    )
    assert r.agents == ["1001", "1003"]
    assert (r.wait, r.hold, r.talk, r.wrapup) == (25.0, 15.0, 85.0, 10.0)
    assert (r.disposition, r.notes) == ("resolved", "reset password")
    assert r.ivr_trace["choices"] == {"menu": "1"} and r.ivr_ended_at == T0 + 8
    assert r.legs["c1-a1"].outcome == "missed" and r.legs["c1-a2"].answered_at == T0 + 33
    assert r.legs["c1"].loss_pct == 0.2 and r.legs["c1"].jitter_ms == 3.5
    assert r.recordings["r-c1"].sha256 == "ab" * 32
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CallLegRow)) == 3
        passage = session.scalars(select(QueuePassageRow)).one()
        # hold moved from talk to hold; the transfer counted; wrap-up from the dial plan's record
        assert (passage.talk, passage.hold, passage.wrapup, passage.transfers) == (85.0, 15.0, 10.0, 1)
        assert session.scalars(select(SurveyAnswerRow)).one().answer == "5"
        rec = session.get(RecordingRow, "r-c1")
        assert rec is not None and rec.expires_at == T0 + 33 + 30 * 86400


def test_refolding_is_idempotent_and_late_facts_update_the_record(db: Database) -> None:
    tenant(db)
    store = CallRecordStore(db)
    facts = answered_call("c1")
    store.append(facts[:-1])
    first = store.get("c1")
    assert first is not None and first[0].disposition is None
    store.append(facts[-1:])
    assert store.rebuild() == 1
    again = store.get("c1")
    assert again is not None and again[0].disposition == "resolved"


def test_open_calls_are_closed_as_interrupted_at_start(db: Database) -> None:
    tenant(db)
    store = CallRecordStore(db)
    store.append(answered_call("done"))
    store.append(answered_call("waiting")[:3])  # in the queue at the crash
    store.append(answered_call("talking")[:8])  # talking at the crash
    assert store.close_interrupted(T0 + 5000) == ["talking", "waiting"]
    assert store.close_interrupted(T0 + 6000) == []
    waiting = store.get("waiting")
    talking = store.get("talking")
    assert waiting is not None and talking is not None
    assert (waiting[0].state, waiting[0].ended_at, waiting[0].hung_up_by) == (
        "interrupted",
        T0 + 5000,
        "system",
    )
    passages = {p.contact_id: p for p in store.passages(waiting[1], T0, T0 + 3600)}
    # the wait ends at the last known fact, not at the restart
    assert passages["waiting"].outcome is Outcome.interrupted and passages["waiting"].left_at == T0 + 8
    assert passages["talking"].outcome is Outcome.answered and passages["done"].outcome is Outcome.answered


def test_lists_filter_and_page(db: Database) -> None:
    tid = tenant(db)
    store = CallRecordStore(db)
    for i in range(7):
        store.append(answered_call(f"c{i}", T0 + i * 600, caller=f"+4822111000{i}"))
    store.append(
        [
            f.CallArrived(
                at=T0 + 9000, call="x", tenant="demo", caller="+39021", dialled="100", route="echo"
            ),
            f.CallFinished(at=T0 + 9010, call="x", hung_up_by="caller"),
        ]
    )
    page, total = store.calls(CallFilter(tenant_id=tid), limit=3, offset=0)
    assert total == 8 and [r.id for r, _ in page] == ["x", "c6", "c5"]
    page, total = store.calls(CallFilter(tenant_id=tid, queue="support", start=T0 + 600, end=T0 + 1800))
    assert total == 2 and {r.id for r, _ in page} == {"c1", "c2"}
    assert store.calls(CallFilter(tenant_id=tid, agent="1003"))[1] == 7
    assert store.calls(CallFilter(tenant_id=tid, agent="100"))[1] == 0  # whole names only
    assert store.calls(CallFilter(tenant_id=tid, number="+48221110003"))[1] == 1
    assert store.calls(CallFilter(tenant_id=tid, disposition="resolved"))[1] == 7
    assert store.calls(CallFilter(tenant_id="other"))[1] == 0


def test_customer_timeline_newest_first(db: Database) -> None:
    tid = tenant(db)
    with db.session() as session:
        customer = Customer(tenant_id=tid, name="Ewa")
        customer.phones = [CustomerPhone(tenant_id=tid, number="+48221110000")]
        session.add(customer)
        session.flush()
        cid = customer.id
    store = CallRecordStore(db)
    store.append(answered_call("c1", T0))
    store.append(
        [
            f.CallbackQueued(at=T0 + 1000, call="cb", tenant="demo", queue="support", number="+48221110000"),
            f.CallbackAttempted(at=T0 + 1100, call="cb", agent="1001", number="+48221110000", attempt=1),
            f.CallbackEnded(at=T0 + 1120, call="cb", outcome="given-up"),
        ]
    )
    store.append(
        [
            f.CallArrived(
                at=T0 + 2000, call="vm", tenant="demo", caller="+48999", dialled="+48221234567", route="queue"
            ),
            f.CustomerIdentified(at=T0 + 2001, call="vm", customer=cid),
            f.VoicemailLeft(at=T0 + 2060, call="vm", mailbox="support", seconds=42.0),
            f.CallFinished(at=T0 + 2100, call="vm", hung_up_by="caller"),
        ]
    )
    store.append(answered_call("other", T0 + 3000, caller="+48111"))
    entries = store.timeline(tid, cid)
    assert [(e.kind, e.call) for e in entries] == [
        ("voicemail", "vm"),
        ("call", "vm"),
        ("callback", "cb"),
        ("survey", "c1"),
        ("call", "c1"),
    ]
    assert "given-up" in entries[2].summary and "answered by 1001" in entries[4].summary


def test_expired_recordings_are_deleted_and_audited(db: Database, tmp_path: Path) -> None:
    tenant(db)
    store = CallRecordStore(db, data_dir=tmp_path)
    store.append(answered_call("c1"))
    wav = tmp_path / "recordings/demo/r-c1.wav"
    wav.parent.mkdir(parents=True)
    wav.write_bytes(b"RIFF")
    assert store.sweep_recordings(T0 + 29 * 86400) == []
    assert wav.exists()
    assert store.sweep_recordings(T0 + 31 * 86400) == ["r-c1"]
    assert not wav.exists()
    store.append(
        [f.CallFinished(at=T0 + 32 * 86400, call="c1", hung_up_by="caller")]
    )  # refold keeps deletion
    found = store.recording("r-c1")
    assert found is not None and found[0].deleted_at == T0 + 31 * 86400 and found[1] == ["1001", "1003"]
    with db.session() as session:
        assert (
            session.scalar(select(AuditEntry.action).where(AuditEntry.target == "r-c1"))
            == "recording.deleted"
        )
