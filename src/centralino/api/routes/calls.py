"""Call records: the list (filters, pages, CSV or JSON), one call with its legs, and its disposition.

Agents see the calls they took part in (offered, answered, transferred to), nothing else: another
call answers 404 like a missing one. Supervisors and admins see their tenant's calls; installation
admins every tenant's (or one with ``?tenant=``). The records are projections of the fact journal
(``store.CallRecordStore``); a disposition set here is one more fact (``WrapUpSubmitted``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from centralino.api.deps import (
    API_PREFIX,
    Auth,
    DbDep,
    PagingDep,
    SettingsDep,
    TenantQuery,
    audit,
    tenant_filter,
)
from centralino.api.errors import ApiError
from centralino.api.schemas import NO_NUL
from centralino.api.security import Principal
from centralino.records.cdr import CallRecord
from centralino.records.facts import WrapUpSubmitted
from centralino.store.call_record_store import CallFilter, CallRecordStore
from centralino.store.db import Database
from centralino.store.models import Agent, Tenant

__all__ = ["CSV_COLUMNS", "call_detail", "call_summary", "iso", "own_extension", "router", "visible_call"]

router = APIRouter(prefix=API_PREFIX, tags=["call records"])

CSV_COLUMNS = (
    "id",
    "tenant",
    "direction",
    "state",
    "caller",
    "dialled",
    "customer",
    "queues",
    "agents",
    "agent",
    "arrived_at",
    "queue_entered_at",
    "answered_at",
    "ended_at",
    "hung_up_by",
    "end_cause",
    "wait",
    "talk",
    "hold",
    "wrapup",
    "transfers",
    "disposition",
    "notes",
    "recordings",
    "cost",
    "rating",
)
Name = Annotated[str | None, Query(max_length=64, pattern=NO_NUL)]


def iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def own_extension(db: Database, principal: Principal) -> str | None:
    """The extension of the agent record linked to the caller's user, if any."""
    with db.session() as session:
        return session.scalar(select(Agent.extension).where(Agent.user_id == principal.user_id))


def visible_call(db: Database, principal: Principal, call_id: str) -> tuple[CallRecord, str, str]:
    """The call, its tenant id and name, if the caller may see it; 404 otherwise."""
    found = CallRecordStore(db).get(call_id)
    if found is None:
        raise ApiError.not_found("call")
    record, tenant_id = found
    if not principal.is_installation_admin:
        if tenant_id != principal.tenant_id:
            raise ApiError.not_found("call")
        if not principal.has_role("admin", "supervisor"):
            mine = own_extension(db, principal)
            if mine is None or mine not in record.agents:
                raise ApiError.not_found("call")
    with db.session() as session:
        tenant = session.get(Tenant, tenant_id)
        name = tenant.name if tenant is not None else ""
    return record, tenant_id, name


def call_summary(r: CallRecord, tenant: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "tenant": tenant,
        "direction": r.direction,
        "state": r.state,
        "caller": r.caller,
        "dialled": r.dialled,
        "route": r.route,
        "customer": r.customer,
        "queues": list(r.queues),
        "agents": list(r.agents),
        "agent": r.agent,
        "arrived_at": iso(r.arrived_at),
        "queue_entered_at": iso(r.queue_entered_at),
        "answered_at": iso(r.answered_at),
        "ended_at": iso(r.ended_at),
        "hung_up_by": r.hung_up_by,
        "end_cause": r.end_cause,
        "wait": r.wait,
        "talk": r.talk,
        "hold": r.hold,
        "wrapup": r.wrapup,
        "transfers": len(r.transfers),
        "disposition": r.disposition,
        "notes": r.notes,
        "recordings": sorted(r.recordings),
        "cost": r.cost,
        "rating": r.rating,
    }


def call_detail(r: CallRecord, tenant: str) -> dict[str, Any]:
    legs = []
    for leg in r.legs.values():
        item = asdict(leg)
        for key in ("started_at", "answered_at", "ended_at"):
            item[key] = iso(item[key])
        legs.append(item)
    recordings = [
        {
            "id": rec.id,
            "url": f"{API_PREFIX}/recordings/{rec.id}",
            "reason": rec.reason,
            "started_at": iso(rec.started_at),
            "seconds": rec.seconds,
            "size": rec.size,
            "sha256": rec.sha256,
            "paused": [[iso(a), iso(b)] for a, b in rec.paused],
        }
        for rec in r.recordings.values()
    ]
    return {
        **call_summary(r, tenant),
        "ivr_ended_at": iso(r.ivr_ended_at),
        "ivr_trace": r.ivr_trace,
        "legs": legs,
        "holds": [[iso(a), iso(b)] for a, b in r.holds],
        "transfer_list": [{**t, "at": iso(t["at"])} for t in r.transfers],
        "survey": [{**s, "at": iso(s["at"])} for s in r.survey],
        "voicemail": None if r.voicemail is None else {**r.voicemail, "at": iso(r.voicemail["at"])},
        "callback": r.callback,
        "recording_list": recordings,
        "queue_passages": [{**asdict(p), "outcome": str(p.outcome)} for p in r.passages],
    }


def _epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "|".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return out.getvalue()


@router.get("/calls")
async def list_calls(
    request: Request,
    principal: Auth,
    db: DbDep,
    paging: PagingDep,
    tenant: TenantQuery = None,
    start: Annotated[
        datetime | None, Query(alias="from", description="arrived at or after (ISO 8601)")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="arrived before (ISO 8601)")] = None,
    queue: Name = None,
    agent: Annotated[str | None, Query(max_length=32, pattern=NO_NUL, description="extension")] = None,
    number: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="caller or dialled")
    ] = None,
    disposition: Name = None,
    state: Literal["open", "finished", "rejected", "interrupted"] | None = None,
    format: Literal["json", "csv"] | None = None,
) -> Response:
    """Calls newest first; ``format=csv`` (or ``Accept: text/csv``) gives the same page as CSV."""

    def load() -> tuple[list[dict[str, Any]], int]:
        with db.session() as session:
            tenant_id = tenant_filter(session, principal, tenant)
            names = dict(session.execute(select(Tenant.id, Tenant.name)).all())
        wanted_agent = agent
        if not principal.has_role("admin", "supervisor"):
            mine = own_extension(db, principal)
            if mine is None or (agent is not None and agent != mine):
                return [], 0
            wanted_agent = mine
        where = CallFilter(
            tenant_id=tenant_id,
            start=_epoch(start),
            end=_epoch(end),
            queue=queue,
            agent=wanted_agent,
            number=number,
            disposition=disposition,
            state=state,
        )
        page, total = CallRecordStore(db).calls(where, paging.limit, paging.offset)
        return [call_summary(r, names.get(t, "")) for r, t in page], total

    items, total = await run_in_threadpool(load)
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        return Response(
            _csv(items),
            media_type="text/csv; charset=utf-8",
            headers={"X-Total-Count": str(total), "Content-Disposition": 'attachment; filename="calls.csv"'},
        )
    body = {"items": items, "total": total, "limit": paging.limit, "offset": paging.offset}
    return Response(_json(body), media_type="application/json")


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body, ensure_ascii=False, allow_nan=False).encode()


@router.get("/calls/{call_id}")
async def get_call(call_id: str, principal: Auth, db: DbDep) -> dict[str, Any]:
    """One call with its legs, IVR trace, queue passages, survey answers and recordings."""
    record, _, name = await run_in_threadpool(visible_call, db, principal, call_id)
    return call_detail(record, name)


class DispositionIn(BaseModel):
    disposition: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
    notes: Annotated[str, Field(max_length=4000, pattern=NO_NUL)] = ""


@router.put("/calls/{call_id}/disposition", status_code=204)
async def set_disposition(
    call_id: str, body: DispositionIn, principal: Auth, db: DbDep, settings: SettingsDep
) -> Response:
    """Set (or correct) the call's disposition code and notes: agents on their own calls,
    supervisors and admins on their tenant's. The last one set wins; each is kept in the journal."""

    def write() -> None:
        _, tenant_id, _ = visible_call(db, principal, call_id)
        actor = own_extension(db, principal) or principal.username
        CallRecordStore(db).append(
            [
                WrapUpSubmitted(
                    at=settings.clock.now(),
                    call=call_id,
                    agent=actor,
                    disposition=body.disposition,
                    notes=body.notes,
                )
            ]
        )
        with db.session() as session:
            audit(session, principal, "call.disposition", call_id, tenant_id, disposition=body.disposition)

    await run_in_threadpool(write)
    return Response(status_code=204)
