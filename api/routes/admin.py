"""Routes of administration: the org (read by the platform roles; changed by the
administrator, checked whole, a dry run listing the changes) and API tokens (made,
listed and revoked by the administrator; a new token is shown once)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Eng, Lang, Tokens, User
from api.responses import AUTHED, problems

router = APIRouter(tags=["admin"], responses=problems(*AUTHED, 400, 404, 409))


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgBody(_Body):
    yaml: str = Field(min_length=1, max_length=512 * 1024, description="the whole org file")
    source: str = Field(default="org.yaml", max_length=200, description="the file's name, "
                        "kept in the org's history and named in its problems")


class TokenBody(_Body):
    user: str = Field(max_length=64, description="whose token it is")
    expires: str = Field(default="90d", max_length=16, description="its life, e.g. 90d, 12h")
    label: str | None = Field(default=None, max_length=200)


@router.get("/v1/org")
def org_show(engine: Eng, who: User, lng: Lang) -> dict[str, Any]:
    """The units and users with their roles (no phone, e-mail or declared relation):
    for the platform roles (administrator, auditor)."""
    from workflow.services.org import org_view_as

    return org_view_as(engine, who, lng)


@router.post("/v1/org")
def org_load(body: OrgBody, engine: Eng, who: User, lng: Lang, dry_run: bool = False
             ) -> dict[str, Any]:
    """Replace the org with ``yaml`` (the administrator): checked whole (422 with every
    problem and its line), the changes listed; applied and recorded with who and when
    unless ``dry_run``."""
    from workflow.services.org import load_org_text

    changes = load_org_text(engine, who, body.yaml, body.source, lng, dry_run=dry_run)
    return {"dry_run": dry_run, "changes": changes}


@router.get("/v1/tokens")
def tokens_list(engine: Eng, tokens: Tokens, who: User,
                user: Annotated[str | None, Query(max_length=64)] = None
                ) -> list[dict[str, Any]]:
    """Every token (or one user's): prefix, state, expiry, last use; never the token."""
    from workflow.services.identity import list_tokens

    return list_tokens(engine, tokens, who, user)


@router.post("/v1/tokens", status_code=201)
def tokens_create(body: TokenBody, engine: Eng, tokens: Tokens, who: User) -> dict[str, Any]:
    """A new token for ``user``, shown in this answer only (only its SHA-256 is kept)."""
    from workflow.services.identity import create_token
    from workflow.services.time import parse_advance

    made = create_token(engine, tokens, who, body.user,
                        parse_advance(body.expires), body.label)
    return {"id": made.id, "user": made.user, "token": made.token,
            "expires_at": made.expires_at}


@router.delete("/v1/tokens/{token_id}")
def tokens_revoke(token_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], engine: Eng, tokens: Tokens, who: User) -> dict[str, Any]:
    """Revoke a token: requests with it are refused from now on (401)."""
    from workflow.services.identity import revoke_token

    revoke_token(engine, tokens, who, token_id)
    return {"revoked": token_id}
