"""Value types of the engine: actors, cases, commands, events, decisions. Pure.

All times are timezone-aware UTC ``datetime``s; money in data is integer fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Substitution:
    """A period in which ``substitute`` acts for ``reviewer`` (on leave): in the
    reviewer's units, with the reviewer's process roles, from ``starts_at`` until
    ``ends_at`` (exclusive; an early end already moved it)."""

    id: int
    reviewer: str
    substitute: str
    starts_at: datetime
    ends_at: datetime
    reason: str

    def active_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone (or the system) acting on cases; ``substitutions`` are the periods in
    which they stand in for someone else (facts the engine loads)."""

    id: str
    name: str
    unit: str
    roles: tuple[str, ...]
    substitutions: tuple[Substitution, ...] = ()

    @property
    def is_system(self) -> bool:
        return self.id == SYSTEM


SYSTEM_ACTOR = Actor(SYSTEM, "系统", "", (SYSTEM,))


@dataclass(frozen=True, slots=True)
class Case:
    """A case as stored: ``version`` is the row version, bumped by every event."""

    id: str
    number: str
    process: str
    definition_version: int
    definition_hash: str
    state: str
    unit: str
    data: Mapping[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    state_entered_at: datetime
    submitted_by: str
    applicant_user: str | None = None
    #: who performed which duty (for separation of duties), and when each state
    #: was first entered (for windows anchored at the first entry)
    duties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    first_entered: Mapping[str, str] = field(default_factory=dict)
    campaign: str | None = None
    #: hash of the last event (the head of the case's chain)
    head_hash: str = ""


@dataclass(frozen=True, slots=True)
class Submit:
    """Open a new case."""

    process: str
    actor: str
    data: Mapping[str, Any]
    unit: str | None = None
    comment: str | None = None
    idempotency_key: str | None = None
    process_version: int | None = None
    campaign: str | None = None


@dataclass(frozen=True, slots=True)
class Fire:
    """Fire ``trigger`` on a case (by id or case number)."""

    case: str
    trigger: str
    actor: str
    data: Mapping[str, Any] = field(default_factory=dict)
    comment: str | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None


Command = Submit | Fire

#: submitted: a case opened; transition: a state change (by a user or, with
#: ``meta.timer``, by a timer); timer: a timer whose trigger was refused;
#: reminder / escalation: a deadline message was sent
EventKind = Literal["submitted", "transition", "timer", "reminder", "escalation",
                    "migration", "reveal"]


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a case's history (``seq`` counts from 1; after it the case
    is at row version ``seq``)."""

    case_id: str
    seq: int
    at: datetime
    kind: EventKind
    actor: str
    role: str | None
    trigger: str
    source: str | None
    dest: str
    data: Mapping[str, Any]
    comment: str | None
    definition_version: int
    idempotency_key: str | None = None
    request_hash: str | None = None
    #: kind-specific facts; a submission records number, unit and applicant
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: the hash chain (workflow.core.chain): the previous event's hash and this one's
    prev_hash: str = ""
    hash: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """A notification to send after commit (written to the outbox with the event)."""

    kind: str
    recipient: str
    context: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Timer:
    """A timer row as stored."""

    id: int
    case_id: str
    spec_id: str
    scope: str
    state: str | None
    kind: str
    due_at: datetime
    deadline_at: datetime
    trigger: str | None
    seq: int
    status: str
    created_at: datetime
    fired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the pure core decided: the event to append and the case after it,
    the timers to create and cancel, and the messages to send."""

    event: Event
    case: Case
    previous_version: int | None
    timers: tuple[Any, ...] = ()
    cancel_state_timers: bool = False
    cancel_case_timers: bool = False
    messages: tuple[Message, ...] = ()
    #: the timer this decision consumes (marked fired in the same transaction)
    fired_timer: int | None = None
    #: a new case's household key (normalised applicant ID number)
    household: str | None = None
    #: budget ledger rows booked with the event (``workflow.core.budget.Entry``)
    ledger: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command answers; a replayed idempotent command answers the same."""

    case_id: str
    case_number: str
    state: str
    version: int
    event: Event
    replayed: bool = False
    #: the case after the command (None only for a replayed command whose case is gone)
    case: Case | None = None


@dataclass(frozen=True, slots=True)
class TriggerOption:
    """Whether an actor may fire a trigger now, and if not, why."""

    trigger: str
    label: str
    allowed: bool
    dest: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    comment_required: bool = False
    required: tuple[str, ...] = ()
