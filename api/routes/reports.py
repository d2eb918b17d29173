"""Routes of reports: the notice list, the disbursement form and the statistics as
the tables ``bangfu report`` prints (``format=json``) or as CSV, XLSX and HTML
downloads; the budget execution. For holders of a role over the report's unit;
personal data masked as on paper (ID numbers masked, no phones)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import Eng, Lang, User
from api.responses import AUTHED, problems
from workflow.reporting.table import Table, masked
from workflow.services import reports as svc

router = APIRouter(tags=["reports"], responses=problems(*AUTHED, 400, 404))

Format = Annotated[str, Query(max_length=8, description="json (the table), csv, xlsx or html")]
Campaign = Annotated[str | None, Query(max_length=64)]
Unit = Annotated[str, Query(max_length=64)]

FILES: dict[int | str, dict[str, Any]] = {200: {"description": "the table as JSON, or the file for a download",
                 "content": {"application/json": {}, "text/csv": {}, "text/html": {},
                             "application/vnd.openxmlformats-officedocument."
                             "spreadsheetml.sheet": {}}}}


def _answer(table: Table, fmt: str) -> Any:
    """The table as JSON, or written as ``fmt`` with a file name to save it under."""
    if fmt == "json":
        return masked(table).as_dict()
    body, media, name = svc.report_file(table, fmt)
    facts = json.dumps({"kind": table.kind, "rows": len(table), "meta": dict(table.meta)},
                       ensure_ascii=True, default=str)
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Bangfu-Rows": str(len(table)), "X-Bangfu-Report": facts})


@router.get("/v1/reports/notice", responses=FILES, response_model=None)
def notice(engine: Eng, who: User, lng: Lang, level: Annotated[str, Query(max_length=16)],
           unit: Unit, campaign: Campaign = None, include_refused: bool = False,
           format: Format = "json") -> Any:
    """The notice list of ``unit`` at ``level`` (village, township, county) as posted;
    with ``include_refused``, also the households refused or withdrawn after it."""
    from workflow.reporting import notice_list

    svc.require_unit_reader(engine, who, unit)
    return _answer(notice_list(engine, level, unit, campaign, lang=lng,
                               include_refused=include_refused), format)


@router.get("/v1/reports/form", responses=FILES, response_model=None)
def form(engine: Eng, who: User, lng: Lang, village: Unit, campaign: Campaign = None,
         pending_only: bool = False, rows_per_page: Annotated[int, Query(ge=1, le=100)] = 10,
         format: Format = "json") -> Any:
    """The disbursement form of a village: recipients' and cadres' signatures, amounts in
    figures and in capitals, a subtotal per printed page."""
    from workflow.reporting import disbursement_form

    svc.require_unit_reader(engine, who, village)
    return _answer(disbursement_form(engine, village, campaign, lang=lng,
                                     include_completed=not pending_only,
                                     page_rows=rows_per_page), format)


@router.get("/v1/reports/stats", responses=FILES, response_model=None)
def stats(engine: Eng, who: User, lng: Lang, unit: Annotated[str | None, Query(max_length=64)]
          = None, campaign: Campaign = None, format: Format = "json") -> Any:
    """Cases and amounts per village, category and state (in ``unit``, default the
    user's own)."""
    from workflow.reporting import statistics

    where = unit or engine.actor(who).unit
    svc.require_unit_reader(engine, who, where)
    return _answer(statistics(engine, campaign, unit=where, lang=lng), format)


@router.get("/v1/reports/budget")
def budget(engine: Eng, who: User, lng: Lang, campaign: Campaign = None) -> dict[str, Any]:
    """Each budget line's allocation, reserved, paid and remaining, reconciled case by
    case with what the completed cases' events paid: for holders of a role over the
    whole county."""
    svc.require_unit_reader(engine, who, svc.county_of(engine))
    return svc.budget(engine, campaign, lng)
