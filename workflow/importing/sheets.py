"""Reading a village spreadsheet into a ``Sheet``: decoding, cells, merged
ranges. Reads files; decides nothing about the definition.

``read_sheet`` reads CSV in UTF-8 (with or without BOM), UTF-16 or else
GB18030 (a superset of GBK, what Chinese Excel writes), and XLSX through
openpyxl in read-only mode, every cell as text: IDs stay text, Excel's 3.0
becomes '3', its dates ISO dates. Which row is the header (titles may stand
above it) and, in a workbook, which sheets hold data is a ``HeaderTest``
given by the caller (``columns.recognises``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from workflow.importing.errors import BulkImportError

#: how many top rows may precede the header (titles, notes)
HEADER_SEARCH = 20


@dataclass(frozen=True, slots=True)
class SheetRow:
    """A data row: its number as the spreadsheet shows it, the cells as text,
    and which cells held a number (XLSX) rather than text."""

    number: int
    cells: tuple[str, ...]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Sheet:
    """A file's header and data rows, and how it was read."""

    path: Path
    kind: Literal["csv", "xlsx"]
    header: tuple[str, ...]
    header_row: int
    rows: tuple[SheetRow, ...]
    #: the text encoding a CSV was read in
    encoding: str | None = None
    #: the sheet read, and every sheet of the workbook
    sheet: str | None = None
    sheets: tuple[str, ...] = ()


HeaderTest = Callable[[Sequence[str]], bool]


def read_sheet(path: str | Path, *, sheet: str | None = None,
               is_header: HeaderTest | None = None) -> Sheet:
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


def _read_csv(path: Path, is_header: HeaderTest | None) -> Sheet:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BulkImportError(f"cannot read '{path}': {exc.strerror}",
                              f"无法读取「{path}」：{exc.strerror}") from None
    text, encoding = _decode(raw, path.name)
    first = text[:4096].split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    # A cell past csv's 131,072-character default would abort the whole file; read it,
    # and let the row's own check refuse it (workflow.core.data.MAX_TEXT), row by row.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = ((n, tuple(_clean(c) for c in cells), frozenset[int]())
               for n, cells in enumerate(reader, start=1))
    return _sheet(path, "csv", records, is_header, encoding=encoding)


def _sheet(path: Path, kind: Literal["csv", "xlsx"],
           records: Iterator[tuple[int, tuple[str, ...], frozenset[int]]],
           is_header: HeaderTest | None, encoding: str | None = None,
           sheet: str | None = None, sheets: tuple[str, ...] = ()) -> Sheet:
    header: tuple[str, ...] | None = None
    header_row = 0
    rows: list[SheetRow] = []
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
            rows.append(SheetRow(number, cells, numeric))
    if header is None:
        where = f"sheet '{sheet}' of '{path.name}'" if sheet else f"'{path.name}'"
        where_zh = f"「{path.name}」的工作表「{sheet}」" if sheet else f"「{path.name}」"
        raise BulkImportError(
            f"{where} has no header row with known columns (such as 姓名, 身份证号码, 家庭人口, "
            f"困难类别) in its first {HEADER_SEARCH} rows",
            f"{where_zh} 前 {HEADER_SEARCH} 行中没有可识别的表头（如 姓名、身份证号码、家庭人口、困难类别）")
    return Sheet(path, kind, header, header_row, tuple(rows), encoding, sheet, sheets)


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


def _read_xlsx(path: Path, sheet: str | None, is_header: HeaderTest | None) -> Sheet:
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

        found = _sheet(path, "xlsx", records(), is_header, sheet=chosen, sheets=names)
    finally:
        book.close()
    merged = [r for r in _merged_ranges(path, chosen) if r[2] >= found.header_row]
    if merged:
        shown = ", ".join(r[0] for r in merged[:8]) + (" ..." if len(merged) > 8 else "")
        raise BulkImportError(
            f"sheet '{chosen}' of '{path.name}' has merged cells in its header or data rows "
            f"({shown}); unmerge them (a merged cell keeps its text in its first cell only) "
            "and import again",
            f"「{path.name}」的工作表「{chosen}」在表头或数据行中有合并单元格（{shown}），"
            "请取消合并（合并后只有第一格保留内容）后重新导入")
    return found


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
