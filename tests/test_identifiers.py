"""Strong identifier rules (ingest/identifiers.py): format, check character, normal form, conflicts.

Every value below can be checked by hand. Check characters come from the
published rules: NHS number modulus 11 (weights 10..2; 11 -> 0; 10 = no such
number); UPN mod 23 over characters 2..13 weighted 2..13, into the alphabet
without I, O and S (DfE; a temporary UPN's final letter counts as its index);
PNC id ``int(YY + 7-digit serial) mod 23`` into ``ZABCDEFGHJKLMNPQRTUVWXY``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mashgraph.ingest.identifiers import (
    IDENTIFIERS, STRONG_IDENTIFIERS, InvalidIdentifier, conflicting, in_normal_form, is_conflict_scope,
    nhs_check_digit, normalise_identifier, parse_identifier, pnc_check_letter, upn_check_letter,
)
from mashgraph.ingest.synth.ids import IdAllocator
from mashgraph.ingest.validate import CHECKERS, FieldProblem

ROOT = Path(__file__).resolve().parent.parent

# (kind, text, normal form or None when invalid, why)
CASES = [
    # NHS number: 943 476 591 -> 10*9 + 9*4 + 8*3 + 7*4 + 6*7 + 5*6 + 4*5 + 3*9 + 2*1 = 299; 299 mod 11 = 2; 11 - 2 = 9
    ("nhs_number", "9434765919", "9434765919", "valid check digit"),
    ("nhs_number", "943 476 5919", "9434765919", "spaces removed"),
    ("nhs_number", "943-476-5919", "9434765919", "dashes removed"),
    ("nhs_number", "9434765918", None, "wrong check digit"),
    ("nhs_number", "9434765960", None, "943476596 gives check 10: no such number"),
    ("nhs_number", "9434765961", None, "no last digit makes a check of 10 valid"),
    ("nhs_number", "943476591", None, "nine digits"),
    ("nhs_number", "94347659190", None, "eleven digits"),
    ("nhs_number", "94347659I9", None, "a letter"),
    ("nhs_number", "0000000000", "0000000000", "check digit 11 -> 0 (a placeholder, see below)"),
    # UPN: B801200005001 -> 2*8 + 4*1 + 5*2 + 10*5 + 13*1 = 93; 93 mod 23 = 1 -> B (python-stdnum's example).
    ("upn", "B801200005001", "B801200005001", "permanent UPN"),
    ("upn", "b801 2000 05001", "B801200005001", "lower case and spaces"),
    ("upn", "A801200005001", None, "wrong check letter"),
    # A DfE census help page gives Q for 207000016049 but its sum is wrong: 4+28+9+60+48+117 = 266 -> 13 -> P.
    ("upn", "P207000016049", "P207000016049", "remainder 13 is P (I is skipped)"),
    ("upn", "Q207000016049", None, "remainder 14 would be Q"),
    ("upn", "A80120000501A", "A80120000501A", "temporary UPN: final A counts 0"),
    ("upn", "X99101234567B", "X99101234567B", "temporary UPN: final B counts 1"),
    ("upn", "B99101234567B", None, "temporary UPN with a wrong check letter"),
    ("upn", "I99101234567B", None, "I is never a check letter"),
    ("upn", "A8012000050I1", None, "a letter inside the digits"),
    ("upn", "A80120000501O", None, "O never ends a temporary UPN"),
    ("upn", "B80120000500", None, "twelve characters"),
    # PNC id: 02 + 0012345 = 20012345; 20012345 mod 23 = 22 -> Y.
    ("pnc_id", "02/0012345Y", "02/0012345Y", "normal form"),
    ("pnc_id", "2002/0012345Y", "02/0012345Y", "four-digit year"),
    ("pnc_id", "02/12345Y", "02/0012345Y", "serial padded to 7 digits"),
    ("pnc_id", "020012345Y", "02/0012345Y", "no slash: YY + serial"),
    ("pnc_id", "20020012345Y", "02/0012345Y", "no slash: YYYY + 7-digit serial"),
    ("pnc_id", "02/0012345y", "02/0012345Y", "lower-case letter"),
    ("pnc_id", " 02 / 0012345Y ", "02/0012345Y", "spaces removed"),
    ("pnc_id", "02/0012345Z", None, "wrong check letter"),
    ("pnc_id", "02/00123456Y", None, "eight-digit serial"),
    ("pnc_id", "02/0012345", None, "no check letter"),
    ("pnc_id", "002/0012345Y", None, "three-digit year"),
    # NI number: shape only (HMRC's issuing letters are not a format rule).
    ("ni_number", "AB123456C", "AB123456C", "2 letters, 6 digits, A-D"),
    ("ni_number", "ab 12 34 56 c", "AB123456C", "lower case and spaces"),
    ("ni_number", "QQ123456D", "QQ123456D", "Q is never issued, still the shape"),
    ("ni_number", "AB123456E", None, "suffix after D"),
    ("ni_number", "AB12345C", None, "five digits"),
    ("ni_number", "A1123456C", None, "digit in the prefix"),
    ("ni_number", "TN123456A", "TN123456A", "TN: a placeholder, see below"),
]


@pytest.mark.parametrize("kind, text, normal, why", CASES, ids=[f"{c[0]}:{c[3]}" for c in CASES])
def test_format_check_character_and_normal_form(kind, text, normal, why):
    if normal is None:
        with pytest.raises(InvalidIdentifier) as err:
            parse_identifier(kind, text)
        assert err.value.reason == f"invalid_{kind}" and err.value.kind == kind
        assert normalise_identifier(kind, text) is None
        assert not in_normal_form(kind, text)
    else:
        assert parse_identifier(kind, text) == normal
        assert in_normal_form(kind, normal) and in_normal_form(kind, text) == (text == normal)


@pytest.mark.parametrize("kind, text, normal, why", CASES, ids=[f"{c[0]}:{c[3]}" for c in CASES])
def test_validation_uses_the_same_rules(kind, text, normal, why):
    # The ingestion checker of the field type gives the same normal form, or a quarantine reason.
    if normal is None:
        with pytest.raises(FieldProblem) as err:
            CHECKERS[kind](text)
        assert err.value.reason == f"invalid_{kind}"
    else:
        assert CHECKERS[kind](text) == normal


@pytest.mark.parametrize("kind, value, links", [
    ("nhs_number", "9434765919", True),
    ("nhs_number", "0000000000", False),   # one digit ten times: typed where the number is unknown
    ("nhs_number", "1111111111", False),
    ("ni_number", "AB123456C", True),
    ("ni_number", "QQ123456D", True),
    *[("ni_number", f"{prefix}123456A", False) for prefix in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")],
    ("upn", "A80120000501A", True),
    ("pnc_id", "02/0012345Y", True),
])
def test_placeholders_are_valid_but_never_link(kind, value, links):
    assert parse_identifier(kind, value) == value
    assert (normalise_identifier(kind, value) == value) is links


@pytest.mark.parametrize("kind, a, b, conflict", [
    ("nhs_number", "9434765919", "9000000009", True),    # two valid numbers: two people
    ("nhs_number", "9434765919", "943 476 5919", False),  # the same number written twice
    ("nhs_number", "9434765919", "9434765918", False),   # an invalid value proves nothing
    ("nhs_number", "9434765919", "0000000000", False),   # nor does a placeholder
    ("nhs_number", "9434765919", None, False),
    ("upn", "B801200005001", "W991012345678", True),     # two permanent UPNs
    ("upn", "B801200005001", "A80120000501A", False),    # a temporary UPN may precede the permanent one
    ("upn", "A80120000501A", "X99101234567B", False),    # and a child may hold several
    ("pnc_id", "02/0012345Y", "2002/12345Y", False),     # one id, two spellings
    ("pnc_id", "02/0012345Y", "08/9012345Y", True),
    ("ni_number", "AB123456C", "ab 12 34 56 c", False),
    ("ni_number", "AB123456C", "AB123456D", True),
    ("ni_number", "AB123456C", "TN123456A", False),
])
def test_what_counts_as_a_conflict(kind, a, b, conflict):
    assert conflicting(kind, a, b) is conflict
    assert conflicting(kind, b, a) is conflict


def test_check_characters_by_hand():
    assert nhs_check_digit("943476591") == 9
    assert nhs_check_digit("943476596") is None       # 11 - remainder = 10
    assert nhs_check_digit("000000000") == 0          # 11 - 0 = 11 -> 0
    assert upn_check_letter("801200005001") == "B"
    assert upn_check_letter("991012345678") == "W"    # docs/data-dictionary.md's example
    assert pnc_check_letter("02", "0012345") == "Y"
    assert pnc_check_letter("08", "9012345") == "Y"   # 89012345 mod 23 = 22


def test_conflict_scope_and_table():
    assert STRONG_IDENTIFIERS == ("nhs_number", "upn", "ni_number", "pnc_id")
    assert is_conflict_scope("upn", "B801200005001") and not is_conflict_scope("upn", "A80120000501A")
    assert all(is_conflict_scope(k, parse_identifier(k, v)) for k, v in
               [("nhs_number", "9434765919"), ("ni_number", "AB123456C"), ("pnc_id", "02/0012345Y")])
    with pytest.raises(ValueError, match="unknown identifier kind 'passport'"):
        parse_identifier("passport", "123")


def test_the_synthetic_generator_makes_valid_identifiers_in_normal_form():
    ids = IdAllocator(random.Random(11))
    made = {"nhs_number": [ids.nhs_number() for _ in range(2000)],
            "upn": [ids.upn() for _ in range(1000)] + [ids.temporary_upn() for _ in range(1000)],
            "pnc_id": [ids.pnc_id(1990 + i % 36) for i in range(2000)],
            "ni_number": [ids.ni_number() for _ in range(2000)]}
    for kind, values in made.items():
        bad = [v for v in values if not in_normal_form(kind, v) or normalise_identifier(kind, v) != v]
        assert not bad, f"{kind}: {bad[:5]}"
    assert any(v[-1].isalpha() for v in made["upn"]) and any(v[-1].isdigit() for v in made["upn"])


def test_the_rules_have_one_home():
    # The check alphabets and the modulus-11 weights are written once, in ingest/identifiers.py.
    needles = ("ABCDEFGHJKLMNPQRTUVWXYZ", "ZABCDEFGHJKLMNPQRTUVWXY", "ABCEGHJKLMNPRSTWXYZ", "% 23", "% 11")
    found = {}
    sources = [*ROOT.glob("*.py"), *(p for d in ("graph", "ingest", "web", "bench") for p in (ROOT / d).rglob("*.py"))]
    for path in sources:
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        for needle in needles:
            if needle in text:
                found.setdefault(needle, []).append(rel)
    assert found == {n: ["ingest/identifiers.py"] for n in needles}
    assert set(IDENTIFIERS) == set(STRONG_IDENTIFIERS)
