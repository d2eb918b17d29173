"""The daily digest: once a day per reviewer at the configured local time,
listing the queue and its deadlines; a long queue's per-case messages wait
for it instead of going one by one."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from notifications import NotifyConfig, plan_digests, queues
from tests.helpers.servers import SmtpServer
from workflow import Engine

MakeConfig = Callable[[str], NotifyConfig]


def digest_config(at: str, limit: int = 10, channels: str = "[console]", extra: str = "") -> str:
    return f"""
notifications: t
channels:
  console: {{type: console, format: full}}
  {extra}
routes:
  - {{kinds: [waiting], channels: [console]}}
digest: {{at: "{at}", channels: {channels}, per_case_limit: {limit}}}
"""


def test_queue_is_what_waits_for_each_reviewer(engine: Engine, new_case: Callable[..., str],
                                               walk: Callable[..., Any]) -> None:
    """Cases in a state whose responsible role a user holds, in their jurisdiction."""
    a = new_case()
    b = walk("deliberation").number
    found = {u: [c.number for c in cs] for u, cs in queues(engine).items()}
    assert found["wang.fang"] == [a] and found["liu.qiang"] == [b]
    assert "yang.jing" not in found


def test_long_queue_waits_for_the_digest(engine: Engine, new_case: Callable[..., str],
                                         make_config: MakeConfig,
                                         make_dispatcher: Callable[..., Any],
                                         console: io.StringIO) -> None:
    """wang.fang has more cases than per_case_limit: no per-case messages, they are digested."""
    new_case()
    new_case()
    d = make_dispatcher(make_config(digest_config("23:00", limit=1)))
    report = d.run_once()
    assert (report.sent, report.digests) == (0, 0)
    assert {r["status"] for r in d.store.deliveries()} == {"digested"}
    assert console.getvalue() == ""
    assert d.status()["channels"]["console"] == {"digested": 2}


def test_digest_once_a_day_at_its_time(engine: Engine, new_case: Callable[..., str],
                                       walk: Callable[..., Any], make_config: MakeConfig,
                                       make_dispatcher: Callable[..., Any],
                                       console: io.StringIO) -> None:
    """Not before 10:00 local; then one per reviewer, listing cases and deadlines; not twice."""
    new_case()
    b = walk("deliberation").number
    d = make_dispatcher(make_config(digest_config("10:00").replace(
        "routes:\n  - {kinds: [waiting], channels: [console]}\n", "")))
    reviewers = sorted(queues(engine))
    assert {"wang.fang", "liu.qiang"} <= set(reviewers)
    assert d.run_once().digests == 0  # 09:00
    engine.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    report = d.run_once()
    assert report.digests == report.sent == len(reviewers)
    text = console.getvalue()
    assert "→ liu.qiang" in text and "→ wang.fang" in text
    assert f"{b}　上村　「评议」　时限 2027-01-17" in text
    assert "近期时限" not in text  # 13 days away: beyond the 3-day horizon
    assert "【每日待办汇总】2027-01-04 您有 1 件案件待办" in text
    assert d.run_once().digests == 0
    engine.clock.advance(timedelta(hours=23, minutes=59))  # type: ignore[attr-defined]
    assert d.run_once().digests == 0  # 09:59 the next day
    engine.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    assert d.run_once().digests == len(reviewers)
    ids = sorted(r["message_id"] for r in d.store.deliveries())
    assert ids == sorted(f"digest:{u}:{day}" for u in reviewers
                         for day in ("2027-01-04", "2027-01-05"))


def test_digest_by_email(engine: Engine, walk: Callable[..., Any], make_config: MakeConfig,
                         make_dispatcher: Callable[..., Any], smtp_server: SmtpServer) -> None:
    """The digest goes by e-mail to reviewers with an address, with upcoming deadlines."""
    walk("deliberation")
    d = make_dispatcher(make_config(digest_config(
        "08:30", channels="[email]",
        extra=f"email: {{type: smtp, host: 127.0.0.1, port: {smtp_server.port}, "
              "security: none, sender: bangfu@example.org}")))
    engine.clock.advance(timedelta(days=11))  # type: ignore[attr-defined]
    d.run_once()
    (mail,) = smtp_server.messages
    assert mail["To"] == "liu.qiang@example.org"
    assert mail["Subject"] == "【每日待办汇总】2027-01-15 您有 1 件案件待办"
    body = mail.get_content()  # type: ignore[attr-defined]
    assert "近期时限" in body and "名单报送乡镇时限" in body


def test_plan_lists_overdue_cases_first(engine: Engine, walk: Callable[..., Any],
                                        new_case: Callable[..., str]) -> None:
    """Past deadlines count as overdue and come first."""
    from notifications.config import config_from_text

    late = walk("deliberation").number
    config = config_from_text(digest_config("08:30"), "t.yaml")
    assert config.digest is not None
    now = datetime.fromisoformat("2027-01-18T09:00+08:00")
    (plan,) = [p for p in plan_digests(engine, config.digest, now, ("zh",))
               if p.user == "liu.qiang"]
    context = plan.contexts["zh"]
    assert context["overdue"] == 1 and context["items"][0]["case"] == late
    assert context["items"][0]["overdue"] is True
