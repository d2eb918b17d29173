"""The scripted demo: households of the sample org walked through every step
of the relief process on a simulated clock, with the refusals the rules make.
Shell code: drives an Engine through its public API only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from definitions.errors import BangfuError

from .clock import local
from .engine import Engine

DEMO_START = datetime.fromisoformat("2027-01-04T09:00:00+08:00")
PROCESS = "relief_application"

HOUSEHOLDS: list[dict[str, Any]] = [
    {"key": "A", "by": "li.xiulan", "unit": None,
     "data": {"applicant_name": "李秀兰", "id_number": "331122195803120422",
              "phone": "13900001111", "household_size": 3, "category": "severe",
              "hardship_reason": "丈夫重病住院，本年自付医疗费用 8.6 万元",
              "self_paid_medical_fen": 8_600_000}},
    {"key": "B", "by": "zhang.min", "unit": "xiacun",
     "data": {"applicant_name": "周桂英", "id_number": "33112219491105004" + "1",
              "household_size": 1, "category": "general",
              "hardship_reason": "独居老人，无固定收入"}},
    {"key": "C", "by": "zhao.jianguo", "unit": None,
     "data": {"applicant_name": "赵建国", "id_number": "33112219720815263X",
              "phone": "13900002222", "household_size": 4, "category": "moderate",
              "hardship_reason": "家中一人残疾，生活较为困难"}},
    {"key": "D", "by": "luo.yan", "unit": "huangtupo",
     "data": {"applicant_name": "钱立新", "id_number": "331122196501013319",
              "household_size": 2, "category": "veteran",
              "hardship_reason": "退伍军人，因病致困"}},
    {"key": "E", "by": "wang.fang", "unit": "shangcun",
     "data": {"applicant_name": "吴小燕", "id_number": "331122198806201221",
              "household_size": 3, "category": "dibao",
              "hardship_reason": "低保家庭，子女就学"}},
]

#: (day offset from the start, case, trigger, user, data, comment)
STEPS: list[tuple[float, str, str, str, dict[str, Any], str | None]] = [
    (1, "A", "accept", "ma.hui", {}, None),                 # wrong village: refused
    (1, "A", "accept", "wang.fang", {}, None),
    (1, "B", "accept", "zhang.min", {}, None),
    (1, "C", "accept", "ma.hui", {}, None),
    (1, "D", "accept", "luo.yan", {}, None),
    (1, "E", "accept", "wang.fang", {}, None),
    (2, "A", "pass_deliberation", "sun.li", {}, None),      # related to the applicant: refused
    (2, "A", "pass_deliberation", "liu.qiang", {}, None),
    (2, "B", "pass_deliberation", "gao.peng", {}, None),
    (2, "C", "request_evidence", "he.jun", {}, "请补充残疾证复印件"),
    (2, "D", "pass_deliberation", "tang.bo", {}, None),
    (2, "E", "withdraw", "wang.fang", {}, "申请人已纳入其他部门救助，主动撤回"),
    (3, "C", "resubmit", "zhao.jianguo", {"evidence_note": "已补交残疾证复印件"}, None),
    (3, "C", "accept", "ma.hui", {}, None),
    (3, "C", "pass_deliberation", "he.jun", {}, None),
    (3, "A", "object", "qunzhong", {}, "来电反映该户有经营性收入"),
    (3, "D", "object", "qunzhong", {}, "来电反映该户已享受其他重复救助"),
    (4, "A", "close_notice", "wang.fang", {}, None),        # objection open: not in 公示
    (4, "A", "dismiss_objection", "yang.jing", {}, "经入户核实，该户无经营性收入，异议不成立，已答复来电人"),
    (4, "D", "uphold_objection", "song.yu", {}, "经核实，该户本年已由民政部门救助，不重复慰问"),
    (4, "B", "close_notice", "zhang.min", {}, None),        # only day 2 of the notice: refused
    (5, "A", "close_notice", "wang.fang", {}, None),
    (5, "B", "close_notice", "zhang.min", {}, None),
    (6, "C", "close_notice", "ma.hui", {}, None),
    (7, "A", "approve_preliminary", "yang.jing", {"home_visit_note": "入户核实，情况属实"}, None),
    (7, "B", "approve_preliminary", "wu.gang", {"home_visit_note": "入户核实，独居无收入"}, None),
    (7, "C", "approve_preliminary", "song.yu", {"home_visit_note": "入户核实，情况属实"}, None),
    (8, "B", "approve_second", "wu.gang", {}, None),        # did the first review: refused
    (8, "A", "approve_second", "zhu.tao", {}, None),
    (8, "B", "approve_second", "chen.shuji", {}, None),
    (8, "C", "approve_second", "he.shuji", {}, None),
    (10, "A", "county_accept", "hu.kezhang", {}, None),
    (10, "C", "reject", "hu.kezhang", {}, None),             # no reason given: refused
    (10, "C", "reject", "hu.kezhang", {}, "经县级核对，家庭人均收入高于认定标准"),
    (21, "A", "disburse", "xu.lei", {"amount_fen": 400_000, "photo_ref": "IMG-0125-01",
                                     "recipient_signed": True, "cadre_signed": False}, None),
    (21, "A", "disburse", "xu.lei", {"amount_fen": 400_000, "photo_ref": "IMG-0125-01",
                                     "recipient_signed": True, "cadre_signed": True}, None),
    (22, "B", "disburse", "guo.ning", {"amount_fen": 60_000, "photo_ref": "IMG-0126-07",
                                       "recipient_signed": True, "cadre_signed": True}, None),
]


@dataclass
class DemoReport:
    steps: list[str] = field(default_factory=list)
    by_village_state: Counter[tuple[str, str]] = field(default_factory=Counter)
    events: int = 0
    refusals: int = 0
    cases: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases, "events": self.events, "refusals": self.refusals,
            "by_village_state": [{"village": v, "state": s, "cases": n}
                                 for (v, s), n in sorted(self.by_village_state.items())],
            "steps": self.steps,
        }


def run_demo(engine: Engine, lang: str = "zh") -> DemoReport:
    """Walk the demo households; refused steps are expected and reported."""
    zh = lang.startswith("zh")
    report = DemoReport()
    start = engine.clock.now()
    numbers: dict[str, str] = {}
    for h in HOUSEHOLDS:
        res = engine.submit(PROCESS, h["by"], h["data"], unit=h["unit"],
                            idempotency_key=f"demo-{h['key']}")
        numbers[h["key"]] = res.case_number
        report.steps.append(f"{local(engine.clock.now())}  {res.case_number}  "
                            f"{'提交申请' if zh else 'submitted'} ({h['by']})")
    for day, key, trigger, user, data, comment in STEPS:
        when = start + timedelta(days=day)
        if when > engine.clock.now():
            engine.set_clock(when=when)
        number = numbers[key]
        try:
            res = engine.fire(number, trigger, user, data=data, comment=comment)
            defn = engine.definition_for(engine.get_case(number))
            report.steps.append(f"{local(when)}  {number}  \u2713 {user}: {trigger} → "
                                f"{defn.state_label(res.state, lang)}")
        except BangfuError as exc:
            report.refusals += 1
            report.steps.append(f"{local(when)}  {number}  \u2717 {user}: {trigger}: "
                                f"{exc.localized(lang)}")
    for number in numbers.values():
        case = engine.get_case(number)
        defn = engine.definition_for(case)
        report.cases[number] = case.state
        report.by_village_state[(engine.org.unit_label(case.unit, lang),
                                 defn.state_label(case.state, lang))] += 1
        report.events += len(engine.history(case.id))
    return report
