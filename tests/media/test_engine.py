"""The asyncio engine against RTP peers on loopback sockets (our own packets, real UDP)."""

from __future__ import annotations

import asyncio
import random
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

import numpy as np

from centralino.calls.events import CallEvent, DigitsReceived, PlaybackFinished, Timeout
from centralino.media.dtmf import DtmfReceiver, dtmf_frames
from centralino.media.engine import LocalMediaEngine
from centralino.media.g711 import ulaw_decode, ulaw_encode, ulaw_to_alaw
from centralino.media.mixer import MonitorMode
from centralino.media.player import Prompt, PromptCache
from centralino.media.rtp import RtpPacket
from centralino.media.session import PortRange

WAIT = 5.0


class Peer(asyncio.DatagramProtocol):
    """A phone's RTP socket: sends what the test says, queues what arrives."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[RtpPacket] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None
        self.seq = 100
        self.ts = 8000

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if 192 <= data[1] <= 223:
            return  # RTCP
        self.received.put_nowait(RtpPacket.parse(data))

    @property
    def port(self) -> int:
        assert self.transport is not None
        return self.transport.get_extra_info("sockname")[1]

    def send(
        self, port: int, payload: bytes, pt: int = 0, ts: int | None = None, marker: bool = False
    ) -> None:
        assert self.transport is not None
        packet = RtpPacket(pt, self.seq, self.ts if ts is None else ts, 0xCAFE, payload, marker)
        self.transport.sendto(bytes(packet), ("127.0.0.1", port))
        self.seq += 1
        if ts is None:
            self.ts += 160

    def send_key(self, port: int, key: str, at: int) -> None:
        for frame in dtmf_frames(key):
            self.send(port, frame.payload, pt=101, ts=at, marker=frame.marker)

    async def take(self, n: int) -> list[RtpPacket]:
        return [await asyncio.wait_for(self.received.get(), WAIT) for _ in range(n)]


_OPEN: list[Peer] = []


async def peer() -> Peer:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(Peer, local_addr=("127.0.0.1", 0))
    _OPEN.append(protocol)
    return protocol


Scenario = Callable[[LocalMediaEngine, list[CallEvent], asyncio.Queue[CallEvent]], Awaitable[None]]


def run(scenario: Scenario, prompts: PromptCache | None = None) -> None:
    async def main() -> None:
        events: list[CallEvent] = []
        queue: asyncio.Queue[CallEvent] = asyncio.Queue()

        def on_event(event: CallEvent) -> None:
            events.append(event)
            queue.put_nowait(event)

        ports = PortRange(31000, 31998)
        engine = LocalMediaEngine(on_event, prompts or PromptCache(), ports, rng=random.Random(7))
        await engine.start()
        try:
            await scenario(engine, events, queue)
        finally:
            await engine.close()
            while _OPEN:
                transport = _OPEN.pop().transport
                assert transport is not None
                transport.close()
            await asyncio.sleep(0)  # let the transports finish closing inside this loop

    asyncio.run(main())


async def next_event(queue: asyncio.Queue[CallEvent]) -> CallEvent:
    return await asyncio.wait_for(queue.get(), WAIT)


def voice(n: int) -> bytes:
    return ulaw_encode(np.full(160, 1000 * (n + 1), np.int16))


def mixed(x: int, y: int) -> bytes:
    return ulaw_encode(ulaw_decode(voice(x)) + ulaw_decode(voice(y)))


def test_bridge_relays_transcodes_and_latches_to_the_real_source() -> None:
    async def scenario(engine: LocalMediaEngine, events: list[CallEvent], queue: asyncio.Queue) -> None:
        alice, bob = await peer(), await peer()
        a, b = await engine.allocate("a"), await engine.allocate("b")
        engine.set_remote("a", "127.0.0.1", alice.port, payload_type=0)
        engine.set_remote("b", "127.0.0.1", bob.port + 2, payload_type=8)  # wrong port, as behind a NAT
        engine.bridge("a", "b")
        bob.send(b.port, ulaw_to_alaw(voice(9)), pt=8)  # bob's first packet teaches the engine his address
        (first,) = await alice.take(1)
        assert first.payload == voice(9)
        for i in range(10):
            alice.send(a.port, voice(i))
        got = await bob.take(10)
        assert [p.payload for p in got] == [ulaw_to_alaw(voice(i)) for i in range(10)]
        assert all(p.payload_type == 8 for p in got)
        assert [(p.sequence - got[0].sequence) % 65536 for p in got] == list(range(10))
        assert [p.timestamp - got[0].timestamp for p in got] == [160 * i for i in range(10)]
        assert got[0].marker and got[0].ssrc != 0xCAFE
        assert engine.stats("a").packets_received == 10 and engine.stats("b").packets_sent == 10
        stats = await engine.release("a")
        assert stats.packets_lost == 0

    run(scenario)


def test_echo_returns_what_it_gets() -> None:
    async def scenario(engine: LocalMediaEngine, events: list[CallEvent], queue: asyncio.Queue) -> None:
        phone = await peer()
        e = await engine.allocate("echo")
        engine.set_remote("echo", "127.0.0.1", phone.port)
        engine.echo("echo")
        for i in range(5):
            phone.send(e.port, voice(i))
        assert [p.payload for p in await phone.take(5)] == [voice(i) for i in range(5)]

    run(scenario)


def test_dtmf_through_the_engine_is_reported_once_and_collected() -> None:
    async def scenario(engine: LocalMediaEngine, events: list[CallEvent], queue: asyncio.Queue) -> None:
        phone = await peer()
        leg = await engine.allocate("ivr")
        engine.set_remote("ivr", "127.0.0.1", phone.port)
        phone.send_key(leg.port, "5", at=16000)
        phone.send_key(leg.port, "5", at=16000)  # a full retransmission of the same event
        phone.send_key(leg.port, "#", at=17600)
        assert await next_event(queue) == DigitsReceived(at=events[0].at, leg="ivr", digits="5")
        assert await next_event(queue) == DigitsReceived(at=events[1].at, leg="ivr", digits="#")
        engine.collect("ivr", max_digits=3, first_timeout=2.0, inter_timeout=2.0)
        phone.send_key(leg.port, "4", at=20000)
        phone.send_key(leg.port, "2", at=21600)
        phone.send_key(leg.port, "#", at=23200)
        event = await next_event(queue)
        assert isinstance(event, DigitsReceived) and event.digits == "42"
        engine.collect("ivr", max_digits=3, first_timeout=0.1)
        event = await next_event(queue)
        assert isinstance(event, Timeout) and event.name == "collect"
        assert [e.digits for e in events if isinstance(e, DigitsReceived)] == ["5", "#", "42"]

    run(scenario)


def test_playback_is_paced_contiguous_and_barge_in_stops_it() -> None:
    prompts = PromptCache()
    prompts.add(Prompt.from_samples("hello", np.full(160 * 5, 0.2), 8000))
    prompts.add(Prompt.from_samples("menu", np.full(160 * 500, 0.2), 8000))

    async def scenario(engine: LocalMediaEngine, events: list[CallEvent], queue: asyncio.Queue) -> None:
        phone = await peer()
        leg = await engine.allocate("caller")
        engine.set_remote("caller", "127.0.0.1", phone.port)
        engine.play("caller", ["hello"], playback_id="p1")
        got = await phone.take(5)
        hello = prompts.get("hello").ulaw
        assert [p.payload for p in got] == [hello[i * 160 : (i + 1) * 160] for i in range(5)]
        assert [p.timestamp - got[0].timestamp for p in got] == [160 * i for i in range(5)]
        assert await next_event(queue) == PlaybackFinished(at=events[0].at, leg="caller", playback="p1")
        engine.play("caller", ["menu"], playback_id="p2", barge_in=True)
        await phone.take(2)
        phone.send_key(leg.port, "1", at=4000)
        finished = await next_event(queue)
        assert isinstance(finished, PlaybackFinished) and finished.interrupted and finished.playback == "p2"
        key = await next_event(queue)
        assert isinstance(key, DigitsReceived) and key.digits == "1"

    run(scenario, prompts)


def test_engine_sends_dtmf_the_peer_decodes_once() -> None:
    async def scenario(engine: LocalMediaEngine, events: list[CallEvent], queue: asyncio.Queue) -> None:
        phone = await peer()
        await engine.allocate("out")
        engine.set_remote("out", "127.0.0.1", phone.port)
        engine.send_dtmf("out", "73")
        rx = DtmfReceiver()
        packets = await phone.take(2 * len(dtmf_frames("7")))
        keys = [hit.key for p in packets if (hit := rx.receive(p.timestamp, p.payload))]
        assert keys == ["7", "3"]
        assert all(p.payload_type == 101 for p in packets)

    run(scenario)


def test_recording_a_bridged_call_and_whisper(tmp_path: Path) -> None:
    async def scenario(engine: LocalMediaEngine, events: list[CallEvent], queue: asyncio.Queue) -> None:
        caller, agent, sup = await peer(), await peer(), await peer()
        c, a, s = await engine.allocate("c"), await engine.allocate("a"), await engine.allocate("s")
        for leg, phone in (("c", caller), ("a", agent), ("s", sup)):
            engine.set_remote(leg, "127.0.0.1", phone.port)
        engine.bridge("c", "a")
        engine.record("c", tmp_path / "call.wav")
        engine.monitor("s", "a", MonitorMode.WHISPER)
        for _ in range(20):
            caller.send(c.port, voice(1))
            agent.send(a.port, voice(3))
            sup.send(s.port, voice(5))
            await asyncio.sleep(0.02)  # pace the phones like real ones
        to_sup = await sup.take(10)  # the supervisor hears caller + agent
        assert mixed(1, 3) in [p.payload for p in to_sup]
        to_agent = await agent.take(10)  # whisper: the agent hears caller + supervisor
        assert mixed(1, 5) in [p.payload for p in to_agent]
        assert voice(1) not in [p.payload for p in to_agent]  # the relay is replaced by the mix
        engine.stop_recording("c")
        with wave.open(str(tmp_path / "call.wav"), "rb") as w:
            assert w.getnchannels() == 2 and w.getnframes() > 0
            data = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        assert np.abs(data[0::2]).max() > 1500 and np.abs(data[1::2]).max() > 3500

    run(scenario)
