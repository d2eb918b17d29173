"""The one error tree: every exception class of Bangfu is drawn in workflow.errors,
under its real parent, and no code raises the bare root."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import workflow.errors
from definitions.errors import BangfuError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workflow", "definitions", "storage", "notifications", "cli_commands")


def _all_classes() -> list[type[BangfuError]]:
    for pkg in PACKAGES:
        module = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(module.__path__, pkg + "."):
            importlib.import_module(info.name)
    found: list[type[BangfuError]] = []
    todo = [BangfuError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__.split(".")[0] in PACKAGES]


def _drawn() -> dict[str, str]:
    """Class name → parent name, as the docstring draws them."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in (workflow.errors.__doc__ or "").splitlines():
        m = re.match(r"^    ([│ ]*(?:[├└]── )?)(\w+)", line)
        if not m or not m.group(2)[0].isupper():
            continue
        depth = len(m.group(1)) // 4
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[m.group(2)] = stack[-1][1]
        stack.append((depth, m.group(2)))
    return parents


def test_every_exception_class_is_drawn_under_its_parent() -> None:
    """Each BangfuError subclass appears in the tree, below the class it derives from."""
    drawn = _drawn()
    for cls in _all_classes():
        if cls is BangfuError:
            continue
        assert cls.__name__ in drawn, f"{cls.__module__}.{cls.__name__} is not drawn"
        assert drawn[cls.__name__] == cls.__mro__[1].__name__, cls.__name__


def test_no_code_raises_the_bare_root() -> None:
    """Refusals raise a class that says what kind they are, never BangfuError itself."""
    bare = []
    for path in [ROOT / "cli.py", *(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and isinstance(node.exc.func, ast.Name) and node.exc.func.id == "BangfuError":
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []
