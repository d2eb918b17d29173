"""Logging as a library should: nothing printed until the host configures it; once
configured, every line names its logger and carries the business time; the
``transitions`` and APScheduler loggers stay at WARNING unless asked. And an
embedding program's type checker sees the engine's typed methods."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from tests.helpers.cases import PROCESS, application
from workflow import Engine, logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def configured() -> Iterator[Callable[..., None]]:
    """``configure(...)`` for the test, with the logging set-up restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET_LIBRARIES}

    def configure(**options: object) -> None:
        logs.configure(json_lines=True, **options)  # type: ignore[arg-type]

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)
    structlog.reset_defaults()
    logs._configured = False


def test_an_embedded_engine_prints_nothing(tmp_path: Path) -> None:
    """``import workflow`` and a command in a fresh interpreter: no byte on stdout or
    stderr, not even a warning through Python's last-resort handler."""
    script = (
        "import workflow, logging\n"
        "from workflow.bootstrap import init_database, open_engine\n"
        "from tests.helpers.cases import application\n"
        f"db = {str(tmp_path / 'e.db')!r}\n"
        "init_database(db)\n"
        "e = open_engine(db)\n"
        "e.submit('relief_application', 'wang.fang', application())\n"
        "logging.getLogger('bangfu.engine').warning('a warning nobody asked to see')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")


def test_a_configured_line_names_its_logger_and_the_business_time(
        engine: Engine, configured: Callable[..., None],
        capsys: pytest.CaptureFixture[str]) -> None:
    """A submission's line says ``bangfu.engine`` and the simulated clock's time as ``at``."""
    configured(level="INFO")
    engine.submit(PROCESS, "wang.fang", application())
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    (line,) = [x for x in lines if x["event"] == "case.submitted"]
    assert line["logger"] == "bangfu.engine"
    assert line["at"] == engine.clock.now().isoformat()


def test_noisy_libraries_stay_at_warning_unless_asked(configured: Callable[..., None]) -> None:
    """At INFO the transitions and APScheduler loggers stay at WARNING; asked, they follow."""
    configured(level="INFO")
    assert {logging.getLogger(n).getEffectiveLevel() for n in logs.QUIET_LIBRARIES} == \
        {logging.WARNING}
    configured(level="INFO", libraries="INFO")
    assert {logging.getLogger(n).getEffectiveLevel() for n in logs.QUIET_LIBRARIES} == \
        {logging.INFO}


def test_an_embedding_script_sees_typed_engine_methods(tmp_path: Path) -> None:
    """mypy --strict on a three-line portal script reveals ``Engine.submit``'s signature."""
    (tmp_path / "portal.py").write_text(
        "from workflow.bootstrap import open_engine\n"
        "engine = open_engine('sqlite:///relief.db')\n"
        "reveal_type(engine.submit)\n", encoding="utf-8")
    # only Bangfu's own modules are read: the rest (SQLAlchemy, pydantic) would take a minute
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nstrict = True\nfollow_imports = skip\n"
        "[mypy-workflow,workflow.bootstrap,workflow.engine,workflow.core.model]\n"
        "follow_imports = normal\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir",
         str(tmp_path / "cache"), "portal.py"], capture_output=True, text=True,
        cwd=tmp_path, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'Revealed type is "def (process: str, user: str' in done.stdout
    assert "-> workflow.core.model.CommandResult" in done.stdout
