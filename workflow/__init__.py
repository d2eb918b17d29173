"""Bangfu's workflow engine: the pure core (decide, authz, replay) and the
Engine shell. What a portal embeds; ``storage.open_engine`` wires it to a
database.
"""

from __future__ import annotations

from definitions.errors import BangfuError

from .clock import Clock, SimulatedClock, SystemClock
from .engine import Engine
from .errors import (
    CaseClosed,
    CaseNotFound,
    ClockError,
    CommandRejected,
    CommentRequired,
    ConcurrencyConflict,
    GuardFailed,
    IdempotencyKeyReused,
    InvalidData,
    InvalidTrigger,
    MissingData,
    PermissionDenied,
    StorageError,
    UnknownUser,
)
from .guards import REGISTRY, GuardContext, guard
from .model import Actor, Case, CommandResult, Event, Fire, Submit, TriggerOption
from .replay import evolve, replay

__all__ = [
    "Actor",
    "BangfuError",
    "Case",
    "CaseClosed",
    "CaseNotFound",
    "Clock",
    "ClockError",
    "CommandRejected",
    "CommandResult",
    "CommentRequired",
    "ConcurrencyConflict",
    "Engine",
    "Event",
    "Fire",
    "GuardContext",
    "GuardFailed",
    "IdempotencyKeyReused",
    "InvalidData",
    "InvalidTrigger",
    "MissingData",
    "PermissionDenied",
    "REGISTRY",
    "SimulatedClock",
    "StorageError",
    "Submit",
    "SystemClock",
    "TriggerOption",
    "UnknownUser",
    "evolve",
    "guard",
    "replay",
]
