"""A family seen whole: the members of every agency's record of one household (the resolved
household, ``Family``, of ingest/resolve/households.py) with all their records, one merged
chronology, who knows what about the family, the other households its people were recorded
in, and the adults linked to a child.

An adult is *linked* to a person when they share a household (any agency's) or an address
(any agency's record of living there: the invisible man is often only a joint tenant), are
related (``RELATED_TO``), or were involved in the same incident. For each linked adult the panel
shows their roles in incidents, police and probation involvement, the concerns raised about
them and the agencies that hold records of them, so the risky adult in a child's life is
found without opening every member.

>>> is_adult(dt.date(2000, 5, 1), dt.date(2018, 5, 1)), is_adult(dt.date(2000, 5, 2), dt.date(2018, 5, 1))
(True, False)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .chronology import Event, chronology_for
from .explore import agency_names, record_summary
from .knowledge import KnowledgeGap, knowledge_gap
from .store import GraphStore

__all__ = ["Household", "LinkedAdult", "household_view", "linked_adults", "is_adult", "ADULT_AGE",
           "FAMILY_OF_CYPHER", "FAMILY_HOUSEHOLDS_CYPHER", "HOUSEHOLD_MEMBERS_CYPHER", "MEMBER_RECORDS_CYPHER", "RELATED_HOUSEHOLDS_CYPHER",
           "LINKED_BY_HOUSEHOLD_CYPHER", "LINKED_BY_ADDRESS_CYPHER", "LINKED_BY_RELATIONSHIP_CYPHER", "LINKED_BY_INCIDENT_CYPHER",
           "ADULTS_CYPHER", "ADULT_ROLES_CYPHER", "ADULT_AGENCIES_CYPHER", "ADULT_EPISODES_CYPHER"]

ADULT_AGE = 18

# The resolved household (Family) a key names: a Family key itself, or the family of a Household record.
FAMILY_OF_CYPHER = """
OPTIONAL MATCH (f:Family {key: $key})
WITH f
OPTIONAL MATCH (:Household {key: $key})-[:IN_FAMILY]->(g:Family)
RETURN coalesce(f.key, g.key) AS family
"""

# Each agency's household record of one family, with why it belongs (ingest/resolve/households.py).
FAMILY_HOUSEHOLDS_CYPHER = """
MATCH (:Family {key: $family})<-[x:IN_FAMILY]-(h:Household)
OPTIONAL MATCH (h)<-[:MEMBER_OF]-(r:Record)
RETURN h.key AS household, x.method AS method, x.evidence AS evidence, collect(DISTINCT r.agency) AS agencies
ORDER BY household
"""

HOUSEHOLD_MEMBERS_CYPHER = """
UNWIND $households AS hk
MATCH (h:Household {key: hk})<-[m:MEMBER_OF]-(r:Record)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(p:Person)
RETURN r, h.key AS household, m.role AS role, m.from AS since, m.to AS until, p.key AS person,
       p.display_name AS display_name
ORDER BY r.dob, r.key, household
"""

# Every record of the given persons (a household's members hold records in other agencies too).
MEMBER_RECORDS_CYPHER = """
UNWIND $persons AS pk
MATCH (p:Person {key: pk})<-[:RESOLVES_TO]-(r:Record)
RETURN p.key AS person, r
ORDER BY person, r.key
"""

# Households of other families that any member of this one was recorded in.
# Each person is found by key first: in one pattern FalkorDB 4.22 planned a scan (3.3 s for a
# household of 8 at 100,000 people; 1 to 9 ms this way, the same rows).
RELATED_HOUSEHOLDS_CYPHER = """
UNWIND $persons AS pk
MATCH (p:Person {key: pk})
WITH p
MATCH (p)<-[:RESOLVES_TO]-(r:Record)-[m:MEMBER_OF]->(o:Household)
WHERE NOT o.key IN $households
RETURN o.key AS household, collect(DISTINCT r.agency) AS agencies,
       collect(DISTINCT p.key) AS shared, min(m.from) AS since, max(m.to) AS until
ORDER BY size(shared) DESC, household
"""

LINKED_BY_HOUSEHOLD_CYPHER = """
MATCH (p:Person {key: $key})<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(h:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(a:Person)
WHERE a.key <> $key
RETURN DISTINCT a.key AS person, h.key AS via
"""

LINKED_BY_RELATIONSHIP_CYPHER = """
MATCH (p:Person {key: $key})<-[:RESOLVES_TO]-(:Record)-[rel:RELATED_TO]-(:Record)-[:RESOLVES_TO]->(a:Person)
WHERE a.key <> $key
RETURN DISTINCT a.key AS person, rel.type AS via
"""

LINKED_BY_ADDRESS_CYPHER = """
MATCH (p:Person {key: $key})<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT]->(ad:Address)<-[:LIVES_AT]-(:Record)-[:RESOLVES_TO]->(a:Person)
WHERE a.key <> $key
RETURN DISTINCT a.key AS person, coalesce(ad.postcode, ad.key) AS via
"""

LINKED_BY_INCIDENT_CYPHER = """
MATCH (p:Person {key: $key})<-[:RESOLVES_TO]-(:Record)<-[:INVOLVES]-(i:Incident)-[:INVOLVES]->(:Record)-[:RESOLVES_TO]->(a:Person)
WHERE a.key <> $key
RETURN DISTINCT a.key AS person, i.key AS via
"""

ADULTS_CYPHER = """
UNWIND $keys AS k
MATCH (a:Person {key: k})
RETURN a.key AS person, a.display_name AS name, a.dob AS dob,
       coalesce(a.frag_involved, []) AS agencies, coalesce(a.frag_concerns, []) AS concerns
"""

ADULT_ROLES_CYPHER = """
UNWIND $keys AS k
MATCH (a:Person {key: k})<-[:RESOLVES_TO]-(:Record)<-[inv:INVOLVES]-(i:Incident)
RETURN a.key AS person, coalesce(inv.role, 'involved') AS role, count(inv) AS incidents, max(i.date) AS last
"""

ADULT_AGENCIES_CYPHER = """
UNWIND $keys AS k
MATCH (a:Person {key: k})<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(g:Agency)
RETURN a.key AS person, g.key AS agency, g.kind AS kind
"""

ADULT_EPISODES_CYPHER = """
UNWIND $keys AS k
MATCH (a:Person {key: k})<-[:RESOLVES_TO]-(:Record)<-[:FOR]-(e:Episode)<-[:RUNS]-(g:Agency)
RETURN a.key AS person, g.kind AS kind, e.kind AS episode, e.start AS start, e.end AS until
"""

# The agency kinds whose involvement with an adult the panel names (DOMAIN.md: police,
# probation, and the MARAC / MAPPA episodes they run).
JUSTICE_KINDS = ("police", "probation")


@dataclass
class Household:
    """A resolved household (every agency's record of one family) with every member's records,
    one merged chronology and its who-knows-what."""

    key: str
    members: list[dict[str, Any]]
    person_keys: list[str]
    records: list[dict[str, Any]]
    chronology: list[Event]
    gap: KnowledgeGap
    related: list[dict[str, Any]]
    agencies: dict[str, str]
    family: str | None = None                                    # the Family key (None: not resolved yet)
    recorded_as: list[dict[str, Any]] = field(default_factory=list)  # each agency's Household record of it


@dataclass
class LinkedAdult:
    """One adult linked to a person, with what each agency holds about them."""

    key: str
    name: str
    dob: dt.date | None
    links: list[str] = field(default_factory=list)         # e.g. "household csc-la1:H1", "parent_of", "incident police:I9"
    roles: dict[str, int] = field(default_factory=dict)     # incident role -> incidents
    justice: list[str] = field(default_factory=list)        # e.g. "police record", "probation: supervision (open)"
    concerns: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)       # agencies holding records of them
    age_known: bool = True

    @property
    def perpetrator(self) -> int:
        return self.roles.get("perpetrator", 0) + self.roles.get("suspect", 0)


def is_adult(dob: Any, today: dt.date) -> bool:
    """True when someone born on ``dob`` is at least 18 on ``today``."""
    if not isinstance(dob, dt.date):
        return False
    years = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    return years >= ADULT_AGE


def household_view(store: GraphStore, key: str) -> Household | None:
    """The family ``key`` names (a ``Family`` key, or any agency's ``Household`` record of it)
    as one: the members of every agency's record of it, all their records, merged chronology,
    who knows what about them together, and the other households they were recorded in; None
    when there is none. A household not resolved yet is shown on its own."""
    family = store.read(FAMILY_OF_CYPHER, {"key": key}).value()
    recorded = (store.read(FAMILY_HOUSEHOLDS_CYPHER, {"family": family}).records() if family else [])
    households = [r["household"] for r in recorded] or [key]
    rows = store.read(HOUSEHOLD_MEMBERS_CYPHER, {"households": households}).records()
    if not rows:
        return None
    members = []
    for r in rows:
        rec = record_summary(r["r"].props)
        rec.update(role=r["role"], since=r["since"], until=r["until"], person=r["person"],
                   display_name=r["display_name"] or rec["name"], household=r["household"])
        members.append(rec)
    persons = sorted({m["person"] for m in members if m["person"]})
    records = _member_records(store, persons, members)
    chronology = chronology_for(store, sorted({r["key"] for r in records}))
    related = store.read(RELATED_HOUSEHOLDS_CYPHER, {"persons": persons, "households": households}).records()
    gap = knowledge_gap(store, "household", family) if family else KnowledgeGap([], [], {}, {}, None)
    return Household(key, members, persons, records, chronology, gap, related, agency_names(store),
                     family, [_recorded_as(r) for r in recorded])


def _recorded_as(row: dict[str, Any]) -> dict[str, Any]:
    """One agency's household record of a family, with the evidence that joined it."""
    evidence = json.loads(row["evidence"]) if row["evidence"] else {}
    return {"household": row["household"], "agencies": row["agencies"], "method": row["method"],
            "evidence": evidence}


def _member_records(store: GraphStore, persons: list[str], members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every record of every resolved member, and the unresolved member records themselves."""
    out = []
    for row in store.read(MEMBER_RECORDS_CYPHER, {"persons": persons}):
        out.append({**record_summary(row["r"].props), "person": row["person"]})
    out.extend({**m, "person": None} for m in members if not m["person"])
    return out


def linked_adults(store: GraphStore, key: str, today: dt.date | None = None) -> list[LinkedAdult]:
    """The adults linked to person ``key`` (people with no date of birth too, marked so),
    the likeliest risks first: perpetrator roles, then concerns, then name."""
    today = today or dt.date.today()
    links: dict[str, list[str]] = {}
    for cypher, label in ((LINKED_BY_HOUSEHOLD_CYPHER, "household {}"),
                          (LINKED_BY_ADDRESS_CYPHER, "same address ({})"),
                          (LINKED_BY_RELATIONSHIP_CYPHER, "{}"),
                          (LINKED_BY_INCIDENT_CYPHER, "incident {}")):
        for row in store.read(cypher, {"key": key}):
            text = label.format(str(row["via"] or "related").replace("_", " "))
            links.setdefault(row["person"], []).append(text)
    if not links:
        return []
    adults = {}
    for row in store.read(ADULTS_CYPHER, {"keys": sorted(links)}):
        known = isinstance(row["dob"], dt.date)
        if known and not is_adult(row["dob"], today):
            continue
        adults[row["person"]] = LinkedAdult(row["person"], row["name"] or row["person"], row["dob"],
                                            sorted(set(links[row["person"]])), concerns=list(row["concerns"]),
                                            agencies=list(row["agencies"]), age_known=known)
    _add_involvement(store, adults)
    return sorted(adults.values(), key=lambda a: (-a.perpetrator, -len(a.concerns), a.name.lower(), a.key))


def _add_involvement(store: GraphStore, adults: dict[str, LinkedAdult]) -> None:
    keys = {"keys": sorted(adults)}
    for row in store.read(ADULT_ROLES_CYPHER, keys):
        adults[row["person"]].roles[row["role"]] = int(row["incidents"])
    for row in store.read(ADULT_AGENCIES_CYPHER, keys):
        if row["kind"] in JUSTICE_KINDS:
            adults[row["person"]].justice.append(f"{row['kind']} record ({row['agency']})")
    for row in store.read(ADULT_EPISODES_CYPHER, keys):
        if row["kind"] in JUSTICE_KINDS or str(row["episode"] or "").lower() in ("marac", "mappa"):
            state = "open" if row["until"] is None else f"ended {row['until'].isoformat()}"
            adults[row["person"]].justice.append(f"{row['kind']}: {row['episode']} ({state})")
    for adult in adults.values():
        adult.justice = sorted(set(adult.justice))
