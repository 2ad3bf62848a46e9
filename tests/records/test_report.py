"""Interval reports: rows per interval, the printed table names the formula, the chart is a PNG."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from centralino.records.report import QueueSettings, chart_png, day_bounds, interval_report, report_lines
from centralino.records.stats import AgentActivity, Formula, Outcome, QueuedContact

ZONE = ZoneInfo("Europe/Warsaw")


def test_report_rows_lines_and_chart() -> None:
    start, end = day_bounds(date(2026, 3, 29), ZONE)  # DST starts: 23 hours
    assert end - start == 23 * 3600
    contacts = [
        QueuedContact(
            f"c{i}",
            "support",
            start + 9 * 3600 + i * 60,
            start + 9 * 3600 + i * 60 + 10 * i,
            Outcome.answered,
            agent="1001",
            talk=100.0,
        )
        for i in range(4)
    ]
    spans = [
        AgentActivity("1001", "handling", start + 9 * 3600, start + 9.5 * 3600),
        AgentActivity("1001", "available", start + 9.5 * 3600, start + 10 * 3600),
    ]
    report = interval_report(
        contacts,
        spans,
        [QueueSettings("support", Formula.answered_only, 20.0)],
        start=start,
        end=end,
        length=3600,
    )
    assert len(report.queues) == 23 and len(report.agents) == 23
    busy = [r for r in report.queues if r.offered]
    assert len(busy) == 1 and busy[0].service_level == 0.75  # waits 0, 10, 20, 30 s; T = 20 s
    lines = report_lines(report, ZONE)
    assert "answered within T / answered" in lines[0]
    assert any(line.startswith("10:00") for line in lines)  # 09:00 UTC+1 day start -> 10:00 after DST
    assert any("50.0%" in line for line in lines if line.startswith("1001"))
    png = chart_png(report, ZONE, "test")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
