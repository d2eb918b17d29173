"""No double relief across the departments and processes of one campaign
(不重复慰问): the sample campaign runs the township's relief process and the
union's Spring Festival visits; a household one of them holds is refused by the
other, naming the case, and checked again when the union delivers."""

from __future__ import annotations

import pytest

from tests.helpers.cases import LI_ID, application
from tests.helpers.union import COUNTY, UNION, visit
from workflow import Engine, GuardFailed
from workflow.core.decide import decide_fire
from workflow.core.machine import machine_for
from workflow.core.model import Fire
from workflow.errors import DoubleRelief


def test_the_union_cannot_visit_a_household_the_township_holds(engine: Engine) -> None:
    """The union's case is refused, naming the township's relief case, in both languages."""
    held = engine.submit("relief_application", "li.xiulan", application()).case_number
    with pytest.raises(DoubleRelief) as ei:
        engine.submit("union_visit", UNION, visit())
    assert ei.value.other == held
    assert held in str(ei.value)
    assert "不同部门" in ei.value.zh and "不重复慰问" in ei.value.zh
    assert "by any department or process" in ei.value.en


def test_the_township_refuses_a_household_the_union_visited(engine: Engine) -> None:
    """After the union's visit, the household's relief application is refused; the ID
    number is matched after normalisation (spaces, a 15-digit form's upgrade aside)."""
    number = engine.submit("union_visit", UNION, visit()).case_number
    engine.fire(number, "forward", UNION, data={"review_note": "属实"})
    engine.fire(number, "approve", COUNTY, data={"amount_fen": 50000})
    engine.fire(number, "deliver", UNION, data={"photo_ref": "IMG-0120-07",
                                                 "recipient_signed": True})
    assert engine.get_case(number).state == "visited"
    with pytest.raises(DoubleRelief) as ei:
        engine.submit("relief_application", "li.xiulan",
                      application(id_number=f" {LI_ID[:9]} {LI_ID[9:]} "))
    assert ei.value.other == number


def test_a_rejected_visit_does_not_count(engine: Engine) -> None:
    """A case another department refused is no relief: the household may still apply."""
    number = engine.submit("union_visit", UNION, visit()).case_number
    engine.fire(number, "reject", UNION, comment="已由乡镇民政慰问")
    relief = engine.submit("relief_application", "li.xiulan", application()).case_number
    assert engine.get_case(relief).state == "application"


def test_delivery_checks_again_for_a_claim_that_appeared_meanwhile(engine: Engine) -> None:
    """The union's delivery re-checks the household (defence against two departments
    committing at once): with a rival claim in the facts it is refused by the guard,
    naming the other case; without one it goes through."""
    number = engine.submit("union_visit", UNION, visit()).case_number
    engine.fire(number, "forward", UNION, data={"review_note": "属实"})
    engine.fire(number, "approve", COUNTY, data={"amount_fen": 50000})
    case = engine.get_case(number)
    defn = engine.definition_for(case)
    command = Fire(case.id, "deliver", UNION, {"photo_ref": "IMG-0120-07",
                                               "recipient_signed": True})
    rival = {"claims": [{"number": "CF27-000099", "process": "relief_application",
                         "state": "发放"}], "household_limit": "campaign"}
    with pytest.raises(GuardFailed) as ei:
        decide_fire(defn, machine_for(defn), engine.org, case, engine.actor(UNION), command,
                    engine.clock.now(), facts=rival)
    assert "CF27-000099" in str(ei.value)
    done = decide_fire(defn, machine_for(defn), engine.org, case, engine.actor(UNION), command,
                       engine.clock.now(), facts={"claims": [], "household_limit": "campaign"})
    assert done.case.state == "visited"
