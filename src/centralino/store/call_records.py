"""Tables of the call records: the fact journal and the projections folded from it.

``call_facts`` is the truth: every fact (``records.facts``) in arrival order, as JSON. The other
tables are rebuilt from it, call by call, by ``records.cdr.fold`` (``CallRecordStore`` in
``store.call_record_store``): ``calls`` (one row per call, the filterable columns plus the whole
record as JSON), ``call_legs``, ``queue_passages`` (the ``QueuedContact`` rows statistics are
computed from), ``survey_answers``, ``voicemails``, ``callbacks`` and ``recordings`` (metadata of
the WAV files in the data directory; a deleted file keeps its row with ``deleted_at``).

Times are epoch seconds in double precision, exactly what the engines' clocks give, so a figure
recomputed from these rows agrees to the last bit with one computed in memory. Queues and agents of
a call are also kept as ``|a|b|`` text, so "calls through queue X" is one indexed-enough ``LIKE`` on
both SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from centralino.store.models import Base

__all__ = [
    "CallFactRow", "CallLegRow", "CallRow", "CallbackRow", "QueuePassageRow", "RecordingRow",
    "SurveyAnswerRow", "VoicemailRow",
]


def _tenant() -> Mapped[str]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False)


def _call() -> Mapped[str]:
    return mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True, nullable=False)


class CallFactRow(Base):
    """One fact of the journal. ``tenant_id`` is None only for a fact no known call owns yet."""

    __tablename__ = "call_facts"
    __table_args__ = (Index("ix_call_facts_tenant_kind_at", "tenant_id", "kind", "at"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(80), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    at: Mapped[float] = mapped_column(Float, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class CallRow(Base):
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    tenant_id: Mapped[str] = _tenant()
    direction: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), index=True, nullable=False)
    caller: Mapped[str] = mapped_column(String(64), index=True, nullable=False, default="")
    dialled: Mapped[str] = mapped_column(String(64), index=True, nullable=False, default="")
    route: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    arrived_at: Mapped[float] = mapped_column(Float, index=True, nullable=False)
    queue_entered_at: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    hung_up_by: Mapped[str | None] = mapped_column(String(16))
    end_cause: Mapped[str | None] = mapped_column(String(200))
    queues: Mapped[str] = mapped_column(Text, nullable=False, default="|")
    agents: Mapped[str] = mapped_column(Text, nullable=False, default="|")
    agent: Mapped[str | None] = mapped_column(String(32), index=True)
    wait: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    talk: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    hold: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    wrapup: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    transfers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    disposition: Mapped[str | None] = mapped_column(String(64), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    rating: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class CallLegRow(Base):
    __tablename__ = "call_legs"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    leg: Mapped[str] = mapped_column(String(96), primary_key=True)
    tenant_id: Mapped[str] = _tenant()
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[float] = mapped_column(Float, nullable=False)
    answered_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    packets_sent: Mapped[int | None] = mapped_column(Integer)
    packets_received: Mapped[int | None] = mapped_column(Integer)
    packets_lost: Mapped[int | None] = mapped_column(Integer)
    loss_pct: Mapped[float | None] = mapped_column(Float)
    jitter_ms: Mapped[float | None] = mapped_column(Float)
    max_jitter_ms: Mapped[float | None] = mapped_column(Float)


class QueuePassageRow(Base):
    """One ``records.stats.QueuedContact``: a contact's passage through one queue."""

    __tablename__ = "queue_passages"
    __table_args__ = (Index("ix_queue_passages_tenant_entered", "tenant_id", "entered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    call_id: Mapped[str] = _call()
    queue: Mapped[str] = mapped_column(String(64), nullable=False)
    entered_at: Mapped[float] = mapped_column(Float, nullable=False)
    left_at: Mapped[float] = mapped_column(Float, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    agent: Mapped[str | None] = mapped_column(String(32))
    talk: Mapped[float] = mapped_column(Float, nullable=False)
    hold: Mapped[float] = mapped_column(Float, nullable=False)
    wrapup: Mapped[float] = mapped_column(Float, nullable=False)
    transfers: Mapped[int] = mapped_column(Integer, nullable=False)
    ewt_announced: Mapped[float | None] = mapped_column(Float)


class SurveyAnswerRow(Base):
    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = _tenant()
    call_id: Mapped[str] = _call()
    at: Mapped[float] = mapped_column(Float, nullable=False)
    survey: Mapped[str] = mapped_column(String(64), nullable=False)
    question: Mapped[str] = mapped_column(String(64), nullable=False)
    answer: Mapped[str] = mapped_column(String(200), nullable=False)


class VoicemailRow(Base):
    __tablename__ = "voicemails"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[str] = _tenant()
    at: Mapped[float] = mapped_column(Float, nullable=False)
    mailbox: Mapped[str] = mapped_column(String(64), nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    file: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, default="")


class CallbackRow(Base):
    __tablename__ = "callbacks"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[str] = _tenant()
    queue: Mapped[str] = mapped_column(String(64), nullable=False)
    number: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    requested_at: Mapped[float] = mapped_column(Float, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16))
    ended_at: Mapped[float | None] = mapped_column(Float)


class RecordingRow(Base):
    """A recording's metadata; the WAV file is ``file`` under the data directory."""

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    tenant_id: Mapped[str] = _tenant()
    call_id: Mapped[str] = _call()
    file: Mapped[str] = mapped_column(String(255), nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    agent: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    started_at: Mapped[float] = mapped_column(Float, nullable=False)
    stopped_at: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float | None] = mapped_column(Float)
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    paused: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    expires_at: Mapped[float] = mapped_column(Float, index=True, nullable=False)
    deleted_at: Mapped[float | None] = mapped_column(Float)
