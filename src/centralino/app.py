"""The composition root: the only place where store, configuration, API and (later) telephony meet.

``build(settings)`` makes an ``Application``: it creates the data directory, opens and
migrates the database, applies the configuration file (or the built-in demo center when
none is given) and creates the FastAPI app. ``serve(settings)`` runs it: uvicorn's
``Server`` embedded in our event loop (not a subprocess), then every ``Service`` in
``Application.services`` (the SIP and RTP endpoints join this list, bound to
``settings.sip_port``), and on SIGTERM or SIGINT a clean stop in reverse order. ``run``
is the synchronous entry point the CLI calls; it picks uvloop's event loop.

Signals are handled here rather than by uvicorn: uvicorn re-raises a captured signal
after shutting down, which would end the process "killed by SIGTERM" instead of with
exit status 0, and the services must be stopped by the same handler anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from centralino import __version__, config
from centralino.api import ApiSettings, create_app
from centralino.config.model import CenterConfig
from centralino.core.memory import tune_gc
from centralino.runtime import Node, NodeSettings
from centralino.runtime.contact_center import LiveContactCenter
from centralino.store.apply import ApplySummary, apply_config
from centralino.store.db import Database, url_from_env
from centralino.store.models import User

__all__ = [
    "DATA_DIR_ENV",
    "Application",
    "Service",
    "Settings",
    "apply_file",
    "build",
    "open_database",
    "run",
    "serve",
]

log = logging.getLogger("centralino.app")

DATA_DIR_ENV = "CENTRALINO_DATA_DIR"
SECRET_KEY_ENV = "CENTRALINO_SECRET_KEY"
METRICS_TOKEN_ENV = "CENTRALINO_METRICS_TOKEN"
SECRET_KEY_FILE = "secret_key"


@dataclass(frozen=True)
class Settings:
    """How to run this node; the CLI fills it from flags and environment variables."""

    data_dir: Path = Path("data")
    config_file: Path | None = None  # None: the built-in demo center
    database_url: str | None = None  # None: CENTRALINO_DATABASE_URL, else <data_dir>/centralino.db
    bind: str = "0.0.0.0"
    http_port: int = 8080
    sip_port: int = 5060  # 0: any free port (logged)
    rtp_ports: tuple[int, int] = (20000, 20999)
    public_address: str | None = None  # the media address in SDP; None: bind, else the default route's
    auto_login_on_register: bool | None = None  # None: on in demo mode (agents' phones log them in)
    contact_center: bool = True  # False: API only, no SIP/RTP
    log_level: str = "info"
    secret_key: str | None = None  # None: CENTRALINO_SECRET_KEY, else <data_dir>/secret_key
    metrics_token: str | None = None  # None: CENTRALINO_METRICS_TOKEN, else /metrics is open
    secure_cookies: bool = False

    @property
    def demo(self) -> bool:
        return self.config_file is None


class Service(Protocol):
    """Something started with the HTTP server and stopped before it (SIP transport, RTP ports...)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Application:
    settings: Settings
    db: Database
    api: FastAPI
    applied: ApplySummary
    services: list[Service] = field(default_factory=list)


def open_database(data_dir: Path, url: str | None = None) -> Database:
    """The node's database, migrated to the newest schema; creates the data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(url or url_from_env(data_dir))
    db.upgrade()
    return db


def _secret_key(settings: Settings) -> str:
    """Session cookies stay valid across restarts because the key is kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    if os.environ.get(SECRET_KEY_ENV):
        return os.environ[SECRET_KEY_ENV]
    path = settings.data_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _retire_demo_users(db: Database, real: CenterConfig) -> list[str]:
    """Disable demo users (known passwords!) left from a demo run, unless the real file names them."""
    demo = config.load(None)
    kept = {u.username for u in real.installation.admins} | {
        u.username for t in real.tenants for u in t.users
    }
    demo_names = {u.username for u in demo.installation.admins} | {
        u.username for t in demo.tenants for u in t.users
    }
    retired = []
    with db.session() as session:
        query = select(User).where(User.username.in_(demo_names - kept), User.from_config.is_(True))
        for user in session.scalars(query):
            if user.active or user.password_hash:
                user.active, user.password_hash = False, None
                retired.append(user.username)
    return sorted(retired)


def apply_file(db: Database, path: Path | None) -> ApplySummary:
    """Load and apply a configuration file (None: the demo). Raises ``ConfigError`` or ``Conflict``."""
    center = config.load(path)
    source = str(path) if path is not None else "demo"
    summary = apply_config(db, center, source, demo=path is None)
    if path is not None:
        retired = _retire_demo_users(db, center)
        if retired:
            log.warning("disabled demo users left from an earlier demo run", extra={"users": retired})
    return summary


def build(settings: Settings) -> Application:
    """Open, migrate and configure everything; nothing listens yet."""
    db = open_database(settings.data_dir, settings.database_url)
    applied = apply_file(db, settings.config_file)
    if settings.demo:
        log.warning(
            "DEMO MODE: no configuration file given, the demo center with its well-known passwords is "
            "loaded; do not expose this node. Start with --config FILE for real use."
        )
    log.info(
        "configuration applied",
        extra={"source": applied.source, "changes": str(applied), "database": repr(db)},
    )
    api_settings = ApiSettings(
        secret_key=_secret_key(settings),
        secure_cookies=settings.secure_cookies,
        metrics_token=settings.metrics_token or os.environ.get(METRICS_TOKEN_ENV) or None,
        demo=settings.demo,
        data_dir=settings.data_dir,
    )
    if not settings.contact_center:
        return Application(settings=settings, db=db, api=create_app(db, api_settings), applied=applied)
    node = _contact_center(settings, db)
    live = LiveContactCenter(node)  # the desktops and wallboards see this node's calls and agents
    api = create_app(db, api_settings, contact_center=live)
    # Started after the node (its ticker runs on the node's loop), stopped before it.
    return Application(settings=settings, db=db, api=api, applied=applied, services=[node, live])


def _contact_center(settings: Settings, db: Database) -> Node:
    """The live node: SIP, RTP, dial plan, call records (``centralino.runtime``)."""
    auto_login = settings.demo if settings.auto_login_on_register is None else settings.auto_login_on_register
    node_settings = NodeSettings(bind=settings.bind, sip_port=settings.sip_port, rtp_ports=settings.rtp_ports,
                                 public_address=settings.public_address, auto_login_on_register=auto_login)
    return Node(config.load(settings.config_file), db, settings.data_dir, node_settings)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ``serve`` owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _install_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[signal.Signals], None]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread / Windows
            loop.add_signal_handler(sig, stop, sig)


async def serve(settings: Settings, application: Application | None = None) -> None:
    """Run the node until SIGTERM or SIGINT; returns after a clean shutdown."""
    app = application or build(settings)
    server = _Server(
        uvicorn.Config(
            app.api,
            host=settings.bind,
            port=settings.http_port,
            log_config=None,  # our JSON logging is configured already
            lifespan="off",
            server_header=False,
        )
    )

    def stop(sig: signal.Signals) -> None:
        log.info("stopping", extra={"signal": sig.name})
        if server.should_exit and sig is signal.SIGINT:
            server.force_exit = True
        server.should_exit = True

    _install_signals(asyncio.get_running_loop(), stop)
    started: list[Service] = []
    try:
        for service in app.services:
            await service.start()
            started.append(service)
        tune_gc()  # start-up done: configuration, engines and modules leave every later collection
        log.info(
            "centralino started",
            extra={
                "version": __version__,
                "http": f"{settings.bind}:{settings.http_port}",
                "sip_port": settings.sip_port,
                "demo": settings.demo,
            },
        )
        await server.serve()
    finally:
        for service in reversed(started):
            try:
                await service.stop()
            except Exception:
                log.exception("service %s did not stop cleanly", service.name)
        app.db.dispose()
        log.info("centralino stopped")


def run(settings: Settings) -> None:
    """Serve on uvloop's event loop (asyncio's own where uvloop is not available)."""
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:  # Windows: uvloop is not installed there
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(settings))
    sys.stdout.flush()
