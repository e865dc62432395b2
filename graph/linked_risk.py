"""Linked risk: personalised PageRank over the person projection, seeded by concerns.

Each person's *seed* is the sum, over the distinct concerns raised about them, of the
concern's weight times a decay with the age of its latest event
(``0.5 ** (days / half_life_days)``, counted back from ``as_of``: the latest event
date in the projection unless given; an undated event counts as ``half_life_days`` old).
A concern raised again adds nothing: the seed measures how grave and how recent the
concerns are, not how many times they were written down (that is the referral-count
baseline the score is compared with, docs/analytics.md).
Risk then travels along the links of :mod:`mashgraph.graph.projection`: the
score is personalised PageRank with the seeds as the restart distribution, link
weights per kind, and damping ``alpha`` (the chance a walk goes on one more link).
Scores are scaled so that 1.0 is the average person.

Why a person ranks high is explained by their top contributing paths: the walks
from a seeded person along at most ``depth`` links to them, each contributing
``(1 - alpha) * seed * alpha ** length * product of (link weight / strength of the node left)``,
which is that walk's term of the PageRank sum. The shares do not add up to 100%
(longer and repeating walks are left out).

Weights are in :class:`RiskWeights` (defaults documented in docs/analytics.md);
``MASHGRAPH_RISK_WEIGHTS`` names a YAML file overriding them.

>>> from mashgraph.graph.projection import PersonInfo, Projection
>>> kid, mum, dad = PersonInfo("kid"), PersonInfo("mum"), PersonInfo("dad")
>>> dad.concerns.append(("3B", dt.date(2025, 1, 1), "inc-1", "police"))
>>> proj = Projection.from_links({p.key: p for p in (kid, mum, dad)},
...     [("household", "h", "kid"), ("household", "h", "mum")], [("dad", "kid", "parent_of")])
>>> risk = linked_risk(proj, RiskWeights())
>>> risk.scores["kid"] > risk.scores["mum"] > 0, risk.seeds["kid"]
(True, 0.0)
>>> [(p.nodes, round(p.share, 2)) for p in risk.paths["kid"]]
[(('dad', 'kid'), 0.28)]
>>> risk.reasons(proj, "kid")[0]
'dad (3B domestic abuse (parent)) -relative-> kid: 28% of the score'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from ..errors import ConfigError
from .concerns import ALL_CONCERNS
from .projection import DEFAULT_KIND_WEIGHTS, Projection

__all__ = ["RiskWeights", "LinkedRisk", "RiskPath", "linked_risk", "load_weights", "DEFAULT_CONCERN_WEIGHTS"]

# Weight of one concern raised about a person (docs/analytics.md explains the choice).
DEFAULT_CONCERN_WEIGHTS: dict[str, float] = {
    # exploitation and going missing (contextual safeguarding)
    "11A": 3.0, "24A": 3.0, "12A": 3.0, "13A": 2.5, "10A": 2.0,
    "ASC-SEXUAL-EXPLOITATION": 2.5, "ASC-MODERN-SLAVERY": 2.5,
    # abuse and neglect of a child
    "18C": 3.0, "19C": 3.0, "22A": 2.5, "23A": 2.0, "16A": 2.0, "17A": 2.0, "18B": 1.5, "19B": 1.5,
    # the parental factors of the 'toxic trio'
    "3B": 2.0, "3C": 1.5, "3A": 1.5, "2B": 1.5, "2C": 1.0, "2A": 1.0, "1B": 1.5, "1C": 1.0, "1A": 1.0,
    "4B": 1.5, "4C": 1.0, "4A": 1.0,
    # adults at risk who may be used or harm others
    "ASC-PHYSICAL": 1.5, "ASC-SEXUAL": 1.5, "ASC-DOMESTIC": 1.5,
    "21": 0.0,
}


@dataclass(frozen=True)
class RiskWeights:
    """Everything that sets the linked-risk score; see docs/analytics.md for the defaults."""

    concerns: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CONCERN_WEIGHTS))
    other_concern: float = 0.5      # any code not in ``concerns``
    links: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS))
    half_life_days: float = 365.0
    alpha: float = 0.85             # PageRank's usual damping
    child_age: int = 18              # under this age on ``as_of``: a child
    explain_top: int = 5000          # persons (highest scores) whose paths are worked out
    paths_per_person: int = 3
    path_depth: int = 3              # most links in an explaining path
    fanout: int = 8                  # neighbours followed from each node (the most likely walks)

    def concern(self, code: str) -> float:
        return self.concerns.get(code, self.other_concern)


def load_weights(path: str | Path | None) -> RiskWeights:
    """The default weights, with the keys of the YAML file ``path`` (if any) replacing them;
    ``concerns`` and ``links`` entries are merged into the defaults."""
    if not path:
        return RiskWeights()
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"risk weights {path}: {err}", hint="fix or remove MASHGRAPH_RISK_WEIGHTS") from None
    names = {f.name for f in fields(RiskWeights)}
    unknown = sorted(set(doc) - names) if isinstance(doc, dict) else ["(not a mapping)"]
    if unknown:
        raise ConfigError(f"risk weights {path}: unknown keys {unknown}", hint=f"use only {sorted(names)}")
    base = RiskWeights()
    for key in ("concerns", "links"):
        if key in doc:
            doc[key] = {**getattr(base, key), **{str(k): float(v) for k, v in (doc[key] or {}).items()}}
    return RiskWeights(**doc)


@dataclass(frozen=True)
class RiskPath:
    """A walk from a seeded person (``nodes[0]``) to the person explained (``nodes[-1]``)."""

    nodes: tuple[str, ...]
    kinds: tuple[tuple[str, ...], ...]     # link kinds of each step
    contribution: float
    share: float                            # of the person's score


@dataclass
class LinkedRisk:
    scores: dict[str, float]                # 1.0 = the average person
    seeds: dict[str, float]
    paths: dict[str, list[RiskPath]]
    as_of: dt.date

    def reasons(self, proj: Projection, key: str) -> list[str]:
        """The top paths of ``key`` in words (person keys, concern codes and labels, link kinds)."""
        out = []
        for path in self.paths.get(key, []):
            start = path.nodes[0]
            codes = _top_codes(proj, start, 2)
            concern = ", ".join(f"{c} {ALL_CONCERNS.get(c, (c,))[0]}" for c in codes)
            steps = "".join(f" -{'/'.join(k)}-> {n}" for k, n in zip(path.kinds, path.nodes[1:]))
            own = " (own concerns)" if len(path.nodes) == 1 else ""
            out.append(f"{start} ({concern}){own}{steps}: {path.share:.0%} of the score")
        return out


def _top_codes(proj: Projection, key: str, n: int) -> list[str]:
    seen: list[str] = []
    for code, *_ in sorted(proj.persons[key].concerns, key=lambda c: str(c[1]), reverse=True):
        if code not in seen:
            seen.append(code)
    return seen[:n]


def seeds_of(proj: Projection, weights: RiskWeights, as_of: dt.date) -> dict[str, float]:
    """Each person's seed: the weight of each distinct concern, decayed by the age of its latest event."""
    seeds = {}
    for key, info in proj.persons.items():
        best: dict[str, float] = {}
        for code, date, _event, _agency in info.concerns:
            days = (as_of - date).days if isinstance(date, dt.date) else weights.half_life_days
            value = weights.concern(code) * 0.5 ** (max(days, 0) / weights.half_life_days)
            best[code] = max(best.get(code, 0.0), value)
        seeds[key] = sum(best.values(), 0.0)
    return seeds


def latest_date(proj: Projection) -> dt.date:
    """The latest concern or incident date in the projection (today when there is none)."""
    dates = [d for info in proj.persons.values() for _c, d, *_ in info.concerns if isinstance(d, dt.date)]
    dates += [d for d in proj.hub_dates.values() if isinstance(d, dt.date)]
    return max(dates, default=dt.date.today())


def pagerank(graph: nx.Graph, seeds: dict[str, float], alpha: float, method: str = "scipy") -> dict[str, float]:
    """Personalised PageRank; ``method="python"`` is networkx's pure-Python reference."""
    positive = {k: v for k, v in seeds.items() if v > 0}
    if not positive or graph.number_of_nodes() == 0:
        return {k: 0.0 for k in graph}
    if method == "python":
        from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python as run
    else:
        run = nx.pagerank
    return run(graph, alpha=alpha, personalization=positive, dangling=positive, weight="weight",
               max_iter=200, tol=1e-10)


def linked_risk(proj: Projection, weights: RiskWeights, as_of: dt.date | None = None,
                method: str = "scipy") -> LinkedRisk:
    """Scores, seeds and the top paths of the ``explain_top`` highest-scored persons."""
    as_of = as_of or latest_date(proj)
    seeds = seeds_of(proj, weights, as_of)
    ranks = pagerank(proj.graph, seeds, weights.alpha, method)
    n = max(len(ranks), 1)
    scores = {k: v * n for k, v in ranks.items()}
    total_seed = sum(v for v in seeds.values() if v > 0) or 1.0
    strength = dict(proj.graph.degree(weight="weight"))
    top = sorted(scores, key=lambda k: (-scores[k], k))[:weights.explain_top]
    paths = {k: top_paths(proj.graph, seeds, strength, k, ranks[k] * total_seed, weights) for k in top if ranks[k] > 0}
    return LinkedRisk(scores, seeds, paths, as_of)


def top_paths(graph: nx.Graph, seeds: dict[str, float], strength: dict[str, float], key: str, rank: float,
              weights: RiskWeights) -> list[RiskPath]:
    """The ``paths_per_person`` simple walks into ``key`` that contribute most to its (unnormalised) rank."""
    alpha, found = weights.alpha, []
    if seeds.get(key, 0) > 0:
        found.append(((key,), (), (1 - alpha) * seeds[key]))

    def walk(path: tuple[str, ...], kinds: tuple[tuple[str, ...], ...], factor: float) -> None:
        for other, data, step in _inbound(graph, strength, path[0], weights.fanout):
            if other in path:
                continue
            f = factor * alpha * step
            new, new_kinds = (other, *path), (data["kinds"], *kinds)
            if seeds.get(other, 0) > 0:
                found.append((new, new_kinds, (1 - alpha) * seeds[other] * f))
            if len(new) <= weights.path_depth:
                walk(new, new_kinds, f)

    walk((key,), (), 1.0)
    found.sort(key=lambda p: (-p[2], p[0]))
    return [RiskPath(nodes, kinds, c, c / rank if rank else 0.0) for nodes, kinds, c in found[:weights.paths_per_person]]


def _inbound(graph: nx.Graph, strength: dict[str, float], node: str, fanout: int) -> list[tuple[str, dict, float]]:
    """The ``fanout`` neighbours most likely to walk into ``node``: (neighbour, link data, step probability)."""
    steps = [(o, d, d["weight"] / strength[o]) for o, d in graph[node].items() if strength.get(o, 0) > 0]
    steps.sort(key=lambda s: (-s[2], s[0]))
    return steps[:fanout]
