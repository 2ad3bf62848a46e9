"""The ``trunks:`` section: each rule at its line:column, reported once, and the hash form round trip."""

from __future__ import annotations

import hashlib

import pytest

from centralino.config import check_text, dump, loads
from centralino.config.model import TRUNK_REALM, CenterConfig, SipHa1, Trunk

MD5 = hashlib.md5(b"in:centralino:secret").hexdigest()
SHA256 = hashlib.sha256(b"in:centralino:secret").hexdigest()


def _file(trunks: str) -> str:
    return "tenants:\n  - name: t\ntrunks:\n" + trunks


# (name, trunk lines, severity, line, column, words in the message, words in the hint)
CASES = [
    ("duplicate name", "  - {name: c, sources: [192.0.2.1]}\n  - name: c\n    sources: [192.0.2.2]\n",
     "error", 5, 11, "trunk name 'c' is already used (line 4)", "different value"),
    ("not an address", "  - name: c\n    sources: [192.0.2.1, 192.0.2.300]\n",
     "error", 5, 26, "'192.0.2.300' is not an IP address or network", "203.0.113.0/24"),
    ("prefix too long", "  - name: c\n    sources: ['2001:db8::/129']\n",
     "error", 5, 15, "'2001:db8::/129' is not an IP address or network", "2001:db8::1"),
    ("host bits set", "  - name: c\n    sources: ['192.0.2.5/24']\n",
     "warning", 5, 15, "'192.0.2.5/24' has host bits set: it means 192.0.2.0/24", "'192.0.2.0/24'"),
    ("every address", "  - name: c\n    sources: ['::/0']\n",
     "warning", 5, 15, "'::/0' admits every address as this trunk", "networks"),
    ("neither sources nor credentials", "  - name: c\n    internal: true\n",
     "error", 4, 5, "trunk 'c' has neither 'sources' nor credentials", "'username:' and 'password:'"),
    ("password and hashes", f"  - name: c\n    username: in\n    password: secret\n"
     f"    password_ha1: {{realm: centralino, md5: {MD5}}}\n",
     "error", 7, 19, "trunk 'c' has both 'password' and 'password_ha1'", "keep only one"),
    ("password without username", "  - name: c\n    password: secret\n",
     "error", 4, 5, "has a password but no 'username': digest needs username and password", "'username:'"),
    ("username without password", "  - name: c\n    username: in\n    sources: [192.0.2.1]\n",
     "error", 4, 5, "has a username but no password", "'password_ha1:'"),
    ("hashes for another realm",
     f"  - name: c\n    username: in\n    password_ha1: {{realm: acme, md5: {MD5}}}\n",
     "error", 6, 27, "made for realm 'acme', but trunks answer in realm 'centralino'", "password:"),
    ("md5 of the wrong length",
     f"  - name: c\n    username: in\n    password_ha1: {{realm: centralino, md5: {MD5[:-1]}}}\n",
     "error", 6, 44, "'md5' must be an HA1 of 32 lowercase hexadecimal digits", "'password:' instead"),
    ("sha256 in capitals",
     f"  - name: c\n    username: in\n    password_ha1: {{realm: centralino, sha256: {SHA256.upper()}}}\n",
     "error", 6, 47, "'sha256' must be an HA1 of 64", "lowercase"),
    ("a realm and no hash", "  - name: c\n    username: in\n    password_ha1: {realm: centralino}\n",
     "error", 6, 19, "'password_ha1' of trunk 'c' has neither 'md5' nor 'sha256'", "'password:' instead"),
]


@pytest.mark.parametrize(("body", "severity", "line", "column", "message", "hint"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_trunk_rule_once_at_its_line_and_column(body: str, severity: str, line: int, column: int,
                                                     message: str, hint: str) -> None:
    problems = check_text(_file(body), "center.yaml")
    assert [(p.severity, p.line, p.column) for p in problems] == [(severity, line, column)], problems
    assert message in problems[0].message and hint in (problems[0].hint or "")
    assert problems[0].file == "center.yaml"


def test_every_bad_source_is_reported_in_one_pass_beside_other_problems() -> None:
    text = _file("  - name: c\n    sources: [nowhere, 10.0.0.0/33, 192.0.2.0/24]\n  - name: d\n    x: 1\n")
    problems = check_text(text)
    assert [(p.line, p.column) for p in problems] == [(5, 15), (5, 24), (6, 5), (7, 5)], problems
    assert "trunk 'd' has neither 'sources' nor credentials" in problems[2].message
    assert "unknown key 'x'" in problems[3].message  # shape errors and rules together


def test_the_shape_is_the_model_s_and_the_rules_are_the_rules() -> None:
    # The model no longer refuses what the rules report, so a mistake gives one problem, not two.
    trunk = Trunk(name="c", sources=["not-an-address"], password="x")
    assert trunk.sources == ["not-an-address"]
    problems = check_text(_file("  - name: c\n    sources: not-a-list\n"))
    assert [(p.line, "should be a list" in p.message) for p in problems] == [(5, True)]


def test_good_trunks_load_without_a_problem() -> None:
    text = _file(
        "  - {name: carrier, sources: ['203.0.113.0/24', '2001:db8::/32', 198.51.100.7]}\n"
        "  - {name: backup, username: in, password: secret}\n"
        f"  - name: hashed\n    username: in2\n    password_ha1: {{realm: centralino, md5: {MD5}}}\n"
        "  - {name: pbx, sources: ['2001:DB8::1'], internal: true}\n"
    )
    assert check_text(text) == []
    center = loads(text)
    assert [t.name for t in center.trunks] == ["carrier", "backup", "hashed", "pbx"]
    assert center.trunks[2].password_ha1 == SipHa1(realm=TRUNK_REALM, md5=MD5)


def test_the_hash_form_dumps_and_loads_back_equal() -> None:
    center = CenterConfig(tenants=[], trunks=[
        Trunk(name="backup", username="in", password_ha1=SipHa1(realm=TRUNK_REALM, md5=MD5, sha256=SHA256)),
        Trunk(name="carrier", sources=["203.0.113.0/24"], internal=True),
    ])
    text = dump(center)
    assert "secret" not in text and MD5 in text
    assert loads(text) == center
