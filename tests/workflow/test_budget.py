"""The campaign budget ledger: approvals reserve, disbursements spend, rejections and
withdrawals release; overspending is refused unless a fallback fund is named."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import SHIPPED
from tests.helpers.budget import general_case, small_budget
from tests.helpers.cases import DISBURSE, START, application, household_id, move, standard_fen
from workflow import Engine
from workflow.bootstrap import close_engine, init_database, open_engine
from workflow.core.budget import BudgetExceeded

PROCESS = "relief_application"


EngineOn = Callable[[Path, int, int | None], Engine]


@pytest.fixture
def engine_on() -> Iterator[EngineOn]:
    """``engine_on(tmp_path, general, fallback)``: an engine on a new database with
    ``small_budget``'s definitions, closed after the test."""
    made: list[Engine] = []

    def build(folder: Path, general: int, fallback: int | None) -> Engine:
        defs = small_budget(folder, general, fallback)
        db = str(folder / "b.db")
        init_database(db, definitions=defs, simulated_start=START)
        made.append(open_engine(db, definitions=defs))
        return made[-1]

    yield build
    for engine in made:
        close_engine(engine)


def lines(engine: Engine) -> dict[str, dict[str, int]]:
    return engine.store.budget_report("spring_festival_2027")  # type: ignore[attr-defined]


def test_approval_reserves_and_disbursement_spends(tmp_path: Path, engine_on: EngineOn) -> None:
    """Passing the second review reserves the standard; paying it moves it to spent."""
    engine = engine_on(tmp_path, 1200, None)
    number = general_case(engine, 1, "disbursement")
    assert lines(engine)["general"] == {"reserve": 60000}
    case = engine.get_case(number)
    engine.fire(number, "disburse", "xu.lei",
                data={**DISBURSE, "amount_fen": standard_fen(engine, case)})
    assert lines(engine)["general"] == {"reserve": 60000, "spend": 60000}


def test_overspending_falls_back_to_the_named_fund(tmp_path: Path, engine_on: EngineOn) -> None:
    """When the general line is used up, the temporary relief fund pays, and it shows."""
    engine = engine_on(tmp_path, 600, 600)
    general_case(engine, 1, "disbursement")
    general_case(engine, 2, "disbursement")
    report = lines(engine)
    assert report["general"] == {"reserve": 60000}
    assert report["temporary_relief"] == {"reserve": 60000}


def test_overspending_without_a_fallback_is_refused_and_nothing_written(
        tmp_path: Path, engine_on: EngineOn) -> None:
    """An approval beyond the line is refused, the case stays in second review."""
    engine = engine_on(tmp_path, 600, None)
    general_case(engine, 1, "disbursement")
    number = general_case(engine, 2, "second_review")
    before = engine.get_case(number).version
    with pytest.raises(BudgetExceeded) as ei:
        engine.fire(number, "approve_second", "zhu.tao")
    assert "0.00" in str(ei.value) and "600.00" in ei.value.localized("zh")
    assert engine.get_case(number).version == before
    assert lines(engine)["general"] == {"reserve": 60000}


def test_withdrawal_after_approval_releases_the_reservation(tmp_path: Path,
                                                            engine_on: EngineOn) -> None:
    """A withdrawal gives the reserved money back to the line."""
    engine = engine_on(tmp_path, 600, None)
    number = general_case(engine, 1, "disbursement")
    engine.fire(number, "withdraw", "wang.fang", comment="已由其他部门救助")
    assert lines(engine)["general"] == {"reserve": 60000, "release": 60000}
    general_case(engine, 2, "disbursement")  # the line has room again


def test_report_budget_reconciles_with_the_cases(tmp_path: Path, engine_on: EngineOn) -> None:
    """`bangfu report budget` shows each line and its total paid equals the completed cases."""
    engine = engine_on(tmp_path, 1200, None)
    number = general_case(engine, 1, "disbursement")
    engine.fire(number, "disburse", "xu.lei",
                data={**DISBURSE, "amount_fen": standard_fen(engine, engine.get_case(number))})
    defs = tmp_path / "defs" / "processes"
    res = CliRunner().invoke(app, ["report", "budget", "--json", "--db", str(tmp_path / "b.db"),
                                   "--definitions", str(defs)])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output)
    general = next(r for r in body["lines"] if r["line"] == "general")
    assert (general["allocated_fen"], general["reserved_fen"], general["paid_fen"],
            general["remaining_fen"]) == (120000, 0, 60000, 60000)
    assert body["reconciles"] and body["paid_on_cases_fen"] == body["totals"]["paid_fen"]


# -- every fen booked ------------------------------------------------------------

def pay(engine: Engine, number: str) -> None:
    engine.fire(number, "disburse", "xu.lei",
                data={**DISBURSE, "amount_fen": standard_fen(engine, engine.get_case(number))})


def test_a_category_no_line_lists_is_booked_on_the_campaigns_unlisted_line(
        engine: Engine) -> None:
    """A minimum-allowance payment (no plan line lists 低保) is reserved and spent on the
    line the campaign names for unlisted categories, to the fen."""
    number = engine.submit(PROCESS, "wang.fang", application(
        id_number=household_id(31), category="dibao")).case_number
    move(engine, number, "disbursement")
    pay(engine, number)
    fen = standard_fen(engine, engine.get_case(number))
    assert fen == 90000
    assert lines(engine)["outside_plan"] == {"reserve": fen, "spend": fen}


def test_a_payment_no_line_books_is_refused() -> None:
    """Without a line for its category, and no line for unlisted ones, an approval
    and a payment are refused rather than left unbooked."""
    from definitions.campaign import load_campaign
    from workflow.core.budget import (
        Balance,
        BudgetFacts,
        UnbudgetedPayment,
        ledger_entries,
    )
    spec = load_campaign(SHIPPED / "campaigns" / "spring_festival_2027.yaml").spec
    balances = {line.id: Balance(line.amount_fen, 0, 0) for line in spec.budget}
    facts = BudgetFacts(spec.budget, spec.standards, None, balances, {}, unlisted=None)
    case = SimpleNamespace(data={"category": "dibao", "household_size": 3,
                                 "amount_fen": 90000})
    for kind in ("reserve", "spend"):
        with pytest.raises(UnbudgetedPayment) as ei:
            ledger_entries(kind, facts, case)
        assert "'dibao'" in str(ei.value) and "budget_unlisted" in ei.value.localized("zh")


def test_a_campaign_leaving_a_category_without_a_line_does_not_load(tmp_path: Path) -> None:
    """A campaign whose budget pays some categories but not 低保, and names no line for
    unlisted categories, is refused when loaded, naming the category."""
    from definitions import DefinitionInvalid
    from definitions.campaign import load_campaign

    path = tmp_path / "c.yaml"
    text = (SHIPPED / "campaigns" / "spring_festival_2027.yaml").read_text("utf-8")
    path.write_text(re.sub(r"^budget_unlisted: .*\n", "", text, flags=re.M), "utf-8")
    with pytest.raises(DefinitionInvalid) as ei:
        load_campaign(path)
    named = {p.en.split("'")[1] for p in ei.value.problems}
    assert named == {"dibao", "three_withouts", "entitled_group"}


def test_a_payment_beyond_the_reservation_is_booked_and_a_short_one_releases_the_rest(
) -> None:
    """Spending books the whole amount paid: what the case did not hold goes on its
    line; what it holds beyond the payment is released, not left reserved for ever."""
    from definitions.campaign import load_campaign
    from workflow.core.budget import Balance, BudgetFacts, Entry, spend

    spec = load_campaign(SHIPPED / "campaigns" / "spring_festival_2027.yaml").spec
    balances = {line.id: Balance(line.amount_fen, 0, 0) for line in spec.budget}

    def facts(held: dict[str, int]) -> BudgetFacts:
        return BudgetFacts(spec.budget, spec.standards, None, balances, held,
                           spec.budget_unlisted)

    assert spend(facts({"general": 60000}), "moderate", 200000) == [
        Entry("general", "spend", 60000), Entry("moderate_severe", "spend", 140000)]
    assert spend(facts({"moderate_severe": 400000}), "general", 60000) == [
        Entry("moderate_severe", "spend", 60000), Entry("moderate_severe", "release", 340000)]


def report_json(db: Path, defs: Path | None = None) -> tuple[int, dict[str, object]]:
    args = ["report", "budget", "--json", "--db", str(db)]
    if defs is not None:
        args += ["--definitions", str(defs)]
    res = CliRunner().invoke(app, args)
    return res.exit_code, json.loads(res.output)


def test_report_budget_names_payments_the_ledger_does_not_hold(engine: Engine,
                                                               db_path: str) -> None:
    """A completed case whose payment is missing from the ledger makes the report
    fail, naming the case, what it paid and what was booked, in both languages."""
    from sqlalchemy import delete

    from storage.tables import ledger

    number = engine.submit(PROCESS, "wang.fang", application(
        id_number=household_id(32), category="dibao")).case_number
    move(engine, number, "disbursement")
    pay(engine, number)
    case = engine.get_case(number)
    with engine.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(delete(ledger).where(ledger.c.case_id == case.id,
                                          ledger.c.kind == "spend"))
    code, body = report_json(Path(db_path))
    assert code == 1 and body["reconciles"] is False
    assert (body["paid_on_cases_fen"], body["booked_fen"], body["difference_fen"]) == \
        (90000, 0, 90000)
    assert body["differences"] == [{"case": number, "category": "dibao",
                                    "category_label": "低保户", "state": "完成",
                                    "paid_fen": 90000, "booked_fen": 0}]
    for lang, words in (("zh", ["账实不符", "相差 900.00 元", number]),
                        ("en", ["Does NOT reconcile", "difference of 900.00", number])):
        res = CliRunner().invoke(app, ["report", "budget", "--db", db_path, "--lang", lang],
                                 env={"COLUMNS": "200"})
        assert res.exit_code == 1 and all(w in res.output for w in words), res.output


def test_report_budget_shows_the_plans_stated_total_and_our_lines_apart(
        engine: Engine, db_path: str) -> None:
    """The plan's 869,000 as stated; the temporary relief fund and the line for the
    categories the plan's budget does not list are ours, shown apart."""
    code, body = report_json(Path(db_path))
    assert code == 0, body
    plan, ours = body["plan"], body["ours"]
    assert plan["stated_total_fen"] == 86_900_000  # type: ignore[index]
    assert plan["totals"]["allocated_fen"] == 86_900_000  # type: ignore[index]
    own = [r["line"] for r in body["lines"] if r["ours"]]  # type: ignore[attr-defined]
    assert own == ["temporary_relief", "outside_plan"]
    assert ours["totals"]["allocated_fen"] == (50_000 + 326_200) * 100  # type: ignore[index]
    res = CliRunner().invoke(app, ["report", "budget", "--db", db_path],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "方案合计（方案所列）" in res.output and "869,000.00" in res.output
    assert "临时救助资金（自设）" in res.output and "自设科目合计（非方案所列）" in res.output


def test_the_demo_budget_reconciles_with_every_disbursement_to_the_fen(demo_path: Path) -> None:
    """After `bangfu demo`, the ledger holds exactly what every disbursement event paid
    (minimum-allowance payments included), case by case."""
    from sqlalchemy import create_engine, text

    with create_engine(f"sqlite:///{demo_path}").connect() as conn:
        events_paid = conn.execute(text(
            "select sum(json_extract(data, '$.amount_fen')) from events "
            "where trigger = 'disburse' and kind = 'transition'")).scalar()
        dibao = conn.execute(text(
            "select sum(json_extract(e.data, '$.amount_fen')) from events e join cases c "
            "on c.id = e.case_id where e.trigger = 'disburse' "
            "and json_extract(c.data, '$.category') = 'dibao'")).scalar()
    code, body = report_json(demo_path)
    assert code == 0 and body["reconciles"] is True and body["differences"] == []
    assert body["paid_on_cases_fen"] == body["booked_fen"] == events_paid
    outside = next(r for r in body["lines"] if r["line"] == "outside_plan")  # type: ignore[attr-defined]
    assert dibao and outside["paid_fen"] == dibao


def test_a_timers_transition_keeps_its_facts_and_ledger_entries(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a timer fires is decided with the trigger's facts, and the ledger rows that
    decision books are kept (they were dropped when the timer's decision was rebuilt)."""
    import workflow.core.decide as decide
    from workflow.core.budget import Entry
    from workflow.core.machine import machine_for

    number = engine.submit(PROCESS, "wang.fang", application(
        id_number=household_id(33), category="general")).case_number
    case = move(engine, number, "publicity")
    (timer,) = [t for t in engine.store.timers(case.id, status=["pending"])  # type: ignore[attr-defined]
                if t.trigger == "close_notice"]
    seen: dict[str, object] = {}
    real = decide.decide_fire
    entry = Entry("general", "reserve", 60000)

    def booking(*args: object, **kwargs: object) -> object:
        seen["facts"] = kwargs.get("facts")
        return dataclasses.replace(real(*args, **kwargs),  # type: ignore[arg-type]
                                   ledger=(entry,))

    monkeypatch.setattr(decide, "decide_fire", booking)
    defn = engine.definition_for(case)
    facts = {"marker": True}
    decision = decide.decide_timer(defn, machine_for(defn), engine.org, case, timer,
                                   timer.due_at, engine.time_context(case.campaign), facts)
    assert seen["facts"] is facts
    assert decision.ledger == (entry,) and decision.fired_timer == timer.id


def test_a_union_visit_is_listed_outside_the_township_budget(engine: Engine,
                                                             db_path: str) -> None:
    """The union's visits book nothing on the township's lines (union funds): the report
    lists what they paid apart, and the township's ledger still reconciles."""
    from tests.helpers.union import COUNTY, UNION, visit

    number = engine.submit("union_visit", UNION, visit()).case_number
    engine.fire(number, "forward", UNION, data={"review_note": "属实"})
    engine.fire(number, "approve", COUNTY, data={"amount_fen": 50000})
    engine.fire(number, "deliver", UNION, data={"photo_ref": "IMG-0120-07",
                                                 "recipient_signed": True})
    code, body = report_json(Path(db_path))
    assert code == 0 and body["reconciles"] is True
    assert body["outside_budget"] == [{"process": "union_visit", "label": "工会春节送温暖",
                                       "cases": 1, "paid_fen": 50000}]
    res = CliRunner().invoke(app, ["report", "budget", "--db", db_path],
                             env={"COLUMNS": "200"})
    assert "不在本预算内：工会春节送温暖（union_visit）已办结 1 件，发放 500.00 元" in res.output
