"""Page shells and the text catalog: redirects by session and role, every text key exists in English."""

from __future__ import annotations

import re
from pathlib import Path

from centralino.acd.agent_states import AgentState
from centralino.api.demo_center import BREAK_REASONS, DISPOSITIONS
from centralino.api.runtime import MonitorMode
from centralino.web.pages import catalog
from web.conftest import Center

WEB = Path(__file__).resolve().parents[2] / "src" / "centralino" / "web"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_.-]+)["']""")


def test_every_text_key_used_by_templates_and_scripts_is_in_the_catalog() -> None:
    texts = catalog()
    files = [*WEB.glob("templates/*.html"), *WEB.glob("static/js/*.js")]
    found = {key for path in files for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))}
    used = {key for key in found if not key.endswith(".")}  # "state." + state: listed in dynamic
    assert len(used) > 120
    dynamic = (
        {f"state.{s.value}" for s in AgentState}
        | {f"role.{r}" for r in ("admin", "supervisor", "agent")}
        | {f"stream.{s}" for s in ("connecting", "live", "offline")}
        | {f"call.state.{s}" for s in ("ringing", "talking", "held", "ended")}
        | {f"monitor.{m.value}" for m in MonitorMode}
        | {f"break.{r}" for r in BREAK_REASONS}
        | {f"disposition.{d}" for d in DISPOSITIONS}
        | {f"timeline.{k}" for k in ("call", "callback", "voicemail", "survey")}
        | {f"admin.view.{v}" for v in ("tenants", "numbers", "queues", "agents", "skills", "users")}
        | {"call.transferred_to", "call.conferenced_to", "admin.error", "admin.warning"}
    )
    missing = sorted(k for k in used | dynamic if k not in texts)
    assert missing == []
    assert all(isinstance(v, str) and v.strip() for v in texts.values())


def test_pages_send_strangers_to_login_and_roles_to_their_page(center: Center) -> None:
    client = center.api.client
    for path in ("/desktop", "/wallboard", "/admin/config"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/login?next={path}"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    login = client.get("/login")
    assert login.status_code == 200 and 'id="login-form"' in login.text
    assert "script-src 'self'" in login.headers["content-security-policy"]


def test_a_logged_in_agent_gets_the_desktop_but_not_the_wallboard(center: Center) -> None:
    client = center.api.client
    client.post("/api/v1/auth/login", json={"username": "demo-agent", "password": "correct-horse-9"})
    desktop = client.get("/desktop")
    assert desktop.status_code == 200 and "/static/js/desktop.js" in desktop.text
    assert 'id="i18n-catalog"' in desktop.text and "Agent desktop" in desktop.text
    assert client.get("/wallboard", follow_redirects=False).headers["location"] == "/desktop"
    assert client.get("/", follow_redirects=False).headers["location"] == "/desktop"
    assert client.get("/static/js/desktop.js").status_code == 200
    client.post("/api/v1/auth/login", json={"username": "demo-supervisor", "password": "correct-horse-9"})
    assert client.get("/wallboard").status_code == 200
