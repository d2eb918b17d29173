"""The campaign board: ``/board`` (the first campaign) and ``/board/{campaign}``: the
campaign's cases per village and state as a chart of server-drawn SVG bars (no
JavaScript, no chart library; a table of the same numbers under it), the overdue deadlines and
the budget per line (allocated, committed, paid, left). Scoped by the service:
the user's own units; the county's inspection team sees everything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.web import lang_of, page_user, pages_of, render
from workflow.core.localtime import local
from workflow.reporting.table import ReportError
from workflow.services.board import BoardView, budget_note, campaign_board
from workflow.services.inspector import may_inspect

router = APIRouter(include_in_schema=False)
User = Annotated[str, Depends(page_user)]

#: a bar's length in SVG user units: each village's bar is an SVG stretched across its
#: table cell (the village's name and count stay HTML text, readable on a phone)
BAR_W = 1000
#: fills by what a state means: open states in blues and ambers, granted green,
#: refused and withdrawn greys
OPEN = ("#1f5f99", "#3b82c4", "#7fb2e0", "#c58a00", "#e0a82e", "#f0c96b", "#8a5cb8",
        "#b48ad6", "#5e8f8f")
GRANTED = ("#2e7d32", "#66bb6a")
CLOSED = ("#8d959e", "#b9c0c7", "#d5dadf")


@dataclass(frozen=True, slots=True)
class Segment:
    x: float
    width: float
    fill: str
    state: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    total: int
    segments: list[Segment]


def fills(view: BoardView) -> dict[str, str]:
    """A colour for each state, by its kind, in the definition's order."""
    used = {"open": 0, "granted": 0, "closed": 0}
    palette = {"open": OPEN, "granted": GRANTED, "closed": CLOSED}
    out: dict[str, str] = {}
    for column in view.states:
        colours = palette[column.kind]
        out[column.state] = colours[used[column.kind] % len(colours)]
        used[column.kind] += 1
    return out


def bars(view: BoardView) -> list[Bar]:
    """One bar per village, a segment per state, scaled to the largest village."""
    widest = max((v.total for v in view.villages), default=0) or 1
    colour = fills(view)
    out = []
    for village in view.villages:
        x = 0.0
        segments = []
        for column in view.states:
            n = village.counts.get(column.state, 0)
            if not n:
                continue
            width = BAR_W * n / widest
            segments.append(Segment(round(x, 2), round(width, 2), colour[column.state],
                                    column.state, column.label, n))
            x += width
        out.append(Bar(village.label, village.total, segments))
    return out


def _board(request: Request, who: str, campaign: str | None) -> Response:
    pages = pages_of(request)
    lang = lang_of(request)
    try:
        view = campaign_board(pages.engine, who, campaign, lang)
    except ReportError as exc:
        from api.pages import error_page

        return error_page(request, 404, exc.localized("en"), exc.localized("zh"))
    present = [c for c in view.states if view.totals.get(c.state)]
    return render(request, "board.html", view=view, chart=bars(view), fills=fills(view),
                  present=present, bar_w=BAR_W, now=local(view.now),
                  budget_note=budget_note(view, lang),
                  inspector=may_inspect(pages.engine, who))


@router.get("/board")
def board(request: Request, who: User) -> Response:
    return _board(request, who, None)


@router.get("/board/{campaign}")
def board_of(request: Request, campaign: str, who: User) -> Response:
    return _board(request, who, campaign[:64])


