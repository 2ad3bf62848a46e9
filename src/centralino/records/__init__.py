"""Call records and statistics: projections of the engines' events (no I/O here)."""

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

__all__ = [
    "AgentActivity", "AgentFigures", "Formula", "Outcome", "QueueFigures", "QueuedContact",
    "agent_figures", "interval_start", "percentile", "queue_figures", "service_level",
]
