"""The FastAPI application factory.

``create_app`` takes an open ``Database`` and ``ApiSettings`` and returns the app;
nothing is connected at import, so tests build as many apps as they like and the
composition root (``centralino.app``) decides what is opened when.
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from centralino import __version__
from centralino.api.demo_center import DemoContactCenter
from centralino.api.deps import API_PREFIX
from centralino.api.errors import install_handlers
from centralino.api.events_ws import router as events_router
from centralino.api.metrics import RequestMetrics
from centralino.api.routes import API_ROUTERS, config_file, health, live
from centralino.api.runtime import ContactCenter
from centralino.api.security import SessionSigner
from centralino.api.settings import ApiSettings
from centralino.store.db import Database
from centralino.web import install_pages

__all__ = ["API_PREFIX", "create_app"]

DESCRIPTION = """\
The Centralino REST API. Authenticate with the session cookie set by
`POST /api/v1/auth/login`, or with `Authorization: Bearer <token>` (create tokens
with `POST /api/v1/tokens` or `centralino token create`). Every object belongs to a
tenant; callers see only their tenant's objects, installation admins see all.
Errors have the body `{"error": {"code", "message", "field"}}`.
"""


def create_app(db: Database, settings: ApiSettings, contact_center: ContactCenter | None = None) -> FastAPI:
    """``contact_center`` is the running center (``centralino.app`` passes it); None: an in-memory one."""
    app = FastAPI(
        title="Centralino",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.signer = SessionSigner(settings)
    app.state.registry = CollectorRegistry()
    app.state.contact_center = contact_center or DemoContactCenter(db, clock=settings.clock)
    install_handlers(app)
    app.include_router(health.router)
    for router in API_ROUTERS:
        app.include_router(router)
    app.include_router(live.router)
    app.include_router(config_file.router)
    app.include_router(events_router)
    install_pages(app)
    app.add_middleware(RequestMetrics, registry=app.state.registry)
    return app
