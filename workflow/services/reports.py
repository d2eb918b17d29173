"""Use cases of reports: budget execution reconciled against the cases, and the
documents out (notice list, disbursement form, statistics, population costs,
aid progress), each a ``Table`` for the writers. Services over an Engine.
"""

from __future__ import annotations

from typing import Any

from workflow.engine import Engine
from workflow.errors import UsageError

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


def budget(engine: Engine, campaign: str | None, lang: str) -> dict[str, Any]:
    """Each budget line's allocation, reserved, paid and remaining, and whether what
    the ledger says was paid equals the amounts on the completed cases of the
    budgeted categories, to the fen."""
    found = _campaign(engine, campaign)
    sums = engine.store.budget_report(found.id)
    rows = []
    for line in found.spec.budget:
        s = sums.get(line.id, {})
        paid = s.get("spend", 0)
        reserved = s.get("reserve", 0) - s.get("release", 0) - paid
        rows.append({"line": line.id, "label": line.labels.get(lang),
                     "allocated_fen": line.amount_fen, "reserved_fen": reserved,
                     "paid_fen": paid, "remaining_fen": line.amount_fen - reserved - paid,
                     "fallback": line.fallback})
    totals = {k: sum(r[k] for r in rows) for k in LINE_SUMS}
    budgeted = {c for line in found.spec.budget for c in line.categories}
    paid_on_cases = sum(int(c.data.get("amount_fen") or 0) for c in engine.store.list_cases()
                        if c.campaign == found.id and c.data.get("category") in budgeted
                        and engine.is_claim(c) and engine.definition_for(c).is_final(c.state))
    return {"campaign": found.id, "label": found.spec.labels.get(lang), "lines": rows,
            "totals": totals, "paid_on_cases_fen": paid_on_cases,
            "reconciles": paid_on_cases == totals["paid_fen"]}
