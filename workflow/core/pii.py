"""Masking of personal data for logs, lists and messages. Pure.

ID-card numbers keep the first 6 (region) and last 4 characters, phones the
first 3 and last 4 digits, names the first character. ``mask_text`` finds
numbers of either shape inside free text, so a number typed into a comment
is caught as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ID_RE = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{5})([0-9]{4})(?![0-9])")
# Mobiles as people write them: with a +86 / 86 prefix and with blanks or dashes.
_PHONE_RE = re.compile(
    r"(?<![0-9])((?:\+?86[- ]?)?1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})(?![0-9])")


def mask_id_number(value: str) -> str:
    v = "".join(str(value).split())
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


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
    """Mask every ID-card or mobile number that appears in ``text``."""
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], text)
    text = _ID15_RE.sub(lambda m: m.group(1) + "*" * 5 + m.group(3), text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


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
