"""The Engine: the shell around the pure core.

Every command takes the same road: open a unit of work, load the case (with
its row version), let ``decide`` judge it, write the event and the case in
the same transaction (the store checks the row version), commit, log. An
idempotency key makes a retried command answer its first result without
writing anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import structlog

from definitions.calendars import DEFAULT_CALENDAR
from definitions.checklist import DocumentsSpec
from definitions.compile import CompiledDefinition, DefinitionSet
from definitions.errors import BangfuError
from definitions.org import Org
from definitions.validate import timer_refs
from workflow.clock import Clock, SimulatedClock, local
from workflow.core.authz import platform_role, standing_in
from workflow.core.budget import Balance, BudgetFacts
from workflow.core.data import MAX_TEXT, coerce_text, with_papers
from workflow.core.deadlines import TimeContext, WorkingDays
from workflow.core.decide import (
    decide_fire,
    decide_migration,
    decide_reveal,
    decide_submit,
    decide_timer,
    household_of,
    options,
    request_hash,
)
from workflow.core.effects import account
from workflow.core.machine import machine_for
from workflow.core.model import (
    SYSTEM,
    SYSTEM_ACTOR,
    Actor,
    Case,
    CommandResult,
    Event,
    Fire,
    Submit,
    Timer,
    TriggerOption,
)
from workflow.core.papers import review_papers
from workflow.core.verify import check_state_map, stranded_by
from workflow.errors import (
    CampaignError,
    CaseNotFound,
    ClockError,
    IdempotencyKeyReused,
    InvalidData,
    MigrationRefused,
    UnknownUser,
    UsageError,
)
from workflow.logs import library_defaults, use_clock
from workflow.ports import CaseStore, FactSource, UnitOfWork
from workflow.rules.paperwork import DocumentReview

library_defaults()
log = structlog.get_logger("bangfu.engine")


#: The longest single move of a simulated clock: five years (a care rating's three-year
#: validity and its renewal fit in one move). Daily escalations of one open case over a
#: jump to 9999 once wrote 12,886 events; within the bound, at most one per day moved.
MAX_CLOCK_MOVE = timedelta(days=5 * 366)


class Engine:
    """What a portal embeds and the CLI drives."""

    def __init__(self, store: CaseStore, definitions: DefinitionSet, org: Org,
                 clock: Clock, campaigns: Mapping[str, Any] | None = None,
                 calendars: Mapping[str, WorkingDays] | None = None,
                 family_rules: Any = None, medical_rules: Any = None,
                 income_rules: Any = None,
                 unregistered: Sequence[CompiledDefinition] = ()) -> None:
        self.store = store
        self.definitions = definitions
        self.org = org
        self.clock = clock
        # log lines carry this engine's business time (a simulated clock's, too)
        use_clock(lambda: self.clock.now())
        #: campaign id → compiled campaign (``definitions.campaign.Campaign``)
        self.campaigns: dict[str, Any] = dict(campaigns or {})
        #: calendar id → working-day calendar
        self.calendars: dict[str, WorkingDays] = dict(calendars or {})
        #: how families are counted (definitions/rules/income_lines.yaml)
        self.family_rules = family_rules
        #: the county union's medical aid rules (definitions/rules/medical_aid.yaml)
        self.medical_rules = medical_rules
        #: the union's income lines (definitions/rules/income_lines.yaml)
        self.income_rules = income_rules
        # a version is named by its hash, or by a release hash recorded for it on upgrade
        self._pinned: dict[tuple[str, int, str], CompiledDefinition] = {
            (d.process, d.version, h): d for d in definitions for h in d.known_hashes}
        #: versions on disk not registered in the database (commands do not use them)
        self.unregistered: tuple[CompiledDefinition, ...] = tuple(unregistered)
        #: the operating-system account of a console command (the CLI sets it; the
        #: HTTP API acts only as the token's user), recorded with every event it writes
        self.operator: str | None = None

    # -- look-ups -----------------------------------------------------------

    def actor(self, user: str, reader: FactSource | None = None) -> Actor:
        """The org user ``user`` as an actor (``system`` is the timer actor), with the
        periods in which they stand in for a reviewer on leave: facts read through
        ``reader`` (a command's unit of work, so an early end is seen) or the store.

        Raises:
            UnknownUser: not in the org.
        """
        if user == SYSTEM:
            return SYSTEM_ACTOR
        spec = self.org.users.get(user)
        if spec is None:
            raise UnknownUser(user, list(self.org.users))
        periods = (reader if reader is not None else self.store).substitutions_of(spec.id)
        return Actor(spec.id, spec.name, spec.unit, spec.roles, tuple(periods))

    def _known(self, user: str) -> None:
        """Raises UnknownUser unless ``user`` is the system or in the org."""
        if user != SYSTEM and user not in self.org.users:
            raise UnknownUser(user, list(self.org.users))

    def definition_for(self, case: Case) -> CompiledDefinition:
        """The exact definition version (and content) the case is pinned to."""
        key = (case.process, case.definition_version, case.definition_hash)
        found = self._pinned.get(key)
        if found is None:
            found = self.definitions.get(case.process, case.definition_version)
        return found

    def get_case(self, ref: str) -> Case:
        """Raises CaseNotFound."""
        case = self.store.get_case(ref)
        if case is None:
            raise CaseNotFound(ref)
        return case

    def list_cases(self, *, process: str | None = None, states: Sequence[str] | None = None,
                   unit: str | None = None, limit: int | None = None) -> list[Case]:
        """Cases filtered by process, states and a unit's subtree."""
        units = self.subtree(unit) if unit else None
        return self.store.list_cases(process=process, states=states, units=units, limit=limit)

    def subtree(self, unit: str) -> list[str]:
        return [u for u in self.org.units if self.org.in_subtree(u, unit)]

    def history(self, ref: str) -> list[Event]:
        return self.store.history(self.get_case(ref).id)

    def options(self, ref: str | Case, user: str, lang: str = "zh") -> list[TriggerOption]:
        """What ``user`` may fire on the case now, and why not the rest: the decision
        ``fire`` makes, on the facts ``fire`` reads (``_facts``) and the same time
        context."""
        case = ref if isinstance(ref, Case) else self.get_case(ref)
        actor = self.actor(user)
        with self.store.reading() as reader:
            return self._options(reader, case, actor, lang)

    def _options(self, reader: FactSource, case: Case, actor: Actor,
                 lang: str) -> list[TriggerOption]:
        defn = self.definition_for(case)
        if defn.is_final(case.state):
            return []
        facts = self._facts(reader, defn, case, defn.triggers_from.get(case.state, ()))
        return options(defn, machine_for(defn), self.org, case, actor, self.clock.now(), lang,
                       self.time_context(case.campaign), facts)

    def queue(self, user: str, lang: str = "zh") -> list[tuple[Case, list[TriggerOption]]]:
        """Cases on which ``user`` can fire something right now."""
        actor = self.actor(user)
        out: list[tuple[Case, list[TriggerOption]]] = []
        with self.store.reading() as reader:
            for defn in self._latest_and_pinned():
                out += self._queued(reader, defn, actor, lang)
        out.sort(key=lambda pair: pair[0].updated_at)
        return out

    def _queued(self, reader: FactSource, defn: CompiledDefinition, actor: Actor,
                lang: str) -> list[tuple[Case, list[TriggerOption]]]:
        """The cases of ``defn`` on which ``actor`` can fire something now."""
        out: list[tuple[Case, list[TriggerOption]]] = []
        candidates: list[Case] = []
        seen: set[str] = set()
        # the actor's own roles and units, then those of each reviewer they stand in for
        faces = [actor, *(who for _, who in standing_in(self.org, actor, self.clock.now()))]
        for face in faces:
            states = sorted({src for t in defn.spec.transitions
                             if set(t.roles) & set(face.roles) for src in t.source})
            if not states:
                continue
            scopes = {defn.spec.roles[r].scope for r in face.roles if r in defn.spec.roles}
            found: list[Case] = []
            if scopes & {"jurisdiction", "anyone"}:
                units = None if "anyone" in scopes else self.subtree(face.unit)
                found = self.store.list_cases(process=defn.process, states=states,
                                              units=units)
            if "own" in scopes and face is actor:
                found += self.store.list_cases(process=defn.process, states=states,
                                               applicant_user=actor.id)
            for c in found:
                if c.id not in seen:
                    seen.add(c.id)
                    candidates.append(c)
        for case in candidates:
            if case.definition_version != defn.version:
                continue
            opts = [o for o in self._options(reader, case, actor, lang) if o.allowed]
            if opts:
                out.append((case, opts))
        return out

    def _latest_and_pinned(self) -> list[CompiledDefinition]:
        return list(self.definitions)

    # -- commands -----------------------------------------------------------

    def time_context(self, campaign: str | None) -> TimeContext:
        """The campaign calendar and working days deadlines are computed against."""
        found = self.campaigns.get(campaign) if campaign else None
        calendar_id = getattr(getattr(found, "spec", None), "calendar", None) or DEFAULT_CALENDAR
        return TimeContext(found, self.calendars.get(calendar_id), self.family_rules)

    def campaign_for(self, process: str, requested: str | None = None) -> str | None:
        """The campaign a new case of ``process`` joins.

        The one asked for, else the running campaign of that process whose
        completion target is nearest; None if the process needs no campaign.

        Raises:
            CampaignError: the campaign is unknown, does not run the process,
                or none is running and the process has campaign deadlines.
        """
        if requested is not None:
            found = self.campaigns.get(requested)
            if found is None:
                raise CampaignError(
                    f"unknown campaign '{requested}'" + _hint(requested, self.campaigns),
                    f"未知的活动 '{requested}'")
            if process not in found.spec.processes:
                raise CampaignError(f"campaign '{requested}' does not run '{process}'",
                                    f"活动 '{requested}' 不包括流程 '{process}'")
            return requested
        now = self.clock.now()
        running = sorted((c for c in self.campaigns.values()
                          if process in c.spec.processes and c.completion >= now),
                         key=lambda c: c.completion)
        if running:
            return str(running[0].spec.campaign)
        defn = self.definitions.get(process)
        if timer_refs(defn.spec):
            raise CampaignError(
                f"no campaign running '{process}' is open on {local(now)}; its deadlines come "
                "from a campaign calendar (definitions/campaigns/)",
                f"{local(now)} 没有正在进行的包含流程 '{process}' 的活动；该流程的时限来自活动日程"
                "(definitions/campaigns/)")
        return None

    def submit(self, process: str, user: str, data: Mapping[str, Any] | None = None, *,
               unit: str | None = None, comment: str | None = None,
               idempotency_key: str | None = None,
               process_version: int | None = None,
               campaign: str | None = None, text: Mapping[str, str] | None = None,
               papers: Sequence[str] = ()) -> CommandResult:
        """Open a case of ``process`` (latest version unless given) in a campaign.

        ``data`` is typed; ``text`` holds ``name=value`` texts and ``papers``
        ``type=ref@date`` texts, coerced by the definition's fields.
        """
        _check_command_text(idempotency_key, comment)
        defn = self.definitions.get(process, process_version)
        typed = {**(data or {}), **self._coerced(defn, text, papers)}
        command = Submit(process, user, typed, unit, comment, idempotency_key,
                         process_version, campaign)
        self._known(user)
        self.sync_clock()
        campaign_id = self.campaign_for(process, campaign)
        time = self.time_context(campaign_id)
        prefix = str(self.campaigns[campaign_id].spec.case_prefix) if campaign_id is not None \
            else defn.spec.case_prefix
        with structlog.contextvars.bound_contextvars(process=process, actor=user,
                                                     trigger="submit"):
            with self.store.unit_of_work() as uow:
                prior = self._replayed(uow, command)
                if prior is not None:
                    return prior
                number = f"{prefix}-{uow.next_number(prefix):06d}"
                facts = {**self._rival_facts(uow, defn, household_of(defn, typed), campaign_id),
                         **self._stand_ins(uow)}
                actor = self.actor(user, uow)
                decision = account(decide_submit(defn, self.org, actor, command,
                                                 self.clock.now(), uuid.uuid4().hex, number,
                                                 time, facts), self.operator)
                uow.append(decision)
            log.info("case.submitted", case=number, state=decision.case.state)
        return _result(decision.case, decision.event)

    def fire(self, case: str, trigger: str, user: str, *, data: Mapping[str, Any] | None = None,
             comment: str | None = None, expected_version: int | None = None,
             idempotency_key: str | None = None, text: Mapping[str, str] | None = None,
             papers: Sequence[str] = ()) -> CommandResult:
        """Fire ``trigger`` on ``case`` (id or number) as ``user``.

        The case is read once, in the command's transaction; ``text`` and
        ``papers`` are coerced by the definition the case is pinned to. The
        command changes only this case: timers that fall due are the
        scheduler's work (``fire_due``).
        """
        _check_command_text(idempotency_key, comment)
        self._known(user)
        self.sync_clock()
        with structlog.contextvars.bound_contextvars(case=case, actor=user, trigger=trigger):
            with self.store.unit_of_work() as uow:
                actor = self.actor(user, uow)
                current = uow.load_case(case)
                defn = self.definition_for(current) if current is not None else None
                typed = {**(data or {}), **(self._coerced(defn, text, papers) if defn else {})}
                command = Fire(case, trigger, user, typed, comment, expected_version,
                               idempotency_key)
                prior = self._replayed(uow, command, current)
                if prior is not None:
                    return prior
                if current is None or defn is None:
                    raise CaseNotFound(case)
                decision = decide_fire(defn, machine_for(defn), self.org, current, actor,
                                       command, self.clock.now(),
                                       self.time_context(current.campaign),
                                       facts={**self._facts(uow, defn, current, (trigger,)),
                                              **self._stand_ins(uow)})
                decision = account(decision, self.operator)
                uow.append(decision)
                if decision.ledger:
                    uow.add_ledger(str(current.campaign), current.id, decision.event.seq,
                                   decision.event.at, decision.ledger)
            log.info("case.transition", process=current.process, source=current.state,
                     dest=decision.case.state, version=decision.case.version)
        return _result(decision.case, decision.event)

    def migrate(self, process: str, from_version: int, to_version: int, user: str, *,
                state_map: Mapping[str, str] | None = None, dry_run: bool = False,
                operator: str | None = None) -> list[str]:
        """Move the running cases of ``process`` from one version to another, all or
        none, as ``user``, who must hold a role that grants ``migrate``. Each move is
        a ``migration`` event naming that user (and ``operator``, the system
        account that ran the command). Returns the numbers of the cases moved
        (or that would move, with ``dry_run``).

        Raises:
            UnknownUser, PermissionDenied: the user may not migrate.
            AuditError: the state map names unknown states.
            MigrationRefused: a case would be stranded (listed); nothing changed.
        """
        actor = self.actor(user)
        role = platform_role(self.org, actor, "migrate")
        if from_version == to_version:
            raise UsageError(f"--from and --to are both {from_version}: nothing to migrate",
                             f"--from 与 --to 都是 {from_version}，无需迁移")
        for version in (from_version, to_version):
            if any(d.key == (process, version) for d in self.unregistered):
                raise UsageError(
                    f"'{process}' v{version} is on disk but not registered; an administrator "
                    "registers it first with 'bangfu definitions register'",
                    f"流程定义 '{process}' 第 {version} 版尚未登记；请系统管理员先运行 "
                    "'bangfu definitions register' 登记")
        source = self.definitions.get(process, from_version)
        target = self.definitions.get(process, to_version)
        mapping = dict(state_map or {})
        check_state_map(source, target, mapping)
        self.sync_clock()
        with structlog.contextvars.bound_contextvars(process=process, actor=user,
                                                     trigger="migrate"):
            with self.store.unit_of_work() as uow:
                running = [c for c in self.store.list_cases(process=process)
                           if c.definition_version == from_version
                           and not source.is_final(c.state)]
                stranded = [s for c in running
                            for s in stranded_by(target, c, self.store.history(c.id), mapping)]
                if stranded:
                    raise MigrationRefused(process, to_version, stranded)
                if dry_run:
                    return [c.number for c in running]
                now = self.clock.now()
                for listed in running:
                    current = uow.load_case(listed.id)
                    if current is None:
                        raise CaseNotFound(listed.id)
                    uow.append(account(decide_migration(source, target, current, mapping, now,
                                                        actor, role, operator,
                                                        self.time_context(current.campaign)),
                                       self.operator))
            log.info("definitions.migrated", cases=len(running), to_version=to_version)
        return [c.number for c in running]

    def _coerced(self, defn: CompiledDefinition, text: Mapping[str, str] | None,
                 papers: Sequence[str]) -> dict[str, Any]:
        if not text and not papers:
            return {}
        return coerce_text(defn, with_papers(defn, dict(text or {}), papers))

    def papers(self, case: Case) -> tuple[DocumentsSpec, DocumentReview] | None:
        """The case's papers against its campaign's checklist (what is required,
        missing, of an unknown type, dated outside the receipt window); None when
        no checklist applies."""
        return review_papers(self.definition_for(case), case.data,
                             self.time_context(case.campaign))

    def is_claim(self, case: Case) -> bool:
        """Does ``case`` hold its household's one relief in the campaign (open or granted)?"""
        defn = self.definition_for(case)
        return not defn.is_final(case.state) or defn.states[case.state].outcome == "granted"

    @staticmethod
    def rival_scope(defn: CompiledDefinition, campaign: str | None) -> dict[str, str] | None:
        """Where a household's other cases are looked for under ``defn``'s
        ``household_limit``: the campaign (every process of it) or this process;
        None when no limit applies."""
        limit = defn.spec.household_limit
        if limit == "none" or (limit == "campaign" and campaign is None):
            return None
        return {"campaign": str(campaign)} if limit == "campaign" else {"process": defn.process}

    def is_rival(self, defn: CompiledDefinition, other: Case) -> bool:
        """Does ``other`` (found in ``rival_scope``) forbid a new ``defn`` case of its
        household: a claim in the campaign, or an open case of the process?"""
        if defn.spec.household_limit == "open":
            return not self.definition_for(other).is_final(other.state)
        return self.is_claim(other)

    def _rival_facts(self, uow: FactSource, defn: CompiledDefinition, household: str | None,
                     campaign: str | None, exclude: str | None = None) -> dict[str, Any]:
        """The household's other cases that its definition's ``household_limit``
        forbids beside this one, as the facts ``decide`` judges (不重复慰问)."""
        scope = self.rival_scope(defn, campaign)
        if household is None or scope is None:
            return {}
        rivals = [c for c in uow.household_cases(household, exclude=exclude, **scope)
                  if self.is_rival(defn, c)]
        return {"claims": [{"number": c.number, "process": c.process, "state": self._state(c)}
                           for c in rivals],
                "household_limit": defn.spec.household_limit}

    def _state(self, case: Case) -> str:
        return self.definition_for(case).state_label(case.state)

    def _facts(self, uow: FactSource, defn: CompiledDefinition, case: Case,
               triggers: Sequence[str]) -> dict[str, Any]:
        """The facts the guards and the budget of these triggers need, read in ``uow``:
        the one place they are gathered, for firing (by a user or a timer) and for
        telling a user what they may fire."""
        specs = [s for t in triggers for s in defn.by_trigger_source.get((t, case.state), ())]
        guards = {g.name for s in specs for g in s.guards}
        facts: dict[str, Any] = {}
        campaign = self.campaigns.get(case.campaign or "")
        if guards & {"medical_route", "medical_amount"}:
            facts["medical_rules"] = self.medical_rules
        if "income_line" in guards:
            facts["income_rules"] = self.income_rules
        if "standard_amount" in guards:
            facts["standards"] = campaign.spec.standards if campaign is not None else {}
            facts["family_rules"] = self.family_rules
        if "no_double_relief" in guards:
            facts.update(self._rival_facts(uow, defn, household_of(defn, case.data),
                                           case.campaign, exclude=case.id))
        if campaign is not None and campaign.spec.budget and any(s.budget for s in specs):
            totals = uow.budget_totals(campaign.id)
            balances = {}
            for line in campaign.spec.budget:
                sums = totals.get(line.id, {})
                paid = sums.get("spend", 0)
                held = sums.get("reserve", 0) - sums.get("release", 0) - paid
                balances[line.id] = Balance(line.amount_fen, held, paid)
            facts["budget"] = BudgetFacts(campaign.spec.budget, campaign.spec.standards,
                                          self.family_rules, balances,
                                          uow.held_by_case(case.id),
                                          campaign.spec.budget_unlisted)
        return facts

    def _stand_ins(self, uow: FactSource) -> dict[str, Any]:
        """``{"stand_ins": reviewer → substitutes}`` of the periods running now (the
        facts of who else is told), or nothing when none runs."""
        found: dict[str, list[str]] = {}
        for sub in uow.substitutions_at(self.clock.now()):
            found.setdefault(sub.reviewer, []).append(sub.substitute)
        return {"stand_ins": found} if found else {}

    def coerce(self, process_or_case: str | Case, raw: Mapping[str, str]) -> dict[str, Any]:
        """Typed data from ``name=value`` texts, by the fields of the definition."""
        if isinstance(process_or_case, Case):
            defn = self.definition_for(process_or_case)
        else:
            defn = self.definitions.get(process_or_case)
        return coerce_text(defn, raw)

    @staticmethod
    def _replayed(uow: UnitOfWork, command: Submit | Fire,
                  target: Case | None = None) -> CommandResult | None:
        """The first result of a command retried under its idempotency key.

        Raises:
            IdempotencyKeyReused: the key was used for another command.
        """
        key = command.idempotency_key
        if not key:
            return None
        event: Event | None = uow.find_by_idempotency_key(key)
        if event is None:
            return None
        case_id = target.id if isinstance(command, Fire) and target is not None else None
        if event.request_hash != request_hash(command, case_id):
            raise IdempotencyKeyReused(key)
        case = target if target is not None and target.id == event.case_id \
            else uow.load_case(event.case_id)
        number = case.number if case is not None else str(event.meta.get("number", ""))
        log.info("command.replayed", idempotency_key=key, case=number)
        return CommandResult(event.case_id, number, event.dest, event.seq, event, True, case)

    def reveal(self, ref: str, user: str, reason: str | None, *,
               export: bool = False) -> Case:
        """Record that ``user`` is shown the case's full ID and phone numbers, with the
        reason, as an event of the case (its version moves on); returns the case.
        ``export``: shown in an unmasked export of the trail (the caller checked the
        platform act granting it).

        Raises:
            UnknownUser, CaseNotFound; PermissionDenied: no jurisdiction, or a declared
                relation; CommentRequired: no reason.
        """
        self._known(user)
        _check_command_text(None, reason)
        self.sync_clock()
        with self.store.unit_of_work() as uow:
            actor = self.actor(user, uow)
            current = uow.load_case(ref)
            if current is None:
                raise CaseNotFound(ref)
            decision = account(decide_reveal(self.definition_for(current), self.org, current,
                                             actor, reason, self.clock.now(), export=export),
                               self.operator)
            uow.append(decision)
        log.info("case.revealed", case=current.number, actor=actor.id)
        return decision.case

    # -- definition versions -----------------------------------------------

    def register_definitions(self, user: str, *, dry_run: bool = False
                             ) -> list[CompiledDefinition]:
        """Register the versions on disk that the database does not hold yet, as
        ``user`` (a platform role granting ``register``), in one transaction, each
        recorded with that user and the time. Returns what was (or would be) registered.

        Raises:
            UnknownUser, PermissionDenied: the user may not register definitions.
            DefinitionVersionConflict: another process registered a version meanwhile
                with other content; nothing is registered.
        """
        actor = self.actor(user)
        platform_role(self.org, actor, "register")
        new = list(self.unregistered)
        if dry_run or not new:
            return new
        self.sync_clock()
        self.store.register_definitions(new, self.clock.now(), registered_by=actor.id)
        for d in new:
            self.definitions.add(d)
            self._pinned[(d.process, d.version, d.content_hash)] = d
            log.info("definition.registered", process=d.process, version=d.version,
                     hash=d.content_hash[:12], actor=actor.id)
        self.unregistered = ()
        return new

    # -- the simulated clock ------------------------------------------------

    def sync_clock(self) -> None:
        """A simulated clock may have been moved by another process: catch up."""
        if isinstance(self.clock, SimulatedClock):
            stored = self.store.get_meta("clock_now")
            if stored:
                when = datetime.fromisoformat(stored)
                if when > self.clock.now():
                    self.clock.set(when)

    def fire_due(self, limit: int | None = None) -> list[FiredTimer]:
        """Fire every timer due by now, oldest first, each in its own transaction.

        A timer is marked fired in the same transaction as what it does, so a
        crash fires it again or not at all, never twice.
        """
        fired: list[FiredTimer] = []
        self.sync_clock()
        while limit is None or len(fired) < limit:
            now = self.clock.now()
            failed: tuple[Timer, BangfuError] | None = None
            with self.store.unit_of_work() as uow:
                due = uow.claim_due(now, 1)
                if not due:
                    break
                timer = due[0]
                case = uow.load_case(timer.case_id)
                if case is None:
                    raise CaseNotFound(timer.case_id)
                defn = self.definition_for(case)
                with structlog.contextvars.bound_contextvars(
                        case=case.number, process=case.process, actor="system",
                        trigger=f"timer:{timer.spec_id}"):
                    try:
                        facts = {**(self._facts(uow, defn, case, (timer.trigger,))
                                    if timer.trigger else {}), **self._stand_ins(uow)}
                        decision = decide_timer(defn, machine_for(defn), self.org, case, timer,
                                                now, self.time_context(case.campaign), facts)
                    except BangfuError as exc:
                        # e.g. the next escalation falls in a year without a
                        # working-day calendar: set this timer aside, go on.
                        uow.fail_timer(timer.id, now, exc.en)
                        failed = (timer, exc)
                    else:
                        decision = account(decision, self.operator)
                        uow.append(decision)
                        if decision.ledger:
                            uow.add_ledger(str(case.campaign), case.id, decision.event.seq,
                                           decision.event.at, decision.ledger)
            if failed is not None:
                log.error("timer.failed", case=case.number, timer=timer.spec_id,
                          timer_id=timer.id, error=failed[1].en)
                continue
            late = (now - timer.due_at).total_seconds()
            event = decision.event
            (log.warning if late >= 60 else log.info)(
                "timer.fired", case=case.number, timer=timer.spec_id, kind=timer.kind,
                due=timer.due_at.isoformat(), late_seconds=int(late), event_kind=event.kind,
                dest=event.dest, messages=len(decision.messages))
            fired.append(FiredTimer(timer, case.number, event, len(decision.messages)))
        return fired

    def set_clock(self, when: datetime | None = None, advance: timedelta | None = None,
                  fire: bool = True) -> list[FiredTimer]:
        """Move a simulated clock forward, firing what falls due on the way, in order.

        The clock stops at each due time, fires the timers due then (which may
        create more), and moves on; it is persisted at every stop.

        Raises:
            ClockError: the database runs on the real clock, or time would go back.
        """
        self.sync_clock()
        if not isinstance(self.clock, SimulatedClock):
            raise ClockError("this database runs on the real clock; clock commands are only "
                             "for databases created with 'bangfu init --simulated'",
                             "此数据库使用真实时钟；只有用 'bangfu init --simulated' 创建的数据库才能调整时钟")
        target = self._reserve_clock(when, advance)
        fired: list[FiredTimer] = []
        while fire:
            due = self.store.next_due()
            if due is None or due > target:
                break
            if due > self.clock.now():
                self._clock_forward(due)
            fired += self.fire_due()
        self._clock_forward(target)
        return fired

    def _reserve_clock(self, when: datetime | None, advance: timedelta | None) -> datetime:
        """Where this move ends, reserved atomically against every other mover.

        Two ``clock advance 1h`` at once end 2 h later, not 1 h: the target is
        counted from the furthest point already reserved (``clock_target``) or
        reached (``clock_now``), and stored with a compare-and-set.
        """
        while True:
            reserved = self.store.get_meta("clock_target")
            base = self.clock.now()
            if reserved is not None:
                base = max(base, datetime.fromisoformat(reserved))
            target = base
            if when is not None:
                if when.tzinfo is None:
                    raise ClockError(f"time '{when.isoformat()}' has no time zone",
                                     f"时间 '{when.isoformat()}' 缺少时区")
                if when < base:
                    raise ClockError(
                        f"the simulated clock cannot go back (now {local(base)}, asked "
                        f"{local(when)})", f"模拟时钟不能倒退(当前 {local(base)},目标 {local(when)})")
                target = when
            if advance is not None:
                if advance < timedelta(0):
                    raise ClockError("the simulated clock cannot go back", "模拟时钟不能倒退")
                if target - base + advance > MAX_CLOCK_MOVE:
                    _too_far(f"{advance.days} days", f"{advance.days} 天")
                target = target + advance
            if target - base > MAX_CLOCK_MOVE:
                _too_far(f"{local(base)} → {local(target)}", f"{local(base)} → {local(target)}")
            if self.store.swap_meta("clock_target", reserved, target.isoformat()):
                return target
            self.sync_clock()

    def _clock_forward(self, when: datetime) -> None:
        """Move the stored clock to ``when`` unless another mover is already past it."""
        while True:
            stored = self.store.get_meta("clock_now")
            if stored is not None and datetime.fromisoformat(stored) >= when:
                self.sync_clock()
                return
            if self.store.swap_meta("clock_now", stored, when.isoformat()):
                if isinstance(self.clock, SimulatedClock):
                    self.clock.set(when)
                return

    def deadlines(self, unit: str | None = None, overdue: bool = False) -> list[Deadline]:
        """Open deadlines of open cases (in ``unit``'s subtree), soonest first."""
        units = self.subtree(unit) if unit else None
        now = self.clock.now()
        seen: dict[tuple[str, str], Deadline] = {}
        cases: dict[str, Case] = {}
        # Escalations sent are counted, not read off the pending one's seq: seq
        # numbers the period slot, and slots are skipped when the state was
        # entered after its deadline or the scheduler was down.
        sent: dict[tuple[str, str], list[Timer]] = {}
        for timer in self.store.timers(status=["fired"], units=units):
            if timer.kind == "escalate":
                sent.setdefault((timer.case_id, timer.spec_id), []).append(timer)
        for timer in self.store.timers(status=["pending"], units=units):
            key = (timer.case_id, timer.spec_id)
            if key in seen or timer.kind == "recur":
                continue
            case = cases.get(timer.case_id) or self.store.get_case(timer.case_id)
            if case is None:
                continue
            cases[timer.case_id] = case
            # a state's escalations count from its current entry, not an earlier stay
            escalations = sum(1 for t in sent.get(key, ())
                              if t.scope == "case" or t.created_at >= case.state_entered_at)
            seen[key] = Deadline(case, timer.spec_id, timer.deadline_at,
                                 timer.deadline_at < now, escalations)
        found = sorted(seen.values(), key=lambda d: (d.deadline_at, d.case.number))
        return [d for d in found if d.overdue] if overdue else found


@dataclass(frozen=True, slots=True)
class FiredTimer:
    timer: Timer
    case_number: str
    event: Event
    messages: int


@dataclass(frozen=True, slots=True)
class Deadline:
    case: Case
    timer: str
    deadline_at: datetime
    overdue: bool
    escalations: int


#: an idempotency key is at most this long (the column's width on every database)
MAX_KEY = 128


def _check_command_text(key: str | None, comment: str | None) -> None:
    """The key and the comment bounded where they enter (a key past the column's width
    failed only on PostgreSQL, with raw SQL)."""
    problems = []
    if key is not None and (len(key) > MAX_KEY or not key.strip() or "\x00" in key):
        problems.append(("idempotency_key", f"must be 1 to {MAX_KEY} characters, without NUL",
                         f"幂等键应为 1 至 {MAX_KEY} 个字符，且不含空字符"))
    if comment is not None and (len(comment) > MAX_TEXT or "\x00" in comment):
        problems.append(("comment", f"must be at most {MAX_TEXT:,} characters, without NUL",
                         f"意见最多 {MAX_TEXT:,} 个字符，且不含空字符"))
    if problems:
        raise InvalidData(problems)


def _too_far(asked_en: str, asked_zh: str) -> NoReturn:
    days = MAX_CLOCK_MOVE.days
    raise ClockError(
        f"one move of the simulated clock spans at most {days} days (asked {asked_en}); move "
        "it in steps, so that what falls due on the way stays reviewable",
        f"模拟时钟一次最多拨动 {days} 天（要求 {asked_zh}）；请分步拨动，以便逐步核对期间到期的事项")


def _hint(name: str, known: Mapping[str, Any]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _result(case: Case, event: Event) -> CommandResult:
    return CommandResult(case.id, case.number, event.dest, event.seq, event, False, case)
