"""Substitutes' periods: one row per period, read and written on the connection of
a unit of work (or a read) of ``storage.sql``. Rows are never deleted; an early end
sets ``ended_at``. What a period means is decided by ``workflow.core``. The two reads
every command makes (the actor's periods, the periods running now) are compiled once
and run on the driver's cursor, as the rest of the command path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update
from sqlalchemy.engine import Dialect

from storage.prepared import Prepared
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


class Statements:
    """The command path's reads of periods, compiled once for a dialect."""

    def __init__(self, dialect: Dialect) -> None:
        c = substitutions.c
        self.of_substitute = Prepared(
            select(substitutions).where(c.substitute == bindparam("user"))
            .order_by(c.starts_at, c.id), dialect, substitutions)
        at = bindparam("at", type_=c.starts_at.type)
        self.active = Prepared(
            select(substitutions).where(c.starts_at <= at, c.ends_at > at,
                                        or_(c.ended_at.is_(None), c.ended_at > at))
            .order_by(c.id), dialect, substitutions)


def _periods(conn: Connection, stmt: Prepared, values: dict[str, Any]) -> list[Substitution]:
    cursor = stmt.execute(conn, values)
    try:
        return [period(stmt.row(raw) or {}) for raw in cursor.fetchall()]
    finally:
        cursor.close()


def of_substitute(conn: Connection, stmts: Statements, user: str) -> list[Substitution]:
    """The periods in which ``user`` stands in for someone, not ended before they began."""
    return [p for p in _periods(conn, stmts.of_substitute, {"user": user})
            if p.starts_at < p.ends_at]


def active(conn: Connection, stmts: Statements, at: datetime) -> list[Substitution]:
    """The periods running at ``at``."""
    return _periods(conn, stmts.active, {"at": at})


def add(conn: Connection, **values: Any) -> int:
    key = conn.execute(insert(substitutions).values(**values)).inserted_primary_key
    return int(key[0]) if key is not None else 0


def end(conn: Connection, ident: int, at: datetime, by: str, reason: str | None) -> bool:
    """End a period early; False if it was ended already."""
    return bool(conn.execute(update(substitutions).where(
        substitutions.c.id == ident, substitutions.c.ended_at.is_(None))
        .values(ended_at=at, ended_by=by, end_reason=reason)).rowcount)
