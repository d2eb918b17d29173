"""Working-day calendars as data: one file per calendar and year. Pure apart from
``load_calendars`` (which reads through ``loader``).

A file ``definitions/calendars/<calendar>-<year>.yaml`` transcribes the State
Council's yearly notice, 国务院办公厅关于某年部分节假日安排的通知: the holiday
blocks as the notice gives them, weekend days inside a block included, and the
Saturdays and Sundays it makes working days, the 调休 days the notice lists as
上班. A file holds only dates of its own year; when a notice reaches into the
year before, those dates belong to that year's file. ``status: provisional``
marks data that is not yet the published notice, so that callers can warn.
Deployments add next year's file when the notice appears; the arithmetic lives
in ``workflow.core.calendar``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from definitions.compile import SHIPPED
from definitions.errors import DefinitionInvalid, Problem
from definitions.loader import Lines, dotted, line_of, load_yaml_file, load_yaml_text
from definitions.parse import parse_model
from definitions.schema import Identifier, Labels, _Frozen

SHIPPED_CALENDARS = SHIPPED / "calendars"
#: the working-day calendar of a case outside campaigns (a campaign names its own)
DEFAULT_CALENDAR = "cn"

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def _day(value: object) -> object:
    # A datetime is a date too; a time of day in a calendar file is a mistake.
    if isinstance(value, datetime):
        raise ValueError("expected a date such as 2026-02-15, without a time of day")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value.strip()):
        return date.fromisoformat(value.strip())
    raise ValueError("expected a date written as YYYY-MM-DD, such as 2026-02-15")


Day = Annotated[date, BeforeValidator(_day)]


class Holiday(_Frozen):
    """One holiday block of the notice, both ends included (YAML keys ``from``, ``to``)."""

    name: Labels
    start: Day = Field(alias="from")
    end: Day = Field(alias="to")

    def dates(self) -> tuple[date, ...]:
        return tuple(self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1))


class CalendarYear(_Frozen):
    """The working-day data of one calendar (``cn``) for one year."""

    calendar: Identifier
    year: int = Field(ge=1900, le=2999)
    status: Literal["official", "provisional"]
    source: str = Field(min_length=1)
    holidays: tuple[Holiday, ...] = Field(min_length=1)
    makeup_workdays: tuple[Day, ...] = ()

    @property
    def provisional(self) -> bool:
        return self.status == "provisional"

    def holiday_dates(self) -> frozenset[date]:
        return frozenset(d for h in self.holidays for d in h.dates())


def _check(cal: CalendarYear, lines: Lines, source: str | None) -> None:
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], en: str, zh: str) -> None:
        problems.append(Problem(dotted(path), en, zh, line_of(lines, path), source))

    def in_year(path: tuple[str | int, ...], d: date) -> bool:
        if d.year != cal.year:
            add(path, f"date {d} is not in {cal.year}", f"日期 {d} 不在 {cal.year} 年内")
        return d.year == cal.year

    sound: list[tuple[int, Holiday]] = []
    for i, h in enumerate(cal.holidays):
        start_ok = in_year(("holidays", i, "from"), h.start)
        end_ok = in_year(("holidays", i, "to"), h.end)
        if h.start > h.end:
            add(("holidays", i, "to"), f"the holiday ends ({h.end}) before it starts ({h.start})",
                f"假期的结束日期（{h.end}）早于开始日期（{h.start}）")
        elif start_ok and end_ok:
            sound.append((i, h))
    sound.sort(key=lambda ih: ih[1].start)
    for (_, prev), (i, h) in pairwise(sound):
        if h.start <= prev.end:
            add(("holidays", i, "from"),
                f"overlaps holiday '{prev.name.en}' ({prev.start} to {prev.end})",
                f"与假期「{prev.name.zh}」（{prev.start} 至 {prev.end}）重叠")

    inside = {d: h for _, h in sound for d in h.dates()}
    seen: set[date] = set()
    for k, d in enumerate(cal.makeup_workdays):
        path: tuple[str | int, ...] = ("makeup_workdays", k)
        if d in seen:
            add(path, f"{d} is listed twice", f"{d} 重复列出")
        seen.add(d)
        in_year(path, d)
        if d.weekday() < 5:
            add(path, f"{d} is a {_WEEKDAY_EN[d.weekday()]}; only a Saturday or Sunday can be "
                "a make-up working day", f"{d} 是{_WEEKDAY_ZH[d.weekday()]}；只有周六或周日才能调为上班日")
        if d in inside:
            add(path, f"{d} is both a make-up working day and inside holiday "
                f"'{inside[d].name.en}'", f"{d} 既是调休上班日，又在假期「{inside[d].name.zh}」之内")
    if problems:
        raise DefinitionInvalid(problems, source)


def build_calendar_year(data: Any, lines: Lines | None = None,
                        source: str | None = None) -> CalendarYear:
    """Parse and check one year of a calendar.

    Raises:
        DefinitionInvalid: every problem, with its path and line: dates outside the
            year, a block ending before it starts, overlapping blocks, a make-up day
            on a weekday, inside a holiday or listed twice.
    """
    lines = lines or {}
    cal = parse_model(CalendarYear, data, lines, source)
    _check(cal, lines, source)
    return cal


def calendar_year_from_text(text: str, source: str = "<calendar>") -> CalendarYear:
    data, lines = load_yaml_text(text, source)
    return build_calendar_year(data, lines, source)


def load_calendars(directory: str | Path | None = None) -> dict[str, dict[int, CalendarYear]]:
    """Read every ``*.yaml`` of a calendars folder (the shipped one by default).

    Returns:
        calendar id → year → data, years in ascending order.

    Raises:
        DefinitionInvalid: every problem of every file at once, including a file not
            named ``<calendar>-<year>.yaml`` and a year given twice for one calendar.
    """
    folder = Path(directory) if directory is not None else SHIPPED_CALENDARS
    if not folder.is_dir():
        raise DefinitionInvalid([Problem("", "no such calendar folder", "找不到日历目录", None,
                                         str(folder))], str(folder))
    problems: list[Problem] = []
    first: dict[tuple[str, int], str] = {}
    found: dict[str, dict[int, CalendarYear]] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data, lines, _ = load_yaml_file(path)
            cal = build_calendar_year(data, lines, str(path))
        except DefinitionInvalid as exc:
            problems.extend(exc.problems)
            continue
        where = f"{path}:{line_of(lines, ('year',))}"
        expected = f"{cal.calendar}-{cal.year}.yaml"
        if path.name != expected:
            problems.append(Problem(
                "year", f"the file of calendar '{cal.calendar}' year {cal.year} must be named "
                f"'{expected}'", f"日历 '{cal.calendar}' {cal.year} 年的数据文件应命名为 '{expected}'",
                line_of(lines, ("year",)), str(path)))
        key = (cal.calendar, cal.year)
        if key in first:
            problems.append(Problem(
                "year", f"calendar '{cal.calendar}' year {cal.year} is already defined at "
                f"{first[key]}", f"日历 '{cal.calendar}' 的 {cal.year} 年已在 {first[key]} 定义",
                line_of(lines, ("year",)), str(path)))
            continue
        first[key] = where
        found.setdefault(cal.calendar, {})[cal.year] = cal
    if problems:
        raise DefinitionInvalid(problems, str(folder))
    return {c: dict(sorted(years.items())) for c, years in sorted(found.items())}
