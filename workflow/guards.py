"""Named guard predicates: domain rules written in Python. Pure.

A definition refers to a guard by name (``guards: [{name: window_elapsed,
params: {timer: notice_window}}]``). A guard returns ``None`` when it holds,
or an (English, Chinese) pair saying what is missing, so a refusal always
names the condition that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError

from .durations import parse_duration
from .errors import DoubleRelief
from .model import Actor, Case

Failure = tuple[str, str]


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What a guard may look at. ``facts`` are read by the shell before the
    decision for guards that need the database (e.g. ``claims``: other open
    or granted cases of the same household in the campaign)."""

    definition: CompiledDefinition
    case: Case
    data: Mapping[str, Any]
    actor: Actor
    now: datetime
    facts: Mapping[str, Any] = field(default_factory=dict)


Guard = Callable[..., Failure | None]
REGISTRY: dict[str, Guard] = {}


def guard(name: str) -> Callable[[Guard], Guard]:
    """Register ``fn`` as the guard ``name``."""

    def register(fn: Guard) -> Guard:
        if name in REGISTRY:
            raise ValueError(f"guard '{name}' is registered twice")
        REGISTRY[name] = fn
        return fn

    return register


def _find_timer(defn: CompiledDefinition, timer_id: str) -> tuple[str, Any] | None:
    for s in defn.spec.states:
        for t in s.timers:
            if t.id == timer_id:
                return s.id, t
    return None


@guard("window_elapsed")
def window_elapsed(ctx: GuardContext, timer: str) -> Failure | None:
    """The window of timer ``timer`` (e.g. the 3-day public notice) has ended."""
    found = _find_timer(ctx.definition, timer)
    if found is None or found[1].after is None:
        return (f"timer '{timer}' has no window", f"计时器 '{timer}' 没有设定期限")
    state, spec = found
    duration = parse_duration(spec.after)
    if duration.working:
        return (f"the window '{timer}' is counted in working days, which needs a working-day "
                "calendar", f"期限 '{timer}' 按工作日计算，需要工作日历")
    start = ctx.case.state_entered_at
    if spec.anchor == "first_entry" and state in ctx.case.first_entered:
        start = datetime.fromisoformat(ctx.case.first_entered[state])
    elif spec.anchor == "case_created":
        start = ctx.case.created_at
    ends = start + duration.as_timedelta()
    if ctx.now >= ends:
        return None
    label = spec.labels.get("en") if spec.labels else timer
    label_zh = spec.labels.get("zh") if spec.labels else timer
    local = ends.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    return (f"the {label.lower()} ({spec.after}) runs until {local} (Asia/Shanghai)",
            f"{label_zh}({spec.after})至 {local} 才结束")


@guard("no_double_relief")
def no_double_relief(ctx: GuardContext) -> Failure | None:
    """No other case of this household stands in the way (``facts``: the rival
    cases the process's ``household_limit`` forbids; 不重复慰问)."""
    others = ctx.facts.get("claims", ())
    if not others:
        return None
    other = others[0]
    refusal = DoubleRelief(other["number"], other["process"], other["state"],
                           ctx.facts.get("household_limit", "campaign"))
    return (refusal.en, refusal.zh)


@guard("standard_amount")
def standard_amount(ctx: GuardContext) -> Failure | None:
    """The amount paid is exactly the standard of the case's final category: no
    other amount, no splitting (``facts``: the campaign's standards and family rules)."""
    from .rules.family import case_values
    from .rules.money import fen_to_yuan_text
    from .rules.standards import amount_for

    standards = ctx.facts.get("standards")
    if not standards:
        return ("the campaign defines no relief standards", "本次活动没有设定帮扶标准")
    category = ctx.data.get("category")
    try:
        computed = case_values(ctx.data, ctx.facts["family_rules"]) \
            if ctx.facts.get("family_rules") is not None else {}
        standard = amount_for(standards, str(category), ctx.data, computed)
    except BangfuError as exc:
        return (exc.en, exc.zh)
    paid = ctx.data.get("amount_fen")
    if paid == standard.amount_fen:
        return None
    want = fen_to_yuan_text(standard.amount_fen, grouping=True)
    return (f"the amount must be exactly the standard of '{category}': {want} yuan",
            f"发放金额必须等于「{category}」的标准：{want} 元，不得另定金额或拆分")


# Domain guards (medical aid routing and amounts, amounts by level) register
# themselves on import; they need the ``guard`` decorator defined above.
from .rules import guards as _domain_guards  # noqa: E402,F401
