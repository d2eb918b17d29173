"""The verification page of a printed paper: ``/v/{code}`` (what the QR code on each
row of a disbursement form or a public notice encodes), and ``/v/`` to type a code.
No login; at most ``PER_MINUTE`` look-ups a minute from one address (429 past
them), so codes cannot be guessed by trying. It shows only what the paper itself
carries, masked: the answer, the case number, village, name with its middle hidden,
ID with its first 6 and last 4 characters, category, amount and state."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.limits import RateLimit
from api.pages.web import client_of, lang_of, pages_of, render
from workflow.services.verification import verdict, verify_paper

router = APIRouter(include_in_schema=False)
PER_MINUTE = 30


def limiter(request: Request) -> RateLimit:
    """The app's look-up limit (made once per app by ``add_pages``)."""
    found: RateLimit = request.app.state.paper_checks
    return found


@router.get("/v/")
def form(request: Request, code: Annotated[str, Query(max_length=80)] = "") -> Response:
    """A field to type the code printed under a QR code; sent, it opens ``/v/{code}``."""
    if code.strip():
        return RedirectResponse(f"/v/{quote(' '.join(code.split()), safe='')}",
                                status_code=303)
    return render(request, "paper.html", check=None, verdict="")


@router.get("/v/{code:path}")
def paper(request: Request, code: str) -> Response:
    if not limiter(request).allow(client_of(request)):
        from api.pages import error_page

        return error_page(request, 429, "too many look-ups from here; try again in a minute",
                          "查询过于频繁，请一分钟后再试")
    check = verify_paper(pages_of(request).engine, code[:80], lang_of(request))
    return render(request, "paper.html", 404 if check.status == "unknown" else 200,
                  check=check, verdict=verdict(check, lang_of(request)))
