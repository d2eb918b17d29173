"""The public notice of a village, township or county (no login): who is proposed, the
category and amount, the notice's dates, how to object; and the objection form, which
records an objection event through the same service as ``POST /v1/public/objections``
and shares its rate limit per client. The form's CSRF token is signed, cookie-less."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.pages.web import (
    Posted,
    check_signed,
    client_of,
    lang_of,
    one,
    pages_of,
    posted,
    render,
    sign,
)
from api.problems import STATUS
from definitions.errors import BangfuError
from workflow.reporting import notice_list
from workflow.reporting.lists import NOTICE_STATE
from workflow.reporting.table import Table, masked
from workflow.rules.money import fen_to_yuan_text
from workflow.services.cases import object_publicly

router = APIRouter(include_in_schema=False)
MAX_REASON = 2000
MAX_CONTACT = 100


def _cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return fen_to_yuan_text(value, grouping=True)
    return str(value)


def _page(request: Request, level: str, unit: str, status: int = 200, *, error: str = "",
          done: str = "", reason: str = "", contact: str = "", chosen: str = "") -> HTMLResponse:
    pages = pages_of(request)
    lang = lang_of(request)
    table: Table = masked(notice_list(pages.engine, level, unit, lang=lang))
    rows = [[_cell(c.kind, r.cells.get(c.key)) for c in table.columns] for r in table.rows]
    open_cases = [(str(r.cells.get("number")), str(r.cells.get("name")))
                  for r in table.rows if _objectable(request, str(r.cells.get("number")))]
    return render(request, "notice.html", status, table=table, rows=rows, level=level,
                  unit=unit, open_cases=open_cases, error=error, done=done, reason=reason,
                  contact=contact, chosen=chosen,
                  notice_csrf=sign(pages, f"object:{level}:{unit}"))


def _objectable(request: Request, number: str) -> bool:
    """The household's notice is open for objections (in the notice or already objected)."""
    engine = pages_of(request).engine
    case = engine.store.get_case(number)
    return case is not None and case.state in (NOTICE_STATE, "objection_review")


@router.get("/notice/{level}/{unit}")
def notice(request: Request, level: str, unit: str) -> HTMLResponse:
    return _page(request, level[:16], unit[:64])


@router.post("/notice/{level}/{unit}/object")
def object_to(request: Request, level: str, unit: str,
              form: Annotated[Posted, Depends(posted)]) -> HTMLResponse:
    """An objection to one household on this notice: a few per client address in ten
    minutes (429 past them), the reason required, a contact optional."""
    level, unit = level[:16], unit[:64]
    pages = pages_of(request)
    zh = lang_of(request) == "zh"
    check_signed(request, form, f"object:{level}:{unit}")
    number, reason, contact = one(form, "case"), one(form, "reason"), one(form, "contact")
    keep = {"reason": reason[:MAX_REASON], "contact": contact[:MAX_CONTACT], "chosen": number}
    table = notice_list(pages.engine, level, unit)
    if number not in {str(r.cells.get("number")) for r in table.rows}:
        return _page(request, level, unit, 422, error="请选择本公示名单中的一户" if zh else
                     "choose a household on this notice", **keep)
    if not reason or len(reason) > MAX_REASON or len(contact) > MAX_CONTACT:
        return _page(request, level, unit, 422, error=(
            f"请填写异议理由（不超过 {MAX_REASON} 字），联系方式不超过 {MAX_CONTACT} 字" if zh else
            f"give a reason (at most {MAX_REASON} characters); a contact of at most "
            f"{MAX_CONTACT}"), **keep)
    if not pages.objections.allow(client_of(request)):
        return _page(request, level, unit, 429, error="提交过于频繁，请十分钟后再试" if zh else
                     "too many objections from here; try again in ten minutes", **keep)
    try:
        object_publicly(pages.engine, number, reason, contact or None)
    except BangfuError as exc:
        status = next(s for cls, s in STATUS if isinstance(exc, cls))
        return _page(request, level, unit, status, error=exc.localized("zh" if zh else "en"),
                     **keep)
    return _page(request, level, unit, 201, done=number)
