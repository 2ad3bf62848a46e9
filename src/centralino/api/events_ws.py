"""The CTI event stream: ``GET /api/v1/events`` upgraded to a WebSocket, one per browser tab.

Authentication is the REST API's (session cookie, or ``Authorization: Bearer`` for programs);
an installation admin names the tenant with ``?tenant=NAME``. ``?since=N`` replays the events
after sequence N that are still in the bus's buffer (a reconnecting page passes the last
sequence it saw); without it the stream starts with new events. The first message is
``hello`` (tenant, user, role, agent id and the tenant's last sequence number); then each
message is one event ``{"seq", "type", "at", "data"}`` (docs/cti-events.md). The stream is
read-only: actions go through the REST routes. Messages from the client are ignored.

A handshake whose ``Origin`` is not this server's host is refused (close code 4403), so another
site cannot open a stream with the user's cookie. Failures close the socket with codes a page
can act on: 4401 (log in again), 4403 (not allowed), 4404 (no such tenant), 4422 (bad query).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from centralino.api.bus import Subscriber
from centralino.api.deps import API_PREFIX
from centralino.api.errors import ApiError
from centralino.api.routes.live import Live, resolve_live
from centralino.api.security import authenticate

__all__ = ["CLOSE_CODES", "router"]

router = APIRouter()

CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404, 422: 4422}


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
    await websocket.send_json({"type": "error", "data": {"status": status, "message": message}})
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
        while True:
            getter = asyncio.ensure_future(subscription.next())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                getter.cancel()
                break
            await websocket.send_json(getter.result().to_json())
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
