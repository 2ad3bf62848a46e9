"""Queue snapshots for the wallboard: now from the ACD engine, today from the call records.

``QueueSnapshot`` joins two sources. *Now* (waiting, longest wait, agents available and
staffed, the engine's wait-estimate error) is read from the tenant's ACD engine on the node's
loop. *Today* (offered, answered, abandoned, service level by the queue's own formula with its
text, ASA, AHT) is ``records.stats.queue_figures`` over the queue passages stored since the
tenant's local midnight: the same definitions as the reports (docs/metrics.md). Today's figures
are recomputed (one query, in a thread) only when a queue fact arrived since the last time.

The ticker publishes a tenant's ``queue.tick`` when its snapshot changed, at once after a
queue fact and at least every ``tick_seconds`` (the longest wait grows on its own); an
``alert`` to supervisors when a queue becomes at risk (service level below its goal, or the
longest wait beyond T with nobody available); ``intervals`` after queue facts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from centralino.acd.agent_states import WORKING, AgentState
from centralino.api.bus import Audience
from centralino.api.runtime import IntervalFigure, QueueSnapshot, to_json
from centralino.records.stats import FORMULA_TEXT, Formula, QueueFigures, queue_figures

if TYPE_CHECKING:
    from centralino.runtime.contact_center import LiveContactCenter

__all__ = ["SERVICE_LEVEL_GOAL", "Snapshots"]

log = logging.getLogger(__name__)

SERVICE_LEVEL_GOAL = 0.8
"""The goal a queue's service level is held against (the configuration has no per-queue goal yet)."""


class Snapshots:
    def __init__(self, center: LiveContactCenter, tick_seconds: float) -> None:
        self.center = center
        self.tick_seconds = tick_seconds
        self._today: dict[str, dict[str, QueueFigures]] = {}  # tenant -> queue -> figures
        self._published: dict[str, list[dict[str, Any]]] = {}
        self._risk: dict[tuple[str, str], bool] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """On the node's loop."""
        self._wake = asyncio.Event()
        wake = self._wake
        self.center.cti.on_dirty = wake.set
        self.center.cti.dirty.update(self.center.node.plan.desks)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cti-ticker")

    async def stop(self) -> None:
        if self._task is not None:
            task, loop = self._task, self._task.get_loop()
            if loop is asyncio.get_running_loop():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            else:
                loop.call_soon_threadsafe(task.cancel)

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick_seconds)
            self._wake.clear()
            dirty = set(self.center.cti.dirty)
            self.center.cti.dirty.clear()
            for tenant in self.center.node.plan.desks:
                try:
                    await self._tick(tenant, tenant in dirty)
                except Exception:
                    log.exception("queue tick of %s failed", tenant)

    async def _tick(self, tenant: str, dirty: bool) -> None:
        tenant_id = self.center.directory.tenant_ids.get(tenant)
        if tenant_id is None:
            return
        if dirty or tenant not in self._today:
            self._today[tenant] = await asyncio.to_thread(self._figures, tenant_id)
        snaps = self._now(tenant, self._today[tenant])
        body = [s.to_json() for s in snaps]
        bus = self.center.bus
        if body != self._published.get(tenant):
            self._published[tenant] = body
            bus.emit(tenant_id, "queue.tick", {"queues": body}, Audience.tenant())
        for s in snaps:
            before = self._risk.get((tenant, s.queue), False)
            self._risk[(tenant, s.queue)] = s.at_risk
            if s.at_risk and not before:
                sl = "no data" if s.service_level is None else f"{s.service_level:.0%}"
                message = (f"service level {sl} is below the goal of {s.service_level_goal:.0%}"
                           if s.service_level is not None and s.service_level < s.service_level_goal
                           else f"a caller has waited {s.longest_wait or 0:.0f} s with nobody available")
                bus.emit(tenant_id, "alert", {"queue": s.queue, "kind": "service-level", "message": message},
                         Audience.role("supervisor"))
        if dirty:
            figures = await self.intervals(tenant_id, 1800.0)
            bus.emit(tenant_id, "intervals", {"intervals": to_json(figures)}, Audience.role("supervisor"))

    def _figures(self, tenant_id: str) -> dict[str, QueueFigures]:
        """Today's figures per queue (in a thread: database)."""
        center = self.center
        start, end = center.day_start(tenant_id), center.day_end(tenant_id)
        contacts = center.node.records.passages(tenant_id, start, end)
        out = {}
        for q in center.node.records.queue_settings(tenant_id):
            out[q.name] = queue_figures(contacts, queue=q.name, start=start, length=end - start,
                                        formula=q.formula, threshold=q.threshold,
                                        short_abandon=q.short_abandon)
        return out

    def _now(self, tenant: str, today: dict[str, QueueFigures]) -> list[QueueSnapshot]:
        """On the node's loop: the engine's figures joined with today's."""
        desk = self.center.node.plan.desks[tenant]
        now = self.center.clock.now()
        calls = self.center.cti.calls
        out = []
        for name, spec in sorted(desk.queues.items()):
            engine = desk.engine
            waiting = engine.waiting(name)
            entered = [calls[c].entered_at for c in waiting if c in calls and calls[c].entered_at is not None]
            longest = max((now - e for e in entered if e is not None), default=None)
            members = [a for a, s in desk.agents.items() if name in s.queues]
            available = sum(1 for a in members if desk.states.get(a) is AgentState.available)
            staffed = sum(1 for a in members if desk.states.get(a) in WORKING)
            errors, _ = engine.estimate_errors(name)
            fig = today.get(name)
            formula = spec.service_level_formula.value
            text = FORMULA_TEXT[Formula(formula)]  # the ACD's formulas are the records' (same names)
            sl = fig.service_level if fig else None
            at_risk = (sl is not None and sl < SERVICE_LEVEL_GOAL) or (
                longest is not None and longest > spec.service_level_threshold and available == 0)
            out.append(QueueSnapshot(
                queue=name, waiting=len(waiting), longest_wait=None if longest is None else round(longest, 1),
                service_level=sl, formula=formula, formula_text=text, threshold=spec.service_level_threshold,
                service_level_goal=SERVICE_LEVEL_GOAL, offered=fig.offered if fig else 0,
                answered=fig.answered if fig else 0, abandoned=fig.abandoned if fig else 0,
                asa=fig.asa if fig else None, aht=fig.aht if fig else None,
                callbacks_pending=self.center.cti.callbacks.count(tenant, name),
                ewt_error_mean=round(errors.mean, 1) if errors.count else None,
                ewt_error_p90=round(errors.p90, 1) if errors.count else None,
                agents_available=available, agents_staffed=staffed, at_risk=at_risk))
        return out

    async def queues(self, tenant: str, tenant_id: str) -> list[QueueSnapshot]:
        today = self._today.get(tenant)
        if today is None:
            today = self._today[tenant] = await asyncio.to_thread(self._figures, tenant_id)
        return await self.center._on_node(self._now, tenant, today)

    async def intervals(self, tenant_id: str, length: float) -> list[IntervalFigure]:
        """Today's intervals, all queues together; the service level is answered within T / answered
        (each queue's own T), since queues with different formulas cannot be added up otherwise."""
        center = self.center
        start, end = center.day_start(tenant_id), center.day_end(tenant_id)
        report = await asyncio.to_thread(center.node.records.interval_report, tenant_id, start=start, end=end,
                                         length=length, now=center.clock.now())
        by_start: dict[float, list[QueueFigures]] = {}
        for q in report.queues:
            by_start.setdefault(q.interval_start, []).append(q)
        out = []
        for s, figs in sorted(by_start.items()):
            answered = sum(q.answered for q in figs)
            within = sum(q.answered_within for q in figs)
            out.append(IntervalFigure(start=s, length=length, offered=sum(q.offered for q in figs),
                                      answered=answered, abandoned=sum(q.abandoned for q in figs),
                                      service_level=within / answered if answered else None))
        return out
