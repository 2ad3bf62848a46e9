"""The tiny, safe expression language of ``branch`` cases and ``set`` values.

    caller.country == "PL" and customer.balance > 100
    time.hour >= 18 or not verified
    queue.support.ewt < 300 and language in ["pl", "de"]

Grammar (lowest precedence first)::

    or   := and ("or" and)*
    and  := not ("and" not)*
    not  := "not" not | cmp
    cmp  := atom (("=="|"!="|"<"|"<="|">"|">="|"in"|"not in") atom)?
    atom := number | string | true | false | none | name("." name)* | "(" or ")" | "[" atom, ... "]"

Written by hand rather than taken from a library (simpleeval, asteval) because those
accept Python's grammar and walk its AST at run time: here an expression is parsed once
when the configuration is loaded, errors carry the column for ``config check``, the
grammar is closed (no calls, attributes or arithmetic to audit), and dotted names are
variables rather than attribute access. Evaluation never raises: a missing variable is
``None`` and comparing unlike types is false, so a typo in a flow routes by ``default``
instead of dropping the call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Expr", "ExprError", "parse_expr"]

Resolve = Callable[[str], Any]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>-?\d+(?:\.\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "none", "null"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}


class ExprError(ValueError):
    """A syntax error; ``column`` is 1-based within the expression text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.message = message
        self.column = column


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # number, string, op, name, kw, end
    text: str
    column: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExprError(f"unexpected character {text[pos]!r}", pos + 1)
        kind = m.lastgroup or "op"
        value = m.group(kind)
        column = m.start(kind) + 1
        if kind == "name" and value.lower() in _KEYWORDS:
            kind, value = "kw", value.lower()
        out.append(_Tok(kind, value, column))
        pos = m.end()
    out.append(_Tok("end", "", len(text) + 1))
    return out


# The tree: tuples, small and immutable. ("lit", v) ("var", name) ("list", items)
# ("not", e) ("and", a, b) ("or", a, b) ("cmp", op, a, b)
Tree = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text or tok.kind not in ("op", "kw"):
            raise ExprError(f"expected {text!r}, found {tok.text or 'the end'!r}", tok.column)

    def parse(self) -> Tree:
        tree = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise ExprError(f"unexpected {tok.text!r}", tok.column)
        return tree

    def or_(self) -> Tree:
        tree = self.and_()
        while self.peek().kind == "kw" and self.peek().text == "or":
            self.take()
            tree = ("or", tree, self.and_())
        return tree

    def and_(self) -> Tree:
        tree = self.not_()
        while self.peek().kind == "kw" and self.peek().text == "and":
            self.take()
            tree = ("and", tree, self.not_())
        return tree

    def not_(self) -> Tree:
        if self.peek().kind == "kw" and self.peek().text == "not":
            self.take()
            return ("not", self.not_())
        return self.cmp()

    def cmp(self) -> Tree:
        left = self.atom()
        tok = self.peek()
        op = tok.text
        if tok.kind == "kw" and op == "not" and self.toks[self.i + 1].text == "in":
            self.take()
            op = "not in"
        if op in _COMPARE and tok.kind in ("op", "kw"):
            self.take()
            return ("cmp", op, left, self.atom())
        return left

    def atom(self) -> Tree:
        tok = self.take()
        if tok.kind == "number":
            return ("lit", float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "string":
            return ("lit", re.sub(r"\\(.)", r"\1", tok.text[1:-1]))
        if tok.kind == "name":
            return ("var", tok.text)
        if tok.kind == "kw" and tok.text in ("true", "false", "none", "null"):
            return ("lit", {"true": True, "false": False}.get(tok.text))
        if tok.text == "(" and tok.kind == "op":
            tree = self.or_()
            self.expect(")")
            return tree
        if tok.text == "[" and tok.kind == "op":
            items: list[Tree] = []
            if self.peek().text != "]":
                items.append(self.atom())
                while self.peek().text == ",":
                    self.take()
                    items.append(self.atom())
            self.expect("]")
            return ("list", tuple(items))
        raise ExprError(f"expected a value, found {tok.text or 'the end'!r}", tok.column)


def _compare(op: str, a: Any, b: Any) -> bool:
    if op in ("in", "not in"):
        try:
            found = a in b
        except TypeError:
            found = False
        return found if op == "in" else not found
    if isinstance(a, str) != isinstance(b, str) and None not in (a, b):
        # "100" from a digit entry against 100 in the flow: compare as numbers when both are.
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            return op == "!="
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    try:
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])
    except TypeError:
        return False


def _eval(tree: Tree, resolve: Resolve) -> Any:
    tag = tree[0]
    if tag == "lit":
        return tree[1]
    if tag == "var":
        return resolve(tree[1])
    if tag == "list":
        return [_eval(item, resolve) for item in tree[1]]
    if tag == "not":
        return not _eval(tree[1], resolve)
    if tag == "and":
        return bool(_eval(tree[1], resolve)) and bool(_eval(tree[2], resolve))
    if tag == "or":
        return bool(_eval(tree[1], resolve)) or bool(_eval(tree[2], resolve))
    return _compare(tree[1], _eval(tree[2], resolve), _eval(tree[3], resolve))


def _names(tree: Tree) -> set[str]:
    if tree[0] == "var":
        return {tree[1]}
    if tree[0] == "lit":
        return set()
    if tree[0] == "list":
        return set().union(*(_names(t) for t in tree[1]))
    return set().union(*(_names(t) for t in tree[1:] if isinstance(t, tuple)))


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed expression; ``evaluate`` looks variables up through ``resolve``."""

    text: str
    tree: Tree

    def evaluate(self, resolve: Resolve) -> Any:
        return _eval(self.tree, resolve)

    def holds(self, resolve: Resolve) -> bool:
        return bool(self.evaluate(resolve))

    def names(self) -> set[str]:
        return _names(self.tree)


def parse_expr(text: str) -> Expr:
    """Parse, raising ``ExprError`` with a column on bad syntax."""
    if not text.strip():
        raise ExprError("empty expression", 1)
    return Expr(text, _Parser(text).parse())
