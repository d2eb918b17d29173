"""What inspectors do: replay a case as of a moment, verify every chain and
checkpoint, take and export checkpoints, export the trail. Services over an
Engine.
"""

from __future__ import annotations

import csv
import hmac
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from definitions.compile import CompiledDefinition
from definitions.hashing import legacy_body_hash, source_hash
from workflow.core.authz import conflicted, platform_role
from workflow.core.chain import checkpoint_hash, checkpoint_signature, export_record
from workflow.core.data import field_label, pii_kinds
from workflow.core.decide import has_words, household_of
from workflow.core.effects import SideRows
from workflow.core.effects import check as check_effects
from workflow.core.localtime import local
from workflow.core.model import Actor, Case, Event
from workflow.core.pii import mask_data, mask_text
from workflow.core.replay import replay_pinned
from workflow.core.substitutes import check_events, period
from workflow.core.verify import Finding, check_case
from workflow.engine import Engine
from workflow.errors import (
    AuditError,
    DamagedRecord,
    FileError,
    PermissionDenied,
    StorageError,
    UsageError,
)
from workflow.privatefiles import open_private
from workflow.views import event_label

GENESIS_CHECKPOINT = "0" * 64
Progress = Callable[[int, int], None]


def _resolver(engine: Engine, process: str, strict: bool = False
              ) -> Callable[[int, str | None], CompiledDefinition]:
    """Definition versions by number; ``strict`` (verification): the hash a case or
    event is pinned to must name that version (its own, or a release hash recorded
    for it on upgrade)."""
    def resolve(version: int, content_hash: str | None) -> CompiledDefinition:
        defn = engine.definitions.get(process, version)
        if strict and content_hash is not None and content_hash not in defn.known_hashes:
            raise AuditError(
                f"it is pinned to content {content_hash[:12]} of '{process}' version "
                f"{version}, which is neither that version's hash nor one recorded for it",
                f"它所依据的 '{process}' 第 {version} 版内容哈希 {content_hash[:12]} 既不是该版本"
                "的哈希，也不在升级时记录的旧哈希中")
        return defn
    return resolve


def _process_of(case: Case | None, events: list[Event]) -> str | None:
    if case is not None:
        return case.process
    for e in events:
        if e.kind == "submitted":
            return str(e.meta.get("process")) if e.meta.get("process") else None
    return None


def checkpoint_key() -> bytes | None:
    """The inspectors' checkpoint key, from ``BANGFU_CHECKPOINT_KEY`` or the file named by
    ``BANGFU_CHECKPOINT_KEY_FILE``; kept outside the database, so that whoever holds the
    database file cannot remake signed checkpoints.

    Raises:
        FileError: the key file cannot be read, or a key is empty.
    """
    from workflow.secrets import read_secret

    value = read_secret("BANGFU_CHECKPOINT_KEY")
    if value is None:
        return None
    if not value.strip():
        raise FileError("the checkpoint key is empty", "检查点密钥为空")
    return value.strip().encode("utf-8")


# -- replay -------------------------------------------------------------------

def replay_case(engine: Engine, ref: str, as_of: datetime | None = None
                ) -> tuple[Case, list[Event]]:
    """The case as it was at ``as_of`` (default: now) and the events up to then.

    Raises:
        CaseNotFound: no such case.
        AuditError: ``as_of`` is before the case existed.
    """
    case = engine.get_case(ref)
    events = engine.store.history(case.id)
    if as_of is not None:
        if as_of < case.created_at:
            raise AuditError(
                f"case '{case.number}' did not exist yet at {local(as_of)} (it was submitted "
                f"at {local(case.created_at)})",
                f"{local(as_of)} 时案件 '{case.number}' 尚未提交(提交于 {local(case.created_at)})")
        events = [e for e in events if e.at <= as_of]
    return replay_pinned(_resolver(engine, case.process), events), events


# -- checkpoints --------------------------------------------------------------

def make_checkpoint(engine: Engine, user: str, *, key: bytes | None = None,
                    export: Path | None = None) -> dict[str, Any]:
    """Hash the heads of every case chain, chained to the previous checkpoint, as
    ``user`` (who needs a platform role granting ``checkpoint``); with ``key``, sign
    it (HMAC) so that nobody without the key can make or remake one; with
    ``export``, also write it to that file (checked before anything is stored).

    Raises:
        UnknownUser, PermissionDenied: the user may not take checkpoints.
        FileError: ``export`` cannot be written; nothing was stored.
    """
    actor = engine.actor(user)
    platform_role(engine.org, actor, "checkpoint")
    if export is not None:
        _check_writable(export)
    store: Any = engine.store
    heads = store.heads()
    previous = store.checkpoints()
    prev_hash = previous[-1]["hash"] if previous else GENESIS_CHECKPOINT
    # a case's row version counts its events: heads and count from one read
    n_events = sum(int(h[2]) for h in heads)
    at = engine.clock.now()
    digest = checkpoint_hash(heads, prev_hash, at=at, cases=len(heads), events=n_events,
                             made_by=actor.id)
    signature = checkpoint_signature(digest, key) if key else None
    cid = store.add_checkpoint(at, heads, n_events, prev_hash, digest, actor.id, signature)
    cp = {"id": cid, "at": at.isoformat(), "cases": len(heads), "events": n_events,
          "made_by": actor.id, "heads": [list(h) for h in heads], "prev_hash": prev_hash,
          "hash": digest, "signature": signature}
    if export is not None:
        write_checkpoint(cp, export)
    return cp


def _check_writable(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise FileError(f"cannot write '{path}': no such writable folder or it is a folder",
                        f"无法写入 '{path}'：所在文件夹不存在或不可写，或它本身是文件夹")


def read_checkpoint(path: Path) -> dict[str, Any]:
    """An exported checkpoint file, for ``verify`` to hold the database against.

    Raises:
        FileError: unreadable, or not a checkpoint.
    """
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        found["heads"], found["hash"], found["prev_hash"]  # noqa: B018
    except RecursionError:
        raise FileError(f"'{path}' is not a checkpoint file: it is nested too deeply",
                        f"'{path}' 不是有效的检查点文件：嵌套层数过多") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FileError(f"'{path}' is not a checkpoint file: {exc}",
                        f"'{path}' 不是有效的检查点文件：{exc}") from None
    if not isinstance(found, dict):
        raise FileError(f"'{path}' is not a checkpoint file", f"'{path}' 不是有效的检查点文件")
    return found


def write_checkpoint(cp: Mapping[str, Any], path: Path) -> None:
    """Write the file whole or not at all (a temporary file renamed into place).

    Raises FileError: the file cannot be written."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open_private(tmp, "w", encoding="utf-8") as f:
            f.write(checkpoint_json(cp))
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileError(f"cannot write '{path}': {exc}", f"无法写入 '{path}':{exc}") from None


def checkpoint_json(cp: Mapping[str, Any]) -> str:
    body = dict(cp)
    if isinstance(body.get("at"), datetime):
        body["at"] = body["at"].isoformat()
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


# -- verify -------------------------------------------------------------------

@dataclass
class VerifyReport:
    cases: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    checkpoints: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _well_formed(cp: Mapping[str, Any]) -> bool:
    try:
        return all(len(h) == 4 and int(h[2]) >= 1 for h in cp["heads"]) and \
            isinstance(cp["prev_hash"], str) and isinstance(cp["hash"], str) and \
            isinstance(cp["made_by"], str)
    except (KeyError, TypeError, ValueError):
        return False


def _hash_of(cp: Mapping[str, Any]) -> str | None:
    """The hash ``cp``'s fields give, or None if they cannot be read."""
    try:
        at = cp["at"] if isinstance(cp["at"], datetime) else datetime.fromisoformat(cp["at"])
        return checkpoint_hash(cp["heads"], cp["prev_hash"], at=at, cases=int(cp["cases"]),
                               events=int(cp["events"]), made_by=cp["made_by"])
    except (KeyError, TypeError, ValueError):
        return None


def _check_checkpoints(cps: list[Mapping[str, Any]], external: Mapping[str, Any] | None,
                       key: bytes | None = None
                       ) -> tuple[list[Finding], dict[str, tuple[int, str, str, str]]]:
    """Each checkpoint's own hash, chain and (with ``key``) signature; returns the
    heads to find in the data."""
    out: list[Finding] = []
    prev = GENESIS_CHECKPOINT
    for cp in cps:
        label = f"checkpoint {cp['id']}"
        if cp["prev_hash"] != prev:
            out.append(Finding(label, None, f"does not follow the previous checkpoint "
                               f"(links to {cp['prev_hash'][:12]}, expected {prev[:12]}); a "
                               "checkpoint was deleted or altered",
                               f"检查点 {cp['id']} 与上一个检查点衔接不上，有检查点被删除或改动"))
        if not _well_formed(cp) or _hash_of(cp) != cp["hash"]:
            out.append(Finding(label, None, "its fields (time, maker, counts or list of case "
                               "heads) were altered",
                               f"检查点 {cp['id']} 的内容（时间、制作人、数量或案件列表）被改动"))
        elif key is not None:
            if not cp.get("signature"):
                # one signed later vouches for it through the chain of hashes
                if not any(later.get("signature") for later in cps[cps.index(cp) + 1:]):
                    out.append(Finding(label, None, "it is not signed with the inspectors' "
                                       "key, and no signed checkpoint follows it",
                                       f"检查点 {cp['id']} 没有用督查组的密钥签名，其后也没有已签名的检查点"))
            elif not hmac.compare_digest(str(cp["signature"]),
                                         checkpoint_signature(cp["hash"], key)):
                out.append(Finding(label, None, "its signature does not match: it was made or "
                                   "remade without the inspectors' key",
                                   f"检查点 {cp['id']} 的签名不符：不是用督查组的密钥制作的"))
        prev = cp["hash"]
    expected: dict[str, tuple[int, str, str, str]] = {}
    sources = ([cps[-1]] if cps else []) + ([external] if external else [])
    for source in (s for s in sources if _well_formed(s)):
        name = f"checkpoint {source.get('id', '?')}"
        for case_id, number, seq, head in source["heads"]:
            expected[case_id] = (int(seq), str(head), name, str(number))
    if external is not None:
        if not _well_formed(external) or _hash_of(external) != external["hash"]:
            out.append(Finding("exported checkpoint", None, "the exported file was altered",
                               "导出的检查点文件被改动"))
    return out, expected


def _check_definitions(engine: Engine) -> list[Finding]:
    """Every stored definition body still hashes to the version's content hash; a
    version release 9dd431c stored also to its old hash, as recorded on upgrade."""
    out: list[Finding] = []
    settings = engine.store.read_meta() or {}
    try:
        record = json.loads(settings.get("definition_hashes") or "{}")
    except ValueError:
        record = None
    recorded = {(v.get("process"), v.get("version")): (v.get("old"), v.get("new"))
                for v in (record or {}).get("versions", ()) if isinstance(v, dict)} \
        if isinstance(record, dict) else None
    if recorded is None:
        out.append(Finding("definition hashes", None, "the recorded mapping of release "
                           "hashes was altered: it no longer reads back",
                           "升级时记录的流程定义旧哈希对照表被改动，无法读取"))
        recorded = {}
    for row in engine.store.stored_definitions():
        label = f"definition {row['process']} v{row['version']}"
        try:
            actual: str | None = source_hash(row["body"])
            legacy = legacy_body_hash(row["body"]) if row.get("legacy_hash") else None
        except (TypeError, ValueError, AttributeError):
            actual = legacy = None
        if actual != row["content_hash"]:
            out.append(Finding(label, None, "its stored body was altered: it no longer hashes "
                               "to the version's content hash",
                               f"流程定义 {row['process']} 第 {row['version']} 版的存储内容被改动"))
        elif row.get("legacy_hash") and (
                legacy != row["legacy_hash"] or recorded.get(
                    (row["process"], row["version"])) != (row["legacy_hash"], actual)):
            out.append(Finding(label, None, "its release hash does not match the stored body "
                               "and the mapping recorded on upgrade",
                               f"流程定义 {row['process']} 第 {row['version']} 版的旧哈希与存储"
                               "内容或升级时记录的对照表不符"))
    return out


def verify(engine: Engine, case_ref: str | None = None,
           checkpoint: Mapping[str, Any] | None = None,
           progress: Progress | None = None, *, key: bytes | None = None) -> VerifyReport:
    """Check every chain, every replay against its stored case (the columns derived
    from the events included), the stored definitions and the checkpoints (with
    ``key``, their signatures too)."""
    store: Any = engine.store
    began = time.perf_counter()
    report = VerifyReport()
    cps = store.checkpoints()
    found, expected = _check_checkpoints(cps, checkpoint, key)
    report.checkpoints = len(cps) + (1 if checkpoint else 0)
    report.findings += found
    report.findings += _check_definitions(engine)
    households = store.households()
    side = store.side_rows()
    periods = {int(r["id"]): period(r) for r in engine.store.substitution_rows()}
    if case_ref is not None:
        case = engine.get_case(case_ref)
        items = iter([(case.id, case, store.history(case.id))])
        total = 1
        expected = {k: v for k, v in expected.items() if k == case.id}
    else:
        items = store.iter_histories()
        total = store.counts()[0]
    seen: set[str] = set()
    for case_id, stored, events in items:
        report.cases += 1
        report.events += len(events)
        seen.add(case_id)
        ref = stored.number if stored is not None else case_id
        process = _process_of(stored, events)
        if process is None:
            report.findings.append(Finding(ref, None, "the case's process is unknown (no "
                                           "submission event and no case row)",
                                           "无法确定案件所属流程（缺少提交记录和案件本身）"))
            continue
        resolve = _resolver(engine, process, strict=True)
        findings = check_case(resolve, stored, events, ref)
        report.findings += findings
        report.findings += [Finding(ref, seq, en, zh)
                            for seq, en, zh in check_events(events, periods)]
        if stored is not None and not findings:
            want = household_of(resolve(stored.definition_version, stored.definition_hash),
                                stored.data)
            for en, zh in check_effects(events, side.get(case_id, SideRows())):
                report.findings.append(Finding(ref, None, en, zh))
            if households.get(case_id) != want:
                report.findings.append(Finding(
                    ref, None, f"stored household is {households.get(case_id)!r}, the "
                    f"applicant's ID number gives {want!r}",
                    f"存储的家庭标识为 {households.get(case_id)!r}，申请人身份证号应为 {want!r}"))
        head = expected.get(case_id)
        if head is not None:
            seq, digest, name, _ = head
            if seq > len(events) or events[seq - 1].hash != digest:
                report.findings.append(Finding(
                    ref, seq, f"event {seq} is not the one {name} recorded",
                    f"第 {seq} 条记录与{name.replace('checkpoint', '检查点')}记录的不一致"))
        if progress is not None:
            progress(report.cases, total)
    for case_id, (seq, _, name, number) in expected.items():
        if case_id not in seen:
            report.findings.append(Finding(
                number, None, f"the case is missing: {name} recorded it with {seq} event(s)",
                f"案件缺失：{name.replace('checkpoint', '检查点')}记录该案件有 {seq} 条记录"))
    report.seconds = time.perf_counter() - began
    return report


@contextmanager
def _closed_after(items: Any) -> Iterator[Any]:
    """``items`` for the block, closed after it however it ends: a stream of every
    history holds its connections until it is read to the end or closed."""
    try:
        yield items
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


# -- export -------------------------------------------------------------------

@dataclass
class ExportReport:
    events_file: Path
    timeline_file: Path
    cases: int
    events: int
    masked: bool


def export_trail(engine: Engine, out_dir: Path, case_ref: str | None = None,
                 unmasked_by: str | None = None, lang: str = "zh",
                 reason: str | None = None) -> ExportReport:
    """Events as JSON Lines and a per-case timeline as CSV (UTF-8 with BOM, for
    Excel). Personal data is masked unless an inspector asks for it by name, with a
    reason: each case exported unmasked then records a reveal event (``export``: who,
    when, why), written after the files and before they are put in place.

    Raises:
        PermissionDenied: ``unmasked_by`` holds no platform role granting ``export``,
            or declared a relation to an applicant of the export; UsageError: no reason.
    """
    actor = None
    if unmasked_by is not None:
        actor = engine.actor(unmasked_by)
        platform_role(engine.org, actor, "export")
        if not has_words(reason):
            raise UsageError("an unmasked export needs a reason (--reason): it is recorded in "
                             "the history of every case exported",
                             "未脱敏导出须填写理由（--reason），并记入每个导出案件的记录")
    masked = actor is None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create '{out_dir}': {exc}", f"无法创建目录 '{out_dir}':{exc}") \
            from None
    store: Any = engine.store
    events_file, timeline_file = out_dir / "events.jsonl", out_dir / "timeline.csv"
    if case_ref is not None:
        case = engine.get_case(case_ref)
        items: Any = [(case.id, case, store.history(case.id))]
    else:
        items = store.iter_histories()
    # Written beside the targets and renamed at the end: a damaged case stops the
    # export without leaving half a file where the last good export was.
    events_tmp = events_file.with_name(events_file.name + ".part")
    timeline_tmp = timeline_file.with_name(timeline_file.name + ".part")
    exported: list[str] = []
    try:
        with _closed_after(items):
            n_events = _write_trail(engine, items, events_tmp, timeline_tmp, actor, lang,
                                    exported)
        if actor is not None:
            for case_id in exported:
                engine.reveal(case_id, actor.id, reason, export=True)
    except BaseException:
        events_tmp.unlink(missing_ok=True)
        timeline_tmp.unlink(missing_ok=True)
        raise
    events_tmp.replace(events_file)
    timeline_tmp.replace(timeline_file)
    return ExportReport(events_file, timeline_file, len(exported), n_events, masked)


def _write_trail(engine: Engine, items: Any, events_path: Path, timeline_path: Path,
                 reader: Actor | None, lang: str, exported: list[str]) -> int:
    """Writes the files; appends each case's id to ``exported``; returns the events.
    With a ``reader`` (unmasked), an applicant they declared a relation to refuses it."""
    masked = reader is None
    n_events = 0
    with open_private(events_path, "w", encoding="utf-8") as jf, \
            open_private(timeline_path, "w", encoding="utf-8-sig", newline="") as cf:
        writer = csv.writer(cf)
        writer.writerow(["case", "seq", "time", "actor", "name", "action", "from", "to",
                         "comment", "data", "hash"] if not lang.startswith("zh") else
                        ["案件", "序号", "时间", "操作人", "姓名", "操作", "原状态", "新状态", "理由", "数据",
                         "哈希"])
        for _, stored, events in items:
            if stored is None:
                continue
            defn = engine.definition_for(stored)
            if reader is not None and conflicted(defn, engine.org, stored, reader):
                raise PermissionDenied(
                    "conflict_of_interest", f"user '{reader.id}' declared a relation to the "
                    f"applicant of case '{stored.number}' and may not export their personal data",
                    f"用户 '{reader.id}' 已申报与案件 '{stored.number}' 的申请人存在关系，不能导出其完整个人信息")
            exported.append(stored.id)
            kinds = pii_kinds(defn)
            bad = next((e for e in events if not isinstance(e.data, Mapping)
                        or not isinstance(e.meta, Mapping)), None)
            if bad is not None:
                raise DamagedRecord(stored.number, f"event {bad.seq} does not decode")
            for e in events:
                n_events += 1
                data = mask_data(e.data, kinds) if masked else dict(e.data)
                record = export_record(e, data)
                record["case_number"] = stored.number
                if masked and record.get("comment"):
                    record["comment"] = mask_text(str(record["comment"]))
                jf.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                user = engine.org.users.get(e.actor)
                action = event_label(defn, e, lang)
                writer.writerow([
                    stored.number, e.seq, local(e.at), e.actor, user.name if user else "",
                    action, defn.state_label(e.source, lang) if e.source else "",
                    defn.state_label(e.dest, lang), record.get("comment") or "",
                    "; ".join(f"{field_label(defn, k, lang)}={v}" for k, v in data.items()),
                    e.hash[:16]])
    return n_events
