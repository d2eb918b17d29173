"""Resident ID numbers, 居民身份证号码 by GB 11643-1999: normalise, validate, upgrade. Pure.

An ID number is the key of a household for "no double relief", so two ways of
writing one number must compare equal: ``normalise_id`` turns full-width
characters into ASCII, drops every blank and upper-cases the check character
'x'. ``validate_id`` then checks, in this order, the length (18, or 15 for a
first-generation card, which it converts to 18 digits), the characters, the
province of the region code (GB/T 2260), the birth date and the ISO 7064
MOD 11-2 check character, and says which one failed.

The clock is not read here: pass ``today`` to refuse birth dates in the future.
Error messages show the number masked (region code and last four characters),
never in full.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from definitions.errors import BangfuError
from definitions.idnumber import check_digit as check_digit
from definitions.idnumber import plain_id
from workflow.core.pii import mask_id_number

#: province-level codes of GB/T 2260 (71 Taiwan, 81 Hong Kong, 82 Macao, 83 residence
#: permits of Taiwan residents)
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
})
#: the earliest plausible year of birth
EARLIEST_BIRTH_YEAR = 1880

Reason = Literal["length", "characters", "region", "birth_date", "future_birth_date",
                 "check_digit"]


class InvalidIdNumber(BangfuError):
    """An ID number that is not a valid resident ID; ``reason`` says which check failed."""

    code = "invalid_id_number"

    def __init__(self, value: str, reason: Reason, en: str, zh: str,
                 expected: str | None = None, given: str | None = None) -> None:
        self.masked = mask_id_number(value)
        self.reason = reason
        self.expected, self.given = expected, given
        super().__init__(f"ID number '{self.masked}' {en}", f"身份证号 '{self.masked}' {zh}")

    def to_dict(self, lang: str = "zh") -> dict[str, object]:
        return {**super().to_dict(lang), "reason": self.reason}


def normalise_id(value: str) -> str:
    """Full-width characters as ASCII, no blanks, check character 'x' upper-cased."""
    return plain_id(value)


def _birth(value: str, digits: str, today: dt.date | None) -> dt.date:
    born: dt.date | None
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        born = None
    if born is None or born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumber(
            value, "birth_date",
            f"holds the birth date '{digits}', which is not a plausible date of birth",
            f"中的出生日期 '{digits}' 不是有效的出生日期")
    if today is not None and born > today:
        raise InvalidIdNumber(value, "future_birth_date",
                              f"holds the birth date {born}, which is after {today}",
                              f"中的出生日期 {born} 晚于 {today}")
    return born


def upgrade_15(value: str) -> str:
    """A first-generation 15-digit number as 18 digits: '19' before the year, check added.

    Raises:
        InvalidIdNumber: not 15 digits, or a wrong region or birth date.
    """
    v = normalise_id(value)
    if len(v) != 15:
        raise InvalidIdNumber(v, "length", f"has {len(v)} characters; an old card has 15",
                              f"有 {len(v)} 位；一代身份证号应为 15 位")
    if not v.isascii() or not v.isdigit():
        raise InvalidIdNumber(v, "characters", "may contain only digits",
                              "只能由数字组成")
    body = v[:6] + "19" + v[6:]
    return body + check_digit(body)


def validate_id(value: str, today: dt.date | None = None) -> str:
    """The normalised 18-character ID number (a 15-digit one converted).

    Raises:
        InvalidIdNumber: saying what is wrong: the length, a character, the
            region code, the birth date, or the check character (expected vs given).
    """
    v = normalise_id(value)
    if len(v) == 15:
        v = upgrade_15(v)
    if len(v) != 18:
        raise InvalidIdNumber(v, "length", f"has {len(v)} characters; it must have 18 "
                              "(or 15 for a first-generation card)",
                              f"有 {len(v)} 位；应为 18 位（一代身份证为 15 位）")
    for i, c in enumerate(v):
        if not ("0" <= c <= "9" or (i == 17 and c == "X")):
            where = "the last character" if i == 17 else f"character {i + 1}"
            raise InvalidIdNumber(
                v, "characters",
                f"has '{c}' as {where}; it may contain only digits and a final 'X'",
                f"第 {i + 1} 位为 '{c}'；只能由数字组成，最后一位可为 'X'")
    if v[:2] not in PROVINCES:
        raise InvalidIdNumber(v, "region",
                              f"starts with '{v[:2]}', which is no province's region code",
                              f"开头的 '{v[:2]}' 不是有效的省级行政区划代码")
    _birth(v, v[6:14], today)
    expected = check_digit(v[:17])
    if v[17] != expected:
        raise InvalidIdNumber(
            v, "check_digit",
            f"ends in '{v[17]}', but its first 17 digits call for the check character "
            f"'{expected}'", f"的校验码为 '{v[17]}'，按前 17 位应为 '{expected}'",
            expected=expected, given=v[17])
    return v


def is_valid_id(value: str, today: dt.date | None = None) -> bool:
    """Would ``validate_id`` accept the number?"""
    try:
        validate_id(value, today)
    except InvalidIdNumber:
        return False
    return True


def birth_date(value: str) -> dt.date:
    """The date of birth in a valid ID number (15 or 18 digits).

    Raises:
        InvalidIdNumber: the number is not valid.
    """
    v = validate_id(value)
    return dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def mask(value: str) -> str:
    """The number as public lists show it: region code and last four characters."""
    return mask_id_number(normalise_id(value))
