"""INVITE admission with SIPp: phones pass the 407 with their password, trunks by address, others 403.

The node runs the demo center without its local trunk; the only trunk is ``carrier`` at
127.0.0.2, and the public number +48221234567 goes to the echo. SIPp plays each caller:

* extension 1001 from 127.0.0.1 with the right password: 407, INVITE with credentials,
  answered, BYE (``-auth_uri``: SIPp's digest uri is otherwise host:port, not the
  Request-URI, which RFC 7616 section 3.4.6 requires and the node checks: 400);
  with a wrong password: 407, then a fresh 407, never answered;
* the carrier (SIPp bound to 127.0.0.2) to the public number: answered without a challenge;
  to the internal echo 600: 403;
* a stranger from 127.0.0.1 (caller ID +48601000001) to 600 and to the public number: 403.

And the OPTIONS keep-alive: SIPp registers 1001 (the registrar tests' scenario) and exits, so
nothing answers on its contact; with probes every second and a one-second answer timeout the
binding is marked unreachable: still bound, left out of ``lookup``, and the target resolver
refuses to ring 1001 (480), which the dial plan sees as ``Failed`` and moves on.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from e2e_peers import (
    SCENARIOS,
    SippRun,
    demo_center,
    free_udp_port,
    need,
    replace_model,
    running_node,
    sipp,
    until,
)

from centralino.config.model import CenterConfig, Route, RouteKind, Trunk
from centralino.records.facts import CallArrived
from centralino.runtime.security import Admission
from centralino.telephony import TargetUnreachable

pytestmark = pytest.mark.peer

PUBLIC = "+48221234567"
REGISTER = Path(__file__).resolve().parents[1] / "sip" / "scenarios" / "register_digest.xml"


def _center() -> CenterConfig:
    center = demo_center()
    tenant = center.tenants[0]
    numbers = [replace_model(n, route=Route(kind=RouteKind.echo)) if n.number == PUBLIC else n
               for n in tenant.numbers]
    return replace_model(center, trunks=[Trunk(name="carrier", sources=["127.0.0.2/32"])],
                         tenants=[replace_model(tenant, numbers=numbers)])


async def sipp_from(address: str, args: list[str], cwd: Path, name: str, timeout: float = 15) -> SippRun:
    """SIPp bound to ``address`` (the shared helper binds 127.0.0.1)."""
    stats = cwd / f"{name}-stats.csv"
    proc = await asyncio.create_subprocess_exec(
        need("sipp"), *args, "-i", address, "-nostdin", "-timeout", f"{int(timeout)}s", "-timeout_error",
        "-trace_stat", "-stf", str(stats), "-trace_err", "-error_file", str(cwd / f"{name}.err"),
        cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout + 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    with stats.open() as f:
        last = list(csv.DictReader(f, delimiter=";"))[-1]
    return SippRun(proc.returncode or 0, int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]),
                   out.decode(errors="replace")[-2000:])


def test_phone_digest_trunk_address_and_strangers(tmp_path: Path, cheap_argon2: None) -> None:
    async def run() -> None:
        async with running_node(tmp_path / "data", _center()) as (node, seen):
            target = f"127.0.0.1:{node.sip_port}"

            def call(scenario: str, number: str, name: str, *extra: str) -> list[str]:
                return ["-sf", str(SCENARIOS / scenario), "-s", number, "-m", "1", "-p", str(free_udp_port()),
                        *extra, target]

            phone = await sipp(call("uac_digest.xml", "600", "phone", "-au", "1001", "-ap", "demo1001",
                                    "-auth_uri", f"600@{target}", "-d", "300"), tmp_path, "phone", timeout=15)
            assert phone.passed(1), phone.output
            wrong = await sipp(call("uac_digest_wrong.xml", "600", "wrong", "-au", "1001", "-ap", "guess",
                                    "-auth_uri", f"600@{target}"),
                               tmp_path, "wrong", timeout=15)
            assert wrong.passed(1), wrong.output
            carrier = await sipp_from("127.0.0.2", call("uac_load_bye.xml", PUBLIC, "carrier", "-d", "300"),
                                      tmp_path, "carrier")
            assert carrier.passed(1), carrier.output
            for name, address, number in (("carrier-internal", "127.0.0.2", "600"),
                                          ("stranger-internal", "127.0.0.1", "600"),
                                          ("stranger-public", "127.0.0.1", PUBLIC)):
                refused = await sipp_from(address, call("uac_refused.xml", number, name), tmp_path, name)
                assert refused.passed(1), (name, refused.output)
            await node._flush()
            arrived = [(a.caller, a.dialled) for a in seen.of(CallArrived)]
            assert node.admission is not None
            admissions = set(node.admission.admitted.values())
        assert sorted(arrived) == sorted([("1001", "600"), ("+4860100" + "1", PUBLIC)]), arrived
        assert admissions == {Admission("phone", "1001", "digest"), Admission("trunk", "carrier", "address")}

    asyncio.run(run())


def test_vanished_phone_is_marked_unreachable(tmp_path: Path, cheap_argon2: None) -> None:
    async def run() -> None:
        async with running_node(tmp_path / "data", keepalive_interval=1.0, probe_timeout=1.0) as (node, _):
            assert node.registrar is not None and node.keepalive is not None and node.switch is not None
            result = await sipp(["-sf", str(REGISTER), "-m", "1", "-au", "1001", "-ap", "demo1001", "-p",
                                 str(free_udp_port()), f"127.0.0.1:{node.sip_port}"], tmp_path, "register")
            assert result.passed(1), result.output
            aor = next(a for a in node.registrar.location.aors() if a.startswith("1001@"))
            assert len(node.registrar.lookup(aor)) == 1
            await until(lambda: not node.registrar.lookup(aor), 8, "the silent phone marked unreachable")
            assert node.keepalive.sent >= 1
            assert aor in node.registrar.location.aors(), "still bound: only left out of lookup"
            with pytest.raises(TargetUnreachable) as refused:
                node.switch.resolver.resolve("1001")
            assert refused.value.code == 480

    asyncio.run(run())
