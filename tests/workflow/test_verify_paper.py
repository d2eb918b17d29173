"""verify_paper: a printed form or notice checked against the record by its code, and
the QR codes the reports print (HTML, XLSX, CSV)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import segno

from tests.helpers.cases import DISBURSE, move, standard_fen
from workflow import Case, Engine
from workflow.reporting import disbursement_form, notice_list, render_csv, render_html, write
from workflow.services.verification import verdict, verify_paper

BASE = "https://portal.example.org/bangfu"


def printed_code(engine: Engine, case: Case) -> str:
    """The code the disbursement form of the case's village prints on its row."""
    form = disbursement_form(engine, case.unit, links=BASE)
    (row,) = [r for r in form.data_rows if r["number"] == case.number]
    return str(row["verify"])


def test_a_freshly_printed_form_matches(engine: Engine, walk: Callable[..., Case]) -> None:
    """Printed and checked with nothing in between: matches, with the paper's lines masked."""
    case = walk("disbursement")
    check = verify_paper(engine, printed_code(engine, case))
    assert check.status == "matches" and check.number == case.number
    assert check.printed_seq == case.version and check.since == []
    assert check.printed["name"] == "李*兰" and check.printed["id_number"] == "331122********0422"
    assert check.printed["amount_fen"] == standard_fen(engine, case)
    assert verdict(check).startswith("相符") and verdict(check, "en").startswith("Matches")


def test_one_more_transition_makes_it_changed(engine: Engine,
                                              walk: Callable[..., Case]) -> None:
    """Disbursed after printing: changed, one event after it, the state no longer as printed."""
    case = walk("disbursement")
    code = printed_code(engine, case)
    engine.fire(case.number, "disburse", "xu.lei",
                data={**DISBURSE, "amount_fen": standard_fen(engine, case)})
    check = verify_paper(engine, code)
    assert check.status == "changed"
    assert [e["what"] for e in check.since] == ["入户发放"]
    assert check.printed["state"] == "发放" and check.state_now == "完成"
    assert check.differs == ["办理状态"]
    assert "1 条记录" in verdict(check) and "办理状态" in verdict(check)


def test_a_reveal_after_printing_changes_the_chain_not_the_paper(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """A reveal is a new event, so the code reads changed, but every line printed still holds."""
    case = walk("disbursement")
    code = printed_code(engine, case)
    engine.reveal(case.number, "xu.lei", "入户核对身份")
    check = verify_paper(engine, code)
    assert check.status == "changed" and check.differs == []
    assert "仍与记录一致" in verdict(check)


def test_a_changed_answer_names_no_actor_and_no_comment(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """What happened after printing is told by what and when only."""
    case = walk("disbursement")
    code = printed_code(engine, case)
    engine.reveal(case.number, "xu.lei", "入户核对身份 13900001111")
    view = verify_paper(engine, code).as_view()
    text = repr(view)
    assert "xu.lei" not in text and "徐磊" not in text and "入户核对身份" not in text
    assert "13900001111" not in text and "331122195803120422" not in text


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),     # one character of the tag
    lambda c: c.replace("CF27-000001", "CF27-000999"),      # a case that does not exist
    lambda c: c.replace("CF27-000001", "CF27-000002"),      # another case's number
])
def test_a_wrong_code_is_unknown_whatever_is_wrong(
        engine: Engine, walk: Callable[..., Case], new_case: Callable[..., str],
        mangle: Callable[[str], str]) -> None:
    """A wrong tag, a missing case and another case get the same answer: unknown."""
    case = walk("disbursement")
    new_case()
    check = verify_paper(engine, mangle(printed_code(engine, case)))
    assert (check.status, check.malformed, check.number, check.printed) == \
        ("unknown", False, None, {})


def test_text_that_is_not_a_code_is_unknown_and_says_so(engine: Engine) -> None:
    """Not a code at all: unknown, marked malformed, with the form a code takes."""
    check = verify_paper(engine, "<script>alert(1)</script>")
    assert check.status == "unknown" and check.malformed
    assert "CF27-000001-7K3QD-9XAB2" in verdict(check)


def test_a_code_of_an_earlier_event_is_changed(engine: Engine,
                                               walk: Callable[..., Case]) -> None:
    """A notice printed during the notice, checked after the reviews: changed, counted."""
    case = walk("publicity")
    table = notice_list(engine, "village", case.unit, links=BASE)
    code = str(table.data_rows[0]["verify"])
    later = move(engine, case.number, "disbursement")
    check = verify_paper(engine, code)
    assert check.status == "changed"
    assert len(check.since) == later.version - case.version
    assert check.printed["state"] == "公示"


def test_a_damaged_trail_is_not_vouched_for(engine: Engine,
                                            walk: Callable[..., Case]) -> None:
    """An event altered in the database: damaged, not matches."""
    from sqlalchemy import update

    from storage.tables import events

    case = walk("disbursement")
    code = printed_code(engine, case)
    with engine.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(events).where(events.c.case_id == case.id, events.c.seq == 2)
                     .values(comment="改过"))
    check = verify_paper(engine, code)
    assert check.status == "damaged" and check.printed == {}
    assert "督查组" in verdict(check)


# -- the printed papers ----------------------------------------------------------------


def test_the_html_form_carries_a_qr_code_of_each_rows_link(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """Each data row: an inline SVG QR code and the code under it; the link in data attributes."""
    case = walk("disbursement")
    code = printed_code(engine, case)
    html = render_html(disbursement_form(engine, case.unit, links=BASE))
    url = f"{BASE}/v/{code}"
    assert f'data-verify-code="{code}" data-verify-url="{url}"' in html
    assert html.count('<svg viewBox=') == 1 and f'<span class="verify-code">{code}</span>' in html
    expected = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True,
                                                       svgclass="qr", lineclass=None, title=code)
    assert expected in html


def test_the_printed_notice_carries_the_codes_too(engine: Engine,
                                                 walk: Callable[..., Case]) -> None:
    """The public notice: one QR code per household, and how to check it in the footer."""
    walk("publicity")
    walk("publicity")
    table = notice_list(engine, "village", "shangcun", links=BASE)
    html = render_html(table)
    assert html.count('class="qr"') == 2
    assert any(f"{BASE}/v/" in line for line in table.footer)


def test_the_qr_links_to_the_configured_base_url(engine: Engine, walk: Callable[..., Case],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``links``, the report takes BANGFU_BASE_URL."""
    case = walk("disbursement")
    monkeypatch.setenv("BANGFU_BASE_URL", "https://county.example.org")
    html = render_html(disbursement_form(engine, case.unit))
    assert 'data-verify-url="https://county.example.org/v/CF27-' in html


def test_the_xlsx_form_holds_one_qr_image_per_household(
        engine: Engine, walk: Callable[..., Case], tmp_path: Path) -> None:
    """An image per data row in the workbook, and the code as text in its cell."""
    import openpyxl

    walk("disbursement")
    walk("disbursement")
    path = write(disbursement_form(engine, "shangcun", links=BASE), tmp_path / "form.xlsx")
    with zipfile.ZipFile(path) as book:
        images = [n for n in book.namelist() if n.startswith("xl/media/")]
    assert len(images) == 2
    sheet = openpyxl.load_workbook(path).active
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert sum(1 for t in texts if t.startswith("CF27-") and t.count("-") == 3) == 2


def test_the_csv_form_lists_the_codes(engine: Engine, walk: Callable[..., Case]) -> None:
    """CSV has no picture: the code is its own column."""
    case = walk("disbursement")
    code = printed_code(engine, case)
    rows = list(csv.reader(io.StringIO(render_csv(disbursement_form(engine, case.unit)))))
    column = rows[0].index("核验码（扫码核对）")
    assert rows[1][column] == code


def test_bangfu_audit_paper_answers_with_exit_codes(
        engine: Engine, db_path: str, walk: Callable[..., Case]) -> None:
    """0 matches, 1 changed, 4 unknown; the paper's masked lines printed."""
    from tests.helpers.cli import bangfu

    case = walk("disbursement")
    code = printed_code(engine, case)
    matched = bangfu("audit", "paper", code, "--db", db_path)
    assert matched.exit_code == 0 and matched.output.startswith("相符")
    assert "李*兰 331122********0422" in matched.output and "李秀兰" not in matched.output
    engine.fire(case.number, "disburse", "xu.lei",
                data={**DISBURSE, "amount_fen": standard_fen(engine, case)})
    changed = bangfu("audit", "paper", code, "--db", db_path, "--lang", "en")
    assert changed.exit_code == 1 and changed.output.startswith("Changed since printing")
    unknown = bangfu("audit", "paper", code[:-1] + ("0" if code[-1] != "0" else "1"),
                     "--db", db_path, "--json")
    assert unknown.exit_code == 4 and '"status": "unknown"' in unknown.output
