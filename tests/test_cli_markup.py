"""Stored text and arguments are shown as typed: rich markup in a name, a comment or an
argument never breaks a listing (it once ended in a MarkupError traceback for every
reviewer of the village)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from tests.helpers.cases import PROCESS, application
from workflow import Engine

MARKUP = "[/]"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def marked(engine: Engine, db_path: str) -> str:
    """A case whose applicant is named '[/]', with markup in its reason and comment."""
    res = engine.submit(PROCESS, "wang.fang",
                        application(applicant_name=MARKUP, hardship_reason="[bold]病[/bold] [/]"),
                        comment=MARKUP)
    return res.case_number


@pytest.mark.parametrize("command", [
    ("queue", "--as", "wang.fang"), ("case", "list"), ("case", "show", "{n}", "--as", "wang.fang"),
    ("case", "history", "{n}"), ("audit", "replay", "{n}"),
])
def test_markup_in_stored_text_is_shown_as_typed(marked: str, db_path: str,
                                                 command: tuple[str, ...]) -> None:
    code, output = run(*(a.format(n=marked) for a in command), "--db", db_path)
    assert code == 0, output
    assert MARKUP in output
    assert "Traceback" not in output and "MarkupError" not in output and "内部错误" not in output


@pytest.mark.parametrize("command", [
    ("case", "show", MARKUP, "--as", "wang.fang"),
    ("case", "advance", "{n}", MARKUP, "--as", "wang.fang"),
    ("case", "show", "{n}", "--as", MARKUP),
])
def test_markup_in_an_argument_is_echoed_as_typed(marked: str, db_path: str,
                                                  command: tuple[str, ...]) -> None:
    """A refusal quoting the argument prints it plainly, with exit 1 or 4, no traceback."""
    code, output = run(*(a.format(n=marked) for a in command), "--db", db_path)
    assert code in (1, 4), output
    assert f"'{MARKUP}'" in output
    assert "Traceback" not in output and "内部错误" not in output
