"""Substitutes through the engine and the org service: periods stored, loaded as facts
of each command, ended early, listed as each user may, shown "by X for Y", and held to
the trail by verify."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update

from storage.tables import substitutions
from tests.helpers.substitutes import stand_in
from workflow import Engine, PermissionDenied
from workflow.errors import ClockError, SubstitutionRefused
from workflow.services.cases import history, list_readable, readable
from workflow.services.inspection import verify
from workflow.services.org import end_substitute, list_substitutes

NewCase = Callable[..., str]


def test_a_recorded_period_lets_the_substitute_act(engine: Engine, new_case: NewCase) -> None:
    """With a period recorded, zhang.min accepts wang.fang's case; the event names both."""
    number = new_case()
    stand_in(engine, "wang.fang", "zhang.min")
    engine.fire(number, "accept", "zhang.min")
    last = engine.history(number)[-1]
    assert (last.actor, last.meta["on_behalf_of"]) == ("zhang.min", "wang.fang")


def test_a_period_from_today_starts_now_and_ends_with_its_last_day(engine: Engine) -> None:
    """--from today means from now; --to a date means to the end of that day."""
    view = stand_in(engine, "wang.fang", "zhang.min", starts="2027-01-04", ends="2027-01-10")
    assert (view["from"], view["to"], view["state"]) == ("2027-01-04 09:00",
                                                         "2027-01-11 00:00", "active")


def test_a_period_ending_early_stops_the_substitute(
        engine: Engine, new_case: NewCase, unchanged: Callable) -> None:
    """Ended early by the reviewer, the next command of the substitute is refused."""
    number = new_case()
    ident = stand_in(engine, "wang.fang", "zhang.min")["id"]
    engine.set_clock(advance=timedelta(hours=1))
    ended = end_substitute(engine, "wang.fang", ident, "提前销假")
    assert (ended["state"], ended["ended_by"]) == ("ended", "wang.fang")
    with unchanged(number), pytest.raises(PermissionDenied) as err:
        engine.fire(number, "accept", "zhang.min")
    assert err.value.reason == "substitution_period"


def test_a_period_ended_before_it_begins_never_runs(engine: Engine, new_case: NewCase) -> None:
    """Cancelled before its start, a period grants nothing on its days."""
    number = new_case()
    ident = stand_in(engine, "wang.fang", "zhang.min", starts="2027-01-06")["id"]
    end_substitute(engine, "admin", ident)
    engine.set_clock(advance=timedelta(days=3))
    with pytest.raises(PermissionDenied) as err:
        engine.fire(number, "accept", "zhang.min")
    assert err.value.reason == "jurisdiction"


def test_a_substitute_may_end_their_own_period(engine: Engine) -> None:
    """The substitute, too, may give the period back."""
    ident = stand_in(engine, "wang.fang", "zhang.min")["id"]
    assert end_substitute(engine, "zhang.min", ident)["state"] == "ended"


def test_ending_twice_is_refused(engine: Engine) -> None:
    """A period ended already cannot be ended again."""
    ident = stand_in(engine, "wang.fang", "zhang.min")["id"]
    engine.set_clock(advance=timedelta(minutes=5))
    end_substitute(engine, "wang.fang", ident)
    with pytest.raises(SubstitutionRefused, match="ended early already"):
        end_substitute(engine, "wang.fang", ident)


def test_ending_an_unknown_period_is_refused(engine: Engine) -> None:
    """No such number: said so."""
    with pytest.raises(SubstitutionRefused, match="no substitution 99"):
        end_substitute(engine, "admin", 99)


@pytest.mark.parametrize("by", ["zhang.min", "liu.qiang", "yang.jing"])
def test_only_the_reviewer_or_an_administrator_names_a_substitute(engine: Engine,
                                                                   by: str) -> None:
    """Not the substitute, not a colleague, not the township office."""
    with pytest.raises(PermissionDenied, match="only the reviewer themselves"):
        stand_in(engine, "wang.fang", "zhang.min", by=by)
    assert list_substitutes(engine, None) == []


def test_an_administrator_names_a_substitute(engine: Engine) -> None:
    """The administrator records a period for a reviewer who cannot."""
    view = stand_in(engine, "wang.fang", "zhang.min", by="admin")
    assert (view["created_by"], view["reviewer"]) == ("admin", "wang.fang")


def test_a_second_substitute_for_the_same_days_is_refused(engine: Engine) -> None:
    """The overlap is checked against what is stored, and nothing more is written."""
    stand_in(engine, "wang.fang", "zhang.min")
    with pytest.raises(SubstitutionRefused, match="already has substitute"):
        stand_in(engine, "wang.fang", "ma.hui", starts="2027-01-10", ends="2027-01-25")
    assert len(list_substitutes(engine, None)) == 1


def test_a_substitute_cannot_hand_the_desk_on(engine: Engine) -> None:
    """zhang.min stands in for wang.fang and cannot name a substitute of her own then."""
    stand_in(engine, "wang.fang", "zhang.min")
    with pytest.raises(SubstitutionRefused, match="cannot substitute further"):
        stand_in(engine, "zhang.min", "ma.hui", starts="2027-01-05", ends="2027-01-06")


def test_a_bad_date_is_refused_with_the_format(engine: Engine) -> None:
    """A date that is none says what one looks like."""
    with pytest.raises(ClockError, match="2027-01-04"):
        stand_in(engine, "wang.fang", "zhang.min", starts="next monday")


def test_the_substitutes_queue_holds_the_reviewers_cases(
        engine: Engine, new_case: NewCase) -> None:
    """During the period zhang.min's queue has Shangcun's case; after it, no longer."""
    number = new_case()
    stand_in(engine, "wang.fang", "zhang.min", ends="2027-01-05")
    assert number in [c.number for c, _ in engine.queue("zhang.min")]
    engine.set_clock(advance=timedelta(days=2))
    assert number not in [c.number for c, _ in engine.queue("zhang.min")]


def test_the_substitute_reads_the_reviewers_cases_within_the_period(
        engine: Engine, new_case: NewCase) -> None:
    """Scoped reads follow the period: readable and listed, then not."""
    from workflow import CaseNotFound

    number = new_case()
    stand_in(engine, "wang.fang", "zhang.min", ends="2027-01-05")
    assert readable(engine, "zhang.min", number).number == number
    assert list_readable(engine, "zhang.min", "zh").total == 1
    engine.set_clock(advance=timedelta(days=2))
    with pytest.raises(CaseNotFound):
        readable(engine, "zhang.min", number)
    assert list_readable(engine, "zhang.min", "zh").total == 0


def test_the_history_says_by_whom_for_whom(engine: Engine, new_case: NewCase) -> None:
    """In Chinese "张敏 (zhang.min) 代 王芳 (wang.fang)", in English "... for ..."."""
    number = new_case()
    stand_in(engine, "wang.fang", "zhang.min")
    engine.fire(number, "accept", "zhang.min")
    _, zh = history(engine, number, "zh")
    _, en = history(engine, number, "en")
    assert zh[-1]["by"] == "张敏 (zhang.min) 代 王芳 (wang.fang)"
    assert en[-1]["by"] == "张敏 (zhang.min) for 王芳 (wang.fang)"
    assert zh[-1]["on_behalf_of"] == "wang.fang" and zh[0]["on_behalf_of"] is None


def test_verify_accepts_a_substitutes_events(engine: Engine, new_case: NewCase) -> None:
    """The trail with a substitute's event verifies clean."""
    number = new_case()
    stand_in(engine, "wang.fang", "zhang.min")
    engine.fire(number, "accept", "zhang.min")
    assert verify(engine).ok


def test_verify_finds_a_period_edited_after_the_fact(engine: Engine, new_case: NewCase) -> None:
    """Moving the period's start past the event (by hand, in the database) is found."""
    number = new_case()
    ident = stand_in(engine, "wang.fang", "zhang.min")["id"]
    engine.fire(number, "accept", "zhang.min")
    later = engine.clock.now() + timedelta(days=1)
    with engine.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(substitutions).where(substitutions.c.id == ident)
                     .values(starts_at=later))
    report = verify(engine)
    assert not report.ok
    assert any("does not fit substitution" in f.text("en") for f in report.findings)


def test_a_reviewer_lists_only_their_own_periods(engine: Engine) -> None:
    """wang.fang sees hers; liu.qiang none; the administrator all; asking for another
    user's is refused."""
    stand_in(engine, "wang.fang", "zhang.min")
    stand_in(engine, "yang.jing", "song.yu")
    assert [v["reviewer"] for v in list_substitutes(engine, "wang.fang")] == ["wang.fang"]
    assert list_substitutes(engine, "liu.qiang") == []
    assert len(list_substitutes(engine, "admin")) == 2
    with pytest.raises(PermissionDenied):
        list_substitutes(engine, "liu.qiang", of="wang.fang")


def test_the_period_records_who_named_it_and_the_console_account(engine: Engine) -> None:
    """The row keeps its maker and the operating-system account of the command."""
    engine.operator = "clerk"
    stand_in(engine, "wang.fang", "zhang.min")
    (row,) = engine.store.substitution_rows()
    assert (row["created_by"], row["operator"], row["reason"]) == ("wang.fang", "clerk",
                                                                   "休产假")


def recipients(engine: Engine, number: str) -> set[str]:
    case = engine.get_case(number)
    return {m["recipient"] for m in engine.store.messages()  # type: ignore[attr-defined]
            if m["case_id"] == case.id}


def test_the_substitute_is_told_what_the_reviewer_is_told(engine: Engine,
                                                          new_case: NewCase) -> None:
    """A new Shangcun case waits for wang.fang; within the period zhang.min hears too."""
    stand_in(engine, "wang.fang", "zhang.min")
    number = new_case()
    assert {"wang.fang", "zhang.min"} <= recipients(engine, number)


def test_outside_the_period_the_substitute_is_not_told(engine: Engine,
                                                       new_case: NewCase) -> None:
    """A period starting tomorrow brings zhang.min no message today."""
    stand_in(engine, "wang.fang", "zhang.min", starts="2027-01-05")
    number = new_case()
    assert "wang.fang" in recipients(engine, number)
    assert "zhang.min" not in recipients(engine, number)


def test_a_related_substitute_is_not_told(engine: Engine, new_case: NewCase) -> None:
    """sun.li declared a relation to li.xiulan: standing in for gao.peng she hears nothing
    of a Xiacun case of that household."""
    from tests.helpers.cases import LI_ID

    stand_in(engine, "gao.peng", "sun.li")
    number = new_case("zhang.min", id_number=LI_ID)
    engine.fire(number, "accept", "zhang.min")
    assert "gao.peng" in recipients(engine, number)
    assert "sun.li" not in recipients(engine, number)


def test_a_reminder_goes_to_the_substitute_too(engine: Engine, new_case: NewCase) -> None:
    """The reminder of the lists' deadline to Shangcun's panel reaches gao.peng, standing
    in for liu.qiang."""
    number = new_case()
    engine.fire(number, "accept", "wang.fang")
    stand_in(engine, "liu.qiang", "gao.peng", ends="2027-02-01")
    engine.set_clock(advance=timedelta(days=12))
    case = engine.get_case(number)
    reminded = {m["recipient"] for m in engine.store.messages("reminder")  # type: ignore[attr-defined]
                if m["case_id"] == case.id}
    assert {"liu.qiang", "gao.peng"} <= reminded
