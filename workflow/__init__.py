"""Bangfu's workflow engine: the pure core (decide, authz, replay) and the
Engine shell. What a portal embeds; ``storage.open_engine`` wires it to a
database.
"""

from __future__ import annotations

from definitions.errors import BangfuError
from workflow.clock import Clock, SimulatedClock, SystemClock
from workflow.core.calendar import CalendarMissing, WorkingCalendar
from workflow.core.deadlines import DeadlineError
from workflow.core.guards import GuardContext
from workflow.core.model import (
    Actor,
    Case,
    CommandResult,
    Event,
    Fire,
    Submit,
    Timer,
    TriggerOption,
)
from workflow.core.registry import REGISTRY, guard
from workflow.core.replay import evolve, replay
from workflow.engine import Deadline, Engine, FiredTimer
from workflow.errors import (
    CampaignError,
    CaseClosed,
    CaseNotFound,
    ClockError,
    CommandRejected,
    CommentRequired,
    ConcurrencyConflict,
    DoubleRelief,
    GuardFailed,
    IdempotencyKeyReused,
    InvalidData,
    InvalidTrigger,
    MissingData,
    MissingDocuments,
    PermissionDenied,
    StorageError,
    UnknownUser,
)

__all__ = [
    "Actor",
    "BangfuError",
    "CalendarMissing",
    "CampaignError",
    "Case",
    "CaseClosed",
    "CaseNotFound",
    "Clock",
    "ClockError",
    "CommandRejected",
    "CommandResult",
    "CommentRequired",
    "ConcurrencyConflict",
    "Deadline",
    "DeadlineError",
    "DoubleRelief",
    "Engine",
    "Event",
    "Fire",
    "FiredTimer",
    "GuardContext",
    "GuardFailed",
    "IdempotencyKeyReused",
    "InvalidData",
    "InvalidTrigger",
    "MissingData",
    "MissingDocuments",
    "PermissionDenied",
    "REGISTRY",
    "SimulatedClock",
    "StorageError",
    "Submit",
    "SystemClock",
    "Timer",
    "TriggerOption",
    "UnknownUser",
    "WorkingCalendar",
    "evolve",
    "guard",
    "replay",
]
