"""Writing a ``Table`` as CSV, XLSX or HTML. Files only; no engine.

- CSV: UTF-8 with a byte-order mark, so that Excel opens the Chinese text
  right; the header row, then the rows; money as ``4000.00``; a public
  table's closing lines (posting unit, dates, objections) after a blank row.
- XLSX (openpyxl): a title row and the notes above the header, CJK text in a
  CJK font, column widths from the content (a CJK character counts two),
  money as numbers shown with two decimals, capitals and every other text
  as text (an ID number is never a number), the header repeated on every
  printed page, landscape A4 fitted to the width.
- HTML (Jinja2, autoescaped): a page to print, signature columns left blank
  and tall enough to sign in; ``templates/<kind>.html.j2`` if there is one,
  else ``table.html.j2``. A table printed in pages (``page_rows``: the
  disbursement form) is one table per page, its header repeated, each page
  closed by its subtotal and numbered "第 n 页 共 N 页"; XLSX breaks the
  sheet after each page's subtotal and numbers the printed pages in the
  footer. Columns marked ``nowrap`` (case numbers, names, categories) are
  never broken across lines.
- Verification codes (``code`` cells): in HTML an inline SVG QR code of
  ``{verify_base}/v/{code}`` with the code printed under it (and both in
  ``data-verify-code``/``data-verify-url``); in XLSX a PNG anchored in the cell,
  the code under it; in CSV the code.

A public table is masked once more on the way out (``table.masked``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from workflow.privatefiles import create_private, make_private, open_private
from workflow.reporting.qr import paper_url, qr_png, qr_svg
from workflow.reporting.table import Cell, Column, ReportError, Table, masked
from workflow.rules.money import fen_to_yuan_text

Format = Literal["csv", "xlsx", "html"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "html")
TEMPLATES = Path(__file__).resolve().parent / "templates"
CJK_FONT = "宋体"
MONEY_FORMAT = "#,##0.00"
MIN_WIDTH, MAX_WIDTH = 6, 60
#: a row with a QR code: the image (QR_PIXELS square) and a line of text under it
QR_PIXELS = 64
QR_ROW_POINTS = 62

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)


def format_of(path: str | Path, fmt: str | None = None) -> Format:
    """The format asked for, else the one the file name ends in.

    Raises:
        ReportError: neither names csv, xlsx or html.
    """
    name = (fmt or Path(path).suffix.lstrip(".")).lower()
    for known in FORMATS:
        if name == known:
            return known
    raise ReportError(f"unknown report format '{name}'; use csv, xlsx or html",
                      f"未知的报表格式 '{name}'；请用 csv、xlsx 或 html")


def write(table: Table, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``table`` to ``path`` as ``fmt`` (csv, xlsx or html; default: the suffix).

    Raises:
        ReportError: an unknown format, or the file cannot be written.
    """
    target = Path(path)
    kind = format_of(target, fmt)
    try:
        if kind == "csv":
            with open_private(target, "w", encoding="utf-8-sig", newline="") as f:
                f.write(render_csv(table))
        elif kind == "html":
            with open_private(target, "w", encoding="utf-8") as f:
                f.write(render_html(table))
        else:
            write_xlsx(table, target)
    except OSError as exc:
        raise ReportError(f"cannot write '{target}': {exc}", f"无法写入 '{target}'：{exc}") \
            from None
    return target


def text_of(column: Column, value: Cell, grouping: bool = False) -> str:
    """A cell as text: money as yuan with two decimals, blanks as ''."""
    if value is None:
        return ""
    if column.kind == "money" and isinstance(value, int):
        return fen_to_yuan_text(value, grouping)
    return str(value)


#: characters XML 1.0 (so XLSX) cannot hold: control characters other than tab and newlines
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: what a spreadsheet reads as the start of a formula (=cmd|' /C calc'!A0, =HYPERLINK(...))
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def sheet_text(text: str) -> str:
    """Text for a spreadsheet cell as data, never as a formula: control characters
    dropped, and a leading =, +, -, @ (or their full-width forms) quoted with an
    apostrophe, as OWASP advises against CSV injection."""
    text = _CONTROL.sub("", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _sheet_cell(column: Column, value: Cell) -> str:
    text = text_of(column, value)
    return text if column.kind in ("money", "count") and isinstance(value, int) \
        else sheet_text(text)


# -- CSV ----------------------------------------------------------------------

def render_csv(table: Table) -> str:
    """The CSV text (without its byte-order mark; ``write`` adds it)."""
    table = masked(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([sheet_text(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_sheet_cell(c, row[c.key]) for c in table.columns])
    if table.public and table.footer:
        # a notice printed from any format ends with where and how to object
        writer.writerow([])
        for line in table.footer:
            writer.writerow([sheet_text(line)])
    return buffer.getvalue()


# -- HTML ---------------------------------------------------------------------

def _html_cell(table: Table, column: Column, value: Cell) -> dict[str, Any]:
    cell: dict[str, Any] = {"text": text_of(column, value, grouping=True),
                            "kind": f"{column.kind} nowrap" if column.nowrap else column.kind,
                            "qr": None, "url": None}
    if column.kind == "code" and isinstance(value, str) and value and table.verify_base:
        cell["url"] = paper_url(value, table.verify_base)
        # segno writes the SVG from the URL alone; the code is [A-Z0-9-] only
        cell["qr"] = Markup(qr_svg(cell["url"], value))
    return cell


def render_html(table: Table) -> str:
    table = masked(table)
    name = f"{table.kind}.html.j2"
    template = _env.get_template(name if (TEMPLATES / name).is_file() else "table.html.j2")
    rows = [{"kind": r.kind, "page": r.page or 1,
             "cells": [_html_cell(table, c, r[c.key]) for c in table.columns]}
            for r in table.rows]
    pages: list[list[dict[str, Any]]] = []
    for row in rows:
        if not pages or (table.page_rows is not None and row["page"] != pages[-1][0]["page"]):
            pages.append([])
        pages[-1].append(row)
    return template.render(table=table, columns=table.columns, rows=rows, pages=pages,
                           lang="zh-CN" if table.lang.startswith("zh") else "en")


# -- XLSX ---------------------------------------------------------------------

def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_title(table: Table) -> str:
    cleaned = "".join(ch for ch in table.kind if ch not in '[]:*?/\\')
    return (cleaned or "report")[:31]


def _qr_image(sheet: Any, cell: Any, url: str) -> None:
    """A QR code of ``url`` anchored at the top left of ``cell``."""
    from openpyxl.drawing.image import Image

    image = Image(io.BytesIO(qr_png(url, scale=2)))
    image.width = image.height = QR_PIXELS
    sheet.add_image(image, cell.coordinate)


def write_xlsx(table: Table, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    table = masked(table)
    book = Workbook()
    sheet: Any = book.active
    sheet.title = sheet_title(table)
    book.properties.title = table.title
    book.properties.creator = "Bangfu"
    width = len(table.columns)
    last = get_column_letter(width)
    font = Font(name=CJK_FONT, size=11)
    bold = Font(name=CJK_FONT, size=11, bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    line = 1
    sheet.cell(line, 1, sheet_text(table.title)).font = Font(name=CJK_FONT, size=14, bold=True)
    sheet.cell(line, 1).alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(f"A{line}:{last}{line}")
    sheet.row_dimensions[line].height = 24
    for note in table.notes:
        line += 1
        sheet.cell(line, 1, sheet_text(note)).font = font
        sheet.cell(line, 1).alignment = Alignment(horizontal="left", wrap_text=True)
        sheet.merge_cells(f"A{line}:{last}{line}")
    line += 1
    header = line
    for i, column in enumerate(table.columns, start=1):
        cell = sheet.cell(header, i, sheet_text(column.label))
        cell.font, cell.border = bold, box
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    signing = any(c.kind == "signature" for c in table.columns)
    coded = table.verify_base is not None and any(c.kind == "code" for c in table.columns)
    for row in table.rows:
        line += 1
        for i, column in enumerate(table.columns, start=1):
            value = row[column.key]
            cell = sheet.cell(line, i)
            cell.font = font if row.kind == "data" else bold
            cell.border = box
            cell.alignment = Alignment(vertical="center",
                                       wrap_text=column.kind == "capital" and not column.nowrap)
            if value is None:
                continue
            if column.kind == "code" and isinstance(value, str) and table.verify_base:
                _qr_image(sheet, cell, paper_url(value, table.verify_base))
                cell.alignment = Alignment(vertical="bottom", horizontal="center")
            if column.kind == "money" and isinstance(value, int):
                cell.value = Decimal(value) / 100
                cell.number_format = MONEY_FORMAT
            elif column.kind == "count" and isinstance(value, int):
                cell.value = value
            else:
                cell.value = sheet_text(str(value))
                cell.number_format = "@"
        if coded and row.kind == "data":
            sheet.row_dimensions[line].height = QR_ROW_POINTS
        elif signing and row.kind == "data":
            sheet.row_dimensions[line].height = 30
        if table.page_rows is not None and row.kind == "subtotal":
            sheet.row_breaks.append(Break(id=line))
    if table.page_rows is not None:
        sheet.oddFooter.center.text = "第 &P 页 共 &N 页" if table.lang.startswith("zh") \
            else "Page &P of &N"
    if table.footer:
        line += 1
        for text in table.footer:
            line += 1
            sheet.cell(line, 1, sheet_text(text)).font = font
            sheet.merge_cells(f"A{line}:{last}{line}")
    for i, column in enumerate(table.columns, start=1):
        widest = max([display_width(column.label),
                      *(display_width(text_of(column, r[column.key], True)) for r in table.rows)])
        chosen = max(column.width or 0, widest + 2)
        sheet.column_dimensions[get_column_letter(i)].width = max(MIN_WIDTH,
                                                                  min(MAX_WIDTH, chosen))
    sheet.freeze_panes = sheet.cell(header + 1, 1)
    sheet.print_title_rows = f"{header}:{header}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    create_private(path)  # openpyxl keeps the mode of a file it overwrites
    make_private(path)
    book.save(path)
