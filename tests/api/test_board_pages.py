"""The campaign board, the inspector's view and the verification page of printed
papers, without a browser (starlette's TestClient): status, scoping, escaping, and
the verify page's answers for a printed form (matches, then changed)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tests.helpers.cases import DISBURSE, household_id, move, standard_fen
from tests.helpers.pages import log_in, page_app
from workflow import Case, Engine
from workflow.reporting import disbursement_form, render_html

SCRIPT = "<script>alert('x')</script>"
USERS = ("wang.fang", "zhang.min", "yang.jing", "jiang.duban", "li.xiulan", "qunzhong",
         "hu.kezhang")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(page_app(engine, users=USERS)) as c:
        yield c


def as_user(client: TestClient, user: str) -> TestClient:
    assert log_in(client, user) == 303
    return client


def printed_url(engine: Engine, case: Case) -> str:
    """The path the QR code of the case's row on its village's printed form opens."""
    html = render_html(disbursement_form(engine, case.unit))
    found = re.search(rf'data-verify-code="({case.number}-[^"]+)" data-verify-url="([^"]+)"',
                      html)
    assert found, "the printed form has no code for the case"
    assert found.group(2) == f"http://127.0.0.1:8000/v/{found.group(1)}"
    return found.group(2).removeprefix("http://127.0.0.1:8000")


def status_of(html: str) -> str:
    found = re.search(r'data-status="(\w+)"', html)
    return found.group(1) if found else ""


# -- the board -------------------------------------------------------------------------


def test_the_board_needs_a_login(client: TestClient) -> None:
    """/board without a session goes to /login and back."""
    res = client.get("/board", follow_redirects=False)
    assert (res.status_code, res.headers["location"]) == (303, "/login?next=/board")


def test_a_clerk_sees_her_village_only_and_no_budget(
        client: TestClient, walk: Callable[..., Case]) -> None:
    """上村's clerk: 上村's cases in the chart and table, not 下村's; the budget withheld."""
    walk("deliberation")
    walk("publicity", unit="xiacun", user="zhang.min", id_number=household_id(3))
    page = as_user(client, "wang.fang").get("/board").text
    assert "上村 · 评议：1" in page and "下村" not in page
    assert "案件 1" in page
    assert "预算按整个活动统筹" in page and "已预留" not in page


def test_the_inspector_sees_every_village_and_the_budget(
        client: TestClient, walk: Callable[..., Case]) -> None:
    """The county's inspection team: both villages, and allocated, committed, paid, left."""
    walk("deliberation")
    walk("publicity", unit="xiacun", user="zhang.min", id_number=household_id(3))
    page = as_user(client, "jiang.duban").get("/board").text
    assert "上村 · 评议：1" in page and "下村 · 公示：1" in page
    for head in ("预算", "已预留", "已发放", "结余"):
        assert f'<th class="num">{head}</th>' in page
    assert "226,000.00" in page and "账实相符" in page


def test_committed_money_shows_on_its_line(client: TestClient, engine: Engine,
                                          walk: Callable[..., Case]) -> None:
    """An approved severe case reserves 4,000 on the moderate/severe line."""
    walk("disbursement")
    page = as_user(client, "jiang.duban").get("/board").text
    row = next(r for r in page.split("<tr") if "中度" in r and "重度" in r)
    assert "4,000.00" in row


@pytest.mark.parametrize("user", ["qunzhong", "li.xiulan"])
def test_the_public_and_applicants_may_not_see_the_board(client: TestClient,
                                                         user: str) -> None:
    """No jurisdiction role: 403 with the reason, in Chinese first."""
    res = as_user(client, user).get("/board")
    assert res.status_code == 403 and "看板仅供对案件有管辖权的工作人员" in res.text


def test_an_unknown_campaign_is_404_and_escaped(client: TestClient) -> None:
    """/board/<img ...>: not found, the name escaped in the message."""
    markup = "<img src=x onerror=alert(1)>"
    res = as_user(client, "wang.fang").get("/board/" + markup)
    assert res.status_code == 404 and markup not in res.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in res.text


def test_overdue_deadlines_are_listed(client: TestClient, engine: Engine,
                                      walk: Callable[..., Case]) -> None:
    """A case still in deliberation after the lists were due is on the overdue list."""
    case = walk("deliberation")
    engine.set_clock(when=datetime.fromisoformat("2027-01-18T10:00+08:00"))
    page = as_user(client, "wang.fang").get("/board").text
    section = page.split('id="overdue"')[1].split("</section>")[0]
    assert f'href="/desk/cases/{case.number}"' in section and "2027-01-17" in section


def test_the_board_in_english(client: TestClient, walk: Callable[..., Case]) -> None:
    """?lang=en: English headings and state labels."""
    walk("deliberation")
    page = as_user(client, "wang.fang").get("/board?lang=en").text
    assert "Cases per village and state" in page and "Overdue" in page


# -- the inspector's view --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/inspect/verify", "/inspect/cases/CF27-000001",
                                  "/inspect/cases/CF27-999999"])
def test_others_are_refused_before_any_case_is_looked_up(
        client: TestClient, walk: Callable[..., Case], path: str) -> None:
    """A reviewer (even the county bureau's): 403, for a case that exists or not alike."""
    walk("deliberation")
    for user in ("wang.fang", "hu.kezhang"):
        with TestClient(client.app) as other:
            res = as_user(other, user).get(path)
            assert res.status_code == 403, (user, path)
            assert "查看案件在任意时刻的重放" in res.text or "校验全部记录" in res.text


def test_the_inspector_replays_a_case_as_of_a_moment(
        client: TestClient, engine: Engine, walk: Callable[..., Case]) -> None:
    """As of a day in the notice: in 公示; the review that came later is marked as after."""
    case = walk("preliminary_review")
    moment = datetime.fromisoformat("2027-01-05T12:00+08:00")
    res = as_user(client, "jiang.duban").get(
        f"/inspect/cases/{case.number}?as_of=2027-01-05T12:00%2B08:00")
    assert res.status_code == 200
    assert "2027-01-05 12:00 时案件处于「公示」" in res.text
    later = [e for e in engine.history(case.number) if e.at > moment]
    assert later and res.text.count("（在此时刻之后）") == len(later)
    assert "哈希链与重放结果校验通过" in res.text
    assert f'href="/inspect/cases/{case.number}?as_of=2027-01-04T01%3A00' in res.text


def test_a_plus_read_as_a_blank_and_a_time_without_zone_are_beijing_time(
        client: TestClient, walk: Callable[..., Case]) -> None:
    """?as_of=...T12:00 08:00 (a '+' a query string made a blank) and ...T12:00 alike."""
    case = walk("deliberation")
    c = as_user(client, "jiang.duban")
    one = c.get(f"/inspect/cases/{case.number}?as_of=2027-01-04T12:00 08:00")
    two = c.get(f"/inspect/cases/{case.number}?as_of=2027-01-04T12:00")
    assert one.status_code == two.status_code == 200
    assert "2027-01-04 12:00 时" in one.text and "2027-01-04 12:00 时" in two.text


def test_a_moment_before_the_case_or_not_a_time_is_answered_precisely(
        client: TestClient, walk: Callable[..., Case]) -> None:
    """Before submission: 422 saying when it was submitted; not a time: 400 with the format."""
    case = walk("deliberation")
    c = as_user(client, "jiang.duban")
    early = c.get(f"/inspect/cases/{case.number}?as_of=2026-12-01")
    assert early.status_code == 422 and "尚未提交" in early.text
    bad = c.get(f"/inspect/cases/{case.number}?as_of=soon")
    assert bad.status_code == 400 and "2027-01-04T09:00+08:00" in bad.text
    missing = c.get("/inspect/cases/CF27-999999")
    assert missing.status_code == 404


def test_the_replay_escapes_comments_and_masks_numbers(
        client: TestClient, engine: Engine, walk: Callable[..., Case]) -> None:
    """A comment with script and a phone number: escaped, the number masked."""
    case = walk("deliberation")
    engine.fire(case.number, "reject", "liu.qiang", comment=SCRIPT + " 13900001111")
    page = as_user(client, "jiang.duban").get(f"/inspect/cases/{case.number}").text
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert "13900001111" not in page and "331122195803120422" not in page


def test_the_whole_trail_verifies_and_a_tampered_case_is_named(
        client: TestClient, engine: Engine, walk: Callable[..., Case]) -> None:
    """/inspect/verify: verified; after an event is edited in the database, the case is
    named with a link to its replay."""
    from sqlalchemy import update

    from storage.tables import events

    case = walk("publicity")
    c = as_user(client, "jiang.duban")
    assert 'data-ok="true"' in c.get("/inspect/verify").text
    with engine.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(events).where(events.c.case_id == case.id, events.c.seq == 2)
                     .values(comment="改过"))
    page = c.get("/inspect/verify").text
    assert 'data-ok="false"' in page
    assert f'<a href="/inspect/cases/{case.number}">{case.number}</a>' in page


# -- the verification page of a printed paper ------------------------------------------


def test_a_printed_form_matches_and_then_changes(
        client: TestClient, engine: Engine, walk: Callable[..., Case]) -> None:
    """Print the form: matches (相符); fire one more transition: changed, with what and when."""
    case = walk("disbursement")
    path = printed_url(engine, case)
    first = client.get(path)
    assert first.status_code == 200 and status_of(first.text) == "matches"
    assert "相符" in first.text
    engine.fire(case.number, "disburse", "xu.lei",
                data={**DISBURSE, "amount_fen": standard_fen(engine, case)})
    second = client.get(path)
    assert second.status_code == 200 and status_of(second.text) == "changed"
    assert "已变更" in second.text and "入户发放" in second.text
    assert "与纸面不同：办理状态" in second.text


def test_the_verify_page_shows_only_what_the_paper_carries(
        client: TestClient, engine: Engine, walk: Callable[..., Case]) -> None:
    """Masked name and ID; no full ID, no phone, no actor."""
    case = walk("disbursement", phone="13900001111")
    page = client.get(printed_url(engine, case)).text
    assert "李*兰" in page and "331122********0422" in page
    for secret in ("李秀兰", "331122195803120422", "13900001111", "xu.lei", "徐磊"):
        assert secret not in page, secret


def test_an_unknown_or_malformed_code_is_404(client: TestClient, engine: Engine,
                                             walk: Callable[..., Case]) -> None:
    """A wrong tag and a code that is no code: 404, the second saying what a code looks like."""
    case = walk("disbursement")
    path = printed_url(engine, case)
    wrong = client.get(path[:-1] + ("0" if path[-1] != "0" else "1"))
    assert wrong.status_code == 404 and status_of(wrong.text) == "unknown"
    bad = client.get("/v/" + SCRIPT)
    assert bad.status_code == 404 and SCRIPT not in bad.text
    assert "CF27-000001-7K3QD-9XAB2" in bad.text


def test_the_verify_page_needs_no_login_and_sends_the_security_headers(
        client: TestClient, engine: Engine, walk: Callable[..., Case]) -> None:
    """No session, no redirect; the pages' CSP and no-store."""
    case = walk("disbursement")
    res = client.get(printed_url(engine, case), follow_redirects=False)
    assert res.status_code == 200
    assert "default-src 'self'" in res.headers["content-security-policy"]
    assert res.headers["cache-control"] == "no-store"


def test_look_ups_are_rate_limited_per_address(client: TestClient) -> None:
    """Thirty a minute from one address, then 429."""
    for _ in range(30):
        assert client.get("/v/CF27-000001-AAAAA-AAAAA").status_code == 404
    res = client.get("/v/CF27-000001-AAAAA-AAAAA")
    assert res.status_code == 429 and "查询过于频繁" in res.text


def test_a_typed_code_opens_its_page(client: TestClient, engine: Engine,
                                     walk: Callable[..., Case]) -> None:
    """/v/?code= as typed (lower case, blanks): redirected to its page, which matches."""
    case = walk("disbursement")
    code = printed_url(engine, case).removeprefix("/v/")
    typed = code.lower().replace("-", " ").replace(" ", "-", 1)
    res = client.get("/v/", params={"code": typed}, follow_redirects=False)
    assert res.status_code == 303
    assert status_of(client.get(res.headers["location"]).text) == "matches"
    assert 'name="code"' in client.get("/v/").text


def test_the_verify_page_in_english(client: TestClient, engine: Engine,
                                    walk: Callable[..., Case]) -> None:
    """?lang=en: the answer in English."""
    case = walk("disbursement")
    page = client.get(printed_url(engine, case) + "?lang=en").text
    assert "Matches: the paper agrees with the record" in page


def test_moving_a_case_on_is_what_changes_a_notice(
        client: TestClient, engine: Engine, walk: Callable[..., Case]) -> None:
    """A notice's row printed in the notice, checked after the reviews: changed."""
    from workflow.reporting import notice_list

    case = walk("publicity")
    html = render_html(notice_list(engine, "village", case.unit))
    path = re.search(r'data-verify-url="http://127\.0\.0\.1:8000(/v/[^"]+)"', html)
    assert path is not None
    move(engine, case.number, "second_review")
    page = client.get(path.group(1)).text
    assert status_of(page) == "changed" and "公示" in page


def test_the_replay_form_goes_to_the_case_asked_for(client: TestClient) -> None:
    """/inspect/cases?number=&as_of= (the form on /inspect/verify) redirects to the case."""
    res = as_user(client, "jiang.duban").get(
        "/inspect/cases", params={"number": " CF27-000001 ", "as_of": "2027-01-05T12:00"},
        follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == "/inspect/cases/CF27-000001?as_of=2027-01-05T12%3A00"
