"""Replay: a case is its events folded in order, so the stored case and the replayed
one cannot disagree."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tests.helpers.cases import FINAL, NON_FINAL, move
from workflow import Case, Engine, evolve, replay

Walk = Callable[..., Case]


@pytest.mark.parametrize("state", [*NON_FINAL, *FINAL])
def test_replay_equals_the_stored_case(engine: Engine, walk: Walk, state: str) -> None:
    """Replaying a walked case's history gives exactly the stored case."""
    stored = walk(state)
    replayed = replay(engine.definition_for(stored), engine.history(stored.number))
    assert replayed == stored
    assert (replayed.state, replayed.version, dict(replayed.data)) == (
        stored.state, stored.version, dict(stored.data))
    assert replayed.duties == stored.duties


def test_replay_of_a_general_case(engine: Engine, walk: Walk) -> None:
    """A general case completed without the county replays the same."""
    stored = walk("completed", category="general")
    assert replay(engine.definition_for(stored), engine.history(stored.number)) == stored


def test_replay_after_an_objection_and_a_return(engine: Engine, walk: Walk) -> None:
    """Loops (objection dismissed, evidence returned) keep first entries and duties."""
    case = walk("objection_review")
    engine.fire(case.number, "dismiss_objection", "yang.jing", comment="不属实")
    move(engine, case.number, "preliminary_review")
    engine.fire(case.number, "request_evidence", "yang.jing", comment="补充收入证明")
    engine.fire(case.number, "resubmit", "li.xiulan", data={"evidence_note": "已补"})
    move(engine, case.number, "deliberation")
    stored = engine.get_case(case.number)
    assert stored.version == 9
    replayed = replay(engine.definition_for(stored), engine.history(case.number))
    assert replayed == stored
    assert replayed.first_entered["publicity"] == stored.first_entered["publicity"]


def test_replay_of_a_prefix_is_the_case_at_that_time(engine: Engine, walk: Walk) -> None:
    """The first k events give the case at version k."""
    case = walk("second_review")
    history = engine.history(case.number)
    at3 = replay(engine.definition_for(case), history[:3])
    assert (at3.version, at3.state) == (3, "publicity")
    assert at3.duties == {"deliberation": ("liu.qiang",)}


def test_evolve_refuses_an_event_out_of_order(engine: Engine, walk: Walk) -> None:
    """Skipping an event is refused."""
    case = walk("publicity")
    history = engine.history(case.number)
    first = replay(engine.definition_for(case), history[:1])
    with pytest.raises(ValueError, match="does not follow version 1"):
        evolve(engine.definition_for(case), first, history[2])


def test_evolve_refuses_an_event_applied_twice(engine: Engine, walk: Walk) -> None:
    """The same event cannot be applied again."""
    case = walk("deliberation")
    last = engine.history(case.number)[-1]
    with pytest.raises(ValueError):
        evolve(engine.definition_for(case), case, last)


def test_a_case_starts_with_its_submission(engine: Engine, walk: Walk) -> None:
    """Folding from nothing needs the submission event first."""
    case = walk("deliberation")
    second = engine.history(case.number)[1]
    with pytest.raises(ValueError, match="must start with a submission"):
        evolve(engine.definition_for(case), None, second)
    with pytest.raises(ValueError, match="must start with a submission"):
        evolve(engine.definition_for(case), None, dataclasses.replace(second, kind="submitted"))


def test_replay_of_nothing_is_refused(engine: Engine, walk: Walk) -> None:
    """There is no case without events."""
    with pytest.raises(ValueError):
        replay(engine.definition_for(walk("application")), [])
