"""The derived fragmentation facts (graph/analytics.py) against the definitions.

The rankings ``fragmentation-persons``, ``fragmentation-households`` and
``agency-sharing-matrix`` (and ``siloed-concern``, ``toxic-trio`` and ``think-family-gap``, to skip
people, households and agency look-ups) read facts that ``refresh_facts`` stores on events, Person and
Family (resolved household) nodes. Here the same rankings are also computed straight from the
graph, by the queries as they were before the facts existed (DESIGN.md
"knows", "involved", fragmentation; kept below as ``*_DIRECT_CYPHER``), and
every row must agree: on the hand-made graph of test_saved_queries, on the
committed synthetic fixture (truth links), after entity resolution, and after
the graph changes and the facts are refreshed.
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from mashgraph.graph import open_store
from mashgraph.graph.analytics import refresh_facts
from mashgraph.graph.saved_queries import coerce_params, load_library, run_saved_query
from mashgraph.ingest.jobs import run_job
from mashgraph.settings import load_settings
from test_saved_queries import GRAPH_CYPHERS
from truth_links import link_by_truth

LIBRARY = load_library()

FRAGMENTATION_PERSONS_DIRECT_CYPHER = """
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, collect(DISTINCT a.key) AS involved
WHERE size(involved) >= $min_agencies
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH p, involved, c, x
// Two directed expansions cost FalkorDB far less than one undirected one over five types.
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(raiser:Agency)
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(told:Agency)
WITH p, involved, c, collect(DISTINCT raiser.key) + collect(DISTINCT told.key) AS knowers
WITH p, involved, c, size([a IN involved WHERE NOT a IN knowers]) AS unknown
WITH p, involved, count(c) AS concerns, toInteger(sum(unknown)) AS unknown_pairs
WITH p, involved, concerns, unknown_pairs, concerns * size(involved) AS pairs
WITH p, involved, concerns, pairs, unknown_pairs, toFloat(unknown_pairs) / pairs AS score
WHERE score >= $min_score
RETURN p.key AS person, p.display_name AS name, size(involved) AS agencies, concerns,
       pairs, unknown_pairs, score AS fragmentation
ORDER BY fragmentation DESC, unknown_pairs DESC, person
LIMIT $limit
"""

FRAGMENTATION_HOUSEHOLDS_DIRECT_CYPHER = """
MATCH (h:Family)<-[:IN_FAMILY]-(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
WITH h, collect(DISTINCT p) AS members
WHERE size(members) >= $min_members
UNWIND members AS p
MATCH (p)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH h, members, collect(DISTINCT a.key) AS involved
WHERE size(involved) >= $min_agencies
UNWIND members AS p
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH h, members, involved, c, x
// Two directed expansions cost FalkorDB far less than one undirected one over five types.
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(raiser:Agency)
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(told:Agency)
WITH h, members, involved, c, collect(DISTINCT raiser.key) + collect(DISTINCT told.key) AS knowers
WITH h, members, involved, c, size([a IN involved WHERE NOT a IN knowers]) AS unknown
WITH h, size(members) AS n_members, involved, count(c) AS concerns, toInteger(sum(unknown)) AS unknown_pairs
WITH h, n_members, involved, concerns, unknown_pairs, concerns * size(involved) AS pairs
WITH h, n_members, involved, concerns, pairs, unknown_pairs, toFloat(unknown_pairs) / pairs AS score
WHERE score >= $min_score
RETURN h.key AS household, n_members AS members, size(involved) AS agencies, concerns,
       pairs, unknown_pairs, score AS fragmentation
ORDER BY fragmentation DESC, unknown_pairs DESC, household
LIMIT $limit
"""

AGENCY_SHARING_MATRIX_DIRECT_CYPHER = """
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, collect(DISTINCT a.key) AS involved
WHERE size(involved) >= 2
MATCH (p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH p, involved, c, x
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(raiser:Agency)
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(told:Agency)
WITH p, involved, c, collect(DISTINCT raiser.key) AS raisers, collect(DISTINCT told.key) AS told_keys
WITH p, involved, c, raisers, raisers + told_keys AS knowers
UNWIND [r IN raisers WHERE r IN involved] AS raised_by
UNWIND [b IN involved WHERE b <> raised_by] AS known_to
WITH raised_by, known_to, count(*) AS concerns, count(DISTINCT p) AS people,
     toInteger(sum(CASE WHEN known_to IN knowers THEN 1 ELSE 0 END)) AS known
WHERE concerns >= $min_concerns
RETURN raised_by, known_to, people, concerns, known, toFloat(known) / concerns AS shared
ORDER BY shared, concerns DESC, raised_by, known_to
"""

SILOED_CONCERN_DIRECT_CYPHER = """
MATCH (c:Concern)<-[:RAISES]-(x)-[:ABOUT|INVOLVES|FOR]->(:Record)-[:RESOLVES_TO]->(p:Person)
WHERE c.key <> '21'
WITH DISTINCT p, c, x, coalesce(x.date, x.start) AS d
WHERE d <= date($until)
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(ra:Agency)
WITH p, c, x, d, collect(ra.key) AS raisers
OPTIONAL MATCH (x)-[t:TO|SHARED_WITH]->(ta:Agency)
WITH p, c, x, d, raisers, collect(ta.key) AS told, collect(CASE WHEN type(t) = 'TO' THEN ta.key END) AS sent_to
WITH p, c, d, raisers + told AS knowers, coalesce(head(raisers), head(sent_to)) AS raiser
ORDER BY raiser
WITH p, c, collect(knowers) AS knower_lists, collect(DISTINCT raiser) AS raised_by,
     min(d) AS first_raised, max(d) AS last_raised
WHERE last_raised >= date($since)
WITH p, c, first_raised, last_raised, raised_by,
     reduce(s = [], ks IN knower_lists | s + [k IN ks WHERE NOT k IN s]) AS knowers
MATCH (p)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(b:Agency)
WITH DISTINCT p, c, first_raised, last_raised, knowers, raised_by, b
WHERE NOT b.key IN knowers
RETURN p.key AS person, p.display_name AS name, c.key AS concern, c.label AS concern_label,
       raised_by, b.key AS agency, b.name AS agency_name, first_raised, last_raised
ORDER BY last_raised DESC, person, concern, agency
LIMIT $limit
"""

# toxic-trio and think-family-gap before they read the facts (households' concerns, who knows
# of each event) and expanded the adults' addresses once per address.
TOXIC_TRIO_DIRECT_CYPHER = """
MATCH (c:Concern)<-[:RAISES]-(x)-[:ABOUT|INVOLVES|FOR]->(:Record)-[:RESOLVES_TO]->(p:Person)
WHERE c.key IN ['1B', '1C', '2B', '2C', '3B', '3C', '4B', '4C']
WITH DISTINCT c, x, p, coalesce(x.date, x.start) AS d
WHERE d >= date($since) AND d <= date($until)
MATCH (p)<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(:Household)-[:IN_FAMILY]->(h:Family)
WITH DISTINCT h, x, d,
     CASE WHEN c.key IN ['3B', '3C'] THEN 'domestic abuse'
          WHEN c.key IN ['4B', '4C'] THEN 'mental health'
          ELSE 'substance misuse' END AS need
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(ra:Agency)
WITH h, x, d, need, collect(ra.key) AS raisers
OPTIONAL MATCH (x)-[t:TO|SHARED_WITH]->(ta:Agency)
WITH h, x, d, need, raisers, collect(ta.key) AS told, collect(CASE WHEN type(t) = 'TO' THEN ta.key END) AS sent_to
WITH h, x, d, need, coalesce(head(raisers), head(sent_to)) AS raiser, raisers + told AS knowers
ORDER BY h.key, d, x.key, need
WITH h, collect({d: d, need: need, raiser: raiser, knowers: knowers}) AS events
UNWIND events AS anchor
WITH h, anchor.d AS start,
     [e IN events WHERE e.d >= anchor.d AND e.d <= anchor.d + duration({months: $window_months})] AS win
WITH DISTINCT h, start, win
WITH h, start, win,
     reduce(s = [], e IN win | CASE WHEN e.need IN s THEN s ELSE s + e.need END) AS needs,
     reduce(s = [], e IN win | CASE WHEN e.raiser IS NULL OR e.raiser IN s THEN s ELSE s + e.raiser END) AS raisers,
     reduce(s = [], e IN win | s + [k IN e.knowers WHERE NOT k IN s]) AS knowers
WHERE size(needs) = 3 AND size(raisers) >= 2
WITH h, start, win, raisers,
     [k IN knowers | size(reduce(s = [], e IN win |
        CASE WHEN k IN e.knowers AND NOT e.need IN s THEN s + e.need ELSE s END))] AS coverage
WHERE all(n IN coverage WHERE n < 3)
WITH h, start, win ORDER BY h.key, start DESC
WITH h, collect({start: start, win: win})[0] AS latest
WITH h, latest.start AS window_start, latest.win AS win,
     reduce(s = latest.start, e IN latest.win | CASE WHEN e.d > s THEN e.d ELSE s END) AS window_end
WITH h, window_start, window_end, [e IN win | coalesce(e.raiser, '?') + ': ' + e.need] AS labels
WITH h, window_start, window_end, reduce(s = [], l IN labels | CASE WHEN l IN s THEN s ELSE s + l END) AS raised
MATCH (h)<-[:IN_FAMILY]-(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(m:Person)
WITH h, window_start, window_end, raised, m ORDER BY m.key
WITH h, window_start, window_end, raised, collect(DISTINCT m.key) AS people
RETURN h.key AS household, people, window_start, window_end, raised AS raised_by
ORDER BY window_end DESC, household
LIMIT $limit
"""

THINK_FAMILY_GAP_DIRECT_CYPHER = """
MATCH (ac:Concern {subject: 'adult'})<-[:RAISES]-(x)-[:ABOUT|INVOLVES|FOR]->(:Record)-[:RESOLVES_TO]->(v:Person)
WITH DISTINCT v, x, ac, coalesce(x.date, x.start) AS d
WHERE d >= date($since) AND d <= date($until) AND (v.dob <= d - duration({years: 18}) OR v.dob.year <= d.year - 80)
WITH v, x, d, collect(ac.key) AS risks
WITH v, collect({x: x.key, d: d, risks: risks}) AS concerns
OPTIONAL MATCH (v)<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(c1:Person)
WITH v, concerns, collect(DISTINCT c1) AS via_household
OPTIONAL MATCH (v)<-[:RESOLVES_TO]-(:Record)-[l1:LIVES_AT]->(:Address)<-[l2:LIVES_AT]-(:Record)-[:RESOLVES_TO]->(c2:Person)
WITH v, concerns, via_household, collect({c: c2, f1: l1.from, t1: l1.to, f2: l2.from, t2: l2.to}) AS via_address
UNWIND concerns AS k
WITH v, k, via_household + [m IN via_address
       WHERE (m.f1 IS NULL OR m.f1 <= k.d) AND (m.t1 IS NULL OR m.t1 >= k.d)
         AND (m.f2 IS NULL OR m.f2 <= k.d) AND (m.t2 IS NULL OR m.t2 >= k.d) | m.c] AS others
UNWIND others AS c
WITH DISTINCT v, k, c
WHERE c <> v AND c.dob <= k.d AND c.dob > k.d - duration({years: 18}) AND c.dob.year > k.d.year - 80
WITH v, k, c,
     [(c)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(r:Referral)-[:TO]->(:Agency)
      WHERE r.date >= k.d - duration({months: $window_months}) AND r.date <= k.d + duration({months: $window_months}) | r.key] AS referrals
WHERE size(referrals) = 0
WITH v, c, k ORDER BY v.key, c.key, k.d DESC, k.x
WITH v, c, collect(k)[0] AS latest
RETURN v.key AS person, v.display_name AS name, latest.d AS concern_date, latest.x AS concern,
       latest.risks AS risk_types, c.key AS child, c.display_name AS child_name, c.dob AS child_dob
ORDER BY concern_date DESC, person, child
LIMIT $limit
"""

# known-to-many-agencies and linked-risk-children before they read frag_involved.
KNOWN_TO_MANY_DIRECT_CYPHER = """
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, count(DISTINCT a) AS agencies
WHERE agencies >= $min_agencies
MATCH (p)<-[:RESOLVES_TO]-(r:Record)-[:HELD_BY]->(a:Agency)
WITH p, agencies, r, a.key AS agency
ORDER BY agency
WITH p, agencies, count(DISTINCT r) AS records, collect(DISTINCT agency) AS agency_keys
RETURN p.key AS person, p.display_name AS name, p.dob AS dob, agencies, records,
       reduce(s = '', k IN agency_keys | s + CASE WHEN s = '' THEN '' ELSE ', ' END + k) AS agency_list
ORDER BY agencies DESC, records DESC, person
LIMIT $limit
"""

LINKED_RISK_CHILDREN_DIRECT_CYPHER = """
MATCH (p:Person)
WHERE p.risk_score >= $min_score AND p.risk_age < $max_age
  AND NOT (p)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(:Agency {kind: 'childrens_social_care'})
RETURN p.key AS person, p.display_name AS name, p.risk_age AS age, p.risk_score AS score, p.risk_rank AS rank,
       p.risk_reasons AS reasons, reduce(s = [], x IN coalesce(p.risk_paths, []) | s + split(x, '>')) AS path_people,
       p.community AS community, p.risk_run AS computed
ORDER BY score DESC, person
LIMIT $limit
"""

DIRECT = {
    "fragmentation-persons": FRAGMENTATION_PERSONS_DIRECT_CYPHER,
    "fragmentation-households": FRAGMENTATION_HOUSEHOLDS_DIRECT_CYPHER,
    "agency-sharing-matrix": AGENCY_SHARING_MATRIX_DIRECT_CYPHER,
    "siloed-concern": SILOED_CONCERN_DIRECT_CYPHER,
    "toxic-trio": TOXIC_TRIO_DIRECT_CYPHER,
    "think-family-gap": THINK_FAMILY_GAP_DIRECT_CYPHER,
    "known-to-many-agencies": KNOWN_TO_MANY_DIRECT_CYPHER,
    "linked-risk-children": LINKED_RISK_CHILDREN_DIRECT_CYPHER,
}

PARAMS = [
    ("fragmentation-persons", {"min_agencies": 1, "min_score": 0.0, "limit": 100000}),
    ("fragmentation-persons", {"min_agencies": 2, "min_score": 0.5, "limit": 100000}),
    ("fragmentation-households", {"min_members": 1, "min_agencies": 1, "min_score": 0.0, "limit": 100000}),
    ("fragmentation-households", {"min_members": 2, "min_agencies": 2, "min_score": 0.0, "limit": 100000}),
    ("agency-sharing-matrix", {"min_concerns": 1}),
    ("agency-sharing-matrix", {"min_concerns": 3}),
    # siloed-concern skips people the facts show have nothing siloed, also when `until` is early.
    ("siloed-concern", {"since": "2000-01-01", "until": "today", "limit": 100000}),
    ("siloed-concern", {"since": "2024-01-01", "until": "2024-06-30", "limit": 100000}),
    ("siloed-concern", {"since": "2000-01-01", "until": "2024-03-04", "limit": 100000}),
    # ... and, when `until` is after everything, reads only the people who can hold the newest rows.
    ("siloed-concern", {"since": "2000-01-01", "until": "today", "limit": 1}),
    ("siloed-concern", {"since": "2000-01-01", "until": "today", "limit": 7}),
    ("siloed-concern", {"since": "2024-06-01", "until": "today", "limit": 40}),
    ("siloed-concern", {"since": "2000-01-01", "until": "2024-09-30", "limit": 25}),
    ("toxic-trio", {"since": "2000-01-01", "until": "today", "window_months": 12, "limit": 100000}),
    ("toxic-trio", {"since": "2000-01-01", "until": "today", "window_months": 36, "limit": 100000}),
    ("toxic-trio", {"since": "2023-01-01", "until": "2024-06-30", "window_months": 12, "limit": 100000}),
    ("think-family-gap", {"since": "2000-01-01", "until": "today", "window_months": 12, "limit": 100000}),
    ("think-family-gap", {"since": "2023-01-01", "until": "2024-06-30", "window_months": 6, "limit": 100000}),
    ("known-to-many-agencies", {"min_agencies": 1, "limit": 100000}),
    ("known-to-many-agencies", {"min_agencies": 3, "limit": 100000}),
    ("linked-risk-children", {"max_age": 18, "min_score": 0.0, "limit": 100000}),
]

# Who knows of each event, straight from its relationships (graph/knowledge.py event_facts_cypher stores it).
EVENT_FACTS_DIRECT_CYPHER = """
MATCH (x) WHERE x:Referral OR x:Incident OR x:Episode
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(ra:Agency)
WITH x, collect(DISTINCT ra.key) AS raisers
OPTIONAL MATCH (x)-[t:TO|SHARED_WITH]->(ta:Agency)
WITH x, raisers, collect(DISTINCT ta.key) AS told, collect(DISTINCT CASE WHEN type(t) = 'TO' THEN ta.key END) AS sent
RETURN x.key AS key, raisers + [k IN told WHERE NOT k IN raisers] AS knowers, raisers, sent,
       x.frag_known_by AS known_by, x.frag_raised_by AS raised_by
"""


def _rounded(rows):
    return [[round(v, 9) if isinstance(v, float) else v for v in row] for row in rows]


def assert_facts_match_definitions(store):
    for slug, params in PARAMS:
        values = coerce_params(LIBRARY[slug], {k: str(v) for k, v in params.items()})
        direct = store.read(DIRECT[slug], values)
        stored, truncated = run_saved_query(store, LIBRARY[slug], values, row_cap=-1)
        assert stored.columns == direct.columns, slug
        assert _rounded(stored.rows) == _rounded(direct.rows), (slug, params)
    events = store.read(EVENT_FACTS_DIRECT_CYPHER).records()
    assert events
    for e in events:
        assert e["known_by"] == sorted(e["knowers"]), e["key"]
        assert e["raised_by"] == (min(e["raisers"]) if e["raisers"] else min(e["sent"], default=None)), e["key"]


def _hand_store(path):
    store = open_store(str(path), load_settings(environ={}))
    store.ensure_schema()
    for statement in GRAPH_CYPHERS:
        store.write(statement)
    return store


def _fixture_store(path):
    store = open_store(str(path), load_settings(environ={}))
    store.ensure_schema()
    run_job(store, FIXTURES / "synth" / "job.yml")
    return store


def test_hand_made_graph(tmp_path):
    with _hand_store(tmp_path / "graph") as store:
        report = refresh_facts(store)
        assert (report.persons, report.households) == (6, 2)
        assert_facts_match_definitions(store)
        # Amy (test_saved_queries.test_fragmentation_persons): 4 agencies x 3 concerns, 5 unknown.
        amy = store.read("MATCH (p:Person {key: 'P1'}) RETURN p.frag_involved, p.frag_concerns, "
                         "p.frag_pairs, p.frag_unknown_pairs").rows[0]
        assert amy == [["csc", "health", "police", "school"], ["10A", "16A", "3A"], 12, 5]


def test_refresh_is_idempotent_and_follows_changes(tmp_path):
    facts = ("MATCH (p:Person) RETURN p.key, p.frag_involved, p.frag_concerns, p.frag_known, "
             "p.frag_raised, p.frag_pairs, p.frag_unknown_pairs, p.fragmentation ORDER BY p.key")
    with _hand_store(tmp_path / "graph") as store:
        refresh_facts(store)
        before = store.read(facts).rows
        refresh_facts(store)
        assert store.read(facts).rows == before
        # Health is told of R1 (police: 3A about Amy): Amy's unknown pairs drop by one once refreshed.
        store.write("MATCH (r:Referral {key: 'police:R1'}), (h:Agency {key: 'health'}) "
                    "CREATE (r)-[:SHARED_WITH {date: r.date}]->(h)")
        refresh_facts(store)
        assert store.read("MATCH (p:Person {key: 'P1'}) RETURN p.frag_unknown_pairs").value() == 4
        assert_facts_match_definitions(store)


def test_synthetic_fixture_with_truth_links(tmp_path):
    with _fixture_store(tmp_path / "graph") as store:
        link_by_truth(store, FIXTURES / "synth" / "truth" / "records.csv")  # refreshes the facts
        assert store.read("MATCH (p:Person) WHERE p.frag_pairs > 0 RETURN count(p)").value() > 20
        assert_facts_match_definitions(store)


def test_entity_resolution_refreshes_the_facts(tmp_path):
    from mashgraph.ingest.resolve import resolve_records

    with _fixture_store(tmp_path / "graph") as store:
        report = resolve_records(store)
        assert "facts" in report.timings
        assert store.read("MATCH (p:Person) WHERE p.frag_involved IS NULL RETURN count(p)").value() == 0
        assert_facts_match_definitions(store)


def test_ingestion_refreshes_the_facts(tmp_path):
    with _fixture_store(tmp_path / "graph") as store:
        link_by_truth(store, FIXTURES / "synth" / "truth" / "records.csv")
        store.write("MATCH (p:Person) REMOVE p.frag_involved, p.frag_pairs")
        run_job(store, FIXTURES / "synth" / "job.yml")  # the same files again: nothing new loads
        assert store.read("MATCH (p:Person) WHERE p.frag_involved IS NULL RETURN count(p)").value() == 0
        assert_facts_match_definitions(store)


def test_the_refresh_command_reports_a_bad_store_in_one_line():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mashgraph", "--db", "ftp://nowhere", "facts", "refresh"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    err = done.stderr
    assert err.startswith("error: unknown graph store URL scheme 'ftp'") and "Traceback" not in err


def test_the_refresh_command_refreshes(tmp_path):
    from click.testing import CliRunner

    from mashgraph.cli import cli

    with _hand_store(tmp_path / "graph") as store:
        store.write("MATCH (p:Person) REMOVE p.frag_involved, p.frag_pairs")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "graph"), "facts", "refresh"])
    assert result.exit_code == 0, result.output
    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as store:
        store_events = store.read("MATCH (x) WHERE x:Referral OR x:Incident OR x:Episode RETURN count(x)").value()
    assert store_events > 0
    assert f"facts refreshed: {store_events} events, 6 persons, 2 households" in result.output
    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as store:
        assert_facts_match_definitions(store)


def test_the_person_page_shows_the_stored_fact_for_every_person(tmp_path):
    # One implementation of "knows" (graph/knowledge.py) serves the page and the stored facts.
    from mashgraph.graph.explore import person_profile

    with _fixture_store(tmp_path / "graph") as store:
        link_by_truth(store, FIXTURES / "synth" / "truth" / "records.csv")
        stored = store.read("MATCH (p:Person) RETURN p.key AS key, p.fragmentation AS f, "
                            "p.frag_involved AS involved, p.frag_concerns AS concerns, "
                            "p.frag_known AS known ORDER BY key").records()
        assert len(stored) > 200 and sum(1 for r in stored if r["f"] is not None) > 20
        for row in stored:
            gap = person_profile(store, row["key"]).gap
            assert gap.fragmentation == row["f"], row["key"]
            assert gap.involved == row["involved"] and sorted(gap.concerns) == sorted(row["concerns"]), row["key"]
            known = {f"{c}|{a}" for c, agencies in gap.known.items() for a in agencies}
            assert known == {k for k in row["known"] if k.split("|", 1)[1] in row["involved"]}, row["key"]
