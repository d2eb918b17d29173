"""`bangfu definitions validate` tells a file's kind by its first key and checks it
against its own schema; `bangfu init` refuses a campaign that will not load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import SHIPPED_PROCESSES
from definitions.files import check_file

SHIPPED = SHIPPED_PROCESSES.parent
CAMPAIGN = SHIPPED / "campaigns" / "spring_festival_2027.yaml"
runner = CliRunner()

KINDS = [(CAMPAIGN, "campaign"), (SHIPPED / "org.example.yaml", "org"),
         (SHIPPED / "calendars" / "cn-2026.yaml", "calendar"),
         (SHIPPED / "rules" / "medical_aid.yaml", "rules"),
         (SHIPPED / "rules" / "income_lines.yaml", "rules"),
         (SHIPPED_PROCESSES / "relief_application.yaml", "process")]


def validate(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["definitions", "validate", *args], env={"COLUMNS": "250"})
    return res.exit_code, res.output


@pytest.mark.parametrize(("path", "kind"), KINDS, ids=[p.name for p, _ in KINDS])
def test_validate_recognises_each_shipped_kind(path: Path, kind: str) -> None:
    """Each shipped file of every kind is recognised and valid (no process errors)."""
    code, out = validate(str(path), "--json")
    assert code == 0, out
    (result,) = json.loads(out)
    assert (result["kind"], result["ok"]) == (kind, True)
    assert check_file(path).kind == kind


def test_broken_campaign_gets_campaign_problems_not_process_ones(tmp_path: Path) -> None:
    """A campaign with a misspelled key and a phase ending before it starts gets those
    two problems, judged as a campaign (nothing about 'states' or 'transitions')."""
    text = CAMPAIGN.read_text(encoding="utf-8")
    text = text.replace("case_prefix: CF27", "case_prefx: CF27").replace(
        "    start: 2027-01-21\n    end: 2027-01-21", "    start: 2027-01-21\n    end: 2027-01-20")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    code, out = validate(str(bad), "--json", "--lang", "en")
    assert code == 1
    (result,) = json.loads(out)
    assert result["kind"] == "campaign"
    messages = [p["message"] for p in result["problems"]]
    assert any("unknown key 'case_prefx'; did you mean 'case_prefix'?" in m for m in messages)
    assert any("phases[3]" in p["path"] for p in result["problems"]), messages
    assert not any(w in m for m in messages for w in ("states", "transitions", "'process'"))
    assert len(messages) == 2, messages


def test_file_of_no_known_kind_says_which_kinds_there_are(tmp_path: Path) -> None:
    """A file whose first key is no kind is refused naming the kinds, with did you mean."""
    odd = tmp_path / "odd.yaml"
    odd.write_text("proces: x\nversion: 1\n", encoding="utf-8")
    code, out = validate(str(odd), "--lang", "en")
    assert code == 1 and "did you mean 'process'?" in " ".join(out.split())


def test_init_refuses_a_campaign_that_will_not_load(tmp_path: Path) -> None:
    """bangfu init with a broken campaign beside the processes fails naming the file and
    creates no database."""
    defs = tmp_path / "defs"
    shutil.copytree(SHIPPED_PROCESSES, defs / "processes")
    (defs / "campaigns").mkdir()
    text = CAMPAIGN.read_text(encoding="utf-8").replace("case_prefix: CF27", "case_prefx: CF27")
    (defs / "campaigns" / "spring.yaml").write_text(text, encoding="utf-8")
    db = tmp_path / "new.db"
    res = runner.invoke(app, ["init", "--db", str(db), "--definitions", str(defs / "processes"),
                              "--lang", "en"], env={"COLUMNS": "250"})
    assert res.exit_code == 1, res.output
    assert "spring.yaml" in res.output and "case_prefx" in res.output
    assert not db.exists()


def test_validate_cli_reports_each_problem_of_a_process_once(tmp_path: Path) -> None:
    """The seven mistakes of a process file come out of the command seven times, the
    repeated key once."""
    from tests.helpers.samples import SEVEN

    path = tmp_path / "seven.yaml"
    path.write_text(SEVEN, encoding="utf-8")
    code, out = validate(str(path), "--json", "--lang", "en")
    (result,) = json.loads(out)
    assert code == 1 and result["kind"] == "process"
    assert len(result["problems"]) == 7, result["problems"]
