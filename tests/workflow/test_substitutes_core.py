"""Substitutes in the pure core: who a substitute may act for, when, and what the events
record (workflow.core.authz, decide); the rules of a period (workflow.core.substitutes).
No database: periods and times are given."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from definitions import CompiledDefinition, DefinitionSet, Org
from tests.helpers.cases import LI_ID, NOTICE_DAYS, PROCESS, application, household_id
from tests.helpers.substitutes import NOW, org_actor, period
from workflow import Actor, Case, Fire, PermissionDenied, Submit
from workflow.core.authz import may_read, principal
from workflow.core.decide import decide_fire, decide_reveal, decide_submit, options
from workflow.core.machine import machine_for
from workflow.core.model import SYSTEM_ACTOR, Event
from workflow.core.substitutes import MAX_PERIOD, check_end, check_events, check_new, status
from workflow.errors import SubstitutionRefused

STAFF = {"village_staff", "village_panel", "liaison_cadre", "town_office", "town_committee",
         "county_bureau", "inspector"}


@pytest.fixture(scope="module")
def defn(shipped: tuple[DefinitionSet, Org]) -> CompiledDefinition:
    return shipped[0].get(PROCESS)


@pytest.fixture(scope="module")
def org(shipped: tuple[DefinitionSet, Org]) -> Org:
    return shipped[1]


def filed(defn: CompiledDefinition, org: Org, user: str = "li.xiulan",
          unit: str | None = None, **data: Any) -> Case:
    command = Submit(PROCESS, user, application(**data), unit)
    return decide_submit(defn, org, org_actor(org, user), command, NOW, "c1",
                         "CF27-000001").case


def fire(defn: CompiledDefinition, org: Org, case: Case, trigger: str, actor: Actor,
         at: Any = NOW, **kwargs: Any) -> Any:
    return decide_fire(defn, machine_for(defn), org, case, actor,
                       Fire(case.number, trigger, actor.id, **kwargs), at)


def at_review(defn: CompiledDefinition, org: Org, **data: Any) -> Case:
    """A Shangcun case in preliminary review (its notice closed by the timer)."""
    case = filed(defn, org, **data)
    case = fire(defn, org, case, "accept", org_actor(org, "wang.fang")).case
    case = fire(defn, org, case, "pass_deliberation", org_actor(org, "liu.qiang")).case
    return fire(defn, org, case, "close_notice", SYSTEM_ACTOR, NOW + NOTICE_DAYS).case


LATER = NOW + NOTICE_DAYS


# -- acting for the reviewer ----------------------------------------------------------


def test_a_substitute_acts_in_the_reviewers_village_within_the_period(
        defn: CompiledDefinition, org: Org) -> None:
    """zhang.min (Xiacun) accepts a Shangcun case while standing in for wang.fang."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min"))
    decision = fire(defn, org, filed(defn, org), "accept", actor)
    assert decision.case.state == "deliberation"


def test_the_event_records_the_substitute_and_the_reviewer(
        defn: CompiledDefinition, org: Org) -> None:
    """The event's actor is the substitute, its role the reviewer's, meta names both."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min", ident=7))
    event = fire(defn, org, filed(defn, org), "accept", actor).event
    assert (event.actor, event.role) == ("zhang.min", "village_staff")
    assert (event.meta["on_behalf_of"], event.meta["substitution"]) == ("wang.fang", 7)


def test_the_reviewer_is_in_the_events_hash(defn: CompiledDefinition, org: Org) -> None:
    """Naming someone else as the reviewer changes the event's hash: the chain covers it."""
    from dataclasses import replace

    from workflow.core.chain import event_hash

    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min"))
    event = fire(defn, org, filed(defn, org), "accept", actor).event
    forged = replace(event, meta={**event.meta, "on_behalf_of": "liu.qiang"})
    assert event_hash(forged, event.prev_hash) != event.hash


def test_without_a_period_the_other_village_is_refused(
        defn: CompiledDefinition, org: Org) -> None:
    """zhang.min alone stays outside Shangcun's jurisdiction."""
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, filed(defn, org), "accept", org_actor(org, "zhang.min"))
    assert err.value.reason == "jurisdiction"


def test_before_the_period_begins_it_is_refused_saying_when(
        defn: CompiledDefinition, org: Org) -> None:
    """A period starting tomorrow refuses today, naming the period and the time now."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min", start_in=1))
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, filed(defn, org), "accept", actor)
    assert err.value.reason == "substitution_period"
    assert "2027-01-05 09:00" in err.value.localized("zh") and "尚未开始" in err.value.zh
    assert "has not begun" in str(err.value)


def test_after_the_period_it_is_refused(defn: CompiledDefinition, org: Org) -> None:
    """A period that ended before the notice closed no longer reaches the case."""
    actor = org_actor(org, "yang.jing")
    stand_in = org_actor(org, "song.yu", period("yang.jing", "song.yu", days=1))
    case = at_review(defn, org)
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, case, "approve_preliminary", stand_in, LATER,
             data={"home_visit_note": "已入户"})
    assert err.value.reason == "substitution_period" and "is over" in str(err.value)
    assert fire(defn, org, case, "approve_preliminary", actor, LATER,
                data={"home_visit_note": "已入户"}).case.state == "second_review"


def test_a_substitute_does_not_inherit_the_reviewers_own_substitutions(
        defn: CompiledDefinition, org: Org) -> None:
    """zhang.min stands in for wang.fang, who stands in for ma.hui: no reach into Liujia."""
    reviewer = principal(org, period("wang.fang", "zhang.min"))
    assert reviewer is not None and reviewer.substitutions == ()
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min"))
    case = filed(defn, org, "zhao.jianguo")
    with pytest.raises(PermissionDenied):
        fire(defn, org, case, "accept", actor)


def test_the_reviewers_platform_roles_are_not_lent(org: Org) -> None:
    """Standing in for the administrator gives no platform role."""
    reviewer = principal(org, period("admin", "wang.fang"))
    assert reviewer is not None and reviewer.roles == ()


def test_a_period_of_someone_else_is_ignored(defn: CompiledDefinition, org: Org) -> None:
    """A period naming another substitute, handed to this actor, grants nothing."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "ma.hui"))
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, filed(defn, org), "accept", actor)
    assert err.value.reason == "jurisdiction"


def test_separation_of_duties_counts_the_substitutes_own_review(
        defn: CompiledDefinition, org: Org) -> None:
    """yang.jing did the preliminary review; standing in for zhu.tao she may not do the
    second."""
    case = fire(defn, org, at_review(defn, org), "approve_preliminary",
                org_actor(org, "yang.jing"), LATER, data={"home_visit_note": "已入户"}).case
    actor = org_actor(org, "yang.jing", period("zhu.tao", "yang.jing"))
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, case, "approve_second", actor, LATER)
    assert err.value.reason == "separation_of_duties"
    assert "zhu.tao" in str(err.value)


def test_separation_of_duties_counts_the_reviewers_review(
        defn: CompiledDefinition, org: Org) -> None:
    """wu.gang did the preliminary review; he.shuji standing in for him may not do the
    second review in his name."""
    case = fire(defn, org, at_review(defn, org), "approve_preliminary",
                org_actor(org, "wu.gang"), LATER, data={"home_visit_note": "已入户"}).case
    actor = org_actor(org, "he.shuji", period("wu.gang", "he.shuji"))
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, case, "approve_second", actor, LATER)
    assert err.value.reason == "separation_of_duties"
    assert "代理 'wu.gang'" in err.value.zh


def test_a_substitutes_act_is_a_duty_of_both_people(
        defn: CompiledDefinition, org: Org) -> None:
    """song.yu's preliminary review for yang.jing counts for both of them."""
    actor = org_actor(org, "song.yu", period("yang.jing", "song.yu"))
    case = fire(defn, org, at_review(defn, org), "approve_preliminary", actor, LATER,
                data={"home_visit_note": "已入户"}).case
    assert set(case.duties["preliminary_review"]) == {"song.yu", "yang.jing"}


def test_the_reviewers_declared_relation_refuses_the_substitute(
        defn: CompiledDefinition, org: Org) -> None:
    """sun.li declared a relation to li.xiulan: gao.peng standing in for sun.li must stand
    aside from her case too."""
    case = fire(defn, org, filed(defn, org), "accept", org_actor(org, "wang.fang")).case
    actor = org_actor(org, "gao.peng", period("sun.li", "gao.peng"))
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, case, "pass_deliberation", actor)
    assert err.value.reason == "conflict_of_interest" and "sun.li" in str(err.value)


def test_the_substitutes_declared_relation_refuses_them(
        defn: CompiledDefinition, org: Org) -> None:
    """sun.li standing in for gao.peng (Xiacun) must stand aside from a Xiacun case of the
    household she declared."""
    case = filed(defn, org, "zhang.min", id_number=LI_ID)
    case = fire(defn, org, case, "accept", org_actor(org, "zhang.min")).case
    actor = org_actor(org, "sun.li", period("gao.peng", "sun.li"))
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, case, "pass_deliberation", actor)
    assert err.value.reason == "conflict_of_interest" and "sun.li" in str(err.value)


def test_options_offer_the_reviewers_triggers_within_the_period(
        defn: CompiledDefinition, org: Org) -> None:
    """What the substitute may do is offered; outside the period the reason says why not."""
    case = filed(defn, org)
    inside = org_actor(org, "zhang.min", period("wang.fang", "zhang.min"))
    outside = org_actor(org, "zhang.min", period("wang.fang", "zhang.min", start_in=2))
    allowed = {o.trigger for o in options(defn, machine_for(defn), org, case, inside, NOW)
               if o.allowed}
    later = {o.trigger: o for o in options(defn, machine_for(defn), org, case, outside, NOW)}
    assert "accept" in allowed and not later["accept"].allowed
    assert any("代理期尚未开始" in r for r in later["accept"].reasons)


def test_a_substitute_reads_the_reviewers_cases_only_within_the_period(
        defn: CompiledDefinition, org: Org) -> None:
    """may_read follows the period, deny by default when no time is given."""
    case = filed(defn, org)
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min", days=1))
    assert may_read(defn, org, case, actor, NOW)
    assert not may_read(defn, org, case, actor, NOW + timedelta(days=2))
    assert not may_read(defn, org, case, actor)


def test_a_substitute_files_a_case_in_the_reviewers_village(
        defn: CompiledDefinition, org: Org) -> None:
    """Village staff file for people who cannot; a substitute may, in the reviewer's name."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min"))
    command = Submit(PROCESS, "zhang.min", application(id_number=household_id(3)), "shangcun")
    event = decide_submit(defn, org, actor, command, NOW, "c2", "CF27-000002").event
    assert (event.role, event.meta["on_behalf_of"]) == ("village_staff", "wang.fang")


def test_a_substitutes_reveal_names_the_reviewer(defn: CompiledDefinition, org: Org) -> None:
    """A reveal by a substitute in the reviewer's village is recorded for the reviewer."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min"))
    event = decide_reveal(defn, org, filed(defn, org), actor, "入户核对", NOW).event
    assert event.meta["on_behalf_of"] == "wang.fang"


def test_a_reveal_outside_the_period_is_refused(defn: CompiledDefinition, org: Org) -> None:
    """No period running, no jurisdiction, no reveal."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min", start_in=3))
    with pytest.raises(PermissionDenied):
        decide_reveal(defn, org, filed(defn, org), actor, "入户核对", NOW)


# -- the rules of a period --------------------------------------------------------------


def check(org: Org, reviewer: str = "wang.fang", substitute: str = "zhang.min",
          days: float = 10, start_in: float = 0, reason: str = "休假",
          existing: tuple[Any, ...] = ()) -> None:
    begins = NOW + timedelta(days=start_in)
    check_new(org_actor(org, reviewer), org_actor(org, substitute), begins,
              begins + timedelta(days=days), reason, NOW, existing, STAFF)


def test_a_period_of_up_to_ninety_days_is_accepted(org: Org) -> None:
    """Exactly the longest period passes."""
    check(org, days=MAX_PERIOD.days)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"substitute": "wang.fang"}, "own substitute"),
    ({"substitute": "li.xiulan"}, "no reviewing role"),
    ({"reviewer": "qunzhong"}, "no reviewing role"),
    ({"reason": " \u200b "}, "needs a reason"),
    ({"start_in": -1}, "cannot be backdated"),
    ({"start_in": 400}, "days ahead"),
    ({"days": 0}, "before it starts"),
    ({"days": MAX_PERIOD.days + 0.5}, "at most 90 days"),
], ids=["self", "applicant", "public", "blank-reason", "backdated", "far-ahead", "empty",
        "too-long"])
def test_a_period_breaking_a_rule_is_refused(org: Org, kwargs: dict[str, Any],
                                             words: str) -> None:
    """Each rule refuses with its own sentence, in both languages."""
    with pytest.raises(SubstitutionRefused) as err:
        check(org, **kwargs)
    assert words in str(err.value) and err.value.zh


def test_a_reviewer_has_one_substitute_at_a_time(org: Org) -> None:
    """An overlapping period for the same reviewer is refused, naming the first."""
    with pytest.raises(SubstitutionRefused, match="already has substitute 'ma.hui'"):
        check(org, existing=(period("wang.fang", "ma.hui", days=3, start_in=5),))


def test_a_substitute_on_leave_cannot_stand_in(org: Org) -> None:
    """zhang.min is on leave herself in part of the period."""
    with pytest.raises(SubstitutionRefused, match="is on leave"):
        check(org, existing=(period("zhang.min", "ma.hui", days=3, start_in=2),))


def test_a_substitute_cannot_substitute_further(org: Org) -> None:
    """wang.fang stands in for luo.yan meanwhile: she cannot hand her own desk on."""
    with pytest.raises(SubstitutionRefused, match="cannot substitute further"):
        check(org, existing=(period("luo.yan", "wang.fang", days=3, start_in=2),))


def test_periods_that_do_not_overlap_go_together(org: Org) -> None:
    """A period after the first one of the same reviewer is fine, and so is one that was
    ended before it began."""
    ended = period("wang.fang", "ma.hui", days=0)
    check(org, start_in=1, existing=(period("wang.fang", "ma.hui", days=1), ended))


def test_a_period_moves_from_upcoming_to_active_to_over() -> None:
    """The state of a period follows the clock."""
    sub = period("wang.fang", "zhang.min", days=2, start_in=1)
    states = [status(sub, NOW + timedelta(days=d), False) for d in (0, 1, 2.9, 3)]
    assert states == ["upcoming", "active", "active", "over"]


def test_a_period_over_cannot_be_ended_again() -> None:
    """Ending a period that is over is refused, saying it is."""
    with pytest.raises(SubstitutionRefused, match="over already"):
        check_end(period("wang.fang", "zhang.min", days=1), NOW + timedelta(days=2), False)


def test_events_for_a_reviewer_are_held_to_the_recorded_period(
        defn: CompiledDefinition, org: Org) -> None:
    """An event naming an unknown period, or acting outside it, is a finding; one inside
    it is none."""
    actor = org_actor(org, "zhang.min", period("wang.fang", "zhang.min"))
    event = fire(defn, org, filed(defn, org), "accept", actor).event
    fits = {1: period("wang.fang", "zhang.min")}
    shorter = {1: period("wang.fang", "zhang.min", start_in=1)}
    other = {1: period("wang.fang", "ma.hui")}
    assert check_events([event], fits) == []
    assert [seq for seq, _, _ in check_events([event], {})] == [event.seq]
    assert "does not fit" in check_events([event], shorter)[0][1]
    assert "does not fit" in check_events([event], other)[0][1]


def test_an_event_by_someone_in_their_own_right_needs_no_period(
        defn: CompiledDefinition, org: Org) -> None:
    """Events without a reviewer named are not checked against periods."""
    event: Event = fire(defn, org, filed(defn, org), "accept", org_actor(org, "wang.fang")).event
    assert "on_behalf_of" not in event.meta and check_events([event], {}) == []


def test_the_refusal_names_the_period_to_come(defn: CompiledDefinition, org: Org) -> None:
    """With a period over and one to come, the refusal names the one to come."""
    over = period("wang.fang", "zhang.min", days=0.5, start_in=-1, ident=1)
    coming = period("wang.fang", "zhang.min", days=2, start_in=3, ident=2)
    actor = org_actor(org, "zhang.min", over, coming)
    with pytest.raises(PermissionDenied) as err:
        fire(defn, org, filed(defn, org), "accept", actor)
    assert "substitution 2" in str(err.value) and "has not begun" in str(err.value)
