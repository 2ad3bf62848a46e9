"""One timeline per customer: calls, callbacks, voicemails and survey answers, newest first.

Built from call records (``records.cdr.CallRecord``), so the timeline, the call list and the
statistics never disagree. Ties in time keep a fixed order (call before its callback, voicemail and
survey answers) so pages do not shuffle between requests. Help-desk tickets will join as another
``kind`` when that issue lands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from centralino.records.cdr import CallRecord

__all__ = ["KINDS", "TimelineEntry", "call_entries", "duration_text", "timeline"]

KINDS = ("call", "callback", "voicemail", "survey")


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: float
    kind: str  # call, callback, voicemail, survey
    summary: str
    call: str
    detail: Mapping[str, Any] = field(default_factory=dict)


def duration_text(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def _call_summary(r: CallRecord) -> str:
    parts = [{"inbound": "Inbound call", "outbound": "Outbound call"}.get(r.direction, "Call")]
    if r.queues:
        parts.append(f"via {', '.join(r.queues)}")
    if r.state == "rejected":
        parts.append("rejected")
    elif r.state == "interrupted":
        parts.append("interrupted by a restart")
    elif r.answered_at is not None:
        parts.append(f"answered by {r.agent} after {duration_text(r.wait)}, talked {duration_text(r.talk)}")
    elif r.state == "finished":
        parts.append("not answered")
    else:
        parts.append("in progress")
    if r.disposition:
        parts.append(f"({r.disposition})")
    return " ".join(parts)


def call_entries(r: CallRecord) -> list[TimelineEntry]:
    """The entries one call contributes."""
    detail = {"direction": r.direction, "state": r.state, "queues": list(r.queues), "agents": list(r.agents),
              "wait": r.wait, "talk": r.talk, "disposition": r.disposition, "notes": r.notes,
              "recordings": sorted(r.recordings)}
    out = []
    if r.direction != "callback":
        out.append(TimelineEntry(r.arrived_at, "call", _call_summary(r), r.id, detail))
    if r.callback is not None:
        cb = r.callback
        state = cb["outcome"] or "waiting"
        out.append(TimelineEntry(cb["requested_at"], "callback",
                                 f"Callback to {cb['number']} from {cb['queue']}: {state}, "
                                 f"{cb['attempts']} attempt(s)", r.id, dict(cb)))
    if r.voicemail is not None:
        vm = r.voicemail
        summary = f"Voicemail in {vm['mailbox']}, {duration_text(vm['seconds'])}"
        out.append(TimelineEntry(vm["at"], "voicemail", summary, r.id, dict(vm)))
    for answer in r.survey:
        out.append(TimelineEntry(answer["at"], "survey",
                                 f"Survey {answer['survey']}: {answer['question']} = {answer['answer']}",
                                 r.id, dict(answer)))
    return out


def timeline(records: Iterable[CallRecord]) -> list[TimelineEntry]:
    """Every entry of these calls, newest first."""
    entries = [e for r in records for e in call_entries(r)]
    entries.sort(key=lambda e: (-e.at, e.call, KINDS.index(e.kind)))
    return entries
