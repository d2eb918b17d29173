"""Working days, holidays and make-up days: the arithmetic over the official
calendars of ``definitions.calendars``. Pure: no I/O, no clock.

A working day is a Monday to Friday outside every holiday block of the year's
notice, or a Saturday or Sunday the notice makes a working day, a 调休 day. Days are
local dates in Asia/Shanghai. A date in a year the calendar has no data for
raises ``CalendarMissing``: the arithmetic never guesses a year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

from definitions.calendars import CalendarYear
from definitions.errors import BangfuError
from workflow.core.localtime import LOCAL_TZ

_ONE_DAY = timedelta(days=1)


def _years_text(years: Sequence[int]) -> tuple[str, str]:
    if not years:
        return "none", "无"
    if len(years) > 1 and list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]} to {years[-1]}", f"{years[0]} 至 {years[-1]} 年"
    return ", ".join(map(str, years)), "、".join(map(str, years)) + " 年"


class CalendarMissing(BangfuError):
    """Working-day arithmetic reached a year the calendar has no data for."""

    code = "calendar_missing"

    def __init__(self, calendar: str, year: int, covered: Sequence[int] = ()) -> None:
        self.calendar, self.year = calendar, year
        self.covered = tuple(sorted(covered))
        have_en, have_zh = _years_text(self.covered)
        path = f"definitions/calendars/{calendar}-{year}.yaml"
        super().__init__(
            f"Working-day calendar '{calendar}' has no data for {year} (it covers {have_en}); "
            f"add the official holiday and make-up day list for {year} as the data file "
            f"{path}",
            f"工作日历 '{calendar}' 没有 {year} 年的数据（现有：{have_zh}）；请将国务院办公厅公布的 "
            f"{year} 年放假调休安排写成数据文件 {path}",
        )


def _plain_date(value: date) -> date:
    # A datetime is a date too, but which day it is depends on the time zone.
    if isinstance(value, datetime):
        raise TypeError("pass a local date, not a datetime; see add_working_days")
    return value


class WorkingCalendar:
    """The working days of one calendar id over the years it has data for."""

    __slots__ = ("calendar", "_years", "_off", "_on")

    def __init__(self, calendar: str, years: Iterable[CalendarYear]) -> None:
        by_year: dict[int, CalendarYear] = {}
        for y in years:
            if y.calendar != calendar:
                raise ValueError(f"year {y.year} belongs to calendar '{y.calendar}', "
                                 f"not '{calendar}'")
            if y.year in by_year:
                raise ValueError(f"year {y.year} of calendar '{calendar}' is given twice")
            by_year[y.year] = y
        self.calendar = calendar
        self._years = MappingProxyType(dict(sorted(by_year.items())))
        self._off = frozenset(d for y in by_year.values() for d in y.holiday_dates())
        self._on = frozenset(d for y in by_year.values() for d in y.makeup_workdays)

    @classmethod
    def from_loaded(cls, loaded: Mapping[str, Mapping[int, CalendarYear]],
                    calendar: str = "cn") -> WorkingCalendar:
        """The calendar ``calendar`` of ``definitions.calendars.load_calendars()``."""
        return cls(calendar, loaded.get(calendar, {}).values())

    @property
    def covered_years(self) -> tuple[int, ...]:
        return tuple(self._years)

    @property
    def provisional_years(self) -> tuple[int, ...]:
        return tuple(y for y, data in self._years.items() if data.provisional)

    def year(self, year: int) -> CalendarYear:
        """The data of ``year``.

        Raises:
            CalendarMissing: no data for ``year``.
        """
        found = self._years.get(year)
        if found is None:
            raise CalendarMissing(self.calendar, year, self.covered_years)
        return found

    def is_provisional(self, year: int) -> bool:
        """Is ``year`` provisional data rather than the published notice (callers warn)?"""
        return self.year(year).provisional

    def is_working_day(self, day: date) -> bool:
        """A weekday outside the holidays, or a make-up day.

        Raises:
            CalendarMissing: no data for the year of ``day``.
        """
        self.year(_plain_date(day).year)
        if day in self._on:
            return True
        return day.weekday() < 5 and day not in self._off

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``.

        Raises:
            CalendarMissing: the search reaches a year without data.
        """
        day = _plain_date(day) + _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The same local time of day on the ``n``-th working day after the local date
        of ``start`` (Asia/Shanghai), in UTC; ``n == 0`` gives ``start`` itself.

        Raises:
            ValueError: ``start`` is naive or ``n`` is negative.
            CalendarMissing: the count reaches a year without data.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days ({n})")
        if n == 0:
            return start.astimezone(UTC)
        local = start.astimezone(LOCAL_TZ)
        day = local.date()
        for _ in range(n):
            day = self.next_working_day(day)
        return datetime.combine(day, local.time(), tzinfo=LOCAL_TZ).astimezone(UTC)

    def working_days_between(self, a: date, b: date) -> int:
        """The working days ``d`` with ``a < d <= b``; negative when ``b`` is before ``a``.

        It counts back what ``add_working_days`` counts forward: from the local date of
        ``start`` to that of the result there are ``n`` working days.

        Raises:
            CalendarMissing: a date of the span lies in a year without data.
        """
        a, b = _plain_date(a), _plain_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count
