"""The HTTP API in-process (Starlette's TestClient): headers of a token's requests, and
the sample org's users a test makes tokens for."""

from __future__ import annotations

from datetime import timedelta

from workflow import Engine
from workflow.bootstrap import open_tokens
from workflow.services.identity import create_token

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
