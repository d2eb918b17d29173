"""The inspector's view: ``/inspect/cases/{number}?as_of=ISO`` a case replayed as of
any moment (the replay core of ``bangfu audit replay``), each event a link to the
case as of that event; ``/inspect/verify`` the verification of the whole trail
(``bangfu audit verify``). Only for inspectors (the platform acts ``inspect`` and
``verify``): anyone else is refused (403) before a case is looked up."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.web import lang_of, page_user, pages_of, render
from workflow.core.localtime import LOCAL_TZ, local
from workflow.services.inspector import case_as_of, check_trail
from workflow.services.time import parse_time

router = APIRouter(include_in_schema=False)
User = Annotated[str, Depends(page_user)]
AsOf = Annotated[str, Query(max_length=40)]


def moment(text: str) -> datetime | None:
    """``?as_of=`` as typed: a time with its zone, a plain date (that day's local
    midnight), or a time without a zone as Beijing time (what a browser's date-time
    field sends). A '+' that a query string turned into a blank is read back.

    Raises:
        ClockError: not a time.
    """
    text = text.strip()
    if not text:
        return None
    if " " in text and "T" in text:
        text = text.replace(" ", "+")
    if len(text) > 10 and "+" not in text[10:] and "-" not in text[10:] \
            and not text.endswith("Z"):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            pass  # parse_time says what is wrong
    return parse_time(text.replace("Z", "+00:00"))


@router.get("/inspect/cases")
def find(number: Annotated[str, Query(max_length=32)] = "", as_of: AsOf = "") -> Response:
    """The form of the verification page: go to the case asked for."""
    target = f"/inspect/cases/{quote(number.strip(), safe='')}" if number.strip() \
        else "/inspect/verify"
    return RedirectResponse(target + (f"?as_of={quote(as_of)}" if as_of and number else ""),
                            status_code=303)


@router.get("/inspect/cases/{number}")
def replayed(request: Request, number: str, who: User, as_of: AsOf = "") -> HTMLResponse:
    pages = pages_of(request)
    lang = lang_of(request)
    when = moment(as_of)
    view = case_as_of(pages.engine, who, number[:32], when, lang)
    now_seq = max((e["seq"] for e in view.events if not e["after"]), default=0)
    return render(request, "inspect_case.html", view=view, as_of=as_of,
                  as_of_local=local(when) if when else "", now_seq=now_seq,
                  field_value=local(when)[:16].replace(" ", "T") if when else "")


@router.get("/inspect/verify")
def trail(request: Request, who: User) -> HTMLResponse:
    pages = pages_of(request)
    check = check_trail(pages.engine, who, lang_of(request))
    return render(request, "inspect_verify.html", check=check, at=local(check.at))
