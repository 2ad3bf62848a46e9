"""SIPp registers against our registrar over real UDP, answering the 401 with an MD5 digest.

The registrar runs behind the real ``SipEndpoint`` (UDP transport + transaction
layer); a TU of a few lines hands REGISTERs to it, as the composition root will.
Credentials and bindings live in a real SQLite database (SqlCredentialSource,
SqlBindingStore).

SIPp 3.6 only computes MD5 and reads the first challenge of a 401, so the
challenge here offers MD5 alone (``AuthConfig(algorithms=("MD5",))``), which is
also the setting for such phones; the default SHA-256-then-MD5 offer is covered
by the unit tests.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from centralino.calls.commands import Command
from centralino.core.clock import SystemClock
from centralino.sip.auth import NonceManager
from centralino.sip.authenticator import AuthConfig, Authenticator
from centralino.sip.endpoint import SipEndpoint
from centralino.sip.message import Request
from centralino.sip.registrar import Registrar
from centralino.sip.transaction import Address, Deliver
from centralino.sip.transaction_layer import LayerOutput, TransactionLayer
from centralino.store.db import Database
from centralino.store.models import Agent, Tenant
from centralino.store.passwords import digest_ha1
from centralino.store.sip_bindings import SqlBindingStore, SqlCredentialSource
from peers import need

pytestmark = pytest.mark.peer

SCENARIOS = Path(__file__).parent / "scenarios"
REALM = "acme.example.com"


class RegistrarTU:
    """The smallest transaction user: REGISTER to the registrar, everything else ignored."""

    def __init__(self, registrar: Registrar) -> None:
        self.registrar = registrar
        self.clock = SystemClock()
        self.layer: TransactionLayer | None = None
        self.statuses: list[int] = []

    def attach(self, layer: TransactionLayer, local: Address) -> None:
        self.layer = layer

    def on_output(self, output: LayerOutput, now: float) -> Iterable[LayerOutput]:
        if not (isinstance(output, Deliver) and isinstance(output.message, Request)):
            return []
        if output.message.method != "REGISTER" or output.source is None or output.transaction is None:
            return []
        assert self.layer is not None
        response = self.registrar.handle_register(output.message, output.source, self.clock.now())
        self.registrar.flush()
        self.statuses.append(response.status)
        return self.layer.send_response(response, now, output.transaction)

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> Iterable[LayerOutput]:
        return []

    def command(self, command: Command, now: float) -> Iterable[LayerOutput]:
        return []


@pytest.fixture
def sipp() -> str:
    return need("sipp")


@pytest.fixture
def database(tmp_path: Path) -> Iterable[Database]:
    db = Database(f"sqlite:///{(tmp_path / 'centralino.db').as_posix()}")
    db.upgrade()
    with db.session() as session:
        tenant = Tenant(name="acme", sip_domain=REALM)
        session.add(tenant)
        session.flush()
        session.add(Agent(tenant_id=tenant.id, extension="1001", name="Alice", sip_realm=REALM,
                          sip_ha1_md5=digest_ha1("1001", REALM, "demo1001", "MD5"),
                          sip_ha1_sha256=digest_ha1("1001", REALM, "demo1001", "SHA-256")))
    yield db
    db.dispose()


def make_registrar(db: Database) -> tuple[Registrar, Authenticator]:
    nonces = NonceManager(os.urandom(32), SystemClock())
    auth = Authenticator(SqlCredentialSource(db), nonces, AuthConfig(algorithms=("MD5",)),
                         rng=random.Random(1))
    store = SqlBindingStore(db)
    return Registrar.from_store(store, SystemClock().now(), authenticator=auth), auth


async def run_sipp(sipp: str, scenario: str, tu: RegistrarTU) -> tuple[int, str]:
    endpoint = SipEndpoint("127.0.0.1", 0, tu, tcp=False, rng=random.Random(2))
    await endpoint.start()
    try:
        process = await asyncio.create_subprocess_exec(
            sipp, f"127.0.0.1:{endpoint.local.port}", "-sf", str(SCENARIOS / scenario), "-m", "1",
            "-i", "127.0.0.1", "-p", "0", "-timeout", "10s", "-timeout_error", "-nostdin",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode is not None
        return process.returncode, err.decode(errors="replace")
    finally:
        await endpoint.stop()


def test_sipp_registers_with_md5_digest(sipp: str, database: Database, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # SIPp writes its error log into the working directory
    registrar, _ = make_registrar(database)
    tu = RegistrarTU(registrar)
    code, err = asyncio.run(run_sipp(sipp, "register_digest.xml", tu))
    assert code == 0, err
    assert tu.statuses == [401, 200]
    (binding,) = registrar.lookup(f"1001@{REALM}")
    assert binding.source.host == "127.0.0.1" and binding.user_agent == "SIPp"
    assert binding.contact == f"sip:1001@127.0.0.1:{binding.source.port}"
    # Persisted: a registrar built from the database after a "restart" knows the phone.
    restarted, _ = make_registrar(database)
    (loaded,) = restarted.lookup(f"1001@{REALM}")
    assert (loaded.contact, loaded.source, loaded.call_id, loaded.cseq) == (
        binding.contact, binding.source, binding.call_id, 2)
    assert loaded.expires_at == pytest.approx(binding.expires_at, abs=1e-5)


def test_sipp_wrong_password_is_challenged_again(sipp: str, database: Database, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    registrar, auth = make_registrar(database)
    tu = RegistrarTU(registrar)
    code, err = asyncio.run(run_sipp(sipp, "register_wrong_password.xml", tu))
    assert code == 0, err
    assert tu.statuses == [401, 401]
    assert registrar.bindings(f"1001@{REALM}") == [] and SqlBindingStore(database).load_all() == []
    assert auth.failures("127.0.0.1") == 1
