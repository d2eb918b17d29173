"""Routes of cases: list, show, history, options, submit, fire, a bulk fire over a
list, the user's queue and deadlines. Each calls the service the CLI calls and
answers its view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Eng, Key, Lang, Match, User, status_of, version_of
from api.responses import AUTHED, problems
from definitions.errors import BangfuError
from workflow.services import cases as svc

router = APIRouter(tags=["cases"], responses=problems(*AUTHED, 400, 404, 409, 412))

Data = Annotated[dict[str, Any], Field(default_factory=dict, max_length=500,
                                       description="typed field values; money in fen")]
Text = Annotated[dict[str, str], Field(default_factory=dict, max_length=500, description=(
    "field values as typed on the command line (name → text: money in yuan, enums by "
    "value or label), coerced by the case's definition"))]
Papers = Annotated[list[str], Field(default_factory=list, max_length=100, description=(
    "papers handed in, each 'type=ref@date' (joined to those on file)"))]
Comment = Annotated[str | None, Field(default=None, max_length=20_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmitBody(_Body):
    process: str = Field(max_length=64)
    data: Data
    text: Text
    papers: Papers
    comment: Comment
    unit: str | None = Field(default=None, max_length=64)
    campaign: str | None = Field(default=None, max_length=64)


class FireBody(_Body):
    trigger: str = Field(max_length=64)
    data: Data
    text: Text
    papers: Papers
    comment: Comment


class BulkFireBody(_Body):
    cases: list[str] = Field(min_length=1, max_length=1000)
    trigger: str = Field(max_length=64)
    data: Data
    text: Text
    comment: Comment


Name = Annotated[str | None, Query(max_length=64)]


@router.get("/v1/cases")
def list_cases(engine: Eng, who: User, lng: Lang, process: Name = None,
               state: Annotated[list[str] | None, Query(max_length=50)] = None,
               unit: Name = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    """The cases the user may read (in ``unit`` and below, if given), one page, with the
    total; ``cells`` is what a table shows of each (the name masked as on paper)."""
    page = svc.list_readable(engine, who, lng, process=process, states=state, unit=unit,
                             limit=limit, offset=offset)
    nxt = offset + len(page.rows) if offset + len(page.rows) < page.total else None
    return {"total": page.total, "offset": offset, "limit": limit, "next_offset": nxt,
            "cases": page.rows, "cells": page.cells}


@router.get("/v1/cases/{ref}")
def show_case(ref: str, engine: Eng, who: User, lng: Lang, reveal: bool = False,
              reason: Annotated[str | None, Query(max_length=2000)] = None) -> dict[str, Any]:
    """A case with its papers, timers and what the user may do now (and why not).
    ``reveal`` with a ``reason`` shows the full ID and phone numbers to a user with
    jurisdiction and no declared relation; the reveal is an event of the case."""
    case = svc.readable(engine, who, ref)
    return svc.show(engine, who, case.id, lng, reveal=reveal, reason=reason)


@router.get("/v1/cases/{ref}/history")
def case_history(ref: str, engine: Eng, who: User, lng: Lang) -> dict[str, Any]:
    """The case's events, masked, with their labels."""
    case = svc.readable(engine, who, ref)
    _, events = svc.history(engine, case.id, lng)
    return {"case": case.number, "events": events}


@router.get("/v1/cases/{ref}/options")
def case_options(ref: str, engine: Eng, who: User, lng: Lang) -> dict[str, Any]:
    """What the user may fire on the case now, and for each trigger refused, why (the
    same decision a fire takes); the case's version, to send back as ``If-Match``."""
    case = svc.readable(engine, who, ref)
    return svc.options(engine, who, case.id, lng)


@router.post("/v1/cases", status_code=201)
def submit(body: SubmitBody, engine: Eng, who: User, lng: Lang, key: Key = None
           ) -> dict[str, Any]:
    """Open a case; a retry with the same ``Idempotency-Key`` answers the first result."""
    res = engine.submit(body.process, who, body.data, unit=body.unit, comment=body.comment,
                        idempotency_key=key, campaign=body.campaign, text=body.text,
                        papers=body.papers)
    return svc.result(engine, res, lng)


@router.post("/v1/cases/{ref}/fire")
def fire(ref: str, body: FireBody, engine: Eng, who: User, lng: Lang, key: Key = None,
         if_match: Match = None) -> dict[str, Any]:
    """Fire a trigger; ``If-Match`` names the version the user saw (412 if stale)."""
    case = svc.readable(engine, who, ref)
    res = engine.fire(case.id, body.trigger, who, data=body.data, comment=body.comment,
                      expected_version=version_of(if_match), idempotency_key=key,
                      text=body.text, papers=body.papers)
    return svc.result(engine, res, lng)


@router.post("/v1/cases/fire")
def bulk_fire(body: BulkFireBody, engine: Eng, who: User, lng: Lang) -> dict[str, Any]:
    """One trigger on a list of cases (a village's list), one result per case: each
    case in its own transaction, a refusal of one leaving the others done."""
    results: list[dict[str, Any]] = []
    for ref in body.cases:
        try:
            case = svc.readable(engine, who, ref)
            res = engine.fire(case.id, body.trigger, who, data=body.data, text=body.text,
                              comment=body.comment)
            results.append({"case": ref, "status": 200, **svc.result(engine, res, lng)})
        except BangfuError as exc:
            results.append({"case": ref, "status": status_of(exc), "code": exc.code,
                            "detail": exc.localized(lng)})
    done = sum(1 for r in results if r["status"] == 200)
    return {"done": done, "refused": len(results) - done, "results": results}


@router.get("/v1/queue")
def queue(engine: Eng, who: User, lng: Lang) -> dict[str, Any]:
    """The cases on which the user can act now, with what they can do (``cells``: what
    a table shows of each)."""
    page = svc.queue(engine, who, lng)
    return {"total": page.total, "cases": page.rows, "cells": page.cells}


@router.get("/v1/deadlines")
def deadlines(engine: Eng, who: User, lng: Lang, overdue: bool = False,
              unit: Name = None) -> dict[str, Any]:
    """The open deadlines of the cases the user may read in their units (or in ``unit``
    among them), soonest first, and the count per village."""
    from workflow.services.time import deadlines_of

    return deadlines_of(engine, who, lng, unit=unit, overdue=overdue)
