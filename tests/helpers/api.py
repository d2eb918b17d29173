"""The HTTP API as the generated tests see it: a database seeded with cases of two
villages in several states, a token per user who takes part, a digest of everything
stored (to show a request wrote nothing), and the app's operations read from its
OpenAPI document, with their path parameters filled: a case by its number, a
substitute's period by its number."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.tables import metadata
from tests.helpers.cases import PROCESS, application, household_id, move
from workflow import Engine
from workflow.bootstrap import open_tokens
from workflow.services.identity import create_token
from workflow.services.org import add_substitute

#: village 1 and village 2 of the sample org (both under 东岭镇)
VILLAGE_1, VILLAGE_2 = "shangcun", "xiacun"
#: the users a token is made for: village 1's clerk and panel, village 2's clerk, the
#: township office, the county inspector (and auditor), the administrator
USERS = ("wang.fang", "liu.qiang", "zhang.min", "yang.jing", "jiang.duban", "admin")
#: the states the seeded cases of each village are walked to
STATES = ("application", "deliberation", "publicity", "preliminary_review")
#: columns that record a read, not a change (a token's last use)
READ_MARKS = {("tokens", "last_used_at")}


@dataclass
class World:
    """The seeded database: its engine, a token per user, the case numbers per village."""

    engine: Engine
    tokens: dict[str, str]
    cases: dict[str, list[str]] = field(default_factory=dict)
    #: the number of a substitute's period of village 2
    substitution: int = 0

    def auth(self, user: str, lang: str = "zh") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}", "Accept-Language": lang}


def seed(engine: Engine) -> World:
    """Cases of village 1 and village 2, one in each of ``STATES``, and the tokens."""
    tokens = open_tokens(engine)
    world = World(engine, {u: create_token(engine, tokens, "admin", u, timedelta(days=30)).token
                           for u in USERS})
    n = 0
    for village, filer in ((VILLAGE_1, "wang.fang"), (VILLAGE_2, "zhang.min")):
        for state in STATES:
            n += 1
            number = engine.submit(PROCESS, filer, application(
                id_number=household_id(100 + n), applicant_name=f"测试户{n}")).case_number
            move(engine, number, state)
            world.cases.setdefault(village, []).append(number)
    # village 2's clerk has named a substitute of her own village for later days
    world.substitution = int(add_substitute(engine, "zhang.min", "zhang.min", "gao.peng",
                                            "2027-01-20", "2027-01-25", "休假")["id"])
    return world


def store_digest(engine: Engine) -> str:
    """A digest of every row of every table (but the marks a read leaves), in key order:
    equal digests before and after a request mean it wrote nothing."""
    digest = hashlib.sha256()
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in READ_MARKS]
            keys = list(table.primary_key.columns) or columns
            for row in conn.execute(select(*columns).order_by(*keys)):
                digest.update(f"{table.name}:{tuple(row)!r}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Operation:
    """One operation of the OpenAPI document."""

    method: str
    path: str
    secured: bool
    has_body: bool

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, ref: str) -> str:
        """The path with every parameter filled with ``ref``."""
        return re.sub(r"\{[^}]+\}", ref, self.path)


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    """Every operation the document states, and whether it names a security scheme."""
    default = document.get("security", [])
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            yield Operation(method, path, bool(op.get("security", default)),
                            "requestBody" in op)


def sample_body(document: dict[str, Any], path: str, method: str, ref: str) -> dict[str, Any]:
    """A request body of the operation's schema that would pass validation: its required
    properties filled (with ``ref`` for a case, a valid trigger and reason)."""
    op = document["paths"][path][method]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    fills: dict[str, Any] = {"trigger": "accept", "process": PROCESS, "case": ref,
                             "cases": [ref], "reason": "异议理由", "data": {},
                             # a substitute's period in village 2
                             "reviewer": "zhang.min", "substitute": "gao.peng",
                             "from": "2027-01-26", "to": "2027-01-28"}
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        kind = schema["properties"][name].get("type")
        body[name] = fills.get(name, [] if kind == "array" else {} if kind == "object" else "x")
    return body


#: the users of the sample org the API tests act as (上村 and 下村 staff, the panel, the
#: township office, the county, the inspection team, the administrator, an applicant)
API_USERS = ("wang.fang", "zhang.min", "liu.qiang", "li.xiulan", "yang.jing", "hu.kezhang",
             "jiang.duban", "admin", "xu.lei")


def auth(token: str, lang: str = "zh") -> dict[str, str]:
    """The headers of a request as the token's user, asking for ``lang``."""
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def tokens_for(engine: Engine, users: tuple[str, ...] = API_USERS) -> dict[str, str]:
    """A bearer token for each of ``users``, made by the administrator, living a year
    (the cases walked by ``move`` take the simulated clock weeks on)."""
    store = open_tokens(engine)
    return {u: create_token(engine, store, "admin", u, timedelta(days=366)).token
            for u in users}
