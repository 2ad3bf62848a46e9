"""Helpers for the end-to-end tests: a running ``Node`` on the demo center, an RTP counter, waits.

The SIPp/baresip process helpers are the telephony tests' (``tests/telephony/telephony_peers.py``),
imported from here so both suites start peers the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel
from telephony_peers import (
    SippRun,
    baresip_config,
    free_udp_port,
    heard,
    need,
    process,
    sine_wav,
    sipp,
    tone,
)

from centralino import config
from centralino.config.model import CenterConfig
from centralino.dialplan.contacts import Output
from centralino.runtime import Node, NodeSettings
from centralino.store.apply import apply_config
from centralino.store.db import Database

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "PCAPS", "SCENARIOS", "RtpCounter", "SippRun", "baresip_config", "demo_center", "free_udp_port", "heard",
    "ivr_scenario", "need", "process", "replace_model", "restamped", "running_node", "sine_wav", "sipp",
    "tone", "until",
]

SCENARIOS = Path(__file__).parent / "scenarios"
PCAPS = Path("/usr/share/sip-tester")  # SIPp's captures: dtmf_2833_<key>.pcap, g711a.pcap
KEY_FILES = {"#": "pound", "*": "star"}
RTP_PORTS = (34000, 35998)


def demo_center(**queue_changes: object) -> CenterConfig:
    """The demo center with every number always open (the IVR's office hours would make the
    tests depend on the time of day) and, optionally, the support queue changed."""
    center = config.load(None)
    tenant = center.tenants[0]
    numbers = [replace_model(n, hours=None) for n in tenant.numbers]
    queues = [replace_model(q, **queue_changes) if q.name == "support" else q for q in tenant.queues]
    return replace_model(center, tenants=[replace_model(tenant, numbers=numbers, queues=queues)])


def restamped(source: Path, target: Path, press: int, keep: float | None = None) -> Path:
    """``source`` with its RTP timestamps and sequence numbers moved on by ``press``; with ``keep``,
    only the packets of its first ``keep`` seconds.

    Every press of one key in SIPp's captures carries the same RTP timestamp, which RFC 4733
    receivers (ours included) take for retransmissions of one event; a phone stamps each press
    anew. The audio and events are left as captured."""
    data = bytearray(source.read_bytes())
    assert struct.unpack_from("<I", data, 20)[0] == 1, f"{source}: not an Ethernet capture"
    offset, first = 24, None
    while offset < len(data):
        seconds, micros, length = struct.unpack_from("<III", data, offset)
        first = seconds + micros / 1e6 if first is None else first
        if keep is not None and seconds + micros / 1e6 - first > keep:
            del data[offset:]
            break
        packet = offset + 16
        ip = packet + 14
        rtp = ip + (data[ip] & 0x0F) * 4 + 8
        seq, stamp = struct.unpack_from(">HI", data, rtp + 2)
        struct.pack_into(">HI", data, rtp + 2, (seq + 50 * press) % 65536, (stamp + 160_000 * press) % 2**32)
        struct.pack_into(">H", data, ip + (data[ip] & 0x0F) * 4 + 6, 0)  # UDP checksum: none
        offset = packet + length
    target.write_bytes(bytes(data))
    return target


Step = str | float | tuple[Path, float]


def ivr_scenario(path: Path, steps: list[Step], center_ends: bool = False) -> Path:
    """A SIPp caller (A-law, RFC 4733) that dials [service] and takes ``steps`` in order, then
    hangs up (or, with ``center_ends``, waits for the center's BYE).

    A step is a key ("0"-"9", "#", "*", each its ``dtmf_2833_*.pcap`` re-stamped per press and
    followed by 0.3 s), a pause in seconds, or ``(pcap, seconds)``: that much of a capture's audio,
    sent while the caller waits as long."""
    lines = []
    for press, step in enumerate(steps):
        if isinstance(step, int | float):
            lines.append(f'  <pause milliseconds="{int(step * 1000)}"/>')
            continue
        if isinstance(step, tuple):
            pcap, seconds = step
            copy = restamped(pcap, path.parent / f"step{press:02d}-{pcap.name}", 0, seconds)
            pause = int(seconds * 1000) + 100
        else:
            name = f"dtmf_2833_{KEY_FILES.get(step, step)}.pcap"
            copy = restamped(PCAPS / name, path.parent / f"step{press:02d}-{name}", press)
            pause = 300
        lines.append(f'  <nop><action><exec play_pcap_audio="{copy}"/></action></nop>')
        lines.append(f'  <pause milliseconds="{pause}"/>')
    template = SCENARIOS / ("uac_ivr_center_ends.xml" if center_ends else "uac_ivr_caller_ends.xml")
    path.write_text(template.read_text().replace("<!-- STEPS -->", "\n".join(lines)))
    return path


def replace_model(model: M, **changes: object) -> M:
    return model.model_copy(update=changes)


async def until(condition: Callable[[], bool], timeout: float, what: str = "condition") -> None:
    """Wait for a condition nothing signals (a registration, a database row), checking every 20 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not met within {timeout} s"
        await asyncio.sleep(0.02)


@dataclass
class Seen:
    """Every output the node performed, for assertions."""

    outputs: list[Output] = field(default_factory=list)

    def __call__(self, output: Output) -> None:
        self.outputs.append(output)

    def of(self, kind: type) -> list:
        return [o for o in self.outputs if isinstance(o, kind)]


@contextlib.asynccontextmanager
async def running_node(data_dir: Path, center: CenterConfig | None = None,
                       **settings: object) -> AsyncIterator[tuple[Node, Seen]]:
    center = center or demo_center()
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{data_dir / 'centralino.db'}")
    db.upgrade()
    apply_config(db, center, "test", demo=True)
    options = {"bind": "127.0.0.1", "sip_port": 0, "tcp": False, "rtp_ports": RTP_PORTS,
               "warm_prompts": False, "seed": 7, **settings}
    node = Node(center, db, data_dir, replace(NodeSettings(), **options))
    seen = Seen()
    node.listeners.append(seen)
    await node.start()
    try:
        yield node, seen
    finally:
        await node.stop()
        db.dispose()


class RtpCounter(asyncio.DatagramProtocol):
    """A UDP socket standing in for a caller's RTP port: counts what arrives, by payload type."""

    def __init__(self) -> None:
        self.packets = 0
        self.by_type: dict[int, int] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) >= 12 and data[0] >> 6 == 2:
            self.packets += 1
            pt = data[1] & 0x7F
            self.by_type[pt] = self.by_type.get(pt, 0) + 1

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls) -> AsyncIterator[RtpCounter]:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(cls, local_addr=("127.0.0.1", 0))
        protocol.transport = transport
        protocol.port = transport.get_extra_info("sockname")[1]
        try:
            yield protocol
        finally:
            transport.close()
