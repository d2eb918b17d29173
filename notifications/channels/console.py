"""The console channel: prints what would be sent (the default, and the demo's).

``line`` prints one line per message, ``full`` the subject and the whole body.
Writes to the stream it is given (standard output by default); every message
is logged as well.
"""

from __future__ import annotations

import sys
from typing import TextIO

import structlog

from notifications.channels.base import Outgoing
from notifications.config import ConsoleChannel as ConsoleSpec
from workflow.clock import local

log = structlog.get_logger("bangfu.notify")


class ConsoleChannel:
    def __init__(self, name: str, spec: ConsoleSpec, stream: TextIO | None = None) -> None:
        self.name = name
        self.spec = spec
        self.stream = stream

    def send(self, message: Outgoing) -> None:
        out = self.stream or sys.stdout
        when = local(message.now)
        if self.spec.format == "line":
            out.write(f"[{when}] → {message.address}: {message.subject}\n")
        else:
            out.write(f"── [{when}] → {message.address} · {message.delivery_id} ──\n"
                      f"{message.subject}\n\n{message.body.rstrip()}\n\n")
        out.flush()
        log.info("notify.console", delivery=message.delivery_id, to=message.address,
                 kind=message.kind)

    def close(self) -> None:
        return None
