"""A notice window counted in working days: the guard closes it when its timer fires,
on the same calendar, by hand as by the timer; a window no loaded calendar can
count is refused when the definitions are loaded (init, open, validate)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import SHIPPED_ORG, SHIPPED_PROCESSES, DefinitionInvalid
from workflow import Engine
from workflow.bootstrap import check_definition_file, init_database, open_engine
from workflow.errors import GuardFailed

#: Thursday before Qingming 2026 (holiday Sat 4 – Mon 6 Apr, cn-2026.yaml): three
#: working days on are Fri 3, Tue 7 and Wed 8 Apr; three calendar days, Sun 5 Apr
ENTERED = datetime.fromisoformat("2026-04-02T09:00+08:00")
CLOSES = datetime.fromisoformat("2026-04-08T09:00+08:00")
CALENDAR_DAYS_LATER = datetime.fromisoformat("2026-04-05T09:00+08:00")
WORKER = {"worker_name": "陈国强", "id_number": "331122195803120422", "employer": "青山纺织",
          "household_size": 3, "hardship_level": "deep", "hardship_reason": "重病",
          # under the union's 200 % income line, with a child in school: eligible
          "per_capita_monthly_income_fen": 120_000, "child_in_school": True}

runner = CliRunner()


def processes_with(tmp_path: Path, process: str, old: str, new: str) -> Path:
    """A copy of the shipped processes with one line of ``process`` changed."""
    folder = tmp_path / "defs" / "processes"
    shutil.copytree(SHIPPED_PROCESSES, folder)
    path = folder / f"{process}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


@pytest.fixture
def working_days(tmp_path: Path) -> Iterator[Engine]:
    """The hardship archive with its internal notice counted as 3 working days, a
    case in the notice since Thursday 2 Apr 2026 09:00."""
    folder = processes_with(tmp_path, "hardship_archive", "after: 5d", "after: 3 working days")
    db = str(tmp_path / "wd.db")
    init_database(db, org=SHIPPED_ORG, definitions=folder, simulated_start=ENTERED)
    engine = open_engine(db, definitions=folder)
    number = engine.submit("hardship_archive", "xie.hong", WORKER).case_number
    engine.fire(number, "pass_enterprise_review", "xie.hong", data={"review_note": "属实"})
    yield engine
    engine.store.close()  # type: ignore[attr-defined]


def test_working_day_notice_window_is_closed_by_its_timer(working_days: Engine) -> None:
    """The timer fires on Wed 8 Apr 09:00 and its close_notice passes the guard: the case
    leaves the notice for the district union's approval."""
    engine = working_days
    (timer,) = [t for t in engine.store.timers(engine.get_case("KN-000001").id)
                if t.spec_id == "notice_window"]
    assert timer.due_at == CLOSES
    fired = engine.set_clock(when=CLOSES)
    assert [(f.timer.spec_id, f.event.kind) for f in fired] == [("notice_window", "transition")]
    assert engine.get_case("KN-000001").state == "district_review"


def test_working_day_notice_window_closes_by_hand_on_its_last_day(working_days: Engine) -> None:
    """Staff may not close it on Sunday 5 Apr (three calendar days, but a holiday), are told
    the working-day end, and may close it by hand from Wed 8 Apr 09:00."""
    engine = working_days
    engine.set_clock(when=CALENDAR_DAYS_LATER, fire=False)
    opts = {o.trigger: o for o in engine.options("KN-000001", "xie.hong", lang="en")}
    assert not opts["close_notice"].allowed
    assert "2026-04-08 09:00" in opts["close_notice"].reasons[0]
    with pytest.raises(GuardFailed, match="2026-04-08 09:00"):
        engine.fire("KN-000001", "close_notice", "xie.hong")
    engine.set_clock(when=CLOSES, fire=False)
    opts = {o.trigger: o for o in engine.options("KN-000001", "xie.hong")}
    assert opts["close_notice"].allowed
    assert engine.fire("KN-000001", "close_notice", "xie.hong").state == "district_review"


def test_working_day_window_in_a_year_without_calendar_is_refused_at_load(
        tmp_path: Path) -> None:
    """The relief notice as 3 working days in the 2027 campaign, whose calendar 'cn' has no
    2027 data: init refuses (nothing created), naming file, line, key, year and the fix;
    `definitions validate` refuses the file in both languages."""
    folder = processes_with(tmp_path, "relief_application", "after: 3d",
                            "after: 3 working days")
    path = folder / "relief_application.yaml"
    line = next(i for i, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if "after: 3 working days" in row)
    db = tmp_path / "refused.db"
    with pytest.raises(DefinitionInvalid) as ei:
        init_database(str(db), org=SHIPPED_ORG, definitions=folder,
                      simulated_start=datetime.fromisoformat("2027-01-04T09:00+08:00"))
    assert not db.exists()
    [problem] = ei.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), line,
                                                          "states[2].timers[0].after")
    assert "'spring_festival_2027'" in problem.en and "2027" in problem.en
    assert "cn-2027.yaml" in problem.en and "cn-2027.yaml" in problem.zh
    wide = {"COLUMNS": "400"}
    en = runner.invoke(app, ["definitions", "validate", str(path), "--lang", "en"], env=wide)
    zh = runner.invoke(app, ["definitions", "validate", str(path)], env=wide)
    assert en.exit_code == zh.exit_code == 1
    assert f"relief_application.yaml:{line}" in en.output and "has no data for 2027" in en.output
    assert "没有 2027 年的数据" in zh.output


def test_working_day_window_without_its_calendar_is_refused_at_load(tmp_path: Path) -> None:
    """Beside a calendars folder without 'cn', a working-day window of a process run outside
    campaigns cannot be counted: refused at load, saying which calendar to add."""
    folder = processes_with(tmp_path, "hardship_archive", "after: 5d", "after: 3 working days")
    (folder.parent / "calendars").mkdir()
    with pytest.raises(DefinitionInvalid) as ei:
        check_definition_file(folder / "hardship_archive.yaml")
    [problem] = ei.value.problems
    assert problem.path == "states[2].timers[0].after"
    assert "calendar 'cn', which is not loaded" in problem.en
    assert "工作日历 'cn' 未加载" in problem.zh


def test_window_guard_naming_no_timer_is_refused_at_load(tmp_path: Path) -> None:
    """window_elapsed on a misspelt timer could never hold: refused with its key path."""
    folder = processes_with(tmp_path, "hardship_archive", "params: {timer: notice_window}",
                            "params: {timer: notice_windw}")
    with pytest.raises(DefinitionInvalid) as ei:
        check_definition_file(folder / "hardship_archive.yaml")
    [problem] = ei.value.problems
    assert problem.path.endswith(".params.timer") and problem.line is not None
    assert "'notice_windw'" in problem.en and "notice_window" in problem.en


def test_shipped_definitions_have_windows_their_calendars_count() -> None:
    """Every shipped process passes the load-time window check."""
    for path in sorted(SHIPPED_PROCESSES.glob("*.yaml")):
        check_definition_file(path)
