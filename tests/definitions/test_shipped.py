"""The shipped definitions, content hashing, definition sets and version pinning."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from definitions import (
    SHIPPED_ORG,
    SHIPPED_PROCESSES,
    DefinitionInvalid,
    DefinitionSet,
    DefinitionVersionConflict,
    UnknownDefinition,
    definition_from_text,
    load_definition,
    load_directory,
    load_org,
)
from definitions.loader import load_yaml_file
from definitions.org import PLATFORM_ROLES
from tests.helpers.cases import ALL_PAPERS
from tests.helpers.engines import opened
from workflow.bootstrap import init_database, open_engine
from workflow.core.registry import REGISTRY

SHIPPED_FILES = sorted(SHIPPED_PROCESSES.glob("*.yaml"))
RELIEF = SHIPPED_PROCESSES / "relief_application.yaml"
START = datetime.fromisoformat("2027-01-04T09:00+08:00")


def relief_text() -> str:
    return RELIEF.read_text(encoding="utf-8")


def test_there_are_shipped_definitions() -> None:
    """The processes folder ships at least the relief application."""
    assert RELIEF in SHIPPED_FILES


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_definition_validates(path: Path) -> None:
    """Every shipped process definition parses, validates (guards included) and compiles."""
    d = load_definition(path, known_guards=REGISTRY)
    assert d.process == path.stem
    assert len(d.content_hash) == 64


def test_shipped_org_validates_against_the_shipped_roles() -> None:
    """Every role a user of the sample org holds is declared by the shipped processes or is a
    platform role, and every one of those roles is held by someone."""
    roles = {r for d in load_directory(SHIPPED_PROCESSES, known_guards=REGISTRY)
             for r in d.spec.roles}
    org = load_org(SHIPPED_ORG, known_roles=roles)
    assert {r for u in org.users.values() for r in u.roles} == roles | set(PLATFORM_ROLES)


def test_notice_window_is_data_in_the_definition() -> None:
    """The 3-day public notice counted from the first entry is in the YAML, not the code."""
    d = load_definition(RELIEF, known_guards=REGISTRY)
    (timer,) = d.states["publicity"].timers
    assert (timer.after, timer.anchor, timer.fire) == ("3d", "first_entry", "close_notice")


def test_hash_is_stable_under_comments_and_formatting() -> None:
    """Comments, blank lines and flow-versus-block style do not change the content hash."""
    original = definition_from_text(relief_text())
    commented = "# a new comment\n\n" + relief_text().replace("\n", "\n\n") + "# the end\n"
    data, _ = load_yaml_file(RELIEF)[:2]
    reformatted = json.dumps(data, ensure_ascii=False, indent=1)  # JSON is YAML too
    assert definition_from_text(commented).content_hash == original.content_hash
    assert definition_from_text(reformatted).content_hash == original.content_hash


def test_hash_changes_when_the_meaning_changes() -> None:
    """A changed label, or a changed window, gives another content hash."""
    original = definition_from_text(relief_text())
    relabelled = relief_text().replace("en: Public notice}", "en: Public notice period}")
    longer = relief_text().replace("after: 3d", "after: 5d")
    assert definition_from_text(relabelled).content_hash != original.content_hash
    assert definition_from_text(longer).content_hash != original.content_hash


def _versions(*versions: int) -> DefinitionSet:
    return DefinitionSet([definition_from_text(relief_text().replace(
        "version: 1", f"version: {v}")) for v in versions])


def test_definition_set_gives_the_latest_version() -> None:
    """Without a version, get() answers the highest one."""
    assert _versions(1, 3, 2).get("relief_application").version == 3


def test_definition_set_gives_a_specific_version() -> None:
    """With a version, get() answers exactly that one."""
    assert _versions(1, 2).get("relief_application", 1).version == 1


def test_unknown_process_suggests_a_name() -> None:
    """An unknown process name is refused with a 'did you mean'."""
    with pytest.raises(UnknownDefinition) as ei:
        _versions(1).get("relief_aplication")
    assert "did you mean 'relief_application'?" in str(ei.value)
    assert "relief_aplication" in ei.value.localized("zh")


def test_unknown_version_is_refused() -> None:
    """A version that is not loaded is refused, naming it."""
    with pytest.raises(UnknownDefinition) as ei:
        _versions(1).get("relief_application", 7)
    assert "version 7" in str(ei.value) and "第 7 版" in ei.value.localized("zh")


def test_definition_set_refuses_one_version_defined_twice() -> None:
    """Two different contents under the same process and version cannot be loaded together."""
    other = definition_from_text(relief_text().replace("after: 3d", "after: 5d"), "b.yaml")
    with pytest.raises(DefinitionInvalid) as ei:
        DefinitionSet([definition_from_text(relief_text(), "a.yaml"), other])
    assert "version 1 differently" in str(ei.value)


def test_load_directory_reports_every_file(tmp_path: Path) -> None:
    """Problems of several files in a folder come back together, each with its file."""
    (tmp_path / "a.yaml").write_text(relief_text().replace("dest: deliberation",
                                                           "dest: deliberaton"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("process: [\n", encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as ei:
        load_directory(tmp_path, known_guards=REGISTRY)
    files = {Path(p.file or "").name for p in ei.value.problems}
    assert files == {"a.yaml", "b.yaml"}


def _copy_processes(tmp_path: Path) -> Path:
    copy = tmp_path / "processes"
    shutil.copytree(SHIPPED_PROCESSES, copy)
    return copy


def test_open_engine_refuses_a_changed_file_under_the_same_version(tmp_path: Path) -> None:
    """Editing a registered definition without a new version number is refused on open."""
    copy = _copy_processes(tmp_path)
    db = str(tmp_path / "t.db")
    init_database(db, definitions=copy, simulated_start=START)
    with opened(db, definitions=copy) as engine:
        assert engine.definitions.get("relief_application").version == 1
    target = copy / "relief_application.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace(
        "en: Public notice}", "en: Public notice period}"), encoding="utf-8")
    with pytest.raises(DefinitionVersionConflict) as ei:
        open_engine(db, definitions=copy)
    assert "'relief_application' version 1 was changed" in str(ei.value)
    assert "新的版本号" in ei.value.localized("zh")


def test_open_engine_accepts_a_change_under_a_new_version(tmp_path: Path) -> None:
    """A changed file with a new version number is registered; old cases keep their version."""
    copy = _copy_processes(tmp_path)
    db = str(tmp_path / "t.db")
    init_database(db, definitions=copy, simulated_start=START)
    with opened(db, definitions=copy) as first:
        old = first.submit(
            "relief_application", "wang.fang",
            {"applicant_name": "李秀兰", "id_number": "331122195803120422", "household_size": 3,
             "category": "general", "hardship_reason": "重病", "documents": ALL_PAPERS})
    target = copy / "relief_application.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("version: 1", "version: 2")
                      .replace("en: Public notice}", "en: Public notice period}"),
                      encoding="utf-8")
    with opened(db, definitions=copy) as engine:
        # on disk, not yet registered: commands keep to version 1 until the administrator acts
        assert [d.version for d in engine.unregistered] == [2]
        assert engine.definitions.get("relief_application").version == 1
        assert [d.version for d in engine.register_definitions("admin")] == [2]
        new = engine.submit("relief_application", "wang.fang",
                            {"applicant_name": "王五", "id_number": "331122196001010015",
                             "household_size": 2, "category": "general",
                             "hardship_reason": "失业", "documents": ALL_PAPERS})
        assert engine.get_case(new.case_number).definition_version == 2
        assert engine.get_case(old.case_number).definition_version == 1
        assert engine.fire(old.case_number, "accept", "wang.fang").state == "deliberation"
        assert engine.definition_for(engine.get_case(old.case_number)).version == 1
