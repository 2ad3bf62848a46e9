"""Call records over HTTP: recordings for their agent and supervisor only (audited, Range), lists
with filters and CSV, one call in detail, disposition, and interval statistics with formulas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.call_records_fixture import recorded_call
from api.conftest import Api, make_api
from centralino.api import ApiSettings, create_app
from centralino.core.clock import FakeClock
from centralino.store.db import Database
from centralino.store.models import AuditEntry

DAY0 = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC; 22:26:40 in Warsaw
WAV = b"RIFF" + bytes(range(256)) * 8


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    made = make_api(db)
    app = create_app(db, ApiSettings(secret_key="k", data_dir=tmp_path, clock=FakeClock(DAY0 + 600)))
    made.client = TestClient(app, raise_server_exceptions=False)
    with made.client:
        yield made


def _record(api: Api, tmp_path: Path, tenant: str, call: str, agent: str, queue: str, at: float) -> str:
    rec = recorded_call(api.db, tenant, call, agent, queue, "+48221110000", at)
    path = tmp_path / f"recordings/{tenant}/{rec}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(WAV)
    return rec


def test_a_recording_is_heard_by_its_agent_and_supervisor_and_nobody_else(api: Api, tmp_path: Path) -> None:
    anna = _record(api, tmp_path, "demo", "c-anna", "1001", "support", DAY0)
    marco = _record(api, tmp_path, "demo", "c-marco", "1002", "support", DAY0 + 100)
    for user in ("demo-agent", "demo-supervisor", "demo-admin", "root"):
        got = api.get(f"/api/v1/recordings/{anna}", user)
        assert got.status_code == 200, (user, got.text)
        assert got.content == WAV and got.headers["content-type"] == "audio/wav"
    for user in ("acme-agent", "acme-supervisor", "acme-admin"):
        assert api.get(f"/api/v1/recordings/{anna}", user).status_code == 404, user
    assert api.get(f"/api/v1/recordings/{marco}", "demo-agent").status_code == 404  # not her call
    part = api.client.get(
        f"/api/v1/recordings/{anna}", headers={**api.auth("demo-agent"), "Range": "bytes=4-19"}
    )
    assert part.status_code == 206 and part.content == WAV[4:20]
    assert part.headers["content-range"] == f"bytes 4-19/{len(WAV)}"
    with api.db.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target.in_([anna, marco]))).all()
    assert actions.count("recording.download") == 5 and actions.count("recording.denied") == 1


def test_call_list_filters_pages_and_csv(api: Api, tmp_path: Path) -> None:
    for i in range(5):
        _record(api, tmp_path, "demo", f"d{i}", "1001" if i % 2 == 0 else "1002", "support", DAY0 + i * 60)
    _record(api, tmp_path, "acme", "a0", "2001", "helpdesk", DAY0)
    page = api.get("/api/v1/calls", "demo-supervisor", params={"limit": 2}).json()
    assert page["total"] == 5 and [c["id"] for c in page["items"]] == ["d4", "d3"]
    assert {c["tenant"] for c in page["items"]} == {"demo"}
    mine = api.get("/api/v1/calls", "demo-agent").json()
    assert {c["id"] for c in mine["items"]} == {"d0", "d2", "d4"}
    assert api.get("/api/v1/calls", "demo-agent", params={"agent": "1002"}).json()["total"] == 0
    window = {"from": "2026-05-28T20:27:30Z", "to": "2026-05-28T20:29:40Z", "agent": "1002"}
    assert [c["id"] for c in api.get("/api/v1/calls", "demo-admin", params=window).json()["items"]] == ["d1"]
    csv = api.client.get("/api/v1/calls", headers={**api.auth("demo-admin"), "Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.headers["x-total-count"] == "5"
    lines = csv.text.splitlines()
    assert lines[0].startswith("id,tenant,direction,state") and len(lines) == 6
    assert (
        api.get("/api/v1/calls", "root", params={"format": "csv", "queue": "helpdesk"}).text.count("\n") == 2
    )


def test_one_call_in_detail_and_its_disposition(api: Api, tmp_path: Path) -> None:
    rec = _record(api, tmp_path, "demo", "c1", "1001", "support", DAY0)
    call = api.get("/api/v1/calls/c1", "demo-agent").json()
    assert call["state"] == "finished" and call["hung_up_by"] == "agent" and call["wait"] == 5.0
    assert [leg["role"] for leg in call["legs"]] == ["caller", "agent"]
    assert call["recording_list"][0]["url"] == f"/api/v1/recordings/{rec}"
    assert call["queue_passages"][0]["outcome"] == "answered"
    put = api.put(
        "/api/v1/calls/c1/disposition", "demo-agent", json={"disposition": "sale", "notes": "2 seats"}
    )
    assert put.status_code == 204, put.text
    again = api.get("/api/v1/calls/c1", "demo-supervisor").json()
    assert (again["disposition"], again["notes"]) == ("sale", "2 seats")
    assert api.get("/api/v1/calls", "demo-admin", params={"disposition": "sale"}).json()["total"] == 1
    assert api.put("/api/v1/calls/c1/disposition", "acme-admin", json={"disposition": "x"}).status_code == 404


def test_interval_statistics_carry_their_formula(api: Api, tmp_path: Path) -> None:
    for i in range(3):
        _record(api, tmp_path, "demo", f"s{i}", "1001", "support", DAY0 + i * 60)
    got = api.get("/api/v1/stats/queues", "demo-supervisor", params={"interval": 30, "day": "2026-05-28"})
    body = got.json()
    assert got.status_code == 200 and body["time_zone"] == "Europe/Warsaw" and body["interval"] == 30
    assert len(body["items"]) == 46 and body["complete"] is False  # today so far: up to 22:30-23:00
    past = api.get("/api/v1/stats/queues", "demo-admin", params={"interval": 60, "day": "2026-05-27"}).json()
    assert (
        len(past["items"]) == 24 and past["complete"] is True and not any(r["offered"] for r in past["items"])
    )
    busy = [row for row in body["items"] if row["offered"]]
    assert len(busy) == 1 and busy[0]["interval"] == "2026-05-28T20:00:00Z"  # 22:00 in Warsaw
    row = busy[0]
    assert (row["offered"], row["answered"], row["asa"], row["aht"]) == (3, 3, 5.0, 70.0)
    assert row["formula"] == "answered-only" and row["formula_text"] == "answered within T / answered"
    assert row["service_level"] == 1.0 and row["threshold"] == 20.0
    agents = api.get("/api/v1/stats/agents", "demo-admin", params={"interval": 60}).json()  # today so far
    assert agents["complete"] is False and {r["agent"] for r in agents["items"]} == {"1001"}
    assert sum(r["handled"] for r in agents["items"]) == 3
    bad = api.get("/api/v1/stats/queues", "demo-admin", params={"from": "2026-05-28T00:00:00Z"})
    assert bad.status_code == 422
    assert api.get("/api/v1/stats/queues", "demo-agent").status_code == 403
