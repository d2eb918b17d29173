"""``workflow.ports`` implemented with SQLAlchemy Core on the SQLModel tables.

The command path (``unit_of_work``) uses Core statements only: the ORM
session costs several times more per transition. ``append`` updates the case
row only if its version is still the one the decision was based on, and
inserts the event under ``UNIQUE(case_id, seq)``: two writers cannot both win.

On SQLite a unit of work holds the database's write lock from its start
(``BEGIN IMMEDIATE``). On PostgreSQL it locks what it reads to decide: the
case row (``FOR UPDATE``), the due timer it fires (``FOR UPDATE SKIP LOCKED``,
so two workers take different timers), the case-number counter (one upsert)
and the household whose rival cases it looks up (an advisory lock).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, closing, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    bindparam,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from definitions.compile import CompiledDefinition
from definitions.errors import DefinitionVersionConflict
from storage import substitutes
from storage.db import is_sqlite
from storage.prepared import Prepared
from storage.prepared import fast_reader as _fast_reader
from storage.tables import (
    cases,
    checkpoints,
    counters,
    definitions,
    events,
    ledger,
    meta,
    outbox,
    timers,
)
from workflow.core.chain import canonical_time
from workflow.core.effects import SideRows
from workflow.core.model import Case, Decision, Event, Substitution, Timer
from workflow.errors import ConcurrencyConflict, DamagedRecord, StorageError


def row_to_case(r: Mapping[Any, Any]) -> Case:
    duties = r["duties"]
    return Case(
        r["id"], r["number"], r["process"], r["definition_version"], r["definition_hash"],
        r["state"], r["unit"], r["data"], r["version"], r["created_at"], r["updated_at"],
        r["state_entered_at"], r["submitted_by"], r["applicant_user"],
        # A value that no longer decodes stays as stored (see _lenient), for verify to flag.
        {k: tuple(v) for k, v in duties.items()} if isinstance(duties, Mapping)
        else duties or {},
        r["first_entered"] or {},
        r["campaign"],
        r["head_hash"],
    )


def _number_of(conn: Any, case_id: str) -> str:
    """The case number of ``case_id`` for a message (the id if the row is gone)."""
    return conn.execute(select(cases.c.number).where(cases.c.id == case_id)).scalar() or case_id


def row_to_timer(r: Mapping[Any, Any]) -> Timer:
    return Timer(r["id"], r["case_id"], r["spec_id"], r["scope"], r["state"], r["kind"],
                 r["due_at"], r["deadline_at"], r["trigger"], r["seq"], r["status"],
                 r["created_at"], r["fired_at"])


def _lenient(procs: Sequence[Any], raw: Sequence[Any]) -> list[Any]:
    """A row decoded value by value, keeping as stored any value that no longer
    decodes (JSON or a time edited by hand): verify then reports the event or
    case it belongs to instead of failing on it."""
    out: list[Any] = []
    for p, v in zip(procs, raw, strict=True):
        try:
            out.append(v if v is None or p is None else p(v))
        except (TypeError, ValueError):
            out.append(v)
    return out


#: Event's fields in declaration order, as columns of the events table
_EVENT_FIELDS = ("case_id", "seq", "at", "kind", "actor", "role", "trigger", "source", "dest",
                 "data", "comment", "definition_version", "idempotency_key", "request_hash",
                 "meta", "prev_hash", "hash")


def row_to_event(r: Mapping[Any, Any]) -> Event:
    return Event(
        case_id=r["case_id"], seq=r["seq"], at=r["at"], kind=r["kind"], actor=r["actor"],
        role=r["role"], trigger=r["trigger"], source=r["source"], dest=r["dest"],
        data=r["data"], comment=r["comment"], definition_version=r["definition_version"],
        idempotency_key=r["idempotency_key"], request_hash=r["request_hash"],
        meta=r["meta"] or {}, prev_hash=r["prev_hash"], hash=r["hash"],
    )


def _case_values(c: Case) -> dict[str, Any]:
    # The definition pin changes too: a migration moves a case to another version.
    return {
        "definition_version": c.definition_version, "definition_hash": c.definition_hash,
        "state": c.state, "data": dict(c.data), "version": c.version,
        "updated_at": c.updated_at, "state_entered_at": c.state_entered_at,
        "duties": {k: list(v) for k, v in c.duties.items()},
        "first_entered": dict(c.first_entered),
        "head_hash": c.head_hash,
    }


def _event_values(e: Event) -> dict[str, Any]:
    return {
        "case_id": e.case_id, "seq": e.seq, "at": e.at, "kind": e.kind, "actor": e.actor,
        "role": e.role, "trigger": e.trigger, "source": e.source, "dest": e.dest,
        "data": dict(e.data), "comment": e.comment,
        "definition_version": e.definition_version, "idempotency_key": e.idempotency_key,
        "request_hash": e.request_hash, "meta": dict(e.meta),
        "prev_hash": e.prev_hash, "hash": e.hash,
    }


def _by_ref(ref: str) -> Any:
    return or_(cases.c.id == ref, cases.c.number == ref.upper())


# The command path's statements are built once: SQLAlchemy then reuses their
# compiled form and cache key, which is most of the per-command cost.
_SELECT_CASE = select(cases).where(
    or_(cases.c.id == bindparam("ref"), cases.c.number == bindparam("ref_upper")))
_SELECT_CASE_LOCKED = _SELECT_CASE.with_for_update()
_SELECT_KEY = select(events).where(events.c.idempotency_key == bindparam("key"))
_NEXT_NUMBER = (update(counters).where(counters.c.name == bindparam("prefix"))
                .values(value=counters.c.value + 1).returning(counters.c.value))
# PostgreSQL: one statement, so two first submits under a new prefix cannot
# both insert the counter (SQLite's BEGIN IMMEDIATE already serialises them).
@functools.cache
def _upsert_number() -> Any:
    # built on first use: a SQLite process never loads the PostgreSQL dialect
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return (pg_insert(counters).values(name=bindparam("prefix"), value=1)
            .on_conflict_do_update(index_elements=[counters.c.name],
                                   set_={"value": counters.c.value + 1})
            .returning(counters.c.value))


_LOCK_HOUSEHOLD = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key"), 0)))
_CASE_FIELDS = ("definition_version", "definition_hash", "state", "data", "version",
                "updated_at", "state_entered_at", "duties", "first_entered", "head_hash")
_UPDATE_CASE = (update(cases)
                .where(cases.c.id == bindparam("b_id"),
                       cases.c.version == bindparam("b_previous"))
                .values({name: bindparam(name) for name in _CASE_FIELDS}))
_INSERT_CASE = insert(cases)
_INSERT_EVENT = insert(events)


class _Statements:
    """The command path's statements, compiled once for a dialect."""

    def household(self, campaign: bool, process: bool, exclude: bool) -> Prepared:
        """A household's cases, narrowed by the filters given (each variant compiled
        once: the queue reads a household per case it judges)."""
        key = (campaign, process, exclude)
        found = self._household.get(key)
        if found is None:
            stmt = select(cases).where(cases.c.household == bindparam("household"))
            if campaign:
                stmt = stmt.where(cases.c.campaign == bindparam("campaign"))
            if process:
                stmt = stmt.where(cases.c.process == bindparam("process"))
            if exclude:
                stmt = stmt.where(cases.c.id != bindparam("exclude"))
            found = Prepared(stmt.order_by(cases.c.number), self._dialect, cases)
            self._household[key] = found
        return found

    def __init__(self, dialect: Any) -> None:
        self.postgresql = dialect.name == "postgresql"
        self._dialect = dialect
        self._household: dict[tuple[bool, bool, bool], Prepared] = {}
        self.substitutes = substitutes.Statements(dialect)
        self.select_case = Prepared(_SELECT_CASE, dialect, cases)
        self.select_case_locked = Prepared(_SELECT_CASE_LOCKED, dialect, cases)
        self.select_key = Prepared(_SELECT_KEY, dialect, events)
        self.update_case = Prepared(_UPDATE_CASE, dialect)
        self.insert_case = Prepared(_INSERT_CASE.values(
            {c.name: bindparam(c.name, type_=c.type) for c in cases.columns}), dialect)
        self.insert_event = Prepared(_INSERT_EVENT.values(
            {c.name: bindparam(c.name, type_=c.type) for c in events.columns
             if c.name != "id"}), dialect)
        self.insert_timer = Prepared(insert(timers).values(
            {c.name: bindparam(c.name, type_=c.type) for c in timers.columns
             if c.name not in ("id", "fired_at", "error")}), dialect)
        self.cancel_timers = Prepared(
            update(timers).where(timers.c.case_id == bindparam("b_case"),
                                 timers.c.status == "pending",
                                 timers.c.scope == bindparam("b_scope"))
            .values(status="cancelled", fired_at=bindparam("b_at", type_=timers.c.fired_at.type)),
            dialect)
        self.fire_timer = Prepared(
            update(timers).where(timers.c.id == bindparam("b_id"), timers.c.status == "pending")
            .values(status="fired", fired_at=bindparam("b_at", type_=timers.c.fired_at.type)),
            dialect)
        self.insert_message = Prepared(insert(outbox).values(
            {c.name: bindparam(c.name, type_=c.type) for c in outbox.columns
             if c.name not in ("id", "sent_at", "last_error")}), dialect)


class SqlUnitOfWork:
    def __init__(self, conn: Connection, lock_rows: bool, stmts: _Statements) -> None:
        self.conn = conn
        self._lock_rows = lock_rows
        self._s = stmts

    def load_case(self, ref: str) -> Case | None:
        stmt = self._s.select_case_locked if self._lock_rows else self._s.select_case
        try:
            row = stmt.row(stmt.execute(self.conn, {"ref": ref, "ref_upper": ref.upper()})
                           .fetchone())
        except (TypeError, ValueError) as exc:
            raise DamagedRecord(ref, str(exc)) from None
        return row_to_case(row) if row is not None else None

    def substitutions_of(self, user: str) -> list[Substitution]:
        return substitutes.of_substitute(self.conn, self._s.substitutes, user)

    def substitution_rows(self, user: str | None = None,
                          ident: int | None = None) -> list[dict[str, Any]]:
        return substitutes.rows(self.conn, user=user, ident=ident)

    def substitutions_at(self, at: datetime) -> list[Substitution]:
        return substitutes.active(self.conn, self._s.substitutes, at)

    def add_substitution(self, **values: Any) -> int:
        return substitutes.add(self.conn, **values)

    def end_substitution(self, ident: int, at: datetime, by: str, reason: str | None) -> bool:
        return substitutes.end(self.conn, ident, at, by, reason)

    def find_by_idempotency_key(self, key: str) -> Event | None:
        stmt = self._s.select_key
        row = stmt.row(stmt.execute(self.conn, {"key": key}).fetchone())
        return row_to_event(row) if row is not None else None

    def next_number(self, prefix: str) -> int:
        if self._s.postgresql:
            return int(self.conn.execute(_upsert_number(), {"prefix": prefix}).scalar_one())
        got = self.conn.execute(_NEXT_NUMBER, {"prefix": prefix}).scalar()
        if got is None:
            self.conn.execute(insert(counters).values(name=prefix, value=1))
            return 1
        return int(got)

    def append(self, decision: Decision) -> None:
        c, e = decision.case, decision.event
        try:
            if decision.previous_version is None:
                self._s.insert_case.execute(self.conn, {
                    "id": c.id, "number": c.number, "process": c.process, "unit": c.unit,
                    "applicant_user": c.applicant_user, "submitted_by": c.submitted_by,
                    "created_at": c.created_at, "campaign": c.campaign,
                    "household": decision.household, **_case_values(c)})
            else:
                done = self._s.update_case.execute(self.conn, {
                    "b_id": c.id, "b_previous": decision.previous_version,
                    **_case_values(c)}).rowcount
                if done != 1:
                    actual = self.conn.execute(
                        select(cases.c.version).where(cases.c.id == c.id)).scalar()
                    raise ConcurrencyConflict(c.number, decision.previous_version, actual or 0)
            self._s.insert_event.execute(self.conn, _event_values(e))
            if decision.fired_timer is not None or decision.timers or decision.messages or \
                    decision.cancel_state_timers or decision.cancel_case_timers:
                self._timers_and_messages(decision)
        except self._integrity_errors as exc:
            text = str(exc).lower()
            # Two writers of the same event (seq) or idempotency key: the
            # second lost a race the version check did not see.
            if "unique" in text or "duplicate" in text:
                if "events" in text or "uq_events" in text or "idempotency" in text:
                    raise ConcurrencyConflict(c.number, decision.previous_version or 0,
                                              (decision.previous_version or 0) + 1) from None
            raise StorageError(f"the database refused the write of case '{c.number}': {exc}",
                               f"数据库拒绝写入案件 '{c.number}':{exc}") from None

    def _timers_and_messages(self, decision: Decision) -> None:
        c, e, s = decision.case, decision.event, self._s
        if decision.fired_timer is not None:
            done = s.fire_timer.execute(self.conn, {"b_id": decision.fired_timer,
                                                    "b_at": e.at}).rowcount
            if done != 1:
                raise ConcurrencyConflict(c.number, decision.previous_version or 0,
                                          (decision.previous_version or 0) + 1)
        for scope, on in (("state", decision.cancel_state_timers),
                          ("case", decision.cancel_case_timers)):
            if on:
                s.cancel_timers.execute(self.conn, {"b_case": c.id, "b_scope": scope,
                                                    "b_at": e.at})
        for p in decision.timers:
            s.insert_timer.execute(self.conn, {
                "case_id": c.id, "spec_id": p.spec_id, "scope": p.scope, "state": p.state,
                "kind": p.kind, "due_at": p.due_at, "deadline_at": p.deadline_at,
                "trigger": p.trigger, "seq": p.seq, "status": "pending", "created_at": e.at})
        for m in decision.messages:
            s.insert_message.execute(self.conn, {
                "message_id": f"{c.id}:{e.seq}:{m.kind}:{m.recipient}", "case_id": c.id,
                "event_seq": e.seq, "kind": m.kind, "recipient": m.recipient,
                "context": dict(m.context), "status": "pending", "attempts": 0,
                "created_at": e.at})

    def fail_timer(self, timer_id: int, at: datetime, error: str) -> None:
        """Set a timer aside that cannot fire (it would block those behind it)."""
        self.conn.execute(update(timers).where(timers.c.id == timer_id,
                                               timers.c.status == "pending")
                          .values(status="failed", fired_at=at, error=error[:2000]))

    def household_cases(self, household: str, *, campaign: str | None = None,
                        process: str | None = None, exclude: str | None = None) -> list[Case]:
        """Cases of the same household (normalised ID number), narrowed to a
        campaign and/or a process when given."""
        if self._s.postgresql and self._lock_rows:
            # SQLite's BEGIN IMMEDIATE makes "no rival, so write" atomic. Under
            # PostgreSQL's READ COMMITTED two transactions (e.g. a submit and a
            # fire that re-opens a claim) could each find no rival and both
            # write; a lock on the household until commit serialises them, and
            # the query below then sees what the other committed.
            self.conn.execute(_LOCK_HOUSEHOLD, {"key": f"bangfu.household:{household}"})
        stmt = self._s.household(campaign is not None, process is not None, exclude is not None)
        values = {"household": household, "campaign": campaign, "process": process,
                  "exclude": exclude}
        cursor = stmt.execute(self.conn, {k: v for k, v in values.items() if v is not None})
        try:
            return [row_to_case(stmt.row(raw)) for raw in cursor.fetchall()]  # type: ignore[arg-type]
        finally:
            cursor.close()

    def budget_totals(self, campaign: str) -> dict[str, dict[str, int]]:
        """line → {reserve, release, spend} sums, read inside the transaction."""
        rows = self.conn.execute(
            select(ledger.c.line, ledger.c.kind, func.sum(ledger.c.amount_fen))
            .where(ledger.c.campaign == campaign).group_by(ledger.c.line, ledger.c.kind)).all()
        out: dict[str, dict[str, int]] = {}
        for line, kind, total in rows:
            out.setdefault(line, {})[kind] = int(total or 0)
        return out

    def held_by_case(self, case_id: str) -> dict[str, int]:
        """line → amount the case still has reserved (reserve - release - spend)."""
        rows = self.conn.execute(
            select(ledger.c.line, ledger.c.kind, func.sum(ledger.c.amount_fen))
            .where(ledger.c.case_id == case_id).group_by(ledger.c.line, ledger.c.kind)).all()
        held: dict[str, int] = {}
        for line, kind, total in rows:
            held[line] = held.get(line, 0) + (int(total or 0) if kind == "reserve"
                                               else -int(total or 0))
        return held

    def add_ledger(self, campaign: str, case_id: str, seq: int, at: datetime,
                   entries: Sequence[Any]) -> None:
        if entries:
            self.conn.execute(insert(ledger), [
                {"campaign": campaign, "line": e.line, "kind": e.kind,
                 "amount_fen": e.amount_fen, "case_id": case_id, "event_seq": seq, "at": at,
                 "note": e.note} for e in entries])

    def claim_due(self, now: datetime, limit: int = 1) -> list[Timer]:
        """The oldest pending timers due by ``now``, locked for this transaction."""
        stmt = (select(timers).where(timers.c.status == "pending", timers.c.due_at <= now)
                .order_by(timers.c.due_at, timers.c.id).limit(limit))
        if self._lock_rows:
            stmt = stmt.with_for_update(skip_locked=True)
        return [row_to_timer(r._mapping) for r in self.conn.execute(stmt)]

    @property
    def _integrity_errors(self) -> tuple[type[BaseException], ...]:
        dbapi = self.conn.dialect.dbapi
        return (IntegrityError, dbapi.IntegrityError) if dbapi is not None else (IntegrityError,)


class SqlStore:
    """A CaseStore on any SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = is_sqlite(engine)
        self._local = threading.local()
        self._stmts = _Statements(engine.dialect)
        # The command path runs on the driver's cursor, whose errors SQLAlchemy
        # does not wrap (e.g. sqlite3's 'database is locked').
        dbapi = engine.dialect.dbapi
        self._operational_errors: tuple[type[BaseException], ...] = (
            (OperationalError, dbapi.OperationalError) if dbapi is not None
            else (OperationalError,))

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlUnitOfWork]:
        conn = self._command_connection()
        try:
            with conn.begin():
                yield SqlUnitOfWork(conn, not self._sqlite, self._stmts)
        except self._operational_errors as exc:
            self._drop_command_connection()
            reason = getattr(exc, "orig", exc)
            raise StorageError(f"the database refused the write: {reason}",
                               f"数据库拒绝写入：{reason}") from None

    @contextmanager
    def reading(self) -> Iterator[SqlUnitOfWork]:
        """A read-only view for a decision's facts (what a user may do): one
        transaction, rolled back, nothing locked; never written through."""
        with self.engine.connect() as conn:
            yield SqlUnitOfWork(conn, False, self._stmts)

    def _command_connection(self) -> Connection:
        """One connection per thread for commands: a pool checkout and its reset
        cost more than the transition itself."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
            if self._sqlite:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            self._local.conn = conn
        return conn

    def _drop_command_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def close(self) -> None:
        """Release this thread's command connection and the pool."""
        self._drop_command_connection()
        self.engine.dispose()

    def get_case(self, ref: str) -> Case | None:
        """The case by id or number (None if unknown).

        Raises:
            DamagedRecord: its row no longer decodes (edited outside the engine).
        """
        with self.engine.connect() as conn:
            try:
                row = conn.execute(select(cases).where(_by_ref(ref))).first()
                case = row_to_case(row._mapping) if row is not None else None
            except (TypeError, ValueError) as exc:
                raise DamagedRecord(ref, str(exc)) from None
        if case is not None and not isinstance(case.data, Mapping):
            raise DamagedRecord(case.number, "the case data is not a mapping")
        return case

    def list_cases(self, *, process: str | None = None, states: Sequence[str] | None = None,
                   units: Sequence[str] | None = None, applicant_user: str | None = None,
                   limit: int | None = None, offset: int = 0) -> list[Case]:
        stmt = select(cases)
        if process:
            stmt = stmt.where(cases.c.process == process)
        if states is not None:
            stmt = stmt.where(cases.c.state.in_(list(states)))
        if units is not None:
            stmt = stmt.where(cases.c.unit.in_(list(units)))
        if applicant_user is not None:
            stmt = stmt.where(cases.c.applicant_user == applicant_user)
        stmt = stmt.order_by(cases.c.created_at, cases.c.number).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            try:
                return [row_to_case(r._mapping) for r in conn.execute(stmt)]
            except (TypeError, ValueError) as exc:
                # only now, row by row: which case is it?
                for (case_id,) in conn.execute(stmt.with_only_columns(cases.c.id)):
                    try:
                        row_to_case(conn.execute(select(cases).where(cases.c.id == case_id))
                                    .one()._mapping)
                    except (TypeError, ValueError):
                        raise DamagedRecord(_number_of(conn, case_id), str(exc)) from None
                raise

    def iter_cases(self, batch: int = 1000) -> Iterator[Case]:
        last = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(cases).where(cases.c.id > last)
                                    .order_by(cases.c.id).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield row_to_case(r._mapping)
            last = rows[-1].id

    def count_cases(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(cases)).scalar() or 0)

    def history(self, case_id: str) -> list[Event]:
        """The case's events in order.

        Raises:
            DamagedRecord: an event no longer decodes (edited outside the engine).
        """
        with self.engine.connect() as conn:
            try:
                found = [row_to_event(r._mapping) for r in conn.execute(
                    select(events).where(events.c.case_id == case_id).order_by(events.c.seq))]
            except (TypeError, ValueError) as exc:
                raise DamagedRecord(_number_of(conn, case_id), str(exc)) from None
        bad = next((e for e in found if not isinstance(e.data, Mapping)
                    or not isinstance(e.meta, Mapping)), None)
        if bad is not None:
            with self.engine.connect() as conn:
                raise DamagedRecord(_number_of(conn, case_id),
                                    f"event {bad.seq} holds no data mapping")
        return found

    def register_definition(self, definition: CompiledDefinition, at: datetime) -> None:
        with self.engine.begin() as conn:
            known = conn.execute(select(definitions.c.content_hash).where(
                definitions.c.process == definition.process,
                definitions.c.version == definition.version)).scalar()
            if known is None:
                conn.execute(insert(definitions).values(
                    process=definition.process, version=definition.version,
                    content_hash=definition.content_hash,
                    body=dict(definition.body), registered_at=at))
            elif known != definition.content_hash:
                raise DefinitionVersionConflict(definition.process, definition.version,
                                                known, definition.content_hash)

    def register_definitions(self, found: Iterable[CompiledDefinition],
                             at: datetime, registered_by: str = "") -> list[dict[str, Any]]:
        """Register every definition of ``found`` not yet known, in one transaction, and
        return every registered row (the bodies of versions no longer on disk too).

        Raises:
            DefinitionVersionConflict: a (process, version) already registered with
                another content hash; nothing is registered.
        """
        with self.engine.begin() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(definitions))]
            known = {(r["process"], r["version"]): r["content_hash"] for r in rows}
            new = []
            for d in found:
                stored = known.get((d.process, d.version))
                if stored is None:
                    new.append({"process": d.process, "version": d.version,
                                "content_hash": d.content_hash,
                                "body": dict(d.body), "registered_at": at,
                                "registered_by": registered_by})
                    known[(d.process, d.version)] = d.content_hash
                elif stored != d.content_hash:
                    raise DefinitionVersionConflict(d.process, d.version, stored,
                                                    d.content_hash)
            if new:
                conn.execute(insert(definitions), new)
        return rows + new

    def read_meta(self) -> dict[str, str] | None:
        """Every engine setting in one read; None when the database has no Bangfu tables."""
        try:
            with self.engine.connect() as conn:
                return {r.key: r.value for r in conn.execute(select(meta.c.key, meta.c.value))}
        except (OperationalError, ProgrammingError) as exc:
            if "bangfu_meta" in str(exc.orig):
                return None
            raise

    def stored_definitions(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(definitions))]

    def next_due(self) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(timers.c.due_at))
                                .where(timers.c.status == "pending")).scalar()

    def timers(self, case_id: str | None = None, *, status: Sequence[str] | None = None,
               units: Sequence[str] | None = None) -> list[Timer]:
        """Timers (of one case, or of cases in ``units``), in due order."""
        stmt = select(timers)
        if case_id is not None:
            stmt = stmt.where(timers.c.case_id == case_id)
        if status is not None:
            stmt = stmt.where(timers.c.status.in_(list(status)))
        if units is not None:
            stmt = stmt.join(cases, cases.c.id == timers.c.case_id).where(
                cases.c.unit.in_(list(units)))
        stmt = stmt.order_by(timers.c.due_at, timers.c.id)
        with self.engine.connect() as conn:
            return [row_to_timer(r._mapping) for r in conn.execute(stmt)]

    def outbox_summary(self) -> dict[tuple[str, str], int]:
        """Message counts by (kind, status)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.kind, outbox.c.status, func.count())
                                .group_by(outbox.c.kind, outbox.c.status)).all()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def messages(self, kind: str | None = None) -> list[dict[str, Any]]:
        stmt = select(outbox).order_by(outbox.c.id)
        if kind is not None:
            stmt = stmt.where(outbox.c.kind == kind)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    # -- audit ------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """(cases, events)."""
        with self.engine.connect() as conn:
            n_cases = conn.execute(select(func.count()).select_from(cases)).scalar() or 0
            n_events = conn.execute(select(func.count()).select_from(events)).scalar() or 0
        return int(n_cases), int(n_events)

    def iter_histories(self, batch: int = 5000) -> Iterator[tuple[str, Case | None, list[Event]]]:
        """Every case with its events, streamed in case-id order: one pass over
        each table, merged, so a case row without events and events without a
        case row both show (as an empty list or a None case)."""
        case_stmt = Prepared(select(cases).order_by(cases.c.id), self.engine.dialect, cases)
        # The event columns in the order of Event's fields, so a row is its arguments.
        event_columns = [events.c[name] for name in _EVENT_FIELDS]
        event_stmt = Prepared(select(*event_columns).order_by(events.c.case_id, events.c.seq),
                              self.engine.dialect)
        with self.engine.connect() as c1, self.engine.connect() as c2, ExitStack() as stack:
            # PostgreSQL: server-side cursors, or the driver would fetch every
            # row before the first one is handed over.
            server_side = self._stmts.postgresql
            # closed however the stream ends: a reader that stops early (or drops
            # the generator) must not leave a server-side cursor open
            case_cur = stack.enter_context(closing(
                case_stmt.execute(c1, {}, server_side=server_side)))
            event_cur = stack.enter_context(closing(
                event_stmt.execute(c2, {}, server_side=server_side)))

            def rows(cur: Any, stmt: Prepared) -> Iterator[dict[str, Any]]:
                # the statement's readers: json_loads and utc_from_text on SQLite
                # (see prepared.fast_reader), as the command path reads a case
                names = [name for name, _ in stmt.columns]
                procs = [proc for _, proc in stmt.columns]
                while True:
                    chunk = cur.fetchmany(batch)
                    if not chunk:
                        return
                    for raw in chunk:
                        try:
                            vals = [v if v is None or p is None else p(v)
                                    for p, v in zip(procs, raw, strict=True)]
                        except (TypeError, ValueError):
                            vals = _lenient(procs, raw)
                        yield dict(zip(names, vals, strict=True))

            def event_objects(cur: Any) -> Iterator[Event]:
                # Straight from the driver's tuples: verification streams every
                # event, so the per-row dict of the general path is too slow, and
                # only the columns that need converting (time, data, meta) are touched.
                procs = [_fast_reader(c.type, c.type.result_processor(self.engine.dialect, None),
                                      self._sqlite) for c in event_columns]
                convert = [(i, p) for i, p in enumerate(procs) if p is not None]
                meta_at = _EVENT_FIELDS.index("meta")
                while True:
                    chunk = cur.fetchmany(batch)
                    if not chunk:
                        return
                    for raw in chunk:
                        vals = list(raw)
                        try:
                            for i, p in convert:
                                v = vals[i]
                                if v is not None:
                                    vals[i] = p(v)
                        except (TypeError, ValueError):
                            vals = _lenient(procs, raw)
                        vals[meta_at] = vals[meta_at] or {}
                        yield Event(*vals)

            case_rows, event_rows = rows(case_cur, case_stmt), event_objects(event_cur)
            next_case = next(case_rows, None)
            next_event = next(event_rows, None)
            while next_case is not None or next_event is not None:
                ids = [r["id"] for r in (next_case,) if r is not None] + \
                      [e.case_id for e in (next_event,) if e is not None]
                current = min(ids)
                stored: Case | None = None
                if next_case is not None and next_case["id"] == current:
                    stored = row_to_case(next_case)
                    next_case = next(case_rows, None)
                found: list[Event] = []
                while next_event is not None and next_event.case_id == current:
                    found.append(next_event)
                    next_event = next(event_rows, None)
                yield current, stored, found

    def side_rows(self) -> dict[str, SideRows]:
        """Every case's timers, outbox messages and ledger rows, for verify to hold
        to its events (one read of each table)."""
        found: dict[str, tuple[list[Any], list[Any], list[Any]]] = {}
        with self.engine.connect() as conn:
            # SQLite keeps a time as the UTC ISO text canonical_time writes: read it as text
            as_text = not self._stmts.postgresql
            due: Any = type_coerce(timers.c.due_at, String) if as_text else timers.c.due_at
            for r in conn.execute(select(timers.c.case_id, timers.c.id, timers.c.spec_id,
                                         timers.c.kind, due, timers.c.status, timers.c.scope)):
                found.setdefault(r[0], ([], [], []))[0].append(
                    (r[1], r[2], r[3], r[4] if as_text else canonical_time(r[4]), r[5], r[6]))
            for m in conn.execute(select(outbox.c.case_id, outbox.c.event_seq, outbox.c.kind,
                                         outbox.c.recipient)):
                found.setdefault(m[0], ([], [], []))[1].append((m[1], m[2], m[3]))
            for g in conn.execute(select(ledger.c.case_id, ledger.c.event_seq, ledger.c.line,
                                         ledger.c.kind, ledger.c.amount_fen)
                                  .where(ledger.c.case_id.is_not(None))):
                found.setdefault(g[0], ([], [], []))[2].append((g[1], g[2], g[3], g[4]))
        return {case: SideRows(t, m, lg) for case, (t, m, lg) in found.items()}

    def households(self) -> dict[str, str | None]:
        """Every case's stored household key, by case id."""
        with self.engine.connect() as conn:
            return {r[0]: r[1] for r in conn.execute(select(cases.c.id, cases.c.household))}

    def heads(self) -> list[tuple[str, str, int, str]]:
        """(case id, case number, row version, head hash) of every case."""
        with self.engine.connect() as conn:
            return [(r[0], r[1], int(r[2]), r[3]) for r in conn.execute(
                select(cases.c.id, cases.c.number, cases.c.version, cases.c.head_hash)
                .order_by(cases.c.id))]

    def add_checkpoint(self, at: datetime, heads: list[tuple[str, str, int, str]], n_events: int,
                       prev_hash: str, digest: str, made_by: str,
                       signature: str | None = None) -> int:
        with self.engine.begin() as conn:
            last = conn.execute(select(checkpoints.c.hash).order_by(
                checkpoints.c.id.desc()).limit(1)).scalar()
            if (last or prev_hash) != prev_hash:
                raise StorageError("another checkpoint was taken meanwhile; take it again",
                                   "其间已有人做了检查点，请重新执行")
            key = conn.execute(insert(checkpoints).values(
                at=at, cases=len(heads), events=n_events, heads=[list(h) for h in heads],
                prev_hash=prev_hash, hash=digest, made_by=made_by,
                signature=signature)).inserted_primary_key
            if key is None:
                raise StorageError("the database returned no key for the new checkpoint",
                                   "数据库没有返回新检查点的编号")
            return int(key[0])

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every checkpoint, oldest first."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(checkpoints).order_by(checkpoints.c.id))]

    def budget_report(self, campaign: str) -> dict[str, dict[str, int]]:
        """line → {reserve, release, spend} sums of a campaign."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ledger.c.line, ledger.c.kind, func.sum(ledger.c.amount_fen))
                .where(ledger.c.campaign == campaign)
                .group_by(ledger.c.line, ledger.c.kind)).all()
        out: dict[str, dict[str, int]] = {}
        for line, kind, total in rows:
            out.setdefault(line, {})[kind] = int(total or 0)
        return out

    def ledger_by_case(self, campaign: str) -> dict[str, dict[str, int]]:
        """case id → {reserve, release, spend} sums of a campaign's ledger."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ledger.c.case_id, ledger.c.kind, func.sum(ledger.c.amount_fen))
                .where(ledger.c.campaign == campaign, ledger.c.case_id.is_not(None))
                .group_by(ledger.c.case_id, ledger.c.kind)).all()
        out: dict[str, dict[str, int]] = {}
        for case_id, kind, total in rows:
            out.setdefault(str(case_id), {})[kind] = int(total or 0)
        return out

    def substitutions_of(self, user: str) -> list[Substitution]:
        with self.engine.connect() as conn:
            return substitutes.of_substitute(conn, self._stmts.substitutes, user)

    def substitution_rows(self, user: str | None = None,
                          ident: int | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return substitutes.rows(conn, user=user, ident=ident)

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

    def swap_meta(self, key: str, expected: str | None, value: str) -> bool:
        with self.engine.begin() as conn:
            if expected is not None:
                return bool(conn.execute(update(meta).where(
                    meta.c.key == key, meta.c.value == expected).values(value=value)).rowcount)
            try:
                with conn.begin_nested():
                    conn.execute(insert(meta).values(key=key, value=value))
            except IntegrityError:
                return False
            return True

    def set_meta(self, key: str, value: str) -> None:
        if self._stmts.postgresql:
            # one statement: two processes setting a new key both succeed
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(meta).values(key=key, value=value)
            with self.engine.begin() as conn:
                conn.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key],
                                                        set_={"value": stmt.excluded.value}))
            return
        with self.engine.begin() as conn:
            done = conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount
            if not done:
                conn.execute(insert(meta).values(key=key, value=value))
