"""SIP bindings and digest credentials on SQLite and PostgreSQL (the shared ``db`` fixture)."""

from __future__ import annotations

import random

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from centralino.core.clock import FakeClock
from centralino.sip.auth import Challenge, Credentials, NonceManager, digest_response
from centralino.sip.authenticator import Accepted, Authenticator, Challenged
from centralino.sip.location import Binding
from centralino.sip.message import Request, Response, parse_message
from centralino.sip.registrar import Registrar
from centralino.sip.transaction import Address
from centralino.store.db import Database
from centralino.store.models import Agent, Base, Tenant
from centralino.store.passwords import digest_ha1
from centralino.store.sip_bindings import SqlBindingStore, SqlCredentialSource

SOURCE = Address("UDP", "198.51.100.20", 40312)


def register(contact: str, *, cseq: int = 1, expires: int = 600, extra: tuple[str, ...] = ()) -> Request:
    text = "\r\n".join([
        "REGISTER sip:acme.example.com SIP/2.0",
        f"Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKr{cseq}",
        "From: <sip:1001@acme.example.com>;tag=f", "To: <sip:1001@acme.example.com>",
        "Call-ID: reg-1", f"CSeq: {cseq} REGISTER", f"Contact: {contact}", f"Expires: {expires}",
        *extra, "Content-Length: 0", "", ""])
    msg = parse_message(text.encode())
    assert isinstance(msg, Request)
    return msg


def answer(challenge: Response, req: Request, password: str) -> Request:
    """``req`` with the SHA-256 answer a phone would compute from ``password``."""
    ch = Challenge.parse(challenge.headers.get_lines("www-authenticate")[0])
    key = digest_ha1("1001", ch.realm, password, ch.algorithm)
    uri = str(req.uri)
    response = digest_response(key, req.method, uri, ch.nonce, algorithm=ch.algorithm, cnonce="cn")
    creds = Credentials("1001", ch.realm, ch.nonce, uri, response, ch.algorithm, "auth", "00000001", "cn")
    return register(str(req.contact[0]), cseq=req.cseq.seq + 1, extra=(f"Authorization: {creds}",))


def binding(contact: str, *, expires_at: float = 1_700_000_600.25, cseq: int = 1) -> Binding:
    return Binding(aor="1001@acme.example.com", contact=contact, expires_at=expires_at, call_id="c@h",
                   cseq=cseq, source=SOURCE, registered_at=1_700_000_000.5, q=0.5,
                   instance='"<urn:uuid:1>"', path=("<sip:edge;lr>",), user_agent="Phone/1")


def add_tenant(db: Database, name: str, sip_domain: str | None, agents: dict[str, str]) -> str:
    realm = sip_domain or name
    with db.session() as session:
        tenant = Tenant(name=name, sip_domain=sip_domain)
        session.add(tenant)
        session.flush()
        for extension, password in agents.items():
            session.add(Agent(
                tenant_id=tenant.id, extension=extension, name=f"Agent {extension}", sip_realm=realm,
                sip_ha1_md5=digest_ha1(extension, realm, password, "MD5"),
                sip_ha1_sha256=digest_ha1(extension, realm, password, "SHA-256")))
        return tenant.id


def test_migration_creates_the_table_the_model_describes(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if "sip_bindings" in repr(d)]
    assert diffs == []
    assert "sip_bindings" in Base.metadata.tables


def test_save_load_update_delete(db: Database) -> None:
    store = SqlBindingStore(db)
    store.save(binding("sip:a@192.0.2.1"))
    store.save(binding("sip:b@192.0.2.2"))
    store.save(binding("sip:a@192.0.2.1", expires_at=1_700_000_900.0, cseq=2))  # an update, not a new row
    loaded = SqlBindingStore(db).load_all()
    updated = binding("sip:a@192.0.2.1", expires_at=1_700_000_900.0, cseq=2)
    assert loaded == [updated, binding("sip:b@192.0.2.2")]
    store.delete("1001@acme.example.com", "sip:b@192.0.2.2")
    store.delete("1001@acme.example.com", "sip:not-there@192.0.2.2")
    assert [b.contact for b in store.load_all()] == ["sip:a@192.0.2.1"]


def test_registrations_survive_a_restart(db: Database) -> None:
    clock = FakeClock()
    first = Registrar(store=SqlBindingStore(db))
    first.handle_register(register("<sip:1001@192.168.1.20:5060>"), SOURCE, clock.now())
    first.handle_register(register("<sip:1001@10.0.0.9>", expires=120, cseq=2), SOURCE, clock.now())
    assert first.flush() == 2
    clock.advance(300)
    second = Registrar.from_store(SqlBindingStore(db), clock.now())
    (survivor,) = second.lookup("1001@acme.example.com")
    assert survivor == first.bindings("1001@acme.example.com")[0] and survivor.source == SOURCE
    second.flush()  # the binding that expired during the downtime is deleted from the table
    assert [b.contact for b in SqlBindingStore(db).load_all()] == ["sip:1001@192.168.1.20:5060"]


def test_realm_for_maps_domains_to_tenants(db: Database) -> None:
    source = SqlCredentialSource(db)
    assert source.realm_for("anything", None) is None  # no tenant at all
    add_tenant(db, "acme", "acme.example.com", {"1001": "demo1001"})
    assert source.realm_for("192.0.2.1", None) == "acme.example.com"  # the only tenant
    add_tenant(db, "polska", None, {"2001": "ola"})
    assert source.realm_for("ACME.example.com", None) == "acme.example.com"
    assert source.realm_for("polska", None) == "polska"
    assert source.realm_for("192.0.2.1", None) is None  # two tenants: the IP says nothing
    assert source.realm_for("192.0.2.1", "polska") == "polska"
    assert source.realm_for("192.0.2.1", "acme.example.com") == "acme.example.com"
    assert source.realm_for("192.0.2.1", "acme") is None  # acme's realm is its domain, not its name


def test_lookup_finds_agents_by_extension_in_the_realm(db: Database) -> None:
    tenant = add_tenant(db, "acme", "acme.example.com", {"1001": "demo1001"})
    add_tenant(db, "polska", None, {"1001": "other"})
    with db.session() as session:
        session.add(Agent(tenant_id=tenant, extension="1003", name="No SIP", sip_realm="acme.example.com"))
    source = SqlCredentialSource(db)
    found = source.lookup("acme.example.com", "1001")
    assert found is not None and found.tenant == tenant
    assert found.md5 == digest_ha1("1001", "acme.example.com", "demo1001")
    assert source.lookup("polska", "1001") != found
    assert source.lookup("acme.example.com", "1003") is None  # an agent without a SIP password
    assert source.lookup("acme.example.com", "9999") is None


def test_authenticator_on_the_database(db: Database) -> None:
    add_tenant(db, "acme", "acme.example.com", {"1001": "demo1001"})
    add_tenant(db, "polska", None, {"2001": "ola"})
    clock = FakeClock()
    auth = Authenticator(SqlCredentialSource(db), NonceManager(b"k", clock), rng=random.Random(1))
    req = register("<sip:1001@192.168.1.20>")
    challenge = auth.check(req, SOURCE.host, clock.now())
    assert isinstance(challenge, Challenged)
    result = auth.check(answer(challenge.response, req, "demo1001"), SOURCE.host, clock.now())
    assert isinstance(result, Accepted) and result.user.realm == "acme.example.com"
