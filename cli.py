"""The ``bangfu`` command line: the root app that mounts the command groups of
``cli_commands``. Commands parse, call a service, render; no rules here.

Every command takes ``--db`` (or ``BANGFU_DB``), ``--lang zh|en`` (or
``BANGFU_LANG``) and ``--json``; commands that act take ``--as USER`` (or
``BANGFU_USER``). Refusals print one paragraph in the chosen language and exit
non-zero: 1 refused or invalid, 3 conflict (someone else changed the case),
4 not found, 70 internal error. No traceback reaches a user unless
``BANGFU_DEBUG=1``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli_commands.audit import audit_app
from cli_commands.cases import case_app, queue
from cli_commands.db import db_app
from cli_commands.definitions import definitions_app, init, org_app, schema_text
from cli_commands.demo import demo
from cli_commands.importing import case_import
from cli_commands.login import login, logout
from cli_commands.notify import notify_app
from cli_commands.org import substitute_app
from cli_commands.reports import report_app
from cli_commands.serve import serve, users_app
from cli_commands.time import clock_app, deadlines, scheduler_app

__all__ = ["app", "schema_text"]

app = typer.Typer(help="帮扶 Bangfu: 困难帮扶审批流程引擎 / hardship-relief workflow engine",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=True,
                  context_settings={"help_option_names": ["-h", "--help"]})


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("bangfu")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown"
        print(f"bangfu {number}")
        raise typer.Exit()


@app.callback()
def _root(show_version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="显示版本并退出 / show the version and exit")] = False) -> None:
    """帮扶 Bangfu: 困难帮扶审批流程引擎 / hardship-relief workflow engine"""


app.command()(init)
app.add_typer(definitions_app, name="definitions")
case_app.command("import")(case_import)
app.add_typer(case_app, name="case")
app.command()(queue)
org_app.add_typer(substitute_app, name="substitute")
app.add_typer(org_app, name="org")
app.add_typer(clock_app, name="clock")
app.command()(deadlines)
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.command()(demo)
app.add_typer(notify_app, name="notify")
app.command()(serve)
app.command()(login)
app.command()(logout)
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")


def main() -> None:  # pragma: no cover - console entry for python -m
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
