"""SIPp callers walk the demo IVR (flow ``main`` of number 100) down its other paths, with real
RFC 4733 keys (SIPp's ``dtmf_2833_*.pcap``, re-stamped per press) and real audio (``g711a.pcap``).

``tests/e2e/test_e2e_ivr.py`` covers Polish → account + PIN → support. Here:

* closed hours → the ``closed`` announcement → voicemail: the caller speaks and hangs up, the
  message is a WAV in the data directory and a voicemail in the call record;
* Spanish, the supervisor's notice (``announcement``), a customer known by caller ID and PIN →
  billing: verified, so the balance is read out (``branch`` → ``readout``) before the queue;
* German, an unknown account → ``unidentified`` → an invalid menu key, then sales (3);
* English → support, answered by baresip as agent 1001, who hangs up first: the caller answers
  the two-question survey with keys, the answers are stored with the call;
* Italian → support, where nobody answers: the callback offer (after 1 s here, 60 s in the
  demo), key 1 → a callback queued in the caller's place, the caller thanked and hung up.

Each call's end is asserted on what the node performed (``node.listeners``) and on the call
record in its database (``node.records``). The callers' keys are timed: a key is lost only
while a prompt that cannot be interrupted plays (``closed``, ``account_unknown``, the balance)
or while the caller is queued or talking, and the pauses leave about 1.5 s of margin there.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e_peers import (
    PCAPS,
    Step,
    baresip_config,
    demo_center,
    free_udp_port,
    ivr_scenario,
    need,
    process,
    replace_model,
    running_node,
    sine_wav,
    sipp,
    until,
)
from telephony_peers import free_rtp_port

from centralino.acd.agent_states import AgentState
from centralino.calls.commands import Hangup, Play, Ring
from centralino.config.model import BusinessHours, CenterConfig
from centralino.dialplan.inputs import AnnouncementSet
from centralino.records.cdr import CallRecord
from centralino.records.facts import (
    CallbackQueued,
    CallConnected,
    CallFinished,
    QueueEntered,
    SurveyAnswered,
)
from centralino.runtime import Node
from centralino.store.models import Customer, CustomerPhone, Tenant
from centralino.store.passwords import hash_password

pytestmark = pytest.mark.peer

CALLER = "+48601000001"  # the scenarios' From
PIN = "4321"
AUDIO = PCAPS / "g711a.pcap"
NOTICE = "Hoy cerramos antes."


@pytest.fixture(autouse=True)
def sipp_captures() -> None:
    if not (PCAPS / "dtmf_2833_1.pcap").exists() or not AUDIO.exists():
        pytest.fail("SIPp's pcap files are missing from /usr/share/sip-tester (package sip-tester)")


def with_flow(center: CenterConfig, change: dict[str, dict[str, Any]],
              **tenant_changes: Any) -> CenterConfig:
    """The demo center with nodes of flow ``main`` changed (node -> fields) and tenant fields replaced."""
    tenant = center.tenants[0]
    flows = copy.deepcopy(tenant.flows)
    for node, fields in change.items():
        flows["main"]["nodes"][node].update(fields)
    tenant = replace_model(tenant, flows=flows, **tenant_changes)
    return replace_model(center, tenants=[tenant, *center.tenants[1:]])


def seed_customer(node: Node, balance: float | None = None) -> str:
    """A customer known by the callers' number, PIN 4321; returns its id."""
    with node.db.session() as session:
        tenant = session.query(Tenant).filter_by(name="demo").one()
        custom = {} if balance is None else {"balance": balance, "currency": "EUR"}
        customer = Customer(tenant_id=tenant.id, name="Ana Pérez", account_number="765432",
                            pin_hash=hash_password(PIN), custom=custom)
        session.add(customer)
        session.flush()
        session.add(CustomerPhone(customer_id=customer.id, tenant_id=tenant.id, number=CALLER))
        return customer.id


async def call(node: Node, tmp_path: Path, steps: list[Step], center_ends: bool = False) -> None:
    xml = ivr_scenario(tmp_path / "caller.xml", steps, center_ends)
    result = await sipp(["-sf", str(xml), "-s", "100", "-m", "1", "-p", "0", "-mp", str(free_rtp_port()),
                         f"127.0.0.1:{node.sip_port}"], tmp_path, "caller", timeout=30)
    assert result.passed(1), result.output


async def finished_record(node: Node, seen: Any) -> CallRecord:
    """The call's record once its ``CallFinished`` is committed (facts are committed before listeners)."""
    await until(lambda: bool(seen.of(CallFinished)), 10, "the call finished")
    found = node.records.get(seen.of(CallFinished)[0].call)
    assert found is not None
    return found[0]


def steps_of(record: CallRecord) -> dict[str, dict[str, Any]]:
    return {s["node"]: s for s in record.ivr_trace["steps"]}


def test_closed_number_takes_a_voicemail(tmp_path: Path) -> None:
    center = demo_center()
    tenant = center.tenants[0]
    numbers = [replace_model(n, hours="never") if n.number == "100" else n for n in tenant.numbers]
    hours = {**tenant.business_hours, "never": BusinessHours()}  # no day has hours: closed at any time
    center = with_flow(center, {}, numbers=numbers, business_hours=hours)

    async def run() -> CallRecord:
        async with running_node(tmp_path / "data", center) as (node, seen):
            # English; "closed" and "leave a message" play (about 4 s with the beep), then 3 s of speech.
            await call(node, tmp_path, [0.5, "1", 6.0, (AUDIO, 2.5)])
            call_id = (await finished_record(node, seen)).id

            def stored() -> CallRecord | None:
                found = node.records.get(call_id)
                return found[0] if found is not None and found[0].voicemail is not None else None

            await until(lambda: stored() is not None, 10, "the voicemail in the call record")
            record = stored()
            assert record is not None
            return record

    record = asyncio.run(run())
    steps = steps_of(record)
    assert steps["hours"]["outcome"] == "closed", steps["hours"]
    assert "closed" in steps and "welcome" not in steps
    assert "voicemail" in steps and record.ivr_trace["outcome"] == "caller hung up in voicemail"
    assert record.queues == [] and record.hung_up_by == "caller"
    voicemail = record.voicemail
    assert voicemail is not None and voicemail["mailbox"] == "demo"
    path = tmp_path / "data" / voicemail["file"]
    assert path.is_file(), voicemail
    assert hashlib.sha256(path.read_bytes()).hexdigest() == voicemail["sha256"]
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 8000)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64)
    assert 1.0 < len(samples) / 8000 < 6.0, len(samples) / 8000
    assert abs(voicemail["seconds"] - len(samples) / 8000) < 0.5, voicemail
    assert np.sqrt(np.mean(samples**2)) > 300, "the message holds the caller's speech, not silence"


def test_spanish_verified_caller_hears_notice_and_balance_then_billing(tmp_path: Path,
                                                                      cheap_argon2: None) -> None:
    async def run() -> tuple[CallRecord, Any, str]:
        async with running_node(tmp_path / "data") as (node, seen):
            customer = seed_customer(node, balance=12.5)
            node.submit(AnnouncementSet(at=node.clock.now(), tenant="demo", number="100", text=NOTICE))
            # 4 Español; welcome and the supervisor's notice (about 5 s); PIN; 2 billing; the balance.
            await call(node, tmp_path, [0.5, "4", 6.0, *PIN, "2", 6.0])
            return await finished_record(node, seen), seen, customer

    record, seen, customer = asyncio.run(run())
    entered = seen.of(QueueEntered)
    assert [e.queue for e in entered][:1] == ["billing"], entered
    assert "language es" in entered[0].requirements
    steps = steps_of(record)
    assert steps["choose_language"]["outcome"] == "language es"
    assert steps["outage"]["outcome"] == "played"
    assert customer in steps["by_caller_id"]["outcome"]
    assert "verified" in steps["pin"]["outcome"]
    assert PIN not in str(record.ivr_trace)
    assert steps["main_menu"]["inputs"] == ["2"]
    assert "balance" in steps["billing"]["outcome"]
    spoken = [p for play in seen.of(Play) for p in play.prompts]
    assert f"tts:es:{NOTICE}" in spoken and "say:es:currency:12.50:EUR" in spoken, spoken
    assert record.queues[:1] == ["billing"]


def test_german_unknown_account_invalid_key_then_sales(tmp_path: Path) -> None:
    async def run() -> tuple[CallRecord, Any]:
        async with running_node(tmp_path / "data") as (node, seen):
            # 5 Deutsch; an account nobody has; "account unknown" plays; 9 (no such choice), then 3.
            await call(node, tmp_path, [0.5, "5", *"999999", "#", 4.0, "9", 0.5, "3", 1.0])
            return await finished_record(node, seen), seen

    record, seen = asyncio.run(run())
    entered = seen.of(QueueEntered)
    assert [e.queue for e in entered][:1] == ["sales"], entered
    assert "language de" in entered[0].requirements
    steps = steps_of(record)
    assert steps["choose_language"]["outcome"] == "language de"
    assert steps["by_account"]["outcome"] == "not found"
    assert "unknown_account" in steps and "unidentified" in steps and "pin" not in steps
    assert steps["main_menu"]["inputs"] == ["9", "3"], steps["main_menu"]
    assert record.queues[:1] == ["sales"]


def test_survey_after_the_agent_hangs_up(tmp_path: Path, cheap_argon2: None) -> None:
    binary = need("baresip")
    source = sine_wav(tmp_path / "agent.wav", 600.0, 30, 0.3)

    async def run() -> tuple[CallRecord, Any]:
        async with running_node(tmp_path / "data", auto_login_on_register=True) as (node, seen):
            seed_customer(node)
            account = (f'<sip:1001@127.0.0.1>;auth_pass=demo1001;outbound="sip:127.0.0.1:{node.sip_port}"'
                       ";regint=300;answermode=auto")
            phone = baresip_config(tmp_path / "agent", free_udp_port(), source, account)
            async with process(binary, "-f", str(phone), cwd=tmp_path, log=tmp_path / "baresip.log"):
                await until(lambda: node.plan.agent_state("demo", "1001") is AgentState.available, 10,
                            "1001 registered and logged in")
                # 1 English, PIN, 1 support; 1001 answers and hangs up; satisfaction 4, solved 1.
                caller = asyncio.create_task(call(node, tmp_path, [0.5, "1", *PIN, "1", 3.5, "4", 0.5, "1"],
                                                  center_ends=True))
                await until(lambda: bool(seen.of(CallConnected)), 10, "1001 answered")
                await asyncio.sleep(1.0)  # a second of talk, then the agent hangs up first
                node.switch_command(Hangup(leg=seen.of(Ring)[0].leg))
                await caller
            return await finished_record(node, seen), seen

    record, seen = asyncio.run(run())
    answers = [(a.question, a.answer) for a in seen.of(SurveyAnswered)]
    assert answers == [("satisfaction", "4"), ("solved", "1")], answers
    assert [(s["survey"], s["question"], s["answer"]) for s in record.survey] == [
        ("satisfaction", "satisfaction", "4"), ("satisfaction", "solved", "1")]
    assert record.agent == "1001" and record.queues == ["support"] and record.talk > 0.5, record
    steps = steps_of(record)
    assert steps["survey"]["inputs"] == ["satisfaction=4", "solved=1"], steps["survey"]
    assert record.hung_up_by == "system", record.hung_up_by


def test_callback_offer_while_queued(tmp_path: Path, cheap_argon2: None) -> None:
    offer = {"after": 1, "prompt": ["callback_offer"], "accepted": "callback_thanks"}
    center = with_flow(demo_center(join_when_empty=True), {"support_queue": {"callback": offer}})

    async def run() -> tuple[CallRecord, Any, list[str]]:
        async with running_node(tmp_path / "data", center) as (node, seen):
            seed_customer(node)
            # 3 Italiano, PIN, 1 support; nobody is logged in; the offer after 1 s; 1 accepts it.
            await call(node, tmp_path, [0.5, "3", *PIN, "1", 3.0, "1"], center_ends=True)
            record = await finished_record(node, seen)
            return record, seen, node.plan.engine("demo").waiting("support")

    record, seen, waiting = asyncio.run(run())
    queued = seen.of(CallbackQueued)
    assert [(q.queue, q.number) for q in queued] == [("support", CALLER)], queued
    assert record.callback is not None and record.callback["queue"] == "support"
    assert record.callback["number"] == CALLER
    assert waiting == [record.id], "the callback keeps the caller's place in the support queue"
    steps = steps_of(record)
    assert "callback requested" in str(steps["support_queue"]), steps["support_queue"]
    assert "callback_thanks" in steps
    entered = seen.of(QueueEntered)
    assert "language it" in entered[0].requirements
