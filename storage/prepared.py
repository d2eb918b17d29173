"""Core statements compiled once and run on the driver's cursor: the hot path.

SQLAlchemy compiles each statement of the command path once per dialect; its
column types supply the bind and result processors (JSON, UTC datetimes).
Executing the compiled SQL on the DBAPI cursor of the current SQLAlchemy
connection (inside its transaction) skips the per-call execution context,
which costs several times the statement itself (see ``bench/``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for one dialect, with its value converters."""

    def __init__(self, stmt: ClauseElement, dialect: Dialect,
                 result_table: Table | None = None) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = compiled.positiontup is not None
        self.order: Sequence[str] = tuple(compiled.positiontup or ())
        self.binds: dict[str, Processor] = {
            name: bp.type.bind_processor(dialect) for name, bp in compiled.binds.items()}
        #: literal values written into the statement (``status == "pending"``)
        self.literals: dict[str, Any] = {
            name: bp.effective_value for name, bp in compiled.binds.items() if not bp.required}
        self.columns: list[tuple[str, Processor]] = []
        if result_table is not None:
            self.columns = [(c.name, c.type.result_processor(dialect, None))
                            for c in result_table.columns]

    def params(self, values: Mapping[str, Any]) -> Any:
        def conv(name: str) -> Any:
            proc = self.binds.get(name)
            value = values[name] if name in values else self.literals[name]
            return proc(value) if proc is not None and value is not None else value

        if self.positional:
            return tuple(conv(name) for name in self.order)
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
