"""YAML text to plain Python data, remembering where every value and key came from.

PyYAML's ``safe_load`` throws positions away and silently keeps the last of two equal
mapping keys, so a typo'd duplicate ``queues:`` would erase half a tenant without a word.
Here the text is ``yaml.compose``-d (SafeLoader) into a node tree, whose nodes carry start
marks, and converted by hand: each value's and each key's 1-based line:column is stored by
its path (``("tenants", 0, "queues", 1, "name")``), and duplicate keys become problems.

Scalars are resolved by PyYAML's own safe constructor, except where the schema expects text:
there the scalar's source text is kept, so ``number: 0100`` stays "0100" (not octal 64),
``number: +48221234567`` keeps its "+", and ``holidays: NO`` is Norway, not ``False``.
The caller says where text is expected by passing a schema hint down the tree
(see ``centralino.config.loader``). Where the schema says nothing (plain data such as IVR
flows, hint None or Any), an integer written with a leading "+" or "0" is kept as written
too: ``target: +48221234567`` and ``account: 0123`` are phone numbers and digit strings, not
48221234567 and octal 83. Merge keys (``<<: *defaults``) are honoured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from centralino.core.errors import Problem

__all__ = ["DocPath", "Positions", "Source", "format_path", "parse"]

DocPath = tuple[str | int, ...]
"""Where a value is inside the document: mapping keys and list indexes from the root."""

MERGE_TAG = "tag:yaml.org,2002:merge"
INT_TAG = "tag:yaml.org,2002:int"
TEXT_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
             "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:str"}


def format_path(path: DocPath) -> str:
    """``("tenants", 0, "queues", 1, "name")`` -> ``tenants[0].queues[1].name``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Positions:
    """1-based (line, column) of each value and each mapping key, by path."""

    values: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DocPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: DocPath, *, key: bool = False) -> tuple[int | None, int | None]:
        """The position of ``path`` (its key if ``key``), else of its nearest known ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        probe = path
        while True:
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return (None, None)
            probe = probe[:-1]


@dataclass
class Source:
    """The outcome of parsing: data (None if the text is not YAML), positions, problems."""

    data: Any
    positions: Positions
    problems: list[Problem]


Hint = Callable[[Any, str | int], Any]
"""Given the schema hint of a container and a key/index, the hint of the child."""
TextCheck = Callable[[Any], bool]
"""Whether a scalar with this schema hint must be kept as its source text."""


def parse(text: str, filename: str, child_hint: Hint, wants_text: TextCheck, root_hint: Any) -> Source:
    """Compose ``text`` and convert it; YAML syntax errors come back as one located problem."""
    positions = Positions()
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "unreadable text"
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            started = f"line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
            what = f"{exc.context} (started at {started}): {what}"
        problems.append(Problem(
            message=f"this is not valid YAML: {what}",
            file=filename,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="indent with spaces, not tabs" if "'\\t'" in what
            else "check the indentation and the quoting on this line or the one above",
        ))
        return Source(None, positions, problems)
    except yaml.YAMLError as exc:  # reader errors (e.g. control characters) have no mark
        problems.append(Problem(message=f"this is not valid YAML: {exc}", file=filename))
        return Source(None, positions, problems)
    if root is None:
        return Source({}, positions, problems)
    converter = _Converter(filename, positions, problems, child_hint, wants_text)
    data = converter.convert(root, (), root_hint)
    return Source(data, positions, problems)


class _Converter:
    def __init__(self, filename: str, positions: Positions, problems: list[Problem],
                 child_hint: Hint, wants_text: TextCheck) -> None:
        self.filename = filename
        self.positions = positions
        self.problems = problems
        self.child_hint = child_hint
        self.wants_text = wants_text
        self.constructor = SafeConstructor()
        self.active: set[int] = set()  # nodes being converted: an alias to one of them is a loop

    def convert(self, node: Node, path: DocPath, hint: Any) -> Any:
        self.positions.values.setdefault(path, _mark(node))
        if id(node) in self.active:
            self._problem(node, "this alias refers to a mapping or list that contains it",
                          "YAML anchors may be reused but not nested in themselves")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, hint)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.convert(item, (*path, index), self.child_hint(hint, index))
                        for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path, hint)
        finally:
            self.active.discard(id(node))
        return None

    def _scalar(self, node: ScalarNode, hint: Any) -> Any:
        if self.wants_text(hint) and node.tag in TEXT_TAGS:
            return node.value
        if (hint is None or hint is Any) and node.tag == INT_TAG and _written_as_digits(node.value):
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self._problem(node, f"cannot read this value: {exc.problem}", "quote it to make it text")
            return node.value

    def _mapping(self, node: MappingNode, path: DocPath, hint: Any) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, tuple[int, int]] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.extend(self._merge_sources(value_node))
                continue
            key = self._key(key_node)
            if key is None:
                continue
            child = (*path, key)
            if key in first_seen:
                line, _ = first_seen[key]
                self._problem(key_node, f"duplicate key '{key}' (first written on line {line})",
                              "YAML keeps only one of them: merge the two or delete one")
                continue
            first_seen[key] = _mark(key_node)
            self.positions.keys[child] = _mark(key_node)
            result[key] = self.convert(value_node, child, self.child_hint(hint, key))
        for source in merged:  # explicit keys win over merged ones; earlier merges over later
            for key_node, value_node in source.value:
                key = self._key(key_node)
                if key is None or key in result:
                    continue
                child = (*path, key)
                self.positions.keys[child] = _mark(key_node)
                result[key] = self.convert(value_node, child, self.child_hint(hint, key))
        return result

    def _merge_sources(self, node: Node) -> list[MappingNode]:
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
            return list(node.value)
        self._problem(node, "'<<' must be followed by an alias to a mapping (or a list of them)",
                      "write '<<: *name' where '&name' marks a mapping")
        return []

    def _key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode):
            return str(node.value)  # keys are names: "on", "no", "100" stay text
        self._problem(node, "a key must be a plain name, not a list or mapping", None)
        return None

    def _problem(self, node: Node, message: str, hint: str | None) -> None:
        line, column = _mark(node)
        self.problems.append(Problem(message=message, file=self.filename, line=line, column=column,
                                     hint=hint))


def _written_as_digits(text: str) -> bool:
    """``+48221234567`` or ``0123``: an int to YAML, a phone number or digit string to people."""
    digits = text[1:] if text.startswith("+") else text
    return digits.isdigit() and (text.startswith("+") or (len(text) > 1 and text.startswith("0")))


def _mark(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)
