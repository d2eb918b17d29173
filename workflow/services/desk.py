"""Use cases of the reviewer's desk (the pages): the user's queue sorted by the nearest
deadline, a case with everything the desk shows of it, the inputs a trigger asks for,
and one trigger over a chosen list of cases with a result per case. Services over an
Engine, calling the same services and views as the HTTP API and the CLI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from definitions.errors import BangfuError
from workflow.core.data import field_label
from workflow.core.localtime import local
from workflow.engine import Engine
from workflow.services import cases as svc
from workflow.views import View, list_cells, value_text

#: at most this many cases in one bulk action (as the API's bulk fire)
MAX_BULK = 500


@dataclass(frozen=True, slots=True)
class Row:
    """One case of the desk's queue: what the list shows, its nearest deadline, and the
    triggers the user may fire on it now."""

    cells: View
    #: the case's unit (its village), by id
    unit: str
    version: int
    deadline: datetime | None
    deadline_label: str
    #: the deadline in Asia/Shanghai time, as people read it
    deadline_text: str
    overdue: bool
    can: list[tuple[str, str]]


def queue(engine: Engine, user: str, lang: str) -> list[Row]:
    """The cases on which ``user`` can act now (the queue of the API and the CLI), the
    nearest deadline first; cases without a deadline last, oldest first."""
    from workflow.views import timer_label

    actor = engine.actor(user)
    engine.sync_clock()
    items = engine.queue(user, lang)
    units = engine.subtree(actor.unit) if actor.unit in engine.org.units else []
    ids = {case.id for case, _ in items}
    nearest: dict[str, tuple[datetime, str]] = {}
    for timer in engine.store.timers(status=["pending"], units=units):
        if timer.case_id in ids and timer.kind != "recur":
            known = nearest.get(timer.case_id)
            if known is None or timer.deadline_at < known[0]:
                nearest[timer.case_id] = (timer.deadline_at, timer.spec_id)
    now = engine.clock.now()
    rows = []
    for case, options in items:
        due = nearest.get(case.id)
        label = timer_label(engine.definition_for(case), due[1], lang) if due else ""
        rows.append(Row(list_cells(engine, case, lang), case.unit, case.version, due[0] if due else None,
                        label, local(due[0]) if due else "", bool(due and due[0] < now),
                        [(o.trigger, o.label) for o in options if o.allowed]))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (r.deadline or far, r.cells["number"]))
    return rows


def case_page(engine: Engine, user: str, ref: str, lang: str, *, reveal: bool = False,
              reason: str | None = None, done: str = "") -> View:
    """The case as ``user`` may read it (CaseNotFound outside their units): the view of
    ``case show`` with its history, the data as people read it, and for each trigger
    the user may fire, the inputs of the fields it asks for; ``done`` names a trigger
    just fired (its label is shown)."""
    case = svc.readable(engine, user, ref)
    info = svc.show(engine, user, case.id, lang, reveal=reveal, reason=reason)
    defn = engine.definition_for(engine.get_case(case.id))
    info["fields"] = [{"name": name, "label": field_label(defn, name, lang),
                       "text": value_text(defn, name, value, lang)}
                      for name, value in info["data"].items()
                      if name not in defn.documents_fields]
    _, info["history"] = svc.history(engine, case.id, lang)
    for event in info["history"]:
        who = engine.org.users.get(event["actor"])
        event["actor_name"] = who.name if who is not None else event["actor"]
    for option in info["options"]:
        option["inputs"] = inputs(engine, case.id, option["trigger"], lang) \
            if option["allowed"] else []
    for timer in info["timers"]:
        timer["due_local"] = local(datetime.fromisoformat(timer["due"]))
        timer["deadline_local"] = local(datetime.fromisoformat(timer["deadline"]))
    info["done"] = defn.trigger_label(done, lang) if done else ""
    info["created_local"] = local(datetime.fromisoformat(info["created_at"]))
    info["entered_local"] = local(datetime.fromisoformat(info["state_entered_at"]))
    return info


def inputs(engine: Engine, ref: str, trigger: str, lang: str) -> list[View]:
    """What a form for ``trigger`` on the case asks: each field the transition requires
    (required) or may write, typed as the definition declares it."""
    case = engine.get_case(ref)
    defn = engine.definition_for(case)
    found: dict[str, bool] = {}
    for spec in defn.spec.transitions:
        if spec.trigger == trigger and case.state in spec.source:
            for name in spec.required:
                found[name] = True
            for name in spec.writes:
                found.setdefault(name, False)
    out = []
    for name, required in found.items():
        fs = defn.spec.fields.get(name)
        if fs is None or fs.type == "documents":
            continue
        out.append({"name": name, "label": field_label(defn, name, lang), "type": fs.type,
                    "required": required,
                    "choices": [(v, fs.value_labels[v].get(lang) if v in fs.value_labels
                                 else v) for v in (fs.values or ())]})
    return out


@dataclass(frozen=True, slots=True)
class BulkResult:
    case: str
    ok: bool
    text: str


def bulk(engine: Engine, user: str, refs: Sequence[str], trigger: str, lang: str, *,
         text: Mapping[str, str] | None = None, comment: str | None = None,
         versions: Mapping[str, int] | None = None) -> list[BulkResult]:
    """``trigger`` on each case of ``refs`` as ``user``, each in its own transaction
    (with the version the user saw, when given): a refusal of one leaves the others
    done. One result per case, in the order given."""
    out = []
    for ref in list(dict.fromkeys(refs))[:MAX_BULK]:
        try:
            case = svc.readable(engine, user, ref)
            res = engine.fire(case.id, trigger, user, text=dict(text or {}), comment=comment,
                              expected_version=(versions or {}).get(ref))
            view = svc.result(engine, res, lang)
            out.append(BulkResult(ref, True, view["state_label"]))
        except BangfuError as exc:
            out.append(BulkResult(ref, False, exc.localized(lang)))
    return out
