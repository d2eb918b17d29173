"""A history says what happened: each step labelled by the transition the case
really took, timers, reminders and escalations by what they were about, and a
refused timer with its reason; every kind of event has a label in zh and en."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, get_args

from workflow import Engine
from workflow.core.model import Case, Event, EventKind
from workflow.services.cases import history
from workflow.views import EVENT_KIND_LABELS, event_label

Walk = Callable[..., Case]


def _labels(engine: Engine, number: str, lang: str) -> dict[str, list[str]]:
    _, events = history(engine, number, lang)
    out: dict[str, list[str]] = {}
    for e in events:
        out.setdefault(e["trigger"], []).append(e["trigger_label"])
    return out


def test_general_second_review_is_labelled_as_going_to_disbursement(
        engine: Engine, walk: Walk) -> None:
    """A general case's second review is "复审通过", not "复审通过，上报县民政局";
    a severe case's is the report to the county."""
    general = walk("disbursement", category="general")
    severe = walk("reported", category="severe", id_number="331122195803120430")
    assert _labels(engine, general.number, "zh")["approve_second"] == ["复审通过"]
    assert _labels(engine, general.number, "en")["approve_second"] == ["Pass the second review"]
    assert _labels(engine, severe.number, "zh")["approve_second"] == ["复审通过，上报县民政局"]


def test_timer_events_are_labelled_by_what_they_did(engine: Engine, walk: Walk) -> None:
    """Reminders, escalations and a notice closed by its timer read as such, never
    as ``timer:ID``; who was told is noted."""
    case = walk("deliberation")
    engine.set_clock(when=datetime.fromisoformat("2027-01-18T10:00+08:00"))
    _, events = history(engine, case.number, "zh")
    by_kind = {e["kind"]: e for e in events}
    assert by_kind["reminder"]["trigger_label"] == "提醒：「名单报送乡镇时限」将于 2027-01-17 23:59 截止"
    assert by_kind["escalation"]["trigger_label"] == "督办：已超过「名单报送乡镇时限」"
    assert by_kind["escalation"]["note"].startswith("发送给 ")
    assert by_kind["reminder"]["kind_label"] == "提醒"
    _, en = history(engine, case.number, "en")
    assert {e["trigger_label"] for e in en if e["kind"] == "escalation"} == {
        "Escalation: 'Lists due at the township' has passed"}
    assert not any(e["trigger_label"].startswith("timer:") for e in events + en)


def test_notice_closed_by_its_timer_says_so(engine: Engine, walk: Walk) -> None:
    """The notice window's own closing is the transition's label, marked automatic."""
    case = walk("publicity")
    engine.set_clock(when=datetime.fromisoformat("2027-01-10T09:00+08:00"))
    _, events = history(engine, case.number, "zh")
    closed = next(e for e in events if e["trigger"] == "close_notice")
    assert closed["actor"] == "system"
    assert closed["trigger_label"].endswith("（「公示期」到期自动执行）"), closed["trigger_label"]


#: the trigger an event of each kind records
TRIGGERS = {"submitted": "submit", "transition": "pass_deliberation", "migration": "migrate"}


def _event(kind: str, **meta: Any) -> Event:
    return Event(case_id="c", seq=2, at=datetime.fromisoformat("2027-01-05T09:00+08:00"),
                 kind=kind, actor="system", role="system",  # type: ignore[arg-type]
                 trigger=TRIGGERS.get(kind, "timer:lists_due"), source="deliberation",
                 dest="publicity" if kind == "transition" else "deliberation", data={},
                 comment=None, definition_version=1, meta=meta)


def test_every_event_kind_has_a_label_in_both_languages(engine: Engine) -> None:
    """Each kind of ``EventKind`` is labelled in Chinese and English, and its event's
    label is neither the raw trigger nor empty."""
    defn = engine.definitions.get("relief_application")
    assert set(get_args(EventKind)) <= set(EVENT_KIND_LABELS)
    for kind in get_args(EventKind):
        zh, en = EVENT_KIND_LABELS[kind]
        assert zh and en and zh != en
        event = _event(kind, timer="lists_due", deadline="2027-01-17T15:59:59+00:00",
                       from_version=1, to_version=2)
        for lang in ("zh", "en"):
            label = event_label(defn, event, lang)
            assert label and label != event.trigger and "timer:" not in label, (kind, label)


def test_cli_history_shows_labels_and_notes(engine: Engine, walk: Walk, db_path: str) -> None:
    """`case history --lang en` prints the escalation's label and whom it went to."""
    from typer.testing import CliRunner

    from cli import app

    case = walk("deliberation")
    engine.set_clock(when=datetime.fromisoformat("2027-01-18T10:00+08:00"))
    res = CliRunner().invoke(app, ["case", "history", case.number, "--db", db_path,
                                   "--lang", "en"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "Escalation: 'Lists due at the township' has passed" in res.output
    assert "sent to" in res.output and "timer:" not in res.output
