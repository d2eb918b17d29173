"""The HTTP API of substitutes: a reviewer names one for a period, lists their periods,
ends one early; the same services and rules as ``bangfu org substitute``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path
from pydantic import BaseModel, ConfigDict, Field

from api import responses as out
from api.deps import Lang, User
from api.responses import AUTHED, problems


class SubstituteBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reviewer: str = Field(max_length=64, description="the reviewer on leave")
    substitute: str = Field(max_length=64)
    starts: str = Field(alias="from", max_length=40, description="a date (its local "
                        "midnight; today: now) or a time with its zone")
    ends: str = Field(alias="to", max_length=40, description="a date (the whole day) or a "
                      "time with its zone")
    reason: str = Field(min_length=1, max_length=2000)


class EndBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class SubstituteView(out._Out):
    id: int
    reviewer: str
    reviewer_name: str
    substitute: str
    substitute_name: str
    starts_at: out.Time
    ends_at: out.Time
    state: str = Field(description="upcoming, active, ended (early) or over")
    state_label: str
    reason: str
    created_by: str
    ended_by: str | None


Ident = Annotated[int, Path(ge=1, le=2**31 - 1, description="the period's number")]


def add_routes(app: FastAPI) -> None:
    """The routes on ``app``."""
    from workflow.services import org

    @app.get("/v1/org/substitutes", tags=["org"], response_model=list[SubstituteView],
             responses=problems(*AUTHED))
    def list_substitutes(who: User, lng: Lang) -> list[dict[str, Any]]:
        """The user's periods, as reviewer or substitute (an administrator's or auditor's:
        all)."""
        return org.list_substitutes(app.state.engine, who, lng)

    @app.post("/v1/org/substitutes", tags=["org"], status_code=201,
              response_model=SubstituteView, responses=problems(*AUTHED, 400))
    def add_substitute(body: SubstituteBody, who: User,
                       lng: Lang) -> dict[str, Any]:
        """Name a substitute for a period (the reviewer themselves, or an administrator)."""
        return org.add_substitute(app.state.engine, who, body.reviewer, body.substitute,
                                  body.starts, body.ends, body.reason, lng)

    @app.post("/v1/org/substitutes/{ident}/end", tags=["org"], response_model=SubstituteView,
              responses=problems(*AUTHED, 400))
    def end_substitute(ident: Ident, body: EndBody, who: User,
                       lng: Lang) -> dict[str, Any]:
        """End a period now (the reviewer, the substitute or an administrator)."""
        return org.end_substitute(app.state.engine, who, ident, body.reason, lng)
