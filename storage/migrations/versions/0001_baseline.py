"""Baseline: the schema of release 9dd431c.

What ``metadata.create_all`` made before migrations existed.
A database made by that release has these tables and no ``alembic_version``;
``storage.schema.upgrade`` compares its tables with these and stamps it here.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# (constraints in the order the release's create_all wrote them: the test holds the
# DDL to the release's, text for text)
# Only the DDL of these types counts here (ISO text on SQLite, timestamptz on
# PostgreSQL; case ids sorted byte by byte on PostgreSQL).
from storage.tables import CASE_ID, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
#: what ``bangfu db history`` shows
title = {"zh": "基线：9dd431c 版本的表结构", "en": "Baseline: the schema of release 9dd431c"}


def upgrade() -> None:
    op.create_table('bangfu_meta',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(), nullable=False),
        sa.PrimaryKeyConstraint('key')
    )
    op.create_table('cases',
        sa.Column('id', CASE_ID, nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('process', sa.String(length=64), nullable=False),
        sa.Column('definition_version', sa.Integer(), nullable=False),
        sa.Column('definition_hash', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=64), nullable=False),
        sa.Column('unit', sa.String(length=64), nullable=False),
        sa.Column('applicant_user', sa.String(length=64), nullable=True),
        sa.Column('submitted_by', sa.String(length=64), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('duties', sa.JSON(), nullable=False),
        sa.Column('first_entered', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('state_entered_at', UTCDateTime(), nullable=False),
        sa.Column('campaign', sa.String(length=64), nullable=True),
        sa.Column('head_hash', sa.String(length=64), nullable=False),
        sa.Column('household', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_cases_applicant_user'), 'cases', ['applicant_user'], unique=False)
    op.create_index(op.f('ix_cases_campaign'), 'cases', ['campaign'], unique=False)
    op.create_index('ix_cases_household_campaign', 'cases', ['household', 'campaign'], unique=False)
    op.create_index('ix_cases_process_state', 'cases', ['process', 'state'], unique=False)
    op.create_index(op.f('ix_cases_unit'), 'cases', ['unit'], unique=False)
    op.create_table('checkpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('heads', sa.JSON(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('made_by', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_table('counters',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name')
    )
    op.create_table('definitions',
        sa.Column('process', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('registered_at', UTCDateTime(), nullable=False),
        sa.Column('registered_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('process', 'version')
    )
    op.create_table('tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_by', sa.String(length=64), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest')
    )
    op.create_index(op.f('ix_tokens_user_id'), 'tokens', ['user_id'], unique=False)
    op.create_table('events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', CASE_ID, nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=True),
        sa.Column('trigger', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.Column('dest', sa.String(length=64), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('comment', sa.String(), nullable=True),
        sa.Column('definition_version', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=128), nullable=True),
        sa.Column('request_hash', sa.String(length=64), nullable=True),
        sa.Column('meta', sa.JSON(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'seq', name='uq_events_case_seq'),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
        sa.UniqueConstraint('idempotency_key')
    )
    op.create_table('ledger',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign', sa.String(length=64), nullable=False),
        sa.Column('line', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.Column('case_id', CASE_ID, nullable=True),
        sa.Column('event_seq', sa.Integer(), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('note', sa.String(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_ledger_campaign_line', 'ledger', ['campaign', 'line'], unique=False)
    op.create_index('ix_ledger_case', 'ledger', ['case_id'], unique=False)
    op.create_table('outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=96), nullable=False),
        sa.Column('case_id', CASE_ID, nullable=False),
        sa.Column('event_seq', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('recipient', sa.String(length=64), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], )
    )
    op.create_index('ix_outbox_status', 'outbox', ['status', 'id'], unique=False)
    op.create_table('timers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', CASE_ID, nullable=False),
        sa.Column('spec_id', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('state', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('deadline_at', UTCDateTime(), nullable=False),
        sa.Column('trigger', sa.String(length=64), nullable=True),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('fired_at', UTCDateTime(), nullable=True),
        sa.Column('error', sa.String(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_timers_case_status', 'timers', ['case_id', 'status'], unique=False)
    op.create_index('ix_timers_status_due', 'timers', ['status', 'due_at'], unique=False)
    op.create_table('deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.String(length=240), nullable=False),
        sa.Column('message_id', sa.String(length=160), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('case_id', CASE_ID, nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=64), nullable=False),
        sa.Column('recipient', sa.String(length=64), nullable=True),
        sa.Column('address', sa.String(length=320), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('delivery_id'),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], )
    )
    op.create_index(op.f('ix_deliveries_message_id'), 'deliveries', ['message_id'], unique=False)
    op.create_index('ix_deliveries_recipient', 'deliveries', ['recipient', 'kind'], unique=False)
    op.create_index('ix_deliveries_status_next', 'deliveries', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_table('deliveries')
    op.drop_table('timers')
    op.drop_table('outbox')
    op.drop_table('ledger')
    op.drop_table('events')
    op.drop_table('tokens')
    op.drop_table('definitions')
    op.drop_table('counters')
    op.drop_table('checkpoints')
    op.drop_table('cases')
    op.drop_table('bangfu_meta')
