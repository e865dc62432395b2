"""Who knows what: the one implementation of DESIGN.md's "knows", "involved" and "fragmentation".

- an agency **knows** a concern about a person when it made the referral, recorded the
  incident or runs the episode that raised it, or the event was sent (``TO``) or shared
  (``SHARED_WITH``) with it (:data:`~mashgraph.graph.model.EVENT_KINDS`, ``TOLD_RELS``);
- an agency is **involved** with a person when it holds a record that resolves to them;
- **fragmentation** = the share of (concern, involved agency) pairs where the involved
  agency does not know the concern (None when there are no pairs).

The Cypher below is written once, as :func:`knowledge_body`, and used twice: the derived
facts (:mod:`mashgraph.graph.analytics`) store it on every Person for the rankings, and
the person and record pages read it live through :func:`knowledge_gap`. So a page and a
ranking can never disagree about a person.

>>> gap = KnowledgeGap.from_items(["csc", "police"], [["10A", ["csc"], ["csc"]], ["3A", ["police"], ["police"]]], 0.5)
>>> gap.concerns, gap.known, gap.missing
(['3A', '10A'], {'3A': ['police'], '10A': ['csc']}, {'3A': ['csc'], '10A': ['police']})
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .concerns import NO_FACTORS
from .model import EVENT_KINDS, TOLD_RELS

__all__ = ["KnowledgeGap", "knowledge_body", "knowledge_gap", "PERSON_SUBJECT", "RECORD_SUBJECT",
           "PERSON_KNOWLEDGE_CYPHER", "RECORD_KNOWLEDGE_CYPHER",
           "HOUSEHOLD_KNOWLEDGE_CYPHER", "concern_order", "event_facts_cypher"]

_ABOUT = "|".join(kind.about for kind in EVENT_KINDS.values())          # ABOUT|INVOLVES|FOR
_RAISED_BY = "|".join(kind.raised_by for kind in EVENT_KINDS.values())  # MADE|RECORDED|RUNS
_TOLD = "|".join(TOLD_RELS)                                               # TO|SHARED_WITH

# The records of the subject ``p``: a Person's resolved records, or a lone Record itself.
PERSON_SUBJECT = "(p)<-[:RESOLVES_TO]-(:Record)"
RECORD_SUBJECT = "(p)"


def knowledge_body(records: str) -> str:
    """Cypher that, for a bound subject ``p`` whose records match the pattern ``records``,
    ends with ``WITH p, involved, items, last_raised, last_siloed, undated, concerns, unknown, pairs, fragmentation``:

    - ``involved``: agency keys, sorted; ``concerns``: concern codes, sorted;
    - ``items``: ``[concern, knowers, raisers]`` per concern (knowers include agencies
      that are not involved);
    - ``unknown`` / ``pairs``: the (concern, involved agency) pairs not known / in all, and
      ``fragmentation`` their share (null when there are no pairs);
    - ``last_raised``: the latest date of a concern-raising event; ``undated``: 1 if one has none.

    - ``last_siloed``: the latest date of a concern (other than "no factors",
      :data:`~mashgraph.graph.concerns.NO_FACTORS`) that an involved agency does not know;
      null when there is none (``siloed-concern`` keeps its most recent rows with it).

    ``records`` is one of the subject constants above, never caller text. The directed
    knower expansions are deliberate: FalkorDB runs two directed ones much faster than
    one undirected over five types.
    """
    return f"""
OPTIONAL MATCH {records}-[:HELD_BY]->(a:Agency)
WITH p, a.key AS agency ORDER BY agency
WITH p, collect(DISTINCT agency) AS involved
OPTIONAL MATCH {records}<-[:{_ABOUT}]-(x)-[:RAISES]->(c:Concern)
WITH p, involved, c, x
OPTIONAL MATCH (x)<-[:{_RAISED_BY}]-(ra:Agency)
WITH p, involved, c, x, ra
OPTIONAL MATCH (x)-[:{_TOLD}]->(ta:Agency)
WITH p, involved, c.key AS concern, ra.key AS raiser, ta.key AS told, coalesce(x.date, x.start) AS d,
     CASE WHEN x IS NOT NULL AND coalesce(x.date, x.start) IS NULL THEN 1 ELSE 0 END AS undated
WITH p, involved, concern, collect(DISTINCT raiser) AS raisers, collect(DISTINCT told) AS told_keys,
     max(d) AS last_d, max(undated) AS undated
WITH p, involved, concern, raisers, raisers + [k IN told_keys WHERE NOT k IN raisers] AS knowers, last_d, undated
WITH p, involved, concern, raisers, knowers, last_d, undated,
     CASE WHEN concern <> '{NO_FACTORS}' AND any(a IN involved WHERE NOT a IN knowers) THEN last_d END AS siloed_d
ORDER BY concern
WITH p, involved, collect(CASE WHEN concern IS NULL THEN null ELSE [concern, knowers, raisers] END) AS items,
     max(last_d) AS last_raised, max(siloed_d) AS last_siloed, max(undated) AS undated
WITH p, involved, items, last_raised, last_siloed, undated, [i IN items | i[0]] AS concerns,
     reduce(u = 0, i IN items | u + size([a IN involved WHERE NOT a IN i[1]])) AS unknown
WITH p, involved, items, last_raised, last_siloed, undated, concerns, unknown,
     size(concerns) * size(involved) AS pairs
WITH p, involved, items, last_raised, last_siloed, undated, concerns, unknown, pairs,
     CASE WHEN pairs = 0 THEN null ELSE toFloat(unknown) / pairs END AS fragmentation
"""


_KNOWLEDGE_RETURN = "RETURN involved, items, pairs, unknown, fragmentation\n"


def event_facts_cypher(label: str) -> str:
    """Cypher that stores, on each event of ``label`` in ``$rows`` ([{key}]), who knows of it:

    - ``frag_known_by``: the agencies that raised it or were sent or told of it (sorted);
    - ``frag_raised_by``: the agency that raised it, or the one it was sent to when no raiser
      is recorded (null when neither is).

    The same "knows" as :func:`knowledge_body`, per event, so that the pattern queries
    (``toxic-trio``, ``siloed-concern``) read two properties instead of expanding every
    event's agencies. ``label`` is one of :data:`~mashgraph.graph.model.EVENT_KINDS`' labels,
    never caller text.
    """
    if label not in {kind.label for kind in EVENT_KINDS.values()}:
        raise ValueError(f"not an event label: {label!r}")
    return f"""UNWIND $rows AS row
MATCH (x:{label} {{key: row.key}})
OPTIONAL MATCH (x)<-[:{_RAISED_BY}]-(ra:Agency)
WITH x, ra.key AS raiser ORDER BY raiser
WITH x, collect(DISTINCT raiser) AS raisers
OPTIONAL MATCH (x)-[t:{_TOLD}]->(ta:Agency)
WITH x, raisers, ta.key AS told, CASE WHEN type(t) = 'TO' THEN ta.key END AS sent ORDER BY told
WITH x, raisers, collect(DISTINCT told) AS told_keys, collect(DISTINCT sent) AS sent_to
WITH x, raisers, sent_to, raisers + [k IN told_keys WHERE NOT k IN raisers] AS knowers
UNWIND CASE WHEN size(knowers) = 0 THEN [null] ELSE knowers END AS k
WITH x, raisers, sent_to, k ORDER BY k
WITH x, raisers, sent_to, collect(k) AS known_by
SET x.frag_known_by = known_by, x.frag_raised_by = coalesce(head(raisers), head(sent_to))
RETURN count(x) AS events
"""

PERSON_KNOWLEDGE_CYPHER = "MATCH (p:Person {key: $key})" + knowledge_body(PERSON_SUBJECT) + _KNOWLEDGE_RETURN
RECORD_KNOWLEDGE_CYPHER = "MATCH (p:Record {key: $key})" + knowledge_body(RECORD_SUBJECT) + _KNOWLEDGE_RETURN

# A household's who-knows-what is the union of its resolved members' (a pair is known when
# the agency knows the concern about any member): graph/analytics.py stores it on the
# resolved household (Family), from the members' stored facts, and the household page reads it.
HOUSEHOLD_KNOWLEDGE_CYPHER = """
MATCH (h:Family {key: $key})
RETURN coalesce(h.frag_involved, []) AS involved, coalesce(h.frag_concerns, []) AS concerns,
       coalesce(h.frag_known, []) AS known, h.fragmentation AS fragmentation
"""

_SUBJECTS = {"person": PERSON_KNOWLEDGE_CYPHER, "record": RECORD_KNOWLEDGE_CYPHER}


@dataclass
class KnowledgeGap:
    """Which involved agency knows which concern about one person (or one lone record)."""

    concerns: list[str]              # in the order of the CIN codes (3A before 10A)
    involved: list[str]
    known: dict[str, list[str]]      # concern -> involved agencies that know it
    missing: dict[str, list[str]]    # concern -> involved agencies that do not
    fragmentation: float | None      # None when there are no pairs

    @classmethod
    def from_items(cls, involved: list[str], items: list[list[Any]],
                   fragmentation: float | None) -> "KnowledgeGap":
        """The gap from :func:`knowledge_body`'s ``involved``, ``items`` and fragmentation,
        laid out for a page."""
        knowers = {str(code): set(k) for code, k, _raisers in items}
        concerns = sorted(knowers, key=concern_order)
        known = {c: [a for a in involved if a in knowers[c]] for c in concerns}
        missing = {c: [a for a in involved if a not in knowers[c]] for c in concerns}
        return cls(concerns, list(involved), known, missing, fragmentation)


def knowledge_gap(store: Any, kind: str, key: str) -> KnowledgeGap:
    """Who knows what about the person (``kind="person"``) or lone record (``"record"``) ``key``,
    read live from the graph with the same Cypher the stored facts use; for a household
    (``"household"``, ``key`` a ``Family`` key), its resolved members together, from the
    stored household facts."""
    if kind == "household":
        return _household_gap(store, key)
    rows = store.read(_SUBJECTS[kind], {"key": key}).records()
    if not rows:
        return KnowledgeGap([], [], {}, {}, None)
    row = rows[0]
    items = [i for i in (row["items"] or []) if i is not None]
    return KnowledgeGap.from_items(list(row["involved"] or []), items, row["fragmentation"])


def _household_gap(store: Any, key: str) -> KnowledgeGap:
    rows = store.read(HOUSEHOLD_KNOWLEDGE_CYPHER, {"key": key}).records()
    if not rows:
        return KnowledgeGap([], [], {}, {}, None)
    row = rows[0]
    knowers: dict[str, list[str]] = {str(c): [] for c in row["concerns"]}
    for pair in row["known"]:
        code, _, agency = str(pair).partition("|")
        knowers.setdefault(code, []).append(agency)
    items = [[code, agencies, []] for code, agencies in knowers.items()]
    return KnowledgeGap.from_items(list(row["involved"]), items, row["fragmentation"])


def concern_order(code: str) -> tuple[int, str]:
    """Sort key of a concern code in CIN order: ``3B`` before ``10A``; unnumbered codes last."""
    digits = re.match(r"\d+", code)
    return (int(digits.group()) if digits else 1000, code)
