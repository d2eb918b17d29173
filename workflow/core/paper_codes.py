"""Verification codes printed on papers (the disbursement form, the public
notice). Pure.

A code names a case and its chain head at printing: the case number, then the
first 50 bits of the head event's hash in Crockford's base 32, in two groups
of five (``CF27-000001-7K3QD-9XAB2``). It is short enough to type from the
paper, case-insensitive, and reads ``O`` as ``0`` and ``I``/``L`` as ``1``.

Why the head and not a keyed HMAC: the head's hash already commits to the
whole history up to printing (``workflow.core.chain``), so the code needs no
secret that could be lost, rotated or leaked, and an inspector holding an
exported trail can check a paper without the server. Guessing a code means
guessing 50 bits for a known case number (about 10^15 tries, behind a rate
limit), so codes cannot be used to enumerate cases; and a wrong code and a
case that does not exist get the same answer.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from workflow.core.model import Event

#: Crockford's base 32: no I, L, O, U
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: characters of the head part: 10 × 5 = 50 bits
TAG_CHARS = 10
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,38}[A-Z0-9]$")
#: the longest text taken as a code (a case number of 40 and the tag, with separators)
MAX_CODE = 64


def head_tag(hash_hex: str) -> str:
    """The first 50 bits of a hex SHA-256 hash as ``TAG_CHARS`` characters."""
    bits = int(hash_hex[:13], 16) >> 2  # 13 hex digits are 52 bits
    out = []
    for _ in range(TAG_CHARS):
        out.append(ALPHABET[bits & 31])
        bits >>= 5
    return "".join(reversed(out))


def paper_code(number: str, head_hash: str) -> str:
    """The code printed for a case whose chain head is ``head_hash``."""
    tag = head_tag(head_hash)
    return f"{number}-{tag[:5]}-{tag[5:]}"


@dataclass(frozen=True, slots=True)
class ParsedCode:
    number: str
    tag: str

    @property
    def code(self) -> str:
        """The code in its printed form."""
        return f"{self.number}-{self.tag[:5]}-{self.tag[5:]}"


def parse_code(text: str) -> ParsedCode | None:
    """The case number and head tag of a code as typed (any case; blanks or hyphens
    between the parts, or none inside the tag), or None when it is not a code of
    this form."""
    if len(text) > MAX_CODE:
        return None
    cleaned = "-".join(text.split()).upper()
    tag: list[str] = []
    cut = len(cleaned)
    while cut > 0 and len(tag) < TAG_CHARS:
        cut -= 1
        ch = cleaned[cut]
        if ch == "-":
            continue
        ch = ch.translate(_TYPED)
        if ch not in ALPHABET:
            return None
        tag.append(ch)
    # the tag is set off from the number: a short tag must not eat into it
    if len(tag) < TAG_CHARS or not cleaned[:cut].endswith("-"):
        return None
    number = cleaned[:cut].rstrip("-")
    if not _NUMBER.match(number):
        return None
    return ParsedCode(number, "".join(reversed(tag)))


def printed_event(events: Sequence[Event], tag: str) -> Event | None:
    """The event whose hash the tag was printed from (compared in constant time)."""
    found = None
    for event in events:
        if hmac.compare_digest(head_tag(event.hash), tag):
            found = event
    return found
