"""The documented CTI event schema: in sync with the code, and every message of a session conforms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs

from centralino.api.events_ws import EVENT_TYPES, event_schema, validate_message
from centralino.api.runtime import IntervalFigure
from web.conftest import Center

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "cti-events.schema.json"
REGENERATE = (
    'python -c "import json; from centralino.api.events_ws import event_schema; '
    'print(json.dumps(event_schema(), indent=2, sort_keys=True, ensure_ascii=False))" '
    "> docs/cti-events.schema.json"
)


def test_the_documented_schema_is_the_codes() -> None:
    documented = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert documented == json.loads(json.dumps(event_schema())), f"regenerate it: {REGENERATE}"
    jsonschema_rs.Draft202012Validator(documented)  # the schema itself is valid


def _session(center: Center) -> list[dict[str, Any]]:
    """Every kind of event, as an agent and a supervisor of tenant demo receive them."""
    api, cc = center.api, center.cc
    demo, anna = center.tenants["demo"], center.agents["1001"]
    received: list[dict[str, Any]] = []
    with center.api.client.websocket_connect("/api/v1/events", headers=api.auth("demo-supervisor")) as ws:
        received.append(ws.receive_json())
        api.put("/api/v1/live/me/state", "demo-agent", json={"state": "available"})
        offer = cc.offer(demo, anna, "support", "+48221234000", verified=True, ivr_trace=["answer"])
        call = f"/api/v1/calls/{offer.call_id}"
        api.post(f"{call}/answer", "demo-agent")
        api.put(f"{call}/hold", "demo-agent")
        api.put(f"{call}/recording", "demo-agent", json={"paused": True})
        api.post(f"{call}/conference", "demo-agent", json={"kind": "queue", "target": "support"})
        api.post(f"{call}/monitor", "demo-supervisor", json={"mode": "listen", "extension": "1099"})
        api.post(
            f"{call}/transfers", "demo-agent", json={"mode": "blind", "kind": "number", "target": "1002"}
        )
        api.put(f"{call}/wrapup", "demo-agent", json={"disposition": "resolved"})
        api.post("/api/v1/calls", "demo-agent", json={"number": "+48221234001"})
        cc.set_queue(demo, "support", waiting=2, service_level=0.5)
        cc.set_intervals(demo, [IntervalFigure(0.0, 1800.0, 3, 2, 1, 0.5)])
        api.put("/api/v1/live/announcement", "demo-supervisor", json={"text": "Outage"})
        api.delete("/api/v1/live/announcement", "demo-supervisor")
        last = center.cc.bus.last_seq(demo)
        while not received or received[-1].get("seq") != last:
            received.append(ws.receive_json())
    with center.api.client.websocket_connect(
        "/api/v1/events?since=1", headers=api.auth("demo-agent")
    ) as ws:
        received.append(ws.receive_json())  # hello
        received.append(ws.receive_json())  # a replayed event
    with center.api.client.websocket_connect(
        "/api/v1/events?since=99999", headers=api.auth("demo-agent")
    ) as ws:
        received.extend([ws.receive_json(), ws.receive_json()])  # hello, resync
    with center.api.client.websocket_connect("/api/v1/events") as ws:
        received.append(ws.receive_json())  # error
    return received


def test_every_message_of_a_session_conforms(center: Center) -> None:
    validator = jsonschema_rs.Draft202012Validator(event_schema())
    messages = _session(center)
    for message in messages:
        errors = [str(e) for e in validator.iter_errors(message)]
        assert errors == [], (message, errors)
        validate_message(message)
    assert {m["type"] for m in messages} == set(EVENT_TYPES)


def test_a_message_that_breaks_the_schema_is_caught() -> None:
    validator = jsonschema_rs.Draft202012Validator(event_schema())
    wrong = {
        "seq": 3,
        "type": "call.held",
        "at": 1.0,
        "data": {"call_id": "c", "agent_id": "a", "held": "yes"},
    }
    assert not validator.is_valid(wrong)
    assert not validator.is_valid({"seq": 3, "type": "call.nonsense", "at": 1.0, "data": {}})
    assert validator.is_valid({**wrong, "data": {**wrong["data"], "held": True}})
