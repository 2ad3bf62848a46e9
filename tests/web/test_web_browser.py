"""The pages in a real browser: Playwright driving Debian's Chromium against a real uvicorn server.

The server runs the demo center (docs' screenshots show it) with the in-memory contact center,
which the tests drive as telephony would: an offer makes the desktop pop the right customer,
wrap-up reaches the contact center, a queue tick changes the wallboard, and a supervisor of
tenant acme sees nothing of tenant demo. Screenshots at 1280x720 go to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher, profiles
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from centralino import config
from centralino.api import ApiSettings, create_app
from centralino.api.demo_center import DemoContactCenter
from centralino.api.runtime import IntervalFigure, TimelineEntry
from centralino.store import passwords
from centralino.store.apply import apply_config
from centralino.store.db import Database
from centralino.store.models import Agent, Tenant
from peers import chromium

pytestmark = pytest.mark.peer

# The README's screenshots come from the live run (tests/e2e/test_e2e_desktop.py); this fake-backed run
# writes its desktop and wallboard pictures to the test's own folder, and the admin page (which only
# this test shows) to docs/screenshots/ when CENTRALINO_SCREENSHOTS names it (`make screenshots`).
SCREENSHOTS_ENV = "CENTRALINO_SCREENSHOTS"
VIEWPORT = {"width": 1280, "height": 720}
TIMEOUT_MS = 5000


@dataclass
class Server:
    url: str
    cc: DemoContactCenter
    tenants: dict[str, str]
    agents: dict[str, str]  # extension -> agent id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        db = Database(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'c.db'}")
        db.upgrade()
        apply_config(db, config.load(None), "demo", demo=True)
        cc = DemoContactCenter(db, wrapup_seconds=30)
        app = create_app(db, ApiSettings(secret_key="browser-tests", demo=True), contact_center=cc)
        # Bound before the server starts: connections wait in the backlog, no polling for readiness.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        port = sock.getsockname()[1]
        uv = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
        thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        with db.session() as session:
            tenants = {t.name: t.id for t in session.scalars(select(Tenant))}
            agents = {a.extension: a.id for a in session.scalars(select(Agent))}
        try:
            yield Server(f"http://127.0.0.1:{port}", cc, tenants, agents)
        finally:
            uv.should_exit = True
            thread.join(10)
            sock.close()
            db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Europe/Warsaw", locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], errors


def login(page: Page, server: Server, username: str, password: str, lands_on: str) -> None:
    """Open the page, get sent to the login form, log in, come back to the page with a live stream."""
    page.goto(f"{server.url}{lands_on}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page).to_have_url(f"{server.url}{lands_on}")
    if lands_on in ("/desktop", "/wallboard"):
        expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def test_agent_goes_available_gets_a_screen_pop_and_wraps_up(
    page: Page, server: Server, tmp_path: Path
) -> None:
    cc, demo, anna = server.cc, server.tenants["demo"], server.agents["1001"]
    login(page, server, "agent1", "agent1", "/desktop")
    expect(page.locator("#agent-name")).to_have_text("Anna Kowalska")
    page.click("#btn-available")
    expect(page.locator("#state-badge")).to_have_attribute("data-state", "available")
    customer = page.request.post(
        f"{server.url}/api/v1/customers",
        data={
            "name": "Ewa Zielińska",
            "account_number": "40012345",
            "phones": [{"number": "+48 22 123 40 00", "label": "home"}],
            "time_zone": "Europe/Warsaw",
            "email": "ewa@example.com",
            "notes": "Prefers Polish. Fibre contract since 2021.",
        },
    ).json()
    cc.add_timeline(
        demo, customer["id"], TimelineEntry(1_795_400_000, "call", "support · 4 min · resolved")
    )
    cc.add_timeline(demo, customer["id"], TimelineEntry(1_795_400_400, "survey", "satisfaction 5/5"))
    cc.add_timeline(
        demo, customer["id"], TimelineEntry(1_795_300_000, "voicemail", "42 s, router blinking")
    )
    offer = cc.offer(
        demo,
        anna,
        "support",
        "+48221234000",
        verified=True,
        waited=17.0,
        language="pl",
        ivr_trace=[
            "answer",
            "choose_language",
            "hours",
            "welcome",
            "by_caller_id",
            "pin",
            "main_menu",
            "support",
        ],
        ivr_choices={"language": "pl", "menu": "1"},
    )
    # The screen pop finds the customer by caller ID (the offer names no customer id).
    expect(page.locator("#caller-name")).to_have_text("Ewa Zielińska")
    expect(page.locator("#caller-verified")).to_have_attribute("data-verified", "true")
    expect(page.locator("#caller-local-time")).to_contain_text("Europe/Warsaw")
    expect(page.locator("#call-queue")).to_have_text("support")
    expect(page.locator("#ivr-trace li")).to_have_count(8)
    expect(page.locator("#timeline li")).to_have_count(3)
    expect(page.locator("#cust-account")).to_have_value("40012345")
    cc.answered(offer.call_id)
    expect(page.locator("#call-state")).to_have_text("talking")
    cc.set_queue(demo, "support", waiting=2)  # agents see callers waiting too
    expect(page.locator('#queue-strip span[data-queue="support"]')).to_have_text("support 2")
    cc.set_queue(demo, "support", waiting=0)
    page.keyboard.press("Alt+KeyH")
    expect(page.locator("#btn-hold")).to_contain_text("Resume")
    assert ("hold", offer.call_id) in cc.commands
    page.keyboard.press("Alt+KeyH")
    expect(page.locator("#btn-hold")).to_contain_text("Hold")
    page.screenshot(path=str(tmp_path / "desktop.png"))
    page.keyboard.press("Alt+KeyT")
    page.select_option("#transfer-mode", "attended")
    page.select_option("#transfer-kind", "agent")
    expect(page.locator('#transfer-targets option[value="1002"]')).to_have_count(1)
    page.fill("#transfer-target", "1002")
    page.click('#transfer-form button[type="submit"]')
    expect(page.locator("#transfer-form")).to_be_hidden()
    assert ("transfer", offer.call_id, "attended", "agent", server.agents["1002"]) in cc.commands
    page.keyboard.press("Alt+KeyX")
    expect(page.locator("#wrapup-panel")).to_be_visible()
    expect(page.locator("#state-badge")).to_have_attribute("data-state", "wrap-up")
    page.select_option("#disposition", "resolved")
    page.fill("#wrapup-notes", "Router reset; line fine.")
    page.keyboard.press("Alt+KeyW")
    expect(page.locator("#state-badge")).to_have_attribute("data-state", "available")
    expect(page.locator("#no-call")).to_be_visible()
    assert cc.wrapups[-1] == {
        "tenant_id": demo,
        "call_id": offer.call_id,
        "disposition": "resolved",
        "notes": "Router reset; line fine.",
    }


def _seed_day(server: Server) -> None:
    cc, demo = server.cc, server.tenants["demo"]
    start = 1_795_420_800.0  # 08:00 in Warsaw on the test day
    volume = [4, 9, 14, 18, 21, 19, 16, 22, 25, 17, 12, 8]
    figures = []
    for i, offered in enumerate(volume):
        abandoned = max(0, offered // 6 - (i % 2))
        sl = max(0.35, min(0.97, 0.95 - offered / 60 - (0.1 if i == 8 else 0)))
        figures.append(IntervalFigure(start + 1800 * i, 1800, offered, offered - abandoned, abandoned, sl))
    cc.set_intervals(demo, figures)
    cc.set_queue(
        demo,
        "billing",
        waiting=1,
        longest_wait=34.0,
        service_level=0.86,
        offered=61,
        answered=58,
        abandoned=3,
        asa=14.0,
        aht=312.0,
        callbacks_pending=1,
        ewt_error_mean=9.0,
        ewt_error_p90=21.0,
    )
    cc.set_queue(
        demo,
        "sales",
        waiting=0,
        longest_wait=None,
        service_level=0.93,
        offered=44,
        answered=43,
        abandoned=1,
        asa=8.0,
        aht=254.0,
    )


def test_wallboard_counts_change_as_calls_arrive(page: Page, server: Server, tmp_path: Path) -> None:
    cc, demo = server.cc, server.tenants["demo"]
    login(page, server, "supervisor", "supervisor", "/wallboard")
    support = page.locator('#queue-table tr[data-queue="support"] td.waiting')
    expect(support).to_have_text("0")
    expect(page.locator("#agent-table tbody tr")).to_have_count(10)
    # Agents by state: put some agents in states, as telephony would.
    for ext, state in (("1002", "available"), ("1003", "available"), ("1005", "break")):
        page.request.put(
            f"{server.url}/api/v1/live/agents/{server.agents[ext]}/state",
            data={"state": state, "reason": "lunch" if state == "break" else None},
        )
    call = cc.offer(demo, server.agents["1004"], "support", "+48221239876", waited=41.0)
    cc.answered(call.call_id)
    _seed_day(server)
    cc.set_queue(
        demo,
        "support",
        waiting=3,
        longest_wait=48.0,
        service_level=0.84,
        offered=120,
        answered=109,
        abandoned=7,
        asa=19.0,
        aht=286.0,
        callbacks_pending=2,
        ewt_error_mean=12.0,
        ewt_error_p90=31.0,
    )
    expect(support).to_have_text("3")
    cc.set_queue(demo, "support", waiting=5, longest_wait=95.0, service_level=0.72)
    expect(support).to_have_text("5")
    expect(page.locator('#alerts .alert[data-queue="support"]')).to_contain_text("below the goal")
    expect(page.locator("#chart-volume svg g.interval rect.offered")).to_have_count(12)
    expect(page.locator("#chart-sl svg circle")).to_have_count(12)
    row = page.locator(f'#agent-table tr[data-agent="{server.agents["1004"]}"]')
    expect(row).to_have_attribute("data-state", "on-call")
    page.fill("#announcement-text", "We know about the fibre outage in Warsaw; no need to report it.")
    page.click("#btn-announce")
    expect(page.locator("#announcement-current")).to_contain_text("fibre outage")
    page.screenshot(path=str(tmp_path / "wallboard.png"))
    page.fill("#my-extension", "1099")
    row.locator("button.monitor.listen").click()
    expect(page.locator("#toast")).to_contain_text("1099")
    assert ("monitor", call.call_id, "listen", "1099") in cc.commands
    page.click("#btn-withdraw")
    expect(page.locator("#announcement-current")).to_have_attribute("data-active", "false")


def test_a_supervisor_of_acme_sees_nothing_of_demo(page: Page, server: Server) -> None:
    cc = server.cc
    login(page, server, "acme-supervisor", "acme-supervisor", "/wallboard")
    helpdesk = page.locator('#queue-table tr[data-queue="helpdesk"] td.waiting')
    expect(helpdesk).to_have_text("0")
    cc.set_queue(server.tenants["demo"], "support", waiting=9, service_level=0.1)
    cc.offer(server.tenants["demo"], server.agents["1006"], "support", "+48221230001")
    cc.set_queue(server.tenants["acme"], "helpdesk", waiting=2)
    expect(helpdesk).to_have_text("2")  # acme's tick arrives; demo's, published before it, did not
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    expect(page.locator("#agent-table tbody tr")).to_have_count(1)
    body = page.locator("main").inner_text()
    assert not any(word in body for word in ("support", "billing", "Anna", "Emily", "Kowalska"))
    assert page.request.get(f"{server.url}/api/v1/live/queues?tenant=demo").status == 404


def test_admin_upload_shows_problems_with_their_lines_before_applying(
    page: Page, server: Server, tmp_path: Path
) -> None:
    login(page, server, "admin", "admin", "/admin/config")
    expect(page.locator('#view table[data-view="queues"] tbody tr')).to_have_count(3)
    text = config.DEMO_CONFIG.read_text(encoding="utf-8").replace(
        "strategy: round-robin", "strategy: fastest"
    )
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "strategy: fastest" in row)
    page.set_input_files(
        "#config-file", files=[{"name": "center.yaml", "mimeType": "text/yaml", "buffer": text.encode()}]
    )
    page.click("#btn-check")
    expect(page.locator("#problems li.error").first).to_contain_text(f"{line}:")
    expect(page.locator("#problems li.error").first).to_contain_text("fastest")
    expect(page.locator(f"#line-{line}")).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#btn-apply")).to_be_disabled()
    page.locator(f"#line-{line}").scroll_into_view_if_needed()
    page.screenshot(path=str(Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path) / "admin-config.png"))
