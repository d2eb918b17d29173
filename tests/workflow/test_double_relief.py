"""No double relief across the processes and departments of one campaign
(不重复慰问): a second department's process run in the same campaign is
refused for a household the relief process already holds, and the other way round.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from definitions import SHIPPED_ORG, SHIPPED_PROCESSES
from storage import init_database, open_engine
from tests.conftest import LI_ID, START, application
from workflow import Engine
from workflow.errors import DoubleRelief

#: a second department's Spring Festival visit, run in the same campaign
DEPARTMENT_VISIT = """\
process: department_visit
version: 1
labels: {zh: 部门春节走访, en: A department's Spring Festival visit}
case_prefix: BM
applicant_id_field: id_number
roles:
  village_staff: {labels: {zh: 村（社区）两委, en: Village committee}}
  town_office:   {labels: {zh: 乡镇社会事务办, en: Township social affairs office}}
fields:
  applicant_name: {type: string, pii: name, labels: {zh: 姓名, en: Name}}
  id_number:      {type: string, pii: id_number, labels: {zh: 身份证号, en: ID number}}
submit:
  roles: [village_staff]
  required: [applicant_name, id_number]
states:
  - {id: requested, labels: {zh: 待走访, en: To visit}, initial: true, responsible: town_office}
  - {id: visited, labels: {zh: 已走访, en: Visited}, final: true, outcome: granted}
  - {id: declined, labels: {zh: 不予走访, en: Declined}, final: true, outcome: refused}
transitions:
  - trigger: visit
    labels: {zh: 走访慰问, en: Visit}
    source: requested
    dest: visited
    roles: [town_office]
    guards: [no_double_relief]
  - trigger: decline
    labels: {zh: 不予走访, en: Decline}
    source: requested
    dest: declined
    roles: [town_office]
    comment: required
"""


@pytest.fixture
def two_processes(tmp_path: Path) -> Engine:
    """An engine whose campaign runs the relief process and a department's visits."""
    root = tmp_path / "definitions"
    shutil.copytree(SHIPPED_PROCESSES, root / "processes")
    shutil.copytree(SHIPPED_PROCESSES.parent / "campaigns", root / "campaigns")
    (root / "processes" / "department_visit.yaml").write_text(DEPARTMENT_VISIT, encoding="utf-8")
    campaign = root / "campaigns" / "spring_festival_2027.yaml"
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace("processes: [relief_application]",
                                     "processes: [relief_application, department_visit]"),
                        encoding="utf-8")
    db = str(tmp_path / "two.db")
    init_database(db, org=SHIPPED_ORG, definitions=root / "processes", simulated_start=START)
    return open_engine(db, definitions=root / "processes")


def test_a_department_cannot_visit_a_household_the_relief_process_holds(
        two_processes: Engine) -> None:
    """The other department's case is refused, naming the relief case."""
    engine = two_processes
    held = engine.submit("relief_application", "li.xiulan", application()).case_number
    with pytest.raises(DoubleRelief) as ei:
        engine.submit("department_visit", "wang.fang",
                      {"applicant_name": "李秀兰", "id_number": LI_ID}, unit="shangcun")
    assert ei.value.other == held
    assert held in str(ei.value) and "不同部门" in ei.value.zh and "不重复慰问" in ei.value.zh


def test_the_relief_process_refuses_a_household_another_department_visited(
        two_processes: Engine) -> None:
    """After a department's visit, the relief application of that household is refused;
    the ID number is matched after normalisation (a lower-case check letter, spaces)."""
    engine = two_processes
    visit = engine.submit("department_visit", "wang.fang",
                          {"applicant_name": "李秀兰", "id_number": LI_ID}, unit="shangcun")
    engine.fire(visit.case_number, "visit", "yang.jing")
    assert engine.get_case(visit.case_number).state == "visited"
    with pytest.raises(DoubleRelief) as ei:
        engine.submit("relief_application", "li.xiulan",
                      application(id_number=f" {LI_ID[:9]} {LI_ID[9:]} "))
    assert ei.value.other == visit.case_number


def test_a_declined_visit_does_not_count(two_processes: Engine) -> None:
    """A refused case of another department is no relief: the household may still apply."""
    engine = two_processes
    visit = engine.submit("department_visit", "wang.fang",
                          {"applicant_name": "李秀兰", "id_number": LI_ID}, unit="shangcun")
    engine.fire(visit.case_number, "decline", "yang.jing", comment="已由民政部门慰问")
    number = engine.submit("relief_application", "li.xiulan", application()).case_number
    assert engine.get_case(number).state == "application"
