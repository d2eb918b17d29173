"""Logging in and out of the pages: ``/login`` (a user's password, or one of their API
tokens), rate-limited per user and address; ``/logout`` ends the session. The login
form's CSRF token is signed and bound to a random visitor cookie."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.web import (
    SESSION_COOKIE,
    VISIT_COOKIE,
    Posted,
    check_origin,
    check_signed,
    client_of,
    lang_of,
    one,
    pages_of,
    posted,
    render,
    session_form,
    sign,
)
from workflow.errors import NotAuthenticated
from workflow.services.logins import log_in, log_out

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only a path of this site (never ``//elsewhere`` or a full URL) is followed."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and len(target) <= 300:
        return target
    return "/desk"


def _form(request: Request, status: int = 200, error: str = "", user: str = "",
          target: str = "/desk") -> HTMLResponse:
    pages = pages_of(request)
    visit = request.cookies.get(VISIT_COOKIE) or ""
    fresh = not (20 <= len(visit) <= 64)
    if fresh:
        visit = secrets.token_urlsafe(24)
    response = render(request, "login.html", status, error=error, login_user=user,
                      target=target, login_csrf=sign(pages, "login", visit),
                      expired=request.query_params.get("expired") == "1")
    if fresh:
        pages.cookie(response, VISIT_COOKIE, visit, max_age=86400)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/desk") -> HTMLResponse:
    return _form(request, target=_safe_next(next))


@router.post("/login")
def login(request: Request, form: Annotated[Posted, Depends(posted)]) -> Response:
    pages = pages_of(request)
    zh = lang_of(request) == "zh"
    user, secret, target = one(form, "user"), one(form, "password"), _safe_next(
        one(form, "next") or "/desk")
    check_signed(request, form, "login", request.cookies.get(VISIT_COOKIE) or "")
    key, address = f"{user.lower()}|{client_of(request)}", client_of(request)
    if pages.login_failures.blocked(key) or pages.address_failures.blocked(address):
        return _form(request, 429, "登录失败次数过多，请 15 分钟后再试" if zh else
                     "too many failed logins: try again in 15 minutes", user, target)
    if pages.logins is None:
        return _form(request, 503, "本服务器未开启页面登录" if zh else
                     "page login is not set up on this server", user, target)
    try:
        session = log_in(pages.engine, pages.logins, pages.tokens, user, secret)
    except NotAuthenticated as exc:
        pages.login_failures.hit(key)
        pages.address_failures.hit(address)
        return _form(request, 401, exc.localized("zh" if zh else "en"), user, target)
    pages.login_failures.clear(key)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="lax",
                        secure=pages.settings.secure_cookies, path="/")
    response.delete_cookie(VISIT_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, form: Annotated[Posted, Depends(session_form)]) -> Response:
    pages = pages_of(request)
    check_origin(request)
    if pages.logins is not None:
        log_out(pages.logins, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
