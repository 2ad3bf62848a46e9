"""A SIPp caller walks the demo IVR (number 100) with RFC 4733 keys and lands in support.

Keys are SIPp's shipped captures (``dtmf_2833_<key>.pcap``), one ``play_pcap_audio`` per key:
2 (Polish), the account number and #, the PIN, then 1 (support). The customer is seeded in the
store with that account number and an argon2 PIN hash. The call must enter the support queue
with language pl, the IVR trace in its call record must show each step (language, lookup by
account, PIN verified with the PIN masked, menu choice, enqueue), and the node's services must
have found and verified the customer.
"""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest
from e2e_peers import running_node, sipp, until
from telephony_peers import free_rtp_port

from centralino.records.facts import IvrTraced, QueueEntered
from centralino.store.models import Customer, Tenant
from centralino.store.passwords import hash_password

pytestmark = pytest.mark.peer

PCAPS = Path("/usr/share/sip-tester")
ACCOUNT, PIN = "123456", "4321"
KEY_FILES = {"#": "pound", "*": "star"}


def restamped(source: Path, target: Path, press: int) -> Path:
    """``source`` with its RTP timestamps and sequence numbers moved on by ``press``.

    Every press of one key in SIPp's captures carries the same RTP timestamp, which RFC 4733
    receivers (ours included) take for retransmissions of one event; a phone stamps each press
    anew. The audio and events are left as captured."""
    data = bytearray(source.read_bytes())
    assert struct.unpack_from("<I", data, 20)[0] == 1, f"{source}: not an Ethernet capture"
    offset = 24
    while offset < len(data):
        length = struct.unpack_from("<I", data, offset + 8)[0]
        packet = offset + 16
        ip = packet + 14
        rtp = ip + (data[ip] & 0x0F) * 4 + 8
        seq, stamp = struct.unpack_from(">HI", data, rtp + 2)
        struct.pack_into(">HI", data, rtp + 2, (seq + 50 * press) % 65536, (stamp + 160_000 * press) % 2**32)
        struct.pack_into(">H", data, ip + (data[ip] & 0x0F) * 4 + 6, 0)  # UDP checksum: none
        offset = packet + length
    target.write_bytes(bytes(data))
    return target


def scenario(path: Path, keys: list[str]) -> Path:
    """A caller that dials [service], then presses ``keys`` ("." waits 2.5 s), then waits and hangs up."""
    steps = []
    for press, key in enumerate(keys):
        if key == ".":
            steps.append('  <pause milliseconds="2500"/>')
            continue
        name = f"dtmf_2833_{KEY_FILES.get(key, key)}.pcap"
        pcap = restamped(PCAPS / name, path.parent / f"press{press:02d}-{name}", press)
        steps.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
        steps.append('  <pause milliseconds="400"/>')
    template = (Path(__file__).parent / "scenarios" / "uac_keys.xml").read_text()
    path.write_text(template.replace("<!-- KEYS -->", "\n".join(steps)))
    return path


def test_ivr_polish_account_pin_support(tmp_path: Path, cheap_argon2: None) -> None:
    if not (PCAPS / "dtmf_2833_1.pcap").exists():
        pytest.fail("SIPp's pcap files are missing from /usr/share/sip-tester (package sip-tester)")
    keys = [".", "2", ".", *ACCOUNT, "#", ".", *PIN, ".", "1"]
    xml = scenario(tmp_path / "ivr.xml", keys)

    async def run() -> None:
        async with running_node(tmp_path / "data") as (node, seen):
            with node.db.session() as session:
                tenant = session.query(Tenant).filter_by(name="demo").one()
                session.add(Customer(tenant_id=tenant.id, name="Jan Kowalski", account_number=ACCOUNT,
                                     pin_hash=hash_password(PIN), custom={"balance": 12.5}))
            args = ["-sf", str(xml), "-s", "100", "-m", "1", "-d", "3000", "-p", "0",
                    "-mp", str(free_rtp_port()), f"127.0.0.1:{node.sip_port}"]
            result = await sipp(args, tmp_path, "caller", timeout=60)
            assert result.passed(1), result.output
            await until(lambda: bool(seen.of(IvrTraced)), 10, "the IVR trace recorded")
            with node.db.session() as session:
                customer = session.query(Customer).filter_by(account_number=ACCOUNT).one().id
        entered = seen.of(QueueEntered)
        assert [e.queue for e in entered][:1] == ["support"], entered
        assert "language pl" in entered[0].requirements and "support>=1" in entered[0].requirements
        record, _ = node.records.get(entered[0].call) or (None, None)
        assert record is not None and record.queues[:1] == ["support"]
        trace = record.ivr_trace
        steps = {s["node"]: s for s in trace["steps"]}
        text = str(trace)
        assert PIN not in text, "the PIN must be masked in the trace"
        assert steps["choose_language"]["outcome"] == "language pl"
        assert ACCOUNT in str(steps["account"]["inputs"])
        assert customer in steps["by_account"]["outcome"]
        assert "verified" in steps["pin"]["outcome"] or "ok" in steps["pin"]["outcome"], steps["pin"]
        assert "1" in str(steps["main_menu"]["inputs"])
        assert "support_queue" in steps

    asyncio.run(run())

