"""The statistics of a campaign: per village and category, cases by state and the
money (the standard of every open case, what was paid on every closed one), with
village subtotals and a grand total. Shell: reads through the Engine API only,
never SQL, and writes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, Literal

from workflow.core.localtime import local
from workflow.core.model import Case
from workflow.engine import Engine
from workflow.reporting.lookups import (
    cases_of,
    category_label,
    check_unit,
    granted,
    paid_fen,
    resolve_campaign,
    standard_fen,
    title_prefix,
)
from workflow.reporting.table import Column, Row, Table, t


def statistics(engine: Engine, campaign: str | None = None, *, unit: str | None = None,
               lang: str = "zh") -> Table:
    """Per village and category: cases by state and the money, with village subtotals
    and a grand total. ``pending`` is the standard of every open case, ``paid`` what
    was paid on every case closed as granted, ``amount`` the two together.

    Raises:
        ReportError: an unknown unit or campaign.
    """
    if unit is not None:
        check_unit(engine, unit)
    found = resolve_campaign(engine, campaign)
    cases = cases_of(engine, unit, found)
    states = _states_labelled(engine, cases, lang)
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for case in cases:
        groups[(case.unit, str(case.data.get("category", "")))].append(case)
    order = _category_order(engine, cases)
    rows: list[Row] = []
    unpriced: list[str] = []
    by_unit: dict[str, list[Row]] = defaultdict(list)
    units = {u: i for i, u in enumerate(engine.org.units)}
    for (unit_id, _), members in sorted(
            groups.items(), key=lambda kv: (units.get(kv[0][0], len(units)),
                                            order.get(kv[0][1], len(order)), kv[0][1])):
        counts: Counter[str] = Counter(c.state for c in members)
        pending = paid = 0
        for case in members:
            defn = engine.definition_for(case)
            if granted(defn, case.state):
                paid += paid_fen(case) or 0
            elif not defn.is_final(case.state):
                fen = standard_fen(engine, case)
                if fen is None:
                    unpriced.append(case.number)
                pending += fen or 0
        row = Row({"unit": engine.org.unit_label(unit_id, lang),
                   "category": category_label(engine, members[0], lang),
                   **{f"state:{s}": counts.get(s, 0) for s, _ in states},
                   "cases": len(members), "pending": pending, "paid": paid,
                   "amount": pending + paid})
        by_unit[unit_id].append(row)
    numeric = [f"state:{s}" for s, _ in states] + ["cases", "pending", "paid", "amount"]
    for unit_id, unit_rows in by_unit.items():
        rows.extend(unit_rows)
        rows.append(_sum(unit_rows, numeric, {
            "unit": engine.org.unit_label(unit_id, lang),
            "category": t(lang, "小计", "Subtotal")}, "subtotal"))
    everything = [r for r in rows if r.kind == "data"]
    rows.append(_sum(everything, numeric, {"unit": t(lang, "合计", "Total"), "category": ""},
                     "total"))
    columns = (
        Column("unit", t(lang, "村（社区）", "Village")),
        Column("category", t(lang, "困难类别", "Category")),
        *(Column(f"state:{s}", label, "count") for s, label in states),
        Column("cases", t(lang, "件数合计", "Cases"), "count"),
        Column("pending", t(lang, "在办金额（按标准，元）", "Open, at standard (yuan)"), "money"),
        Column("paid", t(lang, "已发放金额（元）", "Paid (yuan)"), "money"),
        Column("amount", t(lang, "金额合计（元）", "Amount (yuan)"), "money"))
    notes = [t(lang, f"统计范围：{engine.org.unit_path(unit, lang) if unit else '全部'}",
               f"Scope: {engine.org.unit_path(unit, lang) if unit else 'everything'}"),
             t(lang, f"统计时间：{local(engine.clock.now())}",
               f"As of {local(engine.clock.now())}"),
             t(lang, "在办金额按各案件类别的帮扶标准计算；已发放金额为入户发放时登记的金额；"
                     "不予通过和已撤回的案件只计件数",
               "Open cases at the standard of their category; paid cases at the amount "
               "recorded at the visit; refused and withdrawn cases are counted, not priced")]
    if unpriced:
        notes.append(t(lang, f"无法按标准计算金额的案件：{'、'.join(unpriced)}",
                       f"No standard amount for: {', '.join(unpriced)}"))
    title = t(lang, f"{title_prefix(found, lang)}统计表", f"{title_prefix(found, lang)}statistics")
    return Table("stats", title, columns, tuple(rows), tuple(notes), lang=lang,
                 meta={"campaign": found.id if found else None, "unit": unit,
                       "cases": len(cases)})


def _states_labelled(engine: Engine, cases: Sequence[Case],
                     lang: str) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for case in cases:
        defn = engine.definition_for(case)
        for spec in defn.spec.states:
            out.setdefault(spec.id, defn.state_label(spec.id, lang))
    return list(out.items())


def _category_order(engine: Engine, cases: Sequence[Case]) -> dict[str, int]:
    order: dict[str, int] = {}
    for case in cases:
        spec = engine.definition_for(case).spec.fields.get("category")
        for value in spec.values if spec is not None else ():
            order.setdefault(value, len(order))
    return order


def _sum(rows: Sequence[Row], keys: Sequence[str], fixed: dict[str, Any],
         kind: Literal["subtotal", "total"]) -> Row:
    return Row({**fixed, **{k: sum(int(r[k] or 0) for r in rows) for k in keys}}, kind)
