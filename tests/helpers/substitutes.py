"""Substitutes for the tests: a period as the core sees it, an actor standing in for a
reviewer, and a period recorded through the service."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any

from definitions import Org
from tests.helpers.cases import START
from workflow import Actor, Engine
from workflow.core.model import Substitution

NOW = START.astimezone(UTC)


def period(reviewer: str, substitute: str, days: float = 10, *, start_in: float = 0,
           ident: int = 1) -> Substitution:
    """A period from ``start_in`` days after START, lasting ``days``."""
    begins = NOW + timedelta(days=start_in)
    return Substitution(ident, reviewer, substitute, begins, begins + timedelta(days=days),
                        "休假")


def org_actor(org: Org, user: str, *periods: Substitution) -> Actor:
    """An org user as an actor, standing in during ``periods``."""
    spec = org.users[user]
    return replace(Actor(spec.id, spec.name, spec.unit, spec.roles), substitutions=periods)


def stand_in(engine: Engine, reviewer: str, substitute: str, *, starts: str = "2027-01-04",
             ends: str = "2027-01-20", by: str | None = None,
             reason: str = "休产假") -> dict[str, Any]:
    """Record through the service that ``substitute`` stands in for ``reviewer``."""
    from workflow.services.org import add_substitute

    return add_substitute(engine, by or reviewer, reviewer, substitute, starts, ends, reason)
