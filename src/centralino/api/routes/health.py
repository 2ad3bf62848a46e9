"""``/healthz`` for load balancers and orchestrators, ``/metrics`` for Prometheus.

Both sit outside ``/api/v1`` and need no session: a health check must work before
anyone logs in. ``/metrics`` is open by default (like most exporters; keep the
HTTP port off the public internet or put it behind the reverse proxy's ACL) and
wants ``Authorization: Bearer <metrics_token>`` when ``CENTRALINO_METRICS_TOKEN``
is set.
"""

from __future__ import annotations

import hmac
import logging
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from centralino import __version__
from centralino.api.deps import DbDep, SettingsDep
from centralino.api.errors import ApiError
from centralino.api.schemas import Health

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(db: DbDep, settings: SettingsDep) -> JSONResponse:
    """200 when the database answers a query, else 503."""
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
        ok = True
    except Exception as exc:  # any failure to reach the database makes the node unhealthy
        log.warning("health check: database unavailable: %s", exc)
        ok = False
    state: Literal["ok", "unavailable"] = "ok" if ok else "unavailable"
    body = Health(status=state, database=state, demo=settings.demo, version=__version__)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_token is not None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), settings.metrics_token):
            raise ApiError.unauthenticated(
                "/metrics wants 'Authorization: Bearer <CENTRALINO_METRICS_TOKEN>'"
            )
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
