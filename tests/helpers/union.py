"""The trade union's processes as the tests use them: the worker who applies and a
medical-aid application for him (the hardship archive's tests build on the same)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.helpers.cases import LI_ID
from workflow import Engine
from workflow.rules.idcard import check_digit

#: the enterprise worker of the sample org who applies to the union
WORKER = "chen.guoqiang"
#: the union officers of the sample org, enterprise to national
ENTERPRISE, DISTRICT = "xie.hong", "pan.wei"
COUNTY, PROVINCE, NATIONAL = "cao.min", "yuan.jie", "du.ning"
#: the enterprise union that visits a worker's household (union_visit)
UNION = ENTERPRISE
#: the hardship archive's internal notice, and its yearly living aid by level
NOTICE = timedelta(days=5)
YEAR_FEN = {"deep": 790000, "relative": 630000}
#: chen.guoqiang's ID number (fictitious, with its check digit)
CHEN_ID = "33112219790815003" + check_digit("33112219790815003")


def medical_application(kind: str, costs_yuan: int | Decimal,
                        losses_yuan: int | None = None) -> dict[str, Any]:
    """chen.guoqiang's medical-aid application of ``kind`` with its compliant costs
    (and accident losses) in yuan."""
    data: dict[str, Any] = {"worker_name": "陈国强", "id_number": CHEN_ID, "aid_kind": kind,
                            "compliant_costs_fen": int(costs_yuan * 100),
                            "diagnosis_note": "县人民医院诊断证明及票据"}
    if losses_yuan is not None:
        data["accident_losses_fen"] = losses_yuan * 100
    return data


def archive_application(**overrides: Any) -> dict[str, Any]:
    # 1,200 yuan a person a month (under 200 % of 780) with a child in school:
    # eligible under the union's income lines
    data: dict[str, Any] = {"worker_name": "陈国强", "id_number": CHEN_ID,
                            "employer": "青山纺织有限公司", "household_size": 3,
                            "hardship_level": "deep", "hardship_reason": "妻子重病，孩子上学",
                            "per_capita_monthly_income_fen": 120000, "child_in_school": True}
    data.update(overrides)
    return data


def to_district_review(engine: Engine, **overrides: Any) -> str:
    """A worker's application walked to the district union's approval."""
    number = engine.submit("hardship_archive", WORKER, archive_application(**overrides)).case_number
    engine.fire(number, "pass_enterprise_review", ENTERPRISE, data={"review_note": "情况属实"})
    engine.set_clock(advance=NOTICE)
    assert engine.get_case(number).state == "district_review"
    return number


def to_assisted(engine: Engine, level: str = "deep") -> str:
    number = to_district_review(engine, hardship_level=level)
    engine.fire(number, "approve", DISTRICT,
                data={"hardship_level": level, "living_aid_year_fen": YEAR_FEN[level]})
    engine.fire(number, "start_assistance", DISTRICT, data={"assistance_plan": "生活救助、医疗救助"})
    assert engine.get_case(number).state == "assisted"
    return number


def education_application() -> dict[str, Any]:
    return {"worker_name": "陈国强", "id_number": CHEN_ID, "student_name": "陈晓雨",
            "school": "浙江大学", "stage": "university_entrant",
            "admission_note": "2027 年录取通知书复印件"}


def visit(**overrides: Any) -> dict[str, Any]:
    """The union's visit to li.xiulan's household (the township's relief applicant)."""
    data = {"worker_name": "李秀兰", "id_number": LI_ID, "employer": "青山纺织有限公司",
            "hardship_reason": "丈夫重病，本人下岗"}
    data.update(overrides)
    return data
