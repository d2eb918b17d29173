"""What a guard sees (``GuardContext``) and the engine's own guard, ``window_elapsed``. Pure.

A definition refers to a guard by name (``guards: [{name: window_elapsed,
params: {timer: notice_window}}]``). A guard returns ``None`` when it holds,
or an (English, Chinese) pair saying what is missing, so a refusal always
names the condition that failed.

The same guard answers both questions a user asks: may I fire this now
(``decide.options``, with ``pending`` naming the fields the user has still to
give with the trigger) and does this command go through (``decide_fire``,
nothing pending). A guard that checks a pending field's value against what
the rules compute holds when the rules can compute it: the user can then give
that value. Windows are computed by the timers' own arithmetic
(``deadlines.deadline_of``) on the case's ``time`` context, so a guard sees
the same working-day calendar as the timer that fires it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from workflow.core.deadlines import TimeContext, deadline_of
from workflow.core.localtime import local
from workflow.core.model import Actor, Case

Failure = tuple[str, str]


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What a guard may look at. ``facts`` are read by the shell before the
    decision for guards that need the database (e.g. ``claims``: other open
    or granted cases of the same household in the campaign); ``time`` is the
    case's campaign and working-day calendar, the timers' own; ``pending``
    the fields the trigger takes that the user has not given yet (only when
    asking what may be done, never when firing)."""

    definition: CompiledDefinition
    case: Case
    data: Mapping[str, Any]
    actor: Actor
    now: datetime
    facts: Mapping[str, Any] = field(default_factory=dict)
    time: TimeContext | None = None
    pending: frozenset[str] = frozenset()


Guard = Callable[..., Failure | None]


def _find_timer(defn: CompiledDefinition, timer_id: str) -> tuple[str, Any] | None:
    for s in defn.spec.states:
        for t in s.timers:
            if t.id == timer_id:
                return s.id, t
    return None


def window_elapsed(ctx: GuardContext, timer: str) -> Failure | None:
    """The window of timer ``timer`` (e.g. the 3-day public notice) has ended.

    The end is the timer's own deadline (``deadlines.deadline_of``), on the same
    calendar: a window counted in working days closes on the day its timer fires.
    """
    found = _find_timer(ctx.definition, timer)
    if found is None or found[1].after is None:
        return (f"timer '{timer}' has no window", f"计时器 '{timer}' 没有设定期限")
    state, spec = found
    try:
        ends = deadline_of(spec, ctx.case, state, ctx.time or TimeContext())
    except BangfuError as exc:  # no working-day calendar, or none for that year
        return (exc.en, exc.zh)
    if ctx.now >= ends:
        return None
    label = spec.labels.get("en") if spec.labels else timer
    label_zh = spec.labels.get("zh") if spec.labels else timer
    until = local(ends)
    return (f"the {label.lower()} ({spec.after}) runs until {until} (Asia/Shanghai)",
            f"{label_zh}({spec.after})至 {until} 才结束")
