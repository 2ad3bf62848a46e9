"""IVR flows in the configuration file: checked with file:line:column, referring to their tenant."""

from __future__ import annotations

from textwrap import dedent, indent

import pytest

from centralino.config import (
    DEMO_CONFIG,
    CenterConfig,
    Tenant,
    check,
    check_config,
    check_text,
    dump,
    load,
    loads,
    tenant_flows,
)
from centralino.core.errors import ConfigError, NotFound, Problem
from centralino.ivr import Flow, Session
from centralino.ivr.flow import Enqueue, Menu
from centralino.ivr.services import CallContext

# Lines 1-11; a flow body starts on line 12, indented under "main:".
HEAD = """\
tenants:
  - name: t
    country: PL
    business_hours:
      office: {mon: ["08:00-18:00"]}
    skills: [{name: support}]
    queues: [{name: support, skills: {support: 1}}]
    numbers:
      - {number: "100", route: {kind: ivr, target: main}}
    flows:
      main:
"""


def center(body: str, head: str = HEAD) -> str:
    return head + indent(dedent(body), " " * 8)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# (name, flow body from line 12, line, column, words in the message, words in the hint, severity)
CASES = [
    ("unknown node type with suggestion", """\
        nodes:
          start: {type: anser, next: bye}
          bye: {type: hangup}
        """, 13, 25, "unknown node type 'anser'", "did you mean 'answer'?", "error"),
    ("dangling target", """\
        nodes:
          start: {type: answer, next: bye}
          bye: {type: goto, target: strat}
        """, 14, 37, "goes to 'strat', which is not a node", "did you mean 'start'?", "error"),
    ("unreachable node, at its id", """\
        nodes:
          start: {type: hangup}
          orphan:
            type: hangup
        """, 14, 11, "node 'orphan' cannot be reached from start 'start'", "link it", "warning"),
    ("prompt missing in an offered language", """\
        languages: [en, pl]
        nodes:
          start: {type: play, prompt: [hello], next: bye}
          bye: {type: hangup}
        prompts:
          hello: {en: "Hello"}
        """, 14, 40, "prompt 'hello' has no text in pl", 'add pl: "..." under prompts.hello', "error"),
    ("loop without input", """\
        nodes:
          start:
            type: play
            prompt: [hello]
            next: again
          again: {type: goto, target: start}
        prompts:
          hello: {en: "Hello"}
        """, 17, 18, "loop that never waits for the caller: again -> start -> again", "add a menu",
     "warning"),
    ("invalid regular expression", """\
        nodes:
          start: {type: collect, var: account, prompt: [], pattern: "[0-9", next: bye}
          bye: {type: hangup}
        """, 13, 69, "invalid regular expression '[0-9'", "matched in full", "error"),
    ("unknown queue in enqueue", """\
        nodes:
          start: {type: enqueue, queue: suport}
        """, 13, 41, "unknown queue 'suport'", "did you mean 'support'?", "error"),
    ("unknown skill in set, at the key", """\
        nodes:
          start: {type: set, skills: {suport: 2}, next: q}
          q: {type: enqueue, queue: support}
        """, 13, 39, "unknown skill 'suport'", "did you mean 'support'?", "error"),
    ("unknown business-hours set", """\
        nodes:
          start: {type: hours, hours: ofice, open: bye, closed: bye}
          bye: {type: hangup}
        """, 13, 39, "unknown business-hours set 'ofice'", "did you mean 'office'?", "error"),
    ("transfer target that is not a number or URI", """\
        nodes:
          start: {type: transfer, target: reception}
        """, 13, 43, "cannot transfer to 'reception'", "sip: URI", "error"),
    ("transfer to an impossible E.164 number", """\
        nodes:
          start: {type: transfer, target: "+4812"}
        """, 13, 43, "'+4812' is not a valid phone number", "country code", "error"),
    ("language code that is not ISO 639-1", """\
        languages: [en, english]
        nodes:
          start: {type: hangup}
        """, 12, 25, "'english' is not a language code", "ISO 639-1", "error"),
    ("unknown key in a node", """\
        nodes:
          start: {type: menu, prompt: [], choices: {"1": bye}, retrys: 3}
          bye: {type: hangup}
        """, 13, 72, "unknown key 'retrys'", "did you mean 'retries'?", "error"),
    ("menu choice that is not one key", """\
        nodes:
          start:
            type: menu
            prompt: []
            choices:
              1: bye
              12: bye
          bye: {type: hangup}
        """, 18, 19, "choice '12' is not one key", "0-9", "error"),
]


@pytest.mark.parametrize(("body", "line", "column", "message", "hint", "severity"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_flow_mistake_is_reported_at_its_line_and_column(
    body: str, line: int, column: int, message: str, hint: str, severity: str
) -> None:
    problem = only(check_text(center(body), "center.yaml"))
    assert (problem.file, problem.line, problem.column) == ("center.yaml", line, column), str(problem)
    assert message in problem.message, str(problem)
    assert problem.hint is not None and hint in problem.hint, str(problem)
    assert problem.severity == severity
    assert problem.path is not None and problem.path.startswith("tenants[0].flows.main")


def test_number_routed_to_an_unknown_flow() -> None:
    text = HEAD.replace("target: main}", "target: mian}") + "        nodes: {start: {type: hangup}}\n"
    problem = only(check_text(text, "center.yaml"))
    assert (problem.line, problem.column, problem.path) == (9, 52, "tenants[0].numbers[0].route.target")
    assert problem.message == "unknown IVR flow 'mian'" and problem.hint == "did you mean 'main'?"


def test_number_routed_to_a_flow_of_another_tenant_is_unknown() -> None:
    text = HEAD + "        nodes: {start: {type: hangup}}\n" + (
        "  - name: other\n"
        "    numbers:\n"
        '      - {number: "200", route: {kind: ivr, target: main}}\n')
    problem = only(check_text(text, "center.yaml"))
    assert (problem.line, problem.message) == (15, "unknown IVR flow 'main'")
    assert problem.hint == "define it under this tenant's 'flows:' first"


def test_flow_names_follow_the_other_names_and_flows_must_be_a_mapping() -> None:
    text = HEAD.replace("target: main}", "target: Main Line}").replace("      main:\n", "      Main Line:\n")
    problem = only(check_text(text + "        nodes: {start: {type: hangup}}\n", "center.yaml"))
    assert (problem.line, problem.column, problem.message) == (11, 7, "'Main Line' is not a valid flow name")
    listed = HEAD.replace("      main:\n", "      - name: main\n")
    listed += "        nodes: {start: {type: hangup}}\n"
    messages = [p.message for p in check_text(listed, "center.yaml")]
    assert "'flows' should be a mapping, not a list" in messages
    assert "unknown IVR flow 'main'" in messages


def test_flow_problems_come_in_file_order_among_the_others() -> None:
    text = center("""\
        nodes:
          start: {type: enqueue, queue: nowhere}
        """).replace("country: PL", "country: XX") + "  - name: t\n"
    problems = check_text(text, "center.yaml")
    assert [(p.line, p.message) for p in problems] == [
        (3, "'XX' is not a country code"),
        (13, "unknown queue 'nowhere'"),
        (14, "tenant name 't' is already used (line 2)"),
    ]


def test_errors_block_loading_and_warnings_do_not() -> None:
    with pytest.raises(ConfigError) as caught:
        loads(center("nodes: {start: {type: goto, target: nowhere}}\n"), "center.yaml")
    [problem] = caught.value.problems
    assert problem.line == 12 and "'nowhere', which is not a node" in problem.message
    config = loads(center("nodes: {start: {type: hangup}, orphan: {type: hangup}}\n"), "center.yaml")
    assert set(tenant_flows(config, "t")["main"].nodes) == {"start", "orphan"}


def test_unquoted_numeric_keys_are_names_as_written() -> None:
    config = loads(center("""\
        nodes:
          start:
            type: menu
            prompt: []
            choices: {1: support, 2: bye}
          support: {type: enqueue, queue: support}
          bye: {type: hangup}
        """), "center.yaml")
    menu = tenant_flows(config, "t")["main"].nodes["start"]
    assert isinstance(menu, Menu) and dict(menu.choices) == {"1": "support", "2": "bye"}


def test_the_demo_configuration_and_its_flow() -> None:
    assert check(DEMO_CONFIG) == []
    config = load()
    demo = config.tenants[0]
    routed = {n.number: n.route.target for n in demo.numbers if n.route.kind.value == "ivr"}
    assert routed == {"100": "main", "+48800123456": "main", "+48221234567": "main"}
    flows = tenant_flows(config, "demo")
    assert list(flows) == ["main"] and tenant_flows(config, demo) == flows
    flow = flows["main"]
    assert isinstance(flow, Flow) and flow.languages == ("en", "pl", "it", "es", "de", "sq")
    queues = {n.queue for n in flow.nodes.values() if isinstance(n, Enqueue)}
    assert queues == {"support", "billing", "sales"} <= {q.name for q in demo.queues}
    assert tenant_flows(config, "acme") == {}
    session = Session(flow, CallContext(leg="l1", caller="+48221234567", dialled="100"), 0.0, flows=flows)
    assert session.start(0.0), "a session of the demo flow starts by answering"


def test_dump_and_load_round_trip_with_flows() -> None:
    config = load()
    text = dump(config)
    assert "flows:" in text and "'1': en" in text
    again = loads(text, "dumped.yaml")
    assert again == config
    assert tenant_flows(again, "demo") == tenant_flows(config, "demo")


def test_flows_of_a_config_built_in_code() -> None:
    broken = CenterConfig(tenants=[Tenant(name="t", flows={"main": {"nodes": {"a": {"type": "nope"}}}})])
    problems = check_config(broken)
    assert [(p.path, p.line) for p in problems] == [("tenants[0].flows.main.nodes.a.type", None)]
    with pytest.raises(ConfigError) as caught:
        tenant_flows(broken, "t")
    assert "unknown node type 'nope'" in str(caught.value)
    with pytest.raises(NotFound):
        tenant_flows(broken, "nobody")


@pytest.mark.parametrize("target", ["+48221234567", "1001", "sip:desk@10.0.0.5", "sips:helpdesk@example.com"])
def test_transfer_targets_a_call_can_reach_are_accepted(target: str) -> None:
    assert check_text(center(f'nodes: {{start: {{type: transfer, target: "{target}"}}}}\n')) == []


def test_numbers_written_with_plus_or_leading_zero_stay_as_written_in_flows() -> None:
    config = loads(center("""\
        nodes:
          start: {type: set, vars: {account: 0123, count: 5, code: +39}, next: out}
          out: {type: transfer, target: +48221234567}
        """), "center.yaml")
    flow = tenant_flows(config, "t")["main"]
    assert dict(flow.nodes["start"].vars) == {"account": "0123", "count": 5, "code": "+39"}
    assert flow.nodes["out"].target == "+48221234567"
    assert loads(dump(config)) == config
