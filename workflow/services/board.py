"""The campaign board: a campaign's cases per village and state, its overdue
deadlines and its budget per line, as one user may see them. Services over an
Engine, reusing the services behind ``bangfu report``, ``bangfu deadlines`` and
``bangfu report budget``.

Scoped, deny by default: the board is for holders of a jurisdiction role (it
counts the cases of the user's own units that the user may read; the county's
inspection team reads everything); applicants and the public account get
``PermissionDenied``. The budget is the campaign's as a whole, so it is shown
only to a user who may read every case of the campaign; anyone else sees the
counts and deadlines of their own units and is told why the budget is not there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from definitions.campaign import Campaign
from workflow.core.authz import may_read
from workflow.core.model import Actor, Case
from workflow.engine import Engine
from workflow.errors import PermissionDenied
from workflow.reporting.lookups import granted
from workflow.reporting.table import t, unknown
from workflow.services.reports import budget as budget_of
from workflow.services.time import deadlines
from workflow.views import View


@dataclass(frozen=True, slots=True)
class StateColumn:
    state: str
    label: str
    #: open | granted | closed (refused, withdrawn): what the chart colours by
    kind: str


@dataclass(frozen=True, slots=True)
class VillageRow:
    unit: str
    label: str
    counts: dict[str, int]
    total: int


@dataclass(frozen=True, slots=True)
class BoardView:
    campaign: str
    label: str
    now: datetime
    #: the part of the org the board covers (the user's unit path)
    scope: str
    #: the user may read every case of the campaign
    everything: bool
    states: list[StateColumn]
    villages: list[VillageRow]
    totals: dict[str, int]
    cases: int
    overdue: list[View]
    #: ``bangfu report budget``'s view, or None when the user may not see it
    budget: dict[str, Any] | None
    campaigns: list[tuple[str, str]] = field(default_factory=list)


def may_use_board(engine: Engine, actor: Actor) -> bool:
    """Holders of a jurisdiction role of some registered process (not applicants, not
    the public account)."""
    return any(d.spec.roles[r].scope == "jurisdiction" for d in engine.definitions
               for r in actor.roles if r in d.spec.roles)


def campaign_of(engine: Engine, campaign: str | None) -> Campaign:
    """The campaign asked for, else the running one (the first of the org's files).

    Raises:
        ReportError: no campaign of that id, or none at all.
    """
    if campaign is None:
        if not engine.campaigns:
            raise unknown("campaign", "活动", "", [])
        return next(iter(engine.campaigns.values()))  # type: ignore[no-any-return]
    found = engine.campaigns.get(campaign)
    if found is None:
        raise unknown("campaign", "活动", campaign, list(engine.campaigns))
    return found  # type: ignore[no-any-return]


def _columns(engine: Engine, cases: list[Case], lang: str) -> list[StateColumn]:
    out: dict[str, StateColumn] = {}
    for case in cases:
        defn = engine.definition_for(case)
        for spec in defn.spec.states:
            if spec.id in out:
                continue
            kind = ("granted" if granted(defn, spec.id) else "closed") \
                if defn.is_final(spec.id) else "open"
            out[spec.id] = StateColumn(spec.id, defn.state_label(spec.id, lang), kind)
    return list(out.values())


def campaign_board(engine: Engine, user: str, campaign: str | None = None,
                   lang: str = "zh") -> BoardView:
    """The board of ``campaign`` (default: the first) as ``user`` may see it.

    Raises:
        UnknownUser; PermissionDenied: the user holds no jurisdiction role;
        ReportError: no such campaign.
    """
    actor = engine.actor(user)
    if not may_use_board(engine, actor):
        raise PermissionDenied(
            "role", f"user '{user}' may not see the campaign board: it is for staff with "
            "jurisdiction over cases and the inspection team",
            f"用户 '{user}' 无权查看活动看板：看板仅供对案件有管辖权的工作人员和督查组查看")
    found = campaign_of(engine, campaign)
    engine.sync_clock()
    every = [c for c in engine.store.list_cases() if c.campaign == found.id]
    mine = [c for c in every if may_read(engine.definition_for(c), engine.org, c, actor)]
    states = _columns(engine, mine, lang)
    order = {u: i for i, u in enumerate(engine.org.units)}
    per_unit: dict[str, Counter[str]] = {}
    for case in mine:
        per_unit.setdefault(case.unit, Counter())[case.state] += 1
    villages = [VillageRow(u, engine.org.unit_label(u, lang), dict(n), sum(n.values()))
                for u, n in sorted(per_unit.items(), key=lambda kv: order.get(kv[0], 0))]
    totals = Counter(c.state for c in mine)
    numbers = {c.number for c in mine}
    unit = actor.unit if actor.unit in engine.org.units else None
    late = [r for r in deadlines(engine, lang, unit=unit, overdue=True, reader=user).rows
            if r["case"] in numbers]
    everything = len(mine) == len(every)
    return BoardView(found.id, found.spec.labels.get(lang), engine.clock.now(),
                     engine.org.unit_path(actor.unit, lang) if unit else actor.unit,
                     everything, states, villages, dict(totals), len(mine), late,
                     budget_of(engine, found.id, lang) if everything and found.spec.budget
                     else None,
                     [(c.id, c.spec.labels.get(lang)) for c in engine.campaigns.values()])


def budget_note(view: BoardView, lang: str) -> str:
    """Why a board shows no budget."""
    if view.everything:
        return t(lang, "本活动未设预算科目", "The campaign has no budget lines")
    return t(lang, "预算按整个活动统筹，含您管辖范围以外的案件，本看板不显示；请向上级或督查组查询",
             "The budget is kept for the whole campaign, including cases outside your "
             "units, so it is not shown here; ask the level above or the inspection team")
