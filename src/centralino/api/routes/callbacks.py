"""The public web callback: a customer leaves their number on the tenant's web site and is called back.

No login: the form (``/static/callback.html?tenant=NAME&key=KEY``) posts to
``POST /api/v1/public/callbacks``. What keeps it from being a free dialler:

- **opt-in per tenant**: the tenant's ``web_callback`` (queue and a public key) in the
  configuration; a tenant without one, or a wrong key, answers 404 like an unknown tenant;
- **the number** must be a valid phone number (``phonenumbers``, the tenant's country for
  national forms), stored in E.164; the preferred time must be within the next 7 days;
  a refusal is 422 naming the field;
- **rate limit per source address** (``RATE_LIMIT`` requests per ``RATE_WINDOW`` seconds, 429
  with ``Retry-After``), counted before anything else is looked at.

The request becomes the dial plan's ``WebCallbackRequested`` through the contact center's
``request_callback``: the callback keeps a place in the queue like a caller who chose one in the IVR.
"""

from __future__ import annotations

import hmac
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from centralino.api.deps import API_PREFIX, DbDep
from centralino.api.errors import ApiError
from centralino.api.schemas import NO_NUL
from centralino.store.models import Tenant

__all__ = ["RATE_LIMIT", "RATE_WINDOW", "RateLimiter", "router"]

router = APIRouter(prefix=API_PREFIX, tags=["callbacks"])

RATE_LIMIT = 5
RATE_WINDOW = 600.0
MAX_AHEAD = 7 * 86400.0


class RateLimiter:
    """Sliding window per key (the client address); thread-safe, bounded by the keys seen."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float) -> float | None:
        """None when allowed (and counted); else seconds until the next request may pass."""
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle addresses
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return None


class CallbackIn(BaseModel):
    tenant: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
    key: Annotated[str, Field(min_length=1, max_length=128, pattern=NO_NUL)]
    number: Annotated[str, Field(min_length=3, max_length=32, pattern=NO_NUL)]
    not_before: datetime | None = None  # the customer's preferred time (ISO 8601 with offset)
    language: Annotated[str | None, Field(max_length=8, pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")] = None


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "callback_limiter", None)
    if limiter is None:
        limiter = request.app.state.callback_limiter = RateLimiter()
    return limiter


@router.post("/public/callbacks", status_code=202)
async def request_callback(body: CallbackIn, request: Request, db: DbDep) -> dict[str, Any]:
    """Queue a callback to ``number`` from the tenant's web-callback queue (no login; rate-limited)."""
    client = request.client.host if request.client else "unknown"
    wait = _limiter(request).retry_after(client, request.app.state.settings.clock.monotonic())
    if wait is not None:
        raise ApiError(429, "rate_limited", f"too many callback requests; try again in {wait:.0f} s",
                       headers={"Retry-After": str(int(wait) + 1)})

    def lookup() -> tuple[str, str, str] | None:
        with db.session() as session:
            row = session.scalar(select(Tenant).where(Tenant.name == body.tenant))
            form = (row.settings or {}).get("web_callback") if row is not None else None
            if row is None or not form or not hmac.compare_digest(str(form.get("key", "")), body.key):
                return None
            return row.id, str(form["queue"]), row.country or "US"

    found = await run_in_threadpool(lookup)
    if found is None:
        raise ApiError.not_found("web callback form")
    tenant_id, queue, country = found
    try:
        parsed = phonenumbers.parse(body.number, None if body.number.startswith("+") else country)
    except phonenumbers.NumberParseException as exc:
        raise ApiError.invalid("number", f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ApiError.invalid("number", "not a valid phone number; give it with its country code (+48...)")
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    not_before = None
    if body.not_before is not None:
        now = request.app.state.settings.clock.now()
        when = body.not_before if body.not_before.tzinfo else body.not_before.replace(tzinfo=UTC)
        not_before = when.timestamp()
        if not_before > now + MAX_AHEAD:
            raise ApiError.invalid("not_before", "the preferred time must be within the next 7 days")
        if not_before < now - 300:
            raise ApiError.invalid("not_before", "the preferred time is in the past")
        not_before = max(not_before, now)
    center = request.app.state.contact_center
    await center.request_callback(tenant_id, queue, number, not_before, body.language)
    return {"status": "queued", "number": number, "not_before": not_before}
