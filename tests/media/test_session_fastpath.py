"""RtpSession's packet paths on real loopback sockets: the fixed-header fast path, the full parser for
everything else, rtcp-mux detection, the header template, and datagrams the kernel refuses."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Awaitable, Callable

from centralino.media.rtcp import (
    ReceiverReport,
    SenderReport,
    SourceDescription,
    compound_bytes,
    parse_compound,
)
from centralino.media.rtp import RtpPacket
from centralino.media.session import PortRange, RtpSession

WAIT = 5.0
Got = tuple[int, int, int, int, bool, bytes]


def udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(WAIT)
    return sock


def run(scenario: Callable[[RtpSession, asyncio.Queue[Got]], Awaitable[None]]) -> None:
    async def main() -> None:
        session = RtpSession("leg", "127.0.0.1", random.Random(3), "test")
        await session.open(PortRange(32000, 32998))
        queue: asyncio.Queue[Got] = asyncio.Queue()

        def on_rtp(
            s: RtpSession, pt: int, seq: int, ts: int, ssrc: int, marker: bool, payload: bytes, now: float
        ) -> None:
            assert s is session and now > 0
            queue.put_nowait((pt, seq, ts, ssrc, marker, payload))

        session.on_rtp = on_rtp
        try:
            await scenario(session, queue)
        finally:
            session.close()
            await asyncio.sleep(0)

    asyncio.run(main())


def test_plain_and_extended_packets_reach_the_engine_with_the_same_fields() -> None:
    async def scenario(session: RtpSession, queue: asyncio.Queue[Got]) -> None:
        phone = udp()
        plain = RtpPacket(8, 65535, 4_000_000_000, 0xABCDEF01, b"\x11" * 160, marker=True)
        extended = RtpPacket(8, 0, 4_000_000_160, 0xABCDEF01, b"\x22" * 160, csrc=(1, 2),
                             extension_profile=0xBEDE, extension=b"\x10\xff\x00\x00", padding=4)
        for packet in (plain, extended):
            phone.sendto(bytes(packet), ("127.0.0.1", session.port))
        got = [await asyncio.wait_for(queue.get(), WAIT) for _ in range(2)]
        assert got == [
            (8, 65535, 4_000_000_000, 0xABCDEF01, True, b"\x11" * 160),
            (8, 0, 4_000_000_160, 0xABCDEF01, False, b"\x22" * 160),
        ]
        assert session.latched and session.remote == phone.getsockname()
        assert session.stats.received == 2
        phone.close()

    run(scenario)


def test_rtcp_on_the_rtp_port_is_rtcp_and_garbage_is_ignored() -> None:
    async def scenario(session: RtpSession, queue: asyncio.Queue[Got]) -> None:
        phone = udp()
        report = compound_bytes([SenderReport(0x1234, 1 << 40, 0, 1, 160)])
        assert report[0] == 0x80  # looks like a plain RTP header until its second byte is read
        phone.sendto(report, ("127.0.0.1", session.port))
        phone.sendto(b"\x00\x01\x00\x00" + bytes(16), ("127.0.0.1", session.port))  # STUN-like
        phone.sendto(b"\x80\x00", ("127.0.0.1", session.port))  # too short for RTP
        phone.sendto(bytes(RtpPacket(0, 1, 160, 9, b"x")), ("127.0.0.1", session.port))
        assert await asyncio.wait_for(queue.get(), WAIT) == (0, 1, 160, 9, False, b"x")
        assert session.rtcp_received == 1 and queue.empty()
        phone.close()

    run(scenario)


def test_sent_frames_carry_the_template_header_and_continue_the_stream() -> None:
    async def scenario(session: RtpSession, queue: asyncio.Queue[Got]) -> None:
        phone = udp()
        session.set_remote("127.0.0.1", phone.getsockname()[1], payload_type=8)
        session.send(b"\x01" * 160, 0.00)
        session.send(b"\x02" * 80, 0.02)  # a short frame: the template shrinks to fit
        session.relay(0x77, 1000, False, b"\x03" * 160, 0.04, 8)
        session.send_event(b"\x05\x0a\x00\xa0", None, True, 0.06)
        got = [RtpPacket.parse(phone.recv(2048)) for _ in range(4)]
        assert [p.payload for p in got] == [b"\x01" * 160, b"\x02" * 80, b"\x03" * 160, b"\x05\x0a\x00\xa0"]
        assert [p.payload_type for p in got] == [8, 8, 8, 101]
        assert {p.ssrc for p in got} == {session.ssrc}
        assert [(p.sequence - got[0].sequence) % 65536 for p in got] == [0, 1, 2, 3]
        assert [p.marker for p in got] == [True, False, True, True]
        assert got[1].timestamp == (got[0].timestamp + 160) % (1 << 32)
        assert session.packets_sent == 4 and session.octets_sent == 160 + 80 + 160 + 4
        phone.close()

    run(scenario)


def test_a_datagram_the_kernel_refuses_is_counted_and_the_stream_goes_on() -> None:
    async def scenario(session: RtpSession, queue: asyncio.Queue[Got]) -> None:
        session.set_remote("127.0.0.1", 0)  # port 0: sendto fails with EINVAL
        session.send(b"\xff" * 160, 0.0)
        assert session.send_dropped == 1 and session.packets_sent == 0
        phone = udp()
        session.set_remote("127.0.0.1", phone.getsockname()[1])
        session.send(b"\xff" * 160, 0.02)
        assert RtpPacket.parse(phone.recv(2048)).payload == b"\xff" * 160
        assert session.packets_sent == 1
        phone.close()

    run(scenario)


def test_reports_go_to_the_rtcp_port_and_parse() -> None:
    async def scenario(session: RtpSession, queue: asyncio.Queue[Got]) -> None:
        rtcp = udp()
        session.set_remote("127.0.0.1", rtcp.getsockname()[1] - 1)
        session.send_report(1_700_000_000.0, 1.0)
        report, sdes = parse_compound(rtcp.recv(2048))
        assert isinstance(report, ReceiverReport) and report.ssrc == session.ssrc  # nothing sent yet: RR
        assert isinstance(sdes, SourceDescription) and sdes.chunks[0].ssrc == session.ssrc
        rtcp.close()

    run(scenario)
