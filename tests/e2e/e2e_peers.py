"""Helpers for the end-to-end tests: a running ``Node`` on the demo center, an RTP counter, waits.

The SIPp/baresip process helpers are the telephony tests' (``tests/telephony/telephony_peers.py``),
imported from here so both suites start peers the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    "SCENARIOS", "RtpCounter", "SippRun", "baresip_config", "demo_center", "free_udp_port", "heard", "need",
    "process", "running_node", "sine_wav", "sipp", "tone", "until",
]

SCENARIOS = Path(__file__).parent / "scenarios"
RTP_PORTS = (34000, 35998)


def demo_center(**queue_changes: object) -> CenterConfig:
    """The demo center with every number always open (the IVR's office hours would make the
    tests depend on the time of day) and, optionally, the support queue changed."""
    center = config.load(None)
    tenant = center.tenants[0]
    numbers = [replace_model(n, hours=None) for n in tenant.numbers]
    queues = [replace_model(q, **queue_changes) if q.name == "support" else q for q in tenant.queues]
    return replace_model(center, tenants=[replace_model(tenant, numbers=numbers, queues=queues)])


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
