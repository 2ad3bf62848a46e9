"""The CTI WebSocket through Starlette's test client: authentication, scoping, replay, isolation."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from centralino.api import events_ws
from centralino.api.bus import Audience
from web.conftest import Center

URL = "/api/v1/events"


def connect(center: Center, user: str | None, query: str = "", **headers: str) -> Any:
    if user is not None:
        headers = {**center.api.auth(user), **headers}
    return center.api.client.websocket_connect(URL + query, headers=headers)


def hello(ws: WebSocketTestSession) -> dict[str, Any]:
    message = ws.receive_json()
    assert message["type"] == "hello", message
    data: dict[str, Any] = message["data"]
    return data


def closed_with(center: Center, user: str | None, query: str = "", **headers: str) -> tuple[int, str]:
    with connect(center, user, query, **headers) as ws:
        error = ws.receive_json()
        assert error["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_json()
    return exc.value.code, error["data"]["message"]


def test_credentials_are_required(center: Center) -> None:
    assert closed_with(center, None)[0] == 4401
    assert closed_with(center, None, Authorization="Bearer cnt_forged")[0] == 4401
    assert closed_with(center, None, Cookie="centralino_session=forged.value")[0] == 4401


def test_other_sites_cannot_open_a_stream(center: Center) -> None:
    code, message = closed_with(center, "demo-agent", origin="https://evil.example")
    assert code == 4403 and "cross-site" in message
    with connect(center, "demo-agent", origin="http://testserver") as ws:
        assert hello(ws)["tenant"] == "demo"


def test_bad_since_and_tenantless_installation_admin_are_refused(center: Center) -> None:
    assert closed_with(center, "demo-agent", "?since=-1")[0] == 4422
    code, message = closed_with(center, "root")
    assert code == 4422 and "tenant" in message
    assert closed_with(center, "demo-admin", "?tenant=acme")[0] == 4404
    with connect(center, "root", "?tenant=acme") as ws:
        assert hello(ws)["tenant"] == "acme"


def test_agent_gets_its_own_offer_and_tenant_events_only(center: Center) -> None:
    demo = center.tenants["demo"]
    anna, marco = center.agents["1001"], center.agents["1002"]
    with connect(center, "demo-agent") as ws:
        info = hello(ws)
        assert info["agent_id"] == anna and info["role"] == "agent"
        center.cc.offer(demo, marco, "support", "+48221230000")  # Marco's offer: not for Anna
        offer = center.cc.offer(demo, anna, "support", "+48221234000", verified=True, ivr_trace=["answer"])
        center.cc.set_queue(demo, "support", waiting=3)
        got = [ws.receive_json() for _ in range(3)]
    assert [m["type"] for m in got] == ["agent.state", "call.offered", "queue.tick"]
    assert got[0]["data"]["agent_id"] == anna and got[0]["data"]["state"] == "reserved"
    assert got[1]["data"]["call_id"] == offer.call_id and got[1]["data"]["verified"] is True
    assert got[2]["data"]["queues"][0]["waiting"] == 3
    assert [m["seq"] for m in got] == sorted(m["seq"] for m in got)


def test_reconnect_replays_missed_events_by_sequence(center: Center) -> None:
    demo = center.tenants["demo"]
    with connect(center, "demo-supervisor") as ws:
        start = hello(ws)["last_seq"]
        center.cc.set_queue(demo, "support", waiting=1)
        first = ws.receive_json()
    for waiting in (2, 3):  # published while the browser was away
        center.cc.set_queue(demo, "support", waiting=waiting)
    with connect(center, "demo-supervisor", f"?since={first['seq']}") as ws:
        hello(ws)
        replayed = [ws.receive_json() for _ in range(2)]
        center.cc.set_queue(demo, "support", waiting=4)
        live = ws.receive_json()
    assert first["seq"] == start + 1
    assert [m["data"]["queues"][0]["waiting"] for m in [*replayed, live]] == [2, 3, 4]
    assert [m["seq"] for m in [*replayed, live]] == [first["seq"] + 1, first["seq"] + 2, first["seq"] + 3]


def test_no_event_crosses_tenants(center: Center) -> None:
    demo, acme = center.tenants["demo"], center.tenants["acme"]
    center.cc.set_queue(demo, "support", waiting=7)  # in demo's replay buffer
    with connect(center, "acme-supervisor", "?since=0") as ws:
        assert hello(ws)["tenant"] == "acme"
        center.cc.offer(demo, center.agents["1001"], "support", "+48221234000")
        center.cc.bus.emit(demo, "everyone", {"secret": "demo"}, Audience.tenant())
        center.cc.set_queue(acme, "helpdesk", waiting=2)
        message = ws.receive_json()
    # The first thing acme's supervisor receives is acme's own tick: nothing of demo before it.
    assert message["type"] == "queue.tick"
    assert message["data"]["queues"][0]["queue"] == "helpdesk"
    assert message["seq"] == 1


def test_a_revoked_token_loses_the_stream(center: Center, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_ws, "RECHECK", 0.05)
    with connect(center, "demo-agent") as ws:
        hello(ws)
        center.cc.set_queue(center.tenants["demo"], "support", waiting=1)
        assert ws.receive_json()["type"] == "queue.tick"  # still allowed after the first re-checks
        assert center.api.post("/api/v1/auth/logout", "demo-agent").status_code == 204  # revokes the token
        error = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_json()
    assert error["type"] == "error" and exc.value.code == 4401
