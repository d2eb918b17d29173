"""The union's income lines decide the hardship-worker application: the enterprise union
passes it only when the per-capita income is under a line (以下: the line itself is in)
with one of the special reasons the plan names beside it, or when the year's costs or
losses reach 20,000 whatever the income."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.union import ENTERPRISE, WORKER, archive_application
from workflow import Engine, GuardFailed
from workflow.rules.idcard import check_digit

NO_REASONS = {"child_in_school": None}
#: another worker: a refused review leaves the first worker's case open (one open
#: archive per worker), so the second try is another household
OTHER_ID = "33112219790815002" + check_digit("33112219790815002")


def _review(engine: Engine, **data: Any) -> str:
    """Submit the worker's application with ``data`` and pass the enterprise review."""
    number = engine.submit("hardship_archive", WORKER,
                           {k: v for k, v in archive_application(**data).items()
                            if v is not None}).case_number
    engine.fire(number, "pass_enterprise_review", ENTERPRISE, data={"review_note": "情况属实"})
    return number


@pytest.mark.parametrize(("income", "reason"), [
    (117_000, "still_hard_after_aid"), (156_000, "child_in_school"), (156_000, "disability"),
    (156_000, "single_parent"), (234_000, "major_illness"), (234_000, "disaster")])
def test_income_exactly_on_a_line_with_its_reason_is_eligible(
        engine: Engine, income: int, reason: str) -> None:
    """1,170 / 1,560 / 2,340 a person a month, with the line's reason, pass the review."""
    number = _review(engine, **{**NO_REASONS, reason: True},
                     per_capita_monthly_income_fen=income)
    assert engine.get_case(number).state == "internal_notice"


def test_one_fen_above_the_last_line_is_refused_naming_every_line(engine: Engine) -> None:
    """2,340.01 with a major illness is above every line: refused, each line named."""
    with pytest.raises(GuardFailed) as err:
        _review(engine, **NO_REASONS, per_capita_monthly_income_fen=234_001, major_illness=True)
    en, zh = str(err.value), err.value.localized("zh")
    assert "not at or under 2,340.00" in en and "2,340.01" in en
    assert "不在 1,170.00 元以下" in zh and "不在 2,340.00 元以下" in zh
    assert "未达 20,000 元以上" in zh


def test_under_a_line_without_its_special_reason_is_refused(engine: Engine) -> None:
    """1,500 a month is under 200 % but, with no child in school, disability or single
    parent, that line does not apply; naming a reason makes it apply."""
    with pytest.raises(GuardFailed) as err:
        _review(engine, **NO_REASONS, per_capita_monthly_income_fen=150_000)
    assert "子女就学、本人或家庭成员残疾、单亲家庭" in err.value.localized("zh")
    number = _review(engine, **NO_REASONS, id_number=OTHER_ID,
                     per_capita_monthly_income_fen=150_000, single_parent=True)
    assert engine.get_case(number).state == "internal_notice"


def test_costs_or_losses_of_20000_qualify_whatever_the_income(engine: Engine) -> None:
    """20,000.00 of self-paid medical costs or disaster losses qualifies at any income;
    19,999.99 does not."""
    with pytest.raises(GuardFailed):
        _review(engine, **NO_REASONS, per_capita_monthly_income_fen=500_000,
                costs_or_losses_fen=1_999_999)
    number = _review(engine, **NO_REASONS, id_number=OTHER_ID,
                     per_capita_monthly_income_fen=500_000, costs_or_losses_fen=2_000_000)
    assert engine.get_case(number).state == "internal_notice"


def test_eligibility_needs_the_income_or_the_costs(engine: Engine) -> None:
    """Neither the income nor the costs given: the review says what is missing."""
    with pytest.raises(GuardFailed) as err:
        _review(engine, **NO_REASONS, per_capita_monthly_income_fen=None)
    assert "家庭月人均收入" in err.value.localized("zh")
