"""The asyncio shell on real sockets: UDP over IPv4 and IPv6 with rport, TCP framing, keep-alives, timers."""

from __future__ import annotations

import asyncio
import socket

import pytest
from sip_tx_messages import request_bytes

from centralino.calls.events import CallEvent, CallOffered, HungUp
from centralino.sip.endpoint import SipEndpoint, start_sip
from centralino.sip.message import Response, parse_message
from centralino.sip.ratelimit import RateLimitConfig
from centralino.sip.timers import TimerConfig
from centralino.sip.ua import UaConfig, UserAgent


class Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.inbox.put_nowait(data)


async def udp_client(host: str) -> tuple[asyncio.DatagramTransport, Client]:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(Client, local_addr=(host, 0))
    return transport, proto


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_udp_options_gets_200_at_the_rport(host: str) -> None:
    if host == "::1" and not has_ipv6():
        pytest.fail("IPv6 loopback is not available on this machine")

    async def scenario() -> Response:
        endpoint = await start_sip(host, 0)
        transport, client = await udp_client(host)
        try:
            cport = transport.get_extra_info("sockname")[1]
            via_host = f"[{host}]" if ":" in host else host
            # the Via claims port 5999: only rport makes the answer come back to our real port
            data = request_bytes("OPTIONS", via_host=via_host, via_port=5999, rport=True,
                                 uri=f"sip:ping@{via_host}:{endpoint.local.port}")
            transport.sendto(data, (host, endpoint.local.port))
            reply = parse_message(await asyncio.wait_for(client.inbox.get(), 5))
            assert isinstance(reply, Response)
            assert reply.top_via.rport == cport and reply.top_via.received == host
            return reply
        finally:
            transport.close()
            await endpoint.stop()

    reply = asyncio.run(scenario())
    assert reply.status == 200 and reply.headers.get("Allow")


def test_tcp_framing_reuse_and_keepalive() -> None:
    async def scenario() -> list[bytes]:
        endpoint = await start_sip("127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.local.port)
        try:
            one = request_bytes("OPTIONS", branch="z9hG4bK-t1").replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
            two = request_bytes("OPTIONS", branch="z9hG4bK-t2").replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
            blob = one + two + b"\r\n\r\n"
            writer.write(blob[:50])  # split mid-message: the framer must wait for the rest
            await writer.drain()
            writer.write(blob[50:])
            await writer.drain()
            got = b""
            while got.count(b"SIP/2.0 200") < 2 or not got.endswith(b"\r\n"):
                got += await asyncio.wait_for(reader.read(65536), 5)
            return [got]
        finally:
            writer.close()
            await endpoint.stop()

    [got] = asyncio.run(scenario())
    assert got.count(b"SIP/2.0 200 OK") == 2
    assert b"branch=z9hG4bK-t1" in got and b"branch=z9hG4bK-t2" in got


def test_one_loop_timer_drives_retransmissions_and_commands() -> None:
    """Answer over real UDP, never ACK: the endpoint's single timer retransmits the 200, then sends BYE."""
    events: list[CallEvent] = []

    async def scenario() -> list[bytes]:
        timers = TimerConfig(t1=0.02, t2=0.08)
        ua = UserAgent(on_event=events.append, config=UaConfig(auto_answer=True))
        endpoint = SipEndpoint("127.0.0.1", 0, ua, tcp=False, timers=timers,
                               rate_limit=RateLimitConfig(rate=100, burst=10))
        await endpoint.start()
        transport, client = await udp_client("127.0.0.1")
        try:
            cport = transport.get_extra_info("sockname")[1]
            transport.sendto(request_bytes("INVITE", via_host="127.0.0.1", via_port=cport,
                                           uri=f"sip:1000@127.0.0.1:{endpoint.local.port}"),
                             ("127.0.0.1", endpoint.local.port))
            seen: list[bytes] = []
            while not any(s.startswith(b"BYE ") for s in seen):
                seen.append(await asyncio.wait_for(client.inbox.get(), 5))
            return seen
        finally:
            transport.close()
            await endpoint.stop()

    seen = asyncio.run(scenario())
    oks = [s for s in seen if s.startswith(b"SIP/2.0 200")]
    assert len(oks) >= 5  # first answer + retransmissions at T1, 2T1, 4T1 capped at T2 within 64·T1
    assert [type(e) for e in events] == [CallOffered, HungUp]
    last = events[-1]
    assert isinstance(last, HungUp) and last.cause == "no ACK"


def test_udp_socket_buffers_are_enlarged_and_bursts_read_in_batches() -> None:
    """The socket asks for big kernel buffers (what it got is reported), and a burst queued while the
    loop was busy is drained in few wakeups, each ending with one on_batch_end."""
    from pathlib import Path

    from centralino.sip.transport import UdpTransport

    wanted = 1024 * 1024
    cap = Path("/proc/sys/net/core/rmem_max")
    expected = min(wanted, int(cap.read_text())) if cap.exists() else 0
    got: list[bytes] = []
    batches: list[int] = []

    async def scenario() -> UdpTransport:
        done = asyncio.Event()

        def on_message(data: bytes, source: object) -> None:
            got.append(data)
            if len(got) == 200:
                done.set()

        udp = await UdpTransport.start("127.0.0.1", 0, on_message, buffer_bytes=wanted,
                                       on_batch_end=lambda: batches.append(len(got)))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            for i in range(200):  # sent before the loop gets a chance to read any
                peer.sendto(b"OPTIONS %d" % i, udp.local)
            peer.sendto(b"\r\n\r\n", udp.local)  # a keep-alive is not a message
            try:
                await asyncio.wait_for(done.wait(), 5)
            finally:
                udp.close()
        return udp

    udp = asyncio.run(scenario())
    assert udp.buffers.receive >= expected and udp.buffers.send > 0
    assert got == [b"OPTIONS %d" % i for i in range(200)]
    assert len(batches) <= 200 // 64 + 2  # 64 per wakeup, not one wakeup per datagram


def test_udp_buffer_left_to_the_system_when_not_asked() -> None:
    from centralino.sip.transport import UdpTransport

    async def scenario() -> tuple[int, int]:
        udp = await UdpTransport.start("127.0.0.1", 0, lambda data, source: None, buffer_bytes=None)
        udp.close()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain:
            return udp.buffers.receive, plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)

    ours, default = asyncio.run(scenario())
    assert ours == default
