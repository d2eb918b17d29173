"""Routes of the inspection team (platform acts ``inspect``, ``verify``, ``export``): a
case replayed as of a moment, the verification of the whole trail, the trail as a
zip (masked; unmasked with a reason, recorded in every exported case's history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import Eng, Lang, User
from api.responses import AUTHED, problems
from workflow.services import audit as svc

router = APIRouter(tags=["audit"], responses=problems(*AUTHED, 400, 404))


@router.get("/v1/audit/replay/{ref}")
def replay(ref: str, engine: Eng, who: User, lng: Lang,
           as_of: Annotated[str | None, Query(max_length=40, description=(
               "a time with its zone (2027-01-07T12:00+08:00) or a date (its local "
               "midnight, Asia/Shanghai); default now"))] = None) -> dict[str, Any]:
    """Any case as it was at ``as_of``: state, version, data (masked) and the timeline
    up to then."""
    from workflow.services.time import parse_time

    svc.require_act(engine, who, "inspect")
    return svc.replay_view(engine, ref, parse_time(as_of) if as_of else None, lng)


@router.get("/v1/audit/verify")
def audit_verify(engine: Eng, who: User, lng: Lang,
                 case: Annotated[str | None, Query(max_length=32)] = None) -> dict[str, Any]:
    """Every chain, replay and checkpoint (or one ``case``); checkpoint signatures with
    the server's ``BANGFU_CHECKPOINT_KEY`` when it has one."""
    from workflow.services.inspection import checkpoint_key, verify

    svc.require_act(engine, who, "verify")
    key = checkpoint_key()
    return svc.verify_view(verify(engine, case, key=key), lng, key is not None)


@router.get("/v1/audit/export", response_class=Response, responses={
    200: {"description": "events.jsonl and timeline.csv", "content": {"application/zip": {}}}})
def audit_export(engine: Eng, who: User, lng: Lang,
                 case: Annotated[str | None, Query(max_length=32)] = None,
                 unmasked: bool = False,
                 reason: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """The trail as a zip of ``events.jsonl`` and ``timeline.csv`` (personal data masked;
    ``unmasked`` needs a ``reason`` and records it in each exported case's history)."""
    body, facts = svc.export_archive(engine, who, lng, case=case, unmasked=unmasked,
                                     reason=reason)
    name = f"trail-{case}.zip" if case and case.isascii() and case.replace("-", "").isalnum() \
        else "trail.zip"
    return Response(body, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Bangfu-Cases": str(facts["cases"]), "X-Bangfu-Events": str(facts["events"]),
        "X-Bangfu-Masked": "true" if facts["masked"] else "false"})
