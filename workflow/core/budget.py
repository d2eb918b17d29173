"""The budget ledger of a campaign: reserve on approval, spend on disbursement,
release on rejection or withdrawal. Pure.

Balances come in from the shell (read in the command's transaction); this
module decides the ledger rows to write, or refuses an approval that would
overspend a line with no fallback fund.

Every fen a case pays is booked: a category no line lists goes to the
campaign's line for unlisted categories (``budget_unlisted``), and without
one its approval or payment is refused (``UnbudgetedPayment``). A payment
spends what the case holds reserved; what it pays beyond that is booked on
its category's line (or refused when the line and its fallback are short),
and what it leaves of the reservation is released.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from definitions.budget import booking_line
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


class UnbudgetedPayment(CommandRejected):
    code = "unbudgeted_payment"

    def __init__(self, category: str) -> None:
        self.category = category
        super().__init__(
            f"no budget line of the campaign pays the category '{category}' and the campaign "
            "names no line for unlisted categories (budget_unlisted); the money would go "
            "unbooked, so the command is refused",
            f"本活动没有列支类别 '{category}' 的预算科目，也未指定预算外类别的列支科目"
            "（budget_unlisted），该笔资金无法入账，不能办理")


def _yuan(fen: int) -> str:
    return fen_to_yuan_text(fen, grouping=True)


def line_of(budget: Sequence[Any], category: str, unlisted: str | None = None) -> Any | None:
    """The line that books ``category`` (or the line for unlisted categories)."""
    return booking_line(budget, unlisted, category)


def book(budget: Sequence[Any], balances: Mapping[str, Balance], category: str,
         amount: int, unlisted: str | None = None, kind: str = "reserve") -> list[Entry]:
    """Book ``amount`` (``kind``: reserve, or spend) on the category's line, or on its
    fallback.

    Raises:
        UnbudgetedPayment: no line books the category.
        BudgetExceeded: neither the line nor its fallback has enough left.
    """
    line = line_of(budget, category, unlisted)
    if line is None:
        raise UnbudgetedPayment(category)
    if balances[line.id].remaining >= amount:
        return [Entry(line.id, kind, amount)]
    if line.fallback is not None and balances[line.fallback].remaining >= amount:
        return [Entry(line.fallback, kind, amount, f"fallback for {line.id}")]
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
    #: the line that books the categories no line lists (``budget_unlisted``)
    unlisted: str | None = None


def ledger_entries(kind: str | None, facts: BudgetFacts | None, case: Any) -> list[Entry]:
    """The ledger rows a transition with ``budget: kind`` books for ``case`` (after
    the transition): reserve the standard amount of its category, spend what it
    paid, or release what it holds. None without a budget or facts.

    Raises:
        UnbudgetedPayment: no line books the case's category.
        BudgetExceeded: a reservation (or the part of a payment beyond what the
            case holds) that the line and its fallback cannot cover.
    """
    if kind is None or facts is None or not facts.lines:
        return []
    category = str(case.data.get("category"))
    if kind == "reserve":
        if line_of(facts.lines, category, facts.unlisted) is None:
            raise UnbudgetedPayment(category)
        computed = case_values(case.data, facts.family_rules) if facts.family_rules else {}
        amount = amount_for(facts.standards, category, case.data, computed).amount_fen
        return book(facts.lines, facts.balances, category, amount, facts.unlisted)
    if kind == "spend":
        return spend(facts, category, int(case.data.get("amount_fen") or 0))
    return settle(facts.held, "release")


def spend(facts: BudgetFacts, category: str, paid: int) -> list[Entry]:
    """Book a payment of ``paid`` fen: out of what the case holds, the rest on its
    category's line; whatever it leaves of its reservation is released."""
    held = sum(fen for fen in facts.held.values() if fen > 0)
    out = settle(facts.held, "spend", paid)
    if paid > held:
        out.extend(book(facts.lines, facts.balances, category, paid - held, facts.unlisted,
                        kind="spend"))
    elif held > paid:
        left = dict(facts.held)
        for entry in out:
            left[entry.line] -= entry.amount_fen
        out.extend(settle(left, "release"))
    return out


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
