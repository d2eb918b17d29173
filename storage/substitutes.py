"""Substitutes' periods: one row per period, read and written on the connection of
a unit of work (or a read) of ``storage.sql``. Rows are never deleted; an early end
sets ``ended_at``. What a period means is decided by ``workflow.core``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from storage.tables import substitutions
from workflow.core.model import Substitution
from workflow.core.substitutes import period


def rows(conn: Connection, *, user: str | None = None,
         ident: int | None = None) -> list[dict[str, Any]]:
    """Every period (where ``user`` is the reviewer or the substitute; or the one
    with id ``ident``), oldest start first."""
    stmt = select(substitutions).order_by(substitutions.c.starts_at, substitutions.c.id)
    if user is not None:
        stmt = stmt.where(or_(substitutions.c.reviewer == user,
                              substitutions.c.substitute == user))
    if ident is not None:
        stmt = stmt.where(substitutions.c.id == ident)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def of_substitute(conn: Connection, user: str) -> list[Substitution]:
    """The periods in which ``user`` stands in for someone, not ended before they began."""
    stmt = select(substitutions).where(substitutions.c.substitute == user) \
        .order_by(substitutions.c.starts_at, substitutions.c.id)
    found = [period(dict(r._mapping)) for r in conn.execute(stmt)]
    return [p for p in found if p.starts_at < p.ends_at]


def active(conn: Connection, at: datetime) -> list[Substitution]:
    """The periods running at ``at``."""
    c = substitutions.c
    stmt = select(substitutions).where(c.starts_at <= at, c.ends_at > at,
                                       or_(c.ended_at.is_(None), c.ended_at > at))
    return [period(dict(r._mapping)) for r in conn.execute(stmt)]


def add(conn: Connection, **values: Any) -> int:
    key = conn.execute(insert(substitutions).values(**values)).inserted_primary_key
    return int(key[0]) if key is not None else 0


def end(conn: Connection, ident: int, at: datetime, by: str, reason: str | None) -> bool:
    """End a period early; False if it was ended already."""
    return bool(conn.execute(update(substitutions).where(
        substitutions.c.id == ident, substitutions.c.ended_at.is_(None))
        .values(ended_at=at, ended_by=by, end_reason=reason)).rowcount)
