"""Bulk import of applications from the villages' spreadsheets (CSV, XLSX).

``read_sheet`` reads a file into a ``Sheet`` (sheets.py); ``map_columns``
matches its header to the definition's fields (columns.py); a ``RowChecker``
checks every row as a submission is checked (rows.py); ``run_import``
(run.py) refuses households listed twice or already holding a claim, skips
rows imported before, lets the pure core decide every good row (deciding.py,
in worker processes for large files) and hands all decisions to a
``BulkSink`` (``storage.bulk_writer.BulkWriter``) that writes them in one
transaction. Bad rows go to an error file (report.py): row number as the
spreadsheet shows it, column, reason in Chinese and English.
"""

from workflow.importing.columns import Columns, column_letter, header_names, map_columns, recognises
from workflow.importing.errors import BulkImportError, NumbersTaken
from workflow.importing.report import ImportReport, Progress, Skipped, write_errors
from workflow.importing.rows import RowChecker, RowError, validate_id_number
from workflow.importing.run import BulkSink, idempotency_key, run_import
from workflow.importing.sheets import Sheet, SheetRow, read_sheet

__all__ = [
    "BulkImportError",
    "BulkSink",
    "Columns",
    "ImportReport",
    "NumbersTaken",
    "Progress",
    "RowChecker",
    "RowError",
    "Sheet",
    "SheetRow",
    "Skipped",
    "column_letter",
    "header_names",
    "idempotency_key",
    "map_columns",
    "read_sheet",
    "recognises",
    "run_import",
    "validate_id_number",
    "write_errors",
]
