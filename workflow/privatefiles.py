"""Files that hold personal data, created readable by their owner only. Shell.

The database, its backups and every export that may carry names, ID or phone
numbers (audit exports, reports, import error lists) are created with mode
0600 whatever the umask: the file is made with ``os.open(..., 0o600)`` and its
mode set again with ``fchmod`` (a umask only removes bits, and an existing file
keeps its old mode unless told). Nothing of ours is imported here, so storage
and the reporting layer use the same rule.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["PRIVATE_MODE", "create_private", "make_private", "open_private"]

#: owner read and write, nobody else
PRIVATE_MODE = 0o600


def make_private(path: str | Path) -> None:
    """Set ``path`` to mode 0600 (a file a library such as openpyxl wrote)."""
    os.chmod(path, PRIVATE_MODE)


def create_private(path: str | Path, *, exclusive: bool = False) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (an existing file
    is left as it is, unless ``exclusive``: then it is an error).

    Raises:
        FileExistsError: ``exclusive`` and the file exists.
        OSError: the folder is missing or not writable.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else 0)
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
    finally:
        os.close(fd)


@contextmanager
def open_private(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open(path, mode, **kwargs)`` for writing, the file created (or truncated)
    with mode 0600.

    Raises:
        OSError: as ``open``.
    """
    if not any(m in mode for m in "wax"):
        raise ValueError(f"open_private is for writing, not mode '{mode}'")
    flags = os.O_WRONLY | os.O_CREAT
    flags |= os.O_EXCL if "x" in mode else os.O_APPEND if "a" in mode else os.O_TRUNC
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        handle = os.fdopen(fd, mode.replace("x", "w"), **kwargs)
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle
