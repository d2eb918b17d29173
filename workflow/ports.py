"""What the engine needs from the outside world, as Protocols.

``storage.sql`` implements them for SQLAlchemy URLs; the contract tests in
``tests/storage`` run against every backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from definitions.compile import CompiledDefinition
from workflow.core.model import Case, Decision, Event, Substitution, Timer


class FactSource(Protocol):
    """What the facts of a decision are read from: a command's unit of work, or a
    read of the store when a user asks what they may do (``CaseStore.reading``)."""

    def household_cases(self, household: str, *, campaign: str | None = None,
                        process: str | None = None, exclude: str | None = None) -> list[Case]:
        """Cases of the same household (normalised applicant ID), of every process
        and department, narrowed to a campaign and/or a process when given."""
        ...

    def budget_totals(self, campaign: str) -> dict[str, dict[str, int]]:
        """Budget line → {reserve, release, spend} sums, inside the transaction."""
        ...

    def held_by_case(self, case_id: str) -> dict[str, int]:
        """Budget line → what the case still holds reserved."""
        ...

    def substitutions_of(self, user: str) -> list[Substitution]:
        """The periods in which ``user`` stands in for a reviewer (not ended before
        they began), oldest first: the facts of what a substitute may do."""
        ...

    def substitution_rows(self, user: str | None = None,
                          ident: int | None = None) -> list[dict[str, Any]]:
        """Substitution rows as stored (of ``user`` as reviewer or substitute, or the
        one with id ``ident``), oldest start first."""
        ...

    def substitutions_at(self, at: datetime) -> list[Substitution]:
        """The periods running at ``at``: who is told what their reviewer would be."""
        ...


class UnitOfWork(FactSource, Protocol):
    """One write transaction; everything in it commits together or not at all."""

    def load_case(self, ref: str) -> Case | None:
        """The case with this id or case number, read inside the transaction."""
        ...

    def find_by_idempotency_key(self, key: str) -> Event | None:
        """The event recorded under ``key``, if any."""
        ...

    def next_number(self, prefix: str) -> int:
        """The next sequence number of case numbers with ``prefix`` (1, 2, ...)."""
        ...

    def claim_due(self, now: datetime, limit: int = 1) -> list[Timer]:
        """The oldest pending timers due by ``now``, locked for this transaction
        (skipping rows another worker holds, where the database can)."""
        ...

    def add_ledger(self, campaign: str, case_id: str, seq: int, at: datetime,
                   entries: Sequence[Any]) -> None:
        """Write budget ledger rows with the event."""
        ...

    def add_substitution(self, **values: Any) -> int:
        """Record a substitute's period (the columns of ``substitutions``); its id."""
        ...

    def end_substitution(self, ident: int, at: datetime, by: str, reason: str | None) -> bool:
        """End a period early at ``at``; False if it was ended already."""
        ...

    def fail_timer(self, timer_id: int, at: datetime, error: str) -> None:
        """Mark a pending timer failed (it cannot fire; an operator must look)."""
        ...

    def append(self, decision: Decision) -> None:
        """Write the decision's event and case.

        Raises:
            ConcurrencyConflict: the case's row version is no longer
                ``decision.previous_version`` (someone else wrote first), or
                the timer the decision consumes was already fired.

        Also cancels, creates and marks fired the decision's timers and
        writes its messages to the outbox, in the same transaction.
        """
        ...


class CaseStore(Protocol):
    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        """A write transaction that serialises with other writers of the same case."""
        ...

    def reading(self) -> AbstractContextManager[FactSource]:
        """A read-only transaction to read a decision's facts in (nothing locked)."""
        ...

    def get_case(self, ref: str) -> Case | None:
        """The case with this id or case number."""
        ...

    def list_cases(self, *, process: str | None = None, states: Sequence[str] | None = None,
                   units: Sequence[str] | None = None, applicant_user: str | None = None,
                   limit: int | None = None, offset: int = 0) -> list[Case]:
        """Cases matching every given filter, oldest first."""
        ...

    def iter_cases(self, batch: int = 1000) -> Iterator[Case]:
        """Every case, streamed."""
        ...

    def history(self, case_id: str) -> list[Event]:
        """The case's events in order."""
        ...

    def register_definition(self, definition: CompiledDefinition, at: datetime) -> None:
        """Remember a definition version so cases pinned to it can always be read.

        Raises:
            DefinitionVersionConflict: the same (process, version) is already
                registered with another content hash.
        """
        ...

    def register_definitions(self, found: Iterable[CompiledDefinition], at: datetime,
                             registered_by: str = "") -> list[dict[str, Any]]:
        """Register the versions of ``found`` not yet known, in one transaction, each with
        who registered it; returns every registered row.

        Raises:
            DefinitionVersionConflict: a version already registered with other content.
        """
        ...

    def stored_definitions(self) -> list[dict[str, Any]]:
        """Every registered definition body (for versions no longer on disk)."""
        ...

    def read_meta(self) -> dict[str, str] | None:
        """Every engine setting (``bangfu_meta``); None when the database has no
        Bangfu tables."""
        ...

    def next_due(self) -> datetime | None:
        """The due time of the earliest pending timer."""
        ...

    def timers(self, case_id: str | None = None, *, status: Sequence[str] | None = None,
               units: Sequence[str] | None = None) -> list[Timer]:
        """Timers of one case, or of the cases in ``units``, in due order."""
        ...

    def substitutions_of(self, user: str) -> list[Substitution]:
        """``FactSource.substitutions_of``, read on its own."""
        ...

    def substitution_rows(self, user: str | None = None,
                          ident: int | None = None) -> list[dict[str, Any]]:
        """``FactSource.substitution_rows``, read on its own."""
        ...

    def get_meta(self, key: str) -> str | None:
        """The stored value of an engine setting (clock, org, schema), or None."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store an engine setting, in its own transaction."""
        ...

    def swap_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Store ``value`` only if the setting still holds ``expected`` (None: absent).

        Returns:
            True if this call wrote it; False if another writer changed it first.
        """
        ...

    def count_cases(self) -> int:
        """How many cases the store holds."""
        ...

    def budget_report(self, campaign: str) -> dict[str, dict[str, int]]:
        """Budget line → {reserve, release, spend} sums of a campaign's ledger."""
        ...

    def ledger_by_case(self, campaign: str) -> dict[str, dict[str, int]]:
        """Case id → {reserve, release, spend} sums of a campaign's ledger."""
        ...


class OutboxTransaction(Protocol):
    """One write transaction of the notification dispatcher."""

    def pending_messages(self, limit: int) -> list[dict[str, Any]]:
        """The oldest outbox rows not yet expanded into deliveries, locked."""
        ...

    def mark_messages(self, ids: Sequence[int], status: str, error: str | None = None) -> None:
        """Set the status (and last error) of outbox rows."""
        ...

    def add_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert deliveries whose ``delivery_id`` is new; how many were new."""
        ...

    def due_channels(self, now: datetime, wall: datetime | None = None) -> dict[str, int]:
        """Channel → number of deliveries due by ``now`` (leases run out by ``wall``)."""
        ...

    def claim_due(self, now: datetime, channel: str, limit: int,
                  lease_until: datetime, wall: datetime | None = None) -> list[dict[str, Any]]:
        """Take up to ``limit`` due deliveries of ``channel`` until ``lease_until``;
        a lease runs on the real clock (``wall``), due times on the business clock."""
        ...

    def finish(self, row_id: int, attempts: int, values: Mapping[str, Any]) -> bool:
        """Record a claimed delivery's outcome; False if the claim was lost."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A stored setting, read inside the transaction."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting inside the transaction."""
        ...

    def last_event_id(self) -> int:
        """The highest event id (0 if none)."""
        ...

    def events_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Events above ``after``, oldest first, with their case's number, process and unit."""
        ...


class Outbox(Protocol):
    """What the notification dispatcher reads and writes (``storage.outbox`` implements it)."""

    def transaction(self) -> AbstractContextManager[OutboxTransaction]:
        """One write transaction."""
        ...

    def outbox_counts(self) -> dict[str, int]:
        """Outbox rows by status."""
        ...

    def delivery_counts(self) -> list[tuple[str, str, str, int]]:
        """(channel, kind, status, count) of every delivery."""
        ...

    def deliveries(self, *, status: Sequence[str] | None = None, message_id: str | None = None,
                   limit: int | None = None) -> list[dict[str, Any]]:
        """Deliveries, newest first."""
        ...

    def pending_messages(self) -> int:
        """Outbox rows not yet expanded."""
        ...

    def next_attempt(self) -> datetime | None:
        """When the earliest delivery waiting to be (re)tried is due."""
        ...

    def cursors(self, prefix: str) -> dict[str, int]:
        """Meta values under ``prefix`` (the webhook cursors), as integers."""
        ...

    def last_event_id(self) -> int:
        """The highest event id (0 if none)."""
        ...

    def requeue(self, ref: str, now: datetime, wall: datetime | None = None) -> list[str]:
        """Put deliveries back in the queue, due now; the delivery ids re-queued."""
        ...


class TokenStore(Protocol):
    """Where API tokens are kept: by their SHA-256 only."""

    def add(self, *, user_id: str, digest: str, prefix: str, label: str | None,
            created_at: datetime, created_by: str, expires_at: datetime) -> int:
        """Store a new token; returns its id."""
        ...

    def by_digest(self, digest: str) -> dict[str, Any] | None:
        """The token whose SHA-256 is ``digest``, or None."""
        ...

    def listed(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Every token (of one user), oldest first."""
        ...

    def revoke(self, token_id: int, at: datetime, by: str) -> bool:
        """Revoke a token; False if there is no such live token."""
        ...

    def used(self, token_id: int, at: datetime) -> None:
        """Note when a token was last used."""
        ...


class LoginStore(Protocol):
    """Where page logins are kept: users' password hashes (argon2, never the password)
    and page sessions by the SHA-256 of their id (never the id the cookie holds)."""

    def set_password(self, user_id: str, hashed: str, at: datetime, by: str) -> None:
        """Store (or replace) ``user_id``'s password hash."""
        ...

    def password_hash(self, user_id: str) -> str | None:
        """The user's password hash, or None when none was set."""
        ...

    def add_session(self, *, digest: str, user_id: str, csrf: str, created_at: datetime,
                    expires_at: datetime, method: str) -> None:
        """Store a new session."""
        ...

    def session(self, digest: str) -> dict[str, Any] | None:
        """The session whose id hashes to ``digest`` (its columns), or None."""
        ...

    def touch_session(self, digest: str, at: datetime) -> None:
        """Note that the session was used at ``at`` (its idle time starts again)."""
        ...

    def end_session(self, digest: str) -> bool:
        """Delete the session; False if there was none."""
        ...

    def end_sessions_of(self, user_id: str) -> int:
        """Delete every session of a user (a new password ends them); returns how many."""
        ...

    def purge_sessions(self, before: datetime) -> int:
        """Delete the sessions that expired before ``before``; returns how many."""
        ...
