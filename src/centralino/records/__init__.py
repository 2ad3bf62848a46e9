"""Call records and statistics: projections of the engines' facts (no I/O here).

``facts`` (the domain events), ``cdr`` (facts -> call record, legs, queue passages, agent spans),
``stats`` (the figures), ``report`` (figures per interval, chart), ``timeline`` (per customer),
``recordings`` (policy and access decisions).
"""

from centralino.records.cdr import CallRecord, LegRecord, RecordingInfo, agent_spans, fold
from centralino.records.facts import FACT_TYPES, Fact, from_dict, is_record_fact, to_dict
from centralino.records.recordings import RecordingDecision, RecordingPolicy, decide, parse_policy
from centralino.records.report import IntervalReport, QueueSettings, interval_report
from centralino.records.stats import (
    AgentActivity,
    AgentFigures,
    Formula,
    Outcome,
    QueuedContact,
    QueueFigures,
    agent_figures,
    interval_start,
    percentile,
    queue_figures,
    service_level,
)
from centralino.records.timeline import TimelineEntry, timeline

__all__ = [
    "FACT_TYPES", "AgentActivity", "AgentFigures", "CallRecord", "Fact", "Formula", "IntervalReport",
    "LegRecord", "Outcome", "QueueFigures", "QueueSettings", "QueuedContact", "RecordingDecision",
    "RecordingInfo", "RecordingPolicy", "TimelineEntry", "agent_figures", "agent_spans", "decide", "fold",
    "from_dict", "interval_report", "interval_start", "is_record_fact", "parse_policy", "percentile",
    "queue_figures", "service_level", "timeline", "to_dict",
]
