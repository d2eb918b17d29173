"""The ``bangfu`` command line: parse, call the engine, render. No rules here.

Every command takes ``--db`` (or ``BANGFU_DB``), ``--lang zh|en`` (or
``BANGFU_LANG``) and ``--json``; commands that act take ``--as USER`` (or
``BANGFU_USER``). Refusals print one paragraph in the chosen language and exit
non-zero: 1 refused or invalid, 3 conflict (someone else changed the case),
4 not found, 70 internal error. No traceback reaches a user unless
``BANGFU_DEBUG=1``.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from definitions import (
    BangfuError,
    CompiledDefinition,
    DefinitionInvalid,
    load_definition,
)
from definitions.schema import ProcessDefinition
from workflow import CaseNotFound, ConcurrencyConflict, Engine
from workflow.bootstrap import init_database, open_engine
from workflow.clock import local
from workflow.core.data import field_label, pii_kinds
from workflow.core.durations import parse_duration
from workflow.core.machine import mermaid
from workflow.core.model import Case, CommandResult, Event
from workflow.core.pii import mask_data, mask_text
from workflow.core.registry import REGISTRY
from workflow.errors import ClockError, InvalidData, StorageError, UnknownUser
from workflow.logs import configure
from workflow.rules.money import fen_to_yuan_text

app = typer.Typer(help="帮扶 Bangfu: 困难帮扶审批流程引擎 / hardship-relief workflow engine",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
definitions_app = typer.Typer(help="流程定义 / process definitions", no_args_is_help=True)
case_app = typer.Typer(help="案件 / cases", no_args_is_help=True)
clock_app = typer.Typer(help="模拟时钟 / the simulated clock", no_args_is_help=True)
app.add_typer(definitions_app, name="definitions")
app.add_typer(case_app, name="case")
app.add_typer(clock_app, name="clock")


def _notify_app() -> typer.Typer:
    from notifications.cli import notify_app

    return notify_app


app.add_typer(_notify_app(), name="notify")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

DbOpt = Annotated[str | None, typer.Option("--db", envvar="BANGFU_DB",
                                           help="数据库：SQLite 文件路径或 SQLAlchemy URL")]
LangOpt = Annotated[str, typer.Option("--lang", envvar="BANGFU_LANG",
                                      help="界面语言 zh 或 en / language")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")]
AsOpt = Annotated[str | None, typer.Option("--as", envvar="BANGFU_USER",
                                           help="以哪个用户身份操作 / acting user")]
DefsOpt = Annotated[Path | None, typer.Option("--definitions", envvar="BANGFU_DEFINITIONS",
                                              help="流程定义目录 / folder of process definitions")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", "-s", help="数据字段 name=value（金额以元为单位）/ data field, money in yuan")]
DocOpt = Annotated[list[str] | None, typer.Option(
    "--doc", "-d", help="申请材料 类型=文件编号@日期，可多次使用 / a paper handed in, "
    "type=ref@date (repeatable)")]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Ui:
    lang: str = "zh"
    as_json: bool = False

    @property
    def zh(self) -> bool:
        return self.lang.startswith("zh")

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en


def _fail(ui: Ui, exc: BangfuError, code: int) -> NoReturn:
    if ui.as_json:
        print(json.dumps(exc.to_dict(ui.lang), ensure_ascii=False, indent=2))
    else:
        err.print(f"[bold red]{ui.t('错误', 'Error')}:[/] {exc.localized(ui.lang)}", markup=True,
                  soft_wrap=True)
    raise typer.Exit(code)


def handled(fn: F) -> F:
    """Turn Bangfu errors into one paragraph and an exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = kwargs.get("lang") or "zh"
        if lang not in ("zh", "en"):
            err.print(f"--lang must be 'zh' or 'en', not '{lang}'")
            raise typer.Exit(2)
        ui = Ui(lang, bool(kwargs.get("as_json")))
        configure(level=os.environ.get("BANGFU_LOG_LEVEL", "WARNING"))
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except ConcurrencyConflict as exc:
            _fail(ui, exc, 3)
        except (CaseNotFound, UnknownUser) as exc:
            _fail(ui, exc, 4)
        except BangfuError as exc:
            _fail(ui, exc, 1)
        except Exception as exc:  # the last line of defence: no traceback for users
            if os.environ.get("BANGFU_DEBUG"):
                raise
            err.print(ui.t(f"内部错误：{type(exc).__name__}: {mask_text(str(exc))}"
                           "（设置 BANGFU_DEBUG=1 可查看详细信息）",
                           f"Internal error: {type(exc).__name__}: {mask_text(str(exc))} "
                           "(set BANGFU_DEBUG=1 for details)"))
            raise typer.Exit(70) from None

    return wrapper  # type: ignore[return-value]


def _emit(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _parse_sets(pairs: list[str] | None) -> dict[str, str]:
    raw: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InvalidData([(pair, "must be written name=value", "应写作 字段名=值")])
        name, value = pair.split("=", 1)
        raw[name.strip()] = value
    return raw


def _with_docs(defn: CompiledDefinition, raw: dict[str, str],
               docs: list[str] | None) -> dict[str, str]:
    """``--doc`` options joined into the process's documents field (as ``--set`` text)."""
    if not docs:
        return raw
    field = next(iter(defn.documents_fields), None)
    if field is None:
        raise InvalidData([("--doc", f"'{defn.process}' keeps no documents",
                            f"流程 '{defn.process}' 不登记申请材料")])
    raw[field] = ";".join([*filter(None, [raw.get(field)]), *docs])
    return raw


def _need_user(ui: Ui, user: str | None) -> str:
    if not user:
        raise BangfuError(
            "say who is acting with --as USER or BANGFU_USER",
            "请用 --as 用户名 或环境变量 BANGFU_USER 指明操作人")
    return user


def _open(db: str | None, defs: Path | None = None) -> Engine:
    return open_engine(db, definitions=defs)


# -- rendering --------------------------------------------------------------

def _case_dict(engine: Engine, case: Case, ui: Ui, reveal: bool) -> dict[str, Any]:
    defn = engine.definition_for(case)
    data = dict(case.data) if reveal else mask_data(case.data, pii_kinds(defn), names=False)
    return {
        "id": case.id,
        "number": case.number,
        "process": case.process,
        "definition_version": case.definition_version,
        "definition_hash": case.definition_hash,
        "state": case.state,
        "state_label": defn.state_label(case.state, ui.lang),
        "final": defn.is_final(case.state),
        "version": case.version,
        "jurisdiction": {"unit": case.unit, "path": engine.org.unit_path(case.unit, ui.lang)},
        "applicant_user": case.applicant_user,
        "submitted_by": case.submitted_by,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "state_entered_at": case.state_entered_at.isoformat(),
        "data": data,
    }


def _papers_dict(engine: Engine, case: Case, ui: Ui) -> dict[str, Any] | None:
    """The case's papers against its campaign's checklist, for ``case show``."""
    found = engine.papers(case)
    if found is None:
        return None
    spec, review = found
    defn = engine.definition_for(case)
    on_file = [d for n in defn.documents_fields for d in case.data.get(n) or ()]
    late = {(d["type"], d["ref"]) for d in review.outside_window}
    window = spec.receipt_window
    return {
        "required": [{"type": t, "label": spec.label(t, ui.lang), "missing": t in review.missing}
                     for t in review.required],
        "missing": list(review.missing),
        "on_file": [{**d, "label": spec.label(d["type"], ui.lang),
                     "outside_window": (d["type"], d["ref"]) in late} for d in on_file],
        "receipt_window": [window.start.isoformat(), window.end.isoformat()] if window else None,
    }


def _print_papers(papers: dict[str, Any], ui: Ui) -> None:
    table = Table(ui.t("材料", "Document"), ui.t("文件编号", "Reference"), ui.t("日期", "Date"),
                  ui.t("核对", "Check"), title=ui.t("申请材料", "Documents"))
    window = papers["receipt_window"]
    for d in papers["on_file"]:
        note = ui.t(f"票据日期不在 {window[0]} 至 {window[1]} 之内",
                    f"receipt dated outside {window[0]} to {window[1]}") \
            if d["outside_window"] and window else ui.t("已交", "on file")
        table.add_row(d["label"], d["ref"], d["date"], note)
    for r in papers["required"]:
        if r["missing"]:
            table.add_row(r["label"], "", "", ui.t("缺少（必备）", "missing (required)"))
    out.print(table)


def _value_text(defn: CompiledDefinition, name: str, value: Any, ui: Ui) -> str:
    spec = defn.spec.fields.get(name)
    if spec is not None and spec.type == "money" and isinstance(value, int):
        return "¥" + fen_to_yuan_text(value, grouping=True)
    if spec is not None and spec.type == "enum" and value in spec.value_labels:
        return spec.value_labels[value].get(ui.lang)
    if isinstance(value, bool):
        return ui.t("是", "yes") if value else ui.t("否", "no")
    if spec is not None and spec.type == "documents" and isinstance(value, list):
        # as they are typed in: type=ref@date; ...
        return "; ".join(f"{d.get('type')}={d.get('ref')}@{d.get('date')}" for d in value
                         if isinstance(d, dict))
    return str(value)


def _event_dict(defn: CompiledDefinition, ev: Event, ui: Ui) -> dict[str, Any]:
    return {
        "seq": ev.seq, "at": ev.at.isoformat(), "local_time": local(ev.at), "kind": ev.kind,
        "actor": ev.actor, "role": ev.role, "trigger": ev.trigger,
        "trigger_label": defn.trigger_label(ev.trigger, ui.lang) if ev.kind != "submitted"
        else ui.t("提交申请", "Submit"),
        "source": ev.source, "dest": ev.dest,
        "data": mask_data(ev.data, pii_kinds(defn), names=False),
        "comment": mask_text(ev.comment) if ev.comment else None,
        "definition_version": ev.definition_version,
    }


def _result(engine: Engine, res: CommandResult, ui: Ui) -> None:
    case = engine.get_case(res.case_id)
    defn = engine.definition_for(case)
    if ui.as_json:
        _emit({"case": res.case_number, "id": res.case_id, "state": res.state,
               "state_label": defn.state_label(res.state, ui.lang), "version": res.version,
               "event_seq": res.event.seq, "replayed": res.replayed})
        return
    again = ui.t("（重复请求，返回首次结果）", " (repeated request: first result returned)") \
        if res.replayed else ""
    out.print(ui.t(f"案件 {res.case_number} → 「{defn.state_label(res.state, 'zh')}」"
                   f"（版本 {res.version}）{again}",
                   f"Case {res.case_number} → '{defn.state_label(res.state, 'en')}' "
                   f"(version {res.version}){again}"))


# -- commands ---------------------------------------------------------------

def _parse_time(text: str, ui: Ui) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ClockError(f"'{text}' is not a time like 2027-01-04T09:00+08:00",
                         f"'{text}' 不是有效时间，格式如 2027-01-04T09:00+08:00") from None
    if when.tzinfo is None:
        raise ClockError(f"'{text}' has no time zone; write e.g. 2027-01-04T09:00+08:00",
                         f"'{text}' 缺少时区，请写成如 2027-01-04T09:00+08:00")
    return when


@app.command()
@handled
def init(
    db: DbOpt = None,
    org: Annotated[Path | None, typer.Option(help="组织架构文件 / org file")] = None,
    simulated: Annotated[bool, typer.Option("--simulated", help="模拟时钟 / simulated clock")] = False,
    start: Annotated[str | None, typer.Option(help="模拟起始时间 / simulated start")] = None,
    definitions: DefsOpt = None,
    lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """创建数据库 / create a database (real or simulated clock) with its org."""
    ui = Ui(lang, as_json)
    if start and not simulated:
        raise ClockError("--start needs --simulated", "--start 只能与 --simulated 一起使用")
    begin = _parse_time(start, ui) if start else None
    if simulated and begin is None:
        raise ClockError("--simulated needs --start, e.g. --start 2027-01-04T09:00+08:00",
                         "--simulated 需要 --start,例如 --start 2027-01-04T09:00+08:00")
    url = init_database(db, org=org, definitions=definitions, simulated_start=begin)
    if as_json:
        _emit({"database": url, "simulated": simulated,
               "clock": begin.isoformat() if begin else None})
    else:
        mode = ui.t(f"模拟时钟，起始 {local(begin)}", f"simulated clock from {local(begin)}") \
            if begin else ui.t("真实时钟", "real clock")
        out.print(ui.t(f"已创建数据库 {url}({mode})", f"Created {url} ({mode})"))


# -- definitions ------------------------------------------------------------

@definitions_app.command("list")
@handled
def definitions_list(db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
                     as_json: JsonOpt = False) -> None:
    """列出已加载的流程定义 / list loaded definitions."""
    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    rows = [{"process": d.process, "version": d.version, "label": d.spec.labels.get(lang),
             "hash": d.content_hash, "states": len(d.spec.states),
             "transitions": len(d.spec.transitions), "source": d.source}
            for d in engine.definitions]
    if as_json:
        _emit(rows)
        return
    table = Table(ui.t("流程", "Process"), ui.t("版本", "Version"), ui.t("名称", "Name"),
                  ui.t("内容哈希", "Hash"), ui.t("状态数", "States"), ui.t("流转数", "Transitions"))
    for r in rows:
        table.add_row(r["process"], str(r["version"]), r["label"], r["hash"][:12],
                      str(r["states"]), str(r["transitions"]))
    out.print(table)


@definitions_app.command("validate")
@handled
def definitions_validate(
    files: Annotated[list[Path], typer.Argument(help="定义文件 / definition files")],
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """校验定义文件，列出全部错误及行号 / validate files, listing every problem with its line."""
    ui = Ui(lang, as_json)
    results: list[dict[str, Any]] = []
    failed = False
    for f in files:
        try:
            d = load_definition(f, known_guards=REGISTRY)
            results.append({"file": str(f), "ok": True, "process": d.process,
                            "version": d.version, "hash": d.content_hash})
        except DefinitionInvalid as exc:
            failed = True
            results.append({"file": str(f), "ok": False, **exc.to_dict(lang)})
    if as_json:
        _emit(results)
    else:
        for r in results:
            if r["ok"]:
                out.print(ui.t(f"\u2713 {r['file']}:{r['process']} 第 {r['version']} 版，校验通过",
                               f"\u2713 {r['file']}: {r['process']} v{r['version']} is valid"))
            else:
                err.print(f"\u2717 {r['file']}: {r['message']}")
                for p in r["problems"]:
                    where = f"{p['file']}:{p['line']}" if p["line"] else str(p["file"])
                    err.print(f"    {where}: {p['path']}: {p['message']}" if p["path"]
                              else f"    {where}: {p['message']}")
    if failed:
        raise typer.Exit(1)


@definitions_app.command("show")
@handled
def definitions_show(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    version: Annotated[int | None, typer.Option(help="版本 / version")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """显示流程的状态与流转 / show a definition's states and transitions."""
    ui = Ui(lang, as_json)
    d = _open(db, definitions).definitions.get(process, version)
    if as_json:
        _emit({"hash": d.content_hash, **d.spec.model_dump(mode="json")})
        return
    out.print(f"[bold]{d.spec.labels.get(lang)}[/] ({d.process} v{d.version}, "
              f"{d.content_hash[:12]})")
    states = Table(ui.t("状态", "State"), ui.t("名称", "Name"), ui.t("负责角色", "Responsible"),
                   ui.t("计时", "Timers"))
    for s in d.spec.states:
        mark = " （初始）" if s.initial and ui.zh else " (initial)" if s.initial else \
            (ui.t(" （终止）", " (final)") if s.final else "")
        states.add_row(s.id + mark, s.labels.get(lang),
                       d.role_label(s.responsible, lang) if s.responsible else "",
                       ", ".join(f"{t.id}: {t.after or t.at}" for t in s.timers))
    out.print(states)
    trans = Table(ui.t("操作", "Trigger"), ui.t("从", "From"), ui.t("到", "To"),
                  ui.t("角色", "Roles"), ui.t("条件", "Conditions"), ui.t("必填", "Required"))
    for t in d.spec.transitions:
        conds = [g.name for g in t.guards] + list(t.when)
        if t.comment == "required":
            conds.append(ui.t("须填理由", "reason required"))
        trans.add_row(f"{t.trigger}\n{t.labels.get(lang)}", ", ".join(t.source), t.dest,
                      ", ".join(d.role_label(r, lang) for r in t.roles), "\n".join(conds),
                      ", ".join(t.required))
    out.print(trans)


@definitions_app.command("graph")
@handled
def definitions_graph(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    fmt: Annotated[str, typer.Option("--format", help="mermaid")] = "mermaid",
    version: Annotated[int | None, typer.Option(help="版本 / version")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
) -> None:
    """输出状态图 / print the state diagram."""
    if fmt != "mermaid":
        raise BangfuError(f"unknown graph format '{fmt}'; supported: mermaid",
                          f"不支持的图形格式 '{fmt}';支持：mermaid")
    d = _open(db, definitions).definitions.get(process, version)
    print(mermaid(d, lang))


@definitions_app.command("schema")
@handled
def definitions_schema(
    output: Annotated[Path | None, typer.Option(help="写入文件 / write to file")] = None,
    lang: LangOpt = "zh",
) -> None:
    """输出定义文件的 JSON Schema / print the JSON Schema of the definition format."""
    text = schema_text()
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        print(text, end="")


def schema_text() -> str:
    schema = ProcessDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bangfu process definition"
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


# -- cases ------------------------------------------------------------------

@case_app.command("submit")
@handled
def case_submit(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    sets: SetOpt = None,
    docs: DocOpt = None,
    unit: Annotated[str | None, typer.Option(help="所属村（社区）/ village of the household")] = None,
    comment: Annotated[str | None, typer.Option("--comment", "-m")] = None,
    key: Annotated[str | None, typer.Option("--key", help="幂等键 / idempotency key")] = None,
    campaign: Annotated[str | None, typer.Option(
        help="活动（默认：正在进行的活动）/ campaign (default: the running one)")] = None,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """提交申请 / open a case."""
    ui = Ui(lang, as_json)
    who = _need_user(ui, user)
    engine = _open(db, definitions)
    data = engine.coerce(process, _with_docs(engine.definitions.get(process), _parse_sets(sets), docs))
    res = engine.submit(process, who, data, unit=unit, comment=comment, idempotency_key=key,
                        campaign=campaign)
    _result(engine, res, ui)


@case_app.command("advance")
@handled
def case_advance(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    trigger: Annotated[str, typer.Argument(help="操作 / trigger")],
    sets: SetOpt = None,
    docs: DocOpt = None,
    comment: Annotated[str | None, typer.Option("--comment", "-m", help="理由 / reason")] = None,
    expect_version: Annotated[int | None, typer.Option(
        "--expect-version", help="只在案件仍为此版本时执行 / act only on this row version")] = None,
    key: Annotated[str | None, typer.Option("--key", help="幂等键 / idempotency key")] = None,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """推进案件 / fire a trigger on a case."""
    ui = Ui(lang, as_json)
    who = _need_user(ui, user)
    engine = _open(db, definitions)
    current = engine.get_case(case)
    data = engine.coerce(current, _with_docs(engine.definition_for(current), _parse_sets(sets), docs))
    res = engine.fire(case, trigger, who, data=data, comment=comment,
                      expected_version=expect_version, idempotency_key=key)
    _result(engine, res, ui)


@case_app.command("import")
@handled
def case_import(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件 / CSV or XLSX file",
                                         exists=True, dir_okay=False)],
    process: Annotated[str | None, typer.Option(
        help="流程 id（只有一个流程时可省略）/ process id (optional if only one)")] = None,
    campaign: Annotated[str | None, typer.Option(
        help="活动（默认：正在进行的活动）/ campaign (default: the running one)")] = None,
    sheet: Annotated[str | None, typer.Option(
        help="XLSX 工作表名 / XLSX sheet name")] = None,
    errors: Annotated[Path | None, typer.Option(
        "--errors", help="错误清单文件（默认 <文件名>.errors.csv）/ error file")] = None,
    all_or_nothing: Annotated[bool, typer.Option(
        "--all-or-nothing", help="有任何错误行则整个文件不导入 / refuse the file if any row is bad")] = False,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """批量导入申请（CSV/XLSX）/ import applications from a spreadsheet."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from storage import SqlStore
    from storage.bulk_writer import BulkWriter
    from workflow.importing import run_import

    ui = Ui(lang, as_json)
    who = _need_user(ui, user)
    engine = _open(db, definitions)
    if not isinstance(engine.store, SqlStore):
        raise BangfuError("bulk import needs an SQL database", "批量导入需要 SQL 数据库")
    phases = {"read": ui.t("读取文件", "Reading"), "check": ui.t("校验", "Checking"),
              "decide": ui.t("生成案件", "Deciding"), "write": ui.t("写入数据库", "Writing")}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, disable=as_json, transient=True) as bar:
        task = bar.add_task(phases["read"], total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phases.get(phase, phase), completed=done,
                       total=total or None)

        report = run_import(engine, file, process, who, campaign, sheet, all_or_nothing, errors,
                            progress, writer=BulkWriter(engine.store))
    if as_json:
        _emit(report.as_dict(lang))
    else:
        where = ui.t(f"（编码 {report.encoding}）", f" (encoding {report.encoding})") \
            if report.encoding else ui.t(f"（工作表「{report.sheet}」）", f" (sheet '{report.sheet}')")
        out.print(ui.t(f"{file.name}{where}：{report.rows} 行", f"{file.name}{where}: {report.rows} rows"))
        if report.unknown_columns:
            out.print(ui.t("未识别的列（未导入）：", "Unknown columns (not imported): ")
                      + ui.t("、", ", ").join(report.unknown_columns), markup=False)
        if report.refused:
            out.print(ui.t(f"有 {report.failed_rows} 行有误，按 --all-or-nothing 整个文件未导入",
                           f"{report.failed_rows} rows are bad: with --all-or-nothing nothing "
                           "was imported"))
        else:
            span = f" {report.imported[0][1]} … {report.imported[-1][1]}" if report.imported else ""
            out.print(ui.t(f"已导入 {len(report.imported)} 件{span}；跳过已导入的 "
                           f"{len(report.skipped)} 行；有误 {report.failed_rows} 行",
                           f"Imported {len(report.imported)} cases{span}; skipped "
                           f"{len(report.skipped)} rows imported before; {report.failed_rows} "
                           "rows bad"))
        changed = [s for s in report.skipped if s.changed]
        if changed:
            out.print(ui.t(f"其中 {len(changed)} 行与已导入的案件内容不同（未修改案件，请在案件中办理）",
                           f"{len(changed)} of the skipped rows differ from their cases "
                           "(cases not changed; change them on the case)"))
        if report.errors:
            table = Table(ui.t("行号", "Row"), ui.t("列", "Column"), ui.t("原因", "Reason"),
                          title=ui.t("错误行（前 20 条）", "Bad rows (first 20)"))
            for e in report.errors[:20]:
                table.add_row(str(e.row), f"{e.column} {e.header}".strip(),
                              e.zh if ui.zh else e.en)
            out.print(table)
            out.print(ui.t(f"完整错误清单：{report.errors_path}",
                           f"All errors: {report.errors_path}"))
    if report.errors:
        raise typer.Exit(1)


@case_app.command("show")
@handled
def case_show(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="显示完整身份证号和电话（需有管辖权）/ show full ID and phone")] = False,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """查看案件 / show a case, what the acting user may do, and why not."""
    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    c = engine.get_case(case)
    if reveal:
        _check_reveal(engine, c, user)
    info = _case_dict(engine, c, ui, reveal)
    opts = engine.options(c, user, lang) if user else []
    timers = engine.store.timers(c.id)
    info["timers"] = [{"id": tm.id, "timer": tm.spec_id,
                       "label": _timer_label(engine, c, tm.spec_id, lang), "kind": tm.kind,
                       "state": tm.state, "due": tm.due_at.isoformat(),
                       "deadline": tm.deadline_at.isoformat(), "status": tm.status,
                       "fired_at": tm.fired_at.isoformat() if tm.fired_at else None}
                      for tm in timers]
    papers = _papers_dict(engine, c, ui)
    if papers is not None:
        info["documents_check"] = papers
    if as_json:
        info["options"] = [{"trigger": o.trigger, "label": o.label, "allowed": o.allowed,
                            "reasons": list(o.reasons), "comment_required": o.comment_required,
                            "required": list(o.required)} for o in opts]
        _emit(info)
        return
    defn = engine.definition_for(c)
    table = Table(show_header=False, box=None)
    table.add_row(ui.t("案件", "Case"), f"{c.number}  ({c.process} v{c.definition_version})")
    table.add_row(ui.t("状态", "State"), f"{info['state_label']} ({c.state})")
    table.add_row(ui.t("所属", "Jurisdiction"), info["jurisdiction"]["path"])
    table.add_row(ui.t("版本", "Version"), str(c.version))
    table.add_row(ui.t("提交时间", "Submitted"), local(c.created_at))
    table.add_row(ui.t("进入本状态", "In this state since"), local(c.state_entered_at))
    for name, value in info["data"].items():
        if name not in defn.documents_fields:
            table.add_row(field_label(defn, name, lang), _value_text(defn, name, value, ui))
    out.print(table)
    if papers is not None:
        _print_papers(papers, ui)
    if timers:
        ttable = Table(ui.t("计时", "Timer"), ui.t("类型", "Kind"), ui.t("到期", "Due"),
                       ui.t("时限", "Deadline"), ui.t("状态", "Status"), title=ui.t("计时器", "Timers"))
        kinds = {"fire": ui.t("自动流转", "fires"), "remind": ui.t("提醒", "reminder"),
                 "escalate": ui.t("督办", "escalation"), "recur": ui.t("周期", "recurring")}
        statuses = {"pending": ui.t("待触发", "pending"), "fired": ui.t("已触发", "fired"),
                    "cancelled": ui.t("已取消", "cancelled")}
        for tm in info["timers"]:
            ttable.add_row(tm["label"], kinds.get(tm["kind"], tm["kind"]),
                           local(datetime.fromisoformat(tm["due"])),
                           local(datetime.fromisoformat(tm["deadline"])),
                           statuses.get(tm["status"], tm["status"]))
        out.print(ttable)
    if opts:
        out.print(ui.t(f"\n{user} 现在可以:", f"\n{user} may now:"))
        for o in opts:
            if o.allowed:
                extra = []
                if o.comment_required:
                    extra.append(ui.t("须填理由 -m", "needs a reason -m"))
                if o.required:
                    extra.append(ui.t("须填 ", "needs ") + ", ".join(o.required))
                out.print(f"  \u2713 {o.trigger} ({o.label})" + (f"  [{'; '.join(extra)}]" if extra else ""),
                          markup=False)
        for o in opts:
            if not o.allowed:
                out.print(f"  \u2717 {o.trigger} ({o.label}): {'; '.join(o.reasons)}", markup=False)


def _check_reveal(engine: Engine, case: Case, user: str | None) -> None:
    if not user:
        raise BangfuError("--reveal needs --as USER with jurisdiction over the case",
                          "--reveal 需要用 --as 指明对该案件有管辖权的用户")
    engine.check_may_reveal(case, user)


@case_app.command("list")
@handled
def case_list(
    process: Annotated[str | None, typer.Option(help="流程 / process")] = None,
    state: Annotated[list[str] | None, typer.Option(help="状态，可多次 / state (repeatable)")] = None,
    unit: Annotated[str | None, typer.Option(help="单位及其下级 / unit and below")] = None,
    limit: Annotated[int, typer.Option(min=1, help="最多条数 / at most")] = 200,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """列出案件 / list cases."""
    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    if unit and unit not in engine.org.units:
        raise InvalidData([("unit", f"unknown unit '{unit}'", f"未知的单位 '{unit}'")])
    cases = engine.list_cases(process=process, states=state, unit=unit, limit=limit)
    _case_table(engine, cases, ui)


def _case_table(engine: Engine, cases: list[Case], ui: Ui,
                extra: dict[str, str] | None = None) -> None:
    if ui.as_json:
        _emit([{**_case_dict(engine, c, ui, False),
                **({"can": extra[c.id]} if extra else {})} for c in cases])
        return
    table = Table(ui.t("案件", "Case"), ui.t("申请人", "Applicant"), ui.t("类别", "Category"),
                  ui.t("所属", "Unit"), ui.t("状态", "State"), ui.t("更新", "Updated"),
                  *([ui.t("可执行", "You can")] if extra else []))
    for c in cases:
        defn = engine.definition_for(c)
        masked = mask_data(c.data, pii_kinds(defn))
        cat = c.data.get("category")
        table.add_row(c.number, str(masked.get("applicant_name", "")),
                      _value_text(defn, "category", cat, ui) if cat else "",
                      engine.org.unit_label(c.unit, ui.lang), defn.state_label(c.state, ui.lang),
                      local(c.updated_at), *([extra[c.id]] if extra else []))
    out.print(table)
    out.print(ui.t(f"共 {len(cases)} 件", f"{len(cases)} case(s)"))


@case_app.command("history")
@handled
def case_history(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """案件的全部记录 / a case's history."""
    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    c = engine.get_case(case)
    defn = engine.definition_for(c)
    events = [_event_dict(defn, e, ui) for e in engine.history(c.id)]
    if as_json:
        _emit({"case": c.number, "events": events})
        return
    table = Table("#", ui.t("时间", "Time"), ui.t("操作人", "Actor"), ui.t("操作", "Action"),
                  ui.t("状态", "State"), ui.t("理由/数据", "Comment / data"))
    for e in events:
        src = defn.state_label(e["source"], lang) if e["source"] else ""
        dst = defn.state_label(e["dest"], lang)
        user = engine.org.users.get(e["actor"])
        who = f"{user.name} ({e['actor']})" if user else e["actor"]
        detail = "; ".join(filter(None, [e["comment"], ", ".join(
            f"{field_label(defn, k, lang)}={_value_text(defn, k, v, ui)}"
            for k, v in e["data"].items())]))
        table.add_row(str(e["seq"]), e["local_time"], who, e["trigger_label"],
                      f"{src} → {dst}" if src else dst, detail)
    out.print(table)


@app.command()
@handled
def queue(user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
          lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """我的待办 / the cases on which you can act now."""
    ui = Ui(lang, as_json)
    who = _need_user(ui, user)
    engine = _open(db, definitions)
    items = engine.queue(who, lang)
    can = {c.id: ", ".join(o.trigger for o in opts) for c, opts in items}
    _case_table(engine, [c for c, _ in items], ui, can)


# -- org and clock ------------------------------------------------------------

@app.command("org")
@handled
def org_show(db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
             as_json: JsonOpt = False) -> None:
    """组织架构与用户 / the jurisdiction tree and its users."""
    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    org = engine.org
    if as_json:
        _emit({"units": [u.model_dump() for u in org.spec.units],
               "users": [{"id": u.id, "name": u.name, "unit": u.unit, "roles": list(u.roles)}
                         for u in org.spec.users]})
        return
    table = Table(ui.t("用户", "User"), ui.t("姓名", "Name"), ui.t("所属", "Unit"),
                  ui.t("角色", "Roles"))
    defn = next(iter(engine.definitions))
    for u in org.spec.users:
        table.add_row(u.id, u.name, org.unit_path(u.unit, lang),
                      ", ".join(defn.role_label(r, lang) for r in u.roles))
    out.print(table)


@clock_app.command("show")
@handled
def clock_show(db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """显示时钟 / show the clock."""
    ui = Ui(lang, as_json)
    engine = _open(db)
    now = engine.clock.now()
    if as_json:
        _emit({"now": now.isoformat(), "local": local(now), "simulated": engine.clock.simulated})
    else:
        kind = ui.t("模拟", "simulated") if engine.clock.simulated else ui.t("真实", "real")
        out.print(f"{local(now)} (Asia/Shanghai, {kind})")


@clock_app.command("set")
@handled
def clock_set(when: Annotated[str, typer.Argument(help="如 2027-01-07T09:00+08:00")],
              db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """把模拟时钟调到某一时刻 / set the simulated clock."""
    ui = Ui(lang, as_json)
    engine = _open(db)
    fired = engine.set_clock(when=_parse_time(when, ui))
    _clock_result(engine, fired, ui)


@clock_app.command("advance")
@handled
def clock_advance(by: Annotated[str, typer.Argument(help="如 3d、12h、30m")],
                  db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """把模拟时钟向前拨 / move the simulated clock forward."""
    ui = Ui(lang, as_json)
    try:
        d = parse_duration(by)
        delta = d.as_timedelta()
    except ValueError:
        raise ClockError(f"'{by}' is not a calendar duration such as 3d, 12h or 30m",
                         f"'{by}' 不是有效的时长，如 3d、12h、30m") from None
    engine = _open(db)
    fired = engine.set_clock(advance=delta)
    _clock_result(engine, fired, ui)


def _clock_result(engine: Engine, fired: list[Any], ui: Ui) -> None:
    now = engine.clock.now()
    if ui.as_json:
        _emit({"now": now.isoformat(), "fired": [
            {"timer": f.timer.id, "case": f.case_number, "kind": f.timer.kind,
             "spec": f.timer.spec_id, "due": f.timer.due_at.isoformat(), "event": f.event.kind,
             "messages": f.messages} for f in fired]})
        return
    out.print(local(now))
    _fired_summary(fired, ui)


# -- deadlines and the scheduler ---------------------------------------------

scheduler_app = typer.Typer(help="定时任务 / the scheduler", no_args_is_help=True)
app.add_typer(scheduler_app, name="scheduler")


def _timer_label(engine: Engine, case: Case, spec_id: str, lang: str) -> str:
    from workflow.core.deadlines import timer_spec

    spec = timer_spec(engine.definition_for(case), spec_id)
    return spec.labels.get(lang) if spec is not None and spec.labels else spec_id


@app.command()
@handled
def deadlines(
    overdue: Annotated[bool, typer.Option("--overdue", help="只看已逾期 / overdue only")] = False,
    unit: Annotated[str | None, typer.Option(help="单位及其下级 / unit and below")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """时限一览：每个案件和每个村的临近与逾期时限 / upcoming and missed deadlines."""
    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    if unit and unit not in engine.org.units:
        raise InvalidData([("unit", f"unknown unit '{unit}'", f"未知的单位 '{unit}'")])
    found = engine.deadlines(unit=unit, overdue=overdue)
    now = engine.clock.now()
    rows = [{"case": d.case.number, "unit": d.case.unit,
             "village": engine.org.unit_label(d.case.unit, lang),
             "state": engine.definition_for(d.case).state_label(d.case.state, lang),
             "timer": d.timer, "label": _timer_label(engine, d.case, d.timer, lang),
             "deadline": d.deadline_at.isoformat(), "local": local(d.deadline_at),
             "overdue": d.overdue, "escalations": d.escalations} for d in found]
    per_unit: dict[str, dict[str, int]] = {}
    for r in rows:
        entry = per_unit.setdefault(r["village"], {"open": 0, "overdue": 0})
        entry["open"] += 1
        entry["overdue"] += int(r["overdue"])
    if as_json:
        _emit({"now": now.isoformat(), "deadlines": rows, "by_village": per_unit})
        return
    table = Table(ui.t("案件", "Case"), ui.t("村（社区）", "Village"), ui.t("状态", "State"),
                  ui.t("时限", "Deadline"), ui.t("截止", "Due"), ui.t("逾期", "Overdue"),
                  ui.t("已督办", "Escalated"))
    for r in rows:
        table.add_row(r["case"], r["village"], r["state"], r["label"], r["local"],
                      ui.t("是", "yes") if r["overdue"] else "", str(r["escalations"] or ""))
    out.print(table)
    summary = Table(ui.t("村（社区）", "Village"), ui.t("未完成时限", "Open"),
                    ui.t("已逾期", "Overdue"))
    for village, n in sorted(per_unit.items()):
        summary.add_row(village, str(n["open"]), str(n["overdue"]))
    out.print(summary)
    out.print(ui.t(f"当前时间 {local(now)}", f"Now {local(now)}"))


@scheduler_app.command("run")
@handled
def scheduler_run(
    once: Annotated[bool, typer.Option("--once", help="补发到期任务后退出 / catch up and exit")] = False,
    config: Annotated[Path | None, typer.Option(
        "--config", envvar="BANGFU_NOTIFICATIONS",
        help="通知渠道配置文件 / notifications file")] = None,
    notify: Annotated[bool, typer.Option(
        "--notify/--no-notify", help="同时发送通知 / also dispatch notifications")] = True,
    refresh: Annotated[float, typer.Option(min=0.05, help="重读最早时限的间隔（秒）/ refresh seconds")] = 30.0,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """运行定时任务：到期即触发，启动时补发停机期间到期的任务 / fire timers when due."""
    from workflow.scheduler import TimerScheduler

    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    dispatcher = None
    if notify:
        from notifications import Dispatcher, load_config

        dispatcher = Dispatcher(engine, load_config(config, engine.org),
                                stream=sys.stderr if as_json else None)
    scheduler = TimerScheduler(engine, refresh_seconds=refresh,
                               after_catch_up=dispatcher.run_once if dispatcher else None)
    if once:
        fired = scheduler.catch_up()
        if dispatcher is not None:
            dispatcher.close()
        if as_json:
            _emit({"fired": [{"timer": f.timer.id, "case": f.case_number, "kind": f.timer.kind,
                              "due": f.timer.due_at.isoformat(), "event": f.event.kind}
                             for f in fired]})
        else:
            out.print(ui.t(f"已触发 {len(fired)} 个到期任务", f"Fired {len(fired)} due timer(s)"))
        return
    try:
        scheduler.run()
    finally:
        if dispatcher is not None:
            dispatcher.close()


def _fired_summary(fired: list[Any], ui: Ui) -> None:
    for f in fired:
        out.print(f"  {local(f.event.at)}  {f.case_number}  {f.timer.kind}:{f.timer.spec_id} "
                  f"→ {f.event.kind}" + (f" ({f.messages})" if f.messages else ""), markup=False)


# -- audit ------------------------------------------------------------------

audit_app = typer.Typer(help="审计：重放、校验、检查点、导出 / audit trail", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("replay")
@handled
def audit_replay(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="如 2027-01-18T12:00+08:00")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """重放案件，显示某一时刻的状态和数据 / the case as it was at a moment."""
    from workflow.services.inspection import replay_case

    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    when = _parse_time(as_of, ui) if as_of else None
    replayed, events = replay_case(engine, case, when)
    defn = engine.definition_for(replayed)
    timeline = [_event_dict(defn, e, ui) for e in events]
    data = mask_data(replayed.data, pii_kinds(defn))
    if as_json:
        _emit({"case": replayed.number, "as_of": when.isoformat() if when else None,
               "state": replayed.state, "state_label": defn.state_label(replayed.state, lang),
               "version": replayed.version, "definition_version": replayed.definition_version,
               "data": data, "events": timeline})
        return
    table = Table("#", ui.t("时间", "Time"), ui.t("操作人", "Actor"), ui.t("操作", "Action"),
                  ui.t("状态", "State"), ui.t("理由", "Comment"))
    for e in timeline:
        src = defn.state_label(e["source"], lang) if e["source"] else ""
        table.add_row(str(e["seq"]), e["local_time"], e["actor"], e["trigger_label"],
                      f"{src} → {defn.state_label(e['dest'], lang)}" if src else
                      defn.state_label(e["dest"], lang), e["comment"] or "")
    out.print(table)
    moment = local(when) if when else ui.t("现在", "now")
    out.print(ui.t(f"{moment} 时案件 {replayed.number} 处于「{defn.state_label(replayed.state, lang)}」"
                   f"（版本 {replayed.version}）",
                   f"At {moment} case {replayed.number} was in '{defn.state_label(replayed.state, lang)}'"
                   f" (version {replayed.version})"))
    for name, value in data.items():
        out.print(f"  {field_label(defn, name, lang)}: {_value_text(defn, name, value, ui)}",
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

    from workflow.services.inspection import verify

    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    external = None
    if checkpoint is not None:
        try:
            external = json.loads(checkpoint.read_text(encoding="utf-8"))
            external["heads"], external["hash"], external["prev_hash"]  # noqa: B018
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BangfuError(f"'{checkpoint}' is not a checkpoint file: {exc}",
                              f"'{checkpoint}' 不是有效的检查点文件：{exc}") from None
    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  disable=as_json) as bar:
        task = bar.add_task("verify", total=None)
        report = verify(engine, case, external,
                        lambda done, total: bar.update(task, completed=done, total=total))
    rate = report.events_per_second
    if as_json:
        _emit({"ok": report.ok, "cases": report.cases, "events": report.events,
               "checkpoints": report.checkpoints, "seconds": round(report.seconds, 3),
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
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
@handled
def audit_checkpoint(
    export: Annotated[Path | None, typer.Option(
        "--export", help="同时导出到文件，另行保存 / also write it to a file")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """对全部案件链头做检查点 / take a checkpoint of every chain head."""
    from workflow.services.inspection import checkpoint_json, make_checkpoint

    ui = Ui(lang, as_json)
    cp = make_checkpoint(_open(db, definitions))
    if export is not None:
        try:
            export.write_text(checkpoint_json(cp), encoding="utf-8")
        except OSError as exc:
            raise BangfuError(f"cannot write '{export}': {exc}", f"无法写入 '{export}':{exc}") \
                from None
    if as_json:
        _emit({k: v for k, v in cp.items() if k != "heads"})
    else:
        out.print(ui.t(f"检查点 {cp['id']}:案件 {cp['cases']} 件，记录 {cp['events']} 条，哈希 "
                       f"{cp['hash'][:16]}", f"Checkpoint {cp['id']}: {cp['cases']} cases, "
                       f"{cp['events']} events, hash {cp['hash'][:16]}"))


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
    from workflow.services.inspection import export_trail

    ui = Ui(lang, as_json)
    if unmasked and not user:
        raise BangfuError("--unmasked needs --as USER of the inspection team",
                          "--unmasked 需要用 --as 指明督查组用户")
    report = export_trail(_open(db, definitions), out_dir, case, user if unmasked else None, lang)
    if as_json:
        _emit({"events_file": str(report.events_file), "timeline_file": str(report.timeline_file),
               "cases": report.cases, "events": report.events, "masked": report.masked})
    else:
        out.print(ui.t(f"已导出 {report.cases} 件案件的 {report.events} 条记录到 {report.events_file} 和 "
                       f"{report.timeline_file}" + ("（个人信息已脱敏）" if report.masked else ""),
                       f"Exported {report.events} events of {report.cases} cases to "
                       f"{report.events_file} and {report.timeline_file}"
                       + (" (personal data masked)" if report.masked else "")))


@definitions_app.command("migrate")
@handled
def definitions_migrate(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    from_version: Annotated[int, typer.Option("--from", help="原版本 / from version")],
    to_version: Annotated[int, typer.Option("--to", help="新版本 / to version")],
    maps: Annotated[list[str] | None, typer.Option(
        "--map", help="状态改名 old=new,可多次 / state renaming, repeatable")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查 / check only")] = False,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """把进行中的案件迁移到新版本（全部可重放才执行）/ move running cases to a new version."""
    from workflow.services.inspection import migrate

    ui = Ui(lang, as_json)
    mapping: dict[str, str] = {}
    for pair in maps or []:
        if "=" not in pair:
            raise InvalidData([(pair, "must be written old=new", "应写作 旧状态=新状态")])
        old, new = pair.split("=", 1)
        mapping[old.strip()] = new.strip()
    report = migrate(_open(db, definitions), process, from_version, to_version, mapping,
                     operator=user or "cli", dry_run=dry_run)
    if as_json:
        _emit({"process": process, "from": from_version, "to": to_version,
               "cases": report.cases, "dry_run": dry_run})
    else:
        action = ui.t("可迁移", "would move") if dry_run else ui.t("已迁移", "moved")
        out.print(ui.t(f"{action} {len(report.cases)} 件案件：{process} 第 {from_version} 版 → 第 "
                       f"{to_version} 版", f"{action} {len(report.cases)} case(s) of {process} "
                       f"from v{from_version} to v{to_version}"))


# -- reports ------------------------------------------------------------------

report_app = typer.Typer(help="报表 / reports", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _yuan(fen: int) -> str:
    return fen_to_yuan_text(fen, grouping=True)


@report_app.command("budget")
@handled
def report_budget(
    campaign: Annotated[str | None, typer.Option(help="活动 / campaign")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """预算执行：各科目的预算、已预留、已发放、结余 / allocation, reserved, paid, remaining."""
    ui = Ui(lang, as_json)
    engine = _open(db, definitions)
    if campaign is None:
        if len(engine.campaigns) != 1:
            raise BangfuError("several campaigns: choose one with --campaign",
                              "有多个活动，请用 --campaign 指定")
        campaign = next(iter(engine.campaigns))
    found = engine.campaigns.get(campaign)
    if found is None:
        raise BangfuError(f"unknown campaign '{campaign}'", f"未知的活动 '{campaign}'")
    sums = engine.store.budget_report(campaign)  # type: ignore[attr-defined]
    rows = []
    for line in found.spec.budget:
        s = sums.get(line.id, {})
        paid = s.get("spend", 0)
        reserved = s.get("reserve", 0) - s.get("release", 0) - paid
        rows.append({"line": line.id, "label": line.labels.get(lang),
                     "allocated_fen": line.amount_fen, "reserved_fen": reserved,
                     "paid_fen": paid, "remaining_fen": line.amount_fen - reserved - paid,
                     "fallback": line.fallback})
    totals = {k: sum(r[k] for r in rows) for k in
              ("allocated_fen", "reserved_fen", "paid_fen", "remaining_fen")}
    # Against the cases themselves: what the ledger says was paid must equal the
    # amounts on the completed cases of the budgeted categories, to the fen.
    budgeted = {c for line in found.spec.budget for c in line.categories}
    paid_on_cases = sum(int(c.data.get("amount_fen") or 0) for c in engine.store.list_cases()
                        if c.campaign == campaign and c.data.get("category") in budgeted
                        and engine.is_claim(c) and engine.definition_for(c).is_final(c.state))
    reconciles = paid_on_cases == totals["paid_fen"]
    if as_json:
        _emit({"campaign": campaign, "lines": rows, "totals": totals,
               "paid_on_cases_fen": paid_on_cases, "reconciles": reconciles})
        return
    table = Table(ui.t("科目", "Line"), ui.t("预算", "Allocated"), ui.t("已预留", "Reserved"),
                  ui.t("已发放", "Paid"), ui.t("结余", "Remaining"),
                  title=ui.t(f"{found.spec.labels.get(lang)}预算执行（元）",
                             f"{found.spec.labels.get(lang)}: budget (yuan)"))
    for r in rows:
        table.add_row(r["label"], _yuan(r["allocated_fen"]), _yuan(r["reserved_fen"]),
                      _yuan(r["paid_fen"]), _yuan(r["remaining_fen"]))
    table.add_row(ui.t("合计", "Total"), *(_yuan(totals[k]) for k in
                  ("allocated_fen", "reserved_fen", "paid_fen", "remaining_fen")))
    out.print(table)
    out.print(ui.t(f"账实相符：已办结案件发放合计 {_yuan(paid_on_cases)} 元，与账上已发放一致",
                   f"Reconciled: completed cases paid {_yuan(paid_on_cases)} yuan, as booked")
              if reconciles else
              ui.t(f"账实不符：已办结案件发放合计 {_yuan(paid_on_cases)} 元，账上已发放 "
                   f"{_yuan(totals['paid_fen'])} 元", f"Does NOT reconcile: cases paid "
                   f"{_yuan(paid_on_cases)}, ledger {_yuan(totals['paid_fen'])}"))
    if not reconciles:
        raise typer.Exit(1)


# -- documents out (report_app is the group of 'bangfu report budget') ----------

FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help="csv、xlsx 或 html（默认取 --out 的扩展名）/ csv, xlsx or html")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="输出文件 / output file")]
CampaignOpt = Annotated[str | None, typer.Option("--campaign", help="活动 id / campaign id")]


def _report_out(table: Any, out_path: Path | None, fmt: str | None, ui: Ui) -> None:
    """Write the report to --out; without it print it (a public list masked as on paper)."""
    from workflow.reporting import write
    from workflow.reporting.table import masked
    from workflow.reporting.writers import format_of, text_of

    if out_path is not None:
        path = write(table, out_path, fmt)
        if ui.as_json:
            _emit({"file": str(path), "format": format_of(path, fmt), "kind": table.kind,
                   "rows": len(table), "meta": dict(table.meta)})
        else:
            out.print(ui.t(f"已写入 {path}（{len(table)} 行）", f"Wrote {path} ({len(table)} rows)"))
        return
    if fmt is not None:
        raise BangfuError("--format needs --out FILE", "--format 需要同时用 --out 指定输出文件")
    shown = masked(table)
    if ui.as_json:
        _emit(shown.as_dict())
        return
    # on a terminal, counts that are zero in every row are left out
    columns = [c for c in shown.columns
               if c.kind != "count" or any(row[c.key] for row in shown.rows)]
    grid = Table(*(c.label for c in columns), title=shown.title)
    for row in shown.rows:
        grid.add_row(*(text_of(c, row[c.key], True) for c in columns),
                     style=None if row.kind == "data" else "bold")
    out.print(grid)
    for line in (*shown.notes, *shown.footer):
        out.print(line)


@report_app.command("notice")
@handled
def report_notice(
    level: Annotated[str, typer.Option("--level", help="village、township 或 county / level")],
    unit: Annotated[str, typer.Option("--unit", help="公示单位 / the unit posting the list")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    include_refused: Annotated[bool, typer.Option(
        "--include-refused", help="含公示后不予通过、撤回的 / also refused and withdrawn")] = False,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """公示名单（姓名、身份证号脱敏，不含电话）/ the public notice list, masked."""
    from workflow.reporting import notice_list

    table = notice_list(_open(db, definitions), level, unit, campaign, lang=lang,
                        include_refused=include_refused)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("form")
@handled
def report_form(
    village: Annotated[str, typer.Option("--village", help="村（社区）/ village")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    pending_only: Annotated[bool, typer.Option(
        "--pending-only", help="只列待发放的 / only households not yet paid")] = False,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """慰问金发放签收表（本人签字、慰问干部签字，金额大写）/ the disbursement form."""
    from workflow.reporting import disbursement_form

    table = disbursement_form(_open(db, definitions), village, campaign, lang=lang,
                              include_completed=not pending_only)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("stats")
@handled
def report_stats(
    unit: Annotated[str | None, typer.Option("--unit", help="单位及其下级 / unit and below")] = None,
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """按村和类别统计件数与金额 / cases and amounts by village, category and state."""
    from workflow.reporting import statistics

    table = statistics(_open(db, definitions), campaign, unit=unit, lang=lang)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("population")
@handled
def report_population(
    file: Annotated[Path, typer.Argument(help="人数文件 / population file (YAML)")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """按活动标准测算资金（如三无人员 110,800 元）/ what a population costs at the standards."""
    from definitions.campaign import load_campaigns
    from workflow.bootstrap import campaigns_dir
    from workflow.reporting import ReportError, load_population, population_report
    from workflow.reporting.table import unknown

    spec = load_population(file)
    campaigns = load_campaigns(campaigns_dir(definitions))
    wanted = campaign or spec.campaign or (next(iter(campaigns)) if len(campaigns) == 1 else None)
    if wanted is None:
        raise ReportError("say whose standards price it: --campaign ID or 'campaign:' in the file",
                          "请用 --campaign 或文件中的 'campaign:' 指明按哪个活动的标准测算")
    if wanted not in campaigns:
        raise unknown("campaign", "活动", wanted, list(campaigns))
    table = population_report(campaigns[wanted].spec.standards, spec.counts,
                              title=spec.labels.get(lang), lang=lang)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("aid")
@handled
def report_aid(
    file: Annotated[Path, typer.Argument(help="年度目标文件 / targets file (YAML)")],
    unit: Annotated[str | None, typer.Option("--unit", help="单位及其下级 / unit and below")] = None,
    fmt: FormatOpt = None, out_path: OutOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """生活、医疗、助学救助按月户数及年度目标完成率 / monthly aid and progress to targets."""
    from workflow.reporting import aid_progress, load_aid_targets

    table = aid_progress(_open(db, definitions), load_aid_targets(file), unit=unit, lang=lang)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


# -- demo -------------------------------------------------------------------

@app.command()
@handled
def demo(db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """演示：在新的模拟数据库上跑完一个春节帮扶活动 / a whole campaign on a fresh database."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from workflow.demo import DEMO_START, run_demo

    ui = Ui(lang, as_json)
    began = time.perf_counter()
    target = db or _fresh_demo_path()
    with _demo_engine(target, ui) as engine:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, disable=as_json,
                      transient=False) as bar:
            task = bar.add_task(ui.t("春节帮扶活动", "Spring Festival campaign"), total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total,
                           description=local(engine.clock.now()))

            report = run_demo(engine, lang, progress)
        sent, console = _demo_dispatch(engine)
    elapsed = time.perf_counter() - began
    if as_json:
        _emit({"database": target, "start": DEMO_START.isoformat(), "seconds": round(elapsed, 3),
               "notifications_sent": sent, **report.as_dict()})
        return
    villages = sorted({v for v, _ in report.by_village_state})
    states = sorted({s for _, s in report.by_village_state})
    table = Table(ui.t("村（社区）", "Village"), *states, ui.t("合计", "Total"),
                  title=ui.t("各村案件状态", "Cases by village and state"))
    for v in villages:
        row = [report.by_village_state.get((v, s), 0) for s in states]
        table.add_row(v, *(str(n) for n in row), str(sum(row)))
    table.add_row(ui.t("合计", "Total"),
                  *(str(sum(report.by_village_state.get((v, s), 0) for v in villages))
                    for s in states), str(report.cases))
    out.print(table)
    out.print(ui.t(
        f"提醒 {report.reminders} 条，督办 {report.escalations} 条；到期自动流转 "
        f"{report.auto_transitions} 次；异议 {report.objections} 件；"
        f"截至 {local(report.finished_at)} 仍未办结并已督办的案件 {report.open_escalated} 件",
        f"{report.reminders} reminders and {report.escalations} escalations sent; "
        f"{report.auto_transitions} transitions fired by timers; {report.objections} "
        f"objections; {report.open_escalated} cases still open and escalated at "
        f"{local(report.finished_at)}"))
    if report.escalated:
        esc = Table(ui.t("日期", "Date"), ui.t("时限", "Deadline"), ui.t("督办对象", "Sent to"),
                    ui.t("案件数", "Cases"), title=ui.t("督办", "Escalations"))
        for (day, timer, to), n in sorted(report.escalated.items()):
            esc.add_row(day, timer, to, str(n))
        out.print(esc)
    sample = [line for line in console if "【" in line]
    shown = [next((s for s in sample if mark in s), "") for mark in ("提醒", "督办")]
    out.print(ui.t(f"控制台通道发出通知 {sent} 条（`bangfu notify status` 可查看），例如:",
                   f"{sent} notifications sent on the console channel (see `bangfu notify "
                   "status`), e.g.:"))
    for line in filter(None, shown):
        out.print("  " + line, markup=False)
    out.print(ui.t(f"数据库：{target}；事件 {report.events} 条；用时 {elapsed:.1f} 秒",
                   f"Database: {target}; {report.events} events; took {elapsed:.1f} s"))


def _demo_dispatch(engine: Engine) -> tuple[int, list[str]]:
    """Send the campaign's messages through the default console channel, captured."""
    import io

    from notifications import Dispatcher, load_config

    buffer = io.StringIO()
    dispatcher = Dispatcher(engine, load_config(None, engine.org), stream=buffer, batch=1000)
    sent = 0
    try:
        while True:
            done = dispatcher.run_once()
            sent += done.sent
            if not (done.sent or done.expanded):
                break
    finally:
        dispatcher.close()
    return sent, buffer.getvalue().splitlines()


def _fresh_demo_path() -> str:
    n = 1
    while Path(f"bangfu-demo-{n}.db").exists():
        n += 1
    return f"bangfu-demo-{n}.db"


@contextmanager
def _demo_engine(target: str, ui: Ui) -> Iterator[Engine]:
    from storage import SqlStore, resolve_url
    from workflow.demo import DEMO_START

    url = resolve_url(target)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is None:
        try:
            init_database(target, simulated_start=DEMO_START)
        except StorageError:
            pass  # initialised already (checked for cases below), or unreachable (open says so)
    elif not path.exists():
        init_database(target, simulated_start=DEMO_START)
    engine = open_engine(target)
    store = engine.store
    if isinstance(store, SqlStore) and store.count_cases():
        raise BangfuError(
            f"database '{target}' already holds cases; the demo needs a fresh database",
            f"数据库 '{target}' 中已有案件；演示需要一个新的数据库")
    if not engine.clock.simulated:
        raise ClockError(f"database '{target}' runs on the real clock; the demo needs a "
                         "simulated one", f"数据库 '{target}' 使用真实时钟，演示需要模拟时钟")
    yield engine


def main() -> None:  # pragma: no cover - console entry for python -m
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
