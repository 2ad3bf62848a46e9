"""``trunks:`` through config apply and export: one settings row per trunk, HA1s only, idempotent.

The last test closes the loop: a carrier that answers the 407 with its password is admitted by
``InviteAdmission`` built from the *exported* file, which holds the HA1s and no password.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from centralino import config
from centralino.config.model import TRUNK_REALM, CenterConfig, SipHa1
from centralino.core.clock import FakeClock
from centralino.core.errors import ConfigError
from centralino.runtime.agents import Roster
from centralino.runtime.security import Admission, InviteAdmission
from centralino.sip.auth import Challenge, Credentials, NonceManager, digest_response
from centralino.sip.authenticator import AuthConfig, Authenticator, StaticCredentials
from centralino.sip.message import Request, Response, parse_message
from centralino.sip.transaction import Address
from centralino.store.apply import apply_config
from centralino.store.db import Database
from centralino.store.export import export_config
from centralino.store.models import Setting
from centralino.store.passwords import digest_ha1

pytestmark = pytest.mark.usefixtures("cheap_argon2")

DumpRows = Callable[[Database], dict[str, list[dict[str, Any]]]]
PASSWORD = "carrier-secret-pw"
TRUNKS: list[dict[str, Any]] = [
    {"name": "carrier", "sources": ["203.0.113.0/24", "2001:db8::/32"]},
    {"name": "backup", "username": "centralino-in", "password": PASSWORD},
    {"name": "pbx", "sources": ["198.51.100.7"], "internal": True},
]


@pytest.fixture
def data(demo_data: dict[str, Any]) -> dict[str, Any]:
    demo_data["trunks"] = [dict(t) for t in TRUNKS]
    return demo_data


@contextmanager
def writes(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _stored(db: Database) -> dict[str, Any]:
    with db.session() as session:
        rows = session.scalars(select(Setting).where(Setting.key.startswith("trunks.")))
        return {row.key: row.value for row in rows}


def test_apply_stores_each_trunk_by_name_with_hashes_only(
    db: Database, data: dict[str, Any], dump_rows: DumpRows
) -> None:
    summary = apply_config(db, CenterConfig.model_validate(data), "center.yaml")
    assert summary.created["trunks"] == 3
    assert {"created trunk carrier", "created trunk backup", "created trunk pbx"} <= set(summary.changes)
    stored = _stored(db)
    assert set(stored) == {"trunks.carrier", "trunks.backup", "trunks.pbx"}
    assert stored["trunks.carrier"] == {"sources": ["203.0.113.0/24", "2001:db8::/32"], "username": None,
                                        "password_ha1": None, "internal": False}
    assert stored["trunks.backup"]["password_ha1"] == {
        "realm": TRUNK_REALM,
        "md5": digest_ha1("centralino-in", TRUNK_REALM, PASSWORD, "MD5"),
        "sha256": digest_ha1("centralino-in", TRUNK_REALM, PASSWORD, "SHA-256"),
    }
    assert PASSWORD not in repr(dump_rows(db))  # no row of any table holds the plain password


def test_a_second_apply_writes_nothing_and_the_hash_form_is_the_same_secret(
    db: Database, data: dict[str, Any], dump_rows: DumpRows
) -> None:
    apply_config(db, CenterConfig.model_validate(data), "center.yaml")
    before = dump_rows(db)
    with writes(db) as statements:
        again = apply_config(db, CenterConfig.model_validate(data), "center.yaml")
    assert statements == [] and not again.changed
    backup = data["trunks"][1]
    del backup["password"]
    backup["password_ha1"] = {"realm": TRUNK_REALM, "md5": digest_ha1("centralino-in", TRUNK_REALM, PASSWORD),
                              "sha256": digest_ha1("centralino-in", TRUNK_REALM, PASSWORD, "SHA-256")}
    assert not apply_config(db, CenterConfig.model_validate(data), "hashed.yaml").changed
    assert dump_rows(db) == before


def test_changes_update_one_trunk_and_trunks_left_out_are_deleted(db: Database, data: dict[str, Any]) -> None:
    apply_config(db, CenterConfig.model_validate(data), "center.yaml")
    data["trunks"][0]["sources"] = ["203.0.113.0/25"]
    data["trunks"][1]["password"] = "a-new-password"
    del data["trunks"][2]
    summary = apply_config(db, CenterConfig.model_validate(data), "center.yaml")
    assert (summary.updated["trunks"], summary.deleted["trunks"], summary.created["trunks"]) == (2, 1, 0)
    assert {"updated trunk carrier (sources)", "updated trunk backup (password_ha1)",
            "deleted trunk pbx"} <= set(summary.changes)
    stored = _stored(db)
    assert set(stored) == {"trunks.carrier", "trunks.backup"}
    assert stored["trunks.backup"]["password_ha1"]["md5"] == digest_ha1("centralino-in", TRUNK_REALM,
                                                                        "a-new-password")
    data["trunks"] = []
    assert apply_config(db, CenterConfig.model_validate(data), "center.yaml").deleted["trunks"] == 2
    assert _stored(db) == {}


@pytest.mark.parametrize(("trunk", "words"), [
    ({"name": "x", "sources": ["192.0.2.300"]}, "'192.0.2.300' is not an IP address or network"),
    ({"name": "x", "username": "u", "password": "p",
      "password_ha1": {"realm": TRUNK_REALM, "md5": "0" * 32}}, "both password and password_ha1"),
    ({"name": "x", "username": "u"}, "digest needs username and password"),
    ({"name": "x"}, "neither sources nor credentials"),
    ({"name": "x", "username": "u", "password_ha1": {"realm": TRUNK_REALM, "md5": "A" * 32}},
     "password_ha1.md5 is not 32 lowercase hex digits"),
], ids=["network", "password and hashes", "no password", "unreachable", "bad hash"])
def test_a_direct_caller_s_bad_trunk_is_refused_and_nothing_is_written(
    db: Database, data: dict[str, Any], dump_rows: DumpRows, trunk: dict[str, Any], words: str
) -> None:
    before = dump_rows(db)
    data["trunks"].append(trunk)
    with pytest.raises(ConfigError) as caught:
        apply_config(db, CenterConfig.model_validate(data), "code")
    assert any(words in p.message for p in caught.value.problems), caught.value.problems
    assert dump_rows(db) == before


def test_a_trunk_name_given_twice_is_refused(db: Database, data: dict[str, Any]) -> None:
    data["trunks"].append({"name": "carrier", "sources": ["192.0.2.1"]})
    with pytest.raises(ConfigError, match="duplicate trunk 'carrier'"):
        apply_config(db, CenterConfig.model_validate(data), "code")
    assert _stored(db) == {}


def test_export_writes_hashes_and_applies_back_as_a_no_op(
    db: Database, data: dict[str, Any], dump_rows: DumpRows
) -> None:
    apply_config(db, CenterConfig.model_validate(data), "center.yaml")
    before = dump_rows(db)
    exported = export_config(db)
    assert [t.name for t in exported.trunks] == ["backup", "carrier", "pbx"]
    backup = exported.trunks[0]
    assert backup.password is None and backup.username == "centralino-in"
    md5, sha256 = (digest_ha1("centralino-in", TRUNK_REALM, PASSWORD, a) for a in ("MD5", "SHA-256"))
    assert backup.password_ha1 == SipHa1(realm=TRUNK_REALM, md5=md5, sha256=sha256)
    assert exported.trunks[2].internal and exported.trunks[1].sources == ["203.0.113.0/24", "2001:db8::/32"]
    text = config.dump(exported)
    assert PASSWORD not in text and config.check_text(text, "export.yaml") == []
    assert not apply_config(db, config.loads(text, "export.yaml"), "export.yaml").changed
    assert dump_rows(db) == before


def _invite(dialled: str = "+48221234567") -> Request:
    request = parse_message(
        f"INVITE sip:{dialled}@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK7\r\n"
        "From: <sip:centralino-in@carrier.example>;tag=a\r\nTo: <sip:x@192.0.2.1>\r\nCall-ID: trunk-1\r\n"
        "CSeq: 1 INVITE\r\nContact: <sip:x@192.0.2.99>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        .encode())
    assert isinstance(request, Request)
    return request


def _answer(challenge: Response, request: Request, password: str, algorithm: str) -> Request:
    """The carrier's second INVITE, answering the 407's ``algorithm`` challenge with its password."""
    offered = [Challenge.parse(v) for v in challenge.headers.get_lines("proxy-authenticate")]
    ch = next(c for c in offered if c.algorithm == algorithm)
    key = digest_ha1("centralino-in", ch.realm, password, ch.algorithm)
    uri = str(request.uri)
    response = digest_response(key, "INVITE", uri, ch.nonce, algorithm=ch.algorithm, qop="auth",
                               nc="00000001", cnonce="c0ffee")
    again = parse_message(bytes(request))
    assert isinstance(again, Request)
    creds = Credentials("centralino-in", ch.realm, ch.nonce, uri, response, ch.algorithm, "auth", "00000001",
                        "c0ffee")
    again.headers.add("Proxy-Authorization", str(creds))
    return again


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_the_exported_file_admits_the_carrier_by_its_stored_hashes(
    db: Database, data: dict[str, Any], algorithm: str
) -> None:
    apply_config(db, CenterConfig.model_validate(data), "center.yaml")
    center = config.loads(config.dump(export_config(db)), "export.yaml")
    assert all(t.password is None for t in center.trunks)
    nonces = NonceManager(b"n" * 32, FakeClock(1_800_000_000.0))
    phones = Authenticator(StaticCredentials("acme", {}), nonces, AuthConfig())
    admission = InviteAdmission(center, Roster(center), phones, nonces)
    source, now = Address("UDP", "192.0.2.99", 5060), 1_800_000_000.0
    challenge = admission(_invite(), source, now)
    assert challenge is not None and challenge.status == 407
    wrong = admission(_answer(challenge, _invite(), "guess", algorithm), source, now)
    assert wrong is not None and wrong.status == 407
    assert admission(_answer(wrong, _invite(), PASSWORD, algorithm), source, now) is None
    assert admission.admitted["trunk-1"] == Admission("trunk", "backup", "digest")
