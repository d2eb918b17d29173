"""Bounds as the plans word them. Pure.

In Chinese regulations 以上, 以下 and 以内 include the number itself; 超过,
不足 and 低于 do not (DOMAIN.md). A bound in the shipped files carries the
plan's own words beside it (``wording``), and loading holds the two to each
other: the words a wording uses must be the bounds the figure or condition
applies, so "4 万元以上" cannot sit beside ``>`` nor "低于 150%" beside
``at_most``.

- ``wording_kinds``: the bound each word of a wording means, in order, the
  longer words first (不超过 is 以内, not 超过; 不低于 is 以上, not 低于).
- ``condition_bounds``: the comparisons of a condition between a name and a
  number (``self_paid_medical_fen >= 40000 * 100``), as (name, kind, figure).
- ``wording_numbers``: the figures a wording states, 万 multiplied out.
- ``check_wording``: the problem, if any, of a wording beside some bounds.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Literal

BoundKind = Literal["at_least", "more_than", "at_most", "less_than"]

#: the plans' words for a bound; the longer first, so that 不超过 is not read as 超过
BOUND_WORDS: tuple[tuple[str, BoundKind], ...] = (
    ("不超过", "at_most"), ("不高于", "at_most"), ("不多于", "at_most"),
    ("不低于", "at_least"), ("不少于", "at_least"),
    ("以上", "at_least"), ("以下", "at_most"), ("以内", "at_most"),
    ("超过", "more_than"), ("高于", "more_than"),
    ("低于", "less_than"), ("不足", "less_than"), ("少于", "less_than"),
)
#: the plans' words for each kind, for messages
KIND_WORDS: dict[BoundKind, str] = {"at_least": "以上", "more_than": "超过",
                                    "at_most": "以下/以内", "less_than": "低于/不足"}

_OPS: dict[type[ast.cmpop], BoundKind] = {ast.GtE: "at_least", ast.Gt: "more_than",
                                          ast.LtE: "at_most", ast.Lt: "less_than"}
_FLIP: dict[BoundKind, BoundKind] = {"at_least": "at_most", "at_most": "at_least",
                                     "more_than": "less_than", "less_than": "more_than"}
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(万)?")


def wording_kinds(text: str) -> list[BoundKind]:
    """The bound each word of ``text`` means, in the order they appear."""
    found: list[tuple[int, BoundKind]] = []
    taken = [False] * len(text)
    for word, kind in BOUND_WORDS:
        start = text.find(word)
        while start != -1:
            span = range(start, start + len(word))
            if not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                found.append((start, kind))
            start = text.find(word, start + 1)
    return [kind for _, kind in sorted(found)]


def wording_numbers(text: str) -> list[Decimal]:
    """The figures ``text`` states, 万 multiplied out ("4 万元以上" → 40000)."""
    out = []
    for digits, wan in _NUMBER.findall(text):
        value = Decimal(digits.replace(",", ""))
        out.append(value * 10000 if wan else value)
    return out


def _number(node: ast.AST) -> Decimal | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return Decimal(str(node.value))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Add | ast.Sub):
        left, right = _number(node.left), _number(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        return left + right if isinstance(node.op, ast.Add) else left - right
    return None


def condition_bounds(text: str) -> list[tuple[str, BoundKind, Decimal]]:
    """The comparisons of a condition between a name and a number, as
    (name, kind, figure), with the name on the left (``4 <= x`` is ``x >= 4``)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return []
    out: list[tuple[str, BoundKind, Decimal]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        terms = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, terms, terms[1:], strict=False):
            kind = _OPS.get(type(op))
            if kind is None:
                continue
            if isinstance(left, ast.Name) and (figure := _number(right)) is not None:
                out.append((left.id, kind, figure))
            elif isinstance(right, ast.Name) and (figure := _number(left)) is not None:
                out.append((right.id, _FLIP[kind], figure))
    return out


def in_yuan(name: str, figure: Decimal) -> Decimal:
    """A condition's figure as the plans state it: fen fields (``*_fen``) in yuan."""
    return figure / 100 if name.endswith("_fen") else figure


def check_wording(wording: str, bounds: Sequence[tuple[BoundKind, Decimal | None]]
                  ) -> tuple[str, str] | None:
    """Why ``wording`` does not match ``bounds`` (kind, figure as the plan states it;
    None: a figure the wording need not repeat, such as a multiple), or None.

    The words must name exactly the kinds of the bounds; a wording with no
    bound word at all (a count such as 家有两名残疾人) is not checked.
    """
    words = wording_kinds(wording)
    if not words:
        return None
    kinds = [k for k, _ in bounds]
    if Counter(words) != Counter(kinds):
        said = "、".join(KIND_WORDS[k] for k in words)
        does = "、".join(KIND_WORDS[k] for k in kinds) or "—"
        return (f"the plan's wording '{wording}' says {', '.join(words)} but the bound is "
                f"{', '.join(kinds) or 'none'}",
                f"方案原文「{wording}」写的是 {said}，而此处的界限是 {does}")
    stated = wording_numbers(wording)
    for kind, figure in bounds:
        if figure is not None and stated and not any(_same(figure, s) for s in stated):
            return (f"the plan's wording '{wording}' does not state the figure {figure:f} "
                    f"of the {kind} bound",
                    f"方案原文「{wording}」中没有此处界限的数额 {figure:f}")
    return None


def _same(a: Decimal, b: Decimal) -> bool:
    try:
        return a.compare(b) == 0
    except InvalidOperation:
        return False
