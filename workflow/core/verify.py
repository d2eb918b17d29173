"""Verification of the audit trail and what-if replay. Pure.

``check_case`` walks one case's stored events: the sequence has no gap, every
event links to its predecessor's hash and hashes to what it says, every event
is a move its definition allows from where the case was, and the replayed
case equals the stored row. It reports the first broken link precisely (which
case, which event, what was expected) instead of stopping at "invalid".
``what_if`` replays a history against another definition version (with a
state mapping) and says where it would diverge: the safety check of a
migration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from workflow.core.chain import event_hash, genesis
from workflow.core.model import Case, Event
from workflow.core.replay import Resolver, evolve
from workflow.errors import AuditError


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with a case's record."""

    case: str
    seq: int | None
    en: str
    zh: str

    def text(self, lang: str = "zh") -> str:
        where = f"{self.case}" + (f" #{self.seq}" if self.seq is not None else "")
        return f"{where}: {self.zh if lang.startswith('zh') else self.en}"


# Every field of the case row: duties (what separation of duties checks) and the
# times count as much as the state.
_COMPARED = ("state", "data", "version", "head_hash", "definition_version", "definition_hash",
             "unit", "number", "applicant_user", "campaign", "process", "duties",
             "first_entered", "submitted_by", "created_at", "updated_at", "state_entered_at")


def _move_allowed(defn: CompiledDefinition, case: Case, event: Event) -> str | None:
    """Why ``event`` is not a move the definition allows from ``case``, or None."""
    if event.source != case.state:
        return f"starts from '{event.source}' but the case was in '{case.state}'"
    if event.kind in ("timer", "reminder", "escalation", "reveal"):
        return None if event.dest == case.state else "a note changed the state"
    if event.kind == "migration":
        return None
    if event.kind != "transition":
        return f"unexpected kind '{event.kind}'"
    # A loop, not any() over a generator: this runs for every event verified.
    for spec in defn.by_trigger_source.get((event.trigger, event.source or ""), ()):
        if spec.dest == event.dest:
            return None
    return (f"'{event.trigger}' from '{event.source}' to '{event.dest}' is not a transition "
            f"of {defn.process} v{defn.version}")


def check_case(resolve: Resolver, stored: Case | None, events: Sequence[Event],
               case_ref: str) -> list[Finding]:
    """Every problem of one case's chain and replay (empty when it verifies)."""
    out: list[Finding] = []
    if not events:
        return [Finding(case_ref, None, "the case has no events", "案件没有任何记录")]
    prev = genesis(events[0].case_id)
    case: Case | None = None
    defn: CompiledDefinition | None = None
    # the (version, content hash) that defn was resolved for
    pinned_version: int | None = None
    pinned_hash: str | None = None
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            out.append(Finding(case_ref, expected_seq,
                               f"event {expected_seq} is missing (next stored is {event.seq})",
                               f"第 {expected_seq} 条记录缺失（下一条为第 {event.seq} 条）"))
            return out
        if event.prev_hash != prev:
            out.append(Finding(case_ref, event.seq,
                               f"event {event.seq} does not follow event {event.seq - 1}: "
                               f"it links to {event.prev_hash[:12]}, expected {prev[:12]}",
                               f"第 {event.seq} 条记录与第 {event.seq - 1} 条衔接不上"
                               f"（链接 {event.prev_hash[:12]},应为 {prev[:12]}）"))
            return out
        try:
            actual = event_hash(event, prev)
        except (AttributeError, TypeError, ValueError) as exc:
            out.append(Finding(case_ref, event.seq,
                               f"event {event.seq} was altered: its content cannot be read "
                               f"({exc})", f"第 {event.seq} 条记录被改动：内容无法读取（{exc}）"))
            return out
        if actual != event.hash:
            out.append(Finding(case_ref, event.seq,
                               f"event {event.seq} was altered: its content hashes to "
                               f"{actual[:12]}, the record says {event.hash[:12]}",
                               f"第 {event.seq} 条记录被改动：内容哈希为 {actual[:12]},"
                               f"记录中为 {event.hash[:12]}"))
            return out
        prev = event.hash
        try:
            if case is None:
                if event.kind != "submitted":
                    out.append(Finding(case_ref, event.seq, "the first event is not a submission",
                                       "第一条记录不是提交申请"))
                    return out
                defn = resolve(event.definition_version, event.meta.get("definition_hash"))
                pinned_version, pinned_hash = defn.version, defn.content_hash
            else:
                if case.definition_version != pinned_version or \
                        case.definition_hash != pinned_hash:
                    defn = resolve(case.definition_version, case.definition_hash)
                    pinned_version, pinned_hash = case.definition_version, case.definition_hash
                assert defn is not None
                why = _move_allowed(defn, case, event)
                if why is not None:
                    out.append(Finding(case_ref, event.seq, f"event {event.seq} {why}",
                                       f"第 {event.seq} 条记录不符合流程定义：{why}"))
                    return out
            assert defn is not None
            case = evolve(defn, case, event)
        except (BangfuError, KeyError, ValueError) as exc:
            out.append(Finding(case_ref, event.seq, f"event {event.seq} cannot be replayed: {exc}",
                               f"第 {event.seq} 条记录无法重放：{exc}"))
            return out
    if stored is None:
        out.append(Finding(case_ref, None, "events exist but the case row is missing",
                           "有记录但案件本身缺失"))
        return out
    assert case is not None
    for name in _COMPARED:
        want, got = getattr(case, name), getattr(stored, name)
        if want == got:
            # equal values are equal as dicts too; the Mapping checks cost more
            continue
        if (dict(want) if isinstance(want, Mapping) else want) != \
                (dict(got) if isinstance(got, Mapping) else got):
            out.append(Finding(case_ref, None,
                               f"stored {name} is {got!r}, replay gives {want!r}",
                               f"存储的 {name} 为 {got!r},重放结果为 {want!r}"))
    return out


@dataclass(frozen=True, slots=True)
class Divergence:
    seq: int
    en: str
    zh: str


def what_if(target: CompiledDefinition, events: Sequence[Event],
            state_map: Mapping[str, str] | None = None) -> Divergence | None:
    """Where ``events`` would diverge if replayed under ``target`` (states
    renamed through ``state_map``), or None if they fit."""
    mapping = dict(state_map or {})

    def m(state: str | None) -> str | None:
        return mapping.get(state, state) if state is not None else None

    current: str | None = None
    for event in events:
        if event.kind == "migration":
            current = m(event.dest)
            continue
        source, dest = m(event.source), m(event.dest)
        if dest not in target.states:
            return Divergence(event.seq, f"state '{dest}' does not exist in "
                              f"{target.process} v{target.version}",
                              f"状态 '{dest}' 在 {target.process} 第 {target.version} 版中不存在")
        if event.kind == "submitted":
            if dest != target.initial:
                return Divergence(event.seq, f"cases now start in '{target.initial}', not "
                                  f"'{dest}'", f"新版本的初始状态是 '{target.initial}',不是 '{dest}'")
        elif event.kind == "transition":
            specs = target.by_trigger_source.get((event.trigger, source or ""), ())
            if source != current or not any(s.dest == dest for s in specs):
                return Divergence(
                    event.seq, f"'{event.trigger}' from '{source}' to '{dest}' is not a "
                    f"transition of {target.process} v{target.version}",
                    f"第 {target.version} 版中没有从 '{source}' 经 '{event.trigger}' 到 '{dest}' 的流转")
        current = dest
    return None


def check_state_map(source: CompiledDefinition, target: CompiledDefinition,
                    mapping: Mapping[str, str]) -> None:
    """A migration's state map names states of the source (keys) and target (values).

    Raises:
        AuditError: a state either version does not have, named.
    """
    process = source.process
    bad = [s for s in mapping if s not in source.states]
    if bad:
        raise AuditError(f"--map names states that {process} v{source.version} does not have: "
                         f"{', '.join(bad)}",
                         f"--map 中的状态在第 {source.version} 版中不存在：{'、'.join(bad)}")
    unknown = sorted({s for s in mapping.values() if s not in target.states})
    if unknown:
        raise AuditError(f"--map names states that {process} v{target.version} does not have: "
                         f"{', '.join(unknown)}",
                         f"--map 中的状态在第 {target.version} 版中不存在：{'、'.join(unknown)}")


def stranded_by(target: CompiledDefinition, case: Case, events: Sequence[Event],
                mapping: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``[(number, English, Chinese)]`` when the case's history would not replay
    under ``target`` (a migration would strand it), else empty."""
    div = what_if(target, events, mapping)
    if div is None:
        return []
    return [(case.number, f"event {div.seq}: {div.en}", f"第 {div.seq} 条记录：{div.zh}")]
