"""What every command shares: the options, the language, the error handling,
the output consoles and the parsing of ``name=value`` options.

Refusals print one paragraph in the chosen language and exit non-zero: 1
refused or invalid, 2 bad command line (a command that acts, given no ``--as``),
3 conflict (someone else changed the case), 4 not found, 70 internal error. No
traceback reaches a user unless ``BANGFU_DEBUG=1``. A reader that stops
reading (``bangfu report aid --json | head``) ends the command quietly, with
141 as for a program stopped by SIGPIPE.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from definitions.errors import BangfuError
    from workflow.engine import Engine

# No markup: every value shown (an applicant named '[/]', a comment, an argument) is
# printed as typed; styles go through rich.text.Text, never through the string.
out = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False)

DbOpt = Annotated[str | None, typer.Option("--db", envvar="BANGFU_DB",
                                           help="数据库：SQLite 文件路径或 SQLAlchemy URL")]
LangOpt = Annotated[str, typer.Option("--lang", envvar="BANGFU_LANG",
                                      help="界面语言 zh 或 en / language")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")]
AsOpt = Annotated[str | None, typer.Option("--as", envvar="BANGFU_USER",
                                           help="以哪个用户身份操作 / acting user")]
ServerOpt = Annotated[str | None, typer.Option(
    "--server", envvar="BANGFU_SERVER", help="通过网络在帮扶服务器上执行（先 bangfu login）/ run "
    "on a Bangfu server over the network (bangfu login first)")]
DefsOpt = Annotated[Path | None, typer.Option("--definitions", envvar="BANGFU_DEFINITIONS",
                                              help="流程定义目录 / folder of process definitions")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", "-s", help="数据字段 name=value（金额以元为单位）/ data field, money in yuan")]
DocOpt = Annotated[list[str] | None, typer.Option(
    "--doc", "-d", help="申请材料 类型=文件编号@日期，可多次使用 / a paper handed in, "
    "type=ref@date (repeatable)")]

F = TypeVar("F", bound=Callable[..., Any])
#: the engines the running command opened, closed when it ends
_opened: list[Engine] = []
#: other things it opened (HTTP clients), closed when it ends
_closing: list[Any] = []


@dataclass
class Ui:
    lang: str = "zh"
    as_json: bool = False

    @property
    def zh(self) -> bool:
        return self.lang.startswith("zh")

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en


def _fail(ui: Ui, exc: BangfuError, code: int) -> NoReturn:
    if ui.as_json:
        print(json.dumps(exc.to_dict(ui.lang), ensure_ascii=False, indent=2))
    else:
        from rich.text import Text

        err.print(Text.assemble((f"{ui.t('错误', 'Error')}:", "bold red"), " ",
                                exc.localized(ui.lang)), soft_wrap=True)
    raise typer.Exit(code)


def exit_code_of(exc: BangfuError) -> int:
    """1 refused or invalid, 2 bad command line, 3 conflict, 4 not found; an error that
    names its own (a refusal over the network, as the server's problem says) ends so."""
    from workflow.errors import CaseNotFound, ConcurrencyConflict, UnknownUser, UserRequired

    explicit = getattr(exc, "exit_code", None)
    if isinstance(explicit, int):
        return explicit
    if isinstance(exc, UserRequired):
        return 2
    if isinstance(exc, ConcurrencyConflict):
        return 3
    if isinstance(exc, (CaseNotFound, UnknownUser)):
        return 4
    return 1


def handled(fn: F) -> F:
    """Turn Bangfu errors into one paragraph and an exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from definitions.errors import BangfuError
        from workflow.core.pii import mask_text
        from workflow.logs import configure

        lang = kwargs.get("lang") or "zh"
        if lang not in ("zh", "en"):
            err.print(f"--lang must be 'zh' or 'en', not '{lang}'")
            raise typer.Exit(2)
        ui = Ui(lang, bool(kwargs.get("as_json")))
        configure(level=os.environ.get("BANGFU_LOG_LEVEL", "WARNING"),
                  libraries=os.environ.get("BANGFU_LOG_LIBRARIES", "WARNING"))
        try:
            try:
                return fn(*args, **kwargs)
            finally:
                # What is still buffered goes out here, where a closed pipe is handled.
                sys.stdout.flush()
        except typer.Exit:
            raise
        except BrokenPipeError:
            reader_gone()
        except BangfuError as exc:
            _fail(ui, exc, exit_code_of(exc))
        except Exception as exc:  # the last line of defence: no traceback for users
            if os.environ.get("BANGFU_DEBUG"):
                raise
            err.print(ui.t(f"内部错误：{type(exc).__name__}: {mask_text(str(exc))}"
                           "（设置 BANGFU_DEBUG=1 可查看详细信息）",
                           f"Internal error: {type(exc).__name__}: {mask_text(str(exc))} "
                           "(set BANGFU_DEBUG=1 for details)"))
            raise typer.Exit(70) from None
        finally:
            _release_opened()

    return wrapper  # type: ignore[return-value]


def reader_gone() -> NoReturn:
    """The pipe we print into was closed (``| head``): stop without a word. What is
    still buffered goes nowhere instead of failing again when Python exits."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (under a test runner)
        pass
    finally:
        os.close(devnull)
    raise typer.Exit(141)


def emit(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def parse_sets(pairs: list[str] | None) -> dict[str, str]:
    """``--set name=value`` options as texts (the definition coerces them)."""
    from workflow.errors import InvalidData

    raw: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InvalidData([(pair, "must be written name=value", "应写作 字段名=值")])
        name, value = pair.split("=", 1)
        raw[name.strip()] = value
    return raw


def need_user(user: str | None) -> str:
    """The acting user, or a refusal saying how to name one."""
    if not user:
        from workflow.errors import UserRequired

        raise UserRequired()
    return user


def open_engine(db: str | None, defs: Path | None = None) -> Engine:
    """The engine on ``--db``, its connections released when the command ends."""
    from workflow.bootstrap import open_engine as open_db

    engine = open_db(db, definitions=defs)
    engine.operator = _os_user()
    return released_at_exit(engine)


def _os_user() -> str | None:
    """The operating-system account running this console command."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def released_at_exit(engine: Engine) -> Engine:
    """``engine``, closed when the running command ends (however it ends, see
    ``handled``): a command run in-process (tests, a server's console) leaves no
    connection behind."""
    _opened.append(engine)
    return engine


def closed_at_exit(thing: Any) -> None:
    """``thing.close()`` when the running command ends (see ``handled``)."""
    _closing.append(thing)


def _release_opened() -> None:
    while _closing:
        _closing.pop().close()
    if not _opened:
        return
    from workflow.bootstrap import close_engine

    while _opened:
        close_engine(_opened.pop())
