"""The graph model of DESIGN.md as data: labels, their key, indexed properties.

Backends turn this into DDL through their dialect; nothing else hard-codes it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LABELS", "INDEXED", "FULLTEXT", "SchemaSpec", "SCHEMA"]

LABELS: tuple[str, ...] = (
    "Agency", "Record", "Person", "Household", "Address", "Referral",
    "Incident", "Episode", "Concern", "IngestRun", "MatchDecision", "ResolveRun", "ReviewPair",
)

# Lookup properties that saved queries, ingestion and resolution filter on.
INDEXED: dict[str, tuple[str, ...]] = {
    "Record": ("agency", "nhs_number", "upn", "pnc_id", "ni_number", "family_name", "dob"),
    "Person": ("dob",),
    "Address": ("uprn", "postcode"),
    "Referral": ("date",),
    "Incident": ("date", "type"),
    "Episode": ("kind",),
}

# Full-text index on names: label -> properties.
FULLTEXT: dict[str, tuple[str, ...]] = {
    "Record": ("given_name", "family_name"),
    "Person": ("display_name",),
}


@dataclass(frozen=True)
class SchemaSpec:
    labels: tuple[str, ...]
    indexed: dict[str, tuple[str, ...]]
    fulltext: dict[str, tuple[str, ...]]


SCHEMA = SchemaSpec(LABELS, INDEXED, FULLTEXT)
