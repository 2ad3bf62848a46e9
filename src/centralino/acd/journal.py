"""The ACD journal: every input and every decision, in order, replayable.

Like Asterisk's queue_log, but complete enough to rebuild the engine: the first
record (the header) holds the tenant, the random seed, the settings and the
queue specifications; every later record holds one input (an event, or
``timer.due`` for ``handle_timer``), the time it was handled and the decisions
it produced, each with its reason and, for offers, the candidates considered.

Records are kept as objects while the engine runs (appending a tuple costs
nothing measurable) and turned into JSON lines only when written out::

    {"journal": "centralino.acd", "version": 1, "tenant": ..., "seed": ..., "settings": {...},
     "queues": [...]}
    {"n": 1, "at": 1700000000.0, "event": {"type": "contact.arrived", ...},
     "decisions": [{"type": "offer", ...}]}

``replay(journal)`` builds a fresh engine from the header, feeds it the inputs
at their times and returns the decisions; for a faithful journal they equal the
recorded ones, which is how a queue's day is audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from centralino.acd import events as ev
from centralino.acd.decisions import Decision
from centralino.acd.model import (
    AgentSpec,
    Channel,
    Contact,
    OverflowRule,
    OverflowWhen,
    QueueSpec,
    Requirements,
    ServiceLevelFormula,
    Strategy,
    Target,
    TargetKind,
    Tier,
    WaitStep,
    spec_to_dict,
)

if TYPE_CHECKING:
    from centralino.acd.engine import Engine

FORMAT = "centralino.acd"
VERSION = 1

Entry = tuple[float, ev.AcdEvent, list[Decision]]


def to_dict(item: ev.AcdEvent | Decision) -> dict[str, Any]:
    data: dict[str, Any] = spec_to_dict(item)  # a dataclass always becomes a dict
    data["type"] = item.kind
    return data


@dataclass
class Journal:
    """Append-only; ``entries`` is the in-memory form, ``lines()`` the JSON-lines one."""

    header: dict[str, Any] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    recorded: list[list[dict[str, Any]]] | None = None  # decisions read back from a file

    def start(self, engine: Engine) -> None:
        self.header = {
            "journal": FORMAT,
            "version": VERSION,
            "tenant": engine.tenant,
            "seed": engine.seed,
            "settings": spec_to_dict(engine.settings),
            "queues": [spec_to_dict(q) for q in engine.queue_specs],
        }

    def record(self, now: float, event: ev.AcdEvent, decisions: list[Decision]) -> None:
        self.entries.append((now, event, decisions))

    def decisions(self) -> list[list[dict[str, Any]]]:
        """The recorded decisions as dictionaries, one list per input."""
        if self.recorded is not None:
            return self.recorded
        return [[to_dict(d) for d in decisions] for _, _, decisions in self.entries]

    def lines(self) -> Iterator[str]:
        yield json.dumps(self.header, sort_keys=True)
        recorded = self.decisions()
        for n, ((at, event, _), decisions) in enumerate(zip(self.entries, recorded, strict=True), start=1):
            record = {"n": n, "at": at, "event": to_dict(event), "decisions": decisions}
            yield json.dumps(record, sort_keys=True)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Journal:
        it = iter(lines)
        header = json.loads(next(it))
        if header.get("journal") != FORMAT or header.get("version") != VERSION:
            raise ValueError(f"not an ACD journal of version {VERSION}: header {header!r}")
        journal = cls(header=header, recorded=[])
        for number, line in enumerate(it, start=2):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                event = event_from_dict(record["event"])
            except (KeyError, TypeError, ValueError) as exc:
                hint = "the file is damaged or from another version"
                raise ValueError(f"journal line {number}: {exc}; {hint}") from exc
            journal.entries.append((record["at"], event, []))
            assert journal.recorded is not None
            journal.recorded.append(record["decisions"])
        return journal


def replay(journal: Journal) -> list[list[dict[str, Any]]]:
    """Run a fresh engine over the journal's inputs; returns its decisions, one list per input."""
    from centralino.acd.engine import Engine, EngineSettings

    header = journal.header
    engine = Engine(
        [queue_from_dict(q) for q in header["queues"]],
        tenant=header["tenant"],
        seed=header["seed"],
        settings=EngineSettings(**header["settings"]),
    )
    out = []
    for at, event, _ in journal.entries:
        decisions = engine.handle_timer(at) if isinstance(event, ev.TimerDue) else engine.handle(event, at)
        out.append([to_dict(d) for d in decisions])
    return out


# ------------------------------------------------------------------ reading values back


def requirements_from_dict(data: dict[str, Any]) -> Requirements:
    tier = data.get("tier")
    return Requirements(dict(data.get("skills", {})), data.get("language"), Tier(tier) if tier else None)


def target_from_dict(data: dict[str, Any]) -> Target:
    return Target(TargetKind(data["kind"]), data.get("name"))


def queue_from_dict(data: dict[str, Any]) -> QueueSpec:
    values = dict(data)
    values["strategy"] = Strategy(values["strategy"])
    values["service_level_formula"] = ServiceLevelFormula(values["service_level_formula"])
    values["tier"] = Tier(values["tier"]) if values.get("tier") else None
    values["steps"] = tuple(
        WaitStep(**{**st, "drop_skills": tuple(st["drop_skills"])}) for st in values["steps"]
    )
    values["overflow"] = tuple(
        OverflowRule(OverflowWhen(r["when"]), r["threshold"], target_from_dict(r["target"]))
        for r in values["overflow"]
    )
    values["fallback"] = target_from_dict(values["fallback"])
    return QueueSpec(**values)


def agent_from_dict(data: dict[str, Any]) -> AgentSpec:
    values = dict(data)
    values["tier"] = Tier(values["tier"])
    values["languages"] = tuple(values["languages"])
    return AgentSpec(**values)


def contact_from_dict(data: dict[str, Any]) -> Contact:
    values = dict(data)
    values["requirements"] = requirements_from_dict(values["requirements"])
    values["channel"] = Channel(values["channel"])
    return Contact(**values)


def event_from_dict(data: dict[str, Any]) -> ev.AcdEvent:
    values = dict(data)
    kind = values.pop("type")
    cls = ev.EVENT_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    if cls is ev.ContactArrived:
        return ev.ContactArrived(contact_from_dict(values["contact"]))
    if cls is ev.AgentLoggedIn:
        return ev.AgentLoggedIn(agent_from_dict(values["agent"]))
    return cls(**values)
