"""Campaigns: a season's relief drive, read from ``campaigns/*.yaml``. Pure apart
from ``load_campaign``/``load_campaigns`` (which read through ``loader``).

A campaign names the processes it runs, the prefix of its case numbers, its
phases, its named deadlines and its completion target, all in local dates of
the campaign's time zone (Asia/Shanghai unless told otherwise). The compiled
``Campaign`` turns them into aware UTC instants, the only form the engine
stores. A date without a time of day means the *end* of that local day,
23:59:59.999999: "lists to the township by 17 Jan" is met by a list handed in
at 22:00 on the 17th. A phase runs from the start of its first local day to
the end of its last.

Process timers name these instants (``at: deadline:county_report``);
``Campaign.resolve`` answers such a reference and ``check_references`` checks
a process's references when it is loaded.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from definitions.budget import BudgetLineSpec, Yuan, check_budget
from definitions.checklist import DocumentsSpec, check_documents
from definitions.compile import SHIPPED
from definitions.errors import DefinitionError, DefinitionInvalid, Problem
from definitions.loader import Lines, dotted, line_of, load_yaml_file, load_yaml_text
from definitions.parse import parse_model
from definitions.schema import Identifier, Identifiers, Labels, _Frozen
from definitions.standards import StandardSpec, check_standards

SHIPPED_CAMPAIGNS = SHIPPED / "campaigns"
TIME_PATTERN = r"^(?:[01]?\d|2[0-3]):[0-5]\d$"
#: the forms a reference to the campaign calendar takes
REFERENCE_FORMS = "'deadline:<id>', 'phase:<id>.start', 'phase:<id>.end' or 'completion'"


def _time_of_day(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 17:30 as the base-60 number 1050.
        raise PydanticCustomError(
            "time_of_day", "write the time of day in quotes, as in '17:30' (unquoted, YAML "
            "reads 17:30 as the number 1050); got the number {value}", {"value": value})
    if isinstance(value, str) and not re.fullmatch(TIME_PATTERN, value):
        raise PydanticCustomError(
            "time_of_day", "'{value}' is not a time of day: write HH:MM, from 00:00 to 23:59",
            {"value": value})
    return value


TimeOfDay = Annotated[str, StringConstraints(pattern=TIME_PATTERN), BeforeValidator(_time_of_day)]


class PhaseSpec(_Frozen):
    """A phase, from its first to its last local day, both included.

    Phases are listed in the order they start and may share a boundary day.
    ``overlap: true`` lets a phase start before the phases above it have ended
    (villages survey while the plan is still being briefed).
    """

    id: Identifier
    labels: Labels
    start: dt.date
    end: dt.date
    overlap: bool = False


class TargetSpec(_Frozen):
    """A local date with a time of day ("HH:MM"); without one, the end of that day."""

    date: dt.date
    time: TimeOfDay | None = None


class OfficeHoursSpec(_Frozen):
    """When people are told: a reminder due outside ``start``–``end`` local time
    goes out at ``send_at`` that day instead (a reminder two days before an
    end-of-day deadline would otherwise arrive at midnight)."""

    start: TimeOfDay = "08:00"
    end: TimeOfDay = "18:00"
    send_at: TimeOfDay = "09:00"

    @property
    def times(self) -> tuple[dt.time, dt.time, dt.time]:
        return _clock(self.start), _clock(self.end), _clock(self.send_at)


class ObjectionContactSpec(_Frozen):
    """Where and how the public objects to a notice: printed at its end, as given.

    ``phone`` is the office's published number and is shown in full (the
    applicants' ID and phone numbers never are)."""

    office: Labels
    phone: str = Field(pattern=r"^[0-9][0-9 ()+\-]{4,30}[0-9]$")
    address: Labels
    #: how to object (by phone, in person, in writing); a default sentence when not given
    how: Labels | None = None


class NoticeSpec(_Frozen):
    """The campaign's public notices: how names are shown and whom to object to.

    ``names``: ``full`` (the default: neighbours must know who is proposed, or
    they cannot object) or ``masked`` (the middle character hidden, 李*兰), as
    some places choose. ID and phone numbers are masked whatever this says."""

    names: Literal["full", "masked"] = "full"
    objections: ObjectionContactSpec | None = None


class DeadlineSpec(_Frozen):
    """A named deadline: a local date with a time of day; without one, the end of that day."""

    id: Identifier
    labels: Labels
    date: dt.date
    time: TimeOfDay | None = None


class CampaignSpec(_Frozen):
    """A whole campaign: the root of a ``campaigns/*.yaml`` file.

    ``calendar`` names the working-day calendar that counts working-day
    durations; ``case_prefix`` starts the case numbers staff read out
    (``CF27-000123``).
    """

    campaign: Identifier
    labels: Labels
    season: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    calendar: Identifier = "cn"
    processes: Identifiers = Field(min_length=1)
    case_prefix: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    phases: tuple[PhaseSpec, ...] = Field(min_length=1)
    deadlines: tuple[DeadlineSpec, ...] = ()
    completion_target: TargetSpec
    #: public notices: the name policy and the objection contact (``NoticeSpec``)
    notice: NoticeSpec = Field(default_factory=NoticeSpec)
    #: relief standard by case category (e.g. severe: 4000 per household), see
    #: ``definitions.standards``; checked by ``check_standards`` when loaded
    standards: dict[Identifier, StandardSpec] = Field(default_factory=dict)
    #: the budget lines (``definitions.budget``), each as the plan states it
    budget: tuple[BudgetLineSpec, ...] = ()
    #: the plan's total as it states it; the lines not marked ``ours`` must add up to it
    budget_total: Yuan | None = None
    #: the line that books the payments of every category no line lists; without
    #: one, each category with a standard must be listed by a line
    budget_unlisted: Identifier | None = None
    #: the papers an application needs, by category, and the receipt window
    #: (``definitions.checklist``)
    documents: DocumentsSpec | None = None
    office_hours: OfficeHoursSpec = Field(default_factory=OfficeHoursSpec)


class UnknownDeadline(DefinitionError):
    """A reference to the campaign calendar that the campaign does not define."""

    code = "unknown_deadline"

    def __init__(self, campaign: str, ref: str, known: Collection[str] = ()) -> None:
        self.campaign, self.ref = campaign, ref
        close = get_close_matches(ref, list(known), n=1)
        self.suggestion = close[0] if close else None
        hint_en = (f"; did you mean '{close[0]}'?" if close
                   else f"; a reference is {REFERENCE_FORMS}")
        hint_zh = (f"；是否指 '{close[0]}'？" if close
                   else f"；引用的写法为 {REFERENCE_FORMS.replace(' or ', ' 或 ')}")
        super().__init__(f"Campaign '{campaign}' has no '{ref}'{hint_en}",
                         f"活动 '{campaign}' 中没有 '{ref}'{hint_zh}")


def _clock(time: str | None) -> dt.time:
    if time is None:
        return dt.time.max
    hour, minute = time.split(":")
    return dt.time(int(hour), int(minute))


def _instant(day: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)


def _shown(day: dt.date, time: str | None) -> str:
    return f"{day} {time}" if time else str(day)


@dataclass(frozen=True)
class Phase:
    """A compiled phase: UTC instants of the start of its first and the end of its last day."""

    spec: PhaseSpec
    start: dt.datetime
    end: dt.datetime

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class Campaign:
    """A checked campaign with its calendar as aware UTC instants."""

    spec: CampaignSpec
    zone: ZoneInfo
    phases: Mapping[str, Phase]
    deadlines: Mapping[str, dt.datetime]
    completion: dt.datetime
    source: str | None = None
    #: every reference ``resolve`` answers, in calendar order of the file
    instants: Mapping[str, dt.datetime] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.campaign

    @property
    def office_hours(self) -> OfficeHoursSpec:
        return self.spec.office_hours

    @property
    def start(self) -> dt.datetime:
        """The start of the first local day of the first phase."""
        return min(p.start for p in self.phases.values())

    def references(self) -> tuple[str, ...]:
        return tuple(self.instants)

    def phase(self, phase_id: str) -> Phase:
        """The phase of that id.

        Raises:
            UnknownDeadline: no phase of that id (with "did you mean").
        """
        if phase_id not in self.phases:
            raise UnknownDeadline(self.id, f"phase:{phase_id}",
                                  [f"phase:{p}" for p in self.phases])
        return self.phases[phase_id]

    def deadline(self, deadline_id: str) -> dt.datetime:
        """The UTC instant of the deadline of that id.

        Raises:
            UnknownDeadline: no deadline of that id (with "did you mean").
        """
        return self.resolve(f"deadline:{deadline_id}")

    def resolve(self, ref: str) -> dt.datetime:
        """The UTC instant of ``deadline:<id>``, ``phase:<id>.start|.end`` or ``completion``.

        Raises:
            UnknownDeadline: the campaign defines no such reference (with "did you mean").
        """
        if ref not in self.instants:
            raise UnknownDeadline(self.id, ref, self.instants)
        return self.instants[ref]

    def check_references(self, refs: Iterable[tuple[str, str]]) -> list[Problem]:
        """A Problem for each (path, ref) pair whose ref ``resolve`` would refuse.

        The problems carry the given path only; the caller knows the file and
        line and sets them (``dataclasses.replace``).
        """
        out: list[Problem] = []
        for path, ref in refs:
            if ref not in self.instants:
                err = UnknownDeadline(self.id, ref, self.instants)
                out.append(Problem(path, str(err), err.localized("zh")))
        return out


def check_campaign(spec: CampaignSpec, lines: Lines | None = None, source: str | None = None,
                   known_processes: Collection[str] | None = None) -> list[Problem]:
    """Every problem of a parsed campaign that its models alone cannot see."""
    lines = lines or {}
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], en: str, zh: str) -> None:
        problems.append(Problem(dotted(path), en, zh, line_of(lines, path), source))

    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        close = get_close_matches(spec.timezone, sorted(available_timezones()), n=1)
        add(("timezone",), f"unknown time zone '{spec.timezone}'"
            + (f"; did you mean '{close[0]}'?" if close else ""),
            f"未知的时区 '{spec.timezone}'" + (f"；是否指 '{close[0]}'？" if close else ""))
    if known_processes is not None:
        for i, proc in enumerate(spec.processes):
            if proc not in known_processes:
                close = get_close_matches(proc, list(known_processes), n=1)
                add(("processes", i), f"unknown process '{proc}'"
                    + (f"; did you mean '{close[0]}'?" if close else ""),
                    f"未知的流程 '{proc}'" + (f"；是否指 '{close[0]}'？" if close else ""))
    _duplicates([p.id for p in spec.phases], "phases", ("phase", "阶段"), lines, add)
    _duplicates([d.id for d in spec.deadlines], "deadlines", ("deadline", "截止时间"), lines, add)
    _check_phases(spec.phases, add)
    problems.extend(check_standards(spec.standards, lines, source))
    problems.extend(check_documents(spec.documents, spec.standards, lines, source))
    check_budget(spec.budget, spec.budget_total, spec.budget_unlisted, spec.standards, add)
    opens, closes, send_at = spec.office_hours.times
    if not opens <= send_at < closes:
        add(("office_hours",), f"office hours must run forward and include send_at "
            f"({spec.office_hours.start}–{spec.office_hours.end}, send_at "
            f"{spec.office_hours.send_at})",
            f"办公时间须先开始后结束，且包含发送时间（{spec.office_hours.start}–"
            f"{spec.office_hours.end}，发送时间 {spec.office_hours.send_at}）")

    first = min(spec.phases, key=lambda p: p.start)
    last = max(spec.phases, key=lambda p: p.start)
    target = spec.completion_target
    if target.date < last.start:
        add(("completion_target", "date"),
            f"the completion target {target.date} is before the last phase '{last.id}' "
            f"starts ({last.start})",
            f"完成时限 {target.date} 早于最后一个阶段 '{last.id}' 的开始日期（{last.start}）")
    end = (target.date, _clock(target.time))
    for i, d in enumerate(spec.deadlines):
        if d.date < first.start or (d.date, _clock(d.time)) > end:
            add(("deadlines", i, "date"),
                f"deadline '{d.id}' ({_shown(d.date, d.time)}) lies outside the campaign, "
                f"which runs from {first.start} to its completion target "
                f"{_shown(target.date, target.time)}",
                f"截止时间 '{d.id}'（{_shown(d.date, d.time)}）不在活动期间内"
                f"（{first.start} 至完成时限 {_shown(target.date, target.time)}）")
    return problems


_Add = Callable[[tuple[str | int, ...], str, str], None]


def _duplicates(ids: Sequence[str], key: str, what: tuple[str, str], lines: Lines,
                add: _Add) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(ids):
        if item in seen:
            first = line_of(lines, (key, seen[item], "id"))
            add((key, i, "id"), f"duplicate {what[0]} id '{item}' (first at line {first})",
                f"重复的{what[1]} id '{item}'（首次出现在第 {first} 行）")
        else:
            seen[item] = i


def _check_phases(phases: Sequence[PhaseSpec], add: _Add) -> None:
    """Inverted phases, phases out of order, and overlaps not declared with ``overlap``."""
    latest: PhaseSpec | None = None  # the phase above with the latest end
    for i, p in enumerate(phases):
        if p.end < p.start:
            add(("phases", i, "end"), f"phase '{p.id}' ends ({p.end}) before it starts ({p.start})",
                f"阶段 '{p.id}' 的结束日期（{p.end}）早于开始日期（{p.start}）")
        prev = phases[i - 1] if i else None
        if prev is not None and p.start < prev.start:
            add(("phases", i, "start"),
                f"phase '{p.id}' starts ({p.start}) before the phase above it, '{prev.id}' "
                f"({prev.start}); list the phases in the order they start",
                f"阶段 '{p.id}' 的开始日期（{p.start}）早于上一个阶段 '{prev.id}'"
                f"（{prev.start}）；请按开始日期的先后排列各阶段")
        elif latest is not None and p.start < latest.end and not p.overlap:
            add(("phases", i, "start"),
                f"phase '{p.id}' starts on {p.start}, before phase '{latest.id}' ends on "
                f"{latest.end}; start it on {latest.end} or later, or mark it 'overlap: true'",
                f"阶段 '{p.id}' 于 {p.start} 开始，早于阶段 '{latest.id}' 的结束日期"
                f"（{latest.end}）；请改为 {latest.end} 或之后开始，或注明 'overlap: true'")
        if p.end >= p.start and (latest is None or p.end > latest.end):
            latest = p


def compile_campaign(spec: CampaignSpec, source: str | None = None) -> Campaign:
    """Turn a checked campaign's local dates into UTC instants."""
    zone = ZoneInfo(spec.timezone)
    phases = {p.id: Phase(p, _instant(p.start, dt.time.min, zone),
                          _instant(p.end, dt.time.max, zone)) for p in spec.phases}
    deadlines = {d.id: _instant(d.date, _clock(d.time), zone) for d in spec.deadlines}
    completion = _instant(spec.completion_target.date, _clock(spec.completion_target.time), zone)
    instants: dict[str, dt.datetime] = {}
    for p in phases.values():
        instants[f"phase:{p.id}.start"] = p.start
        instants[f"phase:{p.id}.end"] = p.end
    instants.update({f"deadline:{d}": at for d, at in deadlines.items()})
    instants["completion"] = completion
    return Campaign(spec, zone, phases, deadlines, completion, source, instants)


def build_campaign(data: Any, lines: Lines | None = None, source: str | None = None,
                   known_processes: Collection[str] | None = None) -> Campaign:
    """Parse, check and compile plain data.

    Raises:
        DefinitionInvalid: listing every problem with path and line.
    """
    lines = lines or {}
    spec = parse_model(CampaignSpec, data, lines, source)
    problems = check_campaign(spec, lines, source, known_processes)
    if problems:
        raise DefinitionInvalid(problems, source)
    return compile_campaign(spec, source)


def load_campaign(path: str | Path, known_processes: Collection[str] | None = None) -> Campaign:
    """Read, parse, check and compile one campaign file."""
    data, lines, _ = load_yaml_file(path)
    return build_campaign(data, lines, str(path), known_processes)


def campaign_from_text(text: str, source: str = "<campaign>",
                       known_processes: Collection[str] | None = None) -> Campaign:
    data, lines = load_yaml_text(text, source)
    return build_campaign(data, lines, source, known_processes)


def load_campaigns(directory: str | Path | None = None,
                   known_processes: Collection[str] | None = None) -> dict[str, Campaign]:
    """Every ``*.yaml`` of a campaigns folder (the shipped one by default), by campaign id.

    Raises:
        DefinitionInvalid: all problems of all files at once, including two
            files with the same campaign id or the same case prefix.
    """
    folder = SHIPPED_CAMPAIGNS if directory is None else Path(directory)
    if not folder.is_dir():
        raise DefinitionInvalid([Problem("", "no such folder", "找不到该文件夹", None,
                                         str(folder))], str(folder))
    problems: list[Problem] = []
    loaded: dict[str, Campaign] = {}
    prefixes: dict[str, Campaign] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data, lines, _ = load_yaml_file(path)
            c = build_campaign(data, lines, str(path), known_processes)
        except DefinitionInvalid as exc:
            problems.extend(exc.problems)
            continue
        for key, seen, value in (("campaign", loaded, c.id),
                                 ("case_prefix", prefixes, c.spec.case_prefix)):
            other = seen.get(value)
            if other is not None:
                problems.append(Problem(
                    key, f"{key} '{value}' is also used by {other.source}",
                    f"{key} '{value}' 已在 {other.source} 中使用", line_of(lines, (key,)),
                    str(path)))
            seen[value] = c
    if problems:
        raise DefinitionInvalid(problems, str(folder))
    return loaded


def campaign_schema_text() -> str:
    """The JSON Schema of campaign files, as shipped in ``campaign.schema.json``."""
    schema = CampaignSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bangfu campaign"
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
