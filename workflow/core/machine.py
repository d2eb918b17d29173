"""The only importer of ``transitions``: one Machine per compiled definition. Pure.

Each (process, version, hash) gets one ``Machine(model=None,
auto_transitions=False, send_event=True)``, built once and cached; a command
fires ``machine.events[trigger].trigger(adapter)`` on a throw-away adapter, so
no case is ever attached to the machine. Every transition's condition runs
its guards and ``when`` conditions and records what failed on the adapter:
the silent ``False`` of a failed condition becomes a refusal naming it.
``would_pass`` runs the same checks for one transition without firing; a
``when`` condition that reads a field still pending (to be given with the
trigger) is left to the firing, where it is judged on the value given.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from functools import partial

from transitions import EventData, Machine, MachineError

from definitions.compile import CompiledDefinition
from definitions.schema import TransitionSpec
from workflow.core.guards import Failure, GuardContext
from workflow.core.registry import REGISTRY
from workflow.rules._evaluate import holds

_CACHE: dict[tuple[str, int, str], CompiledMachine] = {}

#: a ``when`` condition: its text, its parsed tree, the field names it reads
Condition = tuple[str, ast.AST, frozenset[str]]


def _conditions(spec: TransitionSpec) -> tuple[Condition, ...]:
    out = []
    for expr in spec.when:
        tree = ast.parse(expr.strip()).body[0]
        names = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
        out.append((expr, tree, names))
    return tuple(out)


class Adapter:
    """What ``transitions`` sees of a case during one command."""

    __slots__ = ("state", "ctx", "failures", "taken", "allowed")

    def __init__(self, state: str, ctx: GuardContext,
                 allowed: frozenset[int] | None = None) -> None:
        self.state = state
        self.ctx = ctx
        #: positions of the transition specs the actor may take; None means all
        self.allowed = allowed
        self.failures: list[Failure] = []
        self.taken: TransitionSpec | None = None


class CompiledMachine:
    """A definition's state machine plus its compiled conditions."""

    def __init__(self, definition: CompiledDefinition) -> None:
        self.definition = definition
        spec = definition.spec
        self._when = {position: _conditions(t) for position, t in enumerate(spec.transitions)}
        self.machine = Machine(
            model=None,
            states=[s.id for s in spec.states],
            initial=definition.initial,
            auto_transitions=False,
            send_event=True,
        )
        for position, t in enumerate(spec.transitions):
            self.machine.add_transition(
                t.trigger, list(t.source), t.dest,
                conditions=[partial(self._check, t, position, self._when[position])],
                after=[partial(self._took, t)],
            )

    def _check(self, spec: TransitionSpec, position: int, conditions: Sequence[Condition],
               event: EventData) -> bool:
        adapter = event.model
        assert isinstance(adapter, Adapter)
        if adapter.allowed is not None and position not in adapter.allowed:
            return False
        ctx = adapter.ctx
        ok = True
        for g in spec.guards:
            failure = REGISTRY[g.name](ctx, **g.params)
            if failure is not None:
                adapter.failures.append(failure)
                ok = False
        for expr, tree, names in conditions:
            if names & ctx.pending:
                continue  # judged when fired, on the value the user gives
            # one evaluator for every condition: the compiled closures of the rules
            if not holds(expr, ctx.data):
                adapter.failures.append(self._explain(expr, tree))
                ok = False
        return ok

    def _explain(self, expr: str, tree: ast.AST) -> Failure:
        node = tree.value if isinstance(tree, ast.Expr) else tree
        fields = self.definition.spec.fields
        if isinstance(node, ast.Name) and node.id in fields:
            label = fields[node.id].labels
            return (f"'{label.en}' ({node.id}) must be yes", f"「{label.zh}」（{node.id}）必须为是")
        return (f"condition '{expr}' does not hold", f"条件「{expr}」不成立")

    @staticmethod
    def _took(spec: TransitionSpec, event: EventData) -> None:
        adapter = event.model
        assert isinstance(adapter, Adapter)
        adapter.taken = spec

    def fire(self, trigger: str, state: str, ctx: GuardContext,
             allowed: frozenset[int] | None = None) -> Adapter:
        """Run ``trigger`` from ``state``, considering only the ``allowed``
        transition specs; ``adapter.taken`` is the transition taken, or None
        with ``adapter.failures`` saying why none was."""
        adapter = Adapter(state, ctx, allowed)
        try:
            self.machine.events[trigger].trigger(adapter)
        except MachineError:
            adapter.taken = None
        return adapter

    def would_pass(self, spec: TransitionSpec, ctx: GuardContext, position: int) -> list[Failure]:
        """The failures of one transition's conditions (the ``position``-th of the
        definition), without firing."""
        adapter = Adapter(ctx.case.state, ctx)
        event = EventData(None, None, self.machine, adapter, (), {})
        self._check(spec, -1, self._when[position], event)
        return adapter.failures


def machine_for(definition: CompiledDefinition) -> CompiledMachine:
    """The cached machine of a definition (built on first use)."""
    key = (definition.process, definition.version, definition.content_hash)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = CompiledMachine(definition)
    return found


def mermaid(definition: CompiledDefinition, lang: str = "zh") -> str:
    """A Mermaid state diagram, drawn by a throw-away GraphMachine (no Graphviz)."""
    from transitions.extensions import GraphMachine

    class _Model:
        pass

    model = _Model()
    spec = definition.spec
    graph = GraphMachine(
        model=model, states=[s.id for s in spec.states], initial=definition.initial,
        auto_transitions=False, graph_engine="mermaid", show_conditions=True,
        title=f"{spec.labels.get(lang)} v{spec.version}",
    )
    for t in spec.transitions:
        graph.add_transition(t.labels.get(lang), list(t.source), t.dest,
                             conditions=[*(g.name for g in t.guards), *t.when])
    text: str = model.get_graph().draw(None)  # type: ignore[attr-defined]
    for s in spec.states:
        text = text.replace(f'state "{s.id}" as {s.id}\n',
                            f'state "{s.labels.get(lang)}" as {s.id}\n')
    return text
