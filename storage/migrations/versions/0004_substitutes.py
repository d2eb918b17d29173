"""Substitutes: the periods in which a named substitute acts for a reviewer on leave.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 21:37:12.926382
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
#: what ``bangfu db history`` shows
title = {
    "zh": "代理人：审核人请假期间的代理期",
    "en": "substitutes: a reviewer's stand-in for a period",
}


def upgrade() -> None:
    op.create_table(
        "substitutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("substitute", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=128), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("end_reason", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("substitutions", schema=None) as batch_op:
        batch_op.create_index("ix_substitutions_reviewer", ["reviewer"], unique=False)
        batch_op.create_index("ix_substitutions_substitute", ["substitute"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("substitutions", schema=None) as batch_op:
        batch_op.drop_index("ix_substitutions_substitute")
        batch_op.drop_index("ix_substitutions_reviewer")

    op.drop_table("substitutions")
