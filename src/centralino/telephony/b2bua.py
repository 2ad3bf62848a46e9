"""``B2bua``: a back-to-back user agent on the switch: each inbound call rings one target and
the two legs are joined, each leg its own dialog.

The handler speaks only the call-control vocabulary (plus ``Switch.progress``
for ringback and ``Switch.pair_sdp`` in signalling-only mode). What it maps:

=============================  =============================================
callee rings (18x)             180 to the caller
callee answers                 caller answered (200), media bridged
callee busy/refuses (4xx-6xx)  the same status to the caller (486 -> 486)
no answer (ring timeout, 408)  480 Temporarily Unavailable to the caller
target unknown                 404 (or the resolver's code) to the caller
caller cancels                 CANCEL to the callee
either side hangs up           BYE to the other side
=============================  =============================================

Run standalone (the SIP cps benchmark's device under test)::

    python -m centralino.telephony.b2bua --bind 127.0.0.1 --port 5070 --target sip:127.0.0.1:5080

``--target`` may contain ``{user}`` (the dialled number); ``--no-media`` relays
signalling only, passing SDP through unchanged so RTP flows peer to peer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Callable, Sequence

from centralino.calls.commands import Answer, Bridge, Hangup, Reject, Ring
from centralino.calls.events import Answered, CallEvent, CallOffered, Failed, HungUp, Ringing
from centralino.core.ids import new_id
from centralino.core.memory import tune_gc
from centralino.media.engine import LocalMediaEngine
from centralino.media.player import PromptCache
from centralino.media.session import PortRange
from centralino.sip.transport import DEFAULT_SOCKET_BUFFER
from centralino.telephony.switch import Switch, SwitchConfig

__all__ = ["B2bua", "failure_status", "main"]

log = logging.getLogger(__name__)

Route = Callable[[CallOffered], str | None]


def failure_status(code: int) -> int:
    """The status the caller gets when the callee's leg failed with ``code``."""
    if code in (408, 487):  # no answer (our ring timeout or the callee's Timer B)
        return 480
    if 400 <= code < 700:
        return code
    return 502


class B2bua:
    """The handler; ``route(offered)`` names the target (extension, URI, number) or None for 404."""

    def __init__(self, switch: Switch, route: Route, *, ring_timeout: float = 30.0) -> None:
        self.switch = switch
        self.route = route
        self.ring_timeout = ring_timeout
        self.peer: dict[str, str] = {}  # leg -> the other leg of its call
        self.inbound: set[str] = set()
        self.answered: set[str] = set()
        self.completed = 0
        self.failed = 0

    def __call__(self, event: CallEvent) -> None:
        if isinstance(event, CallOffered):
            self._offered(event)
            return
        other = self.peer.get(event.leg)
        if other is None:
            return
        if isinstance(event, Ringing):
            self.switch.progress(other)
        elif isinstance(event, Answered):
            self.answered.add(event.leg)
            if event.leg not in self.inbound:  # callee answered: answer the caller and join them
                self.switch.command(Answer(leg=other))
                self.switch.command(Bridge(leg=other, other=event.leg))
        elif isinstance(event, Failed):
            self._forget(event.leg, other)
            self.failed += 1
            self.switch.command(Reject(leg=other, code=failure_status(event.code), reason=event.reason[:60]))
        elif isinstance(event, HungUp):
            self._forget(event.leg, other)
            if event.leg in self.answered and other in self.answered:
                self.completed += 1
            self.answered.discard(event.leg)
            self.answered.discard(other)
            self.switch.command(Hangup(leg=other, cause=event.cause))  # BYE, or CANCEL while ringing

    def _offered(self, event: CallOffered) -> None:
        target = self.route(event)
        if target is None:
            self.switch.command(Reject(leg=event.leg, code=404, reason="Not Found"))
            return
        outbound = new_id(event.at, self.switch.rng)
        self.peer[event.leg], self.peer[outbound] = outbound, event.leg
        self.inbound.add(event.leg)
        if not self.switch.config.media:
            self.switch.pair_sdp(event.leg, outbound)
        ring = Ring(leg=outbound, target=target, timeout=self.ring_timeout, caller_id=event.caller)
        self.switch.command(ring)

    def _forget(self, leg: str, other: str) -> None:
        self.peer.pop(leg, None)
        self.peer.pop(other, None)
        self.inbound.discard(leg)
        self.inbound.discard(other)


def template_route(template: str) -> Route:
    """A route from a URI template: ``{user}`` is the dialled number."""
    return lambda offered: template.replace("{user}", offered.dialled)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m centralino.telephony.b2bua",
                                     description="Centralino's B2BUA on its own, e.g. for SIP benchmarks.")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5070, help="SIP port (UDP and TCP), 0 picks one")
    parser.add_argument("--target", required=True, help="where calls go: a SIP URI, {user} = dialled number")
    parser.add_argument("--no-media", action="store_true", help="signalling only; SDP passed through")
    parser.add_argument("--rtp-ports", default="20000-30000", help="RTP port range LOW-HIGH")
    parser.add_argument("--ring-timeout", type=float, default=30.0)
    parser.add_argument("--no-rate-limit", action="store_true", help="accept any request rate (benchmarks)")
    parser.add_argument("--udp-buffer", type=int, default=DEFAULT_SOCKET_BUFFER,
                        help="kernel buffer (bytes) asked for the SIP UDP socket, capped by "
                             "net.core.rmem_max; 0: the system default")
    parser.add_argument("--no-gc-tuning", dest="tune_gc", action="store_false",
                        help="keep CPython's default garbage-collector thresholds")
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, ready: Callable[[Switch], None] | None = None) -> None:
    from centralino.sip.ratelimit import RateLimitConfig

    rate = RateLimitConfig(rate=1e9, burst=1_000_000) if args.no_rate_limit else None
    config = SwitchConfig(bind=args.bind, port=args.port, media=not args.no_media,
                          udp_buffer=args.udp_buffer or None)
    switch = Switch(config,
                    rng=random.Random(), rate_limit=rate)
    switch.handler = B2bua(switch, template_route(args.target), ring_timeout=args.ring_timeout)
    media = None
    if not args.no_media:
        low, _, high = args.rtp_ports.partition("-")
        media = LocalMediaEngine(switch.on_media_event, PromptCache(), PortRange(int(low), int(high)),
                                 host=args.bind)
        await media.start()
    await switch.start(media)
    if args.tune_gc:
        tune_gc()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(f"b2bua listening on {args.bind}:{switch.port} -> {args.target}"
          f" ({'signalling only' if args.no_media else 'media relayed'})", flush=True)
    if ready is not None:
        ready(switch)
    try:
        await stop.wait()
    finally:
        await switch.stop()
        if media is not None:
            await media.close()


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
