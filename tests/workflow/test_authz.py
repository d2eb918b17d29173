"""Who may do what: roles, jurisdiction, own cases, separation of duties, conflicts of
interest, unknown users and who may open a case. Every refusal writes nothing."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import pytest

from definitions import SHIPPED_ORG, org_from_text
from tests.helpers.cases import LI_ID, PROCESS, VILLAGES, application
from workflow import (
    Case,
    Engine,
    InvalidData,
    PermissionDenied,
    UnknownUser,
)

Walk = Callable[..., Case]


def assert_bilingual(exc: Exception, number: str | None = None) -> None:
    """English via str(), Chinese via localized('zh'), both naming the case when there is one."""
    en, zh = str(exc), exc.localized("zh")  # type: ignore[attr-defined]
    assert en and zh and en != zh
    if number:
        assert number in en and number in zh


def refused(engine: Engine, unchanged: Callable, number: str, trigger: str, user: str,
            **kwargs: object) -> PermissionDenied:
    """Fire and expect a PermissionDenied that wrote nothing."""
    with unchanged(number), pytest.raises(PermissionDenied) as ei:
        engine.fire(number, trigger, user, **kwargs)  # type: ignore[arg-type]
    assert_bilingual(ei.value, number)
    return ei.value


def test_wrong_role(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """A panel member may not accept an application: reason 'role', naming who may."""
    case = walk("application")
    err = refused(engine, unchanged, case.number, "accept", "liu.qiang")
    assert err.reason == "role"
    assert "allowed roles: Village committee" in str(err)
    assert "村（社区）两委" in err.localized("zh")
    assert err.to_dict("en")["reason"] == "role"


def test_inspector_may_fire_nothing(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """The county inspection team is read-only."""
    case = walk("publicity")
    assert refused(engine, unchanged, case.number, "object", "jiang.duban",
                   comment="督查").reason == "role"
    assert engine.queue("jiang.duban") == []


def test_public_may_only_object(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """A member of the public may not close the notice."""
    case = walk("publicity")
    assert refused(engine, unchanged, case.number, "close_notice", "qunzhong").reason == "role"


def test_other_village_is_outside_jurisdiction(engine: Engine, walk: Walk,
                                               unchanged: Callable) -> None:
    """ma.hui of liujia may not accept a shangcun case: reason 'jurisdiction'."""
    case = walk("application")
    err = refused(engine, unchanged, case.number, "accept", "ma.hui")
    assert err.reason == "jurisdiction"
    assert "Shangcun Village" in str(err) and "Liujia Village" in str(err)
    assert "上村" in err.localized("zh")


def test_other_township_is_outside_jurisdiction(engine: Engine, walk: Walk,
                                                unchanged: Callable) -> None:
    """song.yu of xihe may not review a dongling case: reason 'jurisdiction'."""
    case = walk("preliminary_review")
    err = refused(engine, unchanged, case.number, "approve_preliminary", "song.yu",
                  data={"home_visit_note": "x"})
    assert err.reason == "jurisdiction"


def test_other_village_staff_may_not_object(engine: Engine, walk: Walk,
                                            unchanged: Callable) -> None:
    """Village staff object only on their own village's notices."""
    case = walk("publicity")
    assert refused(engine, unchanged, case.number, "object", "ma.hui",
                   comment="异议").reason == "jurisdiction"


def test_township_reaches_its_villages(engine: Engine, walk: Walk) -> None:
    """The dongling office reviews cases of xiacun as well as shangcun."""
    case = walk("preliminary_review", "zhang.min")
    assert engine.fire(case.number, "approve_preliminary", "yang.jing",
                       data={"home_visit_note": "已入户"}).state == "second_review"


def test_county_reaches_every_village(engine: Engine, walk: Walk) -> None:
    """The county bureau accepts a report from xihe as well as dongling."""
    case = walk("reported", "ma.hui")
    assert case.unit == "liujia"
    assert engine.fire(case.number, "county_accept", "hu.kezhang").state == "disbursement"


def test_applicant_acts_on_own_case_only(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """zhao.jianguo may not withdraw li.xiulan's case: reason 'own_case'."""
    case = walk("deliberation")
    err = refused(engine, unchanged, case.number, "withdraw", "zhao.jianguo", comment="撤回")
    assert err.reason == "own_case"


def test_case_filed_by_staff_is_not_the_applicants_own(engine: Engine, walk: Walk,
                                                       unchanged: Callable) -> None:
    """A case the village filed cannot be withdrawn by an applicant user."""
    case = walk("application", "wang.fang")
    err = refused(engine, unchanged, case.number, "withdraw", "li.xiulan", comment="撤回")
    assert err.reason == "own_case"


def test_same_person_may_not_do_both_reviews(engine: Engine, walk: Walk,
                                             unchanged: Callable) -> None:
    """wu.gang did the preliminary review, so he may not do the second: separation of duties."""
    case = walk("preliminary_review")
    engine.fire(case.number, "approve_preliminary", "wu.gang", data={"home_visit_note": "已入户"})
    assert engine.get_case(case.number).duties["preliminary_review"] == ("wu.gang",)
    err = refused(engine, unchanged, case.number, "approve_second", "wu.gang")
    assert err.reason == "separation_of_duties"
    assert "The same person must not do both reviews" in str(err)
    assert "同一人不得既初审又复审" in err.localized("zh")


def test_separation_covers_rejection_too(engine: Engine, walk: Walk,
                                         unchanged: Callable) -> None:
    """A rejection at the second review is second-review work as well."""
    case = walk("preliminary_review")
    engine.fire(case.number, "approve_preliminary", "wu.gang", data={"home_visit_note": "已入户"})
    assert refused(engine, unchanged, case.number, "reject", "wu.gang",
                   comment="不符合").reason == "separation_of_duties"


def test_another_committee_member_does_the_second_review(engine: Engine, walk: Walk) -> None:
    """After wu.gang's preliminary review, zhu.tao may do the second."""
    case = walk("preliminary_review")
    engine.fire(case.number, "approve_preliminary", "wu.gang", data={"home_visit_note": "已入户"})
    assert engine.fire(case.number, "approve_second", "zhu.tao").state == "reported"


def test_dual_role_user_may_do_the_second_review_alone(engine: Engine, walk: Walk) -> None:
    """wu.gang may do the second review of a case another officer pre-reviewed."""
    case = walk("second_review")
    assert case.duties["preliminary_review"] == ("yang.jing",)
    assert engine.fire(case.number, "approve_second", "wu.gang").state == "reported"


def test_related_reviewer_must_stand_aside(engine: Engine, walk: Walk,
                                          unchanged: Callable) -> None:
    """sun.li declared a relation to the applicant: reason 'conflict_of_interest'."""
    case = walk("deliberation")
    assert case.data["id_number"] == LI_ID
    err = refused(engine, unchanged, case.number, "pass_deliberation", "sun.li")
    assert err.reason == "conflict_of_interest"
    assert "回避" in err.localized("zh")


def test_unrelated_reviewer_may_act(engine: Engine, walk: Walk) -> None:
    """liu.qiang, of the same panel, deliberates on the same case."""
    case = walk("deliberation")
    assert engine.fire(case.number, "pass_deliberation", "liu.qiang").state == "publicity"


def test_related_reviewer_may_act_on_other_applicants(engine: Engine, walk: Walk) -> None:
    """The conflict covers the related applicant only."""
    case = walk("deliberation", "wang.fang", id_number="331122196001010015")
    assert engine.fire(case.number, "pass_deliberation", "sun.li").state == "publicity"


def test_relation_matches_a_lower_case_check_digit(engine: Engine, walk: Walk,
                                                   unchanged: Callable) -> None:
    """The conflict is found however the ID number was typed."""
    case = walk("deliberation", "wang.fang", id_number=" " + LI_ID + " ")
    assert refused(engine, unchanged, case.number, "reject", "sun.li",
                   comment="x").reason == "conflict_of_interest"


def test_relation_declared_with_the_old_15_digit_card_blocks_the_18_digit_case(
        engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """A relation declared with the first-generation card is the same person's 18 digits."""
    old = LI_ID[:6] + LI_ID[8:17]  # 331122580312042: no century, no check character
    assert len(old) == 15
    original = SHIPPED_ORG.read_text(encoding="utf-8")
    text = original.replace(f'{{id_number: "{LI_ID}", relation: 姨母}}',
                            f'{{id_number: "{old}", relation: 姨母}}')
    assert text != original
    related = copy.copy(engine)
    related.org = org_from_text(text, known_roles={r for d in engine.definitions for r in d.spec.roles})
    case = walk("deliberation")
    with unchanged(case.number), pytest.raises(PermissionDenied) as ei:
        related.fire(case.number, "pass_deliberation", "sun.li")
    assert ei.value.reason == "conflict_of_interest"


def test_an_old_card_and_its_18_digits_are_one_household() -> None:
    """Households, relations and rivals compare IDs in one normal form."""
    from definitions.idnumber import id_key

    old = LI_ID[:6] + LI_ID[8:17]
    assert id_key(old) == id_key(LI_ID) == LI_ID
    assert id_key("３３１１２２" + LI_ID[6:].lower()) == LI_ID  # full-width digits, lower-case x
    assert id_key(" 3311 2219 5803 1204 22 ") == LI_ID


def test_unknown_user_firing(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """A user not in the org is UnknownUser, with a suggestion."""
    case = walk("application")
    with unchanged(case.number), pytest.raises(UnknownUser) as ei:
        engine.fire(case.number, "accept", "wang.fan")
    assert "did you mean 'wang.fang'?" in str(ei.value)
    assert "wang.fan" in ei.value.localized("zh")


def test_unknown_user_submitting(engine: Engine, unchanged: Callable) -> None:
    """An unknown user cannot open a case."""
    with unchanged(), pytest.raises(UnknownUser):
        engine.submit(PROCESS, "nobody", application())


@pytest.mark.parametrize("user", ["yang.jing", "qunzhong", "liu.qiang", "hu.kezhang"])
def test_submit_by_a_role_not_allowed(engine: Engine, unchanged: Callable, user: str) -> None:
    """Only applicants and village staff open cases: reason 'role'."""
    with unchanged(), pytest.raises(PermissionDenied) as ei:
        engine.submit(PROCESS, user, application(), unit="shangcun")
    assert ei.value.reason == "role"
    assert "Applicant" in str(ei.value) and "申请人" in ei.value.localized("zh")


def test_submit_to_a_township_is_refused(engine: Engine, unchanged: Callable) -> None:
    """A case is filed in a village or community, never at a township."""
    with unchanged(), pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "wang.fang", application(), unit="dongling")
    assert ei.value.problems[0][0] == "unit"
    assert "东岭镇" in ei.value.localized("zh")


def test_submit_to_an_unknown_unit_is_refused(engine: Engine, unchanged: Callable) -> None:
    """An unknown unit is invalid data."""
    with unchanged(), pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "wang.fang", application(), unit="shangcunn")
    assert "unknown unit 'shangcunn'" in str(ei.value)


def test_staff_may_not_file_for_another_village(engine: Engine, unchanged: Callable) -> None:
    """wang.fang of shangcun may not open a case in xiacun: reason 'jurisdiction'."""
    with unchanged(), pytest.raises(PermissionDenied) as ei:
        engine.submit(PROCESS, "wang.fang", application(), unit="xiacun")
    assert ei.value.reason == "jurisdiction"
    assert_bilingual(ei.value)


def test_applicant_files_only_where_they_live(engine: Engine, unchanged: Callable) -> None:
    """An applicant may not open a case in another village."""
    with unchanged(), pytest.raises(PermissionDenied) as ei:
        engine.submit(PROCESS, "li.xiulan", application(), unit="liujia")
    assert ei.value.reason == "jurisdiction"


@pytest.mark.parametrize("village", sorted(VILLAGES))
def test_public_may_object_on_any_case_on_notice(engine: Engine, walk: Walk,
                                                 village: str) -> None:
    """qunzhong (scope 'anyone') objects on a notice in any village."""
    case = walk("publicity", VILLAGES[village]["staff"])
    assert case.unit == village
    result = engine.fire(case.number, "object", "qunzhong", comment="反映情况不实")
    assert (result.state, result.event.role) == ("objection_review", "public")


def test_options_explain_separation_of_duties(engine: Engine, walk: Walk) -> None:
    """options() tells wu.gang why he may not do the second review he would otherwise do."""
    case = walk("preliminary_review")
    engine.fire(case.number, "approve_preliminary", "wu.gang", data={"home_visit_note": "已入户"})
    opts = {o.trigger: o for o in engine.options(case.number, "wu.gang", lang="en")}
    assert not opts["approve_second"].allowed
    assert "must not do both reviews" in opts["approve_second"].reasons[0]
    assert opts["request_evidence"].allowed


def test_related_staff_may_not_file_the_application(engine: Engine, unchanged: Callable) -> None:
    """Village staff who declared a relation to the applicant may not file the case for them."""
    original = SHIPPED_ORG.read_text(encoding="utf-8")
    text = re.sub(r"(\{id: wang\.fang, [^}]*)\}",
                  lambda m: m.group(1) + f", relations: [{{id_number: '{LI_ID}', relation: 表姐}}]}}",
                  original, count=1)
    assert text != original
    related = copy.copy(engine)
    related.org = org_from_text(text, known_roles={r for d in engine.definitions for r in d.spec.roles})
    with unchanged(), pytest.raises(PermissionDenied) as ei:
        related.submit(PROCESS, "wang.fang", application())
    assert ei.value.reason == "conflict_of_interest"
    assert related.submit(PROCESS, "wang.fang",
                          application(id_number="331122196001010015")).state == "application"
