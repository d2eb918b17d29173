"""Running an import: read the sheet, map its columns, check every row, refuse
households listed twice or already holding a claim, skip rows imported
before, let the core decide the rest and hand everything to a ``BulkSink``
(``storage.bulk_writer.BulkWriter``) that writes it in one transaction: an
import is stored whole or not at all. Shell, no SQL.

Idempotency: a row's key is a hash of the campaign, the process and the
household's normalised ID number, not of the file, so importing a file again
(or a corrected copy) imports nothing twice: rows already imported are
reported as skipped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import structlog

from definitions.org import normalise_id_number
from workflow.core.authz import role_reaches
from workflow.core.deadlines import LOCAL
from workflow.core.model import Case, Decision
from workflow.core.pii import mask_value
from workflow.engine import Engine
from workflow.errors import DoubleRelief, PermissionDenied
from workflow.importing.columns import map_columns, recognises
from workflow.importing.deciding import decide_rows
from workflow.importing.errors import BulkImportError, NumbersTaken
from workflow.importing.report import ImportReport, Progress, Skipped, write_errors
from workflow.importing.rows import Checked, GoodRow, RowChecker, RowError
from workflow.importing.sheets import Sheet, read_sheet

log = structlog.get_logger("bangfu.bulk")

#: fields ``decide_submit`` fills in when they are left out and the campaign
#: has standards: it proposes the category from the campaign's criteria
PROPOSED_FIELDS = ("category",)


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


def idempotency_key(campaign: str | None, process: str, household: str) -> str:
    """A row's key: the same household in the same campaign and process is one
    case, whatever file (or row) it comes from."""
    text = f"{campaign or '-'}\x1f{process}\x1f{household}"
    return "import:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    # A role files for others when it reaches a unit without being the applicant:
    # the core's rule, the one decide_submit applies to every row.
    if not any(role_reaches(defn, engine.org, r, actor, actor.unit, None)
               for r in defn.spec.submit.roles if r in actor.roles):
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
    found = read_sheet(source, sheet=sheet, is_header=recognises(defn))
    columns = map_columns(defn, found.header, optional)
    report = ImportReport(str(source), found.kind, process, campaign_id, found.encoding,
                          found.sheet, len(found.rows), columns.described(),
                          [found.header[i] for i in columns.unknown])
    checker = RowChecker(defn, engine.org, actor, columns, now.astimezone(LOCAL).date(),
                         optional)
    checked: list[Checked] = []
    total = len(found.rows)
    step("check", 0, total)
    for n, row in enumerate(found.rows, start=1):
        checked.append(checker.check(row))
        if n % 5000 == 0 or n == total:
            step("check", n, total)
    file_errors = [e for c in checked for e in c.errors]
    good = _without_duplicates(checked, checker, file_errors, found)

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
        decided, errors = decide_rows(engine, defn, actor, now, campaign_id, prefix, seen,
                                      pending, keys, columns, errors, writer.encode, workers,
                                      step)
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
                        errors: list[RowError], found: Sheet) -> list[GoodRow]:
    """Rows of one household listed more than once are all refused: which one
    is right is for the village to say."""
    rows_of: dict[str, list[int]] = {}
    for c in checked:
        if c.household is not None:
            rows_of.setdefault(c.household, []).append(c.row)
    doubled = {h: rows for h, rows in rows_of.items() if len(rows) > 1}
    if not doubled:
        return [c.good for c in checked if c.good is not None]
    by_number = {r.number: r for r in found.rows}
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
        errors.append(checker.error(
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
        # the household as the case was stored under: its own definition names the field
        field = engine.definition_for(case).spec.applicant_id_field
        household = case.data.get(field) if field else None
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
