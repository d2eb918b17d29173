"""The budget ledger of a campaign: reserve on approval, spend on disbursement,
release on rejection or withdrawal. Pure.

Balances come in from the shell (read in the command's transaction); this
module decides the ledger rows to write, or refuses an approval that would
overspend a line with no fallback fund.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.errors import CommandRejected
from workflow.rules.family import case_values
from workflow.rules.money import fen_to_yuan_text
from workflow.rules.relief import amount_for


@dataclass(frozen=True, slots=True)
class Balance:
    allocated: int
    reserved: int
    paid: int

    @property
    def remaining(self) -> int:
        return self.allocated - self.reserved - self.paid


@dataclass(frozen=True, slots=True)
class Entry:
    """A ledger row to write with the event."""

    line: str
    kind: str  # reserve | release | spend
    amount_fen: int
    note: str | None = None


class BudgetExceeded(CommandRejected):
    code = "budget_exceeded"

    def __init__(self, line: str, label_en: str, label_zh: str, remaining: int,
                 amount: int) -> None:
        self.line = line
        super().__init__(
            f"the budget line '{label_en}' has {_yuan(remaining)} yuan left, not enough for "
            f"{_yuan(amount)}; the approval is refused",
            f"预算科目「{label_zh}」仅剩 {_yuan(remaining)} 元，不足 {_yuan(amount)} 元，不能批准")


def _yuan(fen: int) -> str:
    return fen_to_yuan_text(fen, grouping=True)


def line_of(budget: Sequence[Any], category: str) -> Any | None:
    return next((line for line in budget if category in line.categories), None)


def reserve(budget: Sequence[Any], balances: Mapping[str, Balance], category: str,
            amount: int) -> list[Entry]:
    """Reserve ``amount`` on the category's line, or on its fallback.

    Raises:
        BudgetExceeded: neither has enough left.
    """
    line = line_of(budget, category)
    if line is None:
        return []  # the category is not paid from this budget
    if balances[line.id].remaining >= amount:
        return [Entry(line.id, "reserve", amount)]
    if line.fallback is not None and balances[line.fallback].remaining >= amount:
        return [Entry(line.fallback, "reserve", amount, f"fallback for {line.id}")]
    raise BudgetExceeded(line.id, line.labels.en, line.labels.zh, balances[line.id].remaining,
                         amount)


@dataclass(frozen=True, slots=True)
class BudgetFacts:
    """What a budgeted transition needs, read by the shell in the command's
    transaction: the campaign's lines and standards, each line's balance, and
    what this case holds reserved."""

    lines: Sequence[Any]
    standards: Any
    family_rules: Any
    balances: Mapping[str, Balance]
    held: Mapping[str, int]


def ledger_entries(kind: str | None, facts: BudgetFacts | None, case: Any) -> list[Entry]:
    """The ledger rows a transition with ``budget: kind`` books for ``case`` (after
    the transition): reserve the standard amount of its category, spend what it
    paid, or release what it holds. None without a budget or facts.

    Raises:
        BudgetExceeded: a reservation the line (and its fallback) cannot cover.
    """
    if kind is None or facts is None or not facts.lines:
        return []
    if kind == "reserve":
        category = str(case.data.get("category"))
        if line_of(facts.lines, category) is None:
            return []
        computed = case_values(case.data, facts.family_rules) if facts.family_rules else {}
        amount = amount_for(facts.standards, category, case.data, computed).amount_fen
        return reserve(facts.lines, facts.balances, category, amount)
    if kind == "spend":
        return settle(facts.held, "spend", int(case.data.get("amount_fen") or 0))
    return settle(facts.held, "release")


def settle(held: Mapping[str, int], kind: str, amount: int | None = None) -> list[Entry]:
    """Spend (``amount`` of) or release what the case holds, line by line."""
    out: list[Entry] = []
    left = amount
    for line, fen in held.items():
        if fen <= 0:
            continue
        take = fen if left is None else min(fen, left)
        if take:
            out.append(Entry(line, kind, take))
        if left is not None:
            left -= take
    return out
