"""Changing the org after `bangfu init`: `bangfu org load FILE` checks the file whole,
lists the changes, applies them as the administrator, and records who and when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import SHIPPED_ORG
from tests.helpers.cases import PROCESS, application, household_id
from tests.helpers.engines import opened

NEW_CLERK = "  - {id: qian.li, name: 钱丽, unit: shangcun, roles: [village_staff]}\n"


def run(db: str, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, [*args, "--db", db])
    return res.exit_code, res.output


@pytest.fixture
def new_org(tmp_path: Path) -> Path:
    text = SHIPPED_ORG.read_text(encoding="utf-8")
    anchor = "  - {id: zhang.min, name: 张敏, unit: xiacun, roles: [village_staff]}\n"
    assert anchor in text
    path = tmp_path / "org.yaml"
    path.write_text(text.replace(anchor, anchor + NEW_CLERK), encoding="utf-8")
    return path


def test_only_the_administrator_changes_the_org(db_path: str, new_org: Path) -> None:
    code, out = run(db_path, "org", "load", str(new_org), "--as", "wang.fang")
    assert code == 1 and "administrator" in out
    code, out = run(db_path, "org", "--json")
    assert "qian.li" not in out


def test_a_dry_run_lists_the_changes_and_changes_nothing(db_path: str, new_org: Path) -> None:
    code, out = run(db_path, "org", "load", str(new_org), "--as", "admin", "--dry-run",
                    "--json")
    assert code == 0
    assert [(c["kind"], c["id"], c["change"]) for c in json.loads(out)["changes"]] == [
        ("user", "qian.li", "added")]
    assert "qian.li" not in run(db_path, "org", "--json")[1]


def test_a_new_clerk_acts_once_the_org_is_loaded(db_path: str, new_org: Path) -> None:
    code, out = run(db_path, "org", "load", str(new_org), "--as", "admin")
    assert code == 0 and "qian.li" in out
    with opened(db_path) as engine:
        number = engine.submit(PROCESS, "qian.li", application(
            id_number=household_id(5))).case_number
        assert engine.fire(number, "accept", "qian.li").state == "deliberation"
        history = json.loads(engine.store.get_meta("org_history") or "[]")
    assert [(h["by"], h["changes"]) for h in history] == [
        ("admin", ["user qian.li added (shangcun, village_staff)"])]


def test_a_broken_org_file_is_refused_whole(db_path: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SHIPPED_ORG.read_text(encoding="utf-8").replace(
        "unit: shangcun, roles: [village_panel]", "unit: shangcunn, roles: [village_panel]", 1),
        encoding="utf-8")
    code, out = run(db_path, "org", "load", str(bad), "--as", "admin")
    assert code == 1 and "shangcunn" in out
    assert run(db_path, "org", "load", str(bad), "--as", "admin", "--dry-run")[0] == 1
