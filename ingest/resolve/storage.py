"""Everything resolution reads from and writes to the graph (portable Cypher constants).

Nodes written here besides ``Person``:

- ``MatchDecision {key, record_a, record_b, decision, reason, decided_by, decided_at}``:
  one node per human decision (history is kept; the latest per pair wins).
- ``ReviewPair {key, record_a, record_b, probability, linked, reason, evidence, priority, deferred, run}``:
  the uncertain pairs of the latest run (the review band); ``priority`` orders
  them (0 = identifiers or decisions conflict, then pairs nearest the threshold);
  ``deferred`` is 1 once someone decided "unsure" about the pair (it then waits behind the rest).
- ``ResolveRun {key, started, finished, ..., model_path, model_json}``: one per run.
"""

from __future__ import annotations

from typing import Any, Iterable

from ...graph.store import GraphStore

__all__ = [
    "READ_ASSIGNMENTS_CYPHER", "READ_DECISIONS_CYPHER", "WRITE_DECISION_CYPHER",
    "FIND_RECORDS_CYPHER", "WRITE_PERSONS_CYPHER", "DELETE_MOVED_LINKS_CYPHER",
    "WRITE_LINKS_CYPHER", "DELETE_ORPHAN_PERSONS_CYPHER", "DELETE_OLD_REVIEW_CYPHER",
    "WRITE_REVIEW_CYPHER", "READ_REVIEW_CYPHER", "DELETE_REVIEW_PAIR_CYPHER", "COUNT_REVIEW_CYPHER",
    "READ_REVIEW_PAIR_CYPHER", "DEFER_REVIEW_PAIR_CYPHER", "PAIR_RECORDS_CYPHER", "PERSON_RECORD_KEYS_CYPHER",
    "WRITE_RUN_CYPHER", "READ_PERSON_CYPHER", "EXPORT_CYPHER", "LATEST_RUN_CYPHER",
    "read_assignments", "read_decisions", "write_resolution",
]

READ_ASSIGNMENTS_CYPHER = """
MATCH (r:Record)-[:RESOLVES_TO]->(p:Person)
RETURN r.key AS record, p.key AS person
"""

READ_DECISIONS_CYPHER = """
MATCH (d:MatchDecision)
RETURN d.key AS key, d.record_a AS record_a, d.record_b AS record_b, d.decision AS decision,
       d.reason AS reason, d.decided_by AS decided_by, d.decided_at AS decided_at
ORDER BY d.decided_at, d.key
"""

WRITE_DECISION_CYPHER = """
MERGE (d:MatchDecision {key: $key})
SET d.record_a = $record_a, d.record_b = $record_b, d.decision = $decision,
    d.reason = $reason, d.decided_by = $decided_by, d.decided_at = $decided_at
"""

FIND_RECORDS_CYPHER = """
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key
"""

WRITE_PERSONS_CYPHER = """
UNWIND $rows AS row
MERGE (p:Person {key: row.key})
SET p.display_name = row.display_name,
    p.dob = CASE WHEN row.dob IS NULL THEN null ELSE date(row.dob) END,
    p.sex = row.sex, p.records = row.records, p.run = row.run
"""

DELETE_MOVED_LINKS_CYPHER = """
UNWIND $rows AS row
MATCH (r:Record {key: row.record})-[x:RESOLVES_TO]->(p:Person)
WHERE p.key <> row.person
DELETE x
"""

WRITE_LINKS_CYPHER = """
UNWIND $rows AS row
MATCH (r:Record {key: row.record})
MATCH (p:Person {key: row.person})
MERGE (r)-[x:RESOLVES_TO]->(p)
SET x.probability = row.probability, x.method = row.method, x.evidence = row.evidence,
    x.run = row.run
"""

DELETE_ORPHAN_PERSONS_CYPHER = """
MATCH (p:Person)
WHERE NOT (p)<-[:RESOLVES_TO]-(:Record)
DETACH DELETE p
"""

DELETE_OLD_REVIEW_CYPHER = """
MATCH (q:ReviewPair)
WHERE q.run <> $run
DETACH DELETE q
"""

WRITE_REVIEW_CYPHER = """
UNWIND $rows AS row
MERGE (q:ReviewPair {key: row.key})
SET q.record_a = row.record_a, q.record_b = row.record_b, q.probability = row.probability,
    q.linked = row.linked, q.reason = row.reason, q.evidence = row.evidence, q.run = row.run,
    q.priority = row.priority, q.deferred = row.deferred
"""

# Pairs someone marked "unsure" (deferred 1) go behind every pair nobody has looked at.
READ_REVIEW_CYPHER = """
MATCH (q:ReviewPair)
WITH q, coalesce(q.deferred, 0) AS deferred
ORDER BY deferred, q.priority, q.key
SKIP $skip LIMIT $limit
OPTIONAL MATCH (a:Record {key: q.record_a})
OPTIONAL MATCH (b:Record {key: q.record_b})
WITH q, deferred, a, b
OPTIONAL MATCH (a)-[:RESOLVES_TO]->(pa:Person)
WITH q, deferred, a, b, pa
OPTIONAL MATCH (b)-[:RESOLVES_TO]->(pb:Person)
RETURN q.key AS key, q.record_a AS record_a, q.record_b AS record_b,
       q.probability AS probability, q.linked AS linked, q.reason AS reason,
       q.evidence AS evidence,
       a.given_name AS given_a, a.family_name AS family_a, a.dob AS dob_a,
       b.given_name AS given_b, b.family_name AS family_b, b.dob AS dob_b, q.priority AS priority,
       deferred, pa.key AS person_a, pb.key AS person_b
ORDER BY deferred, priority, key
"""

COUNT_REVIEW_CYPHER = """
MATCH (q:ReviewPair)
RETURN count(q) AS pairs, sum(coalesce(q.deferred, 0)) AS deferred
"""

READ_REVIEW_PAIR_CYPHER = """
MATCH (q:ReviewPair {key: $key})
RETURN q.key AS key, q.record_a AS record_a, q.record_b AS record_b,
       q.probability AS probability, q.linked AS linked, q.reason AS reason,
       q.evidence AS evidence, q.priority AS priority, coalesce(q.deferred, 0) AS deferred
"""

DEFER_REVIEW_PAIR_CYPHER = """
MATCH (q:ReviewPair {key: $key})
SET q.deferred = 1
"""

# Both sides of a pair as the review page shows them: the record, its agency and
# the person it resolves to now.
PAIR_RECORDS_CYPHER = """
UNWIND $keys AS k
MATCH (r:Record {key: k})
OPTIONAL MATCH (r)-[:HELD_BY]->(a:Agency)
WITH r, a
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(p:Person)
WITH r, a, p
OPTIONAL MATCH (r)-[:LIVES_AT]->(ad:Address)
RETURN r.key AS key, r AS record, a.name AS agency_name, p.key AS person,
       p.display_name AS person_name, collect(DISTINCT coalesce(ad.text, ad.postcode)) AS addresses
"""

PERSON_RECORD_KEYS_CYPHER = """
MATCH (p:Person {key: $key})<-[:RESOLVES_TO]-(r:Record)
RETURN r.key AS key
ORDER BY key
"""

DELETE_REVIEW_PAIR_CYPHER = """
MATCH (q:ReviewPair {key: $key})
DETACH DELETE q
"""

WRITE_RUN_CYPHER = """
MERGE (run:ResolveRun {key: $key})
SET run += $props
"""

LATEST_RUN_CYPHER = """
MATCH (run:ResolveRun)
RETURN run.key AS key, run.model_path AS model_path, run.threshold AS threshold,
       run.review_low AS review_low, run.review_high AS review_high
ORDER BY run.key DESC
LIMIT 1
"""

READ_PERSON_CYPHER = """
MATCH (p:Person {key: $key})<-[x:RESOLVES_TO]-(r:Record)
RETURN p.display_name AS display_name, p.dob AS person_dob, p.sex AS person_sex,
       r.key AS record, r.agency AS agency, r.given_name AS given_name,
       r.family_name AS family_name, r.dob AS dob, r.sex AS sex,
       x.probability AS probability, x.method AS method, x.evidence AS evidence
ORDER BY record
"""

EXPORT_CYPHER = """
MATCH (r:Record)
OPTIONAL MATCH (r)-[x:RESOLVES_TO]->(p:Person)
RETURN r.key AS record_key, p.key AS person_key, x.probability AS probability
ORDER BY record_key
"""


def _long_timeout(store: GraphStore) -> float:
    return store.settings.max_query_timeout_ms / 1000


def read_assignments(store: GraphStore) -> dict[str, str]:
    """Record key -> the person key it resolves to now."""
    result = store.read(READ_ASSIGNMENTS_CYPHER, timeout=_long_timeout(store))
    return {rec: person for rec, person in result.rows}


def read_decisions(store: GraphStore) -> list[dict[str, Any]]:
    """Every stored human decision, oldest first."""
    return store.read(READ_DECISIONS_CYPHER, timeout=_long_timeout(store)).records()


def write_resolution(store: GraphStore, *, run: str, persons: Iterable[dict[str, Any]],
                     links: list[dict[str, Any]], moved: list[dict[str, Any]],
                     review: list[dict[str, Any]], run_props: dict[str, Any],
                     replace_review: bool = True) -> None:
    """Write persons, links and the review band of one run, then drop what it replaced.

    Order matters for readers during the write: persons first, then links of
    records that moved are removed and all links (re)written, then persons
    left without records are deleted. The review band of earlier runs is dropped
    unless ``replace_review`` is False (an incremental run adds to it).
    """
    store.write_batches(WRITE_PERSONS_CYPHER, persons)
    if moved:
        store.write_batches(DELETE_MOVED_LINKS_CYPHER, moved)
    store.write_batches(WRITE_LINKS_CYPHER, links)
    store.write(DELETE_ORPHAN_PERSONS_CYPHER)
    if review:
        store.write_batches(WRITE_REVIEW_CYPHER, review)
    if replace_review:
        store.write(DELETE_OLD_REVIEW_CYPHER, {"run": run})
    store.write(WRITE_RUN_CYPHER, {"key": run, "props": run_props})
