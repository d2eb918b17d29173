"""Persistence: SQLModel tables, SQLAlchemy Core on the command path, the outbox
and the bulk writer. Implements ``workflow.ports``; wires nothing
(``workflow.bootstrap`` opens an Engine on a database).
"""

from __future__ import annotations

from storage.db import DEFAULT_DB, make_engine, resolve_url
from storage.sql import SqlStore

__all__ = ["DEFAULT_DB", "SqlStore", "make_engine", "resolve_url"]
