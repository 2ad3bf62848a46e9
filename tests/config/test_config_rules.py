"""Rules beyond the one-mistake table: warnings, self-references, ordering, installation admins."""

from __future__ import annotations

from textwrap import dedent

import pytest

from centralino.config import check_text

TENANT = """\
tenants:
  - name: t
    skills: [{name: s}]
    agents:
      - {extension: "1001", name: A, sip_password: x}
"""

CASES = [
    ("overflow to itself", "queues: [{name: r, steps: [{after: 5, overflow_to: r}]}]",
     "error", "a queue cannot overflow to itself"),
    ("steps out of order", "queues: [{name: r, steps: [{after: 50}, {after: 10}]}]",
     "error", "increasing 'after' order"),
    ("drop a skill not required",
     "queues: [{name: r, skills: {s: 2}, steps: [{after: 5, drop_skills: [s, x]}]}]",
     "error", "'x' is not a skill this queue requires"),
    ("min level out of range", "queues: [{name: r, steps: [{after: 5, min_level: 0}]}]",
     "error", "min_level 0 is outside 1-10"),
    ("echo with a target", 'numbers: [{number: "600", route: {kind: echo, target: x}}]',
     "warning", "an echo route takes no target"),
    ("number written with spaces", 'numbers: [{number: "+48 22 123 45 67", route: {kind: echo}}]',
     "warning", "write '+48 22 123 45 67' in E.164 form"),
    ("number equal to an extension", 'numbers: [{number: "1001", route: {kind: echo}}]',
     "error", "number '1001' is also an agent extension"),
    ("overlapping intervals", 'business_hours: {o: {mon: ["08:00-12:00", "11:00-13:00"]}}',
     "warning", "overlaps another one"),
    ("past midnight", 'business_hours: {o: {mon: ["20:00-24:30"]}}',
     "error", "'20:00-24:30' goes past 24:00"),
    ("impossible closed date", "business_hours: {o: {closed_dates: [2026-02-30]}}",
     "error", "'2026-02-30' is not a date"),
    ("region without country", "business_hours: {o: {holidays_region: CA}}",
     "error", "holidays_region needs 'holidays:'"),
    ("queue language", "queues: [{name: r, language: EN}]",
     "error", "'EN' is not a language code"),
]


@pytest.mark.parametrize(("extra", "severity", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(extra: str, severity: str, message: str) -> None:
    problems = check_text(TENANT + "    " + extra + "\n")
    assert [(p.severity, p.line) for p in problems] == [(severity, 6)], problems
    assert message in problems[0].message


def test_agent_linked_twice_and_contact_uri() -> None:
    problems = check_text(dedent("""\
        tenants:
          - name: t
            agents:
              - {extension: "1001", name: A, sip_password: x, user: u}
              - {extension: "1002", name: B, contact: "phone.example.org", user: u}
            users: [{username: u, role: agent, password: x}]
        """))
    assert [(p.line, p.message) for p in problems] == [
        (5, "'phone.example.org' is not a SIP URI"),
        (5, "user 'u' is already linked to another agent (line 4)"),
    ]


def test_installation_admins_and_version() -> None:
    problems = check_text(dedent("""\
        version: 2
        installation:
          admins:
            - {username: root, role: agent, password: x}
        tenants:
          - name: t
            users: [{username: root, role: admin, password: y}]
        """))
    assert [(p.line, p.column, p.message) for p in problems] == [
        (1, 10, "file format version 2 is not supported"),
        (4, 30, "installation admins must have role 'admin'"),
        (7, 24, "username 'root' is already used (line 4)"),
    ]


def test_duplicate_tenant_and_skill() -> None:
    problems = check_text(dedent("""\
        tenants:
          - name: t
            skills: [{name: s}, {name: s}]
          - name: t
        """))
    assert [(p.line, p.message) for p in problems] == [
        (3, "skill 's' is already used (line 3)"),
        (4, "tenant name 't' is already used (line 2)"),
    ]
