"""The command line over the network: the README's reviewer walk-through run on a
local database with ``--as`` and against a running ``bangfu serve`` with ``--server``
and tokens prints the same and exits the same; login, logout and what goes wrong."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.cli import bangfu
from tests.helpers.servers import bangfu_serve, free_port, serve_http

START = "2027-01-04T09:00+08:00"
CASE = "CF27-000001"
SUBMIT = ("case", "submit", "relief_application",
          "-s", "applicant_name=李秀兰", "-s", "id_number=331122195803120422",
          "-s", "phone=13900001111", "-s", "household_size=3", "-s", "category=severe",
          "-s", "hardship_reason=丈夫重病住院",
          "-d", "application=申请书.pdf@2027-01-04", "-d", "id_cards=身份证.pdf@2027-01-04",
          "-d", "household_register=户口簿.pdf@2027-01-04",
          "-d", "authorisation=授权声明.pdf@2027-01-04")
DISBURSE = ("-s", "amount_fen=4000", "-s", "photo_ref=IMG-0125-01", "-s", "recipient_signed=是",
            "-s", "cadre_signed=是", "-s", "collected_by_recipient=是")

#: the README's walk-through: (who acts or reads, the command), in order
WALK: list[tuple[str, tuple[str, ...]]] = [
    ("li.xiulan", SUBMIT),
    ("wang.fang", ("queue",)),
    ("wang.fang", ("case", "options", CASE)),
    ("wang.fang", ("case", "advance", CASE, "accept")),
    ("liu.qiang", ("case", "advance", CASE, "pass_deliberation")),
    ("wang.fang", ("case", "advance", CASE, "close_notice")),
    ("wang.fang", ("case", "advance", CASE, "close_notice", "--json", "--lang", "en")),
    ("wang.fang", ("case", "advance", CASE, "withdraw")),
    ("", ("clock", "advance", "3d")),
    ("yang.jing", ("case", "advance", CASE, "approve_preliminary", "-s",
                   "home_visit_note=入户核实")),
    ("yang.jing", ("deadlines",)),
    ("zhu.tao", ("case", "advance", CASE, "approve_second")),
    ("hu.kezhang", ("case", "advance", CASE, "county_accept", "--expect-version", "9")),
    ("hu.kezhang", ("case", "advance", CASE, "county_accept", "--json")),
    ("xu.lei", ("case", "show", CASE)),
    ("xu.lei", ("case", "advance", CASE, "disburse", *DISBURSE)),
    ("xu.lei", ("case", "show", CASE)),
    ("xu.lei", ("case", "history", CASE, "--lang", "en")),
    ("yang.jing", ("case", "list", "--unit", "dongling", "--state", "disbursement")),
    ("yang.jing", ("case", "list", "--unit", "dongling", "--json")),
    ("yang.jing", ("report", "stats", "--unit", "dongling")),
    ("yang.jing", ("definitions", "list")),
    ("yang.jing", ("definitions", "graph", "relief_application", "--format", "mermaid")),
    ("yang.jing", ("definitions", "show", "relief_application", "--lang", "en")),
    ("jiang.duban", ("audit", "replay", CASE, "--as-of", "2027-01-07T12:00+08:00")),
    ("jiang.duban", ("audit", "verify", "--json")),
]
#: the users a token is made for
USERS = sorted({who for who, _ in WALK if who} | {"ma.hui", "admin"})
#: commands that take no --as locally (they read as the console operator)
NO_AS = {("definitions", "list"), ("definitions", "graph"), ("definitions", "show"),
         ("audit", "replay"), ("audit", "verify"), ("report", "stats"), ("org",)}


@dataclass
class Pair:
    """A local database and a served copy of it, with a token per user."""

    local: Path
    served: Path
    url: str
    tokens: dict[str, str]

    def here(self, who: str, args: tuple[str, ...]) -> object:
        extra = ["--as", who] if who and args[:2] not in NO_AS and args not in NO_AS else []
        return bangfu(*args, *extra, "--db", str(self.local))

    def there(self, who: str, args: tuple[str, ...]) -> object:
        if not who:  # the server's operator, on its console
            return bangfu(*args, "--db", str(self.served))
        return bangfu(*args, "--server", self.url, env={"BANGFU_TOKEN": self.tokens[who]})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("remote") / "template.db"
    result = bangfu("init", "--simulated", "--start", START, "--db", str(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def pair(template: Path, tmp_path: Path) -> Iterator[Pair]:
    local, served = tmp_path / "local.db", tmp_path / "served.db"
    shutil.copyfile(template, local)
    shutil.copyfile(template, served)
    tokens = {}
    for user in USERS:
        made = bangfu("users", "token", "create", user, "--as", "admin", "--db", str(served),
                      "--json")
        assert made.exit_code == 0, made.output
        tokens[user] = json.loads(made.output)["token"]
    with bangfu_serve(served, tmp_path / "serve.log") as url:
        yield Pair(local, served, url, tokens)


def _same(view: str) -> str:
    """What must differ between two databases: the cases' random ids in JSON views, and
    how long a verification took."""
    import re

    view = re.sub(r'"id": "[0-9a-f]{32}"', '"id": "…"', view)
    return re.sub(r'"(seconds|events_per_second)": [\d.]+', r'"\1": …', view)


def test_the_walk_through_prints_the_same_here_and_over_the_network(pair: Pair) -> None:
    """Every step of the README's walk-through: the same output, the same exit code."""
    for who, args in WALK:
        here, there = pair.here(who, args), pair.there(who, args)
        assert (there.exit_code, _same(there.output)) == (  # type: ignore[attr-defined]
            here.exit_code, _same(here.output)), (args, here.output)  # type: ignore[attr-defined]
    final = json.loads(pair.there("xu.lei", ("case", "show", CASE, "--json")).output)  # type: ignore[attr-defined]
    assert final["state"] == "completed"


def test_a_case_of_another_village_is_not_found_over_the_network(pair: Pair) -> None:
    """ma.hui (刘家村) on 上村's case: refused here (exit 1, jurisdiction), not found over
    the network (exit 4: its existence does not leak); nothing written either way."""
    for run in (pair.here, pair.there):
        assert run("li.xiulan", SUBMIT).exit_code == 0  # type: ignore[attr-defined]
    here = pair.here("ma.hui", ("case", "advance", CASE, "accept", "--lang", "en"))
    there = pair.there("ma.hui", ("case", "advance", CASE, "accept", "--lang", "en"))
    assert here.exit_code == 1 and "jurisdiction" in here.output  # type: ignore[attr-defined]
    assert there.exit_code == 4 and CASE in there.output  # type: ignore[attr-defined]
    shown = pair.there("wang.fang", ("case", "show", CASE, "--json"))
    assert json.loads(shown.output)["version"] == 1  # type: ignore[attr-defined]


def test_login_keeps_the_token_private_and_logout_forgets_it(pair: Pair, tmp_path: Path) -> None:
    """`bangfu login` checks the token with /v1/me and stores it with mode 0600; the next
    command needs no token; `bangfu logout` removes it."""
    config = tmp_path / "conf" / "credentials.json"
    env = {"BANGFU_CONFIG": str(config), "BANGFU_TOKEN": pair.tokens["wang.fang"]}
    done = bangfu("login", "--server", pair.url + "/", "--lang", "en", env=env)
    assert done.exit_code == 0 and "wang.fang" in done.output, done.output
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert pair.tokens["wang.fang"] in config.read_text(encoding="utf-8")
    queue = bangfu("queue", "--server", pair.url, "--json", env={"BANGFU_CONFIG": str(config)})
    assert queue.exit_code == 0 and json.loads(queue.output) == [], queue.output
    out = bangfu("logout", "--server", pair.url, env={"BANGFU_CONFIG": str(config)})
    assert out.exit_code == 0 and pair.tokens["wang.fang"] not in config.read_text()
    again = bangfu("queue", "--server", pair.url, "--lang", "en",
                   env={"BANGFU_CONFIG": str(config)})
    assert again.exit_code == 2 and "bangfu login --server" in again.output


def test_login_with_a_bad_token_stores_nothing(pair: Pair, tmp_path: Path) -> None:
    """The server refuses the token (401): exit 1, the message says to log in, no file."""
    config = tmp_path / "credentials.json"
    res = bangfu("login", "--server", pair.url, "--lang", "en",
                 env={"BANGFU_CONFIG": str(config), "BANGFU_TOKEN": "bf_not-a-token"})
    assert res.exit_code == 1 and "token" in res.output and not config.exists()


def test_a_credentials_file_others_can_read_is_refused(pair: Pair, tmp_path: Path) -> None:
    """A credentials file with group or world bits is refused, naming chmod 600."""
    config = tmp_path / "credentials.json"
    config.write_text(json.dumps({"servers": {pair.url: {"token": pair.tokens["wang.fang"]}}}))
    config.chmod(0o644)
    res = bangfu("queue", "--server", pair.url, "--lang", "en",
                 env={"BANGFU_CONFIG": str(config)})
    assert res.exit_code == 1 and "chmod 600" in res.output


def test_as_with_server_is_a_bad_command_line(pair: Pair) -> None:
    """`--as` with `--server` is refused (exit 2): the token's user acts."""
    res = bangfu("queue", "--server", pair.url, "--as", "yang.jing", "--lang", "en",
                 env={"BANGFU_TOKEN": pair.tokens["wang.fang"]})
    assert res.exit_code == 2 and "--as" in res.output and "token" in res.output


def test_a_server_that_does_not_answer_is_named(tmp_path: Path) -> None:
    """Nobody listening: a clear message naming the server, exit 69, no traceback."""
    url = f"http://127.0.0.1:{free_port()}"
    res = bangfu("case", "show", CASE, "--server", url, "--lang", "en",
                 env={"BANGFU_TOKEN": "bf_x"})
    assert res.exit_code == 69, res.output
    assert url in res.output and "bangfu serve" in res.output
    assert "Traceback" not in res.output


def test_a_report_downloaded_over_the_network_is_the_local_file(pair: Pair,
                                                                tmp_path: Path) -> None:
    """`report notice --out x.csv --server` writes the bytes the local command writes."""
    for run in (pair.here, pair.there):
        assert run("li.xiulan", SUBMIT).exit_code == 0  # type: ignore[attr-defined]
    args = ("report", "notice", "--level", "village", "--unit", "shangcun", "--json")
    here = bangfu(*args, "--out", str(tmp_path / "here.csv"), "--db", str(pair.local))
    there = bangfu(*args, "--out", str(tmp_path / "there.csv"), "--server", pair.url,
                   env={"BANGFU_TOKEN": pair.tokens["wang.fang"]})
    assert there.exit_code == here.exit_code == 0, there.output
    assert (tmp_path / "there.csv").read_bytes() == (tmp_path / "here.csv").read_bytes()
    assert {k: v for k, v in json.loads(there.output).items() if k != "file"} == \
        {k: v for k, v in json.loads(here.output).items() if k != "file"}


def test_the_administrator_changes_the_org_over_the_network_as_here(pair: Pair,
                                                                   tmp_path: Path) -> None:
    """`org` and `org load --dry-run` print the same here (--as admin) and over the
    network (the administrator's token), and the load applies there."""
    from definitions import SHIPPED_ORG

    text = Path(SHIPPED_ORG).read_text(encoding="utf-8")
    new = tmp_path / "new-org.yaml"
    new.write_text(text.replace("  - {id: zhang.min,", "  - {id: qian.li, name: 钱丽, unit: "
                                "shangcun, roles: [village_staff]}\n  - {id: zhang.min,", 1),
                   encoding="utf-8")
    for args in (("org",), ("org", "load", str(new), "--dry-run"), ("org", "load", str(new))):
        here, there = pair.here("admin", args), pair.there("admin", args)
        assert (there.exit_code, there.output) == (here.exit_code, here.output), args  # type: ignore[attr-defined]
    assert "qian.li" in pair.there("admin", ("org",)).output  # type: ignore[attr-defined]


def test_tokens_are_made_and_revoked_over_the_network(pair: Pair) -> None:
    """The administrator makes a token remotely; it works at once; revoked, it is refused."""
    made = pair.there("admin", ("users", "token", "create", "zhang.min", "--json"))
    assert made.exit_code == 0, made.output  # type: ignore[attr-defined]
    token = json.loads(made.output)  # type: ignore[attr-defined]
    listed = pair.there("admin", ("users", "token", "list", "--user", "zhang.min", "--json"))
    assert token["id"] in [r["id"] for r in json.loads(listed.output)]  # type: ignore[attr-defined]
    assert token["token"] not in listed.output  # type: ignore[attr-defined]
    env = {"BANGFU_TOKEN": token["token"]}
    assert bangfu("queue", "--server", pair.url, env=env).exit_code == 0
    gone = pair.there("admin", ("users", "token", "revoke", str(token["id"])))
    assert gone.exit_code == 0, gone.output  # type: ignore[attr-defined]
    refused = bangfu("queue", "--server", pair.url, "--lang", "en", env=env)
    assert refused.exit_code == 1 and "bangfu login --server" in refused.output


def test_a_server_that_is_not_bangfu_is_named(tmp_path: Path) -> None:
    """An HTTP server without Bangfu's problem reports: exit 69, the status named."""
    with serve_http() as other:
        res = bangfu("case", "advance", CASE, "accept", "--server", other.url, "--lang", "en",
                     env={"BANGFU_TOKEN": "bf_x"})
        assert other.requests and other.requests[0].headers["authorization"] == "Bearer bf_x"
    assert res.exit_code == 69, res.output
    assert "is it a Bangfu server?" in res.output and other.url in res.output


def test_a_reveal_over_the_network_needs_a_reason_and_is_in_the_history(pair: Pair) -> None:
    """`case show --reveal` without a reason: exit 1, nothing recorded; with one the full
    numbers are shown and the history names the reveal, as locally."""
    for run in (pair.here, pair.there):
        assert run("li.xiulan", SUBMIT).exit_code == 0  # type: ignore[attr-defined]
    bare = pair.there("wang.fang", ("case", "show", CASE, "--reveal", "--lang", "en"))
    assert bare.exit_code == 1 and "reason" in bare.output  # type: ignore[attr-defined]
    args = ("case", "show", CASE, "--reveal", "--reason", "入户核对身份")
    here, there = pair.here("wang.fang", args), pair.there("wang.fang", args)
    assert there.exit_code == 0 and "331122195803120422" in there.output  # type: ignore[attr-defined]
    assert there.output == here.output  # type: ignore[attr-defined]
    history = pair.there("wang.fang", ("case", "history", CASE))
    assert "查看完整身份证号和电话" in history.output and "入户核对身份" in history.output  # type: ignore[attr-defined]
