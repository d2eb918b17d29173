"""Checking a row as the engine checks a submission: typed values, required
fields, ID numbers, enum values by id or label, the village and the
applicant's account. Pure: a row is a ``GoodRow`` or its ``RowError``s.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from typing import Any

from definitions.compile import CompiledDefinition
from definitions.org import Org, normalise_id_number
from workflow.core.data import check_data, coerce_text
from workflow.core.model import Actor
from workflow.core.pii import mask_text, mask_value
from workflow.errors import InvalidData
from workflow.importing.columns import Columns, norm
from workflow.importing.sheets import SheetRow
from workflow.rules.idcard import InvalidIdNumber, validate_id

#: short forms of enum values (value label prefixes people write)
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "category": {"重度": "severe", "重度困难": "severe", "中度": "moderate", "中度困难": "moderate",
                 "一般": "general", "一般困难": "general", "退伍军人": "veteran",
                 "优抚对象": "entitled_group", "三无": "three_withouts", "低保": "dibao",
                 "低保家庭": "dibao", "贫困户": "poor_household"},
}


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row was not imported; ``row`` as the spreadsheet numbers it."""

    row: int
    column: str
    header: str
    field: str
    value: str
    en: str
    zh: str

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "header": self.header,
                "field": self.field, "value": self.value,
                "reason": self.zh if lang.startswith("zh") else self.en}


@dataclass(frozen=True, slots=True)
class GoodRow:
    """A row that passed every check: what ``decide_submit`` is given for it."""

    row: int
    data: Mapping[str, Any]
    unit: str
    household: str | None
    applicant: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Checked:
    """A row checked: good or not, its errors, and its household if one was read."""

    row: int
    good: GoodRow | None
    errors: tuple[RowError, ...]
    household: str | None


def validate_id_number(text: str, today: date) -> str:
    """The normalised 18-character ID number; the one switch point for ID rules.

    Raises:
        InvalidIdNumber: length, characters, region, birth date or check digit.
    """
    return validate_id(text, today)


_SCIENTIFIC = re.compile(r"^[0-9.]+[eE]\+?[0-9]+$")
_DATE = re.compile(r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?$")


def _date_text(text: str) -> str:
    """'2027/1/17', '2027.1.17', '2027年1月17日', '20270117' → '2027-01-17';
    anything else is left for the date check to refuse."""
    t = unicodedata.normalize("NFKC", text).strip()
    if len(t) == 8 and t.isdigit():
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    if len(t) == 19 and t[10] in "T " and t.endswith("00:00:00"):
        t = t[:10]
    m = _DATE.match(t)
    if m is None:
        return text
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return text


class RowChecker:
    """Validates rows as the engine validates a submission: typed values
    through the definition, required fields, ID numbers, enum values by id or
    label, the village (by id or name) and the optional applicant account."""

    def __init__(self, defn: CompiledDefinition, org: Org, actor: Actor, columns: Columns,
                 today: date, optional: Collection[str] = ()) -> None:
        self.defn, self.org, self.actor, self.columns, self.today = defn, org, actor, columns, today
        self.specs = [(i, f, defn.spec.fields[f]) for i, f in sorted(columns.fields.items())]
        self.household_field = defn.spec.applicant_id_field
        #: left to ``decide_submit`` (it may fill them in): ``optional``
        self.required = [f for f in defn.spec.submit.required if f not in optional]
        self.values: dict[str, dict[str, str]] = {}
        for name, spec in defn.spec.fields.items():
            if spec.type == "enum":
                lookup: dict[str, str] = {}
                for v in spec.values:
                    lookup[norm(v)] = v
                    if v in spec.value_labels:
                        lookup.setdefault(norm(spec.value_labels[v].zh), v)
                        lookup.setdefault(norm(spec.value_labels[v].en), v)
                for alias, v in VALUE_ALIASES.get(name, {}).items():
                    if v in spec.values:
                        lookup.setdefault(norm(alias), v)
                self.values[name] = lookup
        leaves = [u for u in org.units if not org.children(u)]
        self.units: dict[str, list[str]] = {}
        for u in leaves:
            spec_u = org.units[u]
            for text in {u, spec_u.labels.zh, spec_u.labels.en}:
                self.units.setdefault(norm(text), []).append(u)
        # the actor's own villages first when a name is ambiguous
        for key, found in self.units.items():
            self.units[key] = sorted(set(found), key=lambda u: (
                not org.in_subtree(u, actor.unit), u))
        self.own_roles = [r for r in defn.spec.submit.roles if defn.spec.roles[r].scope == "own"]

    def error(self, row: SheetRow, index: int | None, fld: str, text: str, en: str,
              zh: str) -> RowError:
        """A row error at column ``index``, its value masked as the field's kind asks."""
        letter, header = self.columns.name(index)
        spec = self.defn.spec.fields.get(fld)
        kind = spec.pii if spec is not None else None
        shown = mask_value(kind, text) if kind in ("id_number", "phone") else mask_text(text)
        return RowError(row.number, letter, header, fld, shown, en, zh)

    def check(self, row: SheetRow) -> Checked:
        errors: list[RowError] = []
        raw: dict[str, str] = {}
        typed: dict[str, Any] = {}
        where: dict[str, tuple[int, str]] = {}
        household: str | None = None
        for i, name, spec in self.specs:
            text = row.cells[i]
            if not text:
                continue
            where[name] = (i, text)
            if spec.pii == "id_number":
                text = text.lstrip("'\u2019")  # typed to keep Excel from making it a number
                if i in row.numeric or _SCIENTIFIC.match(text):
                    errors.append(self.error(
                        row, i, name, text,
                        "is stored as a number, so Excel keeps only 15 digits of it; format the "
                        "column as text and type the ID number again",
                        "被存成了数字，Excel 只保留 15 位有效数字；请把该列设为文本格式后重新录入身份证号"))
                    continue
                try:
                    value = validate_id_number(text, self.today)
                except InvalidIdNumber as exc:
                    errors.append(self.error(row, i, name, text, exc.en, exc.zh))
                    continue
                typed[name] = value
                if name == self.household_field:
                    household = normalise_id_number(value)
            elif spec.type == "enum":
                found = self.values[name].get(norm(text))
                if found is None:
                    errors.append(self._enum_error(row, i, name, text))
                    continue
                typed[name] = found
            elif spec.type == "date":
                raw[name] = _date_text(text)
            else:
                raw[name] = text
        if raw:
            try:
                typed.update(coerce_text(self.defn, raw))
            except InvalidData:
                for name, text in raw.items():
                    try:
                        typed.update(coerce_text(self.defn, {name: text}))
                    except InvalidData as exc:
                        errors += [self.error(row, where[f][0], f, where[f][1], en, zh)
                                   for f, en, zh in exc.problems]
        try:
            check_data(self.defn, typed)
        except InvalidData as exc:
            for f, en, zh in exc.problems:
                typed.pop(f, None)
                errors.append(self.error(row, where[f][0], f, where[f][1], en, zh))
        failed = {e.field for e in errors}
        for name in self.required:
            if name not in typed and name not in failed:
                index = next((i for i, f in self.columns.fields.items() if f == name), None)
                errors.append(self.error(row, index, name, "", "is required but empty",
                                          "为必填项，不能为空"))
        unit = self._unit(row, errors)
        applicant = self._applicant(row, unit, errors)
        comment = row.cells[self.columns.comment] if self.columns.comment is not None else ""
        good = None if errors or unit is None else GoodRow(
            row.number, typed, unit, household, applicant, comment or None)
        return Checked(row.number, good, tuple(errors), household)

    def _enum_error(self, row: SheetRow, index: int, name: str, text: str) -> RowError:
        spec = self.defn.spec.fields[name]
        labels = {v: spec.value_labels[v] for v in spec.values if v in spec.value_labels}
        chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)
        shown = {v: (labels[v].zh if chinese else v) if v in labels else v for v in spec.values}
        close = get_close_matches(text.strip(), list(shown.values()), n=1, cutoff=0.5)
        hint_en = f"; did you mean '{close[0]}'?" if close else ""
        hint_zh = f"，是否指「{close[0]}」？" if close else ""
        zh_values = "、".join(labels[v].zh if v in labels else v for v in spec.values)
        return self.error(
            row, index, name, text,
            f"'{text}' is not a {spec.labels.en.lower()}{hint_en} "
            f"(allowed: {', '.join(spec.values)})",
            f"「{text}」不是有效的{spec.labels.zh}{hint_zh}（可填：{zh_values}）")

    def _unit(self, row: SheetRow, errors: list[RowError]) -> str | None:
        index = self.columns.unit
        text = row.cells[index] if index is not None else ""
        if not text:
            if self.org.children(self.actor.unit):
                errors.append(self.error(
                    row, index, "unit", "", "names no village or community",
                    "未填写所属村（社区）"))
                return None
            return self.actor.unit
        found = self.units.get(norm(text), [])
        if len(found) == 1 or (found and self.org.in_subtree(found[0], self.actor.unit)
                               and not any(self.org.in_subtree(u, self.actor.unit)
                                           for u in found[1:])):
            return found[0]
        if found:
            paths = [self.org.unit_path(u) for u in found]
            errors.append(self.error(
                row, index, "unit", text,
                f"'{text}' names several places ({'; '.join(self.org.unit_path(u, 'en') for u in found)}); "
                f"write the unit id ({', '.join(found)})",
                f"「{text}」对应多个村（社区）（{'；'.join(paths)}），请填写单位编号（{'、'.join(found)}）"))
            return None
        names = [self.org.units[u].labels.zh for us in self.units.values() for u in us]
        close = get_close_matches(text, sorted(set(names)) + sorted(self.org.units), n=1,
                                  cutoff=0.5)
        errors.append(self.error(
            row, index, "unit", text,
            f"'{text}' is no village or community of the org"
            + (f"; did you mean '{close[0]}'?" if close else ""),
            f"「{text}」不是已登记的村（社区）" + (f"，是否指「{close[0]}」？" if close else "")))
        return None

    def _applicant(self, row: SheetRow, unit: str | None, errors: list[RowError]) -> str | None:
        index = self.columns.applicant
        text = row.cells[index] if index is not None else ""
        if not text:
            return None
        user = self.org.users.get(text)
        if user is None or not set(user.roles) & set(self.own_roles):
            errors.append(self.error(
                row, index, "applicant", text, f"'{text}' is no applicant's user account",
                f"「{text}」不是申请人的用户账号"))
            return None
        if unit is not None and user.unit != unit:
            errors.append(self.error(
                row, index, "applicant", text,
                f"user '{text}' lives in '{self.org.unit_path(user.unit, 'en')}', not in "
                f"'{self.org.unit_path(unit, 'en')}'",
                f"用户「{text}」属于「{self.org.unit_path(user.unit)}」，不是「{self.org.unit_path(unit)}」"))
            return None
        return user.id

