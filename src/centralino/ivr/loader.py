"""Plain data of the ``flows:`` section -> ``Flow`` objects and every problem, with file:line.

Pure: the configuration loader parses the YAML and passes the data plus a ``locate(path)``
callback mapping a path such as ``("flows", "main", "nodes", "menu1", "choices", "1")`` to
its (line, column). Nodes are validated by pydantic over the node dataclasses; everything
spanning nodes is checked here afterwards (``centralino.ivr.checks``): dangling and
unreachable targets, loops that never wait, prompts missing in a language the flow offers,
expressions and regular expressions that do not compile. Problems are collected, never
raised, so ``config check`` shows them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from centralino.core.errors import Problem
from centralino.ivr.checks import check_flow, check_subflows
from centralino.ivr.expr import ExprError, parse_expr
from centralino.ivr.flow import NODE_TYPES, Branch, Collect, Flow, Language, Menu, Node, Set, Survey
from centralino.ivr.problems import Locate, Path, Reporter, format_path, suggest
from centralino.ivr.prompts import file_ref, tts_ref

__all__ = ["load_flows"]

_FLOW_KEYS = ("description", "languages", "start", "prompts", "nodes")
_DTMF = set("0123456789*#")
_ADAPTERS: dict[str, TypeAdapter[Any]] = {kind: TypeAdapter(cls) for kind, cls in NODE_TYPES.items()}


def load_flows(data: Any, locate: Locate | None = None, filename: str | None = None,
               root: Path = ("flows",)) -> tuple[dict[str, Flow], list[Problem]]:
    """Flows by name and the problems found; a flow with errors is still returned if it parsed.

    ``data`` is a mapping ``{name: flow}`` or a list of flows each with a ``name``. ``root``
    is the path of the section in the document, prefixed to every located path.
    """
    report = Reporter(locate, filename)
    flows: dict[str, Flow] = {}
    items: list[tuple[Path, str, Any]] = []
    if data is None:
        return flows, []
    if isinstance(data, Mapping):
        items = [(root + (str(name),), str(name), body) for name, body in data.items()]
    elif isinstance(data, list):
        for i, body in enumerate(data):
            name = body.get("name") if isinstance(body, Mapping) else None
            if not isinstance(name, str) or not name:
                report.add(root + (i,), "a flow in a list needs a 'name'", "add name: <flow name>")
                continue
            items.append((root + (i,), name, {k: v for k, v in body.items() if k != "name"}))
    else:
        report.add(root, "flows must be a mapping of flow name to flow", "write flows: {main: {...}}")
        return flows, report.problems
    for path, name, body in items:
        if name in flows:
            report.add(path, f"flow {name!r} is defined twice", "rename one of them")
        flow = _load_flow(name, body, path, report)
        if flow is not None:
            flows[name] = flow
            check_flow(flow, path, report, [str(k) for k in body["nodes"]])
    check_subflows(flows, {name: path for path, name, _ in items}, report)
    return flows, report.problems


def _load_flow(name: str, body: Any, path: Path, report: Reporter) -> Flow | None:
    if not isinstance(body, Mapping):
        report.add(path, f"flow {name!r} must be a mapping with 'nodes'", "see docs/ivr.md")
        return None
    for key in body:
        if key not in _FLOW_KEYS:
            report.add(path + (str(key),), f"unknown flow key {key!r}",
                       suggest(str(key), list(_FLOW_KEYS)) or f"allowed: {', '.join(_FLOW_KEYS)}")
    languages = body.get("languages", ["en"])
    if not (isinstance(languages, list) and languages and all(isinstance(x, str) for x in languages)):
        report.add(path + ("languages",), "languages must be a non-empty list of ISO 639-1 codes",
                   'e.g. languages: [en, pl]; quote "no" for Norwegian')
        languages = ["en"]
    nodes_data = body.get("nodes")
    if not isinstance(nodes_data, Mapping) or not nodes_data:
        report.add(path + ("nodes",), f"flow {name!r} has no nodes",
                   "add nodes: {start: {type: answer, ...}}")
        return None
    nodes: dict[str, Node] = {}
    for node_id, node_data in nodes_data.items():
        node = _load_node(str(node_id), node_data, path + ("nodes", str(node_id)), report)
        if node is not None:
            nodes[node.id] = node
    start = body.get("start", next(iter(nodes_data)))
    if not isinstance(start, str) or start not in nodes_data:
        report.add(path + ("start",), f"start node {start!r} does not exist",
                   suggest(str(start), list(map(str, nodes_data))))
        start = next(iter(nodes_data))
    prompts = _load_prompts(body.get("prompts", {}), path + ("prompts",), report)
    return Flow(name, str(start), nodes, tuple(languages), prompts)


def _load_prompts(data: Any, path: Path, report: Reporter) -> dict[str, dict[str, str]]:
    """``{name: {lang: text | {file: path}}}``; language ``"*"`` serves every language."""
    out: dict[str, dict[str, str]] = {}
    if not isinstance(data, Mapping):
        report.add(path, "prompts must map a prompt name to its text per language",
                   'e.g. welcome: {en: "Welcome", pl: "Witamy"}')
        return out
    for name, per_language in data.items():
        here = path + (str(name),)
        if isinstance(per_language, Mapping) and set(per_language) == {"file"}:
            per_language = {"*": per_language}
        if not isinstance(per_language, Mapping):
            report.add(here, f"prompt {name!r} must map languages to text or {{file: ...}}",
                       'e.g. welcome: {en: "Welcome"}')
            continue
        rendered: dict[str, str] = {}
        for language, value in per_language.items():
            if isinstance(value, str) and value.strip():
                rendered[str(language)] = tts_ref(str(language), value.strip())
            elif isinstance(value, Mapping) and set(value) == {"file"} and isinstance(value["file"], str):
                rendered[str(language)] = file_ref(value["file"])
            else:
                report.add(here + (str(language),),
                           f"prompt {name!r} in {language!r} must be text or {{file: path}}")
        out[str(name)] = rendered
    return out


def _load_node(node_id: str, data: Any, path: Path, report: Reporter) -> Node | None:
    if not isinstance(data, Mapping):
        report.add(path, f"node {node_id!r} must be a mapping with a 'type'", "e.g. {type: play, ...}")
        return None
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in NODE_TYPES:
        if kind is None:
            report.add(path, f"node {node_id!r} has no 'type'", f"one of: {', '.join(NODE_TYPES)}")
        else:
            report.add(path + ("type",), f"unknown node type {kind!r}",
                       suggest(str(kind), list(NODE_TYPES)) or f"one of: {', '.join(NODE_TYPES)}")
        return None
    fields = {k: v for k, v in data.items() if k != "type"}
    fields["id"] = node_id
    try:
        node: Node = _ADAPTERS[kind].validate_python(fields)
    except ValidationError as exc:
        for error in exc.errors():
            sub = _data_path(fields, error["loc"])
            report.add(path + sub, f"{kind} node {node_id!r}: {_explain(error, sub)}", _hint(error, kind))
        return None
    _check_node(node, path, report)
    return node


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path:
    """pydantic's error location with union-member tags (``'str'``, ``'Say'``) dropped."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, Mapping) and str(part) in {str(k) for k in data}:
            data = {str(k): v for k, v in data.items()}[str(part)]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(part, str) and part[:1].isupper() or part in ("str", "int", "bool", "float"):
            continue
        out.append(part)
        if not isinstance(data, Mapping | list):
            data = None
    return tuple(out)


def _explain(error: Mapping[str, Any], sub: Path) -> str:
    field = format_path(sub) or "node"
    if error["type"] == "missing":
        return f"'{field}' is required"
    if error["type"] == "unexpected_keyword_argument" or error["type"] == "extra_forbidden":
        return f"unknown key '{field}'"
    return f"'{field}': {error['msg']}"


def _hint(error: Mapping[str, Any], kind: str) -> str | None:
    if error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        cls = NODE_TYPES[kind]
        names = [f for f in getattr(cls, "__dataclass_fields__", {}) if f != "id"]
        word = str(error["loc"][-1])
        return suggest(word, names) or f"{kind} takes: {', '.join(names)}"
    return None


def _check_node(node: Node, path: Path, report: Reporter) -> None:
    """Checks of one node that pydantic's types cannot express."""
    if isinstance(node, Menu | Language):
        for key in node.choices:
            if key not in _DTMF:
                report.add(path + ("choices", key), f"choice {key!r} is not one key",
                           'use 0-9, "*" or "#" (quote * and # in YAML)')
    if isinstance(node, Collect):
        if node.pattern is not None:
            try:
                re.compile(node.pattern)
            except re.error as exc:
                report.add(path + ("pattern",), f"invalid regular expression {node.pattern!r}: {exc}",
                           "digits are matched in full, e.g. pattern: '[0-9]{8}'")
        if not 1 <= node.min_length <= node.max_length:
            report.add(path + ("min_length",), "min_length must be between 1 and max_length")
        if node.terminator not in _DTMF | {""}:
            report.add(path + ("terminator",), f"terminator {node.terminator!r} is not a key",
                       'use "#" or "*"')
    if isinstance(node, Branch):
        for i, case in enumerate(node.cases):
            try:
                parse_expr(case.when)
            except ExprError as exc:
                report.add(path + ("cases", i, "when"), f"bad expression {case.when!r}: {exc}",
                           'e.g. when: caller.country == "PL" and time.hour < 18')
    if isinstance(node, Set):
        for name, value in node.vars.items():
            if isinstance(value, str) and value.startswith("="):
                try:
                    parse_expr(value[1:])
                except ExprError as exc:
                    report.add(path + ("vars", name), f"bad expression {value!r}: {exc}")
    if isinstance(node, Survey):
        if not 0 <= node.sample <= 1:
            report.add(path + ("sample",), "sample is the share of calls surveyed, between 0 and 1")
        for i, question in enumerate(node.questions):
            if not question.keys or not set(question.keys) <= _DTMF:
                report.add(path + ("questions", i, "keys"), f"keys {question.keys!r} must be phone keys")
