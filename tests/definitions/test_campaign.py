"""Campaign files: the shipped calendar, UTC instants, load-time checks and references."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from definitions import SHIPPED_PROCESSES, BangfuError, DefinitionInvalid, Problem, load_directory
from definitions.campaign import (
    SHIPPED_CAMPAIGNS,
    Campaign,
    UnknownDeadline,
    campaign_from_text,
    campaign_schema_text,
    load_campaign,
    load_campaigns,
)
from definitions.loader import load_yaml_file
from workflow.core.registry import REGISTRY

SHIPPED_FILES = sorted(SHIPPED_CAMPAIGNS.glob("*.yaml"))
SPRING = SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml"
SCHEMA = SHIPPED_CAMPAIGNS.parent / "campaign.schema.json"

#: a small campaign that the tests below break one way at a time
CAMPAIGN = """\
campaign: union_drive
labels: {zh: 区总工会送温暖, en: District union relief drive}
season: 2027年春节
processes: [relief_application]
case_prefix: DU27
phases:
  - id: planning
    labels: {zh: 研究部署, en: Planning}
    start: 2026-12-28
    end: 2027-01-08
  - id: survey
    labels: {zh: 摸底审核, en: Survey and review}
    start: 2027-01-05
    end: 2027-01-17
    overlap: true
  - id: notice
    labels: {zh: 公示上报, en: Notice and report}
    start: 2027-01-17
    end: 2027-01-19
deadlines:
  - id: materials
    labels: {zh: 材料报送, en: Materials due}
    date: 2026-12-30
    time: "17:30"
  - id: lists
    labels: {zh: 名单报送, en: Lists due}
    date: 2027-01-17
completion_target: {date: 2027-02-01}
"""


def edit(old: str, new: str, text: str = CAMPAIGN) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line(text: str, needle: str, nth: int = 1) -> int:
    return [i for i, row in enumerate(text.splitlines(), 1) if needle in row][nth - 1]


def problems(text: str) -> tuple[Problem, ...]:
    with pytest.raises(DefinitionInvalid) as ei:
        campaign_from_text(text, "c.yaml")
    return ei.value.problems


def only_problem(text: str) -> Problem:
    (problem,) = problems(text)
    assert problem.file == "c.yaml"
    return problem


@pytest.fixture(scope="module")
def spring() -> Campaign:
    return load_campaign(SPRING)


@pytest.fixture(scope="module")
def union() -> Campaign:
    return campaign_from_text(CAMPAIGN)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- the shipped campaign ---------------------------------------------------


def test_the_spring_festival_campaign_is_shipped() -> None:
    """The campaigns folder ships the Spring Festival 2027 campaign."""
    assert SPRING in SHIPPED_FILES


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_campaign_loads(path: Path) -> None:
    """Every shipped campaign loads, runs shipped processes only, and is named after its file."""
    processes = load_directory(SHIPPED_PROCESSES, known_guards=REGISTRY).processes()
    campaign = load_campaign(path, known_processes=processes)
    assert campaign.id == path.stem
    assert campaign.zone.key == "Asia/Shanghai"


def test_load_campaigns_reads_the_shipped_folder_by_default() -> None:
    """Without a folder, load_campaigns answers the shipped campaigns by id."""
    assert set(load_campaigns()) == {p.stem for p in SHIPPED_FILES}


def test_spring_campaign_runs_the_relief_process_under_cf27(spring: Campaign) -> None:
    """The Spring Festival campaign runs the township's relief and the union's visits,
    with case prefix CF27."""
    assert spring.spec.processes == ("relief_application", "union_visit")
    assert spring.spec.case_prefix == "CF27"
    assert spring.spec.calendar == "cn"


@pytest.mark.parametrize(("ref", "instant"), [
    ("deadline:lists_to_township", "2027-01-17T15:59:59.999999Z"),
    ("deadline:county_report", "2027-01-19T15:59:59.999999Z"),
    ("deadline:county_notice", "2027-01-21T15:59:59.999999Z"),
    ("phase:planning.start", "2027-01-03T16:00:00Z"),
    ("phase:survey_review.start", "2027-01-04T16:00:00Z"),
    ("phase:survey_review.end", "2027-01-17T15:59:59.999999Z"),
    ("phase:household_visits.start", "2027-01-24T16:00:00Z"),
    ("completion", "2027-02-01T15:59:59.999999Z"),
])
def test_domain_calendar_resolves_to_utc_instants(spring: Campaign, ref: str,
                                                  instant: str) -> None:
    """DOMAIN.md's dates are the start or end of the Beijing day, as aware UTC instants."""
    at = spring.resolve(ref)
    assert at == datetime.fromisoformat(instant)
    assert at.utcoffset() is not None and at.utcoffset() == datetime.fromisoformat(
        instant).utcoffset()


def test_a_date_without_time_is_the_end_of_that_local_day(spring: Campaign) -> None:
    """county_report on 19 Jan means 23:59:59.999999 Beijing time, returned in UTC."""
    at = spring.deadline("county_report")
    assert at == datetime.fromisoformat("2027-01-19T23:59:59.999999+08:00")
    assert at.tzinfo is UTC


def test_completion_is_the_end_of_1_february(spring: Campaign) -> None:
    """The completion target is the end of 1 Feb 2027 in Beijing."""
    assert spring.completion == utc("2027-02-01T23:59:59.999999+08:00")
    assert spring.start == utc("2027-01-04T00:00+08:00")


def test_phase_gives_its_days_and_instants(spring: Campaign) -> None:
    """phase() answers the spec's local days and the UTC instants around them."""
    visits = spring.phase("household_visits")
    assert (visits.spec.start, visits.spec.end) == (date(2027, 1, 25), date(2027, 2, 1))
    assert visits.start == utc("2027-01-25T00:00+08:00")
    assert visits.end == utc("2027-02-01T23:59:59.999999+08:00")


def test_a_time_of_day_is_kept(union: Campaign) -> None:
    """A deadline at 17:30 on 30 Dec 2026 (Beijing) is 09:30 UTC that day."""
    assert union.deadline("materials") == datetime.fromisoformat("2026-12-30T09:30Z")


def test_published_campaign_schema_is_current() -> None:
    """definitions/campaign.schema.json equals the schema generated from the models."""
    assert SCHEMA.read_text("utf-8") == campaign_schema_text()


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_campaign_validates_against_the_published_schema(path: Path) -> None:
    """Editors using campaign.schema.json accept every shipped campaign (dates as text)."""
    import jsonschema

    data, _, _ = load_yaml_file(path)
    jsonschema.validate(json.loads(json.dumps(data, default=str)),
                        json.loads(SCHEMA.read_text("utf-8")))


# -- load-time checks -------------------------------------------------------


def test_small_campaign_is_valid(union: Campaign) -> None:
    """The campaign the tests below break is valid, including phases sharing a boundary day."""
    assert union.phase("survey").spec.end == union.phase("notice").spec.start


def test_inverted_phase_is_refused() -> None:
    """A phase ending before it starts is named with path and line."""
    text = edit("start: 2027-01-17\n    end: 2027-01-19", "start: 2027-01-19\n    end: 2027-01-17")
    p = only_problem(text)
    assert (p.path, p.line) == ("phases[2].end", line(text, "end: 2027-01-17", 2))
    assert "ends (2027-01-17) before it starts (2027-01-19)" in p.en
    assert "结束日期" in p.zh


def test_overlap_without_the_flag_is_refused() -> None:
    """A phase starting before the one above ends needs 'overlap: true'."""
    text = edit("    overlap: true\n", "")
    p = only_problem(text)
    assert (p.path, p.line) == ("phases[1].start", line(text, "start: 2027-01-05"))
    assert "before phase 'planning' ends on 2027-01-08" in p.en and "overlap: true" in p.en
    assert "overlap: true" in p.zh


def test_overlap_is_checked_against_every_phase_above() -> None:
    """A phase overlapping an earlier, longer phase (not just the previous one) is refused."""
    text = edit("end: 2027-01-08", "end: 2027-01-31")
    p = only_problem(text)
    assert p.path == "phases[2].start" and "'planning' ends on 2027-01-31" in p.en


def test_phases_out_of_order_are_refused() -> None:
    """Phases must be listed in the order they start."""
    text = edit("start: 2027-01-17\n    end: 2027-01-19", "start: 2027-01-02\n    end: 2027-01-03")
    p = only_problem(text)
    assert (p.path, p.line) == ("phases[2].start", line(text, "start: 2027-01-02"))
    assert "order they start" in p.en and "排列" in p.zh


def test_unknown_timezone_suggests_one() -> None:
    """A misspelt time zone is refused with a 'did you mean'."""
    text = edit("season:", "timezone: Asia/Shangai\nseason:")
    p = only_problem(text)
    assert (p.path, p.line) == ("timezone", line(text, "timezone:"))
    assert "did you mean 'Asia/Shanghai'?" in p.en and "未知的时区" in p.zh


def test_bad_time_of_day_is_refused() -> None:
    """'25:00' is not a time of day."""
    text = edit('time: "17:30"', 'time: "25:00"')
    p = only_problem(text)
    assert (p.path, p.line) == ("deadlines[0].time", line(text, "25:00"))
    assert "'25:00' is not a time of day" in p.en


def test_unquoted_time_asks_for_quotes() -> None:
    """An unquoted 17:30 (a base-60 number to YAML) is refused with a hint to quote it."""
    text = edit('time: "17:30"', "time: 17:30")
    p = only_problem(text)
    assert (p.path, p.line) == ("deadlines[0].time", line(text, "time: 17:30"))
    assert "in quotes" in p.en and "1050" in p.en


def test_duplicate_phase_id_is_refused() -> None:
    """Two phases with one id are refused, pointing at the first."""
    text = edit("id: survey", "id: planning")
    p = only_problem(text)
    assert (p.path, p.line) == ("phases[1].id", line(text, "id: planning", 2))
    assert f"first at line {line(text, 'id: planning')}" in p.en and "重复" in p.zh


def test_duplicate_deadline_id_is_refused() -> None:
    """Two deadlines with one id are refused."""
    text = edit("id: lists", "id: materials")
    p = only_problem(text)
    assert (p.path, p.line) == ("deadlines[1].id", line(text, "id: materials", 2))


def test_deadline_after_the_completion_target_is_refused() -> None:
    """A deadline later than the completion target lies outside the campaign."""
    text = edit("date: 2027-01-17", "date: 2027-02-02")
    p = only_problem(text)
    assert (p.path, p.line) == ("deadlines[1].date", line(text, "date: 2027-02-02"))
    assert "outside the campaign" in p.en and "不在活动期间内" in p.zh


def test_deadline_before_the_first_phase_is_refused() -> None:
    """A deadline before the first phase starts lies outside the campaign."""
    p = only_problem(edit("date: 2026-12-30", "date: 2026-12-27"))
    assert p.path == "deadlines[0].date"


def test_deadline_later_on_the_completion_day_is_refused() -> None:
    """A date-only deadline (end of day) is after a completion target at noon that day."""
    text = edit("date: 2027-01-17", "date: 2027-02-01",
                edit("{date: 2027-02-01}", '{date: 2027-02-01, time: "12:00"}'))
    assert only_problem(text).path == "deadlines[1].date"


def test_completion_before_the_last_phase_starts_is_refused() -> None:
    """The completion target cannot come before the last phase starts."""
    text = edit("{date: 2027-02-01}", "{date: 2027-01-16}")
    by_path = {p.path: p for p in problems(text)}
    p = by_path["completion_target.date"]
    assert p.line == line(text, "completion_target")
    assert "before the last phase 'notice' starts" in p.en


def test_unknown_process_suggests_one() -> None:
    """With known processes given, an unknown one is refused with a 'did you mean'."""
    text = edit("[relief_application]", "[relief_aplication]")
    with pytest.raises(DefinitionInvalid) as ei:
        campaign_from_text(text, known_processes={"relief_application"})
    (p,) = ei.value.problems
    assert p.path == "processes[0]" and "did you mean 'relief_application'?" in p.en


def test_every_problem_is_reported_at_once() -> None:
    """An inverted phase, an unknown time zone and a duplicate id come back together."""
    text = edit("season:", "timezone: Mars/Olympus\nseason:",
                edit("id: lists", "id: materials", edit("end: 2027-01-19", "end: 2027-01-16")))
    with pytest.raises(DefinitionInvalid) as ei:
        campaign_from_text(text, "c.yaml")
    assert {p.path for p in ei.value.problems} == {"timezone", "deadlines[1].id",
                                                    "phases[2].end"}
    assert "3 problems" in str(ei.value) and "3 处错误" in ei.value.localized("zh")


def test_shape_problems_are_reported_together() -> None:
    """Problems of shape (a bad time, a missing key) are all reported in one go."""
    text = edit('time: "17:30"', 'time: "5pm"', edit("case_prefix: DU27\n", ""))
    assert {p.path for p in problems(text)} == {"deadlines[0].time", "case_prefix"}


def test_load_campaigns_reports_every_file(tmp_path: Path) -> None:
    """Problems of several files come back together, each with its file."""
    (tmp_path / "a.yaml").write_text(edit("    overlap: true\n", ""), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("campaign: [\n", encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as ei:
        load_campaigns(tmp_path)
    assert {Path(p.file or "").name for p in ei.value.problems} == {"a.yaml", "b.yaml"}


def test_two_files_may_not_share_a_campaign_id_or_case_prefix(tmp_path: Path) -> None:
    """A campaign id or case prefix used by two files is refused (case numbers would clash)."""
    (tmp_path / "a.yaml").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(CAMPAIGN, encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as ei:
        load_campaigns(tmp_path)
    assert {(p.path, Path(p.file or "").name) for p in ei.value.problems} == {
        ("campaign", "b.yaml"), ("case_prefix", "b.yaml")}


def test_load_campaigns_refuses_a_missing_folder(tmp_path: Path) -> None:
    """A folder that does not exist is an error, not an empty set of campaigns."""
    with pytest.raises(DefinitionInvalid, match="no such folder"):
        load_campaigns(tmp_path / "nowhere")


# -- references -------------------------------------------------------------


def test_unknown_reference_suggests_one(spring: Campaign) -> None:
    """resolve() of a misspelt deadline raises UnknownDeadline with a 'did you mean'."""
    with pytest.raises(UnknownDeadline) as ei:
        spring.resolve("deadline:county_reprot")
    assert isinstance(ei.value, BangfuError)
    assert ei.value.suggestion == "deadline:county_report"
    assert "did you mean 'deadline:county_report'?" in str(ei.value)
    assert "是否指 'deadline:county_report'" in ei.value.localized("zh")


def test_malformed_reference_explains_the_forms(spring: Campaign) -> None:
    """A reference in no known form is refused, listing the forms a reference takes."""
    with pytest.raises(UnknownDeadline) as ei:
        spring.resolve("next tuesday")
    assert "'phase:<id>.start'" in str(ei.value) and ei.value.suggestion is None


def test_phase_reference_needs_start_or_end(spring: Campaign) -> None:
    """'phase:<id>' without .start or .end is refused, suggesting one of them."""
    with pytest.raises(UnknownDeadline, match=r"did you mean 'phase:planning\.(start|end)'"):
        spring.resolve("phase:planning")


def test_unknown_phase_and_deadline_ids_are_refused(spring: Campaign) -> None:
    """phase() and deadline() refuse ids the campaign does not define."""
    with pytest.raises(UnknownDeadline, match="did you mean 'phase:survey_review'"):
        spring.phase("survey")
    with pytest.raises(UnknownDeadline, match="did you mean 'deadline:county_notice'"):
        spring.deadline("county_notise")


def test_check_references_reports_only_bad_refs(spring: Campaign) -> None:
    """check_references gives one problem per unknown ref, at the path it was given."""
    found = spring.check_references([
        ("states[2].timers[0].at", "deadline:county_report"),
        ("states[3].timers[0].at", "deadline:lists_to_town"),
        ("states[4].timers[1].at", "completion"),
        ("states[5].timers[0].at", "phase:household_visits.ends"),
    ])
    assert [p.path for p in found] == ["states[3].timers[0].at", "states[5].timers[0].at"]
    assert "did you mean 'deadline:lists_to_township'?" in found[0].en
    assert "是否指 'phase:household_visits.end'" in found[1].zh
