"""Named guards of the county union's processes: hardship archive and medical aid. Pure.

Listed in ``workflow.core.registry``. No figure lives here: the yearly
living aid per hardship level comes from the definition (guard ``params``),
the medical aid from the county union's rules the shell reads into
``facts["medical_rules"]`` (``definitions/rules/medical_aid.yaml``,
``definitions.standards.MedicalAidRules``), eligibility for the archive from
the union's income lines in ``facts["income_rules"]``
(``definitions/rules/income_lines.yaml``).

The medical guards read these case fields of ``processes/medical_aid.yaml``:
``aid_kind`` (deep, relative, accident), ``compliant_costs_fen``,
``accident_losses_fen``, ``other_aid_items`` and ``aid_amount_fen``.
"""

from __future__ import annotations

from collections.abc import Mapping

from definitions.standards import ROUTES, IncomeRules, MedicalAidRules
from workflow.core.guards import Failure, Guard, GuardContext
from workflow.rules.family import eligibility
from workflow.rules.medical import MedicalAid, medical_aid
from workflow.rules.money import InvalidAmount, fen_to_yuan_text

KIND_FIELD = "aid_kind"
COSTS_FIELD = "compliant_costs_fen"
LOSSES_FIELD = "accident_losses_fen"
ITEMS_FIELD = "other_aid_items"
AMOUNT_FIELD = "aid_amount_fen"
KINDS = ("deep", "relative", "accident")

#: who approves on each route, in words
ROUTE_WORDS: dict[str, tuple[str, str]] = {
    "county": ("the county union", "县总工会"),
    "province": ("the provincial union", "省总工会"),
    "national": ("the national union", "全国总工会"),
}


def _yuan(fen: int) -> str:
    return fen_to_yuan_text(fen, grouping=True)


def _fen(ctx: GuardContext, name: str) -> int | None:
    value = ctx.data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _value_label(ctx: GuardContext, field: str, value: str) -> tuple[str, str]:
    spec = ctx.definition.spec.fields.get(field)
    label = spec.value_labels.get(value) if spec is not None else None
    return (label.en, label.zh) if label is not None else (value, value)


def computed_aid(ctx: GuardContext) -> tuple[MedicalAid | None, Failure | None]:
    """The medical aid the county union's rules give this case, or why there is none."""
    rules = ctx.facts.get("medical_rules")
    if not isinstance(rules, MedicalAidRules):
        return None, ("the county union's medical aid rules are not loaded",
                      "未加载县总工会医疗救助规则，无法核定救助")
    kind = ctx.data.get(KIND_FIELD)
    if kind not in KINDS:
        return None, ("the kind of medical aid (deep, relative or accident) must be given",
                      "必须填写救助类别（深度困难、相对困难或因意外致困）")
    costs = _fen(ctx, COSTS_FIELD)
    if costs is None:
        return None, ("the compliant self-paid costs must be given",
                      "必须填写本年合规自付医疗费用")
    try:
        aid = medical_aid(rules, kind, costs, losses_fen=_fen(ctx, LOSSES_FIELD) or 0,
                          other_aid_items=_fen(ctx, ITEMS_FIELD) or 0)
    except InvalidAmount as exc:
        return None, (exc.en, exc.zh)
    if not aid.qualified:
        return None, (f"no medical aid: {aid.rule.en}", f"不予医疗救助：{aid.rule.zh}")
    return aid, None


def medical_route(ctx: GuardContext, route: str) -> Failure | None:
    """The county union's rules send this case to ``route`` (county, province, national):
    20,000 stays with the county, more than 20,000 goes to the province, more than
    50,000 to the national union (the bounds are in the rules, not here)."""
    if route not in ROUTES:
        return (f"unknown approval route '{route}'; known: {', '.join(ROUTES)}",
                f"未知的审批层级 '{route}'；可用：{'、'.join(ROUTES)}")
    if {KIND_FIELD, COSTS_FIELD} & ctx.pending:
        return None  # judged on the kind and costs the user gives
    aid, failure = computed_aid(ctx)
    if aid is None:
        return failure
    if aid.route == route:
        return None
    to_en, to_zh = ROUTE_WORDS[aid.route]
    not_en, not_zh = ROUTE_WORDS[route]
    return (f"compliant self-paid costs of {_yuan(aid.costs_fen)} yuan are approved by {to_en}, "
            f"not by {not_en}",
            f"合规自付费用 {_yuan(aid.costs_fen)} 元应由{to_zh}审批，不由{not_zh}审批")


def medical_amount(ctx: GuardContext) -> Failure | None:
    """The amount recorded is exactly what the rules give: the share of the costs,
    四舍五入, capped, never above the self-paid costs. With the amount still to be
    given (``ctx.pending``), it holds when the rules give one."""
    if {KIND_FIELD, COSTS_FIELD} & ctx.pending:
        return None  # judged on the kind and costs the user gives
    aid, failure = computed_aid(ctx)
    if aid is None:
        return failure
    if AMOUNT_FIELD in ctx.pending or _fen(ctx, AMOUNT_FIELD) == aid.amount_fen:
        return None
    want = _yuan(aid.amount_fen)
    return (f"the medical aid must be exactly {want} yuan ({aid.rule.en})",
            f"医疗救助金额必须为 {want} 元（{aid.rule.zh}）")


def level_amount(ctx: GuardContext, field: str, by: str,
                 **amounts: str | int | bool) -> Failure | None:
    """Field ``field`` holds the amount (fen) the definition gives for the value of
    field ``by``: ``params: {field: living_aid_year_fen, by: hardship_level,
    deep: 790000, relative: 630000}``."""
    if by in ctx.pending:
        return None  # judged on the level the user gives
    level = ctx.data.get(by)
    if not isinstance(level, str) or not level:
        return (f"'{by}' must be given to set '{field}'", f"必须先确定「{by}」才能核定「{field}」")
    level_en, level_zh = _value_label(ctx, by, level)
    expected = amounts.get(level)
    if not isinstance(expected, int) or isinstance(expected, bool):
        return (f"the definition sets no amount for '{level_en}'",
                f"流程定义没有为「{level_zh}」设定金额")
    if field in ctx.pending or _fen(ctx, field) == expected:
        return None
    spec = ctx.definition.spec.fields.get(field)
    what_en, what_zh = (spec.labels.en, spec.labels.zh) if spec is not None else (field, field)
    want = _yuan(expected)
    return (f"{what_en.lower()} for '{level_en}' must be exactly {want} yuan",
            f"「{level_zh}」的{what_zh}必须为 {want} 元")


def _label(ctx: GuardContext, field: str) -> tuple[str, str]:
    spec = ctx.definition.spec.fields.get(field)
    return (spec.labels.en, spec.labels.zh) if spec is not None else (field, field)


def income_line(ctx: GuardContext, income: str, costs: str) -> Failure | None:
    """The household qualifies under the union's income lines (``facts["income_rules"]``,
    ``definitions/rules/income_lines.yaml``): its per-capita monthly income (field
    ``income``, fen) is under a line, as the line's bound says, with one of the line's
    reasons (a child in school, disability, single parent; a major illness or
    disaster); or its self-paid medical costs or disaster losses this year (field
    ``costs``) lie in the rules' ``costs_or_losses``, whatever the income."""
    rules = ctx.facts.get("income_rules")
    if not isinstance(rules, IncomeRules):
        return ("the union's income lines are not loaded", "未加载困难职工认定收入线，无法认定")
    per_capita, spent = _fen(ctx, income), _fen(ctx, costs)
    if per_capita is None and spent is None:
        what_en, what_zh = _label(ctx, income)
        return (f"'{what_en}' must be given to judge eligibility",
                f"必须填写「{what_zh}」才能认定是否符合条件")
    found = eligibility(rules, per_capita, ctx.data, spent)
    if found.qualified:
        return None
    en: list[str] = []
    zh: list[str] = []
    if per_capita is not None:
        en.append(f"per-capita monthly income {_yuan(per_capita)} yuan")
        zh.append(f"家庭月人均收入 {_yuan(per_capita)} 元")
        for check in found.checks:
            limit = _yuan(int(check.limit_fen))
            inclusive = check.line.bound == "at_most"
            place_en = f"at or under {limit}" if inclusive else f"under {limit}"
            place_zh = f"在 {limit} 元以下" if inclusive else f"低于 {limit} 元"
            if not check.under:
                en.append(f"not {place_en} ({check.line.labels.en})")
                zh.append(f"不{place_zh}（{check.line.labels.zh}）")
            else:
                names = [_label(ctx, r) for r in check.line.reasons]
                en.append(f"{place_en}, but none of: {', '.join(n[0] for n in names)}")
                zh.append(f"{place_zh}，但不具备以下情形：{'、'.join(n[1] for n in names)}")
    bound = rules.costs_or_losses
    if bound is not None:
        b_en, b_zh = bound.words()
        what_en, what_zh = _label(ctx, costs)
        en.append(f"{what_en.lower()} {_yuan(spent or 0)} yuan, not {b_en}")
        zh.append(f"{what_zh} {_yuan(spent or 0)} 元，未达 {b_zh}")
    return ("not eligible under the income lines: " + "; ".join(en),
            "不符合困难职工认定条件：" + "；".join(zh))


GUARDS: Mapping[str, Guard] = {
    "medical_route": medical_route,
    "medical_amount": medical_amount,
    "level_amount": level_amount,
    "income_line": income_line,
}
