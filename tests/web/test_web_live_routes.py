"""The live routes over the in-memory contact center: agent state, call controls, wrap-up, supervision,
the customer timeline, and the configuration upload."""

from __future__ import annotations

import hashlib

from api.conftest import CENTER
from centralino.api.runtime import TimelineEntry
from web.conftest import Center

V1 = "/api/v1"


def test_agent_logs_in_chooses_a_phone_and_goes_available_or_on_break(center: Center) -> None:
    api = center.api
    me = api.get(f"{V1}/live/me", "demo-agent").json()
    assert me["agent"]["extension"] == "1001" and me["agent"]["state"] == "logged-out"
    assert me["tenant"] == "demo" and me["time_zone"] == "Europe/Warsaw"
    assert "resolved" in me["options"]["dispositions"] and me["options"]["break_reasons"]
    phone = api.put(f"{V1}/live/me/phone", "demo-agent", json={"extension": "1002"})
    assert phone.status_code == 200 and phone.json()["phone"] == "1002"
    assert api.put(f"{V1}/live/me/phone", "demo-agent", json={"extension": "2001"}).status_code == 404
    assert (
        api.put(f"{V1}/live/me/state", "demo-agent", json={"state": "available"}).json()["state"]
        == "available"
    )
    no_reason = api.put(f"{V1}/live/me/state", "demo-agent", json={"state": "break"})
    assert no_reason.status_code == 409 and "reason" in no_reason.json()["error"]["message"]
    on_break = api.put(
        f"{V1}/live/me/state", "demo-agent", json={"state": "break", "reason": "lunch"}
    ).json()
    assert (on_break["state"], on_break["reason"]) == ("break", "lunch")
    not_agent = api.put(f"{V1}/live/me/state", "demo-supervisor", json={"state": "available"})
    assert not_agent.status_code == 409 and "not linked to an agent" in not_agent.json()["error"]["message"]


def test_a_call_from_offer_to_wrap_up(center: Center) -> None:
    api, cc = center.api, center.cc
    demo, anna = center.tenants["demo"], center.agents["1001"]
    api.put(f"{V1}/live/me/state", "demo-agent", json={"state": "available"})
    offer = cc.offer(demo, anna, "support", "+48221234000", verified=True, waited=12.0)
    call = f"{V1}/calls/{offer.call_id}"
    assert api.get(f"{V1}/live/me", "demo-agent").json()["offer"]["call_id"] == offer.call_id
    assert api.put(f"{call}/hold", "demo-agent").status_code == 409  # still ringing
    assert api.post(f"{call}/answer", "demo-agent").status_code == 204
    assert api.put(f"{call}/hold", "demo-agent").status_code == 204
    assert api.delete(f"{call}/hold", "demo-agent").status_code == 204
    assert api.put(f"{call}/recording", "demo-agent", json={"paused": True}).status_code == 204
    transfer = {"mode": "attended", "kind": "agent", "target": center.agents["1002"]}
    assert api.post(f"{call}/transfers", "demo-agent", json=transfer).status_code == 202
    assert (
        api.post(
            f"{call}/conference", "demo-agent", json={"kind": "number", "target": "+48221239999"}
        ).status_code
        == 202
    )
    assert api.delete(call, "demo-agent").status_code == 204
    assert api.get(f"{V1}/live/me", "demo-agent").json()["agent"]["state"] == "wrap-up"
    assert api.put(f"{call}/hold", "demo-agent").status_code == 409  # ended
    bad = api.put(f"{call}/wrapup", "demo-agent", json={"disposition": "made-up"})
    assert bad.status_code == 409 and "resolved" in bad.json()["error"]["message"]
    done = api.put(
        f"{call}/wrapup", "demo-agent", json={"disposition": "resolved", "notes": "reset router"}
    )
    assert done.status_code == 204
    assert cc.wrapups == [
        {"tenant_id": demo, "call_id": offer.call_id, "disposition": "resolved", "notes": "reset router"}
    ]
    assert [c[0] for c in cc.commands] == [
        "answer",
        "hold",
        "resume",
        "recording",
        "transfer",
        "conference",
        "hangup",
    ]
    assert api.get(f"{V1}/live/me", "demo-agent").json()["agent"]["state"] == "available"


def test_agents_see_their_colleagues_presence_but_not_their_calls(center: Center) -> None:
    center.cc.offer(center.tenants["demo"], center.agents["1002"], "support", "+48221234000")
    items = center.api.get(f"{V1}/live/directory", "demo-agent").json()["items"]
    assert [(a["extension"], a["state"]) for a in items] == [("1001", "logged-out"), ("1002", "reserved")]
    assert all(set(a) == {"agent_id", "name", "extension", "state"} for a in items)
    acme = center.api.get(f"{V1}/live/directory", "acme-agent").json()["items"]
    assert [a["extension"] for a in acme] == ["2001"]


def test_calls_are_scoped_to_their_agent_and_tenant(center: Center) -> None:
    api, cc = center.api, center.cc
    offer = cc.offer(center.tenants["demo"], center.agents["1002"], "support", "+48221234000")
    cc.answered(offer.call_id)
    call = f"{V1}/calls/{offer.call_id}"
    assert api.put(f"{call}/hold", "demo-agent").status_code == 404  # Marco's call, not Anna's
    assert api.put(f"{call}/hold", "acme-supervisor").status_code == 404  # another tenant
    assert (
        api.post(
            f"{call}/monitor", "acme-supervisor", json={"mode": "barge", "extension": "2001"}
        ).status_code
        == 404
    )
    listen = api.post(f"{call}/monitor", "demo-supervisor", json={"mode": "whisper", "extension": "1099"})
    assert listen.status_code == 202
    assert cc.commands[-1] == ("monitor", offer.call_id, "whisper", "1099")
    assert api.put(f"{call}/hold", "demo-supervisor").status_code == 204


def test_click_to_dial_from_the_customer_record(center: Center) -> None:
    api = center.api
    assert api.post(f"{V1}/calls", "demo-agent", json={"number": "1002"}).status_code == 409  # logged out
    api.put(f"{V1}/live/me/state", "demo-agent", json={"state": "break", "reason": "personal"})
    customer = api.post(
        f"{V1}/customers", "demo-agent", json={"name": "Ewa", "phones": [{"number": "221234000"}]}
    )
    created = api.post(
        f"{V1}/calls", "demo-agent", json={"number": "+48221234000", "customer_id": customer.json()["id"]}
    )
    assert created.status_code == 201
    assert center.cc.commands[-1] == (
        "dial",
        created.json()["call_id"],
        "+48221234000",
        customer.json()["id"],
    )
    assert api.get(f"{V1}/live/me", "demo-agent").json()["agent"]["state"] == "on-call"
    assert api.post(f"{V1}/calls", "demo-agent", json={"number": "1002"}).status_code == 409  # busy


def test_wallboard_figures_agent_states_and_announcement(center: Center) -> None:
    api, cc, demo = center.api, center.cc, center.tenants["demo"]
    cc.set_queue(demo, "support", waiting=4, service_level=0.5, answered=10)
    queues = {q["queue"]: q for q in api.get(f"{V1}/live/queues", "demo-supervisor").json()["items"]}
    assert queues["support"]["waiting"] == 4 and queues["support"]["at_risk"] is True
    assert queues["support"]["formula_text"] == "answered within T / answered"
    assert {q["queue"] for q in api.get(f"{V1}/live/queues", "acme-supervisor").json()["items"]} == {
        "helpdesk"
    }
    agents = api.get(f"{V1}/live/agents", "demo-supervisor").json()["items"]
    assert [a["extension"] for a in agents] == ["1001", "1002"]
    changed = api.put(
        f"{V1}/live/agents/{center.agents['1002']}/state", "demo-supervisor", json={"state": "available"}
    )
    assert changed.json()["state"] == "available"
    acme_agent = center.agents["2001"]
    assert (
        api.put(
            f"{V1}/live/agents/{acme_agent}/state", "demo-supervisor", json={"state": "available"}
        ).status_code
        == 404
    )
    assert api.get(f"{V1}/live/announcement", "demo-agent").json() == {"announcement": None}
    text = "We know about the outage in Warsaw."
    assert (
        api.put(f"{V1}/live/announcement", "demo-supervisor", json={"text": text}).json()["announcement"][
            "text"
        ]
        == text
    )
    assert api.get(f"{V1}/live/announcement", "acme-supervisor").json() == {"announcement": None}
    assert api.delete(f"{V1}/live/announcement", "demo-supervisor").status_code == 204
    assert api.get(f"{V1}/live/announcement", "demo-agent").json() == {"announcement": None}
    assert api.get(f"{V1}/live/intervals", "root", params={"tenant": "demo"}).json() == {"items": []}
    assert api.get(f"{V1}/live/intervals", "root").status_code == 422  # installation admins name the tenant


def test_customer_timeline_is_the_contact_centers_and_scoped(center: Center) -> None:
    api = center.api
    customer = api.post(f"{V1}/customers", "demo-agent", json={"name": "Ewa"}).json()
    center.cc.add_timeline(
        center.tenants["demo"], customer["id"], TimelineEntry(1.0, "call", "support, 3 min")
    )
    center.cc.add_timeline(
        center.tenants["demo"], customer["id"], TimelineEntry(2.0, "survey", "satisfaction 5")
    )
    items = api.get(f"{V1}/customers/{customer['id']}/timeline", "demo-agent").json()["items"]
    assert [i["kind"] for i in items] == ["survey", "call"]
    assert api.get(f"{V1}/customers/{customer['id']}/timeline", "acme-admin").status_code == 404
    assert (
        api.get(f"{V1}/customers/{customer['id']}/timeline", "root", params={"tenant": "acme"}).status_code
        == 404
    )


def test_config_upload_is_checked_with_lines_and_applied_only_by_installation_admins(
    center: Center,
) -> None:
    api = center.api
    broken = CENTER.replace("{name: helpdesk}", "{name: helpdesk, strategy: fastest}", 1)
    checked = api.post(
        f"{V1}/config/check", "demo-admin", json={"text": broken, "filename": "center.yaml"}
    ).json()
    assert checked["errors"] >= 1
    problem = checked["problems"][0]
    assert (
        problem["line"]
        == broken.splitlines().index(next(x for x in broken.splitlines() if "fastest" in x)) + 1
    )
    assert problem["text"].startswith(f"center.yaml:{problem['line']}:{problem['column']}: ")
    assert "strategy" in problem["message"] and problem["severity"] == "error"
    queue_line = "queues:\n      - {name: helpdesk}"
    assert queue_line in CENTER
    text = CENTER.replace(queue_line, queue_line[:-1] + ", description: Help desk}")
    ok = api.post(f"{V1}/config/check", "demo-admin", json={"text": text}).json()
    assert ok["errors"] == 0 and ok["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    body = {"text": text, "sha256": ok["sha256"]}
    assert api.post(f"{V1}/config/apply", "demo-admin", json=body).status_code == 403
    changed = api.post(f"{V1}/config/apply", "root", json={**body, "sha256": "0" * 64})
    assert changed.status_code == 422 and changed.json()["error"]["field"] == "sha256"
    applied = api.post(f"{V1}/config/apply", "root", json=body).json()
    assert applied["changed"] is True
    queue = api.get(f"{V1}/queues", "acme-admin", params={"name": "helpdesk"}).json()["items"][0]
    assert queue["description"] == "Help desk"
    assert (
        api.post(
            f"{V1}/config/apply", "root", json={"text": broken, "sha256": checked["sha256"]}
        ).status_code
        == 422
    )
