"""A process that writes calls the way the live shell does, for the kill -9 test.

Usage: python call_records_writer.py DATABASE_URL. Keeps eight calls in flight at different
stages; prints ``start ID`` after the append that created a call returned and ``done ID`` after
the append holding its ``CallFinished`` returned (i.e. once the database has them), then goes on
until it is killed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from centralino.records import facts as f
from centralino.records.stats import Outcome, QueuedContact
from centralino.store.call_record_store import CallRecordStore
from centralino.store.db import Database

Step = Callable[[str, float], list[f.Fact]]

STEPS: list[Step] = [
    lambda c, t: [
        f.CallArrived(
            at=t, call=c, tenant="demo", caller="+48221110000", dialled="+48221234567", route="queue"
        ),
        f.QueueEntered(at=t, call=c, tenant="demo", queue="support"),
    ],
    lambda c, t: [f.OfferRinging(at=t, call=c, agent="1001", leg=c + "-a", queue="support")],
    lambda c, t: [
        f.OfferEnded(at=t, call=c, agent="1001", leg=c + "-a", outcome="answered"),
        f.CallConnected(at=t, call=c, agent="1001", queue="support", waited=3.0),
    ],
    lambda c, t: [
        f.CallFinished(at=t, call=c, hung_up_by="caller", agent="1001"),
        f.QueueLeft(
            at=t,
            call=c,
            tenant="demo",
            record=QueuedContact(c, "support", t - 9, t - 6, Outcome.answered, agent="1001", talk=6.0),
        ),
    ],
]


def main() -> None:
    db = Database(sys.argv[1])
    store = CallRecordStore(db)
    in_flight: list[tuple[str, int]] = []
    n = 0
    t = 1_780_000_000.0
    while True:
        t += 3.0
        if len(in_flight) < 8:
            in_flight.append((f"call-{n:06d}", 0))
            n += 1
        call, stage = in_flight.pop(0)
        store.append(STEPS[stage](call, t))
        if stage == 0:
            print("start", call, flush=True)
        if stage == len(STEPS) - 1:
            print("done", call, flush=True)
        else:
            in_flight.append((call, stage + 1))


if __name__ == "__main__":
    main()
