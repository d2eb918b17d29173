"""Static checks of declarative conditions. Pure.

A condition is a small Python-like expression over case data, e.g.
``category in ['moderate', 'severe']`` or ``household_size >= 3 and not dibao``.
Only the node types below are allowed; ``workflow.rules._evaluate`` compiles
the checked tree into closures, the one evaluator of every condition (process
``when`` conditions, criteria, checklists). Never ``eval``.
"""

from __future__ import annotations

import ast

_ALLOWED: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult,
)


def check_condition(text: str) -> tuple[set[str], str | None]:
    """Return the data names a condition reads and an error text, if any."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        return set(), f"not a valid condition: {exc.msg}"
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            return set(), f"'{type(node).__name__}' is not allowed in a condition"
        if isinstance(node, ast.Name):
            names.add(node.id)
    return names - {"none", "true", "false"}, None
