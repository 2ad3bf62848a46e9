"""Call records written straight into the store for the API tests (as the live shell would)."""

from __future__ import annotations

from centralino.records import facts as f
from centralino.records.stats import Outcome, QueuedContact
from centralino.store.call_record_store import CallRecordStore
from centralino.store.db import Database


def recorded_call(
    db: Database, tenant: str, call: str, agent: str, queue: str, caller: str, at: float
) -> str:
    """An answered, recorded queue call; returns the recording id (``rec-<call>``)."""
    recording = f"rec-{call}"
    CallRecordStore(db).append(
        [
            f.CallArrived(at=at, call=call, tenant=tenant, caller=caller, dialled="+1", route="queue"),
            f.QueueEntered(at=at + 1, call=call, tenant=tenant, queue=queue),
            f.OfferRinging(at=at + 2, call=call, agent=agent, leg=call + "-a", queue=queue),
            f.OfferEnded(at=at + 6, call=call, agent=agent, leg=call + "-a", outcome="answered"),
            f.CallConnected(at=at + 6, call=call, agent=agent, queue=queue, waited=5.0),
            f.RecordingStarted(
                at=at + 6,
                call=call,
                recording=recording,
                tenant=tenant,
                file=f"recordings/{tenant}/{recording}.wav",
                reason="all",
                retention_days=90,
            ),
            f.CallFinished(at=at + 66, call=call, hung_up_by="agent", agent=agent),
            f.RecordingStopped(at=at + 66, call=call, recording=recording, seconds=60.0, size=0, sha256=""),
            f.QueueLeft(
                at=at + 76,
                call=call,
                tenant=tenant,
                record=QueuedContact(
                    call, queue, at + 1, at + 6, Outcome.answered, agent=agent, talk=60.0, wrapup=10.0
                ),
            ),
        ]
    )
    return recording
