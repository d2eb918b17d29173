"""``bangfu audit …``: replay a case as of a moment, verify every chain and
checkpoint, take a checkpoint, export the trail."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli_commands.common import (
    AsOpt,
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    ServerOpt,
    Ui,
    emit,
    err,
    handled,
    need_user,
    open_engine,
    out,
)

if TYPE_CHECKING:
    from workflow.services.inspection import VerifyReport


audit_app = typer.Typer(help="审计：重放、校验、检查点、导出 / audit trail", no_args_is_help=True)


@audit_app.command("replay")
@handled
def audit_replay(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="如 2027-01-18T12:00+08:00，或日期 2027-01-18（当天零点）/ a time, "
        "or a date (its local midnight)")] = None,
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """重放案件，显示某一时刻的状态和数据 / the case as it was at a moment."""
    from cli_commands.render import print_replay

    ui = Ui(lang, as_json)
    if server:
        from urllib.parse import quote

        from cli_commands.remote import connect

        view = connect(server, None, lang).get(f"/v1/audit/replay/{quote(case, safe='')}",
                                               {"as_of": as_of})
    else:
        from workflow.services.audit import replay_view
        from workflow.services.time import parse_time

        engine = open_engine(db, definitions)
        view = replay_view(engine, case, parse_time(as_of) if as_of else None, lang)
    print_replay(view, ui)


@audit_app.command("paper")
@handled
def audit_paper(
    code: Annotated[str, typer.Argument(help="纸张上的核验码 / the code printed on the paper")],
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """核对打印的纸张（发放表、公示）是否与记录一致：0 相符，1 已变更或记录受损，4 未找到 /
    check a printed paper against the record: 0 matches, 1 changed or damaged, 4 unknown."""
    from workflow.rules.money import fen_to_yuan_text
    from workflow.services.verification import verdict, verify_paper

    ui = Ui(lang, as_json)
    check = verify_paper(open_engine(db, definitions), code, lang)
    if as_json:
        emit({**check.as_view(), "verdict": verdict(check, lang)})
    else:
        out.print(verdict(check, lang), markup=False)
        if check.found:
            p = check.printed
            amount = "" if p["amount_fen"] is None else fen_to_yuan_text(p["amount_fen"], True)
            out.print(ui.t(f"  纸面：{p['number']} {p['unit']} {p['name']} {p['id_number']} "
                           f"{p['category']} {amount} 元 「{p['state']}」",
                           f"  Paper: {p['number']} {p['unit']} {p['name']} {p['id_number']} "
                           f"{p['category']} {amount} yuan '{p['state']}'"), markup=False)
            for e in check.since:
                out.print(f"  #{e['seq']} {e['local_time']} {e['what']}", markup=False)
    if check.status == "unknown":
        raise typer.Exit(4)
    if check.status != "matches":
        raise typer.Exit(1)


@audit_app.command("verify")
@handled
def audit_verify(
    case: Annotated[str | None, typer.Option("--case", help="只校验一个案件 / one case")] = None,
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", help="另行保存的检查点文件 / an exported checkpoint")] = None,
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """校验全部哈希链、检查点和重放结果 / verify every chain, checkpoint and replay."""
    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect
        from workflow.errors import UsageError

        if checkpoint is not None:
            raise UsageError("--checkpoint is a file of this machine: verify it against a copy "
                             "of the database here, without --server",
                             "--checkpoint 是本机文件：请在本机对数据库副本校验，不用 --server")
        view = connect(server, None, lang).get("/v1/audit/verify", {"case": case})
    else:
        view = _verify_here(db, definitions, case, checkpoint, as_json, lang)
    if as_json:
        emit(view)
    else:
        for f in view["findings"]:
            err.print(f"\u2717 {f['message']}", markup=False)
        n = len(view["findings"])
        verdict = ui.t("校验通过", "verified") if view["ok"] else \
            ui.t(f"发现 {n} 处问题", f"{n} problem(s)")
        cases, events, cps = view["cases"], view["events"], view["checkpoints"]
        seconds, rate = view["seconds"], view["events_per_second"]
        out.print(ui.t(f"{verdict}:案件 {cases} 件，记录 {events} 条，检查点 {cps} 个，用时 "
                       f"{seconds:.2f} 秒（{rate:,.0f} 条/秒）",
                       f"{verdict}: {cases} cases, {events} events, {cps} checkpoints in "
                       f"{seconds:.2f} s ({rate:,.0f} events/s)"))
        if not view["signatures_checked"] and cps:
            out.print(ui.t("检查点签名未校验：未设置 BANGFU_CHECKPOINT_KEY",
                           "checkpoint signatures not checked: BANGFU_CHECKPOINT_KEY is not set"))
    if not view["ok"]:
        raise typer.Exit(1)


def _verify_here(db: str | None, definitions: Path | None, case: str | None,
                 checkpoint: Path | None, as_json: bool, lang: str) -> dict[str, Any]:
    return verification(db, definitions, checkpoint, case, progress=not as_json).to_dict(lang)


@dataclass
class Verification:
    """A verification's report, as ``audit verify`` and ``db restore`` show it."""

    report: VerifyReport
    signatures_checked: bool

    @property
    def ok(self) -> bool:
        return self.report.ok

    def to_dict(self, lang: str) -> dict[str, Any]:
        from workflow.services.audit import verify_view

        return verify_view(self.report, lang, self.signatures_checked)

    def render(self, ui: Ui) -> None:
        report, rate = self.report, self.report.events_per_second
        for f in report.findings:
            err.print(f"\u2717 {f.text(ui.lang)}", markup=False)
        verdict = ui.t("校验通过", "verified") if report.ok else \
            ui.t(f"发现 {len(report.findings)} 处问题", f"{len(report.findings)} problem(s)")
        out.print(ui.t(f"{verdict}:案件 {report.cases} 件，记录 {report.events} 条，检查点 "
                       f"{report.checkpoints} 个，用时 {report.seconds:.2f} 秒（{rate:,.0f} 条/秒）",
                       f"{verdict}: {report.cases} cases, {report.events} events, "
                       f"{report.checkpoints} checkpoints in {report.seconds:.2f} s "
                       f"({rate:,.0f} events/s)"))
        if not self.signatures_checked and report.checkpoints:
            out.print(ui.t("检查点签名未校验：未设置 BANGFU_CHECKPOINT_KEY",
                           "checkpoint signatures not checked: BANGFU_CHECKPOINT_KEY is not set"))


def verification(db: str | None, definitions: Path | None, checkpoint: Path | None,
                 case: str | None = None, progress: bool = True) -> Verification:
    """Verify the database (one case), also against an exported checkpoint."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from workflow.services.inspection import checkpoint_key, read_checkpoint, verify

    engine = open_engine(db, definitions)
    external = read_checkpoint(checkpoint) if checkpoint is not None else None
    key = checkpoint_key()
    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  disable=not progress) as bar:
        task = bar.add_task("verify", total=None)
        report = verify(engine, case, external,
                        lambda done, total: bar.update(task, completed=done, total=total),
                        key=key)
    return Verification(report, key is not None)


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
    from workflow.services.inspection import checkpoint_key, make_checkpoint

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
        "--unmasked", help="不脱敏（仅限督查组，需 --as 和 --reason，记入每个导出案件的记录）/ "
        "full personal data: the inspection team, with --as and --reason, recorded in "
        "each exported case's history")] = False,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="未脱敏导出的理由 / why the personal data is exported")] = None,
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
                          user if unmasked else None, lang, reason=reason)
    if as_json:
        emit({"events_file": str(report.events_file), "timeline_file": str(report.timeline_file),
              "cases": report.cases, "events": report.events, "masked": report.masked})
    else:
        out.print(ui.t(f"已导出 {report.cases} 件案件的 {report.events} 条记录到 {report.events_file} 和 "
                       f"{report.timeline_file}" + ("（个人信息已脱敏）" if report.masked else ""),
                       f"Exported {report.events} events of {report.cases} cases to "
                       f"{report.events_file} and {report.timeline_file}"
                       + (" (personal data masked)" if report.masked else "")))
