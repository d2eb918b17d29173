"""The pages in a real browser: Debian's chromium driven by Playwright against uvicorn on
a free port of 127.0.0.1, on a simulated-clock database. Village staff accept a case,
the panel passes the deliberation, the public objects on the notice, the township
office dismisses the objection, and the case's history shows it all. Each page is
screenshot at a phone's width into ``BANGFU_ARTIFACTS`` (default tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.helpers.browser import PHONE, artifacts, chromium, log_in
from tests.helpers.cases import PROCESS, application
from tests.helpers.pages import page_app, served
from workflow import Engine


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def shots() -> Path:
    return artifacts()


def _log_out(page: Page) -> None:
    page.click("header form button")
    page.wait_for_url("**/login")


def _fits_the_phone(page: Page) -> bool:
    """Nothing but the tables' own scrolling boxes is wider than the screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return int(width) <= PHONE["width"]


def _fire(page: Page, trigger: str, comment: str | None = None) -> None:
    form = page.locator(f"form.action:has(input[name=trigger][value={trigger}])")
    if comment is not None:
        form.locator("textarea[name=comment]").fill(comment)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.ok")


def test_the_relief_road_through_the_pages(engine: Engine, browser: Browser,
                                           shots: Path) -> None:
    """Accept, deliberation, an objection on the notice, its dismissal: in the history."""
    number = engine.submit(PROCESS, "li.xiulan", application()).case_number
    with served(page_app(engine, users=("wang.fang", "liu.qiang", "yang.jing"))) as base:
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        try:
            page.goto(f"{base}/desk")
            page.wait_for_url("**/login?next=/desk")
            page.screenshot(path=shots / "login.png", full_page=True)

            log_in(page, base, "wang.fang")
            assert number in page.inner_text("table.list")
            assert _fits_the_phone(page)
            page.screenshot(path=shots / "desk.png", full_page=True)
            page.click(f"text={number}")
            page.screenshot(path=shots / "case-application.png", full_page=True)
            _fire(page, "accept")
            assert "受理" in page.inner_text("p.ok")
            _log_out(page)

            log_in(page, base, "liu.qiang")
            page.goto(f"{base}/desk/cases/{number}")
            _fire(page, "pass_deliberation")
            _log_out(page)

            page.goto(f"{base}/notice/village/shangcun")
            assert "李秀兰" in page.inner_text("table.notice")
            assert _fits_the_phone(page)
            page.select_option("select[name=case]", number)
            page.fill("textarea[name=reason]", "该户家中有轿车一辆，请核实")
            page.click("#object button[type=submit]")
            page.wait_for_selector("#object p.ok")
            page.screenshot(path=shots / "notice.png", full_page=True)

            log_in(page, base, "yang.jing")
            page.goto(f"{base}/desk/cases/{number}")
            _fire(page, "dismiss_objection", "经入户核实，车辆为借用，异议不成立")
            history = page.inner_text("ol.history")
            page.screenshot(path=shots / "case-history.png", full_page=True)
        finally:
            context.close()
    assert [e.trigger for e in engine.history(number)] == [
        "submit", "accept", "pass_deliberation", "object", "dismiss_objection"]
    assert engine.get_case(number).state == "publicity"
    for said in ("受理 — 王芳", "评议通过并公示 — 刘强", "提出异议", "该户家中有轿车一辆",
                 "异议不成立 — 杨静", "车辆为借用"):
        assert said in history


def test_the_desk_in_english(engine: Engine, browser: Browser, shots: Path) -> None:
    """?lang=en switches the pages to English and the choice is remembered."""
    engine.submit(PROCESS, "li.xiulan", application())
    with served(page_app(engine, users=("wang.fang",))) as base:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        try:
            page.goto(f"{base}/login?lang=en")
            log_in(page, base, "wang.fang")
            assert "My queue" in page.inner_text("h1")
            page.screenshot(path=shots / "desk-en.png", full_page=True)
        finally:
            context.close()
