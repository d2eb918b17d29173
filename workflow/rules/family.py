"""Family size, per-capita income and income lines. Pure.

Family size follows the district union (DOMAIN.md): a real number, when
given, is the size (single parents, childless couples and large families are
counted as they are); otherwise a married applicant counts self, spouse and
unmarried children, an unmarried one parents, self and unmarried siblings;
with neither the real number nor those counts, the family counts the
default of the rules' data (three).

Per-capita income is the household's total divided by the family size (and
by the months, for a monthly figure). It is a ``Decimal`` in fen and is not
rounded: the quotient is exact to 28 significant digits, and when it is not
exactly on a line (a line has at most four decimals of a fen) it is off it by
at least 1/(size × months × 10,000) fen, far more than that precision, so
comparisons with the lines decide exactly, boundary included. Round only for
display: ``round_half_up(value, 1)``, half a fen up.

Income lines are data (``definitions.standards.IncomeRules``): a multiple of
the minimum-living line or an absolute figure, per person per month. With
``less_than``, 低于, the line itself is not under it; with ``at_most``, 以下,
it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any, Literal

from definitions.errors import BangfuError
from definitions.schema import Labels
from definitions.standards import FamilyRulesSpec, IncomeLineSpec, IncomeRules, yuan_fen

MONTHS_PER_YEAR = 12
#: case data the family rules read
REAL_SIZE_FIELD = "household_size"
MARITAL_FIELD = "marital_status"
ANNUAL_INCOME_FIELD = "annual_income_fen"

Basis = Literal["real", "married", "unmarried", "default"]


class InvalidFamily(BangfuError):
    """Family counts that cannot be (a negative count, a size below one)."""

    code = "invalid_family"

    def __init__(self, what: str, value: object) -> None:
        self.what, self.value = what, value
        super().__init__(f"The family count '{what}' cannot be {value!r}",
                         f"家庭人口项 '{what}' 不能为 {value!r}")


@dataclass(frozen=True)
class Family:
    """What is known of an applicant's family; a count not known is None."""

    #: the real number of persons, when given
    size: int | None = None
    married: bool | None = None
    unmarried_children: int | None = None
    parents: int | None = None
    unmarried_siblings: int | None = None

    def __post_init__(self) -> None:
        if self.size is not None and self.size < 1:
            raise InvalidFamily("size", self.size)
        for name in ("unmarried_children", "parents", "unmarried_siblings"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidFamily(name, value)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Family:
        """The family of a case's data: ``household_size`` is the real number;
        ``marital_status`` is 'married' or 'unmarried'."""
        status = data.get(MARITAL_FIELD)
        return cls(size=data.get(REAL_SIZE_FIELD),
                   married=None if status is None else status == "married",
                   unmarried_children=data.get("unmarried_children"),
                   parents=data.get("parents"),
                   unmarried_siblings=data.get("unmarried_siblings"))


@dataclass(frozen=True)
class FamilySize:
    """A family size and the rule that gave it."""

    size: int
    basis: Basis
    rule: Labels


def family_size(family: Family, rules: FamilyRulesSpec) -> FamilySize:
    """The number of persons the family counts, and why."""
    if family.size is not None:
        return FamilySize(family.size, "real", Labels(
            en=f"the real number of persons given: {family.size}",
            zh=f"按实际人口计算：{family.size} 人"))
    if family.married is True and family.unmarried_children is not None:
        n = 2 + family.unmarried_children
        return FamilySize(n, "married", Labels(
            en=f"married: self, spouse and {family.unmarried_children} unmarried children = {n}",
            zh=f"已婚：本人、配偶及未婚子女 {family.unmarried_children} 人，共 {n} 人"))
    if (family.married is False and family.parents is not None
            and family.unmarried_siblings is not None):
        n = family.parents + 1 + family.unmarried_siblings
        return FamilySize(n, "unmarried", Labels(
            en=f"unmarried: {family.parents} parents, self and {family.unmarried_siblings} "
               f"unmarried siblings = {n}",
            zh=f"未婚：父母 {family.parents} 人、本人及未婚兄弟姐妹 "
               f"{family.unmarried_siblings} 人，共 {n} 人"))
    n = rules.default_size
    return FamilySize(n, "default", Labels(en=f"the default family size: {n}",
                                           zh=f"按默认家庭人口计算：{n} 人"))


def per_capita(total_fen: int, size: int, months: int = 1) -> Decimal:
    """``total_fen / size / months`` in fen, not rounded (see the module docstring)."""
    if size < 1 or months < 1:
        raise InvalidFamily("size" if size < 1 else "months", size if size < 1 else months)
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(total_fen) / (size * months)


def line_fen(rules: IncomeRules, line: IncomeLineSpec) -> Decimal:
    """The line in fen per person per month: 1.5 × 780 yuan → 117000."""
    if line.yuan is not None:
        return Decimal(yuan_fen(line.yuan))
    assert line.multiple is not None
    return line.multiple * yuan_fen(rules.minimum_living_line)


def under_line(per_capita_monthly_fen: Decimal | int, line: IncomeLineSpec,
               rules: IncomeRules) -> bool:
    """Is the per-capita monthly income under the line, as the line's bound means it?"""
    limit = line_fen(rules, line)
    if line.bound == "at_most":
        return per_capita_monthly_fen <= limit
    return per_capita_monthly_fen < limit


def lines_met(rules: IncomeRules,
              per_capita_monthly_fen: Decimal | int) -> tuple[IncomeLineSpec, ...]:
    """The lines the income is under, in the order of the rules."""
    return tuple(ln for ln in rules.lines if under_line(per_capita_monthly_fen, ln, rules))


def case_values(data: Mapping[str, Any], rules: FamilyRulesSpec) -> dict[str, Any]:
    """The values criteria may read besides the case data (``COMPUTED_NAMES``).

    ``family_size`` always; with ``annual_income_fen`` (the household's
    income over the year) also ``per_capita_annual_income_fen`` and
    ``per_capita_monthly_income_fen``.
    """
    size = family_size(Family.from_data(data), rules).size
    values: dict[str, Any] = {"family_size": size}
    income = data.get(ANNUAL_INCOME_FIELD)
    if isinstance(income, int) and not isinstance(income, bool):
        values["per_capita_annual_income_fen"] = per_capita(income, size)
        values["per_capita_monthly_income_fen"] = per_capita(income, size, MONTHS_PER_YEAR)
    return values


@dataclass(frozen=True)
class LineCheck:
    """One income line against a household: is the income under it, and which of its
    reasons (case fields) hold."""

    line: IncomeLineSpec
    limit_fen: Decimal
    under: bool
    reasons_held: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.under and (not self.line.reasons or bool(self.reasons_held))


@dataclass(frozen=True)
class Eligibility:
    """Whether a household qualifies under the income lines, and by what: the first
    line met, else the costs or losses of the year, else nothing."""

    checks: tuple[LineCheck, ...]
    #: the costs or losses bound held (whatever the income)
    by_costs: bool

    @property
    def qualified(self) -> bool:
        return self.by_costs or any(c.met for c in self.checks)

    @property
    def line(self) -> IncomeLineSpec | None:
        return next((c.line for c in self.checks if c.met), None)


def eligibility(rules: IncomeRules, per_capita_monthly_fen: Decimal | int | None,
                data: Mapping[str, Any], costs_or_losses_fen: int | None = None) -> Eligibility:
    """The income lines applied to a household: each line with its reasons (a reason
    holds when ``data[reason] is True``), and the costs or losses of the year."""
    checks = []
    for ln in rules.lines:
        under = per_capita_monthly_fen is not None and under_line(per_capita_monthly_fen, ln,
                                                                  rules)
        held = tuple(r for r in ln.reasons if data.get(r) is True)
        checks.append(LineCheck(ln, line_fen(rules, ln), under, held))
    bound = rules.costs_or_losses
    by_costs = bound is not None and costs_or_losses_fen is not None \
        and bound.holds(costs_or_losses_fen)
    return Eligibility(tuple(checks), by_costs)
