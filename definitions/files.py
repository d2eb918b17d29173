"""Which kind of Bangfu file a YAML file is, and checking it against its own
schema. Reads files through ``loader``; otherwise pure.

A file says what it is by its first key: ``process`` (a process definition),
``campaign``, ``org``, ``calendar`` (one year of a working-day calendar) or
``rules`` (the medical-aid rules or the income lines, told apart by their
keys). ``bangfu definitions validate`` checks each file it is given with the
loader of its kind, so a campaign is not judged as a process.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

from definitions.errors import DefinitionInvalid, Problem
from definitions.loader import Lines, load_yaml_file
from definitions.parse import parse_collecting

if TYPE_CHECKING:
    from definitions.campaign import Campaign

#: the first key of each kind of file, and what it is called
KINDS: Mapping[str, tuple[str, str]] = {
    "process": ("流程定义", "process definition"),
    "campaign": ("活动", "campaign"),
    "org": ("组织架构", "org"),
    "calendar": ("工作日历", "working-day calendar"),
    "rules": ("规则", "rules"),
}


@dataclass(frozen=True)
class FileCheck:
    """What checking one file found: its kind, an identity line when it is valid
    (``name`` and ``facts`` such as the version or the year), or its problems."""

    file: str
    kind: str | None
    name: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def kind_of(data: Any) -> str | None:
    """The kind a file's data declares by its keys, or None."""
    if not isinstance(data, Mapping):
        return None
    for key in data:
        if key in KINDS:
            return str(key)
    return None


def _not_a_kind(data: Any, source: str) -> Problem:
    keys = [str(k) for k in data] if isinstance(data, Mapping) else []
    close = next((c for k in keys for c in get_close_matches(k, list(KINDS), n=1)), None)
    hint_en = f"; did you mean '{close}'?" if close else ""
    hint_zh = f"；是否指 '{close}'？" if close else ""
    first_en = f" (its first key is '{keys[0]}')" if keys else ""
    first_zh = f"（此文件的首个键是 '{keys[0]}'）" if keys else ""
    return Problem("", "not a file this command checks" + first_en + ": the first key says "
                   "what a file is, one of " + ", ".join(KINDS) + hint_en,
                   "不是此命令可校验的文件" + first_zh + "：文件的首个键说明其类型，可为 "
                   + "、".join(KINDS) + hint_zh, 1, source)


def _campaign(data: Any, lines: Lines, source: str,
              known_processes: Collection[str] | None) -> Campaign:
    """A campaign checked in one pass: the checks after parsing run on what parsed,
    unless a part had to be set aside (their findings could follow from it)."""
    from definitions.campaign import CampaignSpec, check_campaign, compile_campaign

    spec, problems, aside = parse_collecting(CampaignSpec, data, lines, source)
    if spec is not None and not aside.parts:
        problems += check_campaign(spec, lines, source, known_processes)
    if problems or spec is None:
        raise DefinitionInvalid(problems, source)
    return compile_campaign(spec, source)


def check_file(path: str | Path, *, known_guards: Collection[str] | None = None,
               known_processes: Collection[str] | None = None,
               known_roles: Collection[str] | None = None) -> FileCheck:
    """Check one file against the schema and rules of its kind, reporting every
    problem at once (a repeated key with the rest)."""
    from definitions.calendars import build_calendar_year
    from definitions.compile import build_definition
    from definitions.org import build_org
    from definitions.standards import IncomeRules, MedicalAidRules, load_rules_data

    source = str(path)
    repeated: list[Problem] = []
    try:
        data, lines, _ = load_yaml_file(path, duplicates=repeated)
    except DefinitionInvalid as exc:
        return FileCheck(source, None, problems=tuple(exc.problems))
    kind = kind_of(data)
    if kind is None:
        return FileCheck(source, None, problems=(*repeated, _not_a_kind(data, source)))
    if kind == "process":
        try:
            d = build_definition(data, lines, source, known_guards, repeated)
        except DefinitionInvalid as exc:  # its problems include the repeated keys
            return FileCheck(source, kind, problems=tuple(exc.problems))
        return FileCheck(source, kind, d.process, {"version": d.version, "hash": d.content_hash})
    try:
        facts: dict[str, Any]
        if kind == "campaign":
            c = _campaign(data, lines, source, known_processes)
            name, facts = c.id, {"processes": list(c.spec.processes)}
        elif kind == "org":
            o = build_org(data, lines, source, known_roles)
            name, facts = str(data.get("org")), {"units": len(o.units), "users": len(o.users)}
        elif kind == "calendar":
            cal = build_calendar_year(data, lines, source)
            name, facts = cal.calendar, {"year": cal.year, "status": cal.status}
        else:
            rules = load_rules_data(data, lines, source)
            name = str(data.get("rules"))
            facts = {"of": "medical_aid" if isinstance(rules, MedicalAidRules) else
                     "income_lines" if isinstance(rules, IncomeRules) else "rules"}
    except DefinitionInvalid as exc:
        return FileCheck(source, kind, problems=(*repeated, *exc.problems))
    return FileCheck(source, kind, name, facts, tuple(repeated))
