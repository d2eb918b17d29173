"""Secrets a service needs, from the environment or a file it names (never from the
database): the inspectors' checkpoint key."""

from __future__ import annotations

from pathlib import Path


def checkpoint_key() -> bytes | None:
    """The inspectors' checkpoint key, from ``BANGFU_CHECKPOINT_KEY`` or the file named by
    ``BANGFU_CHECKPOINT_KEY_FILE``; kept outside the database, so that whoever holds the
    database file cannot remake signed checkpoints.

    Raises:
        FileError: the key file cannot be read, or a key is empty.
    """
    import os

    from workflow.errors import FileError

    named = os.environ.get("BANGFU_CHECKPOINT_KEY_FILE")
    if named:
        try:
            text = Path(named).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise FileError(f"cannot read the checkpoint key file '{named}': {exc}",
                            f"无法读取检查点密钥文件 '{named}'：{exc}") from None
    else:
        text = os.environ.get("BANGFU_CHECKPOINT_KEY", "").strip()
        if "BANGFU_CHECKPOINT_KEY" not in os.environ:
            return None
    if not text:
        raise FileError("the checkpoint key is empty", "检查点密钥为空")
    return text.encode("utf-8")
