"""Deadlines that enforce themselves, through the Engine on a simulated clock: the notice
that closes itself, daily escalations to the first responsible persons, reminders to
whoever holds the case, timers cancelled when moot, fired in due order and each once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import storage.sql
from cli import app
from definitions import SHIPPED_PROCESSES
from storage.tables import events, outbox, timers
from tests.helpers.cases import NOTICE_DAYS, PROCESS, START, application, count_rows, household_id
from workflow import (
    Case,
    CommandRejected,
    ConcurrencyConflict,
    Engine,
    Event,
    GuardFailed,
    PermissionDenied,
)
from workflow.bootstrap import init_database, open_engine
from workflow.core.deadlines import LOCAL, DeadlineError
from workflow.errors import CampaignError

Walk = Callable[..., Case]
NewCase = Callable[..., str]
DAY = timedelta(days=1)
#: an ID number none of the sample org's users declared a relation to
OTHER_ID = "331122196001010015"
_OTHERS = iter(range(500, 10_000))


def other_id() -> str:
    """A neutral household (nobody declared a relation to it), new at each call."""
    return household_id(next(_OTHERS))
FIRST_RESPONSIBLE = {"dongling": ["chen.shuji", "zhou.zhenzhang"], "xihe": ["he.shuji"]}

runner = CliRunner()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def end_of(day: str) -> datetime:
    """The last instant of a local day: a campaign date without a time means that."""
    return datetime.combine(date.fromisoformat(day), datetime.max.time(), tzinfo=LOCAL)


def timer_events(engine: Engine, number: str, kind: str | None = None,
                 timer: str | None = None) -> list[Event]:
    """The events of a case caused by timers (of that event kind and timer id)."""
    return [e for e in engine.history(number) if "timer_id" in e.meta
            and (kind is None or e.kind == kind) and (timer is None or e.meta["timer"] == timer)]


def timer_rows(engine: Engine, case: Case | str, spec: str | None = None) -> list[Any]:
    case_id = case.id if isinstance(case, Case) else engine.get_case(case).id
    return [t for t in engine.store.timers(case_id) if spec is None or t.spec_id == spec]


def sent_for(engine: Engine, case: Case, caused_by: list[Event]) -> list[tuple[int, str, Any]]:
    """(event seq, recipient, sent at) of the outbox rows written with these events."""
    seqs = {e.seq for e in caused_by}
    return [(m["event_seq"], m["recipient"], m["created_at"])
            for m in engine.store.messages()  # type: ignore[attr-defined]
            if m["case_id"] == case.id and m["event_seq"] in seqs]


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every timer and outbox row, and the case and event counts."""
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return {"rows": count_rows(engine),
                "timers": [tuple(r) for r in conn.execute(select(timers).order_by(timers.c.id))],
                "outbox": [tuple(r) for r in conn.execute(select(outbox).order_by(outbox.c.id))]}


def cli_json(db: str, *args: str) -> Any:
    res = runner.invoke(app, [*args, "--json", "--db", db], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


# -- (a) the public notice closes itself ------------------------------------------------


def test_notice_still_open_after_two_days(engine: Engine, walk: Walk) -> None:
    """Two days into the three-day notice the case is still in publicity, its timer pending."""
    case = walk("publicity")
    engine.set_clock(advance=2 * DAY)
    assert engine.get_case(case.number).state == "publicity"
    assert timer_events(engine, case.number) == []
    [notice] = timer_rows(engine, case, "notice_window")
    assert (notice.status, notice.due_at) == ("pending", START + NOTICE_DAYS)


def test_notice_closes_itself_after_three_days(engine: Engine, walk: Walk) -> None:
    """On day 3 the system moves the case to preliminary review, naming the timer."""
    case = walk("publicity")
    engine.set_clock(advance=2 * DAY)
    engine.set_clock(advance=DAY)
    assert engine.get_case(case.number).state == "preliminary_review"
    last = engine.history(case.number)[-1]
    assert (last.kind, last.actor, last.trigger, last.source, last.dest) == (
        "transition", "system", "close_notice", "publicity", "preliminary_review")
    assert (last.meta["timer"], last.meta["timer_kind"], last.at) == (
        "notice_window", "fire", START + NOTICE_DAYS)
    [notice] = timer_rows(engine, case, "notice_window")
    assert (notice.status, notice.fired_at, last.meta["timer_id"]) == (
        "fired", START + NOTICE_DAYS, notice.id)


# -- (b) an objection holds the notice; the window counts from the first entry ------------


def test_open_objection_holds_the_case_past_day_three(engine: Engine, walk: Walk) -> None:
    """With an objection under review the case stays there past day 3; the notice timer
    was cancelled when the case left publicity."""
    case = walk("publicity")
    engine.set_clock(advance=DAY)
    engine.fire(case.number, "object", "qunzhong", comment="群众反映其家中有车")
    engine.set_clock(advance=4 * DAY)
    assert engine.get_case(case.number).state == "objection_review"
    assert [e.trigger for e in engine.history(case.number)].count("close_notice") == 0
    [notice] = timer_rows(engine, case, "notice_window")
    assert (notice.status, notice.fired_at) == ("cancelled", START + DAY)


def test_dismissed_objection_after_the_window_moves_on_at_once(engine: Engine,
                                                              walk: Walk) -> None:
    """Dismissed on day 5, the objection sends the case back to publicity with its window
    already run out (the 3 days ran from the first entry); the scheduler's next look closes
    the notice at that instant. The reviewer's command itself changes only its case."""
    case = walk("publicity")
    engine.set_clock(advance=DAY)
    engine.fire(case.number, "object", "qunzhong", comment="群众反映其家中有车")
    engine.set_clock(advance=4 * DAY)
    engine.fire(case.number, "dismiss_objection", "yang.jing", comment="经核查不属实")
    assert engine.get_case(case.number).state == "publicity"
    engine.fire_due()  # the scheduler's next look
    now = START + 5 * DAY
    assert engine.get_case(case.number).state == "preliminary_review"
    dismissed, closed = engine.history(case.number)[-2:]
    assert (dismissed.trigger, dismissed.dest, dismissed.at) == ("dismiss_objection",
                                                                 "publicity", now)
    assert (closed.trigger, closed.actor, closed.at, closed.meta["timer"]) == (
        "close_notice", "system", now, "notice_window")
    assert at(closed.meta["deadline"]) == START + NOTICE_DAYS
    assert closed.meta["late_seconds"] == 0
    assert [t.status for t in timer_rows(engine, case, "notice_window")] == ["cancelled",
                                                                             "fired"]


# -- (c) daily escalation past the completion target --------------------------------------


@pytest.fixture
def overdue_cases(engine: Engine, new_case: NewCase) -> dict[str, str]:
    """Two cases left in application (a Dongling and a Xihe village) until 5 Feb 09:00."""
    numbers = {"dongling": new_case("wang.fang", id_number=other_id()),
               "xihe": new_case("ma.hui", applicant_name="赵建国", id_number=other_id())}
    engine.set_clock(when=at("2027-02-05T09:00+08:00"))
    return numbers


def test_completion_target_escalates_once_a_day(engine: Engine,
                                                overdue_cases: dict[str, str]) -> None:
    """Still open on 5 Feb 09:00, a case was escalated at the end of 1, 2, 3 and 4 Feb:
    first at the target, then once a day."""
    for number in overdue_cases.values():
        escalations = timer_events(engine, number, "escalation")
        assert [(e.meta["timer"], e.at) for e in escalations] == [
            ("completion_target", end_of(day)) for day in
            ("2027-02-01", "2027-02-02", "2027-02-03", "2027-02-04")]
        assert [e.meta["late_seconds"] for e in escalations] == [0, 0, 0, 0]


def test_escalations_go_to_the_first_responsible_of_the_township(
        engine: Engine, overdue_cases: dict[str, str]) -> None:
    """Each escalation is an outbox message to each first responsible person of the
    case's township: Dongling's party secretary and mayor, Xihe's party secretary."""
    for township, number in overdue_cases.items():
        case = engine.get_case(number)
        expected = FIRST_RESPONSIBLE[township]
        escalations = timer_events(engine, number, "escalation")
        assert sorted(sent_for(engine, case, escalations)) == sorted(
            (e.seq, user, e.at) for e in escalations for user in expected)
        assert all(e.meta["recipients"] == expected for e in escalations)


def test_no_second_escalation_on_the_same_day(engine: Engine,
                                              overdue_cases: dict[str, str]) -> None:
    """Moving the clock hour by hour through 5 Feb adds one escalation per case, at its end."""
    for _ in range(16):
        engine.set_clock(advance=timedelta(hours=1))
    for number in overdue_cases.values():
        escalations = timer_events(engine, number, "escalation")
        assert [e.at for e in escalations][-2:] == [end_of("2027-02-04"), end_of("2027-02-05")]
        assert len(escalations) == 5


def test_overdue_case_is_listed_by_the_engine(engine: Engine,
                                              overdue_cases: dict[str, str]) -> None:
    """engine.deadlines(overdue=True) lists each case's missed target with 4 escalations."""
    found = engine.deadlines(overdue=True)
    assert sorted((d.case.number, d.timer, d.deadline_at, d.overdue, d.escalations)
                  for d in found) == sorted(
        (n, "completion_target", end_of("2027-02-01"), True, 4)
        for n in overdue_cases.values())
    assert [d.case.number for d in engine.deadlines(unit="xihe", overdue=True)] == [
        overdue_cases["xihe"]]


def test_overdue_case_is_listed_by_the_cli(engine: Engine, db_path: str,
                                           overdue_cases: dict[str, str]) -> None:
    """`bangfu deadlines --overdue --json` shows the same, counted per village."""
    shown = cli_json(db_path, "deadlines", "--overdue", "--lang", "en")
    assert at(shown["now"]) == at("2027-02-05T09:00+08:00")
    assert sorted((r["case"], r["unit"], r["timer"], r["overdue"], r["escalations"])
                  for r in shown["deadlines"]) == sorted([
        (overdue_cases["dongling"], "shangcun", "completion_target", True, 4),
        (overdue_cases["xihe"], "liujia", "completion_target", True, 4)])
    assert {at(r["deadline"]) for r in shown["deadlines"]} == {end_of("2027-02-01")}
    assert shown["by_village"] == {"Shangcun Village": {"open": 1, "overdue": 1},
                                   "Liujia Village": {"open": 1, "overdue": 1}}


def test_deadline_not_yet_passed_is_not_overdue(engine: Engine, db_path: str,
                                                new_case: NewCase) -> None:
    """Before 1 Feb the completion target is listed as open, not overdue."""
    number = new_case("wang.fang", id_number=other_id())
    engine.set_clock(when=at("2027-01-31T12:00+08:00"))
    [open_one] = engine.deadlines()
    assert (open_one.case.number, open_one.overdue, open_one.escalations) == (number, False, 0)
    assert engine.deadlines(overdue=True) == []
    assert cli_json(db_path, "deadlines", "--overdue")["deadlines"] == []


def test_late_entry_counts_the_escalations_sent(engine: Engine, new_case: NewCase) -> None:
    """A case that entered deliberation on 20 Jan, after the lists deadline, was escalated
    once: the listing says 1, not the 4 daily slots since 17 Jan."""
    number = new_case("wang.fang", id_number=other_id())
    engine.set_clock(when=at("2027-01-20T10:00+08:00"))
    engine.fire(number, "accept", "wang.fang")
    engine.fire_due()  # the scheduler's next look
    [lists] = [d for d in engine.deadlines(overdue=True) if d.timer == "lists_due"]
    assert (lists.case.number, lists.escalations) == (number, 1)


def test_scheduler_downtime_counts_the_escalations_sent(engine: Engine, walk: Walk) -> None:
    """Timers caught up on 23 Jan after downtime send one escalation, and the listing
    counts that one, not the slots missed."""
    case = walk("deliberation", "wang.fang", id_number=other_id())
    engine.set_clock(when=at("2027-01-23T09:00+08:00"), fire=False)
    engine.fire_due()
    assert len(timer_events(engine, case.number, "escalation")) == 1
    [lists] = [d for d in engine.deadlines(overdue=True) if d.timer == "lists_due"]
    assert lists.escalations == 1


def test_reentry_counts_escalations_of_the_current_stay(engine: Engine, walk: Walk) -> None:
    """Escalations of an earlier stay in deliberation are not counted after the case
    comes back to it."""
    case = walk("deliberation", "wang.fang", id_number=other_id())
    engine.set_clock(when=at("2027-01-20T09:00+08:00"))
    assert len(timer_events(engine, case.number, "escalation")) == 3
    engine.fire(case.number, "request_evidence", "liu.qiang", comment="缺少县级医院诊断证明")
    engine.fire(case.number, "resubmit", "wang.fang", data={"evidence_note": "已补诊断证明"})
    engine.fire(case.number, "accept", "wang.fang")
    engine.fire_due()  # the scheduler's next look
    assert len(timer_events(engine, case.number, "escalation")) == 4
    [lists] = [d for d in engine.deadlines(overdue=True) if d.timer == "lists_due"]
    assert lists.escalations == 1


# -- (d) timers cancelled when moot --------------------------------------------------------


def test_leaving_deliberation_cancels_its_timers(engine: Engine, walk: Walk) -> None:
    """Passing deliberation cancels the lists deadline's reminders and escalation; the
    case-wide completion timers stay pending."""
    case = walk("deliberation")
    assert {t.status for t in timer_rows(engine, case, "lists_due")} == {"pending"}
    engine.set_clock(advance=DAY)
    engine.fire(case.number, "pass_deliberation", "liu.qiang")
    lists = timer_rows(engine, case, "lists_due")
    assert [(t.kind, t.status, t.fired_at) for t in lists] == [
        ("remind", "cancelled", START + DAY), ("remind", "cancelled", START + DAY),
        ("escalate", "cancelled", START + DAY)]
    assert {t.status for t in timer_rows(engine, case, "completion_target")} == {"pending"}


def test_closing_cancels_every_timer(engine: Engine, db_path: str, walk: Walk) -> None:
    """A withdrawn case has no pending timer left, also as `case show --json` shows them."""
    case = walk("deliberation")
    engine.fire(case.number, "withdraw", "wang.fang", comment="申请人已外出务工")
    assert {t.status for t in timer_rows(engine, case)} == {"cancelled"}
    shown = cli_json(db_path, "case", "show", case.number)
    assert sorted((t["timer"], t["kind"], t["status"]) for t in shown["timers"]) == sorted([
        ("lists_due", "remind", "cancelled"), ("lists_due", "remind", "cancelled"),
        ("lists_due", "escalate", "cancelled"), ("completion_target", "remind", "cancelled"),
        ("completion_target", "remind", "cancelled"),
        ("completion_target", "escalate", "cancelled")])


def test_closed_case_gets_no_more_reminders_or_escalations(engine: Engine,
                                                           walk: Walk) -> None:
    """After a withdrawal nothing more happens to the case, whatever the clock does."""
    case = walk("deliberation")
    engine.fire(case.number, "withdraw", "wang.fang", comment="申请人已外出务工")
    seen = engine.history(case.number)
    engine.set_clock(when=at("2027-02-10T09:00+08:00"))
    assert engine.history(case.number) == seen
    closed_at = seen[-1].seq
    assert [m for m in engine.store.messages()  # type: ignore[attr-defined]
            if m["case_id"] == case.id and m["event_seq"] > closed_at] == []
    assert engine.deadlines() == []


def test_completed_case_is_not_escalated(engine: Engine, walk: Walk) -> None:
    """A case completed before the target sees neither its reminders nor escalations."""
    case = walk("completed")
    engine.set_clock(when=at("2027-02-05T09:00+08:00"))
    assert timer_events(engine, case.number, "reminder", "completion_target") == []
    assert timer_events(engine, case.number, "escalation") == []
    assert {t.status for t in timer_rows(engine, case, "completion_target")} == {"cancelled"}


# -- (e) reminders to the responsible role within the jurisdiction -----------------------


def test_lists_reminders_go_to_the_village_panel_of_that_village(
        engine: Engine, walk: Walk) -> None:
    """The reminders of 15 and 16 Jan 09:00 go to the deliberation panel of the case's own
    village, and to no one else."""
    panels = {"shangcun": ["liu.qiang", "sun.li"], "xiacun": ["gao.peng"],
              "liujia": ["he.jun"], "huangtupo": ["tang.bo"]}
    staff = {"shangcun": "wang.fang", "xiacun": "zhang.min", "liujia": "ma.hui",
             "huangtupo": "luo.yan"}
    cases = {unit: walk("deliberation", staff[unit], id_number=other_id()) for unit in panels}
    assert {unit: c.unit for unit, c in cases.items()} == {u: u for u in panels}
    engine.set_clock(when=at("2027-01-16T12:00+08:00"))
    for unit, case in cases.items():
        reminders = timer_events(engine, case.number, "reminder")
        assert sorted((user, when) for _, user, when in sent_for(engine, case, reminders)) \
            == sorted((user, at(f"2027-01-{day}T09:00+08:00"))
                      for day in (15, 16) for user in panels[unit])
        assert [e.meta["recipients"] for e in reminders] == [panels[unit], panels[unit]]


def test_completion_reminders_go_to_whoever_holds_the_case(engine: Engine, walk: Walk) -> None:
    """In preliminary review the completion reminders (30, 31 Jan) go to the township
    office above the village, not to the village."""
    case = walk("preliminary_review", "wang.fang", id_number=other_id())
    engine.set_clock(when=at("2027-01-31T12:00+08:00"))
    reminders = timer_events(engine, case.number, "reminder", "completion_target")
    assert [(e.at, e.meta["recipients"]) for e in reminders] == [
        (at("2027-01-30T09:00+08:00"), ["yang.jing", "wu.gang"]),
        (at("2027-01-31T09:00+08:00"), ["yang.jing", "wu.gang"])]


def test_entering_after_the_deadline_escalates_at_once(engine: Engine,
                                                       new_case: NewCase) -> None:
    """A case accepted on 20 Jan, after the lists deadline (17 Jan), is escalated by the
    scheduler's next look at the moment it entered deliberation, not reported late and not
    reminded."""
    number = new_case("wang.fang", id_number=other_id())
    engine.set_clock(when=at("2027-01-20T10:00+08:00"))
    engine.fire(number, "accept", "wang.fang")
    assert timer_events(engine, number, timer="lists_due") == []
    engine.fire_due()  # the scheduler's next look
    [escalation] = timer_events(engine, number, timer="lists_due")
    assert (escalation.kind, escalation.at, escalation.meta["late_seconds"]) == (
        "escalation", at("2027-01-20T10:00+08:00"), 0)
    assert at(escalation.meta["deadline"]) == end_of("2027-01-17")
    assert escalation.meta["recipients"] == FIRST_RESPONSIBLE["dongling"]
    # the next daily slot at least a day later: the end of 21 Jan, not 14 hours later
    [pending] = [t for t in timer_rows(engine, number, "lists_due") if t.status == "pending"]
    assert (pending.kind, pending.due_at) == ("escalate", end_of("2027-01-21"))


# -- (f) no case after the campaign's completion target ---------------------------------------


def test_submit_after_the_completion_target_is_refused(engine: Engine) -> None:
    """On 2 Feb no campaign runs relief applications: a submission is refused, naming the
    date, and writes no case, event, counter or timer."""
    engine.set_clock(when=at("2027-02-02T09:00+08:00"))
    before = snapshot(engine)
    with pytest.raises(CampaignError) as ei:
        engine.submit(PROCESS, "wang.fang", application(id_number=other_id()))
    assert "2027-02-02 09:00" in str(ei.value) and "relief_application" in str(ei.value)
    assert snapshot(engine) == before
    assert engine.store.timers() == []  # type: ignore[attr-defined]


def test_submit_into_an_ended_campaign_is_refused(engine: Engine) -> None:
    """Naming the campaign explicitly is refused too: its completion target has passed."""
    engine.set_clock(when=at("2027-02-02T09:00+08:00"))
    before = snapshot(engine)
    with pytest.raises(DeadlineError) as ei:
        engine.submit(PROCESS, "wang.fang", application(id_number=other_id()),
                      campaign="spring_festival_2027")
    assert "2027-02-01 23:59" in str(ei.value) and "Completion target" in str(ei.value)
    assert snapshot(engine) == before


# -- (g) fired in due order, each once -----------------------------------------------------


def test_set_clock_fires_in_due_order_each_once(engine: Engine, walk: Walk,
                                                new_case: NewCase) -> None:
    """Across cases in different states, the clock fires every timer due by 5 Feb once,
    in due order, each event stamped with its timer's due time."""
    new_case("wang.fang", id_number=other_id())
    walk("deliberation", "zhang.min", unit="xiacun", id_number=other_id())
    walk("second_review", "ma.hui", id_number=other_id())
    walk("publicity", "luo.yan", unit="huangtupo", id_number=other_id())
    target = at("2027-02-05T09:00+08:00")
    fired = engine.set_clock(when=target)
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select(events.c.id, events.c.at, events.c.meta)
                            .order_by(events.c.id)).all()
    timer_of = {t.id: t for t in engine.store.timers()}  # type: ignore[attr-defined]
    caused = [(r.at, timer_of[r.meta["timer_id"]]) for r in rows if "timer_id" in r.meta]
    dues = [t.due_at for _, t in caused]
    assert len(caused) > 20
    assert dues == sorted(dues)
    assert all(event_at == t.due_at for event_at, t in caused)
    assert len({t.id for _, t in caused}) == len(caused)
    assert [f.timer.id for f in fired] == [t.id for _, t in caused]
    assert {t.id for t in timer_of.values() if t.status == "fired"} == {t.id for _, t in caused}
    assert all(t.due_at > target for t in timer_of.values() if t.status == "pending")
    assert {t.spec_id for _, t in caused} == {"completion_target", "lists_due",
                                               "county_report_due", "notice_window"}


def test_a_second_pass_fires_nothing_again(engine: Engine, walk: Walk) -> None:
    """Timers already fired are not fired by a later move or by fire_due."""
    walk("deliberation", "wang.fang", id_number=other_id())
    first = engine.set_clock(when=at("2027-01-18T09:00+08:00"))
    assert len(first) == 3
    assert engine.fire_due() == []
    assert engine.set_clock(advance=timedelta(hours=1)) == []


# -- (h) a timer whose trigger the rules refuse ------------------------------------------------

AUTO = """\
process: auto_grant
version: 1
labels: {zh: 自动发放, en: Automatic grant}
case_prefix: AG
roles:
  village_staff: {labels: {zh: 村（社区）两委, en: Village committee}}
fields:
  amount: {type: integer, labels: {zh: 金额, en: Amount}}
submit:
  roles: [village_staff]
  required: [amount]
states:
  - id: waiting
    labels: {zh: 等待期, en: Waiting}
    initial: true
    responsible: village_staff
    timers:
      - id: grace
        labels: {zh: 等待期满, en: Grace period}
        after: 1d
        fire: grant
  - id: granted
    labels: {zh: 已发放, en: Granted}
    final: true
  - id: refused
    labels: {zh: 不予发放, en: Refused}
    final: true
transitions:
  - trigger: grant
    labels: {zh: 发放, en: Grant}
    source: waiting
    dest: granted
    roles: [system]
    when: "amount <= 1000"
  - trigger: refuse
    labels: {zh: 不予发放, en: Refuse}
    source: waiting
    dest: refused
    roles: [village_staff]
    comment: required
"""


@pytest.fixture
def auto_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine whose definitions add a process that grants by itself after a day,
    if the amount is at most 1000 (and no campaign)."""
    folder = tmp_path / "defs" / "processes"
    folder.mkdir(parents=True)
    for other in SHIPPED_PROCESSES.glob("*.yaml"):  # the sample org uses their roles too
        shutil.copy(other, folder)
    (folder / "auto_grant.yaml").write_text(AUTO, encoding="utf-8")
    (tmp_path / "defs" / "campaigns").mkdir()
    db = str(tmp_path / "auto.db")
    init_database(db, definitions=folder, simulated_start=START)
    eng = open_engine(db, definitions=folder)
    yield eng
    eng.store.close()  # type: ignore[attr-defined]


def test_refused_timer_trigger_is_recorded_not_raised(auto_engine: Engine) -> None:
    """A grace timer whose 'grant' the guard refuses is spent as a `timer` event saying
    why; the case stays, and nothing is raised."""
    number = auto_engine.submit("auto_grant", "wang.fang", {"amount": 5000}).case_number
    fired = auto_engine.set_clock(advance=2 * DAY)
    case = auto_engine.get_case(number)
    assert case.state == "waiting"
    assert [(f.case_number, f.event.kind) for f in fired] == [(number, "timer")]
    event = auto_engine.history(number)[-1]
    assert (event.kind, event.actor, event.trigger, event.source, event.dest, event.at) == (
        "timer", "system", "timer:grace", "waiting", "waiting", START + DAY)
    assert event.meta["refused"].startswith(f"Cannot 'grant' case '{number}'")
    assert "amount <= 1000" in event.meta["refused"]
    assert event.meta["refused_zh"]
    [grace] = timer_rows(auto_engine, number)
    assert (grace.status, grace.id) == ("fired", event.meta["timer_id"])
    assert case.version == 2


def test_refused_timer_shows_its_reason_in_the_history(auto_engine: Engine) -> None:
    """case history names the timer and the trigger it could not fire, and says why."""
    from workflow.services.cases import history

    number = auto_engine.submit("auto_grant", "wang.fang", {"amount": 5000}).case_number
    auto_engine.set_clock(advance=2 * DAY)
    *_, zh = history(auto_engine, number, "zh")[1]
    assert zh["trigger_label"] == "「等待期满」到期，未能自动执行「发放」"
    assert "amount <= 1000" in zh["note"] and zh["note"] == auto_engine.history(number)[-1] \
        .meta["refused_zh"]
    *_, en = history(auto_engine, number, "en")[1]
    assert en["trigger_label"] == "'Grace period' fell due; 'Grant' could not run"
    assert en["note"].startswith(f"Cannot 'grant' case '{number}'")


def test_allowed_timer_trigger_moves_the_case(auto_engine: Engine) -> None:
    """The same timer on an amount the guard accepts grants the case as the system."""
    number = auto_engine.submit("auto_grant", "wang.fang", {"amount": 800}).case_number
    auto_engine.set_clock(advance=2 * DAY)
    event = auto_engine.history(number)[-1]
    assert (event.kind, event.trigger, event.actor, event.dest) == ("transition", "grant",
                                                                    "system", "granted")


# -- (i) nothing half-written -------------------------------------------------------------------


def _too_early(engine: Engine, number: str) -> None:
    engine.fire(number, "close_notice", "wang.fang")


def _wrong_role(engine: Engine, number: str) -> None:
    engine.fire(number, "withdraw", "qunzhong", comment="代为撤回")


def _no_comment(engine: Engine, number: str) -> None:
    engine.fire(number, "object", "qunzhong", comment="")


def _stale(engine: Engine, number: str) -> None:
    engine.fire(number, "object", "qunzhong", comment="有异议", expected_version=1)


@pytest.mark.parametrize(("command", "error"), [
    (_too_early, GuardFailed), (_wrong_role, PermissionDenied),
    (_no_comment, CommandRejected), (_stale, ConcurrencyConflict),
], ids=["guard", "role", "no-comment", "stale-version"])
def test_refused_command_leaves_timers_untouched(engine: Engine, walk: Walk,
                                                 command: Callable[[Engine, str], None],
                                                 error: type[Exception]) -> None:
    """A refused command on a case in publicity writes no event and changes no timer or
    outbox row."""
    case = walk("publicity")
    engine.set_clock(advance=DAY)
    before = snapshot(engine)
    with pytest.raises(error):
        command(engine, case.number)
    assert snapshot(engine) == before


def test_timer_firing_that_fails_to_commit_writes_nothing(
        engine: Engine, walk: Walk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after the timer's writes, before the commit, leaves the timer pending and
    no event, message or successor; the next run fires it once."""
    case = walk("deliberation", "wang.fang", id_number=other_id())
    engine.set_clock(when=at("2027-01-15T09:00+08:00"), fire=False)
    before = snapshot(engine)
    original = storage.sql.SqlUnitOfWork._timers_and_messages

    def crash(self: Any, decision: Any) -> None:
        original(self, decision)
        raise RuntimeError("power cut")

    monkeypatch.setattr(storage.sql.SqlUnitOfWork, "_timers_and_messages", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        engine.fire_due()
    assert snapshot(engine) == before
    monkeypatch.undo()
    [fired] = engine.fire_due()
    assert (fired.timer.spec_id, fired.timer.kind, fired.event.kind) == ("lists_due", "remind",
                                                                         "reminder")
    assert len(timer_events(engine, case.number, "reminder")) == 1

