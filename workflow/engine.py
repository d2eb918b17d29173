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
from datetime import datetime, timedelta
from typing import Any

import structlog

from definitions.compile import CompiledDefinition, DefinitionSet
from definitions.org import Org

from .clock import Clock, SimulatedClock
from .data import coerce_text
from .decide import decide_fire, decide_submit, options, request_hash
from .errors import CaseNotFound, ClockError, IdempotencyKeyReused, UnknownUser
from .machine import machine_for
from .model import (
    SYSTEM,
    SYSTEM_ACTOR,
    Actor,
    Case,
    CommandResult,
    Event,
    Fire,
    Submit,
    TriggerOption,
)
from .ports import CaseStore

log = structlog.get_logger("bangfu.engine")


class Engine:
    """What a portal embeds and the CLI drives."""

    def __init__(self, store: CaseStore, definitions: DefinitionSet, org: Org,
                 clock: Clock) -> None:
        self.store = store
        self.definitions = definitions
        self.org = org
        self.clock = clock
        self._pinned: dict[tuple[str, int, str], CompiledDefinition] = {
            (d.process, d.version, d.content_hash): d for d in definitions}

    # -- look-ups -----------------------------------------------------------

    def actor(self, user: str) -> Actor:
        """The org user ``user`` as an actor (``system`` is the timer actor).

        Raises:
            UnknownUser: not in the org.
        """
        if user == SYSTEM:
            return SYSTEM_ACTOR
        spec = self.org.users.get(user)
        if spec is None:
            raise UnknownUser(user, list(self.org.users))
        return Actor(spec.id, spec.name, spec.unit, spec.roles)

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
        """What ``user`` may fire on the case now, and why not the rest."""
        case = ref if isinstance(ref, Case) else self.get_case(ref)
        defn = self.definition_for(case)
        return options(defn, machine_for(defn), self.org, case, self.actor(user),
                       self.clock.now(), lang)

    def queue(self, user: str, lang: str = "zh") -> list[tuple[Case, list[TriggerOption]]]:
        """Cases on which ``user`` can fire something right now."""
        actor = self.actor(user)
        out: list[tuple[Case, list[TriggerOption]]] = []
        for defn in self._latest_and_pinned():
            states = sorted({src for t in defn.spec.transitions
                             if set(t.roles) & set(actor.roles) for src in t.source})
            if not states:
                continue
            scopes = {defn.spec.roles[r].scope for r in actor.roles if r in defn.spec.roles}
            candidates: list[Case] = []
            if scopes & {"jurisdiction", "anyone"}:
                units = None if "anyone" in scopes else self.subtree(actor.unit)
                candidates = self.store.list_cases(process=defn.process, states=states,
                                                   units=units)
            if "own" in scopes:
                seen = {c.id for c in candidates}
                candidates += [c for c in self.store.list_cases(
                    process=defn.process, states=states, applicant_user=actor.id)
                    if c.id not in seen]
            for case in candidates:
                if case.definition_version != defn.version:
                    continue
                opts = [o for o in self.options(case, user, lang) if o.allowed]
                if opts:
                    out.append((case, opts))
        out.sort(key=lambda pair: pair[0].updated_at)
        return out

    def _latest_and_pinned(self) -> list[CompiledDefinition]:
        return list(self.definitions)

    # -- commands -----------------------------------------------------------

    def submit(self, process: str, user: str, data: Mapping[str, Any], *,
               unit: str | None = None, comment: str | None = None,
               idempotency_key: str | None = None,
               process_version: int | None = None) -> CommandResult:
        """Open a case of ``process`` (latest version unless given)."""
        command = Submit(process, user, dict(data), unit, comment, idempotency_key,
                         process_version)
        defn = self.definitions.get(process, process_version)
        actor = self.actor(user)
        with structlog.contextvars.bound_contextvars(process=process, actor=user,
                                                     trigger="submit"):
            with self.store.unit_of_work() as uow:
                prior = self._replayed(uow, command)
                if prior is not None:
                    return prior
                number = f"{defn.spec.case_prefix}-{uow.next_number(defn.spec.case_prefix):06d}"
                decision = decide_submit(defn, self.org, actor, command, self.clock.now(),
                                         uuid.uuid4().hex, number)
                uow.append(decision)
            log.info("case.submitted", case=number, state=decision.case.state)
        return _result(decision.case.id, decision.case.number, decision.event)

    def fire(self, case: str, trigger: str, user: str, *, data: Mapping[str, Any] | None = None,
             comment: str | None = None, expected_version: int | None = None,
             idempotency_key: str | None = None) -> CommandResult:
        """Fire ``trigger`` on ``case`` (id or number) as ``user``."""
        command = Fire(case, trigger, user, dict(data or {}), comment, expected_version,
                       idempotency_key)
        actor = self.actor(user)
        with structlog.contextvars.bound_contextvars(case=case, actor=user, trigger=trigger):
            with self.store.unit_of_work() as uow:
                prior = self._replayed(uow, command)
                if prior is not None:
                    return prior
                current = uow.load_case(case)
                if current is None:
                    raise CaseNotFound(case)
                defn = self.definition_for(current)
                decision = decide_fire(defn, machine_for(defn), self.org, current, actor,
                                       command, self.clock.now())
                uow.append(decision)
            log.info("case.transition", process=current.process, source=current.state,
                     dest=decision.case.state, version=decision.case.version)
        return _result(decision.case.id, decision.case.number, decision.event)

    def coerce(self, process_or_case: str | Case, raw: Mapping[str, str]) -> dict[str, Any]:
        """Typed data from ``name=value`` texts, by the fields of the definition."""
        if isinstance(process_or_case, Case):
            defn = self.definition_for(process_or_case)
        else:
            defn = self.definitions.get(process_or_case)
        return coerce_text(defn, raw)

    @staticmethod
    def _replayed(uow: Any, command: Submit | Fire) -> CommandResult | None:
        key = command.idempotency_key
        if not key:
            return None
        event: Event | None = uow.find_by_idempotency_key(key)
        if event is None:
            return None
        if event.request_hash != request_hash(command):
            raise IdempotencyKeyReused(key)
        case = uow.load_case(event.case_id)
        number = case.number if case is not None else str(event.meta.get("number", ""))
        log.info("command.replayed", idempotency_key=key, case=number)
        return _result(event.case_id, number, event, replayed=True)

    # -- the simulated clock ------------------------------------------------

    def set_clock(self, when: datetime | None = None, advance: timedelta | None = None) -> datetime:
        """Move a simulated clock forward and persist it.

        Raises:
            ClockError: the database runs on the real clock, or time would go back.
        """
        if not isinstance(self.clock, SimulatedClock):
            raise ClockError("this database runs on the real clock; clock commands are only "
                             "for databases created with 'bangfu init --simulated'",
                             "此数据库使用真实时钟；只有用 'bangfu init --simulated' 创建的数据库才能调整时钟")
        if when is not None:
            self.clock.set(when)
        if advance is not None:
            self.clock.advance(advance)
        self.store.set_meta("clock_now", self.clock.now().isoformat())
        return self.clock.now()


def _result(case_id: str, number: str, event: Event, replayed: bool = False) -> CommandResult:
    return CommandResult(case_id, number, event.dest, event.seq, event, replayed)
