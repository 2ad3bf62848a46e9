"""``SipEndpoint``: the asyncio composition of transports, transaction layer and TU.

The only place in the SIP stack where sans-I/O cores meet the event loop.
Data from a transport goes to ``TransactionLayer.receive``; outputs are
drained in order: ``Send`` to the transport named by its address, everything
else to the TU (``TransactionUser.on_output``), whose own outputs join the
queue. After each burst, exactly one loop timer is (re)armed at the earliest
of the layer's and the TU's ``get_timer()``. Time is the loop's monotonic
clock, passed to the cores as ``now``.

``start_sip`` is the entry point for ``centralino serve --sip-port``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from centralino.calls.commands import Command
from centralino.calls.events import CallEvent
from centralino.sip.ratelimit import RateLimitConfig, RateLimiter
from centralino.sip.timers import TimerConfig
from centralino.sip.transaction import Address, Send
from centralino.sip.transaction_layer import LayerOutput, TransactionLayer
from centralino.sip.transport import DEFAULT_SOCKET_BUFFER, TcpTransport, UdpTransport
from centralino.sip.ua import UaConfig, UserAgent

__all__ = ["SipEndpoint", "TransactionUser", "start_sip"]

log = logging.getLogger(__name__)


class TransactionUser(Protocol):
    """What the endpoint needs of a TU (``ua.UserAgent`` is one)."""

    def attach(self, layer: TransactionLayer, local: Address) -> None: ...

    def on_output(self, output: LayerOutput, now: float) -> Iterable[LayerOutput]: ...

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> Iterable[LayerOutput]: ...

    def command(self, command: Command, now: float) -> Iterable[LayerOutput]: ...


class SipEndpoint:
    """UDP (and optionally TCP) on ``bind``:``port`` (0 picks a free port), driving ``handler``."""

    def __init__(
        self,
        bind: str,
        port: int,
        handler: TransactionUser,
        *,
        tcp: bool = True,
        timers: TimerConfig | None = None,
        rate_limit: RateLimitConfig | None = None,
        rng: random.Random | None = None,
        udp_buffer: int | None = DEFAULT_SOCKET_BUFFER,
    ) -> None:
        self.bind = bind
        self.udp_buffer = udp_buffer
        self.port = port
        self.handler = handler
        self.tcp_enabled = tcp
        self.layer = TransactionLayer(
            timers=timers, rate_limiter=RateLimiter(rate_limit), rng=rng or random.Random())
        self.udp: UdpTransport | None = None
        self.tcp: TcpTransport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._busy = False
        self._batching = False  # inside a burst of datagrams: the timer is re-armed once, at its end

    @property
    def local(self) -> Address:
        """The UDP address actually bound (the port is known after ``start``)."""
        if self.udp is None:
            raise RuntimeError("SipEndpoint.local: call start() first")
        host, port = self.udp.local
        return Address("UDP", host, port)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.udp = await UdpTransport.start(self.bind, self.port, self._received_datagram,
                                            buffer_bytes=self.udp_buffer, on_batch_end=self._batch_end)
        _, port = self.udp.local
        if self.tcp_enabled:
            self.tcp = await TcpTransport.start(self.bind, port, self._received, self._transport_error)
        self.handler.attach(self.layer, self.local)
        log.info("SIP listening on %s port %s (UDP%s)", self.bind, port, "+TCP" if self.tcp else "")

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.udp is not None:
            self.udp.close()
        if self.tcp is not None:
            self.tcp.close()

    async def stop(self) -> None:
        self.close()
        if self.tcp is not None:
            await self.tcp.wait_closed()

    # ---- driving the cores ---------------------------------------------------------------------

    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _received(self, data: bytes, source: Address) -> None:
        self._guarded(lambda now: self.layer.receive(data, source, now))

    def _received_datagram(self, data: bytes, source: Address) -> None:
        self._batching = True
        self._guarded(lambda now: self.layer.receive(data, source, now))

    def _batch_end(self) -> None:
        if self._batching:
            self._batching = False
            self._rearm()

    def _transport_error(self, destination: Address) -> None:
        self._guarded(lambda now: self.layer.transport_error(destination, now))

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None

        def fire(now: float) -> list[LayerOutput]:
            return [*self.layer.handle_timer(now), *self.handler.handle_timer(now)]

        self._guarded(fire)

    def _guarded(self, step: Callable[[float], Iterable[LayerOutput]]) -> None:
        """Run one step and drain its outputs; a bug in a core is logged, never kills the loop."""
        if self._busy:  # called back from inside a drain (an event listener's command): after it
            assert self._loop is not None
            self._loop.call_soon(self._guarded, step)
            return
        self._busy = True
        try:
            now = self._now()
            self._drain(step(now), now)
        except Exception:
            log.exception("SIP endpoint: error while processing; the message was dropped")
        finally:
            self._busy = False
        if not self._batching:
            self._rearm()

    def _drain(self, outputs: Iterable[LayerOutput], now: float) -> None:
        queue: deque[LayerOutput] = deque(outputs)
        while queue:
            output = queue.popleft()
            if isinstance(output, Send):
                self._send(output)
            else:
                queue.extend(self.handler.on_output(output, now))

    def _send(self, send: Send) -> None:
        if send.destination.transport.upper() == "TCP" and self.tcp is not None:
            self.tcp.send(send.data, send.destination)
        elif self.udp is not None:
            self.udp.send(send.data, send.destination)

    def _rearm(self) -> None:
        deadlines = [t for t in (self.layer.get_timer(), self.handler.get_timer()) if t is not None]
        when = min(deadlines, default=None)
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = when
        if when is not None and self._loop is not None:
            self._timer = self._loop.call_at(when, self._on_timer)

    def command(self, command: Command) -> None:
        """Apply a call-control command (Answer, Reject, Hangup) to its leg, on the loop's thread."""
        self._guarded(lambda now: self.handler.command(command, now))


async def start_sip(
    bind: str,
    port: int,
    *,
    on_event: Callable[[CallEvent], None] | None = None,
    config: UaConfig | None = None,
    tcp: bool = True,
    timers: TimerConfig | None = None,
    rate_limit: RateLimitConfig | None = None,
    udp_buffer: int | None = DEFAULT_SOCKET_BUFFER,
) -> SipEndpoint:
    """Start the SIP endpoint for ``centralino serve --sip-port``: a UAS on UDP (+TCP) ``bind``:``port``.

    Returns the running endpoint; ``close()`` (or ``await stop()``) shuts it down,
    ``command(cmd)`` applies Answer/Reject/Hangup, ``local`` is the bound address.
    ``on_event`` receives the call-control events (CallOffered, Answered, HungUp).
    ``udp_buffer`` is the kernel buffer asked for the UDP socket (None: the system default).
    """
    endpoint = SipEndpoint(bind, port, UserAgent(on_event=on_event, config=config),
                           tcp=tcp, timers=timers, rate_limit=rate_limit, udp_buffer=udp_buffer)
    await endpoint.start()
    return endpoint
