"""The domain's figures as data: relief standards, medical-aid rules, income lines. Pure
apart from ``load_medical_aid_rules``/``load_income_rules`` (which read through ``loader``).

A campaign's ``standards:`` maps a category id to a ``StandardSpec``: its
labels, its amount in yuan per household or per person (or per subgroup), the
criteria over case data that make the engine propose it, its priority, and
an optional combination rule: 就高不就低 plus a sum. The county union's
medical aid (``rules/medical_aid.yaml``) and the district union's income
lines and family-size default (``rules/income_lines.yaml``) are data too:
every county changes its figures every year, so none of them is code.

Boundaries are written as the plans word them (``Bound``): 以上 ``at_least``
and 以下/以内 ``at_most`` include the number, 超过 ``more_than`` and
低于/不足 ``less_than`` do not.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from definitions.bounds import BoundKind, check_wording, condition_bounds, in_yuan
from definitions.compile import SHIPPED
from definitions.conditions import check_condition
from definitions.errors import DefinitionError, DefinitionInvalid, Problem
from definitions.loader import Lines, dotted, line_of, load_yaml_file, load_yaml_text
from definitions.parse import parse_model
from definitions.schema import Identifier, Identifiers, Labels, _Frozen

SHIPPED_RULES = SHIPPED / "rules"
#: names the rules compute from case data; criteria may read them like fields
COMPUTED_NAMES = frozenset({"family_size", "per_capita_annual_income_fen",
                            "per_capita_monthly_income_fen"})

Yuan = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PositiveYuan = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Percent = Annotated[Decimal, Field(gt=0, le=100, max_digits=7, decimal_places=4)]
Route = Literal["county", "province", "national"]
ROUTES: tuple[Route, ...] = ("county", "province", "national")


def yuan_fen(yuan: Decimal) -> int:
    """Yuan with at most two decimals (the models ensure it) as integer fen, exactly."""
    return int(yuan * 100)


class CriterionSpec(_Frozen):
    """One rule that makes a category apply: a condition over case data, with its wording.

    ``wording`` quotes the plan where the condition has a bound ("4 万元以上"); its
    bound words must be the comparisons of ``when`` (``>=`` for 以上), and its
    figures theirs (``definitions.bounds``)."""

    id: Identifier
    labels: Labels
    when: str = Field(min_length=1)
    wording: str | None = None

    @model_validator(mode="after")
    def _worded_as_compared(self) -> CriterionSpec:
        if self.wording is not None:
            bounds = [(kind, in_yuan(name, figure))
                      for name, kind, figure in condition_bounds(self.when)]
            problem = check_wording(self.wording, bounds)
            if problem is not None:
                raise ValueError(f"{problem[0]} ({self.when}); {problem[1]}")
        return self


class PartSpec(_Frozen):
    """A part of an amount paid in one form (200 cash + 400 clothing and bedding)."""

    id: Identifier
    labels: Labels
    amount: PositiveYuan


class SubgroupSpec(_Frozen):
    """A subgroup with its own amount; the first whose criteria hold applies (none: always)."""

    id: Identifier
    labels: Labels
    amount: PositiveYuan | None = None
    parts: tuple[PartSpec, ...] = ()
    criteria: tuple[CriterionSpec, ...] = ()
    note: str | None = None


class CombinationSpec(_Frozen):
    """就高不就低 plus: a household that qualifies for this category and for one of
    ``categories`` is paid the higher of the two standards plus ``plus`` yuan."""

    categories: Identifiers = Field(min_length=1)
    pay: Literal["higher_plus"] = "higher_plus"
    plus: Yuan
    labels: Labels


_AMOUNT_REQUIRED: dict[str, Any] = {"anyOf": [{"required": ["amount"]},
                                              {"required": ["subgroups"]}]}


class StandardSpec(_Frozen):
    """The relief standard of one category (the key of ``standards:``).

    ``amount`` is yuan per household or per person (``per``); a per-person
    amount is multiplied by the value named by ``count`` (the family size
    unless told). Subgroups may carry their own amounts. A category whose
    amount is missing or blank is a load-time error (``check_standards``):
    a plan may leave a figure out, a campaign may not. Categories are tried
    in descending ``priority``, so where two bands touch the higher one wins.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_AMOUNT_REQUIRED)

    labels: Labels
    amount: PositiveYuan | None = None
    per: Literal["household", "person"] = "household"
    count: Identifier = "family_size"
    parts: tuple[PartSpec, ...] = ()
    subgroups: tuple[SubgroupSpec, ...] = ()
    criteria: tuple[CriterionSpec, ...] = ()
    priority: int = 0
    combine: CombinationSpec | None = None
    #: the levels whose public notice lists show the category's cases (the plan:
    #: general hardship at village and township level, moderate and severe at
    #: county level too)
    notice: tuple[Literal["village", "township", "county"], ...] = ("village", "township")
    note: str | None = None

    def subgroup(self, subgroup_id: str) -> SubgroupSpec:
        """The subgroup of that id.

        Raises:
            UnknownSubgroup: no such subgroup (with "did you mean").
        """
        for s in self.subgroups:
            if s.id == subgroup_id:
                return s
        raise UnknownSubgroup(self.labels, subgroup_id, [s.id for s in self.subgroups])

    def unit_fen(self, subgroup: str | None = None) -> int:
        """Fen per household or per person, of the subgroup when one is given.

        Raises:
            UnknownSubgroup: a subgroup this standard does not have, or none
                given where only the subgroups carry amounts.
        """
        amount = self.amount
        if subgroup is not None:
            amount = self.subgroup(subgroup).amount or amount
        if amount is None:
            raise UnknownSubgroup(self.labels, subgroup, [s.id for s in self.subgroups])
        return yuan_fen(amount)

    def fen(self, persons: int = 1, subgroup: str | None = None) -> int:
        """The amount in integer fen: per household, or per person times ``persons``."""
        return self.unit_fen(subgroup) * (persons if self.per == "person" else 1)


class UnknownSubgroup(DefinitionError):
    """A subgroup a standard does not have, or none where only subgroups have amounts."""

    code = "unknown_subgroup"

    def __init__(self, labels: Labels, subgroup: str | None, known: Collection[str]) -> None:
        self.subgroup = subgroup
        options = ", ".join(f"'{k}'" for k in known)
        options_zh = "、".join(f"'{k}'" for k in known)
        if subgroup is None:
            super().__init__(f"The standard '{labels.en}' pays by subgroup; name one of {options}",
                             f"「{labels.zh}」按细分类别发放，请指明：{options_zh}")
            return
        close = get_close_matches(subgroup, list(known), n=1)
        super().__init__(
            f"The standard '{labels.en}' has no subgroup '{subgroup}'"
            + (f"; did you mean '{close[0]}'?" if close else f"; it has {options or 'none'}"),
            f"「{labels.zh}」没有细分类别 '{subgroup}'"
            + (f"；是否指 '{close[0]}'？" if close else f"；现有：{options_zh or '无'}"))


def _unknown_name(name: str, known: Collection[str]) -> tuple[str, str]:
    close = get_close_matches(name, sorted(known), n=1)
    return (f"unknown name '{name}'" + (f"; did you mean '{close[0]}'?" if close else ""),
            f"未知的名称 '{name}'" + (f"；是否指 '{close[0]}'？" if close else ""))


def check_standards(standards: Mapping[str, StandardSpec], lines: Lines | None = None,
                    source: str | None = None, known_names: Collection[str] | None = None,
                    prefix: tuple[str | int, ...] = ("standards",)) -> list[Problem]:
    """Every problem of a ``standards:`` table its models alone cannot see.

    A missing or blank amount (naming the category), parts that do not add
    up, duplicate ids, conditions outside the condition language, and
    combinations naming unknown categories. With ``known_names`` (the
    process's field names) the names criteria read are checked as well,
    against those plus ``COMPUTED_NAMES``.
    """
    lines = lines or {}
    problems: list[Problem] = []
    names = None if known_names is None else set(known_names) | COMPUTED_NAMES

    def add(path: tuple[str | int, ...], en: str, zh: str) -> None:
        full = (*prefix, *path)
        problems.append(Problem(dotted(full), en, zh, line_of(lines, full), source))

    for cat, spec in standards.items():
        if spec.amount is None and (not spec.subgroups
                                    or any(s.amount is None for s in spec.subgroups)):
            add((cat, "amount"),
                f"category '{cat}' ({spec.labels.en}) has no amount: a plan may leave it "
                "blank, but the campaign must set the yuan it pays",
                f"类别 '{cat}'（{spec.labels.zh}）没有金额：方案可以未列明，"
                "但活动定义必须填写实际发放的金额（元）")
        if spec.per == "household" and spec.count != "family_size":
            add((cat, "count"), "'count' applies to per-person standards only",
                "'count' 仅适用于按人发放的标准")
        if names is not None and spec.per == "person" and spec.count not in names:
            en, zh = _unknown_name(spec.count, names)
            add((cat, "count"), en, zh)
        _check_parts(spec.amount, spec.parts, (cat,), add)
        _check_ids([s.id for s in spec.subgroups], (cat, "subgroups"), "subgroup", add)
        criteria: list[tuple[tuple[str | int, ...], CriterionSpec]] = [
            ((cat, "criteria", i), c) for i, c in enumerate(spec.criteria)]
        for k, sub in enumerate(spec.subgroups):
            _check_parts(sub.amount or spec.amount, sub.parts, (cat, "subgroups", k), add)
            criteria += [((cat, "subgroups", k, "criteria", i), c)
                         for i, c in enumerate(sub.criteria)]
        seen: set[str] = set()
        for path, c in criteria:
            if c.id in seen:
                add((*path, "id"), f"duplicate rule id '{c.id}' in category '{cat}'",
                    f"类别 '{cat}' 中重复的规则 id '{c.id}'")
            seen.add(c.id)
            read, error = check_condition(c.when)
            if error is not None:
                add((*path, "when"), error, f"条件无效：{error}")
            for name in sorted(read - names if names is not None else set()):
                en, zh = _unknown_name(name, names or ())
                add((*path, "when"), f"{en} in condition '{c.when}'",
                    f"条件「{c.when}」中{zh}")
        if spec.combine is not None:
            for i, other in enumerate(spec.combine.categories):
                if other == cat or other not in standards:
                    close = get_close_matches(other, [k for k in standards if k != cat], n=1)
                    add((cat, "combine", "categories", i),
                        f"category '{cat}' cannot combine with '{other}'"
                        + (f"; did you mean '{close[0]}'?" if close else ""),
                        f"类别 '{cat}' 不能与 '{other}' 合并计算"
                        + (f"；是否指 '{close[0]}'？" if close else ""))
    return problems


def _check_parts(amount: Decimal | None, parts: Iterable[PartSpec],
                 path: tuple[str | int, ...], add: Any) -> None:
    parts = tuple(parts)
    if not parts or amount is None:
        return
    total = sum((p.amount for p in parts), Decimal(0))
    if total != amount:
        add((*path, "parts"), f"the parts add up to {total} yuan, not the amount {amount}",
            f"各部分合计 {total} 元，与金额 {amount} 元不符")
    _check_ids([p.id for p in parts], (*path, "parts"), "part", add)


def _check_ids(ids: list[str], path: tuple[str | int, ...], what: str, add: Any) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            add((*path, i, "id"), f"duplicate {what} id '{item}'", f"重复的 id '{item}'")
        seen.add(item)


class Bound(_Frozen):
    """A threshold as the plans word it; exactly one key is given.

    ``at_least`` = 以上 and ``at_most`` = 以下 or 以内 include the number;
    ``more_than`` = 超过 and ``less_than`` = 低于 or 不足 do not.
    """

    at_least: Yuan | None = None
    more_than: Yuan | None = None
    at_most: Yuan | None = None
    less_than: Yuan | None = None
    #: the plan's words for this bound ("超过 2 万元"), held to the key and the figure
    wording: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Bound:
        given = [k for k in ("at_least", "more_than", "at_most", "less_than")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of at_least = 以上, more_than = 超过, "
                             "at_most = 以下/以内, less_than = 低于/不足")
        if self.wording is not None:
            problem = check_wording(self.wording, [(self.kind, getattr(self, self.kind))])
            if problem is not None:
                raise ValueError(f"{problem[0]}; {problem[1]}")
        return self

    @property
    def kind(self) -> BoundKind:
        return next(k for k in ("at_least", "more_than", "at_most", "less_than")
                    if getattr(self, k) is not None)

    @property
    def fen(self) -> int:
        value = getattr(self, self.kind)
        assert isinstance(value, Decimal)
        return yuan_fen(value)

    def holds(self, fen: int | Decimal) -> bool:
        """Does an amount in fen lie inside the bound?"""
        line, kind = self.fen, self.kind
        if kind == "at_least":
            return fen >= line
        if kind == "more_than":
            return fen > line
        if kind == "at_most":
            return fen <= line
        return fen < line

    def words(self) -> tuple[str, str]:
        """The bound in words (English, Chinese)."""
        yuan = f"{getattr(self, self.kind):,}"
        return {"at_least": (f"{yuan} or more", f"{yuan} 元以上"),
                "more_than": (f"more than {yuan}", f"超过 {yuan} 元"),
                "at_most": (f"{yuan} or less", f"{yuan} 元以下"),
                "less_than": (f"less than {yuan}", f"低于 {yuan} 元")}[self.kind]


class ApprovalSpec(_Frozen):
    """Who must approve when the compliant self-paid costs lie inside ``costs``."""

    route: Literal["province", "national"]
    labels: Labels
    costs: Bound


class _AidRule(_Frozen):
    labels: Labels
    approvals: tuple[ApprovalSpec, ...] = ()


class DeepHardshipAid(_AidRule):
    """``percent`` of the compliant self-paid costs, rounded half-up to ``round_to``
    yuan, never above the costs when ``not_above_costs``."""

    percent: Percent
    round_to: PositiveYuan
    not_above_costs: bool = True


class RelativeHardshipAid(_AidRule):
    """``percent_of_deep`` of the deep-hardship amount, rounded, capped; a household
    gets at most ``max_aid_items`` aid items."""

    percent_of_deep: Percent
    round_to: PositiveYuan
    cap: PositiveYuan
    max_aid_items: int = Field(ge=1)


class AccidentAid(_AidRule):
    """``percent`` of the compliant self-paid costs, rounded, capped; only when the
    year's costs or losses lie inside ``qualifies``."""

    percent: Percent
    round_to: PositiveYuan
    cap: PositiveYuan
    qualifies: Bound


class MedicalAidRules(_Frozen):
    """A union's medical-aid rules: the root of ``rules/medical_aid.yaml``."""

    rules: Identifier
    labels: Labels
    source: str | None = None
    deep_hardship: DeepHardshipAid
    relative_hardship: RelativeHardshipAid
    accident: AccidentAid


class IncomeLineSpec(_Frozen):
    """An eligibility line on per-capita monthly income: a ``multiple`` of the
    minimum-living line or an absolute ``yuan``; ``bound`` says whether the line
    itself is inside, ``at_most`` = 以下/以内, or not, ``less_than`` = 低于/不足, and
    ``wording`` quotes the plan (its bound word must agree). ``reasons`` are
    the case fields (yes/no) of which one must hold for the line to apply (a
    child in school, disability, single parent); none: the income alone."""

    id: Identifier
    labels: Labels
    multiple: Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=4)] | None = None
    yuan: PositiveYuan | None = None
    bound: Literal["less_than", "at_most"]
    wording: str | None = None
    reasons: Identifiers = ()

    @model_validator(mode="after")
    def _one_measure(self) -> IncomeLineSpec:
        if (self.multiple is None) == (self.yuan is None):
            raise ValueError("give exactly one of 'multiple' (of the minimum-living line) "
                             "and 'yuan'")
        if self.wording is not None:
            problem = check_wording(self.wording, [(self.bound, self.yuan)])
            if problem is not None:
                raise ValueError(f"{problem[0]}; {problem[1]}")
        return self


class FamilyRulesSpec(_Frozen):
    """How many persons a family counts when its members are not given."""

    default_size: int = Field(ge=1, le=30)


class IncomeRules(_Frozen):
    """A union's income lines: the root of ``rules/income_lines.yaml``.

    A household qualifies when its per-capita monthly income is under one of
    ``lines`` (as its bound says) with one of that line's ``reasons``, or,
    whatever the income, when its self-paid medical costs or disaster losses
    this year lie in ``costs_or_losses``."""

    rules: Identifier
    labels: Labels
    source: str | None = None
    #: yuan per person per month
    minimum_living_line: PositiveYuan
    family: FamilyRulesSpec
    lines: tuple[IncomeLineSpec, ...]
    #: the other way in: self-paid medical costs or disaster losses this year
    costs_or_losses: Bound | None = None


def _load(model: type[Any], data: Any, lines: Lines, source: str | None) -> Any:
    spec = parse_model(model, data, lines, source)
    problems: list[Problem] = []
    if isinstance(spec, MedicalAidRules):
        for key in ("deep_hardship", "relative_hardship", "accident"):
            routes = [a.route for a in getattr(spec, key).approvals]
            if len(set(routes)) != len(routes):
                problems.append(Problem(f"{key}.approvals", "a route is listed twice",
                                        "审批层级重复", line_of(lines, (key, "approvals")),
                                        source))
    if isinstance(spec, IncomeRules):
        if not spec.lines:
            problems.append(Problem("lines", "give at least one income line",
                                    "至少需要一条收入线", line_of(lines, ("lines",)), source))
        ids = [ln.id for ln in spec.lines]
        for i, item in enumerate(ids):
            if item in ids[:i]:
                problems.append(Problem(dotted(("lines", i, "id")),
                                        f"duplicate line id '{item}'", f"重复的 id '{item}'",
                                        line_of(lines, ("lines", i, "id")), source))
    if problems:
        raise DefinitionInvalid(problems, source)
    return spec


def load_rules_data(data: Any, lines: Lines, source: str | None) -> MedicalAidRules | IncomeRules:
    """A ``rules:`` file's data as the rules it holds: the medical-aid rules (it
    has ``deep_hardship``) or the income lines.

    Raises:
        DefinitionInvalid: every problem with its path and line.
    """
    model: type[Any] = MedicalAidRules if isinstance(data, dict) and \
        "deep_hardship" in data else IncomeRules
    found: MedicalAidRules | IncomeRules = _load(model, data, lines, source)
    return found


def load_medical_aid_rules(path: str | Path | None = None) -> MedicalAidRules:
    """Read the medical-aid rules (the shipped ``rules/medical_aid.yaml`` by default).

    Raises:
        DefinitionInvalid: every problem with its path and line.
    """
    p = SHIPPED_RULES / "medical_aid.yaml" if path is None else Path(path)
    data, lines, _ = load_yaml_file(p)
    rules: MedicalAidRules = _load(MedicalAidRules, data, lines, str(p))
    return rules


def medical_aid_rules_from_text(text: str, source: str = "<medical_aid>") -> MedicalAidRules:
    data, lines = load_yaml_text(text, source)
    rules: MedicalAidRules = _load(MedicalAidRules, data, lines, source)
    return rules


def load_income_rules(path: str | Path | None = None) -> IncomeRules:
    """Read income lines and the family-size default (shipped ``rules/income_lines.yaml``).

    Raises:
        DefinitionInvalid: every problem with its path and line.
    """
    p = SHIPPED_RULES / "income_lines.yaml" if path is None else Path(path)
    data, lines, _ = load_yaml_file(p)
    rules: IncomeRules = _load(IncomeRules, data, lines, str(p))
    return rules


def income_rules_from_text(text: str, source: str = "<income_lines>") -> IncomeRules:
    data, lines = load_yaml_text(text, source)
    rules: IncomeRules = _load(IncomeRules, data, lines, source)
    return rules
