"""The Engine API on the shipped relief process: every transition, the notice window,
objections, refusals of the rules, listing, queues, options and the simulated clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from definitions import UnknownDefinition
from tests.helpers.cases import (
    DISBURSE,
    FINAL,
    NON_FINAL,
    NOTICE_DAYS,
    PREFIX,
    PROCESS,
    START,
    application,
    move,
    open_notice_window,
)
from tests.helpers.engines import opened
from workflow import (
    Case,
    CaseClosed,
    CaseNotFound,
    ClockError,
    CommentRequired,
    Engine,
    GuardFailed,
    InvalidData,
    InvalidTrigger,
    MissingData,
    PermissionDenied,
)
from workflow.bootstrap import init_database

Walk = Callable[..., Case]
NewCase = Callable[..., str]


def triggers(engine: Engine, number: str) -> list[str]:
    return [e.trigger for e in engine.history(number)]


def assert_bilingual(exc: Exception, number: str | None = None) -> None:
    """The error reads in English (str) and Chinese (localized), both naming the case."""
    en, zh = str(exc), exc.localized("zh")  # type: ignore[attr-defined]
    assert en and zh and en != zh
    if number:
        assert number in en and number in zh


# -- the main road ------------------------------------------------------------


def test_severe_case_walks_the_whole_road(engine: Engine, walk: Walk) -> None:
    """申请 → 评议 → 公示 → 初审 → 复审 → 上报 → 发放 → 完成, one event per step."""
    case = walk("completed")
    assert triggers(engine, case.number) == [
        "submit", "accept", "pass_deliberation", "close_notice", "approve_preliminary",
        "approve_second", "county_accept", "disburse"]
    assert case.version == 8
    assert case.data["amount_fen"] == DISBURSE["amount_fen"]


@pytest.mark.parametrize("category", ["severe", "moderate"])
def test_moderate_and_severe_are_reported_to_the_county(walk: Walk, engine: Engine,
                                                        category: str) -> None:
    """approve_second sends moderate and severe cases to the county （上报）."""
    case = walk("second_review", category=category)
    assert engine.fire(case.number, "approve_second", "zhu.tao").state == "reported"


@pytest.mark.parametrize("category", ["general", "veteran", "dibao", "three_withouts"])
def test_other_categories_skip_the_report(walk: Walk, engine: Engine, category: str) -> None:
    """approve_second sends any other category straight to disbursement (a three-withouts
    person with the care type that prices the standard the approval reserves)."""
    extra = {"three_withouts_care": "dispersed"} if category == "three_withouts" else {}
    case = walk("second_review", category=category, **extra)
    assert engine.fire(case.number, "approve_second", "zhu.tao").state == "disbursement"


def test_an_approval_whose_standard_cannot_be_priced_is_refused(walk: Walk,
                                                                engine: Engine) -> None:
    """A three-withouts case without its care type has no standard to reserve: the
    approval is refused naming the subgroups, and the case stays where it was."""
    from workflow.rules.relief import SubgroupRequired

    case = walk("second_review", category="three_withouts")
    with pytest.raises(SubgroupRequired, match="dispersed"):
        engine.fire(case.number, "approve_second", "zhu.tao")
    assert engine.get_case(case.number).version == case.version


def test_general_case_completes_without_the_county(engine: Engine, walk: Walk) -> None:
    """A general case is completed with no 上报 step in its history."""
    case = walk("completed", category="general")
    assert "reported" not in [e.dest for e in engine.history(case.number)]
    assert "county_accept" not in triggers(engine, case.number)


def test_county_accepts_a_report(engine: Engine, walk: Walk) -> None:
    """The county bureau moves a reported case on to disbursement."""
    case = walk("reported")
    result = engine.fire(case.number, "county_accept", "hu.kezhang")
    assert (result.state, result.version, result.event.role) == ("disbursement", 7,
                                                                  "county_bureau")


def test_disburse_completes_the_case(engine: Engine, walk: Walk) -> None:
    """The liaison cadre's delivery with both signatures and a photo completes the case."""
    case = walk("disbursement")
    result = engine.fire(case.number, "disburse", "xu.lei", data=DISBURSE)
    assert result.state == "completed"
    assert engine.get_case(case.number).data["photo_ref"] == "P-0001"


def test_disburse_refused_without_the_recipients_signature(
        engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """Nobody collects on the recipient's behalf: no signature, no delivery (GuardFailed)."""
    case = walk("disbursement")
    with unchanged(case.number), pytest.raises(GuardFailed) as ei:
        engine.fire(case.number, "disburse", "xu.lei",
                    data={**DISBURSE, "recipient_signed": False})
    assert "recipient_signed" in str(ei.value)
    assert_bilingual(ei.value, case.number)


def test_disburse_refused_without_the_cadres_signature(
        engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """The visiting cadre must sign the form as well."""
    case = walk("disbursement")
    with unchanged(case.number), pytest.raises(GuardFailed) as ei:
        engine.fire(case.number, "disburse", "xu.lei", data={**DISBURSE, "cadre_signed": False})
    assert "cadre_signed" in str(ei.value)


def test_disburse_refused_without_a_photo(engine: Engine, walk: Walk,
                                          unchanged: Callable) -> None:
    """A delivery without its photo reference is MissingData naming photo_ref."""
    case = walk("disbursement")
    data = {k: v for k, v in DISBURSE.items() if k != "photo_ref"}
    with unchanged(case.number), pytest.raises(MissingData) as ei:
        engine.fire(case.number, "disburse", "xu.lei", data=data)
    assert ei.value.fields == ("photo_ref",)
    assert "慰问照片编号" in ei.value.localized("zh")
    assert_bilingual(ei.value, case.number)


def test_preliminary_review_needs_the_home_visit(engine: Engine, walk: Walk,
                                                unchanged: Callable) -> None:
    """approve_preliminary without the home visit findings is MissingData."""
    case = walk("preliminary_review")
    with unchanged(case.number), pytest.raises(MissingData) as ei:
        engine.fire(case.number, "approve_preliminary", "yang.jing")
    assert ei.value.fields == ("home_visit_note",)


# -- rejections -----------------------------------------------------------------

REJECTERS = [("deliberation", "liu.qiang"), ("preliminary_review", "yang.jing"),
             ("second_review", "zhu.tao"), ("reported", "hu.kezhang")]


@pytest.mark.parametrize(("state", "user"), REJECTERS, ids=[s for s, _ in REJECTERS])
def test_reject_with_a_reason(engine: Engine, walk: Walk, state: str, user: str) -> None:
    """Every review may reject; the reason is stored on the event."""
    case = walk(state)
    result = engine.fire(case.number, "reject", user, comment="不符合条件")
    assert result.state == "rejected"
    assert engine.history(case.number)[-1].comment == "不符合条件"


@pytest.mark.parametrize(("state", "user"), REJECTERS, ids=[s for s, _ in REJECTERS])
def test_reject_needs_a_reason(engine: Engine, walk: Walk, unchanged: Callable,
                               state: str, user: str) -> None:
    """A rejection without a reason (or with only blanks) is CommentRequired."""
    case = walk(state)
    with unchanged(case.number):
        with pytest.raises(CommentRequired) as ei:
            engine.fire(case.number, "reject", user)
        with pytest.raises(CommentRequired):
            engine.fire(case.number, "reject", user, comment="   ")
    assert_bilingual(ei.value, case.number)


# -- more evidence ----------------------------------------------------------------

EVIDENCE = [("application", "wang.fang"), ("deliberation", "liu.qiang"),
            ("preliminary_review", "yang.jing"), ("second_review", "zhu.tao")]


@pytest.mark.parametrize(("state", "user"), EVIDENCE, ids=[s for s, _ in EVIDENCE])
def test_request_evidence_then_resubmit(engine: Engine, walk: Walk, state: str,
                                        user: str) -> None:
    """Each review can return the case for evidence; resubmitting goes back to 申请."""
    case = walk(state)
    assert engine.fire(case.number, "request_evidence", user,
                       comment="请补充诊断证明").state == "evidence_requested"
    result = engine.fire(case.number, "resubmit", "li.xiulan",
                         data={"evidence_note": "已补交县医院诊断证明"})
    assert result.state == "application"
    assert engine.get_case(case.number).data["evidence_note"] == "已补交县医院诊断证明"


@pytest.mark.parametrize(("state", "user"), EVIDENCE, ids=[s for s, _ in EVIDENCE])
def test_request_evidence_needs_a_reason(engine: Engine, walk: Walk, unchanged: Callable,
                                         state: str, user: str) -> None:
    """Returning a case without saying what is missing is CommentRequired."""
    case = walk(state)
    with unchanged(case.number), pytest.raises(CommentRequired):
        engine.fire(case.number, "request_evidence", user)


def test_resubmit_needs_the_evidence_note(engine: Engine, walk: Walk,
                                          unchanged: Callable) -> None:
    """Resubmitting without describing the new evidence is MissingData."""
    case = walk("evidence_requested")
    with unchanged(case.number), pytest.raises(MissingData) as ei:
        engine.fire(case.number, "resubmit", "li.xiulan")
    assert ei.value.fields == ("evidence_note",)


def test_village_staff_may_resubmit(engine: Engine, walk: Walk) -> None:
    """The village committee resubmits for an applicant (e.g. one without capacity)."""
    case = walk("evidence_requested", "wang.fang")
    assert engine.fire(case.number, "resubmit", "wang.fang",
                       data={"evidence_note": "村委代为补交"}).state == "application"


# -- the public notice and objections ---------------------------------------------


def test_close_notice_refused_before_three_days(engine: Engine, walk: Walk,
                                                unchanged: Callable) -> None:
    """Before the window ends, close_notice is GuardFailed naming the window and its end."""
    case = walk("publicity")
    engine.set_clock(advance=NOTICE_DAYS - timedelta(minutes=1))
    with unchanged(case.number), pytest.raises(GuardFailed) as ei:
        engine.fire(case.number, "close_notice", "wang.fang")
    assert "public notice window" in str(ei.value)
    assert "2027-01-07 09:00" in str(ei.value)
    assert "公示期" in ei.value.localized("zh") and "2027-01-07 09:00" in ei.value.localized("zh")
    assert_bilingual(ei.value, case.number)


def test_close_notice_allowed_when_three_days_are_over(engine: Engine, walk: Walk) -> None:
    """Exactly three days after the notice was posted, it may be closed."""
    case = walk("publicity")
    engine.set_clock(advance=NOTICE_DAYS, fire=False)
    assert engine.fire(case.number, "close_notice", "wang.fang").state == "preliminary_review"


def test_the_system_closes_the_notice(engine: Engine, walk: Walk) -> None:
    """The timer actor 'system' may close an elapsed notice."""
    case = walk("publicity")
    engine.set_clock(advance=NOTICE_DAYS, fire=False)
    result = engine.fire(case.number, "close_notice", "system")
    assert (result.state, result.event.role) == ("preliminary_review", "system")


def test_public_objects_during_the_notice(engine: Engine, walk: Walk) -> None:
    """Anyone may object while the notice is up; the objection needs a reason."""
    case = walk("publicity")
    with pytest.raises(CommentRequired):
        engine.fire(case.number, "object", "qunzhong")
    result = engine.fire(case.number, "object", "qunzhong", comment="其子女有稳定收入")
    assert (result.state, result.event.role) == ("objection_review", "public")


def test_a_second_objection_during_review(engine: Engine, walk: Walk) -> None:
    """Another objection while one is being reviewed is recorded and the case stays put."""
    case = walk("objection_review")
    result = engine.fire(case.number, "object", "wang.fang", comment="又有村民反映")
    assert (result.state, result.version) == ("objection_review", case.version + 1)


@pytest.mark.parametrize("user", ["yang.jing", "xu.lei"])
def test_dismissed_objection_returns_to_the_notice(engine: Engine, walk: Walk,
                                                   user: str) -> None:
    """The township office or the liaison cadre may dismiss an objection, with a reason."""
    case = walk("objection_review")
    result = engine.fire(case.number, "dismiss_objection", user, comment="经核查不属实")
    assert result.state == "publicity"


def test_upheld_objection_rejects_the_case(engine: Engine, walk: Walk) -> None:
    """Upholding an objection ends the case as rejected."""
    case = walk("objection_review")
    assert engine.fire(case.number, "uphold_objection", "yang.jing",
                       comment="经核查属实").state == "rejected"


def test_liaison_cadre_may_not_uphold(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """Only the township office upholds an objection."""
    case = walk("objection_review")
    with unchanged(case.number), pytest.raises(PermissionDenied) as ei:
        engine.fire(case.number, "uphold_objection", "xu.lei", comment="属实")
    assert ei.value.reason == "role"


def test_window_counts_from_the_first_notice(engine: Engine, walk: Walk) -> None:
    """After an objection dismissed past day 3, the notice closes at the scheduler's next
    look (by its timer), not in the reviewer's command."""
    case = walk("publicity")
    engine.set_clock(advance=timedelta(days=1))
    engine.fire(case.number, "object", "qunzhong", comment="有异议")
    engine.set_clock(advance=timedelta(days=3))
    engine.fire(case.number, "dismiss_objection", "yang.jing", comment="不属实")
    engine.fire_due()
    last = engine.history(case.number)[-1]
    assert (last.trigger, last.actor, last.at) == ("close_notice", "system",
                                                   START + timedelta(days=4))
    assert engine.get_case(case.number).state == "preliminary_review"


def test_window_end_does_not_move_with_an_objection(engine: Engine, walk: Walk) -> None:
    """An objection dismissed on day 2 leaves the end at day 3 of the first notice."""
    case = walk("publicity")
    engine.set_clock(advance=timedelta(days=1))
    engine.fire(case.number, "object", "qunzhong", comment="有异议")
    engine.set_clock(advance=timedelta(days=1))
    engine.fire(case.number, "dismiss_objection", "yang.jing", comment="不属实")
    with pytest.raises(GuardFailed) as ei:
        engine.fire(case.number, "close_notice", "wang.fang")
    assert "2027-01-07 09:00" in str(ei.value)
    engine.set_clock(advance=timedelta(days=1), fire=False)
    assert engine.fire(case.number, "close_notice", "wang.fang").state == "preliminary_review"


def test_notice_closes_itself_when_the_window_ends(engine: Engine, walk: Walk) -> None:
    """Moving the clock past the window fires the notice timer: the system closes it on time."""
    case = walk("publicity")
    engine.set_clock(advance=NOTICE_DAYS + timedelta(hours=5))
    last = engine.history(case.number)[-1]
    assert (last.trigger, last.actor, last.dest) == ("close_notice", "system",
                                                     "preliminary_review")
    assert last.at == START + NOTICE_DAYS


def test_notice_timer_keeps_the_first_window_after_an_objection(engine: Engine,
                                                                 walk: Walk) -> None:
    """After an objection dismissed on day 2, the timer still closes the notice on day 3."""
    case = walk("publicity")
    engine.set_clock(advance=timedelta(days=1))
    engine.fire(case.number, "object", "qunzhong", comment="有异议")
    engine.set_clock(advance=timedelta(days=1))
    engine.fire(case.number, "dismiss_objection", "yang.jing", comment="不属实")
    engine.set_clock(advance=timedelta(days=2))
    closing = [e for e in engine.history(case.number) if e.trigger == "close_notice"]
    assert [(e.actor, e.at) for e in closing] == [("system", START + NOTICE_DAYS)]


# -- withdrawal ---------------------------------------------------------------------


@pytest.mark.parametrize("state", NON_FINAL)
def test_applicant_withdraws_own_case(engine: Engine, walk: Walk, state: str) -> None:
    """The applicant may withdraw their own case from every non-final state."""
    case = walk(state)
    result = engine.fire(case.number, "withdraw", "li.xiulan", comment="家庭情况好转")
    assert (result.state, result.event.role) == ("withdrawn", "applicant")


@pytest.mark.parametrize("state", NON_FINAL)
def test_village_staff_withdraws(engine: Engine, walk: Walk, state: str) -> None:
    """The village committee may withdraw a case of its village from every non-final state."""
    case = walk(state)
    result = engine.fire(case.number, "withdraw", "wang.fang", comment="申请人书面撤回")
    assert (result.state, result.event.role) == ("withdrawn", "village_staff")


def test_withdraw_needs_a_reason(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """Withdrawing without a reason is CommentRequired."""
    case = walk("deliberation")
    with unchanged(case.number), pytest.raises(CommentRequired):
        engine.fire(case.number, "withdraw", "li.xiulan")


# -- triggers that do not apply --------------------------------------------------------


@pytest.mark.parametrize("state", FINAL)
@pytest.mark.parametrize("trigger", ["withdraw", "accept", "no_such_trigger"])
def test_final_case_is_closed(engine: Engine, walk: Walk, unchanged: Callable,
                              state: str, trigger: str) -> None:
    """Any trigger on a completed, rejected or withdrawn case is CaseClosed."""
    case = walk(state)
    with unchanged(case.number), pytest.raises(CaseClosed) as ei:
        engine.fire(case.number, trigger, "wang.fang", comment="x")
    assert ei.value.state == state
    assert_bilingual(ei.value, case.number)


def test_unknown_trigger_suggests_a_name(engine: Engine, new_case: NewCase,
                                         unchanged: Callable) -> None:
    """A misspelt trigger is InvalidTrigger with a 'did you mean'."""
    number = new_case()
    with unchanged(number), pytest.raises(InvalidTrigger) as ei:
        engine.fire(number, "acept", "wang.fang")
    assert "did you mean 'accept'?" in str(ei.value)
    assert "是否指 'accept'" in ei.value.localized("zh")
    assert_bilingual(ei.value, number)


def test_trigger_not_valid_from_the_state_lists_the_possible_ones(
        engine: Engine, new_case: NewCase, unchanged: Callable) -> None:
    """A real trigger fired from the wrong state lists what is possible there."""
    number = new_case()
    with unchanged(number), pytest.raises(InvalidTrigger) as ei:
        engine.fire(number, "approve_second", "zhu.tao")
    assert ei.value.available == ("accept", "request_evidence", "record_incapacity", "withdraw")
    assert ("possible here: 'accept', 'request_evidence', 'record_incapacity', 'withdraw'"
            in str(ei.value))
    assert "申请" in ei.value.localized("zh")
    assert_bilingual(ei.value, number)


def test_unknown_case(engine: Engine) -> None:
    """Firing on a case that does not exist is CaseNotFound."""
    with pytest.raises(CaseNotFound) as ei:
        engine.fire("CF-999999", "accept", "wang.fang")
    assert_bilingual(ei.value, "CF-999999")


def test_every_transition_of_the_shipped_definition_is_exercised(engine: Engine,
                                                                   new_case: NewCase) -> None:
    """The scenarios of this module, replayed in one database, take every edge of the process."""
    early = ("application", "deliberation", "publicity", "objection_review",
             "evidence_requested", "rejected")
    targets = [*FINAL, *(s for s, _ in REJECTERS), *(s for s, _ in EVIDENCE), *NON_FINAL,
               "objection_review", "objection_review"]
    numbers = [new_case() for _ in targets]
    general = new_case(category="general")
    # Everyone reaches the notice first, so that one clock move opens every window
    # (the campaign ends on 1 Feb; a window per case would run past it).
    for number, target in zip([*numbers, general], [*targets, "completed"], strict=True):
        move(engine, number, target if target in early else "publicity")
    engine.set_clock(advance=NOTICE_DAYS, fire=False)
    for number, target in zip([*numbers, general], [*targets, "completed"], strict=True):
        if target not in early:
            move(engine, number, target)
    cases = dict(zip(numbers, targets, strict=True))
    by_target = {t: [n for n, x in cases.items() if x == t] for t in set(targets)}
    for state, user in REJECTERS:
        engine.fire(by_target[state].pop(), "reject", user, comment="理由")
    for state, user in EVIDENCE:
        number = by_target[state].pop()
        if state != "application":
            engine.fire(number, "change_category", user, data={"category": "moderate"},
                        comment="核实后调整")
        engine.fire(number, "request_evidence", user, comment="补充")
        engine.fire(number, "resubmit", "li.xiulan", data={"evidence_note": "已补"})
    for state in ("application", "disbursement"):
        engine.fire(by_target[state][-1], "record_incapacity", "wang.fang",
                    data={"capacity_assessment_ref": "村评-001"}, comment="无行为能力")
    for state in NON_FINAL:
        engine.fire(by_target[state].pop(), "withdraw", "li.xiulan", comment="撤回")
    number = by_target["objection_review"].pop()
    engine.fire(number, "object", "wang.fang", comment="再议")
    engine.fire(number, "dismiss_objection", "yang.jing", comment="不属实")
    engine.fire(by_target["objection_review"].pop(), "uphold_objection", "yang.jing",
                comment="属实")

    taken = {(e.trigger, e.source, e.dest) for c in engine.list_cases()
             for e in engine.history(c.number) if e.source is not None}
    defn = engine.definitions.get(PROCESS)
    edges = {(t.trigger, s, t.dest) for t in defn.spec.transitions for s in t.source}
    assert edges - taken == set()


def test_changing_the_category_needs_a_reason_and_the_amount_follows(
        engine: Engine, walk: Walk) -> None:
    """A reviewer changes the category only with a reason; the disbursement must then pay
    the new category's standard, never the old one."""
    case = walk("preliminary_review")
    with pytest.raises(CommentRequired):
        engine.fire(case.number, "change_category", "yang.jing", data={"category": "general"})
    engine.fire(case.number, "change_category", "yang.jing", data={"category": "general"},
                comment="入户核实，医疗费用已由保险报销")
    event = engine.history(case.number)[-1]
    assert (event.trigger, event.comment, event.data) == (
        "change_category", "入户核实，医疗费用已由保险报销", {"category": "general"})
    moved = move(engine, case.number, "disbursement")
    with pytest.raises(GuardFailed) as ei:
        engine.fire(moved.number, "disburse", "xu.lei", data={**DISBURSE, "amount_fen": 400000})
    assert "600.00" in str(ei.value) and "600.00" in ei.value.localized("zh")
    done = engine.fire(moved.number, "disburse", "xu.lei", data={**DISBURSE, "amount_fen": 60000})
    assert done.state == "completed"


def test_the_category_is_proposed_from_the_campaign_criteria(engine: Engine) -> None:
    """Without a category, the engine proposes one and records the rule that matched."""
    data = application(category=None, dibao=True, self_paid_medical_fen=4_000_000)
    result = engine.submit(PROCESS, "li.xiulan", data)
    case = engine.get_case(result.case_number)
    assert case.data["category"] == "severe"
    proposal = engine.history(case.number)[0].meta["proposal"]
    assert proposal["category"] == "severe" and proposal["amount_fen"] == 400000
    assert proposal["rules"]


def test_an_invalid_id_number_is_refused_at_submission(engine: Engine) -> None:
    """A wrong check digit is named, masked, in both languages; nothing is written."""
    with pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "li.xiulan", application(id_number="331122195803120421"))
    assert "331122195803120421" not in str(ei.value)
    assert "id_number" in str(ei.value) and ei.value.localized("zh")
    assert engine.list_cases() == []


# -- listing, queues and options ---------------------------------------------------------


@pytest.fixture
def spread(engine: Engine, new_case: NewCase) -> dict[str, str]:
    """Cases in several villages and states (see the keys)."""
    def staff(user: str, id_number: str) -> str:
        return new_case(user, id_number=id_number, applicant_name="某某")

    numbers = {
        "s_app_own": new_case(),
        "s_app_staff": staff("wang.fang", "331122196001010015"),
        "x_app": staff("zhang.min", "331122196001010023"),
        "l_app": staff("ma.hui", "331122196001010031"),
        "x_pre": staff("zhang.min", "33112219600101004X"),
        "l_pre": staff("ma.hui", "331122196001010058"),
        "l_pub": staff("ma.hui", "331122196001010066"),
        "x_done": staff("zhang.min", "331122196001010074"),
    }
    move(engine, numbers["x_pre"], "preliminary_review")
    move(engine, numbers["l_pre"], "preliminary_review")
    move(engine, numbers["l_pub"], "publicity")
    move(engine, numbers["x_done"], "withdrawn")
    return numbers


def queued(engine: Engine, user: str) -> set[str]:
    return {case.number for case, _ in engine.queue(user)}


def test_list_cases_by_process(engine: Engine, spread: dict[str, str]) -> None:
    """Filtering by process keeps that process's cases only."""
    assert len(engine.list_cases(process=PROCESS)) == len(spread)
    assert engine.list_cases(process="other_process") == []


def test_list_cases_by_states(engine: Engine, spread: dict[str, str]) -> None:
    """Filtering by states keeps the cases in any of them."""
    found = {c.number for c in engine.list_cases(states=["preliminary_review", "publicity"])}
    assert found == {spread["x_pre"], spread["l_pre"], spread["l_pub"]}


def test_list_cases_by_unit_subtree(engine: Engine, spread: dict[str, str]) -> None:
    """Filtering by a unit keeps the cases of its whole subtree."""
    dongling = {c.number for c in engine.list_cases(unit="dongling")}
    assert dongling == {v for k, v in spread.items() if k[0] in "sx"}
    assert {c.number for c in engine.list_cases(unit="shangcun")} == {
        spread["s_app_own"], spread["s_app_staff"]}
    assert len(engine.list_cases(unit="qingshan")) == len(spread)


def test_list_cases_oldest_first_with_limit(engine: Engine, spread: dict[str, str]) -> None:
    """Cases come oldest first, and ``limit`` cuts the list."""
    assert [c.number for c in engine.list_cases(limit=2)] == [f"{PREFIX}-000001",
                                                              f"{PREFIX}-000002"]


def test_queue_of_village_staff(engine: Engine, spread: dict[str, str]) -> None:
    """wang.fang sees the application-state cases of shangcun, nothing elsewhere."""
    assert queued(engine, "wang.fang") == {spread["s_app_own"], spread["s_app_staff"]}


def test_queue_of_the_township_office(engine: Engine, spread: dict[str, str]) -> None:
    """yang.jing sees the preliminary reviews of dongling's villages only."""
    assert queued(engine, "yang.jing") == {spread["x_pre"]}


def test_queue_of_another_township_has_none_of_dongling(engine: Engine,
                                                        spread: dict[str, str]) -> None:
    """song.yu of xihe sees xihe's preliminary review and none of dongling's cases."""
    mine = queued(engine, "song.yu")
    assert mine == {spread["l_pre"]}
    assert mine.isdisjoint({c.number for c in engine.list_cases(unit="dongling")})


def test_queue_of_an_applicant(engine: Engine, spread: dict[str, str]) -> None:
    """An applicant sees their own open case only."""
    assert queued(engine, "li.xiulan") == {spread["s_app_own"]}


def test_queue_of_the_public(engine: Engine, spread: dict[str, str]) -> None:
    """The public sees every case on public notice, wherever it is."""
    assert queued(engine, "qunzhong") == {spread["l_pub"]}


def test_queue_is_exactly_what_the_user_can_fire(engine: Engine, spread: dict[str, str]) -> None:
    """For every user of the org, the queue is the set of cases with an allowed option."""
    for user in engine.org.users:
        expected = {c.number for c in engine.list_cases()
                    if any(o.allowed for o in engine.options(c.number, user))}
        assert queued(engine, user) == expected, user


def test_queue_lists_only_allowed_options(engine: Engine, spread: dict[str, str]) -> None:
    """Each queue entry carries the triggers the user may fire on it now."""
    entries = dict((c.number, opts) for c, opts in engine.queue("ma.hui"))
    assert {o.trigger for o in entries[spread["l_app"]]} == {
        "accept", "request_evidence", "record_incapacity", "withdraw"}
    assert all(o.allowed for opts in entries.values() for o in opts)


def test_options_explain_every_trigger(engine: Engine, walk: Walk) -> None:
    """options() lists each trigger of the state, allowed or with the reason why not."""
    case = walk("publicity")
    opts = {o.trigger: o for o in engine.options(case.number, "wang.fang", lang="en")}
    assert set(opts) == {"object", "close_notice", "withdraw"}
    assert opts["object"].allowed and opts["object"].comment_required
    assert opts["withdraw"].allowed
    assert not opts["close_notice"].allowed
    assert "2027-01-07 09:00" in opts["close_notice"].reasons[0]


def test_options_name_the_missing_role(engine: Engine, walk: Walk) -> None:
    """A user without the role is told which roles may fire the trigger."""
    case = walk("preliminary_review")
    opts = {o.trigger: o for o in engine.options(case.number, "liu.qiang", lang="en")}
    assert not any(o.allowed for o in opts.values())
    assert "allowed roles: Township social affairs office" in \
        opts["approve_preliminary"].reasons[0]
    assert opts["approve_preliminary"].required == ("home_visit_note",)


def test_options_name_the_jurisdiction(engine: Engine, walk: Walk) -> None:
    """A user of another township is told the case lies outside their jurisdiction."""
    case = walk("preliminary_review")
    (reason,) = {r for o in engine.options(case.number, "song.yu") for r in o.reasons
                 if "管辖" in r}
    assert case.number in reason


def test_options_follow_the_clock(engine: Engine, walk: Walk) -> None:
    """close_notice becomes allowed once the window has passed."""
    case = walk("publicity")
    open_notice_window(engine, case.number)
    opts = {o.trigger: o for o in engine.options(case.number, "wang.fang")}
    assert opts["close_notice"].allowed and opts["close_notice"].reasons == ()


def test_options_of_a_closed_case_are_empty(engine: Engine, walk: Walk) -> None:
    """Nothing can be done to a final case."""
    assert engine.options(walk("rejected").number, "wang.fang") == []


# -- look-ups --------------------------------------------------------------------------


def test_case_by_number_or_id(engine: Engine, new_case: NewCase) -> None:
    """A case is found by its id, its number, or its number in lower case."""
    number = new_case()
    case = engine.get_case(number)
    assert engine.get_case(case.id) == case == engine.get_case(number.lower())


def test_submitted_case_records_who_and_where(engine: Engine, new_case: NewCase) -> None:
    """A case filed by the applicant is theirs and sits in their village."""
    case = engine.get_case(new_case())
    assert (case.state, case.unit, case.applicant_user, case.submitted_by, case.version) == (
        "application", "shangcun", "li.xiulan", "li.xiulan", 1)
    assert dict(case.data) == application()


def test_case_filed_by_staff_has_no_applicant_user(engine: Engine, new_case: NewCase) -> None:
    """A case the village files for someone has no applicant user to act on it."""
    case = engine.get_case(new_case("wang.fang"))
    assert case.applicant_user is None and case.submitted_by == "wang.fang"


def test_get_unknown_case(engine: Engine) -> None:
    """An unknown reference is CaseNotFound, also for its history and options."""
    with pytest.raises(CaseNotFound):
        engine.get_case("CF27-000404")
    with pytest.raises(CaseNotFound):
        engine.history("CF27-000404")
    with pytest.raises(CaseNotFound):
        engine.options("CF27-000404", "wang.fang")


def test_submit_to_an_unknown_process(engine: Engine, unchanged: Callable) -> None:
    """A misspelt process is UnknownDefinition with a suggestion; nothing written."""
    with unchanged(), pytest.raises(UnknownDefinition) as ei:
        engine.submit("relief_aplication", "li.xiulan", application())
    assert "did you mean 'relief_application'?" in str(ei.value)


# -- the simulated clock -------------------------------------------------------------


def test_events_carry_the_simulated_time(engine: Engine, new_case: NewCase) -> None:
    """An event is stamped with the simulated clock, not the machine's."""
    engine.set_clock(advance=timedelta(days=10, hours=2))
    number = new_case()
    assert engine.history(number)[0].at == START + timedelta(days=10, hours=2)


def test_set_clock_cannot_go_back(engine: Engine) -> None:
    """Neither an earlier time nor a negative step is accepted; the clock stays."""
    before = engine.clock.now()
    with pytest.raises(ClockError) as ei:
        engine.set_clock(when=START - timedelta(minutes=1))
    with pytest.raises(ClockError):
        engine.set_clock(advance=timedelta(seconds=-1))
    assert engine.clock.now() == before
    assert_bilingual(ei.value)


def test_set_clock_needs_a_time_zone(engine: Engine) -> None:
    """A naive datetime is refused rather than guessed."""
    with pytest.raises(ClockError):
        engine.set_clock(when=START.replace(tzinfo=None) + timedelta(days=1))


def test_set_clock_is_persisted(engine: Engine, db_path: str) -> None:
    """The moved clock is where a newly opened engine finds it."""
    engine.set_clock(advance=timedelta(days=2))
    with opened(db_path) as again:
        assert again.clock.now() == engine.clock.now() == START + timedelta(days=2)


def test_set_clock_refused_on_a_real_clock(tmp_path: Path) -> None:
    """A database on the real clock refuses clock commands."""
    db = str(tmp_path / "real.db")
    init_database(db)
    with opened(db) as engine:
        assert not engine.clock.simulated
        with pytest.raises(ClockError) as ei:
            engine.set_clock(advance=timedelta(days=1))
    assert_bilingual(ei.value)
