"""Evaluation of criteria in the condition language of ``definitions.conditions``. Pure.

The same allow-listed conditions as the process ``when`` conditions (checked
by ``check_condition`` at load time), evaluated like them with simpleeval on
a tree parsed once. A name the values do not have reads as None (as a
declared but empty field does for ``when``); a condition that cannot be
evaluated (None compared with a number, a type error) does not hold.
``true``, ``false`` and ``none`` read as the constants.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression, NameNotDefined

from definitions.conditions import check_condition

_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "none": None}
_local = threading.local()


@lru_cache(maxsize=1024)
def _parse(text: str) -> tuple[ast.AST, frozenset[str]]:
    names, error = check_condition(text)
    if error is not None:
        raise ValueError(f"condition '{text}': {error}")
    return ast.parse(text.strip()).body[0], frozenset(names)


def holds(text: str, values: Mapping[str, Any]) -> bool:
    """Does the condition hold on these values? (False when it cannot be evaluated.)

    Raises:
        ValueError: the text is not in the condition language (the loaders
            refuse such criteria, so this means a programming error).
    """
    tree, names = _parse(text)
    evaluator = getattr(_local, "evaluator", None)
    if evaluator is None:
        # One evaluator per thread, its names swapped per call: building one
        # per criterion costs more than evaluating it (bulk import, proposals).
        evaluator = _local.evaluator = EvalWithCompoundTypes(functions={})
    evaluator.names = {**_CONSTANTS, **dict.fromkeys(names), **values}
    try:
        return bool(evaluator.eval(text, previously_parsed=tree))
    except (InvalidExpression, NameNotDefined, TypeError, ValueError, ArithmeticError):
        return False
