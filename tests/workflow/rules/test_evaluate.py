"""The compiled conditions of ``workflow.rules._evaluate`` agree with simpleeval (the
evaluator of the process ``when`` conditions) on generated conditions and values."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simpleeval import EvalWithCompoundTypes, InvalidExpression, NameNotDefined

from definitions.conditions import check_condition
from workflow.rules._evaluate import compiled, holds

NAMES = ("dibao", "self_paid_medical_fen", "hardship_degree", "family_size", "missing")
CONSTANTS = {"true": True, "false": False, "none": None}


def reference(text: str, values: Mapping[str, Any]) -> bool:
    """What simpleeval says, with the same defaults (unknown names read as None)."""
    names, error = check_condition(text)
    assert error is None, error
    evaluator = EvalWithCompoundTypes(functions={})
    evaluator.names = {**CONSTANTS, **dict.fromkeys(names), **values}
    try:
        return bool(evaluator.eval(text, previously_parsed=ast.parse(text).body[0]))
    except (InvalidExpression, NameNotDefined, TypeError, ValueError, ArithmeticError):
        return False


atoms = st.one_of(
    st.sampled_from(NAMES), st.sampled_from(("true", "false", "none")),
    st.integers(-2, 3).map(str), st.sampled_from(("400000", "100001")), st.sampled_from(("'very_hard'", "'hard'", "''", "'x'")),
    st.just("[1, 'hard', none]"), st.just("(2, 3)"))


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(("+", "-", "*")), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    compare = st.tuples(inner, st.lists(st.tuples(
        st.sampled_from(("==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not")),
        inner), min_size=1, max_size=2)).map(
        lambda t: "(" + t[0] + "".join(f" {op} {x}" for op, x in t[1]) + ")")
    boolean = st.tuples(inner, st.sampled_from(("and", "or")), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(("not ", "-")), inner).map(lambda t: f"({t[0]}{t[1]})")
    return st.one_of(binary, compare, boolean, unary)


conditions = st.recursive(atoms, _extend, max_leaves=8)
values = st.fixed_dictionaries({}, optional={
    "dibao": st.booleans(), "self_paid_medical_fen": st.one_of(st.integers(-2, 3),
                                       st.sampled_from([399_999, 400_000, 400_001])),
    "hardship_degree": st.sampled_from(["very_hard", "fairly_hard", "hard", "x" * 60_000]),
    "family_size": st.integers(0, 10)})


@settings(max_examples=600, deadline=None)
@given(conditions, values)
def test_compiled_conditions_agree_with_simpleeval(text: str, data: dict[str, Any]) -> None:
    """Same verdict on every generated condition and set of values."""
    assert holds(text, data) == reference(text, data), text


@pytest.mark.parametrize(("text", "data", "expected"), [
    ("dibao and self_paid_medical_fen >= 40000 * 100",
     {"dibao": True, "self_paid_medical_fen": 4_000_000}, True),
    ("dibao and self_paid_medical_fen >= 40000 * 100",
     {"dibao": True, "self_paid_medical_fen": 3_999_999}, False),
    ("hardship_degree in ['fairly_hard', 'very_hard']", {"hardship_degree": "hard"}, False),
    ("20000 * 100 <= self_paid_medical_fen <= 40000 * 100",
     {"self_paid_medical_fen": 2_000_000}, True),
    ("self_paid_medical_fen < 4000 * 100", {"self_paid_medical_fen": 400_000}, False),
    ("self_paid_medical_fen > 0", {}, False),             # unknown reads as None: no verdict
    ("not dibao", {}, True),
    ("'x' * 1000000 == 'x'", {}, False),                  # capped like simpleeval
])
def test_known_conditions(text: str, data: dict[str, Any], expected: bool) -> None:
    """The plans' boundaries, missing values and the repetition cap."""
    assert holds(text, data) is expected


def test_a_condition_outside_the_language_is_refused() -> None:
    """Attribute access and calls never compile."""
    with pytest.raises(ValueError, match="not allowed"):
        compiled("dibao.__class__")
    with pytest.raises(ValueError, match="not allowed"):
        compiled("open('x')")
