"""Who a request is: API tokens made by an administrator, shown once, kept as their
SHA-256, listed, revocable and expiring; and the request's user from its token.
Services over an Engine and a ``TokenStore`` (the composition root gives both)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from workflow.core.authz import platform_role
from workflow.core.localtime import local
from workflow.engine import Engine
from workflow.errors import NotAuthenticated, UsageError
from workflow.ports import TokenStore

#: a token reads "bf_" and 43 characters of 256 random bits
PREFIX = "bf_"
#: the longest life a token may be given
MAX_LIFE = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    user: str
    token: str   # shown once; only its SHA-256 is stored
    expires_at: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, tokens: TokenStore, admin: str, user: str,
                 life: timedelta, label: str | None = None) -> NewToken:
    """A new token for ``user``, made by ``admin`` (a platform role granting ``tokens``).

    Raises:
        UnknownUser, PermissionDenied: either user; UsageError: a life out of bounds.
    """
    maker = engine.actor(admin)
    platform_role(engine.org, maker, "tokens")
    owner = engine.actor(user)
    if not timedelta(minutes=1) <= life <= MAX_LIFE:
        raise UsageError(f"a token lives from one minute to {MAX_LIFE.days} days",
                         f"令牌有效期应在 1 分钟至 {MAX_LIFE.days} 天之间")
    engine.sync_clock()
    now = engine.clock.now()
    token = PREFIX + secrets.token_urlsafe(32)
    expires = now + life
    tid = tokens.add(user_id=owner.id, digest=_digest(token), prefix=token[:10],
                     label=label, created_at=now, created_by=maker.id, expires_at=expires)
    return NewToken(tid, owner.id, token, local(expires))


def list_tokens(engine: Engine, tokens: TokenStore, admin: str,
                user: str | None = None) -> list[dict[str, Any]]:
    """Every token (of ``user``), never the token itself."""
    platform_role(engine.org, engine.actor(admin), "tokens")
    now = engine.clock.now()
    out = []
    for row in tokens.listed(user):
        state = "revoked" if row["revoked_at"] else \
            "expired" if row["expires_at"] <= now else "active"
        out.append({"id": row["id"], "user": row["user_id"], "prefix": row["prefix"],
                    "label": row["label"], "state": state,
                    "created_at": local(row["created_at"]), "created_by": row["created_by"],
                    "expires_at": local(row["expires_at"]),
                    "last_used_at": local(row["last_used_at"]) if row["last_used_at"] else None})
    return out


def revoke_token(engine: Engine, tokens: TokenStore, admin: str, token_id: int) -> None:
    """Raises UsageError: no such live token."""
    maker = engine.actor(admin)
    platform_role(engine.org, maker, "tokens")
    if not tokens.revoke(token_id, engine.clock.now(), maker.id):
        raise UsageError(f"no live token {token_id}", f"没有编号为 {token_id} 的有效令牌")


def authenticate(engine: Engine, tokens: TokenStore, token: str | None) -> str:
    """The user a bearer token stands for.

    Raises:
        NotAuthenticated: no token, or one unknown, expired, revoked, or of a user the
            org no longer has.
    """
    if not token or not token.startswith(PREFIX) or len(token) > 100:
        raise NotAuthenticated()
    row = tokens.by_digest(_digest(token))
    engine.sync_clock()
    now = engine.clock.now()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now or \
            row["user_id"] not in engine.org.users:
        raise NotAuthenticated()
    tokens.used(int(row["id"]), now)
    return str(row["user_id"])
