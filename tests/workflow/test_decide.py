"""The pure core: decide_submit, decide_fire and options, with no database and the time
given as an argument."""

from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta
from typing import Any

import pytest

from definitions import SHIPPED_PROCESSES, CompiledDefinition, DefinitionSet, Org, load_definition
from tests.helpers.cases import DISBURSE, NOTICE_DAYS, PROCESS, START, application
from workflow import (
    Actor,
    Case,
    CaseClosed,
    ConcurrencyConflict,
    Fire,
    GuardFailed,
    InvalidTrigger,
    PermissionDenied,
    Submit,
)
from workflow.core.decide import decide_fire, decide_submit, options, request_hash
from workflow.core.machine import machine_for
from workflow.core.model import SYSTEM_ACTOR, Decision
from workflow.core.registry import REGISTRY

NOW = START.astimezone(UTC)


class Core:
    """The shipped definition and org, with small helpers around decide."""

    def __init__(self, defn: CompiledDefinition, org: Org) -> None:
        self.defn, self.org = defn, org

    def actor(self, user: str) -> Actor:
        spec = self.org.users[user]
        return Actor(spec.id, spec.name, spec.unit, spec.roles)

    def submit(self, user: str = "li.xiulan", **data: Any) -> Case:
        command = Submit(PROCESS, user, application(**data))
        return decide_submit(self.defn, self.org, self.actor(user), command, NOW, "c1",
                             "CF-000001").case

    def fire(self, case: Case, trigger: str, user: str, now: Any = NOW,
             defn: CompiledDefinition | None = None, **kwargs: Any) -> Decision:
        d = defn or self.defn
        actor = SYSTEM_ACTOR if user == "system" else self.actor(user)
        return decide_fire(d, machine_for(d), self.org, case, actor,
                           Fire(case.number, trigger, user, **kwargs), now)

    def walk(self, *steps: tuple[str, str, dict[str, Any]], case: Case | None = None,
             now: Any = NOW) -> Case:
        case = case or self.submit()
        for trigger, user, kwargs in steps:
            case = self.fire(case, trigger, user, now, **kwargs).case
        return case


@pytest.fixture(scope="module")
def core(shipped: tuple[DefinitionSet, Org]) -> Core:
    return Core(shipped[0].get(PROCESS), shipped[1])


TO_PUBLICITY = (("accept", "wang.fang", {}), ("pass_deliberation", "liu.qiang", {}))
#: from publicity to second review, once the notice window is over
TO_REST = (("close_notice", "system", {}),
           ("approve_preliminary", "yang.jing", {"data": {"home_visit_note": "已入户"}}))
LATER = NOW + NOTICE_DAYS


def test_submit_opens_a_case_in_the_initial_state(core: Core) -> None:
    """decide_submit answers the first event and the case it makes, nothing else."""
    case = core.submit()
    assert (case.id, case.number, case.state, case.version) == ("c1", "CF-000001",
                                                                "application", 1)
    assert (case.unit, case.applicant_user, case.created_at) == ("shangcun", "li.xiulan", NOW)


def test_submit_event_records_number_unit_and_definition(core: Core) -> None:
    """The submission event carries what replay needs to rebuild the case."""
    command = Submit(PROCESS, "wang.fang", application(), idempotency_key="k1")
    event = decide_submit(core.defn, core.org, core.actor("wang.fang"), command, NOW, "c9",
                          "CF-000009").event
    assert (event.seq, event.kind, event.trigger, event.source, event.dest) == (
        1, "submitted", "submit", None, "application")
    assert {k: event.meta[k] for k in ("number", "unit", "applicant_user", "definition_hash")} \
        == {"number": "CF-000009", "unit": "shangcun", "applicant_user": None,
            "definition_hash": core.defn.content_hash}
    assert event.role == "village_staff" and event.request_hash == request_hash(command)


def test_fire_answers_the_next_event_and_case(core: Core) -> None:
    """decide_fire gives event seq = version + 1 and the case after it."""
    case = core.submit()
    decision = core.fire(case, "accept", "wang.fang")
    assert (decision.event.seq, decision.event.source, decision.event.dest) == (
        2, "application", "deliberation")
    assert (decision.case.state, decision.case.version, decision.previous_version) == (
        "deliberation", 2, 1)


def test_fire_leaves_the_given_case_alone(core: Core) -> None:
    """The input case is a frozen value and is not changed by a decision."""
    case = core.submit()
    core.fire(case, "accept", "wang.fang")
    assert (case.state, case.version) == ("application", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.state = "x"  # type: ignore[misc]


def test_stale_version_is_a_conflict_even_if_the_trigger_no_longer_fits(core: Core) -> None:
    """A caller who saw version 1 gets ConcurrencyConflict, not a misleading InvalidTrigger."""
    case = core.fire(core.submit(), "accept", "wang.fang").case
    with pytest.raises(ConcurrencyConflict) as ei:
        core.fire(case, "accept", "wang.fang", expected_version=1)
    assert (ei.value.expected, ei.value.actual) == (1, 2)
    assert "CF-000001" in str(ei.value) and "CF-000001" in ei.value.localized("zh")


def test_stale_version_on_a_closed_case_is_a_conflict(core: Core) -> None:
    """Also a case closed meanwhile answers a stale version with ConcurrencyConflict."""
    case = core.fire(core.submit(), "withdraw", "li.xiulan", comment="撤回").case
    with pytest.raises(ConcurrencyConflict):
        core.fire(case, "accept", "wang.fang", expected_version=1)
    with pytest.raises(CaseClosed):
        core.fire(case, "accept", "wang.fang", expected_version=2)


def test_current_version_is_accepted(core: Core) -> None:
    """The version the caller saw, if still current, lets the command through."""
    assert core.fire(core.submit(), "accept", "wang.fang",
                     expected_version=1).case.version == 2


def test_window_is_judged_at_the_time_given(core: Core) -> None:
    """The notice window guard reads ``now`` from the argument, not a clock."""
    case = core.walk(*TO_PUBLICITY)
    with pytest.raises(GuardFailed):
        core.fire(case, "close_notice", "system", LATER - timedelta(seconds=1))
    assert core.fire(case, "close_notice", "system", LATER).case.state == "preliminary_review"


def test_when_conditions_pick_the_route(core: Core) -> None:
    """The category decides between the two approve_second transitions."""
    severe = core.walk(*TO_REST, case=core.walk(*TO_PUBLICITY), now=LATER)
    general = core.walk(*TO_REST, case=core.walk(*TO_PUBLICITY, case=core.submit(
        category="general")), now=LATER)
    assert core.fire(severe, "approve_second", "zhu.tao", LATER).case.state == "reported"
    assert core.fire(general, "approve_second", "zhu.tao", LATER).case.state == "disbursement"


def test_guard_failures_name_every_failed_condition(core: Core) -> None:
    """Both missing signatures are named, each as its own failure."""
    case = core.walk(*TO_REST, ("approve_second", "zhu.tao", {}),
                     ("county_accept", "hu.kezhang", {}), case=core.walk(*TO_PUBLICITY),
                     now=LATER)
    with pytest.raises(GuardFailed) as ei:
        core.fire(case, "disburse", "xu.lei", LATER,
                  data={**DISBURSE, "recipient_signed": False, "cadre_signed": False})
    signed = [f for f in ei.value.failures if "signed" in f[0]]
    first, second = signed
    assert "recipient_signed" in first[0] and "recipient_signed" in first[1]
    assert "cadre_signed" in second[0] and "cadre_signed" in second[1]
    assert [first[1], second[1]] == [z for e, z in ei.value.failures if "signed" in e]
    assert len(ei.value.to_dict("zh")["failed"]) == len(ei.value.failures)


def test_system_actor_fires_only_system_transitions(core: Core) -> None:
    """The timer actor may close a notice but not accept an application."""
    with pytest.raises(PermissionDenied) as ei:
        core.fire(core.submit(), "accept", "system")
    assert ei.value.reason == "role"


def test_invalid_trigger_from_the_pure_core(core: Core) -> None:
    """decide_fire itself refuses a trigger that does not leave the state."""
    with pytest.raises(InvalidTrigger) as ei:
        core.fire(core.submit(), "county_accept", "hu.kezhang")
    assert ei.value.state == "application"


def test_a_definition_loaded_twice_shares_one_working_machine(core: Core) -> None:
    """An equal definition read again (new objects) fires through the cached machine."""
    again = load_definition(SHIPPED_PROCESSES / "relief_application.yaml",
                            known_guards=REGISTRY)
    assert again is not core.defn and machine_for(again) is machine_for(core.defn)
    decision = core.fire(core.submit(), "accept", "wang.fang", defn=again)
    assert decision.case.state == "deliberation"


def test_request_hash_tells_a_retry_from_another_command() -> None:
    """The same command hashes the same; another comment or trigger does not."""
    a = Fire("CF-000001", "reject", "liu.qiang", {}, "理由", None, "k1")
    assert request_hash(a) == request_hash(dataclasses.replace(a, idempotency_key="k2"))
    assert request_hash(a) != request_hash(dataclasses.replace(a, comment="另一理由"))
    assert request_hash(a) != request_hash(dataclasses.replace(a, trigger="accept"))


def test_options_are_pure(core: Core) -> None:
    """options() judges the actor against the case at the time given."""
    case = core.walk(*TO_PUBLICITY)
    before = {o.trigger: o.allowed for o in options(
        core.defn, machine_for(core.defn), core.org, case, core.actor("wang.fang"), NOW)}
    after = {o.trigger: o.allowed for o in options(
        core.defn, machine_for(core.defn), core.org, case, core.actor("wang.fang"), LATER)}
    assert before == {"object": True, "close_notice": False, "withdraw": True}
    assert after["close_notice"] is True
