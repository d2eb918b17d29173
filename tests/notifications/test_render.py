"""Templates: one per message kind in Chinese and English, rendered with the
definition's labels; an unknown name is an error, not an empty string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notifications import Renderer, RenderError
from notifications.channels.sms import short_text
from notifications.render import KIND_LABELS, SHIPPED_TEMPLATES
from workflow import Engine

CASE = {"case": "CF27-000007", "process": "relief_application", "version": 1,
        "unit": "shangcun", "seq": 3}
CONTEXTS: dict[str, dict[str, Any]] = {
    "waiting": {**CASE, "state": "deliberation", "from": "application", "trigger": "accept",
                "actor": "wang.fang", "comment": None},
    "notice_opened": {**CASE, "state": "publicity", "from": "deliberation",
                      "trigger": "pass_deliberation", "actor": "liu.qiang", "comment": None},
    "objection_received": {**CASE, "state": "objection_review", "from": "publicity",
                           "trigger": "object", "actor": "qunzhong",
                           "comment": "反映其家中有车，电话 139****1111"},
    "disbursement_due": {**CASE, "state": "disbursement", "from": "reported",
                         "trigger": "county_accept", "actor": "hu.kezhang", "comment": None},
    "decision": {**CASE, "state": "rejected", "from": "deliberation", "trigger": "reject",
                 "actor": "liu.qiang", "comment": "评议未通过"},
    "reminder": {"case": "CF27-000007", "process": "relief_application", "unit": "shangcun",
                 "state": "deliberation", "timer": "lists_due",
                 "timer_label": {"zh": "名单报送乡镇时限", "en": "Lists due at the township"},
                 "deadline": "2027-01-17T09:30:00+00:00", "seq": 1},
    "digest": {"date": "2027-01-05", "as_of": "2027-01-05 08:30", "total": 2, "overdue": 1,
               "items": [{"case": "CF27-000007", "unit_label": "上村", "state_label": "评议",
                          "since": "2027-01-04 10:00", "deadline": "2027-01-17 17:30",
                          "overdue": True}],
               "more": 1, "deadlines": [{"case": "CF27-000007", "label": "名单报送乡镇时限",
                                         "deadline": "2027-01-17 17:30", "overdue": True}]},
    "test": {"channel": "email", "sent_local": "2027-01-04 09:00"},
}
CONTEXTS["recheck_due"] = {**CASE, "process": "hardship_archive", "state": "assisted",
                           "from": "assisted", "trigger": "recheck_due", "actor": "system",
                           "comment": None}
CONTEXTS["escalation"] = CONTEXTS["reminder"]
CONTEXTS["overdue"] = {**CONTEXTS["reminder"], "timer": "completion_target",
                       "timer_label": {"zh": "完成时限", "en": "Completion target"}}


def test_every_kind_has_both_languages() -> None:
    """A zh and an en template for every kind the dispatcher sends."""
    for kind in KIND_LABELS:
        for lang in ("zh", "en"):
            assert (SHIPPED_TEMPLATES / f"{kind}.{lang}.j2").is_file(), (kind, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", sorted(KIND_LABELS))
def test_every_template_renders(engine: Engine, kind: str, lang: str) -> None:
    """Each template renders a subject and a body from a realistic context."""
    rendered = Renderer(engine).render(kind, "liu.qiang", CONTEXTS[kind], lang)
    text = rendered.subject + "\n" + rendered.body
    assert rendered.subject and rendered.body
    assert "None" not in text and "{{" not in text and "{%" not in text
    if kind not in ("digest", "test"):
        assert "CF27-000007" in rendered.subject
    if lang == "zh":
        assert "刘强" in text  # the recipient's name from the org
    else:
        assert "liu.qiang" not in rendered.subject


def test_labels_come_from_the_definition(engine: Engine) -> None:
    """State, trigger, unit and person are shown by their labels, in the chosen language."""
    zh = Renderer(engine).render("waiting", "liu.qiang", CONTEXTS["waiting"], "zh")
    assert "「评议」" in zh.subject + zh.body
    assert "青山县 / 东岭镇 / 上村" in zh.body
    assert "王芳" in zh.body and "受理" in zh.body
    en = Renderer(engine).render("waiting", "liu.qiang", CONTEXTS["waiting"], "en")
    assert "Deliberation" in en.subject and "Shangcun Village" in en.body


def test_deadline_in_local_time(engine: Engine) -> None:
    """Deadlines are shown in Asia/Shanghai time, as staff read them."""
    r = Renderer(engine).render("reminder", "liu.qiang", CONTEXTS["reminder"], "zh")
    assert "2027-01-17 17:30" in r.subject and "名单报送乡镇时限" in r.subject


def test_group_message_greets_the_group(engine: Engine) -> None:
    """A robot message has no single recipient: it greets the group."""
    r = Renderer(engine).render("reminder", None, CONTEXTS["reminder"], "zh")
    assert r.body.startswith("各位同事，您好：")


def test_unknown_field_is_an_error(engine: Engine, tmp_path: Path) -> None:
    """A template naming a field the message lacks fails loudly (StrictUndefined)."""
    (tmp_path / "waiting.zh.j2").write_text("【待办】{{ case }} {{ applicant_phone }}\n正文\n",
                                            encoding="utf-8")
    with pytest.raises(RenderError) as info:
        Renderer(engine, tmp_path).render("waiting", "liu.qiang", CONTEXTS["waiting"], "zh")
    assert "applicant_phone" in info.value.en


def test_override_folder_wins(engine: Engine, tmp_path: Path) -> None:
    """A template in the configured folder replaces the shipped one; the rest stay."""
    (tmp_path / "waiting.zh.j2").write_text("自定义 {{ case }}\n正文", encoding="utf-8")
    renderer = Renderer(engine, tmp_path)
    assert renderer.render("waiting", "liu.qiang", CONTEXTS["waiting"], "zh").subject == \
        "自定义 CF27-000007"
    assert "【提醒】" in renderer.render("reminder", "liu.qiang", CONTEXTS["reminder"],
                                        "zh").subject


def test_templates_are_sandboxed(engine: Engine) -> None:
    """Templates are data: no reaching into Python internals."""
    with pytest.raises(RenderError):
        Renderer(engine).render_string("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_sms_text_is_short_and_masked() -> None:
    """SMS text never carries a full phone or ID number and fits one segment."""
    text = short_text("【异议】案件 CF27-000007 电话 13900001111 身份证 331122195803120422 "
                      + "很长的说明" * 20)
    assert "13900001111" not in text and "331122195803120422" not in text
    assert len(text) <= 70
