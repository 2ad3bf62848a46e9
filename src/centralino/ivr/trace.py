"""The flow trace: which nodes a call visited, what the caller pressed, how long each took.

Stored as JSON with the call record, shown on the agent's screen pop (``summary``) and to
the supervisor. Secret inputs (PINs, dates of birth) are recorded masked: the trace is
read by people who must not learn them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FlowTrace", "TraceStep"]


@dataclass
class TraceStep:
    node: str
    type: str
    flow: str
    entered_at: float
    left_at: float | None = None
    inputs: list[str] = field(default_factory=list)
    outcome: str = ""

    @property
    def duration(self) -> float | None:
        return None if self.left_at is None else round(self.left_at - self.entered_at, 3)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "duration": self.duration}


@dataclass
class FlowTrace:
    leg: str
    flow: str
    started_at: float
    steps: list[TraceStep] = field(default_factory=list)
    ended_at: float | None = None
    outcome: str = ""  # how the IVR part ended: queued, transferred, hung up, caller hung up...

    def enter(self, flow: str, node: str, type_: str, now: float) -> TraceStep:
        self.leave(now)
        step = TraceStep(node, type_, flow, now)
        self.steps.append(step)
        return step

    def leave(self, now: float, outcome: str | None = None) -> None:
        if self.steps and self.steps[-1].left_at is None:
            self.steps[-1].left_at = now
            if outcome is not None:
                self.steps[-1].outcome = outcome

    def note(self, outcome: str) -> None:
        if self.steps:
            self.steps[-1].outcome = outcome

    def input(self, value: str) -> None:
        if self.steps:
            self.steps[-1].inputs.append(value)

    def end(self, now: float, outcome: str) -> None:
        self.leave(now)
        if self.ended_at is None:
            self.ended_at = now
            self.outcome = outcome

    def summary(self) -> list[str]:
        """One line per step for the screen pop: ``menu main: 1 -> support (3.2 s)``."""
        lines = []
        for s in self.steps:
            text = f"{s.type} {s.node}"
            if s.inputs:
                text += ": " + ", ".join(s.inputs)
            if s.outcome:
                text += f" -> {s.outcome}"
            if s.duration:
                text += f" ({s.duration:.1f} s)"
            lines.append(text)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"leg": self.leg, "flow": self.flow, "started_at": self.started_at,
                "ended_at": self.ended_at, "outcome": self.outcome,
                "steps": [s.to_dict() for s in self.steps]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowTrace:
        steps = [TraceStep(**{k: v for k, v in s.items() if k != "duration"}) for s in data["steps"]]
        return cls(data["leg"], data["flow"], data["started_at"], steps, data.get("ended_at"),
                   data.get("outcome", ""))
