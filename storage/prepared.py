"""Core statements compiled once and run on the driver's cursor: the hot path.

SQLAlchemy compiles each statement of the command path once per dialect; its
column types supply the bind and result processors (JSON, UTC datetimes).
Executing the compiled SQL on the DBAPI cursor of the current SQLAlchemy
connection (inside its transaction) skips the per-call execution context,
which costs several times the statement itself (see ``bench/``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from storage.db import json_loads
from storage.tables import UTCDateTime

Processor = Callable[[Any], Any] | None


def fast_reader(kind: Any, proc: Processor, sqlite: bool) -> Processor:
    """The plain function for a result column (SQLAlchemy's wrappers add a call per
    value): ``json_loads`` for JSON, ``utc_from_text`` for our SQLite UTC text. A
    driver that decodes JSON itself (no processor) hands over the values as they are."""
    if isinstance(kind, JSON):
        return json_loads if proc is not None else None
    if sqlite and isinstance(kind, UTCDateTime):
        return utc_from_text
    return proc


def utc_from_text(text: str) -> datetime:
    """``UTCDateTime``'s reading of SQLite text without SQLAlchemy's wrappers: aware,
    in UTC (a time edited by hand without an offset is taken as UTC, as there)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


class Prepared:
    """One statement compiled for one dialect, with its value converters."""

    def __init__(self, stmt: ClauseElement, dialect: Dialect,
                 result_table: Table | None = None) -> None:
        compiled = cast(SQLCompiler, stmt.compile(dialect=dialect))
        self.sql = compiled.string
        self.positional = compiled.positiontup is not None
        self.order: Sequence[str] = tuple(compiled.positiontup or ())
        self.binds: dict[str, Processor] = {
            name: bp.type.bind_processor(dialect) for name, bp in compiled.binds.items()}
        #: literal values written into the statement (``status == "pending"``)
        self.literals: dict[str, Any] = {
            name: bp.effective_value for name, bp in compiled.binds.items() if not bp.required}
        #: per positional parameter: name, converter, whether a literal stands in
        self._plan = [(name, self.binds.get(name), name in self.literals,
                       self.literals.get(name)) for name in self.order]
        self.columns: list[tuple[str, Processor]] = []
        if result_table is not None:
            sqlite = dialect.name == "sqlite"
            self.columns = [(c.name, fast_reader(c.type, c.type.result_processor(dialect, None),
                                                 sqlite))
                            for c in result_table.columns]

    def params(self, values: Mapping[str, Any]) -> Any:
        if self.positional:
            out = []
            for name, proc, literal, default in self._plan:
                value = values.get(name, default) if literal else values[name]
                out.append(proc(value) if proc is not None and value is not None else value)
            return tuple(out)

        def conv(name: str) -> Any:
            proc = self.binds.get(name)
            value = values[name] if name in values else self.literals[name]
            return proc(value) if proc is not None and value is not None else value

        return {name: conv(name) for name in {**self.literals, **values}}

    def execute(self, conn: Connection, values: Mapping[str, Any], *,
                server_side: bool = False) -> Any:
        """Run on the connection's DBAPI cursor; ``server_side`` (PostgreSQL)
        keeps the rows on the server until fetched, for streams of a whole table."""
        cursor = (conn.connection.cursor(name=f"bangfu_{id(self):x}") if server_side
                  else conn.connection.cursor())
        cursor.execute(self.sql, self.params(values))
        return cursor

    def row(self, raw: Sequence[Any] | None) -> dict[str, Any] | None:
        if raw is None:
            return None
        return {name: (proc(v) if proc is not None and v is not None else v)
                for (name, proc), v in zip(self.columns, raw, strict=True)}
