"""What every route takes: the app's engine, the request's user (its bearer token),
the language of ``Accept-Language``, and the ``Idempotency-Key`` and ``If-Match``
headers of commands. No rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

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


def _user(request: Request,
          authorization: Annotated[str | None, Header(max_length=200)] = None) -> str:
    """The token's user (401 otherwise)."""
    from workflow.services.identity import authenticate

    scheme, _, token = (authorization or "").partition(" ")
    return authenticate(request.app.state.engine, request.app.state.tokens,
                        token.strip() if scheme.lower() == "bearer" else None)


def _lang(request: Request) -> str:
    return language(request)


Eng = Annotated[Engine, Depends(_engine)]
Tokens = Annotated[TokenStore, Depends(_tokens)]
User = Annotated[str, Depends(_user)]
Lang = Annotated[str, Depends(_lang)]
Key = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
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
