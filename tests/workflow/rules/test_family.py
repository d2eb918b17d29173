"""Family size, per-capita income and the district union's income lines, from data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from definitions import DefinitionInvalid
from definitions.standards import FamilyRulesSpec, income_rules_from_text, load_income_rules
from workflow.rules import (
    Family,
    InvalidFamily,
    case_values,
    family_size,
    line_fen,
    lines_met,
    per_capita,
    under_line,
)

RULES = load_income_rules()
FAMILY = RULES.family

CITY = """\
rules: city_union
labels: {zh: 市总工会, en: City union}
minimum_living_line: 780
family: {default_size: 3}
lines:
  - {id: margin, labels: {zh: 低保边缘家庭, en: Households at the margin}, yuan: 850, bound: at_most}
"""


def test_default_family_is_three_from_the_data() -> None:
    """Nothing known: the family counts the data's default, three."""
    assert FAMILY.default_size == 3
    size = family_size(Family(), FAMILY)
    assert (size.size, size.basis) == (3, "default")
    assert "3" in size.rule.zh


def test_default_is_data_not_code() -> None:
    """Another default in the data gives another size."""
    assert family_size(Family(), FamilyRulesSpec(default_size=4)).size == 4


@pytest.mark.parametrize(("children", "size"), [(0, 2), (1, 3), (3, 5)])
def test_married_counts_self_spouse_and_unmarried_children(children: int, size: int) -> None:
    """Married: self, spouse and unmarried children (a childless couple is two)."""
    got = family_size(Family(married=True, unmarried_children=children), FAMILY)
    assert (got.size, got.basis) == (size, "married")


@pytest.mark.parametrize(("parents", "siblings", "size"), [(2, 0, 3), (1, 0, 2), (2, 2, 5)])
def test_unmarried_counts_parents_self_and_unmarried_siblings(parents: int, siblings: int,
                                                              size: int) -> None:
    """Unmarried: parents, self and unmarried siblings."""
    got = family_size(Family(married=False, parents=parents, unmarried_siblings=siblings),
                      FAMILY)
    assert (got.size, got.basis) == (size, "unmarried")


def test_counts_not_given_fall_back_to_the_default() -> None:
    """Married without the children's count, or unmarried without siblings: three."""
    assert family_size(Family(married=True), FAMILY).basis == "default"
    assert family_size(Family(married=False, parents=2), FAMILY).basis == "default"


@pytest.mark.parametrize("real", [1, 2, 7])
def test_real_numbers_override(real: int) -> None:
    """A real number (single parent, childless couple, large family) is the size."""
    got = family_size(Family(size=real, married=True, unmarried_children=3), FAMILY)
    assert (got.size, got.basis) == (real, "real")


def test_family_from_case_data() -> None:
    """household_size is the real number; marital_status and the counts are read too."""
    assert Family.from_data({"household_size": 4}).size == 4
    fam = Family.from_data({"marital_status": "married", "unmarried_children": 2})
    assert family_size(fam, FAMILY).size == 4
    fam = Family.from_data({"marital_status": "unmarried", "parents": 2,
                            "unmarried_siblings": 1})
    assert family_size(fam, FAMILY).size == 4


@pytest.mark.parametrize("bad", [{"size": 0}, {"unmarried_children": -1}, {"parents": -1}])
def test_impossible_counts_are_refused(bad: dict[str, int]) -> None:
    """A size below one or a negative count is an InvalidFamily."""
    with pytest.raises(InvalidFamily):
        Family(**bad)  # type: ignore[arg-type]


def test_income_lines_reproduce_domain_figures() -> None:
    """150 %, 200 % and 3× of 780 are 1,170, 1,560 and 2,340 yuan per person per month."""
    assert RULES.minimum_living_line == 780
    assert [line_fen(RULES, ln) for ln in RULES.lines] == [117_000, 156_000, 234_000]
    assert RULES.costs_or_losses is not None and RULES.costs_or_losses.holds(2_000_000)
    assert not RULES.costs_or_losses.holds(1_999_999)


def test_shipped_lines_include_the_line_itself() -> None:
    """The plan's lines are "…% 以下": exactly 1,170 is inside the 150 % line; one fen more
    is not (a household of three with 3,510 a month has exactly 1,170 each)."""
    first = RULES.lines[0]
    assert first.bound == "at_most" and first.wording is not None and "以下" in first.wording
    assert under_line(Decimal(117_000), first, RULES)
    assert under_line(Decimal(116_999), first, RULES)
    assert not under_line(Decimal(117_001), first, RULES)
    assert under_line(per_capita(351_000, 3), first, RULES)
    assert not under_line(per_capita(351_001, 3), first, RULES)


def test_less_than_excludes_the_line_itself() -> None:
    """A line worded 低于 (``less_than``): exactly on it is not under it; one fen less is."""
    city = income_rules_from_text(CITY.replace("bound: at_most", "bound: less_than"))
    margin = city.lines[0]
    assert not under_line(85_000, margin, city)
    assert under_line(84_999, margin, city)


def test_at_most_includes_the_line() -> None:
    """A line 'at_most', 以下 or ≤ 850, includes 850 itself."""
    city = income_rules_from_text(CITY)
    margin = city.lines[0]
    assert line_fen(city, margin) == 85_000
    assert under_line(85_000, margin, city)
    assert not under_line(Decimal("85000.0001"), margin, city)


def test_lines_met_in_order() -> None:
    """An income under 200 % but not 150 % meets the 200 % and 3× lines."""
    met = lines_met(RULES, Decimal(120_000))
    assert [ln.id for ln in met] == ["special_reason", "major_illness_or_disaster"]
    assert [ln.id for ln in lines_met(RULES, Decimal(234_000))] == ["major_illness_or_disaster"]
    assert lines_met(RULES, Decimal(234_001)) == ()


def test_per_capita_is_exact_and_not_rounded() -> None:
    """Total over size (and months) as Decimal fen, not rounded."""
    assert per_capita(351_000, 3) == 117_000
    assert per_capita(1_200_000, 4, 12) == 25_000
    assert per_capita(100, 3) == Decimal(100) / 3
    with pytest.raises(InvalidFamily):
        per_capita(100, 0)


def test_case_values() -> None:
    """family_size always; per-capita incomes when the annual income is given."""
    values = case_values({"household_size": 4, "annual_income_fen": 1_200_000}, FAMILY)
    assert values == {"family_size": 4, "per_capita_annual_income_fen": 300_000,
                      "per_capita_monthly_income_fen": 25_000}
    assert case_values({}, FAMILY) == {"family_size": 3}


@given(st.integers(min_value=0, max_value=10 ** 10), st.integers(min_value=1, max_value=30),
       st.sampled_from([1, 12]), st.sampled_from(list(RULES.lines)))
def test_line_comparison_is_exact(total: int, size: int, months: int, line: object) -> None:
    """Comparing the per-capita Decimal with a line decides as exact integer arithmetic does."""
    from definitions.standards import IncomeLineSpec

    assert isinstance(line, IncomeLineSpec)
    limit = line_fen(RULES, line)
    exact = total <= limit * size * months if line.bound == "at_most" \
        else total < limit * size * months
    assert under_line(per_capita(total, size, months), line, RULES) == exact


def test_income_rules_problems_name_their_line() -> None:
    """A line with both a multiple and a figure is refused with its line number."""
    bad = CITY.replace("yuan: 850,", "yuan: 850, multiple: 1.5,")
    with pytest.raises(DefinitionInvalid) as ei:
        income_rules_from_text(bad, "city.yaml")
    (problem,) = ei.value.problems
    assert problem.line == 6 and problem.path == "lines[0]"
    with pytest.raises(DefinitionInvalid) as ei:
        income_rules_from_text(CITY[:CITY.index("lines:")] + "lines: []\n", "city.yaml")
    assert [p.path for p in ei.value.problems] == ["lines"]
