"""The HTTP API: tokens, scoped reads, commands with Idempotency-Key and If-Match,
problem details; and the committed OpenAPI document matches the app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.helpers.cases import PROCESS, application, household_id
from workflow import Engine
from workflow.bootstrap import open_tokens
from workflow.services.identity import create_token, revoke_token

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine, open_tokens(engine))) as c:
        yield c


@pytest.fixture
def token(engine: Engine) -> dict[str, str]:
    """A bearer token per user of the sample org who takes part below."""
    tokens = open_tokens(engine)
    return {u: create_token(engine, tokens, "admin", u, timedelta(days=1)).token
            for u in ("wang.fang", "zhang.min", "liu.qiang", "li.xiulan", "jiang.duban")}


def auth(token: str, lang: str = "zh") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").json() == {"ok": True}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer bf_nope", "Basic abc",
                                    "Bearer " + "x" * 150])
def test_a_request_without_a_valid_token_is_401(client: TestClient, header: str | None) -> None:
    res = client.get("/v1/me", headers={"Authorization": header} if header else {})
    assert res.status_code == 401, res.text
    assert res.headers["content-type"] == "application/problem+json"
    assert res.headers["www-authenticate"] == "Bearer"
    body = res.json()
    assert body["status"] == 401 and body["code"] == "not_authenticated"
    assert "令牌" in body["detail"]


def test_a_revoked_or_expired_token_is_401(engine: Engine, client: TestClient,
                                          token: dict[str, str]) -> None:
    tokens = open_tokens(engine)
    assert client.get("/v1/me", headers=auth(token["wang.fang"])).status_code == 200
    (row,) = [r for r in tokens.listed("wang.fang")]
    revoke_token(engine, tokens, "admin", int(row["id"]))
    assert client.get("/v1/me", headers=auth(token["wang.fang"])).status_code == 401
    short = create_token(engine, tokens, "admin", "zhang.min", timedelta(minutes=1)).token
    assert client.get("/v1/me", headers=auth(short)).status_code == 200
    engine.set_clock(advance=timedelta(minutes=2))
    assert client.get("/v1/me", headers=auth(short)).status_code == 401


def test_only_the_administrator_makes_tokens(engine: Engine) -> None:
    from workflow import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_token(engine, open_tokens(engine), "wang.fang", "wang.fang", timedelta(days=1))


def test_the_token_itself_is_not_stored(engine: Engine, token: dict[str, str]) -> None:
    rows = open_tokens(engine).listed()
    assert rows and all(token["wang.fang"] not in json.dumps(r, default=str) for r in rows)


def test_a_reviewer_reads_only_their_villages_cases(
        engine: Engine, client: TestClient, token: dict[str, str]) -> None:
    """wang.fang (上村) sees 上村's case, not 下村's: 404, so its existence does not leak;
    the list holds hers only, with its total; the county inspector sees both."""
    mine = engine.submit(PROCESS, "li.xiulan", application()).case_number
    theirs = engine.submit(PROCESS, "zhang.min", application(
        id_number=household_id(7), applicant_name="赵六")).case_number
    ok = client.get(f"/v1/cases/{mine}", headers=auth(token["wang.fang"]))
    assert ok.status_code == 200 and ok.json()["number"] == mine
    for path in (f"/v1/cases/{theirs}", f"/v1/cases/{theirs}/history"):
        hidden = client.get(path, headers=auth(token["wang.fang"]))
        assert hidden.status_code == 404, hidden.text
    fired = client.post(f"/v1/cases/{theirs}/fire", json={"trigger": "accept"},
                        headers=auth(token["wang.fang"]))
    assert fired.status_code == 404
    listed = client.get("/v1/cases", headers=auth(token["wang.fang"])).json()
    assert (listed["total"], [c["number"] for c in listed["cases"]]) == (1, [mine])
    everything = client.get("/v1/cases", headers=auth(token["jiang.duban"])).json()
    assert everything["total"] == 2
    own = client.get("/v1/cases", headers=auth(token["li.xiulan"])).json()
    assert [c["number"] for c in own["cases"]] == [mine]


def test_submit_and_fire_with_idempotency_and_if_match(
        client: TestClient, token: dict[str, str]) -> None:
    body = {"process": PROCESS, "data": application()}
    first = client.post("/v1/cases", json=body, headers={**auth(token["wang.fang"]),
                                                          "Idempotency-Key": "portal-1"})
    assert first.status_code == 201, first.text
    number = first.json()["case"]
    again = client.post("/v1/cases", json=body, headers={**auth(token["wang.fang"]),
                                                          "Idempotency-Key": "portal-1"})
    assert again.json()["case"] == number
    other = client.post("/v1/cases", json={**body, "comment": "另一个"},
                        headers={**auth(token["wang.fang"]), "Idempotency-Key": "portal-1"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    stale = client.post(f"/v1/cases/{number}/fire", json={"trigger": "accept"},
                        headers={**auth(token["wang.fang"]), "If-Match": '"7"'})
    assert stale.status_code == 412, stale.text
    done = client.post(f"/v1/cases/{number}/fire", json={"trigger": "accept"},
                       headers={**auth(token["wang.fang"]), "If-Match": '"1"'})
    assert done.status_code == 200 and done.json()["state"] == "deliberation"
    history = client.get(f"/v1/cases/{number}/history", headers=auth(token["wang.fang"]))
    assert [e["trigger"] for e in history.json()["events"]] == ["submit", "accept"]


@pytest.mark.parametrize(("who", "body", "status", "code"), [
    ("liu.qiang", {"trigger": "accept"}, 403, "permission_denied"),
    ("wang.fang", {"trigger": "pass_deliberation"}, 409, "invalid_trigger"),
    ("wang.fang", {"trigger": "accept", "data": {"bogus": 1}}, 422, "invalid_data"),
    ("wang.fang", {"trigger": "accept", "extra": 1}, 422, "invalid_request"),
    ("wang.fang", {}, 422, "invalid_request"),
])
def test_refusals_are_problem_details(engine: Engine, client: TestClient,
                                      token: dict[str, str], who: str, body: dict[str, object],
                                      status: int, code: str) -> None:
    number = engine.submit(PROCESS, "wang.fang", application()).case_number
    res = client.post(f"/v1/cases/{number}/fire", json=body, headers=auth(token[who], "en"))
    assert (res.status_code, res.json()["code"]) == (status, code), res.text
    assert res.headers["content-type"] == "application/problem+json"
    assert engine.get_case(number).version == 1


def test_a_body_over_the_limit_is_413(client: TestClient, token: dict[str, str]) -> None:
    res = client.post("/v1/cases", content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                      headers={**auth(token["wang.fang"]), "Content-Type": "application/json"})
    assert res.status_code == 413 and res.json()["code"] == "too_large"


def test_messages_follow_accept_language(client: TestClient) -> None:
    assert "token" in client.get("/v1/me", headers={"Accept-Language": "en-GB"}).json()["detail"]
    assert "令牌" in client.get("/v1/me").json()["detail"]


def test_the_committed_openapi_document_is_the_apps(client: TestClient) -> None:
    """api/openapi.json is what the app serves (regenerate: `bangfu serve --openapi`)."""
    committed = json.loads((ROOT / "api" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == client.get("/openapi.json").json()


def test_a_bulk_fire_answers_per_case(engine: Engine, client: TestClient,
                                      token: dict[str, str]) -> None:
    """A village's list accepted at once: each case in its own transaction; a case of
    another village, or unknown, is refused alone."""
    ours = [engine.submit(PROCESS, "wang.fang", application(
        id_number=household_id(20 + i))).case_number for i in range(3)]
    other = engine.submit(PROCESS, "zhang.min", application(
        id_number=household_id(30))).case_number
    res = client.post("/v1/cases/fire", json={"cases": [*ours, other, "CF27-999999"],
                                              "trigger": "accept"},
                      headers=auth(token["wang.fang"]))
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["done"], body["refused"]) == (3, 2)
    assert [r["status"] for r in body["results"]] == [200, 200, 200, 404, 404]
    assert all(engine.get_case(n).state == "deliberation" for n in ours)
    assert engine.get_case(other).state == "application"


def test_a_reveal_over_http_needs_a_reason_and_is_recorded(
        engine: Engine, client: TestClient, token: dict[str, str]) -> None:
    number = engine.submit(PROCESS, "wang.fang", application()).case_number
    masked = client.get(f"/v1/cases/{number}", headers=auth(token["wang.fang"])).json()
    assert masked["data"]["id_number"] != application()["id_number"]
    refused = client.get(f"/v1/cases/{number}?reveal=true", headers=auth(token["wang.fang"]))
    assert refused.status_code == 422 and refused.json()["code"] == "comment_required"
    shown = client.get(f"/v1/cases/{number}", params={"reveal": "true", "reason": "入户核对"},
                       headers=auth(token["wang.fang"]))
    assert shown.json()["data"]["id_number"] == application()["id_number"]
    kinds = [e.kind for e in engine.history(number)]
    assert kinds == ["submitted", "reveal"]


def test_deadlines_are_those_of_the_users_cases(
        engine: Engine, client: TestClient, token: dict[str, str]) -> None:
    mine = engine.submit(PROCESS, "wang.fang", application()).case_number
    engine.submit(PROCESS, "zhang.min", application(id_number=household_id(40)))
    rows = client.get("/v1/deadlines", headers=auth(token["wang.fang"])).json()["deadlines"]
    assert rows and {r["case"] for r in rows} == {mine}


def test_only_the_inspection_team_verifies_the_whole_trail(
        engine: Engine, client: TestClient, token: dict[str, str]) -> None:
    engine.submit(PROCESS, "wang.fang", application())
    assert client.get("/v1/audit/verify", headers=auth(token["wang.fang"])).status_code == 403
    ok = client.get("/v1/audit/verify", headers=auth(token["jiang.duban"]))
    assert ok.status_code == 200 and ok.json()["ok"] is True and ok.json()["cases"] == 1


def test_definitions_are_listed(client: TestClient, token: dict[str, str]) -> None:
    found = client.get("/v1/definitions", headers=auth(token["wang.fang"])).json()
    assert {"relief_application", "union_visit"} <= {d["process"] for d in found}


def _on_notice(engine: Engine) -> str:
    from tests.helpers.cases import move

    number = engine.submit(PROCESS, "wang.fang", application()).case_number
    move(engine, number, "publicity")
    return number


def test_the_public_notice_needs_no_login_and_shows_no_full_numbers(
        engine: Engine, client: TestClient) -> None:
    number = _on_notice(engine)
    res = client.get("/v1/public/notice", params={"unit": "shangcun"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert [r["number"] for r in body["rows"]] == [number]
    text = json.dumps(body, ensure_ascii=False)
    assert application()["id_number"] not in text and "13900001111" not in text
    assert any("异议" in line for line in body["footer"])


def test_an_objection_from_the_public_is_an_event_and_floods_are_refused(
        engine: Engine, client: TestClient) -> None:
    number = _on_notice(engine)
    first = client.post("/v1/public/objections",
                        json={"case": number, "reason": "该户有经营收入", "contact": "13900009999"})
    assert first.status_code == 201, first.text
    assert engine.get_case(number).state == "objection_review"
    last = engine.history(number)[-1]
    assert (last.trigger, last.actor) == ("object", "qunzhong")
    codes = [client.post("/v1/public/objections", json={"case": number, "reason": "再次反映"})
             .status_code for _ in range(6)]
    assert codes[-1] == 429 and 201 in codes[:4]


def test_an_objection_to_a_case_not_on_notice_is_not_found(engine: Engine,
                                                           client: TestClient) -> None:
    number = engine.submit(PROCESS, "wang.fang", application()).case_number
    res = client.post("/v1/public/objections", json={"case": number, "reason": "x"})
    assert res.status_code == 404
    assert engine.get_case(number).version == 1


def test_readiness_says_whether_the_database_answers(engine: Engine, client: TestClient) -> None:
    assert client.get("/ready").json() == {"ready": True}
    engine.store.engine.dispose()  # type: ignore[attr-defined]

    def broken() -> int:
        raise OSError("the database is gone")

    engine.store.count_cases = broken  # type: ignore[method-assign]
    res = client.get("/ready")
    assert res.status_code == 503 and res.json()["code"] == "not_ready"


def test_a_body_that_cannot_be_read_is_400_problem_details(client: TestClient,
                                                           token: dict[str, str]) -> None:
    """Bytes that are not UTF-8 JSON: 400 with a message in the asked language."""
    res = client.post("/v1/cases/fire", content=b"\xff", headers={
        **auth(token["wang.fang"], "en"), "Content-Type": "application/json"})
    assert res.status_code == 400 and res.json()["code"] == "malformed_body"
    assert "UTF-8" in res.json()["detail"]


def test_a_method_a_path_does_not_take_is_405_with_its_methods(client: TestClient) -> None:
    """OPTIONS /v1/cases/fire: 405 problem details, Allow naming exactly POST."""
    res = client.options("/v1/cases/fire")
    assert res.status_code == 405 and res.headers["allow"] == "POST"
    assert res.headers["content-type"] == "application/problem+json"


def test_a_reviewer_names_and_ends_a_substitute_over_http(
        client: TestClient, token: dict[str, str]) -> None:
    """wang.fang names zhang.min (201), sees it listed; liu.qiang may not end it (403);
    wang.fang ends it."""
    body = {"reviewer": "wang.fang", "substitute": "zhang.min", "from": "2027-01-04",
            "to": "2027-01-10", "reason": "休产假"}
    made = client.post("/v1/org/substitutes", json=body, headers=auth(token["wang.fang"]))
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    listed = client.get("/v1/org/substitutes", headers=auth(token["wang.fang"])).json()
    assert [(v["id"], v["state"]) for v in listed] == [(ident, "active")]
    other = client.post(f"/v1/org/substitutes/{ident}/end", json={},
                        headers=auth(token["liu.qiang"]))
    assert other.status_code == 403 and other.json()["code"] == "permission_denied"
    ended = client.post(f"/v1/org/substitutes/{ident}/end", json={"reason": "销假"},
                        headers=auth(token["wang.fang"]))
    assert ended.status_code == 200 and ended.json()["state"] == "ended"


def test_a_refused_substitute_over_http_is_422_saying_why(
        client: TestClient, token: dict[str, str]) -> None:
    """A period over 90 days: 422 problem details with the rule, in English when asked."""
    body = {"reviewer": "wang.fang", "substitute": "zhang.min", "from": "2027-01-04",
            "to": "2027-12-31", "reason": "长假"}
    res = client.post("/v1/org/substitutes", json=body, headers=auth(token["wang.fang"], "en"))
    assert res.status_code == 422 and res.json()["code"] == "substitution_refused"
    assert "at most 90 days" in res.json()["detail"]
