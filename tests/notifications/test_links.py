"""Messages that lead somewhere: robot, e-mail and SMS texts link to the case on the
reviewer's desk ({base_url}/desk/cases/{number}), the base URL configured once
(BANGFU_BASE_URL)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from jinja2 import Environment

from notifications import Dispatcher, NotifyConfig, Outgoing, Renderer
from notifications.channels.dingtalk import payload as dingtalk_payload
from notifications.channels.sms import SHORT, SmsChannel, sms_text
from notifications.channels.wecom import payload as wecom_payload
from notifications.config import SmsChannel as SmsSpec
from notifications.render import APPLICANTS, SHIPPED_TEMPLATES
from tests.helpers.servers import HttpServer
from workflow import Engine

BASE = "https://portal.example.org/bangfu"
CASE = {"case": "CF27-000007", "process": "relief_application", "version": 1,
        "unit": "shangcun", "seq": 3}
TIMER = {"timer": "lists_due", "deadline": "2027-01-17T09:30:00+00:00",
         "timer_label": {"zh": "名单报送乡镇时限", "en": "Lists due at the township"}}
#: every message to staff about a case, with a context it is written with
STAFF: dict[str, dict[str, object]] = {
    "waiting": {**CASE, "state": "deliberation", "from": "application", "trigger": "accept",
                "actor": "wang.fang", "comment": None},
    "notice_opened": {**CASE, "state": "publicity", "from": "deliberation",
                      "trigger": "pass_deliberation", "actor": "liu.qiang", "comment": None},
    "objection_received": {**CASE, "state": "objection_review", "from": "publicity",
                           "trigger": "object", "actor": "qunzhong", "comment": "有车"},
    "disbursement_due": {**CASE, "state": "disbursement", "from": "reported",
                         "trigger": "county_accept", "actor": "hu.kezhang", "comment": None},
    "reminder": {**CASE, "state": "deliberation", **TIMER},
    "escalation": {**CASE, "state": "deliberation", **TIMER},
    "overdue": {**CASE, "state": "deliberation", **TIMER},
    "recheck_due": {**CASE, "process": "hardship_archive", "state": "assisted",
                    "from": "assisted", "trigger": "recheck_due", "actor": "system",
                    "comment": None},
}
LINK = f"{BASE}/desk/cases/CF27-000007"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", sorted(STAFF))
def test_every_staff_message_about_a_case_links_to_it_on_the_desk(
        engine: Engine, kind: str, lang: str) -> None:
    """The body holds {base_url}/desk/cases/{number}."""
    rendered = Renderer(engine, links=BASE).render(kind, "liu.qiang", STAFF[kind], lang)
    assert LINK in rendered.body


def test_no_template_sends_people_to_log_in_somewhere_unnamed() -> None:
    """"请登录帮扶平台" (log in to a platform no message names) is gone from every template."""
    for path in SHIPPED_TEMPLATES.glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        assert "请登录帮扶平台" not in text and "relief portal" not in text, path.name


def test_the_digest_links_to_the_desk(engine: Engine) -> None:
    """The daily digest opens the queue: {base_url}/desk."""
    context = {"date": "2027-01-05", "as_of": "2027-01-05 08:30", "total": 0, "overdue": 0,
               "items": [], "more": 0, "deadlines": []}
    body = Renderer(engine, links=BASE).render("digest", "liu.qiang", context, "zh").body
    assert f"办理台：{BASE}/desk" in body


def test_the_applicants_decision_has_no_desk_link(engine: Engine) -> None:
    """Applicants do not work at the desk: their decision names whom to ask instead."""
    context = {**CASE, "state": "rejected", "from": "deliberation", "trigger": "reject",
               "actor": "liu.qiang", "comment": "评议未通过"}
    rendered = Renderer(engine, links=BASE).render("decision", "li.xiulan", context, "zh")
    assert "decision" in APPLICANTS and "case_url" not in rendered.variables
    assert BASE not in rendered.body and "乡镇社会事务办" in rendered.body


def test_the_base_url_comes_from_the_environment(engine: Engine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``links`` the renderer reads BANGFU_BASE_URL."""
    monkeypatch.setenv("BANGFU_BASE_URL", "https://county.example.org/")
    body = Renderer(engine).render("waiting", "liu.qiang", STAFF["waiting"], "zh").body
    assert "https://county.example.org/desk/cases/CF27-000007" in body


def test_without_configuration_links_go_to_the_local_server(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default base URL is http://127.0.0.1:8000."""
    monkeypatch.delenv("BANGFU_BASE_URL", raising=False)
    body = Renderer(engine).render("waiting", "liu.qiang", STAFF["waiting"], "en").body
    assert "http://127.0.0.1:8000/desk/cases/CF27-000007" in body


def test_a_case_number_in_a_link_is_escaped_for_the_url(engine: Engine) -> None:
    """A number with a character a path cannot hold is percent-encoded."""
    rendered = Renderer(engine, links=BASE).render(
        "waiting", "liu.qiang", {**STAFF["waiting"], "case": "CF27/1 x"}, "zh")
    assert f"{BASE}/desk/cases/CF27%2F1%20x" in rendered.body


# -- the channels ---------------------------------------------------------------------


def outgoing(subject: str, body: str, link: str | None, kind: str = "reminder") -> Outgoing:
    from datetime import UTC, datetime

    context = {"case": "CF27-000007", "kind_label": "提醒",
               **({"case_url": link} if link else {})}
    return Outgoing("m/sms", "m", kind, "13900001111", subject, body,
                    datetime(2027, 1, 5, tzinfo=UTC), "liu.qiang", context)


def test_an_sms_ends_with_the_whole_link() -> None:
    """The subject is shortened, never the link; the text stays one segment where it can."""
    subject = "【提醒】案件 CF27-000007「名单报送乡镇时限」将于 2027-01-17 17:30 截止，请抓紧办理"
    text = sms_text(subject, LINK)
    assert text.endswith(" " + LINK) and len(text) <= SHORT + 10
    assert text.startswith("【提醒】案件 CF27-000007")


def test_an_sms_subject_is_masked_before_the_link(http_server: HttpServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway receives the masked subject, the link and a link parameter."""
    monkeypatch.setenv("T_SMS", f"{http_server.url}/sms")
    http_server.answers = [(200, {"code": "OK"})]
    spec = SmsSpec(type="sms", url_env="T_SMS", templates={"default": "SMS_0"},
                   params={"link": "{{ case_url | default('') }}"})
    channel = SmsChannel("sms", spec, lambda s, v: Environment().from_string(s).render(v))
    try:
        channel.send(outgoing("【提醒】李秀兰 13900001111", "", LINK))
    finally:
        channel.close()
    body = http_server.requests[0].json
    assert body["text"].endswith(LINK) and "13900001111" not in body["text"]
    assert body["params"] == {"link": LINK}


def test_an_sms_without_a_link_is_just_the_subject() -> None:
    """The applicant's decision (no case_url) keeps the old short text."""
    assert sms_text("【办理结果】案件 CF27-000007：不予通过", None) == "【办理结果】案件 CF27-000007：不予通过"


@pytest.mark.parametrize("make", [wecom_payload, dingtalk_payload])
def test_robot_markdown_shows_the_link_as_a_link(make: Callable[..., dict[str, object]]
                                                 ) -> None:
    """WeCom and DingTalk Markdown: [url](url), which both robots render as a link."""
    payload = make(outgoing("【督办】案件 CF27-000007", f"请督促。\n办理：{LINK}", LINK), "markdown")
    text = str(payload["markdown"])
    assert f"[{LINK}]({LINK})" in text


def test_robot_text_keeps_the_bare_link() -> None:
    """Plain text robots: the URL as it is (clients link it themselves)."""
    payload = wecom_payload(outgoing("【督办】", f"办理：{LINK}", LINK), "text")
    assert f"办理：{LINK}" in str(payload["text"]) and "](" not in str(payload["text"])


def test_a_real_transition_mails_the_link_to_the_case(
        engine: Engine, new_case: Callable[..., str], make_config: Callable[[str], NotifyConfig],
        make_dispatcher: Callable[[NotifyConfig], Dispatcher], console: io.StringIO,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Submit a case: the village staff's message, as sent, opens that case on the desk."""
    monkeypatch.setenv("BANGFU_BASE_URL", BASE)
    number = new_case()
    config = make_config("""
notifications: t
channels:
  console: {type: console, format: full}
routes:
  - kinds: [waiting]
    channels: [console]
""")
    assert make_dispatcher(config).run_once().sent == 1
    assert f"{BASE}/desk/cases/{number}" in console.getvalue()


def test_a_base_url_that_is_not_one_stops_the_renderer_with_a_message(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A misconfigured BANGFU_BASE_URL is refused when the dispatcher starts, not per message."""
    from workflow.errors import UsageError

    monkeypatch.setenv("BANGFU_BASE_URL", "portal.example.org")
    with pytest.raises(UsageError) as caught:
        Renderer(engine)
    assert "BANGFU_BASE_URL" in caught.value.localized("zh")
