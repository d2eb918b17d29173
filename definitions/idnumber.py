"""The one normal form of a resident ID number (居民身份证号码, GB 11643-1999).

An ID number is the key of a household (no double relief), of a declared
relation (conflicts of interest) and of a rival case, so every way of writing
one person's number must give one key: full-width characters as ASCII, no
blanks, the check character upper-cased, and a first-generation 15-digit
number as its 18 digits ('19' before the year, the ISO 7064 MOD 11-2 check
character added). ``id_key`` does only that; whether the number is valid is
``workflow.rules.idcard.validate_id``'s question.
"""

from __future__ import annotations

import unicodedata

#: the weights of the first 17 digits, 2**(17 - i) mod 11
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: the check character by the weighted sum mod 11
CHECK_CHARACTERS = "10X98765432"

__all__ = ["CHECK_CHARACTERS", "WEIGHTS", "check_digit", "id_key", "mask_id", "plain_id"]


def plain_id(value: str) -> str:
    """Full-width characters as ASCII, no blanks, check character 'x' upper-cased."""
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()


def check_digit(first17: str) -> str:
    """The check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_key(value: str) -> str:
    """The key two spellings of one person's number share (15 digits become 18)."""
    v = plain_id(value)
    if len(v) == 15 and v.isascii() and v.isdigit():
        body = v[:6] + "19" + v[6:]
        return body + check_digit(body)
    return v


def mask_id(value: str) -> str:
    """An ID number as lists, logs and messages show it: region code and last four."""
    v = "".join(str(value).split())
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]
