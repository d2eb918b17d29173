"""Case data against the definition's fields: types, enums, unknown fields, required
data, and the CLI's text coercion (money in yuan → integer fen)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from definitions import CompiledDefinition, DefinitionSet, Org
from tests.helpers.cases import DISBURSE, PROCESS, application
from workflow import Case, Engine, InvalidData, MissingData
from workflow.core.data import check_data, coerce_text

Walk = Callable[..., Case]


@pytest.fixture(scope="module")
def relief(shipped: tuple[DefinitionSet, Org]) -> CompiledDefinition:
    return shipped[0].get(PROCESS)


def problems_of(defn: CompiledDefinition, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidData) as ei:
        check_data(defn, data)
    return {f: en for f, en, _ in ei.value.problems}


def test_valid_application_passes(relief: CompiledDefinition) -> None:
    """A complete, well-typed application raises nothing."""
    check_data(relief, application(phone="13900001111", self_paid_medical_fen=4000000))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("household_size", "3", "must be a whole number"),
        ("household_size", 3.0, "must be a whole number"),
        ("household_size", True, "must be a whole number"),
        ("household_size", 0, "must be at least 1"),
        ("household_size", 31, "must be at most 30"),
        ("amount_fen", "600", "must be an amount in integer fen"),
        ("amount_fen", 0, "must be at least 1"),
        ("recipient_signed", "yes", "must be true or false"),
        ("recipient_signed", 1, "must be true or false"),
        ("applicant_name", 42, "must be text"),
        ("applicant_name", "   ", "must not be empty"),
        ("photo_ref", "x" * 201, "longer than 200"),
    ],
)
def test_bad_values_are_named(relief: CompiledDefinition, field: str, value: Any,
                              message: str) -> None:
    """A value of the wrong type or out of range is InvalidData naming field and rule."""
    assert message in problems_of(relief, {field: value})[field]


def test_enum_typo_suggests_the_value(relief: CompiledDefinition) -> None:
    """A misspelt category is refused with a 'did you mean'."""
    assert "did you mean 'severe'?" in problems_of(relief, {"category": "sever"})["category"]


def test_unknown_field_suggests_the_field(relief: CompiledDefinition) -> None:
    """A misspelt field is refused with a 'did you mean'."""
    found = problems_of(relief, {"houshold_size": 3})
    assert "is not a field of 'relief_application'; did you mean 'household_size'?" in \
        found["houshold_size"]


def test_every_problem_at_once(relief: CompiledDefinition) -> None:
    """All bad fields are reported together."""
    assert set(problems_of(relief, {"category": "x", "household_size": "3", "foo": 1})) == {
        "category", "household_size", "foo"}


def test_long_text_is_allowed_in_text_fields(relief: CompiledDefinition) -> None:
    """Free-text fields have no 200-character limit."""
    check_data(relief, {"hardship_reason": "病" * 1000})


def test_invalid_data_at_submit_writes_nothing(engine: Engine, unchanged: Callable) -> None:
    """Submitting a household size as text is InvalidData in both languages; no case is made."""
    with unchanged(), pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "li.xiulan", application(household_size="3"))
    assert "'household_size'" in str(ei.value)
    assert "应为整数" in ei.value.localized("zh")


def test_enum_typo_at_submit(engine: Engine, unchanged: Callable) -> None:
    """A category typo at submit is refused with a suggestion."""
    with unchanged(), pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "li.xiulan", application(category="moderat"))
    assert "did you mean 'moderate'?" in str(ei.value)
    assert "是否指 'moderate'" in ei.value.localized("zh")


def test_unknown_field_at_submit(engine: Engine, unchanged: Callable) -> None:
    """An unknown field at submit is refused with a suggestion."""
    with unchanged(), pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "li.xiulan", {**application(), "hardship_reasons": "x"})
    assert "did you mean 'hardship_reason'?" in str(ei.value)


@pytest.mark.parametrize("field", ["applicant_name", "id_number", "household_size",
                                   "category", "hardship_reason"])
def test_missing_required_data_at_submit(engine: Engine, unchanged: Callable,
                                         field: str) -> None:
    """Each field the application requires is MissingData when left out."""
    with unchanged(), pytest.raises(MissingData) as ei:
        engine.submit(PROCESS, "li.xiulan", application(**{field: None}))
    assert ei.value.fields == (field,)
    assert str(ei.value) and ei.value.localized("zh")


def test_invalid_data_when_firing(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """An amount given as text when disbursing is InvalidData; nothing written."""
    case = walk("disbursement")
    with unchanged(case.number), pytest.raises(InvalidData):
        engine.fire(case.number, "disburse", "xu.lei", data={**DISBURSE, "amount_fen": "4000"})


def test_data_given_when_firing_is_merged(engine: Engine, walk: Walk) -> None:
    """Data sent with a trigger is added to the case data."""
    case = walk("preliminary_review")
    engine.fire(case.number, "approve_preliminary", "yang.jing",
                data={"home_visit_note": "已入户", "self_paid_medical_fen": 4500000})
    data = engine.get_case(case.number).data
    assert data["self_paid_medical_fen"] == 4500000 and data["category"] == "severe"


def test_a_trigger_may_not_change_fields_it_does_not_write(engine: Engine, walk: Walk) -> None:
    """The second review cannot quietly change the category (to skip the county report)."""
    case = walk("second_review")
    with pytest.raises(InvalidData) as err:
        engine.fire(case.number, "approve_second", "zhu.tao", data={"category": "general"})
    assert err.value.problems[0][0] == "category" and "approve_second" in str(err.value)
    assert engine.get_case(case.number).version == case.version


@pytest.mark.parametrize(("text", "fen"), [("600", 60000), ("600.50", 60050),
                                            ("¥1,200", 120000), (" 4000 ", 400000),
                                            ("0.01", 1)])
def test_money_in_yuan_becomes_fen(relief: CompiledDefinition, text: str, fen: int) -> None:
    """Money typed in yuan is converted exactly to integer fen."""
    assert coerce_text(relief, {"amount_fen": text}) == {"amount_fen": fen}


@pytest.mark.parametrize("text", ["600.555", "六百", "", "1e3x"])
def test_bad_money_text_is_refused(relief: CompiledDefinition, text: str) -> None:
    """Fractions of a fen and non-numbers are refused."""
    with pytest.raises(InvalidData) as ei:
        coerce_text(relief, {"amount_fen": text})
    assert ei.value.problems[0][0] == "amount_fen"


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("是", True), ("已签", True),
                                              ("No", False), ("否", False), ("0", False)])
def test_boolean_words(relief: CompiledDefinition, text: str, value: bool) -> None:
    """Yes/no words in English and Chinese become booleans."""
    assert coerce_text(relief, {"recipient_signed": text}) == {"recipient_signed": value}


def test_boolean_nonsense_is_refused(relief: CompiledDefinition) -> None:
    """A word that is neither yes nor no is refused."""
    with pytest.raises(InvalidData):
        coerce_text(relief, {"recipient_signed": "maybe"})


def test_integer_text(relief: CompiledDefinition) -> None:
    """Integers are parsed; text fields are kept, stripped."""
    assert coerce_text(relief, {"household_size": "4", "photo_ref": " P1 "}) == {
        "household_size": 4, "photo_ref": "P1"}


def test_engine_coerce_then_check(engine: Engine) -> None:
    """Engine.coerce types CLI text by the process's fields; unknown names pass through."""
    typed = engine.coerce(PROCESS, {"amount_fen": "600", "nonsense": "1"})
    assert typed == {"amount_fen": 60000, "nonsense": "1"}
