"""config apply with agents' ``sip_ha1``: stored as given (no plain password), idempotent, guarded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from centralino.config.model import CenterConfig
from centralino.core.errors import ConfigError
from centralino.store.apply import apply_config
from centralino.store.db import Database
from centralino.store.export import export_config
from centralino.store.models import Agent
from centralino.store.passwords import digest_ha1

pytestmark = pytest.mark.usefixtures("cheap_argon2")

DumpRows = Callable[[Database], dict[str, list[dict[str, Any]]]]
REALM = "acme.example.com"  # acme's sip_domain in DEMO_DATA


def _alice(data: dict[str, Any]) -> dict[str, Any]:
    agent: dict[str, Any] = data["tenants"][0]["agents"][0]
    assert agent["extension"] == "1001"
    return agent


def _stored(db: Database, extension: str = "1001") -> tuple[str | None, str | None, str | None]:
    with db.session() as session:
        row = session.scalars(select(Agent).where(Agent.extension == extension)).one()
        return row.sip_realm, row.sip_ha1_md5, row.sip_ha1_sha256


def test_hashes_are_stored_as_given_and_equal_those_of_the_password(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows
) -> None:
    md5 = digest_ha1("1001", REALM, "alice-sip", "MD5")
    sha256 = digest_ha1("1001", REALM, "alice-sip", "SHA-256")
    alice = _alice(demo_data)
    del alice["sip_password"]
    alice["sip_ha1"] = {"realm": REALM, "md5": md5, "sha256": sha256}
    by_hash = CenterConfig.model_validate(demo_data)
    apply_config(db, by_hash, "hashes.yaml")
    assert _stored(db) == (REALM, md5, sha256)
    before = dump_rows(db)
    assert not apply_config(db, by_hash, "hashes.yaml").changed

    del alice["sip_ha1"]
    alice["sip_password"] = "alice-sip"  # the same secret written as a password: nothing to write
    assert not apply_config(db, CenterConfig.model_validate(demo_data), "plain.yaml").changed
    assert dump_rows(db) == before
    exported = {a.extension: a for t in export_config(db).tenants for a in t.agents}
    assert exported["1001"].sip_ha1 is not None and exported["1001"].sip_ha1.md5 == md5
    assert exported["1002"].sip_ha1 is None  # Bob has a fixed contact and no secret


def test_new_hashes_replace_the_stored_ones_and_only_md5_clears_sha256(
    db: Database, demo_data: dict[str, Any]
) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    alice = _alice(demo_data)
    del alice["sip_password"]
    md5 = digest_ha1("1001", "elsewhere", "new", "MD5")
    alice["sip_ha1"] = {"realm": "elsewhere", "md5": md5}
    summary = apply_config(db, CenterConfig.model_validate(demo_data), "moved.yaml")
    assert summary.changes == ("updated agent acme/1001 (sip_ha1_md5, sip_ha1_sha256, sip_realm)",)
    assert _stored(db) == ("elsewhere", md5, None)


@pytest.mark.parametrize(
    ("secret", "words"),
    [
        ({"sip_ha1": {"realm": REALM, "md5": "0" * 31}}, "sip_ha1.md5 is not 32 lowercase hex digits"),
        ({"sip_ha1": {"realm": REALM, "sha256": "A" * 64}}, "sip_ha1.sha256 is not 64 lowercase hex digits"),
        ({"sip_ha1": {"realm": REALM}}, "sip_ha1 has neither md5 nor sha256"),
        (
            {"sip_password": "x", "sip_ha1": {"realm": REALM, "md5": "0" * 32}},
            "both sip_password and sip_ha1",
        ),
    ],
    ids=["short md5", "uppercase sha256", "no hash", "password and hash"],
)
def test_a_config_built_in_code_with_bad_hashes_writes_nothing(
    db: Database, demo_data: dict[str, Any], dump_rows: DumpRows, secret: dict[str, Any], words: str
) -> None:
    apply_config(db, CenterConfig.model_validate(demo_data), "demo.yaml")
    before = dump_rows(db)
    alice = _alice(demo_data)
    del alice["sip_password"]
    alice.update(secret)
    with pytest.raises(ConfigError) as caught:
        apply_config(db, CenterConfig.model_validate(demo_data), "bad.yaml")
    assert words in caught.value.problems[0].message and "acme/1001" in caught.value.problems[0].message
    assert dump_rows(db) == before
