"""Interval reports: figures per queue and agent for each interval of a period, and their chart.

The figures are ``records.stats.queue_figures``/``agent_figures`` (one definition, see
docs/metrics.md); this module only lays them out over intervals of 15, 30 or 60 minutes aligned on
the period's start (local midnight for a day), prints them, and draws offered/answered bars with the
service level line. The chart is rendered in memory with matplotlib's Agg backend (no display, no
files): the caller decides where the PNG bytes go.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from centralino.records.stats import (
    AgentActivity,
    AgentFigures,
    Formula,
    QueuedContact,
    QueueFigures,
    agent_figures,
    queue_figures,
)

__all__ = [
    "INTERVALS",
    "IntervalReport",
    "QueueSettings",
    "chart_png",
    "day_bounds",
    "figures_dict",
    "interval_report",
    "report_lines",
]

INTERVALS = (15, 30, 60)  # minutes


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """How one queue's service level is measured (the queue's configuration)."""

    name: str
    formula: Formula = Formula.answered_only
    threshold: float = 20.0
    short_abandon: float = 5.0


@dataclass(frozen=True, slots=True)
class IntervalReport:
    start: float
    end: float
    length: float
    queues: list[QueueFigures]
    agents: list[AgentFigures]


def day_bounds(day: date, zone: tzinfo) -> tuple[float, float]:
    """Local midnight to the next local midnight (23 or 25 hours on DST change days)."""
    start = datetime.combine(day, datetime.min.time(), zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    return start.timestamp(), end.timestamp()


def interval_report(
    contacts: Iterable[QueuedContact],
    activities: Iterable[AgentActivity],
    queues: Sequence[QueueSettings],
    *,
    start: float,
    end: float,
    length: float,
    agents: Sequence[str] | None = None,
) -> IntervalReport:
    """Figures of every queue and agent for each interval [s, s+length) with start <= s < end.
    ``agents`` defaults to every agent seen in the contacts or activities."""
    contacts = list(contacts)
    activities = list(activities)
    if agents is None:
        seen = {c.agent for c in contacts if c.agent} | {a.agent for a in activities}
        agents = sorted(a for a in seen if a)
    starts = []
    s = start
    while s < end:
        starts.append(s)
        s += length
    queue_rows = [
        queue_figures(
            contacts,
            queue=q.name,
            start=s,
            length=length,
            formula=q.formula,
            threshold=q.threshold,
            short_abandon=q.short_abandon,
        )
        for q in queues
        for s in starts
    ]
    agent_rows = [
        agent_figures(contacts, activities, agent=a, start=s, length=length) for a in agents for s in starts
    ]
    return IntervalReport(start, end, length, queue_rows, agent_rows)


def figures_dict(figures: QueueFigures | AgentFigures) -> dict[str, Any]:
    """JSON-ready figures (the formula as its name)."""
    out = asdict(figures)
    if "formula" in out:
        out["formula"] = str(out["formula"])
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _sec(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report_lines(report: IntervalReport, zone: tzinfo) -> list[str]:
    """A plain-text table per queue: one row per interval with traffic, then the queue's totals."""
    lines = []
    by_queue: dict[str, list[QueueFigures]] = {}
    for row in report.queues:
        by_queue.setdefault(row.queue, []).append(row)
    for queue, rows in by_queue.items():
        first = rows[0]
        lines.append(
            f"queue {queue}: service level {first.formula} ({first.formula_text}), "
            f"T={first.threshold:g}s, short abandon S={first.short_abandon:g}s"
        )
        lines.append(
            f"{'interval':<11}{'offered':>8}{'answered':>9}{'abandoned':>10}{'short':>6}"
            f"{'callback':>9}{'SL':>8}{'ASA':>7}{'AHT':>8}{'longest':>8}{'xfer':>5}"
        )
        for r in rows:
            if r.offered == 0:
                continue
            label = datetime.fromtimestamp(r.interval_start, zone).strftime("%H:%M")
            lines.append(
                f"{label:<11}{r.offered:>8}{r.answered:>9}{r.abandoned:>10}{r.short_abandoned:>6}"
                f"{r.callbacks:>9}{_pct(r.service_level):>8}{_sec(r.asa):>7}{_sec(r.aht):>8}"
                f"{_sec(r.longest_wait):>8}{r.transfers:>5}"
            )
        total = sum(r.offered for r in rows)
        answered = sum(r.answered for r in rows)
        lines.append(f"{'total':<11}{total:>8}{answered:>9}{sum(r.abandoned for r in rows):>10}")
        lines.append("")
    agents: dict[str, list[AgentFigures]] = {}
    for a in report.agents:
        agents.setdefault(a.agent, []).append(a)
    if agents:
        lines.append(
            f"{'agent':<12}{'handled':>8}{'AHT':>8}{'handling s':>11}{'available s':>12}{'occupancy':>10}"
        )
        for agent, figures in agents.items():
            handled = sum(f.handled for f in figures)
            handling = sum(f.handling_time for f in figures)
            available = sum(f.available_time for f in figures)
            occupancy = handling / (handling + available) if handling + available else None
            handle = sum(f.talk + f.hold + f.wrapup for f in figures)
            aht = handle / handled if handled else None
            lines.append(
                f"{agent:<12}{handled:>8}{_sec(aht):>8}{handling:>11.0f}{available:>12.0f}"
                f"{_pct(occupancy):>10}"
            )
    return lines


def chart_png(report: IntervalReport, zone: tzinfo, title: str) -> bytes:
    """Offered and answered per interval (bars, all queues together) and each queue's service level
    (lines, right axis, labelled with its formula), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    starts = sorted({r.interval_start for r in report.queues})
    offered = [sum(r.offered for r in report.queues if r.interval_start == s) for s in starts]
    answered = [sum(r.answered for r in report.queues if r.interval_start == s) for s in starts]
    busy = [i for i, n in enumerate(offered) if n]
    lo, hi = (busy[0], busy[-1] + 1) if busy else (0, len(starts))
    starts, offered, answered = starts[lo:hi], offered[lo:hi], answered[lo:hi]
    labels = [datetime.fromtimestamp(s, zone).strftime("%H:%M") for s in starts]
    x = list(range(len(starts)))
    fig = Figure(figsize=(11, 4.8), dpi=100)
    ax = fig.add_subplot()
    ax.bar([i - 0.2 for i in x], offered, width=0.4, label="offered", color="#9db7d5")
    ax.bar([i + 0.2 for i in x], answered, width=0.4, label="answered", color="#2f6fad")
    ax.set_ylabel("contacts per interval")
    ax.set_ylim(0, max([*offered, 1]) * 1.4)  # headroom for the legend
    step = max(1, -(-len(x) // 12))  # at most 12 labels, so they never overlap
    ax.set_xticks(x[::step], labels[::step])
    sl_axis = ax.twinx()
    sl_axis.set_ylim(0, 140)
    sl_axis.set_yticks([0, 20, 40, 60, 80, 100])
    sl_axis.set_ylabel("service level %")
    for queue in sorted({r.queue for r in report.queues}):
        rows = {r.interval_start: r for r in report.queues if r.queue == queue}
        first = next(iter(rows.values()))
        values = [rows[s].service_level if s in rows else None for s in starts]
        points = [(i, v * 100) for i, v in zip(x, values, strict=True) if v is not None]
        if points:
            sl_axis.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                markersize=3,
                label=f"SL {queue} ({first.formula}, T={first.threshold:g}s)",
            )
    handles, names = ax.get_legend_handles_labels()
    more, more_names = sl_axis.get_legend_handles_labels()
    ax.legend(handles + more, names + more_names, loc="upper center", ncol=2, fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
