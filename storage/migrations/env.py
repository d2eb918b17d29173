"""Alembic's environment: runs the revisions on the connection that
``storage.schema`` opened (``config.attributes["connection"]``), in the
transaction it began, so a failed revision leaves nothing applied.

SQLite gets batch mode (a change SQLite's ALTER TABLE cannot make recreates
the table); ``storage.schema`` turns its foreign keys off around the run, as
SQLite's own procedure for such changes says, and checks them afterwards.
"""

from __future__ import annotations

from alembic import context

from storage.tables import metadata


def run() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic runs this file inside a migration; imported otherwise (a walk over the
# package's modules), it does nothing.
if getattr(context, "_proxy", None) is not None:
    run()
