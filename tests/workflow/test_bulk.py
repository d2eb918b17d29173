"""Bulk import of applications (workflow.importing, storage.bulk_writer): headers in Chinese and
English, encodings, XLSX sheets, row-level errors in an error file, one
transaction, idempotent re-imports, and imported cases that verify like
submitted ones."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from definitions.compile import definition_from_json
from storage.bulk_writer import BulkWriter
from storage.sql import SqlStore
from tests.helpers.cases import (
    ALL_PAPERS,
    LI_ID,
    PREFIX,
    PROCESS,
    application,
    count_rows,
    household_id,
)
from workflow import Engine
from workflow.errors import DoubleRelief, PermissionDenied
from workflow.importing import (
    BulkImportError,
    ImportReport,
    RowChecker,
    SheetRow,
    map_columns,
    read_sheet,
    run_import,
)
from workflow.importing import deciding as deciding_module
from workflow.services.inspection import verify

STAFF = "wang.fang"  # village committee of shangcun
HEADER_ZH = ["序号", "姓名", "身份证号码", "联系电话", "家庭人口数", "困难类别", "困难原因",
             "本年自付医疗费用（元）", "申请材料"]
HEADER_EN = ["Applicant name", "ID number", "Household size", "Hardship category",
             "Cause of hardship", "self_paid_medical_fen", "Documents"]
#: every paper of the campaign's checklist, as a village writes them in one cell
PAPERS = "; ".join(f"{d['type']}={d['ref']}@{d['date']}" for d in ALL_PAPERS)


def zh_row(n: int, *, id_number: str | None = None, size: str = "3",
           category: str = "重度困难户", medical: str = "12000.50") -> list[str]:
    return [str(n), f"张{n}", id_number or household_id(n), "13900003333", size, category,
            "重病，本年自付医疗费用较高", medical, PAPERS]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]],
              encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def error_rows(report: ImportReport) -> list[dict[str, str]]:
    assert report.errors_path is not None
    with open(report.errors_path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


Import = Callable[..., ImportReport]


@pytest.fixture
def do_import(engine: Engine) -> Import:
    """``do_import(path, user=STAFF, **options)``: run an import into the test database."""
    assert isinstance(engine.store, SqlStore)
    writer = BulkWriter(engine.store)

    def go(path: Path, user: str = STAFF, **options: Any) -> ImportReport:
        return run_import(engine, path, PROCESS, user, writer=writer, **options)

    return go


# -- headers and values -------------------------------------------------------------


def test_chinese_headers_import_every_row(engine: Engine, tmp_path: Path,
                                          do_import: Import) -> None:
    """Chinese headers (labels and common aliases) map to the fields; money is read in yuan."""
    path = write_csv(tmp_path / "上村.csv", HEADER_ZH, [zh_row(1), zh_row(2)])
    report = do_import(path)
    assert [r for r, _ in report.imported] == [2, 3]
    case = engine.get_case(report.imported[0][1])
    assert case.data["applicant_name"] == "张1"
    assert case.data["household_size"] == 3
    assert case.data["category"] == "severe"
    assert case.data["self_paid_medical_fen"] == 1200050
    assert case.unit == "shangcun" and case.state == "application"
    assert report.columns["身份证号码"] == "id_number" and "序号" not in report.columns


def test_english_headers_and_field_ids(engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """English labels and field ids name the columns as well."""
    path = write_csv(tmp_path / "en.csv", HEADER_EN,
                     [["Zhang San", household_id(1), "2", "severe", "illness", "300", PAPERS]])
    report = do_import(path)
    case = engine.get_case(report.imported[0][1])
    assert case.data == {**case.data, "applicant_name": "Zhang San", "household_size": 2,
                         "category": "severe", "self_paid_medical_fen": 30000}


def test_category_by_chinese_value_label_and_short_form(engine: Engine, tmp_path: Path,
                                                        do_import: Import) -> None:
    """Enum values are read by their Chinese labels and common short forms."""
    rows = [zh_row(1, category="低保户"), zh_row(2, category="一般"),
            zh_row(3, category="三无人员")]
    report = do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, rows))
    assert [engine.get_case(n).data["category"] for _, n in report.imported] == \
        ["dibao", "general", "three_withouts"]


def test_unknown_columns_are_reported_and_ignored(tmp_path: Path, do_import: Import) -> None:
    """A column nobody knows is listed in the report, not imported."""
    path = write_csv(tmp_path / "a.csv", [*HEADER_ZH, "开户银行"], [[*zh_row(1), "农商银行"]])
    report = do_import(path)
    assert report.unknown_columns == ["开户银行"] and len(report.imported) == 1


def test_a_missing_required_column_refuses_the_file(tmp_path: Path, do_import: Import,
                                                    engine: Engine) -> None:
    """Without an ID number column nothing is imported and the message names the column."""
    header = [h for h in HEADER_ZH if h != "身份证号码"]
    rows = [[c for i, c in enumerate(zh_row(1)) if i != 2]]
    before = count_rows(engine)
    with pytest.raises(BulkImportError) as caught:
        do_import(write_csv(tmp_path / "a.csv", header, rows))
    assert "身份证号" in caught.value.zh and "id_number" in caught.value.en
    assert count_rows(engine) == before


def test_title_rows_above_the_header_are_skipped(tmp_path: Path, do_import: Import) -> None:
    """A title above the header is not taken for the header; row numbers stay the sheet's."""
    path = tmp_path / "a.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["上村2027年春节困难群众名单"])
        out.writerow([])
        out.writerow(HEADER_ZH)
        out.writerow(zh_row(1))
    report = do_import(path)
    assert report.imported[0][0] == 4


# -- encodings ----------------------------------------------------------------------


def test_gbk_csv_is_read(engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """A CSV saved by Chinese Excel (GBK) is detected and read with its Chinese intact."""
    path = write_csv(tmp_path / "gbk.csv", HEADER_ZH, [zh_row(1, category="中度困难户")],
                     encoding="gbk")
    report = do_import(path)
    assert report.encoding == "gb18030"
    case = engine.get_case(report.imported[0][1])
    assert case.data["applicant_name"] == "张1" and case.data["category"] == "moderate"


def test_utf8_with_bom_is_read(tmp_path: Path, do_import: Import) -> None:
    """A BOM does not stick to the first header."""
    path = write_csv(tmp_path / "bom.csv", HEADER_ZH[1:], [zh_row(1)[1:]], encoding="utf-8-sig")
    report = do_import(path)
    assert report.encoding == "utf-8-sig"
    assert report.columns["姓名"] == "applicant_name" and len(report.imported) == 1


# -- XLSX ---------------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


XLSX_HEADER = ["姓名", "身份证号码", "家庭人口", "困难类别", "困难原因", "本年自付医疗费用", "申请材料"]


def test_xlsx_reads_cells_as_text(engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """XLSX: CJK text, an ID column stored as text, Excel numbers (3, 1500.5) as values."""
    path = workbook(tmp_path / "a.xlsx", {"名单": [
        XLSX_HEADER, ["李四", household_id(4), 3, "一般困难户", "因病致困", 1500.5, PAPERS],
        ["王五", household_id(5) , 2.0, "困难退伍军人", "年老体弱", 0, PAPERS]]})
    report = do_import(path)
    assert report.kind == "xlsx" and report.sheet == "名单"
    first, second = (engine.get_case(n) for _, n in report.imported)
    assert first.data["id_number"] == household_id(4)
    assert first.data["self_paid_medical_fen"] == 150050
    assert second.data["household_size"] == 2 and second.data["category"] == "veteran"


def test_xlsx_id_number_stored_as_a_number_is_a_row_error(tmp_path: Path,
                                                          do_import: Import) -> None:
    """An ID typed into a number cell has lost digits: the row is refused, saying so."""
    path = workbook(tmp_path / "a.xlsx", {"名单": [
        XLSX_HEADER, ["李四", 331122197001040043, 3, "一般困难户", "因病致困", 0, PAPERS]]})
    report = do_import(path)
    assert not report.imported
    (error,) = report.errors
    assert (error.row, error.column, error.field) == (2, "B", "id_number")
    assert "15" in error.zh and "text" in error.en


def test_xlsx_merged_header_cells_are_refused(engine: Engine, tmp_path: Path,
                                              do_import: Import) -> None:
    """Merged cells in the header row refuse the file, naming the range."""
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "名单"
    ws.append([*XLSX_HEADER, "家庭情况", ""])
    ws.append(["李四", household_id(4), 3, "一般困难户", "因病致困", 0, "", ""])
    ws.merge_cells("H1:I1")
    book.save(path)
    before = count_rows(engine)
    with pytest.raises(BulkImportError) as caught:
        do_import(path)
    assert "H1:I1" in caught.value.en and "合并单元格" in caught.value.zh
    assert count_rows(engine) == before


def test_xlsx_merged_title_above_the_header_is_fine(tmp_path: Path, do_import: Import) -> None:
    """A merged title row above the header does not stop the import."""
    path = tmp_path / "title.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["上村困难群众名单"])
    ws.merge_cells("A1:G1")
    ws.append(XLSX_HEADER)
    ws.append(["李四", household_id(4), 3, "一般困难户", "因病致困", 0, PAPERS])
    book.save(path)
    assert do_import(path).imported[0][0] == 3


def test_xlsx_two_data_sheets_need_a_choice(engine: Engine, tmp_path: Path,
                                            do_import: Import) -> None:
    """Two sheets with data are refused, naming both; --sheet picks one; empty sheets do not count."""
    path = workbook(tmp_path / "two.xlsx", {
        "上村": [XLSX_HEADER, ["李四", household_id(4), 3, "一般困难户", "因病致困", 0, PAPERS]],
        "下村": [XLSX_HEADER, ["赵六", household_id(6), 4, "一般困难户", "因灾致困", 0, PAPERS]],
        "说明": [["本表由村委会填写"]], "Sheet3": []})
    with pytest.raises(BulkImportError) as caught:
        do_import(path)
    assert "'上村'" in caught.value.en and "'下村'" in caught.value.en
    assert "--sheet" in caught.value.zh
    report = do_import(path, sheet="上村")
    assert report.sheet == "上村"
    assert engine.get_case(report.imported[0][1]).data["applicant_name"] == "李四"


# -- bad rows -----------------------------------------------------------------------


def test_bad_rows_are_listed_in_the_error_file_in_both_languages(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """Bad ID checksum, negative costs, a bad number, a category typo: row, column, reason."""
    bad_id = household_id(2)[:-1] + ("0" if household_id(2)[-1] != "0" else "1")
    rows = [zh_row(1), zh_row(2, id_number=bad_id), zh_row(3, medical="-100"),
            zh_row(4, size="三口"), zh_row(5, category="重度困难护"), zh_row(6)]
    report = do_import(write_csv(tmp_path / "村.csv", HEADER_ZH, rows))
    assert [r for r, _ in report.imported] == [2, 7]
    found = {int(e["行号 Row"]): e for e in error_rows(report)}
    assert sorted(found) == [3, 4, 5, 6]
    assert found[3]["列 Column"] == "C" and "校验码" in found[3]["原因"]
    assert "check character" in found[3]["Reason"]
    assert found[3]["值 Value"].count("*") == 8  # the ID number masked
    assert found[4]["字段 Field"] == "self_paid_medical_fen" and "0" in found[4]["原因"]
    assert "at least" in found[4]["Reason"]
    assert found[5]["列 Column"] == "E" and "整数" in found[5]["原因"]
    assert "重度困难户" in found[6]["原因"] and "did you mean '重度困难户'" in found[6]["Reason"]
    assert report.failed_rows == 4 and count_rows(engine)["cases"] == 2


def test_rows_with_papers_missing_or_misnamed_are_row_errors(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """A row without the medical bills its costs call for, a paper type with a typo, a
    paper without its date: each refused with its reason; the good rows are imported."""
    no_bills = "; ".join(p for p in PAPERS.split("; ") if not p.startswith("medical_bills="))
    rows = [zh_row(1), [*zh_row(2)[:-1], no_bills],
            [*zh_row(3)[:-1], PAPERS.replace("diagnosis=", "diagnosys=")],
            [*zh_row(4)[:-1], "application=a.pdf"], zh_row(5)]
    report = do_import(write_csv(tmp_path / "材料.csv", HEADER_ZH, rows))
    assert [r for r, _ in report.imported] == [2, 6]
    found = {int(e["行号 Row"]): e for e in error_rows(report)}
    assert sorted(found) == [3, 4, 5]
    assert "医疗费用票据" in found[3]["原因"] and "Medical bills" in found[3]["Reason"]
    assert "did you mean 'diagnosis'" in found[4]["Reason"]
    assert found[5]["列 Column"] == "I" and "类型=文件编号@日期" in found[5]["原因"]


def test_date_fields_accept_common_formats_and_refuse_others(engine: Engine) -> None:
    """A date field reads 2027/1/17 and 2027年1月17日; 17/01/2027 is a row error."""
    body = engine.definitions.get(PROCESS).spec.model_dump(mode="json")
    body["fields"]["visit_date"] = {"type": "date", "labels": {"zh": "走访日期", "en": "Visit date"}}
    defn = definition_from_json(body)
    header = ("姓名", "身份证号码", "家庭人口", "困难类别", "困难原因", "走访日期")
    checker = RowChecker(defn, engine.org, engine.actor(STAFF), map_columns(defn, header),
                         engine.clock.now().date())
    rows = [SheetRow(n, ("李四", household_id(n), "3", "一般", "病", text))
            for n, text in ((2, "2027/1/17"), (3, "2027年1月17日"), (4, "17/01/2027"))]
    good, also, bad = (checker.check(r) for r in rows)
    assert good.good is not None and good.good.data["visit_date"] == "2027-01-17"
    assert also.good is not None and also.good.data["visit_date"] == "2027-01-17"
    assert bad.good is None
    assert [(e.column, e.field) for e in bad.errors] == [("F", "visit_date")]
    assert "2027-01-17" in bad.errors[0].zh


def test_a_household_twice_in_the_file_is_refused_in_both_rows(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """The same ID number in two rows: neither is imported, each names the other."""
    rows = [zh_row(1), zh_row(2, id_number=household_id(1)), zh_row(3)]
    report = do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, rows))
    assert [r for r, _ in report.imported] == [4]
    found = {int(e["行号 Row"]): e["原因"] for e in error_rows(report)}
    assert "第 3 行" in found[2] and "第 2 行" in found[3]


def test_a_household_with_a_case_in_the_campaign_is_refused(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """No double relief: a household already holding a case in the campaign is a row error."""
    number = engine.submit(PROCESS, STAFF, application()).case_number
    report = do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(1, id_number=LI_ID)]))
    assert not report.imported
    assert number in report.errors[0].zh and number in report.errors[0].en


def test_a_row_for_a_village_outside_the_users_reach_is_refused(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """The 村 column names the village; the core refuses rows outside the user's jurisdiction."""
    rows = [[*zh_row(1), "上村"], [*zh_row(2), "刘家村"], [*zh_row(3), "上寸"]]
    report = do_import(write_csv(tmp_path / "a.csv", [*HEADER_ZH, "村（社区）"], rows))
    assert [r for r, _ in report.imported] == [2]
    found = {e.row: e for e in report.errors}
    assert "刘家村" in found[3].zh
    assert found[4].field == "unit" and "上村" in found[4].zh


# -- one transaction ----------------------------------------------------------------


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """--all-or-nothing: one bad row and not even the good ones are stored."""
    before = count_rows(engine)
    report = do_import(write_csv(tmp_path / "a.csv", HEADER_ZH,
                                 [zh_row(1), zh_row(2, size="0")]), all_or_nothing=True)
    assert report.refused and not report.imported
    assert [int(e["行号 Row"]) for e in error_rows(report)] == [3]
    assert count_rows(engine) == before


def test_a_failure_mid_write_leaves_nothing(engine: Engine, tmp_path: Path, do_import: Import,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after some chunks were inserted rolls the whole import back, numbers included."""
    import storage.bulk_writer as storage_bulk

    monkeypatch.setattr(storage_bulk, "CHUNK", 2)
    calls = {"n": 0}
    insert = storage_bulk.BulkWriter._insert

    def failing(self: Any, conn: Any, rows: Any, part: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("power cut")
        insert(self, conn, rows, part)

    monkeypatch.setattr(storage_bulk.BulkWriter, "_insert", failing)
    before = count_rows(engine)
    with pytest.raises(RuntimeError):
        do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(n) for n in range(1, 6)]))
    assert calls["n"] == 4 and count_rows(engine) == before


def test_numbers_taken_meanwhile_are_not_reused(engine: Engine, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A case opened between preparing and writing: the import decides again with new numbers."""
    assert isinstance(engine.store, SqlStore)
    writer = BulkWriter(engine.store)
    counter = writer.counter
    sneaked: list[str] = []

    def counter_then_submit(prefix: str) -> int:
        seen = counter(prefix)
        if not sneaked:
            sneaked.append(engine.submit(PROCESS, STAFF, application()).case_number)
        return seen

    monkeypatch.setattr(writer, "counter", counter_then_submit)
    path = write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(1), zh_row(2)])
    report = run_import(engine, path, PROCESS, STAFF, writer=writer)
    assert sneaked == [f"{PREFIX}-000001"]
    assert [n for _, n in report.imported] == [f"{PREFIX}-000002", f"{PREFIX}-000003"]
    assert verify(engine).ok


# -- idempotency --------------------------------------------------------------------


def test_importing_the_same_file_again_imports_nothing(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """Rows already imported are skipped (with their case numbers), not errors."""
    path = write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(1), zh_row(2)])
    first = do_import(path)
    rows = count_rows(engine)
    again = do_import(path)
    assert not again.imported and not again.errors
    assert [(s.row, s.case_number, s.changed) for s in again.skipped] == \
        [(row, number, ()) for row, number in first.imported]
    assert count_rows(engine) == rows


def test_a_corrected_file_imports_only_the_fixed_rows(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """After fixing the bad row, a re-import adds it and skips the rest, noting changed data."""
    do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(1), zh_row(2, size="x")]))
    fixed = do_import(write_csv(tmp_path / "b.csv", HEADER_ZH,
                                [zh_row(1, size="4"), zh_row(2)]))
    assert [r for r, _ in fixed.imported] == [3]
    assert [(s.row, s.changed) for s in fixed.skipped] == [(2, ("household_size",))]


# -- like submitted cases -----------------------------------------------------------


def test_imported_cases_replay_and_verify(engine: Engine, tmp_path: Path,
                                          do_import: Import) -> None:
    """Every imported case's chain and replay verify; the case then moves like any other."""
    report = do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(n) for n in range(1, 4)]))
    number = report.imported[0][1]
    result = verify(engine, number)
    assert result.ok and result.events == 1
    assert verify(engine).ok
    assert engine.fire(number, "accept", STAFF).state == "deliberation"


def test_imported_cases_get_the_timers_messages_and_household_of_a_submission(
        engine: Engine, tmp_path: Path, do_import: Import) -> None:
    """Timers, outbox messages and the household key match those of Engine.submit."""
    submitted = engine.submit(PROCESS, STAFF, application()).case_number
    report = do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(1)]))
    imported = report.imported[0][1]

    def shape(number: str) -> list[tuple[Any, ...]]:
        case = engine.get_case(number)
        return sorted((t.spec_id, t.kind, t.due_at, t.status)
                      for t in engine.store.timers(case.id))  # type: ignore[attr-defined]

    assert shape(imported) == shape(submitted) and shape(imported)
    kinds = {(m["case_id"], m["kind"]) for m in engine.store.messages()}  # type: ignore[attr-defined]
    assert {k for c, k in kinds if c == engine.get_case(imported).id} == \
        {k for c, k in kinds if c == engine.get_case(submitted).id}
    with pytest.raises(DoubleRelief):
        engine.submit(PROCESS, STAFF, application(id_number=household_id(1)))


def test_an_applicant_account_column_links_the_case(engine: Engine, tmp_path: Path,
                                                    do_import: Import) -> None:
    """A row naming the applicant's user account links the case to them; it still verifies."""
    path = write_csv(tmp_path / "a.csv", [*HEADER_ZH, "申请人账号"],
                     [[*zh_row(1, id_number=LI_ID), "li.xiulan"], [*zh_row(2), "zhao.jianguo"]])
    report = do_import(path)
    case = engine.get_case(report.imported[0][1])
    assert case.applicant_user == "li.xiulan" and case.submitted_by == STAFF
    assert verify(engine, case.number).ok
    assert report.errors[0].row == 3 and report.errors[0].field == "applicant"


def test_decided_in_worker_processes_like_in_one(engine: Engine, tmp_path: Path,
                                                 do_import: Import,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Large imports decide in forked workers; the cases are the same and verify."""
    monkeypatch.setattr(deciding_module, "PARALLEL_MIN", 4)
    monkeypatch.setattr(deciding_module, "CHUNK", 3)
    report = do_import(write_csv(tmp_path / "a.csv", HEADER_ZH,
                                 [zh_row(n) for n in range(1, 11)]), workers=2)
    assert [n for _, n in report.imported] == [f"{PREFIX}-{n:06d}" for n in range(1, 11)]
    assert engine.get_case(f"{PREFIX}-000007").data["applicant_name"] == "张7"
    assert verify(engine).ok


def test_read_sheet_keeps_ids_as_text(tmp_path: Path) -> None:
    """read_sheet: an ID with a leading zero region code survives; Excel's ="..." is unwrapped."""
    path = write_csv(tmp_path / "a.csv", ["姓名", "身份证号码"], [["李四", '="0123"']])
    sheet = read_sheet(path)
    assert sheet.header == ("姓名", "身份证号码") and sheet.rows[0].cells == ("李四", "0123")
    assert sheet.rows[0].number == 2


def test_an_applicant_may_not_import(tmp_path: Path, do_import: Import, engine: Engine) -> None:
    """Importing files for households is the village's job: an applicant is refused."""
    with pytest.raises(PermissionDenied) as caught:
        do_import(write_csv(tmp_path / "a.csv", HEADER_ZH, [zh_row(1)]), user="li.xiulan")
    assert caught.value.reason == "role" and count_rows(engine)["cases"] == 0
