"""IR → compiled definition: immutable, indexed and content-hashed. Pure, except
``load_definition``/``load_directory`` which read files through ``loader``.

The content hash is taken over a canonical form of what the file says
(``definitions.hashing``), so comments and formatting do not change it, any
change of what the file states does, and a default the code gains later
does not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from definitions.errors import DefinitionInvalid, Problem, UnknownDefinition
from definitions.hashing import canonical_source, source_hash
from definitions.loader import Lines, load_yaml_file, load_yaml_text
from definitions.parse import parse_collecting
from definitions.schema import ProcessDefinition, StateSpec, TransitionSpec
from definitions.validate import check_definition


def _submit_writable(defn: ProcessDefinition) -> frozenset[str]:
    claimed = {f for t in defn.transitions for f in (*t.required, *t.writes)}
    return frozenset({*defn.submit.required, *defn.submit.writes,
                      *(f for f in defn.fields if f not in claimed)})


def content_hash(defn: ProcessDefinition) -> str:
    """The content hash of a definition built in code, with no file: its full dump
    taken as what the file says."""
    return source_hash(defn.model_dump(mode="json"))


@dataclass(frozen=True)
class CompiledDefinition:
    """A validated definition with the look-ups the engine needs."""

    spec: ProcessDefinition
    #: ``source_hash(body)``: what the file says (``definitions.hashing``)
    content_hash: str
    source: str | None = None
    states: Mapping[str, StateSpec] = field(default_factory=dict)
    by_trigger_source: Mapping[tuple[str, str], tuple[TransitionSpec, ...]] = field(
        default_factory=dict)
    triggers_from: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: position of each transition spec (by object id) in ``spec.transitions``,
    #: so that equal definitions loaded twice share one compiled machine
    positions: Mapping[int, int] = field(default_factory=dict)
    #: the fields of type ``documents`` (a case's papers), in declaration order
    documents_fields: tuple[str, ...] = ()
    #: the fields an application may carry: ``submit.required`` and ``submit.writes``,
    #: and those no step writes or requires (a step's fields come from that step)
    submit_writable: frozenset[str] = frozenset()
    #: what the file says, as canonical JSON values: the body the database keeps
    body: Mapping[str, Any] = field(default_factory=dict)
    #: hashes this version was stored under by release 9dd431c (its hash over the
    #: parsed model), recorded and verified when the database was upgraded: cases
    #: and events pinned to one of them are on this version
    legacy_hashes: frozenset[str] = frozenset()

    @property
    def known_hashes(self) -> frozenset[str]:
        """Every hash that names this exact version: its own and the recorded old ones."""
        return self.legacy_hashes | {self.content_hash}

    def position(self, transition: TransitionSpec) -> int:
        return self.positions[id(transition)]

    @property
    def process(self) -> str:
        return self.spec.process

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def key(self) -> tuple[str, int]:
        return (self.spec.process, self.spec.version)

    @property
    def initial(self) -> str:
        return next(s.id for s in self.spec.states if s.initial)

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.spec.transitions))

    def is_final(self, state: str) -> bool:
        return self.states[state].final

    def state_label(self, state: str, lang: str = "zh") -> str:
        spec = self.states.get(state)
        return spec.labels.get(lang) if spec else state

    def trigger_label(self, trigger: str, lang: str = "zh") -> str:
        """The label of ``trigger``'s first transition: what an offer to fire it says
        before it is known where it leads. For a recorded step use ``transition_label``."""
        for t in self.spec.transitions:
            if t.trigger == trigger:
                return t.labels.get(lang)
        return trigger

    def transition_label(self, trigger: str, source: str | None, dest: str | None,
                         lang: str = "zh") -> str:
        """The label of the transition that took ``trigger`` from ``source`` to
        ``dest``: one trigger may lead to several states (the second review reports a
        severe case to the county but sends a general one to disbursement), and a
        history says where this case went."""
        if source is not None:
            for t in self.by_trigger_source.get((trigger, source), ()):
                if t.dest == dest:
                    return t.labels.get(lang)
        for t in self.spec.transitions:
            if t.trigger == trigger and t.dest == dest:
                return t.labels.get(lang)
        return self.trigger_label(trigger, lang)

    def role_label(self, role: str, lang: str = "zh") -> str:
        spec = self.spec.roles.get(role)
        if spec is None:
            return {"zh": "系统", "en": "System"}["zh" if lang.startswith("zh") else "en"] \
                if role == "system" else role
        return spec.labels.get(lang)


def compile_definition(defn: ProcessDefinition, source: str | None = None,
                       data: Any = None, legacy_hashes: Collection[str] = ()
                       ) -> CompiledDefinition:
    """Index an already validated definition; ``data`` is what its file says (None:
    a definition built in code, whose full dump stands for it)."""
    index: dict[tuple[str, str], list[TransitionSpec]] = {}
    from_state: dict[str, list[str]] = {}
    for t in defn.transitions:
        for src in t.source:
            index.setdefault((t.trigger, src), []).append(t)
            lst = from_state.setdefault(src, [])
            if t.trigger not in lst:
                lst.append(t.trigger)
    body = canonical_source(defn.model_dump(mode="json") if data is None else data)
    return CompiledDefinition(
        spec=defn,
        content_hash=source_hash(body),
        source=source,
        states={s.id: s for s in defn.states},
        by_trigger_source={k: tuple(v) for k, v in index.items()},
        triggers_from={k: tuple(v) for k, v in from_state.items()},
        positions={id(t): i for i, t in enumerate(defn.transitions)},
        documents_fields=tuple(n for n, f in defn.fields.items() if f.type == "documents"),
        submit_writable=_submit_writable(defn),
        body=body,
        legacy_hashes=frozenset(legacy_hashes),
    )


def build_definition(data: Any, lines: Lines | None = None, source: str | None = None,
                     known_guards: Collection[str] | None = None,
                     earlier: Sequence[Problem] = ()) -> CompiledDefinition:
    """Parse, validate and compile plain data.

    Every independent problem is reported in one pass: parsing goes on past the
    parts it must set aside, and the checks after it leave out what only follows
    from them (``definitions.parse.parse_collecting``). ``earlier``: problems
    already found in the file (repeated keys), reported with the rest.

    Raises:
        DefinitionInvalid: listing every problem with path and line.
    """
    lines = lines or {}
    defn, problems, aside = parse_collecting(ProcessDefinition, data, lines, source)
    problems = [*earlier, *problems]
    if defn is not None:
        graph_known = not any(p.path.startswith(("states", "transitions")) for p in earlier)
        problems += check_definition(defn, lines, source, known_guards, aside, graph_known)
    if problems or defn is None:
        raise DefinitionInvalid(problems, source)
    return compile_definition(defn, source, data)


def load_definition(path: str | Path,
                    known_guards: Collection[str] | None = None) -> CompiledDefinition:
    """Read, parse, validate and compile one definition file."""
    repeated: list[Problem] = []
    data, lines, _ = load_yaml_file(path, duplicates=repeated)
    return build_definition(data, lines, str(path), known_guards, repeated)


def definition_from_text(text: str, source: str = "<string>",
                         known_guards: Collection[str] | None = None) -> CompiledDefinition:
    repeated: list[Problem] = []
    data, lines = load_yaml_text(text, source, duplicates=repeated)
    return build_definition(data, lines, source, known_guards, repeated)


def definition_from_json(body: Mapping[str, Any], legacy_hashes: Collection[str] = ()
                         ) -> CompiledDefinition:
    """Rebuild a definition stored by the engine (already validated once) from its
    stored body: what its file said (a version release 9dd431c stored: its model
    dump, which reads the same way), with the old hashes recorded for it."""
    return compile_definition(ProcessDefinition.model_validate(body), "<stored>", body,
                              legacy_hashes)


class DefinitionSet:
    """The definitions an engine knows, by (process, version)."""

    def __init__(self, definitions: Collection[CompiledDefinition] = ()) -> None:
        self._by_key: dict[tuple[str, int], CompiledDefinition] = {}
        for d in definitions:
            self.add(d)

    def add(self, d: CompiledDefinition) -> None:
        old = self._by_key.get(d.key)
        if old is not None and old.content_hash != d.content_hash:
            raise DefinitionInvalid([Problem(
                "version", f"two files define '{d.process}' version {d.version} differently "
                f"({old.source} and {d.source})",
                f"两个文件对 '{d.process}' 第 {d.version} 版的定义不同（{old.source} 与 {d.source}）",
                None, d.source)], d.source)
        self._by_key[d.key] = d

    def get(self, process: str, version: int | None = None) -> CompiledDefinition:
        """The given version, or the latest when ``version`` is None.

        Raises:
            UnknownDefinition: no such process or version.
        """
        if version is not None:
            found = self._by_key.get((process, version))
            if found is None:
                raise UnknownDefinition(process, version, self.processes())
            return found
        versions = [d for (p, _), d in self._by_key.items() if p == process]
        if not versions:
            raise UnknownDefinition(process, None, self.processes())
        return max(versions, key=lambda d: d.version)

    def processes(self) -> list[str]:
        return sorted({p for p, _ in self._by_key})

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._by_key.values(), key=lambda d: d.key))

    def __len__(self) -> int:
        return len(self._by_key)


def load_directory(directory: str | Path,
                   known_guards: Collection[str] | None = None) -> DefinitionSet:
    """Load every ``*.yaml`` of a processes folder; all problems of all files at once."""
    problems: list[Problem] = []
    loaded: list[CompiledDefinition] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            loaded.append(load_definition(path, known_guards))
        except DefinitionInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionInvalid(problems, str(directory))
    return DefinitionSet(loaded)


SHIPPED = Path(__file__).resolve().parent
SHIPPED_PROCESSES = SHIPPED / "processes"
SHIPPED_ORG = SHIPPED / "org.example.yaml"
