"""The errors of a bulk import as a whole (a bad row is a ``RowError``, not an
exception). Pure."""

from __future__ import annotations

from definitions.errors import BangfuError
from workflow.errors import CommandRejected


class BulkImportError(CommandRejected):
    """The file as a whole cannot be imported (unreadable, no header, merged
    header cells, ambiguous sheets, missing columns); nothing was written."""

    code = "import_refused"


class NumbersTaken(BangfuError):
    """Case numbers were handed out while the import was being prepared."""

    code = "numbers_taken"

    def __init__(self, prefix: str, seen: int, current: int) -> None:
        self.prefix, self.seen, self.current = prefix, seen, current
        super().__init__(
            f"case numbers '{prefix}' moved from {seen} to {current} while importing",
            f"导入期间案件编号 '{prefix}' 已从 {seen} 变为 {current}")

