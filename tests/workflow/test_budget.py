"""The campaign budget ledger: approvals reserve, disbursements spend, rejections and
withdrawals release; overspending is refused unless a fallback fund is named."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import SHIPPED
from tests.helpers.cases import DISBURSE, START, application, household_id, move, standard_fen
from workflow import Engine
from workflow.bootstrap import close_engine, init_database, open_engine
from workflow.core.budget import BudgetExceeded

PROCESS = "relief_application"


def small_budget(tmp_path: Path, general: int, fallback: int | None) -> Path:
    """Definitions with the general line cut to ``general`` yuan (and a fallback fund)."""
    root = tmp_path / "defs"
    shutil.copytree(SHIPPED / "processes", root / "processes")
    shutil.copytree(SHIPPED / "campaigns", root / "campaigns")
    shutil.copytree(SHIPPED / "calendars", root / "calendars")
    path = root / "campaigns" / "spring_festival_2027.yaml"
    text = path.read_text("utf-8")
    fallback_text = ", fallback: temporary_relief" if fallback is not None else ""
    line = ("{id: general, labels: {zh: \u4e00\u822c\u56f0\u96be\u6237, en: General hardship}, "
            f"amount: {general}, categories: [general]{fallback_text}}}")
    text = re.sub(r"\{id: general, labels: .*?categories: \[general\][^}]*\}", line, text)
    text = re.sub(r"(\{id: temporary_relief, [^}]*amount: )\d+", rf"\g<1>{fallback or 0}", text)
    path.write_text(text, "utf-8")
    return root / "processes"


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


def general_case(engine: Engine, n: int, target: str) -> str:
    number = engine.submit(PROCESS, "wang.fang", application(
        id_number=household_id(900 + n), category="general")).case_number
    move(engine, number, target)
    return number


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
