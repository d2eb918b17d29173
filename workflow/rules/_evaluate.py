"""The one evaluator of the condition language of ``definitions.conditions``. Pure.

Process ``when`` conditions, the campaign's criteria and its checklist
conditions all run here (each checked by ``check_condition`` at load time). A name the values do not have reads as
None (as a declared but empty field does for ``when``); a condition that
cannot be evaluated (None compared with a number, a type error) does not
hold. ``true``, ``false`` and ``none`` read as the constants.

Each condition is compiled once into nested closures over its allow-listed
tree: every application of a bulk import runs some thirty criteria and
checklist conditions, and walking the tree again per evaluation (as
simpleeval does) took half of a row's decision. The closures follow
simpleeval's semantics exactly (chained comparisons,
``and``/``or`` returning an operand, the same cap on text and list
repetition); ``tests/workflow/rules/test_evaluate.py`` checks them against
simpleeval on generated conditions and values. Nothing here calls ``eval``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from definitions.conditions import check_condition

Values = Mapping[str, Any]
Compiled = Callable[[Values], Any]

_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "none": None}
#: simpleeval's cap on the length of text or lists built by + and *
MAX_LENGTH = 100_000

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_,
    ast.IsNot: operator.is_not, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _sized(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_LENGTH:
        raise ValueError(f"a value longer than {MAX_LENGTH}")
    return value


def _mult(a: Any, b: Any) -> Any:
    # check before building: 'x' * 10**12 must not allocate first
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                and len(seq) * times > MAX_LENGTH:
            raise ValueError(f"a value longer than {MAX_LENGTH}")
    return a * b


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: _sized(a + b), ast.Sub: operator.sub, ast.Mult: _mult,
}


def _compile(node: ast.AST) -> Compiled:  # noqa: C901 - one case per allowed node type
    if isinstance(node, ast.Expression):
        return _compile(node.body)
    if isinstance(node, ast.Constant):
        constant = node.value
        return lambda values: constant
    if isinstance(node, ast.Name):
        name = node.id
        if name in _CONSTANTS:
            fixed = _CONSTANTS[name]
            return lambda values: fixed
        return lambda values: values.get(name)
    if isinstance(node, ast.List | ast.Tuple):
        items = [_compile(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return lambda values: tuple(f(values) for f in items)
        return lambda values: [f(values) for f in items]
    if isinstance(node, ast.UnaryOp):
        inner = _compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda values: not inner(values)
        if isinstance(node.op, ast.USub):
            return lambda values: -inner(values)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right, op = _compile(node.left), _compile(node.right), _BINARY[type(node.op)]
        return lambda values: op(left(values), right(values))
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            def all_of(values: Values) -> Any:
                result: Any = False
                for part in parts:
                    result = part(values)
                    if not result:
                        break
                return result
            return all_of

        def any_of(values: Values) -> Any:
            result: Any = False
            for part in parts:
                result = part(values)
                if result:
                    break
            return result
        return any_of
    if isinstance(node, ast.Compare):
        first = _compile(node.left)
        chain = [(_COMPARE[type(op)], _compile(c)) for op, c in zip(node.ops, node.comparators,
                                                                     strict=True)]

        def compare(values: Values) -> Any:
            right = first(values)
            result: Any = True
            for op, comparator in chain:
                left, right = right, comparator(values)
                result = op(left, right)
                if not result:
                    break
            return result
        return compare
    raise ValueError(f"'{type(node).__name__}' is not allowed in a condition")


@lru_cache(maxsize=1024)
def compiled(text: str) -> Compiled:
    """The condition as a function of the values.

    Raises:
        ValueError: the text is not in the condition language (the loaders
            refuse such criteria, so this means a programming error).
    """
    _, error = check_condition(text)
    if error is not None:
        raise ValueError(f"condition '{text}': {error}")
    return _compile(ast.parse(text.strip(), mode="eval"))


def holds(text: str, values: Values) -> bool:
    """Does the condition hold on these values? (False when it cannot be evaluated.)

    Raises:
        ValueError: the text is not in the condition language.
    """
    check = compiled(text)
    try:
        return bool(check(values))
    except (TypeError, ValueError, ArithmeticError):
        return False
