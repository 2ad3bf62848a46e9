"""After many calls through the B2BUA, every per-call table is empty again (no slow leak).

Real SIP over loopback UDP: a caller and a callee, each a ``UserAgent`` on its own
``SipEndpoint``, and the switch with the ``B2bua`` between them. Timers are shortened
(T1 = 40 ms, so 64·T1 = 2.56 s) so the transactions' absorb-retransmissions timers run out within the test.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from centralino.calls.commands import Hangup, Ring
from centralino.calls.events import Answered, CallEvent, Failed, HungUp
from centralino.sip.endpoint import SipEndpoint
from centralino.sip.ratelimit import RateLimitConfig
from centralino.sip.timers import TimerConfig
from centralino.sip.ua import UaConfig, UserAgent
from centralino.telephony import B2bua, Switch, SwitchConfig
from centralino.telephony.b2bua import template_route

TIMERS = TimerConfig(t1=0.04, t2=0.16, t4=0.1, d=0.1)
CALLS = 40
UNLIMITED = RateLimitConfig(rate=1e6, burst=1e6)  # all calls come from one address, in one burst


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for ``condition`` (checked every 10 ms) or fail naming ``what``."""
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None



def leftovers(switch: Switch, b2bua: B2bua, *uas: UserAgent) -> dict[str, int]:
    """The size of every table that holds something per call or per transaction (should be 0)."""
    agent = switch.agent
    tables: dict[str, int] = {
        "switch.legs": len(switch.legs), "switch._pairs": len(switch._pairs),
        "switch._paired_to": len(switch._paired_to), "switch._transfers": len(switch._transfers),
        "switch._linked": len(switch._linked), "switch._refused": len(switch._refused),
        "b2bua.peer": len(b2bua.peer), "b2bua.inbound": len(b2bua.inbound),
        "b2bua.answered": len(b2bua.answered),
        "agent._pending": len(agent._pending), "agent._acks": len(agent._acks),
        "agent._local_sdp": len(agent._local_sdp), "agent._versions": len(agent._versions),
        "agent._referred": len(agent._referred),
    }  # fmt: skip
    for name, ua in (("agent", agent), *((f"ua{i}", ua) for i, ua in enumerate(uas))):
        assert ua.layer is not None
        ua.get_timer()  # drops the heap entries of legs that have moved on
        ua.layer.get_timer()
        tables.update({
            f"{name}.legs": len(ua.legs), f"{name}._by_dialog": len(ua._by_dialog),
            f"{name}._by_tx": len(ua._by_tx), f"{name}._awaiting_ack": len(ua._awaiting_ack),
            f"{name}._ringing": len(ua._ringing), f"{name}._timers": len(ua._timers),
            f"{name}.layer.transactions": len(ua.layer.transactions),
            f"{name}.layer._heap": len(ua.layer._heap), f"{name}.layer._scheduled": len(ua.layer._scheduled),
        })  # fmt: skip
    return {name: size for name, size in tables.items() if size}


def test_per_call_tables_are_empty_after_many_calls() -> None:
    caller_events: list[CallEvent] = []
    callee_events: list[CallEvent] = []

    async def scenario() -> dict[str, int]:
        rng = random.Random(7)
        callee_ua = UserAgent(on_event=callee_events.append, config=UaConfig(auto_answer=True), rng=rng)
        callee = SipEndpoint("127.0.0.1", 0, callee_ua, tcp=False, timers=TIMERS, rng=rng,
                             rate_limit=UNLIMITED)
        await callee.start()
        switch = Switch(SwitchConfig(bind="127.0.0.1", port=0, tcp=False, media=False), timers=TIMERS,
                        rng=rng, rate_limit=UNLIMITED)
        b2bua = B2bua(switch, template_route(f"sip:{{user}}@127.0.0.1:{callee.local.port}"), ring_timeout=5)
        switch.handler = b2bua

        def on_caller_event(event: CallEvent) -> None:
            caller_events.append(event)
            if isinstance(event, Answered):  # hang up as soon as the call is up: the BYE crosses the B2BUA
                asyncio.get_running_loop().call_soon(caller.command, Hangup(leg=event.leg))

        caller_ua = UserAgent(on_event=on_caller_event, rng=rng)
        caller = SipEndpoint("127.0.0.1", 0, caller_ua, tcp=False, timers=TIMERS, rng=rng,
                             rate_limit=UNLIMITED)
        await switch.start()
        await caller.start()
        try:
            for i in range(CALLS):
                caller.command(Ring(leg=f"call-{i}", target=f"sip:{1000 + i}@127.0.0.1:{switch.port}",
                                    timeout=5))
            await until(lambda: sum(isinstance(e, HungUp) for e in callee_events) == CALLS, 10,
                        "every call to end at the callee")
            await switch.drain()
            # 64·T1 = 2.56 s and D = 0.1 s: every transaction has ended well within this
            await until(lambda: not leftovers(switch, b2bua, caller_ua, callee_ua), 8,
                        "every per-call table to empty")
            return leftovers(switch, b2bua, caller_ua, callee_ua)
        finally:
            caller.close()
            callee.close()
            await switch.stop()

    assert asyncio.run(scenario()) == {}
    assert sum(isinstance(e, Answered) for e in caller_events) == CALLS
    assert not [e for e in caller_events + callee_events if isinstance(e, Failed)]
