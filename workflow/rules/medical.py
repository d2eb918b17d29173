"""The county union's medical aid for workers in hardship. Pure.

Every figure comes from ``MedicalAidRules`` (shipped in
``definitions/rules/medical_aid.yaml``); the code only knows the shape of the
rules, as DOMAIN.md states them:

- deep hardship: a percentage (100 %) of the compliant self-paid costs, 四舍五入
  to the hundred, never above the costs themselves. The approval route follows
  the costs: 20,000 stays with the county, more than 20,000, 超过, goes to the
  provincial union, more than 50,000 to the national union;
- relative hardship: a percentage (80 %) of what deep hardship would get,
  rounded the same way, capped (16,000); one aid item only, so a household
  that already has its aid item gets no medical aid;
- an accident: a percentage (15 %) of the compliant self-paid costs, capped
  (10,000), only when the year's costs or losses reach the threshold (24,000
  以上, included).

"Never above the costs" is read literally: the rounded amount, or the costs
when rounding went above them (12,350 → 12,350, not 12,400).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from definitions.schema import Labels
from definitions.standards import (
    ROUTES,
    AccidentAid,
    DeepHardshipAid,
    MedicalAidRules,
    RelativeHardshipAid,
    Route,
    yuan_fen,
)
from workflow.rules.money import InvalidAmount, fen_to_yuan_text, round_half_up

Kind = Literal["deep", "relative", "accident"]


@dataclass(frozen=True)
class MedicalAid:
    """The aid for one household: amount in fen, approval route, and the rule in words."""

    kind: Kind
    qualified: bool
    amount_fen: int
    route: Route
    costs_fen: int
    rule: Labels


def _yuan(fen: int) -> str:
    return fen_to_yuan_text(fen, grouping=True)


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _share(fen: int, percent: Decimal, round_to: Decimal) -> int:
    return round_half_up(Decimal(fen) * percent / 100, yuan_fen(round_to))


def approval_route(rule: DeepHardshipAid | RelativeHardshipAid | AccidentAid,
                   costs_fen: int) -> Route:
    """The highest route whose bound the compliant self-paid costs lie in; else the county."""
    routes = [a.route for a in rule.approvals if a.costs.holds(costs_fen)]
    return max(routes, key=ROUTES.index, default="county")


def _route_words(rule: DeepHardshipAid | RelativeHardshipAid | AccidentAid,
                 route: Route) -> tuple[str, str]:
    for a in rule.approvals:
        if a.route == route:
            en, zh = a.costs.words()
            return (f"costs {en}: {a.labels.en.lower()}", f"费用{zh}，{a.labels.zh}")
    return "approved by the county union", "由县总工会审批"


def deep_hardship_amount(rules: MedicalAidRules, costs_fen: int) -> int:
    """What a deep-hardship household gets for these compliant self-paid costs."""
    deep = rules.deep_hardship
    amount = _share(costs_fen, deep.percent, deep.round_to)
    return min(amount, costs_fen) if deep.not_above_costs else amount


def medical_aid(rules: MedicalAidRules, kind: Kind, costs_fen: int, *, losses_fen: int = 0,
                other_aid_items: int = 0) -> MedicalAid:
    """The medical aid of a household of ``kind`` with these compliant self-paid costs.

    ``losses_fen`` (an accident's other losses) counts toward the accident
    threshold only; ``other_aid_items`` is how many aid items a relative-hardship
    household already has this year.

    Raises:
        InvalidAmount: negative costs or losses.
    """
    for name, value in (("costs", costs_fen), ("losses", losses_fen)):
        if value < 0:
            raise InvalidAmount(value, f"of {name} cannot be negative",
                                f"（{'费用' if name == 'costs' else '损失'}）不能为负数")
    if kind == "deep":
        return _deep(rules, costs_fen)
    if kind == "relative":
        return _relative(rules, costs_fen, other_aid_items)
    return _accident(rules, costs_fen, losses_fen)


def _deep(rules: MedicalAidRules, costs: int) -> MedicalAid:
    deep = rules.deep_hardship
    amount = deep_hardship_amount(rules, costs)
    route = approval_route(deep, costs)
    route_en, route_zh = _route_words(deep, route)
    capped = deep.not_above_costs and amount == costs and costs % yuan_fen(deep.round_to) != 0
    en = (f"{deep.labels.en}: {_pct(deep.percent)} % of the compliant self-paid costs "
          f"{_yuan(costs)}, rounded half-up to {deep.round_to} yuan"
          + (", not above the costs" if capped else "") + f": {_yuan(amount)}; {route_en}")
    zh = (f"{deep.labels.zh}：合规自付费用 {_yuan(costs)} 元的 {_pct(deep.percent)}%，"
          f"四舍五入到 {deep.round_to} 元" + ("，不超过自付金额" if capped else "")
          + f"，为 {_yuan(amount)} 元；{route_zh}")
    return MedicalAid("deep", amount > 0, amount, route, costs, Labels(en=en, zh=zh))


def _relative(rules: MedicalAidRules, costs: int, other_items: int) -> MedicalAid:
    rel = rules.relative_hardship
    if other_items >= rel.max_aid_items:
        return MedicalAid("relative", False, 0, "county", costs, Labels(
            en=f"{rel.labels.en}: {rel.max_aid_items} aid item(s) only, and the household "
               f"already has {other_items}",
            zh=f"{rel.labels.zh}：只能享受 {rel.max_aid_items} 项救助，该户已享受 {other_items} 项"))
    deep = deep_hardship_amount(rules, costs)
    share = _share(deep, rel.percent_of_deep, rel.round_to)
    cap = yuan_fen(rel.cap)
    amount = min(share, cap)
    route = approval_route(rel, costs)
    route_en, route_zh = _route_words(rel, route)
    en = (f"{rel.labels.en}: {_pct(rel.percent_of_deep)} % of the deep-hardship amount "
          f"{_yuan(deep)}, rounded half-up to {rel.round_to} yuan: {_yuan(share)}"
          + (f", capped at {_yuan(cap)}" if share > cap else "")
          + f"; {rel.max_aid_items} aid item(s) only; {route_en}")
    zh = (f"{rel.labels.zh}：深度困难救助金额 {_yuan(deep)} 元的 {_pct(rel.percent_of_deep)}%，"
          f"四舍五入到 {rel.round_to} 元，为 {_yuan(share)} 元"
          + (f"，最高 {_yuan(cap)} 元" if share > cap else "")
          + f"；限 {rel.max_aid_items} 项救助；{route_zh}")
    return MedicalAid("relative", amount > 0, amount, route, costs, Labels(en=en, zh=zh))


def _accident(rules: MedicalAidRules, costs: int, losses: int) -> MedicalAid:
    acc = rules.accident
    bound_en, bound_zh = acc.qualifies.words()
    if not (acc.qualifies.holds(costs) or acc.qualifies.holds(losses)):
        return MedicalAid("accident", False, 0, "county", costs, Labels(
            en=f"{acc.labels.en}: qualifies only with costs or losses of {bound_en}; "
               f"costs {_yuan(costs)}, losses {_yuan(losses)}",
            zh=f"{acc.labels.zh}：本年费用或损失须在 {bound_zh}；"
               f"费用 {_yuan(costs)} 元，损失 {_yuan(losses)} 元"))
    share = _share(costs, acc.percent, acc.round_to)
    cap = yuan_fen(acc.cap)
    amount = min(share, cap)
    route = approval_route(acc, costs)
    route_en, route_zh = _route_words(acc, route)
    en = (f"{acc.labels.en}: costs or losses of {bound_en}; {_pct(acc.percent)} % of the "
          f"compliant self-paid costs {_yuan(costs)}: {_yuan(share)}"
          + (f", capped at {_yuan(cap)}" if share > cap else "") + f"; {route_en}")
    zh = (f"{acc.labels.zh}：本年费用或损失在 {bound_zh}；合规自付费用 {_yuan(costs)} 元的 "
          f"{_pct(acc.percent)}%，为 {_yuan(share)} 元"
          + (f"，最高 {_yuan(cap)} 元" if share > cap else "") + f"；{route_zh}")
    return MedicalAid("accident", amount > 0, amount, route, costs, Labels(en=en, zh=zh))
