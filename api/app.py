"""The app factory: one Engine and token store per app, a bearer token per request,
the routes of ``/v1`` calling the services the CLI calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import responses as out
from api.deps import Lang, User
from api.limits import RateLimit
from api.problems import bangfu_error, http_error, invalid_request, language, problem
from api.responses import ANY, AUTHED, problems, with_problem_schema
from definitions.errors import BangfuError
from workflow.engine import Engine
from workflow.errors import UsageError
from workflow.ports import LoginStore, TokenStore

if TYPE_CHECKING:
    from api.pages.web import PageSettings

#: the largest request body taken (a bulk fire of a village's list fits many times)
MAX_BODY = 1024 * 1024


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmitBody(_Body):
    process: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, description="typed field values; "
                                 "money in fen")
    comment: str | None = Field(default=None, max_length=20_000)
    unit: str | None = Field(default=None, max_length=64)
    campaign: str | None = Field(default=None, max_length=64)


class FireBody(_Body):
    trigger: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, description="typed field values; "
                                 "money in fen")
    comment: str | None = Field(default=None, max_length=20_000)


class BulkFireBody(_Body):
    cases: list[str] = Field(min_length=1, max_length=500)
    trigger: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict)
    comment: str | None = Field(default=None, max_length=20_000)


class ObjectionBody(_Body):
    case: str = Field(max_length=32)
    reason: str = Field(min_length=1, max_length=2000)
    contact: str | None = Field(default=None, max_length=100, description="how to reach the "
                                "objector (kept in the case, masked when shown)")


Key = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=128,
                                   pattern=r"^[\x21-\x7e][\x20-\x7e]*$",
                                   description="printable ASCII, e.g. a UUID")]
Match = Annotated[str | None, Header(alias="If-Match", max_length=32)]


def _version(if_match: str | None) -> int | None:
    """The expected case version of an ``If-Match`` header ('7' or the ETag '"7"')."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise UsageError(f"If-Match must be the case's version, not '{if_match[:32]}'",
                         f"If-Match 应为案件的版本号，而不是 '{if_match[:32]}'")
    return int(text)


def create_app(engine: Engine, tokens: TokenStore, logins: LoginStore | None = None,
               pages: PageSettings | None = None) -> FastAPI:
    """The HTTP API on ``engine``; requests authenticate with tokens of ``tokens``. The
    pages (``api.pages``) log in with passwords and sessions of ``logins`` (without it,
    with nothing: their login answers 503), configured by ``pages`` (from the
    environment when not given)."""
    from workflow.services import cases as svc

    app = FastAPI(title="Bangfu 帮扶", version="1", summary="Hardship-relief approval "
                  "workflows: cases, reviews, the audit trail",
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.engine = engine
    app.state.tokens = tokens
    generated = app.openapi
    app.openapi = lambda: with_problem_schema(generated())  # type: ignore[method-assign]
    app.add_exception_handler(BangfuError, bangfu_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
            zh = language(request) == "zh"
            return problem(413, "too_large", "request too large",
                           f"请求体超过 {MAX_BODY:,} 字节" if zh else
                           f"the request body is over {MAX_BODY:,} bytes")
        return await call_next(request)

    @app.get("/health", tags=["operations"], response_model=out.Health,
             responses=problems(*ANY))
    def health() -> dict[str, Any]:
        """The server answers (no login)."""
        return {"ok": True}

    @app.get("/ready", tags=["operations"], response_model=out.Ready,
             responses=problems(*ANY, 503))
    def ready(lng: Lang) -> Any:
        """The server can serve: its database answers (no login). 503 otherwise."""
        try:
            engine.store.count_cases()
        except Exception:  # any failure of the database means not ready
            zh = lng == "zh"
            return problem(503, "not_ready", "not ready",
                           "数据库暂时无法访问" if zh else "the database does not answer")
        return {"ready": True}

    @app.get("/v1/me", tags=["identity"], response_model=out.Me, responses=problems(*AUTHED))
    def me(who: User, lng: Lang) -> dict[str, Any]:
        """The token's user."""
        actor = engine.actor(who)
        return {"id": actor.id, "name": actor.name, "unit": actor.unit,
                "unit_path": engine.org.unit_path(actor.unit, lng), "roles": list(actor.roles)}

    @app.get("/v1/cases", tags=["cases"], response_model=out.CasePage,
             responses=problems(*AUTHED))
    def list_cases(who: User, lng: Lang, process: Annotated[str | None, Query(max_length=64)]
                   = None, state: Annotated[list[str] | None, Query()] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
        """The cases the user may read, one page, with the total."""
        page = svc.list_readable(engine, who, lng, process=process, states=state, limit=limit,
                                 offset=offset)
        nxt = offset + limit if offset + limit < page.total else None
        return {"total": page.total, "offset": offset, "limit": limit, "next_offset": nxt,
                "cases": page.rows}

    @app.get("/v1/cases/{ref}", tags=["cases"], response_model=out.CaseDetail,
             responses=problems(*AUTHED, 404))
    def show_case(ref: str, who: User, lng: Lang, reveal: bool = False,
                  reason: Annotated[str | None, Query(max_length=2000)] = None
                  ) -> dict[str, Any]:
        """A case with its papers, timers and what the user may do now (and why not).
        ``reveal`` with a ``reason`` shows the full ID and phone numbers to a user with
        jurisdiction and no declared relation; the reveal is an event of the case."""
        case = svc.readable(engine, who, ref)
        return svc.show(engine, who, case.id, lng, reveal=reveal, reason=reason)

    @app.get("/v1/cases/{ref}/history", tags=["cases"], response_model=out.History,
             responses=problems(*AUTHED, 404))
    def case_history(ref: str, who: User, lng: Lang) -> dict[str, Any]:
        """The case's events, masked."""
        case = svc.readable(engine, who, ref)
        _, events = svc.history(engine, case.id, lng)
        return {"case": case.number, "events": events}

    @app.post("/v1/cases", tags=["cases"], status_code=201, response_model=out.CommandAnswer,
              responses=problems(*AUTHED, 400, 404, 409))
    def submit(body: SubmitBody, who: User, lng: Lang, key: Key = None) -> dict[str, Any]:
        """Open a case; a retry with the same ``Idempotency-Key`` answers the first result."""
        res = engine.submit(body.process, who, body.data, unit=body.unit, comment=body.comment,
                            idempotency_key=key, campaign=body.campaign)
        return svc.result(engine, res, lng)

    @app.post("/v1/cases/{ref}/fire", tags=["cases"], response_model=out.CommandAnswer,
              responses=problems(*AUTHED, 400, 404, 409, 412))
    def fire(ref: str, body: FireBody, who: User, lng: Lang, key: Key = None,
             if_match: Match = None) -> dict[str, Any]:
        """Fire a trigger; ``If-Match`` names the version the user saw (412 if stale)."""
        case = svc.readable(engine, who, ref)
        res = engine.fire(case.id, body.trigger, who, data=body.data, comment=body.comment,
                          expected_version=_version(if_match), idempotency_key=key)
        return svc.result(engine, res, lng)

    @app.post("/v1/cases/fire", tags=["cases"], response_model=out.BulkAnswer,
              responses=problems(*AUTHED, 400))
    def bulk_fire(body: BulkFireBody, request: Request, who: User, lng: Lang
                  ) -> dict[str, Any]:
        """One trigger on a list of cases (a village's list), one result per case: each
        case in its own transaction, a refusal of one leaving the others done."""
        from api.problems import STATUS

        results: list[dict[str, Any]] = []
        for ref in body.cases:
            try:
                case = svc.readable(engine, who, ref)
                res = engine.fire(case.id, body.trigger, who, data=body.data,
                                  comment=body.comment)
                results.append({"case": ref, "status": 200, **svc.result(engine, res, lng)})
            except BangfuError as exc:
                status = next(s for cls, s in STATUS if isinstance(exc, cls))
                results.append({"case": ref, "status": status, "code": exc.code,
                                "detail": exc.localized(lng)})
        done = sum(1 for r in results if r["status"] == 200)
        return {"done": done, "refused": len(results) - done, "results": results}

    @app.get("/v1/deadlines", tags=["cases"], response_model=out.Deadlines,
             responses=problems(*AUTHED))
    def deadlines(who: User, lng: Lang, overdue: bool = False) -> dict[str, Any]:
        """The open deadlines of the cases in the user's units, soonest first."""
        from workflow.services.time import deadlines as board_of

        actor = engine.actor(who)
        board = board_of(engine, lng, unit=actor.unit, overdue=overdue, reader=who)
        return {"now": board.now.isoformat(), "deadlines": board.rows,
                "by_village": board.by_village}

    @app.get("/v1/definitions", tags=["definitions"], response_model=list[out.DefinitionItem],
             responses=problems(*AUTHED))
    def definitions(who: User, lng: Lang) -> list[dict[str, Any]]:
        """The registered process definitions."""
        return [{"process": d.process, "version": d.version, "label": d.spec.labels.get(lng),
                 "hash": d.content_hash, "states": len(d.spec.states),
                 "transitions": len(d.spec.transitions)} for d in engine.definitions]

    @app.get("/v1/audit/verify", tags=["audit"], response_model=out.VerifyReport,
             responses=problems(*AUTHED))
    def audit_verify(who: User, lng: Lang) -> dict[str, Any]:
        """Every chain, replay and checkpoint: for the auditor (platform act ``verify``)."""
        from workflow.services.inspection import verify

        svc.require_inspector(engine, who)
        report = verify(engine)
        return {"ok": report.ok, "cases": report.cases, "events": report.events,
                "checkpoints": report.checkpoints,
                "findings": [{"case": f.case, "seq": f.seq, "message": f.text(lng)}
                             for f in report.findings]}

    objections = RateLimit(5, 600)
    app.state.objections = objections

    @app.get("/v1/public/notice", tags=["public"], response_model=out.Notice,
             responses=problems(*ANY, 400, 404))
    def public_notice(lng: Lang, unit: Annotated[str, Query(max_length=64)],
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

    @app.post("/v1/public/objections", tags=["public"], status_code=201,
              response_model=out.ObjectionAnswer,
              responses=problems(*ANY, 400, 404, 409, 429))
    def public_objection(body: ObjectionBody, request: Request, lng: Lang) -> Any:
        """An objection to a household on the notice (no login; a few per client and ten
        minutes): recorded as an ``object`` event of the case by the public's account."""
        client = request.client.host if request.client else "?"
        if not objections.allow(client):
            zh = lng == "zh"
            return problem(429, "too_many_requests", "too many requests",
                           "提交过于频繁，请十分钟后再试" if zh else
                           "too many objections from here; try again in ten minutes")
        res = svc.object_publicly(engine, body.case, body.reason, body.contact)
        return {"case": res.case_number, "state": res.state, "recorded": True}

    @app.get("/v1/queue", tags=["cases"], response_model=out.Queue, responses=problems(*AUTHED))
    def queue(who: User, lng: Lang) -> dict[str, Any]:
        """The cases on which the user can act now, with what they can do."""
        page = svc.queue(engine, who, lng)
        return {"total": page.total, "cases": page.rows}

    from api.pages import add_pages

    add_pages(app, engine, tokens, logins, objections, pages)

    from api.substitutes import add_routes

    add_routes(app)
    return app
