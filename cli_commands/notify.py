"""``bangfu notify``: run the dispatcher, show the queue, re-queue, test a channel."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from cli_commands.common import (
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    Ui,
    emit,
    handled,
    open_engine,
    out,
)
from workflow.clock import local
from workflow.errors import UsageError

notify_app = typer.Typer(help="通知：发送、队列、重试、测试 / notifications", no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", envvar="BANGFU_NOTIFICATIONS",
    help="通知配置文件（默认：只输出到控制台）/ notifications file (default: console only)")]


def _dispatcher(db: str | None, definitions: Path | None, config: Path | None,
                as_json: bool = False) -> Any:
    from workflow.bootstrap import open_dispatcher

    engine = open_engine(db, definitions)
    # With --json the console channel must not mix its lines into the JSON.
    return open_dispatcher(engine, config, stream=sys.stderr if as_json else None)


def _summary(report: Any, ui: Ui) -> str:
    r = report
    return ui.t(f"展开 {r.expanded} 条消息；发送 {r.sent} 条，失败待重试 {r.failed} 条，"
                f"转入死信 {r.dead} 条，限流顺延 {r.deferred} 条"
                + (f"；时限已过未发的提醒 {r.dropped} 条" if r.dropped else "")
                + (f"；网站推送 {r.webhook_events} 条" if r.webhook_events else "")
                + (f"；每日汇总 {r.digests} 份" if r.digests else ""),
                f"expanded {r.expanded} message(s); sent {r.sent}, failed {r.failed} (to retry), "
                f"dead {r.dead}, held by rate limits {r.deferred}"
                + (f"; reminders dropped past their deadline {r.dropped}" if r.dropped else "")
                + (f"; webhook events {r.webhook_events}" if r.webhook_events else "")
                + (f"; digests {r.digests}" if r.digests else ""))


@notify_app.command("run")
@handled
def notify_run(
    once: Annotated[bool, typer.Option("--once", help="发送一轮后退出 / one pass, then exit")] = False,
    interval: Annotated[float, typer.Option(min=0.05, help="轮询间隔（秒）/ seconds between passes")] = 5.0,
    config: ConfigOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """发送通知：展开发件箱、推送网站、到点发送每日汇总、失败重试 / run the dispatcher."""

    ui = Ui(lang, as_json)
    dispatcher = _dispatcher(db, definitions, config, as_json)
    try:
        if once:
            report = dispatcher.run_once()
            if as_json:
                emit(report.as_dict())
            else:
                out.print(_summary(report, ui), markup=False)
            return
        import structlog

        log = structlog.get_logger("bangfu.notify")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            try:
                report = dispatcher.run_once()
            except Exception as exc:  # e.g. the database busy: log it, try again next pass
                log.error("notify.pass_failed", error=f"{type(exc).__name__}: {exc}")
                stop.wait(interval)
                continue
            if report.expanded or report.sent or report.failed or report.dead or report.dropped:
                if as_json:
                    emit(report.as_dict())
                else:
                    out.print(_summary(report, ui), markup=False)
            stop.wait(interval)
    finally:
        dispatcher.close()


@notify_app.command("status")
@handled
def notify_status(
    limit: Annotated[int, typer.Option(min=1, help="最多列出几条失败 / problems listed")] = 20,
    config: ConfigOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """通知队列：各通道发送情况、失败与死信、网站推送进度 / the queue and its problems."""
    from datetime import datetime

    from rich.table import Table


    ui = Ui(lang, as_json)
    dispatcher = _dispatcher(db, definitions, config, as_json)
    info = dispatcher.status(limit, lang)
    dispatcher.close()
    if as_json:
        emit(info)
        return
    names = {"pending": ui.t("待发送", "pending"), "sending": ui.t("发送中", "sending"),
             "sent": ui.t("已发送", "sent"), "failed": ui.t("待重试", "failed"),
             "dead": ui.t("死信", "dead"), "digested": ui.t("并入汇总", "digested"),
             "dropped": ui.t("过期未发", "dropped")}
    order = list(names)
    table = Table(ui.t("通道", "Channel"), *(names[s] for s in order),
                  title=ui.t("各通道发送情况", "Deliveries by channel"))
    for channel, counts in sorted(info["channels"].items()):
        table.add_row(channel, *(str(counts.get(s, "")) for s in order))
    out.print(table)
    kinds = Table(ui.t("消息类型", "Kind"), *(names[s] for s in order),
                  title=ui.t("各类消息", "Deliveries by kind"))
    for kind, counts in sorted(info["kinds"].items()):
        kinds.add_row(kind, *(str(counts.get(s, "")) for s in order))
    out.print(kinds)
    box = info["outbox"]
    out.print(ui.t(f"发件箱：待展开 {box.get('pending', 0)} 条，已展开 {box.get('expanded', 0)} 条，"
                   f"无路由 {box.get('unrouted', 0)} 条",
                   f"Outbox: {box.get('pending', 0)} to expand, {box.get('expanded', 0)} expanded, "
                   f"{box.get('unrouted', 0)} with no route"), markup=False)
    for hook, cur in sorted(info["webhooks"].items()):
        out.print(ui.t(f"网站推送 {hook}：已读到事件 {cur['cursor']}，落后 {cur['behind']} 条",
                       f"Webhook {hook}: at event {cur['cursor']}, {cur['behind']} behind"),
                  markup=False)
    if info["problems"]:
        bad = Table("#", ui.t("投递", "Delivery"), ui.t("通道", "Channel"),
                    ui.t("接收人", "To"), ui.t("状态", "Status"), ui.t("次数", "Tries"),
                    ui.t("下次重试", "Next try"), ui.t("原因", "Reason"),
                    title=ui.t("失败、死信与过期未发（失败与死信可用 bangfu notify retry 编号 "
                               "重新发送）", "Failed, dead and dropped (re-queue failed and dead "
                               "ones with 'bangfu notify retry ID')"))
        for p in info["problems"]:
            nxt = local(datetime.fromisoformat(p["next_attempt_at"])) \
                if p["next_attempt_at"] else ""
            bad.add_row(str(p["id"]), p["delivery_id"], p["channel"],
                        p["recipient"] or p["address"], names.get(p["status"], p["status"]),
                        str(p["attempts"]), nxt, p["reason"] or "")
        out.print(bad)
    out.print(ui.t(f"当前时间 {local(datetime.fromisoformat(info['now']))}",
                   f"Now {local(datetime.fromisoformat(info['now']))}"), markup=False)


@notify_app.command("retry")
@handled
def notify_retry(
    ref: Annotated[str, typer.Argument(help="投递编号、投递 id、消息 id，或 dead（全部死信）"
                                            " / delivery number or id, message id, or 'dead'")],
    config: ConfigOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """把失败或死信的投递重新排队 / re-queue failed or dead deliveries."""

    ui = Ui(lang, as_json)
    dispatcher = _dispatcher(db, definitions, config, as_json)
    ids = dispatcher.retry(ref)
    dispatcher.close()
    if not ids:
        raise UsageError(f"nothing to re-queue for '{ref}' (no failed or dead delivery matches)",
                         f"没有可重新排队的投递：'{ref}'（没有匹配的失败或死信投递）")
    if as_json:
        emit({"requeued": ids})
    else:
        out.print(ui.t(f"已重新排队 {len(ids)} 条投递，下一轮发送", f"Re-queued {len(ids)} "
                       "delivery(ies) for the next pass"), markup=False)


@notify_app.command("test")
@handled
def notify_test(
    channel: Annotated[str, typer.Argument(help="通道名 / channel name")],
    to: Annotated[str | None, typer.Option(
        "--to", help="接收人：用户 id，或邮箱、手机号 / user id or address")] = None,
    config: ConfigOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """发送一条测试消息，报告成功或服务器的错误 / send a test message."""

    ui = Ui(lang, as_json)
    dispatcher = _dispatcher(db, definitions, config, as_json)
    try:
        message = dispatcher.test(channel, to)
    finally:
        dispatcher.close()
    if as_json:
        emit({"channel": channel, "ok": True, "to": message.address,
               "delivery_id": message.delivery_id})
    else:
        out.print(ui.t(f"测试消息已通过通道「{channel}」发送给 {message.address}",
                       f"Test message sent over '{channel}' to {message.address}"),
                  markup=False)


@notify_app.command("digest")
@handled
def notify_digest(
    config: ConfigOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """立即生成并发送今天的每日待办汇总（每天至多一次）/ queue and send today's digests now."""

    ui = Ui(lang, as_json)
    dispatcher = _dispatcher(db, definitions, config, as_json)
    try:
        if dispatcher.config.digest is None:
            raise UsageError("the notifications file has no 'digest' section",
                             "通知配置文件中没有 digest 部分")
        made = dispatcher.send_digests()
        report = dispatcher.run_once()
    finally:
        dispatcher.close()
    if as_json:
        emit({"digests": made, **report.as_dict()})
    else:
        out.print(ui.t(f"今日新生成汇总 {made} 份；", f"{made} new digest(s) today; ")
                  + _summary(report, ui), markup=False)
