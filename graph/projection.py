"""A networkx projection of the store: persons and the links between them.

The linked-risk score, the communities and the brokers (docs/analytics.md) run on
this graph, not on the store. Nodes are ``Person`` keys; an edge joins two persons
who share a household (``MEMBER_OF``), an address (``LIVES_AT``), an incident (both
``INVOLVES``-ed) or are related (``RELATED_TO`` between their records). Each edge
keeps its kinds (``kinds``, a sorted tuple), what joins them (``via``: hub keys,
at most a few) and a weight, the sum of the kind weights given.

A household, address or incident with more than ``hub_cap`` persons (a hostel,
a mass incident) links no one: it would join hundreds of strangers. The
projection counts what it skipped.

Everything is read in batches of ``batch_size`` person keys, one statement per
batch and link family (``*_CYPHER`` below), so memory holds the projection and one
batch, never a whole result of the store.

>>> proj = Projection.from_links({"a": PersonInfo("a"), "b": PersonInfo("b"), "c": PersonInfo("c")},
...                              [("household", "h1", "a"), ("household", "h1", "b")],
...                              [("b", "c", "parent_of")])
>>> sorted(proj.graph.edges(data="kinds"))
[('a', 'b', ('household',)), ('b', 'c', ('relative',))]
>>> proj.graph["a"]["b"]["weight"]
1.0
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable

import networkx as nx

from .store import key_batches

__all__ = ["PersonInfo", "Projection", "project", "project_neighbourhood", "LINK_KINDS",
           "DEFAULT_KIND_WEIGHTS", "PERSON_KEYS_CYPHER", "PERSON_INFO_CYPHER", "CONCERN_EVENTS_CYPHER",
           "MEMBERSHIPS_CYPHER", "RELATIVES_CYPHER", "HUB_MEMBERS_CYPHER", "link_path"]

LINK_KINDS = ("household", "relative", "incident", "address")
DEFAULT_KIND_WEIGHTS = {"household": 1.0, "relative": 0.8, "incident": 0.6, "address": 1.0}
BATCH_SIZE = 2000
HUB_CAP = 40
_VIA_KEEP = 3

PERSON_KEYS_CYPHER = "MATCH (p:Person) RETURN p.key AS key ORDER BY key"

PERSON_INFO_CYPHER = """
UNWIND $keys AS k
MATCH (p:Person {key: k})
RETURN p.key AS key, p.display_name AS name, p.dob AS dob,
       [(p)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency) | a.key + '|' + coalesce(a.kind, '')] AS agencies,
       [(p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(f:Referral) | f.key] AS referrals
"""

# Every concern raised about a person: by a referral, incident or episode about one of their records.
CONCERN_EVENTS_CYPHER = """
UNWIND $keys AS k
MATCH (p:Person {key: k})<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(a:Agency)
RETURN DISTINCT p.key AS person, x.key AS event, c.key AS concern, coalesce(x.date, x.start) AS date,
       a.key AS agency
"""

# The hubs of each person: households, addresses and incidents, with the incident's date.
MEMBERSHIPS_CYPHER = """
UNWIND $keys AS k
MATCH (p:Person {key: k})<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(h:Household)
RETURN DISTINCT p.key AS person, 'household' AS kind, h.key AS hub, null AS date
UNION ALL
UNWIND $keys AS k
MATCH (p:Person {key: k})<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT]->(h:Address)
RETURN DISTINCT p.key AS person, 'address' AS kind, h.key AS hub, null AS date
UNION ALL
UNWIND $keys AS k
MATCH (p:Person {key: k})<-[:RESOLVES_TO]-(:Record)<-[:INVOLVES]-(h:Incident)
RETURN DISTINCT p.key AS person, 'incident' AS kind, h.key AS hub, h.date AS date
"""

# The persons of some hubs ($households, $addresses, $incidents: keys), for a neighbourhood.
HUB_MEMBERS_CYPHER = """
UNWIND $households AS k
MATCH (h:Household {key: k})<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
RETURN DISTINCT p.key AS person, 'household' AS kind, h.key AS hub, null AS date
UNION ALL
UNWIND $addresses AS k
MATCH (h:Address {key: k})<-[:LIVES_AT]-(:Record)-[:RESOLVES_TO]->(p:Person)
RETURN DISTINCT p.key AS person, 'address' AS kind, h.key AS hub, null AS date
UNION ALL
UNWIND $incidents AS k
MATCH (h:Incident {key: k})-[:INVOLVES]->(:Record)-[:RESOLVES_TO]->(p:Person)
RETURN DISTINCT p.key AS person, 'incident' AS kind, h.key AS hub, h.date AS date
"""

RELATIVES_CYPHER = """
UNWIND $keys AS k
MATCH (p:Person {key: k})<-[:RESOLVES_TO]-(:Record)-[rel:RELATED_TO]-(:Record)-[:RESOLVES_TO]->(o:Person)
WHERE o.key <> p.key
RETURN DISTINCT p.key AS person, o.key AS other, rel.type AS type
"""


@dataclass
class PersonInfo:
    """What the analytics need about one person."""

    key: str
    name: str = ""
    dob: dt.date | None = None
    agencies: dict[str, str] = field(default_factory=dict)      # agency key -> kind
    referrals: int = 0
    concerns: list[tuple[str, dt.date | None, str, str | None]] = field(default_factory=list)
    # (concern code, event date, event key, raising agency)

    def age_on(self, day: dt.date) -> int | None:
        """Whole years of age on ``day`` (None without a date of birth)."""
        if not isinstance(self.dob, dt.date):
            return None
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


@dataclass
class Projection:
    """The person graph and what is known of each person."""

    graph: nx.Graph
    persons: dict[str, PersonInfo]
    hub_dates: dict[str, dt.date] = field(default_factory=dict)   # incident key -> date
    skipped_hubs: int = 0
    # Kept by project_neighbourhood only (the network view draws hubs): (kind, hub, person), (person, other, type).
    memberships: list[tuple[str, str, str]] = field(default_factory=list)
    relatives: list[tuple[str, str, str]] = field(default_factory=list)

    @classmethod
    def from_links(cls, persons: dict[str, PersonInfo], memberships: Iterable[tuple[str, str, str]],
                   relatives: Iterable[tuple[str, str, str]], *, hub_cap: int = HUB_CAP,
                   kind_weights: dict[str, float] | None = None) -> "Projection":
        """Build from ``(kind, hub, person)`` memberships and ``(person, other, type)`` relatives;
        persons outside ``persons`` are left out."""
        weights = {**DEFAULT_KIND_WEIGHTS, **(kind_weights or {})}
        g = nx.Graph()
        g.add_nodes_from(persons)
        hubs: dict[tuple[str, str], set[str]] = defaultdict(set)
        for kind, hub, person in memberships:
            if person in persons:
                hubs[(kind, hub)].add(person)
        skipped = 0
        for (kind, hub), members in hubs.items():
            if len(members) > hub_cap:
                skipped += 1
                continue
            for a, b in combinations(sorted(members), 2):
                _link(g, a, b, kind, hub, weights)
        for a, b, rel_type in relatives:
            if a in persons and b in persons and a != b:
                _link(g, *sorted((a, b)), "relative", rel_type or "related", weights)
        return cls(g, persons, skipped_hubs=skipped)


def _link(g: nx.Graph, a: str, b: str, kind: str, via: str, weights: dict[str, float]) -> None:
    data = g.get_edge_data(a, b)
    if data is None:
        g.add_edge(a, b, kinds=(kind,), via=(via,), weight=weights[kind])
        return
    if kind not in data["kinds"]:
        data["kinds"] = tuple(sorted((*data["kinds"], kind)))
        data["weight"] += weights[kind]
    if via not in data["via"] and len(data["via"]) < _VIA_KEEP:
        data["via"] = (*data["via"], via)



def _read_persons(store: Any, keys: list[str], batch_size: int) -> dict[str, PersonInfo]:
    persons: dict[str, PersonInfo] = {}
    for batch in key_batches(keys, batch_size):
        for r in store.read(PERSON_INFO_CYPHER, {"keys": batch}, timeout=600):
            agencies = dict(a.split("|", 1) for a in (r["agencies"] or []))
            persons[r["key"]] = PersonInfo(r["key"], r["name"] or r["key"], r["dob"], agencies,
                                           len(set(r["referrals"] or [])))
        for r in store.read(CONCERN_EVENTS_CYPHER, {"keys": batch}, timeout=600):
            persons[r["person"]].concerns.append((r["concern"], r["date"], r["event"], r["agency"]))
    for info in persons.values():
        info.concerns.sort(key=lambda c: (str(c[1]), c[0], c[2]))
    return persons


def project(store: Any, *, batch_size: int = BATCH_SIZE, hub_cap: int = HUB_CAP,
            kind_weights: dict[str, float] | None = None) -> Projection:
    """The projection of every person of the store, read in batches of ``batch_size`` persons."""
    keys = store.read(PERSON_KEYS_CYPHER, timeout=600).column("key")
    persons = _read_persons(store, keys, batch_size)
    memberships: list[tuple[str, str, str]] = []
    relatives: list[tuple[str, str, str]] = []
    dates: dict[str, dt.date] = {}
    for batch in key_batches(keys, batch_size):
        for person, kind, hub, date in store.read(MEMBERSHIPS_CYPHER, {"keys": batch}, timeout=600).rows:
            memberships.append((kind, hub, person))
            if date is not None:
                dates[hub] = date
        relatives.extend(tuple(row) for row in store.read(RELATIVES_CYPHER, {"keys": batch}, timeout=600).rows)
    proj = Projection.from_links(persons, memberships, relatives, hub_cap=hub_cap, kind_weights=kind_weights)
    proj.hub_dates = dates
    return proj


def project_neighbourhood(store: Any, key: str | list[str], hops: int = 2, *, limit: int = 1000,
                          hub_cap: int = HUB_CAP, kind_weights: dict[str, float] | None = None) -> Projection:
    """The persons within ``hops`` links of person ``key`` (or of any of a list of keys; at most
    ``limit``, nearest first) and the links between them. Unknown keys give no persons."""
    start = [key] if isinstance(key, str) else list(dict.fromkeys(key))[:limit]
    seen: dict[str, int] = {k: 0 for k in start}
    memberships: set[tuple[str, str, str]] = set()
    relatives: set[tuple[str, str, str]] = set()
    dates: dict[str, dt.date] = {}
    frontier = list(start)
    for hop in range(1, hops + 1):
        found = _expand(store, frontier, memberships, relatives, dates, hub_cap)
        frontier = [p for p in sorted(found) if p not in seen][:max(0, limit - len(seen))]
        seen.update({p: hop for p in frontier})
        if not frontier:
            break
    if hops == 0 and len(start) > 1:  # the links among the given persons only
        _expand(store, start, memberships, relatives, dates, hub_cap)
    persons = _read_persons(store, list(seen), BATCH_SIZE)
    proj = Projection.from_links(persons, memberships, relatives, hub_cap=hub_cap, kind_weights=kind_weights)
    proj.hub_dates = dates
    proj.memberships = sorted(m for m in memberships if m[2] in persons)
    proj.relatives = sorted(r for r in relatives if r[0] in persons and r[1] in persons)
    return proj


PATH_MAX_LINKS = 6     # longest chain of links link_path looks for
PATH_LIMIT = 5000      # most persons it reads on each side


def link_path(store: Any, a: str, b: str, *, max_links: int = PATH_MAX_LINKS, limit: int = PATH_LIMIT,
              hub_cap: int = HUB_CAP) -> list[str] | None:
    """The persons on a shortest chain of links (a shared household, address or incident, or a
    recorded relationship: the links of the projection) from person ``a`` to person ``b``, both
    included. The neighbourhoods of both ends grow a hop at a time, the smaller first, until they
    meet. None when they do not meet within ``max_links`` links, or a side runs out of people or
    passes ``limit`` persons."""
    if a == b:
        return [a]
    sides: list[set[str]] = [{a}, {b}]
    frontiers = [[a], [b]]
    memberships: set[tuple[str, str, str]] = set()
    relatives: set[tuple[str, str, str]] = set()
    for _ in range(max_links):
        i = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        found = _expand(store, frontiers[i], memberships, relatives, {}, hub_cap)
        frontiers[i] = [p for p in sorted(found) if p not in sides[i]]
        sides[i].update(frontiers[i])
        if sides[0] & sides[1]:
            return _shortest(memberships, relatives, a, b, hub_cap)
        if not frontiers[i] or len(sides[i]) > limit:
            return None
    return None


def _shortest(memberships: set[tuple[str, str, str]], relatives: set[tuple[str, str, str]],
              a: str, b: str, hub_cap: int) -> list[str] | None:
    """The persons of a shortest path in the graph of persons and what joins them: the hubs they
    share (those of more than ``hub_cap`` members left out, as in the projection) and their
    relationships; so the path has as few person-to-person links as the projection allows."""
    members: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, hub, person in memberships:
        members[(kind, hub)].add(person)
    g = nx.Graph()
    for (kind, hub), people in members.items():
        if 2 <= len(people) <= hub_cap:
            g.add_edges_from((("person", p), (kind, hub)) for p in people)
    for p, q, _rel in relatives:  # a relationship counts one link, as a shared hub does
        if p != q:
            g.add_edges_from([(("person", p), ("relative", f"{min(p, q)}|{max(p, q)}")),
                              (("person", q), ("relative", f"{min(p, q)}|{max(p, q)}"))])
    try:
        path = nx.shortest_path(g, ("person", a), ("person", b))
    except (nx.NodeNotFound, nx.NetworkXNoPath):
        return None
    return [key for kind, key in path if kind == "person"]


def _expand(store: Any, frontier: list[str], memberships: set[tuple[str, str, str]],
            relatives: set[tuple[str, str, str]], dates: dict[str, dt.date], hub_cap: int) -> set[str]:
    """Read the hubs and relatives of ``frontier``, then the persons of those hubs; the persons found."""
    found: set[str] = set()
    hubs: dict[str, set[str]] = {"household": set(), "address": set(), "incident": set()}
    for batch in key_batches(frontier, BATCH_SIZE):
        for person, kind, hub, date in store.read(MEMBERSHIPS_CYPHER, {"keys": batch}).rows:
            if (kind, hub, person) not in memberships:
                hubs[kind].add(hub)
            memberships.add((kind, hub, person))
        for person, other, rel_type in store.read(RELATIVES_CYPHER, {"keys": batch}).rows:
            relatives.add((person, other, rel_type))
            found.add(other)
    members: dict[str, set[str]] = defaultdict(set)
    rows = store.read(HUB_MEMBERS_CYPHER, {"households": sorted(hubs["household"]),
                                           "addresses": sorted(hubs["address"]),
                                           "incidents": sorted(hubs["incident"])}).rows
    for person, kind, hub, date in rows:
        members[hub].add(person)
        memberships.add((kind, hub, person))
        if date is not None:
            dates[hub] = date
    for people in members.values():
        if len(people) <= hub_cap:
            found |= people
    return found
