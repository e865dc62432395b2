"""Link ingested records to their true persons, from the generator's ground truth.

Pattern queries work on ``Person`` nodes reached through ``RESOLVES_TO``. To test
a pattern query independently of how well entity resolution performs, tests
link records by the truth instead::

    from truth_links import link_by_truth
    link_by_truth(store, out / "truth" / "records.csv")

Each true person becomes ``Person {key: true_person_id}`` (the person key IS the
true person id, so a query result maps straight back to ``truth/``), and each
ingested record gets ``(Record)-[:RESOLVES_TO {probability: 1.0, method:
'truth', evidence: ...}]->(Person)``. Rows of ``records.csv`` whose record was
not ingested (quarantined bad rows) are skipped and counted.

``Person.dob``, ``sex`` and ``display_name`` come from ``truth/people.csv``
next to ``records.csv`` when it exists (columns ``true_person_id`` or
``person_id``, ``dob``, ``sex``, ``given_name``, ``family_name``); otherwise
from the person's records (most frequent date of birth, first sex and name),
as resolution would do.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from mashgraph.graph.analytics import refresh_facts, refresh_linked_risk
from mashgraph.ingest.resolve.households import resolve_households

__all__ = ["link_by_truth", "TruthLinkReport"]

LINK_BY_TRUTH_CYPHER = """
UNWIND $rows AS row
MATCH (r:Record {key: row.record_key})
MERGE (p:Person {key: row.person_key})
MERGE (r)-[l:RESOLVES_TO]->(p)
SET l.probability = 1.0, l.method = 'truth', l.evidence = row.evidence
RETURN count(r) AS linked
"""

SET_TRUE_PEOPLE_CYPHER = """
UNWIND $rows AS row
MATCH (p:Person {key: row.person_key})
SET p.dob = date(row.dob), p.sex = row.sex, p.display_name = row.display_name
"""

PEOPLE_FROM_RECORDS_DOB_CYPHER = """
MATCH (p:Person)<-[:RESOLVES_TO]-(r:Record)
WHERE p.dob IS NULL AND r.dob IS NOT NULL
WITH p, r.dob AS dob, count(r) AS n
ORDER BY n DESC, dob
WITH p, collect(dob)[0] AS dob
SET p.dob = dob
"""

PEOPLE_FROM_RECORDS_NAME_CYPHER = """
MATCH (p:Person)<-[:RESOLVES_TO]-(r:Record)
WHERE p.display_name IS NULL
WITH p, r ORDER BY r.key
WITH p, collect(r) AS rs
WITH p, [x IN rs WHERE x.sex IS NOT NULL | x.sex] AS sexes,
     [x IN rs WHERE x.family_name IS NOT NULL | coalesce(x.given_name, '') + ' ' + x.family_name] AS names
SET p.sex = head(sexes), p.display_name = head(names)
"""


@dataclass
class TruthLinkReport:
    rows: int
    linked: int
    missing_records: int
    persons: int


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def link_by_truth(store, truth_records_csv, batch_size: int = 5000) -> TruthLinkReport:
    """Create ``Person {key: true_person_id}`` and truth ``RESOLVES_TO`` links for every ingested record."""
    path = Path(truth_records_csv)
    rows = _read_csv(path)
    if rows and not {"record_key", "true_person_id"} <= set(rows[0]):
        raise ValueError(f"{path}: expected columns record_key,true_person_id, got {sorted(rows[0])}")
    payload = [{"record_key": r["record_key"], "person_key": r["true_person_id"],
                "evidence": f"ground truth {path.name}: true person {r['true_person_id']}"} for r in rows]
    linked = 0
    for i in range(0, len(payload), batch_size):
        result = store.write(LINK_BY_TRUTH_CYPHER, {"rows": payload[i:i + batch_size]})
        linked += int(result.rows[0][0]) if result.rows else 0
    persons = sorted({r["person_key"] for r in payload})
    people_csv = path.with_name("people.csv")
    if people_csv.exists():
        people = _read_csv(people_csv)
        id_col = "true_person_id" if people and "true_person_id" in people[0] else "person_id"
        wanted = set(persons)
        store.write_batches(SET_TRUE_PEOPLE_CYPHER, [
            {"person_key": p[id_col], "dob": p.get("dob") or None, "sex": p.get("sex") or None,
             "display_name": " ".join(x for x in (p.get("given_name"), p.get("family_name")) if x) or None}
            for p in people if p.get(id_col) in wanted], batch_size)
    store.write(PEOPLE_FROM_RECORDS_DOB_CYPHER)
    store.write(PEOPLE_FROM_RECORDS_NAME_CYPHER)
    # As resolve_records does: households of one family join over the persons (the real
    # household resolution, on true persons), then the derived facts and linked risk follow.
    resolve_households(store, "truth")
    refresh_facts(store)
    refresh_linked_risk(store)
    return TruthLinkReport(rows=len(rows), linked=linked, missing_records=len(rows) - linked,
                           persons=len(persons))
