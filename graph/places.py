"""Addresses: who was recorded living at one, when and by which agency, and what happened there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .chronology import sortable_date
from .store import GraphStore

__all__ = ["Place", "address_view", "ADDRESS_CYPHER", "ADDRESS_RESIDENTS_CYPHER", "ADDRESS_INCIDENTS_CYPHER"]

ADDRESS_CYPHER = """
MATCH (a:Address {key: $key})
RETURN a
"""

ADDRESS_RESIDENTS_CYPHER = """
MATCH (a:Address {key: $key})<-[l:LIVES_AT]-(r:Record)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(p:Person)
RETURN r.key AS record, r.agency AS agency, r.given_name AS given_name, r.family_name AS family_name,
       r.dob AS dob, p.key AS person, p.display_name AS person_name, l.from AS since, l.to AS until
ORDER BY record
"""

ADDRESS_INCIDENTS_CYPHER = """
MATCH (a:Address {key: $key})<-[:AT]-(i:Incident)
OPTIONAL MATCH (g:Agency)-[:RECORDED]->(i)
RETURN i.key AS incident, i.date AS date, i.type AS type, g.key AS agency,
       [(i)-[:RAISES]->(c:Concern) | c.key] AS concerns,
       [(i)-[:INVOLVES]->(r:Record) | r.key] AS records
ORDER BY date DESC, incident
"""


@dataclass
class Place:
    """One address: its text, and who was recorded there (newest first) and what happened there."""

    key: str
    text: str
    postcode: str | None
    uprn: Any
    la: str | None
    residents: list[dict[str, Any]]
    incidents: list[dict[str, Any]]

    @property
    def person_keys(self) -> list[str]:
        return sorted({r["person"] for r in self.residents if r["person"]})


def address_view(store: GraphStore, key: str) -> Place | None:
    """Address ``key`` with its residents by record and its incidents, or None when there is none."""
    rows = store.read(ADDRESS_CYPHER, {"key": key}).rows
    if not rows:
        return None
    props = rows[0][0].props
    residents = store.read(ADDRESS_RESIDENTS_CYPHER, {"key": key}).records()
    for r in residents:
        r["name"] = " ".join(str(r[p]) for p in ("given_name", "family_name") if r[p]) or r["record"]
    residents.sort(key=lambda r: (sortable_date(r["since"]), r["record"]), reverse=True)
    incidents = store.read(ADDRESS_INCIDENTS_CYPHER, {"key": key}).records()
    return Place(key, str(props.get("text") or key), props.get("postcode"), props.get("uprn"),
                 props.get("la"), residents, incidents)
