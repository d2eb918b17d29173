"""Calendar data files: the shipped years, their agreement with public data, and the
located problems of bad files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import holidays
import pytest
from chinese_calendar import constants

from definitions.calendars import (
    SHIPPED_CALENDARS,
    CalendarYear,
    calendar_year_from_text,
    load_calendars,
)
from definitions.errors import DefinitionInvalid

SHIPPED_FILES = sorted(SHIPPED_CALENDARS.glob("*.yaml"))

GOOD = """\
calendar: cn
year: 2026
status: official
source: 国务院办公厅关于2026年部分节假日安排的通知
holidays:
  - {name: {zh: 春节, en: Spring Festival}, from: 2026-02-15, to: 2026-02-23}
  - {name: {zh: 劳动节, en: Labour Day}, from: 2026-05-01, to: 2026-05-05}
makeup_workdays: [2026-02-14, 2026-02-28]
"""


def shipped(path: Path) -> CalendarYear:
    return calendar_year_from_text(path.read_text(encoding="utf-8"), str(path))


def problems(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(DefinitionInvalid) as ei:
        calendar_year_from_text(text, "cal.yaml")
    return [(p.path, p.line, p.en) for p in ei.value.problems]


def test_shipped_years_run_without_gaps_to_2026() -> None:
    """The cn calendar ships consecutive years, the last being 2026."""
    years = list(load_calendars()["cn"])
    assert years == list(range(years[0], 2027))


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_file_is_named_after_its_calendar_and_year(path: Path) -> None:
    """Each shipped file parses, checks, and is named <calendar>-<year>.yaml."""
    cal = shipped(path)
    assert path.name == f"{cal.calendar}-{cal.year}.yaml"


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_file_is_official_and_cites_its_notice(path: Path) -> None:
    """Each shipped year is official and names the State Council notice it transcribes."""
    cal = shipped(path)
    assert cal.status == "official" and not cal.provisional
    assert f"国务院办公厅关于{cal.year}年部分节假日安排的通知" in cal.source
    assert f"国办发明电〔{cal.year - 1}〕" in cal.source


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_days_off_match_chinesecalendar(path: Path) -> None:
    """The weekdays off and the make-up days are exactly those of chinesecalendar."""
    cal = shipped(path)
    weekdays_off = {d for d in cal.holiday_dates() if d.weekday() < 5}
    assert weekdays_off == {d for d in constants.holidays
                            if d.year == cal.year and d.weekday() < 5}
    assert set(cal.makeup_workdays) == {d for d in constants.workdays if d.year == cal.year}


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_days_off_match_holidays_package(path: Path) -> None:
    """The weekdays off and the make-up days are exactly those of holidays.China."""
    cal = shipped(path)
    china = holidays.China(years=cal.year)
    weekdays_off = {d for d in cal.holiday_dates() if d.weekday() < 5}
    assert weekdays_off == {d for d in china if d.year == cal.year and d.weekday() < 5}
    assert set(cal.makeup_workdays) == {d for d in china.weekend_workdays if d.year == cal.year}


def test_a_good_file_parses() -> None:
    """A well-formed year gives its holidays, make-up days and status."""
    cal = calendar_year_from_text(GOOD)
    assert (cal.calendar, cal.year, cal.provisional) == ("cn", 2026, False)
    assert cal.holidays[0].name.zh == "春节"
    assert (cal.holidays[0].start, cal.holidays[0].end) == (date(2026, 2, 15), date(2026, 2, 23))
    assert date(2026, 2, 20) in cal.holiday_dates() and len(cal.holiday_dates()) == 14


def test_provisional_status_is_exposed() -> None:
    """status: provisional sets the provisional flag callers warn about."""
    cal = calendar_year_from_text(GOOD.replace("status: official", "status: provisional"))
    assert cal.provisional


def test_unknown_status_is_refused_with_its_line() -> None:
    """A status other than official or provisional is refused at its line."""
    assert problems(GOOD.replace("status: official", "status: draft"))[0][:2] == ("status", 3)


def test_missing_key_is_reported() -> None:
    """A file without source is refused, naming the key."""
    found = problems(GOOD.replace("source: 国务院办公厅关于2026年部分节假日安排的通知\n", ""))
    assert found == [("source", 1, "missing required key 'source'")]


def test_date_outside_the_year_names_path_and_line() -> None:
    """A holiday starting in another year is refused at holidays[1].from, line 7."""
    found = problems(GOOD.replace("from: 2026-05-01", "from: 2025-05-01"))
    assert found == [("holidays[1].from", 7, "date 2025-05-01 is not in 2026")]


def test_holiday_ending_before_it_starts_is_refused() -> None:
    """A block whose to is before its from is refused at its to."""
    found = problems(GOOD.replace("to: 2026-05-05", "to: 2026-04-28"))
    assert found == [("holidays[1].to", 7,
                      "the holiday ends (2026-04-28) before it starts (2026-05-01)")]


def test_overlapping_holidays_are_refused() -> None:
    """Two blocks sharing a date are refused at the later one."""
    found = problems(GOOD.replace("from: 2026-05-01, to: 2026-05-05",
                                  "from: 2026-02-23, to: 2026-02-24"))
    assert [(p, line) for p, line, _ in found] == [("holidays[1].from", 7)]
    assert "overlaps holiday 'Spring Festival'" in found[0][2]


def test_makeup_day_on_a_weekday_is_refused() -> None:
    """A make-up working day must be a Saturday or Sunday."""
    found = problems(GOOD.replace("2026-02-28]", "2026-02-27]"))
    assert found == [("makeup_workdays[1]", 8, "2026-02-27 is a Friday; only a Saturday or "
                      "Sunday can be a make-up working day")]


def test_makeup_day_inside_a_holiday_is_refused() -> None:
    """A date cannot be both a holiday and a make-up working day."""
    found = problems(GOOD.replace("2026-02-28]", "2026-02-21]"))
    assert found == [("makeup_workdays[1]", 8, "2026-02-21 is both a make-up working day "
                      "and inside holiday 'Spring Festival'")]


def test_makeup_day_listed_twice_is_refused() -> None:
    """The same make-up day twice is reported."""
    found = problems(GOOD.replace("2026-02-28]", "2026-02-14]"))
    assert found == [("makeup_workdays[1]", 8, "2026-02-14 is listed twice")]


def test_every_problem_is_reported_at_once() -> None:
    """Two independent mistakes give two problems, both in English and Chinese."""
    bad = GOOD.replace("to: 2026-02-23", "to: 2027-02-23").replace("2026-02-28]", "2026-03-02]")
    with pytest.raises(DefinitionInvalid) as ei:
        calendar_year_from_text(bad, "cal.yaml")
    assert [p.path for p in ei.value.problems] == ["holidays[0].to", "makeup_workdays[1]"]
    assert "不在 2026 年内" in ei.value.localized("zh") and "星期一" in ei.value.localized("zh")


def test_date_in_another_format_is_refused() -> None:
    """A date not written YYYY-MM-DD is refused at its line, in both languages."""
    with pytest.raises(DefinitionInvalid) as ei:
        calendar_year_from_text(GOOD.replace("to: 2026-05-05", "to: 2026-5-5"), "cal.yaml")
    (p,) = ei.value.problems
    assert (p.path, p.line) == ("holidays[1].to", 7)
    assert "YYYY-MM-DD" in p.en and "取值无效" in p.zh


def test_impossible_date_names_its_line() -> None:
    """An impossible date such as 2026-02-30 is refused at its line, not with a crash."""
    found = problems(GOOD.replace("2026-02-28]", "2026-02-30]"))
    assert [(line, msg.split(" (")[0]) for _, line, msg in found] == [
        (8, "invalid value: '2026-02-30' is not a valid date")]


def write(folder: Path, name: str, text: str = GOOD) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_calendars_defaults_to_the_shipped_folder() -> None:
    """Without a folder, the shipped calendars are loaded, by id and year."""
    loaded = load_calendars()
    assert set(loaded) == {"cn"}
    assert loaded["cn"][2026].holidays[1].name.en == "Spring Festival"


def test_load_calendars_reads_a_deployment_folder(tmp_path: Path) -> None:
    """A deployment folder is loaded the same way."""
    write(tmp_path, "cn-2026.yaml")
    assert list(load_calendars(tmp_path)["cn"]) == [2026]


def test_duplicate_year_names_both_files_and_lines(tmp_path: Path) -> None:
    """One calendar year in two files is refused at the second file's year line."""
    first = write(tmp_path, "cn-2026.yaml")
    second = write(tmp_path, "cn-2026b.yaml")
    with pytest.raises(DefinitionInvalid) as ei:
        load_calendars(tmp_path)
    dup = [p for p in ei.value.problems if "already defined" in p.en]
    assert [(p.file, p.path, p.line) for p in dup] == [(str(second), "year", 2)]
    assert f"{first}:2" in dup[0].en and f"{first}:2" in dup[0].zh


def test_misnamed_file_is_refused(tmp_path: Path) -> None:
    """A file must be named after the calendar and year it declares."""
    path = write(tmp_path, "cn-2025.yaml")
    with pytest.raises(DefinitionInvalid) as ei:
        load_calendars(tmp_path)
    (p,) = ei.value.problems
    assert (p.file, p.path, p.line) == (str(path), "year", 2)
    assert "must be named 'cn-2026.yaml'" in p.en


def test_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    """A folder with two bad files reports both, each with its file and line."""
    a = write(tmp_path, "cn-2025.yaml", GOOD.replace("2026", "2025").replace("status: official",
                                                                              "status: draft"))
    b = write(tmp_path, "cn-2026.yaml", GOOD.replace("2026-02-28]", "2026-02-30]"))
    with pytest.raises(DefinitionInvalid) as ei:
        load_calendars(tmp_path)
    assert [(p.file, p.line) for p in ei.value.problems] == [(str(a), 3), (str(b), 8)]


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    """A calendar folder that does not exist is an error, not an empty calendar."""
    with pytest.raises(DefinitionInvalid) as ei:
        load_calendars(tmp_path / "nope")
    assert "no such calendar folder" in str(ei.value)
