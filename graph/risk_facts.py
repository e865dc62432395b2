"""Run the linked-risk analytics on the whole store and store the results on every ``Person``.

One run = the projection (:mod:`~mashgraph.graph.projection`), the linked-risk score
with its explaining paths (:mod:`~mashgraph.graph.linked_risk`), the communities and
brokers (:mod:`~mashgraph.graph.communities`), then one batched write. Re-running it on
an unchanged graph writes the same values (the run time apart). It runs at the end
of ingestion and of entity resolution after the who-knows-what facts, unless the
setting ``linked_risk_refresh`` is off, and by hand::

    mashgraph analytics run

Stored on every Person (docs/analytics.md has the table): ``risk_score``, ``risk_seed``,
``risk_rank``, ``risk_reasons``, ``risk_paths``, ``community``, ``community_size``,
``community_exploitation``, ``community_children``, ``community_codes``, ``broker_score``, ``broker_children``,
``risk_age`` (whole years on ``risk_as_of``: compared in Python, because FalkorDB 4.22 orders
two dates more than about 68 years apart wrongly), ``risk_as_of`` and ``risk_run``.
"""

from __future__ import annotations

import datetime as dt
import resource
import time
from dataclasses import dataclass, field
from typing import Any

from .communities import Communities, find_communities
from .linked_risk import LinkedRisk, RiskWeights, linked_risk, load_weights
from .projection import BATCH_SIZE, Projection, project

__all__ = ["AnalyticsReport", "run_analytics", "refresh_linked_risk", "analyse", "WRITE_RISK_CYPHER", "is_child"]

WRITE_RISK_CYPHER = """
UNWIND $rows AS row
MATCH (p:Person {key: row.key})
SET p.risk_score = row.score, p.risk_seed = row.seed, p.risk_rank = row.rank,
    p.risk_reasons = row.reasons, p.risk_paths = row.paths,
    p.community = row.community, p.community_size = row.community_size,
    p.community_exploitation = row.community_exploitation, p.community_children = row.community_children,
    p.community_codes = row.community_codes,
    p.broker_score = row.broker_score, p.broker_children = row.broker_children,
    p.risk_age = row.age, p.risk_as_of = date(row.as_of), p.risk_run = row.run
RETURN count(p) AS persons
"""


@dataclass
class AnalyticsReport:
    persons: int = 0
    links: int = 0
    skipped_hubs: int = 0
    communities: int = 0
    brokers: int = 0
    as_of: dt.date | None = None
    timings: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: float = 0.0

    @property
    def elapsed(self) -> float:
        return sum(self.timings.values())

    def summary(self) -> str:
        laps = ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items())
        return (f"linked risk: {self.persons:,} persons, {self.links:,} links ({self.skipped_hubs:,} crowded hubs "
                f"left out), {self.communities:,} communities, {self.brokers:,} brokers, as of {self.as_of}; "
                f"{self.elapsed:.1f} s ({laps}); peak memory of this process {self.peak_rss_mib:,.0f} MiB")


def is_child(proj: Projection, key: str, as_of: dt.date, weights: RiskWeights) -> bool:
    """Under ``weights.child_age`` on ``as_of`` (a person with no date of birth is not counted as a child)."""
    age = proj.persons[key].age_on(as_of)
    return age is not None and 0 <= age < weights.child_age


def analyse(proj: Projection, weights: RiskWeights) -> tuple[LinkedRisk, Communities]:
    """Scores and communities of a projection (no store needed)."""
    risk = linked_risk(proj, weights)
    concerns = {k: {c[0] for c in info.concerns} for k, info in proj.persons.items()}
    children = {k for k in proj.persons if is_child(proj, k, risk.as_of, weights)}
    return risk, find_communities(proj.graph, concerns, children)


def run_analytics(store: Any, weights: RiskWeights | None = None, batch_size: int = BATCH_SIZE) -> AnalyticsReport:
    """Project the store, score, group, and write the results on every Person."""
    weights = weights or RiskWeights()
    report, t = AnalyticsReport(), time.perf_counter()
    proj = project(store, batch_size=batch_size, kind_weights=weights.links)
    report.timings["projection"], t = time.perf_counter() - t, time.perf_counter()
    risk = linked_risk(proj, weights)
    report.timings["linked risk"], t = time.perf_counter() - t, time.perf_counter()
    concerns = {k: {c[0] for c in info.concerns} for k, info in proj.persons.items()}
    children = {k for k in proj.persons if is_child(proj, k, risk.as_of, weights)}
    groups = find_communities(proj.graph, concerns, children)
    report.timings["communities"], t = time.perf_counter() - t, time.perf_counter()
    store.write_batches(WRITE_RISK_CYPHER, _rows(proj, risk, groups), batch_size)
    report.timings["write"] = time.perf_counter() - t
    report.persons, report.links, report.skipped_hubs = len(proj.persons), proj.graph.number_of_edges(), proj.skipped_hubs
    report.communities, report.brokers, report.as_of = len(groups.communities), len(groups.brokers), risk.as_of
    report.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


def _rows(proj: Projection, risk: LinkedRisk, groups: Communities) -> list[dict[str, Any]]:
    """One row per person. Figures are rounded to 6 decimals, so that ties are ties for the
    engine too (FalkorDB returns doubles to 15 significant digits)."""
    run = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    by_key = {c.key: c for c in groups.communities}
    order = sorted(risk.scores, key=lambda k: (-risk.scores[k], k))
    rows = []
    for rank, key in enumerate(order, 1):
        community = by_key.get(groups.of.get(key, ""))
        broker = groups.brokers.get(key)
        rows.append({
            "key": key, "score": round(risk.scores[key], 6), "seed": round(risk.seeds[key], 6), "rank": rank,
            "reasons": risk.reasons(proj, key), "paths": [">".join(p.nodes) for p in risk.paths.get(key, [])],
            "community": community.key if community else None,
            "community_size": community.size if community else None,
            "community_exploitation": community.exploitation if community else None,
            "community_children": community.children if community else None,
            "community_codes": community.codes if community else None,
            "broker_score": round(broker.score, 6) if broker else None,
            "broker_children": broker.children if broker else None,
            "age": proj.persons[key].age_on(risk.as_of), "as_of": risk.as_of.isoformat(), "run": run,
        })
    return rows


def refresh_linked_risk(store: Any) -> AnalyticsReport | None:
    """:func:`run_analytics` with the store's settings (``risk_weights``), unless
    ``linked_risk_refresh`` is off (then None): what ingestion and resolution call."""
    settings = getattr(store, "settings", None)
    if settings is not None and not settings.linked_risk_refresh:
        return None
    return run_analytics(store, load_weights(settings.risk_weights if settings is not None else None))
