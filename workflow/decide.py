"""decide(): may this actor do this to this case now, and what happens? Pure.

Returns a ``Decision`` (the event to append and the case after it) or raises a
``CommandRejected`` saying exactly why not. Touches no database, file, network
or clock: ``now`` and the new case's id and number come in as arguments.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from definitions.compile import CompiledDefinition
from definitions.org import Org
from definitions.schema import TransitionSpec

from .authz import Refusal, authorize, conflicted, role_reaches
from .data import check_data, field_label
from .errors import (
    CaseClosed,
    CommentRequired,
    ConcurrencyConflict,
    GuardFailed,
    InvalidData,
    InvalidTrigger,
    MissingData,
    PermissionDenied,
)
from .guards import GuardContext
from .machine import CompiledMachine
from .model import Actor, Case, Decision, Event, Fire, Submit, TriggerOption
from .replay import evolve


def request_hash(command: Submit | Fire) -> str:
    """A stable digest of what a command asks, to tell a retry from a reuse of its key."""
    if isinstance(command, Submit):
        body: dict[str, Any] = {"kind": "submit", "process": command.process,
                                "unit": command.unit, "version": command.process_version}
    else:
        body = {"kind": "fire", "case": command.case, "trigger": command.trigger}
    body.update(actor=command.actor, data=dict(command.data), comment=command.comment)
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _missing(defn: CompiledDefinition, required: tuple[str, ...],
             data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(f, field_label(defn, f)) for f in required if data.get(f) in (None, "")]


def _pick_refusal(refusals: list[Refusal]) -> Refusal:
    """A refusal other than 'wrong role' says more, so it wins."""
    for r in refusals:
        if r.reason != "role":
            return r
    return refusals[0]


def decide_submit(defn: CompiledDefinition, org: Org, actor: Actor, command: Submit,
                  now: datetime, case_id: str, number: str) -> Decision:
    """Open a case in the definition's initial state."""
    spec = defn.spec
    roles = [r for r in spec.submit.roles if r in actor.roles]
    if not roles:
        allowed = "、".join(defn.role_label(r) for r in spec.submit.roles)
        raise PermissionDenied(
            "role", f"user '{actor.id}' may not open a '{defn.process}' case; allowed roles: "
            f"{', '.join(defn.role_label(r, 'en') for r in spec.submit.roles)}",
            f"用户 '{actor.id}' 无权提交「{spec.labels.zh}」；有权提交的角色：{allowed}")
    unit = command.unit or actor.unit
    if unit not in org.units:
        raise InvalidData([("unit", f"unknown unit '{unit}'", f"未知的单位 '{unit}'")])
    if org.children(unit):
        raise InvalidData([("unit", f"unit '{unit}' is not a village or community; a case is "
                            "filed where the household lives",
                            f"「{org.unit_label(unit)}」不是村或社区，案件应在申请人所在的村（社区）提交")])
    own_roles = [r for r in roles if spec.roles[r].scope == "own"]
    reaching = [r for r in roles if r not in own_roles and role_reaches(defn, org, r, actor, unit, None)]
    applicant_user: str | None = None
    if reaching:
        role = reaching[0]
    elif own_roles and unit == actor.unit:
        role, applicant_user = own_roles[0], actor.id
    else:
        raise PermissionDenied(
            "jurisdiction", f"user '{actor.id}' may not open a case for '{org.unit_path(unit, 'en')}'",
            f"用户 '{actor.id}' 无权为「{org.unit_path(unit)}」提交申请")
    check_data(defn, command.data)
    missing = _missing(defn, spec.submit.required, command.data)
    if missing:
        raise MissingData("(new)", "submit", missing)
    event = Event(
        case_id=case_id, seq=1, at=now, kind="submitted", actor=actor.id, role=role,
        trigger="submit", source=None, dest=defn.initial, data=dict(command.data),
        comment=command.comment, definition_version=defn.version,
        idempotency_key=command.idempotency_key,
        request_hash=request_hash(command) if command.idempotency_key else None,
        meta={"number": number, "unit": unit, "applicant_user": applicant_user,
              "definition_hash": defn.content_hash},
    )
    case = evolve(defn, None, event)
    if role != "applicant" and conflicted(defn, org, case, actor):
        raise PermissionDenied(
            "conflict_of_interest",
            f"user '{actor.id}' declared a relation to this applicant and must not file the case",
            f"用户 '{actor.id}' 已申报与该申请人存在亲属等关系，须回避，不得代为提交")
    return Decision(event=event, case=case, previous_version=None)


def _ctx(defn: CompiledDefinition, case: Case, actor: Actor, now: datetime,
         data: Mapping[str, Any]) -> GuardContext:
    return GuardContext(defn, case, {**case.data, **data}, actor, now)


def decide_fire(defn: CompiledDefinition, machine: CompiledMachine, org: Org, case: Case,
                actor: Actor, command: Fire, now: datetime) -> Decision:
    """Fire a trigger on an existing case."""
    # A stale version first: judged against a state the caller never saw, any
    # other refusal (the trigger no longer fits, the case closed) would mislead.
    if command.expected_version is not None and command.expected_version != case.version:
        raise ConcurrencyConflict(case.number, command.expected_version, case.version)
    if defn.is_final(case.state):
        raise CaseClosed(case.number, case.state, defn.state_label(case.state))
    specs = defn.by_trigger_source.get((command.trigger, case.state), ())
    if not specs:
        raise InvalidTrigger(case.number, command.trigger, case.state,
                             defn.state_label(case.state),
                             defn.triggers_from.get(case.state, ()), defn.triggers)
    allowed: list[tuple[TransitionSpec, str]] = []
    refusals: list[Refusal] = []
    for spec in specs:
        role, refusal = authorize(defn, org, case, actor, spec)
        if refusal is not None:
            refusals.append(refusal)
        elif role is not None:
            allowed.append((spec, role))
    if not allowed:
        r = _pick_refusal(refusals)
        raise PermissionDenied(r.reason, r.en, r.zh)
    check_data(defn, command.data)
    ctx = _ctx(defn, case, actor, now, command.data)
    adapter = machine.fire(command.trigger, case.state, ctx,
                           frozenset(defn.position(s) for s, _ in allowed))
    taken = adapter.taken
    if taken is None:
        raise GuardFailed(case.number, command.trigger, adapter.failures or [
            ("no transition's conditions hold", "没有满足条件的流转")])
    if taken.comment == "required" and not (command.comment or "").strip():
        raise CommentRequired(case.number, command.trigger)
    missing = _missing(defn, taken.required, ctx.data)
    if missing:
        raise MissingData(case.number, command.trigger, missing)
    role = next(r for s, r in allowed if s == taken)
    event = Event(
        case_id=case.id, seq=case.version + 1, at=now, kind="transition", actor=actor.id,
        role=role, trigger=command.trigger, source=case.state, dest=taken.dest,
        data=dict(command.data), comment=command.comment, definition_version=defn.version,
        idempotency_key=command.idempotency_key,
        request_hash=request_hash(command) if command.idempotency_key else None,
    )
    return Decision(event=event, case=evolve(defn, case, event), previous_version=case.version)


def options(defn: CompiledDefinition, machine: CompiledMachine, org: Org, case: Case,
            actor: Actor, now: datetime, lang: str = "zh") -> list[TriggerOption]:
    """Every trigger of the case's state: may ``actor`` fire it now, and if not, why."""
    out: list[TriggerOption] = []
    if defn.is_final(case.state):
        return out
    zh = lang.startswith("zh")
    for trigger in defn.triggers_from.get(case.state, ()):
        specs = defn.by_trigger_source[(trigger, case.state)]
        reasons: list[str] = []
        ok = False
        authorised: list[TransitionSpec] = []
        for spec in specs:
            _, refusal = authorize(defn, org, case, actor, spec)
            if refusal is not None:
                text = refusal.zh if zh else refusal.en
                if text not in reasons:
                    reasons.append(text)
            else:
                authorised.append(spec)
        if authorised:
            reasons = []
            ctx = _ctx(defn, case, actor, now, {})
            for spec in authorised:
                failures = machine.would_pass(spec, ctx)
                if not failures:
                    ok = True
                    break
                reasons.extend(z if zh else e for e, z in failures)
            if ok:
                reasons = []
        first = specs[0]
        out.append(TriggerOption(
            trigger=trigger, label=first.labels.get(lang), allowed=ok,
            dest=tuple(dict.fromkeys(s.dest for s in specs)), reasons=tuple(reasons),
            comment_required=any(s.comment == "required" for s in specs),
            required=tuple(dict.fromkeys(f for s in specs for f in s.required)),
        ))
    return out
