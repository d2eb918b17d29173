"""Every bound is checked where the input enters, with a message: amounts that are not
finite or absurdly large, numbers of 30 digits, text past its length or holding NUL,
a CSV cell past csv's default field limit (it once aborted the whole import)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cases import PROCESS, application
from workflow import Engine, InvalidData
from workflow.core.data import MAX_MAGNITUDE, MAX_TEXT, coerce_text


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "NaN", "1e999999999", "1e5000",
                                  "1e309", "-1e20", "600.505", "10000000001"])
def test_amounts_that_are_not_sums_of_money_are_refused(engine: Engine, text: str) -> None:
    defn = engine.definitions.get(PROCESS)
    with pytest.raises(InvalidData) as ei:
        coerce_text(defn, {"self_paid_medical_fen": text})
    assert "self_paid_medical_fen" in str(ei.value) and "金额" in ei.value.localized("zh")


def test_an_amount_at_the_bound_is_read_exactly(engine: Engine) -> None:
    defn = engine.definitions.get(PROCESS)
    assert coerce_text(defn, {"self_paid_medical_fen": str(MAX_MAGNITUDE // 100)}) == {
        "self_paid_medical_fen": MAX_MAGNITUDE}


def test_a_number_of_thirty_digits_is_refused(engine: Engine) -> None:
    defn = engine.definitions.get(PROCESS)
    with pytest.raises(InvalidData):
        coerce_text(defn, {"household_size": "9" * 30})


@pytest.mark.parametrize(("field", "value"), [
    ("hardship_reason", "病" * (MAX_TEXT + 1)), ("hardship_reason", "病\x00"),
    ("household_size", MAX_MAGNITUDE + 1), ("self_paid_medical_fen", 10**311),
])
def test_values_past_their_bounds_are_refused_on_submit(
        engine: Engine, unchanged: object, field: str, value: object) -> None:
    with unchanged(), pytest.raises(InvalidData) as ei:  # type: ignore[operator]
        engine.submit(PROCESS, "wang.fang", application(**{field: value}))
    assert field in str(ei.value)


def test_a_csv_cell_past_the_default_field_limit_refuses_only_its_row(
        engine: Engine, tmp_path: Path) -> None:
    from workflow.bootstrap import open_bulk_writer
    from workflow.importing import run_import

    sheet = tmp_path / "big.csv"
    sheet.write_text("姓名,身份证号,家庭人口,困难类别,困难原因\n"
                     "张三,331122196001010015,3,general," + "病" * 140_000 + "\n",
                     encoding="utf-8")
    report = run_import(engine, sheet, PROCESS, "wang.fang", writer=open_bulk_writer(engine))
    assert not report.refused
    assert [(e.row, e.field) for e in report.errors if "20,000" in e.en] == [
        (2, "hardship_reason")]


@pytest.mark.parametrize("reason", ["\u200b", " \u200b\u200c\ufeff ", "\u3000", "\t\n"])
def test_an_invisible_reason_is_no_reason(engine: Engine, walk: object, unchanged: object,
                                         reason: str) -> None:
    from workflow.errors import CommentRequired

    case = walk("application")  # type: ignore[operator]
    with unchanged(case.number), pytest.raises(CommentRequired):  # type: ignore[operator]
        engine.fire(case.number, "request_evidence", "wang.fang", comment=reason)
    assert engine.fire(case.number, "request_evidence", "wang.fang",
                       comment="\u200b请补充材料").state == "evidence_requested"


def test_an_empty_db_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`init --db ""` once created ./bangfu.db."""
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["init", "--db", ""])
    assert result.exit_code == 1 and "--db 为空" in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_migrating_a_version_to_itself_is_refused(engine: Engine) -> None:
    """`migrate --from 1 --to 1` once wrote two migration events per case."""
    from workflow.errors import UsageError

    with pytest.raises(UsageError):
        engine.migrate(PROCESS, 1, 1, "admin")


def test_an_idempotency_key_past_the_column_is_refused_on_every_database(
        engine: Engine, new_case: object) -> None:
    """A key over 128 characters once failed only on PostgreSQL, with raw SQL."""
    number = new_case()  # type: ignore[operator]
    with pytest.raises(InvalidData) as ei:
        engine.fire(number, "accept", "wang.fang", idempotency_key="k" * 129)
    assert [p[0] for p in ei.value.problems] == ["idempotency_key"]
    assert engine.fire(number, "accept", "wang.fang", idempotency_key="k" * 128).version == 2


@pytest.mark.parametrize(("old", "new", "words"), [
    ("version: 1", "version: 99999999999999999999999", "less than or equal to 999999"),
    ("after: 3d", "after: 99999999999d", "at most 4 digits"),
])
def test_absurd_figures_in_a_definition_are_refused_at_load(
        old: str, new: str, words: str) -> None:
    from definitions import SHIPPED_PROCESSES, DefinitionInvalid, definition_from_text
    from workflow.core.registry import REGISTRY

    text = (SHIPPED_PROCESSES / "relief_application.yaml").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(DefinitionInvalid) as ei:
        definition_from_text(text.replace(old, new, 1), "r.yaml", known_guards=REGISTRY)
    assert words in str(ei.value)


def test_a_campaign_naming_an_unknown_calendar_is_refused_at_init(tmp_path: Path) -> None:
    import shutil

    from definitions import SHIPPED, DefinitionInvalid
    from workflow.bootstrap import init_database

    for part in ("processes", "campaigns", "calendars"):
        shutil.copytree(SHIPPED / part, tmp_path / part)
    campaign = tmp_path / "campaigns" / "spring_festival_2027.yaml"
    text = campaign.read_text(encoding="utf-8")
    assert "\ncalendar: cn\n" in text
    campaign.write_text(text.replace("\ncalendar: cn\n", "\ncalendar: cnx\n"), encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as ei:
        init_database(str(tmp_path / "x.db"), definitions=tmp_path / "processes")
    assert "'cnx'" in str(ei.value) and not (tmp_path / "x.db").exists()
