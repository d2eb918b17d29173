"""Routes of the process definitions: the list (registered, then versions on disk not
registered yet), one definition as its file says it, its state diagram."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Eng, Lang, User
from api.responses import AUTHED, problems
from workflow.services import definitions as svc

router = APIRouter(tags=["definitions"], responses=problems(*AUTHED, 400, 404))

Version = Annotated[int | None, Query(ge=1, le=1_000_000)]


@router.get("/v1/definitions")
def definitions(engine: Eng, who: User, lng: Lang) -> list[dict[str, Any]]:
    """The registered process definitions, then the versions on disk not registered
    (``registered: false``: used by nothing until an administrator registers them)."""
    return svc.definition_rows(engine, lng)


@router.get("/v1/definitions/{process}")
def definition(process: str, engine: Eng, who: User, version: Version = None
               ) -> dict[str, Any]:
    """A registered definition (latest version unless ``version``) as its file says it:
    states, transitions, roles, fields, timers; and its content hash."""
    return svc.definition_view(engine, process, version)


@router.get("/v1/definitions/{process}/diagram")
def diagram(process: str, engine: Eng, who: User, lng: Lang, version: Version = None,
            format: Annotated[str, Query(max_length=16)] = "mermaid") -> dict[str, Any]:
    """The state diagram as mermaid text (``graph``), labels in the request's language."""
    return svc.diagram_view(engine, process, version, lng, format)
