"""Deny by default, over every route of the app (generated from its route table, so a
new route is held to it too): a 上村 reviewer's token neither reads nor changes a 下村
case, and without a token only the open routes answer."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.helpers.api import auth
from tests.helpers.cases import PROCESS, application, household_id
from workflow import Engine
from workflow.bootstrap import open_tokens
from workflow.ports import TokenStore
from workflow.services.identity import create_token

#: routes anyone may call, without a token
OPEN = ("/health", "/ready", "/v1/public/")
#: a body for each route that takes one, aimed at 下村 where it names a place
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/cases"): {"process": PROCESS, "unit": "xiacun",
                            "data": application(id_number=household_id(61))},
    ("POST", "/v1/cases/{ref}/fire"): {"trigger": "accept"},
    ("POST", "/v1/cases/fire"): {"cases": ["{ref}"], "trigger": "accept"},
    ("POST", "/v1/org"): {"yaml": "units: []\nusers: []\n"},
    ("POST", "/v1/tokens"): {"user": "zhang.min"},
    ("POST", "/v1/public/objections"): {"case": "{ref}", "reason": "x"},
}
#: query parameters naming 下村 (or its case) for routes that take them
QUERY = {"unit": "xiacun", "village": "xiacun", "level": "village", "case": "{ref}"}


def _routes() -> list[tuple[str, str, list[str]]]:
    """Every operation of the app's OpenAPI document (which needs no engine): method,
    path and the names of its query parameters."""
    app = create_app(cast(Engine, None), cast(TokenStore, None))
    return [(method.upper(), path, [q["name"] for q in op.get("parameters", [])
                                    if q["in"] == "query"])
            for path, ops in app.openapi()["paths"].items() for method, op in ops.items()]


ROUTES = _routes()


def _request(client: TestClient, method: str, path: str, query: list[str], ref: str,
             headers: dict[str, str]) -> Any:
    url = path.replace("{ref}", ref).replace("{process}", PROCESS).replace("{token_id}", "1")
    params = {name: QUERY[name].replace("{ref}", ref) for name in query if name in QUERY}
    body = BODIES.get((method, path))
    if method == "POST":
        assert body is not None, f"give {method} {path} a body in BODIES"
        body = json.loads(json.dumps(body).replace("{ref}", ref))
    return client.request(method, url, params=params, json=body, headers=headers)


@pytest.fixture
def theirs(engine: Engine) -> str:
    """A case of 下村, opened by its clerk."""
    return engine.submit(PROCESS, "zhang.min", application(
        id_number=household_id(60), applicant_name="赵六")).case_number


@pytest.mark.parametrize(("method", "path", "query"),
                         [r for r in ROUTES if not r[1].startswith(OPEN)],
                         ids=[f"{m} {p}" for m, p, _ in ROUTES if not p.startswith(OPEN)])
def test_a_village_token_reaches_no_case_of_another_village(
        engine: Engine, theirs: str, method: str, path: str, query: list[str]) -> None:
    """wang.fang (上村) on a 下村 case or place: refused or not found, or answered without
    it; the case and the number of cases unchanged."""
    wang = create_token(engine, open_tokens(engine), "admin", "wang.fang",
                        timedelta(days=1)).token
    before = (engine.get_case(theirs).version, engine.store.count_cases())
    with TestClient(create_app(engine, open_tokens(engine))) as client:
        res = _request(client, method, path, query, theirs, auth(wang, "en"))
    assert res.status_code < 500, res.text
    if res.status_code < 400:
        assert theirs not in res.text or all(
            r["status"] == 404 for r in res.json().get("results", [{"status": 0}])), res.text
    assert (engine.get_case(theirs).version, engine.store.count_cases()) == before


@pytest.mark.parametrize(("method", "path", "query"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_without_a_token_only_the_open_routes_answer(
        engine: Engine, theirs: str, method: str, path: str, query: list[str]) -> None:
    """The public gets 401 everywhere but health, readiness and the notice routes; every
    answer says it is Bangfu's (X-Bangfu-Api)."""
    with TestClient(create_app(engine, open_tokens(engine))) as client:
        res = _request(client, method, path, query, theirs, {"Accept-Language": "en"})
    assert res.headers["x-bangfu-api"] == "1"
    if path.startswith(OPEN):
        assert res.status_code != 401, res.text
    else:
        assert res.status_code == 401, res.text
        assert res.headers["content-type"] == "application/problem+json"
