"""The only YAML reader. I/O.

PyYAML's safe loader follows YAML 1.1, which turns ``on``/``off``/``yes``/``no``
into booleans (the "Norway problem"); this loader keeps them as strings and
accepts only ``true``/``false``. It also records the line of every mapping key
and sequence item, so that problems found later can name their line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from definitions.errors import DefinitionInvalid, Problem

Lines = dict[tuple[str | int, ...], int]


# libyaml's parser where PyYAML was built with it (the wheels are): about ten
# times faster than the pure-Python one, which matters because every command
# reads the definitions.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    pass


# Rebuild the implicit resolvers without YAML 1.1's yes/no/on/off booleans.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """Dates such as 2026-02-30 fail with the line they are on, not a bare ValueError."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a valid date ({exc})", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _no_duplicates(node: yaml.Node, path: tuple[str | int, ...], problems: list[Problem],
                   lines: Lines) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(
                    _dotted((*path, key)),
                    f"duplicate key '{key}' (first at line {seen[key]})",
                    f"重复的键 '{key}'（首次出现在第 {seen[key]} 行）", line))
            seen[key] = line
            _no_duplicates(value_node, (*path, key), problems, lines)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _no_duplicates(item, (*path, i), problems, lines)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml_text(text: str, source: str = "<string>", *,
                   duplicates: list[Problem] | None = None) -> tuple[Any, Lines]:
    """Parse YAML text into plain data and a map from key path to line number.

    Args:
        duplicates: where to put a repeated key's problem instead of raising it
            (the later value counts), so the rest of the file is still checked.

    Raises:
        DefinitionInvalid: the text is not well-formed YAML, or repeats a key
            (unless ``duplicates`` is given).
    """
    _too_big(text, source)
    loader = _Loader(text)
    try:
        return _load(loader, source, duplicates)
    finally:
        loader.dispose()


#: Bounds on a definition file, checked before it is built: no definition comes near them,
#: and a file past them (30 MB strings, 20,000 states, a billion laughs) is refused at once.
MAX_BYTES = 512 * 1024
MAX_DEPTH = 40
MAX_NODES = 20_000


_BRACKETS = re.compile(r"[\[\]{}]")
_DASHES = re.compile(rf"(?:-[ \t]+){{{MAX_DEPTH + 1}}}")


def _too_big(text: str, source: str) -> None:
    """Refuse, before the C parser sees it, a text too long or nested too deeply
    (libyaml's composer recurses in C: 30,000 levels of brackets crash the process).
    Within the size bound, nesting by indentation stays far below what it survives."""
    if len(text) > MAX_BYTES:
        raise DefinitionInvalid([Problem(
            "", f"the file has {len(text):,} characters; a definition file may have at most "
            f"{MAX_BYTES:,}", f"文件有 {len(text):,} 个字符，定义文件最多 {MAX_BYTES:,} 个", 1,
            source)], source)
    depth = 0
    for m in _BRACKETS.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            break
    if depth > MAX_DEPTH or _DASHES.search(text):
        raise DefinitionInvalid([Problem(
            "", f"values are nested more than {MAX_DEPTH} levels deep",
            f"嵌套超过 {MAX_DEPTH} 层", None, source)], source)


def _shape(node: yaml.Node, source: str) -> None:
    """Refuse anchors and aliases (one node reached twice: a recursive alias, a billion
    laughs), nesting deeper than MAX_DEPTH and more than MAX_NODES values."""
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, int]] = [(node, 1)]
    while todo:
        current, depth = todo.pop()
        line = current.start_mark.line + 1
        en = zh = ""
        if id(current) in seen:
            en, zh = "anchors and aliases (&, *) are not allowed", "不允许使用锚点和别名（&、*）"
        elif depth > MAX_DEPTH:
            en, zh = (f"values are nested more than {MAX_DEPTH} levels deep",
                      f"嵌套超过 {MAX_DEPTH} 层")
        elif len(seen) >= MAX_NODES:
            en, zh = (f"the file holds more than {MAX_NODES:,} values",
                      f"文件中的取值超过 {MAX_NODES:,} 个")
        if en:
            raise DefinitionInvalid([Problem("", en, zh, line, source)], source)
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                todo.append((key, depth + 1))
                todo.append((value, depth + 1))
        elif isinstance(current, yaml.SequenceNode):
            todo.extend((item, depth + 1) for item in current.value)


def _load(loader: Any, source: str, duplicates: list[Problem] | None = None
          ) -> tuple[Any, Lines]:
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise DefinitionInvalid([Problem(
            "", f"values are nested more than {MAX_DEPTH} levels deep",
            f"嵌套超过 {MAX_DEPTH} 层", None, source)], source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise DefinitionInvalid(
            [Problem("", f"malformed YAML: {reason}", f"YAML 格式错误：{reason}", line, source)],
            source,
        ) from None
    if node is None:
        raise DefinitionInvalid(
            [Problem("", "the file is empty", "文件为空", 1, source)], source)
    _shape(node, source)
    problems: list[Problem] = []
    lines: Lines = {}
    _no_duplicates(node, (), problems, lines)
    if problems and duplicates is None:
        raise DefinitionInvalid([_with_file(p, source) for p in problems], source)
    if duplicates is not None:
        duplicates.extend(_with_file(p, source) for p in problems)
    try:
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise DefinitionInvalid(
            [Problem("", f"invalid value: {reason}", f"取值无效：{reason}",
                     mark.line + 1 if mark is not None else None, source)], source) from None
    return data, lines


def load_yaml_file(path: str | Path, *, duplicates: list[Problem] | None = None
                   ) -> tuple[Any, Lines, str]:
    """Read a YAML file; returns (data, lines, text). ``duplicates`` as for
    ``load_yaml_text``.

    Raises:
        DefinitionInvalid: unreadable file or malformed YAML.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionInvalid(
            [Problem("", f"cannot read the file: {exc}", f"无法读取文件：{exc}", None, str(p))],
            str(p),
        ) from None
    data, lines = load_yaml_text(text, str(p), duplicates=duplicates)
    return data, lines, text


def line_of(lines: Lines, path: tuple[str | int, ...]) -> int | None:
    """The line of ``path`` or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _with_file(p: Problem, source: str) -> Problem:
    return Problem(p.path, p.en, p.zh, p.line, source)


dotted = _dotted
