"""The branch expression language: grammar, evaluation that never raises, errors with columns."""

from __future__ import annotations

import pytest

from centralino.ivr.expr import ExprError, parse_expr

VARS = {"caller.country": "PL", "customer.balance": 150.5, "time.hour": 19, "verified": True,
        "account": "00123", "queue.support.ewt": 240, "language": "pl", "tier": None}


@pytest.mark.parametrize(("text", "expected"), [
    ('caller.country == "PL"', True),
    ("caller.country != 'PL'", False),
    ("customer.balance > 100 and time.hour >= 18", True),
    ("customer.balance > 100 and not verified", False),
    ("not verified or queue.support.ewt < 300", True),
    ('language in ["pl", "de"]', True),
    ('language not in ["pl", "de"]', False),
    ("account == 123", True),  # a digit entry compares as a number with a number
    ("account == '00123'", True),
    ("tier == none", True),
    ("missing.var > 3", False),  # unknown variables are none; ordering none is false
    ("missing.var", False),
    ("customer.balance > 'abc'", False),
    ("(time.hour < 8 or time.hour >= 18) and caller.country == 'PL'", True),
    ("NOT FALSE AND TRUE", True),
    ("-1 < 0", True),
    ("queue.support.ewt <= 240.0", True),
    ('"it\\"s" == \'it"s\'', True),
    ("[] == []", True),
])
def test_evaluation(text: str, expected: bool) -> None:
    assert parse_expr(text).holds(VARS.get) is expected


@pytest.mark.parametrize(("text", "column"), [
    ("x == ", 6),
    ("x = 1", 3),
    ("(a and b", 9),
    ("a b", 3),
    ("", 1),
    ("x in [1, 2", 11),
    ("f(x)", 2),
])
def test_syntax_errors_name_the_column(text: str, column: int) -> None:
    with pytest.raises(ExprError) as info:
        parse_expr(text)
    assert info.value.column == column


def test_names_lists_the_variables_read() -> None:
    expr = parse_expr("a.b > 1 and (c or d in [e, 'x'])")
    assert expr.names() == {"a.b", "c", "d", "e"}
