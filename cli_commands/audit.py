"""``bangfu audit …``: replay a case as of a moment, verify every chain and
checkpoint, take a checkpoint, export the trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli_commands.common import (
    AsOpt,
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    Ui,
    emit,
    err,
    handled,
    need_user,
    open_engine,
    out,
)


def checkpoint_key() -> bytes | None:
    """The inspectors' checkpoint key, from ``BANGFU_CHECKPOINT_KEY`` or the file named by
    ``BANGFU_CHECKPOINT_KEY_FILE``; kept outside the database, so that whoever holds the
    database file cannot remake signed checkpoints.

    Raises:
        FileError: the key file cannot be read, or a key is empty.
    """
    import os

    from workflow.errors import FileError

    named = os.environ.get("BANGFU_CHECKPOINT_KEY_FILE")
    if named:
        try:
            text = Path(named).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise FileError(f"cannot read the checkpoint key file '{named}': {exc}",
                            f"无法读取检查点密钥文件 '{named}'：{exc}") from None
    else:
        text = os.environ.get("BANGFU_CHECKPOINT_KEY", "").strip()
        if "BANGFU_CHECKPOINT_KEY" not in os.environ:
            return None
    if not text:
        raise FileError("the checkpoint key is empty", "检查点密钥为空")
    return text.encode("utf-8")


audit_app = typer.Typer(help="审计：重放、校验、检查点、导出 / audit trail", no_args_is_help=True)


@audit_app.command("replay")
@handled
def audit_replay(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="如 2027-01-18T12:00+08:00，或日期 2027-01-18（当天零点）/ a time, "
        "or a date (its local midnight)")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """重放案件，显示某一时刻的状态和数据 / the case as it was at a moment."""
    from workflow.core.data import field_label, pii_kinds
    from workflow.core.localtime import local
    from workflow.core.pii import mask_data
    from workflow.services.inspection import replay_case
    from workflow.services.time import parse_time
    from workflow.views import event_view, value_text

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    when = parse_time(as_of) if as_of else None
    replayed, events = replay_case(engine, case, when)
    defn = engine.definition_for(replayed)
    timeline = [event_view(defn, e, lang, engine.org) for e in events]
    data = mask_data(replayed.data, pii_kinds(defn))
    if as_json:
        emit({"case": replayed.number, "as_of": when.isoformat() if when else None,
              "state": replayed.state, "state_label": defn.state_label(replayed.state, lang),
              "version": replayed.version, "definition_version": replayed.definition_version,
              "data": data, "events": timeline})
        return
    table = Table("#", ui.t("时间", "Time"), ui.t("操作人", "Actor"), ui.t("操作", "Action"),
                  ui.t("状态", "State"), ui.t("理由", "Comment"))
    for e in timeline:
        src = defn.state_label(e["source"], lang) if e["source"] else ""
        table.add_row(str(e["seq"]), e["local_time"], e["by"], e["trigger_label"],
                      f"{src} → {defn.state_label(e['dest'], lang)}" if src else
                      defn.state_label(e["dest"], lang),
                      "; ".join(filter(None, [e["comment"], e["note"]])))
    out.print(table)
    moment = local(when) if when else ui.t("现在", "now")
    label = defn.state_label(replayed.state, lang)
    out.print(ui.t(f"{moment} 时案件 {replayed.number} 处于「{label}」（版本 {replayed.version}）",
                   f"At {moment} case {replayed.number} was in '{label}'"
                   f" (version {replayed.version})"))
    for name, value in data.items():
        out.print(f"  {field_label(defn, name, lang)}: {value_text(defn, name, value, lang)}",
                  markup=False)


@audit_app.command("verify")
@handled
def audit_verify(
    case: Annotated[str | None, typer.Option("--case", help="只校验一个案件 / one case")] = None,
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", help="另行保存的检查点文件 / an exported checkpoint")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """校验全部哈希链、检查点和重放结果 / verify every chain, checkpoint and replay."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from workflow.services.inspection import read_checkpoint, verify

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    external = read_checkpoint(checkpoint) if checkpoint is not None else None
    key = checkpoint_key()
    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  disable=as_json) as bar:
        task = bar.add_task("verify", total=None)
        report = verify(engine, case, external,
                        lambda done, total: bar.update(task, completed=done, total=total),
                        key=key)
    rate = report.events_per_second
    if as_json:
        emit({"ok": report.ok, "cases": report.cases, "events": report.events,
              "checkpoints": report.checkpoints, "signatures_checked": key is not None,
              "seconds": round(report.seconds, 3),
              "events_per_second": round(rate),
              "findings": [{"case": f.case, "seq": f.seq, "message": f.text(lang)}
                           for f in report.findings]})
    else:
        for f in report.findings:
            err.print(f"\u2717 {f.text(lang)}", markup=False)
        verdict = ui.t("校验通过", "verified") if report.ok else \
            ui.t(f"发现 {len(report.findings)} 处问题", f"{len(report.findings)} problem(s)")
        out.print(ui.t(f"{verdict}:案件 {report.cases} 件，记录 {report.events} 条，检查点 "
                       f"{report.checkpoints} 个，用时 {report.seconds:.2f} 秒（{rate:,.0f} 条/秒）",
                       f"{verdict}: {report.cases} cases, {report.events} events, "
                       f"{report.checkpoints} checkpoints in {report.seconds:.2f} s "
                       f"({rate:,.0f} events/s)"))
        if key is None and report.checkpoints:
            out.print(ui.t("检查点签名未校验：未设置 BANGFU_CHECKPOINT_KEY",
                           "checkpoint signatures not checked: BANGFU_CHECKPOINT_KEY is not set"))
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
@handled
def audit_checkpoint(
    export: Annotated[Path | None, typer.Option(
        "--export", help="同时导出到文件，交督查组另行保存 / also write it to a file for the "
        "inspectors to keep")] = None,
    user: AsOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """对全部案件链头做检查点（需审计员角色；设置 BANGFU_CHECKPOINT_KEY 则签名）/ take a
    checkpoint of every chain head (needs the auditor role; signed with
    BANGFU_CHECKPOINT_KEY when set)."""
    from workflow.services.inspection import make_checkpoint

    ui = Ui(lang, as_json)
    key = checkpoint_key()
    cp = make_checkpoint(open_engine(db, definitions), need_user(user), key=key, export=export)
    if as_json:
        emit({k: v for k, v in cp.items() if k != "heads"})
    else:
        signed = ui.t("，已签名", ", signed") if cp["signature"] else ""
        out.print(ui.t(f"检查点 {cp['id']}:案件 {cp['cases']} 件，记录 {cp['events']} 条，哈希 "
                       f"{cp['hash'][:16]}{signed}", f"Checkpoint {cp['id']}: {cp['cases']} "
                       f"cases, {cp['events']} events, hash {cp['hash'][:16]}{signed}"))


@audit_app.command("export")
@handled
def audit_export(
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    case: Annotated[str | None, typer.Option("--case", help="只导出一个案件 / one case")] = None,
    unmasked: Annotated[bool, typer.Option(
        "--unmasked", help="不脱敏（仅限督查组，需 --as）/ full personal data, inspectors only")] = False,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """导出审计记录（JSON Lines 与时间线 CSV）/ export events and timelines."""
    from workflow.errors import UserRequired
    from workflow.services.inspection import export_trail

    ui = Ui(lang, as_json)
    if unmasked and not user:
        raise UserRequired("--unmasked needs --as USER of the inspection team",
                           "--unmasked 需要用 --as 指明督查组用户")
    report = export_trail(open_engine(db, definitions), out_dir, case,
                          user if unmasked else None, lang)
    if as_json:
        emit({"events_file": str(report.events_file), "timeline_file": str(report.timeline_file),
              "cases": report.cases, "events": report.events, "masked": report.masked})
    else:
        out.print(ui.t(f"已导出 {report.cases} 件案件的 {report.events} 条记录到 {report.events_file} 和 "
                       f"{report.timeline_file}" + ("（个人信息已脱敏）" if report.masked else ""),
                       f"Exported {report.events} events of {report.cases} cases to "
                       f"{report.events_file} and {report.timeline_file}"
                       + (" (personal data masked)" if report.masked else "")))
