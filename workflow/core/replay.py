"""Evolve and replay: the state of a case is its events folded in order. Pure.

``evolve`` is the only function that turns an event into a new case, used by
the engine after ``decide`` and by replay, so what the engine stored and what
an inspector replays cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from definitions.compile import CompiledDefinition
from workflow.core.model import Case, Event


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
            # as the chain recorded it: a release hash stays the case's pin after an
            # upgrade (the version knows it as one of its ``known_hashes``)
            definition_hash=str(meta.get("definition_hash") or defn.content_hash),
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
    if event.kind in ("timer", "reminder", "escalation", "reveal"):
        return Case(case.id, case.number, case.process, case.definition_version,
                    case.definition_hash, case.state, case.unit, case.data, event.seq,
                    case.created_at, event.at, case.state_entered_at, case.submitted_by,
                    case.applicant_user, case.duties, case.first_entered, case.campaign,
                    event.hash)
    if event.kind == "migration":
        states = dict(event.meta.get("state_map", {}))
        return replace(
            case, state=event.dest, version=event.seq, updated_at=event.at,
            head_hash=event.hash, definition_version=int(event.meta["to_version"]),
            definition_hash=str(event.meta["to_hash"]),
            first_entered={states.get(k, k): v for k, v in case.first_entered.items()},
            duties=dict(case.duties))
    # Cases are never mutated, so unchanged mappings are shared, not copied.
    duties = case.duties
    duty = _duty_of(defn, event)
    if duty is not None:
        # a substitute's act is a duty done by both people (separation of duties)
        behalf = event.meta.get("on_behalf_of")
        for who in (event.actor, *([str(behalf)] if behalf else [])):
            if who not in duties.get(duty, ()):
                duties = {**duties, duty: (*duties.get(duty, ()), who)}
    first = case.first_entered
    if event.dest not in first:
        first = {**first, event.dest: event.at.isoformat()}
    return Case(case.id, case.number, case.process, case.definition_version,
                case.definition_hash, event.dest, case.unit,
                {**case.data, **event.data} if event.data else case.data, event.seq,
                case.created_at, event.at, event.at, case.submitted_by, case.applicant_user,
                duties, first, case.campaign, event.hash)


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
