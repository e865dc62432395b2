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
  the people with the most recent ones when its dates allow);
- ``frag_youngest_housemate_year``: the latest birth year of anyone who shares a household
  or an address with the person (a record of each, at any time); null when nobody does
  (``think-family-gap`` skips adult concerns of people none of whose housemates can have
  been a child then). After a delta, the persons refreshed also raise it on their housemates.

Per event (``Referral``, ``Incident``, ``Episode``; :func:`~mashgraph.graph.knowledge.event_facts_cypher`):
``frag_known_by``, the agencies that know of it, and ``frag_raised_by``, the agency that
raised it (``toxic-trio`` and ``siloed-concern`` read them). They are refreshed first.

Per ``Family``, the resolved household (members = persons with a record ``MEMBER_OF`` any
of its agencies' ``Household`` records, ``IN_FAMILY``; the concerns, agencies and knowledge
of all members together, so a family recorded by two agencies counts once): ``frag_members``,
``frag_involved``, ``frag_concerns``, ``frag_known`` (``"code|agency"`` when the agency
knows the concern about any member; the household page reads it), ``frag_pairs``,
``frag_unknown_pairs``, ``fragmentation``; a pair is unknown when the agency knows the
concern about no member.

    mashgraph facts refresh          # by hand, e.g. after loading with another tool

The nightly cycle (:mod:`mashgraph.ingest.nightly`) refreshes only what a day's delta can
have changed: ``refresh_facts(store, persons=..., events=...)`` recomputes the events the
delta's rows named (an event's facts read only its own agencies), the given persons, then
every family whose households one of their records is a member of. :func:`touched_persons` finds those persons
from the nodes a load wrote (:data:`TOUCHED_LABELS`): a person's facts read only their own
records, the events about those records and the agencies of those events, so a person none
of whose records or events was written keeps facts equal to a full refresh
(``tests/test_nightly.py`` compares the two after a delta).

The partnership dashboard's facts (``share_raised_first``, ``share_las``; :mod:`mashgraph.graph.partnership`)
are stored on every Person in the same refresh, after the ones above.

The linked-risk scores, communities and brokers (:mod:`mashgraph.graph.risk_facts`)
are refreshed at the same moments, after these facts, by :func:`refresh_linked_risk`
(unless the setting ``linked_risk_refresh`` is off).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .knowledge import PERSON_SUBJECT, event_facts_cypher, knowledge_body
from .model import EVENT_KINDS
from .store import key_batches
from .partnership import refresh_partnership_facts

__all__ = ["refresh_facts", "refresh_linked_risk", "touched_persons", "FactsReport", "PERSON_KEYS_CYPHER",
           "PERSON_FACTS_CYPHER", "PERSON_HOME_FACTS_CYPHER", "HOUSEMATES_PUSH_CYPHER", "HOUSEHOLD_KEYS_CYPHER", "HOUSEHOLD_FACTS_CYPHER", "PERSON_HOUSEHOLDS_CYPHER",
           "TOUCHED_LABELS", "TOUCHED_PERSONS_CYPHER"]

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

# Who shares a home with whom: a household or an address both have a record at, at any time.
# The homes first, then their people (one long pattern costs FalkorDB five times as much).
_HOMES = "(p)<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF|LIVES_AT]->(home)"
_HOUSEMATES = "(home)<-[:MEMBER_OF|LIVES_AT]-(:Record)-[:RESOLVES_TO]->(o:Person)"

# One batch of persons: the latest birth year among their housemates (think-family-gap reads only
# the adult concerns of people who ever shared a home with someone young enough to be a child
# then). Birth years, not dates: FalkorDB compares dates more than 68 years apart wrongly.
PERSON_HOME_FACTS_CYPHER = f"""
UNWIND $rows AS row
MATCH (p:Person {{key: row.key}})
OPTIONAL MATCH {_HOMES}
WITH DISTINCT p, home
OPTIONAL MATCH {_HOUSEMATES}
WITH p, max(CASE WHEN o <> p THEN o.dob.year END) AS youngest
SET p.frag_youngest_housemate_year = youngest
RETURN count(p) AS persons
"""

# After a delta: the given persons' birth years raise their housemates' fact (it only grows when
# homes are shared by more people; a value left too high only makes think-family-gap read more).
HOUSEMATES_PUSH_CYPHER = f"""
UNWIND $rows AS row
MATCH (p:Person {{key: row.key}})
WHERE p.dob IS NOT NULL
MATCH {_HOMES}
WITH DISTINCT p, home
MATCH {_HOUSEMATES}
WHERE o <> p
WITH o, max(p.dob.year) AS year
WHERE o.frag_youngest_housemate_year IS NULL OR o.frag_youngest_housemate_year < year
SET o.frag_youngest_housemate_year = year
RETURN count(o) AS persons
"""

HOUSEHOLD_KEYS_CYPHER = "MATCH (h:Family) RETURN h.key AS key ORDER BY key"

# The resolved households (Family) a batch of persons' records are members of (their facts
# read the persons').
PERSON_HOUSEHOLDS_CYPHER = """
UNWIND $keys AS k
MATCH (:Person {key: k})<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(:Household)-[:IN_FAMILY]->(h:Family)
RETURN DISTINCT h.key AS key
"""

# Label a load writes -> the persons whose facts a written node of that label can change.
TOUCHED_PERSONS_CYPHER: dict[str, str] = {
    "Record": "UNWIND $keys AS k\nMATCH (:Record {key: k})-[:RESOLVES_TO]->(p:Person)\nRETURN DISTINCT p.key AS key",
    **{kind.label: (f"UNWIND $keys AS k\nMATCH (:{kind.label} {{key: k}})-[:{kind.about}]->(:Record)"
                    f"-[:RESOLVES_TO]->(p:Person)\nRETURN DISTINCT p.key AS key") for kind in EVENT_KINDS.values()},
}
TOUCHED_LABELS: tuple[str, ...] = tuple(TOUCHED_PERSONS_CYPHER)

# One batch of resolved households (Family); reads the person facts above, so it runs after them.
HOUSEHOLD_FACTS_CYPHER = """
UNWIND $rows AS row
MATCH (h:Family {key: row.key})
OPTIONAL MATCH (h)<-[:IN_FAMILY]-(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
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


def refresh_facts(store: Any, batch_size: int = BATCH_SIZE, *, persons: Iterable[str] | None = None,
                  events: Mapping[str, Iterable[str]] | None = None) -> FactsReport:
    """Recompute the derived facts of every event, then every Person, then every Family (resolved
    household; idempotent).

    ``persons``: only these persons (keys; unknown ones are skipped), then the families
    their records' households are in, after the ``events`` given (label -> keys; other labels
    are ignored): what the nightly cycle runs after a delta.
    """
    t = time.perf_counter()
    report = FactsReport()
    whole = persons is None
    for kind in EVENT_KINDS.values():
        keys = (store.read(f"MATCH (x:{kind.label}) RETURN x.key AS key ORDER BY key", timeout=600).column("key")
                if whole else sorted((events or {}).get(kind.label, ())))
        report.events += _write(store, event_facts_cypher(kind.label), keys, batch_size)
    if whole:
        keys = store.read(PERSON_KEYS_CYPHER, timeout=600).column("key")
        households = store.read(HOUSEHOLD_KEYS_CYPHER, timeout=600).column("key")
    else:
        keys = sorted(set(persons or ()))
        households = sorted({k for part in key_batches(keys, batch_size)
                             for k in store.read(PERSON_HOUSEHOLDS_CYPHER, {"keys": part}, timeout=600).column("key")})
    report.persons = _write(store, PERSON_FACTS_CYPHER, keys, batch_size)
    _write(store, PERSON_HOME_FACTS_CYPHER, keys, batch_size)
    if not whole:
        _write(store, HOUSEMATES_PUSH_CYPHER, keys, batch_size)
    refresh_partnership_facts(store, [{"key": k} for k in keys], batch_size)
    report.households = _write(store, HOUSEHOLD_FACTS_CYPHER, households, batch_size)
    report.elapsed = time.perf_counter() - t
    return report


def _write(store: Any, cypher: str, keys: list[str], batch_size: int) -> int:
    return store.write_batches(cypher, [{"key": k} for k in keys], batch_size) if keys else 0



def touched_persons(store: Any, touched: Mapping[str, Iterable[str]], batch_size: int = BATCH_SIZE) -> set[str]:
    """Keys of the persons whose facts the written nodes ``touched`` (label -> keys) can change.

    Labels other than :data:`TOUCHED_LABELS` change no person's facts and are ignored.
    """
    out: set[str] = set()
    for label, keys in touched.items():
        cypher = TOUCHED_PERSONS_CYPHER.get(label)
        if cypher is None:
            continue
        for part in key_batches(sorted(keys), batch_size):
            out.update(store.read(cypher, {"keys": part}, timeout=600).column("key"))
    return out


def refresh_linked_risk(store: Any) -> Any:
    """Linked risk, communities and brokers of :mod:`mashgraph.graph.risk_facts` (networkx is
    imported only when this runs); None when the setting ``linked_risk_refresh`` is off."""
    from .risk_facts import refresh_linked_risk as refresh

    return refresh(store)
