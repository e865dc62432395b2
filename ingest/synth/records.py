"""Agency records of true people: local ids, identifiers held, data-quality defects.

A record's details are fixed when it is created (one record = one row in the
agency's person table); every defect is listed in ``Record.defects`` as
``(field, kind)`` and written to ``truth/data_quality.csv``.
"""

from __future__ import annotations

import random
from datetime import date
from typing import TYPE_CHECKING

from .config import AgencyQuality
from .names import nickname_of, typo

if TYPE_CHECKING:
    from .world import Person, Record, World

__all__ = ["new_record", "explicit_record", "agency_kind", "IDENTIFIERS_HELD"]

# Identifier fields each agency kind can hold (education's UPN is its local id).
IDENTIFIERS_HELD: dict[str, tuple[str, ...]] = {
    "police": ("pnc_id",), "health": ("nhs_number",), "csc": ("nhs_number",),
    "asc": ("ni_number", "nhs_number"), "edu": ("upn",), "housing": ("ni_number",),
    "probation": ("pnc_id",),
}

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def agency_kind(agency: str) -> str:
    return agency.split("-")[0]


def _local_id(world: "World", agency: str) -> str:
    kind = agency_kind(agency)
    alloc = world._ids
    if kind == "police":
        return alloc.unique(agency, lambda r: f"N{r.randrange(10**7):07d}")
    if kind == "health":
        return alloc.unique(agency, lambda r: f"RP{r.randrange(10**7):07d}")
    if kind == "probation":
        return alloc.unique(agency, lambda r: f"{r.choice(_LETTERS)}{r.randrange(10**6):06d}")
    if kind == "csc":
        return alloc.unique(agency, lambda r: f"{r.randrange(1_000_000, 10**7)}")
    if kind == "asc":
        return alloc.unique(agency, lambda r: f"{r.randrange(100_000, 10**6)}")
    if kind == "housing":
        return alloc.unique(agency, lambda r: f"HP{r.randrange(10**6):06d}")
    raise ValueError(f"no local id shape for agency {agency!r}")


def _scaled(world: "World", q: AgencyQuality, kind: str) -> float:
    return getattr(q, kind) * world.config.quality_scale.get(kind, 1.0)


def _has_moved(person: "Person") -> bool:
    return len(person.memberships) > 1 or any(len(m.household.stays) > 1 for m in person.memberships)


def new_record(world: "World", agency: str, person: "Person", rng: random.Random, *,
               defects: bool = True) -> "Record":
    """The main record of ``person`` in ``agency``, with random defects at the agency's rates."""
    from .world import Record

    kind = agency_kind(agency)
    q = world.config.quality[kind]
    given, family, dob = person.given, person.family, person.dob
    found: list[tuple[str, str]] = []
    held: dict[str, str | None] = {}
    id_scale = world.config.quality_scale.get("missing_identifier", 1.0)
    for field in IDENTIFIERS_HELD[kind]:
        true_value = getattr(person, field)
        share = q.identifiers.get(field, 0.0)
        keep = not defects or rng.random() < 1.0 - (1.0 - share) * id_scale
        held[field] = true_value if keep else None
        if true_value and not keep:
            found.append((field, "missing_identifier"))
    preferred = None
    stale = False
    if defects:
        if rng.random() < _scaled(world, q, "swapped_names"):
            given, family = family, given
            found.append(("name", "swapped_names"))
        if rng.random() < _scaled(world, q, "nickname"):
            variant = nickname_of(person.given, rng)
            if variant:
                if given == person.given:
                    given = variant
                else:
                    family = variant
                found.append(("given_name", "nickname"))
        if rng.random() < _scaled(world, q, "typo"):
            if rng.random() < 0.7:
                family = typo(family, rng)
                found.append(("family_name", "typo"))
            else:
                given = typo(given, rng)
                found.append(("given_name", "typo"))
        u = rng.random()
        p_missing = _scaled(world, q, "missing_dob")
        p_default = _scaled(world, q, "default_dob")
        p_transposed = _scaled(world, q, "transposed_dob")
        if u < p_missing:
            dob = None
            found.append(("dob", "missing_dob"))
        elif u < p_missing + p_default and (dob.month, dob.day) != (1, 1):
            dob = date(dob.year, 1, 1)
            found.append(("dob", "default_dob"))
        elif (u < p_missing + p_default + p_transposed and dob.day <= 12 and dob.day != dob.month):
            dob = date(dob.year, dob.day, dob.month)
            found.append(("dob", "transposed_dob"))
        if rng.random() < _scaled(world, q, "stale_address") and _has_moved(person):
            stale = True
            found.append(("address", "stale_address"))
    if kind == "edu":
        # Schools record the name the child uses alongside the legal one.
        if rng.random() < 0.15:
            preferred = nickname_of(person.given, rng)
        upn = held.get("upn")
        if upn is None:
            upn = world._ids.temporary_upn()
        local_id = upn
    else:
        local_id = _local_id(world, agency)
    return Record(agency, local_id, person, given, family, dob, person.sex,
                  nhs_number=held.get("nhs_number"), upn=held.get("upn") if kind == "edu" else None,
                  pnc_id=held.get("pnc_id"), ni_number=held.get("ni_number"),
                  preferred_given=preferred, stale=stale, defects=found)


def explicit_record(world: "World", agency: str, person: "Person", *, given: str, family: str,
                    dob: date | None, sex: str, nhs_number: str | None, upn: str | None,
                    pnc_id: str | None, ni_number: str | None, local_id: str | None,
                    stale: bool) -> "Record":
    """A record with exactly the details given; defects are derived by comparing with the truth."""
    from .world import Record

    kind = agency_kind(agency)
    if kind == "edu":
        upn = upn or world._ids.temporary_upn()
        local_id = local_id or upn
    local_id = local_id or _local_id(world, agency)
    found: list[tuple[str, str]] = []
    if given != person.given:
        found.append(("given_name", "variant"))
    if family != person.family:
        found.append(("family_name", "variant"))
    if dob != person.dob:
        if dob is None:
            found.append(("dob", "missing_dob"))
        elif (dob.month, dob.day) == (1, 1):
            found.append(("dob", "default_dob"))
        elif (dob.year, dob.month, dob.day) == (person.dob.year, person.dob.day, person.dob.month):
            found.append(("dob", "transposed_dob"))
        else:
            found.append(("dob", "wrong_dob"))
    for field, value in (("nhs_number", nhs_number), ("pnc_id", pnc_id), ("ni_number", ni_number)):
        if field in IDENTIFIERS_HELD[kind] and getattr(person, field) and not value:
            found.append((field, "missing_identifier"))
    if stale:
        found.append(("address", "stale_address"))
    return Record(agency, local_id, person, given, family, dob, sex, nhs_number=nhs_number,
                  upn=upn if kind == "edu" else None, pnc_id=pnc_id, ni_number=ni_number,
                  stale=stale, defects=found)
