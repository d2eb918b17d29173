"""Nobody writes what is not theirs: an application carries only the fields its
definition lets the application carry; a reviewer's field comes from the reviewer's
step, and the category changes only through change_category."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import SHIPPED_PROCESSES, load_directory
from tests.helpers.cases import PROCESS, application
from workflow import Case, Engine, InvalidData
from workflow.core.registry import REGISTRY

#: what li.xiulan once filled in herself, all accepted (the hole)
REVIEWERS_FIELDS = {"home_visit_note": "申请人自填", "amount_fen": 60000, "photo_ref": "FAKE",
                    "recipient_signed": True, "cadre_signed": True}


@pytest.mark.parametrize("field", sorted(REVIEWERS_FIELDS))
def test_an_application_may_not_carry_a_reviewers_field(
        engine: Engine, unchanged: Callable, field: str) -> None:
    with unchanged(), pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "li.xiulan", application(**{field: REVIEWERS_FIELDS[field]}))
    assert [p[0] for p in ei.value.problems] == [field]
    assert "申请时不能填写此字段" in ei.value.localized("zh")


def test_the_hole_from_the_cli_is_closed(db_path: str) -> None:
    """The command of the report: exit 1, each reviewer's field named, nothing written."""
    result = CliRunner().invoke(app, [
        "case", "submit", "relief_application", "--as", "li.xiulan", "--db", db_path,
        "-s", "applicant_name=李秀兰", "-s", "id_number=331122195803120422",
        "-s", "household_size=3", "-s", "category=general", "-s", "hardship_reason=病",
        "-s", "home_visit_note=申请人自填", "-s", "amount_fen=600", "-s", "photo_ref=FAKE",
        "-s", "recipient_signed=是", "-s", "cadre_signed=是"])
    assert result.exit_code == 1, result.output
    for field in REVIEWERS_FIELDS:
        assert field in result.output
    listing = CliRunner().invoke(app, ["case", "list", "--db", db_path, "--json"])
    assert '"total": 0' in listing.output


def test_what_the_applicant_states_is_accepted(engine: Engine) -> None:
    """Phone, medical costs and the entitled group are the applicant's to state."""
    res = engine.submit(PROCESS, "li.xiulan", application(
        phone="13900001111", self_paid_medical_fen=0, entitled_subgroup="major",
        entitled_persons=1))
    assert engine.get_case(res.case_number).data["phone"] == "13900001111"


def test_the_applicant_may_not_raise_the_category_at_resubmit(
        engine: Engine, walk: Callable[..., Case], unchanged: Callable) -> None:
    """general → severe at resubmit was accepted; the category changes only through
    change_category, with a reason."""
    case = walk("deliberation", category="general", hardship_reason="因病致困")
    assert case.data["category"] == "general"
    engine.fire(case.number, "request_evidence", "liu.qiang", comment="请补充材料")
    with unchanged(case.number), pytest.raises(InvalidData) as ei:
        engine.fire(case.number, "resubmit", "li.xiulan",
                    data={"evidence_note": "已补交", "category": "severe"})
    assert [p[0] for p in ei.value.problems] == ["category"]
    engine.fire(case.number, "resubmit", "li.xiulan", data={"evidence_note": "已补交"})
    assert engine.get_case(case.number).data["category"] == "general"


def test_every_shipped_field_a_step_sets_is_out_of_the_applications_reach() -> None:
    """In every shipped process, a field a step writes or requires reaches an application
    only when the definition says so (submit.required or submit.writes)."""
    for defn in load_directory(SHIPPED_PROCESSES, known_guards=REGISTRY):
        claimed = {f for t in defn.spec.transitions for f in (*t.required, *t.writes)}
        stated = {*defn.spec.submit.required, *defn.spec.submit.writes}
        assert defn.submit_writable & claimed <= stated, defn.process
        assert "amount_fen" not in defn.submit_writable, defn.process
