"""The notifications file: the shipped example, the default, and every problem
reported at once with its path and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from definitions import SHIPPED, DefinitionInvalid, Org
from notifications import DEFAULT_CONFIG, config_from_text, load_config
from notifications.config import MESSAGE_KINDS, parse_seconds

EXAMPLE = SHIPPED / "notifications.example.yaml"


def problems(text: str, org: Org | None = None) -> dict[str, tuple[int | None, str]]:
    with pytest.raises(DefinitionInvalid) as info:
        config_from_text(text, "n.yaml", org)
    return {p.path: (p.line, p.en) for p in info.value.problems}


def test_shipped_example_is_valid(shipped: tuple[object, Org]) -> None:
    """definitions/notifications.example.yaml loads against the sample org."""
    config = load_config(EXAMPLE, shipped[1])
    assert {c.type for c in config.channels.values()} == {
        "console", "smtp", "sms", "wecom", "dingtalk", "webhook"}
    assert config.rate("dongling_wecom") == (20 / 60, 20)
    assert config.rate("xihe_dingtalk") == (20 / 60, 20)
    assert config.rate("console") is None
    assert config.digest is not None and (config.digest.hour, config.digest.minute) == (8, 30)
    assert config.retry.base == timedelta(seconds=30)


def test_example_keeps_secrets_out() -> None:
    """The example names environment variables, never a password, key or robot URL."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "password:" not in text and "qyapi" not in text and "oapi.dingtalk" not in text
    assert "password_env: BANGFU_SMTP_PASSWORD" in text


def test_without_a_file_everything_goes_to_the_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """No --config and no BANGFU_NOTIFICATIONS: the console channel for every kind."""
    monkeypatch.delenv("BANGFU_NOTIFICATIONS", raising=False)
    config = load_config(None)
    assert config is DEFAULT_CONFIG
    assert set(config.routes[0].kinds) == set(MESSAGE_KINDS)
    assert config.routes[0].channels == ("console",)


def test_environment_names_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """BANGFU_NOTIFICATIONS is read when no path is given."""
    monkeypatch.setenv("BANGFU_NOTIFICATIONS", str(EXAMPLE))
    assert load_config(None).name == "qingshan"


def test_every_problem_is_reported_with_path_and_line(shipped: tuple[object, Org]) -> None:
    """Unknown channels, inline secrets, bad env names, wrong channel types, unknown units."""
    found = problems("""\
notifications: t
channels:
  console: {type: console}
  mail:
    type: smtp
    host: 127.0.0.1
    sender: a@example.org
    password: hunter2
  robot: {type: wecom, url_env: lower_case}
  bot2: {type: wecom, url_env: OK_URL}
  fax: {type: fax}
routes:
  - kinds: [waiting]
    channels: [consol, bot2]
robots:
  - {unit: donglin, channel: console, kinds: [reminder]}
retry: {base: 3 weeks}
""", shipped[1])
    assert found["channels.mail.password"][0] == 8
    assert "unknown key 'password'" in found["channels.mail.password"][1]
    assert found["channels.robot.url_env"][0] == 9
    assert found["channels.fax.type"][0] == 11
    assert "did you mean 'console'" in found["routes[0].channels[0]"][1]
    assert found["routes[0].channels[0]"][0] == 14
    assert "type 'wecom'" in found["routes[0].channels[1]"][1]
    assert "did you mean 'dongling'" in found["robots[0].unit"][1]
    assert "type 'console'" in found["robots[0].channel"][1]
    assert found["retry.base"][0] == 17


def test_unknown_message_kind_is_refused() -> None:
    """Routes name message kinds the core writes; a typo is an error with its line."""
    found = problems("notifications: t\nchannels: {console: {type: console}}\n"
                     "routes:\n  - {kinds: [remnder], channels: [console]}\n")
    assert found["routes[0].kinds[0]"][0] == 4


def test_missing_template_folder_is_an_error(tmp_path: Path) -> None:
    """A 'templates' folder that is not there is reported."""
    found = problems("notifications: t\ntemplates: nowhere\nchannels: {c: {type: console}}\n")
    assert "does not exist" in found["templates"][1]


def test_durations() -> None:
    """Retry and digest durations are seconds, minutes, hours or days."""
    assert parse_seconds("30s") == timedelta(seconds=30)
    assert parse_seconds("2d") == timedelta(days=2)
    with pytest.raises(ValueError):
        parse_seconds("1 fortnight")
