"""Secrets come from a variable or from the file ``NAME_FILE`` names (systemd
credentials): the database URL, the checkpoint key and the channels' secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.channels.base import DeliveryFailed, secret
from storage.db import resolve_url
from workflow.errors import FileError
from workflow.secrets import read_secret

NAME = "BANGFU_TEST_SECRET"


def test_a_secret_from_a_file_drops_its_trailing_newline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NAME_FILE names a file; its value is read without the newline editors add."""
    (tmp_path / "s").write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "s"))
    assert read_secret(NAME) == "s3cret"


def test_a_secret_from_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without NAME_FILE the variable itself is the value; neither set is None."""
    assert read_secret(NAME) is None
    monkeypatch.setenv(NAME, "direct")
    assert read_secret(NAME) == "direct"


def test_both_ways_at_once_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable and a file for the same secret: which one is meant is not guessed."""
    (tmp_path / "s").write_text("a", encoding="utf-8")
    monkeypatch.setenv(NAME, "b")
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "s"))
    with pytest.raises(FileError, match="set one of them"):
        read_secret(NAME)


def test_an_unreadable_file_names_the_variable_not_the_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing file is an error naming NAME_FILE and the path."""
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "missing"))
    with pytest.raises(FileError) as caught:
        read_secret(NAME)
    assert f"{NAME}_FILE" in str(caught.value) and "missing" in str(caught.value)
    assert "无法读取" in caught.value.localized("zh")


def test_the_database_url_comes_from_a_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """BANGFU_DB_FILE holds a URL with its password, as a systemd credential would."""
    url = "postgresql+psycopg://bangfu:pw@127.0.0.1:5432/bangfu"
    (tmp_path / "db").write_text(url + "\n", encoding="utf-8")
    monkeypatch.setenv("BANGFU_DB_FILE", str(tmp_path / "db"))
    assert resolve_url(None) == url


def test_a_channel_secret_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable a notifications file names may be given as a file too."""
    (tmp_path / "k").write_text("robot-key", encoding="utf-8")
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "k"))
    assert secret(NAME, "robot key") == "robot-key"
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "gone"))
    with pytest.raises(DeliveryFailed):
        secret(NAME, "robot key")
