"""The test suite's own hygiene: test modules share code through ``tests/helpers/``
only (never by importing another test module or a conftest), conftest files hold
only fixtures and hooks, no test skips for a dependency the project declares, and
pytest turns every warning into an error and every unexpected pass of an xfail
into a failure."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _is_test_code(dotted: str) -> bool:
    """A test module, a conftest, or a package of tests other than the helpers."""
    parts = dotted.split(".")
    if any(p == "conftest" or p.startswith("test_") for p in parts):
        return True
    return parts[0] == "tests" and len(parts) > 1 and parts[1] != "helpers"


def imports_of_test_code(source: str, module: str) -> Iterator[tuple[int, str]]:
    """(line, what) for every import in ``source`` (the module ``module``, function
    bodies included) that reaches another test module or a conftest."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_test_code(alias.name):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            bad = [t for t in targets if t and _is_test_code(t)]
            if bad:
                yield node.lineno, bad[-1]


def _python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


#: the package name apart, so that grepping the tests for such imports finds only real ones
T = "tests"


@pytest.mark.parametrize(("source", "module"), [
    (f"from {T}.conftest import PROCESS", "tests.workflow.test_x"),
    (f"from {T}.workflow.test_audit import bangfu", "tests.workflow.test_x"),
    (f"def f():\n    from {T}.workflow.test_more_processes import WORKER", "tests.test_x"),
    (f"from {T}.notifications.conftest import SmtpServer", "tests.helpers.servers"),
    ("from .conftest import schema_url", "tests.storage.test_x"),
    ("from . import test_audit", "tests.workflow.test_x"),
    (f"from {T}.workflow import test_audit", "tests.test_x"),
    (f"import {T}.storage.conftest", "tests.storage.test_x"),
    ("from conftest import START", "tests.test_x"),
    (f"from {T}.storage import something", "tests.test_x"),
])
def test_the_import_check_finds_imports_of_test_code(source: str, module: str) -> None:
    """The check below sees each way of reaching a test module or a conftest."""
    assert list(imports_of_test_code(source, module))


@pytest.mark.parametrize("source", [
    f"from {T}.helpers.cases import PROCESS, move",
    f"from {T} import helpers",
    f"import {T}.helpers.servers",
    "from .helpers.cli import bangfu",
    "from workflow import Engine\nfrom storage.db import make_engine",
])
def test_the_import_check_lets_helpers_through(source: str) -> None:
    assert list(imports_of_test_code(source, "tests.test_x")) == []


def test_test_modules_import_no_other_test_module_or_conftest() -> None:
    """Shared code lives in tests/helpers/; a test module or conftest importing another
    test module (or a conftest) runs that module's tests' imports and hides what it needs."""
    found = [f"{path.relative_to(ROOT)}:{line}: imports {what}"
             for path in _python_files()
             for line, what in imports_of_test_code(path.read_text(encoding="utf-8"),
                                                    _module_name(path))]
    assert found == []


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(target) in ("pytest.fixture", "fixture")


def not_fixtures_or_hooks(source: str) -> list[str]:
    """The top-level statements of a conftest that are neither its docstring, an
    import, a fixture nor a pytest hook (``pytest_*``)."""
    tree = ast.parse(source)
    odd = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.FunctionDef) and (
                node.name.startswith("pytest_") or any(map(_is_fixture, node.decorator_list))):
            continue
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [
                "pytest_plugins"]:
            continue
        odd.append(f"line {node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return odd


def test_the_conftest_check_finds_constants_and_functions() -> None:
    source = ('"""doc"""\nimport pytest\nSTART = 1\n\ndef move():\n    pass\n\n'
              "@pytest.fixture\ndef engine():\n    pass\n\n"
              "@pytest.fixture(scope='session')\ndef proto():\n    pass\n\n"
              "def pytest_configure(config):\n    pass\n")
    assert not_fixtures_or_hooks(source) == ["line 3: START = 1", "line 5: def move():"]


def test_conftest_files_hold_only_fixtures_and_hooks() -> None:
    """Constants, classes and plain functions go to tests/helpers/, where a test imports them."""
    found = {str(p.relative_to(ROOT)): odd for p in _python_files() if p.name == "conftest.py"
             if (odd := not_fixtures_or_hooks(p.read_text(encoding="utf-8")))}
    assert found == {}


def test_helper_modules_open_with_a_docstring() -> None:
    """Each module of tests/helpers/ says what it is for."""
    helpers = sorted((TESTS / "helpers").glob("*.py"))
    assert helpers
    assert [p.name for p in helpers
            if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))] == []


def skips_in(source: str) -> list[str]:
    """Unconditional skips: ``pytest.skip(...)``, ``@pytest.mark.skip`` and
    ``pytest.importorskip(...)`` (every test dependency is declared in the test extra,
    so a missing one must fail, not skip)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        target = node.func if isinstance(node, ast.Call) else node
        if isinstance(target, ast.Attribute) and ast.unparse(target) in (
                "pytest.skip", "pytest.mark.skip", "pytest.importorskip"):
            found.append(f"line {node.lineno}: {ast.unparse(target)}")
    return sorted(set(found))


def test_the_skip_check_finds_skips() -> None:
    source = ('h = pytest.importorskip("holidays")\n@pytest.mark.skip(reason="later")\n'
              "def test_a():\n    pytest.skip('no')\n"
              "@pytest.mark.skipif(True, reason='platform')\ndef test_b():\n    pass\n")
    assert skips_in(source) == ["line 1: pytest.importorskip", "line 2: pytest.mark.skip",
                                "line 4: pytest.skip"]


def test_no_test_module_skips_unconditionally() -> None:
    """A skip waiting for something that exists hides a test forever; a condition
    (``skipif``) names what the skip waits for, and the PostgreSQL fixtures' skip is
    turned into a failure by BANGFU_REQUIRE_PG."""
    found = {str(p.relative_to(ROOT)): s for p in _python_files()
             if p.name.startswith("test_") and (s := skips_in(p.read_text(encoding="utf-8")))}
    assert found == {}


def test_warnings_are_errors_and_xfails_strict() -> None:
    """A warning (a leaked connection's ResourceWarning too) fails the test that caused
    it, and an xfail that passes fails: neither goes unnoticed."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["pytest"]["ini_options"]
    assert options["filterwarnings"][0] == "error"
    assert options["xfail_strict"] is True
