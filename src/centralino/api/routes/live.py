"""Live contact-center operations: agent state, call controls, wallboard figures, announcement.

Thin routes over ``centralino.api.runtime.ContactCenter`` (``app.state.contact_center``): the
``LiveDep`` dependency resolves the caller's tenant and linked agent record once (installation
admins name the tenant with ``?tenant=``), checks the role before anything else, and the route
calls one contact-center method. Tenant scoping is the contact center's rule too: it answers
404 for another tenant's agent or call. Calls are nouns: ``PUT /calls/{id}/hold`` holds,
``DELETE`` of the same resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from centralino.api.deps import API_PREFIX, Auth, DbDep, TenantQuery, owned, tenant_filter
from centralino.api.errors import ApiError
from centralino.api.runtime import (
    Actor,
    AgentState,
    ContactCenter,
    MonitorMode,
    TargetKind,
    TransferMode,
    to_json,
)
from centralino.api.schemas import NO_NUL
from centralino.api.security import Principal
from centralino.store.models import Agent, Customer, Tenant

__all__ = ["Live", "LiveDep", "resolve_live", "router"]

router = APIRouter(prefix=API_PREFIX, tags=["live"])

OVERSEERS = ("admin", "supervisor")
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]


@dataclass(frozen=True, slots=True)
class Live:
    """The caller as the contact center sees it, within one tenant."""

    principal: Principal
    tenant_id: str
    tenant: str
    time_zone: str
    actor: Actor
    center: ContactCenter

    def require(self, *roles: str) -> None:
        self.principal.require(*roles)

    def own_agent(self) -> str:
        if self.actor.agent_id is None:
            raise ApiError(409, "conflict", f"user {self.principal.username} is not linked to an agent")
        return self.actor.agent_id


def resolve_live(db: Any, principal: Principal, tenant: str | None, center: ContactCenter) -> Live:
    """The tenant (own, or named by an installation admin) and the agent record linked to the user."""
    with db.session() as session:
        tenant_id = tenant_filter(session, principal, tenant)
        if tenant_id is None:
            raise ApiError.invalid("tenant", "installation admins must name the tenant (?tenant=NAME)")
        row = session.get(Tenant, tenant_id)
        if row is None:
            raise ApiError.not_found("tenant")
        agent_id = session.scalar(
            select(Agent.id).where(Agent.tenant_id == tenant_id, Agent.user_id == principal.user_id)
        )
        actor = Actor(principal.user_id, principal.role, agent_id)
        return Live(principal, tenant_id, row.name, row.time_zone or "UTC", actor, center)


def _live(request: Request, principal: Auth, db: DbDep, tenant: TenantQuery = None) -> Live:
    return resolve_live(db, principal, tenant, request.app.state.contact_center)


LiveDep = Annotated[Live, Depends(_live)]


def _overseer(live: LiveDep) -> Live:
    live.require(*OVERSEERS)
    return live


OverseerDep = Annotated[Live, Depends(_overseer)]


class StateIn(BaseModel):
    state: Literal["available", "break", "logged-out"]
    reason: Text | None = None


class PhoneIn(BaseModel):
    extension: Annotated[str, Field(pattern=r"^[0-9]{2,8}$", description="an extension of the tenant")]


class TargetIn(BaseModel):
    kind: TargetKind
    target: Text


class TransferIn(TargetIn):
    mode: TransferMode = TransferMode.blind


class RecordingIn(BaseModel):
    paused: bool


class WrapUpIn(BaseModel):
    disposition: Text
    notes: Annotated[str, Field(max_length=4000, pattern=NO_NUL)] = ""


class DialIn(BaseModel):
    number: Annotated[str, Field(min_length=2, max_length=32, pattern=r"^\+?[0-9 ()./-]+$")]
    customer_id: Annotated[str | None, Field(max_length=64, pattern=NO_NUL)] = None


class MonitorIn(BaseModel):
    mode: MonitorMode
    extension: Annotated[str, Field(pattern=r"^[0-9]{2,8}$", description="the supervisor's phone")]


class AnnouncementIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=1000, pattern=NO_NUL)]


# Agent desktop --------------------------------------------------------------------------------
@router.get("/live/me")
async def my_desk(live: LiveDep) -> dict[str, Any]:
    """The caller's agent status, the desktop's choices and the current offer (for a reloaded page)."""
    center, tenant_id = live.center, live.tenant_id
    agent = offer = None
    if live.actor.agent_id is not None:
        agent = (await center.agent_status(tenant_id, live.actor.agent_id)).to_json()
        current = await center.current_offer(tenant_id, live.actor.agent_id)
        offer = current.to_json() if current else None
    return {
        "tenant": live.tenant,
        "time_zone": live.time_zone,
        "user": {
            "id": live.principal.user_id,
            "username": live.principal.username,
            "role": live.actor.role,
        },
        "agent": agent,
        "offer": offer,
        "options": to_json(await center.desk_options(tenant_id)),
        "last_seq": center.bus.last_seq(tenant_id),
    }


@router.put("/live/me/phone")
async def choose_phone(body: PhoneIn, live: LiveDep) -> dict[str, Any]:
    """Take calls on this extension for the session."""
    status = await live.center.choose_phone(live.tenant_id, live.actor, live.own_agent(), body.extension)
    return status.to_json()


@router.put("/live/me/state")
async def set_my_state(body: StateIn, live: LiveDep) -> dict[str, Any]:
    """Go available, on break (with a reason) or log out; ends wrap-up early."""
    agent_id = live.own_agent()
    status = await live.center.set_agent_state(
        live.tenant_id, live.actor, agent_id, AgentState(body.state), body.reason
    )
    return status.to_json()


@router.get("/live/directory")
async def directory(live: LiveDep) -> dict[str, Any]:
    """Colleagues to transfer or conference to: name, extension and state (presence), no call details."""
    agents = await live.center.agents(live.tenant_id)
    items = [
        {"agent_id": a.agent_id, "name": a.name, "extension": a.extension, "state": a.state.value}
        for a in agents
    ]
    return {"items": items}


# Supervisor -----------------------------------------------------------------------------------
@router.get("/live/agents")
async def live_agents(live: OverseerDep) -> dict[str, Any]:
    return {"items": [a.to_json() for a in await live.center.agents(live.tenant_id)]}


@router.put("/live/agents/{agent_id}/state")
async def set_agent_state(agent_id: str, body: StateIn, live: OverseerDep) -> dict[str, Any]:
    status = await live.center.set_agent_state(
        live.tenant_id, live.actor, agent_id, AgentState(body.state), body.reason
    )
    return status.to_json()


@router.get("/live/queues")
async def live_queues(live: LiveDep) -> dict[str, Any]:
    """Per queue: waiting now, longest wait, service level today with its formula, ASA, AHT..."""
    items = [q.to_json() for q in await live.center.queues(live.tenant_id)]
    return {"items": items, "last_seq": live.center.bus.last_seq(live.tenant_id)}


@router.get("/live/intervals")
async def live_intervals(
    live: OverseerDep, length: Annotated[Literal[900, 1800, 3600], Query(description="seconds")] = 1800
) -> dict[str, Any]:
    """Today's offered, answered, abandoned and service level per interval (charts)."""
    return {"items": to_json(await live.center.intervals(live.tenant_id, float(length)))}


@router.get("/live/announcement")
async def get_announcement(live: LiveDep) -> dict[str, Any]:
    return {"announcement": to_json(await live.center.announcement(live.tenant_id))}


@router.put("/live/announcement")
async def set_announcement(body: AnnouncementIn, live: OverseerDep) -> dict[str, Any]:
    """The outage announcement callers hear in the IVR until it is withdrawn."""
    return {
        "announcement": to_json(await live.center.set_announcement(live.tenant_id, live.actor, body.text))
    }


@router.delete("/live/announcement", status_code=204)
async def withdraw_announcement(live: OverseerDep) -> Response:
    await live.center.set_announcement(live.tenant_id, live.actor, None)
    return Response(status_code=204)


@router.post("/calls/{call_id}/monitor", status_code=202)
async def monitor_call(call_id: str, body: MonitorIn, live: OverseerDep) -> dict[str, Any]:
    """Ring the supervisor's phone; answered, it joins the call to listen, whisper or barge."""
    await live.center.monitor(live.tenant_id, live.actor, call_id, body.mode, body.extension)
    return {"call_id": call_id, "mode": body.mode.value, "extension": body.extension}


# Calls ----------------------------------------------------------------------------------------
@router.post("/calls", status_code=201)
async def dial(body: DialIn, live: LiveDep) -> dict[str, Any]:
    """Click-to-dial: the agent's phone rings first, then the number is called."""
    live.own_agent()
    return {"call_id": await live.center.dial(live.tenant_id, live.actor, body.number, body.customer_id)}


@router.post("/calls/{call_id}/answer", status_code=204)
async def answer(call_id: str, live: LiveDep) -> Response:
    await live.center.answer(live.tenant_id, live.actor, call_id)
    return Response(status_code=204)


@router.put("/calls/{call_id}/hold", status_code=204)
async def hold(call_id: str, live: LiveDep) -> Response:
    await live.center.hold(live.tenant_id, live.actor, call_id, True)
    return Response(status_code=204)


@router.delete("/calls/{call_id}/hold", status_code=204)
async def resume(call_id: str, live: LiveDep) -> Response:
    await live.center.hold(live.tenant_id, live.actor, call_id, False)
    return Response(status_code=204)


@router.post("/calls/{call_id}/transfers", status_code=202)
async def transfer(call_id: str, body: TransferIn, live: LiveDep) -> dict[str, Any]:
    """Blind or attended transfer to an agent (id), a queue (name) or a number."""
    await live.center.transfer(live.tenant_id, live.actor, call_id, body.mode, body.kind, body.target)
    return {"call_id": call_id, "mode": body.mode.value, "kind": body.kind.value, "target": body.target}


@router.post("/calls/{call_id}/conference", status_code=202)
async def conference(call_id: str, body: TargetIn, live: LiveDep) -> dict[str, Any]:
    await live.center.conference(live.tenant_id, live.actor, call_id, body.kind, body.target)
    return {"call_id": call_id, "kind": body.kind.value, "target": body.target}


@router.delete("/calls/{call_id}", status_code=204)
async def hangup(call_id: str, live: LiveDep) -> Response:
    await live.center.hangup(live.tenant_id, live.actor, call_id)
    return Response(status_code=204)


@router.put("/calls/{call_id}/recording", status_code=204)
async def recording(call_id: str, body: RecordingIn, live: LiveDep) -> Response:
    """Pause (e.g. while the customer reads a card number) or resume the recording."""
    await live.center.set_recording(live.tenant_id, live.actor, call_id, body.paused)
    return Response(status_code=204)


@router.put("/calls/{call_id}/wrapup", status_code=204)
async def wrap_up(call_id: str, body: WrapUpIn, live: LiveDep) -> Response:
    """Disposition code and notes into the call record; the agent is available again."""
    await live.center.wrap_up(live.tenant_id, live.actor, call_id, body.disposition, body.notes)
    return Response(status_code=204)


# Customers ------------------------------------------------------------------------------------
@router.get("/customers/{customer_id}/timeline")
async def customer_timeline(customer_id: str, live: LiveDep, db: DbDep) -> dict[str, Any]:
    """Calls, callbacks, voicemails and survey answers of the customer, newest first."""

    def check() -> None:
        with db.session() as session:
            row = owned(session, live.principal, Customer, customer_id, "customer")
            if row.tenant_id != live.tenant_id:
                raise ApiError.not_found("customer")

    await run_in_threadpool(check)
    return {"items": to_json(await live.center.timeline(live.tenant_id, customer_id))}
