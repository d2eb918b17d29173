"""What an import reports: the rows imported, skipped and refused, and the
error file (CSV in UTF-8 with BOM) for the village to correct. Pure but for
``write_errors``, which writes that file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow.importing.rows import RowError
from workflow.privatefiles import open_private

#: (phase, done, total): phases "read", "check", "decide", "write"; total 0 if unknown
Progress = Callable[[str, int, int], None]


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
    with open_private(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(ERROR_HEADER)
        for e in errors:
            out.writerow((e.row, e.column, e.header, e.field, e.value, e.zh, e.en))

