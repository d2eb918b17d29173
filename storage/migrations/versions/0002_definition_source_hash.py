"""Definition hashes over what the file says; the release's kept as a verified mapping.

Release 9dd431c hashed a version over its parsed model with the defaults of the
code (a new default changed the hash of an unchanged file). From here on the
content hash is ``definitions.hashing.source_hash`` of the stored body. For each
version that release stored, this revision recomputes the old hash from the
stored body and refuses the upgrade if it does not match the recorded one (the
body was altered); then it stores the new hash, keeps the old one in
``legacy_hash`` and records the mapping in ``bangfu_meta`` (key
``definition_hashes``), with the database's business time. Cases and events
keep the hash they were pinned to: it names the same version through this
mapping, which ``bangfu audit verify`` checks again from the stored bodies.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from definitions.hashing import legacy_body_hash, source_hash
from storage.schema import migration_now
from workflow.errors import StorageError

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
#: what ``bangfu db history`` shows
title = {"zh": "流程定义哈希改按文件内容计算；旧哈希经校验后记录为对照表",
         "en": "Definition hashes over what the file says; the old ones kept as a "
               "verified mapping"}

#: the ``bangfu_meta`` key of the recorded mapping
RECORD_KEY = "definition_hashes"

_definitions = sa.table("definitions", sa.column("process", sa.String()),
                        sa.column("version", sa.Integer()),
                        sa.column("content_hash", sa.String()),
                        sa.column("body", sa.JSON()), sa.column("legacy_hash", sa.String()))
_meta = sa.table("bangfu_meta", sa.column("key", sa.String()), sa.column("value", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("definitions") as batch:
        batch.add_column(sa.Column("legacy_hash", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    mapped: list[dict[str, Any]] = []
    for row in conn.execute(sa.select(_definitions).order_by(
            _definitions.c.process, _definitions.c.version)).mappings():
        body = row["body"]
        old = legacy_body_hash(body) if isinstance(body, dict) else None
        if old != row["content_hash"]:
            raise StorageError(
                f"definition '{row['process']}' version {row['version']}: its stored body "
                f"no longer hashes to its recorded content hash {row['content_hash'][:12]} "
                "(it was altered in the database); the upgrade is refused and nothing was "
                "changed. Run 'bangfu audit verify' with the release that made the database",
                f"流程定义 '{row['process']}' 第 {row['version']} 版：存储内容的哈希与记录的 "
                f"{row['content_hash'][:12]} 不符（数据库中曾被改动）；已拒绝升级，未做任何改动。"
                "请用创建该数据库的版本运行 'bangfu audit verify'")
        new = source_hash(body)
        conn.execute(_definitions.update().where(
            _definitions.c.process == row["process"],
            _definitions.c.version == row["version"]).values(content_hash=new, legacy_hash=old))
        mapped.append({"process": row["process"], "version": row["version"],
                       "old": old, "new": new})
    if mapped:
        config = op.get_context().config
        now = migration_now(config.attributes) if config is not None else None
        record = {"revision": revision, "at": now.isoformat() if now else None,
                  "rule": "old = legacy_body_hash(body), new = source_hash(body)",
                  "versions": mapped}
        conn.execute(_meta.insert().values(key=RECORD_KEY, value=json.dumps(
            record, ensure_ascii=False, sort_keys=True)))
    conn.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="2"))


def downgrade() -> None:
    conn = op.get_bind()
    newer = conn.execute(sa.select(sa.func.count()).select_from(_definitions).where(
        _definitions.c.legacy_hash.is_(None))).scalar()
    if newer:
        raise StorageError(
            f"{newer} definition versions were registered after revision 0002 and have no "
            "release hash to go back to; the downgrade is refused",
            f"有 {newer} 个流程定义版本是在 0002 之后登记的，没有旧版哈希可恢复；已拒绝降级")
    conn.execute(_definitions.update().values(content_hash=_definitions.c.legacy_hash))
    conn.execute(_meta.delete().where(_meta.c.key == RECORD_KEY))
    conn.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="1"))
    with op.batch_alter_table("definitions") as batch:
        batch.drop_column("legacy_hash")
