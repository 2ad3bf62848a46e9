"""Queue strategies as sort keys.

Each strategy is a function giving an available agent a key for one queue;
the engine keeps available agents in heaps ordered by that key, so choosing an
agent costs a heap peek instead of a scan of every member (what Asterisk's
app_queue does). The key is computed when the agent becomes available and does
not change while they stay available, which holds for every strategy here:
idle-since, talk time, call counts and round-robin turns only change while the
agent is busy.

Ties are broken by the agent's extension (a stable, documented key), and the
random strategies draw from the engine's seeded ``random.Random``, so the same
inputs always give the same choice.

- longest-idle: penalty, then the earliest time the agent became idle.
- round-robin (with memory): penalty, then the agent offered a call from this
  queue longest ago (never offered first), i.e. turns continue where they left.
- least-talk-time / fewest-calls: penalty, then the agent's totals today.
- linear: penalty, then the agent's order in the member list (login order when
  the configuration gives none).
- random: penalty, then a uniform draw.
- weighted-random: an exponential race, draw Exp(1)·(1 + penalty): agent i wins
  with probability proportional to 1/(1 + penalty_i) (Asterisk's wrandom uses the
  penalty as a weight the same way: higher penalty, less likely).
- ring-all: ordered like longest-idle; the engine rings every eligible agent of
  the best penalty tier (up to the queue's ``ring_all_limit``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from centralino.acd.model import Strategy

AgentKey = tuple[float, float, str]


@dataclass(slots=True)
class AgentStats:
    """What the strategies read about an agent; the engine updates it."""

    extension: str
    idle_since: float = 0.0
    talk_time: float = 0.0
    calls: int = 0
    order: int = 0


def agent_key(
    strategy: Strategy,
    stats: AgentStats,
    penalty: int,
    last_offered: float,
    rng: random.Random,
) -> AgentKey:
    """The heap key of an available agent in a queue; smaller is chosen first."""
    if strategy is Strategy.longest_idle or strategy is Strategy.ring_all:
        return (penalty, stats.idle_since, stats.extension)
    if strategy is Strategy.round_robin:
        return (penalty, last_offered, stats.extension)
    if strategy is Strategy.least_talk_time:
        return (penalty, stats.talk_time, stats.extension)
    if strategy is Strategy.fewest_calls:
        return (penalty, float(stats.calls), stats.extension)
    if strategy is Strategy.linear:
        return (penalty, float(stats.order), stats.extension)
    if strategy is Strategy.random:
        return (penalty, rng.random(), stats.extension)
    if strategy is Strategy.weighted_random:
        return (0, rng.expovariate(1.0) * (1 + penalty), stats.extension)
    raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(s.value for s in Strategy)}")


def describe(strategy: Strategy, key: AgentKey) -> str:
    """Why this agent: the key in words, for the journal."""
    penalty, value, _ = key
    return f"{strategy.value}: penalty {penalty:g}, {_LABELS[strategy]} {value:.6g}"


_LABELS = {
    Strategy.longest_idle: "idle since",
    Strategy.ring_all: "idle since",
    Strategy.round_robin: "last offered at",
    Strategy.least_talk_time: "talk time",
    Strategy.fewest_calls: "calls",
    Strategy.linear: "order",
    Strategy.random: "draw",
    Strategy.weighted_random: "race time",
}
