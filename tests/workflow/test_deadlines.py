"""Timer planning, pure: which timer rows a state entry implies and when they are due,
reminders in office hours, escalations once a day, working days across the
Spring Festival, and durations refused at load."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from definitions import (
    SHIPPED_PROCESSES,
    CompiledDefinition,
    DefinitionInvalid,
    definition_from_text,
    load_definition,
)
from definitions.calendars import load_calendars
from definitions.campaign import load_campaigns
from workflow.core.calendar import CalendarMissing, WorkingCalendar
from workflow.core.deadlines import (
    LOCAL,
    DeadlineError,
    TimeContext,
    TimerPlan,
    deadline_of,
    office_hours,
    plan_entry,
    plan_next,
    timer_spec,
)
from workflow.core.model import Case
from workflow.core.registry import REGISTRY

RELIEF = load_definition(SHIPPED_PROCESSES / "relief_application.yaml", known_guards=REGISTRY)
CN = WorkingCalendar.from_loaded(load_calendars(), "cn")
CAMPAIGN = load_campaigns()["spring_festival_2027"]
CTX = TimeContext(campaign=CAMPAIGN, working_days=CN)
START = datetime.fromisoformat("2027-01-04T09:00+08:00")

#: a small process whose review is due two working days after it is entered
MINI = """\
process: mini
version: 1
labels: {zh: 小流程, en: Mini process}
case_prefix: MI
roles:
  clerk: {labels: {zh: 办事员, en: Clerk}}
  boss: {labels: {zh: 领导, en: Boss}}
fields:
  amount: {type: integer, labels: {zh: 金额, en: Amount}}
submit:
  roles: [clerk]
states:
  - id: draft
    labels: {zh: 草稿, en: Draft}
    initial: true
  - id: review
    labels: {zh: 审核, en: Review}
    responsible: boss
    timers:
      - id: review_due
        after: 2 working days
        remind: [1 working day]
        escalate_every: 1d
        escalate_to: [boss]
  - id: done
    labels: {zh: 完成, en: Done}
    final: true
transitions:
  - trigger: send
    labels: {zh: 提交, en: Send}
    source: draft
    dest: review
    roles: [clerk]
  - trigger: approve
    labels: {zh: 批准, en: Approve}
    source: review
    dest: done
    roles: [boss]
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def end_of(day: str) -> datetime:
    """The last instant of a local day, as campaign dates without a time mean."""
    return datetime.combine(date.fromisoformat(day), datetime.max.time(), tzinfo=LOCAL)


def case_in(state: str, entered: datetime, *, defn: CompiledDefinition = RELIEF,
            created: datetime = START, first_entered: dict[str, str] | None = None) -> Case:
    """A case of ``defn`` that entered ``state`` at ``entered``."""
    return Case(
        id="c1", number="CF27-000001", process=defn.process, definition_version=defn.version,
        definition_hash=defn.content_hash, state=state, unit="shangcun", data={}, version=2,
        created_at=created.astimezone(UTC), updated_at=entered.astimezone(UTC),
        state_entered_at=entered.astimezone(UTC), submitted_by="wang.fang",
        first_entered=first_entered or {state: entered.astimezone(UTC).isoformat()},
        campaign="spring_festival_2027")


def plans_of(plans: list[TimerPlan], spec_id: str) -> list[tuple[str, datetime, datetime]]:
    return [(p.kind, p.due_at, p.deadline_at) for p in plans if p.spec_id == spec_id]


def test_lists_due_reminders_at_nine_on_the_two_days_before() -> None:
    """The lists deadline (end of 17 Jan) plans reminders at 09:00 on 15 and 16 Jan and an
    escalation at the deadline."""
    before = case_in("application", START)
    after = case_in("deliberation", START)
    plans, _, _ = plan_entry(RELIEF, before, after, CTX, START)
    deadline = end_of("2027-01-17")
    assert plans_of(plans, "lists_due") == [
        ("remind", at("2027-01-15T09:00+08:00"), deadline),
        ("remind", at("2027-01-16T09:00+08:00"), deadline),
        ("escalate", deadline, deadline),
    ]


def test_a_new_case_plans_the_completion_target() -> None:
    """Opening a case plans the campaign's completion target: reminders at 09:00 on 30 and
    31 Jan, the first escalation at the end of 1 Feb, all case-wide."""
    case = case_in("application", START)
    plans, cancel_state, cancel_case = plan_entry(RELIEF, None, case, CTX, START)
    deadline = end_of("2027-02-01")
    assert plans_of(plans, "completion_target") == [
        ("remind", at("2027-01-30T09:00+08:00"), deadline),
        ("remind", at("2027-01-31T09:00+08:00"), deadline),
        ("escalate", deadline, deadline),
    ]
    assert {p.scope for p in plans} == {"case"}
    assert (cancel_state, cancel_case) == (False, False)


def test_reminders_already_past_are_not_planned() -> None:
    """Entering deliberation at noon on 15 Jan leaves only the reminder of 16 Jan."""
    now = at("2027-01-15T12:00+08:00")
    plans, _, _ = plan_entry(RELIEF, case_in("application", START),
                             case_in("deliberation", now), CTX, now)
    reminders = [p.due_at for p in plans if p.kind == "remind"]
    assert reminders == [at("2027-01-16T09:00+08:00")]


@pytest.mark.parametrize(("when", "expected"), [
    ("2027-01-15T10:30+08:00", "2027-01-15T10:30+08:00"),
    ("2027-01-15T08:00+08:00", "2027-01-15T08:00+08:00"),
    ("2027-01-15T17:59+08:00", "2027-01-15T17:59+08:00"),
    ("2027-01-15T18:00+08:00", "2027-01-15T09:00+08:00"),
    ("2027-01-15T23:59:59+08:00", "2027-01-15T09:00+08:00"),
    ("2027-01-15T03:00+08:00", "2027-01-15T09:00+08:00"),
], ids=["morning", "eight", "before-six", "six", "midnight", "night"])
def test_office_hours_moves_night_times_to_nine_local(when: str, expected: str) -> None:
    """A time from 08:00 to 17:59 local stays; any other goes to 09:00 local that day."""
    assert office_hours(at(when)) == at(expected)


def test_office_hours_counts_in_beijing_time() -> None:
    """01:00 UTC is 09:00 in Beijing, inside office hours, even though UTC calls it night."""
    when = at("2027-01-15T01:00+00:00")
    assert office_hours(when) == when
    assert office_hours(at("2027-01-15T12:00+00:00")) == at("2027-01-15T09:00+08:00")


def test_deadline_passed_before_entry_escalates_at_once() -> None:
    """Entering deliberation after 17 Jan plans no reminder and an escalation due at the
    entry, not at the passed deadline: nobody could have acted earlier."""
    now = at("2027-01-20T10:00+08:00")
    plans, _, _ = plan_entry(RELIEF, case_in("application", START),
                             case_in("deliberation", now), CTX, now)
    assert plans_of(plans, "lists_due") == [("escalate", now, end_of("2027-01-17"))]


def test_window_passed_before_reentry_fires_at_once() -> None:
    """Back in publicity after a long objection, the notice window (3 days from the first
    entry) has passed: its fire timer is due at the re-entry, its deadline unchanged."""
    first = at("2027-01-10T09:00+08:00")
    now = at("2027-01-15T14:00+08:00")
    after = case_in("publicity", now, first_entered={
        "publicity": first.astimezone(UTC).isoformat()})
    plans, _, _ = plan_entry(RELIEF, case_in("objection_review", now), after, CTX, now)
    assert [(p.kind, p.trigger, p.due_at, p.deadline_at) for p in plans] == [
        ("fire", "close_notice", now, first + timedelta(days=3))]


def test_window_counts_from_the_first_entry() -> None:
    """The notice window of a case back in publicity ends 3 days after its first entry."""
    first = at("2027-01-10T09:00+08:00")
    case = case_in("publicity", at("2027-01-11T16:00+08:00"),
                   first_entered={"publicity": first.astimezone(UTC).isoformat()})
    spec = timer_spec(RELIEF, "notice_window")
    assert spec is not None
    assert deadline_of(spec, case, "publicity", CTX) == at("2027-01-13T09:00+08:00")


def test_leaving_a_timed_state_cancels_its_timers() -> None:
    """Leaving publicity cancels its pending state timers, not the case-wide ones."""
    now = at("2027-01-08T09:00+08:00")
    _, cancel_state, cancel_case = plan_entry(
        RELIEF, case_in("publicity", START), case_in("preliminary_review", now), CTX, now)
    assert (cancel_state, cancel_case) == (True, False)


def test_closing_plans_nothing_and_cancels_everything() -> None:
    """A withdrawal from deliberation plans no timer and cancels state and case timers."""
    now = at("2027-01-08T09:00+08:00")
    plans, cancel_state, cancel_case = plan_entry(
        RELIEF, case_in("deliberation", START), case_in("withdrawn", now), CTX, now)
    assert (plans, cancel_state, cancel_case) == ([], True, True)


def _escalation(deadline: datetime, due: datetime, seq: int) -> TimerPlan:
    return TimerPlan("lists_due", "state", "deliberation", "escalate", due, deadline, None, seq)


def test_escalation_on_time_is_followed_by_the_next_day() -> None:
    """The first escalation, fired at the end of 17 Jan, is followed by the end of 18 Jan."""
    spec = timer_spec(RELIEF, "lists_due")
    assert spec is not None
    deadline = end_of("2027-01-17")
    nxt = plan_next(spec, _escalation(deadline, deadline, 1), deadline, CTX)
    assert nxt is not None
    assert (nxt.kind, nxt.due_at, nxt.deadline_at, nxt.seq) == (
        "escalate", end_of("2027-01-18"), deadline, 2)


def test_escalation_fired_late_is_followed_one_day_later() -> None:
    """An escalation fired at 09:00 on 23 Jan (the scheduler was down) is followed by the
    slot at the end of 24 Jan, not the one at the end of 23 Jan: one a day, no burst."""
    spec = timer_spec(RELIEF, "lists_due")
    assert spec is not None
    deadline = end_of("2027-01-17")
    nxt = plan_next(spec, _escalation(deadline, deadline, 1), at("2027-01-23T09:00+08:00"), CTX)
    assert nxt is not None
    # slots are deadline + (seq - 1) days: the end of 24 Jan is the eighth
    assert (nxt.due_at, nxt.seq) == (end_of("2027-01-24"), 8)


def test_escalation_a_little_late_keeps_the_next_slot() -> None:
    """Fired 30 minutes after its slot, an escalation is still followed by the next day's."""
    spec = timer_spec(RELIEF, "lists_due")
    assert spec is not None
    deadline = end_of("2027-01-17")
    slot = end_of("2027-01-19")
    nxt = plan_next(spec, _escalation(deadline, slot, 3), slot + timedelta(minutes=30), CTX)
    assert nxt is not None
    assert (nxt.due_at, nxt.seq) == (end_of("2027-01-20"), 4)


def test_reminders_and_fire_timers_have_no_successor() -> None:
    """Only escalations and recurring timers repeat."""
    spec = timer_spec(RELIEF, "lists_due")
    notice = timer_spec(RELIEF, "notice_window")
    assert spec is not None and notice is not None
    deadline = end_of("2027-01-17")
    remind = TimerPlan("lists_due", "state", "deliberation", "remind",
                       at("2027-01-15T09:00+08:00"), deadline)
    fire = TimerPlan("notice_window", "state", "publicity", "fire", START, START, "close_notice")
    assert plan_next(spec, remind, remind.due_at, CTX) is None
    assert plan_next(notice, fire, START, CTX) is None


# -- working days -------------------------------------------------------------------

MINI_DEFN = definition_from_text(MINI, "mini.yaml", known_guards=REGISTRY)


def test_two_working_days_across_the_2026_spring_festival() -> None:
    """Friday 13 Feb 2026 09:00 plus 2 working days is Tuesday 24 Feb 09:00 (cn-2026)."""
    # Derived from definitions/calendars/cn-2026.yaml: Sat 14 Feb is a make-up working
    # day (the first), 15-23 Feb is the Spring Festival holiday, Tue 24 Feb the second.
    assert CN.is_working_day(date(2026, 2, 14))
    assert not any(CN.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert CN.is_working_day(date(2026, 2, 24))
    entered = at("2026-02-13T09:00+08:00")
    spec = MINI_DEFN.states["review"].timers[0]
    case = case_in("review", entered, defn=MINI_DEFN, created=entered)
    assert deadline_of(spec, case, "review", CTX) == at("2026-02-24T09:00+08:00")


def test_working_day_reminder_falls_on_the_makeup_saturday() -> None:
    """One working day before Tue 24 Feb 2026 is the make-up Saturday, 14 Feb, 09:00."""
    entered = at("2026-02-13T09:00+08:00")
    case = case_in("review", entered, defn=MINI_DEFN, created=entered)
    plans, _, _ = plan_entry(MINI_DEFN, case_in("draft", entered, defn=MINI_DEFN), case,
                             TimeContext(None, CN), entered)
    assert [(p.kind, p.due_at) for p in plans] == [
        ("remind", at("2026-02-14T09:00+08:00")),
        ("escalate", at("2026-02-24T09:00+08:00")),
    ]


def test_working_days_in_2027_raise_calendar_missing() -> None:
    """No calendar data is shipped for 2027: counting working days there is refused."""
    case = case_in("review", START, defn=MINI_DEFN)
    spec = MINI_DEFN.states["review"].timers[0]
    with pytest.raises(CalendarMissing) as ei:
        deadline_of(spec, case, "review", CTX)
    assert ei.value.year == 2027
    assert "cn-2027.yaml" in str(ei.value)


def test_working_days_without_a_calendar_are_refused() -> None:
    """A working-day timer and no working-day calendar is a DeadlineError, not a guess."""
    case = case_in("review", at("2026-02-13T09:00+08:00"), defn=MINI_DEFN)
    spec = MINI_DEFN.states["review"].timers[0]
    with pytest.raises(DeadlineError, match="working-day calendar"):
        deadline_of(spec, case, "review", TimeContext(CAMPAIGN, None))


def test_campaign_deadline_without_a_campaign_is_refused() -> None:
    """A timer at a campaign date on a case with no campaign names the timer and the case."""
    spec = timer_spec(RELIEF, "lists_due")
    assert spec is not None
    case = replace(case_in("deliberation", START), campaign=None)
    with pytest.raises(DeadlineError) as ei:
        deadline_of(spec, case, "deliberation", TimeContext(None, CN))
    assert "'lists_due'" in str(ei.value) and "'CF27-000001'" in str(ei.value)


def test_unknown_duration_unit_is_refused_at_load_with_path_and_line() -> None:
    """'3 lightyears' in a timer is a load error naming the file, the line and the key path."""
    text = MINI.replace("after: 2 working days", "after: 3 lightyears")
    with pytest.raises(DefinitionInvalid) as ei:
        definition_from_text(text, "mini.yaml", known_guards=REGISTRY)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "lightyears" in row)
    [problem] = ei.value.problems
    assert (problem.file, problem.line, problem.path) == ("mini.yaml", line,
                                                          "states[1].timers[0].after")
    assert "3 lightyears" in problem.en
    assert f"mini.yaml:{line}: states[1].timers[0].after" in str(ei.value)


def test_office_hours_are_campaign_data() -> None:
    """A campaign that works 09:00–17:00 and sends at 10:00 moves an 08:30 reminder."""
    from definitions.campaign import OfficeHoursSpec

    hours = OfficeHoursSpec(start="09:00", end="17:00", send_at="10:00")
    assert office_hours(at("2027-01-15T08:30+08:00"), hours) == at("2027-01-15T10:00+08:00")
    assert office_hours(at("2027-01-15T16:59+08:00"), hours) == at("2027-01-15T16:59+08:00")
    assert office_hours(at("2027-01-15T08:30+08:00")) == at("2027-01-15T08:30+08:00")


def test_office_hours_that_do_not_hold_send_at_are_refused() -> None:
    """send_at outside the office hours is a load-time error of the campaign."""
    from definitions import DefinitionInvalid
    from definitions.campaign import SHIPPED_CAMPAIGNS, campaign_from_text

    text = (SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml").read_text(encoding="utf-8")
    broken = text.replace('send_at: "09:00"', 'send_at: "19:00"')
    assert broken != text
    with pytest.raises(DefinitionInvalid) as ei:
        campaign_from_text(broken)
    assert [p.path for p in ei.value.problems] == ["office_hours"]
