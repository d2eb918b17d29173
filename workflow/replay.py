"""Evolve and replay: the state of a case is its events folded in order. Pure.

``evolve`` is the only function that turns an event into a new case, used by
the engine after ``decide`` and by replay, so what the engine stored and what
an inspector replays cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from definitions.compile import CompiledDefinition

from .model import Case, Event


def _duty_of(defn: CompiledDefinition, event: Event) -> str | None:
    if event.source is None:
        return None
    for spec in defn.by_trigger_source.get((event.trigger, event.source), ()):
        if spec.dest == event.dest and spec.duty is not None:
            return spec.duty
    return None


def evolve(defn: CompiledDefinition, case: Case | None, event: Event) -> Case:
    """The case after ``event``; ``case`` is None for the submission event."""
    if case is None:
        if event.kind != "submitted" or event.seq != 1:
            raise ValueError(f"case '{event.case_id}' must start with a submission event")
        meta = event.meta
        return Case(
            id=event.case_id,
            number=str(meta["number"]),
            process=defn.process,
            definition_version=defn.version,
            definition_hash=defn.content_hash,
            state=event.dest,
            unit=str(meta["unit"]),
            data=dict(event.data),
            version=1,
            created_at=event.at,
            updated_at=event.at,
            state_entered_at=event.at,
            submitted_by=event.actor,
            applicant_user=meta.get("applicant_user"),
            duties={},
            first_entered={event.dest: event.at.isoformat()},
            campaign=meta.get("campaign"),
            head_hash=event.hash,
        )
    if event.seq != case.version + 1:
        raise ValueError(f"event {event.seq} of case '{case.number}' does not follow "
                         f"version {case.version}")
    if event.kind in ("timer", "reminder", "escalation"):
        return replace(case, version=event.seq, updated_at=event.at, head_hash=event.hash)
    if event.kind == "migration":
        states = dict(event.meta.get("state_map", {}))
        return replace(
            case, state=event.dest, version=event.seq, updated_at=event.at,
            head_hash=event.hash, definition_version=int(event.meta["to_version"]),
            definition_hash=str(event.meta["to_hash"]),
            first_entered={states.get(k, k): v for k, v in case.first_entered.items()},
            duties=dict(case.duties))
    duties = dict(case.duties)
    duty = _duty_of(defn, event)
    if duty is not None and event.actor not in duties.get(duty, ()):
        duties[duty] = (*duties.get(duty, ()), event.actor)
    first = dict(case.first_entered)
    if event.dest not in first:
        first[event.dest] = event.at.isoformat()
    return Case(
        id=case.id,
        number=case.number,
        process=case.process,
        definition_version=case.definition_version,
        definition_hash=case.definition_hash,
        state=event.dest,
        unit=case.unit,
        data={**case.data, **event.data},
        version=event.seq,
        created_at=case.created_at,
        updated_at=event.at,
        state_entered_at=event.at,
        submitted_by=case.submitted_by,
        applicant_user=case.applicant_user,
        duties=duties,
        first_entered=first,
        campaign=case.campaign,
        head_hash=event.hash,
    )


def replay(defn: CompiledDefinition, events: Iterable[Event]) -> Case:
    """Fold ``events`` (in order) from nothing, all under one definition."""
    case: Case | None = None
    for event in events:
        case = evolve(defn, case, event)
    if case is None:
        raise ValueError("no events to replay")
    return case


Resolver = Callable[[int, str | None], CompiledDefinition]


def replay_pinned(resolve: Resolver, events: Iterable[Event]) -> Case:
    """Fold events, each under the definition version the case was on when it
    happened (a migration event switches version)."""
    case: Case | None = None
    for event in events:
        if case is None:
            defn = resolve(event.definition_version, event.meta.get("definition_hash"))
        else:
            defn = resolve(case.definition_version, case.definition_hash)
        case = evolve(defn, case, event)
    if case is None:
        raise ValueError("no events to replay")
    return case
