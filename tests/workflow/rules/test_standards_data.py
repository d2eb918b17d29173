"""The standards as data: the shipped table, and the load-time problems of a broken one."""

from __future__ import annotations

import pytest

from definitions import SHIPPED_PROCESSES, DefinitionInvalid, Problem, load_definition
from definitions.campaign import SHIPPED_CAMPAIGNS, campaign_from_text, load_campaign
from definitions.standards import COMPUTED_NAMES, check_standards
from workflow.core.registry import REGISTRY

SPRING = SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml"
TEXT = SPRING.read_text("utf-8")
RELIEF = load_definition(SHIPPED_PROCESSES / "relief_application.yaml", known_guards=REGISTRY)
#: case fields the criteria read, declared by relief_application.yaml
#: (annual_income_fen too: case_values computes the per-capita incomes from it)
NEW_FIELDS = {
    "dibao", "disabled_members", "hardship_degree", "disaster_or_accident", "veteran",
    "poor_registered", "entitled_subgroup", "entitled_persons", "three_withouts_care",
}


def edit(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line(needle: str, text: str = TEXT, nth: int = 1) -> int:
    return [i for i, row in enumerate(text.splitlines(), 1) if needle in row][nth - 1]


def problems(text: str) -> tuple[Problem, ...]:
    with pytest.raises(DefinitionInvalid) as ei:
        campaign_from_text(text, "c.yaml")
    return ei.value.problems


def test_shipped_table_loads_with_every_category_of_the_process() -> None:
    """Every category the relief process offers has a standard, and no other."""
    standards = load_campaign(SPRING).spec.standards
    assert set(standards) == set(RELIEF.spec.fields["category"].values)


def test_criteria_read_only_fields_of_the_process() -> None:
    """Every name the criteria read is a field of the relief process (or computed from one)."""
    standards = load_campaign(SPRING).spec.standards
    assert NEW_FIELDS <= set(RELIEF.spec.fields)
    assert check_standards(standards, known_names=RELIEF.spec.fields) == []
    assert COMPUTED_NAMES == {"family_size", "per_capita_annual_income_fen",
                              "per_capita_monthly_income_fen"}


MODERATE_AMOUNT = "    amount: 2000\n    per: household\n    priority: 70\n"


def test_a_blank_amount_is_an_error_naming_the_category_and_line() -> None:
    """The plan left the moderate amount blank: loading says so, with the category and line."""
    text = edit(MODERATE_AMOUNT, MODERATE_AMOUNT.replace("amount: 2000", "amount:"))
    (p,) = problems(text)
    assert p.path == "standards.moderate.amount"
    assert p.line == text.splitlines().index("    amount:") + 1
    assert "category 'moderate'" in p.en and "has no amount" in p.en
    assert "类别 'moderate'" in p.zh and "没有金额" in p.zh


def test_a_missing_amount_is_an_error_at_the_category() -> None:
    """Without the amount key the problem sits on the category's own line."""
    (p,) = problems(edit(MODERATE_AMOUNT, MODERATE_AMOUNT.replace("    amount: 2000\n", "")))
    assert p.path == "standards.moderate.amount"
    assert p.line == line("  moderate:")
    assert "category 'moderate'" in p.en


def test_a_subgroup_without_an_amount_is_an_error() -> None:
    """A category paid by subgroup needs every subgroup's amount."""
    (p,) = problems(edit("        amount: 1200\n", ""))
    assert p.path == "standards.entitled_group.amount"
    assert "entitled_group" in p.en


def test_parts_must_add_up() -> None:
    """200 cash + 400 clothing must equal the 600 of the subgroup."""
    (p,) = problems(edit("amount: 400}", "amount: 300}"))
    assert p.path == "standards.three_withouts.subgroups[1].parts"
    assert "add up to 500" in p.en
    assert p.line == line("        parts:")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("when: veteran}", "when: veteran and}", "not a valid condition"),
    ("when: veteran}", "when: \"veteran[0]\"}", "'Subscript' is not allowed"),
    ("when: veteran}", "when: \"len(veteran)\"}", "'Call' is not allowed"),
])
def test_conditions_outside_the_language_are_refused(old: str, new: str, message: str) -> None:
    """Criteria use the same safe condition language as transitions."""
    (p,) = problems(edit(old, new))
    assert p.path == "standards.veteran.criteria[0].when"
    assert message in p.en
    assert p.line == line("veteran_in_hardship")


def test_combination_names_known_categories() -> None:
    """A combination with an unknown category suggests the right one."""
    combine = "combine:\n      categories: [moderate, severe]"
    (p,) = problems(edit(combine, combine.replace("severe]", "sever]")))
    assert p.path == "standards.poor_household.combine.categories[1]"
    assert "did you mean 'severe'?" in p.en


def test_duplicate_rule_ids_are_refused() -> None:
    """Rule ids are unique within a category (they name the rule that matched)."""
    (p,) = problems(edit("- id: other_medical_80000", "- id: dibao_medical_40000"))
    assert "duplicate rule id 'dibao_medical_40000'" in p.en


def test_unknown_keys_and_negative_amounts_are_refused() -> None:
    """The models refuse unknown keys and amounts of zero or less, with their lines."""
    found = problems(edit("    amount: 600\n    per: household\n    priority: 20\n",
                          "    amount: 0\n    per: houshold\n    priority: 20\n"))
    assert {p.path for p in found} == {"standards.veteran.amount", "standards.veteran.per"}


def test_unknown_names_in_criteria_suggest() -> None:
    """With the process's fields known, a misspelt field name suggests the right one."""
    standards = load_campaign(SPRING).spec.standards
    known = {*RELIEF.spec.fields, *NEW_FIELDS} - {"veteran"} | {"veterans"}
    (p,) = check_standards(standards, known_names=known)
    assert p.path == "standards.veteran.criteria[0].when"
    assert "unknown name 'veteran'; did you mean 'veterans'?" in p.en
