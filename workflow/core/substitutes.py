"""The rules of a substitute's period: who may name one, for how long, and which
periods may not be recorded together. Pure.

A reviewer on leave names a substitute for a period; during it the substitute acts
in the reviewer's units with the reviewer's process roles (``workflow.core.authz``
decides each act). Here: the period is bounded (it starts now or later, within a
year, and lasts at most ``MAX_PERIOD``), both people are staff holding a
jurisdiction role, and there is no chain: a reviewer has one substitute at a time,
a substitute on leave in the period cannot stand in, and a reviewer who stands in
for someone else in the period cannot hand that on (a substitute cannot
substitute further). ``status`` says where a period stands at a moment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from workflow.core.decide import has_words
from workflow.core.localtime import local
from workflow.core.model import Actor, Event, Substitution
from workflow.errors import SubstitutionRefused

#: the longest period one substitution may cover
MAX_PERIOD = timedelta(days=90)
#: how far ahead a period may begin
MAX_AHEAD = timedelta(days=366)

#: a period's state → (zh, en)
STATUS_LABELS = {"upcoming": ("未开始", "upcoming"), "active": ("代理中", "active"),
                 "ended": ("已提前结束", "ended early"), "over": ("已到期", "over")}


def period(row: Mapping[str, Any]) -> Substitution:
    """A stored row as the core's period: it ends at the early end when that came first."""
    ends = row["ends_at"] if row["ended_at"] is None else min(row["ends_at"], row["ended_at"])
    return Substitution(int(row["id"]), str(row["reviewer"]), str(row["substitute"]),
                        row["starts_at"], ends, str(row["reason"]))


def _span(sub: Substitution) -> str:
    return f"{local(sub.starts_at)} – {local(sub.ends_at)}"


def overlaps(a_start: datetime, a_end: datetime, sub: Substitution) -> bool:
    return a_start < sub.ends_at and sub.starts_at < a_end and sub.starts_at < sub.ends_at


def check_new(reviewer: Actor, substitute: Actor, starts_at: datetime, ends_at: datetime,
              reason: str, now: datetime, existing: Sequence[Substitution],
              staff_roles: Collection[str]) -> None:
    """May ``substitute`` stand in for ``reviewer`` from ``starts_at`` to ``ends_at``?

    ``existing`` are the recorded periods (ended ones with their early end);
    ``staff_roles`` the process roles whose scope is a jurisdiction.

    Raises:
        SubstitutionRefused: the first rule the period breaks, named.
    """
    if reviewer.id == substitute.id:
        raise SubstitutionRefused(f"user '{reviewer.id}' cannot be their own substitute",
                                  f"用户 '{reviewer.id}' 不能代理自己")
    for who, what_en, what_zh in ((reviewer, "reviewer", "被代理人"),
                                  (substitute, "substitute", "代理人")):
        if not set(who.roles) & set(staff_roles):
            raise SubstitutionRefused(
                f"user '{who.id}' holds no reviewing role over a jurisdiction "
                f"({', '.join(who.roles)}) and cannot be a {what_en}",
                f"用户 '{who.id}' 没有辖区内的经办角色（{'、'.join(who.roles)}），不能作为{what_zh}")
    if not has_words(reason):
        raise SubstitutionRefused("a substitution needs a reason (e.g. the leave)",
                                  "指定代理人须说明理由（如请假事由）")
    if starts_at < now:
        raise SubstitutionRefused(
            f"the period starts at {local(starts_at)}, before now ({local(now)}); a "
            "substitution cannot be backdated",
            f"代理期开始于 {local(starts_at)}，早于现在（{local(now)}）；代理不能追溯")
    if starts_at > now + MAX_AHEAD:
        raise SubstitutionRefused(
            f"the period starts at {local(starts_at)}, more than {MAX_AHEAD.days} days ahead",
            f"代理期开始于 {local(starts_at)}，超过 {MAX_AHEAD.days} 天之后")
    if ends_at <= starts_at:
        raise SubstitutionRefused(
            f"the period ends ({local(ends_at)}) before it starts ({local(starts_at)})",
            f"代理期的结束时间（{local(ends_at)}）不晚于开始时间（{local(starts_at)}）")
    if ends_at - starts_at > MAX_PERIOD:
        days = (ends_at - starts_at) / timedelta(days=1)
        raise SubstitutionRefused(
            f"the period lasts {days:.1f} days; a substitution covers at most "
            f"{MAX_PERIOD.days} days (record a new one after it)",
            f"代理期为 {days:.1f} 天，一次代理最长 {MAX_PERIOD.days} 天（期满后可另行指定）")
    for sub in existing:
        if not overlaps(starts_at, ends_at, sub):
            continue
        if sub.reviewer == reviewer.id:
            raise SubstitutionRefused(
                f"user '{reviewer.id}' already has substitute '{sub.substitute}' from "
                f"{_span(sub)} (substitution {sub.id}); end it first",
                f"用户 '{reviewer.id}' 在 {_span(sub)} 已由 '{sub.substitute}' 代理（代理编号 "
                f"{sub.id}），请先结束该代理")
        if sub.reviewer == substitute.id:
            raise SubstitutionRefused(
                f"user '{substitute.id}' is on leave from {_span(sub)} (substituted by "
                f"'{sub.substitute}', substitution {sub.id}) and cannot stand in then",
                f"用户 '{substitute.id}' 在 {_span(sub)} 本人休假，由 '{sub.substitute}' 代理"
                f"（代理编号 {sub.id}），不能在此期间代理他人")
        if sub.substitute == reviewer.id:
            raise SubstitutionRefused(
                f"user '{reviewer.id}' stands in for '{sub.reviewer}' from {_span(sub)} "
                f"(substitution {sub.id}); a substitute cannot substitute further",
                f"用户 '{reviewer.id}' 在 {_span(sub)} 正代理 '{sub.reviewer}'（代理编号 "
                f"{sub.id}），代理人不能再转托他人代理")


def status(sub: Substitution, now: datetime, ended_early: bool) -> str:
    """upcoming, active, ended (early) or over."""
    if sub.active_at(now):
        return "active"
    if ended_early and (now >= sub.ends_at or sub.ends_at <= sub.starts_at):
        return "ended"
    return "upcoming" if now < sub.starts_at else "over"


def check_end(sub: Substitution, now: datetime, ended_early: bool) -> None:
    """May the period be ended now?

    Raises:
        SubstitutionRefused: it is over or was ended already.
    """
    state = status(sub, now, ended_early)
    if state in ("ended", "over"):
        zh, en = STATUS_LABELS[state]
        raise SubstitutionRefused(f"substitution {sub.id} is {en} already ({_span(sub)})",
                                  f"代理 {sub.id} 已{zh.removeprefix('已')}（{_span(sub)}）")


def check_events(events: Sequence[Event], periods: Mapping[int, Substitution]
                 ) -> list[tuple[int, str, str]]:
    """(seq, English, Chinese) of each event that says it was done for someone else
    without a recorded period of that substitute for that reviewer covering its time."""
    out: list[tuple[int, str, str]] = []
    for e in events:
        behalf = e.meta.get("on_behalf_of")
        if not behalf:
            continue
        raw = e.meta.get("substitution")
        sub = periods.get(raw) if isinstance(raw, int) else None
        if sub is None:
            out.append((e.seq, f"event {e.seq} was done by '{e.actor}' for '{behalf}' under "
                        f"substitution {raw!r}, which is not recorded",
                        f"第 {e.seq} 条记录称由 '{e.actor}' 代理 '{behalf}' 办理（代理编号 "
                        f"{raw!r}），但没有该代理记录"))
        elif (sub.reviewer, sub.substitute) != (behalf, e.actor) or not sub.active_at(e.at):
            out.append((e.seq, f"event {e.seq} by '{e.actor}' for '{behalf}' at {local(e.at)} "
                        f"does not fit substitution {sub.id} ('{sub.substitute}' for "
                        f"'{sub.reviewer}', {_span(sub)})",
                        f"第 {e.seq} 条记录（{local(e.at)}，'{e.actor}' 代理 '{behalf}'）与代理 "
                        f"{sub.id}（'{sub.substitute}' 代理 '{sub.reviewer}'，{_span(sub)}）不符"))
    return out
