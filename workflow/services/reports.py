"""Use cases of reports: budget execution reconciled against the cases' events, and the
documents out (notice list, disbursement form, statistics, population costs,
aid progress), each a ``Table`` for the writers. Services over an Engine.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from definitions.standards import yuan_fen
from workflow.core.authz import may_read_unit
from workflow.core.model import Case
from workflow.engine import Engine
from workflow.errors import PermissionDenied, UsageError
from workflow.reporting.lookups import granted
from workflow.reporting.table import Table
from workflow.reporting.writers import format_of, write

LINE_SUMS = ("allocated_fen", "reserved_fen", "paid_fen", "remaining_fen")


def _campaign(engine: Engine, campaign: str | None) -> Any:
    if campaign is None:
        if len(engine.campaigns) != 1:
            raise UsageError("several campaigns: choose one with --campaign",
                                "有多个活动，请用 --campaign 指定")
        campaign = next(iter(engine.campaigns))
    found = engine.campaigns.get(campaign)
    if found is None:
        raise UsageError(f"unknown campaign '{campaign}'", f"未知的活动 '{campaign}'")
    return found


def _sums(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(r[k] for r in rows) for k in LINE_SUMS}


def _paid_by_events(engine: Engine, case: Case) -> int:
    """What the events of ``case`` paid: the ``amount_fen`` of each event of a
    transition that books a payment (``budget: spend``)."""
    defn = engine.definition_for(case)
    paid = 0
    for event in engine.store.history(case.id):
        if event.kind != "transition" or event.source is None:
            continue
        specs = defn.by_trigger_source.get((event.trigger, event.source), ())
        if any(s.dest == event.dest and s.budget == "spend" for s in specs):
            paid += int(event.data.get("amount_fen") or 0)
    return paid


def budget(engine: Engine, campaign: str | None, lang: str) -> dict[str, Any]:
    """Each budget line's allocation, reserved, paid and remaining: the plan's lines
    under the plan's total as it states it, the deployment's own lines (``ours``)
    apart; and the reconciliation of the ledger with what the events of the
    completed cases paid, case by case, to the fen, naming every difference.

    Processes of the campaign that book nothing on its budget (the union's visits,
    paid from union funds) are listed apart with what their granted cases paid.
    """
    found = _campaign(engine, campaign)
    spec = found.spec
    sums = engine.store.budget_report(found.id)
    rows = []
    for line in spec.budget:
        s = sums.get(line.id, {})
        paid = s.get("spend", 0)
        reserved = s.get("reserve", 0) - s.get("release", 0) - paid
        rows.append({"line": line.id, "label": line.labels.get(lang), "ours": line.ours,
                     "allocated_fen": line.amount_fen, "reserved_fen": reserved,
                     "paid_fen": paid, "remaining_fen": line.amount_fen - reserved - paid,
                     "fallback": line.fallback, "unlisted": line.id == spec.budget_unlisted,
                     "items": [{"label": i.labels.get(lang), "count": i.count,
                                "each_fen": None if i.each is None else yuan_fen(i.each),
                                "amount_fen": None if i.figure is None else yuan_fen(i.figure)}
                               for i in line.items]})
    plan = [r for r in rows if not r["ours"]]
    stated = None if spec.budget_total is None else yuan_fen(spec.budget_total)
    booked_by_case = {cid: k.get("spend", 0) for cid, k in
                      engine.store.ledger_by_case(found.id).items()}
    differences = []
    paid_on_cases = 0
    outside: dict[str, dict[str, Any]] = {}
    cases = [c for c in engine.store.list_cases() if c.campaign == found.id]
    for case in cases:
        defn = engine.definition_for(case)
        completed = granted(defn, case.state)
        if not any(t.budget for t in defn.spec.transitions):
            if completed:
                entry = outside.setdefault(case.process, {
                    "process": case.process, "label": defn.spec.labels.get(lang),
                    "cases": 0, "paid_fen": 0})
                entry["cases"] += 1
                entry["paid_fen"] += int(case.data.get("amount_fen") or 0)
            continue
        paid = _paid_by_events(engine, case) if completed else 0
        paid_on_cases += paid
        booked = booked_by_case.get(case.id, 0)
        if paid != booked:
            category = str(case.data.get("category") or "")
            standard = spec.standards.get(category)
            differences.append({
                "case": case.number, "category": category,
                "category_label": standard.labels.get(lang) if standard else category,
                "state": defn.state_label(case.state, lang), "paid_fen": paid,
                "booked_fen": booked})
    known = {c.id for c in cases}
    stray = sum(fen for cid, fen in booked_by_case.items() if cid not in known)
    totals = _sums(rows)
    return {"campaign": found.id, "label": spec.labels.get(lang), "lines": rows,
            "totals": totals,
            "plan": {"stated_total_fen": stated, "totals": _sums(plan)},
            "ours": {"totals": _sums([r for r in rows if r["ours"]])},
            "paid_on_cases_fen": paid_on_cases, "booked_fen": totals["paid_fen"],
            "difference_fen": paid_on_cases - totals["paid_fen"],
            "differences": differences, "booked_without_case_fen": stray,
            "outside_budget": list(outside.values()),
            "reconciles": paid_on_cases == totals["paid_fen"] and not differences}


# -- reports as one user reads them (the HTTP API's; deny by default) -----------------

#: what each format is served as
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "html": "text/html; charset=utf-8"}


def county_of(engine: Engine) -> str:
    """The unit at the top of the org (whose reports cover every campaign's budget)."""
    return next(u.id for u in engine.org.spec.units if u.parent is None)


def require_unit_reader(engine: Engine, user: str, unit: str) -> None:
    """Raises UnknownUser; PermissionDenied unless ``user`` holds a jurisdiction role
    over ``unit`` (an unknown unit is refused by the report itself, naming it)."""
    actor = engine.actor(user)
    if unit in engine.org.units and not may_read_unit(engine.definitions, engine.org, actor,
                                                      unit):
        raise PermissionDenied(
            "jurisdiction", f"user '{actor.id}' may not read the reports of '{unit}': they are "
            "for holders of a role over it", f"用户 '{actor.id}' 无权查看 '{unit}' 的报表：仅限对该单位有管辖权的人员")


def report_file(table: Table, fmt: str) -> tuple[bytes, str, str]:
    """``table`` written as ``fmt`` (csv, xlsx or html): its bytes, media type and a
    file name (kind, unit, campaign) for a download.

    Raises:
        ReportError: an unknown format."""
    kind = format_of(f"report.{fmt}", fmt)
    parts = [table.kind, *(str(table.meta[k]) for k in ("level", "unit", "village", "campaign")
                           if table.meta.get(k))]
    name = "-".join(p for p in parts if p.isascii() and p.replace("_", "").isalnum())
    with tempfile.TemporaryDirectory(prefix="bangfu-report-") as folder:
        path = write(table, Path(folder) / f"{name}.{kind}", kind)
        return path.read_bytes(), MEDIA_TYPES[kind], path.name
