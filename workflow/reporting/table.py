"""The one shape every report takes before it is written: a ``Table``. Pure.

A table is a title, a few lines under it (``notes``), typed columns, rows and
lines under the rows (``footer``, e.g. where the finance office signs). Cells
hold text, whole numbers or ``None`` (blank); a ``money`` cell holds integer
fen, which the writers show as yuan with two decimals (and as a number in
XLSX). A ``capital`` cell holds the amount in Chinese capitals as text. A
``code`` cell holds a paper's verification code (``workflow.core.paper_codes``):
the writers print it under a QR code of ``{verify_base}/v/{code}``.
Rows are ``data``, ``subtotal`` or ``total``; the writers set the last two
apart.

A table marked ``public`` is posted where anyone can read it: the writers
run every text through ``workflow.core.pii.mask_text`` once more on the way out,
so an ID or mobile number that slipped into free text (a reason, a contact)
never reaches a notice board.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from typing import Any, Literal

from definitions.errors import BangfuError
from workflow.core.pii import mask_text

Cell = str | int | None
ColumnKind = Literal["text", "count", "money", "capital", "signature", "code"]
RowKind = Literal["data", "subtotal", "total"]


class ReportError(BangfuError):
    """A report asked for something that is not there (a level, a unit, a campaign)."""

    code = "report_error"


def unknown(what_en: str, what_zh: str, name: str, known: list[str]) -> ReportError:
    """``ReportError`` for an unknown name, with "did you mean"."""
    close = get_close_matches(name, known, n=1)
    return ReportError(
        f"unknown {what_en} '{name}'" + (f"; did you mean '{close[0]}'?" if close else ""),
        f"未知的{what_zh} '{name}'" + (f"；是否指 '{close[0]}'？" if close else ""))


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"
    #: width in characters (a CJK character counts two); None: from the content
    width: int | None = None
    #: never broken across lines in print (case numbers, categories)
    nowrap: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    cells: Mapping[str, Cell]
    kind: RowKind = "data"
    #: the printed page the row is on (1, 2, ...), for tables printed in pages
    page: int | None = None

    def __getitem__(self, key: str) -> Cell:
        return self.cells.get(key)


@dataclass(frozen=True, slots=True)
class Table:
    #: notice | form | stats | population | aid
    kind: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()
    public: bool = False
    lang: str = "zh"
    #: machine-readable facts (level, unit, campaign, ...) for --json
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: numbers the campaign publishes on purpose (the objection phone), left
    #: unmasked on a public table; nothing else is
    published: tuple[str, ...] = ()
    #: data rows per printed page (the disbursement form: a subtotal per page)
    page_rows: int | None = None
    #: the base URL the QR codes of ``code`` cells link to (``workflow.links``)
    verify_base: str | None = None

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def data_rows(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.kind == "data")

    @property
    def total(self) -> Row | None:
        return next((r for r in self.rows if r.kind == "total"), None)

    def values(self, row: Row) -> list[Cell]:
        """The row's cells in column order."""
        return [row[c.key] for c in self.columns]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.data_rows)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` (money stays integer fen)."""
        return {"kind": self.kind, "title": self.title, "notes": list(self.notes),
                "footer": list(self.footer), "public": self.public, "lang": self.lang,
                "meta": dict(self.meta),
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind}
                            for c in self.columns],
                "rows": [{"kind": r.kind, **{c.key: r[c.key] for c in self.columns}}
                         for r in self.rows]}


def table_from_dict(data: Mapping[str, Any]) -> Table:
    """A table back from ``Table.as_dict`` (what the HTTP API answers), to print it as
    the command line prints its own."""
    columns = tuple(Column(c["key"], c["label"], c.get("kind", "text"))
                    for c in data["columns"])
    rows = tuple(Row({c.key: r.get(c.key) for c in columns}, r.get("kind", "data"))
                 for r in data["rows"])
    return Table(data["kind"], data["title"], columns, rows, tuple(data.get("notes", ())),
                 tuple(data.get("footer", ())), bool(data.get("public")),
                 str(data.get("lang", "zh")), dict(data.get("meta") or {}))


def masked(table: Table) -> Table:
    """A public table with every text masked once more; other tables unchanged."""
    if not table.public:
        return table

    keep = [p for p in table.published if p]

    def text(value: str) -> str:
        for number in keep:
            if number in value:
                return number.join(text(part) for part in value.split(number))
        return mask_text(value)

    def cell(value: Cell) -> Cell:
        return text(value) if isinstance(value, str) else value

    return replace(
        table, title=text(table.title),
        notes=tuple(text(n) for n in table.notes),
        footer=tuple(text(n) for n in table.footer),
        columns=tuple(replace(c, label=text(c.label)) for c in table.columns),
        rows=tuple(Row({k: cell(v) for k, v in r.cells.items()}, r.kind, r.page)
                   for r in table.rows))


def t(lang: str, zh: str, en: str) -> str:
    return zh if lang.startswith("zh") else en
