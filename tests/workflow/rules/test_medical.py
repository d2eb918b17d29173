"""The county union's medical aid: amounts and approval routes at every boundary, from data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from definitions import DefinitionInvalid
from definitions.standards import SHIPPED_RULES, load_medical_aid_rules, medical_aid_rules_from_text
from workflow.rules import InvalidAmount, deep_hardship_amount, medical_aid, yuan_to_fen

RULES = load_medical_aid_rules()
TEXT = (SHIPPED_RULES / "medical_aid.yaml").read_text("utf-8")


def fen(yuan: str) -> int:
    return yuan_to_fen(yuan)


@pytest.mark.parametrize(("costs", "amount", "route"), [
    ("20000", "20000", "county"),        # 以内: 20,000 is still the county's
    ("20000.01", "20000", "province"),   # 超过 20,000
    ("20001", "20000", "province"),
    ("20050", "20050", "province"),      # rounds up to 20,100: never above the costs
    ("50000", "50000", "province"),
    ("50000.01", "50000", "national"),
    ("50001", "50000", "national"),
    ("80000", "80000", "national"),
    ("12350", "12350", "county"),        # 12,400 would exceed the costs
    ("12349", "12300", "county"),
    ("12340", "12300", "county"),
    ("100", "100", "county"),
    ("0", "0", "county"),
])
def test_deep_hardship(costs: str, amount: str, route: str) -> None:
    """100 % of the costs, 四舍五入 to the hundred, never above them; routed by the costs."""
    aid = medical_aid(RULES, "deep", fen(costs))
    assert (aid.amount_fen, aid.route) == (fen(amount), route)
    assert aid.qualified == (aid.amount_fen > 0)


def test_deep_hardship_rule_text_names_figures_and_route() -> None:
    """The rule in words carries the costs, the amount and who approves."""
    aid = medical_aid(RULES, "deep", fen("20001"))
    assert "20,001.00" in aid.rule.en and "provincial union" in aid.rule.en
    assert "超过 20,000 元" in aid.rule.zh and "报省总工会审批" in aid.rule.zh
    capped = medical_aid(RULES, "deep", fen("12350"))
    assert "不超过自付金额" in capped.rule.zh
    assert "county union" in capped.rule.en


@pytest.mark.parametrize(("costs", "amount"), [
    ("12350", "9900"),      # deep 12,350 × 80 % = 9,880 → 9,900
    ("1062.50", "900"),     # deep 1,062.50 × 80 % = 850 → 900: half-up, not half-even
    ("1000", "800"),
    ("1060", "800"),        # deep 1,060 × 80 % = 848 → 800
    ("20000", "16000"),     # exactly the cap
    ("20100", "16000"),     # 16,080 → 16,100, capped at 16,000
    ("60000", "16000"),
    ("0", "0"),
])
def test_relative_hardship(costs: str, amount: str) -> None:
    """80 % of the deep-hardship amount, rounded to the hundred, capped at 16,000."""
    aid = medical_aid(RULES, "relative", fen(costs))
    assert aid.amount_fen == fen(amount)
    assert aid.route == "county"


def test_relative_hardship_one_aid_item_only() -> None:
    """A relative-hardship household that already has its one aid item gets no medical aid."""
    aid = medical_aid(RULES, "relative", fen("12350"), other_aid_items=1)
    assert not aid.qualified and aid.amount_fen == 0
    assert "1 项" in aid.rule.zh
    assert medical_aid(RULES, "relative", fen("12350"), other_aid_items=0).qualified


@pytest.mark.parametrize(("costs", "losses", "qualified", "amount"), [
    ("23999", "0", False, "0"),
    ("23999.99", "0", False, "0"),
    ("24000", "0", True, "3600"),          # 以上: 24,000 itself qualifies
    ("24000.10", "0", True, "3600.02"),    # 3,600.015 → half a fen up
    ("24000.03", "0", True, "3600"),       # 3,600.0045 → down
    ("1000", "24000", True, "150"),        # losses reach the threshold; 15 % of the costs
    ("1000", "23999", False, "0"),
    ("66000", "0", True, "9900"),
    ("66666.67", "0", True, "10000"),      # 10,000.0005 → 10,000.00
    ("70000", "0", True, "10000"),         # 10,500 capped at 10,000
])
def test_accident(costs: str, losses: str, qualified: bool, amount: str) -> None:
    """15 % of the costs, capped at 10,000, only from 24,000 of costs or losses."""
    aid = medical_aid(RULES, "accident", fen(costs), losses_fen=fen(losses))
    assert (aid.qualified, aid.amount_fen, aid.route) == (qualified, fen(amount), "county")


def test_not_qualifying_accident_says_why() -> None:
    """Below the threshold, the rule text gives the threshold and the figures."""
    aid = medical_aid(RULES, "accident", fen("23999"))
    assert "24,000 or more" in aid.rule.en
    assert "24,000 元以上" in aid.rule.zh


def test_negative_costs_are_refused() -> None:
    """Negative costs or losses are an InvalidAmount."""
    with pytest.raises(InvalidAmount):
        medical_aid(RULES, "deep", -1)
    with pytest.raises(InvalidAmount):
        medical_aid(RULES, "accident", 0, losses_fen=-1)


def test_figures_come_from_the_data() -> None:
    """Other percentages, caps and thresholds in the YAML give other amounts and routes."""
    other = medical_aid_rules_from_text(
        TEXT.replace("percent_of_deep: 80", "percent_of_deep: 70")
            .replace("cap: 16000", "cap: 15000")
            .replace("costs: {more_than: 20000, wording: 合规自付费用超过 2 万元",
                     "costs: {more_than: 30000, wording: 合规自付费用超过 3 万元")
            .replace("qualifies: {at_least: 24000, wording: 当年医疗费用或损失 2.4 万元以上}",
                     "qualifies: {more_than: 24000, wording: 当年医疗费用或损失超过 2.4 万元}"))
    assert medical_aid(other, "relative", fen("12350")).amount_fen == fen("8600")
    assert medical_aid(other, "relative", fen("30000")).amount_fen == fen("15000")
    assert medical_aid(other, "deep", fen("25000")).route == "county"
    assert not medical_aid(other, "accident", fen("24000")).qualified


@pytest.mark.parametrize(("old", "new", "path"), [
    ("percent: 15", "percent: 150", "accident.percent"),
    ("qualifies: {at_least: 24000,", "qualifies: {at_least: 24000, more_than: 1,",
     "accident.qualifies"),
    ("qualifies: {at_least: 24000,", "qualifies: {more_than: 24000,", "accident.qualifies"),
    ("cap: 16000", "cap: -1", "relative_hardship.cap"),
    ("round_to: 0.01", "round_to: 0.001", "accident.round_to"),
    ("route: national", "route: province", "deep_hardship.approvals"),
])
def test_broken_rules_are_refused_with_path_and_line(old: str, new: str, path: str) -> None:
    """A broken figure is a DefinitionInvalid naming its path and line."""
    assert old in TEXT
    with pytest.raises(DefinitionInvalid) as ei:
        medical_aid_rules_from_text(TEXT.replace(old, new), "m.yaml")
    (problem,) = ei.value.problems
    assert problem.path == path
    assert problem.line is not None and problem.file == "m.yaml"


@given(st.integers(min_value=0, max_value=10 ** 9))
def test_deep_amount_properties(costs: int) -> None:
    """Never above the costs; a round hundred unless it is the costs; within half a hundred."""
    amount = deep_hardship_amount(RULES, costs)
    assert 0 <= amount <= costs
    assert amount % 10_000 == 0 or amount == costs
    assert costs - amount < 5_000


@given(st.integers(min_value=0, max_value=10 ** 9), st.integers(min_value=0, max_value=10 ** 9))
def test_routes_never_go_down_as_costs_rise(a: int, b: int) -> None:
    """More costs never mean a lower approval level; relative hardship stays within its cap."""
    order = ["county", "province", "national"]
    lo, hi = sorted((a, b))
    assert (order.index(medical_aid(RULES, "deep", lo).route)
            <= order.index(medical_aid(RULES, "deep", hi).route))
    assert medical_aid(RULES, "relative", hi).amount_fen <= 1_600_000
    assert medical_aid(RULES, "accident", hi).amount_fen <= 1_000_000
