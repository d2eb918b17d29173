"""The app factory: one Engine and token store per app, a bearer token per request,
the routers of ``/v1`` (``api.routes``) calling the services the CLI calls; the
problem details of errors, the body limit, health and readiness."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import responses as out
from api.deps import Lang, User
from api.limits import RateLimit
from api.problems import bangfu_error, http_error, invalid_request, language, problem
from api.responses import ANY, AUTHED, problems, with_problem_schema
from definitions.errors import BangfuError
from workflow.engine import Engine
from workflow.ports import LoginStore, TokenStore

if TYPE_CHECKING:
    from api.pages.web import PageSettings

#: the largest request body taken (a bulk fire of a village's list fits many times)
MAX_BODY = 1024 * 1024
#: the header every answer carries, and the version of the API it names
API_HEADER, API_VERSION = "X-Bangfu-Api", "1"


def create_app(engine: Engine, tokens: TokenStore, logins: LoginStore | None = None,
               pages: PageSettings | None = None) -> FastAPI:
    """The HTTP API on ``engine``; requests authenticate with tokens of ``tokens``. The
    pages (``api.pages``) log in with passwords and sessions of ``logins`` (without it,
    with nothing: their login answers 503), configured by ``pages`` (from the
    environment when not given)."""
    from api.pages import add_pages
    from api.routes import admin, audit, cases, definitions, public, reports
    from api.substitutes import add_routes

    app = FastAPI(title="Bangfu 帮扶", version="1", summary="Hardship-relief approval "
                  "workflows: cases, reviews, the audit trail",
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.engine = engine
    app.state.tokens = tokens
    objections = app.state.objections = RateLimit(5, 600)
    app.add_exception_handler(BangfuError, bangfu_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    generated = app.openapi
    app.openapi = lambda: with_problem_schema(generated())  # type: ignore[method-assign]

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
            zh = language(request) == "zh"
            answer = problem(413, "too_large", "request too large",
                             f"请求体超过 {MAX_BODY:,} 字节" if zh else
                             f"the request body is over {MAX_BODY:,} bytes")
        else:
            answer = await call_next(request)
        # how a client (the CLI's --server) knows it speaks to a Bangfu server
        answer.headers[API_HEADER] = API_VERSION
        return answer

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

    for module in (cases, definitions, reports, audit, admin, public):
        app.include_router(module.router)
    add_routes(app)
    add_pages(app, engine, tokens, logins, objections, pages)
    return app
