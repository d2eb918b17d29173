"""Documents out of the engine: the public notice list and the disbursement form
(the statistics are in ``workflow.reporting.stats``), each row with its paper's
verification code. Shell: reads through the Engine API only (``list_cases``,
``definition_for``, ``campaigns``, ``org``, ``time_context``), never SQL, and
writes nothing.

- ``notice_list``: the households in (or past) their public notice that
  belong on a village, township or county list. Every category is noticed at
  village and township level; moderate and severe ones also at county level
  (DOMAIN.md). Names as the campaign's ``notice.names`` says: in full by
  default (neighbours must know who is proposed), or with the middle hidden;
  ID numbers always show their first 6 and last 4 characters only; no
  applicant's phone at all. The list ends with the posting unit, the notice
  dates and where and how to object (``notice.objections``: office, phone,
  address), the one phone number it prints in full.
- ``disbursement_form``: per village, the households to visit (and those
  already paid, marked), each amount in figures and in capitals, blank
  columns for the recipient's and the visiting cadre's signatures, in
  numbered pages of ``page_rows`` households, each closed by its subtotal,
  and a total row. The recipient signs under their own full name; the ID
  stays masked.

Amounts are always the campaign's standard of the case's final category
(``workflow.rules.relief.amount_for``) or, once paid, the amount recorded
at the visit; never a figure typed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Literal

from definitions.campaign import Campaign
from definitions.errors import BangfuError
from workflow.core.deadlines import deadline_of
from workflow.core.localtime import local
from workflow.core.model import Case
from workflow.core.paper_codes import paper_code
from workflow.core.pii import mask_id_number
from workflow.engine import Engine
from workflow.links import base_url
from workflow.reporting.lookups import (
    cases_of,
    category_label,
    check_unit,
    granted,
    paid_fen,
    personal,
    public_name,
    resolve_campaign,
    standard_fen,
    title_prefix,
)
from workflow.reporting.table import Column, ReportError, Row, Table, t, unknown
from workflow.rules.money import chinese_capital

Level = Literal["village", "township", "county"]
LEVELS: tuple[Level, ...] = ("village", "township", "county")
LEVEL_LABELS = {"village": ("村级", "village"), "township": ("乡镇级", "township"),
                "county": ("县级", "county")}
#: where a case whose category names no levels (or has no standard) is listed
DEFAULT_NOTICE_LEVELS: tuple[Level, ...] = ("village", "township")
#: the state of the public notice and its window timer in the relief process
NOTICE_STATE = "publicity"
NOTICE_TIMER = "notice_window"
DISBURSEMENT_STATE = "disbursement"


def check_line(base: str, lang: str) -> str:
    """How a reader checks a printed paper against the record."""
    return t(lang, f"核对方法：扫描各户二维码，或在 {base}/v/ 后输入核验码，可查看本表该户是否与系统记录一致",
             f"To check a row against the record, scan its QR code or open {base}/v/ followed "
             "by its code")


def verify_column(lang: str) -> Column:
    """The column of each row's verification code, printed under its QR code."""
    return Column("verify", t(lang, "核验码（扫码核对）", "Verification code (scan to check)"),
                  "code", 26, nowrap=True)


# -- the public notice list ---------------------------------------------------

def objection_lines(engine: Engine, campaign: Campaign | None, unit: str,
                    lang: str) -> tuple[str, tuple[str, ...]]:
    """Where and how to object, from the campaign's ``notice.objections``: the line
    printed at the end of a notice, and the phone it publishes.

    Raises:
        ReportError: no campaign, or a campaign that names no objection contact (a
            notice without one serves no purpose).
    """
    contact = campaign.spec.notice.objections if campaign is not None else None
    if contact is None:
        which = f"'{campaign.id}'" if campaign is not None else t(lang, "（未指定）", "(none given)")
        raise ReportError(
            f"campaign {which} names no objection contact (notice.objections: office, phone, "
            "address); a public notice must say where and how to object",
            f"活动 {which} 未设定异议受理方式（notice.objections：受理单位、电话、地址），"
            "公示须写明向何处、以何种方式提出异议")
    how = contact.how.get(lang) if contact.how is not None else t(
        lang, "公示期内可来电、来访或书面提出异议", "During the notice, by phone, in person or in writing")
    line = t(lang,
             f"异议受理：{contact.office.zh}，电话 {contact.phone}，地址 {contact.address.zh}。"
             f"{how}",
             f"Objections: {contact.office.en}, phone {contact.phone}, {contact.address.en}. "
             f"{how}")
    return line, (contact.phone,)


def notice_window(engine: Engine, case: Case) -> tuple[datetime, datetime | None]:
    """First entry into the notice, and that plus the definition's notice window."""
    start = datetime.fromisoformat(case.first_entered[NOTICE_STATE])
    spec = next((s for s in engine.definition_for(case).states[NOTICE_STATE].timers
                 if s.id == NOTICE_TIMER), None)
    if spec is None:
        return start, None
    try:
        return start, deadline_of(spec, case, NOTICE_STATE, engine.time_context(case.campaign))
    except BangfuError:
        return start, None


def notice_levels(engine: Engine, case: Case) -> tuple[str, ...]:
    """The levels whose notice lists show ``case``: its category's ``notice`` levels."""
    campaign = engine.campaigns.get(case.campaign or "")
    standard = campaign.spec.standards.get(str(case.data.get("category"))) \
        if campaign is not None else None
    return standard.notice if standard is not None else DEFAULT_NOTICE_LEVELS


def notice_list(engine: Engine, level: str, unit: str, campaign: str | None = None, *,
                lang: str = "zh", include_refused: bool = False,
                links: str | None = None) -> Table:
    """The public notice list of ``unit`` at ``level`` (village, township or county).

    Cases that entered the public notice, whether still in it or past it;
    cases refused or withdrawn since are left off unless ``include_refused``.
    A case is listed at the levels its category's standard names (``notice``
    in the campaign's standards: moderate and severe hardship reach the county).

    Each household's row carries its verification code (QR codes link to
    ``links``, default the configured base URL).

    Raises:
        ReportError: an unknown level, unit or campaign.
        UsageError: the configured base URL is not one.
    """
    if level not in LEVELS:
        raise unknown("notice level", "公示层级", level, list(LEVELS))
    check_unit(engine, unit)
    found = resolve_campaign(engine, campaign)
    objections, published = objection_lines(engine, found, unit, lang)
    policy = found.spec.notice.names if found is not None else "full"
    rows: list[Row] = []
    windows: list[tuple[datetime, datetime | None]] = []
    for case in cases_of(engine, unit, found):
        defn = engine.definition_for(case)
        if NOTICE_STATE not in defn.states or NOTICE_STATE not in case.first_entered:
            continue
        if defn.is_final(case.state) and not granted(defn, case.state) and not include_refused:
            continue
        if level not in notice_levels(engine, case):
            continue
        start, end = notice_window(engine, case)
        windows.append((start, end))
        rows.append(Row({
            "no": len(rows) + 1, "number": case.number,
            "unit": engine.org.unit_label(case.unit, lang),
            "name": public_name(personal(engine, case, "name"), policy),
            "id_number": mask_id_number(personal(engine, case, "id_number")),
            "household_size": case.data.get("household_size"),
            "category": category_label(engine, case, lang),
            "amount": standard_fen(engine, case),
            "start": local(start), "end": local(end) if end is not None else None,
            "state": defn.state_label(case.state, lang),
            "verify": paper_code(case.number, case.head_hash)}))
    level_zh, level_en = LEVEL_LABELS[level]
    name = engine.org.unit_label(unit, lang)
    title = t(lang, f"{title_prefix(found, lang)}{name}帮扶对象名单公示（{level_zh}）",
              f"{title_prefix(found, lang)}public notice of {name} ({level_en} level)")
    notes = (
        t(lang, f"经民主评议、审核，以下 {len(rows)} 户拟列为帮扶对象，现予公示。"
                "公示期内，任何单位和个人均可提出异议",
          f"After deliberation and review, the {len(rows)} households below are proposed for "
          "relief. Anyone may object during the notice"),)
    posted = engine.org.unit_path(unit, lang)
    footer = (
        t(lang, f"公示单位：{posted}", f"Posted by: {posted}"),
        t(lang, f"公示时间：{_span(windows, lang)}（各户自首次公示起计算，起止时间见表）",
          f"Notice: {_span(windows, lang)} (from each household's first notice, as listed)"),
        objections,
        t(lang, "本名单已隐去身份证号码（仅留前 6 位和后 4 位），不列联系电话",
          "ID numbers are shown with their first 6 and last 4 characters only; no phone "
          "numbers are listed"),
        check_line(links or base_url(), lang),
        t(lang, f"{posted}（盖章）    发布日期：{_day(windows)}",
          f"{posted} (seal)    Issued: {_day(windows)}"))
    columns = (
        Column("no", t(lang, "序号", "No."), "count", 6),
        Column("number", t(lang, "编号", "Case"), nowrap=True),
        Column("unit", t(lang, "村（社区）", "Village"), nowrap=True),
        Column("name", t(lang, "姓名", "Name"), nowrap=True),
        Column("id_number", t(lang, "身份证号", "ID number"), width=22, nowrap=True),
        Column("household_size", t(lang, "家庭人口", "Household"), "count"),
        Column("category", t(lang, "困难类别", "Category"), nowrap=True),
        Column("amount", t(lang, "帮扶标准（元）", "Standard (yuan)"), "money"),
        Column("start", t(lang, "公示开始", "Notice from"), width=18),
        Column("end", t(lang, "公示结束", "Notice until"), width=18),
        Column("state", t(lang, "办理状态", "State"), nowrap=True),
        verify_column(lang))
    return Table("notice", title, columns, tuple(rows), notes, footer, public=True, lang=lang,
                 meta={"level": level, "unit": unit, "campaign": found.id if found else None,
                       "cases": len(rows), "names": policy}, published=published,
                 verify_base=links or base_url())


def _span(windows: Sequence[tuple[datetime, datetime | None]], lang: str) -> str:
    """From the first notice's start to the last one's end, local time."""
    if not windows:
        return "—"
    first = local(min(s for s, _ in windows))
    ends = [e for _, e in windows if e is not None]
    last = local(max(ends)) if ends else t(lang, "（未定）", "(open)")
    return t(lang, f"{first} 至 {last}", f"{first} to {last}")


def _day(windows: Sequence[tuple[datetime, datetime | None]]) -> str:
    """The day the notice was first posted (local), or a blank to fill in."""
    return local(min(s for s, _ in windows))[:10] if windows else "____年__月__日"


# -- the disbursement form ----------------------------------------------------

#: households per printed page of the disbursement form (A4 landscape, rows tall
#: enough to sign in)
FORM_PAGE_ROWS = 10


def disbursement_form(engine: Engine, village: str, campaign: str | None = None, *,
                      lang: str = "zh", include_completed: bool = True,
                      page_rows: int = FORM_PAGE_ROWS, links: str | None = None) -> Table:
    """The form the recipients and the visiting cadres sign, for one village.

    Printed in pages of ``page_rows`` households, each closed by its page's
    subtotal ("第 1 页小计"), the last by the total; every page is numbered.
    Each household's row carries its verification code (QR codes link to
    ``links``, default the configured base URL): an inspector scans a signed
    form to see whether it still matches the record.

    Raises:
        ReportError: an unknown village or campaign, a unit with units below it,
            or fewer than one household a page.
        UsageError: the configured base URL is not one.
    """
    if page_rows < 1:
        raise ReportError(f"a page holds at least one household, not {page_rows}",
                          f"每页至少 1 户，不能为 {page_rows}")
    check_unit(engine, village)
    if engine.org.children(village):
        raise ReportError(
            f"a disbursement form is made per village; '{village}' has units below it",
            f"发放表按村（社区）制作；'{village}' 下还有下级单位")
    found = resolve_campaign(engine, campaign)
    rows: list[Row] = []
    total = 0
    unpriced: list[str] = []
    households: list[Row] = []
    for case in cases_of(engine, village, found):
        defn = engine.definition_for(case)
        paid = granted(defn, case.state)
        if case.state != DISBURSEMENT_STATE and not (paid and include_completed):
            continue
        amount = paid_fen(case) if paid else standard_fen(engine, case)
        if amount is None:
            unpriced.append(case.number)
        else:
            total += amount
        remark = ""
        if paid:
            when = case.first_entered.get(case.state)
            day = local(datetime.fromisoformat(when))[:10] if when else ""
            remark = t(lang, f"已发放 {day}", f"paid {day}").strip()
        households.append(Row({
            "no": len(households) + 1, "number": case.number,
            "name": personal(engine, case, "name"),
            "id_number": mask_id_number(personal(engine, case, "id_number")),
            "household_size": case.data.get("household_size"),
            "category": category_label(engine, case, lang),
            "amount": amount,
            "capital": chinese_capital(amount) if amount is not None else None,
            "recipient_sign": None, "cadre_sign": None, "remark": remark,
            "verify": paper_code(case.number, case.head_hash)}))
    pages = max(1, -(-len(households) // page_rows))
    for page in range(1, pages + 1):
        on_page = [replace(r, page=page)
                   for r in households[(page - 1) * page_rows: page * page_rows]]
        rows.extend(on_page)
        fen = sum(int(r["amount"] or 0) for r in on_page)
        rows.append(Row({"no": None, "number": t(lang, f"第 {page} 页小计", f"Page {page}"),
                         "name": t(lang, f"{len(on_page)} 户", f"{len(on_page)} households"),
                         "amount": fen, "capital": chinese_capital(fen)}, "subtotal", page))
    rows.append(Row({"no": None, "number": t(lang, "合计", "Total"),
                     "name": t(lang, f"{len(households)} 户", f"{len(households)} households"),
                     "amount": total, "capital": chinese_capital(total)}, "total", pages))
    notes = [
        t(lang, f"村（社区）：{engine.org.unit_path(village, lang)}",
          f"Village: {engine.org.unit_path(village, lang)}"),
        t(lang, "乡镇干部与村干部共同入户发放，由本人签字领取，任何人不得代领（干部、亲属均不得代领）",
          "A township cadre and a village cadre deliver in person; the recipient signs; nobody "
          "collects on the recipient's behalf (no cadre, no relative)"),
        t(lang, "按标准足额发放，不得拆分；签字原件交乡镇财政所，复印件存档",
          "The standard amount, in full, never split; the signed original goes to the finance "
          "office, a copy to the archive"),
        check_line(links or base_url(), lang)]
    if unpriced:
        notes.append(t(lang, f"以下案件无法按标准计算金额，未计入合计：{'、'.join(unpriced)}",
                       f"No standard amount for {', '.join(unpriced)}; left out of the total"))
    footer = (t(lang, "慰问干部（签字）：____________    村干部（签字）：____________    "
                      "财政所经办人：____________    日期：______年____月____日",
                "Visiting cadre (signature): ____________    Village cadre (signature): "
                "____________    Finance office: ____________    Date: ____________"),)
    columns = (
        Column("no", t(lang, "序号", "No."), "count", 6),
        Column("number", t(lang, "编号", "Case"), nowrap=True),
        Column("name", t(lang, "领取人姓名", "Recipient"), nowrap=True),
        Column("id_number", t(lang, "身份证号", "ID number"), width=22, nowrap=True),
        Column("household_size", t(lang, "家庭人口", "Household"), "count"),
        Column("category", t(lang, "困难类别", "Category"), nowrap=True),
        Column("amount", t(lang, "金额（元）", "Amount (yuan)"), "money"),
        Column("capital", t(lang, "金额（大写）", "Amount in capitals"), "capital", 26),
        Column("recipient_sign", t(lang, "领取人签字", "Recipient's signature"), "signature", 16),
        Column("cadre_sign", t(lang, "慰问干部签字", "Visiting cadre's signature"),
               "signature", 16),
        Column("remark", t(lang, "备注", "Remark"), width=16),
        verify_column(lang))
    title = t(lang, f"{title_prefix(found, lang)}{engine.org.unit_label(village)}慰问金发放签收表",
              f"{title_prefix(found, lang)}disbursement form of "
              f"{engine.org.unit_label(village, lang)}")
    return Table("form", title, columns, tuple(rows), tuple(notes), footer, lang=lang,
                 meta={"village": village, "campaign": found.id if found else None,
                       "households": len(households), "total_fen": total, "pages": pages},
                 page_rows=page_rows, verify_base=links or base_url())
