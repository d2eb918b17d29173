"""Use cases of time: the simulated clock (show, set, advance), the deadlines
board, firing due timers. Services over an Engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from workflow.core.authz import may_read
from workflow.core.durations import parse_duration
from workflow.core.localtime import LOCAL_TZ, local
from workflow.engine import Engine, FiredTimer
from workflow.errors import ClockError, InvalidData
from workflow.views import View, timer_label


def parse_time(text: str) -> datetime:
    """A time with its zone, as typed (``2027-01-04T09:00+08:00``), or a plain
    date (``2027-01-05``): the start of that day, local midnight in Asia/Shanghai.

    Raises:
        ClockError: not a time, or a time of day with no time zone.
    """
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ClockError(f"'{text}' is not a time like 2027-01-04T09:00+08:00 or a date "
                         "like 2027-01-04",
                         f"'{text}' 不是有效时间，格式如 2027-01-04T09:00+08:00 或日期 2027-01-04"
                         ) from None
    if len(text.strip()) == 10:  # a date alone: the local day's first moment
        return datetime.combine(when.date(), time(0, 0), LOCAL_TZ)
    if when.tzinfo is None:
        raise ClockError(f"'{text}' has no time zone; write e.g. 2027-01-04T09:00+08:00",
                         f"'{text}' 缺少时区，请写成如 2027-01-04T09:00+08:00")
    if not 1900 <= when.year <= 9998:
        # a time at the edge of the calendar cannot even be shown in Asia/Shanghai
        raise ClockError(f"'{text}' lies outside the years 1900 to 9998",
                         f"'{text}' 超出 1900 至 9998 年的范围")
    return when


def parse_advance(text: str) -> timedelta:
    """A calendar duration such as ``3d``, ``12h`` or ``30m``.

    Raises:
        ClockError: not one.
    """
    try:
        return parse_duration(text).as_timedelta()
    except (ValueError, OverflowError):
        raise ClockError(f"'{text}' is not a calendar duration such as 3d, 12h or 30m",
                         f"'{text}' 不是有效的时长，如 3d、12h、30m") from None


def set_clock(engine: Engine, *, when: datetime | None = None,
              advance: timedelta | None = None) -> list[FiredTimer]:
    """Move the simulated clock, firing what falls due on the way, in order."""
    return engine.set_clock(when=when, advance=advance)


def fired_view(fired: list[FiredTimer]) -> list[View]:
    return [{"timer": f.timer.id, "case": f.case_number, "kind": f.timer.kind,
             "spec": f.timer.spec_id, "due": f.timer.due_at.isoformat(), "event": f.event.kind,
             "messages": f.messages} for f in fired]


@dataclass(frozen=True, slots=True)
class Board:
    """Open deadlines, soonest first, and their counts per village."""

    now: datetime
    rows: list[View]
    by_village: dict[str, dict[str, int]]


def deadlines(engine: Engine, lang: str, *, unit: str | None = None,
              overdue: bool = False, reader: str | None = None) -> Board:
    """The open deadlines of open cases (in ``unit``'s subtree) and per village; with
    ``reader``, only those of cases that user may read."""
    if unit and unit not in engine.org.units:
        raise InvalidData([("unit", f"unknown unit '{unit}'", f"未知的单位 '{unit}'")])
    rows: list[View] = []
    actor = engine.actor(reader) if reader is not None else None
    for d in engine.deadlines(unit=unit, overdue=overdue):
        if actor is not None and not may_read(engine.definition_for(d.case), engine.org,
                                              d.case, actor, engine.clock.now()):
            continue
        defn = engine.definition_for(d.case)
        rows.append({"case": d.case.number, "unit": d.case.unit,
                     "village": engine.org.unit_label(d.case.unit, lang),
                     "state": defn.state_label(d.case.state, lang), "timer": d.timer,
                     "label": timer_label(defn, d.timer, lang),
                     "deadline": d.deadline_at.isoformat(), "local": local(d.deadline_at),
                     "overdue": d.overdue, "escalations": d.escalations})
    per_unit: dict[str, dict[str, int]] = {}
    for r in rows:
        entry = per_unit.setdefault(r["village"], {"open": 0, "overdue": 0})
        entry["open"] += 1
        entry["overdue"] += int(r["overdue"])
    return Board(engine.clock.now(), rows, per_unit)


def board_view(board: Board) -> View:
    """The board as plain data (what ``--json`` prints and the API answers)."""
    return {"now": board.now.isoformat(), "deadlines": board.rows,
            "by_village": board.by_village}


def deadlines_of(engine: Engine, user: str, lang: str, *, unit: str | None = None,
                 overdue: bool = False) -> View:
    """The deadlines board as ``user`` reads it: the cases of their units (or of
    ``unit`` among them) that they may read."""
    actor = engine.actor(user)
    return board_view(deadlines(engine, lang, unit=unit or actor.unit, overdue=overdue,
                                reader=user))
