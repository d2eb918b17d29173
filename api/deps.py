"""What every route of the HTTP API depends on: the engine of the app, the token's user
(the bearer token, stated as the OpenAPI security scheme) and the request's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import language
from workflow.engine import Engine


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


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
User = Annotated[str, Depends(_user)]
Lang = Annotated[str, Depends(_lang)]
