"""Resolved households: the household records of every agency that describe one family.

Children's social care records a household; housing records a tenancy of the same family at
the same address. Each agency's record stays a ``Household`` node; ``resolve_households``
links those that describe the same family to one ``Family`` node (the resolved household),
``(Household)-[:IN_FAMILY {method, evidence, run}]->(Family)``, as ``RESOLVES_TO`` puts a
``Person`` over agency records. It runs after the persons are resolved, because it compares
households by the resolved persons they contain. Two household records are linked when
(docs/resolution.md, "Households"):

- ``members``: they share at least two persons, and at least half the members of the smaller one;
- ``same members``: they hold exactly the same persons (a family of one that moved);
- ``member and address``: they share a person who lived at the same address in both, at
  overlapping dates;
- ``moved``: at least half the members of the smaller one are in the other, and one ends
  within a month of the day the other begins (a family's tenancy at its old address, then
  at its new one; after a move to another authority a member may not be resolved yet).

Links are transitive (one family may have a social care household and two tenancies, one
per address it lived at). Family keys are kept where a family survives, by the rule persons
follow (``cluster.assign_person_keys``); a new family's key is ``F`` + 12 hex digits.

>>> a = HouseholdRecord("csc:H1", "csc", {"mum": (None, None), "kid": (None, None)})
>>> b = HouseholdRecord("housing:T1", "housing", {"mum": (None, None), "kid": (None, None), "dad": (None, None)})
>>> family_link(a, b).method
'members'
>>> family_link(a, HouseholdRecord("housing:T2", "housing", {"mum": (None, None), "gran": (None, None)})) is None
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from ...graph.store import GraphStore
from .cluster import ConstrainedClusters, assign_person_keys

__all__ = ["HouseholdRecord", "FamilyLink", "FamiliesReport", "family_link", "resolve_households",
           "new_family_key", "households_in_scope", "READ_MEMBERS_CYPHER", "READ_PLACES_CYPHER",
           "READ_FAMILY_LINKS_CYPHER", "WRITE_FAMILIES_CYPHER",
           "DELETE_MOVED_FAMILY_LINKS_CYPHER", "WRITE_FAMILY_LINKS_CYPHER", "DELETE_ORPHAN_FAMILIES_CYPHER"]

ALL_HOUSEHOLDS_CYPHER = "MATCH (h:Household) RETURN h.key AS key"

# Household records no run has placed in a family yet (loaded since the last resolution).
UNPLACED_HOUSEHOLDS_CYPHER = """
MATCH (h:Household)
WHERE NOT (h)-[:IN_FAMILY]->(:Family)
RETURN h.key AS key
"""

HOUSEHOLDS_OF_RECORDS_CYPHER = """
UNWIND $records AS k
MATCH (:Record {key: k})-[:MEMBER_OF]->(h:Household)
RETURN DISTINCT h.key AS key
"""

# The household records that share a resolved person with the given ones, and those
# that are in one family with them: everything a change to the given ones can relink.
NEIGHBOUR_HOUSEHOLDS_CYPHER = """
UNWIND $households AS k
MATCH (:Household {key: k})<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
WITH DISTINCT p
MATCH (p)<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(h:Household)
RETURN DISTINCT h.key AS key
"""

FAMILY_MATES_CYPHER = """
UNWIND $households AS k
MATCH (:Household {key: k})-[:IN_FAMILY]->(:Family)<-[:IN_FAMILY]-(h:Household)
RETURN DISTINCT h.key AS key
"""

# One row per household member record: its person (if resolved) and membership dates.
READ_MEMBERS_CYPHER = """
UNWIND $households AS k
MATCH (h:Household {key: k})<-[m:MEMBER_OF]-(r:Record)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(p:Person)
RETURN h.key AS household, r.agency AS agency, r.key AS record, p.key AS person,
       p.display_name AS name, m.from AS since, m.to AS until
"""

READ_PLACES_CYPHER = """
UNWIND $households AS k
MATCH (:Household {key: k})<-[:MEMBER_OF]-(r:Record)
WITH DISTINCT r
MATCH (r)-[l:LIVES_AT]->(a:Address)
RETURN r.key AS record, a.key AS address, coalesce(a.text, a.postcode, a.key) AS text,
       l.from AS since, l.to AS until
"""

READ_FAMILY_LINKS_CYPHER = """
UNWIND $households AS k
MATCH (h:Household {key: k})-[x:IN_FAMILY]->(f:Family)
RETURN h.key AS household, f.key AS family, x.method AS method, x.evidence AS evidence
"""

READ_FAMILIES_CYPHER = """
UNWIND $families AS k
MATCH (f:Family {key: k})
RETURN f.key AS key, f.households AS households, f.members AS members, f.agencies AS agencies
"""

WRITE_FAMILIES_CYPHER = """
UNWIND $rows AS row
MERGE (f:Family {key: row.key})
SET f.households = row.households, f.members = row.members, f.agencies = row.agencies, f.run = row.run
"""

DELETE_MOVED_FAMILY_LINKS_CYPHER = """
UNWIND $rows AS row
MATCH (h:Household {key: row.household})-[x:IN_FAMILY]->(f:Family)
WHERE f.key <> row.family
DELETE x
"""

WRITE_FAMILY_LINKS_CYPHER = """
UNWIND $rows AS row
MATCH (h:Household {key: row.household})
MATCH (f:Family {key: row.family})
MERGE (h)-[x:IN_FAMILY]->(f)
SET x.method = row.method, x.evidence = row.evidence, x.run = row.run
"""

DELETE_ORPHAN_FAMILIES_CYPHER = """
UNWIND $families AS k
MATCH (f:Family {key: k})
WHERE NOT (f)<-[:IN_FAMILY]-(:Household)
DETACH DELETE f
"""

Period = tuple[dt.date | None, dt.date | None]


@dataclass
class HouseholdRecord:
    """One agency's household: its resolved members (person -> membership period) and the
    addresses they lived at while members (address key -> periods)."""

    key: str
    agency: str
    members: dict[str, Period]
    places: dict[str, list[Period]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)        # person -> shown name
    texts: dict[str, str] = field(default_factory=dict)        # address key -> text


@dataclass(frozen=True)
class FamilyLink:
    """Why two household records describe one family."""

    a: str
    b: str
    method: str                    # members | same members | member and address
    shared: tuple[str, ...]        # persons in both
    address: str | None = None     # an address key both lived at, at overlapping dates
    strength: int = 0              # orders links, strongest first

    def evidence(self, this: HouseholdRecord, other: HouseholdRecord) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "with": other.key, "agency": other.agency,
                               "shared": [this.names.get(p) or p for p in self.shared],
                               "shared_keys": list(self.shared),
                               "of": [len(this.members), len(other.members)]}
        if self.address:
            out["address"] = this.texts.get(self.address) or self.address
        return out


@dataclass
class FamiliesReport:
    households: int = 0
    families: int = 0
    multi_household_families: int = 0
    links: int = 0
    changed_links: int = 0


def new_family_key(seed_household: str, salt: int = 0) -> str:
    """A family key derived from a household key: ``F`` + 12 hex digits of its SHA-256.

    >>> new_family_key("csc-la1:H0000001")
    'F550b1948bdbc'
    """
    text = seed_household if salt == 0 else f"{seed_household}#{salt}"
    return "F" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _overlap(x: Period, y: Period) -> bool:
    """Whether two periods (open ends = None) share a day."""
    return ((x[0] is None or y[1] is None or x[0] <= y[1])
            and (y[0] is None or x[1] is None or y[0] <= x[1]))


def _shared_place(a: HouseholdRecord, b: HouseholdRecord) -> str | None:
    for place in sorted(set(a.places) & set(b.places)):
        if any(_overlap(x, y) for x in a.places[place] for y in b.places[place]):
            return place
    return None


def family_link(a: HouseholdRecord, b: HouseholdRecord) -> FamilyLink | None:
    """The link between two household records, or None when they are not one family."""
    shared = tuple(sorted(set(a.members) & set(b.members)))
    if not shared:
        return None
    smaller = min(len(a.members), len(b.members))
    place = _shared_place(a, b)
    strength = 2 * len(shared) + (1 if place else 0)
    if len(shared) >= 2 and 2 * len(shared) >= smaller:
        return FamilyLink(a.key, b.key, "members", shared, place, strength)
    if len(shared) == len(a.members) == len(b.members):
        return FamilyLink(a.key, b.key, "same members", shared, place, strength)
    if place is not None:
        return FamilyLink(a.key, b.key, "member and address", shared, place, strength)
    if 2 * len(shared) >= smaller and _adjoin(_period(a), _period(b)):
        return FamilyLink(a.key, b.key, "moved", shared, None, strength)
    return None


MOVE_GAP = dt.timedelta(days=31)


def _period(hh: HouseholdRecord) -> Period:
    """From the first member joining to the last leaving (None: open or unknown)."""
    starts = [s for s, _e in hh.members.values()]
    ends = [e for _s, e in hh.members.values()]
    return (None if None in starts else min(starts)), (None if None in ends else max(ends))


def _adjoin(x: Period, y: Period) -> bool:
    """Whether one period ends within ``MOVE_GAP`` of the other's start."""
    return any(end is not None and start is not None and abs(start - end) <= MOVE_GAP
               for end, start in ((x[1], y[0]), (y[1], x[0])))


def read_households(store: GraphStore, keys: list[str]) -> dict[str, HouseholdRecord]:
    """Household records ``keys`` with their resolved members and the address each was
    recorded at when joining."""
    out: dict[str, HouseholdRecord] = {}
    timeout = store.settings.max_query_timeout_ms / 1000
    places: dict[str, list[list[Any]]] = {}
    for row in store.read(READ_PLACES_CYPHER, {"households": keys}, timeout=timeout).rows:
        places.setdefault(row[0], []).append(row[1:])
    for row in store.read(READ_MEMBERS_CYPHER, {"households": keys}, timeout=timeout).records():
        hh = out.setdefault(row["household"], HouseholdRecord(row["household"], row["agency"] or "", {}))
        person = row["person"]
        if person is None:
            continue
        period = (row["since"], row["until"])
        hh.members[person] = _union(hh.members.get(person), period)
        hh.names.setdefault(person, row["name"] or person)
        for key, text, since, until in _joining_places(places.get(row["record"], []), period):
            hh.places.setdefault(key, []).append((since, until))
            hh.texts.setdefault(key, text)
    return out


def households_in_scope(store: GraphStore, records: list[str] | None) -> list[str]:
    """Every household record (``records`` None), or those a change to ``records`` can relink:
    their households and the ones not placed yet, every household sharing a person with
    those, and every household in one family with any of them."""
    timeout = store.settings.max_query_timeout_ms / 1000
    if records is None:
        return sorted(store.read(ALL_HOUSEHOLDS_CYPHER, timeout=timeout).column("key"))
    seeds = set(store.read(HOUSEHOLDS_OF_RECORDS_CYPHER, {"records": records}, timeout=timeout).column("key"))
    seeds |= set(store.read(UNPLACED_HOUSEHOLDS_CYPHER, timeout=timeout).column("key"))
    near = seeds | set(store.read(NEIGHBOUR_HOUSEHOLDS_CYPHER, {"households": sorted(seeds)},
                                  timeout=timeout).column("key"))
    mates = store.read(FAMILY_MATES_CYPHER, {"households": sorted(near)}, timeout=timeout).column("key")
    return sorted(near | set(mates))


def _joining_places(places: list[list[Any]], period: Period) -> list[list[Any]]:
    """The address a member was recorded at on joining a household: the ``LIVES_AT`` starting
    that day (one extract row writes both), else the latest one started by then, else all."""
    places = [p for p in places if p[0] is not None]
    start = period[0]
    if start is None:
        return places
    same_day = [p for p in places if p[2] == start]
    if same_day:
        return same_day
    before = [p for p in places if p[2] is not None and p[2] <= start]
    if before:
        latest = max(p[2] for p in before)
        return [p for p in before if p[2] == latest]
    return places


def _union(x: Period | None, y: Period) -> Period:
    if x is None:
        return y
    start = None if x[0] is None or y[0] is None else min(x[0], y[0])
    end = None if x[1] is None or y[1] is None else max(x[1], y[1])
    return start, end


def family_links(households: dict[str, HouseholdRecord]) -> list[FamilyLink]:
    """Every link between household records that share a person, strongest first."""
    by_person: dict[str, list[str]] = {}
    for key, hh in households.items():
        for person in hh.members:
            by_person.setdefault(person, []).append(key)
    pairs = {tuple(sorted(p)) for keys in by_person.values() if len(keys) > 1
             for p in combinations(sorted(set(keys)), 2)}
    links = [link for a, b in sorted(pairs)
             if (link := family_link(households[a], households[b])) is not None]
    return sorted(links, key=lambda x: (-x.strength, x.a, x.b))


def cluster_families(households: dict[str, HouseholdRecord], links: list[FamilyLink],
                     previous: dict[str, str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """(household -> family key, household -> evidence of its strongest link)."""
    clusters = ConstrainedClusters(sorted(households))
    evidence: dict[str, dict[str, Any]] = {}
    for link in links:
        clusters.link(link.a, link.b)
        a, b = households[link.a], households[link.b]
        evidence.setdefault(link.a, link.evidence(a, b))
        evidence.setdefault(link.b, link.evidence(b, a))
    groups = sorted(sorted(g) for g in clusters.clusters())
    return assign_person_keys(groups, previous, new_family_key), evidence


def resolve_households(store: GraphStore, run: str, records: list[str] | None = None) -> FamiliesReport:
    """Link the household records of one family to one ``Family`` node and write what changed.

    ``records``: the records whose person changed (an incremental run); only the households
    they can relink are read and compared (``households_in_scope``). None: every household.
    Idempotent: a second run on the same graph writes nothing. Households without any
    resolved member are a family of their own.
    """
    keys = households_in_scope(store, records)
    households = read_households(store, keys)
    links = family_links(households)
    before = {r["household"]: r for r in store.read(READ_FAMILY_LINKS_CYPHER, {"households": keys}).records()}
    assignment, evidence = cluster_families(households, links, {h: r["family"] for h, r in before.items()})
    rows = [_link_row(h, assignment[h], evidence.get(h), run) for h in sorted(assignment)]
    changed = [r for r in rows if _changed(r, before.get(r["household"]))]
    families = _family_rows(households, assignment, run)
    old_keys = sorted({r["family"] for r in before.values()} | {f["key"] for f in families})
    old = {r["key"]: r for r in store.read(READ_FAMILIES_CYPHER, {"families": old_keys}).records()}
    store.write_batches(WRITE_FAMILIES_CYPHER, [f for f in families if _family_changed(f, old.get(f["key"]))])
    if changed:
        store.write_batches(DELETE_MOVED_FAMILY_LINKS_CYPHER, changed)
        store.write_batches(WRITE_FAMILY_LINKS_CYPHER, changed)
    store.write(DELETE_ORPHAN_FAMILIES_CYPHER, {"families": old_keys})
    return FamiliesReport(households=len(households), families=len(families),
                          multi_household_families=sum(1 for f in families if f["households"] > 1),
                          links=len(links), changed_links=len(changed))


def _link_row(household: str, family: str, evidence: dict[str, Any] | None, run: str) -> dict[str, Any]:
    e = evidence or {"method": "alone"}
    return {"household": household, "family": family, "method": e["method"],
            "evidence": json.dumps(e, sort_keys=True), "run": run}


def _changed(row: dict[str, Any], old: dict[str, Any] | None) -> bool:
    return old is None or any(old[k] != row[k] for k in ("family", "method", "evidence"))


def _family_rows(households: dict[str, HouseholdRecord], assignment: dict[str, str],
                 run: str) -> list[dict[str, Any]]:
    grouped: dict[str, list[HouseholdRecord]] = {}
    for h, family in assignment.items():
        grouped.setdefault(family, []).append(households[h])
    return [{"key": family, "households": len(hhs),
             "members": len({p for hh in hhs for p in hh.members}),
             "agencies": sorted({hh.agency for hh in hhs}), "run": run}
            for family, hhs in sorted(grouped.items())]


def _family_changed(row: dict[str, Any], old: dict[str, Any] | None) -> bool:
    return old is None or any(old[k] != row[k] for k in ("households", "members", "agencies"))
