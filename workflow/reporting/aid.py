"""Monthly aid counts and progress against the year's targets (the county union's
living, medical and education aid). Shell: reads through the Engine API only.

A targets file (``definitions/targets/*.yaml``) names, per kind of aid, the
process whose cases count, an optional filter on their data (``where:
{aid_type: [living]}``), and the year's target in households. Aid is given
when a case closes as granted or, for a kind that names ``triggers``, each
time one of them fires instead (quarterly living aid is paid by a recurring
trigger while the case stays open). A household counts once per month in
which it was given that aid, and once in the year. A kind that names an
``amount`` field also adds up the money given in the year: the field as the
counted event recorded it (each quarterly payment records its own amount),
or as the case holds it when it closed as granted; a payment that recorded
no amount is counted and said so in the notes, never priced by guess. A
kind whose process the engine does not know is listed without counts, and
said so in the notes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import Field

from definitions.loader import load_yaml_file
from definitions.org import normalise_id_number
from definitions.parse import parse_model
from definitions.schema import Identifier, Identifiers, Labels, _Frozen
from workflow.core.localtime import LOCAL_TZ, local
from workflow.core.model import Case
from workflow.engine import Engine
from workflow.reporting.lookups import check_unit, granted
from workflow.reporting.table import Column, Row, Table, t, unknown

MONTHS = range(1, 13)


class AidKindSpec(_Frozen):
    labels: Labels
    process: Identifier
    #: data field → the values that select a case for this kind of aid
    where: dict[Identifier, Identifiers] = Field(default_factory=dict)
    #: triggers that give the aid (each firing counts) instead of a granted close
    triggers: Identifiers = ()
    #: the money field (fen) of what was given: on the counted event, or on the case
    amount: Identifier | None = None
    target: Annotated[int, Field(ge=0)]


class AidTargetsSpec(_Frozen):
    """The root of a targets file."""

    targets: Identifier
    labels: Labels
    year: Annotated[int, Field(ge=2000, le=2100)]
    kinds: dict[Identifier, AidKindSpec] = Field(min_length=1)


def load_aid_targets(path: str | Path) -> AidTargetsSpec:
    """Raises: DefinitionInvalid, with every problem located."""
    data, lines, _ = load_yaml_file(path)
    return parse_model(AidTargetsSpec, data, lines, str(path))


def _selected(case: Case, kind: AidKindSpec) -> bool:
    return all(str(case.data.get(name)) in values for name, values in kind.where.items())


def _fen(data: Mapping[str, object], field: str | None) -> int | None:
    value = data.get(field) if field else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _given(engine: Engine, case: Case, kind: AidKindSpec) -> list[tuple[datetime, int | None]]:
    """When the case gave the aid and how much (None: not recorded): every counted
    trigger, or else its granted close."""
    if kind.triggers:
        return [(e.at, _fen(e.data, kind.amount)) for e in engine.history(case.id)
                if e.kind == "transition" and e.trigger in kind.triggers]
    defn = engine.definition_for(case)
    return [(datetime.fromisoformat(at), _fen(case.data, kind.amount))
            for state, at in case.first_entered.items()
            if state in defn.states and granted(defn, state)]


def aid_progress(engine: Engine, targets: AidTargetsSpec, *, unit: str | None = None,
                 lang: str = "zh") -> Table:
    """Households given each kind of aid per month of ``targets.year``, the year's
    total and the share of the target reached.

    Raises:
        ReportError: an unknown unit, or an amount field the process does not have.
    """
    if unit is not None:
        check_unit(engine, unit)
    rows: list[Row] = []
    missing: list[str] = []
    unrecorded: list[str] = []
    for kind_id, kind in targets.kinds.items():
        if kind.process not in engine.definitions.processes():
            missing.append(kind.process)
            rows.append(Row({"kind": kind_id, "label": kind.labels.get(lang),
                             "target": kind.target}))
            continue
        fields = engine.definitions.get(kind.process).spec.fields
        if kind.amount is not None and kind.amount not in fields:
            raise unknown("field", "字段", kind.amount, list(fields))
        monthly: dict[int, set[str]] = defaultdict(set)
        year: set[str] = set()
        paid = 0
        unpriced = 0
        for case in engine.list_cases(process=kind.process, unit=unit):
            if not _selected(case, kind):
                continue
            field = engine.definition_for(case).spec.applicant_id_field
            raw = case.data.get(field) if field else None
            household = normalise_id_number(raw) if isinstance(raw, str) and raw else case.id
            for when, fen in _given(engine, case, kind):
                day = when.astimezone(LOCAL_TZ)
                if day.year == targets.year:
                    monthly[day.month].add(household)
                    year.add(household)
                    paid += fen or 0
                    unpriced += fen is None
        share = f"{len(year) * 100 / kind.target:.1f}%" if kind.target else ""
        rows.append(Row({"kind": kind_id, "label": kind.labels.get(lang),
                         **{f"m{m}": len(monthly[m]) for m in MONTHS},
                         "year": len(year),
                         "amount": paid if kind.amount is not None else None,
                         "target": kind.target, "progress": share}))
        if kind.amount is not None and unpriced:
            unrecorded.append(t(lang, f"{kind.labels.zh}：{unpriced} 次发放未记录金额，未计入金额",
                                f"{kind.labels.en}: {unpriced} payments recorded no amount and "
                                "are not in the amount"))
    columns = (
        Column("label", t(lang, "救助类别", "Aid")),
        *(Column(f"m{m}", t(lang, f"{m}月", f"{m:02d}"), "count", 6) for m in MONTHS),
        Column("year", t(lang, "全年（户）", "Year (households)"), "count"),
        Column("amount", t(lang, "全年金额（元）", "Year (yuan)"), "money"),
        Column("target", t(lang, "年度目标（户）", "Target (households)"), "count"),
        Column("progress", t(lang, "完成率", "Reached")))
    notes = (t(lang, f"统计时间：{local(engine.clock.now())}",
               f"As of {local(engine.clock.now())}"),
             t(lang, "每户每月计一次，全年计一次", "A household counts once a month and once a year"),
             *([t(lang, f"以下流程尚未定义，未统计：{'、'.join(missing)}",
                  f"Not counted, no such process: {', '.join(missing)}")] if missing else []),
             *unrecorded)
    return Table("aid", t(lang, f"{targets.labels.zh}（{targets.year}年）",
                          f"{targets.labels.en} ({targets.year})"),
                 columns, tuple(rows), notes, lang=lang,
                 meta={"targets": targets.targets, "year": targets.year, "unit": unit})
