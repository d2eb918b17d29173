"""Bulk import of applications from the villages' spreadsheets (CSV, XLSX). Shell, no SQL.

``read_table`` reads a file: CSV in UTF-8 (with or without BOM), UTF-16 or
else GB18030 (a superset of GBK, what Chinese Excel writes), XLSX through
openpyxl in read-only mode, every cell as text (IDs stay text; Excel's 3.0
becomes '3', its dates ISO dates). ``map_columns`` matches the header to the
definition's fields by id, Chinese or English label, or a common alias.
``run_import`` validates every row as a submission is validated, checks
duplicates in the file and households that already hold a claim in the
campaign, lets the pure core (``decide_submit``) decide every good row, and
hands all decisions to a ``BulkSink`` (``storage.bulk_writer.BulkWriter``) that
writes them in one transaction: an import is stored whole or not at all.
Bad rows go to an error file (row number as the spreadsheet shows it,
column, reason in Chinese and English).

Idempotency: a row's key is a hash of the campaign, the process and the
household's normalised ID number, not of the file, so importing a file again
(or a corrected copy) imports nothing twice: rows already imported are
reported as skipped.

Speed: deciding a row costs most of the time (hash chain, timers, messages),
so large imports decide in worker processes (fork), each chunk encoded into
rows there; the database sees one transaction of chunked ``executemany``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import multiprocessing
import os
import re
import time
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from datetime import time as clock_time
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal, Protocol
from xml.etree import ElementTree

import structlog

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from definitions.org import Org, normalise_id_number
from workflow.core.chain import genesis
from workflow.core.data import check_data, coerce_text
from workflow.core.deadlines import LOCAL, TimeContext
from workflow.core.decide import decide_submit, seal
from workflow.core.model import Actor, Case, Decision, Submit
from workflow.core.pii import mask_text, mask_value
from workflow.core.replay import evolve
from workflow.engine import Engine
from workflow.errors import (
    CommandRejected,
    DoubleRelief,
    InvalidData,
    MissingData,
    PermissionDenied,
)
from workflow.rules.idcard import InvalidIdNumber, validate_id

log = structlog.get_logger("bangfu.bulk")

#: (phase, done, total): phases "read", "check", "decide", "write"; total 0 if unknown
Progress = Callable[[str, int, int], None]

# -- header and value aliases (data) ---------------------------------------------
# Besides a field's id and its Chinese and English labels, the names villages
# write in their own sheets. Headers compare after NFKC (full-width to ASCII),
# without blanks, '*' and '_', case-insensitively.

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

#: short forms of enum values (value label prefixes people write)
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "category": {"重度": "severe", "重度困难": "severe", "中度": "moderate", "中度困难": "moderate",
                 "一般": "general", "一般困难": "general", "退伍军人": "veteran",
                 "优抚对象": "entitled_group", "三无": "three_withouts", "低保": "dibao",
                 "低保家庭": "dibao", "贫困户": "poor_household"},
}

#: fields ``decide_submit`` fills in when they are left out and the campaign
#: has standards: it proposes the category from the campaign's criteria
PROPOSED_FIELDS = ("category",)

#: how many top rows may precede the header (titles, notes)
HEADER_SEARCH = 20
#: rows per decide task; fewer rows than PARALLEL_MIN are decided in this process
CHUNK = 2000
PARALLEL_MIN = 4000


class BulkImportError(CommandRejected):
    """The file as a whole cannot be imported (unreadable, no header, merged
    header cells, ambiguous sheets, missing columns); nothing was written."""

    code = "import_refused"


class NumbersTaken(BangfuError):
    """Case numbers were handed out while the import was being prepared."""

    code = "numbers_taken"

    def __init__(self, prefix: str, seen: int, current: int) -> None:
        self.prefix, self.seen, self.current = prefix, seen, current
        super().__init__(
            f"case numbers '{prefix}' moved from {seen} to {current} while importing",
            f"导入期间案件编号 '{prefix}' 已从 {seen} 变为 {current}")


class BulkSink(Protocol):
    """The storage side of an import (``storage.bulk_writer.BulkWriter``)."""

    def imported(self, keys: Collection[str]) -> Mapping[str, tuple[str, str, Mapping[str, Any]]]:
        """Idempotency key → (case number, unit, submitted data) of cases opened under it."""
        ...

    def claims(self, households: Collection[str], *, campaign: str | None = None,
               process: str | None = None) -> Sequence[Case]:
        """Cases held by any of ``households`` (normalised ID numbers), of ``campaign``
        and/or of ``process`` when given."""
        ...

    def counter(self, prefix: str) -> int:
        """The last case number handed out under ``prefix``."""
        ...

    def encode(self, decision: Decision) -> Any:
        """A new case's rows, ready to write (pure; may run in a worker process)."""
        ...

    def write(self, prefix: str, seen: int, encoded: Sequence[Any],
              progress: Callable[[int, int], None] | None = None) -> None:
        """Write every encoded case in one transaction, numbers ``seen+1..``.

        Raises:
            NumbersTaken: the counter moved since ``seen``; nothing was written.
            StorageError: the database refused; nothing was written.
        """
        ...


# -- reading a file ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    """A data row: its number as the spreadsheet shows it, the cells as text,
    and which cells held a number (XLSX) rather than text."""

    number: int
    cells: tuple[str, ...]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Table:
    path: Path
    kind: Literal["csv", "xlsx"]
    header: tuple[str, ...]
    header_row: int
    rows: tuple[Row, ...]
    #: the text encoding a CSV was read in
    encoding: str | None = None
    #: the sheet read, and every sheet of the workbook
    sheet: str | None = None
    sheets: tuple[str, ...] = ()


HeaderTest = Callable[[Sequence[str]], bool]


def read_table(path: str | Path, *, sheet: str | None = None,
               is_header: HeaderTest | None = None) -> Table:
    """The header and data rows of a CSV or XLSX file.

    ``is_header`` tells a header row from titles above it (default: the first
    non-empty row) and, in a workbook, data sheets from the rest.

    Raises:
        BulkImportError: unreadable file, unknown format, no header row,
            merged cells in the header or data, several data sheets without
            ``sheet``, or an unknown ``sheet``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise BulkImportError(f"'{p.name}' is a CSV file: it has no sheets to choose from",
                                  f"「{p.name}」是 CSV 文件，没有可选的工作表")
        return _read_csv(p, is_header)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p, sheet, is_header)
    if suffix == ".xls":
        raise BulkImportError(
            f"'{p.name}' is an old Excel 97-2003 workbook; save it as .xlsx or CSV and import that",
            f"「{p.name}」是旧版 Excel 97-2003 文件，请另存为 .xlsx 或 CSV 后再导入")
    raise BulkImportError(f"'{p.name}' is neither a CSV nor an XLSX file",
                          f"「{p.name}」不是 CSV 或 XLSX 文件")


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise BulkImportError(f"'{name}' is neither UTF-8 nor GB18030/GBK text; save it as "
                          "'CSV UTF-8' and import again",
                          f"「{name}」既不是 UTF-8 也不是 GB18030/GBK 编码，请另存为「CSV UTF-8」后重新导入")


def _read_csv(path: Path, is_header: HeaderTest | None) -> Table:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BulkImportError(f"cannot read '{path}': {exc.strerror}",
                              f"无法读取「{path}」：{exc.strerror}") from None
    text, encoding = _decode(raw, path.name)
    first = text[:4096].split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = ((n, tuple(_clean(c) for c in cells), frozenset[int]())
               for n, cells in enumerate(reader, start=1))
    return _table(path, "csv", records, is_header, encoding=encoding)


def _table(path: Path, kind: Literal["csv", "xlsx"],
           records: Iterator[tuple[int, tuple[str, ...], frozenset[int]]],
           is_header: HeaderTest | None, encoding: str | None = None,
           sheet: str | None = None, sheets: tuple[str, ...] = ()) -> Table:
    header: tuple[str, ...] | None = None
    header_row = 0
    rows: list[Row] = []
    for number, cells, numeric in records:
        if header is None:
            if any(cells) and (is_header is None or is_header(cells)):
                header, header_row = cells, number
            elif number >= HEADER_SEARCH:
                break
            continue
        if any(cells):
            width = len(header)
            cells = cells[:width] + ("",) * (width - len(cells))
            rows.append(Row(number, cells, numeric))
    if header is None:
        where = f"sheet '{sheet}' of '{path.name}'" if sheet else f"'{path.name}'"
        where_zh = f"「{path.name}」的工作表「{sheet}」" if sheet else f"「{path.name}」"
        raise BulkImportError(
            f"{where} has no header row with known columns (such as 姓名, 身份证号码, 家庭人口, "
            f"困难类别) in its first {HEADER_SEARCH} rows",
            f"{where_zh} 前 {HEADER_SEARCH} 行中没有可识别的表头（如 姓名、身份证号码、家庭人口、困难类别）")
    return Table(path, kind, header, header_row, tuple(rows), encoding, sheet, sheets)


def _clean(text: str) -> str:
    text = text.strip()
    # ="0123": how some tools keep digits as text in CSV
    if len(text) > 3 and text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    return text


def _cell(value: Any) -> tuple[str, bool]:
    """An XLSX cell as text, and whether Excel held it as a number."""
    if value is None:
        return "", False
    if isinstance(value, str):
        return _clean(value), False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)), True
        return format(value, ".15g"), True
    if isinstance(value, datetime):
        if value.time() == clock_time(0):
            return value.date().isoformat(), False
        return value.isoformat(timespec="seconds"), False
    if isinstance(value, date | clock_time):
        return value.isoformat(), False
    return _clean(str(value)), False


def _read_xlsx(path: Path, sheet: str | None, is_header: HeaderTest | None) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BulkImportError(f"cannot read '{path.name}' as an XLSX workbook: {exc}",
                              f"无法将「{path.name}」作为 XLSX 工作簿读取：{exc}") from None
    try:
        names = tuple(str(ws.title) for ws in book.worksheets)
        if sheet is not None:
            if sheet not in names:
                close = get_close_matches(sheet, names, n=1)
                raise BulkImportError(
                    f"'{path.name}' has no sheet '{sheet}'"
                    + (f"; did you mean '{close[0]}'?" if close else "")
                    + f" (sheets: {', '.join(names)})",
                    f"「{path.name}」中没有工作表「{sheet}」"
                    + (f"，是否指「{close[0]}」？" if close else "")
                    + f"（工作表：{'、'.join(names)}）")
            chosen = sheet
        else:
            with_data = [ws.title for ws in book.worksheets if _has_header(ws, is_header)]
            if len(with_data) > 1:
                raise BulkImportError(
                    f"'{path.name}' has several sheets with data: "
                    + ", ".join(f"'{n}'" for n in with_data)
                    + "; choose one with --sheet NAME",
                    f"「{path.name}」中有多个含数据的工作表："
                    + "、".join(f"「{n}」" for n in with_data) + "；请用 --sheet 指定其中一个")
            chosen = with_data[0] if with_data else names[0]
        ws = book[chosen]
        ws.reset_dimensions()  # a wrong stored size would cut rows off

        def records() -> Iterator[tuple[int, tuple[str, ...], frozenset[int]]]:
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                cells = [_cell(v) for v in values]
                yield (number, tuple(t for t, _ in cells),
                       frozenset(i for i, (_, num) in enumerate(cells) if num))

        table = _table(path, "xlsx", records(), is_header, sheet=chosen, sheets=names)
    finally:
        book.close()
    merged = [r for r in _merged_ranges(path, chosen) if r[2] >= table.header_row]
    if merged:
        shown = ", ".join(r[0] for r in merged[:8]) + (" ..." if len(merged) > 8 else "")
        raise BulkImportError(
            f"sheet '{chosen}' of '{path.name}' has merged cells in its header or data rows "
            f"({shown}); unmerge them (a merged cell keeps its text in its first cell only) "
            "and import again",
            f"「{path.name}」的工作表「{chosen}」在表头或数据行中有合并单元格（{shown}），"
            "请取消合并（合并后只有第一格保留内容）后重新导入")
    return table


def _has_header(ws: Any, is_header: HeaderTest | None) -> bool:
    ws.reset_dimensions()
    for i, values in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SEARCH,
                                            values_only=True)):
        cells = tuple(_cell(v)[0] for v in values)
        if any(cells) and (is_header is None or is_header(cells)):
            return True
        if i >= HEADER_SEARCH:
            break
    return False


_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?"')


def _merged_ranges(path: Path, sheet: str) -> list[tuple[str, int, int]]:
    """Merged ranges of a sheet as (ref, first row, last row), read from the
    workbook's XML (openpyxl's read-only mode does not keep them)."""
    with zipfile.ZipFile(path) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        rid = next((el.get(_NS_REL) for el in book.iter() if el.tag.endswith("}sheet")
                    and el.get("name") == sheet), None)
        target = next((el.get("Target") for el in rels if el.get("Id") == rid), None)
        if target is None:
            return []
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        found: list[tuple[str, int, int]] = []
        tail = b""
        with z.open(member) as src:
            while chunk := src.read(1 << 20):
                data = tail + chunk
                end = 0
                for m in _MERGE.finditer(data):
                    a, r1, b, r2 = m.groups()
                    ref = f"{a.decode()}{r1.decode()}" + (f":{b.decode()}{r2.decode()}" if b else "")
                    found.append((ref, int(r1), int(r2 or r1)))
                    end = m.end()
                tail = data[max(end, len(data) - 256):]
        return found


# -- columns --------------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"[\s*_]+", "", unicodedata.normalize("NFKC", text)).lower()


def _unparen(text: str) -> str:
    """'本年自付医疗费用（元）' → '本年自付医疗费用': a trailing unit or note."""
    return re.sub(r"\([^()]*\)$", "", text)


def header_names(defn: CompiledDefinition) -> dict[str, str]:
    """Normalised header → target: a field id, or 'unit', 'applicant', 'comment', 'ignore'."""
    names: dict[str, str] = {}
    for name, spec in defn.spec.fields.items():
        for text in (name, spec.labels.zh, spec.labels.en):
            names.setdefault(_norm(text), name)
    for name, aliases in FIELD_ALIASES.items():
        if name in defn.spec.fields:
            for text in aliases:
                names.setdefault(_norm(text), name)
    for target, texts in (("unit", UNIT_HEADERS), ("applicant", APPLICANT_HEADERS),
                          ("comment", COMMENT_HEADERS), ("ignore", IGNORED_HEADERS)):
        for text in texts:
            names.setdefault(_norm(text), target)
    return names


def _target(names: Mapping[str, str], header: str) -> str | None:
    key = _norm(header)
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


# -- checking rows ----------------------------------------------------------------

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
    row: int
    data: Mapping[str, Any]
    unit: str
    household: str | None
    applicant: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Checked:
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
                table: dict[str, str] = {}
                for v in spec.values:
                    table[_norm(v)] = v
                    if v in spec.value_labels:
                        table.setdefault(_norm(spec.value_labels[v].zh), v)
                        table.setdefault(_norm(spec.value_labels[v].en), v)
                for alias, v in VALUE_ALIASES.get(name, {}).items():
                    if v in spec.values:
                        table.setdefault(_norm(alias), v)
                self.values[name] = table
        leaves = [u for u in org.units if not org.children(u)]
        self.units: dict[str, list[str]] = {}
        for u in leaves:
            spec_u = org.units[u]
            for text in {u, spec_u.labels.zh, spec_u.labels.en}:
                self.units.setdefault(_norm(text), []).append(u)
        # the actor's own villages first when a name is ambiguous
        for key, found in self.units.items():
            self.units[key] = sorted(set(found), key=lambda u: (
                not org.in_subtree(u, actor.unit), u))
        self.own_roles = [r for r in defn.spec.submit.roles if defn.spec.roles[r].scope == "own"]

    def _error(self, row: Row, index: int | None, fld: str, text: str, en: str,
               zh: str) -> RowError:
        letter, header = self.columns.name(index)
        spec = self.defn.spec.fields.get(fld)
        kind = spec.pii if spec is not None else None
        shown = mask_value(kind, text) if kind in ("id_number", "phone") else mask_text(text)
        return RowError(row.number, letter, header, fld, shown, en, zh)

    def check(self, row: Row) -> Checked:
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
                    errors.append(self._error(
                        row, i, name, text,
                        "is stored as a number, so Excel keeps only 15 digits of it; format the "
                        "column as text and type the ID number again",
                        "被存成了数字，Excel 只保留 15 位有效数字；请把该列设为文本格式后重新录入身份证号"))
                    continue
                try:
                    value = validate_id_number(text, self.today)
                except InvalidIdNumber as exc:
                    errors.append(self._error(row, i, name, text, exc.en, exc.zh))
                    continue
                typed[name] = value
                if name == self.household_field:
                    household = normalise_id_number(value)
            elif spec.type == "enum":
                found = self.values[name].get(_norm(text))
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
                        errors += [self._error(row, where[f][0], f, where[f][1], en, zh)
                                   for f, en, zh in exc.problems]
        try:
            check_data(self.defn, typed)
        except InvalidData as exc:
            for f, en, zh in exc.problems:
                typed.pop(f, None)
                errors.append(self._error(row, where[f][0], f, where[f][1], en, zh))
        failed = {e.field for e in errors}
        for name in self.required:
            if name not in typed and name not in failed:
                index = next((i for i, f in self.columns.fields.items() if f == name), None)
                errors.append(self._error(row, index, name, "", "is required but empty",
                                          "为必填项，不能为空"))
        unit = self._unit(row, errors)
        applicant = self._applicant(row, unit, errors)
        comment = row.cells[self.columns.comment] if self.columns.comment is not None else ""
        good = None if errors or unit is None else GoodRow(
            row.number, typed, unit, household, applicant, comment or None)
        return Checked(row.number, good, tuple(errors), household)

    def _enum_error(self, row: Row, index: int, name: str, text: str) -> RowError:
        spec = self.defn.spec.fields[name]
        labels = {v: spec.value_labels[v] for v in spec.values if v in spec.value_labels}
        chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)
        shown = {v: (labels[v].zh if chinese else v) if v in labels else v for v in spec.values}
        close = get_close_matches(text.strip(), list(shown.values()), n=1, cutoff=0.5)
        hint_en = f"; did you mean '{close[0]}'?" if close else ""
        hint_zh = f"，是否指「{close[0]}」？" if close else ""
        zh_values = "、".join(labels[v].zh if v in labels else v for v in spec.values)
        return self._error(
            row, index, name, text,
            f"'{text}' is not a {spec.labels.en.lower()}{hint_en} "
            f"(allowed: {', '.join(spec.values)})",
            f"「{text}」不是有效的{spec.labels.zh}{hint_zh}（可填：{zh_values}）")

    def _unit(self, row: Row, errors: list[RowError]) -> str | None:
        index = self.columns.unit
        text = row.cells[index] if index is not None else ""
        if not text:
            if self.org.children(self.actor.unit):
                errors.append(self._error(
                    row, index, "unit", "", "names no village or community",
                    "未填写所属村（社区）"))
                return None
            return self.actor.unit
        found = self.units.get(_norm(text), [])
        if len(found) == 1 or (found and self.org.in_subtree(found[0], self.actor.unit)
                               and not any(self.org.in_subtree(u, self.actor.unit)
                                           for u in found[1:])):
            return found[0]
        if found:
            paths = [self.org.unit_path(u) for u in found]
            errors.append(self._error(
                row, index, "unit", text,
                f"'{text}' names several places ({'; '.join(self.org.unit_path(u, 'en') for u in found)}); "
                f"write the unit id ({', '.join(found)})",
                f"「{text}」对应多个村（社区）（{'；'.join(paths)}），请填写单位编号（{'、'.join(found)}）"))
            return None
        names = [self.org.units[u].labels.zh for us in self.units.values() for u in us]
        close = get_close_matches(text, sorted(set(names)) + sorted(self.org.units), n=1,
                                  cutoff=0.5)
        errors.append(self._error(
            row, index, "unit", text,
            f"'{text}' is no village or community of the org"
            + (f"; did you mean '{close[0]}'?" if close else ""),
            f"「{text}」不是已登记的村（社区）" + (f"，是否指「{close[0]}」？" if close else "")))
        return None

    def _applicant(self, row: Row, unit: str | None, errors: list[RowError]) -> str | None:
        index = self.columns.applicant
        text = row.cells[index] if index is not None else ""
        if not text:
            return None
        user = self.org.users.get(text)
        if user is None or not set(user.roles) & set(self.own_roles):
            errors.append(self._error(
                row, index, "applicant", text, f"'{text}' is no applicant's user account",
                f"「{text}」不是申请人的用户账号"))
            return None
        if unit is not None and user.unit != unit:
            errors.append(self._error(
                row, index, "applicant", text,
                f"user '{text}' lives in '{self.org.unit_path(user.unit, 'en')}', not in "
                f"'{self.org.unit_path(unit, 'en')}'",
                f"用户「{text}」属于「{self.org.unit_path(user.unit)}」，不是「{self.org.unit_path(unit)}」"))
            return None
        return user.id


# -- deciding ---------------------------------------------------------------------

def idempotency_key(campaign: str | None, process: str, household: str) -> str:
    """A row's key: the same household in the same campaign and process is one
    case, whatever file (or row) it comes from."""
    text = f"{campaign or '-'}\x1f{process}\x1f{household}"
    return "import:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Item:
    row: GoodRow
    key: str | None
    case_id: str
    number: str


@dataclass(frozen=True)
class _Job:
    defn: CompiledDefinition
    org: Org
    actor: Actor
    now: datetime
    time: TimeContext
    campaign: str | None
    encode: Callable[[Decision], Any]
    items: Sequence[_Item]


#: the job of the decide workers: set before they fork, so nothing is pickled in
_JOB: _Job | None = None

def _with_applicant(defn: CompiledDefinition, decision: Decision, user: str) -> Decision:
    """The submission linked to the applicant's own account (filed by the village for them)."""
    event = replace(decision.event, meta={**decision.event.meta, "applicant_user": user})
    event = seal(event, genesis(event.case_id))
    return replace(decision, event=event, case=evolve(defn, None, event))


def _decide(job: _Job, item: _Item) -> tuple[bool, Any]:
    row = item.row
    command = Submit(job.defn.process, job.actor.id, dict(row.data), row.unit, row.comment,
                     item.key, None, job.campaign)
    try:
        decision = decide_submit(job.defn, job.org, job.actor, command, job.now, item.case_id,
                                 item.number, job.time)
    except BangfuError as exc:
        # exceptions do not travel back from a worker: their text does
        reason = exc.reason if isinstance(exc, PermissionDenied) else None
        code = exc.code if isinstance(exc, CommandRejected) else "fatal"
        fields = tuple(exc.fields) if isinstance(exc, MissingData) else \
            tuple(f for f, _, _ in exc.problems) if isinstance(exc, InvalidData) else ()
        return False, (code, reason, exc.en, exc.zh, fields)
    if row.applicant is not None:
        decision = _with_applicant(job.defn, decision, row.applicant)
    return True, job.encode(replace(decision, household=row.household))


def _decide_range(bounds: tuple[int, int]) -> list[tuple[bool, Any]]:
    job = _JOB
    assert job is not None
    return [_decide(job, item) for item in job.items[bounds[0]:bounds[1]]]


def _decide_all(job: _Job, workers: int, step: Progress) -> list[tuple[bool, Any]]:
    global _JOB
    total = len(job.items)
    bounds = [(s, min(s + CHUNK, total)) for s in range(0, total, CHUNK)]
    out: list[tuple[bool, Any]] = []
    step("decide", 0, total)
    _JOB = job
    try:
        if workers > 1 and total >= PARALLEL_MIN and \
                "fork" in multiprocessing.get_all_start_methods():
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) \
                    as pool:
                for part in pool.map(_decide_range, bounds):
                    out += part
                    step("decide", len(out), total)
        else:
            for b in bounds:
                out += _decide_range(b)
                step("decide", len(out), total)
    finally:
        _JOB = None
    return out


# -- the report -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Skipped:
    """A row whose household was imported before; ``changed``: fields that differ now."""

    row: int
    case_number: str
    changed: tuple[str, ...] = ()


@dataclass
class ImportReport:
    path: str
    kind: str
    process: str
    campaign: str | None
    encoding: str | None = None
    sheet: str | None = None
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    #: (row, case number) of every case opened
    imported: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: --all-or-nothing and a bad row: nothing was imported
    refused: bool = False
    errors_path: str | None = None
    seconds: float = 0.0

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors})

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "file": self.path, "format": self.kind, "encoding": self.encoding,
            "sheet": self.sheet, "process": self.process, "campaign": self.campaign,
            "rows": self.rows, "imported": len(self.imported), "skipped": len(self.skipped),
            "failed": self.failed_rows, "refused": self.refused,
            "first_case": self.imported[0][1] if self.imported else None,
            "last_case": self.imported[-1][1] if self.imported else None,
            "columns": self.columns, "unknown_columns": self.unknown_columns,
            "skipped_rows": [{"row": s.row, "case": s.case_number, "changed": list(s.changed)}
                             for s in self.skipped],
            "errors": [e.as_dict(lang) for e in self.errors],
            "errors_file": self.errors_path, "seconds": round(self.seconds, 3),
        }


ERROR_HEADER = ("行号 Row", "列 Column", "表头 Header", "字段 Field", "值 Value", "原因",
                "Reason")


def write_errors(path: str | Path, errors: Sequence[RowError]) -> None:
    """The error file: CSV in UTF-8 with BOM (Excel opens it with Chinese intact)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(ERROR_HEADER)
        for e in errors:
            out.writerow((e.row, e.column, e.header, e.field, e.value, e.zh, e.en))


# -- the import -------------------------------------------------------------------

def _one_process(engine: Engine, process: str | None) -> str:
    if process is not None:
        return process
    known = engine.definitions.processes()
    if len(known) == 1:
        return known[0]
    raise BulkImportError(f"say which process to import into: {', '.join(known)}",
                          f"请指定导入的流程：{'、'.join(known)}")


def run_import(engine: Engine, path: str | Path, process: str | None, user: str,
               campaign: str | None = None, sheet: str | None = None,
               all_or_nothing: bool = False, errors_path: str | Path | None = None,
               progress: Progress | None = None, *, writer: BulkSink,
               workers: int | None = None) -> ImportReport:
    """Import the applications of a CSV or XLSX file as ``user`` (village staff).

    Every row is checked first. Good rows are imported in one transaction;
    with ``all_or_nothing`` a single bad row refuses the whole file. Bad rows
    are written to ``errors_path`` (default: '<file>.errors.csv' beside it).
    Rows whose household was imported before (same campaign and process) are
    skipped.

    Raises:
        BulkImportError: the file cannot be imported at all; nothing written.
        UnknownUser, UnknownDefinition, CampaignError, PermissionDenied.
        StorageError: the database refused the write; nothing written.
    """
    began = time.perf_counter()
    step: Progress = progress or (lambda phase, done, total: None)
    process = _one_process(engine, process)
    defn = engine.definitions.get(process)
    actor = engine.actor(user)
    # Filing for households is the village's job: an applicant files only their own.
    if not [r for r in defn.spec.submit.roles
            if r in actor.roles and defn.spec.roles[r].scope != "own"]:
        raise PermissionDenied(
            "role", f"user '{actor.id}' may not import '{defn.process}' applications; "
            "importing is for the roles that file for households (e.g. the village committee)",
            f"用户 '{actor.id}' 无权批量导入「{defn.spec.labels.zh}」；批量导入由代为提交的角色"
            "（如村（社区）两委）办理")
    engine.sync_clock()
    campaign_id = engine.campaign_for(process, campaign)
    prefix = str(engine.campaigns[campaign_id].spec.case_prefix) if campaign_id is not None \
        else defn.spec.case_prefix
    now = engine.clock.now()
    source = Path(path)

    has_standards = campaign_id is not None and bool(
        getattr(engine.campaigns[campaign_id].spec, "standards", None))
    optional = PROPOSED_FIELDS if has_standards else ()

    step("read", 0, 0)
    table = read_table(source, sheet=sheet, is_header=recognises(defn))
    columns = map_columns(defn, table.header, optional)
    report = ImportReport(str(source), table.kind, process, campaign_id, table.encoding,
                          table.sheet, len(table.rows), columns.described(),
                          [table.header[i] for i in columns.unknown])
    checker = RowChecker(defn, engine.org, actor, columns, now.astimezone(LOCAL).date(),
                         optional)
    checked: list[Checked] = []
    total = len(table.rows)
    step("check", 0, total)
    for n, row in enumerate(table.rows, start=1):
        checked.append(checker.check(row))
        if n % 5000 == 0 or n == total:
            step("check", n, total)
    file_errors = [e for c in checked for e in c.errors]
    good = _without_duplicates(checked, checker, file_errors, table)

    for _attempt in range(3):
        errors = list(file_errors)
        keys = {g.row: idempotency_key(campaign_id, process, g.household)
                for g in good if g.household is not None}
        done = writer.imported(set(keys.values()))
        skipped: list[Skipped] = []
        pending: list[GoodRow] = []
        for g in good:
            prior = done.get(keys.get(g.row, ""))
            if prior is None:
                pending.append(g)
            else:
                number, unit, data = prior
                changed = tuple(sorted(f for f in {*data, *g.data} if data.get(f) != g.data.get(f)))
                skipped.append(Skipped(g.row, number, changed + (("unit",) if unit != g.unit
                                                                 else ())))
        pending = _without_claims(engine, writer, campaign_id, pending, checker, errors)
        if errors and all_or_nothing:
            return _finish(report, errors, skipped, [], True, source, errors_path, began)
        seen = writer.counter(prefix)
        decided, errors = _decide_rows(engine, defn, actor, now, campaign_id, prefix, seen,
                                       pending, keys, checker, errors, writer, workers, step)
        if errors and all_or_nothing:
            return _finish(report, errors, skipped, [], True, source, errors_path, began)
        if decided:
            step("write", 0, 0)
            try:
                writer.write(prefix, seen, [enc for _, _, enc in decided],
                             lambda d, t: step("write", d, t))
            except NumbersTaken:
                continue
        imported = [(row, number) for row, number, _ in decided]
        log.info("bulk.imported", file=source.name, process=process, campaign=campaign_id,
                 actor=user, imported=len(imported), skipped=len(skipped),
                 failed=len({e.row for e in errors}))
        return _finish(report, errors, skipped, imported, False, source, errors_path, began)
    raise BulkImportError(
        "cases kept being opened in the campaign while importing; try again in a quieter moment",
        "导入期间不断有新案件提交，请稍后再导入")


def _without_duplicates(checked: Sequence[Checked], checker: RowChecker,
                        errors: list[RowError], table: Table) -> list[GoodRow]:
    """Rows of one household listed more than once are all refused: which one
    is right is for the village to say."""
    rows_of: dict[str, list[int]] = {}
    for c in checked:
        if c.household is not None:
            rows_of.setdefault(c.household, []).append(c.row)
    doubled = {h: rows for h, rows in rows_of.items() if len(rows) > 1}
    if not doubled:
        return [c.good for c in checked if c.good is not None]
    by_number = {r.number: r for r in table.rows}
    index = next((i for i, f in checker.columns.fields.items()
                  if f == checker.household_field), None)
    good: list[GoodRow] = []
    for c in checked:
        rows = doubled.get(c.household or "")
        if rows is None:
            if c.good is not None:
                good.append(c.good)
            continue
        others = [r for r in rows if r != c.row]
        row = by_number[c.row]
        errors.append(checker._error(
            row, index, checker.household_field or "", row.cells[index] if index is not None
            else "", f"the same household (ID number) is also in row(s) "
            f"{', '.join(map(str, others))}; list each household once",
            f"与第 {'、'.join(map(str, others))} 行的身份证号相同，同一户只能填报一次"))
    return good


def _without_claims(engine: Engine, writer: BulkSink, campaign: str | None,
                    pending: list[GoodRow], checker: RowChecker,
                    errors: list[RowError]) -> list[GoodRow]:
    """No double relief, as ``Engine.submit`` judges it by the process's
    ``household_limit``: a household already holding an open or granted case in
    the campaign (any process), or an open case of this process, is refused."""
    scope = engine.rival_scope(checker.defn, campaign)
    if scope is None:
        return pending
    limit = checker.defn.spec.household_limit
    households = {g.household for g in pending if g.household is not None}
    holding: dict[str, Case] = {}
    for case in writer.claims(households, **scope):
        household = case.data.get(checker.household_field or "")
        if isinstance(household, str) and engine.is_rival(checker.defn, case):
            holding.setdefault(normalise_id_number(household), case)
    if not holding:
        return pending
    index = next((i for i, f in checker.columns.fields.items()
                  if f == checker.household_field), None)
    out: list[GoodRow] = []
    for g in pending:
        other = holding.get(g.household or "")
        if other is None:
            out.append(g)
            continue
        defn = engine.definition_for(other)
        en = DoubleRelief(other.number, other.process, defn.state_label(other.state, "en"),
                          limit).en
        zh = DoubleRelief(other.number, other.process, defn.state_label(other.state), limit).zh
        errors.append(RowError(g.row, *checker.columns.name(index),
                               checker.household_field or "",
                               mask_value("id_number", g.data.get(checker.household_field or "", "")),
                               en, zh))
    return out


def _decide_rows(engine: Engine, defn: CompiledDefinition, actor: Actor, now: datetime,
                 campaign: str | None, prefix: str, seen: int, pending: Sequence[GoodRow],
                 keys: Mapping[int, str], checker: RowChecker, errors: list[RowError],
                 writer: BulkSink, workers: int | None,
                 step: Progress) -> tuple[list[tuple[int, str, Any]], list[RowError]]:
    """Decide every pending row, numbered in file order. A row the core
    refuses gives up its number: the rows after it are decided again with
    theirs (deciding is pure, so nothing else changes)."""
    count = workers if workers is not None else min(4, os.cpu_count() or 1)
    time_ctx = engine.time_context(campaign)
    ids = {g.row: uuid.uuid4().hex for g in pending}
    results: dict[int, Any] = {}
    rows = list(pending)
    refused: set[int] = set()
    while True:
        todo = [(n, g) for n, g in enumerate(rows) if g.row not in results]
        items = [_Item(g, keys.get(g.row), ids[g.row], f"{prefix}-{seen + n + 1:06d}")
                 for n, g in todo]
        job = _Job(defn, engine.org, actor, now, time_ctx, campaign, writer.encode, items)
        outcome = _decide_all(job, count, step) if items else []
        failed = False
        for item, (ok, value) in zip(items, outcome, strict=True):
            if ok:
                results[item.row.row] = (item.number, value)
                continue
            code, reason, en, zh, fields = value
            if code in ("fatal", "deadline_error") or (code == "permission_denied"
                                                      and reason == "role"):
                raise BulkImportError(en, zh)
            refused.add(item.row.row)
            name = fields[0] if fields else ""
            index = next((i for i, f in checker.columns.fields.items() if f == name), None)
            errors.append(RowError(item.row.row, *checker.columns.name(index), name, "", en, zh))
            failed = True
        if not failed:
            break
        first = min(n for n, g in enumerate(rows) if g.row in refused)
        rows = [g for g in rows if g.row not in refused]
        for g in rows[first:]:
            results.pop(g.row, None)
    decided = [(g.row, results[g.row][0], results[g.row][1]) for g in rows]
    return decided, errors


def _finish(report: ImportReport, errors: list[RowError], skipped: list[Skipped],
            imported: list[tuple[int, str]], refused: bool, source: Path,
            errors_path: str | Path | None, began: float) -> ImportReport:
    errors.sort(key=lambda e: (e.row, len(e.column), e.column))
    report.errors, report.skipped, report.imported, report.refused = \
        errors, skipped, imported, refused
    if errors:
        target = Path(errors_path) if errors_path else source.with_name(
            f"{source.stem}.errors.csv")
        if target.resolve() == source.resolve():
            target = source.with_name(f"{source.stem}.errors.csv")
        write_errors(target, errors)
        report.errors_path = str(target)
    report.seconds = time.perf_counter() - began
    return report
