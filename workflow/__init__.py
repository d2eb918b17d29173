"""Bangfu's workflow engine: what a portal embeds. The pure core (decide, authz,
replay) and the Engine shell; ``workflow.bootstrap.open_engine`` wires it to a
database.

The names below are loaded when first used, so that importing one module of
the package (the CLI's start-up, a portal reading one type) does not load the
engine, the state machines and SQL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: public name → the module that defines it
_WHERE: dict[str, str] = {
    "Actor": "workflow.core.model",
    "BangfuError": "definitions.errors",
    "CalendarMissing": "workflow.core.calendar",
    "CampaignError": "workflow.errors",
    "Case": "workflow.core.model",
    "CaseClosed": "workflow.errors",
    "CaseNotFound": "workflow.errors",
    "Clock": "workflow.clock",
    "ClockError": "workflow.errors",
    "CommandRejected": "workflow.errors",
    "CommandResult": "workflow.core.model",
    "CommentRequired": "workflow.errors",
    "ConcurrencyConflict": "workflow.errors",
    "Deadline": "workflow.engine",
    "DeadlineError": "workflow.core.deadlines",
    "DoubleRelief": "workflow.errors",
    "Engine": "workflow.engine",
    "Event": "workflow.core.model",
    "Fire": "workflow.core.model",
    "FiredTimer": "workflow.engine",
    "GuardContext": "workflow.core.guards",
    "GuardFailed": "workflow.errors",
    "IdempotencyKeyReused": "workflow.errors",
    "InvalidData": "workflow.errors",
    "InvalidTrigger": "workflow.errors",
    "MissingData": "workflow.errors",
    "MissingDocuments": "workflow.errors",
    "PermissionDenied": "workflow.errors",
    "REGISTRY": "workflow.core.registry",
    "SimulatedClock": "workflow.clock",
    "StorageError": "workflow.errors",
    "Submit": "workflow.core.model",
    "SystemClock": "workflow.clock",
    "Timer": "workflow.core.model",
    "TriggerOption": "workflow.core.model",
    "UnknownUser": "workflow.errors",
    "WorkingCalendar": "workflow.core.calendar",
    "evolve": "workflow.core.replay",
    "guard": "workflow.core.registry",
    "replay": "workflow.core.replay",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'workflow' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
