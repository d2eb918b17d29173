"""Budget lines as the plans state them: items with a subtotal, a stated total, lines of
our own; loading flags arithmetic that does not add up, with file, line and both figures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from definitions import DefinitionInvalid, Problem
from definitions.campaign import SHIPPED_CAMPAIGNS, load_campaign

SPRING = SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml"
TEXT = SPRING.read_text("utf-8")


def broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    assert TEXT.count(old) == 1, old
    text = TEXT.replace(old, new)
    path = tmp_path / "spring.yaml"
    path.write_text(text, "utf-8")
    return path, text


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(DefinitionInvalid) as ei:
        load_campaign(path)
    return ei.value.problems


def line_no(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def test_the_shipped_budget_carries_the_plans_items_and_total() -> None:
    """Poor households: 14 × 5,000 + 52 × 3,000 = 226,000, as the plan states it; the
    plan's lines make its 869,000; the lines the sample adds are marked ours."""
    spec = load_campaign(SPRING).spec
    lines = {line.id: line for line in spec.budget}
    poor = lines["poor_households"]
    assert [(i.count, i.each, i.figure) for i in poor.items] == [
        (14, 5000, 70000), (52, 3000, 156000)]
    assert poor.amount == 226000
    assert spec.budget_total == 869000
    assert sum(line.amount for line in spec.budget if not line.ours) == Decimal(869000)
    assert [line.id for line in spec.budget if line.ours] == ["temporary_relief",
                                                               "outside_plan"]
    assert spec.budget_unlisted == "outside_plan"


def test_a_line_whose_items_do_not_add_up_is_flagged_with_both_figures(tmp_path: Path) -> None:
    """A subtotal that is not the sum of its items is refused, naming the file, the line
    of the subtotal, the stated figure and the sum; neither replaces the other."""
    path, text = broken(tmp_path, "amount: 226000          #", "amount: 225000          #")
    found = [p for p in problems_of(path) if p.path == "budget[3].amount"]
    (problem,) = found
    assert problem.file == str(path)
    assert problem.line == line_no(text, "amount: 225000")
    assert "225,000.00" in problem.en and "226,000.00" in problem.en
    assert "225,000.00" in problem.zh and "226,000.00" in problem.zh


def test_lines_that_do_not_add_up_to_the_stated_total_are_flagged(tmp_path: Path) -> None:
    """A stated total the plan's lines do not make is refused with both figures; the
    lines marked ours are not counted in it."""
    path, text = broken(tmp_path, "budget_total: 869000", "budget_total: 870000")
    (problem,) = problems_of(path)
    assert (problem.path, problem.file, problem.line) == \
        ("budget_total", str(path), line_no(text, "budget_total: 870000"))
    assert "870,000.00" in problem.en and "869,000.00" in problem.en
    assert "870,000.00" in problem.zh and "869,000.00" in problem.zh


def test_an_item_whose_count_times_each_is_not_its_amount_is_flagged(tmp_path: Path) -> None:
    """An item stating a count, an amount each and a product that disagree is refused."""
    path, _ = broken(tmp_path, "count: 52, each: 3000}", "count: 52, each: 3000, amount: 150000}")
    messages = [p.en for p in problems_of(path)]
    assert any("150,000.00" in m and "52 × 3,000.00 is 156,000.00" in m for m in messages)


def test_an_item_without_a_figure_is_flagged(tmp_path: Path) -> None:
    """An item with neither an amount nor a count and an amount each is refused."""
    path, _ = broken(tmp_path, "count: 52, each: 3000}", "count: 52}")
    assert any("states no amount" in p.en for p in problems_of(path))


def test_the_unlisted_line_must_exist(tmp_path: Path) -> None:
    """budget_unlisted naming no line is refused, naming it."""
    path, _ = broken(tmp_path, "budget_unlisted: outside_plan", "budget_unlisted: outside")
    assert any(p.path == "budget_unlisted" and "'outside'" in p.en for p in problems_of(path))
