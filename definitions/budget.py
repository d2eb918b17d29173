"""A campaign's budget as its plan states it, and the checks of its arithmetic. Pure.

A plan states budget lines (general hardship 150,000; moderate and severe
404,000; ...) and a total (869,000); some lines list their items with a
subtotal (poor households: 14 × 5,000 + 52 × 3,000 = 226,000). The campaign
file carries every figure as the plan states it, and loading checks the
arithmetic: a line whose items do not add up to its stated amount, and plan
lines that do not add up to the stated total (``budget_total``), are problems
naming the file, the line and both figures. Neither figure ever replaces the
other: a line's allocation is its stated ``amount``, the plan's total is
``budget_total``.

Lines a deployment adds of its own (a fund the plan names without a figure,
a line for the payments the plan's budget does not cover) say ``ours: true``:
the budget report shows them apart, and the plan's stated total leaves them
out.

Every fen a case pays is booked on a line: each category with a standard is
listed by one line, or the campaign names the line that books the categories
no line lists (``budget_unlisted``). A campaign with a budget that leaves a
category unpaid by any line does not load.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

from definitions.schema import Identifier, Identifiers, Labels, _Frozen

Yuan = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
_Add = Callable[[tuple[str | int, ...], str, str], None]


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


class BudgetItemSpec(_Frozen):
    """One item of a line as the plan lists it: an ``amount``, or a ``count`` of
    households or persons times the amount ``each`` (both, when the plan states
    both; then they must agree)."""

    labels: Labels
    amount: Yuan | None = None
    count: Annotated[int, Field(ge=0)] | None = None
    each: Yuan | None = None
    note: str | None = None

    @property
    def product(self) -> Decimal | None:
        """``count × each``, when the item states both."""
        if self.count is None or self.each is None:
            return None
        return self.count * self.each

    @property
    def figure(self) -> Decimal | None:
        """The item's amount: as stated, else ``count × each``; None when it states neither."""
        return self.amount if self.amount is not None else self.product


class BudgetLineSpec(_Frozen):
    """A line of the campaign's budget: yuan allocated to some categories.

    ``amount`` is the line's figure as the plan states it (its subtotal, when
    the plan lists ``items``). Approvals reserve the standard amount on the
    line of the case's category, disbursements spend it, rejections and
    withdrawals release it. A line with a ``fallback`` draws on that line
    when it runs short (general hardship falls back to the temporary relief
    fund); otherwise an approval that would overspend it is refused.
    ``ours: true`` marks a line the deployment adds, not the plan.
    """

    id: Identifier
    labels: Labels
    amount: Yuan
    categories: Identifiers = ()
    fallback: Identifier | None = None
    items: tuple[BudgetItemSpec, ...] = ()
    ours: bool = False
    note: str | None = None

    @property
    def amount_fen(self) -> int:
        return int(self.amount * 100)


def booking_line(lines: Sequence[BudgetLineSpec], unlisted: str | None,
                 category: str) -> BudgetLineSpec | None:
    """The line that books a payment of ``category``: the line listing it, else the
    campaign's line for unlisted categories; None when there is neither."""
    line = next((line for line in lines if category in line.categories), None)
    if line is None and unlisted is not None:
        line = next((line for line in lines if line.id == unlisted), None)
    return line


def plan_lines(lines: Sequence[BudgetLineSpec]) -> list[BudgetLineSpec]:
    """The lines the plan states (not ``ours``), whose amounts make its total."""
    return [line for line in lines if not line.ours]


def check_budget(lines: Sequence[BudgetLineSpec], total: Decimal | None, unlisted: str | None,
                 standards: Mapping[str, Any], add: _Add) -> None:
    """Every problem of a campaign's budget: duplicate ids, unknown fallbacks, a
    category paid from two lines or from none, items that do not add up to their
    line, lines that do not add up to the stated total."""
    ids = [line.id for line in lines]
    owner: dict[str, str] = {}
    for i, line in enumerate(lines):
        if line.id in ids[:i]:
            add(("budget", i, "id"), f"duplicate budget line '{line.id}'",
                f"重复的预算科目 '{line.id}'")
        if line.fallback is not None and (line.fallback not in ids or line.fallback == line.id):
            add(("budget", i, "fallback"), f"unknown fallback line '{line.fallback}'",
                f"未知的兜底科目 '{line.fallback}'")
        for k, cat in enumerate(line.categories):
            if standards and cat not in standards:
                add(("budget", i, "categories", k), f"'{cat}' has no standard in this campaign",
                    f"'{cat}' 在本活动中没有帮扶标准")
            if cat in owner:
                add(("budget", i, "categories", k), f"'{cat}' is already paid from '{owner[cat]}'",
                    f"'{cat}' 已由科目 '{owner[cat]}' 列支")
            owner[cat] = line.id
        _check_items(i, line, add)
    if unlisted is not None and unlisted not in ids:
        add(("budget_unlisted",), f"budget_unlisted names no budget line: '{unlisted}'",
            f"budget_unlisted 指定的预算科目不存在：'{unlisted}'")
    if lines and unlisted is None:
        for cat in standards:
            if cat not in owner:
                add(("budget",), f"category '{cat}' has a standard but no budget line pays it: "
                    "list it in a line's categories, or name the line that books such "
                    "payments with 'budget_unlisted'",
                    f"类别 '{cat}' 有帮扶标准，但没有预算科目列支：请列入某一科目的 categories，"
                    "或用 'budget_unlisted' 指定列支此类支出的科目")
    if total is not None:
        stated = plan_lines(lines)
        summed = sum((line.amount for line in stated), Decimal(0))
        if summed != total:
            add(("budget_total",),
                f"the budget states a total of {_yuan(total)} yuan, but its {len(stated)} "
                f"lines (those not marked 'ours') add up to {_yuan(summed)} yuan",
                f"预算总额写明 {_yuan(total)} 元，但方案所列 {len(stated)} 个科目（未标 "
                f"'ours' 的）合计 {_yuan(summed)} 元")


def _check_items(i: int, line: BudgetLineSpec, add: _Add) -> None:
    for k, item in enumerate(line.items):
        product = item.product
        if item.amount is None and product is None:
            add(("budget", i, "items", k), f"item '{item.labels.en}' of budget line '{line.id}' "
                "states no amount: give 'amount', or 'count' and 'each'",
                f"预算科目 '{line.id}' 的明细「{item.labels.zh}」没有金额：请写 'amount'，"
                "或写 'count' 和 'each'")
        elif item.amount is not None and product is not None and product != item.amount:
            add(("budget", i, "items", k, "amount"),
                f"item '{item.labels.en}' of budget line '{line.id}' states {_yuan(item.amount)} "
                f"yuan, but {item.count} × {_yuan(item.each or Decimal(0))} is "
                f"{_yuan(product)} yuan",
                f"预算科目 '{line.id}' 的明细「{item.labels.zh}」写明 {_yuan(item.amount)} 元，"
                f"但 {item.count} × {_yuan(item.each or Decimal(0))} 为 {_yuan(product)} 元")
    figures = [item.figure for item in line.items]
    if line.items and all(f is not None for f in figures):
        summed = sum((f for f in figures if f is not None), Decimal(0))
        if summed != line.amount:
            add(("budget", i, "amount"),
                f"budget line '{line.id}' states {_yuan(line.amount)} yuan, but its "
                f"{len(line.items)} items add up to {_yuan(summed)} yuan",
                f"预算科目 '{line.id}' 写明 {_yuan(line.amount)} 元，但其 {len(line.items)} "
                f"项明细合计 {_yuan(summed)} 元")
