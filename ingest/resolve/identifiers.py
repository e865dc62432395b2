"""Strong person identifiers: normalising, validating, and when two values conflict.

Exact links and the conflict guard trust only *valid* identifiers: a value that
fails its check (an NHS number with a wrong check digit, a malformed UPN) is
ignored, because it is more likely a typing error than a second person.

>>> normalise_identifier("nhs_number", "943 476 5919")
'9434765919'
>>> normalise_identifier("nhs_number", "9434765918") is None   # wrong check digit
True
>>> normalise_identifier("pnc_id", "2019/12345a")
'19/0012345A'
>>> is_conflict_scope("upn", "A12345678901B")   # temporary UPN: may change, never a conflict
False
"""

from __future__ import annotations

import re
from typing import Any

from ..validate import nhs_number_is_valid

__all__ = ["STRONG_IDENTIFIERS", "IDENTIFIER_LABELS", "normalise_identifier", "nhs_check_digit_ok",
           "is_conflict_scope"]

# In the order exact links are made: the most reliable first.
STRONG_IDENTIFIERS: tuple[str, ...] = ("nhs_number", "upn", "ni_number", "pnc_id")

IDENTIFIER_LABELS: dict[str, str] = {
    "nhs_number": "NHS number",
    "upn": "UPN",
    "ni_number": "NI number",
    "pnc_id": "PNC id",
}

_UPN = re.compile(r"^[A-Z]\d{12}$")
_UPN_TEMPORARY = re.compile(r"^[A-Z]\d{11}[A-Z]$")
# National Insurance: two letters, six digits, suffix A-D. "TN" numbers are
# temporary placeholders shared by many people, so they never link.
_NI = re.compile(r"^[A-Z]{2}\d{6}[A-D]$")
_PNC = re.compile(r"^(\d{2}|\d{4})/(\d{1,7})([A-Z])$")


# One implementation of the modulus-11 check, shared with ingestion's validation.
nhs_check_digit_ok = nhs_number_is_valid


def normalise_identifier(kind: str, value: Any) -> str | None:
    """The canonical text of a valid identifier of ``kind``, or ``None`` if missing or invalid."""
    if value is None:
        return None
    text = re.sub(r"[\s-]", "", str(value)).upper()
    if not text:
        return None
    if kind == "nhs_number":
        return text if nhs_check_digit_ok(text) and len(set(text)) > 1 else None
    if kind == "upn":
        return text if _UPN.match(text) or _UPN_TEMPORARY.match(text) else None
    if kind == "ni_number":
        return text if _NI.match(text) and not text.startswith("TN") else None
    if kind == "pnc_id":
        m = _PNC.match(text)
        if not m:
            return None
        return f"{m.group(1)[-2:]}/{int(m.group(2)):07d}{m.group(3)}"
    raise ValueError(f"unknown identifier kind {kind!r}")


def is_conflict_scope(kind: str, value: str) -> bool:
    """Whether two different values of this identifier prove two different people.

    Temporary UPNs (ending in a letter) are issued while the permanent one is
    unknown, and a child may hold several in turn, so they link when they agree
    but never block a link when they differ.
    """
    if kind == "upn":
        return bool(_UPN.match(value))
    return True
