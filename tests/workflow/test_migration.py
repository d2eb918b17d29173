"""Migrating running cases to a new definition version: all or none, each move an event,
refused (with nothing changed) when a case's history would not fit the new version."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from definitions.compile import SHIPPED, SHIPPED_PROCESSES
from tests.helpers.cases import PROCESS, count_rows, move
from tests.helpers.engines import engine_on
from workflow import Engine
from workflow.bootstrap import open_engine
from workflow.errors import AuditError, MigrationRefused
from workflow.services.inspection import replay_case, verify
from workflow.services.migration import migrate as migrate_as

ADMIN = "admin"


def migrate(engine: Engine, process: str, from_version: int, to_version: int,
            state_map: dict[str, str] | None = None, **kw: Any) -> Any:
    """The migration service, acting as the org's administrator."""
    return migrate_as(engine, ADMIN, process, from_version, to_version, state_map, **kw)

OLD, NEW = "objection_review", "objection_check"
RENAME = {OLD: NEW}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CLEAN_ENV: dict[str, str | None] = {
    "BANGFU_DB": None, "BANGFU_DEFINITIONS": None, "BANGFU_CAMPAIGNS": None,
    "BANGFU_CALENDARS": None, "BANGFU_USER": None, "BANGFU_LANG": None, "COLUMNS": "200"}


@pytest.fixture(scope="module")
def defs_v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A definitions folder holding v1 of the relief process and a v2 that renames
    objection_review to objection_check, with the campaigns and calendars beside it."""
    root = tmp_path_factory.mktemp("defs")
    processes = root / "processes"
    processes.mkdir()
    shipped = SHIPPED_PROCESSES / "relief_application.yaml"
    for other in SHIPPED_PROCESSES.glob("*.yaml"):  # the sample org uses their roles too
        shutil.copyfile(other, processes / other.name)
    text = shipped.read_text(encoding="utf-8")
    assert text.count(OLD) >= 4 and NEW not in text
    v2, bumped = re.subn(r"^version: 1$", "version: 2", text.replace(OLD, NEW), flags=re.M)
    assert bumped == 1
    (processes / "relief_application_v2.yaml").write_text(v2, encoding="utf-8")
    shutil.copytree(SHIPPED / "campaigns", root / "campaigns")
    shutil.copytree(SHIPPED / "calendars", root / "calendars")
    return processes


@dataclass(frozen=True)
class Cases:
    in_review: str
    passed_review: str
    fresh: str
    closed: str

    @property
    def running(self) -> set[str]:
        return {self.in_review, self.passed_review, self.fresh}


def household(n: int) -> dict[str, str]:
    """A distinct household (a valid ID number of its own), filed by the village staff."""
    body = f"33112219800101{n:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
    return {"user": "wang.fang", "id_number": body + check, "applicant_name": f"测试户{n}"}


@pytest.fixture
def cases(engine: Engine, walk: Any) -> Cases:
    """On v1: one case in objection review, one whose objection was dismissed, one in
    deliberation, one rejected (final, so not migrated)."""
    in_review = walk("objection_review", **household(1)).number
    passed = walk("objection_review", **household(2)).number
    engine.fire(passed, "dismiss_objection", "yang.jing", comment="经核实异议不成立")
    return Cases(in_review, passed, walk("deliberation", **household(3)).number,
                 walk("rejected", **household(4)).number)


@pytest.fixture(scope="module")
def prototype_v2(tmp_path_factory: pytest.TempPathFactory, template_db: Path,
                 defs_v2: Path) -> Iterator[Engine]:
    """An Engine opened once with definitions=<tmp>/processes (v1 and v2 loaded)."""
    path = tmp_path_factory.mktemp("v2") / "v2.db"
    shutil.copyfile(template_db, path)
    proto = open_engine(str(path), definitions=defs_v2)
    assert [d.version for d in proto.register_definitions("admin")] == [2]
    assert [d.version for d in proto.definitions if d.process == PROCESS] == [1, 2]
    yield proto
    proto.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def engine_v2(db_path: str, prototype_v2: Engine, cases: Cases) -> Iterator[Engine]:
    """The test's database seen with both versions (cases already filed under v1)."""
    eng = engine_on(Path(db_path), prototype_v2)
    yield eng
    eng.store.close()  # type: ignore[attr-defined]


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything a refused migration must leave as it was."""
    return {"rows": count_rows(engine),
            "cases": {c.number: (c.state, c.version, c.definition_version, c.head_hash)
                      for c in engine.list_cases()},
            "events": {c.number: [e.hash for e in engine.history(c.number)]
                       for c in engine.list_cases()}}


def bangfu(db: str, defs: Path, *args: str) -> Any:
    """`definitions migrate` from v1 to v2, v2 registered by the administrator first."""
    registered = CliRunner().invoke(app, ["definitions", "register", "--as", ADMIN, "--db", db,
                                          "--definitions", str(defs)], env=CLEAN_ENV)
    assert registered.exit_code == 0, registered.output
    argv = ["definitions", "migrate", PROCESS, "--from", "1", "--to", "2", *args,
            "--db", db, "--definitions", str(defs)]
    return CliRunner().invoke(app, argv, env=CLEAN_ENV)


# -- refused ------------------------------------------------------------------------


def test_without_the_map_the_migration_is_refused(engine_v2: Engine, cases: Cases) -> None:
    """Cases in (or through) the renamed state are named, and nothing is changed."""
    before = snapshot(engine_v2)
    with pytest.raises(MigrationRefused) as refused:
        migrate(engine_v2, PROCESS, 1, 2)
    assert {number for number, _, _ in refused.value.stranded} == \
        {cases.in_review, cases.passed_review}
    assert cases.in_review in str(refused.value) and cases.passed_review in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert snapshot(engine_v2) == before


def test_a_map_from_an_unknown_state_is_refused(engine_v2: Engine) -> None:
    """A misspelt old state is refused by name, and nothing is changed."""
    before = snapshot(engine_v2)
    with pytest.raises(AuditError, match="objection_reviw"):
        migrate(engine_v2, PROCESS, 1, 2, {"objection_reviw": NEW})
    assert snapshot(engine_v2) == before


def test_a_map_to_an_unknown_state_is_refused(engine_v2: Engine) -> None:
    """A new state v2 does not have is refused, and nothing is changed."""
    before = snapshot(engine_v2)
    with pytest.raises(AuditError, match="objection_chek"):
        migrate(engine_v2, PROCESS, 1, 2, {OLD: "objection_chek"})
    assert snapshot(engine_v2) == before


def test_a_map_to_an_unknown_state_is_refused_with_no_case_in_it(
        db_path: str, prototype_v2: Engine, walk: Any) -> None:
    """The map is checked against v2 even when no running case ever used the old state."""
    walk("deliberation", **household(5))
    eng = engine_on(Path(db_path), prototype_v2)
    try:
        before = snapshot(eng)
        with pytest.raises(AuditError, match="objection_chek"):
            migrate(eng, PROCESS, 1, 2, {OLD: "objection_chek"})
        assert snapshot(eng) == before
    finally:
        eng.store.close()  # type: ignore[attr-defined]


def test_dry_run_changes_nothing(engine_v2: Engine, cases: Cases) -> None:
    """`--dry-run` lists the cases that would move and writes nothing."""
    before = snapshot(engine_v2)
    report = migrate(engine_v2, PROCESS, 1, 2, RENAME, dry_run=True)
    assert report.dry_run and set(report.cases) == cases.running
    assert snapshot(engine_v2) == before


# -- done -------------------------------------------------------------------------


def test_each_moved_case_gets_a_migration_event(engine_v2: Engine, cases: Cases) -> None:
    """Every running case ends with a migration event recording versions and the map."""
    versions = {n: engine_v2.get_case(n).version for n in cases.running}
    report = migrate(engine_v2, PROCESS, 1, 2, RENAME, operator="clerk")
    assert set(report.cases) == cases.running and not report.dry_run
    for number in cases.running:
        last = engine_v2.history(number)[-1]
        assert (last.kind, last.seq, last.definition_version) == ("migration", versions[number] + 1,
                                                                   2)
        assert (last.meta["from_version"], last.meta["to_version"]) == (1, 2)
        assert last.meta["state_map"] == RENAME and last.meta["operator"] == ADMIN
        assert (last.actor, last.role, last.meta["os_user"]) == (ADMIN, "administrator", "clerk")


def test_moved_cases_are_on_v2_in_the_renamed_state(engine_v2: Engine, cases: Cases) -> None:
    """The case in the old state is now in the new one; the others keep their state."""
    migrate(engine_v2, PROCESS, 1, 2, RENAME)
    got = {n: (engine_v2.get_case(n).state, engine_v2.get_case(n).definition_version)
           for n in cases.running}
    assert got == {cases.in_review: (NEW, 2), cases.passed_review: ("publicity", 2),
                   cases.fresh: ("deliberation", 2)}
    assert engine_v2.get_case(cases.passed_review).first_entered.keys() >= {NEW, "publicity"}


def test_final_cases_stay_on_v1(engine_v2: Engine, cases: Cases) -> None:
    """A closed case is not migrated: same version, no migration event."""
    before = engine_v2.get_case(cases.closed)
    migrate(engine_v2, PROCESS, 1, 2, RENAME)
    after = engine_v2.get_case(cases.closed)
    assert after == before and after.definition_version == 1
    assert all(e.kind != "migration" for e in engine_v2.history(cases.closed))


def test_migrated_cases_replay_and_verify(engine_v2: Engine, cases: Cases) -> None:
    """Replaying across the migration gives the stored case, and verify is clean."""
    migrate(engine_v2, PROCESS, 1, 2, RENAME)
    for number in cases.running:
        assert replay_case(engine_v2, number)[0] == engine_v2.get_case(number)
    report = verify(engine_v2)
    assert report.ok, [f.text("en") for f in report.findings]


def test_migrated_cases_continue_under_v2(engine_v2: Engine, cases: Cases) -> None:
    """After migration the objection is dismissed under v2 and the case runs to the end."""
    migrate(engine_v2, PROCESS, 1, 2, RENAME)
    engine_v2.fire(cases.in_review, "dismiss_objection", "yang.jing", comment="经核实异议不成立")
    engine_v2.fire(cases.in_review, "object", "qunzhong", comment="再次反映")
    assert engine_v2.get_case(cases.in_review).state == NEW
    engine_v2.fire(cases.in_review, "dismiss_objection", "yang.jing", comment="仍不成立")
    done = move(engine_v2, cases.in_review, "completed")
    assert (done.state, done.definition_version) == ("completed", 2)
    report = verify(engine_v2)
    assert report.ok, [f.text("en") for f in report.findings]


# -- the CLI ------------------------------------------------------------------------


def test_cli_migrate_with_the_map(db_path: str, defs_v2: Path, engine_v2: Engine,
                                  cases: Cases) -> None:
    """`bangfu definitions migrate ... --map old=new` moves the running cases."""
    result = bangfu(db_path, defs_v2, "--map", f"{OLD}={NEW}", "--as", ADMIN)
    assert result.exit_code == 0, result.output
    assert "已迁移 3 件案件" in result.output
    assert engine_v2.get_case(cases.in_review).state == NEW
    assert verify(engine_v2).ok


def test_cli_migrate_dry_run(db_path: str, defs_v2: Path, engine_v2: Engine) -> None:
    """`--dry-run` says how many would move and changes nothing."""
    before = snapshot(engine_v2)
    result = bangfu(db_path, defs_v2, "--map", f"{OLD}={NEW}", "--dry-run", "--lang", "en",
                    "--as", ADMIN)
    assert result.exit_code == 0, result.output
    assert "would move 3 case(s)" in result.output
    assert snapshot(engine_v2) == before


def test_cli_migrate_refused_exits_1(db_path: str, defs_v2: Path, engine_v2: Engine,
                                     cases: Cases) -> None:
    """Without the map the CLI exits 1 naming the stranded cases; nothing changes."""
    before = snapshot(engine_v2)
    result = bangfu(db_path, defs_v2, "--lang", "en", "--as", ADMIN)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "would strand 2 case(s), so nothing was changed" in text
    assert cases.in_review in text and cases.passed_review in text
    assert f"state '{OLD}' does not exist" in text
    assert snapshot(engine_v2) == before


def test_cli_migrate_refused_in_chinese(db_path: str, defs_v2: Path, engine_v2: Engine) -> None:
    """The refusal reads in Chinese by default."""
    result = bangfu(db_path, defs_v2, "--as", ADMIN)
    assert result.exit_code == 1
    assert "未做任何改动" in result.output


def test_cli_migrate_with_a_bad_map_exits_1(db_path: str, defs_v2: Path,
                                            engine_v2: Engine) -> None:
    """A map naming a state v1 does not have exits 1 and names it."""
    before = snapshot(engine_v2)
    result = bangfu(db_path, defs_v2, "--map", f"objection_reviw={NEW}", "--lang", "en",
                    "--as", ADMIN)
    assert result.exit_code == 1
    assert "objection_reviw" in result.output
    assert snapshot(engine_v2) == before


def test_cli_migrate_without_the_administrator_role_is_refused(
        db_path: str, defs_v2: Path, engine_v2: Engine, cases: Cases) -> None:
    """A user without the migration role is refused, exit 1, the role named; nothing changes."""
    before = snapshot(engine_v2)
    result = bangfu(db_path, defs_v2, "--map", f"{OLD}={NEW}", "--as", "hu.kezhang",
                    "--lang", "en")
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "user 'hu.kezhang' may not migrate" in text and "'administrator'" in text
    assert snapshot(engine_v2) == before


def test_cli_migrate_records_the_administrator(db_path: str, defs_v2: Path, engine_v2: Engine,
                                               cases: Cases) -> None:
    """With the role, each migration event names the acting user and the system account."""
    result = bangfu(db_path, defs_v2, "--map", f"{OLD}={NEW}", "--as", ADMIN)
    assert result.exit_code == 0, result.output
    last = engine_v2.history(cases.in_review)[-1]
    assert (last.kind, last.actor, last.role) == ("migration", ADMIN, "administrator")
    assert last.meta["operator"] == ADMIN and last.meta["os_user"]


def test_cli_migrate_needs_an_acting_user(db_path: str, defs_v2: Path, engine_v2: Engine) -> None:
    """Without --as the migration is refused before anything is read (exit 2, bad command line)."""
    result = bangfu(db_path, defs_v2, "--map", f"{OLD}={NEW}")
    assert result.exit_code == 2 and "--as" in result.output


def test_an_unregistered_version_is_not_used_until_the_administrator_registers_it(
        db_path: str, defs_v2: Path) -> None:
    """`--definitions DIR` registers nothing: v2 is listed as unregistered, migrating to it
    says to register it, `register` needs the administrator role and records who did it."""
    def run(*args: str) -> Any:
        return CliRunner().invoke(app, [*args, "--db", db_path, "--definitions", str(defs_v2)],
                                  env=CLEAN_ENV)

    listed = run("definitions", "list", "--json")
    assert [(r["version"], r["registered"]) for r in json.loads(listed.output)
            if r["process"] == PROCESS] == [(1, True), (2, False)]
    refused = run("definitions", "migrate", PROCESS, "--from", "1", "--to", "2", "--as", ADMIN)
    assert refused.exit_code != 0 and "definitions register" in refused.output
    denied = run("definitions", "register", "--as", "wang.fang")
    assert denied.exit_code == 1 and "administrator" in denied.output
    done = run("definitions", "register", "--as", ADMIN, "--json")
    assert done.exit_code == 0, done.output
    assert [(r["process"], r["version"]) for r in json.loads(done.output)["registered"]] == [
        (PROCESS, 2)]
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT registered_by FROM definitions WHERE process = ? AND "
                            "version = 2", (PROCESS,)).fetchone() == (ADMIN,)
    again = run("definitions", "register", "--as", ADMIN, "--json")
    assert json.loads(again.output)["registered"] == []
