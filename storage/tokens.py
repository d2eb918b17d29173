"""API tokens: one row per token, holding only its SHA-256 (the token itself is shown
once, when made). Implements ``workflow.ports.TokenStore``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from storage.tables import tokens


class TokenStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, user_id: str, digest: str, prefix: str, label: str | None,
            created_at: datetime, created_by: str, expires_at: datetime) -> int:
        with self.engine.begin() as conn:
            key = conn.execute(insert(tokens).values(
                user_id=user_id, digest=digest, prefix=prefix, label=label,
                created_at=created_at, created_by=created_by,
                expires_at=expires_at)).inserted_primary_key
        return int(key[0]) if key is not None else 0

    def by_digest(self, digest: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.digest == digest)).first()
        return dict(row._mapping) if row is not None else None

    def listed(self, user_id: str | None = None) -> list[dict[str, Any]]:
        stmt = select(tokens).order_by(tokens.c.id)
        if user_id is not None:
            stmt = stmt.where(tokens.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def revoke(self, token_id: int, at: datetime, by: str) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(update(tokens).where(
                tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=at, revoked_by=by)).rowcount)

    def used(self, token_id: int, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(tokens).where(tokens.c.id == token_id)
                         .values(last_used_at=at))
