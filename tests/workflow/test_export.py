"""Exporting the audit trail: events as JSON Lines with their hashes, a timeline CSV for
Excel, personal data masked unless an inspector asks by name."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import bangfu
from workflow import Engine, PermissionDenied
from workflow.core.chain import genesis
from workflow.services.inspection import export_trail

#: an 18-character ID number or an 11-digit mobile standing alone (not inside a hash)
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ZH_HEADER = ["案件", "序号", "时间", "操作人", "姓名", "操作", "原状态", "新状态", "理由", "数据", "哈希"]
HEX64 = re.compile(r"[0-9a-f]{64}")


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def timeline(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def personal(demo: Engine) -> tuple[set[str], set[str]]:
    """Every ID number and phone in the demo cases."""
    cases = demo.list_cases()
    return ({c.data["id_number"] for c in cases}, {c.data["phone"] for c in cases})


def test_events_file_has_one_record_per_event_with_its_hashes(demo: Engine,
                                                              tmp_path: Path) -> None:
    """events.jsonl holds every event once, with hash and prev_hash as stored."""
    report = export_trail(demo, tmp_path / "out")
    got = records(report.events_file)
    assert report.cases == 300
    assert report.events == len(got) == demo.store.counts()[1]  # type: ignore[attr-defined]
    assert all(HEX64.fullmatch(r["hash"]) and HEX64.fullmatch(r["prev_hash"]) for r in got)
    first = demo.list_cases()[0]
    stored = [e.hash for e in demo.history(first.number)]
    assert [r["hash"] for r in got if r["case_number"] == first.number] == stored


def test_events_file_keeps_each_chain_in_order(demo: Engine, tmp_path: Path) -> None:
    """Within a case, each record's prev_hash is the hash of the record before it."""
    got = records(export_trail(demo, tmp_path / "out").events_file)
    last: dict[str, str] = {}
    for r in got:
        assert r["prev_hash"] == last.get(r["case_id"], genesis(r["case_id"]))
        assert r["seq"] == 1 or r["case_id"] in last
        last[r["case_id"]] = r["hash"]


def test_timeline_is_utf8_with_bom_and_chinese_headers(demo: Engine, tmp_path: Path) -> None:
    """timeline.csv opens in Excel: a UTF-8 BOM, Chinese headers, a row per event."""
    report = export_trail(demo, tmp_path / "out")
    assert report.timeline_file.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = timeline(report.timeline_file)
    assert rows[0] == ZH_HEADER
    assert len(rows) - 1 == report.events
    assert any(row[7] == "公示" for row in rows[1:])


def test_timeline_headers_in_english(demo: Engine, tmp_path: Path) -> None:
    """`lang="en"` writes English headers and state labels."""
    report = export_trail(demo, tmp_path / "out", lang="en")
    rows = timeline(report.timeline_file)
    assert rows[0][:3] == ["case", "seq", "time"]
    assert any(row[7] == "Public notice" for row in rows[1:])


def test_export_of_one_case(demo: Engine, tmp_path: Path) -> None:
    """`case_ref` exports that case's events only."""
    case = demo.list_cases()[5]
    report = export_trail(demo, tmp_path / "out", case_ref=case.number)
    got = records(report.events_file)
    assert (report.cases, report.events) == (1, case.version)
    assert {r["case_number"] for r in got} == {case.number}


def test_export_masks_id_numbers_and_phones_by_default(demo: Engine, tmp_path: Path) -> None:
    """Neither file holds a full ID number or mobile number; masked forms are there."""
    report = export_trail(demo, tmp_path / "out")
    assert report.masked
    ids, phones = personal(demo)
    for path in (report.events_file, report.timeline_file):
        text = path.read_text(encoding="utf-8-sig")
        assert ID_NUMBER.findall(text) == [] and MOBILE.findall(text) == []
        assert not any(i in text for i in ids) and not any(p in text for p in phones)
        assert re.search(r"331122\*{8}\d{3}[\dX]", text) and re.search(r"139\*{4}\d{4}", text)


def test_unmasked_export_is_refused_for_a_non_inspector(demo: Engine, tmp_path: Path) -> None:
    """Village staff may not export personal data unmasked; nothing is written."""
    with pytest.raises(PermissionDenied, match="wang.fang"):
        export_trail(demo, tmp_path / "out", unmasked_by="wang.fang")
    assert not (tmp_path / "out").exists()


def test_unmasked_export_by_the_inspector_has_full_id_numbers(demo: Engine,
                                                              tmp_path: Path) -> None:
    """jiang.duban of the inspection team gets every full ID number and phone."""
    report = export_trail(demo, tmp_path / "out", unmasked_by="jiang.duban",
                          reason="督查组年度抽查")
    assert not report.masked
    ids, phones = personal(demo)
    for path in (report.events_file, report.timeline_file):
        text = path.read_text(encoding="utf-8-sig")
        assert set(ID_NUMBER.findall(text)) == ids
        assert set(MOBILE.findall(text)) >= phones


def test_cli_unmasked_export_refused_for_non_inspector(demo: Engine, tmp_path: Path) -> None:
    """`bangfu audit export --unmasked --as wang.fang` exits 1."""
    db = str(tmp_path / "demo.db")
    result = bangfu("audit", "export", "--out", str(tmp_path / "out"), "--unmasked",
                    "--as", "wang.fang", "--db", db, "--lang", "en")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "may not export the audit trail" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "out").exists()


def test_cli_unmasked_export_by_the_inspector(demo: Engine, tmp_path: Path) -> None:
    """`bangfu audit export --unmasked --as jiang.duban` writes the full ID numbers."""
    db = str(tmp_path / "demo.db")
    result = bangfu("audit", "export", "--out", str(tmp_path / "out"), "--unmasked",
                    "--as", "jiang.duban", "--reason", "督查组年度抽查", "--db", db, "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    body = json.loads(result.output)  # type: ignore[attr-defined]
    assert body["masked"] is False and body["cases"] == 300
    text = (tmp_path / "out" / "events.jsonl").read_text(encoding="utf-8")
    assert set(ID_NUMBER.findall(text)) == personal(demo)[0]


def test_an_unmasked_export_needs_a_reason_and_writes_nothing_without(demo: Engine,
                                                                     tmp_path: Path) -> None:
    """Without a reason the inspector's unmasked export is refused: no file, no event."""
    from workflow.errors import UsageError

    before = demo.store.counts()  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="reason"):
        export_trail(demo, tmp_path / "out", unmasked_by="jiang.duban", reason="  ")
    assert not (tmp_path / "out").exists()
    assert demo.store.counts() == before  # type: ignore[attr-defined]


def test_an_unmasked_export_is_in_each_exported_cases_history(demo: Engine,
                                                              tmp_path: Path) -> None:
    """The export of one case unmasked records who, when and why in that case only."""
    number = demo.store.list_cases()[0].number
    other = demo.store.list_cases()[1].number
    versions = demo.get_case(other).version
    export_trail(demo, tmp_path / "out", number, unmasked_by="jiang.duban",
                 reason="核对签收表")
    last = demo.history(number)[-1]
    assert (last.kind, last.trigger, last.actor, last.comment) == (
        "reveal", "export", "jiang.duban", "核对签收表")
    assert demo.get_case(other).version == versions
