"""What a viewer sees of a case, its events, papers, timers and options: plain,
JSON-ready dicts, masked as the core decides. Shell, no I/O.

The CLI's ``--json`` prints these views as they are, and renders its tables
from them; the HTTP API will serve the same. Full ID and phone numbers appear
only in a view built with ``reveal=True``, which the service grants after the
core's check, recorded as an event (``Engine.reveal``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from definitions.compile import CompiledDefinition
from workflow.core.data import field_label, pii_kinds
from workflow.core.deadlines import timer_spec
from workflow.core.localtime import local
from workflow.core.model import Case, CommandResult, Event, Timer, TriggerOption
from workflow.core.pii import mask_data, mask_text
from workflow.engine import Engine
from workflow.rules.money import fen_to_yuan_text

if TYPE_CHECKING:
    from definitions.org import Org

View = dict[str, Any]


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang.startswith("zh") else en


def value_text(defn: CompiledDefinition, name: str, value: Any, lang: str) -> str:
    """A field's value as a person reads it: yuan for money, labels for enums."""
    spec = defn.spec.fields.get(name)
    if spec is not None and spec.type == "money" and isinstance(value, int):
        return "¥" + fen_to_yuan_text(value, grouping=True)
    if spec is not None and spec.type == "enum" and value in spec.value_labels:
        return spec.value_labels[value].get(lang)
    if isinstance(value, bool):
        return _t(lang, "是", "yes") if value else _t(lang, "否", "no")
    if spec is not None and spec.type == "documents" and isinstance(value, list):
        # as they are typed in: type=ref@date; ...
        return "; ".join(f"{d.get('type')}={d.get('ref')}@{d.get('date')}" for d in value
                         if isinstance(d, dict))
    return str(value)


def case_view(engine: Engine, case: Case, lang: str, reveal: bool = False) -> View:
    """The case row: state, jurisdiction, times and its data (masked unless ``reveal``)."""
    defn = engine.definition_for(case)
    data = dict(case.data) if reveal else mask_data(case.data, pii_kinds(defn), names=False)
    return {
        "id": case.id,
        "number": case.number,
        "process": case.process,
        "definition_version": case.definition_version,
        "definition_hash": case.definition_hash,
        "state": case.state,
        "state_label": defn.state_label(case.state, lang),
        "final": defn.is_final(case.state),
        "version": case.version,
        "jurisdiction": {"unit": case.unit, "path": engine.org.unit_path(case.unit, lang)},
        "applicant_user": case.applicant_user,
        "submitted_by": case.submitted_by,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "state_entered_at": case.state_entered_at.isoformat(),
        "data": data,
    }


def papers_view(engine: Engine, case: Case, lang: str) -> View | None:
    """The case's papers against its campaign's checklist; None when none applies."""
    found = engine.papers(case)
    if found is None:
        return None
    spec, review = found
    defn = engine.definition_for(case)
    on_file = [d for n in defn.documents_fields for d in case.data.get(n) or ()]
    late = {(d["type"], d["ref"]) for d in review.outside_window}
    window = spec.receipt_window
    return {
        "required": [{"type": t, "label": spec.label(t, lang), "missing": t in review.missing}
                     for t in review.required],
        "missing": list(review.missing),
        "on_file": [{**d, "label": spec.label(d["type"], lang),
                     "outside_window": (d["type"], d["ref"]) in late} for d in on_file],
        "receipt_window": [window.start.isoformat(), window.end.isoformat()] if window else None,
    }


def timer_label(defn: CompiledDefinition, spec_id: str, lang: str) -> str:
    spec = timer_spec(defn, spec_id)
    return spec.labels.get(lang) if spec is not None and spec.labels else spec_id


def timer_view(defn: CompiledDefinition, timer: Timer, lang: str) -> View:
    return {"id": timer.id, "timer": timer.spec_id, "label": timer_label(defn, timer.spec_id, lang),
            "kind": timer.kind, "state": timer.state, "due": timer.due_at.isoformat(),
            "deadline": timer.deadline_at.isoformat(), "status": timer.status,
            "fired_at": timer.fired_at.isoformat() if timer.fired_at else None}


def option_view(option: TriggerOption) -> View:
    return {"trigger": option.trigger, "label": option.label, "allowed": option.allowed,
            "reasons": list(option.reasons), "comment_required": option.comment_required,
            "required": list(option.required)}


#: what each kind of event is, in Chinese and English (a test holds it to ``EventKind``)
EVENT_KIND_LABELS: dict[str, tuple[str, str]] = {
    "submitted": ("提交申请", "Application submitted"),
    "transition": ("流转", "Transition"),
    "timer": ("计时到期未执行", "Timer refused"),
    "reminder": ("提醒", "Reminder"),
    "escalation": ("督办", "Escalation"),
    "migration": ("迁移版本", "Migration"),
    "reveal": ("查看完整个人信息", "Personal data revealed"),
}


def event_kind_label(kind: str, lang: str) -> str:
    zh, en = EVENT_KIND_LABELS.get(kind, (kind, kind))
    return _t(lang, zh, en)


def event_label(defn: CompiledDefinition, event: Event, lang: str) -> str:
    """What happened, as a person reads it: the label of the transition the case
    actually took (by its source and destination, not the trigger's first
    meaning), marked when a timer fired it; what a timer, a reminder, an
    escalation or a migration was about. Never a bare ``timer:ID``."""
    meta = event.meta
    timer = str(meta.get("timer") or "")
    timer_text = timer_label(defn, timer, lang) if timer else ""
    if event.kind == "submitted":
        return _t(lang, "提交申请", "Submit application")
    if event.kind == "transition":
        label = defn.transition_label(event.trigger, event.source, event.dest, lang)
        if timer:
            return _t(lang, f"{label}（「{timer_text}」到期自动执行）",
                      f"{label} (automatic: '{timer_text}' fell due)")
        return label
    if event.kind == "timer":
        spec = timer_spec(defn, timer)
        fire = spec.fire if spec is not None else None
        action = defn.trigger_label(fire, lang) if fire else ""
        return _t(lang, f"「{timer_text}」到期，未能自动执行「{action}」",
                  f"'{timer_text}' fell due; '{action}' could not run") if action else             _t(lang, f"「{timer_text}」到期", f"'{timer_text}' fell due")
    if event.kind == "reminder":
        deadline = meta.get("deadline")
        when = local(datetime.fromisoformat(str(deadline))) if deadline else ""
        return _t(lang, f"提醒：「{timer_text}」将于 {when} 截止",
                  f"Reminder: '{timer_text}' ends {when}")
    if event.kind == "escalation":
        return _t(lang, f"督办：已超过「{timer_text}」", f"Escalation: '{timer_text}' has passed")
    if event.kind == "reveal" and event.trigger == "export":
        return _t(lang, "导出完整身份证号和电话（审计导出）",
                  "Full ID and phone numbers exported (audit export)")
    if event.kind == "reveal":
        return _t(lang, "查看完整身份证号和电话", "Full ID and phone numbers revealed")
    if event.kind == "migration":
        return _t(lang, f"迁移：第 {meta.get('from_version')} 版 → 第 {meta.get('to_version')} 版",
                  f"Migrated from version {meta.get('from_version')} to "
                  f"{meta.get('to_version')}")
    return event_kind_label(event.kind, lang)


def event_note(org: Org | None, event: Event, lang: str) -> str | None:
    """What the event's record adds that its label does not: why a timer's trigger
    was refused, who was reminded or escalated to, how states were renamed."""
    meta = event.meta
    if event.kind == "timer" and meta.get("refused"):
        return str(meta.get("refused_zh") or meta["refused"]) if lang.startswith("zh") \
            else str(meta["refused"])
    if event.kind in ("reminder", "escalation") and meta.get("recipients"):
        names = [org.users[u].name if org is not None and u in org.users
                 else u for u in meta["recipients"]]
        return _t(lang, "发送给 ", "sent to ") + _t(lang, "、", ", ").join(names)
    if event.kind == "migration" and meta.get("state_map"):
        return ", ".join(f"{a} → {b}" for a, b in dict(meta["state_map"]).items())
    if meta.get("next_failed"):
        return _t(lang, "下一次计时无法排定：", "the next timer could not be planned: ") + \
            str(meta["next_failed"])
    return None


def _person(org: Org | None, user: str) -> str:
    spec = org.users.get(user) if org is not None else None
    return f"{spec.name} ({user})" if spec is not None else user


def by_text(org: Org | None, event: Event, lang: str) -> str:
    """Who acted, as a person reads it: "王芳 (wang.fang)", or for a substitute's act
    "张敏 (zhang.min) 代 王芳 (wang.fang)" / "... for ..."."""
    who = _person(org, event.actor)
    behalf = event.meta.get("on_behalf_of")
    if not behalf:
        return who
    return who + _t(lang, " 代 ", " for ") + _person(org, str(behalf))


def field_rows(defn: CompiledDefinition, data: Mapping[str, Any], lang: str, *,
               papers: bool = False) -> list[View]:
    """The fields of ``data`` as a person reads them (label and text), the papers left
    out unless ``papers``: what a terminal or a page shows, from the view alone."""
    return [{"name": name, "label": field_label(defn, name, lang),
             "text": value_text(defn, name, value, lang)}
            for name, value in data.items() if papers or name not in defn.documents_fields]


def event_view(defn: CompiledDefinition, event: Event, lang: str,
               org: Org | None = None) -> View:
    """One event of a history, its data and comment masked; ``by`` says who acted (and
    for whom, when a substitute did)."""
    data = mask_data(event.data, pii_kinds(defn), names=False)
    person = org.users.get(event.actor) if org is not None else None
    return {
        "seq": event.seq, "at": event.at.isoformat(), "local_time": local(event.at),
        "kind": event.kind, "kind_label": event_kind_label(event.kind, lang),
        "actor": event.actor, "on_behalf_of": event.meta.get("on_behalf_of"),
        "by": by_text(org, event, lang), "role": event.role, "trigger": event.trigger,
        "trigger_label": event_label(defn, event, lang),
        "note": event_note(org, event, lang),
        "source": event.source, "dest": event.dest,
        "source_label": defn.state_label(event.source, lang) if event.source else None,
        "dest_label": defn.state_label(event.dest, lang),
        "actor_name": person.name if person is not None else None,
        "data": data,
        "data_text": ", ".join(f"{r['label']}={r['text']}"
                               for r in field_rows(defn, data, lang, papers=True)),
        "comment": mask_text(event.comment) if event.comment else None,
        "definition_version": event.definition_version,
    }


def history_view(engine: Engine, case: Case, events: Sequence[Event], lang: str) -> View:
    defn = engine.definition_for(case)
    return {"case": case.number,
            "events": [event_view(defn, e, lang, engine.org) for e in events]}


def result_view(engine: Engine, result: CommandResult, lang: str) -> View:
    """What a command answers: the case, its new state and version."""
    defn = engine.definition_for(result.case) if result.case is not None else None
    return {"case": result.case_number, "id": result.case_id, "state": result.state,
            "state_label": defn.state_label(result.state, lang) if defn else result.state,
            "version": result.version, "event_seq": result.event.seq,
            "replayed": result.replayed}


def list_cells(engine: Engine, case: Case, lang: str) -> View:
    """What a list of cases shows of one in a table (the name masked as on paper)."""
    defn = engine.definition_for(case)
    masked = mask_data(case.data, pii_kinds(defn))
    category = case.data.get("category")
    return {"number": case.number, "applicant": str(masked.get("applicant_name", "")),
            "category": value_text(defn, "category", category, lang) if category else "",
            "unit": engine.org.unit_label(case.unit, lang),
            "state": defn.state_label(case.state, lang), "updated": local(case.updated_at)}
