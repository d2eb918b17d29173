"""Look-ups the reports share: the campaign, the unit, the cases, their labels and
amounts. Shell: reads through the Engine API only.
"""

from __future__ import annotations

from typing import Any

from definitions.campaign import Campaign
from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from workflow.core.model import Case
from workflow.core.pii import mask_name
from workflow.engine import Engine
from workflow.reporting.table import t, unknown
from workflow.rules.family import case_values
from workflow.rules.relief import amount_for


def resolve_campaign(engine: Engine, campaign: str | None) -> Campaign | None:
    """The campaign asked for; else the engine's only campaign; else None (all cases).

    Raises:
        ReportError: no campaign of that id.
    """
    if campaign is not None:
        found = engine.campaigns.get(campaign)
        if found is None:
            raise unknown("campaign", "活动", campaign, list(engine.campaigns))
        return found  # type: ignore[no-any-return]
    if len(engine.campaigns) == 1:
        return next(iter(engine.campaigns.values()))  # type: ignore[no-any-return]
    return None


def check_unit(engine: Engine, unit: str) -> None:
    if unit not in engine.org.units:
        raise unknown("unit", "单位", unit, list(engine.org.units))


def cases_of(engine: Engine, unit: str | None, campaign: Campaign | None) -> list[Case]:
    """The campaign cases in ``unit``'s subtree, in org order, then by number: of
    ``campaign``, or of any campaign when None (cases outside every campaign, such
    as the union's archive, are not relief of a campaign)."""
    order = {u: i for i, u in enumerate(engine.org.units)}
    found = [c for c in engine.list_cases(unit=unit)
             if (c.campaign == campaign.id if campaign is not None else c.campaign is not None)]
    return sorted(found, key=lambda c: (order.get(c.unit, len(order)), c.number))


def personal(engine: Engine, case: Case, kind: str) -> str:
    """The case's value of the field marked ``pii: <kind>`` (name, id_number, phone)."""
    defn = engine.definition_for(case)
    name = defn.spec.applicant_id_field if kind == "id_number" else None
    name = name or next((n for n, f in defn.spec.fields.items() if f.pii == kind), None)
    value = case.data.get(name) if name else None
    return value if isinstance(value, str) else ""


def public_name(name: str, policy: str = "full") -> str:
    """A name as a public list shows it, by the campaign's name policy (``notice.names``):
    ``full`` as it is (neighbours must know who is proposed), ``masked`` with the
    middle hidden (李*兰, 王*)."""
    name = name.strip()
    return mask_name(name) if policy == "masked" else name


def category_label(engine: Engine, case: Case, lang: str) -> str:
    value = case.data.get("category")
    if not isinstance(value, str):
        return ""
    spec = engine.definition_for(case).spec.fields.get("category")
    if spec is not None and value in spec.value_labels:
        return spec.value_labels[value].get(lang)
    standard = standards_of(engine, case).get(value)
    return standard.labels.get(lang) if standard is not None else value


def standards_of(engine: Engine, case: Case) -> Any:
    found = engine.campaigns.get(case.campaign or "")
    return found.spec.standards if found is not None else {}


def standard_fen(engine: Engine, case: Case) -> int | None:
    """The campaign's standard for the case's category, or None if it cannot be priced
    (no campaign, no category, a per-person count missing)."""
    category = case.data.get("category")
    standards = standards_of(engine, case)
    if not isinstance(category, str) or category not in standards:
        return None
    computed = case_values(case.data, engine.family_rules) if engine.family_rules else {}
    try:
        return amount_for(standards, category, case.data, computed).amount_fen
    except BangfuError:
        return None


def paid_fen(case: Case) -> int | None:
    value = case.data.get("amount_fen")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def granted(defn: CompiledDefinition, state: str) -> bool:
    return defn.is_final(state) and defn.states[state].outcome == "granted"


def title_prefix(campaign: Campaign | None, lang: str) -> str:
    """The campaign's name as the start of a title ("…：" / "…: "), or nothing."""
    if campaign is None:
        return ""
    return f"{campaign.spec.labels.get(lang)}{t(lang, '：', ': ')}"
