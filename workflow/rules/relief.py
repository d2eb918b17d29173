"""Relief standards: the proposed category, the amount of a final category, totals. Pure.

The data is a campaign's ``standards:`` (``definitions.standards.StandardSpec``
by category id). ``propose`` tries the categories in descending priority (file
order among equals) and proposes the first whose criteria hold on the case
data plus the computed values (``family.case_values``); where two bands
touch, the higher one wins. A category without criteria is never proposed: it
is the reviewers' choice only. Within a category the first subgroup whose
criteria hold gives the amount; a subgroup without criteria applies whenever
its category's own criteria held.

The amount is always the standard of the final category, never another
figure: per household, or per person times the value the standard counts
(the family size unless told). The one exception is itself a standard: a
household that qualifies both for a category with a combination rule and for
one of its partner categories is paid the higher of the two amounts plus the
rule's sum, 就高不就低 plus 1,000, whichever of the two it is filed under;
``propose`` files it under the higher-priority one.

Reviewers may change the category only with a reason (``change_category``);
``check_amount`` refuses any amount other than the standard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import Any, Literal

from definitions.errors import BangfuError
from definitions.schema import Labels
from definitions.standards import CriterionSpec, StandardSpec, SubgroupSpec, yuan_fen
from workflow.rules._evaluate import holds
from workflow.rules.money import fen_to_yuan_text

Standards = Mapping[str, StandardSpec]


class UnknownCategory(BangfuError):
    """A category (or ``category.subgroup``) the standards do not have."""

    code = "unknown_category"

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        close = get_close_matches(name, known, n=1)
        super().__init__(
            f"No relief standard '{name}'" + (f"; did you mean '{close[0]}'?" if close else ""),
            f"没有救助标准 '{name}'" + (f"；是否指 '{close[0]}'？" if close else ""))


class SubgroupRequired(BangfuError):
    """A category paid by subgroup, and no subgroup given or matching."""

    code = "subgroup_required"

    def __init__(self, category: str, subgroups: list[str]) -> None:
        self.category, self.subgroups = category, tuple(subgroups)
        super().__init__(
            f"Category '{category}' is paid by subgroup and none applies; name one of "
            + ", ".join(f"'{s}'" for s in subgroups),
            f"类别 '{category}' 按细分类别发放，但没有适用的细分类别；请指明："
            + "、".join(f"'{s}'" for s in subgroups))


class MissingCount(BangfuError):
    """A per-person standard whose person count is missing from the case."""

    code = "missing_count"

    def __init__(self, category: str, name: str) -> None:
        self.category, self.name = category, name
        super().__init__(
            f"Category '{category}' is paid per person and needs '{name}' (a count of at "
            "least 1)", f"类别 '{category}' 按人发放，需要填写 '{name}'（不少于 1 的人数）")


class ReasonRequired(BangfuError):
    """A change of category without a reason."""

    code = "reason_required"

    def __init__(self, old: str, new: str) -> None:
        super().__init__(f"Changing the category from '{old}' to '{new}' needs a reason",
                         f"将类别由 '{old}' 改为 '{new}' 必须说明理由")


class AmountNotStandard(BangfuError):
    """An amount other than the standard of the final category; 四个严禁: no other amount."""

    code = "amount_not_standard"

    def __init__(self, category: str, expected: int, given: int) -> None:
        self.category, self.expected, self.given = category, expected, given
        want, got = fen_to_yuan_text(expected, True), fen_to_yuan_text(given, True)
        super().__init__(
            f"The standard of category '{category}' is {want} yuan, not {got}; no other "
            "amount and no splitting", f"类别 '{category}' 的标准为 {want} 元，不是 {got} 元；"
            "不得擅自改变标准或拆分发放")


@dataclass(frozen=True)
class RuleRef:
    """A rule that decided: a criterion, or a combination rule (``when`` None)."""

    id: str
    labels: Labels
    when: str | None
    #: the category, ``category.subgroup`` or ``category.combine`` it belongs to
    where: str


@dataclass(frozen=True)
class Proposal:
    """A category with its amount in fen and the rules that decided, in order:
    the category's criterion, its subgroup's, then a combination's."""

    category: str
    subgroup: str | None
    amount_fen: int
    per: Literal["household", "person"]
    persons: int
    rules: tuple[RuleRef, ...]
    #: (part id, fen) when the standard is paid in parts (cash, clothing)
    parts: tuple[tuple[str, int], ...] = ()
    combined_with: str | None = None
    changed_from: str | None = None
    reason: str | None = None

    @property
    def rule(self) -> RuleRef | None:
        """The rule that made the category apply (None: the reviewers' choice)."""
        return self.rules[0] if self.rules else None


@dataclass(frozen=True)
class _Match:
    category: str
    subgroup: SubgroupSpec | None
    rules: tuple[RuleRef, ...]


def _first(criteria: tuple[CriterionSpec, ...], values: Mapping[str, Any],
           where: str) -> RuleRef | None:
    for c in criteria:
        if holds(c.when, values):
            return RuleRef(c.id, c.labels, c.when, where)
    return None


def _match(category: str, spec: StandardSpec, values: Mapping[str, Any]) -> _Match | None:
    rules: list[RuleRef] = []
    if spec.criteria:
        hit = _first(spec.criteria, values, category)
        if hit is None:
            return None
        rules.append(hit)
    if not spec.subgroups:
        return _Match(category, None, tuple(rules)) if rules else None
    for sub in spec.subgroups:
        if not sub.criteria:
            if rules:
                return _Match(category, sub, tuple(rules))
            continue
        hit = _first(sub.criteria, values, f"{category}.{sub.id}")
        if hit is not None:
            return _Match(category, sub, (*rules, hit))
    return None


def _ordered(standards: Standards) -> list[str]:
    order = {cat: i for i, cat in enumerate(standards)}
    return sorted(standards, key=lambda cat: (-standards[cat].priority, order[cat]))


def qualifying(standards: Standards, values: Mapping[str, Any]) -> tuple[str, ...]:
    """Every category whose criteria hold, in the order ``propose`` tries them."""
    return tuple(cat for cat in _ordered(standards)
                 if _match(cat, standards[cat], values) is not None)


def _persons(category: str, spec: StandardSpec, values: Mapping[str, Any]) -> int:
    if spec.per == "household":
        return 1
    n = values.get(spec.count)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise MissingCount(category, spec.count)
    return n


def _price(standards: Standards, match: _Match,
           values: Mapping[str, Any]) -> tuple[int, int, tuple[tuple[str, int], ...]]:
    spec = standards[match.category]
    persons = _persons(match.category, spec, values)
    sub = match.subgroup
    unit = yuan_fen(sub.amount) if sub is not None and sub.amount is not None else None
    if unit is None:
        if spec.amount is None:
            raise SubgroupRequired(match.category, [s.id for s in spec.subgroups])
        unit = yuan_fen(spec.amount)
    parts = sub.parts if sub is not None and sub.parts else spec.parts
    return (unit * persons, persons,
            tuple((p.id, yuan_fen(p.amount) * persons) for p in parts))


def _partner(standards: Standards, category: str,
             values: Mapping[str, Any]) -> tuple[str, _Match] | None:
    """The owner of the combination rule and the other category's match, if any."""
    own = standards[category].combine
    for other in _ordered(standards):
        if other == category:
            continue
        theirs = standards[other].combine
        if own is not None and other in own.categories:
            owner = category
        elif theirs is not None and category in theirs.categories:
            owner = other
        else:
            continue
        found = _match(other, standards[other], values)
        if found is not None:
            return owner, found
    return None


def _priced(standards: Standards, match: _Match, values: Mapping[str, Any]) -> Proposal:
    spec = standards[match.category]
    amount, persons, parts = _price(standards, match, values)
    sub_id = match.subgroup.id if match.subgroup is not None else None
    proposal = Proposal(match.category, sub_id, amount, spec.per, persons, match.rules, parts)
    partner = _partner(standards, match.category, values)
    if partner is None:
        return proposal
    owner, other = partner
    combine = standards[owner].combine
    assert combine is not None
    other_amount = _price(standards, other, values)[0]
    rule = RuleRef("combine", combine.labels, None, f"{owner}.combine")
    return replace(proposal, amount_fen=max(amount, other_amount) + yuan_fen(combine.plus),
                   rules=(*match.rules, *other.rules, rule), parts=(),
                   combined_with=other.category)


def propose(standards: Standards, data: Mapping[str, Any],
            computed: Mapping[str, Any] | None = None) -> Proposal | None:
    """The category the engine proposes, with its amount and the rules that matched;
    None when no category's criteria hold (the reviewers choose).

    Raises:
        MissingCount: the proposed standard is per person and the count is missing.
    """
    values = {**data, **(computed or {})}
    for cat in _ordered(standards):
        found = _match(cat, standards[cat], values)
        if found is not None:
            return _priced(standards, found, values)
    return None


def amount_for(standards: Standards, category: str, data: Mapping[str, Any],
               computed: Mapping[str, Any] | None = None,
               subgroup: str | None = None) -> Proposal:
    """The standard of a final category for this case (with its combination, if any).

    Raises:
        UnknownCategory: no such category or subgroup.
        SubgroupRequired: paid by subgroup and none given or matching.
        MissingCount: per person and the count is missing.
    """
    values = {**data, **(computed or {})}
    if category not in standards:
        raise UnknownCategory(category, list(standards))
    spec = standards[category]
    found = _match(category, spec, values)
    if subgroup is not None:
        sub = next((s for s in spec.subgroups if s.id == subgroup), None)
        if sub is None:
            raise UnknownCategory(f"{category}.{subgroup}",
                                  [f"{category}.{s.id}" for s in spec.subgroups])
        rules = found.rules if found is not None and found.subgroup == sub else ()
        found = _Match(category, sub, rules)
    elif found is None:
        sub = next((s for s in spec.subgroups
                    if _first(s.criteria, values, f"{category}.{s.id}")), None)
        if spec.subgroups and sub is None and spec.amount is None:
            raise SubgroupRequired(category, [s.id for s in spec.subgroups])
        found = _Match(category, sub, ())
    return _priced(standards, found, values)


def change_category(standards: Standards, proposal: Proposal, category: str, reason: str,
                    data: Mapping[str, Any], computed: Mapping[str, Any] | None = None,
                    subgroup: str | None = None) -> Proposal:
    """A reviewer's change of category: needs a reason, and pays the new standard.

    Raises:
        ReasonRequired: the reason is blank.
        UnknownCategory, SubgroupRequired, MissingCount: as ``amount_for``.
    """
    if not reason or not reason.strip():
        raise ReasonRequired(proposal.category, category)
    changed = amount_for(standards, category, data, computed, subgroup)
    return replace(changed, changed_from=proposal.category, reason=reason.strip())


def check_amount(proposal: Proposal, amount_fen: int) -> None:
    """Refuse any amount other than the standard of the final category.

    Raises:
        AmountNotStandard: the amount differs.
    """
    if amount_fen != proposal.amount_fen:
        raise AmountNotStandard(proposal.category, proposal.amount_fen, amount_fen)


@dataclass(frozen=True)
class PopulationLine:
    """One line of a report: ``units`` households or persons at one standard."""

    key: str
    labels: Labels
    per: Literal["household", "person"]
    units: int
    unit_fen: int
    total_fen: int
    #: (part id, labels, fen) when paid in parts
    parts: tuple[tuple[str, Labels, int], ...] = ()


@dataclass(frozen=True)
class PopulationTotal:
    lines: tuple[PopulationLine, ...]
    total_fen: int


def population_total(standards: Standards, counts: Mapping[str, int]) -> PopulationTotal:
    """What a population costs: ``counts`` maps ``category`` or ``category.subgroup``
    to its number of households (per-household standards) or persons (per-person).

    ``{'three_withouts.dispersed': 85, 'three_withouts.institution': 43}`` →
    85 × 1,000 + 43 × 600 = 110,800 yuan.

    Raises:
        UnknownCategory: a key the standards do not have (with "did you mean").
        SubgroupRequired: a category paid by subgroup counted without one.
        ValueError: a negative count.
    """
    keys = [*standards, *(f"{c}.{s.id}" for c, sp in standards.items() for s in sp.subgroups)]
    lines: list[PopulationLine] = []
    for key, units in counts.items():
        category, _, sub_id = key.partition(".")
        if key not in keys:
            raise UnknownCategory(key, keys)
        if units < 0:
            raise ValueError(f"the count of '{key}' cannot be negative: {units}")
        spec = standards[category]
        sub = spec.subgroup(sub_id) if sub_id else None
        amount = sub.amount if sub is not None and sub.amount is not None else spec.amount
        if amount is None:
            raise SubgroupRequired(category, [s.id for s in spec.subgroups])
        labels = spec.labels
        if sub is not None:
            labels = Labels(en=f"{spec.labels.en}: {sub.labels.en}",
                            zh=f"{spec.labels.zh}（{sub.labels.zh}）")
        parts = sub.parts if sub is not None and sub.parts else spec.parts
        unit = yuan_fen(amount)
        lines.append(PopulationLine(
            key, labels, spec.per, units, unit, unit * units,
            tuple((p.id, p.labels, yuan_fen(p.amount) * units) for p in parts)))
    return PopulationTotal(tuple(lines), sum(line.total_fen for line in lines))
