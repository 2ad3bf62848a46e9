"""The agent desktop and the wallboard on the live node, in a real browser, with real SIP calls.

The node runs on its own loop in a thread (Playwright's sync API wants the main thread), the
API is served by uvicorn in another thread with the ``LiveContactCenter`` over that node, and
Chromium (headless) shows the pages. baresip registers as 1001 and auto-answers; agent1 logs in
on the desktop and goes available; a SIPp caller whose caller ID belongs to a seeded customer
dials the support line 200: the screen pop names the customer — the time from the node's offer
to the name in the page is measured (a MutationObserver in the page stamps it) and printed —,
baresip answers, a second SIPp caller queues and the supervisor's wallboard counts it, the first
caller hangs up, the agent wraps up with a disposition, which the call record in the database
then holds. A supervisor of tenant acme sees nothing of tenant demo. Screenshots of the live
desktop and wallboard go to docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from e2e_peers import (
    SCENARIOS,
    RtpCounter,
    SippRun,
    baresip_config,
    demo_center,
    free_udp_port,
    need,
    process,
    replace_model,
    running_node,
    sine_wav,
    sipp,
    until,
)
from playwright.sync_api import Browser, Page, expect

from centralino import config
from centralino.acd.agent_states import AgentState
from centralino.api import ApiSettings, create_app
from centralino.api.runtime import Offer
from centralino.records.facts import CallConnected, CallFinished, QueueEntered
from centralino.runtime import Node
from centralino.runtime.contact_center import LiveContactCenter
from centralino.store.models import Customer, CustomerPhone, Tenant
from peers import chromium

pytestmark = pytest.mark.peer

SCREENSHOTS_ENV = "CENTRALINO_SCREENSHOTS"  # `make screenshots` points it at docs/screenshots
VIEWPORT = {"width": 1280, "height": 720}
CALLER = "+48601000001"  # the caller ID of tests/e2e/scenarios/uac_hold_bye.xml
NAME = "Ewa Zielińska"
STAMP_POP = """
window.__popAt = null;
new MutationObserver(() => {
  const name = document.querySelector('#caller-name');
  if (window.__popAt === null && name && name.textContent === NAME) window.__popAt = Date.now();
}).observe(document, {subtree: true, childList: true, characterData: true});
""".replace("NAME", repr(NAME))


class NodeThread:
    """The node on its own event loop in a thread; ``run(coro)`` waits for a coroutine there."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.data_dir = data_dir
        self._context: Any = None
        self.node: Node
        self.seen: Any

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def spawn(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def start(self) -> None:
        demo = demo_center(wrapup=30, announce_every=0).tenants[0]
        center = config.load(None)
        center = replace_model(center, tenants=[demo, *center.tenants[1:]])
        self._context = running_node(self.data_dir, center, auto_login_on_register=False)
        self.node, self.seen = self.run(self._context.__aenter__())

    def stop(self) -> None:
        if self._context is not None:
            self.run(self._context.__aexit__(None, None, None))
        self.run(self.loop.shutdown_default_executor())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def serve(app: Any) -> tuple[str, uvicorn.Server, threading.Thread, socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread, sock


def login(browser: Browser, url: str, user: str, path: str, init: str | None = None) -> Page:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Europe/Warsaw", locale="en-GB")
    context.set_default_timeout(8000)
    if init:
        context.add_init_script(init)
    page = context.new_page()
    page.goto(f"{url}{path}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#username", user)
    page.fill("#password", user)
    page.click("#login-submit")
    expect(page).to_have_url(f"{url}{path}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    return page


def seed_customer(node: Node) -> str:
    with node.db.session() as session:
        tenant = session.query(Tenant).filter_by(name="demo").one()
        customer = Customer(tenant_id=tenant.id, name=NAME, account_number="40012345",
                            time_zone="Europe/Warsaw")
        session.add(customer)
        session.flush()
        session.add(CustomerPhone(tenant_id=tenant.id, customer_id=customer.id, number=CALLER,
                                  label="mobile"))
        return customer.id


def test_live_desktop_screen_pop_wrapup_and_wallboard(tmp_path: Path, browser: Browser,
                                                      cheap_argon2: None) -> None:
    binary = need("baresip")
    started = time.monotonic()
    nt = NodeThread(tmp_path / "data")
    nt.start()
    try:
        node, seen = nt.node, nt.seen
        customer_id = seed_customer(node)
        live = LiveContactCenter(node, tick_seconds=1.0)
        nt.run(live.start())
        offers: list[tuple[Offer, float]] = []
        live.cti.offer_published = lambda offer, at: offers.append((offer, at))
        app = create_app(node.db, ApiSettings(secret_key="e2e-desktop", demo=True), contact_center=live)
        url, server, thread, sock = serve(app)
        ears = [nt.run(RtpCounter.open().__aenter__()) for _ in range(2)]
        source = sine_wav(tmp_path / "agent.wav", 600.0, 30, 0.3)
        account = (f'<sip:1001@demo>;auth_pass=demo1001;outbound="sip:127.0.0.1:{node.sip_port}"'
                   ";regint=300;answermode=auto")
        phone = baresip_config(tmp_path / "agent", free_udp_port(), source, account)
        baresip = process(binary, "-f", str(phone), cwd=tmp_path, log=tmp_path / "baresip.log")
        nt.run(baresip.__aenter__())
        try:
            nt.run(until(lambda: bool(node.registrar and node.registrar_bindings()), 10, "1001 registered"))
            desk = login(browser, url, "agent1", "/desktop", STAMP_POP)
            board = login(browser, url, "supervisor", "/wallboard")
            waiting = board.locator('#queue-table tr[data-queue="support"] td.waiting')
            expect(waiting).to_have_text("0")
            desk.click("#btn-available")
            expect(desk.locator("#state-badge")).to_have_attribute("data-state", "available")
            assert node.plan.agent_state("demo", "1001") is AgentState.available

            def caller(name: str, ear: RtpCounter, seconds: int) -> Future[SippRun]:
                return nt.spawn(sipp(
                    ["-sf", str(SCENARIOS / "uac_hold_bye.xml"), "-s", "200", "-m", "1",
                     "-d", f"{seconds}000", "-set", "rtp", str(ear.port), "-p", str(free_udp_port()),
                     f"127.0.0.1:{node.sip_port}"],
                    tmp_path, name, timeout=40))

            first = caller("first", ears[0], 6)
            expect(desk.locator("#caller-name")).to_have_text(NAME)
            popped_at = desk.evaluate("window.__popAt") / 1000
            offer, offered_at = offers[0]
            latency = popped_at - offered_at
            print(f"\nscreen pop: offer -> customer name visible in {latency * 1000:.0f} ms")
            assert 0 <= latency < 2.0, latency
            assert offer.customer_id == customer_id and offer.caller_number == CALLER
            expect(desk.locator("#caller-number")).to_contain_text(CALLER)
            expect(desk.locator("#call-queue")).to_have_text("support")
            expect(desk.locator("#call-state")).to_have_text("talking")  # baresip answered
            nt.run(until(lambda: len(seen.of(CallConnected)) == 1, 5, "first caller connected"))
            second = caller("second", ears[1], 12)
            expect(waiting).to_have_text("1")  # the second caller waits behind the busy agent
            assert len(seen.of(QueueEntered)) == 2
            shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
            board.screenshot(path=str(shots / "wallboard.png"))
            desk.screenshot(path=str(shots / "desktop.png"))
            assert first.result(20).passed(1)  # the first caller hangs up after 6 s
            expect(desk.locator("#wrapup-panel")).to_be_visible()
            expect(desk.locator("#state-badge")).to_have_attribute("data-state", "wrap-up")
            desk.select_option("#disposition", "resolved")
            desk.fill("#wrapup-notes", "Router reset; line fine.")
            desk.keyboard.press("Alt+KeyW")
            call_id = offer.call_id
            nt.run(until(lambda: (node.records.get(call_id) or (None,))[0] is not None
                         and node.records.get(call_id)[0].disposition == "resolved", 5, "disposition stored"))
            record, _ = node.records.get(call_id)
            assert record.notes == "Router reset; line fine." and record.agent == "1001"
            # Available again: the queued caller is offered to 1001 and answered.
            nt.run(until(lambda: len(seen.of(CallConnected)) == 2, 10, "second caller connected"))
            expect(waiting).to_have_text("0")
            assert second.result(30).passed(1)
            nt.run(until(lambda: len(seen.of(CallFinished)) == 2, 10, "both calls finished"))
        finally:
            nt.run(baresip.__aexit__(None, None, None))
        acme = login(browser, url, "acme-supervisor", "/wallboard")
        expect(acme.locator('#queue-table tr[data-queue="helpdesk"] td.waiting')).to_have_text("0")
        expect(acme.locator("#queue-table tbody tr")).to_have_count(1)
        expect(acme.locator("#agent-table tbody tr")).to_have_count(1)
        body = acme.locator("main").inner_text()
        assert not any(word in body for word in ("support", "billing", "Anna", "Kowalska", NAME))
        assert acme.request.get(f"{url}/api/v1/live/queues?tenant=demo").status == 404
        server.should_exit = True
        thread.join(10)
        sock.close()
        nt.run(live.stop())
        for ear in ears:
            if ear.transport is not None:
                nt.loop.call_soon_threadsafe(ear.transport.close)
    finally:
        nt.stop()
    print(f"desktop e2e took {time.monotonic() - started:.1f} s")
