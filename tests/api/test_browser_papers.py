"""Printed papers checked in a real browser: a disbursement form printed as HTML is
opened in Debian's chromium, its QR codes are read back from the screenshot (and held
to segno's drawing of the same URL), and the URL a code encodes opens the verify
page, which says "matches" (相符); then the inspector's board, replay and trail
verification. Screenshots go to the artefacts folder (copied to docs/screenshots/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import segno
from playwright.sync_api import Browser

from tests.helpers.browser import DESKTOP, PHONE, artifacts, chromium, log_in, qr_texts
from tests.helpers.cases import household_id, move
from tests.helpers.pages import page_app, served
from workflow import Case, Engine
from workflow.reporting import disbursement_form, write


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


def test_a_scanned_form_opens_the_verify_page_which_says_it_matches(
        engine: Engine, walk: Callable[..., Case], browser: Browser, tmp_path: Path) -> None:
    """Print, open, decode the QR code, follow it: 相符; then the board, replay, verify."""
    case = walk("disbursement")
    other = walk("disbursement", id_number=household_id(1), applicant_name="王建国",
                 category="general")
    for n, (unit, user, target) in enumerate([
            ("shangcun", "li.xiulan", "publicity"), ("shangcun", "li.xiulan", "deliberation"),
            ("xiacun", "zhang.min", "preliminary_review"), ("xiacun", "zhang.min", "rejected"),
            ("xiacun", "zhang.min", "deliberation")], start=2):
        walk(target, user=user, unit=unit, id_number=household_id(n),
             applicant_name=f"测试{n}", category="general")
    shots = artifacts()
    with served(page_app(engine, users=("jiang.duban",))) as base:
        form = write(disbursement_form(engine, "shangcun", links=base), tmp_path / "form.html")
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = context.new_page()
        try:
            page.goto(form.as_uri())
            cell = page.locator(f"td[data-verify-code^='{case.number}-']")
            code = cell.get_attribute("data-verify-code") or ""
            url = cell.get_attribute("data-verify-url") or ""
            assert url == f"{base}/v/{code}" and cell.inner_text().strip() == code
            drawn = segno.make(url, error="m").svg_inline(
                scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None, title=code)
            modules = cell.locator("svg.qr path").get_attribute("d") or ""
            assert modules and f'd="{modules}"' in drawn
            png = page.screenshot(path=shots / "form-with-codes.png", full_page=True)
            scanned = qr_texts(png)
            assert url in scanned and any(other.number in s for s in scanned)

            phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
            try:
                phone.goto(url)
                verdict = phone.locator("p.verdict")
                assert verdict.get_attribute("data-status") == "matches"
                assert verdict.inner_text().startswith("相符")
                assert "李*兰" in phone.inner_text("dl.facts")
                phone.screenshot(path=shots / "verify-matches.png", full_page=True)
            finally:
                phone.context.close()

            engine.set_clock(when=datetime.fromisoformat("2027-01-18T10:00+08:00"))
            log_in(page, base, "jiang.duban")
            page.goto(f"{base}/board")
            assert page.locator("table.chart svg.bar rect").count() >= 4
            labels = page.inner_text("table.chart")
            assert "上村" in labels and "下村" in labels
            assert page.locator("#overdue ~ div tr.overdue").count() >= 1
            page.screenshot(path=shots / "board.png", full_page=True)
            page.set_viewport_size(PHONE)
            assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"]
            page.screenshot(path=shots / "board-phone.png", full_page=True)
            page.set_viewport_size(DESKTOP)

            page.goto(f"{base}/inspect/cases/{case.number}?as_of=2027-01-05T12:00%2B08:00")
            assert "案件处于「公示」" in page.inner_text("p.verdict")
            page.screenshot(path=shots / "inspect-replay.png", full_page=True)

            page.goto(f"{base}/inspect/verify")
            assert page.locator("p.verdict").get_attribute("data-ok") == "true"
            page.screenshot(path=shots / "inspect-verify.png", full_page=True)
        finally:
            context.close()
    assert move(engine, case.number, "completed").state == "completed"
