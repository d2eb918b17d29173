"""The root of Bangfu's exception tree and the definition errors. Pure.

``BangfuError`` lives here, in the lowest layer, so that every package can
raise into one tree (``workflow.errors`` builds the rest on it)::

    BangfuError
    ├── DefinitionError
    │   ├── DefinitionInvalid          (all problems of a file at once)
    │   ├── DefinitionVersionConflict  (same version, different content)
    │   └── UnknownDefinition
    └── ... (workflow.errors)

Every error carries an English and a Chinese sentence; ``str(err)`` is the
English one, ``err.localized("zh")`` the one end users see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BangfuError(Exception):
    """Base of every error Bangfu raises on purpose."""

    code = "error"

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh

    def localized(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en

    def to_dict(self, lang: str = "zh") -> dict[str, object]:
        return {"error": self.code, "message": self.localized(lang)}


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a data file, with where it is."""

    path: str
    en: str
    zh: str
    line: int | None = None
    file: str | None = None

    def where(self) -> str:
        place = self.file or "<definition>"
        if self.line is not None:
            place += f":{self.line}"
        return f"{place}: {self.path}" if self.path else place

    def render(self, lang: str = "zh") -> str:
        return f"{self.where()}: {self.zh if lang.startswith('zh') else self.en}"


class DefinitionError(BangfuError):
    code = "definition_error"


class DefinitionInvalid(DefinitionError):
    """A definition, org or calendar file has problems; all are listed."""

    code = "definition_invalid"

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        n = len(self.problems)
        head_en = f"{source or 'Definition'} has {n} problem{'s' if n != 1 else ''}:"
        head_zh = f"{source or '定义文件'} 有 {n} 处错误:"
        super().__init__(
            "\n".join([head_en, *("  " + p.render("en") for p in self.problems)]),
            "\n".join([head_zh, *("  " + p.render("zh") for p in self.problems)]),
        )

    def to_dict(self, lang: str = "zh") -> dict[str, object]:
        return {
            "error": self.code,
            "message": self.localized(lang).splitlines()[0],
            "problems": [
                {"file": p.file, "line": p.line, "path": p.path,
                 "message": p.zh if lang.startswith("zh") else p.en}
                for p in self.problems
            ],
        }


class DefinitionVersionConflict(DefinitionError):
    code = "definition_version_conflict"

    def __init__(self, process: str, version: int, known_hash: str, new_hash: str) -> None:
        self.process, self.version = process, version
        super().__init__(
            f"Definition '{process}' version {version} was changed (content hash "
            f"{new_hash[:12]} differs from the registered {known_hash[:12]}); "
            "give the changed definition a new version number",
            f"流程定义 '{process}' 第 {version} 版的内容已被修改(内容哈希 {new_hash[:12]} "
            f"与已登记的 {known_hash[:12]} 不同);修改后的定义必须使用新的版本号",
        )


class UnknownDefinition(DefinitionError):
    code = "unknown_definition"

    def __init__(self, process: str, version: int | None = None,
                 known: Sequence[str] = ()) -> None:
        self.process = process
        what = f"'{process}'" + (f" version {version}" if version is not None else "")
        hint = ""
        from difflib import get_close_matches

        close = get_close_matches(process, list(known), n=1)
        if close:
            hint = f"; did you mean '{close[0]}'?"
        hint_zh = f";是否指 '{close[0]}'?" if close else ""
        super().__init__(
            f"Unknown process definition {what}{hint}",
            f"找不到流程定义 {what.replace(' version ', ' 第 ')}{' 版' if version is not None else ''}{hint_zh}",
        )
