"""The dispatcher: outbox rows become deliveries, sent once; failures are
retried with backoff on the simulated clock, then dead-lettered; rate limits,
group robots, portal webhooks, and the ``bangfu notify`` commands."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli_commands.notify import notify_app
from notifications import (
    DEFAULT_CONFIG,
    Dispatcher,
    DispatchReport,
    NotifyConfig,
    TokenBucket,
    backoff,
)
from notifications.config import Retry
from tests.helpers.cases import LI_ID, application, household_id
from tests.helpers.servers import HttpServer, SmtpServer
from workflow import Engine, SimulatedClock
from workflow.bootstrap import open_outbox

MakeConfig = Callable[[str], NotifyConfig]
MakeDispatcher = Callable[[NotifyConfig], Dispatcher]

CONSOLE = """
notifications: t
channels:
  console: {type: console, format: full}
routes:
  - kinds: [waiting, notice_opened, objection_received, disbursement_due, decision,
            reminder, escalation, overdue]
    channels: [console]
"""


def robot_config(extra: str = "", rate: str = "") -> str:
    return f"""
notifications: t
channels:
  robot: {{type: wecom, url_env: T_ROBOT, timeout: 5{rate}}}
robots:
  - {{unit: dongling, channel: robot, kinds: [waiting]}}
{extra}
"""


def rows(d: Dispatcher, **kw: Any) -> list[dict[str, Any]]:
    return d.store.deliveries(**kw)


def test_transition_message_is_sent_once(engine: Engine, new_case: Callable[..., str],
                                         make_config: MakeConfig, make_dispatcher: MakeDispatcher,
                                         console: io.StringIO) -> None:
    """A submission tells the village staff; a second pass sends nothing again."""
    number = new_case()
    d = make_dispatcher(make_config(CONSOLE))
    report = d.run_once()
    assert (report.expanded, report.sent, report.failed, report.dead) == (1, 1, 0, 0)
    text = console.getvalue()
    assert "→ wang.fang" in text and f"【待办】案件 {number}" in text
    assert d.run_once().sent == 0
    assert console.getvalue() == text
    (row,) = rows(d)
    assert row["status"] == "sent" and row["attempts"] == 1
    assert row["delivery_id"].endswith(":waiting:wang.fang/console")


def test_recipient_without_address_is_dead_lettered(
        engine: Engine, make_config: MakeConfig, make_dispatcher: MakeDispatcher,
        smtp_server: SmtpServer) -> None:
    """ma.hui has no e-mail address: that delivery is dead with the reason, the console one is sent."""
    engine.submit("relief_application", "zhao.jianguo", application(), unit="liujia")
    d = make_dispatcher(make_config(CONSOLE.replace(
        "  console: {type: console, format: full}",
        "  console: {type: console, format: full}\n"
        f"  email: {{type: smtp, host: 127.0.0.1, port: {smtp_server.port}, security: none,"
        " sender: bangfu@example.org}").replace("channels: [console]",
                                                "channels: [console, email]")))
    report = d.run_once()
    assert (report.sent, report.dead) == (1, 1)
    (dead,) = rows(d, status=["dead"])
    assert dead["channel"] == "email" and dead["recipient"] == "ma.hui"
    assert "no e-mail address" in dead["last_error"]
    assert d.status()["problems"][0]["delivery_id"] == dead["delivery_id"]
    assert smtp_server.messages == []


def test_template_error_dead_letters_one_delivery_and_goes_on(
        engine: Engine, new_case: Callable[..., str], make_config: MakeConfig,
        make_dispatcher: MakeDispatcher, tmp_path: Path, console: io.StringIO) -> None:
    """A template naming an unknown field kills its delivery with the reason; the rest go."""
    (tmp_path / "waiting.zh.j2").write_text("{{ case }} {{ applicant_phone }}\n", "utf-8")
    new_case()
    d = make_dispatcher(make_config(f"""
notifications: t
templates: {tmp_path}
channels:
  console: {{type: console}}
  console_en: {{type: console, lang: en}}
routes:
  - {{kinds: [waiting], channels: [console, console_en]}}
"""))
    report = d.run_once()
    assert (report.sent, report.dead) == (1, 1)
    (dead,) = rows(d, status=["dead"])
    assert dead["channel"] == "console" and "applicant_phone" in dead["last_error"]
    assert "[Waiting for you]" in console.getvalue()


def test_failures_back_off_then_dead_letter_then_retry(
        engine: Engine, new_case: Callable[..., str], make_config: MakeConfig,
        make_dispatcher: MakeDispatcher, http_server: HttpServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP 500: retried after 15-30 s, then 30-60 s, dead after 3 tries; retry re-queues it."""
    monkeypatch.setenv("T_ROBOT", f"{http_server.url}/send?key=k")
    http_server.answers = [(500, b"oops")]
    new_case()
    d = make_dispatcher(make_config(robot_config("retry: {max_attempts: 3, base: 30s, cap: 1h}")))
    clock = engine.clock
    assert d.run_once().failed == 1
    (row,) = rows(d)
    wait = row["next_attempt_at"] - clock.now()
    assert row["status"] == "failed" and row["attempts"] == 1
    assert timedelta(seconds=15) <= wait <= timedelta(seconds=30)
    assert "HTTP 500" in row["last_error"]
    assert d.run_once().failed == 0 and len(http_server.requests) == 1  # not due yet
    clock.advance(wait)  # type: ignore[attr-defined]
    assert d.run_once().failed == 1 and len(http_server.requests) == 2
    (row,) = rows(d)
    wait = row["next_attempt_at"] - clock.now()
    assert timedelta(seconds=30) <= wait <= timedelta(seconds=60)
    clock.advance(wait)  # type: ignore[attr-defined]
    assert d.run_once().dead == 1 and len(http_server.requests) == 3
    clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    assert d.run_once().sent == 0 and len(http_server.requests) == 3
    problems = d.status()["problems"]
    assert [p["status"] for p in problems] == ["dead"] and problems[0]["attempts"] == 3
    http_server.answers = [(200, {"errcode": 0, "errmsg": "ok"})]
    assert d.retry(str(problems[0]["id"])) == [problems[0]["delivery_id"]]
    assert d.run_once().sent == 1
    assert rows(d)[0]["status"] == "sent"


def test_backoff_is_exponential_capped_and_jittered() -> None:
    """delay = min(cap, base·2^(n-1)) × [0.5, 1]."""
    policy = Retry(max_attempts=10, base=timedelta(seconds=30), cap=timedelta(minutes=10))
    rng = random.Random(3)
    for n in range(1, 10):
        raw = min(policy.cap, policy.base * 2 ** (n - 1))
        assert raw / 2 <= backoff(policy, n, rng) <= raw
    delays = {backoff(policy, 2, random.Random(seed)) for seed in range(5)}
    assert len(delays) == 5  # jitter: not in step


def test_token_bucket_on_a_given_clock() -> None:
    """20 at once, then one every 3 s."""
    start = datetime.fromisoformat("2027-01-04T09:00+08:00")
    bucket = TokenBucket(20 / 60, 20, start)
    assert all(bucket.take(start) for _ in range(20))
    assert not bucket.take(start)
    assert bucket.take(start + timedelta(seconds=3))
    assert not bucket.take(start + timedelta(seconds=3))


def test_robot_rate_limit_holds_the_rest(engine: Engine, make_config: MakeConfig,
                                         make_dispatcher: MakeDispatcher,
                                         http_server: HttpServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A robot gets 20 messages a minute: 20 go, 5 wait until the clock has moved 15 s."""
    monkeypatch.setenv("T_ROBOT", f"{http_server.url}/send?key=k")
    d = make_dispatcher(make_config(robot_config()))
    now = engine.clock.now()
    with d.store.transaction() as tx:
        tx.add_deliveries([{
            "delivery_id": f"m{i}/robot", "message_id": f"m{i}", "outbox_id": None,
            "case_id": None, "kind": "test", "channel": "robot", "recipient": None,
            "address": "@dongling", "context": {"channel": "robot", "sent_local": "now"},
            "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
            "last_error": None} for i in range(25)])
    report = d.run_once()
    assert (report.sent, report.deferred) == (20, 5)
    assert d.run_once().sent == 0
    engine.clock.advance(timedelta(seconds=15))  # type: ignore[attr-defined]
    assert d.run_once().sent == 5
    assert len(http_server.requests) == 25


def test_group_robot_gets_one_message_per_event(
        engine: Engine, new_case: Callable[..., str], make_config: MakeConfig,
        make_dispatcher: MakeDispatcher, http_server: HttpServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two panel members are told of one case: the township's group hears it once."""
    monkeypatch.setenv("T_ROBOT", f"{http_server.url}/send?key=k")
    # Not li.xiulan's household: sun.li of the panel is related to her and is not told.
    number = new_case("wang.fang", unit="shangcun", applicant_name="张桂英",
                      id_number=household_id(900))
    engine.fire(number, "accept", "wang.fang")
    d = make_dispatcher(make_config(robot_config()))
    waiting = [m for m in engine.store.messages("waiting")]  # type: ignore[attr-defined]
    assert {m["recipient"] for m in waiting if m["event_seq"] == 2} == {"liu.qiang", "sun.li"}
    report = d.run_once()
    assert (report.expanded, report.sent) == (2, 1)
    (request,) = http_server.requests
    content = request.json["markdown"]["content"]
    assert "各位同事，您好：" in content and "「评议」" in content


def test_a_claim_lost_to_a_crash_is_sent_again_after_its_lease(
        engine: Engine, new_case: Callable[..., str], make_config: MakeConfig,
        make_dispatcher: MakeDispatcher, console: io.StringIO) -> None:
    """Killed between send and mark: after the lease the same delivery id goes again.
    The lease runs on the real clock: a simulated clock that stands still (or jumps)
    neither keeps the delivery stuck nor frees it early."""
    new_case()
    d = make_dispatcher(make_config(CONSOLE))
    wall = SimulatedClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    d.wall = wall
    report = DispatchReport()
    d.expand(report)
    assert report.expanded == 1
    now = engine.clock.now()
    with d.store.transaction() as tx:
        (claimed,) = tx.claim_due(now, "console", 10, wall.now() + timedelta(minutes=5),
                                  wall.now())
    assert d.run_once().sent == 0  # still leased to the dead process
    engine.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    assert d.run_once().sent == 0  # the business clock does not end a real lease
    wall.advance(timedelta(minutes=5))
    assert d.run_once().sent == 1
    assert claimed["delivery_id"] in console.getvalue()
    (row,) = rows(d)
    assert row["status"] == "sent" and row["attempts"] == 2


# -- portal webhooks ------------------------------------------------------------

def hook_config(start: str = "beginning", events: str = "[]") -> str:
    return f"""
notifications: t
channels:
  portal: {{type: webhook, url_env: T_HOOK, secret_env: T_HOOK_SECRET, timeout: 5}}
webhooks:
  - {{id: county, channel: portal, start: {start}, events: {events}}}
"""


@pytest.fixture
def hook_env(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> HttpServer:
    monkeypatch.setenv("T_HOOK", f"{http_server.url}/hook")
    monkeypatch.setenv("T_HOOK_SECRET", "portal-secret")
    http_server.answers = [(204, b"")]
    return http_server


def test_webhook_gets_every_event_once_signed_and_masked(
        engine: Engine, new_case: Callable[..., str], make_config: MakeConfig,
        make_dispatcher: MakeDispatcher, hook_env: HttpServer) -> None:
    """Each event once, its hash as message id, verifiable, personal data masked."""
    from notifications import verify_webhook

    number = new_case()
    engine.fire(number, "accept", "wang.fang")
    d = make_dispatcher(make_config(hook_config()))
    report = d.run_once()
    assert (report.webhook_events, report.sent) == (2, 2)
    history = engine.history(number)
    assert [r.headers["x-bangfu-message-id"] for r in hook_env.requests] == \
        [e.hash for e in history]
    now = engine.clock.now().timestamp()
    for req in hook_env.requests:
        assert verify_webhook("portal-secret", req.headers["x-bangfu-timestamp"], req.body,
                              req.headers["x-bangfu-signature"], now)
    submitted = hook_env.requests[0].json
    assert submitted["type"] == "submitted" and submitted["case"]["number"] == number
    assert LI_ID not in hook_env.requests[0].body.decode()
    assert submitted["data"]["applicant_name"] == "李*兰"
    assert hook_env.requests[1].json["dest"] == "deliberation"
    assert d.run_once().sent == 0
    engine.fire(number, "pass_deliberation", "liu.qiang")
    assert d.run_once().sent == 1
    assert d.status()["webhooks"]["county"]["behind"] == 0


def test_new_webhook_starts_at_the_latest_event_and_filters_kinds(
        engine: Engine, new_case: Callable[..., str], make_config: MakeConfig,
        make_dispatcher: MakeDispatcher, hook_env: HttpServer) -> None:
    """'start: latest' skips the history; 'events' picks the kinds."""
    number = new_case()
    d = make_dispatcher(make_config(hook_config("latest", "[transition]")))
    assert d.run_once().sent == 0
    new_case()
    engine.fire(number, "accept", "wang.fang")
    assert d.run_once().sent == 1
    assert hook_env.requests[0].json["trigger"] == "accept"


# -- what the demo shows ----------------------------------------------------------

def test_reminders_and_escalation_show_on_the_console_and_in_status(
        engine: Engine, walk: Callable[..., Any], console: io.StringIO) -> None:
    """Deadlines of a late village: reminders, then an escalation to the first responsible."""
    walk("deliberation")
    d = Dispatcher(engine, DEFAULT_CONFIG, outbox=open_outbox(engine), stream=console)
    engine.set_clock(when=datetime.fromisoformat("2027-01-16T10:00+08:00"))
    d.run_once()
    engine.set_clock(when=datetime.fromisoformat("2027-01-18T10:00+08:00"))
    d.run_once()
    text = console.getvalue()
    assert "【提醒】" in text and "【督办】" in text and "→ chen.shuji" in text
    kinds = d.status()["kinds"]
    assert kinds["reminder"]["sent"] >= 1 and kinds["escalation"]["sent"] >= 1
    d.close()


def test_reminder_whose_deadline_passed_during_downtime_is_dropped_not_sent(
        engine: Engine, walk: Callable[..., Any], console: io.StringIO) -> None:
    """Catch-up after downtime: the reminders of 15 and 16 Jan, first dispatched on 18 Jan
    after their deadline (17 Jan), are dropped with the reason; the escalation goes out."""
    walk("deliberation")
    engine.set_clock(when=datetime.fromisoformat("2027-01-18T10:00+08:00"))
    d = Dispatcher(engine, DEFAULT_CONFIG, outbox=open_outbox(engine), stream=console)
    report = d.run_once()
    text = console.getvalue()
    assert "【提醒】" not in text and "【督办】" in text
    assert report.dropped >= 1
    reminders = rows(d, status=None)
    dropped = [r for r in reminders if r["kind"] == "reminder"]
    assert dropped and {r["status"] for r in dropped} == {"dropped"}
    assert all(r["sent_at"] is None for r in dropped)
    assert "2027-01-17 23:59 had passed" in dropped[0]["last_error"]
    info = d.status(lang="zh")
    assert info["kinds"]["reminder"] == {"dropped": len(dropped)}
    problem = next(p for p in info["problems"] if p["status"] == "dropped")
    assert problem["reason"].startswith("提醒所指的时限 2027-01-17 23:59")
    d.close()


def test_reminder_retried_past_its_deadline_is_dropped(
        engine: Engine, walk: Callable[..., Any], tmp_path: Path,
        make_config: MakeConfig, make_dispatcher: MakeDispatcher,
        http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reminder that failed before its deadline is not retried after it: dropped."""
    walk("deliberation")
    engine.set_clock(when=datetime.fromisoformat("2027-01-16T10:00+08:00"))
    monkeypatch.setenv("T_ROBOT", f"{http_server.url}/send?key=k")
    http_server.answers = [(503, {"errcode": -1, "errmsg": "busy"})]
    d = make_dispatcher(make_config(robot_config().replace("kinds: [waiting]",
                                                           "kinds: [reminder]")))
    first = d.run_once()
    assert first.failed >= 1 and first.dropped == 0
    engine.set_clock(when=datetime.fromisoformat("2027-01-18T10:00+08:00"))
    http_server.answers = [(200, {"errcode": 0, "errmsg": "ok"})]
    tried = len(http_server.requests)
    second = d.run_once()
    assert second.dropped >= 1 and len(http_server.requests) == tried
    statuses = {r["status"] for r in rows(d) if r["kind"] == "reminder"}
    assert statuses == {"dropped"}


def test_dead_letter_reasons_are_chinese_in_chinese_status(
        engine: Engine, make_config: MakeConfig, make_dispatcher: MakeDispatcher,
        smtp_server: SmtpServer) -> None:
    """notify status in Chinese gives the reason of a dead delivery in Chinese."""
    engine.submit("relief_application", "zhao.jianguo", application(), unit="liujia")
    d = make_dispatcher(make_config(CONSOLE.replace(
        "  console: {type: console, format: full}",
        f"  email: {{type: smtp, host: 127.0.0.1, port: {smtp_server.port}, security: none,"
        " sender: bangfu@example.org}").replace("channels: [console]", "channels: [email]")))
    d.run_once()
    (problem,) = d.status(lang="zh")["problems"]
    assert problem["last_error"] == "user 'ma.hui' has no e-mail address"
    assert problem["reason"] == "用户 'ma.hui' 没有邮箱地址"
    assert d.status(lang="en")["problems"][0]["reason"] == problem["last_error"]


# -- the commands -----------------------------------------------------------------

runner = CliRunner()


def notify(*args: str) -> Any:
    return runner.invoke(notify_app, list(args), env={"COLUMNS": "200"})


def test_cli_run_status_retry_test(db_path: str, engine: Engine,
                                   new_case: Callable[..., str]) -> None:
    """run --once prints what was sent; status --json counts it; retry and test report."""
    number = new_case()
    result = notify("run", "--once", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert f"【待办】案件 {number}" in result.output and "发送 1 条" in result.output
    status = notify("status", "--db", db_path, "--json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["channels"]["console"]["sent"] == 1
    table = notify("status", "--db", db_path, "--lang", "en")
    assert "Deliveries by channel" in table.output
    retry = notify("retry", "12345", "--db", db_path)
    assert retry.exit_code == 1 and "nothing to re-queue" not in retry.output
    assert "没有可重新排队的投递" in retry.output
    test = notify("test", "console", "--db", db_path)
    assert test.exit_code == 0 and "【测试消息】" in test.output
    unknown = notify("test", "fax", "--db", db_path, "--lang", "en")
    assert unknown.exit_code == 1 and "unknown channel 'fax'" in unknown.output


def test_cli_test_reports_the_servers_error(db_path: str, tmp_path: Path,
                                            http_server: HttpServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """notify test on a robot that answers an error code prints that error, exit 1."""
    monkeypatch.setenv("T_ROBOT", f"{http_server.url}/send?key=k")
    http_server.answers = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    config = tmp_path / "n.yaml"
    config.write_text(robot_config(), encoding="utf-8")
    result = notify("test", "robot", "--db", db_path, "--config", str(config), "--lang", "en")
    assert result.exit_code == 1
    assert "errcode 93000: invalid webhook url" in result.output


def test_deliveries_of_a_channel_not_configured_wait(
        engine: Engine, new_case: Callable[..., str], make_config: MakeConfig,
        make_dispatcher: MakeDispatcher, console: io.StringIO) -> None:
    """Run with another file that lacks a channel: its deliveries wait, they are not killed."""
    new_case()
    two = make_config(CONSOLE.replace("channels: [console]", "channels: [console, other]")
                      .replace("  console: {type: console, format: full}",
                               "  console: {type: console, format: full}\n"
                               "  other: {type: console}"))
    make_dispatcher(two).expand(DispatchReport())
    report = make_dispatcher(make_config(CONSOLE)).run_once()
    assert (report.sent, report.dead, report.deferred) == (1, 0, 1)
    assert make_dispatcher(two).run_once().sent == 1
