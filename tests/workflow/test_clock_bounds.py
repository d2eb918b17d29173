"""A simulated clock moves within bounds: a jump far ahead is refused with a message
instead of writing escalations without end, and absurd times are refused where typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli import app
from workflow import ClockError, Engine
from workflow.engine import MAX_CLOCK_MOVE


def test_a_jump_beyond_the_bound_is_refused_and_fires_nothing(
        engine: Engine, new_case: object, unchanged: object) -> None:
    """`clock set 9999-12-31` with an open case once wrote 12,886 escalation events."""
    new_case()  # type: ignore[operator]
    before = engine.clock.now()
    with unchanged(), pytest.raises(ClockError) as ei:  # type: ignore[operator]
        engine.set_clock(when=datetime(9999, 12, 31, 15, 59, tzinfo=UTC))
    assert f"{MAX_CLOCK_MOVE.days} days" in str(ei.value)
    assert "分步" in ei.value.localized("zh")
    with pytest.raises(ClockError):
        engine.set_clock(advance=MAX_CLOCK_MOVE + timedelta(minutes=1))
    assert engine.clock.now() == before


def test_a_jump_within_the_bound_moves(engine: Engine) -> None:
    before = engine.clock.now()
    engine.set_clock(advance=MAX_CLOCK_MOVE)
    assert engine.clock.now() - before == MAX_CLOCK_MOVE


@pytest.mark.parametrize("args", [
    ("advance", "99999999d"), ("advance", "999999999999d"), ("advance", "1e9d"),
    ("set", "9999-12-31T23:59+08:00"), ("set", "9999-12-31T23:59:59.999999-12:00"),
    ("set", "0001-01-01T00:00+08:00"),
])
def test_absurd_clock_moves_get_a_message(db_path: str, args: tuple[str, ...]) -> None:
    """No traceback, no exit 70: exit 1 and a message naming the bound or the input."""
    result = CliRunner().invoke(app, ["clock", *args, "--db", db_path])
    assert result.exit_code == 1, result.output
    assert "内部错误" not in result.output and "Traceback" not in result.output
    assert "错误" in result.output


def test_a_database_url_that_does_not_parse_gets_a_message() -> None:
    result = CliRunner().invoke(app, ["case", "list", "--db", "://"])
    assert result.exit_code == 1, result.output
    assert "不是有效的数据库地址" in result.output and "内部错误" not in result.output


def test_a_checkpoint_file_nested_too_deeply_gets_a_message(db_path: str, tmp_path: object) -> None:
    from pathlib import Path

    deep = Path(str(tmp_path)) / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", "verify", "--db", db_path, "--checkpoint",
                                      str(deep)])
    assert result.exit_code == 1, result.output
    assert "嵌套层数过多" in result.output and "内部错误" not in result.output
