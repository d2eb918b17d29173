"""Evaluation of criteria in the condition language of ``definitions.conditions``. Pure.

The same allow-listed node types as the process ``when`` conditions (checked
by ``check_condition``), evaluated here by walking the tree with the standard
library only. A name the values do not have reads as None (as a declared but
empty field does for ``when``); a condition that cannot be evaluated (None
compared with a number, a type error) does not hold. ``true``, ``false`` and
``none`` read as the constants.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from definitions.conditions import check_condition

_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "none": None}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
}


@lru_cache(maxsize=1024)
def _parse(text: str) -> ast.Expression:
    _, error = check_condition(text)
    if error is not None:
        raise ValueError(f"condition '{text}': {error}")
    return ast.parse(text.strip(), mode="eval")


def _eval(node: ast.AST, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, values)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id] if node.id in values else _CONSTANTS.get(node.id)
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, values) for e in node.elts]
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for item in node.values:
            result = _eval(item, values)
            if isinstance(node.op, ast.And) != bool(result):
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, values)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise ValueError(f"'{type(node).__name__}' is not allowed in a condition")


def holds(text: str, values: Mapping[str, Any]) -> bool:
    """Does the condition hold on these values? (False when it cannot be evaluated.)

    Raises:
        ValueError: the text is not in the condition language (the loaders
            refuse such criteria, so this means a programming error).
    """
    tree = _parse(text)
    try:
        return bool(_eval(tree, values))
    except (TypeError, ValueError, ArithmeticError):
        return False
