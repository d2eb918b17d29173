"""The command line run in-process, as a user would run it, without the developer's
settings (``BANGFU_DB`` and the like) leaking in."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from cli import app

#: the environment a CLI run sees: no developer settings leak in
CLEAN_ENV: dict[str, str | None] = {
    "BANGFU_DB": None, "BANGFU_DEFINITIONS": None, "BANGFU_CAMPAIGNS": None,
    "BANGFU_CALENDARS": None, "BANGFU_USER": None, "BANGFU_LANG": None, "COLUMNS": "200",
    "BANGFU_SERVER": None, "BANGFU_TOKEN": None}


def bangfu(*args: str, env: dict[str, str | None] | None = None) -> Any:
    """Run the CLI in-process (exit code and output checked by the caller); ``env``
    adds to the clean environment (``BANGFU_TOKEN`` for a run with ``--server``)."""
    return CliRunner().invoke(app, list(args), env={**CLEAN_ENV, **(env or {})})
