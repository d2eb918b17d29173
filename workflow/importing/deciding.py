"""Deciding the good rows of an import: the pure core's ``decide_submit`` for
every row, numbered in file order, in worker processes (fork) for large
imports, each decision encoded into rows by the sink there. Shell (processes);
the decisions themselves are pure.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from definitions.org import Org
from workflow.core.chain import genesis
from workflow.core.deadlines import TimeContext
from workflow.core.decide import decide_submit, seal
from workflow.core.effects import account
from workflow.core.model import Actor, Decision, Submit
from workflow.core.replay import evolve
from workflow.engine import Engine
from workflow.errors import CommandRejected, InvalidData, MissingData, PermissionDenied
from workflow.importing.columns import Columns
from workflow.importing.errors import BulkImportError
from workflow.importing.report import Progress
from workflow.importing.rows import GoodRow, RowError

#: rows per decide task; fewer rows than PARALLEL_MIN are decided in this process
CHUNK = 2000
PARALLEL_MIN = 4000


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
    #: the operating-system account running the import (recorded with each event)
    operator: str | None = None


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
    return True, job.encode(account(replace(decision, household=row.household), job.operator))


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


def decide_rows(engine: Engine, defn: CompiledDefinition, actor: Actor, now: datetime,
                campaign: str | None, prefix: str, seen: int, pending: Sequence[GoodRow],
                keys: Mapping[int, str], columns: Columns, errors: list[RowError],
                encode: Callable[[Decision], Any], workers: int | None,
                step: Progress) -> tuple[list[tuple[int, str, Any]], list[RowError]]:
    """Decide every pending row, numbered in file order. A row the core
    refuses gives up its number: the rows after it are decided again with
    theirs (deciding is pure, so nothing else changes). ``encode`` turns a
    decision into the sink's rows; a refusal that concerns the whole file
    (the actor's role, the campaign's deadlines) raises ``BulkImportError``."""
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
        job = _Job(defn, engine.org, actor, now, time_ctx, campaign, encode, items,
                   engine.operator)
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
            index = next((i for i, f in columns.fields.items() if f == name), None)
            errors.append(RowError(item.row.row, *columns.name(index), name, "", en, zh))
            failed = True
        if not failed:
            break
        first = min(n for n, g in enumerate(rows) if g.row in refused)
        rows = [g for g in rows if g.row not in refused]
        for g in rows[first:]:
            results.pop(g.row, None)
    decided = [(g.row, results[g.row][0], results[g.row][1]) for g in rows]
    return decided, errors

