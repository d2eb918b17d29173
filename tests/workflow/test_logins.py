"""Page logins as services: passwords set by the administrator only, kept as argon2
hashes, sessions kept by their SHA-256 that expire on the engine's clock; the CLI reads
the password from stdin, never from an argument; the base URL read in one place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from cli import app
from tests.helpers.cli import CLEAN_ENV
from tests.helpers.pages import PASSWORD
from workflow import Engine, PermissionDenied
from workflow.bootstrap import open_logins, open_tokens
from workflow.errors import NotAuthenticated, UsageError
from workflow.links import base_url, case_link
from workflow.services.logins import log_in, session_of, set_password


def test_only_the_administrator_sets_passwords(engine: Engine) -> None:
    """wang.fang may not set her own (or anyone's) password."""
    with pytest.raises(PermissionDenied):
        set_password(engine, open_logins(engine), "wang.fang", "wang.fang", PASSWORD)


@pytest.mark.parametrize("password", ["short", "wang.fang", "aaaaaaaaaaaa", "x" * 300])
def test_weak_passwords_are_refused(engine: Engine, password: str) -> None:
    """Too short, the user's id, too few different characters, too long."""
    with pytest.raises(UsageError):
        set_password(engine, open_logins(engine), "admin", "wang.fang", password)


def test_only_an_argon2_hash_is_stored(engine: Engine) -> None:
    """The stored value is an argon2id hash, not the password."""
    logins = open_logins(engine)
    set_password(engine, logins, "admin", "wang.fang", PASSWORD)
    stored = logins.password_hash("wang.fang") or ""
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_the_session_id_is_not_stored(engine: Engine) -> None:
    """The session row holds the SHA-256 of the cookie's id, not the id."""
    logins = open_logins(engine)
    set_password(engine, logins, "admin", "wang.fang", PASSWORD)
    made = log_in(engine, logins, open_tokens(engine), "wang.fang", PASSWORD)
    assert logins.session(made.id) is None
    assert session_of(engine, logins, made.id).user == "wang.fang"


def test_a_session_ends_twelve_hours_after_login(engine: Engine) -> None:
    """Used every 20 minutes, a session still ends 12 hours after login."""
    logins = open_logins(engine)
    set_password(engine, logins, "admin", "wang.fang", PASSWORD)
    made = log_in(engine, logins, open_tokens(engine), "wang.fang", PASSWORD)
    for _ in range(35):
        engine.set_clock(advance=timedelta(minutes=20))
        session_of(engine, logins, made.id)
    engine.set_clock(advance=timedelta(minutes=20))
    with pytest.raises(NotAuthenticated):
        session_of(engine, logins, made.id)


def test_a_new_password_ends_the_users_sessions(engine: Engine) -> None:
    """After the administrator sets a new password the old session is gone."""
    logins = open_logins(engine)
    set_password(engine, logins, "admin", "wang.fang", PASSWORD)
    made = log_in(engine, logins, open_tokens(engine), "wang.fang", PASSWORD)
    set_password(engine, logins, "admin", "wang.fang", "another good password")
    with pytest.raises(NotAuthenticated):
        session_of(engine, logins, made.id)


def test_the_cli_reads_the_password_from_stdin(engine: Engine, db_path: str) -> None:
    """``users password set`` takes the password from stdin and it then logs in."""
    res = CliRunner().invoke(app, ["users", "password", "set", "zhang.min", "--as", "admin",
                                   "--db", db_path], input=PASSWORD + "\n", env=CLEAN_ENV)
    assert res.exit_code == 0, res.output
    assert PASSWORD not in res.output
    made = log_in(engine, open_logins(engine), open_tokens(engine), "zhang.min", PASSWORD)
    assert made.user == "zhang.min"


def test_the_base_url_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """BANGFU_BASE_URL, without its trailing slash, begins the case links."""
    monkeypatch.setenv("BANGFU_BASE_URL", "https://bangfu.example.gov.cn/")
    assert case_link("CF27-000001") == "https://bangfu.example.gov.cn/desk/cases/CF27-000001"
    monkeypatch.setenv("BANGFU_BASE_URL", "ftp://nope")
    with pytest.raises(UsageError):
        base_url()
