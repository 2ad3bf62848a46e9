"""``CallRecordStore``: the fact journal and its projections on the database.

What the live shell calls, and when (docs/call-records.md):

- ``close_interrupted(now)`` once at start, before taking calls: every call the previous process
  left open gets a ``CallInterrupted`` fact and is closed as ``interrupted``.
- ``append(facts)`` with the record facts of every dial-plan output (other effects are ignored),
  desktop action and media report, **before** releasing the call's resources (the leg, the
  media ports, the ACD contact). It commits synchronously, in one transaction: when it returns
  the facts are durable; if it raises, nothing of them was written.
- ``sweep_recordings(now)`` now and then (e.g. hourly): deletes expired recording files.

Each ``append`` journals the facts, then refolds every call they touch from its whole journal
(``records.cdr.fold``) and rewrites that call's projection rows, so the records never drift from
the journal. Agent state facts are journaled under ``agent:<extension>`` for occupancy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from centralino.records import facts as f
from centralino.records.cdr import CallRecord, agent_spans, fold, from_json, to_json
from centralino.records.report import IntervalReport, QueueSettings, interval_report
from centralino.records.stats import AgentActivity, Formula, Outcome, QueuedContact
from centralino.records.timeline import TimelineEntry, timeline
from centralino.store.call_records import (
    CallbackRow,
    CallFactRow,
    CallLegRow,
    CallRow,
    QueuePassageRow,
    RecordingRow,
    SurveyAnswerRow,
    VoicemailRow,
)
from centralino.store.db import Database
from centralino.store.models import AuditEntry, Customer, CustomerPhone, Queue, Tenant

__all__ = ["CallFilter", "CallRecordStore"]

log = logging.getLogger(__name__)
_Projection = type[CallLegRow | QueuePassageRow | SurveyAnswerRow | VoicemailRow | CallbackRow]
_PROJECTIONS: tuple[_Projection, ...] = (
    CallLegRow, QueuePassageRow, SurveyAnswerRow, VoicemailRow, CallbackRow,
)


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which calls a list shows; None means any. ``tenant_id`` None: every tenant."""

    tenant_id: str | None = None
    start: float | None = None  # arrived at or after
    end: float | None = None  # arrived before
    queue: str | None = None
    agent: str | None = None
    number: str | None = None  # the caller's or the dialled number
    disposition: str | None = None
    state: str | None = None


def _journal_call(fact: f.Fact) -> str:
    return f"agent:{fact.agent}" if isinstance(fact, f.AgentStateRecorded) else fact.call


class CallRecordStore:
    def __init__(self, db: Database, data_dir: Path | None = None) -> None:
        self.db = db
        self.data_dir = data_dir
        self._tenants: dict[str, str] = {}

    # ------------------------------------------------------------------ writing
    def append(self, facts: Iterable[object]) -> int:
        """Journal the record facts among ``facts`` and refold their calls; commits. Returns how many
        facts were journaled."""
        kept = [x for x in facts if isinstance(x, f.Fact) and f.is_record_fact(x)]
        if not kept:
            return 0
        with self.db.session() as session:
            self._append(session, kept)
        return len(kept)

    def _append(self, session: Session, facts: Sequence[f.Fact]) -> set[str]:
        owners: dict[str, str | None] = {}
        for fact in facts:
            call = _journal_call(fact)
            name = getattr(fact, "tenant", None)
            if isinstance(name, str):
                owners[call] = self._tenant_id(session, name) or owners.get(call)
            elif call not in owners:
                existing = session.get(CallRow, call)  # kept in the identity map for _project
                owners[call] = None if existing is None else existing.tenant_id
            session.add(
                CallFactRow(
                    tenant_id=owners[call], call_id=call, kind=fact.kind, at=fact.at, data=f.to_dict(fact)
                )
            )
        session.flush()
        touched = {c for c in owners if not c.startswith("agent:") and c}
        for call in touched:
            self._project(session, call, owners[call])
        return touched

    def close_interrupted(self, now: float) -> list[str]:
        """Close every call still open (the process before this one died): call at start-up."""
        with self.db.session() as session:
            open_ids = list(
                session.scalars(select(CallRow.id).where(CallRow.state == "open").order_by(CallRow.id))
            )
            if open_ids:
                self._append(session, [f.CallInterrupted(at=now, call=i) for i in open_ids])
        return open_ids

    def rebuild(self) -> int:
        """Refold every call from the journal (after a fold change); returns the number of calls."""
        with self.db.session() as session:
            calls = session.execute(
                select(CallFactRow.call_id, func.max(CallFactRow.tenant_id))
                .where(~CallFactRow.call_id.startswith("agent:"))
                .group_by(CallFactRow.call_id)
            ).all()
            for call, tenant_id in calls:
                self._project(session, call, tenant_id)
        return len(calls)

    def _tenant_id(self, session: Session, name: str) -> str | None:
        if name not in self._tenants:
            found = session.scalar(select(Tenant.id).where(Tenant.name == name))
            if found is None:
                log.warning("call record facts name tenant %r, which does not exist: journaled only", name)
                return None
            self._tenants[name] = found
        return self._tenants[name]

    def _project(self, session: Session, call: str, tenant_id: str | None) -> None:
        rows = session.scalars(
            select(CallFactRow).where(CallFactRow.call_id == call).order_by(CallFactRow.seq)
        )
        record = fold(f.from_dict(r.kind, r.data) for r in rows)
        if record is None or tenant_id is None:
            return
        old = session.get(CallRow, call)
        if old is not None:
            # Rewrite only the child tables the previous version had rows in: every statement is a
            # round trip inside the transaction that holds up the call's release.
            before = from_json(old.detail)
            for model, had in zip(_PROJECTIONS, _has_children(before), strict=True):
                if had:
                    session.execute(delete(model).where(model.call_id == call))
            for column, value in _call_values(record, tenant_id).items():
                setattr(old, column, value)
        else:
            session.add(CallRow(**_call_values(record, tenant_id)))
        session.flush()
        session.add_all(_children(record, tenant_id))
        for info in record.recordings.values():
            row = session.get(RecordingRow, info.id) or RecordingRow(
                id=info.id, tenant_id=tenant_id, call_id=call
            )
            row.file, row.reason, row.agent, row.started_at = (
                info.file,
                info.reason,
                info.agent,
                info.started_at,
            )
            row.stopped_at, row.seconds, row.size, row.sha256 = (
                info.stopped_at,
                info.seconds,
                info.size,
                info.sha256,
            )
            row.paused = [list(p) for p in info.paused]
            row.expires_at = info.started_at + info.retention_days * 86400.0
            session.add(row)

    # ------------------------------------------------------------------ reading calls
    def get(self, call_id: str) -> tuple[CallRecord, str] | None:
        """The record and its tenant id."""
        with self.db.session() as session:
            row = session.get(CallRow, call_id)
            return None if row is None else (from_json(row.detail), row.tenant_id)

    def calls(
        self, where: CallFilter, limit: int = 50, offset: int = 0
    ) -> tuple[list[tuple[CallRecord, str]], int]:
        """A page of calls, newest first, and how many match in all."""
        stmt = _filtered(where)
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(
                stmt.order_by(CallRow.arrived_at.desc(), CallRow.id.desc()).limit(limit).offset(offset)
            ).all()
            return [(from_json(r.detail), r.tenant_id) for r in rows], total

    def timeline(self, tenant_id: str, customer_id: str, limit: int = 200) -> list[TimelineEntry]:
        """Calls, callbacks, voicemails and survey answers of a customer (by identification or by
        any of the customer's phone numbers), newest first."""
        with self.db.session() as session:
            numbers = list(
                session.scalars(
                    select(CustomerPhone.number).where(
                        CustomerPhone.customer_id == customer_id, CustomerPhone.tenant_id == tenant_id
                    )
                )
            )
            if session.get(Customer, customer_id) is None:
                return []
            match = [CallRow.customer_id == customer_id]
            if numbers:
                match += [
                    CallRow.caller.in_(numbers),
                    CallRow.dialled.in_(numbers),
                    CallRow.id.in_(select(CallbackRow.call_id).where(CallbackRow.number.in_(numbers))),
                ]
            rows = session.scalars(
                select(CallRow)
                .where(CallRow.tenant_id == tenant_id, or_(*match))
                .order_by(CallRow.arrived_at.desc())
                .limit(limit)
            ).all()
            return timeline(from_json(r.detail) for r in rows)

    # ------------------------------------------------------------------ statistics inputs
    def passages(self, tenant_id: str, start: float, end: float) -> list[QueuedContact]:
        """Queue passages that entered a queue in [start, end)."""
        with self.db.session() as session:
            rows = session.scalars(
                select(QueuePassageRow)
                .where(
                    QueuePassageRow.tenant_id == tenant_id,
                    QueuePassageRow.entered_at >= start,
                    QueuePassageRow.entered_at < end,
                )
                .order_by(QueuePassageRow.id)
            ).all()
            return [
                QueuedContact(
                    r.call_id,
                    r.queue,
                    r.entered_at,
                    r.left_at,
                    Outcome(r.outcome),
                    agent=r.agent,
                    talk=r.talk,
                    hold=r.hold,
                    wrapup=r.wrapup,
                    transfers=r.transfers,
                    ewt_announced=r.ewt_announced,
                )
                for r in rows
            ]

    def activities(self, tenant_id: str, start: float, end: float) -> list[AgentActivity]:
        """Agents' state spans overlapping [start, end) (each agent's state at ``start`` included)."""
        kind = f.AgentStateRecorded.kind
        with self.db.session() as session:
            last = (
                select(CallFactRow.call_id, func.max(CallFactRow.at).label("at"))
                .where(CallFactRow.tenant_id == tenant_id, CallFactRow.kind == kind, CallFactRow.at < start)
                .group_by(CallFactRow.call_id)
                .subquery()
            )
            before = select(CallFactRow).join(
                last, (CallFactRow.call_id == last.c.call_id) & (CallFactRow.at == last.c.at)
            )
            within = select(CallFactRow).where(
                CallFactRow.tenant_id == tenant_id,
                CallFactRow.kind == kind,
                CallFactRow.at >= start,
                CallFactRow.at < end,
            )
            rows = [*session.scalars(before.where(CallFactRow.kind == kind)), *session.scalars(within)]
            rows.sort(key=lambda r: r.seq)
            states = [f.from_dict(r.kind, r.data) for r in rows]
        return agent_spans([s for s in states if isinstance(s, f.AgentStateRecorded)], until=end)

    def queue_settings(self, tenant_id: str) -> list[QueueSettings]:
        """How each configured queue of the tenant measures its service level."""
        with self.db.session() as session:
            out = []
            for q in session.scalars(select(Queue).where(Queue.tenant_id == tenant_id).order_by(Queue.name)):
                try:
                    formula = Formula(q.service_level_formula)
                except ValueError:
                    formula = Formula.answered_only
                out.append(
                    QueueSettings(
                        q.name,
                        formula,
                        q.service_level_threshold,
                        float((q.settings or {}).get("short_abandon", 5.0)),
                    )
                )
            return out

    def interval_report(
        self,
        tenant_id: str,
        *,
        start: float,
        end: float,
        length: float,
        now: float,
        queue: str | None = None,
        agent: str | None = None,
    ) -> IntervalReport:
        """The tenant's queue and agent figures per interval over [start, end), each queue with its
        configured formula; a period not over yet stops at the interval holding ``now`` (today so far)."""
        settings = {q.name: q for q in self.queue_settings(tenant_id)}
        contacts = self.passages(tenant_id, start, end)
        for name in {c.queue for c in contacts} - set(settings):
            settings[name] = QueueSettings(name)  # a queue removed from the configuration since
        queues = [settings[n] for n in sorted(settings) if queue is None or n == queue]
        until = min(end, max(start, now))
        activities = self.activities(tenant_id, start, until)
        stop = min(end, start + ((until - start) // length + 1) * length) if now < end else end
        agents = None if agent is None else [agent]
        return interval_report(
            contacts, activities, queues, start=start, end=stop, length=length, agents=agents
        )

    # ------------------------------------------------------------------ recordings
    def recording(self, recording_id: str) -> tuple[RecordingRow, list[str]] | None:
        """A recording's metadata and the agents of its call (for access decisions)."""
        with self.db.session() as session:
            row = session.get(RecordingRow, recording_id)
            if row is None:
                return None
            call = session.get(CallRow, row.call_id)
            return row, [] if call is None else list(from_json(call.detail).agents)

    def recording_path(self, row: RecordingRow) -> Path:
        if self.data_dir is None:
            raise RuntimeError("CallRecordStore was built without data_dir: pass the data directory")
        return self.data_dir / row.file

    def sweep_recordings(self, now: float) -> list[str]:
        """Delete the files of recordings past their retention period; rows stay, with ``deleted_at``."""
        with self.db.session() as session:
            rows = session.scalars(
                select(RecordingRow).where(RecordingRow.expires_at <= now, RecordingRow.deleted_at.is_(None))
            ).all()
            for row in rows:
                self.recording_path(row).unlink(missing_ok=True)
                row.deleted_at = now
                session.add(
                    AuditEntry(
                        tenant_id=row.tenant_id,
                        action="recording.deleted",
                        target=row.id,
                        detail={"reason": "retention", "file": row.file},
                    )
                )
            return [r.id for r in rows]


def _filtered(where: CallFilter) -> Select[CallRow]:
    stmt = select(CallRow)
    if where.tenant_id is not None:
        stmt = stmt.where(CallRow.tenant_id == where.tenant_id)
    if where.start is not None:
        stmt = stmt.where(CallRow.arrived_at >= where.start)
    if where.end is not None:
        stmt = stmt.where(CallRow.arrived_at < where.end)
    if where.queue:
        stmt = stmt.where(CallRow.queues.contains(f"|{where.queue}|", autoescape=True))
    if where.agent:
        stmt = stmt.where(CallRow.agents.contains(f"|{where.agent}|", autoescape=True))
    if where.number:
        stmt = stmt.where(or_(CallRow.caller == where.number, CallRow.dialled == where.number))
    if where.disposition:
        stmt = stmt.where(CallRow.disposition == where.disposition)
    if where.state:
        stmt = stmt.where(CallRow.state == where.state)
    return stmt


def _has_children(r: CallRecord) -> tuple[bool, ...]:
    """Which of ``_PROJECTIONS`` hold rows for this record."""
    return bool(r.legs), bool(r.passages), bool(r.survey), r.voicemail is not None, r.callback is not None


def _call_values(r: CallRecord, tenant_id: str) -> dict[str, Any]:
    return dict(
        id=r.id,
        tenant_id=tenant_id,
        direction=r.direction,
        state=r.state,
        caller=r.caller,
        dialled=r.dialled,
        route=r.route,
        customer_id=r.customer,
        arrived_at=r.arrived_at,
        queue_entered_at=r.queue_entered_at,
        answered_at=r.answered_at,
        ended_at=r.ended_at,
        hung_up_by=r.hung_up_by,
        end_cause=r.end_cause,
        queues="|" + "".join(f"{q}|" for q in r.queues),
        agents="|" + "".join(f"{a}|" for a in r.agents),
        agent=r.agent,
        wait=r.wait,
        talk=r.talk,
        hold=r.hold,
        wrapup=r.wrapup,
        transfers=len(r.transfers),
        disposition=r.disposition,
        notes=r.notes,
        cost=r.cost,
        rating=r.rating,
        detail=to_json(r),
    )


def _children(r: CallRecord, tenant_id: str) -> list[object]:
    out: list[object] = [
        CallLegRow(
            call_id=r.id,
            tenant_id=tenant_id,
            leg=leg.leg,
            role=leg.role,
            party=leg.party,
            started_at=leg.started_at,
            answered_at=leg.answered_at,
            ended_at=leg.ended_at,
            outcome=leg.outcome,
            reason=leg.reason[:200],
            packets_sent=leg.packets_sent,
            packets_received=leg.packets_received,
            packets_lost=leg.packets_lost,
            loss_pct=leg.loss_pct,
            jitter_ms=leg.jitter_ms,
            max_jitter_ms=leg.max_jitter_ms,
        )
        for leg in r.legs.values()
    ]
    out += [
        QueuePassageRow(
            tenant_id=tenant_id,
            call_id=r.id,
            queue=p.queue,
            entered_at=p.entered_at,
            left_at=p.left_at,
            outcome=str(p.outcome),
            agent=p.agent,
            talk=p.talk,
            hold=p.hold,
            wrapup=p.wrapup,
            transfers=p.transfers,
            ewt_announced=p.ewt_announced,
        )
        for p in r.passages
    ]
    out += [
        SurveyAnswerRow(
            tenant_id=tenant_id,
            call_id=r.id,
            at=s["at"],
            survey=s["survey"],
            question=s["question"],
            answer=s["answer"],
        )
        for s in r.survey
    ]
    if r.voicemail is not None:
        vm = r.voicemail
        out.append(
            VoicemailRow(
                call_id=r.id,
                tenant_id=tenant_id,
                at=vm["at"],
                mailbox=vm["mailbox"],
                seconds=vm["seconds"],
                file=vm["file"],
                sha256=vm["sha256"],
            )
        )
    if r.callback is not None:
        cb = r.callback
        out.append(
            CallbackRow(
                call_id=r.id,
                tenant_id=tenant_id,
                queue=cb["queue"],
                number=cb["number"],
                requested_at=cb["requested_at"],
                attempts=cb["attempts"],
                outcome=cb["outcome"],
                ended_at=cb["ended_at"],
            )
        )
    return out
