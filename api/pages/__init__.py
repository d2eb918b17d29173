"""The server-rendered pages beside the HTTP API (Jinja2, little JavaScript, Chinese
first with English): login, the reviewer's desk, the public notice, the campaign
board, the inspector's view and the verification page of printed papers. ``add_pages``
mounts them on the app ``create_app`` makes; none is in the OpenAPI document. Pages
call the services the API and the CLI call: no rules, no SQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api.limits import RateLimit
from api.pages.web import (
    SESSION_COOKIE,
    STATIC,
    FormRefused,
    LoginRequired,
    Pages,
    PageSettings,
    lang_of,
    render,
)
from api.problems import STATUS, invalid_request
from api.problems import bangfu_error as json_error
from api.problems import http_error as json_http_error
from definitions.errors import BangfuError
from workflow.engine import Engine
from workflow.ports import LoginStore, TokenStore

#: where a page's path starts: errors under these are answered as pages, not JSON
PAGE_PREFIXES = ("/login", "/logout", "/desk", "/notice", "/board", "/inspect", "/v/")


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or any(path == p or path.startswith(p.rstrip("/") + "/")
                              for p in PAGE_PREFIXES)


def error_page(request: Request, status: int, en: str, zh: str) -> Response:
    lang = lang_of(request)
    return render(request, "error.html", status, code=status,
                  message=zh if lang == "zh" else en)


def add_pages(app: FastAPI, engine: Engine, tokens: TokenStore, logins: LoginStore | None,
              objections: RateLimit, settings: PageSettings | None = None) -> None:
    """Mount the pages, their static files and their error pages on ``app``."""
    from api.pages import auth, board, desk, inspect, notice, papers

    app.state.pages = Pages(engine, tokens, logins, settings or PageSettings.from_env(),
                            objections)
    app.state.paper_checks = RateLimit(papers.PER_MINUTE, 60)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    app.include_router(desk.router)
    app.include_router(notice.router)
    app.include_router(board.router)
    app.include_router(inspect.router)
    app.include_router(papers.router)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/desk", status_code=303)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = "/login?next=" + quote(exc.target, safe="/") + ("&expired=1" if exc.expired
                                                                 else "")
        response = RedirectResponse(target, status_code=303)
        if exc.expired:
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def form_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FormRefused)
        return error_page(request, 403, exc.en, exc.zh)

    async def bangfu_error(request: Request, exc: Exception) -> Any:
        if not is_page(request):
            return await json_error(request, exc)
        assert isinstance(exc, BangfuError)
        status = next(s for cls, s in STATUS if isinstance(exc, cls))
        return error_page(request, status, exc.localized("en"), exc.localized("zh"))

    async def invalid(request: Request, exc: Exception) -> Any:
        if not is_page(request):
            return await invalid_request(request, exc)
        return error_page(request, 422, "the request is not well formed", "请求格式不正确")

    async def http_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, HTTPException)
        if not is_page(request):
            return await json_http_error(request, exc)
        if exc.status_code == 404:
            return error_page(request, 404, "there is no such page", "没有这个页面")
        return error_page(request, exc.status_code, str(exc.detail), str(exc.detail))

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(FormRefused, form_refused)
    app.add_exception_handler(BangfuError, bangfu_error)
    app.add_exception_handler(RequestValidationError, invalid)
