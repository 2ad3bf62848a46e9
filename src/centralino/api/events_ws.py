"""The CTI event stream: ``GET /api/v1/events`` upgraded to a WebSocket, one per browser tab.

Authentication is the REST API's (session cookie, or ``Authorization: Bearer`` for programs);
an installation admin names the tenant with ``?tenant=NAME``. ``?since=N`` replays the events
after sequence N that are still in the bus's buffer (a reconnecting page passes the last
sequence it saw); without it the stream starts with new events. The first message is
``hello`` (tenant, user, role, agent id and the tenant's last sequence number); then each
message is one event ``{"seq", "type", "at", "data"}`` (docs/cti-events.md). The stream is
read-only: actions go through the REST routes. Messages from the client are ignored. The
credential is checked again after every ``RECHECK`` quiet seconds, so a disabled user or a
revoked token loses the stream (close code 4401) as it loses the REST API.

A handshake whose ``Origin`` is not this server's host is refused (close code 4403), so another
site cannot open a stream with the user's cookie. Failures close the socket with codes a page
can act on: 4401 (log in again), 4403 (not allowed), 4404 (no such tenant), 4422 (bad query).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, TypeAdapter
from starlette.concurrency import run_in_threadpool

from centralino.api.bus import Subscriber
from centralino.api.deps import API_PREFIX
from centralino.api.errors import ApiError
from centralino.api.routes.live import Live, resolve_live
from centralino.api.runtime import (
    AgentStatus,
    Announcement,
    IntervalFigure,
    MonitorMode,
    Offer,
    QueueSnapshot,
    TargetKind,
    TransferMode,
)
from centralino.api.security import authenticate

__all__ = ["CLOSE_CODES", "EVENT_TYPES", "event_schema", "router", "validate_message"]

router = APIRouter()

CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404, 422: 4422}
RECHECK = 60.0  # seconds without events after which the credential is checked again


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser (scripts, tests): the credential alone decides
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


def _resolve(websocket: WebSocket, tenant: str | None) -> Live:
    # authenticate reads only headers, cookies and app state, which a WebSocket has like a Request.
    principal = authenticate(cast(Request, websocket))
    return resolve_live(websocket.app.state.db, principal, tenant, websocket.app.state.contact_center)


async def _close(websocket: WebSocket, status: int, message: str) -> None:
    await websocket.send_json({"seq": None, "type": "error", "data": {"status": status, "message": message}})
    await websocket.close(code=CLOSE_CODES.get(status, 4400), reason=message[:120])


@router.websocket(f"{API_PREFIX}/events")
async def events(websocket: WebSocket) -> None:
    await websocket.accept()
    if not _same_origin(websocket):
        await _close(websocket, 403, "cross-site WebSocket refused")
        return
    query = websocket.query_params
    since_text, tenant = query.get("since"), query.get("tenant")
    since: int | None = None
    if since_text not in (None, ""):
        if not since_text.isdigit() or len(since_text) > 18:
            await _close(websocket, 422, "since must be a sequence number (0 or more)")
            return
        since = int(since_text)
    try:
        live = await run_in_threadpool(_resolve, websocket, tenant)
    except ApiError as exc:
        await _close(websocket, exc.status, exc.message)
        return
    bus = live.center.bus
    subscriber = Subscriber(live.actor.user_id, live.actor.role, live.actor.agent_id)
    subscription = bus.subscribe(live.tenant_id, subscriber, since)
    hello = {
        "tenant": live.tenant,
        "user_id": live.actor.user_id,
        "role": live.actor.role,
        "agent_id": live.actor.agent_id,
        "last_seq": bus.last_seq(live.tenant_id),
    }
    reader = asyncio.ensure_future(_drain(websocket))
    try:
        await websocket.send_json({"type": "hello", "seq": None, "data": hello})
        getter = asyncio.ensure_future(subscription.next())
        while True:
            done, _ = await asyncio.wait(
                {getter, reader}, timeout=RECHECK, return_when=asyncio.FIRST_COMPLETED
            )
            if reader in done:
                getter.cancel()
                break
            if not done:  # quiet for a while: is the user still allowed in (not disabled, not logged out)?
                try:
                    await run_in_threadpool(_resolve, websocket, tenant)
                except ApiError as exc:
                    getter.cancel()
                    await _close(websocket, exc.status, exc.message)
                    break
                continue
            await websocket.send_json(getter.result().to_json())
            getter = asyncio.ensure_future(subscription.next())
    except (WebSocketDisconnect, RuntimeError):
        pass  # the browser went away mid-send
    finally:
        subscription.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader


async def _drain(websocket: WebSocket) -> None:
    """Read and ignore client messages until the client disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


# The message schema (docs/cti-events.schema.json is generated from this) -------------------------
class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hello(_Payload):
    tenant: str
    user_id: str
    role: Literal["admin", "supervisor", "agent"]
    agent_id: str | None
    last_seq: int


class ErrorData(_Payload):
    status: int
    message: str


class Resync(_Payload):
    reason: str


class CallRef(_Payload):
    call_id: str
    agent_id: str


class CallHeld(CallRef):
    held: bool


class CallRecording(CallRef):
    paused: bool


class CallTransferred(CallRef):
    mode: TransferMode
    kind: TargetKind
    target: str


class CallConferenced(CallRef):
    kind: TargetKind
    target: str


class CallEnded(CallRef):
    cause: str


class CallWrapped(CallRef):
    disposition: str


class CallDialed(CallRef):
    number: str
    customer_id: str | None


class CallMonitored(_Payload):
    call_id: str
    mode: MonitorMode
    extension: str
    by: str


class QueueTick(_Payload):
    queues: list[QueueSnapshot]


class Intervals(_Payload):
    intervals: list[IntervalFigure]


class Alert(_Payload):
    queue: str
    kind: Literal["service-level"]
    message: str


class AnnouncementData(_Payload):
    announcement: Announcement | None


EVENT_TYPES: dict[str, Any] = {
    "hello": Hello,
    "error": ErrorData,
    "resync": Resync,
    "agent.state": AgentStatus,
    "call.offered": Offer,
    "call.answered": CallRef,
    "call.held": CallHeld,
    "call.recording": CallRecording,
    "call.transferred": CallTransferred,
    "call.conferenced": CallConferenced,
    "call.ended": CallEnded,
    "call.wrapped": CallWrapped,
    "call.dialed": CallDialed,
    "call.monitored": CallMonitored,
    "queue.tick": QueueTick,
    "intervals": Intervals,
    "alert": Alert,
    "announcement": AnnouncementData,
}
"""Every message type of the stream and the type of its ``data``."""


def validate_message(message: dict[str, Any]) -> Any:
    """Check one wire message (what the browser receives) against its type's payload; raises if wrong."""
    if set(message) - {"seq", "type", "at", "data"} or message.get("type") not in EVENT_TYPES:
        raise ValueError(f"unknown message shape or type: {sorted(message)} {message.get('type')!r}")
    seq = message.get("seq")
    if seq is not None and (not isinstance(seq, int) or seq < 1):
        raise ValueError(f"seq must be a positive integer or null, not {seq!r}")
    return TypeAdapter(EVENT_TYPES[message["type"]]).validate_python(message["data"], strict=False)


def event_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a stream message: one ``oneOf`` branch per type, payloads in ``$defs``."""
    defs: dict[str, Any] = {}
    branches = []
    for name, payload in EVENT_TYPES.items():
        schema = TypeAdapter(payload).json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        title = schema.get("title", payload.__name__)
        defs[title] = schema
        branches.append(
            {
                "type": "object",
                "title": name,
                "additionalProperties": False,
                "required": ["seq", "type", "data"],
                "properties": {
                    "seq": {
                        "type": ["integer", "null"],
                        "minimum": 1,
                        "description": "per-tenant sequence number; null for hello and error",
                    },
                    "type": {"const": name},
                    "at": {"type": "number", "description": "Unix seconds"},
                    "data": {"$ref": f"#/$defs/{title}"},
                },
            }
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Centralino CTI event stream message",
        "description": "One message of GET /api/v1/events (WebSocket); see docs/cti-events.md.",
        "oneOf": branches,
        "$defs": dict(sorted(defs.items())),
    }
