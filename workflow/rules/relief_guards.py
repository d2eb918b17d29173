"""Named guards of the township relief process: no double relief, the standard amount. Pure.

Listed in ``workflow.core.registry``. No figure lives here: the standards come
from the campaign (``facts["standards"]``), the rival cases from the shell
(``facts["claims"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from definitions.errors import BangfuError
from workflow.core.guards import Failure, Guard, GuardContext
from workflow.errors import DoubleRelief
from workflow.rules.family import case_values
from workflow.rules.money import fen_to_yuan_text
from workflow.rules.relief import amount_for


def rival_refusal(facts: Mapping[str, Any]) -> DoubleRelief | None:
    """The refusal a household's rival case makes, or None. ``facts["claims"]``
    are the cases its ``household_limit`` forbids beside this one, read by the
    shell; submission and delivery judge them by this one rule."""
    claims = facts.get("claims", ())
    if not claims:
        return None
    other = claims[0]
    return DoubleRelief(other["number"], other["process"], other["state"],
                        facts.get("household_limit", "campaign"))


def no_double_relief(ctx: GuardContext) -> Failure | None:
    """No other case of this household stands in the way (不重复慰问)."""
    refusal = rival_refusal(ctx.facts)
    return None if refusal is None else (refusal.en, refusal.zh)


def standard_amount(ctx: GuardContext) -> Failure | None:
    """The amount paid is exactly the standard of the case's final category: no
    other amount, no splitting (``facts``: the campaign's standards and family rules).
    With the amount still to be given (``ctx.pending``), it holds when the case
    has a standard."""
    standards = ctx.facts.get("standards")
    if not standards:
        return ("the campaign defines no relief standards", "本次活动没有设定帮扶标准")
    category = ctx.data.get("category")
    try:
        computed = case_values(ctx.data, ctx.facts["family_rules"]) \
            if ctx.facts.get("family_rules") is not None else {}
        standard = amount_for(standards, str(category), ctx.data, computed)
    except BangfuError as exc:
        return (exc.en, exc.zh)
    paid = ctx.data.get("amount_fen")
    if "amount_fen" in ctx.pending or paid == standard.amount_fen:
        return None
    want = fen_to_yuan_text(standard.amount_fen, grouping=True)
    return (f"the amount must be exactly the standard of '{category}': {want} yuan",
            f"发放金额必须等于「{category}」的标准：{want} 元，不得另定金额或拆分")


GUARDS: Mapping[str, Guard] = {
    "no_double_relief": no_double_relief,
    "standard_amount": standard_amount,
}
