"""The public API: the demo file, load/check of files, dump -> load round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from centralino.config import (
    DEMO_CONFIG,
    AgentSkill,
    CenterConfig,
    QueueMembership,
    Tenant,
    check,
    check_config,
    dump,
    load,
    loads,
)
from centralino.core.errors import ConfigError


def test_demo_file_loads_without_any_problem() -> None:
    assert DEMO_CONFIG.name == "demo.yaml" and DEMO_CONFIG.is_file()
    assert check(DEMO_CONFIG) == []
    assert check(None) == []
    config = load()
    assert config == load(DEMO_CONFIG)
    demo, acme = config.tenants
    assert (demo.name, demo.country, demo.time_zone) == ("demo", "PL", "Europe/Warsaw")
    assert [a.extension for a in demo.agents] == [str(n) for n in range(1001, 1011)]
    assert [a.sip_password for a in demo.agents] == [f"demo{n}" for n in range(1001, 1011)]
    assert {lang for a in demo.agents for lang in a.languages} == {"en", "pl", "it", "es", "de", "sq"}
    assert {a.tier.value for a in demo.agents} == {"L1", "L2"}
    assert {a.user: a.extension for a in demo.agents}["agent10"] == "1010"
    users = {u.username: (u.role.value, u.password) for u in demo.users}
    assert users["admin"] == ("admin", "admin")
    assert users["supervisor"] == ("supervisor", "supervisor")
    assert all(users[f"agent{n}"] == ("agent", f"agent{n}") for n in range(1, 11))
    routes = {n.number: (n.route.kind.value, n.route.target) for n in demo.numbers}
    assert routes["100"] == ("ivr", "main")
    assert routes["200"] == ("queue", "support")
    assert routes["600"] == ("echo", None)
    support = next(q for q in demo.queues if q.name == "support")
    steps = [(s.after, s.min_level, s.overflow_to) for s in support.steps]
    assert steps == [(30, 1, None), (90, None, "billing")]
    assert [a.extension for a in acme.agents] == ["2001"]
    assert {u.username for u in acme.users} == {"acme-supervisor", "acme-agent"}


def test_check_config_of_a_valid_model_is_empty_and_finds_rule_errors() -> None:
    assert check_config(load()) == []
    broken = CenterConfig(tenants=[Tenant(name="t", time_zone="Nowhere/City")])
    [problem] = check_config(broken)
    assert problem.path == "tenants[0].time_zone"
    assert problem.line is None


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    [problem] = check(missing)
    assert problem.file == str(missing)
    assert problem.message == "file not found"
    with pytest.raises(ConfigError) as raised:
        load(missing)
    assert raised.value.problems == [problem]


def test_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "center.yaml"
    path.write_text("tenants:\n  - name: t\n    colour: blue\n", encoding="utf-8")
    [problem] = check(path)
    assert str(problem).startswith(f"{path}:3:5: unknown key 'colour'")


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("tenants:\n  - name: caf\xe9\n".encode("latin-1"))
    [problem] = check(path)
    assert "not UTF-8" in problem.message


def test_dump_of_demo_loads_back_equal() -> None:
    config = load()
    text = dump(config)
    assert text.startswith("version: 1\n")
    assert loads(text, "export.yaml") == config


def test_dump_round_trips_tricky_values() -> None:
    config = CenterConfig.model_validate({
        "tenants": [{
            "name": "t",
            "business_hours": {"no": {"holidays": "NO", "closed_dates": ["2026-05-17"]}},
            "numbers": [{"number": "0100", "route": {"kind": "echo"}},
                        {"number": "+48221234567", "hours": "no", "route": {"kind": "echo"}}],
            "skills": [{"name": "on"}, {"name": "yes"}],
            "queues": [{"name": "q", "skills": {"on": 2}, "steps": [{"after": 12.5, "drop_skills": ["on"]}]}],
            "agents": [{"extension": "0123", "name": "null", "sip_password": "0777", "languages": ["no"],
                        "skills": ["yes", {"name": "on", "level": 7}],
                        "queues": [{"queue": "q", "penalty": 2}]}],
        }],
    })
    reloaded = loads(dump(config))
    assert reloaded == config
    agent = reloaded.tenants[0].agents[0]
    assert agent.skills == ["yes", AgentSkill(name="on", level=7)]
    assert agent.queues == [QueueMembership(queue="q", penalty=2)]
    assert agent.sip_password == "0777"
    assert agent.name == "null"


def test_the_example_in_the_docs_is_a_valid_file() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    example = page.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    config = loads(example, "docs/configuration.md")
    assert [q.name for q in config.tenants[0].queues] == ["support", "billing"]
