"""Secrets from the environment: a variable ``NAME``, or ``NAME_FILE`` naming a file
that holds the value (systemd credentials: ``LoadCredential=`` and
``Environment=NAME_FILE=%d/name``; Docker and Kubernetes secrets alike). Shell.

One rule for every secret Bangfu reads: the database URL (``BANGFU_DB``, when
it carries a password), the inspectors' checkpoint key
(``BANGFU_CHECKPOINT_KEY``) and the variables a notifications file names for
its channels. A value is never logged or shown; an error names the variable
and the file, not what they hold.
"""

from __future__ import annotations

import os
from pathlib import Path

from workflow.errors import FileError

__all__ = ["read_secret"]


def read_secret(name: str) -> str | None:
    """The value of ``name`` or of the file ``name``_FILE names (its trailing newline
    dropped); None when neither is set.

    Raises:
        FileError: both are set, the file cannot be read, or it is empty.
    """
    direct = os.environ.get(name)
    named = os.environ.get(f"{name}_FILE")
    if direct is not None and named:
        raise FileError(f"both {name} and {name}_FILE are set; set one of them",
                        f"{name} 与 {name}_FILE 同时设置；请只设置其中一个")
    if not named:
        return direct
    try:
        text = Path(named).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise FileError(f"cannot read {name}_FILE '{named}': {reason}",
                        f"无法读取 {name}_FILE 指定的文件 '{named}'：{reason}") from None
    value = text.rstrip("\r\n")
    if not value:
        raise FileError(f"the file {name}_FILE names ('{named}') is empty",
                        f"{name}_FILE 指定的文件 '{named}' 为空")
    return value
