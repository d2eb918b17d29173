"""Routes open to anyone, without login: the public notice of a village, township
or county, and objections to a household on it (rate-limited per client)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Eng, Lang
from api.problems import problem
from api.responses import ANY, problems
from workflow.services import cases as svc

router = APIRouter(tags=["public"], responses=problems(*ANY, 400, 404, 409, 429))


class ObjectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case: str = Field(max_length=32)
    reason: str = Field(min_length=1, max_length=2000)
    contact: str | None = Field(default=None, max_length=100, description="how to reach the "
                                "objector (kept in the case, masked when shown)")


@router.get("/v1/public/notice")
def public_notice(engine: Eng, lng: Lang, unit: Annotated[str, Query(max_length=64)],
                  level: Literal["village", "township", "county"] = "village"
                  ) -> dict[str, Any]:
    """The public notice of a village, township or county (no login): who is proposed,
    the category and standard, the notice's dates, how to object. ID numbers masked,
    no phones."""
    from workflow.reporting import notice_list
    from workflow.reporting.table import masked

    table = masked(notice_list(engine, level, unit, lang=lng))
    return {"title": table.title, "notes": list(table.notes), "footer": list(table.footer),
            "columns": [{"key": c.key, "label": c.label} for c in table.columns],
            "rows": [dict(r.cells) for r in table.rows]}


@router.post("/v1/public/objections", status_code=201)
def public_objection(body: ObjectionBody, request: Request, engine: Eng, lng: Lang) -> Any:
    """An objection to a household on the notice (no login; a few per client and ten
    minutes): recorded as an ``object`` event of the case by the public's account."""
    client = request.client.host if request.client else "?"
    if not request.app.state.objections.allow(client):
        zh = lng == "zh"
        return problem(429, "too_many_requests", "too many requests",
                       "提交过于频繁，请十分钟后再试" if zh else
                       "too many objections from here; try again in ten minutes")
    res = svc.object_publicly(engine, body.case, body.reason, body.contact)
    return {"case": res.case_number, "state": res.state, "recorded": True}
