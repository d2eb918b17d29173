"""Quarterly living aid records its money: each payment its amount in fen, a year's
payments exactly the yearly standard (the fen left over go with the fourth quarter),
and `report aid` adds up the amounts as well as the households."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from definitions import SHIPPED, SHIPPED_PROCESSES, DefinitionInvalid, load_definition
from tests.helpers.union import (
    COUNTY,
    ENTERPRISE,
    WORKER,
    education_application,
    to_assisted,
)
from workflow import Engine
from workflow.core.registry import REGISTRY
from workflow.reporting import AidTargetsSpec, ReportError, aid_progress, load_aid_targets
from workflow.rules.money import instalment

TARGETS = SHIPPED / "targets" / "county_union_2027.example.yaml"
ARCHIVE = SHIPPED_PROCESSES / "hardship_archive.yaml"


def payments(engine: Engine, number: str) -> list[tuple[int, int, int]]:
    """(amount in fen, running number, quarter) of each living aid payment."""
    return [(e.data["living_aid_paid_fen"], e.data["living_aid_payment_no"],
             e.meta["instalment"]["share"])
            for e in engine.history(number) if e.trigger == "pay_living_aid"]


@pytest.mark.parametrize(("level", "quarter"), [("deep", 197500), ("relative", 157500)])
def test_each_quarterly_payment_records_its_amount_and_a_year_adds_up_to_the_standard(
        engine: Engine, level: str, quarter: int) -> None:
    """A year of assistance pays four quarters of 1,975 (deep) or 1,575 (relative), in
    fen on each event, numbered 1 to 4, adding up to 7,900 or 6,300 exactly."""
    number = to_assisted(engine, level)
    engine.set_clock(advance=timedelta(days=365))
    paid = payments(engine, number)
    assert paid == [(quarter, 1, 1), (quarter, 2, 2), (quarter, 3, 3), (quarter, 4, 4)]
    assert sum(fen for fen, _, _ in paid) == engine.get_case(number).data["living_aid_year_fen"]


def test_the_fen_a_year_does_not_divide_are_paid_with_its_fourth_quarter() -> None:
    """790,003 fen a year: 197,500 in three quarters and 197,503 in the fourth; the next
    year starts again at the first quarter; every year adds up exactly."""
    assert [instalment(790003, 4, n).amount_fen for n in range(1, 5)] == \
        [197500, 197500, 197500, 197503]
    fifth = instalment(790003, 4, 5)
    assert (fifth.year, fifth.share, fifth.amount_fen) == (2, 1, 197500)
    for yearly in (0, 1, 3, 630000, 790000, 790001, 999_999_999):
        for parts in (1, 2, 3, 4, 12):
            year = [instalment(yearly, parts, n).amount_fen for n in range(1, parts + 1)]
            assert sum(year) == yearly and min(year) >= 0


def test_a_level_changed_mid_year_pays_the_new_quarter_from_the_next_payment(
        engine: Engine) -> None:
    """After a change from deep to relative hardship, the next payment is a quarter of
    6,300; the running number goes on."""
    number = to_assisted(engine, "deep")
    engine.set_clock(advance=timedelta(days=100))
    engine.fire(number, "change_level", "pan.wei", comment="家庭收入增加",
                data={"hardship_level": "relative", "living_aid_year_fen": 630000})
    engine.set_clock(advance=timedelta(days=100))
    assert payments(engine, number) == [(197500, 1, 1), (157500, 2, 2)]


def test_report_aid_shows_the_amounts_given_as_well_as_households(engine: Engine) -> None:
    """The year's living aid is the sum of the payments recorded in that year (three
    quarters of 2027 for an archive opened in January), the education aid the amount
    granted; households are still counted once."""
    number = to_assisted(engine, "deep")
    study = engine.submit("education_aid", WORKER, education_application()).case_number
    engine.fire(study, "forward", ENTERPRISE, data={"review_note": "家庭困难属实"})
    engine.fire(study, "approve", COUNTY, data={"aid_amount_fen": 300000}, comment="按标准资助")
    engine.set_clock(when=datetime.fromisoformat("2027-12-31T12:00+08:00"))
    assert len(payments(engine, number)) == 3
    table = aid_progress(engine, load_aid_targets(TARGETS))
    rows = {r["kind"]: r for r in table.data_rows}
    assert (rows["living"]["year"], rows["living"]["amount"]) == (1, 3 * 197500)
    assert (rows["education"]["year"], rows["education"]["amount"]) == (1, 300000)
    assert rows["medical"]["amount"] == 0
    assert table.column("amount").kind == "money"


def test_report_aid_says_which_payments_recorded_no_amount(engine: Engine) -> None:
    """Payments that carry no amount (recorded before amounts were) are counted as
    households and named in the notes, not priced by guess."""
    to_assisted(engine, "deep")
    engine.set_clock(advance=timedelta(days=100))
    targets = AidTargetsSpec.model_validate({
        "targets": "t", "labels": {"zh": "进度", "en": "Progress"}, "year": 2027,
        "kinds": {"living": {"labels": {"zh": "生活救助", "en": "Living aid"},
                             "process": "hardship_archive", "triggers": ["pay_living_aid"],
                             "amount": "living_aid_year_fen", "target": 10}}})
    table = aid_progress(engine, targets)
    (row,) = table.data_rows
    assert (row["year"], row["amount"]) == (1, 0)
    assert any("1 次发放未记录金额" in n for n in table.notes)
    bad = targets.model_copy(update={"kinds": {"living": targets.kinds["living"].model_copy(
        update={"amount": "living_aid_paid"})}})
    with pytest.raises(ReportError, match="living_aid_paid_fen"):
        aid_progress(engine, bad)


@pytest.mark.parametrize(("old", "new", "says"), [
    ("amount: living_aid_paid_fen, number: living_aid_payment_no}\n  - trigger: pay_living_aid",
     "amount: assistance_plan, number: living_aid_payment_no}\n  - trigger: pay_living_aid",
     "must be of type 'money'"),
    ("of: living_aid_year_fen, parts: 4, amount: living_aid_paid_fen, number: living_aid_payment_no}\n"
     "  - trigger: pay_living_aid",
     "of: living_aid_yearly, parts: 4, amount: living_aid_paid_fen, number: living_aid_payment_no}\n"
     "  - trigger: pay_living_aid", "did you mean 'living_aid_year_fen'"),
])
def test_an_instalment_on_wrong_fields_does_not_load(tmp_path: Path, old: str, new: str,
                                                     says: str) -> None:
    """The fields an instalment reads and records must exist, with money and integer types."""
    text = ARCHIVE.read_text("utf-8")
    assert text.count(old) == 1
    path = tmp_path / "hardship_archive.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    with pytest.raises(DefinitionInvalid) as ei:
        load_definition(path, known_guards=REGISTRY)
    assert any(says in p.en and p.path.endswith(("amount", "of")) for p in ei.value.problems)


def test_the_release_hash_leaves_out_the_instalment_key_while_unset() -> None:
    """The release's hash (kept to check the versions it stored) leaves the instalment
    key out of a file that does not use it, as that release did."""
    import hashlib
    import json

    from definitions.hashing import legacy_body_hash

    for path in sorted(SHIPPED_PROCESSES.glob("*.yaml")):
        spec = load_definition(path, known_guards=REGISTRY).spec
        if any(t.instalment for t in spec.transitions):
            continue
        later: dict[str, Any] = {"transitions": {"__all__": {"instalment"}}}
        if not spec.submit.writes:  # submit.writes came later too
            later["submit"] = {"writes"}
        dump = spec.model_dump(mode="json", exclude=later)
        before = hashlib.sha256(json.dumps(dump, sort_keys=True, ensure_ascii=False,
                                           separators=(",", ":")).encode("utf-8")).hexdigest()
        assert legacy_body_hash(spec.model_dump(mode="json")) == before, path.name
