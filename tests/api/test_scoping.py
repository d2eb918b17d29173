"""Deny by default, generated over every route the app has (read from ``app.routes`` and
its OpenAPI document, so a route added later is covered without a new test): a village-1
reviewer's token neither reads nor changes a village-2 case, no token gets 401, and
anonymous requests reach only the few public routes listed here; a new route that
answers without a login fails until it is added to that list on purpose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from api.problems import flat_routes
from tests.helpers.api import PROCESS, VILLAGE_2, World, operations, sample_body, store_digest

#: the API's public routes (no login): operations, the document, its page
PUBLIC_API = (r"/health", r"/ready", r"/openapi\.json", r"/docs", r"/docs/oauth2-redirect",
              r"/v1/public/.+")
#: the public pages agreed between the branches: logging in and out, the notice and its
#: objection form, the verification page of a printed paper, static files
PUBLIC_PAGES = (r"/login", r"/logout", r"/notice/.+", r"/v/.*", r"/static(/.*)?")
PUBLIC = re.compile("^(" + "|".join((*PUBLIC_API, *PUBLIC_PAGES)) + ")$")
#: village 1's clerk reads Shangcun's cases; village 2's clerk reads Xiacun's
OUTSIDER, INSIDER = "wang.fang", "zhang.min"


@pytest.fixture(scope="module")
def client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def target(world: World) -> str:
    """The village-2 case every path parameter names: one its own clerk could accept."""
    return world.cases[VILLAGE_2][0]


def secrets_of(world: World) -> list[str]:
    """What of village 2 must not reach village 1: its cases' ids and applicants, and
    who stands in for its clerk."""
    out = ["gao.peng"]
    for number in world.cases[VILLAGE_2]:
        case = world.engine.get_case(number)
        out += [case.id, str(case.data["applicant_name"])]
    return out


#: the path parameters that name something other than a case, filled from the world
NAMED = {"level": lambda w: "village", "unit": lambda w: VILLAGE_2,
         "ident": lambda w: str(w.substitution), "process": lambda w: PROCESS,
         "token_id": lambda w: "1"}
#: the required query parameters, filled to name village 2
QUERY = {"level": "village", "unit": VILLAGE_2, "village": VILLAGE_2}


def names_a_case(path: str) -> bool:
    """A path that names a case, a substitute's period or a token (not a process)."""
    return any(f"{{{p}" in path for p in ("ref", "ident", "token_id", "code"))


def filled(path: str, ref: str, world: World) -> str:
    """A route's path with its parameters filled: a level, a unit of village 2, village 2's
    substitute's period, and otherwise the case."""
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}",
                  lambda m: NAMED[m.group(1)](world) if m.group(1) in NAMED else ref, path)


def request(client: TestClient, document: dict[str, Any], method: str, path: str, ref: str,
            headers: dict[str, str], world: World) -> Any:
    body = sample_body(document, path, method, ref) \
        if "requestBody" in document.get("paths", {}).get(path, {}).get(method, {}) else None
    if body is not None and "unit" in _properties(document, path, method):
        body["unit"] = VILLAGE_2
    params = {p["name"]: QUERY.get(p["name"], "x")
              for p in document.get("paths", {}).get(path, {}).get(method, {})
              .get("parameters", []) if p["in"] == "query" and p.get("required")}
    return client.request(method.upper(), filled(path, ref, world), json=body, headers=headers,
                          params=params)


def _properties(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"][
        "schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return dict(schema.get("properties", {}))


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path) the app routes, pages and mounts included."""
    for route in flat_routes(app.routes):
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                yield method.lower(), route.path
        elif isinstance(route, Mount):
            yield "get", route.path + "/x"


def test_every_operation_without_a_login_is_on_the_public_list(document: dict[str, Any]) -> None:
    """An operation the document states without a security scheme must be listed public."""
    open_ops = [op.label for op in operations(document) if not op.secured]
    assert open_ops, "the document states the public notice routes"
    assert [label for label in open_ops if not PUBLIC.match(label.split(" ", 1)[1])] == []


def test_the_generated_routes_include_every_operation(api_app: FastAPI,
                                                      document: dict[str, Any]) -> None:
    """The routes walked below are a superset of the document's operations."""
    routed = set(app_routes(api_app))
    assert {(op.method, op.path) for op in operations(document)} <= routed


def test_no_token_gets_401_on_every_secured_operation(
        client: TestClient, document: dict[str, Any], world: World, subtests: Any) -> None:
    """Without a token every secured operation answers 401 problem details, writes nothing."""
    before = store_digest(world.engine)
    for op in operations(document):
        if not op.secured:
            continue
        with subtests.test(op.label):
            res = request(client, document, op.method, op.path, target(world), {}, world)
            assert res.status_code == 401, res.text
            assert res.headers["content-type"] == "application/problem+json"
            assert res.headers["www-authenticate"] == "Bearer"
    assert store_digest(world.engine) == before


def test_anonymous_requests_reach_only_the_public_routes(
        api_app: FastAPI, client: TestClient, document: dict[str, Any], world: World,
        subtests: Any) -> None:
    """Every route not on the public list refuses an anonymous request: 401 for the API; a
    page answers 401 or 403, or redirects to the login page (or to another page that is
    not public, which is walked here too); nothing is written."""
    before = store_digest(world.engine)
    for method, path in app_routes(api_app):
        if PUBLIC.match(path):
            continue
        with subtests.test(f"{method.upper()} {path}"):
            res = request(client, document, method, path, target(world), {}, world)
            if path.startswith("/v1/"):
                assert res.status_code == 401, res.text
            elif res.status_code in (302, 303, 307):
                location = res.headers.get("location", "").split("?", 1)[0]
                assert location == "/login" or (location.startswith("/")
                                                and not PUBLIC.match(location)), location
            else:
                assert res.status_code in (401, 403), res.text
    assert store_digest(world.engine) == before


def test_a_village_1_token_neither_reads_nor_changes_a_village_2_case(
        client: TestClient, document: dict[str, Any], world: World, subtests: Any) -> None:
    """With wang.fang's token (上村), every secured operation naming a 下村 case is refused
    (404, or 403), or answers without any of 下村's cases in it; nothing is written."""
    ref, secrets = target(world), secrets_of(world)
    before = store_digest(world.engine)
    for op in operations(document):
        if not op.secured:
            continue
        with subtests.test(op.label):
            res = request(client, document, op.method, op.path, ref, world.auth(OUTSIDER),
                          world)
            assert res.status_code < 500, res.text
            if names_a_case(op.path):
                assert res.status_code in (403, 404), res.text
            else:
                assert res.status_code in (200, 201, 403, 404), res.text
                assert not [s for s in secrets if s in res.text], res.text
            if res.status_code < 300 and op.method == "post":
                results = res.json().get("results", [])
                assert results and all(r["status"] in (403, 404) for r in results), res.text
    assert store_digest(world.engine) == before


def test_village_2s_clerk_reads_what_village_1_may_not(
        client: TestClient, document: dict[str, Any], world: World, subtests: Any) -> None:
    """The control: the same reads with zhang.min's token (下村) answer 200, so the refusals
    above come from the scope, not from a malformed request."""
    for op in operations(document):
        if not op.secured or op.method != "get" or not op.path.startswith("/v1/cases/{ref}"):
            continue
        with subtests.test(op.label):
            res = request(client, document, op.method, op.path, target(world),
                          world.auth(INSIDER), world)
            assert res.status_code == 200, res.text

