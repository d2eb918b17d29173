"""Masking of personal data for logs, lists and messages. Pure.

ID-card numbers keep the first 6 (region) and last 4 characters, phones the
first 3 and last 4 digits, names the first character. ``mask_text`` finds
numbers of either shape inside free text, so a number typed into a comment
is caught as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from definitions.idnumber import mask_id

_ID_RE = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9X])(?![0-9])")
# An ID grouped by blanks as people copy it from a card: 3311 2219 5803 1204 22.
_ID_GROUPED_RE = re.compile(r"(?<![0-9])[1-9](?: ?[0-9]){16} ?[0-9X](?! ?[0-9])")
_ID15_RE = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{5})([0-9]{4})(?![0-9])")
# Mobiles as people write them: with a +86 / 86 prefix and with blanks, dashes or dots.
_PHONE_RE = re.compile(
    r"(?<![0-9])((?:\+?86[- .]?)?1[3-9][0-9])[- .]?([0-9]{4})[- .]?([0-9]{4})(?![0-9])")
# Matching runs on a copy of the text with full-width digits, letters and blanks as
# ASCII, one character for one, so what is not a number keeps its own characters.
_ASCII = {0x3000: " ", 0x00A0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " ", 0x202F: " ",
          0xFF0B: "+", 0xFF0D: "-", 0xFF0E: ".", 0xFF58: "X", 0xFF38: "X", ord("x"): "X",
          **{0xFF10 + d: str(d) for d in range(10)}}


def _masked_id(match: re.Match[str]) -> str:
    return mask_id_number(match.group(0).replace(" ", ""))


def _masked_phone(match: re.Match[str]) -> str:
    return match.group(1) + "****" + match.group(3)


#: in order: a span one pattern masked is not looked at by the next
_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_ID_RE, _masked_id), (_ID_GROUPED_RE, _masked_id), (_ID15_RE, _masked_id),
    (_PHONE_RE, _masked_phone))


def mask_id_number(value: str) -> str:
    return mask_id(value)


def mask_phone(value: str) -> str:
    v = "".join(str(value).split())
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_name(value: str) -> str:
    v = str(value)
    if len(v) <= 1:
        return v
    if len(v) == 2:
        return v[0] + "*"
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_text(text: str) -> str:
    """Mask every ID-card or mobile number that appears in ``text``: contiguous or
    grouped by blanks, in full-width digits, followed by letters, phones with
    dashes or dots."""
    plain = text.translate(_ASCII)
    spans: list[tuple[int, int, str]] = []
    for pattern, masked in _PATTERNS:
        for m in pattern.finditer(plain):
            if not any(m.start() < end and start < m.end() for start, end, _ in spans):
                spans.append((m.start(), m.end(), masked(m)))
    if not spans:
        return text
    out, at = [], 0
    for start, end, masked_text in sorted(spans):
        out.append(text[at:start])
        out.append(masked_text)
        at = end
    out.append(text[at:])
    return "".join(out)


_MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name}


def mask_value(kind: str | None, value: Any) -> Any:
    if kind in _MASKERS and isinstance(value, str):
        return _MASKERS[kind](value)
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_data(data: Mapping[str, Any], pii: Mapping[str, str | None],
              names: bool = False) -> dict[str, Any]:
    """Mask a case's data by its field kinds; names only when ``names`` is set."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        kind = pii.get(k)
        if kind == "name" and not names:
            out[k] = mask_text(v) if isinstance(v, str) else v
        else:
            out[k] = mask_value(kind, v)
    return out


def scrub(value: Any) -> Any:
    """Mask numbers in any nested structure (used by the log processor)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(v) for v in value)
    return value
