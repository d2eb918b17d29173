"""Page logins: users' argon2 password hashes and page sessions, the latter kept by
the SHA-256 of their id only (the id itself lives in the user's cookie). Implements
``workflow.ports.LoginStore``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from storage.tables import passwords, sessions


class LoginStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set_password(self, user_id: str, hashed: str, at: datetime, by: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(passwords).where(passwords.c.user_id == user_id)
                                .values(hash=hashed, set_at=at, set_by=by)).rowcount
            if not done:
                conn.execute(insert(passwords).values(user_id=user_id, hash=hashed, set_at=at,
                                                      set_by=by))

    def password_hash(self, user_id: str) -> str | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(passwords.c.hash)
                                 .where(passwords.c.user_id == user_id)).scalar()
        return str(found) if found is not None else None

    def add_session(self, *, digest: str, user_id: str, csrf: str, created_at: datetime,
                    expires_at: datetime, method: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(sessions).values(
                digest=digest, user_id=user_id, csrf=csrf, created_at=created_at,
                last_seen_at=created_at, expires_at=expires_at, method=method))

    def session(self, digest: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions).where(sessions.c.digest == digest)).first()
        return dict(row._mapping) if row is not None else None

    def touch_session(self, digest: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.digest == digest)
                         .values(last_seen_at=at))

    def end_session(self, digest: str) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(sessions).where(sessions.c.digest == digest))
                        .rowcount)

    def end_sessions_of(self, user_id: str) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
                       .rowcount)

    def purge_sessions(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(sessions).where(sessions.c.expires_at < before))
                       .rowcount)
