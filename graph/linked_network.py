"""What the linked-risk network view shows, as graph values: persons with their stored
linked-risk results, and the households, addresses and incidents that join them.

:func:`linked_network` reads a neighbourhood (:func:`~mashgraph.graph.projection.project_neighbourhood`)
around one person or a set of persons, then the stored scores (``RISK_CYPHER``) and the
hubs' details (``HUB_DETAILS_CYPHER``). Only hubs that join two or more of the persons
shown are kept. ``web/linked.py`` turns the value into vis-network data and pages.

>>> net = LinkedNetwork(["a"], {}, [], [], [], False)
>>> net.person_keys
[]
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .projection import PersonInfo, Projection, project_neighbourhood

__all__ = ["LinkedPerson", "Hub", "LinkedNetwork", "linked_network", "community_members", "to_networkx",
           "RISK_CYPHER", "HUB_DETAILS_CYPHER", "COMMUNITY_MEMBERS_CYPHER"]

COMMUNITY_MEMBERS_CYPHER = "MATCH (p:Person) WHERE p.community = $key RETURN p.key AS key ORDER BY key"

RISK_CYPHER = """
UNWIND $keys AS k
MATCH (p:Person {key: k})
RETURN p.key AS key, p.risk_score AS score, p.risk_rank AS rank, p.risk_age AS age, p.community AS community,
       p.community_exploitation AS exploitation, p.broker_children AS broker_children,
       p.risk_reasons AS reasons, p.risk_paths AS paths, p.risk_run AS run
"""

HUB_DETAILS_CYPHER = """
UNWIND $addresses AS k
MATCH (h:Address {key: k})
RETURN 'address' AS kind, h.key AS key, coalesce(h.postcode, h.text, h.key) AS label, h.text AS title, null AS date
UNION ALL
UNWIND $incidents AS k
MATCH (h:Incident {key: k})
RETURN 'incident' AS kind, h.key AS key, coalesce(h.type, 'incident') AS label, h.key AS title, h.date AS date
"""


@dataclass
class LinkedPerson:
    info: PersonInfo
    score: float | None = None
    rank: int | None = None
    age: int | None = None
    community: str | None = None
    exploitation: int | None = None
    broker_children: int | None = None
    reasons: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    run: str | None = None


@dataclass
class Hub:
    kind: str                      # household | address | incident
    key: str
    label: str
    title: str
    date: dt.date | None
    members: list[str]


@dataclass
class LinkedNetwork:
    center: list[str]
    persons: dict[str, LinkedPerson]
    hubs: list[Hub]
    relatives: list[tuple[str, str, str]]
    links: list[tuple[str, str, tuple[str, ...]]]      # person-person links of the projection, with kinds
    truncated: bool

    @property
    def person_keys(self) -> list[str]:
        return sorted(self.persons)


def linked_network(store: Any, keys: str | list[str], hops: int = 2, limit: int = 1000) -> LinkedNetwork:
    """The persons within ``hops`` links of ``keys`` (at most ``limit``), their stored scores and the hubs
    joining them. ``truncated`` when the limit cut the neighbourhood."""
    proj = project_neighbourhood(store, keys, hops, limit=limit + 1)
    truncated = len(proj.persons) > limit
    center = [keys] if isinstance(keys, str) else list(keys)
    if truncated:
        keep = set(center) | set(sorted(set(proj.persons) - set(center))[:max(0, limit - len(center))])
        proj = _restrict(proj, keep)
    persons = _with_risk(store, proj)
    hubs = _hubs(store, proj)
    links = [(a, b, d["kinds"]) for a, b, d in proj.graph.edges(data=True)]
    return LinkedNetwork([k for k in center if k in persons], persons, hubs, proj.relatives, links, truncated)


def community_members(store: Any, key: str) -> list[str]:
    """The persons of the stored community ``key`` (graph/communities.py), or [] when there is none."""
    return store.read(COMMUNITY_MEMBERS_CYPHER, {"key": key}).column("key")


def _restrict(proj: Projection, keep: set[str]) -> Projection:
    out = Projection(proj.graph.subgraph(keep).copy(), {k: v for k, v in proj.persons.items() if k in keep},
                     proj.hub_dates, proj.skipped_hubs)
    out.memberships = [m for m in proj.memberships if m[2] in keep]
    out.relatives = [r for r in proj.relatives if r[0] in keep and r[1] in keep]
    return out


def _with_risk(store: Any, proj: Projection) -> dict[str, LinkedPerson]:
    persons = {k: LinkedPerson(info) for k, info in proj.persons.items()}
    for r in store.read(RISK_CYPHER, {"keys": sorted(persons)}):
        p = persons[r["key"]]
        p.score, p.rank, p.age, p.community = r["score"], r["rank"], r["age"], r["community"]
        p.exploitation, p.broker_children, p.run = r["exploitation"], r["broker_children"], r["run"]
        p.reasons, p.paths = list(r["reasons"] or []), list(r["paths"] or [])
    return persons


def _hubs(store: Any, proj: Projection) -> list[Hub]:
    members: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, hub, person in proj.memberships:
        members[(kind, hub)].add(person)
    shared = {k: sorted(v) for k, v in members.items() if len(v) >= 2}
    details = {(r["kind"], r["key"]): r for r in store.read(HUB_DETAILS_CYPHER, {
        "addresses": sorted(h for kind, h in shared if kind == "address"),
        "incidents": sorted(h for kind, h in shared if kind == "incident")})}
    hubs = []
    for (kind, key), people in sorted(shared.items()):
        d = details.get((kind, key), {})
        hubs.append(Hub(kind, key, str(d.get("label") or f"{kind} {key}"), str(d.get("title") or key),
                        d.get("date") or proj.hub_dates.get(key), people))
    return hubs


def to_networkx(net: LinkedNetwork) -> nx.Graph:
    """Persons and hubs as one networkx graph (node ids ``person:KEY``, ``address:KEY``, ...), with the
    attributes the standalone export draws: ``label``, ``title``, ``group``, ``value`` and ``community``."""
    g = nx.Graph()
    for key, p in net.persons.items():
        g.add_node(f"person:{key}", label=p.info.name or key, group="child" if (p.age is not None and p.age < 18) else "person",
                   title=f"{p.info.name} ({key}); linked risk {p.score if p.score is not None else 'not scored'}",
                   value=float(p.score or 0.0), community=p.community or "")
    for hub in net.hubs:
        hid = f"{hub.kind}:{hub.key}"
        g.add_node(hid, label=hub.label, group=hub.kind, title=f"{hub.kind} {hub.title}", value=0.0, community="")
        for m in hub.members:
            g.add_edge(f"person:{m}", hid, title=hub.kind)
    for a, b, rel_type in net.relatives:
        g.add_edge(f"person:{a}", f"person:{b}", title=f"relative ({rel_type})")
    return g
