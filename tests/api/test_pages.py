"""The pages without a browser (starlette's TestClient): login and its failures, the
rate limit, sessions that expire and end on logout, CSRF refusals that write nothing,
the desk scoped like the API, firing with a version and data in yuan, the reveal, the
bulk action, the public notice and its objections, and script escaped everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.helpers.cases import PROCESS, application, household_id
from tests.helpers.pages import PASSWORD, alerts, csrf_of, log_in, page_app
from workflow import Case, Engine
from workflow.bootstrap import open_tokens
from workflow.services.identity import create_token

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(page_app(engine)) as c:
        yield c


@pytest.fixture
def mine(engine: Engine) -> str:
    """A case of 上村 in its application, for wang.fang (上村's clerk)."""
    return engine.submit(PROCESS, "li.xiulan", application()).case_number


def test_a_page_without_a_session_redirects_to_login(client: TestClient) -> None:
    """/desk without a session sends the browser to /login and back."""
    res = client.get("/desk", follow_redirects=False)
    assert (res.status_code, res.headers["location"]) == (303, "/login?next=/desk")


def test_login_with_a_wrong_password_is_refused(client: TestClient) -> None:
    """A wrong password answers 401 with a message that names neither which was wrong."""
    assert log_in(client, "wang.fang", "not the password") == 401
    page = client.get("/login").text
    assert "bangfu_session" not in client.cookies
    res = client.post("/login", data={"csrf": csrf_of(page), "user": "nobody",
                                      "password": "x" * 12})
    assert res.status_code == 401 and alerts(res.text) == ["用户名或密码（令牌）不正确"]


def test_login_sets_an_httponly_samesite_session_cookie(client: TestClient) -> None:
    """A good password answers 303 to /desk with an HttpOnly, SameSite=Lax cookie."""
    token = csrf_of(client.get("/login").text)
    res = client.post("/login", data={"csrf": token, "user": "wang.fang",
                                      "password": PASSWORD}, follow_redirects=False)
    cookie = res.headers["set-cookie"].lower()
    assert res.status_code == 303 and res.headers["location"] == "/desk"
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_users_token_also_logs_in(engine: Engine, client: TestClient) -> None:
    """One of the user's API tokens in the password field logs that user in."""
    made = create_token(engine, open_tokens(engine), "admin", "zhang.min", timedelta(days=1))
    assert log_in(client, "", made.token) == 303
    assert "张敏" in client.get("/desk").text


def test_secure_cookies_when_the_base_url_is_https(engine: Engine) -> None:
    """A base URL on https gets Secure cookies (plain http on localhost does not)."""
    from api.pages.web import _secure_cookies

    assert _secure_cookies("https://bangfu.example.gov.cn") is True
    assert _secure_cookies("http://127.0.0.1:8000") is False


def test_failed_logins_are_rate_limited(client: TestClient) -> None:
    """Five failures for one user from one address, then 429 even with the right password."""
    for _ in range(5):
        assert log_in(client, "wang.fang", "wrong password!") == 401
    assert log_in(client, "wang.fang") == 429


def test_the_login_form_needs_its_csrf_token(client: TestClient) -> None:
    """A login post without the form's signed token is refused 403."""
    client.get("/login")
    res = client.post("/login", data={"user": "wang.fang", "password": PASSWORD},
                      follow_redirects=False)
    assert res.status_code == 403 and "bangfu_session" not in client.cookies


def test_a_session_expires_when_idle(engine: Engine, client: TestClient) -> None:
    """Half an hour unused on the engine's clock, and the desk asks to log in again."""
    assert log_in(client, "wang.fang") == 303
    assert client.get("/desk").status_code == 200
    engine.set_clock(advance=timedelta(minutes=31))
    res = client.get("/desk", follow_redirects=False)
    assert res.headers["location"] == "/login?next=/desk&expired=1"


def test_logout_ends_the_session(client: TestClient) -> None:
    """After logout the same cookie no longer opens the desk."""
    assert log_in(client, "wang.fang") == 303
    sid = client.cookies["bangfu_session"]
    res = client.post("/logout", data={"csrf": csrf_of(client.get("/desk").text)},
                      follow_redirects=False)
    assert res.headers["location"] == "/login"
    client.cookies.set("bangfu_session", sid)
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_the_desk_lists_the_users_queue(client: TestClient, mine: str) -> None:
    """wang.fang's desk lists 上村's case with what she may do on it."""
    log_in(client, "wang.fang")
    page = client.get("/desk").text
    assert mine in page and "受理" in page


def test_a_case_outside_the_users_units_is_404(engine: Engine, client: TestClient) -> None:
    """下村's case is not found for 上村's clerk, neither to read nor to fire."""
    theirs = engine.submit(PROCESS, "zhang.min", application(
        id_number=household_id(7), applicant_name="赵六")).case_number
    log_in(client, "wang.fang")
    token = csrf_of(client.get("/desk").text)
    assert client.get(f"/desk/cases/{theirs}").status_code == 404
    res = client.post(f"/desk/cases/{theirs}/fire",
                      data={"csrf": token, "trigger": "accept", "version": "1"})
    assert res.status_code == 404 and engine.get_case(theirs).version == 1


def test_a_forged_post_is_refused_and_writes_nothing(
        client: TestClient, mine: str,
        unchanged: Callable[..., AbstractContextManager[None]]) -> None:
    """A fire without the session's CSRF token answers 403 and the case is untouched."""
    log_in(client, "wang.fang")
    with unchanged(mine):
        res = client.post(f"/desk/cases/{mine}/fire",
                          data={"csrf": "forged", "trigger": "accept", "version": "1"})
    assert res.status_code == 403 and "表单安全校验未通过" in res.text


def test_a_post_from_another_origin_is_refused(client: TestClient, mine: str) -> None:
    """The right token sent from another site's page is still refused."""
    log_in(client, "wang.fang")
    token = csrf_of(client.get(f"/desk/cases/{mine}").text)
    res = client.post(f"/desk/cases/{mine}/fire", headers={"Origin": "https://evil.example"},
                      data={"csrf": token, "trigger": "accept", "version": "1"})
    assert res.status_code == 403


def test_fire_from_the_case_page(engine: Engine, client: TestClient, mine: str) -> None:
    """The accept form moves the case on and the page says it was done."""
    log_in(client, "wang.fang")
    token = csrf_of(client.get(f"/desk/cases/{mine}").text)
    res = client.post(f"/desk/cases/{mine}/fire",
                      data={"csrf": token, "trigger": "accept", "version": "1"})
    assert res.status_code == 200 and engine.get_case(mine).state == "deliberation"
    assert "已办理：受理" in res.text


def test_a_stale_page_is_refused_412(engine: Engine, client: TestClient, mine: str) -> None:
    """A form of version 1 after the case moved on is refused, nothing written."""
    log_in(client, "wang.fang")
    token = csrf_of(client.get(f"/desk/cases/{mine}").text)
    engine.fire(mine, "request_evidence", "wang.fang", comment="缺诊断证明")
    res = client.post(f"/desk/cases/{mine}/fire",
                      data={"csrf": token, "trigger": "withdraw", "version": "1",
                            "comment": "撤回"})
    assert res.status_code == 412 and "已被他人修改" in alerts(res.text)[0]
    assert engine.get_case(mine).version == 2


def test_a_missing_comment_is_named(client: TestClient, mine: str) -> None:
    """request_evidence without its required reason is refused with the CLI's message."""
    log_in(client, "wang.fang")
    token = csrf_of(client.get(f"/desk/cases/{mine}").text)
    res = client.post(f"/desk/cases/{mine}/fire",
                      data={"csrf": token, "trigger": "request_evidence", "version": "1"})
    assert res.status_code == 422 and "必须填写理由" in alerts(res.text)[0]


def test_money_is_entered_in_yuan(engine: Engine, client: TestClient,
                                  walk: Callable[..., Case]) -> None:
    """A delivery of 4,000.00 yuan typed on the form is stored as 400,000 fen."""
    case = walk("disbursement")
    client.cookies.clear()
    log_in(client, "xu.lei")
    page = client.get(f"/desk/cases/{case.number}").text
    assert 'name="f.amount_fen"' in page
    res = client.post(f"/desk/cases/{case.number}/fire", data={
        "csrf": csrf_of(page), "trigger": "disburse", "version": str(case.version),
        "f.amount_fen": "4,000.00", "f.photo_ref": "P-1", "f.recipient_signed": "是",
        "f.cadre_signed": "是", "f.collected_by_recipient": "是"})
    assert res.status_code == 200, alerts(res.text)
    assert engine.get_case(case.number).data["amount_fen"] == 400000


def test_reveal_needs_a_reason_and_is_recorded(engine: Engine, client: TestClient,
                                               mine: str) -> None:
    """Without a reason the reveal is refused; with one the full ID shows and the
    reveal is an event of the case."""
    log_in(client, "wang.fang")
    page = client.get(f"/desk/cases/{mine}").text
    assert "331122195803120422" not in page
    refused = client.post(f"/desk/cases/{mine}/reveal", data={"csrf": csrf_of(page)})
    assert refused.status_code == 422 and "331122195803120422" not in refused.text
    shown = client.post(f"/desk/cases/{mine}/reveal",
                        data={"csrf": csrf_of(page), "reason": "入户核对身份"})
    assert shown.status_code == 200 and "331122195803120422" in shown.text
    assert [e.kind for e in engine.history(mine)][-1] == "reveal"


def test_bulk_fires_one_trigger_with_a_result_per_case(
        engine: Engine, client: TestClient, new_case: Callable[..., str]) -> None:
    """Accept on two cases of 上村, one of them stale: one done, one refused, each said."""
    first, second = new_case(), new_case()
    log_in(client, "wang.fang")
    page = client.get("/desk/bulk?unit=shangcun&trigger=accept").text
    assert first in page and second in page
    engine.fire(second, "request_evidence", "wang.fang", comment="缺诊断证明")
    res = client.post("/desk/bulk", data={"csrf": csrf_of(page), "trigger": "accept",
                                          "case": [first, second], f"v.{first}": "1",
                                          f"v.{second}": "1"})
    assert res.status_code == 200
    assert engine.get_case(first).state == "deliberation"
    assert engine.get_case(second).state == "evidence_requested"
    assert "1 件完成" in res.text and "已被他人修改" in res.text


def test_the_notice_needs_no_login(client: TestClient, walk: Callable[..., Case]) -> None:
    """上村's notice lists the household with its category and amount, the ID masked."""
    walk("publicity")
    page = client.get("/notice/village/shangcun")
    assert page.status_code == 200 and "李秀兰" in page.text
    assert "331122195803120422" not in page.text and "331122********0422" in page.text


def test_an_unknown_notice_unit_is_a_clear_page(client: TestClient) -> None:
    """An unknown unit answers an HTML page naming it, not a traceback."""
    res = client.get("/notice/village/nowhere")
    assert res.status_code == 400 and "nowhere" in res.text and "<html" in res.text


def test_an_objection_is_recorded(engine: Engine, client: TestClient,
                                  walk: Callable[..., Case]) -> None:
    """The notice's form records an object event by the public's account."""
    case = walk("publicity")
    page = client.get("/notice/village/shangcun").text
    res = client.post("/notice/village/shangcun/object", data={
        "csrf": csrf_of(page), "case": case.number, "reason": "家中有车"})
    assert res.status_code == 201 and "异议已记录" in res.text
    last = engine.history(case.number)[-1]
    assert (last.trigger, last.actor) == ("object", "qunzhong")


def test_an_objection_without_the_forms_token_is_refused(
        client: TestClient, walk: Callable[..., Case],
        unchanged: Callable[..., AbstractContextManager[None]]) -> None:
    """A forged objection (no signed token) is refused 403, nothing written."""
    case = walk("publicity")
    with unchanged(case.number):
        res = client.post("/notice/village/shangcun/object",
                          data={"csrf": "1.a.b", "case": case.number, "reason": "x"})
    assert res.status_code == 403


def test_objections_are_rate_limited(client: TestClient, walk: Callable[..., Case]) -> None:
    """Five objections from one address in ten minutes, then a 429 page."""
    case = walk("publicity")
    token = csrf_of(client.get("/notice/village/shangcun").text)
    for _ in range(5):
        res = client.post("/notice/village/shangcun/object",
                          data={"csrf": token, "case": case.number, "reason": "家中有车"})
        assert res.status_code == 201
    res = client.post("/notice/village/shangcun/object",
                      data={"csrf": token, "case": case.number, "reason": "家中有车"})
    assert res.status_code == 429 and "提交过于频繁" in res.text


def test_script_is_escaped_on_every_page(engine: Engine, client: TestClient,
                                         walk: Callable[..., Case]) -> None:
    """A name and an objection holding <script> come out as text on the notice, the
    desk and the case page."""
    case = walk("publicity", applicant_name=SCRIPT)
    page = client.get("/notice/village/shangcun").text
    client.post("/notice/village/shangcun/object", data={
        "csrf": csrf_of(page), "case": case.number, "reason": SCRIPT})
    log_in(client, "yang.jing")
    for path in ("/notice/village/shangcun", "/desk", f"/desk/cases/{case.number}"):
        html = client.get(path).text
        assert "<script>" not in html, path
        assert "&lt;script&gt;" in html, path


def test_an_unknown_page_is_an_html_404(client: TestClient) -> None:
    """A mistyped desk address answers a page, while the API keeps its JSON 404."""
    page = client.get("/desk/nowhere/at/all")
    assert page.status_code == 404 and "没有这个页面" in page.text
    assert client.get("/v1/nowhere").headers["content-type"] == "application/problem+json"
