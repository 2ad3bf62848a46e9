"""The configuration file seen by the dial plan: routes, ACD specs, calendars, announcements.

``centralino.acd.model`` mirrors the names of ``centralino.config.model`` (``Queue`` ->
``QueueSpec``, ``Agent`` -> ``AgentSpec``, ``WaitStep`` -> ``WaitStep``), so the mapping is
field for field; what the file does not say (overflow rules, fallback, ring-all limit,
expected handle time) keeps the ACD's defaults. An agent's skill written as a bare name has
level 5 and a queue written as a bare name has penalty 0, as docs/configuration.md says.

Queue announcements are prompt references to the sentences ``centralino.media.prompts``
builds per language: ``file:<lang>/position/<n>`` ("you are caller number n", n up to
``POSITIONS``) and ``file:<lang>/wait/<minutes>`` (to the nearest whole minute, 0 saying
"less than a minute", up to ``WAIT_MINUTES``); beyond those ranges the sentence is left
out rather than mis-spoken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from centralino.acd.model import AgentSpec, QueueSpec, ServiceLevelFormula, Strategy, Tier, WaitStep
from centralino.config.hours import ALWAYS_OPEN, BusinessCalendar
from centralino.config.model import Agent, PhoneNumber, Queue, RouteKind, Tenant
from centralino.config.numbers import classify_number, number_time_zone

__all__ = [
    "POSITIONS", "WAIT_MINUTES", "NumberRoute", "agent_spec", "announcement_prompts", "queue_spec",
    "route_table",
]

POSITIONS = 20
WAIT_MINUTES = 30


def queue_spec(queue: Queue) -> QueueSpec:
    return QueueSpec(
        name=queue.name, strategy=Strategy(queue.strategy), priority=queue.priority,
        skills=dict(queue.skills),
        language=queue.language, max_callers=queue.max_callers, max_wait=queue.max_wait,
        join_when_empty=queue.join_when_empty, leave_when_empty=queue.leave_when_empty,
        ring_timeout=queue.ring_timeout, wrapup=queue.wrapup,
        service_level_threshold=queue.service_level_threshold,
        service_level_formula=ServiceLevelFormula(queue.service_level_formula),
        short_abandon=queue.short_abandon,
        announce_every=queue.announce_every,
        steps=tuple(WaitStep(after=s.after, min_level=s.min_level, drop_skills=tuple(s.drop_skills),
                             drop_language=s.drop_language, overflow_to=s.overflow_to) for s in queue.steps),
    )


def agent_spec(agent: Agent) -> AgentSpec:
    skills = {s: 5 for s in agent.skills if isinstance(s, str)}
    skills.update({s.name: s.level for s in agent.skills if not isinstance(s, str)})
    queues = {q: 0 for q in agent.queues if isinstance(q, str)}
    queues.update({q.queue: q.penalty for q in agent.queues if not isinstance(q, str)})
    return AgentSpec(extension=agent.extension, name=agent.name, languages=tuple(agent.languages),
                     tier=Tier(agent.tier), skills=skills, queues=queues)


@dataclass(frozen=True, slots=True)
class NumberRoute:
    """One dialled number of one tenant: where it goes and in which calendar."""

    tenant: str
    number: PhoneNumber
    kind: RouteKind
    target: str | None
    time_zone: str
    calendar: BusinessCalendar = field(compare=False)

    def is_open(self, now: float) -> bool:
        return self.number.hours is None or self.calendar.is_open(datetime.fromtimestamp(now, UTC))


def route_table(tenant: Tenant) -> dict[str, NumberRoute]:
    """Dialled text -> route; E.164 numbers are also found by their normalized form."""
    table: dict[str, NumberRoute] = {}
    for number in tenant.numbers:
        zone = number_time_zone(number.number, tenant.time_zone, number.time_zone)
        hours = tenant.business_hours.get(number.hours) if number.hours else None
        route = NumberRoute(tenant.name, number, number.route.kind, number.route.target, zone,
                            BusinessCalendar(hours or ALWAYS_OPEN, zone))
        table[number.number] = route
        e164 = classify_number(number.number).e164
        if e164:
            table.setdefault(e164, route)
    return table


def announcement_prompts(language: str, position: int, ewt: float) -> tuple[str, ...]:
    """The position and expected-wait sentences for a waiting caller, as prompt references."""
    refs = []
    if 1 <= position <= POSITIONS:
        refs.append(f"file:{language}/position/{position}")
    minutes = max(0, math.floor(ewt / 60.0 + 0.5)) if math.isfinite(ewt) else WAIT_MINUTES + 1
    if minutes <= WAIT_MINUTES:
        refs.append(f"file:{language}/wait/{minutes}")
    return tuple(refs)
