"""Synthetic identifiers with real check characters, drawn from ranges never
issued to real people (see docs/data-dictionary.md "Identifiers"). The check
characters come from ``ingest/identifiers.py``, the rules ingestion checks.

- NHS number: 10 digits starting ``9``, modulus-11 check digit.
- UPN: check letter + 12 digits (LA part ``99N``); temporary UPN ends in a letter.
- PNC id: ``YY/NNNNNNNL`` with serials from 9000000, mod-23 check letter.
- NI number: first letter ``Q`` (never issued) + letter + 6 digits + A-D.
- UPRN: ``9`` + 2-digit authority + 9-digit sequence; postcodes in area ``Q<letter>``.
"""

from __future__ import annotations

import random
import string
from typing import Callable

from ..identifiers import NI_SECOND_LETTERS, UPN_LETTERS, nhs_check_digit, pnc_check_letter, upn_check_letter
from .names import STREET_WORDS, STREET_SUFFIXES, TOWNS

__all__ = ["uprn", "postcode_area", "IdAllocator", "StreetNamer"]


def uprn(la: int, seq: int) -> int:
    return 900_000_000_000 + la * 1_000_000_000 + seq


def postcode_area(la: int) -> str:
    """``QA`` for la1, ``QB`` for la2, ... (26 authorities at most per letter, then ``QAA``...)."""
    letters = string.ascii_uppercase
    if la <= 26:
        return "Q" + letters[la - 1]
    return "Q" + letters[(la - 1) // 26 - 1] + letters[(la - 1) % 26]


class IdAllocator:
    """Unique random identifiers from one random stream (same order -> same ids)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: dict[str, set[str]] = {}

    def unique(self, space: str, make: Callable[[random.Random], str]) -> str:
        used = self.used.setdefault(space, set())
        while True:
            value = make(self.rng)
            if value not in used:
                used.add(value)
                return value

    def nhs_number(self) -> str:
        def make(r: random.Random) -> str:
            while True:
                nine = f"9{int(r.random() * 1e8):08d}"
                check = nhs_check_digit(nine)
                if check is not None:
                    return f"{nine}{check}"
        return self.unique("nhs", make)

    def upn(self, la_digit: int | None = None) -> str:
        def make(r: random.Random) -> str:
            la = la_digit if la_digit is not None else int(r.random() * 10)
            body = f"99{la}{int(r.random() * 1e9):09d}"
            return upn_check_letter(body) + body
        return self.unique("upn", make)

    def temporary_upn(self) -> str:
        def make(r: random.Random) -> str:
            body = f"99{r.randrange(10)}{r.randrange(10**8):08d}" + r.choice(UPN_LETTERS)
            return upn_check_letter(body) + body
        return self.unique("upn", make)

    def pnc_id(self, year: int) -> str:
        yy = f"{year % 100:02d}"

        def make(r: random.Random) -> str:
            serial = f"{9_000_000 + int(r.random() * 1e6):07d}"
            return f"{yy}/{serial}{pnc_check_letter(yy, serial)}"
        return self.unique("pnc", make)

    def ni_number(self) -> str:
        return self.unique("ni", lambda r: f"Q{NI_SECOND_LETTERS[int(r.random() * 19)]}{int(r.random() * 1e6):06d}{'ABCD'[int(r.random() * 4)]}")


class StreetNamer:
    """Fictional streets, towns and postcodes per authority."""

    def __init__(self, rng: random.Random, authorities: int) -> None:
        self.rng = rng
        self.streets: dict[int, list[tuple[str, str, int, int]]] = {}
        self.towns = {la: TOWNS[(la - 1) % len(TOWNS)] + ("" if la <= len(TOWNS) else f" {la}")
                      for la in range(1, authorities + 1)}

    def next_address(self, la: int) -> tuple[str, str, str]:
        """(line, town, postcode) of a new address: streets fill up 2..80 numbers each."""
        streets = self.streets.setdefault(la, [])
        r = self.rng
        if not streets or streets[-1][3] >= streets[-1][2]:
            name = f"{r.choice(STREET_WORDS)} {r.choice(STREET_SUFFIXES)}"
            district = r.randint(1, 20)
            sector = r.randint(1, 9)
            unit = r.choice(_UNIT) + r.choice(_UNIT)
            postcode = f"{postcode_area(la)}{district} {sector}{unit}"
            streets.append((name, postcode, r.randint(2, 80), 0))
        name, postcode, size, used = streets[-1]
        streets[-1] = (name, postcode, size, used + 1)
        if used >= 25 and used % 25 == 0:  # long streets span several postcodes
            postcode = postcode[:-2] + r.choice(_UNIT) + r.choice(_UNIT)
            streets[-1] = (name, postcode, size, used + 1)
        flat = f"Flat {r.randint(1, 12)}, " if r.random() < 0.12 else ""
        return f"{flat}{used + 1} {name}", self.towns[la], postcode


_UNIT = "ABDEFGHJLNPQRSTUWXYZ"
