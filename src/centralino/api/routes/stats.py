"""Queue and agent statistics per interval: today so far, or any day or period.

Each queue figure carries the service-level formula, its text and the thresholds it was computed
with (docs/metrics.md). Intervals are 15, 30 or 60 minutes (``interval``; default the installation
setting ``stats.interval_minutes``, else 15), aligned on the tenant's local midnight. ``day`` is a
date in the tenant's time zone (default: today, up to now); ``from``/``to`` pick any period.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from centralino.api.deps import API_PREFIX, Auth, DbDep, SettingsDep, TenantQuery, target_tenant
from centralino.api.errors import ApiError
from centralino.api.routes.calls import iso
from centralino.api.schemas import NO_NUL
from centralino.api.security import Principal
from centralino.records.report import INTERVALS, IntervalReport, day_bounds, figures_dict
from centralino.store.call_record_store import CallRecordStore
from centralino.store.db import Database
from centralino.store.models import Setting

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["statistics"])

Interval = Annotated[
    int | None, Query(ge=15, le=60, description="15, 30 or 60 minutes; default: the installation setting")
]
Day = Annotated[date | None, Query(description="a day in the tenant's time zone (default today)")]
From = Annotated[datetime | None, Query(alias="from", description="start of a period (ISO 8601)")]
To = Annotated[datetime | None, Query(alias="to", description="end of a period (ISO 8601)")]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(value: datetime, zone: ZoneInfo) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=zone)).timestamp()


def _interval_setting(db: Database) -> int:
    with db.session() as session:
        row = session.get(Setting, "stats.interval_minutes")
    value = row.value if row is not None else None
    return value if value in (15, 30, 60) else 15


def _report(
    db: Database,
    principal: Principal,
    now: float,
    tenant: str | None,
    interval: int | None,
    day: date | None,
    start: datetime | None,
    end: datetime | None,
    queue: str | None,
    agent: str | None,
) -> tuple[IntervalReport, dict[str, Any]]:
    with db.session() as session:
        row = target_tenant(session, principal, tenant)
        tenant_id, name, zone = row.id, row.name, _zone(row.time_zone)
    if interval is not None and interval not in INTERVALS:
        raise ApiError.invalid("interval", f"interval is 15, 30 or 60 minutes, not {interval}")
    minutes = interval or _interval_setting(db)
    if start is not None or end is not None:
        if start is None or end is None or day is not None:
            raise ApiError.invalid("from", "give both from and to, or day, not both")
        lo, hi = _aware(start, zone), _aware(end, zone)
        if not 0 < hi - lo <= 92 * 86400:
            raise ApiError.invalid("to", "to must be after from, at most 92 days later")
    else:
        lo, hi = day_bounds(day or datetime.fromtimestamp(now, zone).date(), zone)
    report = CallRecordStore(db).interval_report(
        tenant_id, start=lo, end=hi, length=minutes * 60.0, now=now, queue=queue, agent=agent
    )
    meta = {
        "tenant": name,
        "time_zone": zone.key,
        "interval": minutes,
        "from": iso(lo),
        "to": iso(hi),
        "complete": now >= hi,
    }
    return report, meta


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [{**figures_dict(r), "interval": iso(r.interval_start)} for r in rows]


@router.get("/stats/queues")
async def queue_stats(
    principal: Auth,
    db: DbDep,
    settings: SettingsDep,
    tenant: TenantQuery = None,
    interval: Interval = None,
    day: Day = None,
    start: From = None,
    end: To = None,
    queue: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
) -> dict[str, Any]:
    """Per queue and interval: offered, answered, abandoned (short ones apart), callbacks, service
    level with its formula, ASA, AHT, longest wait, transfers, EWT error."""
    principal.require("admin", "supervisor")
    report, meta = await run_in_threadpool(
        _report, db, principal, settings.clock.now(), tenant, interval, day, start, end, queue, None
    )
    return {**meta, "items": _rows(report.queues)}


@router.get("/stats/agents")
async def agent_stats(
    principal: Auth,
    db: DbDep,
    settings: SettingsDep,
    tenant: TenantQuery = None,
    interval: Interval = None,
    day: Day = None,
    start: From = None,
    end: To = None,
    agent: Annotated[str | None, Query(max_length=32, pattern=NO_NUL, description="extension")] = None,
) -> dict[str, Any]:
    """Per agent and interval: handled contacts, talk, hold, wrap-up, AHT, occupancy."""
    principal.require("admin", "supervisor")
    report, meta = await run_in_threadpool(
        _report, db, principal, settings.clock.now(), tenant, interval, day, start, end, None, agent
    )
    return {**meta, "items": _rows(report.agents)}
