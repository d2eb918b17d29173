"""The SQL of the notification dispatcher: outbox rows, deliveries, webhook
cursors. Portable SQLAlchemy Core; the only SQL ``notifications`` runs.

Every write runs in a transaction that serialises with the other writers:
``BEGIN IMMEDIATE`` on SQLite (see ``db.py``); on PostgreSQL the rows a
dispatcher takes are selected ``FOR UPDATE SKIP LOCKED``, so two dispatchers
never claim the same outbox row or delivery. A claimed delivery carries a
lease: a dispatcher killed while sending leaves it to be taken again when the
lease runs out (a possible resend, which receivers de-duplicate by id).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from storage.db import is_sqlite
from storage.tables import cases, deliveries, events, meta, outbox

#: delivery states a re-queue takes back to pending
REQUEUEABLE = ("failed", "dead", "sending", "digested")


def _insert_ignoring_duplicates(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(deliveries).on_conflict_do_nothing(index_elements=["delivery_id"])
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(deliveries).on_conflict_do_nothing(index_elements=["delivery_id"])
    return insert(deliveries)


class OutboxTx:
    """One write transaction of the dispatcher."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def pending_messages(self, limit: int) -> list[dict[str, Any]]:
        """The oldest outbox rows not yet expanded into deliveries, locked."""
        stmt = (select(outbox).where(outbox.c.status == "pending").order_by(outbox.c.id)
                .limit(limit).with_for_update(skip_locked=True))
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def mark_messages(self, ids: Sequence[int], status: str, error: str | None = None) -> None:
        if ids:
            self.conn.execute(update(outbox).where(outbox.c.id.in_(list(ids)))
                              .values(status=status, last_error=error))

    def add_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert deliveries whose ``delivery_id`` is new; returns how many were new."""
        if not rows:
            return 0
        wanted = {r["delivery_id"]: r for r in rows}
        known = set(self.conn.execute(select(deliveries.c.delivery_id).where(
            deliveries.c.delivery_id.in_(list(wanted)))).scalars())
        fresh = [dict(r) for key, r in wanted.items() if key not in known]
        if fresh:
            self.conn.execute(_insert_ignoring_duplicates(self.conn.dialect.name), fresh)
        return len(fresh)

    def due_channels(self, now: datetime, wall: datetime | None = None) -> dict[str, int]:
        """Channel → number of deliveries due by ``now`` (leases run out by ``wall``)."""
        stmt = (select(deliveries.c.channel, func.count()).where(_due(now, wall or now))
                .group_by(deliveries.c.channel))
        return {r[0]: int(r[1]) for r in self.conn.execute(stmt)}

    def claim_due(self, now: datetime, channel: str, limit: int,
                  lease_until: datetime, wall: datetime | None = None) -> list[dict[str, Any]]:
        """Take up to ``limit`` due deliveries of ``channel``: they become
        ``sending`` until ``lease_until`` (real time, like ``wall``), with one more
        attempt counted."""
        stmt = (select(deliveries).where(_due(now, wall or now),
                                         deliveries.c.channel == channel)
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(limit)
                .with_for_update(skip_locked=True))
        rows = [dict(r._mapping) for r in self.conn.execute(stmt)]
        if rows:
            self.conn.execute(update(deliveries)
                              .where(deliveries.c.id.in_([r["id"] for r in rows]))
                              .values(status="sending", lease_until=lease_until,
                                      attempts=deliveries.c.attempts + 1))
        for r in rows:
            r["attempts"] += 1
            r["status"] = "sending"
            r["lease_until"] = lease_until
        return rows

    def finish(self, row_id: int, attempts: int, values: Mapping[str, Any]) -> bool:
        """Record a claimed delivery's outcome; False if the claim was lost
        (its lease ran out and another run took it)."""
        done = self.conn.execute(update(deliveries).where(
            deliveries.c.id == row_id, deliveries.c.status == "sending",
            deliveries.c.attempts == attempts).values(lease_until=None, **values)).rowcount
        return bool(done)

    def get_meta(self, key: str) -> str | None:
        value = self.conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return str(value) if value is not None else None

    def set_meta(self, key: str, value: str) -> None:
        # One upsert: two dispatchers setting a new key at once both succeed
        # (an update, then an insert, lets the second insert fail on PostgreSQL).
        stmt: Any
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(meta).values(key=key, value=value)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(meta).values(key=key, value=value)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key],
                                                     set_={"value": stmt.excluded.value}))

    def last_event_id(self) -> int:
        return int(self.conn.execute(select(func.max(events.c.id))).scalar() or 0)

    def events_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Events with an id above ``after``, oldest first, with their case's number,
        process and unit."""
        stmt = (select(events, cases.c.number, cases.c.process, cases.c.unit)
                .join(cases, cases.c.id == events.c.case_id)
                .where(events.c.id > after).order_by(events.c.id).limit(limit))
        return [dict(r._mapping) for r in self.conn.execute(stmt)]


def _due(now: datetime, wall: datetime) -> Any:
    """Due by the business clock ``now``; a lease runs out by the real clock ``wall``
    (on a simulated database the business clock may not move for days)."""
    return or_(and_(deliveries.c.status.in_(("pending", "failed")),
                    deliveries.c.next_attempt_at <= now),
               and_(deliveries.c.status == "sending", deliveries.c.lease_until <= wall))


class OutboxStore:
    """The dispatcher's view of the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = is_sqlite(engine)
        # Databases created before deliveries existed get the table on first use.
        deliveries.create(engine, checkfirst=True)

    @contextmanager
    def transaction(self) -> Iterator[OutboxTx]:
        with self.engine.connect() as conn:
            if self._sqlite:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield OutboxTx(conn)

    # -- reads --------------------------------------------------------------

    def outbox_counts(self) -> dict[str, int]:
        """Outbox rows by status."""
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(
                select(outbox.c.status, func.count()).group_by(outbox.c.status))}

    def delivery_counts(self) -> list[tuple[str, str, str, int]]:
        """(channel, kind, status, count) of every delivery."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.channel, deliveries.c.kind, deliveries.c.status, func.count())
                .group_by(deliveries.c.channel, deliveries.c.kind, deliveries.c.status)
                .order_by(deliveries.c.channel, deliveries.c.kind, deliveries.c.status))
            return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    def deliveries(self, *, status: Sequence[str] | None = None, message_id: str | None = None,
                   limit: int | None = None) -> list[dict[str, Any]]:
        """Deliveries, newest first."""
        stmt = select(deliveries).order_by(deliveries.c.id.desc())
        if status is not None:
            stmt = stmt.where(deliveries.c.status.in_(list(status)))
        if message_id is not None:
            stmt = stmt.where(deliveries.c.message_id == message_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def pending_messages(self) -> int:
        """Outbox rows not yet expanded."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)
                                    .where(outbox.c.status == "pending")).scalar() or 0)

    def next_attempt(self) -> datetime | None:
        """When the earliest delivery waiting to be (re)tried is due."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(deliveries.c.next_attempt_at)).where(
                deliveries.c.status.in_(("pending", "failed")))).scalar()

    def cursors(self, prefix: str) -> dict[str, int]:
        """Meta values under ``prefix`` (the webhook cursors), as integers."""
        with self.engine.connect() as conn:
            return {r[0][len(prefix):]: int(r[1]) for r in conn.execute(
                select(meta.c.key, meta.c.value).where(meta.c.key.startswith(prefix)))}

    def last_event_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)

    # -- operator actions ---------------------------------------------------

    def requeue(self, ref: str, now: datetime, wall: datetime | None = None) -> list[str]:
        """Put deliveries back in the queue, due now, attempts counted afresh.

        ``ref`` is a delivery's number, its delivery id, a message id (all its
        deliveries not sent) or ``dead`` (every dead delivery). Returns the
        delivery ids re-queued.
        """
        cond: Any
        if ref == "dead":
            cond = deliveries.c.status == "dead"
        elif ref.isdigit():
            cond = deliveries.c.id == int(ref)
        else:
            cond = or_(deliveries.c.delivery_id == ref, deliveries.c.message_id == ref)
        # A delivery in flight only once its lease ran out (its sender died).
        movable = or_(deliveries.c.status.in_([s for s in REQUEUEABLE if s != "sending"]),
                      and_(deliveries.c.status == "sending",
                           deliveries.c.lease_until <= (wall or now)))
        with self.transaction() as tx:
            ids = list(tx.conn.execute(select(deliveries.c.delivery_id).where(
                cond, movable)).scalars())
            if ids:
                tx.conn.execute(update(deliveries).where(deliveries.c.delivery_id.in_(ids))
                                .values(status="pending", attempts=0, next_attempt_at=now,
                                        lease_until=None))
        return ids
