"""Timers implied by a definition, a campaign and a case. Pure.

When a case enters a state (or is opened), ``plan_entry`` lists the timer
rows to write in the same transaction: the deadline's own firing, reminders
before it, the first escalation at it, the first occurrence of a recurring
timer. Leaving a state cancels its pending timers; closing the case cancels
the case-wide ones. When an escalation or a recurring timer fires, ``plan_next``
gives its successor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from definitions.campaign import OfficeHoursSpec
from definitions.compile import CompiledDefinition
from definitions.schema import TimerSpec
from workflow.core.durations import Duration, parse_duration
from workflow.core.localtime import LOCAL_TZ
from workflow.core.model import Case
from workflow.errors import CommandRejected

LOCAL = LOCAL_TZ
#: office hours of a case outside campaigns (the model's defaults)
_OFFICE = OfficeHoursSpec()
TimerKind = Literal["fire", "remind", "escalate", "recur"]


class WorkingDays(Protocol):
    def is_working_day(self, d: date) -> bool: ...

    def add_working_days(self, start: datetime, n: int) -> datetime: ...


class CampaignCalendar(Protocol):
    @property
    def id(self) -> str: ...

    def resolve(self, ref: str) -> datetime: ...

    @property
    def office_hours(self) -> OfficeHoursSpec: ...


@dataclass(frozen=True, slots=True)
class TimeContext:
    """What deadlines are computed against: the case's campaign and working days."""

    campaign: CampaignCalendar | None = None
    working_days: WorkingDays | None = None
    #: how a family is counted (``definitions.standards.FamilyRulesSpec``), for
    #: the criteria and per-person standards of the campaign
    family_rules: Any = None


@dataclass(frozen=True, slots=True)
class TimerPlan:
    """A timer row to create."""

    spec_id: str
    scope: Literal["state", "case"]
    state: str | None
    kind: TimerKind
    due_at: datetime
    deadline_at: datetime
    trigger: str | None = None
    seq: int = 0


class DeadlineError(CommandRejected):
    code = "deadline_error"


def _add(start: datetime, d: Duration, ctx: TimeContext, sign: int = 1) -> datetime:
    if d.unit == "working_days":
        if ctx.working_days is None:
            raise DeadlineError("working days need a working-day calendar, and none is configured",
                                "按工作日计算期限需要工作日历，但尚未配置")
        if sign > 0:
            return ctx.working_days.add_working_days(start, d.amount)
        local = start.astimezone(LOCAL)
        day, left = local.date(), d.amount
        while left:
            day -= timedelta(days=1)
            if ctx.working_days.is_working_day(day):
                left -= 1
        return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)
    if d.unit == "months":
        local = start.astimezone(LOCAL)
        month0 = local.month - 1 + sign * d.amount
        year, month = local.year + month0 // 12, month0 % 12 + 1
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        return local.replace(year=year, month=month, day=min(local.day, last)).astimezone(
            start.tzinfo)
    return start + sign * d.as_timedelta()


def office_hours(when: datetime, hours: OfficeHoursSpec | None = None) -> datetime:
    """A reminder due outside office hours (e.g. two days before an end-of-day
    deadline) goes out at the campaign's ``send_at`` local time that day instead
    (by default 08:00–18:00, sent at 09:00)."""
    start, end, send_at = (hours or _OFFICE).times
    local = when.astimezone(LOCAL)
    if start <= local.time() < end:
        return when
    return datetime.combine(local.date(), send_at, tzinfo=LOCAL).astimezone(when.tzinfo)


def anchor_of(spec: TimerSpec, case: Case, state: str | None) -> datetime:
    if spec.anchor == "case_created" or state is None:
        return case.created_at
    if spec.anchor == "first_entry" and state in case.first_entered:
        return datetime.fromisoformat(case.first_entered[state])
    return case.state_entered_at


def deadline_of(spec: TimerSpec, case: Case, state: str | None, ctx: TimeContext) -> datetime:
    """The instant a timer refers to.

    Raises:
        DeadlineError: a campaign reference without a campaign, or working
            days without a calendar.
    """
    if spec.at is not None:
        if ctx.campaign is None:
            raise DeadlineError(
                f"timer '{spec.id}' refers to the campaign calendar ('{spec.at}') but case "
                f"'{case.number}' belongs to no campaign",
                f"计时器 '{spec.id}' 引用了活动日程('{spec.at}'),但案件 '{case.number}' 不属于任何活动")
        return ctx.campaign.resolve(spec.at)
    anchor = anchor_of(spec, case, state)
    if spec.after is not None:
        return _add(anchor, parse_duration(spec.after), ctx)
    assert spec.every is not None
    return _add(anchor, parse_duration(spec.every), ctx)


def _plans(spec: TimerSpec, scope: Literal["state", "case"], state: str | None, case: Case,
           ctx: TimeContext, now: datetime) -> list[TimerPlan]:
    deadline = deadline_of(spec, case, state, ctx)
    out: list[TimerPlan] = []
    if spec.every is not None:
        return [TimerPlan(spec.id, scope, state, "recur", deadline, deadline, spec.fire, 1)]
    # A deadline that passed before the state was entered is due at once, not
    # late: nobody could have acted on it earlier.
    due = max(deadline, now)
    if spec.fire is not None:
        out.append(TimerPlan(spec.id, scope, state, "fire", due, deadline, spec.fire))
    for offset in spec.remind:
        exact = _add(deadline, parse_duration(offset), ctx, sign=-1)
        remind_at = office_hours(exact, ctx.campaign.office_hours
                                 if ctx.campaign is not None else None)
        if remind_at > deadline:
            remind_at = exact  # office hours would be too late for an early deadline
        if remind_at > now:
            out.append(TimerPlan(spec.id, scope, state, "remind", remind_at, deadline))
    if spec.escalate_to:
        out.append(TimerPlan(spec.id, scope, state, "escalate", due, deadline, None, 1))
    return out


def plan_entry(defn: CompiledDefinition, before: Case | None, after: Case, ctx: TimeContext,
               now: datetime) -> tuple[list[TimerPlan], bool, bool]:
    """Timers to create after a transition, and whether to cancel the pending
    state timers and the case timers. Every transition (also a reflexive one)
    leaves its source state and enters its destination."""
    plans: list[TimerPlan] = []
    closing = defn.is_final(after.state)
    if before is None:
        for spec in defn.spec.case_timers:
            plans += _plans(spec, "case", None, after, ctx, now)
    if not closing:
        for spec in defn.states[after.state].timers:
            plans += _plans(spec, "state", after.state, after, ctx, now)
    # Only states and processes that declare timers can have pending ones.
    cancel_state = before is not None and bool(defn.states[before.state].timers)
    return plans, cancel_state, closing and bool(defn.spec.case_timers)


def state_plans(spec: TimerSpec, case: Case, ctx: TimeContext, now: datetime) -> list[TimerPlan]:
    """The timers of one state timer spec for a case now in that state."""
    return _plans(spec, "state", case.state, case, ctx, now)


def passed_at_creation(defn: CompiledDefinition, case: Case,
                       ctx: TimeContext) -> tuple[TimerSpec, datetime] | None:
    """A campaign deadline of the new case that passed before it was created."""
    for spec in (*defn.spec.case_timers, *defn.states[case.state].timers):
        if spec.at is not None:
            when = deadline_of(spec, case, case.state, ctx)
            if when < case.created_at:
                return spec, when
    return None


def plan_next(spec: TimerSpec, fired: TimerPlan, now: datetime,
              ctx: TimeContext) -> TimerPlan | None:
    """The successor of a fired escalation (next period after now) or
    recurring timer (next period after the one that fired)."""
    if fired.kind == "escalate" and spec.escalate_every:
        # The next slot (deadline + k periods) a whole period after this firing,
        # less a little slack for a late scheduler: once per period, and no
        # burst of missed ones after downtime.
        period = parse_duration(spec.escalate_every)
        span = _add(now, period, ctx) - now
        threshold = now + span - min(timedelta(hours=1), span / 10)
        due, k = fired.due_at, fired.seq
        while due < threshold:
            k += 1
            due = _add(fired.deadline_at, Duration(period.amount * (k - 1), period.unit), ctx)
        return TimerPlan(fired.spec_id, fired.scope, fired.state, "escalate", due,
                         fired.deadline_at, None, k)
    if fired.kind == "recur" and spec.every:
        due = _add(fired.due_at, parse_duration(spec.every), ctx)
        return TimerPlan(fired.spec_id, fired.scope, fired.state, "recur", due, due,
                         fired.trigger, fired.seq + 1)
    return None


def timer_spec(defn: CompiledDefinition, spec_id: str) -> TimerSpec | None:
    for spec in defn.spec.case_timers:
        if spec.id == spec_id:
            return spec
    for state in defn.spec.states:
        for spec in state.timers:
            if spec.id == spec_id:
                return spec
    return None
