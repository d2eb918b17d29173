"""The audit trail: canonical serialisation, the hash chain, replay as of a moment and a
clean verify, on the demo campaign's database (played once per session, copied per test)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers.cli import bangfu
from workflow import CaseNotFound, Engine, Event
from workflow.core.chain import canonical, canonical_time, event_body, event_hash, genesis
from workflow.services.inspection import (
    AuditError,
    checkpoint_json,
    make_checkpoint,
    replay_case,
    verify,
)

BEIJING = timezone(timedelta(hours=8))


def sample_event(**changes: object) -> Event:
    fields: dict[str, object] = dict(
        case_id="c0ffee", seq=2, at=datetime(2027, 1, 4, 9, 30, tzinfo=BEIJING),
        kind="transition", actor="liu.qiang", role="village_panel", trigger="pass_deliberation",
        source="deliberation", dest="publicity", data={"household_size": 3, "名": "李秀兰"},
        comment=None, definition_version=1, meta={})
    fields.update(changes)
    return Event(**fields)  # type: ignore[arg-type]


def notice_window(events: list[Event]) -> tuple[datetime, datetime] | None:
    """When the case entered the public notice and when it next left it."""
    for i, e in enumerate(events):
        if e.dest == "publicity" and e.source != "publicity":
            for later in events[i + 1:]:
                if later.dest != "publicity":
                    return e.at, later.at
    return None


# -- canonical serialisation ----------------------------------------------------


def test_canonical_sorts_keys_and_drops_spaces() -> None:
    """Key order does not matter: keys are sorted, separators carry no spaces."""
    assert canonical({"b": 1, "a": [1, 2]}) == canonical({"a": [1, 2], "b": 1}) == \
        b'{"a":[1,2],"b":1}'


def test_canonical_keeps_chinese_as_utf8() -> None:
    """Chinese text is UTF-8, not \\u escapes."""
    assert canonical({"state": "公示"}) == '{"state":"公示"}'.encode()


def test_canonical_time_is_utc_with_microseconds() -> None:
    """A Beijing time serialises as the same instant in UTC, with microseconds."""
    when = datetime(2027, 1, 4, 9, 0, tzinfo=BEIJING)
    assert canonical({"at": when}) == b'{"at":"2027-01-04T01:00:00.000000+00:00"}'
    assert canonical_time(when) == canonical_time(when.astimezone(UTC))


def test_canonical_decimal_is_a_string() -> None:
    """A Decimal keeps its exact digits, as a string."""
    assert canonical({"amount": Decimal("4000.10")}) == b'{"amount":"4000.10"}'


def test_canonical_refuses_a_naive_datetime() -> None:
    """A time without a zone has no single instant, so it is refused."""
    with pytest.raises(ValueError, match="naive"):
        canonical({"at": datetime(2027, 1, 4, 9, 0)})  # noqa: DTZ001


def test_event_hash_is_pinned() -> None:
    """A fixed event's canonical body and hash never change (golden values guard the format)."""
    body = ('{"actor":"liu.qiang","at":"2027-01-04T01:30:00.000000+00:00","case_id":"c0ffee",'
            '"comment":null,"data":{"household_size":3,"名":"李秀兰"},"definition_version":1,'
            '"dest":"publicity","idempotency_key":null,"kind":"transition","meta":{},'
            '"role":"village_panel","seq":2,"source":"deliberation",'
            '"trigger":"pass_deliberation"}').encode()
    assert canonical(event_body(sample_event())) == body
    assert genesis("c0ffee") == hashlib.sha256(b"bangfu-case:c0ffee").hexdigest()
    expected = hashlib.sha256(genesis("c0ffee").encode() + b"\n" + body).hexdigest()
    assert event_hash(sample_event(), genesis("c0ffee")) == expected == \
        "e629470fd3f5e620114877b40b9b0a9d2756578dfe86ee5b5a637ee0c67584c5"


def test_event_hash_covers_every_field() -> None:
    """Changing any hashed field, or the link, changes the hash."""
    base = event_hash(sample_event(), genesis("c0ffee"))
    changed = [sample_event(seq=3), sample_event(actor="he.jun"), sample_event(comment="x"),
               sample_event(data={"household_size": 4, "名": "李秀兰"}),
               sample_event(at=datetime(2027, 1, 4, 9, 30, 0, 1, tzinfo=BEIJING)),
               sample_event(meta={"timer": "notice_window"})]
    assert all(event_hash(e, genesis("c0ffee")) != base for e in changed)
    assert event_hash(sample_event(), genesis("c0ffef")) != base


# -- the chain --------------------------------------------------------------------


def test_first_event_links_to_the_genesis_of_its_case(demo: Engine) -> None:
    """Every case's first event has prev_hash = genesis(case id)."""
    for case in demo.list_cases():
        assert demo.history(case.number)[0].prev_hash == genesis(case.id)


def test_each_event_links_to_the_previous_hash(demo: Engine) -> None:
    """Each event's prev_hash is its predecessor's hash, and its hash is recomputable."""
    for case in demo.list_cases():
        events = demo.history(case.number)
        for before, after in zip(events, events[1:], strict=False):
            assert after.prev_hash == before.hash
        assert all(event_hash(e, e.prev_hash) == e.hash for e in events)
        assert case.head_hash == events[-1].hash


# -- replay as of a moment ---------------------------------------------------------


def test_replay_in_the_notice_window_shows_publicity(demo: Engine) -> None:
    """As of the middle of a case's public notice, the replayed case is in 公示."""
    for case in demo.list_cases():
        window = notice_window(demo.history(case.number))
        if window is not None:
            break
    assert window is not None
    middle = window[0] + (window[1] - window[0]) / 2
    replayed, events = replay_case(demo, case.number, middle)
    assert replayed.state == "publicity"
    assert demo.definition_for(replayed).state_label(replayed.state, "zh") == "公示"
    assert events[-1].at <= middle < window[1]
    assert replayed.version == len(events) < case.version


def test_cli_replay_as_of_shows_publicity(demo: Engine, demo_path: Path) -> None:
    """`bangfu audit replay CASE --as-of T` prints the state 公示 at T."""
    case = next(c for c in demo.list_cases() if notice_window(demo.history(c.number)))
    start, end = notice_window(demo.history(case.number))  # type: ignore[misc]
    middle = (start + (end - start) / 2).astimezone(BEIJING).isoformat(timespec="minutes")
    result = bangfu("audit", "replay", case.number, "--as-of", middle, "--db", str(demo_path))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"{case.number} 处于「公示」" in result.output  # type: ignore[attr-defined]


def test_replay_before_the_case_existed_is_refused(demo: Engine) -> None:
    """A moment before the submission has no case to show."""
    case = demo.list_cases()[0]
    with pytest.raises(AuditError, match="did not exist yet"):
        replay_case(demo, case.number, case.created_at - timedelta(seconds=1))


def test_replay_of_an_unknown_case_is_not_found(demo: Engine) -> None:
    """An unknown case number raises CaseNotFound."""
    with pytest.raises(CaseNotFound):
        replay_case(demo, "CF27-999999")


def test_replay_equals_every_stored_case_of_the_campaign(demo: Engine) -> None:
    """For all 300 demo cases, replaying the events gives exactly the stored case."""
    stored = demo.list_cases()
    assert len(stored) == 300
    for case in stored:
        replayed, events = replay_case(demo, case.number)
        assert (replayed.state, dict(replayed.data), replayed.version, replayed.head_hash) == \
            (case.state, dict(case.data), case.version, case.head_hash)
        assert replayed == case
        assert len(events) == case.version


# -- verify -------------------------------------------------------------------------


def test_verify_on_the_clean_demo_is_ok(demo: Engine) -> None:
    """Every chain and every replay of the demo verifies."""
    report = verify(demo)
    assert report.ok, [f.text("en") for f in report.findings]
    assert (report.cases, report.events) == demo.store.counts()  # type: ignore[attr-defined]


def test_verify_with_a_checkpoint_and_its_export_is_ok(demo: Engine) -> None:
    """A fresh checkpoint, stored and exported, agrees with the data."""
    cp = make_checkpoint(demo, "jiang.duban")
    report = verify(demo, checkpoint=json.loads(checkpoint_json(cp)))
    assert report.ok, [f.text("en") for f in report.findings]
    assert report.checkpoints == 2


def test_cli_verify_on_the_clean_demo_exits_0(demo_path: Path) -> None:
    """`bangfu audit verify` reports success and exits 0."""
    result = bangfu("audit", "verify", "--db", str(demo_path))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "校验通过" in result.output  # type: ignore[attr-defined]
