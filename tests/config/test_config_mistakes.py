"""Each kind of mistake in a configuration file gives its own message at the right line:column."""

from __future__ import annotations

from textwrap import dedent

import pytest

from centralino.config import check_text, loads
from centralino.core.errors import ConfigError, Problem

# (name, yaml, line, column, words in the message, words in the hint or None)
CASES = [
    ("unknown key with suggestion", """\
        tenants:
          - name: t
            queues:
              - name: q
                stratgy: ring-all
        """, 5, 9, "unknown key 'stratgy'", "did you mean 'strategy'?"),
    ("missing required key", """\
        tenants:
          - name: t
            numbers:
              - number: "100"
                name: no route
        """, 4, 9, "missing required key 'route'", "add 'route:'"),
    ("enum value with suggestion", """\
        tenants:
          - name: t
            queues:
              - name: q
                strategy: longest_idle
        """, 5, 19, "'longest_idle' is not a valid strategy", "did you mean 'longest-idle'?"),
    ("interval pattern", """\
        tenants:
          - name: t
            business_hours:
              office:
                mon: ["8-12"]
        """, 5, 15, "'8-12' is not a valid mon", "HH:MM-HH:MM"),
    ("name pattern", """\
        tenants:
          - name: Support Team
        """, 2, 11, "'Support Team' is not a valid name", "lowercase"),
    ("number out of bounds", """\
        tenants:
          - name: t
            queues:
              - name: q
                ring_timeout: 0
        """, 5, 23, "'ring_timeout' is 0, it must be more than 0", None),
    ("text where a number is expected", """\
        tenants:
          - name: t
            queues:
              - name: q
                max_callers: lots
        """, 5, 22, "'max_callers' should be a whole number", None),
    ("duplicate queue", """\
        tenants:
          - name: t
            queues:
              - name: q
              - name: q
        """, 5, 15, "queue 'q' is already used (line 4)", None),
    ("invalid E.164 number", """\
        tenants:
          - name: t
            numbers:
              - number: "+4812"
                route: {kind: echo}
        """, 4, 17, "'+4812' is not a valid phone number", "country code"),
    ("not a phone number at all", """\
        tenants:
          - name: t
            numbers:
              - number: call-me
                route: {kind: echo}
        """, 4, 17, "'call-me' is not a phone number", "E.164"),
    ("unknown time zone", """\
        tenants:
          - name: t
            time_zone: Europe/Warsow
        """, 3, 16, "'Europe/Warsow' is not a time zone", "IANA"),
    ("unknown holiday country", """\
        tenants:
          - name: t
            business_hours:
              office:
                holidays: XX
        """, 5, 19, "no holiday calendar for country 'XX'", None),
    ("unknown holiday region", """\
        tenants:
          - name: t
            business_hours:
              office:
                holidays: US
                holidays_region: ZZ
        """, 6, 26, "'ZZ' is not a region of US", "known:"),
    ("hours not defined", """\
        tenants:
          - name: t
            numbers:
              - number: "100"
                hours: office
                route: {kind: echo}
        """, 5, 16, "unknown business-hours set 'office'", "business_hours"),
    ("interval ends before it starts", """\
        tenants:
          - name: t
            business_hours:
              office:
                fri: ["08:00-12:00", "18:00-08:00"]
        """, 5, 30, "'18:00-08:00' ends before it starts", "split a night shift"),
    ("route to unknown queue", """\
        tenants:
          - name: t
            queues: [{name: support}]
            numbers:
              - number: "200"
                route: {kind: queue, target: suport}
        """, 6, 38, "unknown queue 'suport'", "did you mean 'support'?"),
    ("route to unknown agent", """\
        tenants:
          - name: t
            numbers:
              - number: "300"
                route: {kind: agent, target: "1001"}
        """, 5, 38, "unknown agent extension '1001'", None),
    ("route without target", """\
        tenants:
          - name: t
            numbers:
              - number: "300"
                route: {kind: ivr}
        """, 5, 16, "a 'ivr' route needs a target", "IVR flow name"),
    ("agent in unknown queue", """\
        tenants:
          - name: t
            agents:
              - extension: "1001"
                name: A
                sip_password: x
                queues: [sales]
        """, 7, 18, "unknown queue 'sales'", None),
    ("agent with unknown skill", """\
        tenants:
          - name: t
            skills: [{name: billing}]
            agents:
              - extension: "1001"
                name: A
                sip_password: x
                skills: [{name: biling, level: 3}]
        """, 8, 25, "unknown skill 'biling'", "did you mean 'billing'?"),
    ("queue requiring unknown skill", """\
        tenants:
          - name: t
            queues:
              - name: q
                skills: {french: 3}
        """, 5, 18, "unknown skill 'french'", None),
    ("overflow to unknown queue", """\
        tenants:
          - name: t
            queues:
              - name: q
                steps:
                  - after: 60
                    overflow_to: elsewhere
        """, 7, 26, "unknown queue 'elsewhere'", None),
    ("agent without password or contact", """\
        tenants:
          - name: t
            agents:
              - extension: "1001"
                name: A
        """, 4, 9, "agent 1001 has neither 'sip_password' nor 'contact'", None),
    ("agent linked to unknown user", """\
        tenants:
          - name: t
            agents:
              - {extension: "1001", name: A, sip_password: x, user: bob}
        """, 4, 61, "unknown user 'bob'", None),
    ("agent linked to a supervisor", """\
        tenants:
          - name: t
            agents:
              - {extension: "1001", name: A, sip_password: x, user: boss}
            users:
              - {username: boss, role: supervisor, password: x}
        """, 4, 61, "user 'boss' has role 'supervisor', not 'agent'", None),
    ("user with password and hash", """\
        tenants:
          - name: t
            users:
              - username: u
                role: admin
                password: x
                password_hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
        """, 7, 24, "user 'u' has both a password and a hash", "keep only one"),
    ("password hash not argon2", """\
        tenants:
          - name: t
            users:
              - {username: u, role: admin, password_hash: "5f4dcc3b5aa765d61d8327deb882cf99"}
        """, 4, 51, "password_hash is not an argon2 hash", None),
    ("language code", """\
        tenants:
          - name: t
            agents:
              - extension: "1001"
                name: A
                sip_password: x
                languages: [en, english]
        """, 7, 25, "'english' is not a language code", "ISO 639-1"),
    ("recording over 100%", """\
        tenants:
          - name: t
            recording: 150%
        """, 3, 16, "recording 150% is more than every call", None),
    ("country code", """\
        tenants:
          - name: t
            country: Poland
        """, 3, 14, "'Poland' is not a country code", None),
    ("duplicate username across tenants", """\
        tenants:
          - name: a
            users: [{username: sam, role: admin, password: x}]
          - name: b
            users: [{username: sam, role: admin, password: x}]
        """, 5, 24, "username 'sam' is already used (line 3)", None),
    ("duplicate number across tenants", """\
        tenants:
          - name: a
            numbers: [{number: "+48221234567", route: {kind: echo}}]
          - name: b
            numbers: [{number: "+48221234567", route: {kind: echo}}]
        """, 5, 24, "number '+48221234567' is already used (line 3)", None),
    ("duplicate extension", """\
        tenants:
          - name: t
            agents:
              - {extension: "1001", name: A, sip_password: x}
              - {extension: "1001", name: B, sip_password: y}
        """, 5, 21, "extension '1001' is already used (line 4)", None),
    ("duplicate key", """\
        tenants:
          - name: t
            time_zone: UTC
            country: PL
            time_zone: Europe/Rome
        """, 5, 5, "duplicate key 'time_zone' (first written on line 3)", "merge the two"),
    ("yaml syntax error", """\
        tenants:
          - name: t
            queues: [q1, q2
            agents: []
        """, 4, 11, "started at line 3, column 13", "indentation"),
    ("skill written as a list", """\
        tenants:
          - name: t
            skills: [{name: s}]
            agents:
              - {extension: "1001", name: A, sip_password: x, skills: [[s, 3]]}
        """, 5, 64, "a list is not allowed here", "{name: ..., level: 5}"),
]


def problems_of(text: str) -> list[Problem]:
    return check_text(dedent(text), "centre.yaml")


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_mistake_is_reported_at_its_place(text: str, line: int, column: int, message: str,
                                          hint: str | None) -> None:
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert (problem.file, problem.line, problem.column) == ("centre.yaml", line, column), str(problem)
    assert message in problem.message
    if hint is not None:
        assert problem.hint is not None and hint in problem.hint
    assert problem.severity == "error"


def test_there_are_many_distinct_kinds_of_mistakes() -> None:
    assert len({case[4] for case in CASES}) >= 12


def test_every_mistake_in_one_file_is_reported_in_file_order() -> None:
    text = """\
        tenants:
          - name: t
            time_zone: Mars/Olympus
            queues:
              - name: q
                strategy: fastest
                skills: {magic: 5}
            agents:
              - extension: "12345678901"
                name: A
                sip_password: x
                queues: [nowhere]
            numbers:
              - number: "+1"
                route: {kind: queue, target: q}
        """
    problems = problems_of(text)
    located = [(p.line, p.column) for p in problems]
    assert located == sorted(located)
    found = {(p.line, p.message) for p in problems}
    assert (3, "'Mars/Olympus' is not a time zone") in found
    assert (6, "'fastest' is not a valid strategy") in found
    assert (7, "unknown skill 'magic'") in found
    assert (9, "'12345678901' is not a valid extension") in found
    assert (12, "unknown queue 'nowhere'") in found
    assert (14, "'+1' is not a valid phone number") in found
    assert len(problems) == 6
    with pytest.raises(ConfigError) as raised:
        loads(dedent(text), "centre.yaml")
    assert raised.value.problems == problems
    assert str(raised.value).splitlines()[0].startswith("centre.yaml:3:16: 'Mars/Olympus' is not a time zone")


def test_user_without_password_is_a_warning_and_still_loads() -> None:
    text = """\
        tenants:
          - name: t
            users:
              - {username: u, role: admin}
        """
    [problem] = problems_of(text)
    assert problem.severity == "warning"
    assert "cannot log in" in problem.message
    assert str(problem).startswith("centre.yaml:4:9: warning: ")
    assert loads(dedent(text)).tenants[0].users[0].username == "u"


def test_yaml_scalars_stay_text_where_text_is_expected() -> None:
    config = loads(dedent("""\
        tenants:
          - name: t
            business_hours:
              office: {holidays: "NO"}
              norway: {holidays: NO}
            numbers:
              - {number: 0100, route: {kind: echo}}
              - {number: +48221234567, route: {kind: echo}}
        """))
    tenant = config.tenants[0]
    assert tenant.business_hours["norway"].holidays == "NO"
    assert [n.number for n in tenant.numbers] == ["0100", "+48221234567"]


def test_merge_keys_are_expanded_and_explicit_keys_win() -> None:
    config = loads(dedent("""\
        tenants:
          - name: t
            business_hours:
              base: &base {mon: ["08:00-18:00"], tue: ["08:00-18:00"]}
              short:
                <<: *base
                tue: ["08:00-12:00"]
        """))
    short = config.tenants[0].business_hours["short"]
    assert short.mon == ["08:00-18:00"]
    assert short.tue == ["08:00-12:00"]


def test_top_level_must_be_a_mapping() -> None:
    [problem] = check_text("- just\n- a list\n", "x.yaml")
    assert (problem.line, problem.column) == (1, 1)
    assert "must be a mapping" in problem.message


def test_empty_file_warns_that_there_is_no_tenant() -> None:
    [problem] = check_text("", "x.yaml")
    assert problem.severity == "warning"
    assert "no tenant" in problem.message
