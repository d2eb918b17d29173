"""decide(): may this actor do this to this case now, and what happens? Pure.

Returns a ``Decision`` (the event to append and the case after it) or raises a
``CommandRejected`` saying exactly why not. Touches no database, file, network
or clock: ``now`` and the new case's id and number come in as arguments.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from definitions.org import Org, normalise_id_number
from definitions.schema import InstalmentSpec, TransitionSpec
from workflow.core.authz import (
    Grant,
    Refusal,
    authority,
    conflicted,
    personal_data_grant,
    role_reaches,
    standing_in,
)
from workflow.core.budget import ledger_entries
from workflow.core.chain import event_hash, genesis
from workflow.core.data import check_data, field_label
from workflow.core.deadlines import (
    LOCAL,
    DeadlineError,
    TimeContext,
    TimerPlan,
    passed_at_creation,
    plan_entry,
    plan_next,
    state_plans,
    timer_spec,
)
from workflow.core.guards import GuardContext
from workflow.core.localtime import local
from workflow.core.machine import CompiledMachine
from workflow.core.model import (
    SYSTEM_ACTOR,
    Actor,
    Case,
    Decision,
    Event,
    Fire,
    Message,
    Submit,
    Timer,
    TriggerOption,
)
from workflow.core.papers import check_papers, merge_papers
from workflow.core.pii import mask_text
from workflow.core.recipients import StandIns, resolve, responsible
from workflow.core.replay import evolve
from workflow.errors import (
    CaseClosed,
    CommandRejected,
    CommentRequired,
    ConcurrencyConflict,
    GuardFailed,
    InvalidData,
    InvalidTrigger,
    MissingData,
    PermissionDenied,
)
from workflow.rules.family import case_values
from workflow.rules.idcard import InvalidIdNumber, validate_id
from workflow.rules.money import instalment
from workflow.rules.relief import propose
from workflow.rules.relief_guards import rival_refusal


def request_hash(command: Submit | Fire, case_id: str | None = None) -> str:
    """A stable digest of what a command asks, to tell a retry from a reuse of its key.

    A command on a case is hashed with the case's id (``case_id``), so a retry
    naming the case by number, in lower case or by id is the same command.
    """
    if isinstance(command, Submit):
        body: dict[str, Any] = {"kind": "submit", "process": command.process,
                                "unit": command.unit, "version": command.process_version,
                                "campaign": command.campaign}
    else:
        body = {"kind": "fire", "case": case_id or command.case, "trigger": command.trigger}
    body.update(actor=command.actor, data=dict(command.data), comment=command.comment)
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def has_words(text: str | None) -> bool:
    """Whether a reason says anything: blanks and invisible characters (a zero-width
    space, a joiner, a byte-order mark: Unicode's format and control characters) are
    not a reason."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs")
               for ch in text or "")


def seal(event: Event, prev_hash: str) -> Event:
    """The event with its place in the case's hash chain."""
    return replace(event, prev_hash=prev_hash, hash=event_hash(event, prev_hash))


def _missing(defn: CompiledDefinition, required: tuple[str, ...],
             data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(f, field_label(defn, f)) for f in required if data.get(f) in (None, "")]


def _pick_refusal(refusals: list[Refusal]) -> Refusal:
    """A refusal other than 'wrong role' says more, so it wins."""
    for r in refusals:
        if r.reason != "role":
            return r
    return refusals[0]


def _prepare_application(defn: CompiledDefinition, given: Mapping[str, Any], now: datetime,
                         time: TimeContext | None
                         ) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any]]:
    """Check ID numbers (checksum; 15-digit ones upgraded) and propose the category
    and amount from the campaign's standards, filling in the category if none was
    asked for. Returns the data to store, the proposal (with the rules that
    matched) and what the rules computed from the data (for the checklist too).
    """
    data = dict(given)
    problems = []
    for name, field in defn.spec.fields.items():
        value = data.get(name)
        if field.pii == "id_number" and isinstance(value, str):
            try:
                data[name] = validate_id(value, today=now.astimezone(LOCAL).date())
            except InvalidIdNumber as exc:
                problems.append((name, exc.en, exc.zh))
    if problems:
        raise InvalidData(problems)
    campaign: Any = time.campaign if time is not None else None
    standards = getattr(getattr(campaign, "spec", None), "standards", None)
    try:
        computed: dict[str, Any] | None = \
            case_values(data, time.family_rules) if time and time.family_rules else {}
    except BangfuError:
        computed = None  # not enough data to propose; the reviewers choose
    found = None
    if standards and computed is not None:
        try:
            found = propose(standards, data, computed)
        except BangfuError:
            found = None
    if found is None:
        return data, None, computed or {}
    if not data.get("category"):
        data["category"] = found.category
    return data, {"category": found.category, "amount_fen": found.amount_fen,
                  "rules": [r.id for r in found.rules]}, computed or {}


def household_of(defn: CompiledDefinition, data: Mapping[str, Any]) -> str | None:
    """The household key of case data: its applicant's ID number in one normal form
    (upper case, no spaces, an old 15-digit number as its 18 digits)."""
    field = defn.spec.applicant_id_field
    value = data.get(field) if field else None
    if not isinstance(value, str) or not value.strip():
        return None
    return normalise_id_number(value)


def decide_submit(defn: CompiledDefinition, org: Org, actor: Actor, command: Submit,
                  now: datetime, case_id: str, number: str,
                  time: TimeContext | None = None,
                  facts: Mapping[str, Any] | None = None) -> Decision:
    """Open a case in the definition's initial state (in ``time.campaign``, if any).

    ``facts["claims"]`` are the household's cases that stand in the way of a
    new one (不重复慰问): a non-empty list refuses the submission.

    Raises:
        PermissionDenied, InvalidData, MissingData, MissingDocuments,
        DoubleRelief, DeadlineError: the application may not be opened.
    """
    spec = defn.spec
    roles = [r for r in spec.submit.roles if r in actor.roles]
    if not roles and not _submit_for(defn, org, actor, command.unit or actor.unit, now):
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
    grant: Grant | None = None
    if reaching:
        role = reaching[0]
    elif own_roles and unit == actor.unit:
        role, applicant_user = own_roles[0], actor.id
    else:
        grant = _submit_for(defn, org, actor, unit, now)
        if grant is None:
            raise PermissionDenied(
                "jurisdiction", f"user '{actor.id}' may not open a case for "
                f"'{org.unit_path(unit, 'en')}'",
                f"用户 '{actor.id}' 无权为「{org.unit_path(unit)}」提交申请")
        role = grant.role
    check_data(defn, command.data)
    recorded = [f for f in command.data if spec.fields[f].recorded_by]
    if recorded:
        raise InvalidData([_recorded_elsewhere(defn, f, "submit", "提交申请")
                           for f in recorded])
    theirs = sorted(f for f in command.data if f not in defn.submit_writable)
    if theirs:
        raise InvalidData([_step_field(defn, f) for f in theirs])
    data, proposal, computed = _prepare_application(defn, command.data, now, time)
    missing = _missing(defn, spec.submit.required, data)
    if missing:
        raise MissingData(None, "submit", missing)
    flagged = check_papers(defn, data, time, None, "submit", refuse_missing=True,
                           computed=computed)
    event = Event(
        case_id=case_id, seq=1, at=now, kind="submitted", actor=actor.id, role=role,
        trigger="submit", source=None, dest=defn.initial, data=data,
        comment=command.comment, definition_version=defn.version,
        idempotency_key=command.idempotency_key,
        request_hash=request_hash(command) if command.idempotency_key else None,
        meta={"number": number, "unit": unit, "applicant_user": applicant_user,
              "process": defn.process, "definition_hash": defn.content_hash,
              "campaign": time.campaign.id if time and time.campaign else None,
              **(grant.meta if grant else {}),
              **({"proposal": proposal} if proposal else {}),
              **({"documents": flagged} if flagged else {})},
    )
    event = seal(event, genesis(case_id))
    case = evolve(defn, None, event)
    for who in (actor, *([org_actor(org, grant.on_behalf_of)] if grant and
                         grant.on_behalf_of else [])):
        if spec.roles[role].scope != "own" and who is not None and \
                conflicted(defn, org, case, who):
            raise PermissionDenied(
                "conflict_of_interest",
                f"user '{who.id}' declared a relation to this applicant and must not file the "
                "case", f"用户 '{who.id}' 已申报与该申请人存在亲属等关系，须回避，不得代为提交")
    household = household_of(defn, data)
    rival = rival_refusal(facts or {})
    if time is None:
        if rival is not None:
            raise rival
        return Decision(event=event, case=case, previous_version=None, household=household)
    passed = passed_at_creation(defn, case, time)
    if passed is not None:
        timer, when = passed
        label = timer.labels or None
        raise DeadlineError(
            f"the deadline '{label.en if label else timer.id}' ({local(when)}) of the campaign "
            "passed before this case was created; it cannot be opened in this campaign",
            f"活动的「{label.zh if label else timer.id}」({local(when)})已在提交之前截止，"
            "不能再在本活动中提交")
    if rival is not None:
        raise rival
    plans, _, _ = plan_entry(defn, None, case, time, now)
    return Decision(event=event, case=case, previous_version=None, timers=tuple(plans),
                    messages=entry_messages(defn, org, None, case, event, _stand_ins(facts)),
                    household=household)


def _submit_for(defn: CompiledDefinition, org: Org, actor: Actor, unit: str,
                now: datetime) -> Grant | None:
    """The reviewer's submitting role a substitute files a case with in the reviewer's
    units within the period (never a role of one's own application)."""
    for sub, who in standing_in(org, actor, now):
        for r in defn.spec.submit.roles:
            if r in who.roles and defn.spec.roles[r].scope != "own" and \
                    role_reaches(defn, org, r, who, unit, None):
                return Grant(r, who.id, sub.id)
    return None


def org_actor(org: Org, user: str) -> Actor | None:
    """An org user as an actor (no substitutions), or None."""
    spec = org.users.get(user)
    return Actor(spec.id, spec.name, spec.unit, spec.roles) if spec else None


def guard_context(defn: CompiledDefinition, case: Case, actor: Actor, now: datetime,
                  data: Mapping[str, Any], facts: Mapping[str, Any] | None = None,
                  time: TimeContext | None = None,
                  pending: frozenset[str] = frozenset()) -> GuardContext:
    """What the guards of a trigger see, for firing it and for asking whether it
    may be fired: the case's data with the command's, the facts the shell read
    for it, the case's time context (campaign and working-day calendar)."""
    return GuardContext(defn, case, {**case.data, **data}, actor, now, facts or {}, time,
                        pending)


def pending_fields(spec: TransitionSpec, data: Mapping[str, Any]) -> frozenset[str]:
    """What a user is still to give when firing transition ``spec`` on a case with
    ``data``: the fields it asks for (``required``, given or confirmed with the
    trigger) and those it may write that the case has no value for yet. Fields
    the case holds that the trigger only may write are judged as they are."""
    return frozenset((*spec.required,
                      *(f for f in spec.writes if data.get(f) in (None, ""))))


def _authorised(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
                specs: tuple[TransitionSpec, ...], now: datetime | None
                ) -> tuple[list[tuple[TransitionSpec, Grant]], list[Refusal]]:
    """The transitions of one trigger ``actor`` may take (with the grant they act on:
    their role, and for whom as a substitute at ``now``), and why not the others: the
    authorisation of firing and of options alike."""
    allowed: list[tuple[TransitionSpec, Grant]] = []
    refusals: list[Refusal] = []
    for spec in specs:
        grant, refusal = authority(defn, org, case, actor, spec, now)
        if refusal is not None:
            refusals.append(refusal)
        elif grant is not None:
            allowed.append((spec, grant))
    return allowed, refusals


def _step_field(defn: CompiledDefinition, field: str) -> tuple[str, str, str]:
    """The refusal of a field an application may not carry, naming the steps that set it."""
    steps = [t for t in defn.spec.transitions if field in t.writes or field in t.required]
    names = list(dict.fromkeys(t.trigger for t in steps))
    zh = "、".join(f"「{defn.trigger_label(s)}」" for s in names)
    return (field, "an application may not set this field: it is given by "
            f"{', '.join(repr(s) for s in names)}, by the role that step names",
            f"申请时不能填写此字段：应由 {zh} 这一步骤的经办角色填写")


def _recorded_elsewhere(defn: CompiledDefinition, field: str, trigger: str,
                        label_zh: str) -> tuple[str, str, str]:
    """The refusal of a field only its own step records (``recorded_by``), naming that step."""
    steps = defn.spec.fields[field].recorded_by
    zh = "、".join(f"「{defn.trigger_label(s)}」({s})" for s in steps)
    return (field, f"'{trigger}' may not set this field: it is recorded beforehand as its own "
            f"step ({', '.join(repr(s) for s in steps)}), and '{trigger}' only reads it",
            f"「{label_zh}」不能填写此字段：须事先以单独步骤 {zh} 登记，本步骤只读取登记结果")


def decide_fire(defn: CompiledDefinition, machine: CompiledMachine, org: Org, case: Case,
                actor: Actor, command: Fire, now: datetime, time: TimeContext | None = None,
                meta: Mapping[str, Any] | None = None,
                facts: Mapping[str, Any] | None = None) -> Decision:
    """Fire a trigger on an existing case; with ``time``, plan its timers."""
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
    allowed, refusals = _authorised(defn, org, case, actor, specs, now)
    if not allowed:
        r = _pick_refusal(refusals)
        raise PermissionDenied(r.reason, r.en, r.zh)
    check_data(defn, command.data)
    given = merge_papers(defn, case.data, command.data)
    ctx = guard_context(defn, case, actor, now, given, facts, time)
    adapter = machine.fire(command.trigger, case.state, ctx,
                           frozenset(defn.position(s) for s, _ in allowed))
    taken = adapter.taken
    if taken is None:
        raise GuardFailed(case.number, command.trigger, adapter.failures or [
            ("no transition's conditions hold", "没有满足条件的流转")])
    if taken.comment == "required" and not has_words(command.comment):
        raise CommentRequired(case.number, command.trigger)
    writable = set(taken.required) | set(taken.writes)
    refused = sorted(set(command.data) - writable)
    if refused:
        raise InvalidData([
            _recorded_elsewhere(defn, f, command.trigger, taken.labels.zh)
            if defn.spec.fields[f].recorded_by else
            (f, f"'{command.trigger}' may not change this field",
             f"「{taken.labels.zh}」不能修改此字段") for f in refused])
    missing = _missing(defn, taken.required, ctx.data)
    if missing:
        raise MissingData(case.number, command.trigger, missing)
    grant = next(g for s, g in allowed if s == taken)
    role = grant.role
    notes = {**(meta or {}), **grant.meta}
    if given is not command.data:
        flagged = check_papers(defn, ctx.data, time, case.number, command.trigger,
                                refuse_missing=False)
        if flagged:
            notes["documents"] = flagged
    recorded = dict(given)
    if taken.instalment is not None:
        paid, notes["instalment"] = _instalment(defn, case.number, command.trigger,
                                                taken.instalment, ctx.data)
        recorded.update(paid)
    event = Event(
        case_id=case.id, seq=case.version + 1, at=now, kind="transition", actor=actor.id,
        role=role, trigger=command.trigger, source=case.state, dest=taken.dest,
        data=recorded, comment=command.comment, definition_version=defn.version,
        idempotency_key=command.idempotency_key,
        request_hash=request_hash(command, case.id) if command.idempotency_key else None,
        meta=notes,
    )
    event = seal(event, case.head_hash)
    after = evolve(defn, case, event)
    messages = entry_messages(defn, org, case, after, event, _stand_ins(facts))
    ledger = tuple(ledger_entries(taken.budget, (facts or {}).get("budget"), after))
    if time is None:
        return Decision(event=event, case=after, previous_version=case.version,
                        messages=messages, ledger=ledger)
    plans, cancel_state, cancel_case = plan_entry(defn, case, after, time, now)
    return Decision(event=event, case=after, previous_version=case.version, timers=tuple(plans),
                    cancel_state_timers=cancel_state, cancel_case_timers=cancel_case,
                    messages=messages, ledger=ledger)


def _instalment(defn: CompiledDefinition, number: str, trigger: str, spec: InstalmentSpec,
                data: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """The data an instalment records (its amount and running number) and what the
    event's meta says of it (which year, which share, of what yearly amount).

    Raises:
        MissingData: the case holds no yearly amount to pay a share of.
    """
    yearly = data.get(spec.of)
    if not isinstance(yearly, int) or isinstance(yearly, bool):
        raise MissingData(number, trigger, [(spec.of, field_label(defn, spec.of))])
    before = data.get(spec.number)
    count = before if isinstance(before, int) and not isinstance(before, bool) else 0
    paid = instalment(yearly, spec.parts, count + 1)
    return ({spec.amount: paid.amount_fen, spec.number: paid.number},
            {"year": paid.year, "share": paid.share, "parts": paid.parts,
             "yearly_fen": yearly, "amount_fen": paid.amount_fen})


def _stand_ins(facts: Mapping[str, Any] | None) -> StandIns | None:
    """Who stands in for whom now (``facts["stand_ins"]``), for the messages."""
    found = (facts or {}).get("stand_ins")
    return found if isinstance(found, Mapping) else None


def entry_messages(defn: CompiledDefinition, org: Org, before: Case | None, after: Case,
                   event: Event, stand_ins: StandIns | None = None) -> tuple[Message, ...]:
    """Who to tell that a case entered a state: the holders of its responsible
    role (``notify`` template), or on a final state the applicant and whoever
    filed for them (``decision``). A transition within the same state tells
    nobody again, unless it names its own ``notify`` template (a re-check due);
    a transition's ``notify`` also replaces the state's template."""
    edge = next((t for t in defn.by_trigger_source.get((event.trigger, event.source or ""), ())
                 if t.dest == event.dest), None) if before is not None else None
    if before is not None and before.state == after.state and (edge is None or not edge.notify):
        return ()
    spec = defn.states[after.state]
    context = {"case": after.number, "process": after.process,
               "version": after.definition_version, "unit": after.unit, "state": after.state,
               "from": before.state if before else None, "trigger": event.trigger,
               "actor": event.actor, "comment": mask_text(event.comment) if event.comment
               else None, "seq": event.seq}
    if spec.final:
        people = [u for u in dict.fromkeys((after.applicant_user, after.submitted_by))
                  if u and u in org.users and u != event.actor]
        return tuple(Message(spec.notify or "decision", u, context) for u in people)
    people = [u for u in responsible(defn, org, after, stand_ins) if u != event.actor]
    kind = (edge.notify if edge is not None else None) or spec.notify or "waiting"
    return tuple(Message(kind, u, context) for u in people)


def decide_timer(defn: CompiledDefinition, machine: CompiledMachine, org: Org, case: Case,
                 timer: Timer, now: datetime, time: TimeContext,
                 facts: Mapping[str, Any] | None = None) -> Decision:
    """What a due timer does: fire its trigger (judged on ``facts``, as a person's
    firing would be), remind, or escalate.

    A trigger the rules refuse (the case moved on, a guard does not hold) is
    recorded as a ``timer`` event saying why, not raised: the timer is spent.
    ``facts`` are those of the trigger, as for a command (the budget too: what
    a timer's transition pays is booked like any other).
    """
    spec = timer_spec(defn, timer.spec_id)
    label = spec.labels if spec is not None and spec.labels else None
    base = {"timer": timer.spec_id, "timer_id": timer.id, "timer_kind": timer.kind,
            "deadline": timer.deadline_at.isoformat(), "due": timer.due_at.isoformat(),
            "late_seconds": max(0, int((now - timer.due_at).total_seconds()))}
    plan = TimerPlan(timer.spec_id, timer.scope, timer.state, timer.kind,  # type: ignore[arg-type]
                     timer.due_at, timer.deadline_at, timer.trigger, timer.seq)
    try:
        successor = plan_next(spec, plan, now, time) if spec is not None else None
    except BangfuError as exc:
        # This firing still goes out; only its successor cannot be planned.
        successor = None
        base = {**base, "next_failed": exc.en}
    extra = (successor,) if successor is not None else ()
    if timer.kind in ("fire", "recur") and timer.trigger:
        command = Fire(case.id, timer.trigger, SYSTEM_ACTOR.id)
        try:
            decision = decide_fire(defn, machine, org, case, SYSTEM_ACTOR, command, now, time,
                                   meta=base, facts=facts)
        except CommandRejected as exc:
            return _note(defn, case, now, "timer", {**base, "refused": exc.en,
                                                    "refused_zh": exc.zh}, (), extra, timer.id)
        return replace(decision, timers=decision.timers + extra, fired_timer=timer.id)
    context = {"case": case.number, "process": case.process, "unit": case.unit,
               "state": case.state, "timer": timer.spec_id,
               "timer_label": {"zh": label.zh, "en": label.en} if label else None,
               "deadline": timer.deadline_at.isoformat(), "seq": timer.seq}
    if timer.kind == "remind":
        recipients = responsible(defn, org, case, _stand_ins(facts))
        kind = "reminder"
    else:
        recipients = resolve(defn, org, case, spec.escalate_to if spec is not None else (),
                             _stand_ins(facts))
        kind = "escalation"
    # A case-wide deadline that passed makes the case overdue; a state's makes it late.
    template = "overdue" if kind == "escalation" and timer.scope == "case" else kind
    messages = tuple(Message(template, user, context) for user in recipients)
    return _note(defn, case, now, kind, {**base, "recipients": recipients}, messages, extra,
                 timer.id)


def _note(defn: CompiledDefinition, case: Case, now: datetime, kind: str,
          meta: Mapping[str, Any], messages: tuple[Message, ...], timers: tuple[TimerPlan, ...],
          timer_id: int) -> Decision:
    event = Event(case_id=case.id, seq=case.version + 1, at=now, kind=kind,  # type: ignore[arg-type]
                  actor=SYSTEM_ACTOR.id, role=SYSTEM_ACTOR.id, trigger=f"timer:{meta['timer']}",
                  source=case.state, dest=case.state, data={}, comment=None,
                  definition_version=defn.version, meta=dict(meta))
    event = seal(event, case.head_hash)
    return Decision(event=event, case=evolve(defn, case, event), previous_version=case.version,
                    timers=timers, messages=messages, fired_timer=timer_id)


def decide_reveal(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
                  reason: str | None, now: datetime, *, export: bool = False) -> Decision:
    """Showing a case's full ID and phone numbers to ``actor``, as an event of the
    case's trail (who, when, why): only to a holder of a jurisdiction role over the
    case with no declared relation to the applicant, and only with a reason.

    Raises:
        PermissionDenied: no jurisdiction, or a declared relation.
        CommentRequired: no reason (blanks and invisible characters are none).

    With ``export``, the case's personal data goes into an unmasked export of the
    trail: the caller has checked the platform act that grants it (the inspection
    team's, over every case), so jurisdiction is not asked; a declared relation and a
    missing reason refuse it all the same. The event says ``export``.
    """
    grant = Grant("export") if export and not actor.is_system else \
        personal_data_grant(defn, org, case, actor, now)
    if grant is None:
        raise PermissionDenied(
            "jurisdiction", f"user '{actor.id}' may not see the personal data of case "
            f"'{case.number}'", f"用户 '{actor.id}' 无权查看案件 '{case.number}' 的完整个人信息")
    reviewer = org_actor(org, grant.on_behalf_of) if grant.on_behalf_of else None
    for who in (actor, *([reviewer] if reviewer else [])):
        if conflicted(defn, org, case, who):
            raise PermissionDenied(
                "conflict_of_interest", f"user '{who.id}' declared a relation to the "
                f"applicant of case '{case.number}' and may not see their personal data",
                f"用户 '{who.id}' 已申报与案件 '{case.number}' 的申请人存在关系，不能查看其完整个人信息")
    if not has_words(reason):
        raise CommentRequired(case.number, "export" if export else "reveal")
    fields = sorted(f for f, spec in defn.spec.fields.items() if spec.pii in ("id_number", "phone")
                    and case.data.get(f) not in (None, ""))
    event = Event(case_id=case.id, seq=case.version + 1, at=now, kind="reveal",
                  actor=actor.id, role=None, trigger="export" if export else "reveal",
                  source=case.state, dest=case.state, data={}, comment=reason,
                  definition_version=defn.version,
                  meta={"fields": fields, **grant.meta, **({"export": True} if export else {})})
    event = seal(event, case.head_hash)
    return Decision(event=event, case=evolve(defn, case, event), previous_version=case.version)


def options(defn: CompiledDefinition, machine: CompiledMachine, org: Org, case: Case,
            actor: Actor, now: datetime, lang: str = "zh", time: TimeContext | None = None,
            facts: Mapping[str, Any] | None = None) -> list[TriggerOption]:
    """Every trigger of the case's state: may ``actor`` fire it now, and if not, why.

    The decision is ``decide_fire``'s, on the same facts and time context: the
    same authorisation, the same guards and conditions, the same budget check. A
    trigger is allowed when firing it with valid values for the fields it still
    takes (``pending_fields``) would be accepted; a condition on such a field is
    judged when it is fired.
    """
    out: list[TriggerOption] = []
    if defn.is_final(case.state):
        return out
    zh = lang.startswith("zh")
    for trigger in defn.triggers_from.get(case.state, ()):
        specs = defn.by_trigger_source[(trigger, case.state)]
        ok = False
        allowed, refusals = _authorised(defn, org, case, actor, specs, now)
        reasons = list(dict.fromkeys(r.zh if zh else r.en for r in refusals))
        if allowed:
            reasons = []
            for spec, _ in allowed:
                ctx = guard_context(defn, case, actor, now, {}, facts, time,
                                    pending_fields(spec, case.data))
                failures = machine.would_pass(spec, ctx, defn.position(spec))
                if not failures:
                    failures = _budget_failures(spec, facts, case)
                if not failures:
                    ok = True
                    break
                reasons.extend(z if zh else e for e, z in failures if (z if zh else e)
                               not in reasons)
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


def _budget_failures(spec: TransitionSpec, facts: Mapping[str, Any] | None,
                     case: Case) -> list[tuple[str, str]]:
    """A reservation the budget cannot cover refuses the firing: say so beforehand."""
    if spec.budget != "reserve":
        return []
    try:
        ledger_entries(spec.budget, (facts or {}).get("budget"), case)
    except BangfuError as exc:  # e.g. BudgetExceeded, as the firing would raise
        return [(exc.en, exc.zh)]
    return []


def decide_migration(source: CompiledDefinition, target: CompiledDefinition, case: Case,
                     state_map: Mapping[str, str], now: datetime, actor: Actor, role: str,
                     operator: str | None = None,
                     time: TimeContext | None = None) -> Decision:
    """Move a case onto another version of its definition, as an event by ``actor``
    (acting as the platform ``role`` that permits it; ``operator`` is the system
    account that ran the command).

    The case's state is renamed through ``state_map``; its pending state
    timers are replaced by those of the state under the new version.
    """
    dest = state_map.get(case.state, case.state)
    event = Event(
        case_id=case.id, seq=case.version + 1, at=now, kind="migration", actor=actor.id,
        role=role, trigger="migrate", source=case.state, dest=dest, data={},
        comment=None, definition_version=target.version,
        meta={"from_version": source.version, "to_version": target.version,
              "from_hash": source.content_hash, "to_hash": target.content_hash,
              "state_map": dict(state_map), "operator": actor.id,
              **({"os_user": operator} if operator else {})},
    )
    event = seal(event, case.head_hash)
    after = evolve(source, case, event)
    timers: tuple[TimerPlan, ...] = ()
    cancel = bool(source.states[case.state].timers)
    if time is not None and not target.is_final(after.state):
        timers = tuple(p for spec in target.states[after.state].timers
                       for p in state_plans(spec, after, time, now))
    return Decision(event=event, case=after, previous_version=case.version, timers=timers,
                    cancel_state_timers=cancel)
