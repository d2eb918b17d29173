"""Bangfu's workflow engine: the pure core (decide, authz, replay) and the
Engine shell. What a portal embeds; ``storage.open_engine`` wires it to a
database.
"""

from __future__ import annotations

from definitions.errors import BangfuError

from .calendar import CalendarMissing, WorkingCalendar
from .clock import Clock, SimulatedClock, SystemClock
from .deadlines import DeadlineError
from .engine import Deadline, Engine, FiredTimer
from .errors import (
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
from .guards import REGISTRY, GuardContext, guard
from .model import Actor, Case, CommandResult, Event, Fire, Submit, Timer, TriggerOption
from .replay import evolve, replay

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
