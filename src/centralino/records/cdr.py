"""The call record: a pure fold of one call's facts (``records.facts``) in journal order.

``fold(facts)`` rebuilds the whole record from scratch every time, so the record is always exactly
what the journal says: facts that arrive late (the answered ``QueueLeft`` after wrap-up, a
disposition typed tomorrow, the ``CallInterrupted`` written at the next start) just refold.

Conventions (docs/call-records.md):
- ``wait`` runs from the first queue entry to the agent's answer, or to leaving the queue, or to
  the end of the call; ``talk`` from the answer to the end minus the time on hold; ``hold`` is the
  sum of hold spans (one still open at the end closes there); ``wrapup`` comes from the answered
  ``QueuedContact``.
- The dial plan's ``QueuedContact`` counts hold as talk and knows no transfers; the fold moves the
  call's hold time from talk to hold and adds its transfers, so AHT = talk + hold + wrap-up holds.
- A passage the dial plan never closed is closed here: answered but wrap-up not over when the call
  ended (answered, no wrap-up) or cut by a restart (``interrupted``, leaving the queue at the last
  known fact before the interruption, not at the restart hours later).

``agent_spans`` turns ``AgentStateRecorded`` facts into ``AgentActivity`` spans for occupancy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from centralino.records import facts as f
from centralino.records.stats import AgentActivity, Outcome, QueuedContact

__all__ = [
    "HANDLING_STATES", "CallRecord", "LegRecord", "RecordingInfo", "agent_spans", "fold", "from_json",
    "to_json",
]

HANDLING_STATES = frozenset({"reserved", "on-call", "wrap-up"})


@dataclass(slots=True)
class LegRecord:
    leg: str
    role: str  # caller, outbound, agent, callback, transfer, other
    party: str  # a number (E.164) or an agent's extension
    started_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: str = ""
    reason: str = ""
    packets_sent: int | None = None
    packets_received: int | None = None
    packets_lost: int | None = None
    loss_pct: float | None = None
    jitter_ms: float | None = None
    max_jitter_ms: float | None = None


@dataclass(slots=True)
class RecordingInfo:
    id: str
    file: str
    reason: str
    started_at: float
    retention_days: int
    agent: str = ""
    stopped_at: float | None = None
    seconds: float | None = None
    size: int | None = None
    sha256: str | None = None
    paused: list[list[float | None]] = field(default_factory=list)


@dataclass(slots=True)
class CallRecord:
    id: str
    tenant: str
    direction: str  # inbound, outbound, callback
    arrived_at: float
    state: str = "open"  # open, finished, rejected, interrupted
    caller: str = ""
    dialled: str = ""
    route: str = ""
    target: str | None = None
    customer: str | None = None
    ivr_ended_at: float | None = None
    queue_entered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    hung_up_by: str | None = None
    end_cause: str | None = None
    rejected_code: int | None = None
    queues: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    agent: str | None = None  # the first agent who answered
    holds: list[list[float | None]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    wait: float = 0.0
    talk: float = 0.0
    hold: float = 0.0
    wrapup: float = 0.0
    disposition: str | None = None
    notes: str | None = None
    ivr_trace: dict[str, Any] = field(default_factory=dict)
    survey: list[dict[str, Any]] = field(default_factory=list)
    voicemail: dict[str, Any] | None = None
    callback: dict[str, Any] | None = None
    cost: float | None = None  # filled by the rating issue
    rating: str | None = None
    legs: dict[str, LegRecord] = field(default_factory=dict)
    recordings: dict[str, RecordingInfo] = field(default_factory=dict)
    passages: list[QueuedContact] = field(default_factory=list)
    last_at: float = 0.0  # the newest fact before an interruption

    @property
    def completed(self) -> bool:
        return self.state != "open"


def _add(items: list[str], value: str | None) -> None:
    if value and value not in items:
        items.append(value)


class _Folder:
    def __init__(self) -> None:
        self.record: CallRecord | None = None
        self.early: list[f.Fact] = []  # facts before the one naming the tenant (kept in order)
        self.open_queue: tuple[str, float] | None = None
        self.queue_exit: float | None = None
        self.left: list[QueuedContact] = []
        self.callback_leg: str | None = None

    def start(self, fact: f.Fact, tenant: str, direction: str) -> CallRecord:
        if self.record is None:
            self.record = CallRecord(id=fact.call, tenant=tenant, direction=direction, arrived_at=fact.at)
            early, self.early = self.early, []
            for old in early:
                self.apply(old)
        return self.record

    def apply(self, fact: f.Fact) -> None:
        r = self.record
        if isinstance(fact, f.CallArrived):
            r = self.start(fact, fact.tenant, "inbound")
            r.caller, r.dialled, r.route, r.target = fact.caller, fact.dialled, fact.route, fact.target
            r.legs.setdefault(fact.call, LegRecord(fact.call, "caller", fact.caller, fact.at))
        elif isinstance(fact, f.CallPlaced):
            r = self.start(fact, fact.tenant, "outbound")
            r.caller, r.dialled, r.route, r.target = fact.caller_id, fact.number, "outbound", fact.number
            _add(r.agents, fact.agent)
            r.agent = r.agent or fact.agent
            r.legs.setdefault(fact.call, LegRecord(fact.call, "outbound", fact.number, fact.at))
        elif isinstance(fact, f.CallbackQueued):
            r = self.start(fact, fact.tenant, "callback")
            r.callback = {"queue": fact.queue, "number": fact.number, "requested_at": fact.at,
                          "attempts": 0, "outcome": None, "ended_at": None}
            r.caller = r.caller or fact.number
            _add(r.queues, fact.queue)
        elif isinstance(fact, f.QueueEntered):
            r = self.start(fact, fact.tenant, "inbound")
            _add(r.queues, fact.queue)
            if r.queue_entered_at is None:
                r.queue_entered_at = fact.at
            self.open_queue = (fact.queue, fact.at)
        elif isinstance(fact, f.AgentStateRecorded):
            return  # agent facts carry no call; agent_spans reads them
        elif r is None:
            self.early.append(fact)
        else:
            self.apply_to(r, fact)
        if self.record is not None and not isinstance(fact, f.CallInterrupted):
            self.record.last_at = max(self.record.last_at, fact.at)

    def apply_to(self, r: CallRecord, fact: f.Fact) -> None:
        if isinstance(fact, f.CallRejected):
            r.state, r.ended_at, r.rejected_code, r.end_cause = "rejected", fact.at, fact.code, fact.reason
            r.hung_up_by = "system"
        elif isinstance(fact, f.IvrTraced):
            r.ivr_trace, r.ivr_ended_at = dict(fact.trace), fact.at
        elif isinstance(fact, f.OfferRinging):
            r.legs[fact.leg] = LegRecord(fact.leg, "agent", fact.agent, fact.at)
        elif isinstance(fact, f.OfferEnded):
            leg = r.legs.setdefault(fact.leg, LegRecord(fact.leg, "agent", fact.agent, fact.at))
            leg.outcome, leg.reason = fact.outcome, fact.reason
            if fact.outcome == "answered":
                leg.answered_at = fact.at
            else:
                leg.ended_at = fact.at
        elif isinstance(fact, f.CallConnected):
            if r.answered_at is None:
                r.answered_at = fact.at
            r.agent = r.agent or fact.agent
            _add(r.agents, fact.agent)
            if self.open_queue is not None and self.queue_exit is None:
                self.queue_exit = fact.at
            if self.callback_leg is not None:
                r.legs[self.callback_leg].answered_at = fact.at
            for leg in r.legs.values():
                if leg.role in ("caller", "outbound") and leg.answered_at is None:
                    leg.answered_at = fact.at
        elif isinstance(fact, f.CallbackAttempted):
            leg_id = f"{fact.call}#cb{fact.attempt}"
            r.legs[leg_id] = LegRecord(leg_id, "callback", fact.number, fact.at)
            self.callback_leg = leg_id
            _add(r.agents, fact.agent)
            if r.callback is not None:
                r.callback["attempts"] = max(r.callback["attempts"], fact.attempt)
        elif isinstance(fact, f.CallbackEnded):
            if self.callback_leg is not None:
                leg = r.legs[self.callback_leg]
                leg.outcome, leg.reason = fact.outcome, fact.reason
                if fact.outcome != "connected":
                    leg.ended_at = fact.at
            if r.callback is not None:
                r.callback["outcome"] = fact.outcome
                if fact.outcome != "failed":
                    r.callback["ended_at"] = fact.at
            if fact.outcome == "given-up" and r.direction == "callback" and r.state == "open":
                r.state, r.ended_at, r.hung_up_by = "finished", fact.at, "system"
                r.end_cause = "callback given up"
        elif isinstance(fact, f.QueueLeft):
            self.left.append(fact.record)
            if self.open_queue is not None and fact.record.outcome is not Outcome.answered:
                self.queue_exit = self.queue_exit or fact.at
            self.open_queue = None
        elif isinstance(fact, f.SurveyAnswered):
            r.survey.append({"at": fact.at, "survey": fact.survey, "question": fact.question,
                             "answer": fact.answer})
        elif isinstance(fact, f.CallFinished):
            if r.state == "open":
                r.state, r.ended_at = "finished", fact.at
            r.hung_up_by, r.end_cause = fact.hung_up_by, fact.cause
            self._end_legs(r, fact.at, fact.hung_up_by)
        elif isinstance(fact, f.CallInterrupted):
            if r.state == "open":
                r.state, r.ended_at, r.hung_up_by = "interrupted", fact.at, "system"
                r.end_cause = "interrupted"
                self._end_legs(r, fact.at, "interrupted")
        elif isinstance(fact, f.CustomerIdentified):
            r.customer = fact.customer
        elif isinstance(fact, f.CallHeld):
            if not r.holds or r.holds[-1][1] is not None:
                r.holds.append([fact.at, None])
        elif isinstance(fact, f.CallResumed):
            if r.holds and r.holds[-1][1] is None:
                r.holds[-1][1] = fact.at
        elif isinstance(fact, f.CallTransferred):
            r.transfers.append({"at": fact.at, "agent": fact.agent, "kind": fact.target_kind,
                                "target": fact.target, "mode": fact.mode})
            if fact.target_kind == "agent":
                _add(r.agents, fact.target)
            if fact.leg:
                r.legs[fact.leg] = LegRecord(fact.leg, "transfer", fact.target, fact.at)
        elif isinstance(fact, f.WrapUpSubmitted):
            r.disposition, r.notes = fact.disposition, fact.notes
        elif isinstance(fact, f.MediaQuality):
            leg = r.legs.setdefault(fact.leg, LegRecord(fact.leg, "other", "", fact.at))
            leg.packets_sent, leg.packets_received = fact.packets_sent, fact.packets_received
            leg.packets_lost, leg.loss_pct = fact.packets_lost, fact.loss_pct
            leg.jitter_ms, leg.max_jitter_ms = fact.jitter_ms, fact.max_jitter_ms
        elif isinstance(fact, f.RecordingStarted):
            r.recordings[fact.recording] = RecordingInfo(fact.recording, fact.file, fact.reason, fact.at,
                                                         fact.retention_days, fact.agent)
        elif isinstance(fact, f.RecordingPaused | f.RecordingResumed | f.RecordingStopped):
            self._recording(r, fact)
        elif isinstance(fact, f.VoicemailLeft):
            r.voicemail = {"at": fact.at, "mailbox": fact.mailbox, "seconds": fact.seconds,
                           "file": fact.file, "sha256": fact.sha256}

    @staticmethod
    def _recording(r: CallRecord, fact: f.RecordingPaused | f.RecordingResumed | f.RecordingStopped) -> None:
        rec = r.recordings.get(fact.recording)
        if rec is None:
            return
        if isinstance(fact, f.RecordingPaused):
            if not rec.paused or rec.paused[-1][1] is not None:
                rec.paused.append([fact.at, None])
        elif isinstance(fact, f.RecordingResumed):
            if rec.paused and rec.paused[-1][1] is None:
                rec.paused[-1][1] = fact.at
        else:
            rec.stopped_at, rec.seconds, rec.size, rec.sha256 = fact.at, fact.seconds, fact.size, fact.sha256
            if rec.paused and rec.paused[-1][1] is None:
                rec.paused[-1][1] = fact.at

    @staticmethod
    def _end_legs(r: CallRecord, at: float, outcome: str) -> None:
        for leg in r.legs.values():
            if leg.ended_at is None:
                leg.ended_at = at
                leg.outcome = leg.outcome if leg.outcome and leg.outcome != "answered" else outcome

    def finish(self) -> CallRecord | None:
        r = self.record
        if r is None:
            return None
        end = r.ended_at
        if r.holds and r.holds[-1][1] is None and end is not None:
            r.holds[-1][1] = end
        r.hold = math.fsum(e - s for s, e in r.holds if s is not None and e is not None)
        if r.queue_entered_at is not None:
            stop = r.answered_at or self.queue_exit or end
            r.wait = max(0.0, stop - r.queue_entered_at) if stop is not None else 0.0
        if r.answered_at is not None and end is not None:
            r.talk = max(0.0, end - r.answered_at - r.hold)
        r.passages = self._passages(r)
        answered = [p for p in r.passages if p.outcome is Outcome.answered]
        r.wrapup = math.fsum(p.wrapup for p in answered)
        return r

    def _passages(self, r: CallRecord) -> list[QueuedContact]:
        out = []
        for p in self.left:
            if p.outcome is Outcome.answered:
                p = replace(p, talk=max(0.0, p.talk - r.hold), hold=p.hold + r.hold,
                            transfers=p.transfers + len(r.transfers))
            out.append(p)
        if self.open_queue is not None and r.state in ("finished", "interrupted"):
            queue, entered = self.open_queue
            entered = r.queue_entered_at if r.queue_entered_at is not None else entered
            if r.answered_at is not None:
                out.append(QueuedContact(r.id, queue, entered, r.answered_at, Outcome.answered,
                                         agent=r.agent, talk=r.talk, hold=r.hold,
                                         transfers=len(r.transfers)))
            elif r.state == "interrupted":
                out.append(QueuedContact(r.id, queue, entered, max(entered, r.last_at), Outcome.interrupted))
        return out


def fold(facts: Iterable[f.Fact]) -> CallRecord | None:
    """The record of the call these facts belong to (in journal order); None while no fact names
    its tenant (e.g. only a ``CallRejected`` for an unknown number)."""
    folder = _Folder()
    for fact in facts:
        folder.apply(fact)
    return folder.finish()


def agent_spans(facts: Iterable[f.AgentStateRecorded], until: float) -> list[AgentActivity]:
    """Each agent's state spans: a state lasts until the agent's next state fact (or ``until``).
    Reserved, on-call and wrap-up count as 'handling', available as 'available'; other states
    (break, logged-out) keep their name and count for neither side of occupancy."""
    by_agent: dict[str, list[f.AgentStateRecorded]] = {}
    for fact in facts:
        by_agent.setdefault(fact.agent, []).append(fact)
    spans = []
    for agent, states in by_agent.items():
        states.sort(key=lambda s: s.at)
        for this, after in zip(states, [*states[1:], None], strict=True):
            end = min(until, after.at) if after is not None else until
            if end > this.at:
                name = "handling" if this.state in HANDLING_STATES else this.state
                spans.append(AgentActivity(agent, name, this.at, end))
    return spans


def to_json(record: CallRecord) -> dict[str, Any]:
    """The record as JSON-ready values (what the ``calls.detail`` column and the API hold)."""
    out = asdict(record)
    out["passages"] = [{**asdict(p), "outcome": str(p.outcome)} for p in record.passages]
    return out


def from_json(data: dict[str, Any]) -> CallRecord:
    """The inverse of ``to_json``."""
    values = dict(data)
    values["legs"] = {k: LegRecord(**v) for k, v in values.get("legs", {}).items()}
    values["recordings"] = {k: RecordingInfo(**v) for k, v in values.get("recordings", {}).items()}
    values["passages"] = [QueuedContact(**{**p, "outcome": Outcome(p["outcome"])})
                          for p in values.get("passages", [])]
    return CallRecord(**values)
