"""`config check` for flows: every problem with file:line and a hint."""

from __future__ import annotations

import yaml
from ivr_harness import load_text

from centralino.core.errors import Problem
from centralino.ivr.flow import Enqueue, Menu, Say
from centralino.ivr.loader import load_flows


def problems(text: str) -> list[Problem]:
    return load_text(text, "center.yaml")[1]


def only(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


BASE = """\
main:
  languages: [en, pl]
  nodes:
    hello: {type: play, prompt: [hi], next: menu}
    menu:
      type: menu
      prompt: [hi]
      choices: {"1": bye}
    bye: {type: hangup}
  prompts:
    hi: {en: "Hi", pl: "Cześć"}
"""


def test_a_good_flow_has_no_problems_and_types_are_converted() -> None:
    flows, found = load_text(BASE)
    assert found == []
    menu = flows["main"].nodes["menu"]
    assert isinstance(menu, Menu) and menu.choices == {"1": "bye"} and menu.prompt == ("hi",)
    assert flows["main"].prompts["hi"] == {"en": "tts:en:Hi", "pl": "tts:pl:Cześć"}
    assert flows["main"].start == "hello"


def test_unknown_node_type_suggests_the_closest() -> None:
    problem = only(BASE.replace("type: hangup", "type: hangpu"))
    assert (problem.file, problem.line, problem.column) == ("center.yaml", 9, 17)
    assert "unknown node type 'hangpu'" in problem.message and problem.hint == "did you mean 'hangup'?"
    assert str(problem).startswith("center.yaml:9:17: ")


def test_unknown_key_and_wrong_type_and_missing_field() -> None:
    found = problems(BASE.replace("next: menu}", "nxet: menu, barge_in: maybe}"))
    messages = {p.message: p for p in found}
    assert "play node 'hello': unknown key 'nxet'" in messages
    assert messages["play node 'hello': unknown key 'nxet'"].hint == "did you mean 'next'?"
    assert "play node 'hello': 'next' is required" in messages
    assert any("'barge_in'" in m for m in messages)
    assert all(p.line == 4 for p in found)


def test_dangling_target_with_line_and_suggestion() -> None:
    found = problems(BASE.replace('{"1": bye}', '{"1": bey}'))
    assert [p.severity for p in found] == ["error", "warning"]  # and bye is now unreachable
    problem = found[0]
    assert problem.line == 8 and problem.path == "flows.main.nodes.menu.choices.1"
    assert "goes to 'bey', which is not a node" in problem.message and problem.hint == "did you mean 'bye'?"


def test_unreachable_node_is_a_warning() -> None:
    lost = "    bye: {type: hangup}\n    lost: {type: hangup}\n"
    problem = only(BASE.replace("    bye: {type: hangup}\n", lost))
    assert problem.severity == "warning" and problem.line == 10
    assert "'lost' cannot be reached" in problem.message


def test_loop_without_waiting_is_an_error_and_a_prompt_only_loop_a_warning() -> None:
    spin = only("""\
f:
  nodes:
    a: {type: set, vars: {x: 1}, next: b}
    b:
      type: branch
      cases: [{when: "x == 1", goto: a}]
      default: c
    c: {type: hangup}
""")
    assert spin.severity == "error" and spin.line == 3
    assert spin.message == "loop that never waits: a -> b -> a"
    replay = only("""\
f:
  nodes:
    a: {type: play, prompt: [p], next: b}
    b: {type: goto, target: a}
  prompts:
    p: {en: "Please hold"}
""")
    assert replay.severity == "warning" and "never waits for the caller: a -> b -> a" in replay.message


def test_a_loop_through_a_menu_is_fine() -> None:
    assert problems(BASE.replace('{"1": bye}', '{"1": bye, "2": hello}')) == []


def test_invalid_regular_expression_and_expression() -> None:
    found = problems("""\
f:
  nodes:
    c: {type: collect, var: x, prompt: [p], pattern: "[0-9", next: b}
    b:
      type: branch
      cases: [{when: "x == ", goto: h}]
      default: h
    h: {type: hangup}
  prompts:
    p: {en: "Digits"}
""")
    by_line = {p.line: p for p in found}
    assert set(by_line) == {3, 6}
    assert "invalid regular expression '[0-9'" in by_line[3].message
    assert "bad expression 'x == '" in by_line[6].message and "column 6" in by_line[6].message


def test_missing_prompts_per_language_and_unknown_prompt() -> None:
    found = problems(BASE.replace('hi: {en: "Hi", pl: "Cześć"}', 'hi: {en: "Hi"}').replace(
        "prompt: [hi], next", "prompt: [hi, ho], next"))
    messages = sorted(p.message for p in found)
    assert messages == [
        "play node 'hello' plays prompt 'ho', which is not in the prompts of flow 'main'",
        "prompt 'hi' has no text in pl, a language flow 'main' offers",
        "prompt 'hi' has no text in pl, a language flow 'main' offers",
    ]
    assert {p.line for p in found} == {4, 7}


def test_language_menu_prompts_need_only_their_own_language() -> None:
    text = """\
f:
  languages: [en, de]
  nodes:
    l: {type: language, prompt: [choose], choices: {"1": en, "2": de, "3": fr}, next: h}
    h: {type: hangup}
  prompts:
    choose: {en: "English: 1", de: "Deutsch: 2"}
"""
    problem = only(text)
    assert problem.message == "language 'fr' is not offered by flow 'f'" and problem.line == 4


def test_file_prompts_serve_every_language_and_say_items_parse() -> None:
    flows, found = load_text("""\
f:
  languages: [en, it]
  nodes:
    r:
      type: play
      prompt: [beep, {say: currency, var: customer.balance, currency: EUR}]
      next: h
    h: {type: hangup}
  prompts:
    beep: {file: sounds/beep.wav}
""")
    assert found == []
    assert flows["f"].prompts["beep"] == {"*": "file:sounds/beep.wav"}
    assert flows["f"].nodes["r"].prompt[1] == Say(say="currency", var="customer.balance", currency="EUR")


def test_subflow_to_a_missing_flow_and_menu_keys() -> None:
    found = problems("""\
f:
  nodes:
    s: {type: subflow, flow: comon, next: m}
    m: {type: menu, prompt: [], choices: {"12": h}}
    h: {type: hangup}
common:
  nodes:
    r: {type: return}
""")
    messages = {p.message: p for p in found}
    sub = messages["subflow node 's' runs flow 'comon', which does not exist"]
    assert sub.line == 3 and sub.hint == "did you mean 'common'?"
    assert messages["choice '12' is not one key"].line == 4


def test_flow_level_problems() -> None:
    found = problems("""\
f:
  language: [en]
  start: nowhere
  nodes:
    h: {type: hangup}
g: []
""")
    messages = [(p.line, p.message) for p in found]
    assert (2, "unknown flow key 'language'") in messages
    assert (3, "start node 'nowhere' does not exist") in messages
    assert (6, "flow 'g' must be a mapping with 'nodes'") in messages
    hint = next(p.hint for p in found if "language" in p.message)
    assert hint == "did you mean 'languages'?"


def test_list_form_and_nested_callback_offer_and_root_prefix() -> None:
    data = yaml.safe_load("""\
- name: q
  nodes:
    q:
      type: enqueue
      queue: support
      callback: {after: 30, prompt: [], accepted: gone}
""")
    seen: list[tuple[object, ...]] = []

    def locate(path: tuple[object, ...]) -> tuple[int, int] | None:
        seen.append(path)
        return (42, 1)

    flows, found = load_flows(data, locate, "x.yaml", root=("tenants", 0, "flows"))
    assert isinstance(flows["q"].nodes["q"], Enqueue)
    assert len(found) == 1 and found[0].line == 42
    assert seen == [("tenants", 0, "flows", 0, "nodes", "q", "callback", "accepted")]


def test_nothing_to_load() -> None:
    assert load_flows(None) == ({}, [])
    flows, found = load_flows("oops", None, "f.yaml")
    assert flows == {} and found[0].message.startswith("flows must be a mapping")


def test_references_for_the_config_loader_to_check() -> None:
    from centralino.config import DEMO_CONFIG
    from centralino.ivr.checks import Reference, references

    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))["tenants"][0]["flows"]
    flows, _ = load_flows(data)
    refs = references(flows, {"main": ("tenants", 0, "flows", "main")})
    assert {(r.kind, r.name) for r in refs} == {
        ("queue", "support"), ("queue", "billing"), ("queue", "sales"), ("skill", "support"),
        ("mailbox", "demo")}
    assert Reference("queue", "sales", ("tenants", 0, "flows", "main", "nodes", "sales", "queue")) in refs
