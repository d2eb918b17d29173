"""Shared fixtures: a SQLite engine on a simulated clock, and helpers that open
cases and walk them along the shipped relief process to a given state.

Every test gets its own database file, copied from one initialised at the
start of the session (``init_database`` reads and validates every YAML file,
which is slow to repeat); the engine is wired the way ``open_engine`` wires it.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from definitions import SHIPPED_ORG, SHIPPED_PROCESSES, DefinitionSet, Org
from storage.db import make_engine, resolve_url
from storage.sql import SqlStore
from storage.tables import cases, counters, events
from workflow import Case, Engine, SimulatedClock
from workflow.bootstrap import init_database, open_engine
from workflow.rules.idcard import check_digit

START = datetime.fromisoformat("2027-01-04T09:00+08:00")
PROCESS = "relief_application"
#: case numbers carry the running campaign's prefix (spring_festival_2027)
PREFIX = "CF27"
#: li.xiulan's ID number; sun.li (village panel, shangcun) declared a relation to it
LI_ID = "331122195803120422"
LI_PHONE = "13900001111"
NOTICE_DAYS = timedelta(days=3)

#: who does what for a case filed in each village
VILLAGES: dict[str, dict[str, str]] = {
    "shangcun": {"staff": "wang.fang", "panel": "liu.qiang", "liaison": "xu.lei",
                 "office": "yang.jing", "committee": "zhu.tao", "applicant": "li.xiulan"},
    "xiacun": {"staff": "zhang.min", "panel": "gao.peng", "liaison": "guo.ning",
               "office": "yang.jing", "committee": "zhu.tao"},
    "liujia": {"staff": "ma.hui", "panel": "he.jun", "liaison": "deng.hao",
               "office": "song.yu", "committee": "he.shuji", "applicant": "zhao.jianguo"},
    "huangtupo": {"staff": "luo.yan", "panel": "tang.bo", "liaison": "lin.na",
                  "office": "song.yu", "committee": "he.shuji"},
}
OTHERS = {"county": "hu.kezhang", "public": "qunzhong"}

DISBURSE = {"amount_fen": 400000, "photo_ref": "P-0001", "recipient_signed": True,
            "cadre_signed": True, "collected_by_recipient": True}

#: the main road; general (non moderate/severe) cases skip "reported"
MAIN_ROAD = ("application", "deliberation", "publicity", "preliminary_review",
             "second_review", "reported", "disbursement", "completed")
#: side states and the main-road state they are reached from
SIDE = {"objection_review": "publicity", "evidence_requested": "application",
        "rejected": "deliberation", "withdrawn": "application"}
NON_FINAL = ("application", "deliberation", "publicity", "objection_review",
             "preliminary_review", "second_review", "reported", "disbursement",
             "evidence_requested")
FINAL = ("completed", "rejected", "withdrawn")

#: state -> (trigger, who, data, comment) that enters it
ENTER: dict[str, tuple[str, str, dict[str, Any], str | None]] = {
    "deliberation": ("accept", "staff", {}, None),
    "publicity": ("pass_deliberation", "panel", {}, None),
    "preliminary_review": ("close_notice", "staff", {}, None),
    "second_review": ("approve_preliminary", "office", {"home_visit_note": "已入户核查"}, None),
    "reported": ("approve_second", "committee", {}, None),
    "completed": ("disburse", "liaison", DISBURSE, None),
    "objection_review": ("object", "public", {}, "群众反映其家中有车"),
    "evidence_requested": ("request_evidence", "staff", {}, "缺少县级医院诊断证明"),
    "rejected": ("reject", "panel", {}, "评议未通过"),
    "withdrawn": ("withdraw", "staff", {}, "申请人已外出务工"),
}


#: every paper of the sample campaign's checklist, dated inside its receipt window,
#: so an application of any category is complete
ALL_PAPERS: list[dict[str, str]] = [
    {"type": t, "ref": f"scan-{i:04d}.pdf", "date": "2027-01-04"}
    for i, t in enumerate(("application", "id_cards", "household_register", "authorisation",
                           "income_proof", "diagnosis", "medical_bills", "relationship_proof",
                           "disability_card", "dibao_card", "disaster_proof", "veteran_card",
                           "entitled_card", "poverty_card"), start=1)]


def application(**overrides: Any) -> dict[str, Any]:
    """A complete application for li.xiulan's household; keyword arguments replace fields."""
    data: dict[str, Any] = {"applicant_name": "李秀兰", "id_number": LI_ID, "household_size": 3,
                            "category": "severe", "hardship_reason": "重病,本年自付医疗费用较高",
                            "documents": copy.deepcopy(ALL_PAPERS)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def actor_for(case: Case, who: str) -> str:
    """The user who plays ``who`` (staff, panel, office, county, ...) for ``case``."""
    return OTHERS.get(who) or VILLAGES[case.unit][who]


def count_rows(engine: Engine) -> dict[str, Any]:
    """Row counts of the case and event tables and the case-number counters."""
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return {
            "cases": conn.execute(select(func.count()).select_from(cases)).scalar(),
            "events": conn.execute(select(func.count()).select_from(events)).scalar(),
            "counters": sorted(conn.execute(select(counters.c.name, counters.c.value)).all()),
        }


def open_notice_window(engine: Engine, number: str) -> None:
    """Move the simulated clock to the end of the case's public notice, if not there yet,
    without firing timers (so that a person may close the notice by hand)."""
    case = engine.get_case(number)
    ends = datetime.fromisoformat(case.first_entered["publicity"]) + NOTICE_DAYS
    if engine.clock.now() < ends:
        engine.set_clock(when=ends, fire=False)


def move(engine: Engine, number: str, target: str) -> Case:
    """Walk an existing case along the main road (then one side step) to ``target``."""
    case = engine.get_case(number)
    road = [s for s in MAIN_ROAD
            if s != "reported" or case.data.get("category") in ("moderate", "severe")]
    goal = SIDE.get(target, target)
    for state in road[road.index(case.state) + 1: road.index(goal) + 1]:
        _enter(engine, number, state)
    if target in SIDE:
        _enter(engine, number, target)
    case = engine.get_case(number)
    assert case.state == target
    return case


def _enter(engine: Engine, number: str, state: str) -> None:
    case = engine.get_case(number)
    if state == "disbursement":
        trigger, who = (("county_accept", "county") if case.state == "reported"
                        else ("approve_second", "committee"))
        engine.fire(number, trigger, actor_for(case, who))
        return
    if state == "preliminary_review":
        open_notice_window(engine, number)
    trigger, who, data, comment = ENTER[state]
    if trigger == "disburse":
        data = {**data, "amount_fen": standard_fen(engine, case)}
    engine.fire(number, trigger, actor_for(case, who), data=data, comment=comment)


def standard_fen(engine: Engine, case: Case) -> int:
    """The campaign's standard amount for the case (what a disbursement must pay)."""
    from workflow.rules.family import case_values
    from workflow.rules.relief import amount_for

    standards = engine.campaigns[case.campaign or ""].spec.standards
    computed = case_values(case.data, engine.family_rules)
    return amount_for(standards, case.data["category"], case.data, computed).amount_fen


# -- fixtures ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_bangfu_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's BANGFU_DB / BANGFU_DEFINITIONS must not leak into tests."""
    monkeypatch.delenv("BANGFU_DB", raising=False)
    monkeypatch.delenv("BANGFU_DEFINITIONS", raising=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database initialised once (simulated clock at START), copied by each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    # The shipped files, explicitly: session fixtures run before _no_bangfu_env.
    init_database(str(path), org=SHIPPED_ORG, definitions=SHIPPED_PROCESSES,
                  simulated_start=START)
    return path


@pytest.fixture(scope="session")
def prototype(template_db: Path) -> Iterator[Engine]:
    """An Engine wired by ``open_engine`` once: definitions, org and the rest, loaded once."""
    proto = open_engine(str(template_db), definitions=SHIPPED_PROCESSES)
    yield proto
    _close(proto.store)


@pytest.fixture(scope="session")
def shipped(prototype: Engine) -> tuple[DefinitionSet, Org]:
    """The shipped definitions and sample org, as the engine loaded them."""
    return prototype.definitions, prototype.org


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> str:
    """A fresh initialised SQLite file of this test's own."""
    target = tmp_path / "bangfu.db"
    shutil.copyfile(template_db, target)
    return str(target)


@pytest.fixture
def engine(db_path: str, prototype: Engine) -> Iterator[Engine]:
    """An Engine on the test's database, its clock simulated from 2027-01-04 09:00 +08:00.

    A shallow copy of the session's prototype with its own store and clock: what
    ``open_engine`` would build, without re-reading every YAML file per test.
    """
    store = SqlStore(make_engine(resolve_url(db_path)))
    eng = copy.copy(prototype)
    eng.store = store
    eng.clock = SimulatedClock(datetime.fromisoformat(store.get_meta("clock_now") or ""))
    yield eng
    _close(store)


def _close(store: Any) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()
    else:
        store.engine.dispose()


@pytest.fixture
def new_case(engine: Engine) -> Callable[..., str]:
    """``new_case(user="li.xiulan", unit=None, **data)``: submit an application, return its number."""

    made: list[str] = []

    def submit(user: str = "li.xiulan", *, unit: str | None = None, **data: Any) -> str:
        # The first case of a test is li.xiulan's household; later ones are
        # other households, since one household gets one case per campaign.
        if made and "id_number" not in data:
            data["id_number"] = household_id(len(made))
        number = engine.submit(PROCESS, user, application(**data), unit=unit).case_number
        made.append(number)
        return number

    return submit


def household_id(n: int) -> str:
    """A valid 18-digit ID number (correct check digit) for the n-th other household."""
    body = f"3311221970{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return body + check_digit(body)


@pytest.fixture
def walk(engine: Engine, new_case: Callable[..., str]) -> Callable[..., Case]:
    """``walk(target, user="li.xiulan", unit=None, **data)``: a new case walked to ``target``."""

    def go(target: str, user: str = "li.xiulan", *, unit: str | None = None,
           **data: Any) -> Case:
        return move(engine, new_case(user, unit=unit, **data), target)

    return go


@pytest.fixture
def unchanged(engine: Engine) -> Callable[..., AbstractContextManager[None]]:
    """``with unchanged(number): ...``: asserts the block wrote nothing at all."""

    @contextmanager
    def check(number: str | None = None) -> Iterator[None]:
        rows = count_rows(engine)
        version = engine.get_case(number).version if number else None
        yield
        assert count_rows(engine) == rows
        if number:
            assert engine.get_case(number).version == version

    return check
