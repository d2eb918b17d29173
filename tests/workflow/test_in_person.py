"""Nobody collects on the recipient's behalf (DOMAIN.md, "Disbursement"), unless the
village recorded beforehand, as its own step, that the recipient has no capacity to
act; the delivery only reads that record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from definitions import SHIPPED_PROCESSES, definition_from_text
from definitions.errors import DefinitionInvalid
from tests.helpers.cases import DISBURSE, application, standard_fen
from workflow import Case, Engine
from workflow.errors import GuardFailed, InvalidData, PermissionDenied

ASSESSMENT = "村评-2027-003"
#: a delivery to someone other than the recipient
BY_ANOTHER = {**DISBURSE, "collected_by_recipient": False}


def _deliver(engine: Engine, case: Case, **extra: Any) -> None:
    data = {**BY_ANOTHER, "amount_fen": standard_fen(engine, case), **extra}
    engine.fire(case.number, "disburse", "xu.lei", data=data)


def test_disburse_refuses_an_assessment_typed_in_its_own_data(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """The delivering cadre cannot type a capacity_assessment_ref into disburse."""
    case = walk("disbursement")
    with pytest.raises(InvalidData) as err:
        _deliver(engine, case, capacity_assessment_ref=ASSESSMENT)
    assert "capacity_assessment_ref" in str(err.value)
    assert "record_incapacity" in str(err.value)
    assert "登记无行为能力评估" in err.value.localized("zh")
    assert engine.get_case(case.number).state == "disbursement"


def test_delivery_to_another_needs_the_assessment_recorded_first(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """Without a recorded assessment, a delivery not collected in person is refused."""
    case = walk("disbursement")
    with pytest.raises(GuardFailed):
        _deliver(engine, case)


def test_assessment_recorded_by_village_staff_lets_disburse_read_it(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """Village staff record the assessment as its own event; then the delivery goes through."""
    case = walk("disbursement")
    engine.fire(case.number, "record_incapacity", "wang.fang",
                data={"capacity_assessment_ref": ASSESSMENT},
                comment="本人卧床失语，经村民主评议认定无行为能力，由监护人代领")
    _deliver(engine, case)
    done = engine.get_case(case.number)
    assert done.state == "completed"
    triggers = [e.trigger for e in engine.history(case.number)]
    assert triggers[-2:] == ["record_incapacity", "disburse"]
    step = engine.history(case.number)[-2]
    assert step.role == "village_staff" and step.actor == "wang.fang"
    assert step.data == {"capacity_assessment_ref": ASSESSMENT}


def test_only_village_staff_record_the_assessment(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """The liaison cadre who delivers cannot record the assessment himself."""
    case = walk("disbursement")
    with pytest.raises(PermissionDenied):
        engine.fire(case.number, "record_incapacity", "xu.lei",
                    data={"capacity_assessment_ref": ASSESSMENT}, comment="代领")


def test_assessment_can_be_recorded_when_the_village_files(
        engine: Engine, new_case: Callable[..., str]) -> None:
    """The village files for a person without capacity and records the assessment then."""
    number = new_case("wang.fang", unit="shangcun")
    engine.fire(number, "record_incapacity", "wang.fang",
                data={"capacity_assessment_ref": ASSESSMENT}, comment="申请人无行为能力")
    case = engine.get_case(number)
    assert case.state == "application" and case.data["capacity_assessment_ref"] == ASSESSMENT


def test_application_cannot_carry_the_assessment(engine: Engine) -> None:
    """An assessment handed in with the application is refused: it is a step of its own."""
    with pytest.raises(InvalidData) as err:
        engine.submit("relief_application", "wang.fang",
                      application(capacity_assessment_ref=ASSESSMENT), unit="shangcun")
    assert "record_incapacity" in str(err.value)


def test_definition_refuses_another_transition_writing_a_recorded_field() -> None:
    """A definition where disburse writes the assessment again is refused at load."""
    text = (SHIPPED_PROCESSES / "relief_application.yaml").read_text(encoding="utf-8")
    bad = text.replace("writes: [collected_by_recipient]\n",
                       "writes: [collected_by_recipient, capacity_assessment_ref]\n")
    assert bad != text
    with pytest.raises(DefinitionInvalid) as err:
        definition_from_text(bad)
    assert "only record_incapacity may set 'capacity_assessment_ref'" in str(err.value)
