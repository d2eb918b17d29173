"""The tables, as SQLModel models. Rows are built only from validated domain
objects (``table=True`` models do not validate), and the command path writes
them with SQLAlchemy Core statements on these tables (see ``sql.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, Column, DateTime, Index, String, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

#: ``bangfu_meta.schema_version``: '1' was the release before migrations; since
#: then the schema's revision is Alembic's (``alembic_version``, ``storage.schema``)
SCHEMA_VERSION = "2"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, stored in UTC on every backend.

    PostgreSQL gets ``timestamptz``. SQLite has no date type: there the value
    is ISO 8601 text with microseconds and ``+00:00``, which sorts correctly
    and parses with the C ``fromisoformat`` (SQLAlchemy's own SQLite DATETIME
    parses with a regular expression, several times slower on the hot path).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.isoformat(timespec="microseconds") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        moment = cast(datetime, value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _dt(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


#: Case ids sort byte by byte on every backend, as SQLite and Python compare
#: them: ``iter_histories`` merges the case and event streams in Python, and
#: checkpoints list heads in id order. PostgreSQL would otherwise sort by the
#: database's locale; with "C" the primary key and ``(case_id, seq)`` indexes
#: serve those orders directly.
CASE_ID = String(32).with_variant(String(32, collation="C"), "postgresql")


def _case_id(foreign_key: str | None = "cases.id", nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, foreign_key=foreign_key, sa_type=CASE_ID, nullable=True)
    return Field(foreign_key=foreign_key, sa_type=CASE_ID)


class MetaRow(SQLModel, table=True):
    __tablename__ = "bangfu_meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str


class CounterRow(SQLModel, table=True):
    __tablename__ = "counters"
    name: str = Field(primary_key=True, max_length=32)
    value: int


class DefinitionRow(SQLModel, table=True):
    __tablename__ = "definitions"
    process: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    #: over what the file says (``definitions.hashing.source_hash`` of ``body``)
    content_hash: str = Field(max_length=64)
    #: what the file says; for a version release 9dd431c stored, its model dump
    body: dict[str, Any] = _json()
    registered_at: datetime = _dt()
    #: the administrator who registered the version (``init:<os user>`` for the first)
    registered_by: str = Field(default="", max_length=64)
    #: the hash release 9dd431c stored the version under (over the parsed model),
    #: verified against ``body`` by revision 0002; cases pinned to it are on this version
    legacy_hash: str | None = Field(default=None, max_length=64)


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_process_state", "process", "state"),
                      Index("ix_cases_household_campaign", "household", "campaign"))
    id: str = Field(primary_key=True, sa_type=CASE_ID)
    number: str = Field(sa_column=Column(String(32), unique=True, nullable=False))
    process: str = Field(max_length=64)
    definition_version: int
    definition_hash: str = Field(max_length=64)
    state: str = Field(max_length=64)
    unit: str = Field(max_length=64, index=True)
    applicant_user: str | None = Field(default=None, max_length=64, index=True)
    submitted_by: str = Field(max_length=64)
    data: dict[str, Any] = _json()
    duties: dict[str, Any] = _json()
    first_entered: dict[str, Any] = _json()
    version: int
    created_at: datetime = _dt()
    updated_at: datetime = _dt()
    state_entered_at: datetime = _dt()
    campaign: str | None = Field(default=None, max_length=64, index=True)
    head_hash: str = Field(default="", max_length=64)
    #: the applicant's normalised ID number: one household, one claim per campaign
    household: str | None = Field(default=None, max_length=32)


class EventRow(SQLModel, table=True):
    """Append-only: the engine inserts events and never updates or deletes one."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = _case_id()
    seq: int
    at: datetime = _dt()
    kind: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    role: str | None = Field(default=None, max_length=64)
    trigger: str = Field(max_length=64)
    source: str | None = Field(default=None, max_length=64)
    dest: str = Field(max_length=64)
    data: dict[str, Any] = _json()
    comment: str | None = None
    definition_version: int
    idempotency_key: str | None = Field(
        default=None, sa_column=Column(String(128), unique=True, nullable=True))
    request_hash: str | None = Field(default=None, max_length=64)
    meta: dict[str, Any] = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class LedgerRow(SQLModel, table=True):
    """The budget ledger: written in the transaction of the event that causes it."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_campaign_line", "campaign", "line"),
                      Index("ix_ledger_case", "case_id"))
    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(max_length=64)
    line: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    amount_fen: int
    case_id: str | None = _case_id(nullable=True)
    event_seq: int | None = None
    at: datetime = _dt()
    note: str | None = None


class CheckpointRow(SQLModel, table=True):
    """A hash over the heads of all case chains at one moment, chained to the
    previous checkpoint: deleting a whole case (or a checkpoint) shows."""

    __tablename__ = "checkpoints"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _dt()
    cases: int
    events: int
    heads: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    #: the user (with a platform role granting ``checkpoint``) who took it
    made_by: str = Field(default="", max_length=64)
    #: HMAC of ``hash`` with the inspectors' key (``BANGFU_CHECKPOINT_KEY``), if one was set
    signature: str | None = Field(default=None, max_length=64)


class TokenRow(SQLModel, table=True):
    """An API token of one user: only its SHA-256 is kept (the token is shown once)."""

    __tablename__ = "tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64, index=True)
    digest: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    #: the first characters, to tell tokens apart in a list
    prefix: str = Field(max_length=16)
    label: str | None = Field(default=None, max_length=200)
    created_at: datetime = _dt()
    created_by: str = Field(max_length=64)
    expires_at: datetime = _dt()
    revoked_at: datetime | None = _dt(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=64)
    last_used_at: datetime | None = _dt(nullable=True)


class PasswordRow(SQLModel, table=True):
    """A user's page-login password: only its argon2 hash is kept."""

    __tablename__ = "passwords"
    user_id: str = Field(primary_key=True, max_length=64)
    hash: str = Field(max_length=255)
    set_at: datetime = _dt()
    set_by: str = Field(max_length=64)


class SessionRow(SQLModel, table=True):
    """A page session: the cookie holds a random id, the row only its SHA-256. It ends
    at ``expires_at``, after an idle spell, or on logout (the row is deleted)."""

    __tablename__ = "sessions"
    digest: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=64, index=True)
    #: the session's CSRF token, echoed by every form of its pages
    csrf: str = Field(max_length=64)
    created_at: datetime = _dt()
    last_seen_at: datetime = _dt()
    expires_at: datetime = _dt()
    #: how the user proved who they are: 'password' or 'token'
    method: str = Field(max_length=16)


class SubstitutionRow(SQLModel, table=True):
    """A reviewer's substitute for a period (``workflow.core.substitutes``): who named
    them and when, and an early end with who and why. Rows are never deleted; events a
    substitute wrote name the row's id (``meta.substitution``) and verify holds them
    to it. (Its Alembic migration comes with the migrations.)"""

    __tablename__ = "substitutions"
    __table_args__ = (Index("ix_substitutions_substitute", "substitute"),
                      Index("ix_substitutions_reviewer", "reviewer"))
    id: int | None = Field(default=None, primary_key=True)
    reviewer: str = Field(max_length=64)
    substitute: str = Field(max_length=64)
    starts_at: datetime = _dt()
    #: the planned end (exclusive); an early end is ``ended_at``
    ends_at: datetime = _dt()
    reason: str = Field(max_length=2000)
    created_at: datetime = _dt()
    created_by: str = Field(max_length=64)
    #: the operating-system account of a console command
    operator: str | None = Field(default=None, max_length=128)
    ended_at: datetime | None = _dt(nullable=True)
    ended_by: str | None = Field(default=None, max_length=64)
    end_reason: str | None = Field(default=None, max_length=2000)


class TimerRow(SQLModel, table=True):
    """A durable timer: written with the transition that creates it, cancelled
    with the one that makes it moot, and marked fired in the same transaction
    as what it does. The table, not the scheduler, is the source of truth."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_status_due", "status", "due_at"),
                      Index("ix_timers_case_status", "case_id", "status"))
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = _case_id()
    spec_id: str = Field(max_length=64)
    scope: str = Field(max_length=8)
    state: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=16)
    due_at: datetime = _dt()
    deadline_at: datetime = _dt()
    trigger: str | None = Field(default=None, max_length=64)
    seq: int = 0
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = _dt()
    fired_at: datetime | None = _dt(nullable=True)
    #: why firing failed (status "failed"); such a timer waits for an operator
    error: str | None = None


class OutboxRow(SQLModel, table=True):
    """A message to send, written in the transaction of the event that causes
    it; ``message_id`` is stable so receivers can de-duplicate."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(sa_column=Column(String(96), unique=True, nullable=False))
    case_id: str = _case_id()
    event_seq: int
    kind: str = Field(max_length=32)
    recipient: str = Field(max_length=64)
    context: dict[str, Any] = _json()
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    created_at: datetime = _dt()
    sent_at: datetime | None = _dt(nullable=True)
    last_error: str | None = None



class DeliveryRow(SQLModel, table=True):
    """One message over one channel to one address: what the dispatcher sends,
    retries and dead-letters (``notifications``). ``delivery_id`` is stable and
    unique, so expanding the same outbox row twice adds nothing and receivers
    can de-duplicate. Rows for portal webhooks and daily digests have no outbox
    row; their ``context`` is the payload or the digest's snapshot.

    ``status``: pending → sending (claimed, with a lease) → sent, or failed
    (to be retried at ``next_attempt_at``) → dead after the last attempt;
    digested: folded into the recipient's daily digest, never sent alone.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_attempt_at"),
                      Index("ix_deliveries_recipient", "recipient", "kind"))
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(sa_column=Column(String(240), unique=True, nullable=False))
    message_id: str = Field(max_length=160, index=True)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    case_id: str | None = _case_id(None, nullable=True)
    kind: str = Field(max_length=32)
    channel: str = Field(max_length=64)
    recipient: str | None = Field(default=None, max_length=64)
    #: e-mail address, phone, user id (console) or the channel (robots,
    #: webhooks); never a URL, which may carry a robot's key
    address: str = Field(max_length=320)
    context: dict[str, Any] = _json()
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _dt()
    lease_until: datetime | None = _dt(nullable=True)
    created_at: datetime = _dt()
    sent_at: datetime | None = _dt(nullable=True)
    last_error: str | None = None


metadata = SQLModel.metadata
cases = CaseRow.__table__  # type: ignore[attr-defined]
events = EventRow.__table__  # type: ignore[attr-defined]
counters = CounterRow.__table__  # type: ignore[attr-defined]
meta = MetaRow.__table__  # type: ignore[attr-defined]
definitions = DefinitionRow.__table__  # type: ignore[attr-defined]
timers = TimerRow.__table__  # type: ignore[attr-defined]
outbox = OutboxRow.__table__  # type: ignore[attr-defined]
checkpoints = CheckpointRow.__table__  # type: ignore[attr-defined]
ledger = LedgerRow.__table__  # type: ignore[attr-defined]
tokens = TokenRow.__table__  # type: ignore[attr-defined]
substitutions = SubstitutionRow.__table__  # type: ignore[attr-defined]
deliveries = DeliveryRow.__table__  # type: ignore[attr-defined]
passwords = PasswordRow.__table__  # type: ignore[attr-defined]
sessions = SessionRow.__table__  # type: ignore[attr-defined]
