"""What every page shares: the settings (base URL, cookie security, the signing key),
the language of a request (``?lang=`` remembered in a cookie, then Accept-Language,
Chinese first), rendering a template (autoescaped, with the security headers), the
logged-in user of a request (``page_user``: a redirect to /login otherwise), and CSRF
checks (a per-session token in every form; signed tokens for anonymous forms)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api.limits import RateLimit
from workflow.engine import Engine
from workflow.errors import NotAuthenticated, UsageError
from workflow.links import base_url, is_local_http
from workflow.ports import LoginStore, TokenStore
from workflow.services.logins import PageSession, session_of

SESSION_COOKIE = "bangfu_session"
LANG_COOKIE = "bangfu_lang"
#: the anonymous visitor's random id, which the login form's CSRF token is bound to
VISIT_COOKIE = "bangfu_visit"
#: how long a signed anonymous form stays valid (on the engine's clock)
FORM_LIFE_SECONDS = 4 * 3600
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

#: sent with every page: nothing from elsewhere runs, nothing frames the page
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _secret() -> bytes:
    """The pages' signing key: ``BANGFU_SECRET_KEY`` or the file ``BANGFU_SECRET_KEY_FILE``
    names; without either, a random key for this process (its forms die with it)."""
    text = os.environ.get("BANGFU_SECRET_KEY", "")
    path = os.environ.get("BANGFU_SECRET_KEY_FILE", "")
    if not text and path:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"BANGFU_SECRET_KEY_FILE '{path}' cannot be read: "
                             f"{exc.strerror}", f"无法读取 BANGFU_SECRET_KEY_FILE '{path}'："
                             f"{exc.strerror}") from None
    if text and len(text) < 32:
        raise UsageError("BANGFU_SECRET_KEY must have at least 32 characters",
                         "BANGFU_SECRET_KEY 至少应有 32 个字符")
    return text.encode("utf-8") if text else secrets.token_bytes(32)


def _secure_cookies(base: str) -> bool:
    """``BANGFU_COOKIE_SECURE`` (1/0) if set; else Secure unless plain http on localhost."""
    text = os.environ.get("BANGFU_COOKIE_SECURE", "").strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    if text:
        raise UsageError(f"BANGFU_COOKIE_SECURE must be 1 or 0, not '{text[:20]}'",
                         f"BANGFU_COOKIE_SECURE 应为 1 或 0，而不是 '{text[:20]}'")
    return not is_local_http(base)


@dataclass
class PageSettings:
    base_url: str
    secure_cookies: bool
    secret: bytes = field(repr=False)

    @classmethod
    def from_env(cls) -> PageSettings:
        base = base_url()
        return cls(base, _secure_cookies(base), _secret())


class Pages:
    """What the page routes work with, kept on ``app.state.pages``."""

    def __init__(self, engine: Engine, tokens: TokenStore, logins: LoginStore | None,
                 settings: PageSettings, objections: RateLimit) -> None:
        self.engine, self.tokens, self.logins, self.settings = engine, tokens, logins, settings
        self.objections = objections
        #: five failed logins per user and address in a quarter of an hour, then 429
        self.login_failures = RateLimit(5, 900)
        #: and thirty per address, whichever user names are tried
        self.address_failures = RateLimit(30, 900)
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                               undefined=StrictUndefined, trim_blocks=True,
                               lstrip_blocks=True)

    def cookie(self, response: HTMLResponse, name: str, value: str,
               max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=self.settings.secure_cookies, path="/")


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def lang_of(request: Request) -> str:
    """'zh' or 'en': ``?lang=`` first, then the remembered choice, then Accept-Language."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in ("zh", "en"):
            return value
    wanted = request.headers.get("accept-language", "").strip().lower()
    return "en" if wanted.startswith("en") else "zh"


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template rendered in the request's language, with the security headers; a
    ``?lang=`` choice is remembered in a cookie."""
    pages = pages_of(request)
    lang = lang_of(request)
    session: PageSession | None = getattr(request.state, "session", None)
    user = pages.engine.org.users.get(session.user) if session else None

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    def switch(to: str) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        query.append(("lang", to))
        return request.url.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)

    html = pages.env.get_template(template).render(
        lang=lang, t=t, switch=switch, user=user, csrf=session.csrf if session else "",
        path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    chosen = request.query_params.get("lang")
    if chosen in ("zh", "en") and chosen != request.cookies.get(LANG_COOKIE):
        pages.cookie(response, LANG_COOKIE, chosen, max_age=365 * 86400)
    return response


# -- who is logged in -----------------------------------------------------------------


class LoginRequired(Exception):
    """No live session: the handler redirects to /login and back to ``target``."""

    def __init__(self, target: str, expired: bool) -> None:
        super().__init__(target)
        self.target, self.expired = target, expired


def page_session(request: Request) -> PageSession:
    pages = pages_of(request)
    sid = request.cookies.get(SESSION_COOKIE)
    target = request.url.path if request.method == "GET" else "/desk"
    if pages.logins is None or not sid:
        raise LoginRequired(target, False)
    try:
        session = session_of(pages.engine, pages.logins, sid)
    except NotAuthenticated:
        raise LoginRequired(target, True) from None
    request.state.session = session
    return session


def page_user(session: Annotated[PageSession, Depends(page_session)]) -> str:
    """The logged-in user's id (a redirect to /login otherwise)."""
    return session.user


# -- forms and CSRF -------------------------------------------------------------------


class FormRefused(Exception):
    """A form post that is not ours (CSRF token missing or wrong, a foreign origin, a
    stale anonymous form): 403, nothing written."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


Posted = dict[str, list[str]]


async def posted(request: Request) -> Posted:
    """The form's fields (each with its values), at most 600 of them and no files."""
    async with request.form(max_files=0, max_fields=600, max_part_size=64 * 1024) as form:
        out: Posted = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                out.setdefault(key, []).append(value)
        return out


def one(form: Posted, name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def check_origin(request: Request) -> None:
    """A browser's ``Origin`` (or ``Referer``) must be this site's."""
    origin = request.headers.get("origin") or ""
    if not origin or origin == "null":
        referer = urlsplit(request.headers.get("referer") or "")
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
    if not origin:
        return
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}",
           pages_of(request).settings.base_url}
    if origin.rstrip("/") not in own:
        raise FormRefused(f"a form sent from another site ({origin[:80]}) is refused",
                          f"拒绝来自其他网站（{origin[:80]}）的表单提交")


def session_form(request: Request, session: Annotated[PageSession, Depends(page_session)],
                 form: Annotated[Posted, Depends(posted)]) -> Posted:
    """The posted form of a logged-in page, once its CSRF token matched the session's."""
    check_origin(request)
    if not hmac.compare_digest(one(form, "csrf").encode(), session.csrf.encode()):
        raise FormRefused("the form's security token is missing or wrong: reload the page "
                          "and send it again", "表单安全校验未通过（令牌缺失或不符），请刷新页面后重新提交")
    return form


def sign(pages: Pages, purpose: str, bound: str = "") -> str:
    """A token for an anonymous form: when it was issued, a nonce and an HMAC over them,
    the form's purpose and what it is ``bound`` to (the visitor cookie of /login)."""
    issued = int(pages.engine.clock.now().timestamp())
    nonce = secrets.token_urlsafe(12)
    mac = hmac.new(pages.settings.secret, f"{purpose}|{bound}|{issued}|{nonce}".encode(),
                   hashlib.sha256).hexdigest()
    return f"{issued}.{nonce}.{mac}"


def check_signed(request: Request, form: Posted, purpose: str, bound: str = "") -> None:
    """Raises FormRefused unless the form carries a fresh token ``sign`` made for it."""
    check_origin(request)
    pages = pages_of(request)
    issued, _, rest = one(form, "csrf").partition(".")
    nonce, _, mac = rest.partition(".")
    good = hmac.new(pages.settings.secret, f"{purpose}|{bound}|{issued}|{nonce}".encode(),
                    hashlib.sha256).hexdigest()
    if not issued.isdigit() or not hmac.compare_digest(mac.encode(), good.encode()):
        raise FormRefused("the form's security token is missing or wrong: reload the page "
                          "and send it again", "表单安全校验未通过（令牌缺失或不符），请刷新页面后重新提交")
    pages.engine.sync_clock()
    age = pages.engine.clock.now().timestamp() - int(issued)
    if not 0 <= age <= FORM_LIFE_SECONDS:
        raise FormRefused("the form has expired: reload the page and send it again",
                          "表单已过期，请刷新页面后重新提交")
