"""Bulk writes for imports: many new cases in one transaction.

``workflow.importing`` validates a spreadsheet and lets the pure core decide every
row; this module implements the storage side it needs (``workflow.importing.BulkSink``):
what the database already holds (idempotency keys, households' claims, the
case-number counter), row encoding, and the one write.

The write allocates the block of case numbers and inserts cases, events,
timers and outbox rows in a single transaction: either every row of the
import is stored or none is. On SQLite the statements are compiled once and
run with the driver's ``executemany`` on the connection's cursor inside the
SQLAlchemy transaction (as ``prepared.py`` does for the command path), in
chunks; the values are converted by the columns' own bind processors, so the
rows read back exactly like the ones ``SqlUnitOfWork.append`` writes. Other
databases get SQLAlchemy Core ``executemany`` inserts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.db import is_sqlite
from storage.prepared import Prepared
from storage.sql import SqlStore, _case_values, _event_values, row_to_case
from storage.tables import UTCDateTime, cases, counters, events, outbox, timers
from workflow.core.model import Case, Decision
from workflow.errors import StorageError
from workflow.importing.errors import NumbersTaken

#: rows per ``executemany``
CHUNK = 5000
#: keys per ``IN (...)`` look-up
LOOKUP = 500
#: page cache of the import's connection (KiB): index pages of a large
#: import then stay in memory instead of being read back for every row
CACHE_KIB = 262144

#: one decision as rows: (case id, case row, event row, timer rows, outbox rows)
Encoded = tuple[str, tuple[Any, ...], tuple[Any, ...], tuple[tuple[Any, ...], ...],
                tuple[tuple[Any, ...], ...]]


class _Rows:
    """One table's insert: its columns in statement order, and how a row of
    Python values becomes the driver's parameters."""

    def __init__(self, table: Table, dialect: Any, skip: Collection[str] = ()) -> None:
        self.table = table
        self.columns = tuple(c.name for c in table.columns if c.name not in skip)
        self.stmt = insert(table).values(
            {name: bindparam(name, type_=table.c[name].type) for name in self.columns})
        prepared = Prepared(self.stmt, dialect)
        self.sql = prepared.sql
        order = prepared.order if prepared.positional else self.columns
        index = {name: i for i, name in enumerate(self.columns)}
        #: (position in our row, converter) in the driver's parameter order
        self.plan = tuple((index[name], _memo(prepared.binds.get(name))
                           if _repeats(table, name) else prepared.binds.get(name))
                          for name in order)

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(row[name] for name in self.columns)

    def params(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(v if proc is None or v is None else proc(v)
                     for proc, v in ((p, values[i]) for i, p in self.plan))


def _repeats(table: Table, name: str) -> bool:
    """Times repeat across an import's rows (all cases are created at one
    instant, their deadlines fall on the campaign's dates): convert each once."""
    return isinstance(table.c[name].type, UTCDateTime)


def _memo(proc: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    if proc is None:
        return None
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = proc(value)
            if len(seen) > 4096:
                seen.clear()
            return out

    return convert


class BulkWriter:
    """``workflow.importing.BulkSink`` on a ``SqlStore``."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.engine = store.engine
        self._direct = is_sqlite(self.engine)
        dialect = self.engine.dialect
        self._cases = _Rows(cases, dialect)
        self._events = _Rows(events, dialect, skip=("id",))
        self._timers = _Rows(timers, dialect, skip=("id", "fired_at", "error"))
        self._outbox = _Rows(outbox, dialect, skip=("id", "sent_at", "last_error"))
        # The direct path's errors come from the driver, unwrapped.
        self._integrity: tuple[type[BaseException], ...] = (
            IntegrityError, *_driver_errors(self.engine, "IntegrityError"))
        self._operational: tuple[type[BaseException], ...] = (
            OperationalError, *_driver_errors(self.engine, "OperationalError"))

    # -- what the database holds ------------------------------------------

    def imported(self, keys: Collection[str]) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
        """Idempotency key → (case number, unit, submitted data) of the cases
        opened under those keys."""
        out: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
        stmt = (select(events.c.idempotency_key, cases.c.number, cases.c.unit, events.c.data)
                .join(cases, cases.c.id == events.c.case_id)
                .where(events.c.idempotency_key.in_(bindparam("keys", expanding=True))))
        with self.engine.connect() as conn:
            for part in _parts(sorted(keys), LOOKUP):
                for key, number, unit, data in conn.execute(stmt, {"keys": part}):
                    out[key] = (number, unit, data)
        return out

    def claims(self, households: Collection[str], *, campaign: str | None = None,
               process: str | None = None) -> list[Case]:
        """The cases held by any of ``households`` (normalised ID numbers), of
        ``campaign`` and/or of ``process`` when given."""
        stmt = select(cases).where(cases.c.household.in_(bindparam("h", expanding=True)))
        if campaign is not None:
            stmt = stmt.where(cases.c.campaign == campaign)
        if process is not None:
            stmt = stmt.where(cases.c.process == process)
        found: list[Case] = []
        with self.engine.connect() as conn:
            for part in _parts(sorted(households), LOOKUP):
                found += [row_to_case(dict(r._mapping)) for r in conn.execute(stmt, {"h": part})]
        return found

    def counter(self, prefix: str) -> int:
        """The last case number handed out under ``prefix`` (0 if none)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(counters.c.value)
                                 .where(counters.c.name == prefix)).scalar()
        return int(value or 0)

    # -- encoding ------------------------------------------------------------

    def encode(self, decision: Decision) -> Encoded:
        """The rows of a new case's decision, ready for the driver (pure: run in
        worker processes too)."""
        c, e = decision.case, decision.event
        case_row = self._cases.values({
            "id": c.id, "number": c.number, "process": c.process, "unit": c.unit,
            "applicant_user": c.applicant_user, "submitted_by": c.submitted_by,
            "created_at": c.created_at, "campaign": c.campaign,
            "household": decision.household, **_case_values(c)})
        event_row = self._events.values(_event_values(e))
        timer_rows = tuple(self._timers.values({
            "case_id": c.id, "spec_id": p.spec_id, "scope": p.scope, "state": p.state,
            "kind": p.kind, "due_at": p.due_at, "deadline_at": p.deadline_at,
            "trigger": p.trigger, "seq": p.seq, "status": "pending", "created_at": e.at})
            for p in decision.timers)
        message_rows = tuple(self._outbox.values({
            "message_id": f"{c.id}:{e.seq}:{m.kind}:{m.recipient}", "case_id": c.id,
            "event_seq": e.seq, "kind": m.kind, "recipient": m.recipient,
            "context": dict(m.context), "status": "pending", "attempts": 0,
            "created_at": e.at}) for m in decision.messages)
        if self._direct:
            return (c.id, self._cases.params(case_row), self._events.params(event_row),
                    tuple(self._timers.params(t) for t in timer_rows),
                    tuple(self._outbox.params(m) for m in message_rows))
        return c.id, case_row, event_row, timer_rows, message_rows

    # -- the write -----------------------------------------------------------

    def write(self, prefix: str, seen: int, encoded: Sequence[Encoded],
              progress: Callable[[int, int], None] | None = None) -> None:
        """Store every encoded case in one transaction and take the case
        numbers ``seen + 1 .. seen + len(encoded)`` under ``prefix``.

        Raises:
            NumbersTaken: the counter is no longer at ``seen`` (cases were
                opened meanwhile); nothing was written.
            StorageError: the database refused the write; nothing was written.
        """
        # Cases in id order: each insert lands next to the previous one in
        # the primary-key and (case_id, seq) indexes.
        ordered = sorted(encoded, key=lambda item: item[0])
        total = len(ordered) * 2 + sum(len(item[3]) + len(item[4]) for item in ordered)
        done = 0
        conn = self.engine.connect()
        try:
            if self._direct:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                previous = conn.connection.cursor().execute("PRAGMA cache_size").fetchone()[0]
                conn.connection.cursor().execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            with conn.begin():
                self._take_numbers(conn, prefix, seen, len(ordered))
                for rows, table in ((_column(ordered, 1), self._cases),
                                    (_column(ordered, 2), self._events),
                                    (_flat(ordered, 3), self._timers),
                                    (_flat(ordered, 4), self._outbox)):
                    for part in _parts(rows, CHUNK):
                        self._insert(conn, table, part)
                        done += len(part)
                        if progress is not None:
                            progress(done, total)
        except self._integrity as exc:
            reason = getattr(exc, "orig", exc)
            raise StorageError(
                f"the database refused the import ({reason}); another import of the same "
                "rows may have run at the same time: run it again, rows already imported "
                "are skipped", f"数据库拒绝写入本次导入（{reason}）；可能有人同时导入了相同的行，"
                "请重新导入，已导入的行会自动跳过") from None
        except self._operational as exc:
            reason = getattr(exc, "orig", exc)
            raise StorageError(f"the database refused the import: {reason}",
                               f"数据库拒绝写入本次导入：{reason}") from None
        finally:
            if self._direct and not conn.closed and not conn.invalidated:
                conn.connection.cursor().execute(f"PRAGMA cache_size={previous}")
            conn.close()

    def _take_numbers(self, conn: Connection, prefix: str, seen: int, count: int) -> None:
        current = conn.execute(select(counters.c.value).where(counters.c.name == prefix)
                               .with_for_update()).scalar()
        if int(current or 0) != seen:
            raise NumbersTaken(prefix, seen, int(current or 0))
        if current is None:
            conn.execute(insert(counters).values(name=prefix, value=seen + count))
        else:
            conn.execute(update(counters).where(counters.c.name == prefix)
                         .values(value=seen + count))

    def _insert(self, conn: Connection, rows: _Rows, part: Sequence[tuple[Any, ...]]) -> None:
        if self._direct:
            conn.connection.cursor().executemany(rows.sql, part)
        else:
            conn.execute(rows.stmt, [dict(zip(rows.columns, r, strict=True)) for r in part])


def _column(items: Sequence[Encoded], i: Literal[1, 2]) -> list[tuple[Any, ...]]:
    return [item[i] for item in items]


def _flat(items: Sequence[Encoded], i: Literal[3, 4]) -> list[tuple[Any, ...]]:
    return [row for item in items for row in item[i]]


def _parts(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _driver_errors(engine: Any, name: str) -> tuple[type[BaseException], ...]:
    found = getattr(engine.dialect.dbapi, name, None)
    return (found,) if isinstance(found, type) and issubclass(found, BaseException) else ()
