"""Agents' SIP secrets as digest HA1s (``sip_ha1``): each rule at its line:column, and the round trip."""

from __future__ import annotations

import hashlib
from textwrap import dedent

import pytest

from centralino.config import SipHa1, check_text, dump, loads

MD5 = hashlib.md5(b"1001:t:secret").hexdigest()
SHA256 = hashlib.sha256(b"1001:t:secret").hexdigest()


def _agent(body: str, tenant: str = "    - name: t\n") -> str:
    return "tenants:\n" + tenant + "      agents:\n        - extension: '1001'\n          name: A\n" + body


# (name, agent lines, severity, line, column, words in the message, words in the hint)
CASES = [
    ("no secret and no contact", "          languages: [en]\n",
     "error", 4, 11, "agent 1001 has neither 'sip_password' nor 'contact' nor 'sip_ha1'", "'sip_ha1:'"),
    ("password and hashes", f"          sip_password: secret\n          sip_ha1: {{realm: t, md5: {MD5}}}\n",
     "error", 7, 20, "has both 'sip_password' and 'sip_ha1'", "keep only one"),
    ("md5 of the wrong length", f"          sip_ha1: {{realm: t, md5: {MD5[:-1]}}}\n",
     "error", 6, 36, "'md5' must be an HA1 of 32 lowercase hexadecimal digits", "it has 31 characters"),
    ("sha256 in capitals",
     f"          sip_ha1:\n            realm: t\n            sha256: {SHA256.upper()}\n",
     "error", 8, 21, "'sha256' must be an HA1 of 64 lowercase hexadecimal digits", "lowercase"),
    ("sha256 not hexadecimal", f"          sip_ha1: {{realm: t, sha256: {'g' * 64}}}\n",
     "error", 6, 39, "'sha256' must be an HA1 of 64", "it has 64 characters"),
    ("a realm and no hash", "          sip_ha1: {realm: t}\n",
     "error", 6, 20, "'sip_ha1' of agent 1001 has neither 'md5' nor 'sha256'", "'sip_password:' instead"),
    ("made for another realm", f"          sip_ha1: {{realm: old.example.com, md5: {MD5}}}\n",
     "warning", 6, 28, "made for realm 'old.example.com', but this tenant's realm is 't'",
     "'sip_domain: old.example.com'"),
]


@pytest.mark.parametrize(("body", "severity", "line", "column", "message", "hint"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_sip_ha1_rule_at_its_line_and_column(body: str, severity: str, line: int, column: int,
                                                  message: str, hint: str) -> None:
    problems = check_text(_agent(body), "center.yaml")
    assert [(p.severity, p.line, p.column) for p in problems] == [(severity, line, column)], problems
    assert message in problems[0].message and hint in (problems[0].hint or "")
    assert problems[0].file == "center.yaml"


def test_the_realm_is_required() -> None:
    problems = check_text(_agent(f"          sip_ha1: {{md5: {MD5}}}\n"))
    assert [(p.line, p.column) for p in problems] == [(6, 20)]
    assert "missing required key 'realm'" in problems[0].message


def test_hashes_for_the_tenant_realm_load_and_sip_domain_is_that_realm() -> None:
    good = f"          sip_ha1: {{realm: t, md5: {MD5}, sha256: {SHA256}}}\n"
    assert check_text(_agent(good)) == []
    domain = "    - name: t\n      sip_domain: sip.t.example\n"
    moved = check_text(_agent(good, domain))
    assert [(p.severity, p.line, "'sip.t.example'" in p.message) for p in moved] == [("warning", 7, True)]
    config = loads(_agent(f"          sip_ha1: {{realm: sip.t.example, md5: {MD5}}}\n", domain))
    assert config.tenants[0].agents[0].sip_ha1 == SipHa1(realm="sip.t.example", md5=MD5)


def test_hex_digits_only_are_kept_as_text() -> None:
    digits = "1" * 32  # YAML would read an unquoted run of digits as an integer
    config = loads(_agent(f"          sip_ha1: {{realm: t, md5: {digits}}}\n"))
    assert config.tenants[0].agents[0].sip_ha1 == SipHa1(realm="t", md5=digits)


def test_dump_writes_sip_ha1_that_loads_back() -> None:
    config = loads(_agent(f"          sip_ha1: {{realm: t, md5: {MD5}, sha256: {SHA256}}}\n"))
    text = dump(config)
    assert f"md5: {MD5}" in text and "sip_password" not in text
    assert check_text(text) == [] and loads(text) == config


def test_mistakes_come_in_file_order_with_the_others() -> None:
    problems = check_text(dedent(f"""\
        tenants:
          - name: t
            agents:
              - {{extension: "1001", name: A, sip_ha1: {{realm: t, md5: x}}}}
              - {{extension: "1002", name: B, sip_password: p, sip_ha1: {{realm: u, md5: {MD5}}}}}
              - {{extension: "1003", name: C, contact: phone.example.org}}
        """))
    assert [(p.line, p.severity) for p in problems] == [
        (4, "error"), (5, "error"), (5, "warning"), (6, "error")
    ], problems
