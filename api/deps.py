"""What every route takes: the app's engine, the request's user (its bearer token, stated
as the OpenAPI security scheme), the language of ``Accept-Language``, and the
``Idempotency-Key`` and ``If-Match`` headers of commands. No rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import language
from workflow.engine import Engine
from workflow.errors import UsageError
from workflow.ports import TokenStore


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _tokens(request: Request) -> TokenStore:
    tokens: TokenStore = request.app.state.tokens
    return tokens


#: the bearer token of a request (the OpenAPI document states it as the security scheme;
#: a missing or malformed header is answered 401 by ``authenticate``, not by FastAPI)
_bearer = HTTPBearer(auto_error=False, description="an API token made by an administrator "
                     "(bangfu users token create)")


def _user(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                   Depends(_bearer)] = None) -> str:
    """The token's user (401 otherwise)."""
    from workflow.services.identity import authenticate

    token = credentials.credentials.strip() if credentials is not None else None
    return authenticate(request.app.state.engine, request.app.state.tokens, token)


def _lang(request: Request) -> str:
    return language(request)


Eng = Annotated[Engine, Depends(_engine)]
Tokens = Annotated[TokenStore, Depends(_tokens)]
User = Annotated[str, Depends(_user)]
Lang = Annotated[str, Depends(_lang)]
Key = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=128,
                                   pattern=r"^[\x21-\x7e][\x20-\x7e]*$",
                                   description="printable ASCII, e.g. a UUID")]
Match = Annotated[str | None, Header(alias="If-Match", max_length=32)]


def version_of(if_match: str | None) -> int | None:
    """The expected case version of an ``If-Match`` header ('7' or the ETag '"7"')."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise UsageError(f"If-Match must be the case's version, not '{if_match[:32]}'",
                         f"If-Match 应为案件的版本号，而不是 '{if_match[:32]}'")
    return int(text)


def status_of(exc: Exception) -> int:
    """The HTTP status of a Bangfu error (``api.problems.STATUS``)."""
    from api.problems import STATUS

    return next(s for cls, s in STATUS if isinstance(exc, cls))
