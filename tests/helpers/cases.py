"""The shipped relief process as the tests use it: the case's people in each village,
a complete application, and a walk along the process's road to any state.

``move`` and friends take an Engine (the ``engine`` fixture or any other) and act
through its public commands only.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from storage.tables import cases, counters, events
from workflow import Case, Engine
from workflow.rules.idcard import check_digit

START = datetime.fromisoformat("2027-01-04T09:00+08:00")
PROCESS = "relief_application"
#: case numbers carry the running campaign's prefix (spring_festival_2027)
PREFIX = "CF27"
#: li.xiulan's ID number; sun.li (village panel, shangcun) declared a relation to it
LI_ID = "331122195803120422"
LI_PHONE = "13900001111"
NOTICE_DAYS = timedelta(days=3)

#: who does what for a case filed in each village
VILLAGES: dict[str, dict[str, str]] = {
    "shangcun": {"staff": "wang.fang", "panel": "liu.qiang", "liaison": "xu.lei",
                 "office": "yang.jing", "committee": "zhu.tao", "applicant": "li.xiulan"},
    "xiacun": {"staff": "zhang.min", "panel": "gao.peng", "liaison": "guo.ning",
               "office": "yang.jing", "committee": "zhu.tao"},
    "liujia": {"staff": "ma.hui", "panel": "he.jun", "liaison": "deng.hao",
               "office": "song.yu", "committee": "he.shuji", "applicant": "zhao.jianguo"},
    "huangtupo": {"staff": "luo.yan", "panel": "tang.bo", "liaison": "lin.na",
                  "office": "song.yu", "committee": "he.shuji"},
}
OTHERS = {"county": "hu.kezhang", "public": "qunzhong"}

DISBURSE = {"amount_fen": 400000, "photo_ref": "P-0001", "recipient_signed": True,
            "cadre_signed": True, "collected_by_recipient": True}

#: the main road; general (non moderate/severe) cases skip "reported"
MAIN_ROAD = ("application", "deliberation", "publicity", "preliminary_review",
             "second_review", "reported", "disbursement", "completed")
#: side states and the main-road state they are reached from
SIDE = {"objection_review": "publicity", "evidence_requested": "application",
        "rejected": "deliberation", "withdrawn": "application"}
NON_FINAL = ("application", "deliberation", "publicity", "objection_review",
             "preliminary_review", "second_review", "reported", "disbursement",
             "evidence_requested")
FINAL = ("completed", "rejected", "withdrawn")

#: state -> (trigger, who, data, comment) that enters it
ENTER: dict[str, tuple[str, str, dict[str, Any], str | None]] = {
    "deliberation": ("accept", "staff", {}, None),
    "publicity": ("pass_deliberation", "panel", {}, None),
    "preliminary_review": ("close_notice", "staff", {}, None),
    "second_review": ("approve_preliminary", "office", {"home_visit_note": "已入户核查"}, None),
    "reported": ("approve_second", "committee", {}, None),
    "completed": ("disburse", "liaison", DISBURSE, None),
    "objection_review": ("object", "public", {}, "群众反映其家中有车"),
    "evidence_requested": ("request_evidence", "staff", {}, "缺少县级医院诊断证明"),
    "rejected": ("reject", "panel", {}, "评议未通过"),
    "withdrawn": ("withdraw", "staff", {}, "申请人已外出务工"),
}


#: every paper of the sample campaign's checklist, dated inside its receipt window,
#: so an application of any category is complete
ALL_PAPERS: list[dict[str, str]] = [
    {"type": t, "ref": f"scan-{i:04d}.pdf", "date": "2027-01-04"}
    for i, t in enumerate(("application", "id_cards", "household_register", "authorisation",
                           "income_proof", "diagnosis", "medical_bills", "relationship_proof",
                           "disability_card", "dibao_card", "disaster_proof", "veteran_card",
                           "entitled_card", "poverty_card"), start=1)]


def application(**overrides: Any) -> dict[str, Any]:
    """A complete application for li.xiulan's household; keyword arguments replace fields."""
    data: dict[str, Any] = {"applicant_name": "李秀兰", "id_number": LI_ID, "household_size": 3,
                            "category": "severe", "hardship_reason": "重病,本年自付医疗费用较高",
                            "documents": copy.deepcopy(ALL_PAPERS)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def household_id(n: int) -> str:
    """A valid 18-digit ID number (correct check digit) for the n-th other household."""
    body = f"3311221970{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return body + check_digit(body)


def actor_for(case: Case, who: str) -> str:
    """The user who plays ``who`` (staff, panel, office, county, ...) for ``case``."""
    return OTHERS.get(who) or VILLAGES[case.unit][who]


def count_rows(engine: Engine) -> dict[str, Any]:
    """Row counts of the case and event tables and the case-number counters."""
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return {
            "cases": conn.execute(select(func.count()).select_from(cases)).scalar(),
            "events": conn.execute(select(func.count()).select_from(events)).scalar(),
            "counters": sorted(conn.execute(select(counters.c.name, counters.c.value)).all()),
        }


def open_notice_window(engine: Engine, number: str) -> None:
    """Move the simulated clock to the end of the case's public notice, if not there yet,
    without firing timers (so that a person may close the notice by hand)."""
    case = engine.get_case(number)
    ends = datetime.fromisoformat(case.first_entered["publicity"]) + NOTICE_DAYS
    if engine.clock.now() < ends:
        engine.set_clock(when=ends, fire=False)


def move(engine: Engine, number: str, target: str) -> Case:
    """Walk an existing case along the main road (then one side step) to ``target``."""
    case = engine.get_case(number)
    road = [s for s in MAIN_ROAD
            if s != "reported" or case.data.get("category") in ("moderate", "severe")]
    goal = SIDE.get(target, target)
    for state in road[road.index(case.state) + 1: road.index(goal) + 1]:
        _enter(engine, number, state)
    if target in SIDE:
        _enter(engine, number, target)
    case = engine.get_case(number)
    assert case.state == target
    return case


def _enter(engine: Engine, number: str, state: str) -> None:
    case = engine.get_case(number)
    if state == "disbursement":
        trigger, who = (("county_accept", "county") if case.state == "reported"
                        else ("approve_second", "committee"))
        engine.fire(number, trigger, actor_for(case, who))
        return
    if state == "preliminary_review":
        open_notice_window(engine, number)
    trigger, who, data, comment = ENTER[state]
    if trigger == "disburse":
        data = {**data, "amount_fen": standard_fen(engine, case)}
    engine.fire(number, trigger, actor_for(case, who), data=data, comment=comment)


def standard_fen(engine: Engine, case: Case) -> int:
    """The campaign's standard amount for the case (what a disbursement must pay)."""
    from workflow.rules.family import case_values
    from workflow.rules.relief import amount_for

    standards = engine.campaigns[case.campaign or ""].spec.standards
    computed = case_values(case.data, engine.family_rules)
    return amount_for(standards, case.data["category"], case.data, computed).amount_fen
