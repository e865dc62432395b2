"""Groups and brokers: Louvain communities of the person projection, ranked by
exploitation concerns, and the adults within them who connect several children.

Communities come from :func:`networkx.community.louvain_communities` on the
weighted person graph of :mod:`mashgraph.graph.projection`, with a fixed ``seed``
so that a run on the same graph gives the same groups. Groups of fewer than
``min_size`` persons are not communities (most people are linked to a household
or two and nothing else). A community's key is ``c:`` + the smallest person key in it,
so it stays the same from run to run while its members do.

A community's *exploitation* figure is the number of its members about whom an
exploitation concern was raised (:data:`EXPLOITATION`: child sexual and criminal
exploitation, gangs, trafficking, going missing, and the adult equivalents).

A *broker* is an adult linked to two or more children of their community by an
incident or an address alone, not as family (a link whose ``kinds`` include
``household`` or ``relative`` does not count: parents are not brokers);
``broker_score`` is their betweenness centrality within the community
(exact up to ``exact_limit`` members, else estimated from ``samples`` seeded pivots).

>>> import networkx as nx
>>> g = nx.Graph()
>>> g.add_edges_from([("man", "k1"), ("man", "k2"), ("man", "k3"), ("k1", "k2")], weight=1.0, kinds=("incident",))
>>> g.add_edges_from([("k1", "mum"), ("mum", "dad"), ("dad", "k1")], weight=1.0, kinds=("household",))
>>> found = find_communities(g, {"k1": {"24A"}, "k2": {"11A"}}, {"k1", "k2", "k3"}, min_size=3)
>>> [(c.key, c.size, c.exploitation, c.children) for c in found.communities]
[('c:k2', 3, 1, 2), ('c:dad', 3, 1, 1)]
>>> found.of["man"], found.brokers["man"].children, found.brokers["man"].score
('c:k2', 2, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

__all__ = ["EXPLOITATION", "FAMILY", "Community", "Broker", "Communities", "find_communities"]

FAMILY = frozenset({"household", "relative"})
EXPLOITATION = frozenset({"11A", "24A", "13A", "12A", "10A", "ASC-SEXUAL-EXPLOITATION", "ASC-MODERN-SLAVERY"})


@dataclass
class Community:
    key: str
    members: list[str]
    exploitation: int          # members with an exploitation concern
    children: int
    codes: list[str] = field(default_factory=list)   # the exploitation codes raised about members

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class Broker:
    key: str
    community: str
    children: int              # children of the community linked to them directly
    score: float               # betweenness within the community (0..1)


@dataclass
class Communities:
    communities: list[Community]                 # most exploitation first
    of: dict[str, str] = field(default_factory=dict)          # person -> community key
    brokers: dict[str, Broker] = field(default_factory=dict)


def find_communities(graph: nx.Graph, concerns: dict[str, set[str]], children: set[str], *, seed: int = 14,
                     min_size: int = 3, resolution: float = 1.0, exact_limit: int = 400,
                     samples: int = 200) -> Communities:
    """Communities of ``graph`` (weighted), their exploitation figures and their brokers.

    ``concerns`` maps a person to the codes raised about them; ``children`` are the persons under 18.
    """
    linked = graph.subgraph([n for n in graph if graph.degree(n) > 0])
    groups = nx.community.louvain_communities(linked, weight="weight", resolution=resolution, seed=seed)
    out = Communities([])
    for group in groups:
        if len(group) < min_size:
            continue
        members = sorted(group)
        codes = set().union(*(concerns.get(m, set()) & EXPLOITATION for m in members))
        found = Community(f"c:{members[0]}", members,
                          sum(1 for m in members if concerns.get(m, set()) & EXPLOITATION),
                          sum(1 for m in members if m in children), sorted(codes))
        out.communities.append(found)
        out.of.update({m: found.key for m in members})
        out.brokers.update(_brokers(graph.subgraph(members), found.key, children, exact_limit, samples, seed))
    out.communities.sort(key=lambda c: (-c.exploitation, -c.children, c.key))
    return out


def _brokers(sub: nx.Graph, community: str, children: set[str], exact_limit: int, samples: int,
             seed: int) -> dict[str, Broker]:
    candidates = {n: sum(1 for o, d in sub[n].items() if o in children and not FAMILY & set(d.get("kinds", ())))
                  for n in sub if n not in children}
    candidates = {n: c for n, c in candidates.items() if c >= 2}
    if not candidates:
        return {}
    k = None if sub.number_of_nodes() <= exact_limit else samples
    between = nx.betweenness_centrality(sub, k=k, seed=seed)
    return {n: Broker(n, community, c, float(between[n])) for n, c in candidates.items()}
