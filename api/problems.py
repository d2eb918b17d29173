"""Bangfu's errors as RFC 9457 problem details: one status per kind of error, the
message of the CLI in the language the request asks for (``Accept-Language``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute

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


def flat_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes of an app with those of its included routers in their place (FastAPI
    keeps an included router as one route holding its own; none of ours has a prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from flat_routes(inner.routes)
        else:
            yield route


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers (no such path, a method the path does not take) as problem
    details; a 405 lists in ``Allow`` every method of every route of that path."""
    from starlette.exceptions import HTTPException
    from starlette.routing import Match

    assert isinstance(exc, HTTPException)
    zh = language(request) == "zh"
    if exc.status_code == 405:
        # A path that names its own resource (/v1/cases/fire) is not one of its
        # parameterised sibling's (/v1/cases/{ref}): its own routes say what it takes.
        matching = [r for r in flat_routes(request.app.router.routes)
                    if r.matches(request.scope)[0] != Match.NONE]
        static = [r for r in matching if "{" not in getattr(r, "path", "{")]
        methods = sorted({m for r in static or matching
                          for m in getattr(r, "methods", None) or ()})
        answer = problem(405, "method_not_allowed", "method not allowed",
                         f"此地址不接受 {request.method} 请求；可用：{', '.join(methods)}" if zh else
                         f"this path does not take {request.method}; it takes "
                         f"{', '.join(methods)}")
        answer.headers["Allow"] = ", ".join(methods)
        return answer
    if exc.status_code == 404:
        return problem(404, "not_found", "not found", "没有这个地址" if zh else "no such path")
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot even decode (e.g. not UTF-8)
        return problem(400, "malformed_body", "malformed body",
                       "请求体无法解析（应为 UTF-8 编码的 JSON）" if zh else
                       "the request body cannot be read (it must be JSON in UTF-8)")
    return problem(exc.status_code, "http_error", str(exc.detail), str(exc.detail))
