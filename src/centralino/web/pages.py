"""Page routes: the HTML shells of the login page, the desktop, the wallboard and the admin page.

A page is a Jinja2 template with the text catalog embedded as JSON and one ES module; all data
comes afterwards from the REST API and the CTI WebSocket, which enforce authentication, roles
and tenant scoping. So the shells only decide where to send someone: without a valid session
cookie to ``/login?next=...``; with a role the page is not for, to that role's home page.

Texts are looked up by key in ``i18n/<language>.json`` (English only for now); templates call
``t("key")``, scripts call ``t("key")`` from ``static/js/i18n.js`` on the same catalog, so a
translation is one more JSON file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from centralino import __version__
from centralino.api.errors import ApiError
from centralino.api.security import Principal, authenticate

__all__ = ["HOME", "PAGES", "catalog", "install_pages", "router"]

HERE = Path(__file__).parent
LANGUAGE = "en"
HOME = {"agent": "/desktop", "supervisor": "/wallboard", "admin": "/wallboard"}
PAGES = {
    "/desktop": ("desktop.html", frozenset({"agent", "supervisor", "admin"}), "desktop"),
    "/wallboard": ("wallboard.html", frozenset({"supervisor", "admin"}), "wallboard"),
    "/admin/config": ("admin_config.html", frozenset({"admin", "supervisor"}), "admin"),
}

router = APIRouter(include_in_schema=False)
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def catalog(language: str = LANGUAGE) -> dict[str, str]:
    """The text catalog of ``language``: flat keys such as ``desktop.hold`` -> text."""
    data: dict[str, str] = json.loads((HERE / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
    return data


def _t(key: str, **values: Any) -> str:
    text = catalog().get(key, key)
    return text.format(**values) if values else text


def _render(name: str, principal: Principal | None, page: str, **context: Any) -> HTMLResponse:
    template = _env.get_template(name)
    html = template.render(
        t=_t,
        lang=LANGUAGE,
        catalog_json=json.dumps(catalog(), ensure_ascii=False).replace("</", "<\\/"),
        principal=principal,
        page=page,
        version=__version__,
        **context,
    )
    headers = {
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, headers=headers)


async def _principal(request: Request) -> Principal | None:
    try:
        return await run_in_threadpool(authenticate, request)
    except ApiError:
        return None


@router.get("/")
async def index(request: Request) -> Response:
    principal = await _principal(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(principal.role, "/desktop"), status_code=303)


@router.get("/login")
async def login_page(request: Request) -> Response:
    return _render("login.html", None, "login")


async def _page(request: Request, path: str) -> Response:
    name, roles, page = PAGES[path]
    principal = await _principal(request)
    if principal is None:
        return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
    if not principal.has_role(*roles):
        return RedirectResponse(HOME.get(principal.role, "/desktop"), status_code=303)
    return _render(name, principal, page)


@router.get("/desktop")
async def desktop_page(request: Request) -> Response:
    return await _page(request, "/desktop")


@router.get("/wallboard")
async def wallboard_page(request: Request) -> Response:
    return await _page(request, "/wallboard")


@router.get("/admin/config")
async def admin_page(request: Request) -> Response:
    return await _page(request, "/admin/config")


def install_pages(app: FastAPI) -> None:
    """Add the page routes and ``/static``; the composition root calls this through ``create_app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
