"""``bangfu org substitute add|list|end`` and a substitute's step in ``case history``,
run as a user runs them: output, JSON and exit codes."""

from __future__ import annotations

import json

from tests.helpers.cases import PROCESS, application
from tests.helpers.cli import bangfu
from tests.helpers.engines import opened

ADD = ("org", "substitute", "add", "wang.fang", "zhang.min", "--from", "2027-01-04",
       "--to", "2027-01-15", "-m", "休产假")


def test_add_prints_the_period(db_path: str) -> None:
    """The period is confirmed in one line with both people and its span."""
    res = bangfu(*ADD, "--as", "wang.fang", "--db", db_path)
    assert res.exit_code == 0, res.output
    assert "张敏（zhang.min）代 王芳（wang.fang），2027-01-04 09:00 起至 2027-01-16 00:00 止" \
        in res.output


def test_add_without_as_is_a_usage_error(db_path: str) -> None:
    """A command that acts needs --as: exit 2."""
    assert bangfu(*ADD, "--db", db_path).exit_code == 2


def test_a_refused_period_exits_1_and_writes_nothing(db_path: str) -> None:
    """Over 90 days: the rule in the message, exit 1, no period stored."""
    res = bangfu("org", "substitute", "add", "wang.fang", "zhang.min", "--from", "2027-01-04",
                 "--to", "2027-06-30", "-m", "长假", "--as", "wang.fang", "--db", db_path,
                 "--lang", "en")
    assert res.exit_code == 1 and "at most 90 days" in res.output
    listed = bangfu("org", "substitute", "list", "--json", "--db", db_path)
    assert json.loads(listed.output) == []


def test_an_unknown_substitute_exits_4(db_path: str) -> None:
    """A user the org does not have: exit 4 with a suggestion."""
    res = bangfu("org", "substitute", "add", "wang.fang", "zhang.ming", "--from",
                 "2027-01-04", "--to", "2027-01-05", "-m", "假", "--as", "wang.fang",
                 "--db", db_path)
    assert res.exit_code == 4 and "zhang.min" in res.output


def test_list_and_end_in_json(db_path: str) -> None:
    """The list shows the active period; ended, it shows the early end and who ended it."""
    bangfu(*ADD, "--as", "wang.fang", "--db", db_path)
    (row,) = json.loads(bangfu("org", "substitute", "list", "--json", "--db", db_path).output)
    assert (row["id"], row["state"], row["substitute"]) == (1, "active", "zhang.min")
    res = bangfu("org", "substitute", "end", "1", "-m", "提前销假", "--as", "admin", "--json",
                 "--db", db_path)
    ended = json.loads(res.output)
    assert (ended["state"], ended["ended_by"], ended["end_reason"]) == ("ended", "admin",
                                                                        "提前销假")


def test_history_shows_the_substitute_for_the_reviewer(db_path: str) -> None:
    """case history prints "张敏 (zhang.min) 代 王芳 (wang.fang)" on the step she did."""
    with opened(db_path) as engine:
        number = engine.submit(PROCESS, "li.xiulan", application()).case_number
    bangfu(*ADD, "--as", "wang.fang", "--db", db_path)
    fired = bangfu("case", "advance", number, "accept", "--as", "zhang.min", "--db", db_path)
    assert fired.exit_code == 0, fired.output
    res = bangfu("case", "history", number, "--db", db_path)
    assert "张敏 (zhang.min) 代 王芳 (wang.fang)" in res.output


def test_outside_the_period_the_cli_refuses_with_exit_1(db_path: str) -> None:
    """A period starting tomorrow: today's step is refused, saying when it begins."""
    with opened(db_path) as engine:
        number = engine.submit(PROCESS, "li.xiulan", application()).case_number
    bangfu("org", "substitute", "add", "wang.fang", "zhang.min", "--from", "2027-01-05",
           "--to", "2027-01-15", "-m", "休假", "--as", "wang.fang", "--db", db_path)
    res = bangfu("case", "advance", number, "accept", "--as", "zhang.min", "--db", db_path)
    assert res.exit_code == 1 and "代理期尚未开始" in res.output
