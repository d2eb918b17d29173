"""Every bound of every shipped file as the plan words it (DOMAIN.md): 以上, 以下 and 以内
include the number, 超过, 不足 and 低于 do not. Each bound is tried at its value, one
fen (or one person, one month) below and one above, against the plan's words, and
no comparison of a shipped condition is left out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from definitions import SHIPPED_PROCESSES, load_definition
from definitions.bounds import (
    BoundKind,
    condition_bounds,
    in_yuan,
    wording_kinds,
    wording_numbers,
)
from definitions.campaign import SHIPPED_CAMPAIGNS, campaign_from_text, load_campaign
from definitions.errors import DefinitionInvalid
from definitions.standards import (
    Bound,
    income_rules_from_text,
    load_income_rules,
    load_medical_aid_rules,
    medical_aid_rules_from_text,
    yuan_fen,
)
from workflow.rules._evaluate import holds
from workflow.rules.family import eligibility, line_fen, under_line
from workflow.rules.medical import approval_route, medical_aid

CAMPAIGN = SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml"
RULES_DIR = SHIPPED_PROCESSES.parent / "rules"
INCOME = load_income_rules()
MEDICAL = load_medical_aid_rules()
#: inside the bound at (value − 1, value, value + 1), by kind
EXPECTED: dict[BoundKind, tuple[bool, bool, bool]] = {
    "at_least": (False, True, True), "more_than": (False, False, True),
    "at_most": (True, True, False), "less_than": (True, False, False)}


def one_kind(wording: str) -> BoundKind:
    (kind,) = wording_kinds(wording)
    return kind


def around(check: Callable[[int], bool], value: int) -> tuple[bool, bool, bool]:
    return check(value - 1), check(value), check(value + 1)


# -- the words ----------------------------------------------------------------------

def test_plan_words_read_as_the_regulations_mean_them() -> None:
    """以上/以下/以内 include, 超过/低于/不足 exclude; 不超过 is 以内 and 不低于 is 以上,
    never 超过 or 低于; 万 is multiplied out."""
    assert wording_kinds("4 万元以上") == ["at_least"]
    assert wording_kinds("150% 以下") == ["at_most"] and wording_kinds("3 年以内") == ["at_most"]
    assert wording_kinds("超过 2 万元") == ["more_than"]
    assert wording_kinds("低于 4000 元") == ["less_than"] == wording_kinds("不足 4000 元")
    assert wording_kinds("不超过 1.6 万元") == ["at_most"]
    assert wording_kinds("不低于 6000 元") == ["at_least"]
    assert wording_kinds("2 万元以上、4 万元以下") == ["at_least", "at_most"]
    assert wording_numbers("2.4 万元以上") == [Decimal("24000")]
    assert condition_bounds("4 <= family_size") == [("family_size", "at_least", Decimal(4))]


# -- the words held to the bounds at load --------------------------------------------

def test_income_line_worded_against_its_bound_is_refused() -> None:
    """An income line worded 以下 with ``bound: less_than`` does not load."""
    text = (RULES_DIR / "income_lines.yaml").read_text(encoding="utf-8")
    bad = text.replace("multiple: 1.5\n    bound: at_most", "multiple: 1.5\n    bound: less_than")
    assert bad != text
    with pytest.raises(DefinitionInvalid) as err:
        income_rules_from_text(bad, "income_lines.yaml")
    (problem,) = err.value.problems
    assert problem.path == "lines[0]" and "at_most" in problem.en and "less_than" in problem.en


@pytest.mark.parametrize(("old", "new"), [
    ("more_than: 20000, wording: 合规自付费用超过", "at_least: 20000, wording: 合规自付费用超过"),
    ("more_than: 20000,", "more_than: 25000,"),
], ids=["word", "figure"])
def test_medical_bound_worded_against_its_key_or_figure_is_refused(old: str, new: str) -> None:
    """超过 2 万元 beside ``at_least``, or beside 25,000, does not load."""
    text = (RULES_DIR / "medical_aid.yaml").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(DefinitionInvalid) as err:
        medical_aid_rules_from_text(text.replace(old, new), "medical_aid.yaml")
    (problem,) = err.value.problems
    assert problem.path == "deep_hardship.approvals[0].costs"


@pytest.mark.parametrize(("old", "new"), [
    ("self_paid_medical_fen >= 40000 * 100", "self_paid_medical_fen > 40000 * 100"),
    ("self_paid_medical_fen >= 40000 * 100", "self_paid_medical_fen >= 4000 * 100"),
], ids=["operator", "figure"])
def test_criterion_worded_against_its_condition_is_refused(old: str, new: str) -> None:
    """"4 万元以上" beside ``>``, or beside 4,000, does not load."""
    text = CAMPAIGN.read_text(encoding="utf-8")
    assert text.count(old) == 1
    with pytest.raises(DefinitionInvalid) as err:
        campaign_from_text(text.replace(old, new), "c.yaml")
    assert any("standards.severe.criteria[0]" in p.path for p in err.value.problems)


# -- every shipped bound quotes the plan ----------------------------------------------

def _bounds(value: Any, path: str = "") -> Iterator[tuple[str, Bound]]:
    if isinstance(value, Bound):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _bounds(getattr(value, name), f"{path}.{name}".lstrip("."))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _bounds(item, f"{path}[{i}]")


def _criteria() -> Iterator[tuple[str, Any]]:
    campaign = load_campaign(CAMPAIGN)
    for cat, spec in campaign.spec.standards.items():
        for c in spec.criteria:
            yield f"{cat}.{c.id}", c
        for sub in spec.subgroups:
            for c in sub.criteria:
                yield f"{cat}.{sub.id}.{c.id}", c


def test_every_shipped_bound_quotes_the_plans_wording() -> None:
    """Each bound of the rules files, each income line and each campaign criterion with a
    comparison carries the plan's words beside it."""
    rules = [*_bounds(MEDICAL), *_bounds(INCOME)]
    assert len(rules) == 4
    assert all(b.wording for _, b in rules), [p for p, b in rules if not b.wording]
    assert all(ln.wording for ln in INCOME.lines)
    compared = [(cid, c) for cid, c in _criteria() if condition_bounds(c.when)]
    assert len(compared) == 8
    assert all(c.wording for _, c in compared), [cid for cid, c in compared if not c.wording]


# -- the rules files at the value and one fen either side ------------------------------

@pytest.mark.parametrize("index", range(len(INCOME.lines)),
                         ids=[ln.id for ln in INCOME.lines])
def test_income_line_at_the_line_and_one_fen_either_side(index: int) -> None:
    """"…% 以下": on the line is inside it, one fen above is not; the line is the figure
    DOMAIN.md gives (1,170 / 1,560 / 2,340)."""
    line = INCOME.lines[index]
    assert line.wording is not None
    limit = line_fen(INCOME, line)
    assert limit == [117_000, 156_000, 234_000][index]
    assert around(lambda f: under_line(f, line, INCOME), int(limit)) == \
        EXPECTED[one_kind(line.wording)]
    # and eligibility follows it, with one of this line's reasons (and no other's)
    reason = {line.reasons[0]: True}
    assert around(lambda f: eligibility(INCOME, f, reason).qualified, int(limit)) == \
        (True, True, False)


def test_costs_or_losses_at_20000_and_one_fen_either_side() -> None:
    """"2 万元以上" of costs or losses qualifies whatever the income: 20,000.00 does."""
    bound = INCOME.costs_or_losses
    assert bound is not None and bound.wording is not None
    assert bound.fen == 2_000_000
    assert around(lambda f: eligibility(INCOME, 1_000_000, {}, f).qualified, bound.fen) == \
        EXPECTED[one_kind(bound.wording)] == (False, True, True)


@pytest.mark.parametrize(("index", "route"), [(0, "province"), (1, "national")])
def test_approval_route_at_its_bound_and_one_fen_either_side(index: int, route: str) -> None:
    """"超过 2 万元": 20,000.00 stays with the county, 20,000.01 goes to the province;
    likewise 50,000 for the national union."""
    approval = MEDICAL.deep_hardship.approvals[index]
    assert approval.route == route and approval.costs.wording is not None
    value = yuan_fen(Decimal(wording_numbers(approval.costs.wording)[0]))
    assert value == approval.costs.fen
    assert around(lambda f: approval_route(MEDICAL.deep_hardship, f) in
                  ("province", "national")[index:], value) == \
        EXPECTED[one_kind(approval.costs.wording)] == (False, False, True)


def test_accident_threshold_at_24000_and_one_fen_either_side() -> None:
    """"2.4 万元以上": the year's costs of exactly 24,000.00 qualify for accident aid."""
    bound = MEDICAL.accident.qualifies
    assert bound.wording is not None and bound.fen == 2_400_000
    assert around(lambda f: medical_aid(MEDICAL, "accident", f).qualified, bound.fen) == \
        EXPECTED[one_kind(bound.wording)]
    assert around(lambda f: medical_aid(MEDICAL, "accident", 100_000, losses_fen=f).qualified,
                  bound.fen) == EXPECTED["at_least"]


def test_caps_are_paid_exactly() -> None:
    """A cap is the most paid (最高): 16,000 and 10,000 are paid as they are, never more."""
    assert medical_aid(MEDICAL, "relative", 10_000_000).amount_fen == 1_600_000
    assert medical_aid(MEDICAL, "accident", 10_000_000).amount_fen == 1_000_000


# -- the conditions of the shipped files ---------------------------------------------

#: the plan's words for the conditions of the process files (quoted in their comments),
#: and our own for the checklist's "any at all"
PROCESS_WORDING: dict[tuple[str, str], str] = {
    ("care_rating.yaml", "stars != 2 or subsidy_per_resident_fen >= 6000 * 100"):
        "二星：每人每年补助不低于 6000 元",
    ("care_rating.yaml", "subsidy_per_resident_fen >= 7200 * 100"): "每人每年补助不低于 7200 元",
    ("hardship_archive.yaml", "months_above_line >= 6"): "连续 6 个月以上",
    ("campaign.documents", "self_paid_medical_fen > 0"): "有自付医疗费用（超过 0 元）",
    ("campaign.documents", "disabled_members > 0"): "家有残疾人（超过 0 人）",
}
#: what makes the rest of a condition hold, so that only the bound decides
BASE: dict[str, dict[str, Any]] = {
    "dibao and self_paid_medical_fen >= 40000 * 100": {"dibao": True},
    "not dibao and self_paid_medical_fen >= 80000 * 100": {"dibao": False},
    "disabled_members >= 2 and hardship_degree == 'very_hard'": {"hardship_degree": "very_hard"},
    "dibao and self_paid_medical_fen >= 20000 * 100 and self_paid_medical_fen <= 40000 * 100":
        {"dibao": True},
    "not dibao and self_paid_medical_fen >= 50000 * 100 and self_paid_medical_fen <= 80000 * 100":
        {"dibao": False},
    "disabled_members >= 1 and hardship_degree in ['fairly_hard', 'very_hard']":
        {"hardship_degree": "fairly_hard"},
    "poor_registered and per_capita_annual_income_fen < 4000 * 100": {"poor_registered": True},
    "per_capita_annual_income_fen < 3000 * 100 and family_size >= 4":
        {"per_capita_annual_income_fen": 0, "family_size": 4},
    "stars != 2 or subsidy_per_resident_fen >= 6000 * 100": {"stars": 2},
}
#: the plans' words for counts of persons that carry no bound word
COUNTS: dict[str, BoundKind] = {"家有两名残疾人且生活十分困难": "at_least",
                                "家有一名残疾人且生活较为困难": "at_least"}


def shipped_conditions() -> list[tuple[str, str, str]]:
    """(file, condition, wording) of every shipped condition that compares with a number."""
    out = []
    for path in sorted(SHIPPED_PROCESSES.glob("*.yaml")):
        for t in load_definition(path).spec.transitions:
            for cond in t.when:
                if condition_bounds(cond):
                    out.append((path.name, cond, PROCESS_WORDING.get((path.name, cond), "")))
    campaign = load_campaign(CAMPAIGN)
    for cid, c in _criteria():
        if condition_bounds(c.when):
            out.append((f"campaign.{cid}", c.when, c.wording or ""))
    assert campaign.spec.documents is not None
    for req in campaign.spec.documents.required:
        if req.when and condition_bounds(req.when):
            out.append(("campaign.documents", req.when,
                        PROCESS_WORDING.get(("campaign.documents", req.when), "")))
    return out


CONDITIONS = shipped_conditions()


def test_every_comparison_of_a_shipped_condition_has_its_wording() -> None:
    """No comparison with a number in a shipped file goes without the plan's (or our) words."""
    assert len(CONDITIONS) == 14
    assert all(w for _, _, w in CONDITIONS), [(f, c) for f, c, w in CONDITIONS if not w]


@pytest.mark.parametrize(("source", "condition", "wording"), CONDITIONS,
                         ids=[f"{f}:{c}" for f, c, _ in CONDITIONS])
def test_condition_at_its_bound_and_one_fen_either_side(source: str, condition: str,
                                                        wording: str) -> None:
    """Each figure the wording states, tried at itself, one fen (person, month) below and
    above, decides the condition as the wording's word says."""
    words = wording_kinds(wording) or [COUNTS[wording]]
    bounds = condition_bounds(condition)
    figures = wording_numbers(wording)
    if not wording_kinds(wording):
        figures = [in_yuan(n, f) for n, _, f in bounds]  # a count worded in characters
    assert len(words) == len(bounds)
    for kind, figure in zip(words, figures, strict=True):
        name = next(n for n, k, f in bounds if k == kind and in_yuan(n, f) == figure)
        value = int(figure * 100) if name.endswith("_fen") else int(figure)
        base = BASE.get(condition, {})
        assert around(lambda v, n=name, b=base: holds(condition, {**b, n: v}), value) == \
            EXPECTED[kind], (source, name, kind, figure)
