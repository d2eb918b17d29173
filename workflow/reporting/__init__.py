"""Documents out: public notice lists, disbursement forms, statistics and budget
figures, written as CSV, XLSX or HTML (``bangfu report ...``).

``documents``, ``lookups`` and ``aid`` read through the Engine API only (no SQL);
``table`` and ``population`` are pure (apart from reading a population file through
``definitions.loader``); ``writers`` turns a ``Table`` into a CSV, XLSX or HTML file.
"""

from __future__ import annotations

from workflow.reporting.aid import AidKindSpec, AidTargetsSpec, aid_progress, load_aid_targets
from workflow.reporting.lists import LEVELS, disbursement_form, notice_list
from workflow.reporting.lookups import public_name
from workflow.reporting.population import PopulationSpec, load_population, population_report
from workflow.reporting.stats import statistics
from workflow.reporting.table import Column, ReportError, Row, Table
from workflow.reporting.writers import FORMATS, render_csv, render_html, write, write_xlsx

__all__ = [
    "AidKindSpec",
    "AidTargetsSpec",
    "Column",
    "FORMATS",
    "LEVELS",
    "PopulationSpec",
    "ReportError",
    "Row",
    "Table",
    "aid_progress",
    "disbursement_form",
    "load_aid_targets",
    "load_population",
    "notice_list",
    "population_report",
    "public_name",
    "render_csv",
    "render_html",
    "statistics",
    "write",
    "write_xlsx",
]
