"""Can every window of a definition be evaluated? Checked at load. Pure.

A timer counted in working days (``after: 3 working days``, a ``remind`` or an
``escalate_every`` in working days) is computed on the working-day calendar of
the case's campaign (``calendar:`` in the campaign file), or on the default
calendar (``cn``) for a case outside campaigns; the ``window_elapsed`` guard
reads the same deadline (``guards.window_elapsed``). A definition whose
windows no loaded calendar can count is refused when it is loaded, not left
to strand its first case in the window:

- a calendar the process may be counted on is not loaded at all;
- a campaign running the process spans a year its calendar has no data for;
- ``window_elapsed`` names a timer the definition lacks, or one without a window.

Years outside a campaign are only known when a case reaches them: there the
arithmetic refuses with ``CalendarMissing`` and never guesses.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from definitions.calendars import DEFAULT_CALENDAR
from definitions.compile import CompiledDefinition
from definitions.errors import Problem
from definitions.loader import Lines, dotted, line_of
from definitions.schema import TimerSpec
from definitions.validate import timer_refs
from workflow.core.durations import parse_duration


def _working(text: str | None) -> bool:
    return text is not None and parse_duration(text).working


def working_day_timers(defn: CompiledDefinition) -> list[tuple[tuple[str | int, ...], TimerSpec]]:
    """(key path, timer) of every timer with a duration counted in working days."""
    found: list[tuple[tuple[str | int, ...], TimerSpec]] = []
    timers: list[tuple[tuple[str | int, ...], TimerSpec]] = [
        (("case_timers", j), t) for j, t in enumerate(defn.spec.case_timers)]
    for i, s in enumerate(defn.spec.states):
        timers += [(("states", i, "timers", j), t) for j, t in enumerate(s.timers)]
    for path, t in timers:
        for key in ("after", "every", "escalate_every"):
            if _working(getattr(t, key)):
                found.append(((*path, key), t))
                break
        else:
            k = next((k for k, r in enumerate(t.remind) if _working(r)), None)
            if k is not None:
                found.append(((*path, "remind", k), t))
    return found


def _years(years: Collection[int]) -> tuple[str, str]:
    if not years:
        return "no year", "无任何年份"
    ordered = sorted(years)
    return (f"{ordered[0]} to {ordered[-1]}" if len(ordered) > 1 else str(ordered[0]),
            f"{ordered[0]} 至 {ordered[-1]} 年" if len(ordered) > 1 else f"{ordered[0]} 年")


def window_problems(defn: CompiledDefinition, calendars: Mapping[str, Collection[int]],
                    campaigns: Iterable[Any], lines: Lines | None = None) -> list[Problem]:
    """Every window of ``defn`` that cannot be evaluated, as problems at the key path
    (and its line, given the file's ``lines``).

    Args:
        calendars: calendar id → the years it has data for.
        campaigns: the loaded campaigns (``definitions.campaign.Campaign``).
    """
    lines = lines or {}
    problems: list[Problem] = []
    source = defn.source
    timers = working_day_timers(defn)
    running = [c for c in campaigns if defn.process in c.spec.processes]
    for path, timer in timers:
        where, line = dotted(path), line_of(lines, path) if lines else None
        needs: list[tuple[str, Any]] = [(str(c.spec.calendar), c) for c in running]
        if not timer_refs(defn.spec):
            needs.append((DEFAULT_CALENDAR, None))  # a case outside campaigns
        for calendar, campaign in needs:
            covered = calendars.get(calendar, ())
            whose_en = f"campaign '{campaign.id}'" if campaign is not None else \
                "a case outside campaigns"
            whose_zh = f"活动 '{campaign.id}'" if campaign is not None else "不属于活动的案件"
            if not covered:
                problems.append(Problem(
                    where, f"timer '{timer.id}' counts working days, but {whose_en} counts "
                    f"them on calendar '{calendar}', which is not loaded; add its files "
                    f"(definitions/calendars/{calendar}-<year>.yaml)",
                    f"计时器 '{timer.id}' 按工作日计算，但{whose_zh}使用的工作日历 '{calendar}' "
                    f"未加载；请添加其数据文件(definitions/calendars/{calendar}-<年份>.yaml)",
                    line, source))
                continue
            if campaign is None:
                continue
            zone = campaign.zone
            span = range(campaign.start.astimezone(zone).year,
                         campaign.completion.astimezone(zone).year + 1)
            missing = [y for y in span if y not in covered]
            if missing:
                have_en, have_zh = _years(covered)
                problems.append(Problem(
                    where, f"timer '{timer.id}' counts working days, but calendar '{calendar}' "
                    f"of campaign '{campaign.id}' has no data for {missing[0]} (it covers "
                    f"{have_en}); add definitions/calendars/{calendar}-{missing[0]}.yaml or "
                    "count the window in calendar days",
                    f"计时器 '{timer.id}' 按工作日计算，但活动 '{campaign.id}' 的工作日历 "
                    f"'{calendar}' 没有 {missing[0]} 年的数据（现有：{have_zh}）；请添加 "
                    f"definitions/calendars/{calendar}-{missing[0]}.yaml，或改按自然日计算",
                    line, source))
    problems += _guard_problems(defn, lines)
    return problems


def _guard_problems(defn: CompiledDefinition, lines: Lines) -> list[Problem]:
    """``window_elapsed`` must name a timer of the definition that has a window."""
    windows = {t.id: t for t in defn.spec.case_timers}
    for s in defn.spec.states:
        windows.update({t.id: t for t in s.timers})
    problems: list[Problem] = []
    for i, t in enumerate(defn.spec.transitions):
        for k, g in enumerate(t.guards):
            if g.name != "window_elapsed":
                continue
            name = g.params.get("timer")
            found = windows.get(str(name)) if name is not None else None
            if found is not None and found.after is not None:
                continue
            problem = ("names no timer" if found is None else "names a timer without 'after'",
                       "未指向任何计时器" if found is None else "指向的计时器没有 'after' 期限")
            path: tuple[str | int, ...] = ("transitions", i, "guards", k, "params", "timer")
            problems.append(Problem(
                dotted(path),
                f"guard 'window_elapsed' {problem[0]} ('{name}'); give the id of a timer "
                f"with a window, one of: {', '.join(w for w, x in windows.items() if x.after)}",
                f"条件函数 'window_elapsed' {problem[1]}('{name}')；请填写有期限的计时器 id",
                line_of(lines, path) if lines else None, defn.source))
    return problems
