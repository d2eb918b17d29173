"""The reviewer CLI, driven as a user would: exit codes, languages, JSON."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app, schema_text
from tests.helpers.engines import NEEDS_PROC_FD, handles_on, no_collector

ROOT = Path(__file__).resolve().parent.parent
START = "2027-01-04T09:00+08:00"
APPLICANT = ["--set", "applicant_name=李秀兰", "--set", "id_number=331122195803120422",
             "--set", "phone=13900001111", "--set", "household_size=3",
             "--set", "category=severe", "--set", "hardship_reason=丈夫重病",
             "--doc", "application=申请书-李秀兰.pdf@2027-01-04",
             "--doc", "id_cards=身份证-李秀兰.pdf@2027-01-04",
             "--doc", "household_register=户口簿-李秀兰.pdf@2027-01-04",
             "--doc", "authorisation=授权声明-李秀兰.pdf@2027-01-04"]

runner = CliRunner()


def bangfu(db: Path, *args: str, user: str | None = None, ok: bool = True) -> object:
    argv = [*args, "--db", str(db)]
    if user:
        argv += ["--as", user]
    result = runner.invoke(app, argv, env={"COLUMNS": "200"})
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    bangfu(path, "init", "--simulated", "--start", START)
    return path


def submit(db: Path, user: str = "li.xiulan") -> str:
    out = bangfu(db, "case", "submit", "relief_application", *APPLICANT, "--json", user=user)
    return json.loads(out.output)["case"]


def advance(db: Path, case: str, trigger: str, user: str, *extra: str) -> dict:
    out = bangfu(db, "case", "advance", case, trigger, *extra, "--json", user=user)
    return json.loads(out.output)


def test_whole_relief_path_in_the_cli(db: Path) -> None:
    """A severe case walks 申请 → … → 完成, each step by the right role of the sample org."""
    case = submit(db)
    assert advance(db, case, "accept", "wang.fang")["state"] == "deliberation"
    assert advance(db, case, "pass_deliberation", "liu.qiang")["state"] == "publicity"
    early = bangfu(db, "case", "advance", case, "close_notice", "--lang", "en",
                   user="wang.fang", ok=False)
    assert early.exit_code == 1 and "runs until 2027-01-07 09:00" in early.output
    moved = json.loads(bangfu(db, "clock", "advance", "3d", "--json").output)
    assert [(f["case"], f["spec"], f["event"]) for f in moved["fired"]] == [
        (case, "notice_window", "transition")]
    shown = json.loads(bangfu(db, "case", "show", case, "--json").output)
    assert shown["state"] == "preliminary_review"
    assert advance(db, case, "approve_preliminary", "yang.jing",
                   "--set", "home_visit_note=入户核实")["state"] == "second_review"
    assert advance(db, case, "approve_second", "zhu.tao")["state"] == "reported"
    assert advance(db, case, "county_accept", "hu.kezhang")["state"] == "disbursement"
    done = advance(db, case, "disburse", "xu.lei", "--set", "amount_fen=4000",
                   "--set", "photo_ref=IMG-1", "--set", "recipient_signed=是",
                   "--set", "cadre_signed=yes", "--set", "collected_by_recipient=yes")
    assert done["state"] == "completed" and done["version"] == 8
    shown = json.loads(bangfu(db, "case", "show", case, "--json").output)
    assert shown["data"]["amount_fen"] == 400000
    history = json.loads(bangfu(db, "case", "history", case, "--json").output)
    assert [(e["trigger"], e["actor"]) for e in history["events"]] == [
        ("submit", "li.xiulan"), ("accept", "wang.fang"), ("pass_deliberation", "liu.qiang"),
        ("close_notice", "system"), ("approve_preliminary", "yang.jing"),
        ("approve_second", "zhu.tao"), ("county_accept", "hu.kezhang"), ("disburse", "xu.lei")]


def test_case_show_json_has_the_promised_fields(db: Path) -> None:
    """`case show --json` carries id, process, definition version, state, row version, jurisdiction, data."""
    case = submit(db)
    shown = json.loads(bangfu(db, "case", "show", case, "--json").output)
    for key in ("id", "process", "definition_version", "state", "version", "jurisdiction", "data"):
        assert key in shown
    assert shown["process"] == "relief_application" and shown["definition_version"] == 1
    assert shown["state"] == "application" and shown["version"] == 1
    assert shown["jurisdiction"]["unit"] == "shangcun"


def test_case_show_masks_personal_numbers_unless_revealed_by_a_reviewer(db: Path) -> None:
    """ID and phone are masked by default; --reveal needs a user with jurisdiction."""
    case = submit(db)
    plain = bangfu(db, "case", "show", case).output
    assert "331122195803120422" not in plain and "13900001111" not in plain
    assert "331122********0422" in plain
    revealed = bangfu(db, "case", "show", case, "--reveal", "--reason", "入户核对身份",
                      user="wang.fang").output
    assert "331122195803120422" in revealed
    # ma.hui (another village) may not even read the case: not found, and nothing shown
    refused = bangfu(db, "case", "show", case, "--reveal", "--reason", "看看", user="ma.hui",
                     ok=False)
    assert refused.exit_code == 4 and "331122195803120422" not in refused.output
    related = bangfu(db, "case", "show", case, "--reveal", "--reason", "看看", user="sun.li",
                     ok=False)  # of the village's panel, but related to the applicant
    assert related.exit_code == 1 and "331122195803120422" not in related.output


@pytest.mark.parametrize("reason", [None, "", "\u200b "])
def test_a_reveal_without_a_reason_is_refused(db: Path, reason: str | None) -> None:
    case = submit(db)
    args = ["--reason", reason] if reason is not None else []
    res = bangfu(db, "case", "show", case, "--reveal", *args, user="wang.fang", ok=False)
    assert res.exit_code == 1 and "必须填写理由" in res.output
    assert "331122195803120422" not in res.output
    events = json.loads(bangfu(db, "case", "history", case, "--json").output)
    assert [e["kind"] for e in events["events"]] == ["submitted"]


def test_a_reveal_is_in_the_case_history_with_who_and_why(db: Path) -> None:
    """Who saw the full numbers, when and why is an event of the case's trail (and the
    trail still verifies)."""
    case = submit(db)
    bangfu(db, "case", "show", case, "--reveal", "--reason", "入户核对身份", user="wang.fang")
    history = json.loads(bangfu(db, "case", "history", case, "--json").output)
    last = history["events"][-1]
    assert (last["kind"], last["actor"], last["comment"]) == ("reveal", "wang.fang", "入户核对身份")
    text = bangfu(db, "case", "history", case).output
    assert "查看完整身份证号和电话" in text and "入户核对身份" in text
    assert "331122195803120422" not in text
    assert bangfu(db, "audit", "verify").exit_code == 0


def test_wrong_village_is_refused_in_chinese_and_english(db: Path) -> None:
    """A reviewer of another village is refused with exit 1, in zh by default and en on request."""
    case = submit(db)
    zh = bangfu(db, "case", "advance", case, "accept", user="ma.hui", ok=False)
    assert zh.exit_code == 1 and "管辖范围" in zh.output and "Traceback" not in zh.output
    en = bangfu(db, "case", "advance", case, "accept", "--lang", "en", user="ma.hui", ok=False)
    assert en.exit_code == 1 and "outside the jurisdiction" in en.output


def test_wrong_role_is_refused_and_nothing_written(db: Path) -> None:
    """A panel member may not accept an application; the case stays at version 1."""
    case = submit(db)
    res = bangfu(db, "case", "advance", case, "accept", user="liu.qiang", ok=False)
    assert res.exit_code == 1 and "无权" in res.output
    assert json.loads(bangfu(db, "case", "show", case, "--json").output)["version"] == 1


def test_stale_version_is_a_conflict_with_exit_3(db: Path) -> None:
    """--expect-version that no longer holds exits 3 and writes nothing."""
    case = submit(db)
    advance(db, case, "accept", "wang.fang")
    res = bangfu(db, "case", "advance", case, "pass_deliberation", "--expect-version", "1",
                 user="liu.qiang", ok=False)
    assert res.exit_code == 3 and "已被他人修改" in res.output
    assert json.loads(bangfu(db, "case", "show", case, "--json").output)["version"] == 2


def test_json_errors_are_structured(db: Path) -> None:
    """With --json a refusal prints an error object naming the reason."""
    case = submit(db)
    res = bangfu(db, "case", "advance", case, "accept", "--json", "--lang", "en",
                 user="ma.hui", ok=False)
    body = json.loads(res.output)
    assert body["error"] == "permission_denied" and body["reason"] == "jurisdiction"


def test_unknown_case_and_user_exit_4(db: Path) -> None:
    """An unknown case number or user exits 4 with a clear message."""
    res = bangfu(db, "case", "show", "CF-999999", ok=False)
    assert res.exit_code == 4 and "CF-999999" in res.output
    res = bangfu(db, "queue", user="nobody", ok=False)
    assert res.exit_code == 4 and "nobody" in res.output


def test_idempotency_key_in_the_cli(db: Path) -> None:
    """The same advance with the same --key twice is applied once."""
    case = submit(db)
    first = advance(db, case, "accept", "wang.fang", "--key", "portal-42")
    again = advance(db, case, "accept", "wang.fang", "--key", "portal-42")
    assert first["version"] == again["version"] == 2 and again["replayed"] is True
    history = json.loads(bangfu(db, "case", "history", case, "--json").output)
    assert len(history["events"]) == 2


def test_queue_lists_only_actionable_cases(db: Path) -> None:
    """wang.fang's queue holds the new shangcun case; ma.hui's (liujia) does not."""
    case = submit(db)
    mine = json.loads(bangfu(db, "queue", "--json", user="wang.fang").output)
    assert [c["number"] for c in mine] == [case]
    theirs = json.loads(bangfu(db, "queue", "--json", user="ma.hui").output)
    assert theirs == []


def test_case_list_filters_by_state_and_unit(db: Path) -> None:
    """case list filters by state and by a unit's subtree."""
    a = submit(db)
    bangfu(db, "case", "submit", "relief_application", *APPLICANT[:2],
           "--set", "id_number=331122196501013319", *APPLICANT[4:], user="wang.fang")
    advance(db, a, "accept", "wang.fang")
    listed = json.loads(bangfu(db, "case", "list", "--state", "deliberation", "--json").output)
    assert [c["number"] for c in listed["cases"]] == [a]
    in_xihe = json.loads(bangfu(db, "case", "list", "--unit", "xihe", "--json").output)
    assert in_xihe["cases"] == [] and in_xihe["total"] == 0
    in_dongling = json.loads(bangfu(db, "case", "list", "--unit", "dongling", "--json").output)
    assert len(in_dongling["cases"]) == 2


def test_a_second_application_of_the_household_is_refused(db: Path) -> None:
    """One household, one case per campaign: the refusal names the other case （不重复慰问）."""
    first = submit(db)
    res = bangfu(db, "case", "submit", "relief_application", *APPLICANT, user="wang.fang",
                 ok=False)
    assert res.exit_code == 1 and first in res.output and "不重复慰问" in res.output
    advance(db, first, "withdraw", "li.xiulan", "-m", "外出务工")
    assert submit(db, user="wang.fang") != first


def test_missing_data_and_bad_values_are_named(db: Path) -> None:
    """A bad household size and an enum typo are reported per field, with a suggestion."""
    res = bangfu(db, "case", "submit", "relief_application", "--set", "household_size=three",
                 "--lang", "en", user="li.xiulan", ok=False)
    assert res.exit_code == 1 and "household_size" in res.output
    res = bangfu(db, "case", "submit", "relief_application", *APPLICANT[:-4],
                 "--set", "category=sever", "--set", "hardship_reason=x", "--lang", "en",
                 user="li.xiulan", ok=False)
    assert res.exit_code == 1 and "did you mean 'severe'" in res.output


def test_acting_needs_a_user(db: Path) -> None:
    """Commands that act refuse to run without --as or BANGFU_USER (exit 2, bad command line)."""
    res = runner.invoke(app, ["case", "submit", "relief_application", *APPLICANT,
                              "--db", str(db)], env={"BANGFU_USER": ""})
    assert res.exit_code == 2 and "--as" in res.output


def test_validate_passes_every_shipped_definition() -> None:
    """`definitions validate definitions/processes/*.yaml` exits 0."""
    files = sorted(str(p) for p in (ROOT / "definitions" / "processes").glob("*.yaml"))
    res = runner.invoke(app, ["definitions", "validate", *files])
    assert res.exit_code == 0, res.output


def test_validate_names_the_unreachable_state_and_its_line(tmp_path: Path) -> None:
    """A definition with an unreachable state fails, naming the state and its line."""
    text = (ROOT / "definitions" / "processes" / "relief_application.yaml").read_text("utf-8")
    text = text.replace("  - id: completed\n", "  - id: orphan\n    labels: {zh: 孤立, en: Orphan}\n"
                        "    final: true\n  - id: completed\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - id: orphan") + 1
    res = runner.invoke(app, ["definitions", "validate", str(bad), "--lang", "en"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 1
    assert "'orphan' is unreachable" in res.output and f"bad.yaml:{line}" in res.output


def test_validate_reports_malformed_yaml_with_its_line(tmp_path: Path) -> None:
    """Malformed YAML exits 1 naming the file and line, without a traceback."""
    bad = tmp_path / "broken.yaml"
    bad.write_text("process: x\nstates: [a, b\n", encoding="utf-8")
    res = runner.invoke(app, ["definitions", "validate", str(bad)])
    assert res.exit_code == 1 and "broken.yaml:" in res.output and "Traceback" not in res.output


def test_definitions_list_show_and_graph(db: Path) -> None:
    """list, show and the Mermaid graph describe the shipped definition."""
    listed = json.loads(bangfu(db, "definitions", "list", "--json").output)
    assert any({"process": "relief_application", "version": 1}.items() <= r.items() for r in listed)
    shown = bangfu(db, "definitions", "show", "relief_application", "--lang", "en").output
    assert "Preliminary review" in shown
    graph = bangfu(db, "definitions", "graph", "relief_application", "--format", "mermaid").output
    assert graph.count("stateDiagram-v2") == 1 and 'state "公示" as publicity' in graph


def test_published_json_schema_is_current() -> None:
    """definitions/schema.json equals the schema generated from the models."""
    shipped = (ROOT / "definitions" / "schema.json").read_text("utf-8")
    assert shipped == schema_text()


def test_clock_commands_refused_on_a_real_clock_database(tmp_path: Path) -> None:
    """A database on the real clock refuses clock moves."""
    path = tmp_path / "real.db"
    bangfu(path, "init")
    res = bangfu(path, "clock", "advance", "1d", ok=False)
    assert res.exit_code == 1 and "真实时钟" in res.output


def test_init_refuses_an_initialised_database(db: Path) -> None:
    """init twice on the same file is refused."""
    res = bangfu(db, "init", ok=False)
    assert res.exit_code == 1 and "已初始化" in res.output


def test_commands_on_a_missing_database_do_not_create_it(tmp_path: Path) -> None:
    """A missing database is an error, and no file appears."""
    path = tmp_path / "none.db"
    res = bangfu(path, "case", "list", ok=False)
    assert res.exit_code == 1 and not path.exists()


def test_demo_runs_and_refuses_a_database_with_cases(tmp_path: Path) -> None:
    """The demo campaign ends on 1 Feb with every case closed or escalated, and refuses reuse."""
    path = tmp_path / "demo.db"
    out = json.loads(bangfu(path, "demo", "--json").output)
    assert out["cases"] == 300 and sum(out["by_state"].values()) == 300
    final = sum(out["by_state"].get(s, 0) for s in ("completed", "rejected", "withdrawn"))
    assert final + out["open_escalated"] == 300 and out["open_escalated"] > 0
    assert out["reminders"] > 0 and out["escalations"] > 0 and out["objections"] > 0
    assert out["finished_at"] == "2027-02-01T15:59:59.999999+00:00"
    late = {e["to"] for e in out["escalated"] if e["timer"] == "lists_due"}
    assert late == {"he.shuji"}
    again = bangfu(path, "demo", ok=False)
    assert again.exit_code == 1 and "已有案件" in again.output


def test_console_script_runs_in_a_subprocess(tmp_path: Path) -> None:
    """`python -m cli` works outside the test runner and prints no traceback on errors."""
    res = subprocess.run([sys.executable, "-m", "cli", "case", "list", "--db",
                          str(tmp_path / "missing.db")], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert res.returncode == 1 and "bangfu init" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("path", sorted((ROOT / "definitions" / "processes").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_shipped_definitions_validate_against_the_published_schema(path: Path) -> None:
    """Editors using schema.json accept every shipped definition."""
    import jsonschema

    from definitions.loader import load_yaml_file

    data, _, _ = load_yaml_file(path)
    schema = json.loads((ROOT / "definitions" / "schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema)


# -- the command line's small promises ----------------------------------------------


def test_case_list_pages_and_says_the_total(db: Path) -> None:
    """A list longer than its page says how many there are in all and how to see the
    next page; --offset shows it; --json carries the total and the next offset."""
    first = submit(db)
    bangfu(db, "case", "submit", "relief_application", *APPLICANT[:2],
           "--set", "id_number=331122196501013319", *APPLICANT[4:], user="wang.fang")
    page = json.loads(bangfu(db, "case", "list", "--limit", "1", "--json").output)
    assert (page["total"], page["offset"], page["next_offset"]) == (2, 0, 1)
    assert [c["number"] for c in page["cases"]] == [first]
    rest = json.loads(bangfu(db, "case", "list", "--limit", "1", "--offset", "1",
                             "--json").output)
    assert rest["next_offset"] is None and rest["cases"][0]["number"] != first
    table = bangfu(db, "case", "list", "--limit", "1").output
    assert "共 2 件，本页为第 1–1 件；下一页：--offset 1" in table


def test_version_and_short_help(tmp_path: Path) -> None:
    """--version prints the package's version; -h is --help, on the root and on commands."""
    from importlib.metadata import version

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"bangfu {version('bangfu')}"
    short = runner.invoke(app, ["-h"], env={"COLUMNS": "200"})
    assert short.exit_code == 0 and "Usage:" in short.output and "--version" in short.output
    sub = runner.invoke(app, ["case", "list", "-h"], env={"COLUMNS": "200"})
    assert sub.exit_code == 0 and "--offset" in sub.output


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_missing_as_is_a_bad_command_line(db: Path, as_json: bool) -> None:
    """A command that acts, given no --as, exits 2 and says how to name the user."""
    args = ["case", "advance", "CF27-000001", "accept", *(["--json"] if as_json else [])]
    res = bangfu(db, *args, ok=False)
    assert res.exit_code == 2, res.output
    if as_json:
        body = json.loads(res.output)
        assert body["error"] == "user_required" and "--as" in body["message"]
    else:
        assert "--as" in res.output and "BANGFU_USER" in res.output
    reveal = bangfu(db, "case", "show", submit(db), "--reveal", "--lang", "en", ok=False)
    assert reveal.exit_code == 2 and "--reveal needs --as" in " ".join(reveal.output.split())


def test_graph_and_schema_take_json(db: Path) -> None:
    """definitions graph --json wraps the diagram; definitions schema --json is the schema."""
    graph = json.loads(bangfu(db, "definitions", "graph", "relief_application",
                              "--json").output)
    assert graph["process"] == "relief_application" and graph["format"] == "mermaid"
    assert graph["graph"].startswith("stateDiagram") or "stateDiagram" in graph["graph"]
    schema = runner.invoke(app, ["definitions", "schema", "--json"])
    assert schema.exit_code == 0 and json.loads(schema.output) == json.loads(schema_text())


def test_reader_that_stops_reading_ends_the_command_quietly(db: Path) -> None:
    """`bangfu case list --json | head -c 0` (a reader gone before the first line) prints
    no "Internal error" and no traceback, and exits 141 as after SIGPIPE."""
    submit(db)
    script = (f"{sys.executable} -m cli case list --json --db {db} | head -c 0"
              "; echo rc=${PIPESTATUS[0]}")
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT,
                         timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert "Internal error" not in res.stderr and "内部错误" not in res.stderr
    assert "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr, res.stderr
    assert res.stdout.strip() == "rc=141"


def test_audit_replay_takes_a_plain_date(db: Path) -> None:
    """--as-of 2027-01-05 means local midnight of that day (Asia/Shanghai)."""
    case = submit(db)
    bangfu(db, "clock", "advance", "2d")
    advance(db, case, "accept", "wang.fang")
    out = json.loads(bangfu(db, "audit", "replay", case, "--as-of", "2027-01-05",
                            "--json").output)
    assert out["as_of"] == "2027-01-05T00:00:00+08:00" and out["state"] == "application"


def test_a_submission_missing_data_is_refused_in_chinese(db: Path) -> None:
    """The refusal of an application missing data is Chinese, with no "(new)" in it."""
    res = bangfu(db, "case", "submit", "relief_application", *APPLICANT[:2], user="li.xiulan",
                 ok=False)
    assert res.exit_code == 1 and "提交申请还缺少" in res.output and "(new)" not in res.output


def test_initialised_database_hint_names_a_command_that_exists(db: Path) -> None:
    """Initialising twice says what to do: another --db, or `bangfu org load` (which exists)."""
    from cli import app as root

    res = bangfu(db, "init", ok=False)
    assert res.exit_code == 1 and "bangfu org load" in res.output and "--db" in res.output
    assert "load" in [c.name for g in root.registered_groups if g.name == "org"
                      and g.typer_instance is not None
                      for c in g.typer_instance.registered_commands]


@NEEDS_PROC_FD
@pytest.mark.parametrize("argv", [("case", "list"), ("case", "show", "CF27-999999"),
                                  ("audit", "verify"), ("demo",)],
                         ids=["done", "refused", "streamed", "demo refused"])
def test_a_command_leaves_no_database_file_open(db: Path, argv: tuple[str, ...]) -> None:
    """A command run in-process (the tests, a server's console) closes its database
    connections when it ends, done or refused: none is left for the collector."""
    submit(db)
    with no_collector():
        bangfu(db, *argv, ok=False)
        assert handles_on(db) == 0


def test_a_console_command_records_the_operating_system_user(db: Path) -> None:
    """On the server's console --as names the user; the event also says which account ran
    the command."""
    import getpass

    case = submit(db)
    advance(db, case, "accept", "wang.fang")
    events = json.loads(bangfu(db, "case", "history", case, "--json").output)["events"]
    with closing(sqlite3.connect(db)) as conn:
        metas = [json.loads(m) for (m,) in conn.execute(
            "SELECT meta FROM events ORDER BY seq")]
    assert [m.get("operator") for m in metas] == [getpass.getuser()] * 2
    assert [e["actor"] for e in events] == ["li.xiulan", "wang.fang"]


def test_reads_with_as_are_scoped_to_the_users_units(db: Path) -> None:
    """With --as, list, show and history answer as that user: another village's case is
    not found (exit 4) and not listed."""
    case = submit(db)
    assert bangfu(db, "case", "show", case, user="ma.hui", ok=False).exit_code == 4
    assert bangfu(db, "case", "history", case, user="ma.hui", ok=False).exit_code == 4
    theirs = json.loads(bangfu(db, "case", "list", "--json", user="ma.hui").output)
    mine = json.loads(bangfu(db, "case", "list", "--json", user="wang.fang").output)
    assert (theirs["total"], mine["total"]) == (0, 1)


def test_an_import_from_the_console_records_the_operating_system_user(db: Path,
                                                                      tmp_path: Path) -> None:
    import getpass

    sheet = tmp_path / "rows.csv"
    sheet.write_text("姓名,身份证号,家庭人口,困难类别,困难原因,申请材料\n"
                     "张三,331122196001010015,3,general,因病致困,"
                     "application=a.pdf@2027-01-04;id_cards=b.pdf@2027-01-04;"
                     "household_register=c.pdf@2027-01-04;authorisation=d.pdf@2027-01-04\n",
                     encoding="utf-8")
    res = bangfu(db, "case", "import", str(sheet), "--process", "relief_application",
                 user="wang.fang", ok=False)
    assert res.exit_code == 0, res.output
    with closing(sqlite3.connect(db)) as conn:
        (meta,) = conn.execute("SELECT meta FROM events").fetchone()
    assert json.loads(meta)["operator"] == getpass.getuser()
