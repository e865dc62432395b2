"""Derived facts stored on Person and Household nodes, so that whole-graph
fragmentation rankings answer in well under a second.

Who knows which concern about whom (DESIGN.md "knows", "involved",
"fragmentation") takes every concern-raising event and its agencies to work
out; over a 100,000-people graph that is about a second of FalkorDB time per
query however the Cypher is written (docs/benchmarks.md). The rankings
(`fragmentation-persons`, `fragmentation-households`, `agency-sharing-matrix`)
read the facts below instead; `refresh_facts` recomputes them with exactly the
DESIGN definitions and runs at the end of every ingestion job (``run_job``, ``run_source``),
of entity resolution (``resolve_records``) and of the truth linking the tests use. Re-running it changes nothing.

Per ``Person`` (every person; lists sorted):

- ``frag_involved``: keys of the agencies holding a record that resolves to the person;
- ``frag_concerns``: codes of the concerns raised about the person (by a referral,
  incident or episode about one of their records);
- ``frag_known``: ``"code|agency"`` for every agency that knows that concern about
  the person (raised it, or was sent or told of an event raising it);
- ``frag_raised``: ``"code|agency"`` for every agency that raised it (made,
  recorded or runs the event);
- ``frag_pairs`` = concerns x involved agencies, ``frag_unknown_pairs`` = the pairs
  whose agency does not know the concern, ``fragmentation`` = their share
  (null when there are no pairs);
- ``frag_last_raised``: the latest date of an event raising a concern about the person,
  ``frag_undated``: whether one of those events has no date (``siloed-concern``
  uses both to skip people who cannot have a siloed concern).

Per ``Household`` (members = persons with a record ``MEMBER_OF`` it; the concerns,
agencies and knowledge of all members together): ``frag_members``,
``frag_involved``, ``frag_concerns``, ``frag_pairs``, ``frag_unknown_pairs``,
``fragmentation``; a pair is unknown when the agency knows the concern about no member.

    python -m mashgraph.graph.analytics --db ./data/graph
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any

from ..errors import MashgraphError

__all__ = ["refresh_facts", "FactsReport", "PERSON_KEYS_CYPHER", "PERSON_FACTS_CYPHER",
           "HOUSEHOLD_KEYS_CYPHER", "HOUSEHOLD_FACTS_CYPHER"]

BATCH_SIZE = 2000

PERSON_KEYS_CYPHER = "MATCH (p:Person) RETURN p.key AS key ORDER BY key"

# One batch of persons ($rows: [{key}]). Directed knower expansions: FalkorDB
# runs two directed ones much faster than one undirected over five types.
PERSON_FACTS_CYPHER = """
UNWIND $rows AS row
MATCH (p:Person {key: row.key})
OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, a.key AS agency ORDER BY agency
WITH p, collect(DISTINCT agency) AS involved
OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH p, involved, c, x
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(ra:Agency)
WITH p, involved, c, x, ra
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(ta:Agency)
WITH p, involved, c.key AS concern, ra.key AS raiser, ta.key AS told, coalesce(x.date, x.start) AS d,
     CASE WHEN x IS NOT NULL AND coalesce(x.date, x.start) IS NULL THEN 1 ELSE 0 END AS undated
WITH p, involved, concern, collect(DISTINCT raiser) AS raisers, collect(DISTINCT told) AS told_keys,
     max(d) AS last_d, max(undated) AS undated
WITH p, involved, concern, raisers, raisers + [k IN told_keys WHERE NOT k IN raisers] AS knowers, last_d, undated
ORDER BY concern
WITH p, involved, collect(CASE WHEN concern IS NULL THEN null ELSE [concern, knowers, raisers] END) AS items,
     max(last_d) AS last_raised, max(undated) AS undated
WITH p, involved, items, last_raised, undated, [i IN items | i[0]] AS concerns,
     reduce(u = 0, i IN items | u + size([a IN involved WHERE NOT a IN i[1]])) AS unknown
WITH p, involved, items, last_raised, undated, concerns, unknown, size(concerns) * size(involved) AS pairs
SET p.frag_involved = involved,
    p.frag_concerns = concerns,
    p.frag_known = reduce(s = [], i IN items | s + [k IN i[1] | i[0] + '|' + k]),
    p.frag_raised = reduce(s = [], i IN items | s + [k IN i[2] | i[0] + '|' + k]),
    p.frag_pairs = pairs,
    p.frag_unknown_pairs = unknown,
    p.fragmentation = CASE WHEN pairs = 0 THEN null ELSE toFloat(unknown) / pairs END,
    p.frag_last_raised = last_raised,
    p.frag_undated = (undated = 1)
RETURN count(p) AS persons
"""

HOUSEHOLD_KEYS_CYPHER = "MATCH (h:Household) RETURN h.key AS key ORDER BY key"

# One batch of households; reads the person facts above, so it runs after them.
HOUSEHOLD_FACTS_CYPHER = """
UNWIND $rows AS row
MATCH (h:Household {key: row.key})
OPTIONAL MATCH (h)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
WITH h, collect(DISTINCT p) AS members
WITH h, size(members) AS n_members,
     reduce(s = [], m IN members | s + [a IN coalesce(m.frag_involved, []) WHERE NOT a IN s]) AS agencies,
     reduce(s = [], m IN members | s + [c IN coalesce(m.frag_concerns, []) WHERE NOT c IN s]) AS codes,
     reduce(s = [], m IN members | s + [k IN coalesce(m.frag_known, []) WHERE NOT k IN s]) AS known
UNWIND CASE WHEN size(agencies) = 0 THEN [null] ELSE agencies END AS agency
WITH h, n_members, codes, known, agency ORDER BY agency
WITH h, n_members, codes, known, collect(agency) AS involved
UNWIND CASE WHEN size(codes) = 0 THEN [null] ELSE codes END AS code
WITH h, n_members, involved, known, code ORDER BY code
WITH h, n_members, involved, known, collect(code) AS concerns
WITH h, n_members, involved, concerns, size(concerns) * size(involved) AS pairs,
     reduce(u = 0, c IN concerns | u + size([a IN involved WHERE NOT ((c + '|' + a) IN known)])) AS unknown
SET h.frag_members = n_members,
    h.frag_involved = involved,
    h.frag_concerns = concerns,
    h.frag_pairs = pairs,
    h.frag_unknown_pairs = unknown,
    h.fragmentation = CASE WHEN pairs = 0 THEN null ELSE toFloat(unknown) / pairs END
RETURN count(h) AS households
"""


@dataclass
class FactsReport:
    persons: int = 0
    households: int = 0
    elapsed: float = 0.0


def refresh_facts(store: Any, batch_size: int = BATCH_SIZE) -> FactsReport:
    """Recompute the derived facts of every Person, then every Household (idempotent)."""
    t = time.perf_counter()
    report = FactsReport()
    persons = [{"key": k} for k in store.read(PERSON_KEYS_CYPHER, timeout=600).column("key")]
    report.persons = store.write_batches(PERSON_FACTS_CYPHER, persons, batch_size)
    households = [{"key": k} for k in store.read(HOUSEHOLD_KEYS_CYPHER, timeout=600).column("key")]
    report.households = store.write_batches(HOUSEHOLD_FACTS_CYPHER, households, batch_size)
    report.elapsed = time.perf_counter() - t
    return report


def main(argv: list[str] | None = None) -> int:
    from ..graph import open_store
    from ..settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m mashgraph.graph.analytics",
                                     description="Recompute the derived fragmentation facts.")
    parser.add_argument("--db", default=None, help="store URL or path (default: MASHGRAPH_DB or ./data/graph)")
    args = parser.parse_args(argv)
    overrides = {"db": args.db} if args.db else {}
    try:
        settings = load_settings(**overrides)
        with open_store(settings.db, settings) as store:
            report = refresh_facts(store)
    except MashgraphError as err:  # one clear line, as every mashgraph command gives
        print(f"error: {err.one_line()}", file=sys.stderr)
        return err.exit_code
    print(f"facts refreshed: {report.persons:,} persons, {report.households:,} households "
          f"in {report.elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
