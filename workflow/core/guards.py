"""What a guard sees (``GuardContext``) and the engine's own guard, ``window_elapsed``. Pure.

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

from definitions.compile import CompiledDefinition
from workflow.core.durations import parse_duration
from workflow.core.localtime import local
from workflow.core.model import Actor, Case

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


def _find_timer(defn: CompiledDefinition, timer_id: str) -> tuple[str, Any] | None:
    for s in defn.spec.states:
        for t in s.timers:
            if t.id == timer_id:
                return s.id, t
    return None


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
    until = local(ends)
    return (f"the {label.lower()} ({spec.after}) runs until {until} (Asia/Shanghai)",
            f"{label_zh}({spec.after})至 {until} 才结束")
