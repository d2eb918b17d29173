"""The acceptance of the audit trail: every kind of tampering written straight into a
copy of the demo database with sqlite3 is caught by verify, and `bangfu audit verify`
exits 1 naming the case and the event of the first broken link."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import bangfu
from workflow import Engine
from workflow.core.chain import checkpoint_hash
from workflow.core.decide import seal
from workflow.errors import DamagedRecord
from workflow.services.inspection import (
    GENESIS_CHECKPOINT,
    checkpoint_json,
    export_trail,
    make_checkpoint,
    verify,
)


@dataclass(frozen=True)
class Expect:
    """The finding a tampering must produce: where, and words of its English text."""

    case: str
    seq: int | None
    words: str
    checkpoint_file: Path | None = None


Tampering = Callable[[Engine, Path], Expect]


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection on the copy, committed and closed on exit."""
    conn = sqlite3.connect(path)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def completed_case(conn: sqlite3.Connection, offset: int = 0) -> tuple[str, str, int]:
    """(id, number, version) of a completed demo case that was reviewed and paid."""
    row = conn.execute(
        "SELECT id, number, version FROM cases WHERE state = 'completed' AND id IN "
        "(SELECT case_id FROM events WHERE trigger = 'approve_preliminary') "
        "ORDER BY number LIMIT 1 OFFSET ?", (offset,)).fetchone()
    assert row is not None
    return row[0], row[1], int(row[2])


def event_of(conn: sqlite3.Connection, case_id: str, trigger: str) -> tuple[int, int, str]:
    """(row id, seq, data as stored) of the case's event fired by ``trigger``."""
    row = conn.execute("SELECT id, seq, data FROM events WHERE case_id = ? AND trigger = ?",
                       (case_id, trigger)).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), str(row[2])


# -- the tamperings -----------------------------------------------------------------


def edit_payload_byte(engine: Engine, path: Path) -> Expect:
    """One digit of the amount paid, changed in the event's stored JSON."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        row_id, seq, data = event_of(conn, case_id, "disburse")
        at = data.index('"amount_fen":') + len('"amount_fen":')
        forged = data[:at] + ("2" if data[at] == "1" else "1") + data[at + 1:]
        assert len(forged.encode()) == len(data.encode()) and json.loads(forged) != json.loads(data)
        conn.execute("UPDATE events SET data = ? WHERE id = ?", (forged, row_id))
    return Expect(number, seq, "was altered")


def break_payload_json(engine: Engine, path: Path) -> Expect:
    """One byte of the payload changed so that it no longer parses as JSON."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        row_id, seq, data = event_of(conn, case_id, "approve_preliminary")
        at = data.index(":")
        conn.execute("UPDATE events SET data = ? WHERE id = ?",
                     (data[:at] + ";" + data[at + 1:], row_id))
    return Expect(number, seq, "was altered")


def edit_event_time(engine: Engine, path: Path) -> Expect:
    """A decision's recorded time moved one second earlier, in the stored text."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        row_id, seq, _ = event_of(conn, case_id, "approve_second")
        at = conn.execute("SELECT at FROM events WHERE id = ?", (row_id,)).fetchone()[0]
        earlier = datetime.fromisoformat(at) - timedelta(seconds=1)
        conn.execute("UPDATE events SET at = ? WHERE id = ?",
                     (earlier.isoformat(timespec="microseconds"), row_id))
    return Expect(number, seq, "was altered")


def break_event_time(engine: Engine, path: Path) -> Expect:
    """A recorded time overwritten with text that is no time at all."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        row_id, seq, _ = event_of(conn, case_id, "approve_second")
        conn.execute("UPDATE events SET at = '2027-01-32 damaged' WHERE id = ?", (row_id,))
    return Expect(number, seq, "was altered: its content cannot be read")


def delete_middle_event(engine: Engine, path: Path) -> Expect:
    """The third event of a case deleted."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        conn.execute("DELETE FROM events WHERE case_id = ? AND seq = 3", (case_id,))
    return Expect(number, 3, "is missing")


def delete_last_event(engine: Engine, path: Path) -> Expect:
    """A case's last event deleted after a checkpoint recorded it."""
    make_checkpoint(engine, "jiang.duban")
    with raw(path) as conn:
        case_id, number, version = completed_case(conn)
        conn.execute("DELETE FROM events WHERE case_id = ? AND seq = ?", (case_id, version))
    return Expect(number, version, "is not the one checkpoint 1 recorded")


def swap_seqs(engine: Engine, path: Path) -> Expect:
    """Events 3 and 4 of a case exchange their places (seq)."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        ids = dict(conn.execute("SELECT seq, id FROM events WHERE case_id = ? AND seq IN (3, 4)",
                                (case_id,)).fetchall())
        conn.execute("UPDATE events SET seq = -1 WHERE id = ?", (ids[3],))
        conn.execute("UPDATE events SET seq = 3 WHERE id = ?", (ids[4],))
        conn.execute("UPDATE events SET seq = 4 WHERE id = ?", (ids[3],))
    return Expect(number, 3, "does not follow event 2")


def swap_payloads(engine: Engine, path: Path) -> Expect:
    """The payloads of a case's preliminary review and its payment exchanged."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        first_id, first_seq, first = event_of(conn, case_id, "approve_preliminary")
        second_id, _, second = event_of(conn, case_id, "disburse")
        conn.execute("UPDATE events SET data = ? WHERE id = ?", (second, first_id))
        conn.execute("UPDATE events SET data = ? WHERE id = ?", (first, second_id))
    return Expect(number, first_seq, "was altered")


def delete_whole_case(engine: Engine, path: Path) -> Expect:
    """A case removed with all its rows (foreign keys off) after a checkpoint."""
    make_checkpoint(engine, "jiang.duban")
    with raw(path) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        case_id, number, _ = completed_case(conn)
        for table in ("events", "timers", "outbox"):
            conn.execute(f"DELETE FROM {table} WHERE case_id = ?", (case_id,))  # noqa: S608
        conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
    return Expect(number, None, "the case is missing")


def alter_case_state(engine: Engine, path: Path) -> Expect:
    """A completed case's row moved back to disbursement."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        conn.execute("UPDATE cases SET state = 'disbursement' WHERE id = ?", (case_id,))
    return Expect(number, None, "stored state is 'disbursement', replay gives 'completed'")


def alter_case_data(engine: Engine, path: Path) -> Expect:
    """A case row's household size changed."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        data = json.loads(conn.execute("SELECT data FROM cases WHERE id = ?",
                                       (case_id,)).fetchone()[0])
        data["household_size"] += 1
        conn.execute("UPDATE cases SET data = ? WHERE id = ?",
                     (json.dumps(data, ensure_ascii=False), case_id))
    return Expect(number, None, "stored data is")


def alter_case_duties(engine: Engine, path: Path) -> Expect:
    """The preliminary reviewer struck from a case row's duties (what separation of
    duties checks)."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        duties = json.loads(conn.execute("SELECT duties FROM cases WHERE id = ?",
                                         (case_id,)).fetchone()[0])
        del duties["preliminary_review"]
        conn.execute("UPDATE cases SET duties = ? WHERE id = ?", (json.dumps(duties), case_id))
    return Expect(number, None, "stored duties is")


def alter_checkpoint(engine: Engine, path: Path) -> Expect:
    """One case head in the stored checkpoint moved back by one event."""
    make_checkpoint(engine, "jiang.duban")
    with raw(path) as conn:
        heads = json.loads(conn.execute("SELECT heads FROM checkpoints").fetchone()[0])
        heads[0][2] -= 1
        conn.execute("UPDATE checkpoints SET heads = ?", (json.dumps(heads),))
    return Expect("checkpoint 1", None, "were altered")


def delete_first_checkpoint(engine: Engine, path: Path) -> Expect:
    """The first of two checkpoints deleted."""
    make_checkpoint(engine, "jiang.duban")
    make_checkpoint(engine, "jiang.duban")
    with raw(path) as conn:
        conn.execute("DELETE FROM checkpoints WHERE id = 1")
    return Expect("checkpoint 2", None, "does not follow the previous checkpoint")


def rewrite_chain(engine: Engine, path: Path) -> Expect:
    """After a checkpoint: an amount paid multiplied by ten, that event and every later
    one re-hashed and the case row updated to match (a chain consistent in itself)."""
    make_checkpoint(engine, "jiang.duban")
    _rewrite(engine, path)
    with raw(path) as conn:
        _, number, version = completed_case(conn)
    return Expect(number, version, "is not the one checkpoint 1 recorded")


def _rewrite(engine: Engine, path: Path) -> None:
    with raw(path) as conn:
        case_id, _, _ = completed_case(conn)
        _, paid_seq, _ = event_of(conn, case_id, "disburse")
        events = engine.store.history(case_id)
        prev = events[paid_seq - 2].hash
        for event in events[paid_seq - 1:]:
            if event.seq == paid_seq:
                event = replace(event, data={**event.data,
                                             "amount_fen": event.data["amount_fen"] * 10})
            event = seal(event, prev)
            prev = event.hash
            conn.execute("UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE case_id = ? "
                         "AND seq = ?", (json.dumps(dict(event.data), ensure_ascii=False),
                                         event.prev_hash, event.hash, case_id, event.seq))
        data = json.loads(conn.execute("SELECT data FROM cases WHERE id = ?",
                                       (case_id,)).fetchone()[0])
        data["amount_fen"] *= 10
        conn.execute("UPDATE cases SET data = ?, head_hash = ? WHERE id = ?",
                     (json.dumps(data, ensure_ascii=False), prev, case_id))


def edit_exported_checkpoint(engine: Engine, path: Path) -> Expect:
    """One head hash in an exported checkpoint file changed."""
    cp = make_checkpoint(engine, "jiang.duban")
    body = json.loads(checkpoint_json(cp))
    head = body["heads"][0][3]
    body["heads"][0][3] = head[:-1] + ("0" if head[-1] != "0" else "1")
    exported = path.with_name("checkpoint.json")
    exported.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    return Expect("exported checkpoint", None, "the exported file was altered", exported)


def delete_case_and_rewrite_checkpoint(engine: Engine, path: Path) -> Expect:
    """A case deleted and the stored checkpoint recomputed without it: the exported copy
    kept elsewhere still lists it."""
    exported = path.with_name("checkpoint.json")
    exported.write_text(checkpoint_json(make_checkpoint(engine, "jiang.duban")), encoding="utf-8")
    expect = delete_whole_case(engine, path)
    with raw(path) as conn:
        heads = [h for h in json.loads(conn.execute("SELECT heads FROM checkpoints")
                                       .fetchone()[0]) if h[1] != expect.case]
        conn.execute("DELETE FROM checkpoints WHERE id = 2")
        at, events, made_by = conn.execute(
            "SELECT at, events, made_by FROM checkpoints WHERE id = 1").fetchone()
        digest = checkpoint_hash(heads, GENESIS_CHECKPOINT, at=datetime.fromisoformat(at),
                                 cases=len(heads), events=events, made_by=made_by)
        conn.execute("UPDATE checkpoints SET heads = ?, cases = ?, hash = ? WHERE id = 1",
                     (json.dumps(heads), len(heads), digest))
    return replace(expect, checkpoint_file=exported)


def alter_checkpoint_time(engine: Engine, path: Path) -> Expect:
    """A checkpoint's time moved back a day: its hash covers the time too."""
    make_checkpoint(engine, "jiang.duban")
    with raw(path) as conn:
        at = datetime.fromisoformat(conn.execute("SELECT at FROM checkpoints").fetchone()[0])
        conn.execute("UPDATE checkpoints SET at = ?",
                     ((at - timedelta(days=1)).isoformat(timespec="microseconds"),))
    return Expect("checkpoint 1", None, "were altered")


def alter_checkpoint_event_count(engine: Engine, path: Path) -> Expect:
    """A checkpoint's count of events lowered: its hash covers the counts too."""
    make_checkpoint(engine, "jiang.duban")
    with raw(path) as conn:
        conn.execute("UPDATE checkpoints SET events = events - 10")
    return Expect("checkpoint 1", None, "were altered")


def alter_household(engine: Engine, path: Path) -> Expect:
    """A case's household column pointed at another ID: double relief would reopen."""
    with raw(path) as conn:
        case_id, number, _ = completed_case(conn)
        conn.execute("UPDATE cases SET household = '110101199001011234' WHERE id = ?",
                     (case_id,))
    return Expect(number, None, "stored household is")


def edit_definition_body(engine: Engine, path: Path) -> Expect:
    """A stored definition's body edited (a role widened) without a new version."""
    with raw(path) as conn:
        body = json.loads(conn.execute(
            "SELECT body FROM definitions WHERE process = 'relief_application' "
            "AND version = 1").fetchone()[0])
        body["transitions"][0]["roles"] = [*body["transitions"][0]["roles"], "applicant"]
        conn.execute("UPDATE definitions SET body = ? WHERE process = 'relief_application' "
                     "AND version = 1", (json.dumps(body, ensure_ascii=False),))
    return Expect("definition relief_application v1", None, "stored body was altered")


def cancel_pending_timers(engine: Engine, path: Path) -> Expect:
    """Every pending timer cancelled: deadlines and escalations silently dropped."""
    with raw(path) as conn:
        number = conn.execute(
            "SELECT number FROM cases WHERE id = (SELECT min(case_id) FROM timers "
            "WHERE status = 'pending')").fetchone()[0]
        conn.execute("UPDATE timers SET status = 'cancelled' WHERE status = 'pending'")
    return Expect(number, None, "is stored as cancelled")


def delete_decision_messages(engine: Engine, path: Path) -> Expect:
    """Every 'decision' message deleted from the outbox."""
    with raw(path) as conn:
        case_id, seq = conn.execute("SELECT case_id, event_seq FROM outbox WHERE kind = "
                                    "'decision' ORDER BY case_id LIMIT 1").fetchone()
        number = conn.execute("SELECT number FROM cases WHERE id = ?", (case_id,)).fetchone()[0]
        conn.execute("DELETE FROM outbox WHERE kind = 'decision'")
    return Expect(number, None, f"the outbox messages of event {seq} were altered")


def multiply_ledger_amount(engine: Engine, path: Path) -> Expect:
    """A ledger amount multiplied by ten (only `report budget` noticed it)."""
    with raw(path) as conn:
        lid, case_id, seq = conn.execute("SELECT id, case_id, event_seq FROM ledger WHERE "
                                         "kind = 'spend' ORDER BY id LIMIT 1").fetchone()
        number = conn.execute("SELECT number FROM cases WHERE id = ?", (case_id,)).fetchone()[0]
        conn.execute("UPDATE ledger SET amount_fen = amount_fen * 10 WHERE id = ?", (lid,))
    return Expect(number, None, f"the ledger rows of event {seq} were altered")


def revive_a_cancelled_timer(engine: Engine, path: Path) -> Expect:
    """A cancelled reminder set pending again (it would go out)."""
    with raw(path) as conn:
        tid, case_id = conn.execute("SELECT id, case_id FROM timers WHERE status = "
                                    "'cancelled' ORDER BY id LIMIT 1").fetchone()
        number = conn.execute("SELECT number FROM cases WHERE id = ?", (case_id,)).fetchone()[0]
        conn.execute("UPDATE timers SET status = 'pending' WHERE id = ?", (tid,))
    return Expect(number, None, "is stored as pending")


TAMPERINGS: list[Tampering] = [
    edit_payload_byte, break_payload_json, edit_event_time, break_event_time,
    delete_middle_event, delete_last_event, swap_seqs, swap_payloads, delete_whole_case,
    alter_case_state, alter_case_data, alter_case_duties, alter_checkpoint,
    delete_first_checkpoint, rewrite_chain, edit_exported_checkpoint,
    delete_case_and_rewrite_checkpoint, alter_checkpoint_time, alter_checkpoint_event_count,
    alter_household, edit_definition_body, cancel_pending_timers, delete_decision_messages,
    multiply_ledger_amount, revive_a_cancelled_timer,
]


# -- fixtures ---------------------------------------------------------------------------


def exported(expect: Expect) -> dict[str, object] | None:
    if expect.checkpoint_file is None:
        return None
    return json.loads(expect.checkpoint_file.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# -- tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda t: t.__name__)
def test_tampering_is_caught(demo: Engine, demo_path: Path, tamper: Tampering) -> None:
    """Verify reports the case and event where the record broke; `bangfu audit verify`
    exits 1 and prints them."""
    expect = tamper(demo, demo_path)
    report = verify(demo, checkpoint=exported(expect))
    assert not report.ok
    found = [(f.case, f.seq) for f in report.findings if expect.words in f.en]
    assert (expect.case, expect.seq) in found, [f.text("en") for f in report.findings]

    extra = ["--checkpoint", str(expect.checkpoint_file)] if expect.checkpoint_file else []
    result = bangfu("audit", "verify", "--db", str(demo_path), "--lang", "en", *extra)
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 1, output  # type: ignore[attr-defined]
    where = expect.case + (f" #{expect.seq}" if expect.seq is not None else "")
    assert f"{where}: " in output and expect.words in output
    assert "problem(s)" in output


def test_only_the_first_broken_link_of_a_case_is_reported(demo: Engine,
                                                           demo_path: Path) -> None:
    """Swapping two events breaks every later link, but the case gets one finding."""
    expect = swap_seqs(demo, demo_path)
    report = verify(demo)
    assert [(f.case, f.seq) for f in report.findings] == [(expect.case, expect.seq)]


def test_cli_verify_names_the_break_in_chinese(demo: Engine, demo_path: Path) -> None:
    """By default the finding reads in Chinese, with the case and the event number."""
    expect = delete_middle_event(demo, demo_path)
    result = bangfu("audit", "verify", "--db", str(demo_path))
    assert result.exit_code == 1
    assert f"{expect.case} #3: 第 3 条记录缺失" in result.output  # type: ignore[attr-defined]


def test_cli_verify_json_lists_the_findings(demo: Engine, demo_path: Path) -> None:
    """`--json` gives ok=false and each finding's case and seq."""
    expect = edit_payload_byte(demo, demo_path)
    result = bangfu("audit", "verify", "--db", str(demo_path), "--json")
    assert result.exit_code == 1
    body = json.loads(result.output)  # type: ignore[attr-defined]
    assert body["ok"] is False
    assert [(f["case"], f["seq"]) for f in body["findings"]] == [(expect.case, expect.seq)]


def test_a_rewritten_chain_is_caught_by_an_exported_checkpoint(demo: Engine,
                                                               demo_path: Path) -> None:
    """With the stored checkpoints deleted too, the copy kept elsewhere still catches it."""
    cp = json.loads(checkpoint_json(make_checkpoint(demo, "jiang.duban")))
    _rewrite(demo, demo_path)
    with raw(demo_path) as conn:
        conn.execute("DELETE FROM checkpoints")
        _, number, version = completed_case(conn)
    assert verify(demo).ok
    report = verify(demo, checkpoint=cp)
    assert [(f.case, f.seq) for f in report.findings] == [(number, version)]


def test_verify_of_one_case_checks_only_that_case(demo: Engine, demo_path: Path) -> None:
    """`verify --case` finds a break in that case and ignores one in another."""
    broken = delete_middle_event(demo, demo_path)
    with raw(demo_path) as conn:
        _, other, _ = completed_case(conn, offset=1)
    assert verify(demo, case_ref=other).ok
    report = verify(demo, case_ref=broken.case)
    assert [(f.case, f.seq) for f in report.findings] == [(broken.case, 3)]


@pytest.mark.parametrize("command", [
    ("audit", "replay", "{number}"), ("case", "history", "{number}"),
    ("audit", "export", "--out", "{out}")])
def test_reading_a_damaged_event_names_the_case_without_a_traceback(
        demo: Engine, demo_path: Path, tmp_path: Path, command: tuple[str, ...]) -> None:
    """Replay, history and export of an event whose JSON was broken by hand refuse with
    exit 1, naming the case and pointing at verify; the export leaves no file behind."""
    expect = break_payload_json(demo, demo_path)
    out = tmp_path / "export"
    argv = [a.format(number=expect.case, out=out) for a in command]
    result = bangfu(*argv, "--db", str(demo_path))
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    text = result.output  # type: ignore[attr-defined]
    assert f"案件 '{expect.case}' 的存储记录已损坏" in text and "audit verify" in text
    assert "Traceback" not in text and "内部错误" not in text
    assert not out.exists() or not list(out.iterdir())


def test_reading_a_damaged_case_row_names_it(demo: Engine, demo_path: Path) -> None:
    """A case row whose data JSON was broken: show, list and a command on it refuse with
    DamagedRecord naming the case, in English too."""
    from workflow.errors import DamagedRecord

    with raw(demo_path) as conn:
        case_id, number, _ = completed_case(conn)
        conn.execute("UPDATE cases SET data = substr(data, 2) WHERE id = ?", (case_id,))
    for read in (lambda: demo.get_case(number), lambda: demo.list_cases(),
                 lambda: demo.fire(number, "disburse", "xu.lei")):
        with pytest.raises(DamagedRecord) as ei:
            read()
        assert ei.value.case == number
    result = bangfu("case", "show", number, "--db", str(demo_path), "--lang", "en")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert f"record of case '{number}' is damaged" in result.output  # type: ignore[attr-defined]


# -- who may seal the record -----------------------------------------------------------


def test_a_checkpoint_needs_the_auditor_role(demo: Engine, demo_path: Path) -> None:
    """A clerk cannot launder a deleted case with a fresh checkpoint: `audit checkpoint`
    by anyone without the auditor role exits 1 naming the role, and stores nothing."""
    expect = delete_whole_case(demo, demo_path)
    with raw(demo_path) as conn:
        conn.execute("DELETE FROM checkpoints")
    for user in ("luo.yan", "admin", "he.shuji"):
        result = bangfu("audit", "checkpoint", "--as", user, "--db", str(demo_path))
        assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
        assert "审计员" in result.output and "auditor" in result.output  # type: ignore[attr-defined]
    assert demo.store.checkpoints() == []  # type: ignore[attr-defined]
    result = bangfu("audit", "checkpoint", "--db", str(demo_path))
    assert result.exit_code != 0 and "--as" in result.output  # type: ignore[attr-defined]
    assert demo.store.checkpoints() == [] and expect.case  # type: ignore[attr-defined]


def test_the_checkpoint_names_its_maker(demo: Engine, demo_path: Path) -> None:
    result = bangfu("audit", "checkpoint", "--as", "jiang.duban", "--db", str(demo_path),
                    "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    body = json.loads(result.output)  # type: ignore[attr-defined]
    assert body["made_by"] == "jiang.duban" and body["signature"] is None
    assert demo.store.checkpoints()[0]["made_by"] == "jiang.duban"  # type: ignore[attr-defined]


def test_checkpoints_remade_without_the_key_are_caught(
        demo: Engine, demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed with the inspectors' key: a clerk who deletes a case and recomputes every
    checkpoint (hashes and chain right) cannot sign them, and verify with the key says so."""
    key = b"inspectors-secret"
    signed = make_checkpoint(demo, "jiang.duban", key=key)
    assert signed["signature"]
    assert verify(demo, key=key).ok
    expect = delete_whole_case(demo, demo_path)   # also takes an unsigned checkpoint 2
    with raw(demo_path) as conn:
        conn.execute("DELETE FROM checkpoints")
    make_checkpoint(demo, "jiang.duban")          # remade with the role, without the key
    assert verify(demo).ok                          # without the key nothing can tell
    report = verify(demo, key=key)
    assert [f.case for f in report.findings] == [
        f"checkpoint {demo.store.checkpoints()[0]['id']}"]  # type: ignore[attr-defined]
    assert "not signed" in report.findings[0].en
    monkeypatch.setenv("BANGFU_CHECKPOINT_KEY", "inspectors-secret")
    result = bangfu("audit", "verify", "--db", str(demo_path), "--lang", "en")
    assert result.exit_code == 1 and "not signed" in result.output  # type: ignore[attr-defined]
    with raw(demo_path) as conn:
        conn.execute("UPDATE checkpoints SET signature = ?", ("0" * 64,))
    assert "signature does not match" in verify(demo, key=key).findings[0].en
    assert expect.case


def test_a_checkpoint_whose_export_cannot_be_written_is_not_stored(
        demo: Engine, demo_path: Path, tmp_path: Path) -> None:
    """`--export` into a folder that does not exist fails before anything is committed."""
    result = bangfu("audit", "checkpoint", "--as", "jiang.duban", "--db", str(demo_path),
                    "--export", str(tmp_path / "nonexistent" / "cp.json"))
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "nonexistent" in result.output  # type: ignore[attr-defined]
    assert demo.store.checkpoints() == []  # type: ignore[attr-defined]
    good = tmp_path / "cp.json"
    result = bangfu("audit", "checkpoint", "--as", "jiang.duban", "--db", str(demo_path),
                    "--export", str(good))
    assert result.exit_code == 0 and json.loads(good.read_text())["made_by"] == "jiang.duban"


def test_a_signed_checkpoint_vouches_for_the_unsigned_ones_before_it(demo: Engine) -> None:
    """A county that adopts the key later: earlier unsigned checkpoints are covered by the
    chain up to the first signed one; an unsigned one after the last signed is reported."""
    key = b"inspectors-secret"
    make_checkpoint(demo, "jiang.duban")
    make_checkpoint(demo, "jiang.duban", key=key)
    assert verify(demo, key=key).ok
    late = make_checkpoint(demo, "jiang.duban")
    report = verify(demo, key=key)
    assert [(f.case, "no signed checkpoint follows" in f.en) for f in report.findings] == [
        (f"checkpoint {late['id']}", True)]


def test_every_event_records_the_rows_it_wrote_beside_it(demo_path: Path) -> None:
    """The timers, messages and ledger rows beside an event are in its hashed meta."""
    with raw(demo_path) as conn:
        unrecorded = conn.execute("SELECT count(*) FROM events WHERE "
                                  "json_extract(meta, '$.effects') IS NULL").fetchone()[0]
        recorded = conn.execute("SELECT count(*) FROM events WHERE "
                                "json_extract(meta, '$.effects.messages') IS NOT NULL").fetchone()[0]
    assert unrecorded == 0 and recorded > 1000


def test_an_export_stopped_by_a_damaged_case_gives_its_connections_back(
        demo: Engine, demo_path: Path, tmp_path: Path) -> None:
    """The export streams every history; a damaged case stops it, and the stream's
    connections go back to the pool then, not once the refusal (kept here, as the CLI
    keeps it to print it) is forgotten."""
    expect = break_payload_json(demo, demo_path)
    pool = demo.store.engine.pool  # type: ignore[attr-defined]
    with pytest.raises(DamagedRecord) as ei:
        export_trail(demo, tmp_path / "export")
    assert pool.checkedout() == 0
    assert expect.case in str(ei.value)
