"""Derived facts stored on events, Person and Household nodes, so that whole-graph
fragmentation rankings answer in well under a second.

Who knows which concern about whom (DESIGN.md "knows", "involved",
"fragmentation", implemented once in :mod:`mashgraph.graph.knowledge`) takes every concern-raising event and its agencies to work
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
  uses both to skip people who cannot have a siloed concern);
- ``frag_last_siloed``: the latest date of a concern (other than "no factors") that an
  involved agency does not know, null when there is none (``siloed-concern`` reads only
  the people with the most recent ones when its dates allow).

Per event (``Referral``, ``Incident``, ``Episode``; :func:`~mashgraph.graph.knowledge.event_facts_cypher`):
``frag_known_by``, the agencies that know of it, and ``frag_raised_by``, the agency that
raised it (``toxic-trio`` and ``siloed-concern`` read them). They are refreshed first.

Per ``Household`` (members = persons with a record ``MEMBER_OF`` it; the concerns,
agencies and knowledge of all members together): ``frag_members``,
``frag_involved``, ``frag_concerns``, ``frag_known`` (``"code|agency"`` when the agency
knows the concern about any member; the household page reads it), ``frag_pairs``,
``frag_unknown_pairs``, ``fragmentation``; a pair is unknown when the agency knows the
concern about no member.

    mashgraph facts refresh          # by hand, e.g. after loading with another tool

The linked-risk scores, communities and brokers (:mod:`mashgraph.graph.risk_facts`)
are refreshed at the same moments, after these facts, by :func:`refresh_linked_risk`
(unless the setting ``linked_risk_refresh`` is off).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .knowledge import PERSON_SUBJECT, event_facts_cypher, knowledge_body
from .model import EVENT_KINDS

__all__ = ["refresh_facts", "refresh_linked_risk", "FactsReport", "PERSON_KEYS_CYPHER", "PERSON_FACTS_CYPHER",
           "HOUSEHOLD_KEYS_CYPHER", "HOUSEHOLD_FACTS_CYPHER"]

BATCH_SIZE = 2000

PERSON_KEYS_CYPHER = "MATCH (p:Person) RETURN p.key AS key ORDER BY key"

# One batch of persons ($rows: [{key}]): the who-knows-what of graph/knowledge.py, stored.
PERSON_FACTS_CYPHER = ("UNWIND $rows AS row\nMATCH (p:Person {key: row.key})" + knowledge_body(PERSON_SUBJECT) + """SET p.frag_involved = involved,
    p.frag_concerns = concerns,
    p.frag_known = reduce(s = [], i IN items | s + [k IN i[1] | i[0] + '|' + k]),
    p.frag_raised = reduce(s = [], i IN items | s + [k IN i[2] | i[0] + '|' + k]),
    p.frag_pairs = pairs,
    p.frag_unknown_pairs = unknown,
    p.fragmentation = fragmentation,
    p.frag_last_raised = last_raised,
    p.frag_last_siloed = last_siloed,
    p.frag_undated = (undated = 1)
RETURN count(p) AS persons
""")

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
WITH h, n_members, involved, concerns, known, size(concerns) * size(involved) AS pairs,
     reduce(u = 0, c IN concerns | u + size([a IN involved WHERE NOT ((c + '|' + a) IN known)])) AS unknown
UNWIND CASE WHEN size(known) = 0 THEN [null] ELSE known END AS k
WITH h, n_members, involved, concerns, pairs, unknown, k ORDER BY k
WITH h, n_members, involved, concerns, pairs, unknown, collect(k) AS known
SET h.frag_members = n_members,
    h.frag_involved = involved,
    h.frag_known = known,
    h.frag_concerns = concerns,
    h.frag_pairs = pairs,
    h.frag_unknown_pairs = unknown,
    h.fragmentation = CASE WHEN pairs = 0 THEN null ELSE toFloat(unknown) / pairs END
RETURN count(h) AS households
"""


@dataclass
class FactsReport:
    events: int = 0
    persons: int = 0
    households: int = 0
    elapsed: float = 0.0


def refresh_facts(store: Any, batch_size: int = BATCH_SIZE) -> FactsReport:
    """Recompute the derived facts of every event, then every Person, then every Household (idempotent)."""
    t = time.perf_counter()
    report = FactsReport()
    for kind in EVENT_KINDS.values():
        events = [{"key": k} for k in store.read(f"MATCH (x:{kind.label}) RETURN x.key AS key ORDER BY key",
                                                 timeout=600).column("key")]
        report.events += store.write_batches(event_facts_cypher(kind.label), events, batch_size)
    persons = [{"key": k} for k in store.read(PERSON_KEYS_CYPHER, timeout=600).column("key")]
    report.persons = store.write_batches(PERSON_FACTS_CYPHER, persons, batch_size)
    households = [{"key": k} for k in store.read(HOUSEHOLD_KEYS_CYPHER, timeout=600).column("key")]
    report.households = store.write_batches(HOUSEHOLD_FACTS_CYPHER, households, batch_size)
    report.elapsed = time.perf_counter() - t
    return report


def refresh_linked_risk(store: Any) -> Any:
    """Linked risk, communities and brokers of :mod:`mashgraph.graph.risk_facts` (networkx is
    imported only when this runs); None when the setting ``linked_risk_refresh`` is off."""
    from .risk_facts import refresh_linked_risk as refresh

    return refresh(store)
