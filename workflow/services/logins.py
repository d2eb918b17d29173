"""Page logins: a password per user (argon2, set by an administrator), or one of the
user's API tokens; server-side sessions (a random id in the cookie, only its SHA-256
stored, expiring after an idle spell and at the latest after a working day, deleted on
logout). Services over an Engine, a ``LoginStore`` and a ``TokenStore``; times from
the engine's clock."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workflow.core.authz import platform_role
from workflow.engine import Engine
from workflow.errors import NotAuthenticated, UsageError
from workflow.ports import LoginStore, TokenStore
from workflow.services.identity import PREFIX, authenticate

#: a session ends this long after login whatever happens
SESSION_LIFE = timedelta(hours=12)
#: and sooner when unused this long
SESSION_IDLE = timedelta(minutes=30)
MIN_PASSWORD = 10
MAX_PASSWORD = 256

_hasher = PasswordHasher()
#: verified against when the user has no password, so that an unknown user takes as long
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class PageSession:
    """A logged-in session: the id goes in the cookie (only its SHA-256 is stored)."""

    id: str
    user: str
    csrf: str
    method: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _wrong() -> NotAuthenticated:
    return NotAuthenticated("wrong user name or password (or token)",
                            "用户名或密码（令牌）不正确")


def set_password(engine: Engine, logins: LoginStore, admin: str, user: str,
                 password: str) -> None:
    """Give ``user`` a new page-login password, set by ``admin`` (a platform role granting
    ``passwords``); the user's open sessions end.

    Raises:
        UnknownUser, PermissionDenied; UsageError: a password too short, too long, or
            the user's own id.
    """
    maker = engine.actor(admin)
    platform_role(engine.org, maker, "passwords")
    owner = engine.actor(user)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UsageError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
                         f"密码应为 {MIN_PASSWORD} 至 {MAX_PASSWORD} 个字符")
    if password.strip().lower() == owner.id.lower() or len(set(password)) < 4:
        raise UsageError("this password is too easy to guess (the user name, or too few "
                         "different characters)",
                         "密码过于简单（与用户名相同，或不同字符太少）")
    engine.sync_clock()
    logins.set_password(owner.id, _hasher.hash(password), engine.clock.now(), maker.id)
    logins.end_sessions_of(owner.id)


def _check_password(engine: Engine, logins: LoginStore, user: str, password: str) -> str:
    stored = logins.password_hash(user) if user in engine.org.users else None
    try:
        _hasher.verify(stored or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        raise _wrong() from None
    if stored is None:
        raise _wrong()
    if _hasher.check_needs_rehash(stored):
        logins.set_password(user, _hasher.hash(password), engine.clock.now(), user)
    return user


def log_in(engine: Engine, logins: LoginStore, tokens: TokenStore, user: str,
           secret: str) -> PageSession:
    """A new session for ``user`` proving who they are by password or by one of their API
    tokens (``bf_…``; the user name may then be left empty).

    Raises:
        NotAuthenticated: wrong user, password or token (which one is not said).
    """
    user, secret = user.strip(), secret.strip()
    if not secret or len(secret) > MAX_PASSWORD or len(user) > 64:
        raise _wrong()
    engine.sync_clock()
    if secret.startswith(PREFIX):
        try:
            owner = authenticate(engine, tokens, secret)
        except NotAuthenticated:
            raise _wrong() from None
        if user and user != owner:
            raise _wrong()
        user, method = owner, "token"
    else:
        user, method = _check_password(engine, logins, user, secret), "password"
    now = engine.clock.now()
    logins.purge_sessions(now)
    made = PageSession(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), method)
    logins.add_session(digest=_digest(made.id), user_id=user, csrf=made.csrf, created_at=now,
                       expires_at=now + SESSION_LIFE, method=method)
    return made


def session_of(engine: Engine, logins: LoginStore, session_id: str | None) -> PageSession:
    """The live session the cookie names; its idle time starts again.

    Raises:
        NotAuthenticated: none, expired, idle too long, or of a user the org no longer has.
    """
    if not session_id or len(session_id) > 100:
        raise NotAuthenticated("please log in", "请先登录")
    digest = _digest(session_id)
    row = logins.session(digest)
    engine.sync_clock()
    now = engine.clock.now()
    if row is None:
        raise NotAuthenticated("please log in", "请先登录")
    if row["expires_at"] <= now or row["last_seen_at"] + SESSION_IDLE <= now or \
            row["user_id"] not in engine.org.users:
        logins.end_session(digest)
        raise NotAuthenticated("your session has expired: please log in again",
                               "登录已过期，请重新登录")
    logins.touch_session(digest, now)
    return PageSession(session_id, str(row["user_id"]), str(row["csrf"]), str(row["method"]))


def log_out(logins: LoginStore, session_id: str | None) -> bool:
    """End the session (its row is deleted); False if there was none."""
    return bool(session_id) and logins.end_session(_digest(str(session_id)))
