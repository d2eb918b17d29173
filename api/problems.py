"""Bangfu's errors as RFC 9457 problem details: one status per kind of error, the
message of the CLI in the language the request asks for (``Accept-Language``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from definitions.errors import BangfuError, DefinitionInvalid, UnknownDefinition
from workflow.errors import (
    CaseClosed,
    CaseNotFound,
    CommandRejected,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    InvalidTrigger,
    NotAuthenticated,
    PermissionDenied,
    UnknownUser,
)

#: the first class an error is an instance of decides its status
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (CaseNotFound, 404),
    (UnknownDefinition, 404),
    (IdempotencyKeyReused, 409),
    (InvalidTrigger, 409),
    (CaseClosed, 409),
    (ConcurrencyConflict, 412),
    (UnknownUser, 422),
    (DefinitionInvalid, 422),
    (CommandRejected, 422),
    (BangfuError, 400),
)


def language(request: Request) -> str:
    """'en' when the request prefers English, else 'zh' (the users' language)."""
    wanted = request.headers.get("accept-language", "").strip().lower()
    return "en" if wanted.startswith("en") else "zh"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:bangfu:problem:{code}", "title": title, "status": status,
            "detail": detail, "code": code, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


async def bangfu_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BangfuError)
    lang = language(request)
    status = next(s for cls, s in STATUS if isinstance(exc, cls))
    body = exc.to_dict(lang)
    extra = {k: v for k, v in body.items() if k not in ("error", "message", "code")}
    return problem(status, exc.code, exc.code.replace("_", " "), exc.localized(lang), **extra)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    zh = language(request) == "zh"
    errors = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
              for e in exc.errors()]
    return problem(422, "invalid_request", "invalid request",
                   "请求格式不正确" if zh else "the request is not well formed", errors=errors)
