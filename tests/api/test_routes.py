"""The rest of the HTTP API: case options, definitions, reports as downloads, the
inspection team's replay and export, org and token administration; each with its bad
input and who may not."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient

from tests.helpers.api import auth
from tests.helpers.cases import LI_ID, LI_PHONE, PROCESS, application, move
from workflow import Engine


def _case(engine: Engine, state: str = "application") -> str:
    number = engine.submit(PROCESS, "wang.fang", application()).case_number
    if state != "application":
        move(engine, number, state)
    return number


def test_options_say_what_the_user_may_do_and_why_not(
        engine: Engine, http: TestClient, bearer: dict[str, str]) -> None:
    """On notice, wang.fang may not close it before its window ends, and is told why."""
    number = _case(engine, "publicity")
    res = http.get(f"/v1/cases/{number}/options", headers=auth(bearer["wang.fang"], "en"))
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["case"], body["state"], body["user"]) == (number, "publicity", "wang.fang")
    assert body["version"] == engine.get_case(number).version
    close = next(o for o in body["options"] if o["trigger"] == "close_notice")
    assert close["allowed"] is False and close["reasons"]


def test_options_of_a_case_outside_the_users_units_are_not_found(
        engine: Engine, http: TestClient, bearer: dict[str, str]) -> None:
    """zhang.min (下村) asks for 上村's case: 404."""
    res = http.get(f"/v1/cases/{_case(engine)}/options", headers=auth(bearer["zhang.min"]))
    assert res.status_code == 404 and res.json()["code"] == "case_not_found"


def test_submit_takes_values_as_typed_and_papers(http: TestClient,
                                                 bearer: dict[str, str]) -> None:
    """``text`` values are coerced as on the command line (a number from its text)."""
    data = application()
    body = {"process": PROCESS, "text": {"category": "severe", "household_size": "3"},
            "data": {k: v for k, v in data.items() if k not in ("category", "household_size")}}
    res = http.post("/v1/cases", json=body, headers=auth(bearer["wang.fang"]))
    assert res.status_code == 201, res.text
    shown = http.get(f"/v1/cases/{res.json()['case']}", headers=auth(bearer["wang.fang"]))
    assert shown.json()["data"]["household_size"] == 3
    assert {"label", "text"} <= set(shown.json()["fields"][0])


def test_a_definition_and_its_diagram(http: TestClient, bearer: dict[str, str]) -> None:
    """The definition as its file says it, with its hash; the diagram is mermaid text."""
    shown = http.get(f"/v1/definitions/{PROCESS}", headers=auth(bearer["wang.fang"]))
    assert shown.status_code == 200 and shown.json()["process"] == PROCESS
    assert len(shown.json()["hash"]) == 64 and shown.json()["states"]
    diagram = http.get(f"/v1/definitions/{PROCESS}/diagram", headers=auth(bearer["wang.fang"]))
    assert diagram.json()["format"] == "mermaid"
    assert "stateDiagram-v2" in diagram.json()["graph"]


def test_an_unknown_definition_or_format_is_refused(http: TestClient,
                                                    bearer: dict[str, str]) -> None:
    """Unknown process: 404 with 'did you mean'; an unknown diagram format: 400."""
    res = http.get("/v1/definitions/relief_aplication", headers=auth(bearer["wang.fang"], "en"))
    assert res.status_code == 404 and "relief_application" in res.json()["detail"]
    bad = http.get(f"/v1/definitions/{PROCESS}/diagram", params={"format": "dot"},
                   headers=auth(bearer["wang.fang"], "en"))
    assert bad.status_code == 400 and "mermaid" in bad.json()["detail"]


def test_a_notice_downloads_as_csv_with_a_file_name_and_masked(
        engine: Engine, http: TestClient, bearer: dict[str, str]) -> None:
    """CSV with Content-Disposition and the row count; no full ID and no phone in it."""
    _case(engine, "publicity")
    res = http.get("/v1/reports/notice", params={"level": "village", "unit": "shangcun",
                                                 "format": "csv"},
                   headers=auth(bearer["wang.fang"]))
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    assert res.headers["content-disposition"].startswith('attachment; filename="notice-')
    assert res.headers["x-bangfu-rows"] == "1"
    text = res.content.decode("utf-8-sig")
    assert "李秀兰" in text and LI_ID not in text and LI_PHONE not in text


def test_a_form_downloads_as_xlsx_and_the_stats_as_a_table(
        engine: Engine, http: TestClient, bearer: dict[str, str]) -> None:
    """XLSX is a zip of the spreadsheet; ``format=json`` is the table the CLI prints."""
    _case(engine, "disbursement")
    form = http.get("/v1/reports/form", params={"village": "shangcun", "format": "xlsx"},
                    headers=auth(bearer["xu.lei"]))
    assert form.status_code == 200 and form.content[:2] == b"PK"
    assert "spreadsheetml" in form.headers["content-type"]
    stats = http.get("/v1/reports/stats", params={"unit": "dongling"},
                     headers=auth(bearer["yang.jing"]))
    assert stats.status_code == 200 and stats.json()["kind"] == "stats"
    assert {"columns", "rows", "title"} <= set(stats.json())


def test_reports_of_another_unit_or_format_are_refused(http: TestClient,
                                                       bearer: dict[str, str]) -> None:
    """上村's clerk: 下村's form 403; the county's budget 403; an unknown format 400."""
    other = http.get("/v1/reports/form", params={"village": "xiacun"},
                     headers=auth(bearer["wang.fang"]))
    assert other.status_code == 403
    assert http.get("/v1/reports/budget", headers=auth(bearer["wang.fang"])).status_code == 403
    bad = http.get("/v1/reports/stats", params={"format": "pdf"},
                   headers=auth(bearer["yang.jing"], "en"))
    assert bad.status_code == 400 and "csv" in bad.json()["detail"]


def test_the_budget_is_for_the_county(http: TestClient, bearer: dict[str, str]) -> None:
    """The county bureau reads the budget execution, reconciled."""
    res = http.get("/v1/reports/budget", headers=auth(bearer["hu.kezhang"]))
    assert res.status_code == 200 and res.json()["reconciles"] is True


def test_the_inspection_team_replays_a_case_as_of_a_moment(
        engine: Engine, http: TestClient, bearer: dict[str, str]) -> None:
    """On the first day the case was on notice, though it is past it now; others may
    not replay."""
    number = _case(engine, "preliminary_review")
    res = http.get(f"/v1/audit/replay/{number}", params={"as_of": "2027-01-04T12:00+08:00"},
                   headers=auth(bearer["jiang.duban"]))
    assert res.status_code == 200, res.text
    assert (res.json()["state"], res.json()["as_of"]) == ("publicity", "2027-01-04T12:00:00+08:00")
    assert LI_ID not in res.text
    assert http.get(f"/v1/audit/replay/{number}",
                    headers=auth(bearer["wang.fang"])).status_code == 403


def test_a_replay_with_a_bad_time_is_refused(engine: Engine, http: TestClient,
                                             bearer: dict[str, str]) -> None:
    """Not a time: 400; before the case existed: 422; both say why."""
    number = _case(engine)
    bad = http.get(f"/v1/audit/replay/{number}", params={"as_of": "yesterday"},
                   headers=auth(bearer["jiang.duban"], "en"))
    assert bad.status_code == 400 and "2027-01-04T09:00+08:00" in bad.json()["detail"]
    early = http.get(f"/v1/audit/replay/{number}", params={"as_of": "2026-01-01"},
                     headers=auth(bearer["jiang.duban"], "en"))
    assert early.status_code == 422 and "did not exist yet" in early.json()["detail"]


def test_the_trail_exports_as_a_zip_masked(engine: Engine, http: TestClient,
                                           bearer: dict[str, str]) -> None:
    """events.jsonl and timeline.csv, no full ID; nothing is recorded for a masked one."""
    number = _case(engine)
    res = http.get("/v1/audit/export", headers=auth(bearer["jiang.duban"]))
    assert res.status_code == 200 and res.headers["x-bangfu-masked"] == "true"
    with zipfile.ZipFile(io.BytesIO(res.content)) as archive:
        assert sorted(archive.namelist()) == ["events.jsonl", "timeline.csv"]
        assert LI_ID not in archive.read("events.jsonl").decode("utf-8")
    assert engine.get_case(number).version == 1


def test_an_unmasked_export_needs_a_reason_and_is_recorded(
        engine: Engine, http: TestClient, bearer: dict[str, str]) -> None:
    """Without a reason 400 and nothing written; with one the full ID is in the zip and
    the case's history says who exported it and why."""
    number = _case(engine)
    refused = http.get("/v1/audit/export", params={"unmasked": "true"},
                       headers=auth(bearer["jiang.duban"], "en"))
    assert refused.status_code == 400 and "reason" in refused.json()["detail"]
    assert engine.get_case(number).version == 1
    res = http.get("/v1/audit/export", params={"unmasked": "true", "reason": "年度抽查",
                                               "case": number},
                   headers=auth(bearer["jiang.duban"]))
    assert res.status_code == 200, res.text
    with zipfile.ZipFile(io.BytesIO(res.content)) as archive:
        assert LI_ID in archive.read("events.jsonl").decode("utf-8")
    history = http.get(f"/v1/cases/{number}/history", headers=auth(bearer["jiang.duban"]))
    last = history.json()["events"][-1]
    assert (last["trigger"], last["actor"], last["comment"]) == ("export", "jiang.duban",
                                                                  "年度抽查")
    assert "导出" in last["trigger_label"]


def test_only_the_platform_roles_read_the_org(http: TestClient, bearer: dict[str, str]) -> None:
    """The administrator and the auditor read units and users; a reviewer gets 403."""
    res = http.get("/v1/org", headers=auth(bearer["admin"]))
    assert res.status_code == 200
    wang = next(u for u in res.json()["users"] if u["id"] == "wang.fang")
    assert wang["unit_path"].endswith("上村") and "phone" not in wang
    assert http.get("/v1/org", headers=auth(bearer["jiang.duban"])).status_code == 200
    assert http.get("/v1/org", headers=auth(bearer["wang.fang"])).status_code == 403


def _org_with_new_clerk(engine: Engine) -> str:
    text = str(engine.store.get_meta("org_yaml"))
    return text.replace("  - {id: zhang.min,", "  - {id: qian.li, name: 钱丽, unit: shangcun, "
                        "roles: [village_staff]}\n  - {id: zhang.min,", 1)


def test_an_org_load_dry_run_lists_the_changes_and_applies_none(
        engine: Engine, http: TestClient, bearer: dict[str, str]) -> None:
    """The dry run names the new user; the org is unchanged until it is applied."""
    body = {"yaml": _org_with_new_clerk(engine), "source": "new-org.yaml"}
    dry = http.post("/v1/org", params={"dry_run": "true"}, json=body,
                    headers=auth(bearer["admin"]))
    assert dry.status_code == 200, dry.text
    assert [c["id"] for c in dry.json()["changes"]] == ["qian.li"]
    assert "qian.li" not in engine.org.users
    done = http.post("/v1/org", json=body, headers=auth(bearer["admin"]))
    assert done.status_code == 200 and "qian.li" in engine.org.users


def test_a_broken_org_file_is_refused_whole(engine: Engine, http: TestClient,
                                            bearer: dict[str, str]) -> None:
    """An org naming an unknown unit: 422 with each problem and its line; nothing applied."""
    text = _org_with_new_clerk(engine).replace("unit: shangcun, roles: [village_staff]}",
                                               "unit: nowhere, roles: [village_staff]}", 1)
    res = http.post("/v1/org", json={"yaml": text}, headers=auth(bearer["admin"], "en"))
    assert res.status_code == 422, res.text
    assert res.json()["problems"] and res.json()["problems"][0]["line"]
    assert "qian.li" not in engine.org.users
    reviewer = http.post("/v1/org", json={"yaml": text}, headers=auth(bearer["wang.fang"]))
    assert reviewer.status_code == 403


def test_tokens_are_made_listed_and_revoked_by_the_administrator(
        http: TestClient, bearer: dict[str, str]) -> None:
    """A new token works at once and is shown once; the list never holds it; revoked, 401."""
    made = http.post("/v1/tokens", json={"user": "zhang.min", "expires": "30d"},
                     headers=auth(bearer["admin"]))
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert http.get("/v1/me", headers=auth(token)).json()["id"] == "zhang.min"
    listed = http.get("/v1/tokens", params={"user": "zhang.min"}, headers=auth(bearer["admin"]))
    assert listed.status_code == 200 and token not in json.dumps(listed.json())
    gone = http.delete(f"/v1/tokens/{made.json()['id']}", headers=auth(bearer["admin"]))
    assert gone.status_code == 200 and gone.json() == {"revoked": made.json()["id"]}
    assert http.get("/v1/me", headers=auth(token)).status_code == 401


def test_token_administration_refuses_others_and_bad_input(
        http: TestClient, bearer: dict[str, str]) -> None:
    """A reviewer: 403; an unknown user: 422; a life of ten years: 400; an unknown
    field: 422."""
    assert http.post("/v1/tokens", json={"user": "zhang.min"},
                     headers=auth(bearer["wang.fang"])).status_code == 403
    assert http.post("/v1/tokens", json={"user": "nobody"},
                     headers=auth(bearer["admin"])).status_code == 422
    assert http.post("/v1/tokens", json={"user": "zhang.min", "expires": "3650d"},
                     headers=auth(bearer["admin"])).status_code == 400
    assert http.post("/v1/tokens", json={"user": "zhang.min", "admin": True},
                     headers=auth(bearer["admin"])).status_code == 422
