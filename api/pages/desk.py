"""The reviewer's desk: ``/desk`` the user's queue (nearest deadline first),
``/desk/cases/{number}`` a case with its papers, history, timers and what the user may
do (a form per allowed trigger, firing with the version the page showed), the reveal
of full numbers with a reason, and ``/desk/bulk`` one trigger over chosen cases of a
village's list. Scoped like the API: a case outside the user's units is 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.web import Posted, lang_of, one, page_user, pages_of, render, session_form
from api.problems import STATUS
from definitions.errors import BangfuError
from workflow.errors import UsageError
from workflow.services import desk as svc
from workflow.services.cases import readable

router = APIRouter(include_in_schema=False)
User = Annotated[str, Depends(page_user)]
Form = Annotated[Posted, Depends(session_form)]

#: a field's value in a trigger's form is posted as ``f.NAME``
FIELD = "f."
MAX_COMMENT = 20_000


def _status(exc: BangfuError) -> int:
    return next(s for cls, s in STATUS if isinstance(exc, cls))


def _version(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise UsageError(f"the form's case version '{text[:12]}' is not a number",
                         f"表单中的案件版本号 '{text[:12]}' 不是数字")
    return int(text)


def _texts(form: Posted) -> dict[str, str]:
    """The trigger's field values as typed (money in yuan: the definition converts it to
    fen exactly); empty ones are left out, so an optional field stays unset."""
    return {k[len(FIELD):]: v[0].strip() for k, v in form.items()
            if k.startswith(FIELD) and v and v[0].strip()}


def _comment(form: Posted) -> str | None:
    text = one(form, "comment")
    if len(text) > MAX_COMMENT:
        raise UsageError(f"a comment has at most {MAX_COMMENT:,} characters",
                         f"意见不能超过 {MAX_COMMENT:,} 个字")
    return text or None


@router.get("/desk")
def desk(request: Request, who: User) -> HTMLResponse:
    rows = svc.queue(pages_of(request).engine, who, lang_of(request))
    return render(request, "desk.html", rows=rows)


def _case(request: Request, who: str, number: str, status: int = 200, *, error: str = "",
          done: str = "", reveal: bool = False, reason: str | None = None,
          posted: Posted | None = None) -> HTMLResponse:
    info = svc.case_page(pages_of(request).engine, who, number, lang_of(request),
                         reveal=reveal, reason=reason, done=done)
    return render(request, "case.html", status, case=info, error=error,
                  revealed=reveal, posted=posted or {}, field_prefix=FIELD)


@router.get("/desk/cases/{number}")
def case(request: Request, number: str, who: User, done: str = "") -> HTMLResponse:
    return _case(request, who, number, done=done[:64])


@router.post("/desk/cases/{number}/fire")
def fire(request: Request, number: str, who: User, form: Form) -> Response:
    """One trigger with its comment and data, at the version the page showed: a stale
    page is refused (412) and nothing is written."""
    engine = pages_of(request).engine
    lang = lang_of(request)
    trigger = one(form, "trigger")
    try:
        case = readable(engine, who, number)
        engine.fire(case.id, trigger, who, text=_texts(form), comment=_comment(form),
                    expected_version=_version(one(form, "version")))
    except BangfuError as exc:
        if _status(exc) == 404:
            raise
        return _case(request, who, number, _status(exc), error=exc.localized(lang),
                     posted=form)
    return RedirectResponse(f"/desk/cases/{case.number}?done={trigger}", status_code=303)


@router.post("/desk/cases/{number}/reveal")
def reveal(request: Request, number: str, who: User, form: Form) -> Response:
    """The full ID and phone numbers, shown on this answer only: the reveal needs a
    reason and is recorded in the case's history (who, when, why)."""
    lang = lang_of(request)
    reason = one(form, "reason")[:2000] or None
    try:
        return _case(request, who, number, reveal=True, reason=reason)
    except BangfuError as exc:
        if _status(exc) == 404:
            raise
        return _case(request, who, number, _status(exc), error=exc.localized(lang))


def _choices(request: Request, who: str) -> tuple[list[svc.Row], list[tuple[str, str]],
                                                  list[tuple[str, str]]]:
    rows = svc.queue(pages_of(request).engine, who, lang_of(request))
    units = sorted({(r.unit, r.cells["unit"]) for r in rows})
    triggers = sorted({t for r in rows for t in r.can})
    return rows, units, triggers


@router.get("/desk/bulk")
def bulk_page(request: Request, who: User, unit: str = "", trigger: str = "") -> HTMLResponse:
    """The queue's cases of one village that take ``trigger`` now, to choose from."""
    rows, units, triggers = _choices(request, who)
    shown = [r for r in rows if (not unit or r.unit == unit)
             and (not trigger or trigger in {t for t, _ in r.can})]
    return render(request, "bulk.html", rows=shown, units=units, triggers=triggers,
                  unit=unit, trigger=trigger, results=None)


@router.post("/desk/bulk")
def bulk(request: Request, who: User, form: Form) -> HTMLResponse:
    """The chosen trigger on each chosen case, a result per case."""
    engine = pages_of(request).engine
    lang = lang_of(request)
    trigger = one(form, "trigger")
    chosen = [c.strip() for c in form.get("case", []) if c.strip()]
    versions = {}
    for ref in chosen:
        text = one(form, f"v.{ref}")
        if text.isdigit() and len(text) <= 9:
            versions[ref] = int(text)
    if not trigger or not chosen:
        rows, units, triggers = _choices(request, who)
        zh = lang == "zh"
        return render(request, "bulk.html", 422, rows=rows, units=units, triggers=triggers,
                      unit=one(form, "unit"), trigger=trigger, results=None,
                      error="请选择操作和至少一个案件" if zh else
                      "choose an action and at least one case")
    results = svc.bulk(engine, who, chosen, trigger, lang, text=_texts(form),
                       comment=_comment(form), versions=versions)
    rows, units, triggers = _choices(request, who)
    return render(request, "bulk.html", rows=[], units=units, triggers=triggers,
                  unit=one(form, "unit"), trigger=trigger, results=results)
