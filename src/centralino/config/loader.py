"""Read a configuration text into a ``CenterConfig``, or into every problem it has, located.

The pipeline is: YAML -> plain data with positions (``source``), pydantic validation of the
shape (``CenterConfig.model_validate``), cross-object rules (``rules``). Pydantic reports each
error with a ``loc`` path; here each path is mapped back to the line:column of the offending
node and the message is rewritten in the file's terms ("unknown key 'stratgy'; did you mean
'strategy'?") instead of pydantic's ("Extra inputs are not permitted").

The schema is walked by type annotations (``child_hint``) both to know where text is expected
while converting scalars, and to know the field names and enum values at a place, for the
"did you mean" suggestions (difflib).
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass
from enum import Enum
from inspect import isclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from centralino.config import rules
from centralino.config.model import CenterConfig
from centralino.config.source import DocPath, Positions, format_path, parse
from centralino.core.errors import Problem

__all__ = ["Analysis", "analyse", "child_hint", "suggest", "wants_text"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

PATTERN_HINTS = {
    "name": "names use lowercase letters, digits, '_', '.' and '-', and start with a letter or digit",
    "extension": "an extension is 2 to 8 digits, e.g. 1001",
    "username": "a username uses letters, digits and '_', '.', '@', '-'",
    "recording": "write all, none, on-demand or a percentage of calls such as 25%",
    **{day: "write an opening interval as HH:MM-HH:MM, e.g. 08:00-12:00" for day in DAYS},
}


@dataclass(frozen=True)
class Analysis:
    """Everything known after reading a text: the config if its shape is valid, and problems.

    ``config`` may be set while ``errors`` is not empty (a shape-valid file that breaks a rule):
    callers that need a usable config must check ``errors`` first, as ``loads`` does.
    """

    config: CenterConfig | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != rules.Severity.warning]


def analyse(text: str, filename: str) -> Analysis:
    """Parse, validate and check ``text``; problems come back in file order."""
    source = parse(text, filename, child_hint, wants_text, CenterConfig)
    problems = list(source.problems)
    config: CenterConfig | None = None
    if source.data is not None:
        if not isinstance(source.data, dict):
            line, column = source.positions.locate(())
            problems.append(Problem(
                message="the file must be a mapping with 'tenants:' (and optionally 'installation:')",
                file=filename, line=line, column=column))
        else:
            try:
                config = CenterConfig.model_validate(source.data)
            except ValidationError as exc:
                problems.extend(_shape_problems(exc, source.data, source.positions, filename))
            problems.extend(rules.check_data(source.data, source.positions, filename))
    problems.sort(key=_file_order)
    return Analysis(config=config, problems=problems)


def _file_order(problem: Problem) -> tuple[int, int]:
    big = 1 << 30
    return (problem.line if problem.line is not None else big,
            problem.column if problem.column is not None else big)


# ---------------------------------------------------------------- the schema, walked by type


def _unwrap(hint: Any) -> Any:
    while get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    return hint


def _members(hint: Any) -> list[Any]:
    """The alternatives of a union (None dropped), or the hint itself."""
    hint = _unwrap(hint)
    if get_origin(hint) in (Union, types.UnionType):
        return [_unwrap(m) for m in get_args(hint) if m is not type(None)]
    return [hint]


def child_hint(hint: Any, key: str | int) -> Any:
    """The annotation of ``key`` inside a value annotated ``hint``; None when unknown."""
    for member in _members(hint):
        origin = get_origin(member)
        if isclass(member) and issubclass(member, BaseModel):
            if isinstance(key, str) and key in member.model_fields:
                return member.model_fields[key].annotation
        elif origin is list and isinstance(key, int):
            return get_args(member)[0]
        elif origin is dict and isinstance(key, str):
            return get_args(member)[1]
    return None


def wants_text(hint: Any) -> bool:
    """True when a scalar here must be text: str (or a str enum) and no number/bool alternative."""
    members = _members(hint)
    texty = any(isclass(m) and issubclass(m, str) for m in members)
    numeric = any(m in (int, float, bool) for m in members)
    return texty and not numeric


def _hint_at(path: DocPath) -> Any:
    hint: Any = CenterConfig
    for part in path:
        hint = child_hint(hint, part)
        if hint is None:
            return None
    return hint


def _model_at(path: DocPath) -> type[BaseModel] | None:
    for member in _members(_hint_at(path)):
        if isclass(member) and issubclass(member, BaseModel):
            return member
    return None


def suggest(word: str, choices: list[str]) -> str | None:
    """The closest of ``choices`` to a mistyped ``word``, if one is close enough."""
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in choices}
        return lowered.get(word.lower().replace("_", "-")) or lowered.get(word.lower().replace("-", "_"))
    return matches[0]


# ---------------------------------------------------------------- pydantic errors -> problems


@dataclass(frozen=True)
class _Error:
    kind: str
    path: DocPath  # resolved against the data: every element exists, except a missing field
    tagged_at: int | None  # length of path where a union alternative was entered, if any
    raw: ErrorDetails


def _resolve(error: ErrorDetails, data: Any) -> _Error:
    path: list[str | int] = []
    tagged_at: int | None = None
    current = data
    loc = error["loc"]
    for index, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        if in_dict or isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
        elif error["type"] == "missing" and index == len(loc) - 1:
            path.append(part)
        elif part == "[key]":
            continue
        elif tagged_at is None:
            tagged_at = len(path)
    return _Error(error["type"], tuple(path), tagged_at, error)


def _shape_problems(exc: ValidationError, data: Any, positions: Positions, filename: str) -> list[Problem]:
    resolved = [_resolve(e, data) for e in exc.errors(include_url=False)]
    kept: list[_Error] = []
    union_failures: dict[DocPath, list[_Error]] = {}
    for error in resolved:
        if error.tagged_at is None:
            kept.append(error)
        else:
            union_failures.setdefault(error.path[: error.tagged_at], []).append(error)
    problems = [_problem(e, positions, filename) for e in kept]
    for base, errors in union_failures.items():
        deeper = [e for e in errors if len(e.path) > len(base)]
        if deeper:  # the value had the right type for one alternative and failed inside it
            problems.extend(_problem(e, positions, filename) for e in deeper)
        else:
            line, column = positions.locate(base)
            problems.append(Problem(
                message=f"{_describe(errors[0].raw.get('input'))} is not allowed here",
                file=filename, line=line, column=column, path=format_path(base),
                hint="write a name, or a mapping such as '{name: ..., level: 5}'"))
    return problems


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"


def _problem(error: _Error, positions: Positions, filename: str) -> Problem:
    message, hint = _explain(error)
    line, column = positions.locate(error.path, key=error.kind == "extra_forbidden")
    if error.kind == "missing":  # point at the mapping that lacks the key
        line, column = positions.locate(error.path[:-1])
    return Problem(message=message, file=filename, line=line, column=column,
                   path=format_path(error.path), hint=hint)


def _explain(error: _Error) -> tuple[str, str | None]:
    """A message in the file's words and a hint on what to do."""
    raw, kind, path = error.raw, error.kind, error.path
    value = raw.get("input")
    ctx = raw.get("ctx") or {}
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        fields = list(model.model_fields) if model else []
        close = suggest(str(path[-1]), fields)
        if close:
            return f"unknown key '{path[-1]}'", f"did you mean '{close}'?"
        return f"unknown key '{path[-1]}'", "allowed here: " + ", ".join(fields) if fields else None
    if kind == "missing":
        return f"missing required key '{path[-1]}'", f"add '{path[-1]}:' to this mapping"
    if value is None and kind.endswith("_type"):
        return f"'{field}' is empty", f"give '{field}' a value, or delete the line"
    if kind == "string_type":
        return f"'{field}' should be a text, not {_describe(value)}", None
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"'{field}' should be a whole number, not {_describe(value)}", None
    if kind in ("float_type", "float_parsing"):
        return f"'{field}' should be a number, not {_describe(value)}", None
    if kind in ("bool_type", "bool_parsing"):
        return f"'{field}' should be true or false, not {_describe(value)}", None
    if kind == "list_type":
        return (f"'{field}' should be a list, not {_describe(value)}",
                "write each item on a line starting with '- '")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return (f"'{field}' should be a mapping, not {_describe(value)}",
                "write 'key: value' lines indented under it")
    if kind == "enum":
        choices = [str(m.value) for m in _enum_members(path)]
        close = suggest(str(value), choices)
        hint = f"did you mean '{close}'? " if close else ""
        return f"'{value}' is not a valid {field}", hint + "use one of: " + ", ".join(choices)
    if kind == "string_pattern_mismatch":
        key = "name" if field in ("name", "target") else field
        return f"'{value}' is not a valid {field}", PATTERN_HINTS.get(key)
    if kind == "string_too_short":
        return f"'{field}' is too short", f"write at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"'{field}' is too long", f"write at most {ctx.get('max_length')} characters"
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"'{field}' is {value}, it must be {words} {ctx.get(key)}", None
    return f"'{field}': {raw.get('msg', 'invalid value')}", None


def _enum_members(path: DocPath) -> list[Enum]:
    for member in _members(_hint_at(path)):
        if isclass(member) and issubclass(member, Enum):
            return list(member)
    return []
