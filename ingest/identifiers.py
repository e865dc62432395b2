"""Strong person identifiers: for each, its format, check character, normal form and conflict rule.

This module is the one home of these rules. Validation (``ingest/validate.py``)
checks extract fields with :func:`parse_identifier`, resolution
(``ingest/resolve/``) links and guards with :func:`normalise_identifier` and
:func:`is_conflict_scope`, and the synthetic generator (``ingest/synth/ids.py``)
makes its identifiers with the check characters below.

============  ==========================================  =================  ===============
identifier    format (separators removed)                 normal form        never links
============  ==========================================  =================  ===============
NHS number    10 digits, modulus-11 check digit           ``9434765919``     one digit ten times
UPN           check letter + 12 digits; temporary UPN:    ``A123456789012``  -
              check letter + 11 digits + letter
PNC id        ``YY/NNNNNNNL`` (``YYYY/`` accepted, ``/``  ``02/0012345Y``    -
              optional, serial padded), check letter
NI number     2 letters + 6 digits + ``A``-``D``          ``AB123456C``      never-issued prefixes
============  ==========================================  =================  ===============

A value that fails its rule is invalid: validation empties the field (or
quarantines the row) and resolution ignores it, because a typing error is
likelier than a second person. A *placeholder* is valid but shared by many
people, so it never links two records and never keeps them apart. Two valid
values of one identifier that differ in normal form prove two different
people (:func:`conflicting`), except temporary UPNs: a child may hold several
before the permanent one.

>>> parse_identifier("nhs_number", "943 476 5919")
'9434765919'
>>> normalise_identifier("nhs_number", "9434765918") is None   # wrong check digit
True
>>> upn_check_letter("123456789012"), pnc_check_letter("02", "0012345")
('A', 'Y')
>>> parse_identifier("pnc_id", "2002/12345y"), parse_identifier("ni_number", "ab 12 34 56 c")
('02/0012345Y', 'AB123456C')
>>> normalise_identifier("ni_number", "TN123456A") is None     # a placeholder: never links
True
>>> conflicting("upn", "A123456789012", "B12345678901B")      # a temporary UPN never conflicts
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

__all__ = [
    "InvalidIdentifier", "Identifier", "IDENTIFIERS", "STRONG_IDENTIFIERS", "IDENTIFIER_LABELS",
    "parse_identifier", "normalise_identifier", "in_normal_form", "is_conflict_scope", "conflicting",
    "nhs_check_digit", "nhs_number_is_valid", "upn_check_letter", "upn_is_temporary",
    "pnc_check_letter", "UPN_LETTERS", "PNC_LETTERS", "NI_SECOND_LETTERS", "NI_UNALLOCATED_PREFIXES",
]


class InvalidIdentifier(ValueError):
    """A text is not a valid identifier of ``kind``; ``reason`` is ``invalid_<kind>``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.reason = f"invalid_{kind}"
        self.message = message


# Separators people type inside an identifier. A PNC id keeps its '/', which splits year and serial.
_SEPARATORS = re.compile(r"[\s\-/.]")
_SPACES = re.compile(r"\s")


# -- NHS number ----------------------------------------------------------------------------------

def nhs_check_digit(nine: str) -> int | None:
    """The modulus-11 check digit of the first nine digits, or ``None`` when there is none.

    Digits 1..9 are weighted 10..2; check = 11 - (sum mod 11), where 11 means 0
    and 10 means no number with these nine digits is ever issued (NHS Digital).
    """
    d = [ord(c) - 48 for c in nine]
    total = 10 * d[0] + 9 * d[1] + 8 * d[2] + 7 * d[3] + 6 * d[4] + 5 * d[5] + 4 * d[6] + 3 * d[7] + 2 * d[8]
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


_NHS_FORMAT = re.compile(r"[0-9]{10}")


def nhs_number_is_valid(digits: str) -> bool:
    """Ten digits whose last is the modulus-11 check digit of the first nine."""
    return bool(_NHS_FORMAT.fullmatch(digits)) and nhs_check_digit(digits[:9]) == ord(digits[9]) - 48


def _parse_nhs_number(text: str) -> str:
    digits = _SEPARATORS.sub("", text)
    if not _NHS_FORMAT.fullmatch(digits):
        raise InvalidIdentifier("nhs_number", f"{text!r} is not 10 digits")
    if not nhs_number_is_valid(digits):
        raise InvalidIdentifier("nhs_number", f"{text!r} fails the modulus-11 check digit")
    return digits


def _nhs_placeholder(value: str) -> bool:
    # 0000000000, 1111111111, ... pass the check digit and are typed where the number is unknown.
    return value == value[0] * 10


# -- UPN -----------------------------------------------------------------------------------------

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""UPN check letters for remainders 0..22 (DfE): the alphabet without I, O and S."""
_UPN_FORMAT = re.compile(r"[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]")


def upn_check_letter(body: str) -> str:
    """The check letter of a UPN whose characters 2..13 are ``body`` (DfE).

    Character i is weighted i (2..13); the sum mod 23 indexes
    :data:`UPN_LETTERS`. In a temporary UPN the last character is a letter and
    counts as its index in that alphabet (A = 0, B = 1, ...).
    """
    total = 0
    for weight, ch in enumerate(body, start=2):
        total += weight * (ord(ch) - 48 if "0" <= ch <= "9" else UPN_LETTERS.index(ch))
    return UPN_LETTERS[total % 23]


def upn_is_temporary(value: str) -> bool:
    """A temporary UPN ends in a letter; a permanent one in a digit."""
    return value[-1:].isalpha()


def _parse_upn(text: str) -> str:
    value = _SEPARATORS.sub("", text).upper()
    if not _UPN_FORMAT.fullmatch(value):
        raise InvalidIdentifier("upn", f"{text!r} is not a letter + 12 digits or a temporary UPN "
                                       "(letter + 11 digits + letter; no I, O or S)")
    expected = upn_check_letter(value[1:])
    if value[0] != expected:
        raise InvalidIdentifier("upn", f"check letter is {value[0]}, expected {expected}")
    return value


def _upn_conflict_scope(value: str) -> bool:
    # A child may hold several temporary UPNs before the permanent one: they never prove two children.
    return not upn_is_temporary(value)


# -- PNC id --------------------------------------------------------------------------------------

PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
"""PNC check characters for remainders 0..22 (as HMPPS's person-record service checks them)."""
# Without a '/', up to 9 digits read as YY + serial (the short form), 10 or 11 as YYYY + serial.
_PNC_FORMAT = re.compile(r"([0-9]{2}|[0-9]{4})/?([0-9]{1,7})([A-Z])")


def pnc_check_letter(year2: str, serial7: str) -> str:
    """The PNC check character: ``int(YY + serial padded to 7 digits) mod 23`` into :data:`PNC_LETTERS`."""
    return PNC_LETTERS[int(year2 + serial7) % 23]


def _parse_pnc_id(text: str) -> str:
    value = _SPACES.sub("", text).upper()
    m = _PNC_FORMAT.fullmatch(value)
    if not m:
        raise InvalidIdentifier("pnc_id", f"{text!r} is not a PNC id (YY/NNNNNNNL)")
    year, serial, letter = m.group(1)[-2:], m.group(2).zfill(7), m.group(3)
    expected = pnc_check_letter(year, serial)
    if letter != expected:
        raise InvalidIdentifier("pnc_id", f"check letter is {letter}, expected {expected}")
    return f"{year}/{serial}{letter}"


# -- National Insurance number -------------------------------------------------------------------

NI_SECOND_LETTERS = "ABCEGHJKLMNPRSTWXYZ"
"""Letters HMRC uses second in a prefix: not D, F, I, O, Q, U or V (HMRC NIM39110)."""
NI_UNALLOCATED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
"""Prefixes HMRC never allocates; records carry them as placeholders (``TN``: a temporary number)."""
# Shape only: D, F, I, Q, U and V never come first (nor O second) in an issued number, but that is
# an issuing rule, not a format rule, and synthetic data starts with Q on purpose.
_NI_FORMAT = re.compile(r"[A-Z]{2}[0-9]{6}[A-D]")


def _parse_ni_number(text: str) -> str:
    value = _SEPARATORS.sub("", text).upper()
    if not _NI_FORMAT.fullmatch(value):
        raise InvalidIdentifier("ni_number", f"{text!r} is not a National Insurance number "
                                             "(2 letters, 6 digits, A-D)")
    return value


def _ni_placeholder(value: str) -> bool:
    return value[:2] in NI_UNALLOCATED_PREFIXES


# -- the table -----------------------------------------------------------------------------------

def _never(value: str) -> bool:
    return False


def _always(value: str) -> bool:
    return True


@dataclass(frozen=True)
class Identifier:
    """The rules of one strong identifier."""

    kind: str
    """Field type in a mapping and property of a Record (``nhs_number``)."""
    label: str
    """How people name it (``NHS number``)."""
    parse: Callable[[str], str]
    """Text -> normal form; raises :class:`InvalidIdentifier` when the text breaks the format or check."""
    placeholder: Callable[[str], bool] = _never
    """Whether a valid normal form is a placeholder shared by many people (never links)."""
    conflict_scope: Callable[[str], bool] = _always
    """Whether a valid normal form can prove that two records are two people."""


IDENTIFIERS: dict[str, Identifier] = {rule.kind: rule for rule in (
    # In the order exact links are made: the most reliable first.
    Identifier("nhs_number", "NHS number", _parse_nhs_number, placeholder=_nhs_placeholder),
    Identifier("upn", "UPN", _parse_upn, conflict_scope=_upn_conflict_scope),
    Identifier("ni_number", "NI number", _parse_ni_number, placeholder=_ni_placeholder),
    Identifier("pnc_id", "PNC id", _parse_pnc_id),
)}

STRONG_IDENTIFIERS: tuple[str, ...] = tuple(IDENTIFIERS)
IDENTIFIER_LABELS: dict[str, str] = {kind: rule.label for kind, rule in IDENTIFIERS.items()}


def _rule(kind: str) -> Identifier:
    try:
        return IDENTIFIERS[kind]
    except KeyError:
        raise ValueError(f"unknown identifier kind {kind!r}; known: {', '.join(IDENTIFIERS)}") from None


def parse_identifier(kind: str, text: str) -> str:
    """The normal form of ``text`` as an identifier of ``kind``; :class:`InvalidIdentifier` if invalid."""
    return _rule(kind).parse(text)


def normalise_identifier(kind: str, value: Any) -> str | None:
    """The normal form of a value that can link records, or ``None`` if missing, invalid or a placeholder."""
    rule = _rule(kind)
    if value is None or value == "" or (isinstance(value, float) and value != value):  # NaN: a data frame's gap
        return None
    try:
        normal = rule.parse(str(value))
    except InvalidIdentifier:
        return None
    return None if rule.placeholder(normal) else normal


def in_normal_form(kind: str, value: str) -> bool:
    """Whether ``value`` is a valid identifier of ``kind`` written in its normal form."""
    try:
        return _rule(kind).parse(value) == value
    except InvalidIdentifier:
        return False


def is_conflict_scope(kind: str, value: str) -> bool:
    """Whether a valid normal form ``value`` can prove two people (see :func:`conflicting`)."""
    return _rule(kind).conflict_scope(value)


def conflicting(kind: str, a: Any, b: Any) -> bool:
    """Whether values ``a`` and ``b`` of one identifier prove two different people.

    They do when both can link (valid, not placeholders), both are in the
    conflict scope, and their normal forms differ.
    """
    na, nb = normalise_identifier(kind, a), normalise_identifier(kind, b)
    if na is None or nb is None or na == nb:
        return False
    return is_conflict_scope(kind, na) and is_conflict_scope(kind, nb)
