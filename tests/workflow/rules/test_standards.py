"""Category proposals, amounts of the final category and report totals from the campaign data."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from definitions.campaign import SHIPPED_CAMPAIGNS, load_campaign
from definitions.standards import load_income_rules
from workflow.rules import (
    AmountNotStandard,
    MissingCount,
    Proposal,
    ReasonRequired,
    SubgroupRequired,
    UnknownCategory,
    amount_for,
    case_values,
    change_category,
    check_amount,
    chinese_capital,
    population_total,
    propose,
    qualifying,
)

STANDARDS = load_campaign(SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml").spec.standards
FAMILY = load_income_rules().family
YUAN = 100


def values(**data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    data.setdefault("household_size", 3)
    return data, case_values(data, FAMILY)


def proposed(**data: Any) -> Proposal:
    p = propose(STANDARDS, *values(**data))
    assert p is not None
    return p


@pytest.mark.parametrize(("medical_fen", "category", "rule"), [
    (4_000_000, "severe", "dibao_medical_40000"),     # the bands touch at 40,000: severe wins
    (9_000_000, "severe", "dibao_medical_40000"),
    (3_999_999, "moderate", "dibao_medical_20000_40000"),
    (2_000_000, "moderate", "dibao_medical_20000_40000"),
    (1_999_999, "dibao", "dibao_household"),
])
def test_dibao_family_medical_bands(medical_fen: int, category: str, rule: str) -> None:
    """低保 family: 40,000 or more is severe, 20,000 to 40,000 moderate."""
    p = proposed(dibao=True, self_paid_medical_fen=medical_fen)
    assert (p.category, p.rule and p.rule.id) == (category, rule)


@pytest.mark.parametrize(("medical_fen", "category"), [
    (8_000_000, "severe"), (7_999_999, "moderate"), (5_000_000, "moderate"),
    (4_999_999, "general"),
])
def test_other_family_medical_bands(medical_fen: int, category: str) -> None:
    """Other hardship family: 80,000 or more severe, 50,000 to 80,000 moderate."""
    p = proposed(dibao=False, hardship_degree="hard", self_paid_medical_fen=medical_fen)
    assert p.category == category


def test_touching_band_matches_both_but_the_higher_wins() -> None:
    """At 40,000 both the severe and the moderate criteria hold; priority decides."""
    data = values(dibao=True, self_paid_medical_fen=40_000 * YUAN)
    assert qualifying(STANDARDS, {**data[0], **data[1]})[:3] == ("severe", "moderate", "dibao")
    p = propose(STANDARDS, *data)
    assert p is not None and (p.category, p.amount_fen) == ("severe", 4_000 * YUAN)
    assert p.rule is not None and "4 万元以上" in p.rule.labels.zh


@given(st.integers(min_value=0, max_value=200_000 * YUAN))
def test_dibao_bands_as_a_property(medical_fen: int) -> None:
    """For any costs of a 低保 family: severe from 40,000, moderate from 20,000, else 低保."""
    p = proposed(dibao=True, self_paid_medical_fen=medical_fen)
    expected = ("severe" if medical_fen >= 40_000 * YUAN
                else "moderate" if medical_fen >= 20_000 * YUAN else "dibao")
    assert p.category == expected


@pytest.mark.parametrize(("data", "category"), [
    ({"disabled_members": 2, "hardship_degree": "very_hard"}, "severe"),
    ({"disabled_members": 2, "hardship_degree": "fairly_hard"}, "moderate"),
    ({"disabled_members": 1, "hardship_degree": "very_hard"}, "moderate"),
    ({"disabled_members": 1, "hardship_degree": "hard"}, "general"),
    ({"disaster_or_accident": True, "hardship_degree": "very_hard"}, "severe"),
    ({"disaster_or_accident": True, "hardship_degree": "fairly_hard"}, "moderate"),
    ({"hardship_degree": "hard"}, "general"),
    ({"veteran": True}, "veteran"),
])
def test_other_criteria(data: dict[str, Any], category: str) -> None:
    """Disabled members, disaster and the degree of hardship pick the category."""
    assert proposed(**data).category == category


def test_nothing_matches_no_proposal() -> None:
    """With no criterion holding, the engine proposes nothing; the reviewers choose."""
    assert propose(STANDARDS, *values()) is None


def test_amounts_of_the_plan() -> None:
    """4,000 severe, 2,000 moderate (this deployment's setting), 600 general and veteran."""
    assert proposed(dibao=True, self_paid_medical_fen=4_000_000).amount_fen == 400_000
    assert proposed(dibao=True, self_paid_medical_fen=2_000_000).amount_fen == 200_000
    assert proposed(hardship_degree="hard").amount_fen == 60_000
    assert proposed(veteran=True).amount_fen == 60_000


@pytest.mark.parametrize(("size", "income_yuan", "subgroup", "amount"), [
    (4, 11_999, "under_3000_large", 5_000),   # 2,999.75 per capita, four persons
    (4, 12_000, "under_4000", 3_000),         # exactly 3,000: not below 3,000
    (3, 8_000, "under_4000", 3_000),          # below 3,000 but not a larger family
    (5, 19_999, "under_4000", 3_000),         # 3,999.80
])
def test_poor_households(size: int, income_yuan: int, subgroup: str, amount: int) -> None:
    """5,000 below 3,000 per capita with a larger family; 3,000 otherwise below 4,000."""
    p = proposed(household_size=size, poor_registered=True, annual_income_fen=income_yuan * YUAN)
    assert (p.category, p.subgroup, p.amount_fen) == ("poor_household", subgroup, amount * YUAN)
    assert p.rules[0].id == "below_city_line"


def test_city_line_itself_is_not_below_it() -> None:
    """4,000 per capita is not below the city line of 4,000; unregistered households are not poor."""
    assert propose(STANDARDS, *values(household_size=4, poor_registered=True,
                                      annual_income_fen=16_000 * YUAN)) is None
    assert propose(STANDARDS, *values(household_size=4, annual_income_fen=8_000 * YUAN)) is None


@pytest.mark.parametrize(("poor_income", "medical", "category", "amount"), [
    (8_000, 40_000, "severe", 6_000),     # max(5,000, 4,000) + 1,000
    (14_000, 40_000, "severe", 5_000),    # max(3,000, 4,000) + 1,000
    (14_000, 20_000, "moderate", 4_000),  # max(3,000, 2,000) + 1,000
    (8_000, 20_000, "moderate", 6_000),   # max(5,000, 2,000) + 1,000
])
def test_poor_and_moderate_or_severe_pay_the_higher_plus_1000(
        poor_income: int, medical: int, category: str, amount: int) -> None:
    """就高不就低 plus 1,000: the household keeps its moderate/severe category."""
    p = proposed(household_size=4, poor_registered=True, annual_income_fen=poor_income * YUAN,
                 dibao=True, self_paid_medical_fen=medical * YUAN)
    assert (p.category, p.amount_fen, p.combined_with) == (category, amount * YUAN,
                                                           "poor_household")
    assert p.rules[-1].id == "combine" and p.rules[-1].where == "poor_household.combine"
    assert "1000" in p.rules[-1].labels.zh


def test_the_plus_is_data() -> None:
    """The 1,000 comes from the combination rule's data."""
    combine = STANDARDS["poor_household"].combine
    assert combine is not None and combine.plus == 1000
    assert set(combine.categories) == {"moderate", "severe"}


def test_combination_applies_whichever_category_is_final() -> None:
    """Filed as a poor household instead, the same household is paid the same."""
    data = values(household_size=4, poor_registered=True, annual_income_fen=8_000 * YUAN,
                  dibao=True, self_paid_medical_fen=40_000 * YUAN)
    p = amount_for(STANDARDS, "poor_household", *data)
    assert (p.subgroup, p.amount_fen, p.combined_with) == ("under_3000_large", 600_000, "severe")


def test_per_person_standards_multiply() -> None:
    """低保 is 300 per person of the family; entitled groups count their own persons."""
    p = proposed(household_size=4, dibao=True)
    assert (p.per, p.persons, p.amount_fen) == ("person", 4, 120_000)
    p = proposed(household_size=4, entitled_subgroup="major", entitled_persons=2)
    assert (p.subgroup, p.amount_fen) == ("major", 400_000)
    p = proposed(household_size=1, entitled_subgroup="disabled_5_10", entitled_persons=1)
    assert p.amount_fen == 120_000


def test_per_person_without_its_count_is_refused() -> None:
    """An entitled-group case without entitled_persons cannot be priced."""
    with pytest.raises(MissingCount) as ei:
        propose(STANDARDS, *values(entitled_subgroup="major"))
    assert "entitled_persons" in str(ei.value)


def test_institution_pays_in_parts() -> None:
    """Three-withouts in an institution: 600 = 200 cash + 400 clothing and bedding."""
    p = proposed(household_size=1, three_withouts_care="institution")
    assert (p.subgroup, p.amount_fen) == ("institution", 60_000)
    assert p.parts == (("cash", 20_000), ("clothing_bedding", 40_000))
    assert proposed(household_size=1, three_withouts_care="dispersed").amount_fen == 100_000


def test_changing_the_category_needs_a_reason() -> None:
    """A reviewer's change without a reason is refused; with one it pays the new standard."""
    data = values(hardship_degree="hard")
    p = propose(STANDARDS, *data)
    assert p is not None
    for blank in ("", "   "):
        with pytest.raises(ReasonRequired):
            change_category(STANDARDS, p, "moderate", blank, *data)
    changed = change_category(STANDARDS, p, "moderate", " 入户核实：家中一人残疾 ", *data)
    assert (changed.category, changed.amount_fen) == ("moderate", 200_000)
    assert (changed.changed_from, changed.reason) == ("general", "入户核实：家中一人残疾")
    assert changed.rule is None


def test_changing_to_a_subgroup_category() -> None:
    """A category paid by subgroup needs the subgroup when the data does not give it."""
    data = values(household_size=1, hardship_degree="hard")
    p = propose(STANDARDS, *data)
    assert p is not None
    with pytest.raises(SubgroupRequired):
        change_category(STANDARDS, p, "three_withouts", "核实为三无人员", *data)
    changed = change_category(STANDARDS, p, "three_withouts", "核实为三无人员", *data,
                              subgroup="institution")
    assert changed.amount_fen == 60_000


def test_unknown_category_suggests() -> None:
    """A misspelt category is refused with "did you mean"."""
    with pytest.raises(UnknownCategory) as ei:
        amount_for(STANDARDS, "moderat", {})
    assert "did you mean 'moderate'?" in str(ei.value)
    with pytest.raises(UnknownCategory):
        amount_for(STANDARDS, "three_withouts", {"household_size": 1}, subgroup="dispersd")


def test_no_other_amount_and_no_splitting() -> None:
    """Only the standard of the final category is accepted."""
    p = proposed(dibao=True, self_paid_medical_fen=40_000 * YUAN)
    check_amount(p, 400_000)
    for wrong in (200_000, 399_999, 500_000):
        with pytest.raises(AmountNotStandard) as ei:
            check_amount(p, wrong)
        assert "4,000.00" in str(ei.value)


def test_three_withouts_total_reproduces_the_plan() -> None:
    """85 dispersed × 1,000 + 43 institutional × 600 = 110,800."""
    total = population_total(STANDARDS, {"three_withouts.dispersed": 85,
                                         "three_withouts.institution": 43})
    assert total.total_fen == 110_800 * YUAN
    assert [line.total_fen for line in total.lines] == [85_000 * YUAN, 25_800 * YUAN]
    institution = total.lines[1]
    assert [(i, f) for i, _, f in institution.parts] == [("cash", 8_600 * YUAN),
                                                         ("clothing_bedding", 17_200 * YUAN)]
    assert chinese_capital(total.total_fen) == "壹拾壹万零捌佰元整"


def test_dibao_total_reproduces_the_plan() -> None:
    """718 persons × 300 = 215,400."""
    total = population_total(STANDARDS, {"dibao": 718})
    assert total.total_fen == 215_400 * YUAN
    assert total.lines[0].per == "person"


def test_poor_households_total_reproduces_the_plan() -> None:
    """14 × 5,000 + 52 × 3,000 = 226,000."""
    total = population_total(STANDARDS, {"poor_household.under_3000_large": 14,
                                         "poor_household.under_4000": 52})
    assert total.total_fen == 226_000 * YUAN


def test_township_budget_adds_up() -> None:
    """General 150,000 (250 households) and veterans 39,000 (65) from the standards; with
    moderate/severe 404,000, poor households 226,000, nursing home 30,000 and the
    entitled-groups forum 20,000 the budget is 869,000 (the plan gives no split of 404,000)."""
    derived = population_total(STANDARDS, {
        "general": 250, "veteran": 65,
        "poor_household.under_3000_large": 14, "poor_household.under_4000": 52})
    assert [line.total_fen for line in derived.lines] == [
        150_000 * YUAN, 39_000 * YUAN, 70_000 * YUAN, 156_000 * YUAN]
    budget = derived.total_fen + (404_000 + 30_000 + 20_000) * YUAN
    assert budget == 869_000 * YUAN
    assert chinese_capital(budget) == "捌拾陆万玖仟元整"


def test_population_keys_are_checked() -> None:
    """Unknown keys suggest; a category paid by subgroup needs one; counts are not negative."""
    with pytest.raises(UnknownCategory) as ei:
        population_total(STANDARDS, {"three_withouts.dispersd": 1})
    assert "did you mean 'three_withouts.dispersed'?" in str(ei.value)
    with pytest.raises(SubgroupRequired):
        population_total(STANDARDS, {"three_withouts": 1})
    with pytest.raises(ValueError):
        population_total(STANDARDS, {"dibao": -1})


def test_fen_keeps_working_for_the_demo() -> None:
    """standard.fen(household_size) as the demo calls it."""
    assert STANDARDS["severe"].fen(5) == 400_000
    assert STANDARDS["dibao"].fen(4) == 120_000
    assert STANDARDS["three_withouts"].fen(2, "institution") == 120_000
