"""OPTIONS keep-alive of registered phones: who is reachable, so unreachable phones are not rung.

The registrar decides *when* (``due_probes(now)``: each binding every ``keepalive_interval``
seconds, RFC 3261 §11 OPTIONS to the address the REGISTER came from, which also keeps a NAT
mapping open) and *what* (``options_probe``). This shell sends each probe through the
switch's agent (``Probe``) and reports the outcome: any final response, even 404 or 405,
means the phone is there (``mark_reachable``); no answer within ``timeout`` seconds (shorter
than the transaction's 32 s Timer F, so a vanished phone stops being rung soon) or a
transport failure marks it unreachable. ``lookup`` then leaves the binding out, the target
resolver answers 480, the dial plan gets ``Failed`` and moves on to the next agent; the
phone is rung again once it answers a probe or registers again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

from centralino.core.clock import Clock
from centralino.core.ids import new_id
from centralino.sip.location import Binding
from centralino.sip.message import Request
from centralino.sip.registrar import Registrar, options_probe
from centralino.sip.transaction import Address
from centralino.telephony.agent import Probe

__all__ = ["KeepAlive"]

log = logging.getLogger("centralino.runtime.keepalive")


class KeepAlive:
    """``start(loop)`` arms the probe timer; ``stop()`` disarms it."""

    def __init__(self, registrar: Registrar, send: Callable[[Probe], None], clock: Clock,
                 timeout: float = 5.0, user_agent: str = "Centralino") -> None:
        self.registrar = registrar
        self.send = send
        self.clock = clock
        self.timeout = timeout
        self.user_agent = user_agent
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.sent = 0

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._loop = None

    def _arm(self) -> None:
        if self._loop is None:
            return
        deadline = self.registrar.next_deadline()
        delay = 5.0 if deadline is None else min(5.0, max(0.05, deadline - self.clock.now()))
        self._timer = self._loop.call_later(delay, self._tick)

    def _tick(self) -> None:
        now = self.clock.now()
        for binding in self.registrar.due_probes(now):
            self._probe(binding, now)
        self._arm()

    def _probe(self, binding: Binding, now: float) -> None:
        assert self._loop is not None
        settled = False

        def done(answered: bool) -> None:
            nonlocal settled
            if settled:
                return
            settled = True
            handle.cancel()
            at = self.clock.now()
            if answered:
                self.registrar.mark_reachable(binding.aor, binding.contact, at)
            elif self.registrar.mark_unreachable(binding.aor, binding.contact, at):
                log.info("phone %s unreachable: no answer to OPTIONS", binding.aor,
                         extra={"contact": binding.contact, "source": binding.source.host})

        handle = self._loop.call_later(self.timeout, done, False)
        build = partial(self._build, binding, now)
        self.sent += 1
        self.send(Probe(leg="", build=build, destination=binding.source, done=done))

    def _build(self, binding: Binding, now: float, branch: str, tag: str, local: Address) -> Request:
        return options_probe(binding, local, branch=branch, tag=tag, call_id=new_id(now),
                             user_agent=self.user_agent)
