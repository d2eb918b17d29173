"""Header recognition and column mapping: which column of a sheet holds which
field of the definition, by field id, Chinese or English label, or an alias
villages use. Pure.

Headers compare after NFKC (full-width to ASCII), without blanks, '*' and
'_', case-insensitively, and with or without a trailing note in brackets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from definitions.compile import CompiledDefinition
from workflow.importing.errors import BulkImportError
from workflow.importing.sheets import HeaderTest

# Besides a field's id and its Chinese and English labels, the names villages
# write in their own sheets.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "applicant_name": ("姓名", "户主姓名", "申请人", "户主", "name", "applicant"),
    "id_number": ("身份证号码", "身份证", "公民身份号码", "身份证号（18位）", "证件号码",
                  "id", "idcard", "idno"),
    "phone": ("联系电话", "手机", "手机号", "手机号码", "电话", "联系方式", "mobile", "tel",
              "telephone"),
    "household_size": ("家庭人口数", "家庭人数", "人口数", "户人口", "家庭成员数", "familysize",
                       "householdmembers"),
    "category": ("困难类别", "困难类型", "类别", "救助类别", "帮扶类别", "type"),
    "hardship_reason": ("困难原因", "致困原因", "主要困难", "reason"),
    "self_paid_medical_fen": ("自付医疗费", "自付医疗费用", "医疗费用", "本年自付医疗费",
                              "本年自付医疗费用（元）", "medicalcosts", "selfpaidmedical"),
    "documents": ("材料", "证明材料", "申报材料", "材料清单", "papers", "attachments"),
}
#: the village or community a row's household lives in: 村/社区
UNIT_HEADERS = ("unit", "village", "community", "村", "社区", "村（社区）", "村/社区", "村社区",
                "所属村", "所属村（社区）", "所属社区", "村名", "村（居）", "村居")
#: the applicant's own user account, when they have one (links the case to them)
APPLICANT_HEADERS = ("applicant_user", "applicantuser", "申请人账号", "申请人用户名", "账号")
#: a remark, kept as the submission's comment
COMMENT_HEADERS = ("comment", "remark", "remarks", "note", "备注", "说明")
#: columns every sheet has and nobody needs imported
IGNORED_HEADERS = ("序号", "no", "no.", "#", "编号")


def norm(text: str) -> str:
    """A header (or a value, a unit name) as it is compared."""
    return re.sub(r"[\s*_]+", "", unicodedata.normalize("NFKC", text)).lower()


def _unparen(text: str) -> str:
    """'本年自付医疗费用（元）' → '本年自付医疗费用': a trailing unit or note."""
    return re.sub(r"\([^()]*\)$", "", text)


def header_names(defn: CompiledDefinition) -> dict[str, str]:
    """Normalised header → target: a field id, or 'unit', 'applicant', 'comment', 'ignore'."""
    names: dict[str, str] = {}
    for name, spec in defn.spec.fields.items():
        for text in (name, spec.labels.zh, spec.labels.en):
            names.setdefault(norm(text), name)
    for name, aliases in FIELD_ALIASES.items():
        if name in defn.spec.fields:
            for text in aliases:
                names.setdefault(norm(text), name)
    for target, texts in (("unit", UNIT_HEADERS), ("applicant", APPLICANT_HEADERS),
                          ("comment", COMMENT_HEADERS), ("ignore", IGNORED_HEADERS)):
        for text in texts:
            names.setdefault(norm(text), target)
    return names


def _target(names: Mapping[str, str], header: str) -> str | None:
    key = norm(header)
    return names.get(key) or names.get(_unparen(key)) if key else None


def recognises(defn: CompiledDefinition) -> HeaderTest:
    """A header test: at least two cells name known columns."""
    names = header_names(defn)

    def test(cells: Sequence[str]) -> bool:
        return sum(1 for c in cells if _target(names, c) not in (None, "ignore")) >= 2

    return test


def column_letter(index: int) -> str:
    """0 → 'A', 26 → 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Columns:
    """Which column holds what."""

    header: tuple[str, ...]
    fields: Mapping[int, str]
    unit: int | None = None
    applicant: int | None = None
    comment: int | None = None
    unknown: tuple[int, ...] = ()

    def name(self, index: int | None) -> tuple[str, str]:
        """(letter, header text) of a column."""
        if index is None:
            return "", ""
        return column_letter(index), self.header[index]

    def described(self) -> dict[str, str]:
        out = {self.header[i]: f for i, f in self.fields.items()}
        for i, target in ((self.unit, "unit"), (self.applicant, "applicant"),
                          (self.comment, "comment")):
            if i is not None:
                out[self.header[i]] = target
        return out


def map_columns(defn: CompiledDefinition, header: Sequence[str],
                optional: Collection[str] = ()) -> Columns:
    """Match a header to the definition.

    Raises:
        BulkImportError: two columns for one field, or a field required at
            submission (and not in ``optional``) without a column.
    """
    names = header_names(defn)
    seen: dict[str, int] = {}
    unknown: list[int] = []
    for i, text in enumerate(header):
        if not text:
            continue
        target = _target(names, text)
        if target is None:
            unknown.append(i)
            continue
        if target == "ignore":
            continue
        if target in seen:
            a, b = column_letter(seen[target]), column_letter(i)
            raise BulkImportError(
                f"columns {a} ('{header[seen[target]]}') and {b} ('{text}') both give "
                f"'{target}'; keep one",
                f"第 {a} 列（{header[seen[target]]}）和第 {b} 列（{text}）都对应「{_label(defn, target)}」，"
                "请只保留一列")
        seen[target] = i
    missing = [f for f in defn.spec.submit.required if f not in seen and f not in optional]
    if missing:
        def hint(f: str) -> str:
            return "/".join((defn.spec.fields[f].labels.zh, *FIELD_ALIASES.get(f, ())[:1]))

        raise BulkImportError(
            "the file has no column for " + ", ".join(
                f"'{f}' ({defn.spec.fields[f].labels.en})" for f in missing)
            + "; name the columns e.g. " + ", ".join(hint(f) for f in missing),
            "文件缺少以下必填列：" + "、".join(hint(f) for f in missing))
    fields = {i: t for t, i in seen.items() if t in defn.spec.fields}
    return Columns(tuple(header), fields, seen.get("unit"), seen.get("applicant"),
                   seen.get("comment"), tuple(unknown))


def _label(defn: CompiledDefinition, target: str, lang: str = "zh") -> str:
    spec = defn.spec.fields.get(target)
    if spec is not None:
        return spec.labels.get(lang)
    zh = {"unit": "村（社区）", "applicant": "申请人账号", "comment": "备注"}
    return zh.get(target, target) if lang == "zh" else target

