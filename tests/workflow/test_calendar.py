"""Working-day arithmetic over the official calendars: agreement with public data,
the Spring Festival and make-up days, Asia/Shanghai dates, and missing years."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import holidays
import pytest

import workflow.core.calendar as calendar_module
from definitions.calendars import (
    SHIPPED_CALENDARS,
    CalendarYear,
    calendar_year_from_text,
    load_calendars,
)
from workflow.core.calendar import CalendarMissing, WorkingCalendar

SHIPPED_FILES = sorted(SHIPPED_CALENDARS.glob("*.yaml"))
CN = WorkingCalendar.from_loaded(load_calendars(), "cn")
BEIJING = "+08:00"


def shipped(path: Path) -> CalendarYear:
    return calendar_year_from_text(path.read_text(encoding="utf-8"), str(path))


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_every_day_agrees_with_chinesecalendar(path: Path) -> None:
    """Working day or not, every date of each shipped year matches chinesecalendar."""
    year = shipped(path)
    cal = WorkingCalendar(year.calendar, [year])
    differ = [d for d in days_of(year.year)
              if cal.is_working_day(d) != chinese_calendar.is_workday(d)]
    assert differ == []


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_every_day_agrees_with_holidays_package(path: Path) -> None:
    """Working day or not, every date of each shipped year matches holidays.China."""
    year = shipped(path)
    cal = WorkingCalendar(year.calendar, [year])
    china = holidays.China(years=year.year)
    differ = [d for d in days_of(year.year) if cal.is_working_day(d) != china.is_working_day(d)]
    assert differ == []


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_holidays_package_dates_are_days_off(path: Path) -> None:
    """Every date holidays.China names as a holiday of a shipped year is a day off here."""
    year = shipped(path)
    cal = WorkingCalendar(year.calendar, [year])
    named = [d for d in holidays.China(years=year.year) if d.year == year.year]
    assert named and [d for d in named if cal.is_working_day(d)] == []


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_counting_back_undoes_counting_forward(path: Path) -> None:
    """From any date of a shipped year, n working days later counts back as n."""
    year = shipped(path)
    for d in days_of(year.year)[:-20]:
        start = datetime.combine(d, datetime.min.time(), tzinfo=calendar_module.LOCAL_TZ)
        for n in (1, 2, 5):
            end = CN.add_working_days(start, n).astimezone(calendar_module.LOCAL_TZ).date()
            assert CN.working_days_between(d, end) == n


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 2, 13), True),   # Friday before the Spring Festival
    (date(2026, 2, 14), True),   # Saturday made a working day
    (date(2026, 2, 16), False),  # Monday inside the Spring Festival
    (date(2026, 2, 24), True),   # Tuesday after it
    (date(2026, 3, 1), False),   # ordinary Sunday
], ids=str)
def test_is_working_day_follows_the_notice(day: date, working: bool) -> None:
    """Weekdays work unless on holiday; weekends rest unless made up."""
    assert CN.is_working_day(day) is working


@pytest.mark.parametrize(("n", "expected"), [
    (1, "2026-02-14T09:00+08:00"),  # Saturday make-up day
    (2, "2026-02-24T09:00+08:00"),  # over the nine days of 15-23 February
    (5, "2026-02-27T09:00+08:00"),
    (6, "2026-02-28T09:00+08:00"),  # Saturday make-up day
    (7, "2026-03-02T09:00+08:00"),  # Sunday 1 March rests
], ids=lambda v: str(v))
def test_spring_festival_2026(n: int, expected: str) -> None:
    """From Fri 2026-02-13 09:00 Beijing time, counting over the 2026 Spring Festival."""
    assert CN.add_working_days(at("2026-02-13T09:00" + BEIJING), n) == at(expected)


@pytest.mark.parametrize(("n", "expected"), [
    (1, "2025-01-26T17:30+08:00"),  # Sunday make-up day
    (2, "2025-01-27T17:30+08:00"),
    (3, "2025-02-05T17:30+08:00"),  # over 28 January to 4 February
    (6, "2025-02-08T17:30+08:00"),  # Saturday make-up day
    (7, "2025-02-10T17:30+08:00"),
], ids=lambda v: str(v))
def test_spring_festival_2025(n: int, expected: str) -> None:
    """From Fri 2025-01-24 17:30 Beijing time, counting over the 2025 Spring Festival."""
    assert CN.add_working_days(at("2025-01-24T17:30" + BEIJING), n) == at(expected)


def test_count_crosses_the_new_year_into_a_makeup_day() -> None:
    """One working day after Wed 2025-12-31 is Sun 2026-01-04, the New Year make-up day."""
    assert CN.add_working_days(at("2025-12-31T10:00+08:00"), 1) == at("2026-01-04T10:00+08:00")


def test_result_is_utc() -> None:
    """The result is a UTC datetime at the same Beijing time of day."""
    result = CN.add_working_days(at("2026-02-13T09:00+08:00"), 1)
    assert result.tzinfo is UTC and result == datetime(2026, 2, 14, 1, 0, tzinfo=UTC)


def test_days_are_counted_in_beijing_not_utc() -> None:
    """2026-02-13T20:00Z is Saturday 14 February in Beijing, so one day later is the 24th."""
    assert CN.add_working_days(at("2026-02-13T20:00+00:00"), 1) == at("2026-02-24T04:00+08:00")


def test_zero_working_days_is_the_start() -> None:
    """n = 0 gives back the start instant, even on a holiday."""
    start = at("2026-02-17T11:00+08:00")
    assert CN.add_working_days(start, 0) == start


def test_naive_start_is_refused() -> None:
    """A start without a time zone cannot be placed in Beijing and is refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        CN.add_working_days(datetime(2026, 2, 13, 9), 1)  # noqa: DTZ001


def test_negative_count_is_refused() -> None:
    """Adding a negative number of working days is refused."""
    with pytest.raises(ValueError, match="negative"):
        CN.add_working_days(at("2026-02-13T09:00+08:00"), -1)


def test_datetime_is_not_taken_for_a_date() -> None:
    """is_working_day wants a local date; a datetime is refused rather than truncated."""
    with pytest.raises(TypeError):
        CN.is_working_day(at("2026-02-13T20:00+00:00"))


def test_working_days_between_counts_after_the_first_date() -> None:
    """Between 13 and 27 February 2026 lie five working days: the 14th and 24th to 27th."""
    assert CN.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5


def test_working_days_between_is_negative_backwards() -> None:
    """Swapping the dates negates the count; equal dates give zero."""
    assert CN.working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == -5
    assert CN.working_days_between(date(2026, 2, 17), date(2026, 2, 17)) == 0


def test_covered_years_are_the_shipped_years() -> None:
    """covered_years lists the years of the loaded files in order."""
    assert CN.covered_years == tuple(sorted(shipped(p).year for p in SHIPPED_FILES))


def test_year_without_data_raises_calendar_missing() -> None:
    """A date in 2027 raises CalendarMissing naming the calendar and year in both languages."""
    with pytest.raises(CalendarMissing) as ei:
        CN.is_working_day(date(2027, 1, 4))
    err = ei.value
    assert (err.code, err.calendar, err.year) == ("calendar_missing", "cn", 2027)
    assert "'cn'" in err.en and "2027" in err.en and "definitions/calendars/cn-2027.yaml" in err.en
    assert "'cn'" in err.zh and "2027 年" in err.zh and "definitions/calendars/" in err.zh


def test_counting_into_a_missing_year_raises() -> None:
    """Counting past the last covered year is refused, not guessed."""
    with pytest.raises(CalendarMissing) as ei:
        CN.add_working_days(at("2026-12-30T09:00+08:00"), 2)
    assert ei.value.year == 2027


def test_missing_year_message_lists_the_covered_years() -> None:
    """The message says which years the calendar does cover."""
    err = CalendarMissing("cn", 2027, [2024, 2025, 2026])
    assert "it covers 2024 to 2026" in str(err) and "2024 至 2026 年" in err.localized("zh")


def test_unknown_calendar_covers_nothing() -> None:
    """A calendar id without files raises CalendarMissing for any date."""
    with pytest.raises(CalendarMissing) as ei:
        WorkingCalendar.from_loaded(load_calendars(), "hk").is_working_day(date(2026, 2, 13))
    assert "'hk'" in str(ei.value) and "covers none" in str(ei.value)


def test_provisional_year_is_flagged() -> None:
    """A provisional year is reported as such, an official one is not."""
    text = (SHIPPED_CALENDARS / "cn-2026.yaml").read_text(encoding="utf-8")
    draft = calendar_year_from_text(text.replace("status: official", "status: provisional"))
    cal = WorkingCalendar("cn", [draft, load_calendars()["cn"][2025]])
    assert cal.is_provisional(2026) and not cal.is_provisional(2025)
    assert cal.provisional_years == (2026,)


def test_years_of_another_calendar_are_refused() -> None:
    """A WorkingCalendar takes the years of its own calendar id only."""
    with pytest.raises(ValueError, match="belongs to calendar 'cn'"):
        WorkingCalendar("hk", load_calendars()["cn"].values())


def test_module_is_pure() -> None:
    """workflow.core.calendar imports only definitions, the core's local time and the
    standard library."""
    tree = ast.parse(Path(calendar_module.__file__).read_text(encoding="utf-8"))
    roots = {alias.name.split(".")[0] for node in ast.walk(tree)
             if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module
              and node.module != "workflow.core.localtime"}
    assert roots - {"__future__", "definitions"} <= set(sys.stdlib_module_names)
