"""What a user is offered (``options``, ``case show``, ``queue``) is what firing accepts:
one decision on one gathering of facts. Checked by hand for the medical approval and
the relief disbursement, then over every shipped process, every state reached from
its submission and every user who holds one of its roles."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from definitions import CompiledDefinition
from tests.helpers.cases import application, household_id, standard_fen
from tests.helpers.engines import engine_on
from workflow import Case, Engine
from workflow.errors import CommandRejected
from workflow.rules.medical import medical_aid

#: the worker of the union's processes (chen.guoqiang, qingshan_textile)
WORKER = {"worker_name": "陈国强", "id_number": "331122195803120422", "phone": "13900003333"}
EMPLOYED = {**WORKER, "employer": "青山纺织", "hardship_reason": "重病"}

#: who opens a case of each process, with what
SUBMIT: dict[str, tuple[str, dict[str, Any]]] = {
    "relief_application": ("li.xiulan", application()),
    # 1,200 yuan a person a month with a child in school: under the union's 200 % line
    "hardship_archive": ("xie.hong", {**EMPLOYED, "household_size": 3,
                                      "hardship_level": "deep",
                                      "per_capita_monthly_income_fen": 120_000,
                                      "child_in_school": True}),
    "medical_aid": ("chen.guoqiang", {**WORKER, "aid_kind": "deep",
                                      "compliant_costs_fen": 1_500_000,
                                      "diagnosis_note": "县医院诊断证明及票据"}),
    "union_visit": ("xie.hong", EMPLOYED),
    "care_rating": ("yang.jing", {"institution_name": "东岭镇敬老院", "residents": 40,
                                  "service_quality": 90, "management": 85, "facilities": 80,
                                  "organisational_support": 88}),
    "education_aid": ("chen.guoqiang", {**WORKER, "student_name": "陈小明", "school": "青山一中",
                                        "stage": "high_school", "admission_note": "录取通知书"}),
}

#: further cases of a process, to reach states the first does not (other households)
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "medical_aid": [{"compliant_costs_fen": 3_000_000}, {"compliant_costs_fen": 6_000_000}],
}

#: values a valid firing gives for fields whose value the rules or conditions fix
VALID: dict[tuple[str, str], dict[str, Any]] = {
    ("relief_application", "disburse"): {"photo_ref": "IMG-0125-01", "recipient_signed": True,
                                         "cadre_signed": True, "collected_by_recipient": True},
    ("hardship_archive", "relieve"): {"at_line_with_aid": True},
    ("hardship_archive", "record_recheck"): {"recheck_method": "visit",
                                             "months_above_line": 6, "cause_resolved": True},
    ("care_rating", "rate"): {"stars": 2, "subsidy_per_resident_fen": 600_000},
    ("care_rating", "propose_three_star"): {"stars": 3, "subsidy_per_resident_fen": 720_000},
    ("union_visit", "deliver"): {"photo_ref": "IMG-0126-01", "recipient_signed": True},
}


def _by_type(defn: CompiledDefinition, name: str) -> Any:
    field = defn.spec.fields[name]
    if field.type == "boolean":
        return True
    if field.type == "enum":
        return field.values[0]
    if field.type in ("integer", "money"):
        return max(1, int(field.min or 0)) if field.type == "integer" else 100_000
    return f"{name} 说明"


def valid_data(engine: Engine, case: Case, trigger: str) -> dict[str, Any]:
    """Data a user entitled to ``trigger`` gives with it: every field it asks for, the
    amounts the rules fix, values its conditions need."""
    defn = engine.definition_for(case)
    specs = defn.by_trigger_source[(trigger, case.state)]
    data = {f: case.data[f] if f in case.data else _by_type(defn, f)
            for s in specs for f in s.required}
    data.update(VALID.get((defn.process, trigger), {}))
    if "amount_fen" in data and defn.process == "relief_application":
        data["amount_fen"] = standard_fen(engine, case)
    if "aid_amount_fen" in data and defn.process == "medical_aid":
        aid = medical_aid(engine.medical_rules, case.data["aid_kind"],
                          case.data["compliant_costs_fen"])
        data["aid_amount_fen"] = aid.amount_fen
    for g in (g for s in specs for g in s.guards if g.name == "level_amount"):
        field, level = str(g.params["field"]), data.get(str(g.params["by"]))
        data[field] = g.params[str(level)]
    return data


def comment_for(defn: CompiledDefinition, case: Case, trigger: str) -> str | None:
    specs = defn.by_trigger_source[(trigger, case.state)]
    return "理由已核实" if any(s.comment == "required" for s in specs) else None


def accepted(engine: Engine, case: Case, trigger: str, user: str) -> bool:
    defn = engine.definition_for(case)
    try:
        engine.fire(case.number, trigger, user, data=valid_data(engine, case, trigger),
                    comment=comment_for(defn, case, trigger))
    except CommandRejected:
        return False
    return True


# -- the two seen in the field ---------------------------------------------------------


def test_medical_approval_is_offered_queued_and_fired(engine: Engine) -> None:
    """The county union is offered the approval of a medical case, finds it in its queue,
    and firing it with the amount the rules give is accepted."""
    user, data = SUBMIT["medical_aid"]
    number = engine.submit("medical_aid", user, data).case_number
    opts = {o.trigger: o for o in engine.options(number, "cao.min", lang="en")}
    assert opts["approve"].allowed, opts["approve"].reasons
    queued = {c.number: {o.trigger for o in o_} for c, o_ in engine.queue("cao.min")}
    assert "approve" in queued[number]
    case = engine.get_case(number)
    result = engine.fire(number, "approve", "cao.min",
                         data=valid_data(engine, case, "approve"))
    assert result.state == "approved"


def test_relief_disbursement_is_offered_queued_and_fired(engine: Engine, walk: Any) -> None:
    """The liaison cadre is offered the disbursement, finds it in the queue, and firing it
    with the standard amount is accepted."""
    case = walk("disbursement")
    opts = {o.trigger: o for o in engine.options(case.number, "xu.lei", lang="en")}
    assert opts["disburse"].allowed, opts["disburse"].reasons
    assert "disburse" in {o.trigger for c, o_ in engine.queue("xu.lei")
                          if c.number == case.number for o in o_}
    assert engine.fire(case.number, "disburse", "xu.lei",
                       data=valid_data(engine, case, "disburse")).state == "completed"


def test_a_wrong_amount_is_still_refused_on_firing(engine: Engine, walk: Any) -> None:
    """Offering the disbursement before the amount is given does not loosen the firing:
    another amount than the standard is refused, naming the standard."""
    case = walk("disbursement")
    data = {**valid_data(engine, case, "disburse"), "amount_fen": 100}
    with pytest.raises(CommandRejected, match="standard"):
        engine.fire(case.number, "disburse", "xu.lei", data=data)


# -- every shipped process, every state ------------------------------------------------


def _snapshot(engine: Engine, target: Path) -> Path:
    """Close ``engine``'s store (checkpointing its WAL) and keep its file as ``target``."""
    engine.store.close()  # type: ignore[attr-defined]
    source = Path(str(engine.store.engine.url.database))  # type: ignore[attr-defined]
    shutil.move(source, target)
    return target


def _users(engine: Engine, defn: CompiledDefinition) -> list[str]:
    roles = set(defn.spec.roles)
    return ["system", *(u for u, spec in engine.org.users.items() if set(spec.roles) & roles)]


def _check_state(prototype: Engine, snapshot: Path, work: Path, defn: CompiledDefinition,
                 number: str, later: timedelta | None) -> dict[str, Path]:
    """At ``snapshot`` (its clock moved by ``later``, no timer fired), every user is
    offered each trigger exactly when firing it is accepted. Returns a snapshot of
    each state an accepted firing reached."""
    reached: dict[str, Path] = {}
    scratch = work / "scratch.db"
    shutil.copyfile(snapshot, scratch)
    engine = engine_on(scratch, prototype)
    if later is not None:
        engine.set_clock(advance=later, fire=False)
    case = engine.get_case(number)
    for user in _users(engine, defn):
        offered = {o.trigger: o for o in engine.options(case, user)}
        for trigger in defn.triggers_from.get(case.state, ()):
            ok = accepted(engine, case, trigger, user)
            assert offered[trigger].allowed == ok, (
                defn.process, case.state, trigger, user, offered[trigger].reasons)
            if ok:
                dest = engine.get_case(number).state
                kept = _snapshot(engine, work / f"{defn.process}-{dest}-{len(list(work.iterdir()))}.db")
                reached.setdefault(dest, kept)
                shutil.copyfile(snapshot, scratch)
                engine = engine_on(scratch, prototype)
                if later is not None:
                    engine.set_clock(advance=later, fire=False)
    engine.store.close()  # type: ignore[attr-defined]
    scratch.unlink()
    return reached


@pytest.mark.parametrize("process", sorted(SUBMIT))
def test_every_trigger_is_offered_exactly_when_firing_it_is_accepted(
        process: str, engine: Engine, prototype: Engine, tmp_path: Path) -> None:
    """From submission, every state of the process that firing reaches is visited; there,
    for every user holding one of its roles (and the system), each trigger of the state is
    offered exactly when firing it with valid data is accepted, now and after the state's
    windows (ten days on, no timer fired)."""
    user, data = SUBMIT[process]
    unit = "dongling_home" if process == "care_rating" else None  # the home is its own unit
    variants = [data, *VARIANTS.get(process, ())]
    numbers = [engine.submit(process, user, {**data, **v, "id_number": household_id(i)}
                             if i else data, unit=unit).case_number
               for i, v in enumerate(variants)]
    defn = engine.definition_for(engine.get_case(numbers[0]))
    base = _snapshot(engine, tmp_path / "submitted.db")
    seen: set[str] = set()
    for number in numbers:
        work = tmp_path / number
        work.mkdir()
        todo: dict[str, Path] = {defn.initial: base}
        visited: set[str] = set()
        while todo:
            state, snapshot = todo.popitem()
            visited.add(state)
            found: dict[str, Path] = {}
            for later in (None, timedelta(days=10)):
                for s, p in _check_state(prototype, snapshot, work, defn, number,
                                         later).items():
                    found.setdefault(s, p)
            todo.update({s: p for s, p in found.items() if s not in visited
                         and s not in todo and not defn.is_final(s)})
        seen |= visited
    reachable = {s.id for s in defn.spec.states if not s.final}
    assert reachable <= seen, sorted(reachable - seen)


def test_an_approval_the_budget_cannot_cover_is_not_offered(tmp_path: Path) -> None:
    """With the general line used up and no fallback, the second review of another general
    case is not offered (saying how much is left), as firing it is refused."""
    from tests.helpers.budget import small_budget
    from tests.helpers.cases import START
    from tests.helpers.engines import opened
    from workflow.bootstrap import init_database

    defs = small_budget(tmp_path, 600, None)
    init_database(str(tmp_path / "b.db"), definitions=defs, simulated_start=START)
    with opened(tmp_path / "b.db", definitions=defs) as engine:
        _budget_refusal(engine)


def _budget_refusal(engine: Engine) -> None:
    from tests.helpers.budget import general_case
    from workflow.core.budget import BudgetExceeded

    general_case(engine, 1, "disbursement")
    number = general_case(engine, 2, "second_review")
    opts = {o.trigger: o for o in engine.options(number, "zhu.tao", lang="en")}
    assert not opts["approve_second"].allowed
    assert any("has 0.00 yuan left" in r for r in opts["approve_second"].reasons)
    with pytest.raises(BudgetExceeded):
        engine.fire(number, "approve_second", "zhu.tao")
    engine.store.close()  # type: ignore[attr-defined]
