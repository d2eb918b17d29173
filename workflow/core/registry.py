"""The guard registry: every named guard a definition may use, listed in one place. Pure.

The engine's own guard (``window_elapsed``) and the domain guards of
``workflow.rules`` are listed explicitly, so nothing registers itself as a side
effect of an import. A portal adds its own with ``@guard("name")``.
"""

from __future__ import annotations

from collections.abc import Callable

from workflow.core.guards import Guard, window_elapsed
from workflow.rules import relief_guards, union_guards

REGISTRY: dict[str, Guard] = {
    "window_elapsed": window_elapsed,
    **relief_guards.GUARDS,
    **union_guards.GUARDS,
}


def guard(name: str) -> Callable[[Guard], Guard]:
    """Register the decorated function as the guard ``name``.

    Raises:
        ValueError: a guard of that name is already registered.
    """

    def register(fn: Guard) -> Guard:
        if name in REGISTRY:
            raise ValueError(f"guard '{name}' is registered twice")
        REGISTRY[name] = fn
        return fn

    return register
