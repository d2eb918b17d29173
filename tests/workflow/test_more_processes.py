"""The county union's processes: the hardship archive （建档帮扶） and medical aid （医疗救助）.

The archive is walked through the Engine on the simulated clock; medical aid
routing is judged by ``decide_fire`` with the county union's rules as facts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import SHIPPED_PROCESSES, load_definition
from definitions.standards import load_medical_aid_rules
from tests.helpers.union import (
    COUNTY,
    DISTRICT,
    ENTERPRISE,
    NATIONAL,
    NOTICE,
    PROVINCE,
    WORKER,
    archive_application,
    education_application,
    medical_application,
    to_assisted,
    to_district_review,
)
from workflow import Engine, GuardFailed, InvalidData, PermissionDenied
from workflow.core.decide import decide_fire
from workflow.core.machine import machine_for
from workflow.core.model import Case, Decision, Fire
from workflow.core.registry import REGISTRY
from workflow.errors import DoubleRelief

ARCHIVE = SHIPPED_PROCESSES / "hardship_archive.yaml"
MEDICAL = SHIPPED_PROCESSES / "medical_aid.yaml"
RULES = load_medical_aid_rules()



def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- the definitions and the org ------------------------------------------------


@pytest.mark.parametrize("path", [ARCHIVE, MEDICAL], ids=lambda p: p.name)
def test_definition_validates_with_its_guards(path: Path) -> None:
    """Each new file parses, validates against the registered guards and compiles."""
    d = load_definition(path, known_guards=REGISTRY)
    assert d.process == path.stem
    assert d.spec.applicant_id_field == "id_number"


def test_cli_validates_both_files() -> None:
    """'bangfu definitions validate' passes both files."""
    res = CliRunner().invoke(app, ["definitions", "validate", str(ARCHIVE), str(MEDICAL)],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "hardship_archive" in res.output and "medical_aid" in res.output


def test_the_yearly_living_aid_is_data_in_the_definition() -> None:
    """7,900 deep / 6,300 relative sit in the approval guard's params, 6 months in a condition."""
    d = load_definition(ARCHIVE, known_guards=REGISTRY)
    (approve,) = d.by_trigger_source[("approve", "district_review")]
    (check,) = approve.guards
    assert (check.name, check.params["deep"], check.params["relative"]) == \
        ("level_amount", 790000, 630000)
    (leave,) = d.by_trigger_source[("leave_hardship", "assisted")]
    assert "months_above_line >= 6" in leave.when
    every = {t.id: (t.every, t.fire) for t in d.spec.case_timers}
    assert every == {"living_aid_quarterly": ("3 months", "pay_living_aid"),
                     "archive_recheck": ("6 months", "recheck_due")}


def test_union_units_and_users_are_in_the_sample_org(shipped: tuple[Any, Any]) -> None:
    """A district union under the county, an enterprise union below it, and a user per role."""
    _, org = shipped
    assert org.units["kaifaqu"].kind == "district_union"
    assert org.units["kaifaqu"].parent == "qingshan"
    assert org.units["qingshan_textile"].parent == "kaifaqu"
    assert org.children("qingshan_textile") == []
    roles = {u: org.users[u].roles for u in (WORKER, ENTERPRISE, DISTRICT, COUNTY, PROVINCE,
                                             NATIONAL)}
    assert roles == {WORKER: ("worker",), ENTERPRISE: ("enterprise_union",),
                     DISTRICT: ("district_union",), COUNTY: ("county_union",),
                     PROVINCE: ("provincial_union",), NATIONAL: ("national_union",)}


# -- the hardship archive --------------------------------------------------------


def test_archive_walks_from_application_to_assisted(engine: Engine) -> None:
    """Apply → enterprise review → internal notice (closed by the system) → approval →
    archived → assisted."""
    result = engine.submit("hardship_archive", WORKER, archive_application())
    number = result.case_number
    case = engine.get_case(number)
    assert (number, case.state, case.campaign, case.unit) == \
        ("KN-000001", "enterprise_review", None, "qingshan_textile")
    engine.fire(number, "pass_enterprise_review", ENTERPRISE, data={"review_note": "情况属实"})
    assert engine.get_case(number).state == "internal_notice"
    with pytest.raises(GuardFailed, match="internal notice window"):
        engine.fire(number, "close_notice", ENTERPRISE)
    fired = engine.set_clock(advance=NOTICE)
    assert [(f.event.trigger, f.event.actor, f.event.dest) for f in fired] == \
        [("close_notice", "system", "district_review")]
    engine.fire(number, "approve", DISTRICT,
                data={"hardship_level": "deep", "living_aid_year_fen": 790000})
    assert engine.get_case(number).state == "archived"
    engine.fire(number, "start_assistance", DISTRICT, data={"assistance_plan": "生活救助"})
    assert [e.dest for e in engine.history(number)] == [
        "enterprise_review", "internal_notice", "district_review", "archived", "assisted"]


@pytest.mark.parametrize(("level", "amount", "expected"), [
    ("deep", 630000, "7,900.00"), ("relative", 790000, "6,300.00")])
def test_approval_refuses_an_amount_not_of_the_level(engine: Engine, level: str, amount: int,
                                                     expected: str) -> None:
    """The yearly living aid must be the level's figure; the refusal names it."""
    number = to_district_review(engine, hardship_level=level)
    with pytest.raises(GuardFailed) as ei:
        engine.fire(number, "approve", DISTRICT,
                    data={"hardship_level": level, "living_aid_year_fen": amount})
    assert expected in str(ei.value) and expected in ei.value.localized("zh")
    assert engine.get_case(number).state == "district_review"


def test_relative_hardship_is_archived_with_6300(engine: Engine) -> None:
    """A relative-hardship household is approved with 6,300 yuan a year."""
    number = to_assisted(engine, "relative")
    assert engine.get_case(number).data["living_aid_year_fen"] == 630000


def test_a_year_of_assistance_pays_four_quarters_and_rechecks_twice(engine: Engine) -> None:
    """A simulated year fires exactly 4 quarterly payments and 2 re-checks, in time order."""
    number = to_assisted(engine)
    fired = engine.set_clock(advance=timedelta(days=365))
    events = [f.event for f in fired if f.case_number == number]
    assert all(e.kind == "transition" and e.actor == "system" and e.dest == "assisted"
               for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    pays = [e.at for e in events if e.trigger == "pay_living_aid"]
    checks = [e.at for e in events if e.trigger == "recheck_due"]
    assert pays == [at("2027-04-04T09:00+08:00"), at("2027-07-04T09:00+08:00"),
                    at("2027-10-04T09:00+08:00"), at("2028-01-04T09:00+08:00")]
    assert checks == [at("2027-07-04T09:00+08:00"), at("2028-01-04T09:00+08:00")]
    assert len(events) == 6
    assert engine.get_case(number).state == "assisted"


def test_payments_before_assistance_are_refused_and_recorded(engine: Engine) -> None:
    """A quarter that falls due before the archive is approved is not paid; the timer says why."""
    number = engine.submit("hardship_archive", WORKER, archive_application()).case_number
    engine.set_clock(advance=timedelta(days=91))
    notes = [e for e in engine.history(number) if e.kind == "timer"]
    assert [e.meta["timer"] for e in notes] == ["living_aid_quarterly"]
    assert "enterprise_review" in notes[0].meta["refused"]


def recheck(engine: Engine, number: str, months: int, resolved: bool = True) -> None:
    engine.fire(number, "record_recheck", ENTERPRISE,
                data={"recheck_method": "visit", "recheck_note": "入户走访",
                      "months_above_line": months, "cause_resolved": resolved})


def test_out_of_hardship_needs_six_months_above_the_line(engine: Engine) -> None:
    """脱困 is refused at 5 consecutive months above the line and allowed at 6."""
    number = to_assisted(engine)
    recheck(engine, number, 5)
    with pytest.raises(GuardFailed, match="months_above_line >= 6"):
        engine.fire(number, "leave_hardship", DISTRICT, comment="收入稳定")
    recheck(engine, number, 6)
    assert engine.fire(number, "leave_hardship", DISTRICT, comment="收入稳定").state == \
        "out_of_hardship"


def test_out_of_hardship_needs_the_cause_gone(engine: Engine) -> None:
    """Six months above the line is not enough while the cause of hardship remains."""
    number = to_assisted(engine)
    recheck(engine, number, 8, resolved=False)
    with pytest.raises(GuardFailed, match="cause of hardship is gone"):
        engine.fire(number, "leave_hardship", DISTRICT, comment="收入稳定")


def test_the_exit_cannot_set_the_months_itself(engine: Engine) -> None:
    """Only a re-check records the months above the line; the exit command cannot."""
    number = to_assisted(engine)
    with pytest.raises(InvalidData):
        engine.fire(number, "leave_hardship", DISTRICT, comment="收入稳定",
                    data={"months_above_line": 6, "cause_resolved": True})


def test_relieved_household_keeps_its_living_aid(engine: Engine) -> None:
    """解困 keeps the payments and re-checks going; 返困 returns the case to assistance."""
    number = to_assisted(engine)
    engine.fire(number, "relieve", DISTRICT, data={"at_line_with_aid": True}, comment="帮扶后达到低保线")
    fired = engine.set_clock(advance=timedelta(days=100))
    assert [(f.event.trigger, f.event.dest) for f in fired] == [("pay_living_aid", "relieved")]
    assert engine.fire(number, "relapse", DISTRICT, comment="再次患病").state == "assisted"


def test_recheck_notifies_the_enterprise_union(engine: Engine) -> None:
    """The 6-monthly re-check tells the enterprise union that holds the case."""
    number = to_assisted(engine)
    engine.set_clock(advance=timedelta(days=182))
    (event,) = [e for e in engine.history(number) if e.trigger == "recheck_due"]
    case = engine.get_case(number)
    sent = [m["recipient"] for m in engine.store.messages()  # type: ignore[attr-defined]
            if m["case_id"] == case.id and m["event_seq"] == event.seq]
    assert sent == [ENTERPRISE]
    kinds = {m["kind"] for m in engine.store.messages()  # type: ignore[attr-defined]
             if m["case_id"] == case.id and m["event_seq"] == event.seq}
    assert kinds == {"recheck_due"}


def test_quarterly_payments_tell_nobody(engine: Engine) -> None:
    """A payment that keeps the case in its state sends no message: only a transition
    that names a template does."""
    number = to_assisted(engine)
    engine.set_clock(advance=timedelta(days=92))
    case = engine.get_case(number)
    (paid,) = [e for e in engine.history(number) if e.trigger == "pay_living_aid"]
    assert not [m for m in engine.store.messages()  # type: ignore[attr-defined]
                if m["case_id"] == case.id and m["event_seq"] == paid.seq]


# -- medical aid -----------------------------------------------------------------


def decide_approve(engine: Engine, case: Case, amount_yuan: int | None,
                   facts: dict[str, Any] | None = None) -> Decision:
    """The county union's approval of ``case`` judged with the rules as facts."""
    defn = engine.definition_for(case)
    data: dict[str, Any] = {"review_note": "票据合规"}
    if amount_yuan is not None:
        data["aid_amount_fen"] = amount_yuan * 100
    return decide_fire(defn, machine_for(defn), engine.org, case, engine.actor(COUNTY),
                       Fire(case.id, "approve", COUNTY, data), engine.clock.now(),
                       facts={"medical_rules": RULES} if facts is None else facts)


def medical_case(engine: Engine, kind: str, costs_yuan: int | Decimal,
                 losses_yuan: int | None = None) -> Case:
    number = engine.submit("medical_aid", WORKER,
                           medical_application(kind, costs_yuan, losses_yuan)).case_number
    return engine.get_case(number)


@pytest.mark.parametrize(("kind", "costs", "losses", "amount", "dest"), [
    ("deep", 20000, None, 20000, "approved"),
    ("deep", 20001, None, 20000, "provincial_review"),
    ("deep", 50000, None, 50000, "provincial_review"),
    ("deep", 50001, None, 50000, "national_review"),
    ("relative", 30000, None, 16000, "approved"),
    ("accident", 24000, None, 3600, "approved"),
    ("accident", 10000, 24000, 1500, "approved"),
], ids=["deep-20000", "deep-20001", "deep-50000", "deep-50001", "relative-30000",
        "accident-24000", "accident-losses-24000"])
def test_medical_aid_routing_at_the_boundaries(engine: Engine, kind: str, costs: int,
                                               losses: int | None, amount: int,
                                               dest: str) -> None:
    """20,000 stays with the county, 20,001 goes to the province, 50,001 to the national union."""
    case = medical_case(engine, kind, costs, losses)
    decision = decide_approve(engine, case, amount)
    assert decision.case.state == dest
    assert decision.case.data["aid_amount_fen"] == amount * 100


def test_accident_below_24000_gets_no_aid(engine: Engine) -> None:
    """23,999 of costs and no losses: an accident does not qualify; every route refuses."""
    case = medical_case(engine, "accident", 23999)
    with pytest.raises(GuardFailed) as ei:
        decide_approve(engine, case, 3600)
    assert "24,000 or more" in str(ei.value)
    assert "24,000 元以上" in ei.value.localized("zh")


@pytest.mark.parametrize(("kind", "costs", "wrong", "expected"), [
    ("deep", 12350, 12400, "12,350.00"),      # never above the self-paid costs
    ("deep", 20001, 20001, "20,000.00"),      # 四舍五入 to the hundred
    ("relative", Decimal("562.5"), 400, "500.00"),  # 80 % of 562.50 = 450: half up
    ("relative", 20000, 20000, "16,000.00"),  # 80 %, capped at 16,000
    ("accident", 80000, 12000, "10,000.00"),  # 15 %, capped at 10,000
])
def test_wrong_amount_is_refused_naming_the_amount(engine: Engine, kind: str,
                                                   costs: int | Decimal,
                                                   wrong: int, expected: str) -> None:
    """An amount other than the rules' is refused, and the refusal names the right one."""
    case = medical_case(engine, kind, costs)
    with pytest.raises(GuardFailed) as ei:
        decide_approve(engine, case, wrong)
    assert f"must be exactly {expected} yuan" in str(ei.value)
    assert f"必须为 {expected} 元" in ei.value.localized("zh")


def test_routing_without_the_rules_is_refused(engine: Engine) -> None:
    """Without facts['medical_rules'] no route can be computed, and the refusal says so."""
    case = medical_case(engine, "deep", 10000)
    with pytest.raises(GuardFailed, match="medical aid rules are not loaded"):
        decide_approve(engine, case, 10000, facts={})


def approve_at_county(engine: Engine, number: str, amount_yuan: int) -> None:
    engine.fire(number, "approve", COUNTY,
                data={"aid_amount_fen": amount_yuan * 100, "review_note": "票据合规"})


def test_national_route_is_approved_by_the_national_union(engine: Engine) -> None:
    """A case sent to the national union is approved there and nowhere else."""
    case = medical_case(engine, "deep", 60000)
    approve_at_county(engine, case.number, 60000)
    assert engine.get_case(case.number).state == "national_review"
    with pytest.raises(PermissionDenied, match="allowed roles"):
        engine.fire(case.number, "approve", PROVINCE)
    assert engine.fire(case.number, "approve", NATIONAL).state == "approved"


def test_provincial_route_is_approved_by_the_provincial_union(engine: Engine) -> None:
    """A case sent to the provincial union is approved by it."""
    case = medical_case(engine, "deep", 30000)
    approve_at_county(engine, case.number, 30000)
    assert engine.fire(case.number, "approve", PROVINCE).state == "approved"


def test_engine_gives_the_medical_rules_to_the_guards(engine: Engine) -> None:
    """Through the Engine, the county union's approval routes a 20,001 case to the province."""
    case = medical_case(engine, "deep", 20001)
    result = engine.fire(case.number, "approve", COUNTY,
                         data={"aid_amount_fen": 2000000, "review_note": "票据合规"})
    assert result.state == "provincial_review"


def test_engine_refuses_a_wrong_amount_naming_the_right_one(engine: Engine) -> None:
    """Through the Engine, 20,001 recorded for 20,001 of costs is refused: 20,000 is due."""
    case = medical_case(engine, "deep", 20001)
    with pytest.raises(GuardFailed, match="must be exactly 20,000.00 yuan"):
        engine.fire(case.number, "approve", COUNTY,
                    data={"aid_amount_fen": 2000100, "review_note": "票据合规"})
    assert engine.get_case(case.number).state == "county_review"


def test_second_open_medical_case_of_a_worker(engine: Engine) -> None:
    """A worker with an open medical aid case cannot open a second one; the error names it."""
    first = engine.submit("medical_aid", WORKER, medical_application("deep", 10000)).case_number
    with pytest.raises(DoubleRelief) as ei:
        engine.submit("medical_aid", WORKER, medical_application("deep", 5000))
    assert ei.value.other == first
    assert first in ei.value.zh and "未办结" in ei.value.zh


def test_a_closed_medical_case_does_not_block_the_next(engine: Engine) -> None:
    """Once the worker's medical aid case is closed, a new one may be opened."""
    first = engine.submit("medical_aid", WORKER, medical_application("deep", 10000)).case_number
    engine.fire(first, "reject", COUNTY, comment="票据不合规")
    second = engine.submit("medical_aid", WORKER, medical_application("deep", 5000))
    assert second.case_number != first


def test_an_open_medical_case_does_not_block_an_archive(engine: Engine) -> None:
    """The limit is per process: a worker in medical aid may still be archived."""
    engine.submit("medical_aid", WORKER, medical_application("deep", 10000))
    number = to_assisted(engine)
    assert engine.get_case(number).state == "assisted"


# -- education aid (金秋助学) ------------------------------------------------------


def test_education_aid_walks_to_granted_and_counts_in_the_aid_report(engine: Engine) -> None:
    """Apply → enterprise union review → county union approval: the granted case is
    counted in the month of approval on the education line of the targets file."""
    from workflow.reporting import aid_progress, load_aid_targets

    number = engine.submit("education_aid", WORKER, education_application()).case_number
    assert engine.get_case(number).state == "enterprise_review"
    engine.fire(number, "forward", ENTERPRISE, data={"review_note": "家庭困难属实"})
    engine.fire(number, "approve", COUNTY, data={"aid_amount_fen": 300000},
                comment="按县总工会当年金秋助学标准资助")
    case = engine.get_case(number)
    assert case.state == "approved" and case.data["aid_amount_fen"] == 300000
    targets = load_aid_targets(SHIPPED_PROCESSES.parent / "targets"
                               / "county_union_2027.example.yaml")
    table = aid_progress(engine, targets)
    (row,) = [r for r in table.data_rows if r["kind"] == "education"]
    month = engine.clock.now().month
    assert row["year"] == 1 and row[f"m{month}"] == 1 and row["progress"] == "2.5%"
    assert "education_aid" not in " ".join(table.notes)


def test_education_aid_needs_a_reason_to_grant_and_one_open_case(engine: Engine) -> None:
    """Granting without the county union's reason is refused; a second open application
    of the household is refused naming the first."""
    from workflow import CommentRequired

    number = engine.submit("education_aid", WORKER, education_application()).case_number
    engine.fire(number, "forward", ENTERPRISE, data={"review_note": "属实"})
    with pytest.raises(CommentRequired):
        engine.fire(number, "approve", COUNTY, data={"aid_amount_fen": 300000})
    with pytest.raises(DoubleRelief) as ei:
        engine.submit("education_aid", ENTERPRISE, education_application(),
                      unit="qingshan_textile")
    assert ei.value.other == number


# -- care-institution star rating (特困供养机构等级评定) ------------------------------

TOWN, BUREAU, CITY = "yang.jing", "hu.kezhang", "fang.jian"
HOME = {"institution_name": "东岭镇敬老院", "residents": 42, "service_quality": 88,
        "management": 85, "facilities": 80, "organisational_support": 90}


def rating_case(engine: Engine) -> str:
    return engine.submit("care_rating", TOWN, HOME, unit="dongling_home").case_number


def test_two_stars_need_the_plans_subsidy(engine: Engine) -> None:
    """Two stars with a yearly subsidy below 6,000 per resident are refused, naming the
    condition; at 6,000 exactly (以上 includes the figure) the rating is given."""
    number = rating_case(engine)
    with pytest.raises(GuardFailed) as ei:
        engine.fire(number, "rate", BUREAU, data={
            "stars": 2, "subsidy_per_resident_fen": 599_999, "evaluation_note": "达标"})
    assert "6000" in str(ei.value)
    engine.fire(number, "rate", BUREAU, data={
        "stars": 2, "subsidy_per_resident_fen": 600_000, "evaluation_note": "达标"})
    assert engine.get_case(number).state == "rated"


def test_three_stars_go_to_the_city_and_need_7200(engine: Engine) -> None:
    """A three-star candidate goes to the city; the county cannot rate it itself; the city
    confirms only with 7,200 per resident or more, else returns it with a reason."""
    number = rating_case(engine)
    with pytest.raises(GuardFailed):
        engine.fire(number, "rate", BUREAU, data={
            "stars": 3, "subsidy_per_resident_fen": 800_000, "evaluation_note": "优秀"})
    engine.fire(number, "propose_three_star", BUREAU, data={
        "stars": 3, "subsidy_per_resident_fen": 700_000, "evaluation_note": "优秀"})
    assert engine.get_case(number).state == "city_review"
    with pytest.raises(PermissionDenied):
        engine.fire(number, "approve_three_star", BUREAU)
    with pytest.raises(GuardFailed):
        engine.fire(number, "approve_three_star", CITY)
    engine.fire(number, "approve_three_star", CITY, data={"subsidy_per_resident_fen": 720_000})
    assert engine.get_case(number).state == "rated"


def test_a_rating_expires_after_its_validity_with_reminders_and_is_renewed(
        engine: Engine) -> None:
    """Reminders go to the county bureau 90 and 30 days before the end of the three years;
    at the end the rating expires by itself; the township applies for renewal."""
    number = rating_case(engine)
    engine.fire(number, "rate", BUREAU, data={
        "stars": 1, "subsidy_per_resident_fen": 500_000, "evaluation_note": "基本达标"})
    rated = engine.get_case(number).state_entered_at
    engine.set_clock(when=rated + timedelta(days=3 * 365 - 100))
    assert engine.get_case(number).state == "rated"
    engine.set_clock(advance=timedelta(days=110))
    case = engine.get_case(number)
    assert case.state == "expired"
    reminders = [e for e in engine.history(number) if e.kind == "reminder"]
    assert len(reminders) == 2 and all(e.meta["recipients"] == [BUREAU] for e in reminders)
    (expired,) = [e for e in engine.history(number) if e.trigger == "expire"]
    assert expired.at.astimezone(rated.tzinfo) >= rated + timedelta(days=365 * 3)
    engine.fire(number, "renew", TOWN, data={"residents": 40})
    assert engine.get_case(number).state == "county_evaluation"
