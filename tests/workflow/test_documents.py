"""Required documents: the campaign's checklist as data, its load-time checks, the
refusal of a submission with a paper missing, receipts outside the window flagged,
papers handed in later joining those on file, and the checklist in ``case show``."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from definitions import DefinitionInvalid
from definitions.campaign import SHIPPED_CAMPAIGNS, campaign_from_text, load_campaign
from definitions.checklist import DateWindowSpec, DocumentsSpec, check_documents
from tests.helpers.cases import ALL_PAPERS, PROCESS, START, application, count_rows
from workflow import Engine, InvalidData
from workflow.errors import MissingDocuments
from workflow.rules import paperwork as papers

SPRING = load_campaign(SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml")
CHECKLIST = SPRING.spec.documents
BASIC = ("application", "id_cards", "household_register", "authorisation")


def paper(kind: str, day: str = "2027-01-04", ref: str | None = None) -> dict[str, str]:
    return {"type": kind, "ref": ref or f"{kind}.pdf", "date": day}


def basic(*extra: dict[str, str]) -> list[dict[str, str]]:
    return [paper(t) for t in BASIC] + list(extra)


# -- the checklist as data ---------------------------------------------------------


def test_the_shipped_checklist_loads_and_is_clean() -> None:
    """The sample campaign's checklist has no problems, and every paper it requires exists."""
    assert CHECKLIST is not None
    assert check_documents(CHECKLIST, SPRING.spec.standards) == []
    assert {r.document for r in CHECKLIST.required} <= set(CHECKLIST.types)


def test_checklist_mistakes_are_reported_together_with_suggestions() -> None:
    """An unknown paper, an unknown category, a bad condition and a paper required twice:
    every problem at once, each with its path and a 'did you mean'."""
    spec = DocumentsSpec.model_validate({
        "types": {"application": {"labels": {"zh": "书面申请", "en": "Application"}}},
        "required": [{"document": "aplication"}, {"document": "application"},
                     {"document": "application"},
                     {"document": "application", "categories": ["sever"]},
                     {"document": "application", "when": "__import__('os')"},
                     {"document": "application", "when": "self_paid_medical > 0"}]})
    problems = check_documents(spec, ["severe", "general"],
                               known_names={"self_paid_medical_fen", "dibao"})
    paths = [p.path for p in problems]
    assert paths == ["documents.required[0].document", "documents.required[2].document",
                     "documents.required[3].categories[0]", "documents.required[4].when",
                     "documents.required[5].when"]
    texts = " ".join(p.en for p in problems)
    assert "did you mean 'application'" in texts and "did you mean 'severe'" in texts
    assert "did you mean 'self_paid_medical_fen'" in texts
    assert all(p.zh for p in problems)


def test_a_campaign_file_with_a_bad_checklist_is_refused_naming_the_line() -> None:
    """A typo in a required paper is a load-time error of the campaign file."""
    text = (SHIPPED_CAMPAIGNS / "spring_festival_2027.yaml").read_text(encoding="utf-8")
    broken = text.replace("- {document: dibao_card, when: dibao}",
                          "- {document: dibao_crad, when: dibao}")
    assert broken != text
    with pytest.raises(DefinitionInvalid) as ei:
        campaign_from_text(broken)
    (problem,) = ei.value.problems
    assert problem.path == "documents.required[7].document" and problem.line is not None
    assert "dibao_card" in problem.en


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    """The receipt window's dates must be in order."""
    with pytest.raises(ValueError, match="before it starts"):
        DateWindowSpec(start=date(2027, 1, 17), end=date(2026, 1, 1))


# -- the rules, pure ---------------------------------------------------------------


def test_text_form_reads_several_papers() -> None:
    """'type=ref@date' entries separated by ';', '；' or new lines; the ref may hold '=' and '@'."""
    assert papers.parse_text("application=a.pdf@2027-01-04；diagnosis=x=y@z.pdf@2026-12-01\n"
                             " medical_bills = b.pdf @ 2026-12-02 ;") == [
        paper("application", ref="a.pdf"), paper("diagnosis", "2026-12-01", "x=y@z.pdf"),
        paper("medical_bills", "2026-12-02", "b.pdf")]


@pytest.mark.parametrize("bad", ["application", "application=a.pdf", "=a.pdf@2027-01-04",
                                 "application=@2027-01-04"])
def test_text_form_refuses_an_entry_without_its_parts(bad: str) -> None:
    """An entry without a type, a reference or a date names itself."""
    with pytest.raises(ValueError, match="application|a.pdf"):
        papers.parse_text(bad)


@pytest.mark.parametrize(("value", "why"), [
    ("a.pdf", "list"), ([{"type": "application", "ref": "a.pdf"}], "exactly the keys"),
    ([paper("application", day="2027/01/04")], "not a date"),
    ([{"type": "application", "ref": " ", "date": "2027-01-04"}], "non-empty")])
def test_malformed_document_values_are_explained(value: Any, why: str) -> None:
    """A documents value that is not a list of (type, ref, date) says what is wrong."""
    found = papers.problems_of(value)
    assert found is not None and why in found[0] and found[1]


def test_required_papers_follow_category_and_data() -> None:
    """Every case needs the four basic papers; medical costs add the diagnosis and bills;
    a category adds its own certificate; a 低保 family its card."""
    assert CHECKLIST is not None
    assert papers.required_types(CHECKLIST, "general", {}) == BASIC
    assert papers.required_types(CHECKLIST, "severe", {"self_paid_medical_fen": 1}) == \
        (*BASIC, "diagnosis", "medical_bills")
    assert papers.required_types(CHECKLIST, "severe", {"self_paid_medical_fen": 0}) == BASIC
    assert papers.required_types(CHECKLIST, "veteran", {"dibao": True}) == \
        (*BASIC, "dibao_card", "veteran_card")
    assert papers.required_types(CHECKLIST, "poor_household", {}) == \
        (*BASIC, "income_proof", "poverty_card")


def test_receipts_outside_the_window_are_found_at_both_ends() -> None:
    """The window includes both its dates; a non-receipt paper is never flagged for its date."""
    assert CHECKLIST is not None
    docs = basic(paper("medical_bills", "2025-12-31", "b0"), paper("medical_bills", "2026-01-01",
                 "b1"), paper("medical_bills", "2027-01-17", "b2"),
                 paper("medical_bills", "2027-01-18", "b3"), paper("diagnosis", "2025-06-01"))
    review = papers.review(CHECKLIST, "severe", {"self_paid_medical_fen": 100}, docs)
    assert [d["ref"] for d in review.outside_window] == ["b0", "b3"]
    assert review.missing == () and review.unknown == ()


def test_papers_handed_in_later_join_those_on_file() -> None:
    """Merging adds new papers and replaces the same (type, ref) instead of counting it twice."""
    merged = papers.merge(basic(), [paper("diagnosis"), paper("application", "2027-01-05")])
    assert len(merged) == 5
    assert [d["date"] for d in merged if d["type"] == "application"] == ["2027-01-05"]


# -- the engine --------------------------------------------------------------------


def test_submit_is_refused_while_a_paper_is_missing_naming_it(
        engine: Engine, unchanged: Callable[..., AbstractContextManager[None]]) -> None:
    """A severe case with medical costs and no bills: refused, naming both papers in
    Chinese and English, and nothing written."""
    data = application(self_paid_medical_fen=4_500_000, documents=basic())
    with unchanged(), pytest.raises(MissingDocuments) as ei:
        engine.submit(PROCESS, "li.xiulan", data)
    assert ei.value.documents == ("diagnosis", "medical_bills")
    assert "县级以上医院本年度诊断证明" in ei.value.zh and "医疗费用票据" in ei.value.zh
    assert "Medical bills ('medical_bills')" in ei.value.en


def test_submit_without_any_papers_names_the_basic_four(engine: Engine) -> None:
    """No documents at all: the four papers every case needs are named."""
    with pytest.raises(MissingDocuments) as ei:
        engine.submit(PROCESS, "li.xiulan", application(documents=None))
    assert ei.value.documents == BASIC


def test_an_unknown_paper_type_is_invalid_data_with_a_suggestion(engine: Engine) -> None:
    """A typo in a paper's type is refused with 'did you mean'."""
    before = count_rows(engine)
    with pytest.raises(InvalidData) as ei:
        engine.submit(PROCESS, "li.xiulan", application(documents=basic(paper("diagnosys"))))
    assert "did you mean 'diagnosis'" in str(ei.value.en)
    assert count_rows(engine) == before


def test_a_late_receipt_is_flagged_on_the_submission_not_refused(engine: Engine) -> None:
    """A bill dated before the receipt window: the case opens; its submission records the
    flag with the window, and the checklist shows it."""
    late = paper("medical_bills", "2025-11-30", "bill-2025.pdf")
    docs = basic(paper("diagnosis"), paper("medical_bills"), late)
    number = engine.submit(PROCESS, "li.xiulan", application(
        self_paid_medical_fen=4_500_000, documents=docs)).case_number
    (submitted,) = [e for e in engine.history(number) if e.kind == "submitted"]
    assert submitted.meta["documents"] == {"outside_window": [late],
                                           "window": ["2026-01-01", "2027-01-17"]}
    found = engine.papers(engine.get_case(number))
    assert found is not None and found[1].outside_window == (late,)


def test_a_submission_inside_the_window_carries_no_flag(engine: Engine) -> None:
    """Papers all in order: no documents note on the event."""
    number = engine.submit(PROCESS, "li.xiulan", application()).case_number
    assert "documents" not in engine.history(number)[0].meta


def test_resubmission_adds_papers_to_those_on_file(engine: Engine) -> None:
    """Papers handed in on resubmission join the case's; a late one is flagged on that event."""
    number = engine.submit(PROCESS, "li.xiulan", application(documents=basic())).case_number
    engine.fire(number, "request_evidence", "wang.fang", comment="请补充诊断证明")
    late = paper("medical_bills", "2027-01-20", "bill-late.pdf")
    engine.fire(number, "resubmit", "wang.fang", data={
        "evidence_note": "补交诊断证明和票据", "self_paid_medical_fen": 4_500_000,
        "documents": [paper("diagnosis"), late]})
    case = engine.get_case(number)
    assert [d["type"] for d in case.data["documents"]] == [*BASIC, "diagnosis", "medical_bills"]
    assert engine.history(number)[-1].meta["documents"]["outside_window"] == [late]


def test_replay_of_a_case_with_papers_equals_the_stored_case(engine: Engine) -> None:
    """The merged list is what the event stores, so the trail replays to the row."""
    from workflow.services.inspection import verify

    number = engine.submit(PROCESS, "li.xiulan", application(documents=basic())).case_number
    engine.fire(number, "request_evidence", "wang.fang", comment="请补充")
    engine.fire(number, "resubmit", "wang.fang", data={"evidence_note": "已补交",
                                                       "documents": [paper("diagnosis")]})
    report = verify(engine)
    assert report.ok, report.findings


def test_processes_without_a_campaign_checklist_are_not_checked(engine: Engine) -> None:
    """Medical aid runs without a campaign: no checklist, no refusal, no review."""
    from tests.helpers.union import WORKER, medical_application

    number = engine.submit("medical_aid", WORKER, medical_application("deep", 1000)).case_number
    assert engine.papers(engine.get_case(number)) is None


# -- the CLI -----------------------------------------------------------------------

runner = CliRunner()


def cli(db: Path, *args: str, lang: str = "zh") -> Any:
    return runner.invoke(app, [*args, "--db", str(db), "--lang", lang],
                         env={"COLUMNS": "200"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "docs.db"
    assert runner.invoke(app, ["init", "--db", str(path), "--simulated", "--start",
                               START.isoformat()]).exit_code == 0
    return path


FIELDS = ["--set", "applicant_name=李秀兰", "--set", "id_number=331122195803120422",
          "--set", "household_size=3", "--set", "category=severe",
          "--set", "hardship_reason=丈夫重病", "--set", "self_paid_medical_fen=45000"]


def test_cli_names_the_missing_papers_in_chinese_or_english(db: Path) -> None:
    """`case submit` without the bills exits 1 with the missing papers named, no traceback."""
    docs = [a for t in (*BASIC, "diagnosis") for a in ("--doc", f"{t}={t}.pdf@2027-01-04")]
    res = cli(db, "case", "submit", PROCESS, *FIELDS, *docs, "--as", "li.xiulan")
    assert res.exit_code == 1 and "医疗费用票据" in res.output and "Traceback" not in res.output
    res = cli(db, "case", "submit", PROCESS, *FIELDS, *docs, "--as", "li.xiulan", lang="en")
    assert res.exit_code == 1 and "Medical bills" in res.output


def test_cli_refuses_a_malformed_doc_option(db: Path) -> None:
    """A --doc without '@date' is a clear data error."""
    res = cli(db, "case", "submit", PROCESS, *FIELDS, "--doc", "application=a.pdf",
              "--as", "li.xiulan")
    assert res.exit_code == 1 and "类型=文件编号@日期" in res.output


def test_case_show_lists_the_papers_and_flags(db: Path) -> None:
    """`case show` lists every paper on file, marks the late receipt, and in --json gives the
    checklist with what is required and missing."""
    docs = [a for d in ALL_PAPERS for a in ("--doc", f"{d['type']}={d['ref']}@{d['date']}")]
    res = cli(db, "case", "submit", PROCESS, *FIELDS, *docs, "--doc",
              "medical_bills=old-bill.pdf@2025-10-01", "--as", "li.xiulan", "--json")
    assert res.exit_code == 0, res.output
    number = json.loads(res.output)["case"]
    shown = cli(db, "case", "show", number)
    assert shown.exit_code == 0 and "申请材料" in shown.output
    assert "old-bill.pdf" in shown.output and "不在 2026-01-01 至 2027-01-17 之内" in shown.output
    info = json.loads(cli(db, "case", "show", number, "--json").output)["documents_check"]
    assert info["missing"] == [] and [r["type"] for r in info["required"]][:4] == list(BASIC)
    assert [d["ref"] for d in info["on_file"] if d["outside_window"]] == ["old-bill.pdf"]
